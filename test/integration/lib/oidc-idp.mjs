// A real OpenID provider for the browser tests and the demo, built on npm
// `oidc-provider` (panva), bound to 127.0.0.1, issuer http://127.0.0.1:PORT.
//
// - One confidential client (client_secret_basic by default, PKCE required),
//   redirect_uris and post_logout_redirect_uris given by the caller.
// - Signing keys are ours (generated with jose, see issuer.mjs's makeKey) and
//   handed to oidc-provider as a private JWKS, so that mint() (inherited from
//   TokenIssuer) signs access tokens with the very keys the provider publishes.
// - Its own interaction pages (devInteractions off): a password login, and a
//   one-time-code step performed ONLY when the request asks for the mfa level
//   (acr_values, or an essential acr in the `claims` parameter, naming only
//   mfa-level values: urn:stepgate:loa:mfa or 2). Stepgate asks for basic with
//   "urn:stepgate:loa:pwd 1 urn:stepgate:loa:mfa 2" (weakest acceptable first),
//   which needs no second factor.
// - The ID token carries what happened, honestly: acr urn:stepgate:loa:pwd +
//   amr [pwd] after a password, acr urn:stepgate:loa:mfa + amr [pwd, otp] after
//   the code; auth_time is the time of the last login step; max_age and
//   prompt=login re-prompt the password (oidc-provider's login checks).
// - Test knobs (idp.knobs, reset with resetKnobs()): weakAcr (the code step is
//   skipped and nothing stronger than what was done is claimed), switchSubTo
//   (the next login completes as another account), omitAuthTime (ID tokens
//   without auth_time), issParam (authorization responses carry another `iss`).
// - RP-initiated logout (end_session_endpoint) with its own confirm page;
//   authorization_response_iss_parameter_supported (RFC 9207) as oidc-provider
//   advertises by default.

import crypto from 'node:crypto';
import http from 'node:http';

import { exportJWK } from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';

import { ACR_BASIC, ACR_MFA, TokenIssuer } from './issuer.mjs';
import { LOOPBACK } from './procs.mjs';

export { ACR_BASIC, ACR_MFA };

/** The demo users: username → account. */
export const USERS = {
  alice: {
    sub: 'alice', password: 'alice-password', email: 'alice@example.com', name: 'Alice Example',
    groups: ['staff'],
  },
  bob: {
    sub: 'bob', password: 'bob-password', email: 'bob@example.com', name: 'Bob Example',
    groups: ['staff', 'admins'],
  },
};

/** The one-time code the MFA step accepts. */
export const MFA_CODE = '123456';

// acr values per level, as Stepgate's test config names them.
export const BASIC_ACRS = new Set([ACR_BASIC, '1']);
export const MFA_ACRS = new Set([ACR_MFA, '2']);

const epoch = () => Math.floor(Date.now() / 1000);

const escapeHtml = (s) => String(s).replace(/[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/**
 * The acr values a request asks for: acr_values (space separated, OIDC Core
 * §3.1.2.1) and an essential acr in the claims parameter (OIDC Core §5.5.1.1).
 */
export function requestedAcrs(params = {}) {
  const out = [];
  if (typeof params.acr_values === 'string') out.push(...params.acr_values.split(' ').filter(Boolean));
  if (typeof params.claims === 'string') {
    try {
      const acr = JSON.parse(params.claims)?.id_token?.acr;
      if (acr?.essential) {
        if (Array.isArray(acr.values)) out.push(...acr.values.map(String));
        if (typeof acr.value === 'string') out.push(acr.value);
      }
    } catch {
      // a malformed claims parameter is oidc-provider's to refuse
    }
  }
  return out;
}

/** MFA is needed when the request names an mfa-level acr and no basic-level one. */
export function mfaRequested(params) {
  const acrs = requestedAcrs(params);
  return acrs.some((a) => MFA_ACRS.has(a)) && !acrs.some((a) => BASIC_ACRS.has(a));
}

// Records kept for assertions are bounded, so that the long-running demo does not grow.
const MAX_RECORDS = 1000;
function record(list, item) {
  list.push(item);
  if (list.length > MAX_RECORDS) list.splice(0, list.length - MAX_RECORDS);
}

function readForm(req, limit = 16 * 1024) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('form too large'));
        req.destroy();
      } else {
        chunks.push(c);
      }
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:28em;margin:3em auto}label{display:block;margin:.6em 0}
input{font-size:1em}.error{color:#a00}.hint{color:#555;font-size:.9em}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

function sendHtml(res, status, html, extraHeaders = {}) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(html),
    ...extraHeaders,
  });
  res.end(html);
}

