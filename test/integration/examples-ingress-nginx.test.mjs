// deploy/examples/ingress-nginx/ tested with a real nginx: the test reads the
// Ingress manifests, renders every Ingress the way the ingress-nginx controller
// renders auth-url / auth-signin / auth-response-headers and path types
// (lib/nginx.mjs), and checks what a browser, an API client and the
// application behind see, and what of Stepgate the public host publishes. Only
// the Stepgate address in auth-url and the backends are rewritten to the local
// processes; paths, pins, signin URL and header list are the manifests' own.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertStepUp } from './lib/challenge.mjs';
import { EchoServer } from './lib/echo.mjs';
import { ACR, ACR_VALUES, Stack } from './lib/env.mjs';
import { Nginx } from './lib/nginx.mjs';
import { makeTempDir, rawRequest, request, showResponse } from './lib/procs.mjs';
import { INTERNAL_ENDPOINTS, PUBLIC_PAGES, parseYamlDocuments } from './lib/manifests.mjs';
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
  const authHost = own.spec.rules[0].host;
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
      const authUrl = ann[`${A}auth-url`] && new URL(ann[`${A}auth-url`]);
      for (const rule of ing.spec.rules) {
        for (const p of rule.http.paths) {
          const backend = p.backend.service.name;
          assert.ok(['app', 'stepgate'].includes(backend), backend);
          rendered.push({
            name: `${ing.metadata.name}${p.path}`,
            host: rule.host,
            path: p.path,
            pathType: p.pathType,
            // Stepgate's own Ingress has none: its pages are the login.
            authUrl: authUrl && `${stack.stepgate.url}${authUrl.pathname}${authUrl.search}`,
            signinUrl: ann[`${A}auth-signin`],
            responseHeaders: ann[`${A}auth-response-headers`]?.split(',').map((s) => s.trim()),
            upstream: backend === 'stepgate' ? stack.stepgate.url : echo.url,
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

    test("Stepgate's own Ingress routes exactly its four browser pages under public_url, without auth", () => {
      assert.equal(own.spec.rules.length, 1);
      const r = own.spec.rules[0];
      assert.deepEqual(r.http.paths.map((p) => [`https://${r.host}${p.path}`, p.pathType]),
          PUBLIC_PAGES.map((page) => [`${publicUrl}${page}`, 'Exact']));
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

    test("the signin URL, through Stepgate's own Ingress, asks the provider for the pins", async () => {
      const redirect = await via('/dashboard');
      const loc = new URL(redirect.headers.location);
      assert.equal(loc.host, authHost);
      const res = await request(`${nginx.url}${loc.pathname}${loc.search}`, {
        headers: { Host: loc.host, Accept: 'text/html' },
      });
      assert.equal(res.status, 302, `${showResponse(res)}\n${await nginx.errorLog()}`);
      const idp = new URL(res.headers.location);
      assert.equal(`${idp.origin}${idp.pathname}`, `${stack.issuer.issuer}/authorize`, showResponse(res));
      assert.equal(idp.searchParams.get('acr_values'), ACR_VALUES.mfa, showResponse(res));
      assert.equal(idp.searchParams.get('max_age'), '300', showResponse(res));
      assert.equal(idp.searchParams.get('redirect_uri'), `${publicUrl.replace(/^https:/, 'http:')}/callback`);
    });
  });

  describe("Stepgate's own Ingress: the browser pages, nothing else", () => {
    const prefix = new URL(publicUrl).pathname;
    const viaAuth = (p, headers = {}) => request(`${nginx.url}${p}`, { headers: { Host: authHost, ...headers } });

    /** nginx's own 404 (the controller's default backend), not an answer of Stepgate's. */
    function assertNotPublished(res, what) {
      assert.equal(res.status, 404, `${what}\n${showResponse(res)}`);
      assert.match(res.body, /<center>nginx<\/center>/, `${what}: the 404 must be nginx's\n${showResponse(res)}`);
    }

    test('/auth, /forward-auth, /ext-authz/, /metrics and the probes under public_url: 404 from nginx', async () => {
      const spoof = { 'X-Original-URL': `https://${host}/dashboard`, 'X-Original-Method': 'GET',
        Authorization: `Bearer ${await stack.mfaToken()}` };
      for (const p of INTERNAL_ENDPOINTS) {
        for (const target of [`${prefix}${p}`, p]) assertNotPublished(await viaAuth(target, spoof), target);
      }
      for (const target of [prefix, `${prefix}/`, `${prefix}/start/`, `${prefix}/start/x`, '/']) {
        assertNotPublished(await viaAuth(target), target);
      }
    });

    test('the four pages reach Stepgate', async () => {
      const rd = encodeURIComponent(`http://${host}/dashboard`);
      const start = await viaAuth(`${prefix}/start?rd=${rd}`, { Accept: 'text/html' });
      assert.equal(start.status, 302, showResponse(start));
      const idp = new URL(start.headers.location);
      assert.equal(`${idp.origin}${idp.pathname}`, `${stack.issuer.issuer}/authorize`, showResponse(start));
      const whoami = await viaAuth(`${prefix}/whoami`);
      assert.equal(whoami.status, 401, showResponse(whoami));
      const logout = await viaAuth(`${prefix}/logout?rd=${rd}`);
      assert.equal(logout.status, 302, showResponse(logout));
      const callback = await viaAuth(`${prefix}/callback?state=x&code=y`, { Accept: 'text/html' });
      assert.equal(callback.status, 400, `Stepgate refuses a made-up state\n${showResponse(callback)}`);
      assert.doesNotMatch(callback.body, /<center>nginx<\/center>/, showResponse(callback));
    });

    test('a path nginx only normalizes to a page reaches Stepgate as sent: a decision endpoint refuses it', async () => {
      // The controller proxies the client's own request line; nginx matched its normalized
      // form, /stepgate/start. Stepgate reads /ext-authz/ + "/../../stepgate/start" and refuses
      // the dot segments (400, CONTRACT.md) instead of deciding on them.
      const raw = await rawRequest(nginx.port, `GET ${prefix}/ext-authz/../..${prefix}/start HTTP/1.1\r\n` +
          `Host: ${authHost}\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
      assert.equal(raw.status, 400, raw.raw);
      assert.equal(raw.headers.location, undefined, raw.raw);
      assert.doesNotMatch(raw.raw, /x-auth-request-/i);
    });
  });
});
