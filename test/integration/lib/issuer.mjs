// A minimal OpenID provider for the tests: an OIDC discovery document and a
// JWKS endpoint on 127.0.0.1, and a mint() that signs JWTs with jose during
// the test. It has no login UI: bearer-token tests need only discovery + keys.

import crypto from 'node:crypto';
import http from 'node:http';
import { CompactSign, SignJWT, base64url, exportJWK, exportSPKI, generateKeyPair } from 'jose';

import { LOOPBACK } from './procs.mjs';

export const DEFAULT_AUDIENCE = 'stepgate-api';
export const ACR_BASIC = 'urn:stepgate:loa:pwd';
export const ACR_MFA = 'urn:stepgate:loa:mfa';

const now = () => Math.floor(Date.now() / 1000);
const enc = new TextEncoder();

let kidCounter = 0;

/** A generated signing key: {kid, alg, privateKey, publicKey, publicJwk}. */
export async function makeKey(alg = 'RS256', kid) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const id = kid ?? `${alg.toLowerCase()}-${process.pid}-${++kidCounter}-${crypto.randomBytes(3).toString('hex')}`;
  const jwk = await exportJWK(publicKey);
  const publicJwk = { ...jwk, kid: id, alg, use: 'sig' };
  return { kid: id, alg, privateKey, publicKey, publicJwk };
}

export class TokenIssuer {
  /**
   * @param {object} opts
   * @param {string[]} [opts.algs] key algorithms to create at start (first one signs by default)
   * @param {string} [opts.audience] default `aud` of minted tokens
   */
  constructor({ algs = ['RS256', 'ES256'], audience = DEFAULT_AUDIENCE } = {}) {
    this.algs = algs;
    this.audience = audience;
    this.keys = [];           // every key served in the JWKS
    this.retired = [];        // keys removed from the JWKS (still able to sign, for negative tests)
    this.signingKid = null;
    this.server = null;
    this.port = null;
    this.jwksFetches = 0;
    this.discoveryFetches = 0;
    this.requests = [];       // {method, url, at}
    this.jwksStatus = 200;    // set to e.g. 500 to simulate a broken JWKS endpoint
    this.extraRoutes = new Map(); // path -> (req, res, url) => void   (used by the demo)
  }

  async init() {
    if (this.keys.length) return;
    for (const alg of this.algs) this.keys.push(await makeKey(alg));
    this.signingKid = this.keys[0].kid;
  }

  get issuer() {
    if (!this.port) throw new Error('TokenIssuer not started');
    return `http://${LOOPBACK}:${this.port}`;
  }

  get jwksUri() {
    return `${this.issuer}/jwks`;
  }

  get discoveryUrl() {
    return `${this.issuer}/.well-known/openid-configuration`;
  }

