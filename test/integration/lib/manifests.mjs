// Kubernetes manifests as the example tests read them: every document of a multi-document
// YAML file, parsed by npm `yaml` (an error in any document throws).

import YAML from 'yaml';

export function parseYamlDocuments(text) {
  return YAML.parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw doc.errors[0];
    return doc.toJS();
  }).filter((d) => d !== null && d !== undefined);
}

// Stepgate's browser pages: all that its public route may publish under public_url's path
// (docs/SECURITY.md).
export const PUBLIC_PAGES = ['/start', '/callback', '/logout', '/whoami'];

// Every other endpoint Stepgate serves, also under public_url's path: never public. The
// ext-authz ones carry an original path, as a gateway's check request does.
export const INTERNAL_ENDPOINTS = ['/auth', '/forward-auth', '/ext-authz/orders', '/ext-authz-pinned/level=mfa/orders',
  '/metrics', '/healthz', '/readyz'];
