// Starts the Stepgate binary with a YAML config written into a temp dir, and
// offers small helpers to call its decision endpoints directly.

import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { LOOPBACK, freePort, request, spawnLogged, waitForHttp } from './procs.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const STEPGATE_BIN = process.env.STEPGATE_BIN || path.join(REPO_ROOT, 'build/release/stepgate');

export const LEVELS = [
  { name: 'basic', acr: ['urn:stepgate:loa:pwd', '1'] },
  { name: 'mfa', acr: ['urn:stepgate:loa:mfa', '2'], amr_any: ['mfa', 'otp', 'hwk'] },
];

// Rules used by the tests. Order matters (first match wins).
export const RULES = [
  {
    name: 'admin-host',
    hosts: ['*.admin.example.com'],
    paths: ['/**'],
    require: { level: 'mfa', groups_any: ['admins'] },
  },
  {
    name: 'public',
    paths: ['/', '/public/**'],
    require: { level: 'none' },
  },
  {
    name: 'payments',
    paths: ['/checkout/**', '/api/payments/**'],
    methods: ['POST', 'PUT', 'DELETE'],
    require: { level: 'mfa', max_age: '5m' },
  },
  {
    name: 'admin',
    paths: ['/admin/**'],
    require: { level: 'mfa', groups_any: ['admins'] },
  },
  {
    name: 'reports',
    paths: ['/api/reports/**'],
    require: { level: 'basic', scopes_all: ['reports:read'] },
  },
  {
    name: 'vault',
    paths: ['/api/vault/**'],
    require: { level: 'mfa' },
  },
];

/**
 * Base config (a plain object); `overrides` are merged one level deep into it.
 * An override value `undefined` removes that key (top level, or inside a merged
 * object: `redirect: { default: undefined }`).
 */
export function baseConfig({ issuer, port, overrides = {} }) {
  const cfg = {
    listen: `${LOOPBACK}:${port}`,
    public_url: `http://${LOOPBACK}:${port}`,
    provider: {
      issuer,
      client_id: 'stepgate',
      client_secret: '${STEPGATE_IT_CLIENT_SECRET}',
      profile: 'generic',
      scopes: ['openid', 'email', 'profile'],
      audiences: ['stepgate-api'],
      leeway: '30s',
      jwks_refresh: '10m',
      jwks_refresh_throttle: '1s',
    },
    session: {
      secret: crypto.randomBytes(32).toString('base64'),
      cookie_name: '_stepgate',
      secure: false,
      lifetime: '12h',
    },
    levels: LEVELS,
    rules: RULES,
    default: { require: { level: 'basic' } },
    redirect: {
      allowed_domains: ['.example.com'],
      default: 'https://www.example.com/',
    },
    trusted_proxies: ['127.0.0.1/32'],
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && cfg[k] && typeof cfg[k] === 'object' && !Array.isArray(cfg[k])) {
      cfg[k] = { ...cfg[k], ...v };
      for (const [ik, iv] of Object.entries(v)) if (iv === undefined) delete cfg[k][ik];
    } else if (v === undefined) {
      delete cfg[k];
    } else {
      cfg[k] = v;
    }
  }
  return cfg;
}

// ---- a small YAML emitter: block mappings/sequences, JSON-quoted strings ----

function scalar(v) {
  if (typeof v === 'string') {
    // `${NAME}` must stay visible to Stepgate's env substitution: JSON quoting keeps it.
    return JSON.stringify(v);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  throw new Error(`cannot render ${typeof v} as YAML scalar`);
}

const isScalar = (v) => v === null || typeof v !== 'object';

export function toYaml(value, indent = 0) {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.every(isScalar)) return `[${value.map(scalar).join(', ')}]`;
    return value.map((item) => {
      if (isScalar(item)) return `${pad}- ${scalar(item)}`;
      const inner = toYaml(item, indent + 2);
      return `${pad}- ${inner.slice(indent + 2)}`;
    }).join('\n');
  }
  if (value && typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => {
      if (isScalar(v) || (Array.isArray(v) && v.every(isScalar))) return `${pad}${k}: ${toYaml(v)}`;
      if (Array.isArray(v) && v.length === 0) return `${pad}${k}: []`;
      return `${pad}${k}:\n${toYaml(v, indent + 2)}`;
    }).join('\n');
  }
  return scalar(value);
}