export class OidcIdp extends TokenIssuer {
  /**
   * @param {object} o
   * @param {number} [o.port]            0 / absent: a free port
   * @param {string} [o.clientId]        default 'stepgate'
   * @param {string} [o.clientSecret]    default 'it-client-secret' (the harness's STEPGATE_IT_CLIENT_SECRET)
   * @param {string[]} [o.redirectUris]
   * @param {string[]} [o.postLogoutRedirectUris]
   * @param {string} [o.tokenEndpointAuthMethod] client_secret_basic (default) | client_secret_post
   * @param {string[]} [o.algs]          signing keys; the first one signs ID tokens and minted tokens
   * @param {string} [o.audience]        default `aud` of mint()
   * @param {boolean} [o.hostFromIssuer] default true: URLs built from the issuer, not the Host received
   * @param {boolean} [o.endSession]     default true: RP-initiated logout (end_session_endpoint advertised)
   */
  constructor({
    port, clientId = 'stepgate', clientSecret = 'it-client-secret', redirectUris = [],
    postLogoutRedirectUris = [], tokenEndpointAuthMethod = 'client_secret_basic',
    algs = ['RS256', 'ES256'], audience, hostFromIssuer = true, endSession = true,
  } = {}) {
    super({ algs, audience });
    if (algs[0] !== 'RS256') throw new Error('OidcIdp: the first key must be RS256 (it signs ID tokens)');
    this.wantedPort = port ?? 0;
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.redirectUris = redirectUris;
    this.postLogoutRedirectUris = postLogoutRedirectUris;
    this.tokenEndpointAuthMethod = tokenEndpointAuthMethod;
    // oidc-provider builds the URLs of its discovery document from the request's
    // Host. true: it sees the issuer's authority whatever Host a client sent, like
    // an IdP with a fixed public hostname (Keycloak's KC_HOSTNAME); false: the Host
    // as received. Every Host received is recorded in `requests` either way.
    this.hostFromIssuer = hostFromIssuer;
    this.endSession = endSession;
    this.users = USERS;
    this.mfaCode = MFA_CODE;
    this.provider = null;
    this.resetKnobs();
    this.resetRecords();
    this.pending = new Map(); // interaction uid -> {accountId} between the password and the code
  }

  /** Test knobs for negative tests; reset to honest behaviour with resetKnobs(). */
  resetKnobs() {
    this.knobs = {
      weakAcr: false,        // skip the code step, claim only what was done (pwd)
      switchSubTo: null,     // complete the next login(s) as this account instead
      omitAuthTime: false,   // ID tokens without auth_time
      issParam: null,        // RFC 9207: the `iss` put in authorization responses instead of ours
    };
  }

  /** What the provider saw and did, for assertions. */
  resetRecords() {
    this.authorizationRequests = []; // URLSearchParams of each GET /auth
    this.interactionsShown = [];     // {uid, step: 'login'|'mfa', reasons, accountId}
    this.idTokens = [];              // decoded payloads of ID tokens issued at the token endpoint
    this.tokenRequests = [];         // {authorization, body} headers of token endpoint calls (no secrets logged)
  }

  get authorizationEndpoint() {
    return `${this.issuer}/auth`;
  }

  get endSessionEndpoint() {
    return `${this.issuer}/session/end`;
  }

  /** Adds redirect URIs (before start()). */
  addRedirectUri(uri) {
    this.redirectUris.push(uri);
  }

