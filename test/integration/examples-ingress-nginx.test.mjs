// deploy/examples/ingress-nginx/ tested with a real nginx: the test reads the
// Ingress manifests, renders each protected Ingress the way the ingress-nginx
// controller renders auth-url / auth-signin / auth-response-headers
// (lib/nginx.mjs), and checks what a browser, an API client and the
// application behind see. Only the Stepgate address in auth-url is rewritten to
// the local process; pins, signin URL and header list are the manifests' own.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertStepUp } from './lib/challenge.mjs';
import { EchoServer } from './lib/echo.mjs';
import { ACR, ACR_VALUES, Stack } from './lib/env.mjs';
import { Nginx } from './lib/nginx.mjs';
import { makeTempDir, request, showResponse } from './lib/procs.mjs';
import { REPO_ROOT } from './lib/stepgate.mjs';

const MANIFEST = path.join(REPO_ROOT, 'deploy/examples/ingress-nginx/ingress.yaml');
const A = 'nginx.ingress.kubernetes.io/';
const now = () => Math.floor(Date.now() / 1000);

describe('deploy/examples/ingress-nginx through a real nginx', () => {
  const docs = parseYamlDocuments(fs.readFileSync(MANIFEST, 'utf8'));
  const ingresses = docs.filter((d) => d?.kind === 'Ingress');
  const byName = Object.fromEntries(ingresses.map((i) => [i.metadata.name, i]));
  const browser = byName['app-browser'];
  const api = byName['app-api'];
  const own = byName.stepgate;
  const host = browser.spec.rules[0].host;
  const apiPath = api.spec.rules[0].http.paths[0].path;

  // Stepgate's public_url is the origin + path the manifests route to it.
  const signin = new URL(browser.metadata.annotations[`${A}auth-signin`]);
  const publicUrl = `${signin.origin}${signin.pathname.replace(/\/start$/, '')}`;

  const stack = new Stack({
    withNginx: false,
    // http, so that a test client without TLS can follow what the manifests describe.
    stepgateOverrides: { public_url: publicUrl.replace(/^https:/, 'http:') },
  });
  let echo;
  let nginx;

  before(async () => {
    await stack.start();
    echo = await new EchoServer().start();
    const rendered = [];
    for (const ing of ingresses) {
      const ann = ing.metadata.annotations ?? {};
      if (!ann[`${A}auth-url`]) continue; // Stepgate's own Ingress: no auth
      const authUrl = new URL(ann[`${A}auth-url`]);
      for (const rule of ing.spec.rules) {
        for (const p of rule.http.paths) {
          rendered.push({
            name: ing.metadata.name,
            host: rule.host,
            path: p.path,
            authUrl: `${stack.stepgate.url}${authUrl.pathname}${authUrl.search}`,
            signinUrl: ann[`${A}auth-signin`],
            responseHeaders: ann[`${A}auth-response-headers`]?.split(',').map((s) => s.trim()),
            upstream: echo.url,
          });
        }
      }
    }
    nginx = new Nginx({ dir: await makeTempDir('stepgate-ex-nginx-'), ingresses: rendered });
    await nginx.start();
  });

  after(async () => {
    await nginx?.stop();
    await echo?.stop();
    await stack.stop(); // also killAll() + temp dirs
  });

  const via = (p, { token, headers = {} } = {}) => {
    const h = { Host: host, ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    return request(`${nginx.url}${p}`, { headers: h });
  };

  function upstreamSaw(res, what = '') {
    assert.equal(res.status, 200, `${what}\n${showResponse(res)}`);
    const body = res.json();
    assert.equal(body.upstream, 'echo', `${what}\n${showResponse(res)}`);
    return body.headers;
  }

  describe('the manifests', () => {
    test('browser and API Ingresses share the host and pin the same requirement', () => {
      assert.equal(api.spec.rules[0].host, host);
      const pins = (ing) => new URL(ing.metadata.annotations[`${A}auth-url`]).search;
      assert.equal(pins(browser), '?level=mfa&max_age=300');
      assert.equal(pins(api), pins(browser));
    });

    test('auth-signin carries the same pins as auth-url; the API Ingress has no auth-signin', () => {
      const authUrl = new URL(browser.metadata.annotations[`${A}auth-url`]);
      assert.equal(signin.search, authUrl.search);
      assert.equal(signin.pathname.endsWith('/start'), true);
      assert.equal(api.metadata.annotations[`${A}auth-signin`], undefined);
    });

    test("Stepgate's own Ingress routes public_url's path, without auth annotations", () => {
      const r = own.spec.rules[0];
      assert.equal(`https://${r.host}${r.http.paths[0].path}`, publicUrl);
      assert.equal(Object.keys(own.metadata.annotations ?? {}).some((k) => k.startsWith(`${A}auth-`)), false);
    });
  });

  describe(`API Ingress (${apiPath}, no auth-signin)`, () => {
    test('no credentials: 401, not a redirect; the application is not reached', async () => {
      const res = await via(`${apiPath}/orders`);
      assert.equal(res.status, 401, showResponse(res));
      assert.equal(res.headers.location, undefined);
      assert.notEqual(res.headers['x-upstream'], 'echo');
    });

    test('password-only token: 401 with the RFC 9470 challenge of the pins (mfa, max_age=300)', async () => {
      const res = await via(`${apiPath}/orders`, { token: await stack.basicToken() });
      assertStepUp(res, { acrValues: ACR_VALUES.mfa, maxAge: 300 }, 'through nginx');
    });

    test('MFA token older than max_age: 401 step-up, max_age=300', async () => {
      const res = await via(`${apiPath}/orders`, { token: await stack.mfaToken({ auth_time: now() - 900 }) });
      assertStepUp(res, { acrValues: ACR_VALUES.mfa, maxAge: 300 });
    });

    test('a Host that would change X-Original-URL never gets the public rule', async () => {
      // X-Original-URL is $scheme://$http_host$request_uri: nginx must refuse such a Host.
      for (const bad of [`${host}/public/x?`, `${host}/public/x#`, `x@${host}`]) {
        const res = await request(`${nginx.url}${apiPath}/orders`, { headers: { Host: bad } });
        assert.notEqual(res.status, 200, `${JSON.stringify(bad)}\n${showResponse(res)}`);
        assert.notEqual(res.headers['x-upstream'], 'echo');
      }
    });

    test("fresh MFA token: the application sees the identity headers, not the client's own", async () => {
      const authTime = now() - 20;
      const res = await via(`${apiPath}/orders?page=2`, {
        token: await stack.mfaToken({ auth_time: authTime }),
        headers: { 'X-Auth-Request-User': 'mallory', 'X-Auth-Request-Groups': 'admins' },
      });
      const h = upstreamSaw(res);
      const ctx = JSON.stringify(h);
      assert.equal(h['x-auth-request-user'], 'bob', ctx);
      assert.equal(h['x-auth-request-email'], 'bob@example.com', ctx);
      assert.equal(h['x-auth-request-preferred-username'], 'bob', ctx);
      assert.equal(h['x-auth-request-groups'], 'dev', ctx);
      assert.equal(h['x-auth-request-level'], 'mfa', ctx);
      assert.equal(h['x-auth-request-acr'], ACR.mfa, ctx);
      assert.equal(h['x-auth-request-amr'], 'pwd,otp', ctx);
      assert.equal(h['x-auth-request-auth-time'], String(authTime), ctx);
    });
  });

  describe('browser Ingress (/, with auth-signin)', () => {
    test('no session: 302 to auth-signin with rd = the absolute original URL, and the pins', async () => {
      const res = await via('/dashboard?tab=1&x=%2F');
      assert.equal(res.status, 302, showResponse(res));
      const loc = new URL(res.headers.location);
      assert.equal(`${loc.origin}${loc.pathname}`, `${signin.origin}${signin.pathname}`);
      assert.equal(loc.searchParams.get('level'), 'mfa');
      assert.equal(loc.searchParams.get('max_age'), '300');
      assert.equal(loc.searchParams.get('rd'), `http://${host}/dashboard?tab=1&x=%2F`);
      assert.notEqual(res.headers['x-upstream'], 'echo');
    });

    test('auth-signin converts every 401, API calls included: why /api has its own Ingress', async () => {
      const res = await via('/dashboard', { token: await stack.basicToken() });
      assert.equal(res.status, 302, `a bearer token on the browser Ingress is redirected too\n${showResponse(res)}`);
      assert.match(res.headers.location, /\/start\?/);
    });

    test('allowed requests carry the identity headers to the application', async () => {
      const h = upstreamSaw(await via('/dashboard', { token: await stack.mfaToken() }));
      assert.equal(h['x-auth-request-user'], 'bob', JSON.stringify(h));
      assert.equal(h['x-auth-request-level'], 'mfa', JSON.stringify(h));
    });

    test("the signin URL, served under Stepgate's own Ingress path, asks the provider for the pins", async () => {
      const redirect = await via('/dashboard');
      const loc = new URL(redirect.headers.location);
      // What the stepgate Ingress forwards: the same path and query, to Stepgate.
      const res = await request(`${stack.stepgate.url}${loc.pathname}${loc.search}`, {
        headers: { Host: loc.host, Accept: 'text/html' },
      });
      assert.equal(res.status, 302, showResponse(res));
      const idp = new URL(res.headers.location);
      assert.equal(`${idp.origin}${idp.pathname}`, `${stack.issuer.issuer}/authorize`, showResponse(res));
      assert.equal(idp.searchParams.get('acr_values'), ACR_VALUES.mfa, showResponse(res));
      assert.equal(idp.searchParams.get('max_age'), '300', showResponse(res));
      assert.equal(idp.searchParams.get('redirect_uri'), `${publicUrl.replace(/^https:/, 'http:')}/callback`);
    });
  });
});

// ---------------------------------------------------------------------------
// A reader for the YAML subset the example manifests use: block mappings and
// sequences, flow sequences of scalars, quoted and plain scalars, `|` blocks,
// comments, `---` documents. It throws on anything else, so a manifest that
// leaves the subset fails loudly instead of being misread.
// (The same reader is in examples-reproduced.test.mjs: test files may not
// import each other.)

function parseYamlDocuments(text) {
  return text.split(/^---[ \t]*$/m).map(parseYamlDocument).filter((d) => d !== undefined);
}

function parseYamlDocument(text) {
  const lines = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const stripped = stripComment(raw[i]).replace(/\s+$/, '');
    if (!stripped.trim()) continue;
    const indent = stripped.length - stripped.trimStart().length;
    let body = stripped.trimStart();
    if (/(^-|:)\s+\|$/.test(body)) {
      // literal block scalar: the following more-indented lines, verbatim
      const out = [];
      let j = i + 1;
      let blockIndent = null;
      for (; j < raw.length; j++) {
        const l = raw[j];
        if (!l.trim()) { out.push(''); continue; }
        const ind = l.length - l.trimStart().length;
        if (ind <= indent) break;
        blockIndent ??= ind;
        out.push(l.slice(blockIndent));
      }
      while (out.length && out[out.length - 1] === '') out.pop();
      body = body.replace(/\|$/, JSON.stringify(out.join('\n') + '\n'));
      i = j - 1;
    }
    lines.push({ indent, text: body });
  }
  if (!lines.length) return undefined;
  const [value, next] = parseBlock(lines, 0, lines[0].indent);
  if (next !== lines.length) throw new Error(`YAML subset: unexpected line: ${lines[next].text}`);
  return value;
}