// ---------------------------------------------------------------------------

export class Stepgate {
  /**
   * @param {object} o
   * @param {string} o.dir      temp dir for config and logs
   * @param {string} o.issuer   provider issuer URL
   * @param {object} [o.overrides] top-level config overrides (objects merged one level deep)
   * @param {object} [o.config]  a complete config object instead of baseConfig()
   */
  constructor({ dir, issuer, overrides, config }) {
    this.dir = dir;
    this.issuer = issuer;
    this.overrides = overrides;
    this.explicitConfig = config;
    this.port = null;
    this.proc = null;
  }

  get url() {
    return `http://${LOOPBACK}:${this.port}`;
  }

  static binaryExists() {
    return fs.existsSync(STEPGATE_BIN);
  }

  async start({ readyTimeoutMs = 20000 } = {}) {
    if (!Stepgate.binaryExists()) {
      throw new Error(`Stepgate binary not found at ${STEPGATE_BIN}: build it first ` +
          `(cmake --preset release && cmake --build --preset release) or set STEPGATE_BIN`);
    }
    this.port = this.port ?? await freePort();
    this.config = this.explicitConfig ?? baseConfig({ issuer: this.issuer, port: this.port, overrides: this.overrides });
    this.configPath = path.join(this.dir, 'stepgate.yaml');
    await fsp.writeFile(this.configPath, toYaml(this.config) + '\n');
    this.proc = await spawnLogged('stepgate', STEPGATE_BIN,
        ['serve', '--config', this.configPath, '--listen', `${LOOPBACK}:${this.port}`],
        { logDir: this.dir, env: { STEPGATE_IT_CLIENT_SECRET: 'it-client-secret' } });
    await waitForHttp(`${this.url}/readyz`, { expectStatus: 200, timeoutMs: readyTimeoutMs, proc: this.proc });
    return this;
  }

  async stop() {
    if (this.proc) await this.proc.stop();
    this.proc = null;
  }

  logs() {
    return this.proc ? this.proc.logs() : '';
  }

  /** GET /auth as nginx auth_request / ingress-nginx would call it. */
  auth({ url, method = 'GET', token, headers = {}, query = '' } = {}) {
    const h = {};
    if (url !== undefined) h['X-Original-URL'] = url;
    if (method !== undefined && method !== null) h['X-Original-Method'] = method;
    if (token) h.Authorization = `Bearer ${token}`;
    return request(`${this.url}/auth${query}`, { headers: { ...h, ...headers } });
  }

  /** GET /forward-auth as Traefik ForwardAuth would call it. */
  forwardAuth({ proto = 'http', host, uri, method = 'GET', token, headers = {} } = {}) {
    const h = {};
    if (proto !== undefined && proto !== null) h['X-Forwarded-Proto'] = proto;
    if (host !== undefined && host !== null) h['X-Forwarded-Host'] = host;
    if (uri !== undefined && uri !== null) h['X-Forwarded-Uri'] = uri;
    if (method !== undefined && method !== null) h['X-Forwarded-Method'] = method;
    if (token) h.Authorization = `Bearer ${token}`;
    return request(`${this.url}/forward-auth`, { headers: { ...h, ...headers } });
  }

  /** Any method on /ext-authz<path> with Host = host (Envoy ext_authz HTTP). */
  extAuthz({ path: p, host, method = 'GET', token, headers = {}, pins } = {}) {
    const h = { Host: host };
    if (token) h.Authorization = `Bearer ${token}`;
    const prefix = pins === undefined ? '/ext-authz' : `/ext-authz-pinned/${pins}`;
    return request(`${this.url}${prefix}${p}`, { method, headers: { ...h, ...headers } });
  }
}
