// A scripted OpenID provider on 127.0.0.1 for the callback attacks: discovery,
// JWKS, an authorization endpoint that answers at once (no login page), and a
// token endpoint whose ID token the test decides (another nonce, another aud,
// alg none, HS256 keyed with the client secret...). Keys come from the
// integration harness's makeKey(), tokens are signed during the test.

import crypto from 'node:crypto';
import http from 'node:http';

import { makeKey } from '../../integration/lib/issuer.mjs';
import { LOOPBACK } from '../../integration/lib/procs.mjs';
import { signed } from './jwt.mjs';

const now = () => Math.floor(Date.now() / 1000);

export class ScriptedIdp {
  constructor({ clientId = 'stepgate', clientSecret = 'it-client-secret', issParameterSupported = true } = {}) {
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.issParameterSupported = issParameterSupported;
    this.codes = new Map();     // code -> {nonce, params, used}
    this.authorizations = [];   // URLSearchParams of /authorize calls
    this.tokenCalls = [];       // {code, ok}
    this.logoutCalls = [];      // URLSearchParams of /logout calls
    this.jwksFetches = 0;
    this.allowCodeReuse = false;
    // (entry) => id_token string; default: an honest basic-level ID token for alice.
    this.idTokenFor = null;
  }

  async start() {
    this.key = await makeKey('RS256');
    this.server = http.createServer((req, res) => this.#handle(req, res));
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, LOOPBACK, resolve);
    });
    this.port = this.server.address().port;
    return this;
  }

  async stop() {
    const s = this.server;
    if (!s) return;
    this.server = null;
    await new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections?.();
    });
  }

  get issuer() {
    return `http://${LOOPBACK}:${this.port}`;
  }

  /** The claims an honest provider would put in the ID token for this code. */
  claimsFor(entry, o = {}) {
    const t = now();
    return {
      iss: this.issuer, sub: 'alice', aud: this.clientId, iat: t, exp: t + 300, auth_time: t - 1,
      nonce: entry.nonce, acr: 'urn:stepgate:loa:pwd', amr: ['pwd'], email: 'alice@example.com',
      preferred_username: 'alice', ...o,
    };
  }

  /** An ID token signed with the published key. */
  idToken(claims, { header } = {}) {
    return signed(this.key, { payload: claims, header });
  }

  /** Registers a code as if the authorization endpoint had issued it for `params` (nonce...). */
  issueCode(params) {
    const code = crypto.randomBytes(16).toString('base64url');
    this.codes.set(code, { nonce: params.nonce, params, used: false });
    return code;
  }

  #send(res, status, obj, headers = {}) {
    const body = typeof obj === 'string' ? obj : JSON.stringify(obj);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  }

  #handle(req, res) {
    const url = new URL(req.url, this.issuer);
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        this.#route(req, res, url, Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        this.#send(res, 500, { error: 'server_error', error_description: e.message });
      }
    });
  }

  #route(req, res, url, body) {
    const iss = this.issuer;
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return this.#send(res, 200, {
          issuer: iss,
          authorization_endpoint: `${iss}/authorize`,
          token_endpoint: `${iss}/token`,
          end_session_endpoint: `${iss}/logout`,
          jwks_uri: `${iss}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
          code_challenge_methods_supported: ['S256'],
          acr_values_supported: ['urn:stepgate:loa:pwd', 'urn:stepgate:loa:mfa'],
          authorization_response_iss_parameter_supported: this.issParameterSupported,
        });
      case '/jwks':
        this.jwksFetches++;
        return this.#send(res, 200, { keys: [this.key.publicJwk] });
      case '/authorize': {
        const p = url.searchParams;
        this.authorizations.push(p);
        const code = this.issueCode(Object.fromEntries(p));
        const to = new URL(p.get('redirect_uri'));
        to.searchParams.set('code', code);
        to.searchParams.set('state', p.get('state') ?? '');
        to.searchParams.set('iss', iss);
        res.writeHead(302, { location: to.href, 'content-length': 0 });
        return res.end();
      }
      case '/logout':
        this.logoutCalls.push(url.searchParams);
        return this.#send(res, 200, { signed_out: true });
      case '/token': {
        if (req.method !== 'POST') return this.#send(res, 405, { error: 'invalid_request' });
        const form = new URLSearchParams(body);
        const code = form.get('code');
        const entry = this.codes.get(code);
        if (!entry || (entry.used && !this.allowCodeReuse)) {
          this.tokenCalls.push({ code, ok: false });
          return this.#send(res, 400, { error: 'invalid_grant' });
        }
        entry.used = true;
        this.tokenCalls.push({ code, ok: true });
        const idToken = this.idTokenFor ? this.idTokenFor(entry, this) : this.idToken(this.claimsFor(entry));
        return this.#send(res, 200, { access_token: crypto.randomBytes(16).toString('hex'), token_type: 'Bearer',
          expires_in: 300, id_token: idToken, scope: 'openid email profile' });
      }
      default:
        return this.#send(res, 404, { error: 'not_found' });
    }
  }
}
