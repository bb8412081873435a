#!/usr/bin/env node
// A throw-away token provider for trying Stepgate's bearer-token half locally.
//
//   node demo/token-idp.mjs --port 9000
//
// Serves OIDC discovery and a JWKS (fresh keys at every start) on
// http://127.0.0.1:PORT, and mints tokens for two demo users:
//
//   GET /mint?user=alice               alice: password only (level basic)
//   GET /mint?user=bob&level=mfa       bob: password + OTP (level mfa), group admins
//   GET /mint?user=bob&level=basic     bob, password only: to watch a step-up challenge
//
// Optional query parameters: scope=reports:read (space or comma separated),
// auth_age=SECONDS (authentication that long ago; default 10), ttl=SECONDS
// (default 300), alg=RS256|ES256|PS256|EdDSA, format=json (claims + token).
// The token is returned as text/plain, so `TOKEN=$(curl -s ...)` works.
//
// This is a demo: no login, no secrets, keys live in memory only.

import { parseArgs } from 'node:util';

import { ACR_BASIC, ACR_MFA, TokenIssuer } from '../test/integration/lib/issuer.mjs';

const USERS = {
  alice: { sub: 'alice', email: 'alice@example.com', preferred_username: 'alice', groups: ['staff'], maxLevel: 'basic' },
  bob: { sub: 'bob', email: 'bob@example.com', preferred_username: 'bob', groups: ['staff', 'admins'], maxLevel: 'mfa' },
};
const LEVELS = {
  basic: { acr: ACR_BASIC, amr: ['pwd'] },
  mfa: { acr: ACR_MFA, amr: ['pwd', 'otp'] },
};
const ORDER = ['basic', 'mfa'];

function usage(code) {
  const text = 'usage: node demo/token-idp.mjs [--port 9000] [--audience stepgate-api]';
  (code ? console.error : console.log)(text);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string', default: '9000' },
      audience: { type: 'string', default: 'stepgate-api' },
      help: { type: 'boolean', short: 'h' },
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

const issuer = new TokenIssuer({ algs: ['RS256', 'ES256', 'PS256', 'EdDSA'], audience: args.audience });

function fail(res, status, message) {
  const body = JSON.stringify({ error: message }) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

issuer.extraRoutes.set('/mint', async (req, res, url) => {
  try {
    const q = url.searchParams;
    const user = USERS[q.get('user') ?? 'alice'];
    if (!user) return fail(res, 404, `unknown user; demo users: ${Object.keys(USERS).join(', ')}`);
    const level = q.get('level') ?? user.maxLevel;
    if (!LEVELS[level]) return fail(res, 400, `unknown level; levels: ${ORDER.join(', ')}`);
    if (ORDER.indexOf(level) > ORDER.indexOf(user.maxLevel)) {
      return fail(res, 403, `${user.sub} cannot reach level ${level} (at most ${user.maxLevel})`);
    }
    const num = (name, dflt) => {
      const v = q.get(name);
      if (v === null) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 86400 * 7) throw new RangeError(`${name} must be whole seconds`);
      return n;
    };
    const now = Math.floor(Date.now() / 1000);
    const ttl = num('ttl', 300);
    const authAge = num('auth_age', 10);
    const alg = q.get('alg') ?? undefined;
    if (alg && !issuer.keys.some((k) => k.alg === alg)) {
      return fail(res, 400, `alg must be one of ${issuer.keys.map((k) => k.alg).join(', ')}`);
    }
    const scope = q.get('scope')?.split(/[\s,]+/).filter(Boolean).join(' ');
    const claims = {
      sub: user.sub, email: user.email, preferred_username: user.preferred_username, groups: user.groups,
      acr: LEVELS[level].acr, amr: LEVELS[level].amr, iat: now, exp: now + ttl, auth_time: now - authAge,
      ...(scope ? { scope } : {}),
    };
    const token = await issuer.mint({ ...claims, alg });
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

await issuer.start({ port });
const base = issuer.issuer;
console.log(`token-idp: demo OpenID provider on ${base}
  discovery  ${issuer.discoveryUrl}
  JWKS       ${issuer.jwksUri}   (kids: ${issuer.keys.map((k) => `${k.kid} ${k.alg}`).join(', ')})
  mint       ${base}/mint?user=alice                 alice, level basic (acr ${ACR_BASIC})
             ${base}/mint?user=bob&level=mfa         bob, level mfa (acr ${ACR_MFA}), groups admins
             ${base}/mint?user=bob&level=basic       bob with password only (step-up demo)
             options: scope=reports:read auth_age=SECONDS ttl=SECONDS alg=ES256 format=json

Stepgate config for it:
  provider:
    issuer: ${base}
    client_id: stepgate
    client_secret: demo-unused
    audiences: [${args.audience}]
  levels:
    - { name: basic, acr: ["${ACR_BASIC}", "1"] }
    - { name: mfa, acr: ["${ACR_MFA}", "2"], amr_any: [mfa, otp, hwk] }

Try:
  TOKEN=$(curl -s '${base}/mint?user=alice')
  curl -i -H "Authorization: Bearer $TOKEN" -H 'X-Original-URL: https://app.example.com/api/x' \\
       -H 'X-Original-Method: GET' http://127.0.0.1:4180/auth
Ctrl-C to stop.`);

const shutdown = async () => {
  await issuer.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