  #buildProvider() {
    const { Check, base } = interactionPolicy;
    const policy = base();
    // Consent is implied for this first-party client (see loadExistingGrant).
    policy.remove('consent');
    const login = policy.get('login');
    // The essential-acr checks of oidc-provider loop when the provider honestly
    // returns less than asked (our weakAcr knob); our own check below replaces them
    // and, like oidc-provider's max_age check, accepts what a finished interaction produced.
    login.checks.remove('essential_acrs');
    login.checks.remove('essential_acr');
    login.checks.add(new Check('stepgate_mfa', 'multi-factor authentication is required', (ctx) => {
      const { oidc } = ctx;
      if (oidc.result) return Check.NO_NEED_TO_PROMPT; // the interaction ran: no loop
      if (!mfaRequested(oidc.params)) return Check.NO_NEED_TO_PROMPT;
      return MFA_ACRS.has(oidc.session.acr) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }));

    const users = this.users;
    const privateJwks = this.privateJwks;
    const idp = this;

    const provider = new Provider(this.issuer, {
      clients: [{
        client_id: this.clientId,
        client_secret: this.clientSecret,
        redirect_uris: this.redirectUris,
        post_logout_redirect_uris: this.postLogoutRedirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: this.tokenEndpointAuthMethod,
        id_token_signed_response_alg: 'RS256',
      }],
      jwks: { keys: privateJwks },
      pkce: { required: () => true },
      acrValues: [ACR_BASIC, ACR_MFA],
      scopes: ['openid', 'email', 'profile', 'groups'],
      claims: {
        acr: null,
        amr: null,
        auth_time: null,
        sid: null,
        iss: null,
        openid: ['sub', 'acr', 'amr', 'auth_time'],
        email: ['email', 'email_verified'],
        profile: ['name', 'preferred_username', 'groups'],
        groups: ['groups'],
      },
      conformIdTokenClaims: false,
      cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
      features: {
        devInteractions: { enabled: false },
        claimsParameter: { enabled: true },
        rpInitiatedLogout: {
          enabled: this.endSession,
          async logoutSource(ctx, form) {
            ctx.type = 'html';
            ctx.body = page('Sign out of the demo provider?', `${form}
<p><button type="submit" form="op.logoutForm" name="logout" value="yes" id="logout-yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" id="logout-no">No, stay signed in</button></p>`);
          },
          async postLogoutSuccessSource(ctx) {
            ctx.type = 'html';
            ctx.body = page('Signed out', '<p>You are signed out of the demo provider.</p>');
          },
        },
        resourceIndicators: { enabled: false },
        dPoP: { enabled: false },
        pushedAuthorizationRequests: { enabled: false },
      },
      interactions: {
        policy,
        url: (ctx, interaction) => `/interaction/${interaction.uid}`,
      },
      async findAccount(ctx, sub) {
        const user = users[sub];
        if (!user) return undefined;
        return {
          accountId: sub,
          async claims() {
            return {
              sub, email: user.email, email_verified: true, name: user.name,
              preferred_username: sub, groups: [...user.groups],
            };
          },
        };
      },
      async loadExistingGrant(ctx) {
        const { oidc } = ctx;
        const accountId = oidc.session.accountId;
        if (!accountId) return undefined;
        const grantId = oidc.session.grantIdFor(oidc.client.clientId);
        let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
        if (!grant || grant.accountId !== accountId || grant.clientId !== oidc.client.clientId) {
          grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId });
        }
        grant.addOIDCScope('openid email profile groups');
        await grant.save();
        return grant;
      },
      async renderError(ctx, out) {
        ctx.type = 'html';
        ctx.body = page('Provider error', Object.entries(out)
            .map(([k, v]) => `<p><b>${escapeHtml(k)}</b>: <span class="error">${escapeHtml(v)}</span></p>`).join('\n'));
      },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        IdToken: 600,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
    });
    // The omitAuthTime knob: drop auth_time from the ID token payload before it is signed.
    const IdToken = provider.IdToken;
    const payload = IdToken.prototype.payload;
    IdToken.prototype.payload = async function payloadWithKnobs() {
      const p = await payload.call(this);
      if (idp.knobs.omitAuthTime) delete p.auth_time;
      return p;
    };
    provider.on('grant.success', (ctx) => {
      const idToken = ctx.body?.id_token;
      if (typeof idToken === 'string') {
        try {
          record(idp.idTokens, JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString('utf8')));
        } catch {
          // not a JWT: nothing to record
        }
      }
    });
    provider.on('server_error', (ctx, err) => {
      process.stderr.write(`oidc-idp: server_error: ${err?.stack ?? err}\n`);
    });
    return provider;
  }

  async init() {
    if (this.privateJwks) return;
    await super.init();
    this.privateJwks = [];
    for (const k of this.keys) {
      this.privateJwks.push({ ...(await exportJWK(k.privateKey)), kid: k.kid, alg: k.alg, use: 'sig' });
    }
  }

  /** Starts the provider on 127.0.0.1 (a free port unless one was given). */
  async start() {
    await this.init();
    if (this.server) return this;
    const server = http.createServer((req, res) => this.#handle(req, res));
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port ?? this.wantedPort, LOOPBACK, resolve);
    });
    this.server = server;
    this.port = server.address().port;
    // Redirect URIs may depend on ports known only now: build the provider after listening.
    this.provider = this.#buildProvider();
    this.callback = this.provider.callback();
    return this;
  }

  async stop() {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    });
  }

  async rotate() {
    throw new Error('OidcIdp does not rotate keys (use TokenIssuer for key-rotation tests)');
  }

  #handle(req, res) {
    let url;
    try {
      url = new URL(req.url, this.issuer);
    } catch {
      return sendHtml(res, 400, page('Bad request', '<p>Malformed request target.</p>'));
    }
    record(this.requests, {
      method: req.method, url: req.url, at: Date.now(), host: req.headers.host, userAgent: req.headers['user-agent'],
    });
    if (this.hostFromIssuer) req.headers.host = new URL(this.issuer).host;
    if (url.pathname === '/auth' && req.method === 'GET') record(this.authorizationRequests, url.searchParams);
    if (url.pathname === '/jwks') this.jwksFetches++;
    if (url.pathname === '/.well-known/openid-configuration') this.discoveryFetches++;
    if (url.pathname === '/token') {
      record(this.tokenRequests, { hasBasicAuth: /^basic /i.test(req.headers.authorization ?? '') });
    }
    const extra = this.extraRoutes.get(url.pathname);
    if (extra) return extra(req, res, url);
    if (this.knobs.issParam !== null) this.#rewriteIss(res, this.knobs.issParam);
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|otp|abort))?$/.exec(url.pathname);
    if (m) {
      this.#interaction(req, res, m[1], m[2]).catch((e) => {
        if (!res.headersSent) {
          sendHtml(res, 400, page('Sign-in error', `<p class="error">${escapeHtml(e.message)}</p>`));
        } else {
          res.destroy();
        }
      });
      return undefined;
    }
    return this.callback(req, res);
  }

  /** The issParam knob: authorization responses (redirects to a redirect_uri) name another issuer. */
  #rewriteIss(res, iss) {
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name, value) => {
      if (String(name).toLowerCase() === 'location' && typeof value === 'string' &&
          this.redirectUris.some((r) => value.startsWith(`${r}?`))) {
        const u = new URL(value);
        if (u.searchParams.has('iss')) u.searchParams.set('iss', iss);
        value = u.href;
      }
      return setHeader(name, value);
    };
  }

  // ---- interactions ------------------------------------------------------

  async #interaction(req, res, uid, action) {
    const details = await this.provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    const { prompt, params, session } = details;
    if (prompt.name !== 'login') throw new Error(`unexpected prompt ${prompt.name}`);
    const needsMfa = mfaRequested(params);
    // Only our MFA check asked, for a signed-in user: the code step alone.
    const passwordNeeded = !session?.accountId || prompt.reasons.some((r) => r !== 'stepgate_mfa');

    if (req.method === 'GET' && !action) {
      if (passwordNeeded) return this.#loginPage(res, details);
      if (this.knobs.weakAcr) {
        // The provider "skips" the second factor and finishes without authenticating
        // anyone again: the session keeps what it had (password only).
        return this.provider.interactionFinished(req, res, { stepgate: 'mfa-skipped' }, { mergeWithLastSubmission: false });
      }
      this.#setPending(uid, { accountId: session.accountId, mfaOnly: true });
      return this.#mfaPage(res, details);
    }
    if (req.method !== 'POST') throw new Error('method not allowed');
    const form = await readForm(req);

    if (action === 'abort') {
      this.pending.delete(uid);
      return this.provider.interactionFinished(req, res,
          { error: 'access_denied', error_description: 'End-User aborted the sign-in' }, { mergeWithLastSubmission: false });
    }

    if (action === 'login') {
      const username = form.get('username') ?? '';
      const user = Object.hasOwn(this.users, username) ? this.users[username] : undefined;
      if (!user || !crypto.timingSafeEqual(Buffer.from(crypto.createHash('sha256').update(form.get('password') ?? '').digest()),
          Buffer.from(crypto.createHash('sha256').update(user.password).digest()))) {
        return this.#loginPage(res, details, 'Wrong username or password.', username);
      }
      if (needsMfa && !this.knobs.weakAcr) {
        this.#setPending(uid, { accountId: user.sub, mfaOnly: false });
        return this.#mfaPage(res, details);
      }
      return this.#finishLogin(req, res, uid, user.sub, { acr: ACR_BASIC, amr: ['pwd'] });
    }

    if (action === 'otp') {
      const pending = this.pending.get(uid);
      if (!pending) throw new Error('no sign-in in progress for this code step');
      if ((form.get('otp') ?? '').trim() !== this.mfaCode) {
        return this.#mfaPage(res, details, 'Wrong code.');
      }
      this.pending.delete(uid);
      return this.#finishLogin(req, res, uid, pending.accountId, { acr: ACR_MFA, amr: ['pwd', 'otp'] });
    }
    throw new Error('unknown interaction step');
  }

  #setPending(uid, value) {
    this.pending.delete(uid);
    this.pending.set(uid, value);
    // Abandoned sign-ins: keep the newest MAX_RECORDS (a Map iterates oldest first).
    for (const key of this.pending.keys()) {
      if (this.pending.size <= MAX_RECORDS) break;
      this.pending.delete(key);
    }
  }

  async #finishLogin(req, res, uid, accountId, { acr, amr }) {
    const finalAccount = this.knobs.switchSubTo ?? accountId;
    record(this.interactionsShown, { uid, step: 'done', accountId: finalAccount, acr, amr });
    // ts omitted: loginTs = now, so auth_time moves with every login step.
    await this.provider.interactionFinished(req, res,
        { login: { accountId: finalAccount, acr, amr, remember: true } }, { mergeWithLastSubmission: false });
  }

  #loginPage(res, details, error, username) {
    const { uid, params, prompt } = details;
    record(this.interactionsShown, { uid, step: 'login', reasons: prompt.reasons });
    let hint = username ?? '';
    if (!hint && typeof params.login_hint === 'string') {
      const byEmail = Object.values(this.users).find((u) => u.email === params.login_hint);
      hint = byEmail ? byEmail.sub : params.login_hint;
    }
    const html = page('Sign in to the demo provider', `
${error ? `<p class="error" id="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" id="login-form">
<label>Username <input name="username" id="username" autocomplete="username" value="${escapeHtml(hint)}" required></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label>
<button type="submit" id="sign-in">Sign in</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit" id="abort">Cancel</button></form>
<p class="hint">Demo users: alice / alice-password, bob / bob-password.</p>`);
    sendHtml(res, 200, html);
  }

  #mfaPage(res, details, error) {
    const { uid, prompt } = details;
    record(this.interactionsShown, { uid, step: 'mfa', reasons: prompt.reasons });
    const html = page('Second factor', `
${error ? `<p class="error" id="error">${escapeHtml(error)}</p>` : ''}
<p>This page needs a stronger sign-in. Enter the one-time code from your authenticator.</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/otp" id="otp-form">
<label>One-time code <input name="otp" id="otp" inputmode="numeric" autocomplete="one-time-code" required></label>
<button type="submit" id="verify">Verify</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit" id="abort">Cancel</button></form>
<p class="hint">Demo code: ${escapeHtml(this.mfaCode)}</p>`);
    sendHtml(res, 200, html);
  }
}

/** Epoch seconds (exported for tests comparing auth_time). */
export { epoch };
