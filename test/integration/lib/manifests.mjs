// Kubernetes manifests as the example tests read them: every document of a multi-document
// YAML file, parsed by npm `yaml` (an error in any document throws).

import YAML from 'yaml';

export function parseYamlDocuments(text) {
  return YAML.parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw doc.errors[0];
    return doc.toJS();
  }).filter((d) => d !== null && d !== undefined);
}
