#!/usr/bin/env node
// A demo OpenID provider for trying Stepgate's browser half (and its bearer half)
// locally: a real provider (npm oidc-provider) with a login page, a one-time-code
// step for step-up, RP-initiated logout, and a /mint endpoint for bearer tokens.
//
//   node demo/oidc-idp.mjs --port 9000 --redirect-uri http://127.0.0.1:8080/stepgate/callback
//
// Options (repeatable ones may be given several times):
//   --port N                      default 9000 (127.0.0.1 only)
//   --redirect-uri URL            Stepgate's <public_url>/callback (required for browser logins)
//   --post-logout-redirect-uri URL  where /logout may send the browser back (default: the origin
//                                 of each redirect URI, with a trailing /)
//   --client-id ID                default stepgate
//   --client-secret SECRET        default demo-client-secret
//   --token-endpoint-auth METHOD  client_secret_basic (default) | client_secret_post
//   --audience AUD                `aud` of minted bearer tokens, default stepgate-api
//
// Users: alice / alice-password (groups staff), bob / bob-password (groups staff, admins).
// The one-time code is 123456; it is asked only when Stepgate asks for the mfa level
// (acr_values urn:stepgate:loa:mfa or 2). Keys and sessions live in memory only.
//
// Bearer tokens:
//   GET /mint?user=alice               alice: password only (level basic)
//   GET /mint?user=bob&level=mfa       bob: password + OTP (level mfa), group admins
//   GET /mint?user=bob&level=basic     bob, password only: to watch a step-up challenge
// Optional: scope=reports:read, auth_age=SECONDS (default 10), ttl=SECONDS (default 300),
// alg=RS256|ES256|PS256|EdDSA, format=json. text/plain, so `TOKEN=$(curl -s ...)` works.

import { parseArgs } from 'node:util';

import { ACR_BASIC, ACR_MFA, MFA_CODE, OidcIdp, USERS } from '../test/integration/lib/oidc-idp.mjs';

// What /mint may sign for each user: alice has no second factor here.
const MINT_MAX_LEVEL = { alice: 'basic', bob: 'mfa' };
const LEVELS = {
  basic: { acr: ACR_BASIC, amr: ['pwd'] },
  mfa: { acr: ACR_MFA, amr: ['pwd', 'otp'] },
};
const ORDER = ['basic', 'mfa'];