  /** Starts (or restarts, on the same port if it had one) the HTTP server. */
  async start({ port } = {}) {
    await this.init();
    if (this.server) return this;
    const server = http.createServer((req, res) => this.#handle(req, res));
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port ?? this.port ?? 0, LOOPBACK, resolve);
    });
    this.server = server;
    this.port = server.address().port;
    return this;
  }

  /** Stops the server and drops every open connection (the provider "goes away"). */
  async stop() {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    });
  }

  discoveryDocument() {
    const iss = this.issuer;
    return {
      issuer: iss,
      authorization_endpoint: `${iss}/authorize`,
      token_endpoint: `${iss}/token`,
      userinfo_endpoint: `${iss}/userinfo`,
      end_session_endpoint: `${iss}/logout`,
      jwks_uri: this.jwksUri,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      id_token_signing_alg_values_supported: [...new Set(this.keys.map((k) => k.alg))],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['openid', 'email', 'profile'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr', 'email',
        'preferred_username', 'groups'],
      acr_values_supported: [ACR_BASIC, ACR_MFA],
      claims_parameter_supported: true,
    };
  }

  jwks() {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  #handle(req, res) {
    const url = new URL(req.url, this.issuer);
    this.requests.push({ method: req.method, url: req.url, at: Date.now() });
    const send = (status, obj, type = 'application/json') => {
      const body = typeof obj === 'string' ? obj : JSON.stringify(obj);
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'method not allowed' });
    if (url.pathname === '/.well-known/openid-configuration') {
      this.discoveryFetches++;
      return send(200, this.discoveryDocument());
    }
    if (url.pathname === '/jwks') {
      this.jwksFetches++;
      if (this.jwksStatus !== 200) return send(this.jwksStatus, { error: 'unavailable' });
      return send(200, this.jwks(), 'application/jwk-set+json');
    }
    const extra = this.extraRoutes.get(url.pathname);
    if (extra) return extra(req, res, url);
    if (['/authorize', '/token', '/userinfo', '/logout'].includes(url.pathname)) {
      return send(501, { error: 'not_implemented', error_description: 'placeholder endpoint of the test issuer' });
    }
    return send(404, { error: 'not_found' });
  }

  key(kid = this.signingKid) {
    const k = this.keys.find((x) => x.kid === kid) ?? this.retired.find((x) => x.kid === kid);
    if (!k) throw new Error(`no key with kid ${kid}`);
    return k;
  }

  keyForAlg(alg) {
    const k = this.keys.find((x) => x.alg === alg);
    if (!k) throw new Error(`issuer has no ${alg} key (has ${this.keys.map((x) => x.alg).join(', ')})`);
    return k;
  }

  /** Adds a key, makes it the signing key; with removeOld, drops the others from the JWKS. */
  async rotate({ alg, removeOld = false } = {}) {
    const k = await makeKey(alg ?? this.key().alg);
    if (removeOld) {
      this.retired.push(...this.keys);
      this.keys = [];
    }
    this.keys.push(k);
    this.signingKid = k.kid;
    return k;
  }

  /** Adds a key that signs but is NOT published (a token signed by it must be refused). */
  async unpublishedKey(alg = 'RS256') {
    const k = await makeKey(alg);
    this.retired.push(k);
    return k;
  }

  /**
   * Mints a signed JWT. Any claim given as `null` is left out; `undefined`
   * takes the default. Defaults: iss = this issuer, sub 'alice', aud
   * 'stepgate-api', iat now, exp now+300, auth_time now-10.
   *
   * @param {object} o
   * @param {string} [o.alg]   choose the first published key with this alg
   * @param {string} [o.kid]   sign with this key (published or retired)
   * @param {object} [o.header] protected-header overrides (e.g. {kid: 'other'}, {typ: 'at+jwt'})
   * @param {object} [o.extra]  extra claims
   */
  async mint(o = {}) {
    const t = now();
    const claims = {
      iss: this.issuer,
      sub: 'alice',
      aud: this.audience,
      iat: t,
      exp: t + 300,
      auth_time: t - 10,
      jti: crypto.randomUUID(),
    };
    for (const name of ['iss', 'sub', 'aud', 'iat', 'exp', 'nbf', 'auth_time', 'acr', 'amr',
      'groups', 'scope', 'email', 'preferred_username', 'azp', 'jti']) {
      if (o[name] !== undefined) claims[name] = o[name];
    }
    Object.assign(claims, o.extra ?? {});
    for (const [k, v] of Object.entries(claims)) if (v === null) delete claims[k];

    const key = o.kid ? this.key(o.kid) : o.alg ? this.keyForAlg(o.alg) : this.key();
    const header = { alg: key.alg, kid: key.kid, typ: 'JWT', ...(o.header ?? {}) };
    for (const [k, v] of Object.entries(header)) if (v === null) delete header[k];
    return new CompactSign(enc.encode(JSON.stringify(claims)))
        .setProtectedHeader(header)
        .sign(key.privateKey);
  }

  /** An unsigned token (`alg: none`, empty signature) with the same default claims. */
  async mintUnsigned(o = {}) {
    const signed = await this.mint({ ...o, header: undefined });
    const [, payload] = signed.split('.');
    const header = { alg: 'none', typ: 'JWT', ...(o.header ?? {}) };
    return `${base64url.encode(JSON.stringify(header))}.${payload}.`;
  }

  /**
   * An HS256 token whose HMAC key is the published RSA public key (PEM, then
   * the JWK JSON) — the classic key-confusion attack — or a given secret.
   */
  async mintHs256(o = {}, { secret } = {}) {
    const t = now();
    let key = secret;
    if (!key) {
      const rsa = this.keyForAlg('RS256');
      key = enc.encode(await exportSPKI(rsa.publicKey));
    }
    const claims = { iss: this.issuer, sub: 'alice', aud: this.audience, iat: t, exp: t + 300, auth_time: t - 10, ...o };
    const header = { alg: 'HS256', typ: 'JWT' };
    if (!secret) header.kid = this.keyForAlg('RS256').kid;
    return new SignJWT(claims).setProtectedHeader(header).sign(key);
  }
}

/** Changes one character in the signature part of a JWT (still valid base64url). */
export function tamperSignature(jwt) {
  const [h, p, s] = jwt.split('.');
  const i = Math.floor(s.length / 2);
  const c = s[i] === 'A' ? 'B' : 'A';
  return `${h}.${p}.${s.slice(0, i)}${c}${s.slice(i + 1)}`;
}

/** Replaces claims in the payload but keeps the original signature. */
export function tamperPayload(jwt, changes) {
  const [h, p, s] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  Object.assign(claims, changes);
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
}