function stripComment(line) {
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if ((c === '"' || c === "'") && (i === 0 || /[\s[,:{-]/.test(line[i - 1]))) quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

function parseBlock(lines, i, indent) {
  if (lines[i].text === '-' || lines[i].text.startsWith('- ')) return parseSequence(lines, i, indent);
  return parseMapping(lines, i, indent);
}

function parseSequence(lines, i, indent) {
  const out = [];
  while (i < lines.length && lines[i].indent === indent && (lines[i].text === '-' || lines[i].text.startsWith('- '))) {
    const rest = lines[i].text.slice(1).replace(/^\s+/, '');
    if (!rest) {
      const [v, n] = parseBlock(lines, i + 1, lines[i + 1].indent);
      out.push(v);
      i = n;
    } else if (splitKey(rest)) {
      // "- key: value" starts a mapping whose keys sit at the column of "key"
      const col = indent + (lines[i].text.length - rest.length);
      lines[i] = { indent: col, text: rest };
      const [v, n] = parseMapping(lines, i, col);
      out.push(v);
      i = n;
    } else {
      out.push(parseScalar(rest));
      i++;
    }
  }
  return [out, i];
}

function parseMapping(lines, i, indent) {
  const out = {};
  while (i < lines.length && lines[i].indent === indent) {
    const kv = splitKey(lines[i].text);
    if (!kv) throw new Error(`YAML subset: expected "key: value": ${lines[i].text}`);
    const [key, rest] = kv;
    if (rest !== '') {
      out[key] = parseScalar(rest);
      i++;
    } else if (i + 1 < lines.length && (lines[i + 1].indent > indent ||
        (lines[i + 1].indent === indent && lines[i + 1].text.startsWith('- ')))) {
      const [v, n] = parseBlock(lines, i + 1, lines[i + 1].indent);
      out[key] = v;
      i = n;
    } else {
      out[key] = null;
      i++;
    }
  }
  if (i < lines.length && lines[i].indent > indent) {
    throw new Error(`YAML subset: unexpected indentation: ${lines[i].text}`);
  }
  return [out, i];
}

/** "key: rest" → [key, rest]; null when the text is not a mapping entry. */
function splitKey(text) {
  let key;
  let rest;
  if (text[0] === '"' || text[0] === "'") {
    const end = text.indexOf(text[0], 1);
    if (end < 0) return null;
    key = parseScalar(text.slice(0, end + 1));
    rest = text.slice(end + 1);
    if (!/^:(\s|$)/.test(rest)) return null;
    rest = rest.slice(1);
  } else {
    const m = /^([^\s:[\]{},"'][^:]*?):(?:\s+|$)(.*)$/.exec(text);
    if (!m) return null;
    key = m[1];
    rest = m[2];
  }
  return [key, rest.trim()];
}

function parseScalar(s) {
  s = s.trim();
  if (s.startsWith('"')) return JSON.parse(s);
  if (s.startsWith("'")) {
    if (!s.endsWith("'")) throw new Error(`YAML subset: unterminated string: ${s}`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new Error(`YAML subset: flow sequence on one line only: ${s}`);
    const inner = s.slice(1, -1).trim();
    return inner ? splitFlow(inner).map(parseScalar) : [];
  }
  if (s.startsWith('{')) throw new Error(`YAML subset: no flow mappings: ${s}`);
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === 'null' || s === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  return s;
}

function splitFlow(s) {
  const parts = [];
  let quote = null;
  let cur = '';
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = null;
      cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}