function usage(code) {
  const text = 'usage: node demo/oidc-idp.mjs [--port 9000] --redirect-uri URL [--redirect-uri URL ...]\n' +
      '         [--post-logout-redirect-uri URL ...] [--client-id stepgate] [--client-secret SECRET]\n' +
      '         [--token-endpoint-auth client_secret_basic|client_secret_post] [--audience stepgate-api]';
  (code ? console.error : console.log)(text);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      'port': { type: 'string', default: '9000' },
      'redirect-uri': { type: 'string', multiple: true, default: [] },
      'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
      'client-id': { type: 'string', default: 'stepgate' },
      'client-secret': { type: 'string', default: 'demo-client-secret' },
      'token-endpoint-auth': { type: 'string', default: 'client_secret_basic' },
      'audience': { type: 'string', default: 'stepgate-api' },
      'help': { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (e) {
  console.error(e.message);
  usage(2);
}
if (args.help) usage(0);
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port ${args.port}`);
  usage(2);
}
if (!['client_secret_basic', 'client_secret_post'].includes(args['token-endpoint-auth'])) {
  console.error(`invalid --token-endpoint-auth ${args['token-endpoint-auth']}`);
  usage(2);
}
const redirectUris = args['redirect-uri'];
for (const u of [...redirectUris, ...args['post-logout-redirect-uri']]) {
  try {
    new URL(u);
  } catch {
    console.error(`not an absolute URL: ${u}`);
    usage(2);
  }
}
const postLogout = args['post-logout-redirect-uri'].length ? args['post-logout-redirect-uri'] :
  [...new Set(redirectUris.map((u) => `${new URL(u).origin}/`))];

const idp = new OidcIdp({
  port,
  clientId: args['client-id'],
  clientSecret: args['client-secret'],
  redirectUris,
  postLogoutRedirectUris: postLogout,
  tokenEndpointAuthMethod: args['token-endpoint-auth'],
  algs: ['RS256', 'ES256', 'PS256', 'EdDSA'],
  audience: args.audience,
});

function fail(res, status, message) {
  const body = JSON.stringify({ error: message }) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

idp.extraRoutes.set('/mint', async (req, res, url) => {
  try {
    if (req.method !== 'GET') return fail(res, 405, 'GET only');
    const q = url.searchParams;
    const name = q.get('user') ?? 'alice';
    const user = Object.hasOwn(USERS, name) ? USERS[name] : undefined;
    if (!user) return fail(res, 404, `unknown user; demo users: ${Object.keys(USERS).join(', ')}`);
    const maxLevel = MINT_MAX_LEVEL[name];
    const level = q.get('level') ?? maxLevel;
    if (!Object.hasOwn(LEVELS, level)) return fail(res, 400, `unknown level; levels: ${ORDER.join(', ')}`);
    if (ORDER.indexOf(level) > ORDER.indexOf(maxLevel)) {
      return fail(res, 403, `${user.sub} cannot reach level ${level} (at most ${maxLevel})`);
    }
    const num = (n, dflt) => {
      const v = q.get(n);
      if (v === null) return dflt;
      const x = Number(v);
      if (!Number.isInteger(x) || x < 0 || x > 86400 * 7) throw new RangeError(`${n} must be whole seconds`);
      return x;
    };
    const now = Math.floor(Date.now() / 1000);
    const ttl = num('ttl', 300);
    const authAge = num('auth_age', 10);
    const alg = q.get('alg') ?? undefined;
    if (alg && !idp.keys.some((k) => k.alg === alg)) {
      return fail(res, 400, `alg must be one of ${idp.keys.map((k) => k.alg).join(', ')}`);
    }
    const scope = q.get('scope')?.split(/[\s,]+/).filter(Boolean).join(' ');
    const claims = {
      sub: user.sub, email: user.email, preferred_username: user.sub, groups: user.groups,
      acr: LEVELS[level].acr, amr: LEVELS[level].amr, iat: now, exp: now + ttl, auth_time: now - authAge,
      ...(scope ? { scope } : {}),
    };
    const token = await idp.mint({ ...claims, alg });
    if (q.get('format') === 'json') {
      const body = JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: ttl, claims }, null, 2) + '\n';
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(body);
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
    return res.end(token + '\n');
  } catch (e) {
    return fail(res, e instanceof RangeError ? 400 : 500, e.message);
  }
});

try {
  await idp.start();
} catch (e) {
  console.error(`oidc-idp: cannot listen on 127.0.0.1:${port}: ${e.message}`);
  process.exit(1);
}
const base = idp.issuer;
const publicUrl = redirectUris[0]?.replace(/\/callback$/, '') ?? 'http://127.0.0.1:8080/stepgate';
console.log(`oidc-idp: demo OpenID provider on ${base}
  discovery      ${idp.discoveryUrl}
  authorization  ${idp.authorizationEndpoint}   (login page; one-time-code page for mfa)
  token          ${base}/token   (${args['token-endpoint-auth']}, PKCE S256 required)
  end session    ${idp.endSessionEndpoint}
  JWKS           ${idp.jwksUri}   (kids: ${idp.keys.map((k) => `${k.kid} ${k.alg}`).join(', ')})
  client         ${args['client-id']} / ${args['client-secret']}
  redirect URIs  ${redirectUris.length ? redirectUris.join(', ') : '(none: browser logins will be refused; pass --redirect-uri)'}
  after logout   ${postLogout.length ? postLogout.join(', ') : '(none)'}

Users (browser sign-in):
  alice / alice-password     groups staff
  bob   / bob-password       groups staff, admins
  one-time code: ${MFA_CODE}   (asked only when the mfa level is asked for)

Bearer tokens:
  ${base}/mint?user=alice                 alice, level basic (acr ${ACR_BASIC})
  ${base}/mint?user=bob&level=mfa         bob, level mfa (acr ${ACR_MFA}), groups admins
  ${base}/mint?user=bob&level=basic       bob with password only (step-up demo)
  options: scope=reports:read auth_age=SECONDS ttl=SECONDS alg=ES256 format=json

Stepgate config for it:
  public_url: ${publicUrl}
  provider:
    issuer: ${base}
    client_id: ${args['client-id']}
    client_secret: ${args['client-secret']}
    audiences: [${args.audience}]${args['token-endpoint-auth'] === 'client_secret_post' ? '\n    token_endpoint_auth: client_secret_post' : ''}
  session: { secret: <stepgate secret>, secure: false }
  levels:
    - { name: basic, acr: ["${ACR_BASIC}", "1"] }
    - { name: mfa, acr: ["${ACR_MFA}", "2"], amr_any: [mfa, otp, hwk] }
Ctrl-C to stop.`);

const shutdown = async () => {
  await idp.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
