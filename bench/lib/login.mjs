// Gets a real Stepgate session cookie the way a browser would, without a browser: the
// authorization-code flow through Stepgate's /start and /callback against the benchmark's
// provider (test/integration/lib/oidc-idp.mjs), signing in as alice with her password.
// Prints the Cookie header value that carries the session (one line) on stdout.
//
//   node bench/lib/login.mjs --stepgate-url URL [--user alice --password alice-password]

import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    'stepgate-url': { type: 'string' },
    user: { type: 'string', default: 'alice' },
    password: { type: 'string', default: 'alice-password' },
  },
});
const stepgate = args['stepgate-url'];
if (!stepgate) {
  process.stderr.write('login.mjs: --stepgate-url is required\n');
  process.exit(2);
}

// Cookies are per host, not per port: one jar for everything on 127.0.0.1, as a browser has.
const jar = new Map();
let sessionCookies = new Map(); // what Stepgate's /callback set

function remember(response, intoSession) {
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === '';
    if (expired) {
      jar.delete(name);
      if (intoSession) sessionCookies.delete(name);
    } else {
      jar.set(name, value);
      if (intoSession) sessionCookies.set(name, value);
    }
  }
}

const cookieHeader = (cookies) => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');

async function go(url, { method = 'GET', body, intoSession = false } = {}) {
  const headers = {};
  if (jar.size) headers.cookie = cookieHeader(jar);
  if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(url, { method, headers, body, redirect: 'manual' });
  remember(response, intoSession);
  return response;
}

function fail(message) {
  process.stderr.write(`login.mjs: ${message}\n`);
  process.exit(1);
}

// 1. Stepgate /start: 302 to the provider, with the flow cookie.
let response = await go(`${stepgate}/start?rd=${encodeURIComponent('/')}`);
if (response.status !== 302) fail(`/start answered ${response.status}`);
let location = response.headers.get('location');

// 2. Follow the provider's redirects to its login page; post the password; follow its
//    redirects until it sends the browser back to Stepgate's /callback.
let posted = false;
for (let hop = 0; hop < 20; hop++) {
  const url = new URL(location, response.url || location);
  if (url.href.startsWith(`${stepgate}/callback`)) {
    response = await go(url.href, { intoSession: true });
    if (response.status !== 302) fail(`/callback answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    if (sessionCookies.size === 0) fail('/callback set no session cookie');
    process.stdout.write(cookieHeader(sessionCookies) + '\n');
    process.exit(0);
  }
  response = await go(url.href);
  if (response.status >= 300 && response.status < 400) {
    location = new URL(response.headers.get('location'), url).href;
    continue;
  }
  const html = await response.text();
  const form = /<form method="post" action="([^"]+\/login)"/.exec(html);
  if (response.status !== 200 || !form || posted) fail(`unexpected page at ${url.pathname}: ${response.status}`);
  posted = true;
  response = await go(new URL(form[1], url).href, {
    method: 'POST',
    body: new URLSearchParams({ username: args.user, password: args.password }).toString(),
  });
  if (response.status < 300 || response.status >= 400) fail(`login answered ${response.status}`);
  location = new URL(response.headers.get('location'), url).href;
}
fail('too many redirects');
