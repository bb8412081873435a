// deploy/examples/haproxy/ end to end: Debian's HAProxy runs the shipped
// haproxy.cfg and stepgate.lua unchanged (environment variables fill the
// addresses), in front of the echo upstream, asking a real Stepgate whose
// tokens the test issuer mints. A second HAProxy runs the same files against a
// scripted stand-in for Stepgate, for the answers a healthy Stepgate never
// gives (several Set-Cookie, 400, a redirect) and to see the exact check
// request the Lua action sends.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertInvalidToken, assertStepUp } from './lib/challenge.mjs';
import { EchoServer, rawHeaderValues } from './lib/echo.mjs';
import { ACR_VALUES, Stack } from './lib/env.mjs';
import { HAProxy } from './lib/haproxy.mjs';
import { INTERNAL_ENDPOINTS, PUBLIC_PAGES } from './lib/manifests.mjs';
import { LOOPBACK, makeTempDir, request, showResponse } from './lib/procs.mjs';
import { REPO_ROOT } from './lib/stepgate.mjs';

const EXAMPLE = path.join(REPO_ROOT, 'deploy/examples/haproxy');
const APP = 'app.example.com';
const AUTH_HOST = 'auth.example.com';
const START = `https://${AUTH_HOST}/stepgate/start`;
const now = () => Math.floor(Date.now() / 1000);

describe('deploy/examples/haproxy: haproxy.cfg + stepgate.lua in a real HAProxy', () => {
  // public_url with a path, as in deploy/kubernetes: Stepgate also serves under /stepgate.
  const stack = new Stack({ withNginx: false, stepgateOverrides: { public_url: `http://${AUTH_HOST}/stepgate` } });
  let echo;
  let haproxy;
  let stub;
  let stubHaproxy;
  let env;

  before(async () => {
    await stack.start();
    echo = await new EchoServer().start();
    stub = await new StubStepgate().start();
    env = (stepgateAddr, lua = path.join(EXAMPLE, 'stepgate.lua')) => ({
      STEPGATE_LUA: lua,
      STEPGATE_ADDR: stepgateAddr,
      STEPGATE_START: START,
      STEPGATE_HOST: AUTH_HOST,
      APP_ADDR: `${LOOPBACK}:${echo.port}`,
    });
    haproxy = await new HAProxy({ dir: await makeTempDir('stepgate-ex-haproxy-'),
      config: path.join(EXAMPLE, 'haproxy.cfg'), env: env(`${LOOPBACK}:${stack.stepgate.port}`) }).start();
    stubHaproxy = await new HAProxy({ dir: await makeTempDir('stepgate-ex-haproxy-stub-'), name: 'haproxy-stub',
      config: path.join(EXAMPLE, 'haproxy.cfg'), env: env(`${LOOPBACK}:${stub.port}`) }).start();
  });

  after(async () => {
    await haproxy?.stop();
    await stubHaproxy?.stop();
    await stub?.stop();
    await echo?.stop();
    await stack.stop(); // also killAll() + temp dirs
  });

  const via = (proxy, p, { method = 'GET', token, headers = {} } = {}) => {
    const h = { Host: APP, ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    return request(`${proxy.url}${p}`, { method, headers: h });
  };

  function upstreamSaw(res, what = '') {
    assert.equal(res.status, 200, `${what}\n${showResponse(res)}\n${haproxy.logs()}`);
    const body = res.json();
    assert.equal(body.upstream, 'echo', `${what}\n${showResponse(res)}`);
    return body;
  }

  function notReached(res, status, what = '') {
    assert.equal(res.status, status, `${what}\n${showResponse(res)}`);
    assert.notEqual(res.headers['x-upstream'], 'echo', `the application must not be reached ${what}`);
  }

  const spoofs = {
    'X-Auth-Request-User': 'mallory',
    'X-Auth-Request-Groups': 'admins',
    'X-Auth-Request_Level': 'mfa',
    'x-auth-request-email': 'mallory@example.com',
  };
  const identityHeadersOf = (up) => Object.keys(up.headers).filter((k) => k.replace(/_/g, '-').startsWith('x-auth-request-'));

  describe('with Stepgate', () => {
    test('no pins (rules decide): anonymous on the public rule is allowed, spoofed identity headers removed', async () => {
      const up = upstreamSaw(await via(haproxy, '/public/index.html', { headers: spoofs }));
      assert.deepEqual(identityHeadersOf(up), [], JSON.stringify(up.headers));
      assert.equal(up.url, '/public/index.html');
    });

    test("allow: the application sees Stepgate's identity headers and none of the client's", async () => {
      const authTime = now() - 30;
      const up = upstreamSaw(await via(haproxy, '/orders/7?expand=1', {
        token: await stack.basicToken({ auth_time: authTime }), headers: spoofs }));
      const h = up.headers;
      const ctx = JSON.stringify(h);
      assert.equal(h['x-auth-request-user'], 'alice', ctx);
      assert.equal(h['x-auth-request-email'], 'alice@example.com', ctx);
      assert.equal(h['x-auth-request-groups'], 'dev,ops', ctx);
      assert.equal(h['x-auth-request-level'], 'basic', ctx);
      assert.equal(h['x-auth-request-auth-time'], String(authTime), ctx);
      assert.deepEqual(rawHeaderValues(up.rawHeaders, 'x-auth-request-user'), ['alice'], 'exactly one, Stepgate\'s');
      assert.equal(h['x-auth-request_level'], undefined, `underscore spelling removed: ${ctx}`);
      assert.equal(up.url, '/orders/7?expand=1');
    });

    test('pins from the action argument (/payments/: level=mfa&max_age=300): a password-only token gets RFC 9470', async () => {
      const res = await via(haproxy, '/payments/charge', { token: await stack.basicToken() });
      assertStepUp(res, { acrValues: ACR_VALUES.mfa, maxAge: 300 }, 'through HAProxy');
      assert.notEqual(res.headers['x-upstream'], 'echo');
    });

    test('pins: a fresh MFA token is allowed on /payments/, a stale one must step up', async () => {
      const up = upstreamSaw(await via(haproxy, '/payments/charge', { token: await stack.mfaToken() }));
      assert.equal(up.headers['x-auth-request-user'], 'bob');
      assert.equal(up.headers['x-auth-request-level'], 'mfa');
      assertStepUp(await via(haproxy, '/payments/charge', { token: await stack.mfaToken({ auth_time: now() - 600 }) }),
          { acrValues: ACR_VALUES.mfa, maxAge: 300 }, 'stale');
    });

    test('pins policy=admin (/admin/): MFA without the admins group gets 403; with it, 200', async () => {
      notReached(await via(haproxy, '/admin/users', { token: await stack.mfaToken() }), 403, 'no admins group');
      upstreamSaw(await via(haproxy, '/admin/users', { token: await stack.mfaToken({ groups: ['admins'] }) }));
    });

    test('an invalid bearer token gets 401 invalid_token, never a redirect', async () => {
      const res = await via(haproxy, '/orders', { token: 'not-a-jwt', headers: { Accept: 'text/html' } });
      assertInvalidToken(res);
      assert.equal(res.headers.location, undefined);
    });

    test('a browser without a session: 302 to /start with rd = the absolute original URL, and the pins', async () => {
      const res = await via(haproxy, '/payments/charge?amount=10&note=a%20b', { headers: { Accept: 'text/html' } });
      notReached(res, 302);
      const loc = new URL(res.headers.location);
      assert.equal(`${loc.origin}${loc.pathname}`, START);
      assert.equal(loc.searchParams.get('rd'), `http://${APP}/payments/charge?amount=10&note=a%20b`);
      assert.equal(loc.searchParams.get('level'), 'mfa');
      assert.equal(loc.searchParams.get('max_age'), '300');
      assert.match(res.headers.location, /\?rd=http%3A%2F%2Fapp\.example\.com%2Fpayments%2Fcharge%3Famount%3D10%26note%3Da%2520b&/,
          'rd percent-encoded as a whole');
    });

    test('a browser on an unpinned route: the /start URL carries no pins', async () => {
      const res = await via(haproxy, '/orders', { headers: { Accept: 'text/html' } });
      notReached(res, 302);
      const loc = new URL(res.headers.location);
      assert.deepEqual([...loc.searchParams.keys()], ['rd']);
    });

    test('a script asking for JSON gets 401 with the /start URL instead of a redirect', async () => {
      const res = await via(haproxy, '/payments/charge', { headers: { Accept: 'application/json' } });
      notReached(res, 401);
      const start = new URL(res.json().start_url);
      assert.equal(start.searchParams.get('rd'), `http://${APP}/payments/charge`);
      assert.equal(start.searchParams.get('level'), 'mfa');
    });

    test('a Host that would change the checked URL is refused (400), never decided on', async () => {
      // Without the check, "Host: app.example.com/public/x?" made the X-Original-URL
      // http://app.example.com/public/x?/api/vault/x: the public rule for a vault path.
      for (const host of [`${APP}/public/x?`, `${APP}/public/x#`, `x@${APP}`, `${APP} /public/`, `${APP}:443/public/`]) {
        const res = await request(`${haproxy.url}/api/vault/x`, { headers: { Host: host } });
        notReached(res, 400, JSON.stringify(host));
      }
      upstreamSaw(await request(`${haproxy.url}/public/x`, { headers: { Host: `${APP}:8443` } }), 'a port is fine');
    });

    test('Stepgate down: 500, the application is not reached (fail closed)', async () => {
      // HAProxy keeps an idle connection to Stepgate, which Stepgate's drain would wait out: no grace.
      await stack.stepgate.proc.stop(200);
      const token = await stack.mfaToken({ groups: ['admins'] });
      // In parallel: HAProxy 2.6's httpclient retries a refused connection 3 times, 1 s apart.
      const paths = ['/public/index.html', '/orders', '/payments/charge', '/admin/x'];
      const answers = await Promise.all(paths.flatMap((p) => [via(haproxy, p, { token }), via(haproxy, p)]));
      answers.forEach((res, i) => notReached(res, 500, `${paths[i >> 1]}${i % 2 ? ' anonymous' : ''}`));
    });
  });

  describe('with a scripted stand-in for Stepgate', () => {
    test('the check request: X-Original-URL/Method, Cookie and Authorization, nothing else of the client', async () => {
      stub.checks.length = 0;
      const res = await via(stubHaproxy, '/s/allow/x?q=1', {
        method: 'POST',
        headers: {
          Cookie: ['a=1', 'b=2'],
          Authorization: 'Bearer opaque',
          'X-Original-URL': 'http://app.example.com/public/',
          'X-Original-Method': 'GET',
          'X-Forwarded-Host': 'evil.example.com',
          'Content-Type': 'text/plain',
        },
      });
      assert.equal(res.status, 200, showResponse(res));
      assert.equal(stub.checks.length, 1);
      const c = stub.checks[0];
      assert.equal(c.method, 'GET');
      assert.equal(c.url, '/auth');
      assert.deepEqual(rawHeaderValues(c.rawHeaders, 'x-original-url'), [`http://${APP}/s/allow/x?q=1`]);
      assert.deepEqual(rawHeaderValues(c.rawHeaders, 'x-original-method'), ['POST']);
      assert.deepEqual(rawHeaderValues(c.rawHeaders, 'cookie'), ['a=1; b=2']);
      assert.deepEqual(rawHeaderValues(c.rawHeaders, 'authorization'), ['Bearer opaque']);
      for (const h of ['x-forwarded-host', 'content-type', 'x-auth-request-user']) {
        assert.deepEqual(rawHeaderValues(c.rawHeaders, h), [], `${h} must not reach Stepgate`);
      }
    });

    test("Stepgate's browser pages go to the Stepgate backend, without a check", async () => {
      // (With the stand-in, so that no idle keep-alive connection delays the real Stepgate's stop.)
      for (const page of PUBLIC_PAGES) {
        stub.checks.length = 0;
        const target = `/stepgate${page}?rd=x`;
        const res = await request(`${stubHaproxy.url}${target}`, { headers: { Host: AUTH_HOST } });
        assert.equal(res.status, 200, `${target}\n${showResponse(res)}`);
        assert.equal(res.body, 'stepgate page');
        assert.deepEqual(stub.checks.map((c) => c.url), [target], 'one request, the page itself');
      }
    });

    test("nothing else of Stepgate's on its host: /auth, /metrics, the probes get HAProxy's 404", async () => {
      stub.checks.length = 0;
      const spoof = { 'X-Original-URL': `http://${APP}/s/allow/x`, 'X-Original-Method': 'GET' };
      for (const p of INTERNAL_ENDPOINTS) {
        for (const target of [`/stepgate${p}`, p]) {
          const res = await request(`${stubHaproxy.url}${target}`, { headers: { Host: AUTH_HOST, ...spoof } });
          assert.equal(res.status, 404, `${target}\n${showResponse(res)}`);
        }
      }
      for (const target of ['/stepgate', '/stepgate/', '/stepgate/start/', '/stepgate/%73tart', '/']) {
        const res = await request(`${stubHaproxy.url}${target}`, { headers: { Host: `${AUTH_HOST}:443` } });
        assert.equal(res.status, 404, `${target}\n${showResponse(res)}`);
      }
      assert.deepEqual(stub.checks.map((c) => c.url), [], 'nothing reached the Stepgate backend');
    });

    test('allow: every Set-Cookie of the answer reaches the browser, identity headers the application', async () => {
      const res = await via(stubHaproxy, '/s/allow/page');
      const up = res.json();
      assert.equal(up.upstream, 'echo', showResponse(res));
      assert.equal(up.headers['x-auth-request-user'], 'stub-user');
      assert.deepEqual(rawHeaderValues(res.rawHeaders, 'set-cookie'), ['_stepgate=refreshed; Path=/; HttpOnly', 'other=1; Path=/']);
    });

    test('deny: a Set-Cookie of a 401 goes with the redirect', async () => {
      const res = await via(stubHaproxy, '/s/deny/page');
      assert.equal(res.status, 302, showResponse(res));
      assert.deepEqual(rawHeaderValues(res.rawHeaders, 'set-cookie'), ['_stepgate=; Max-Age=0; Path=/']);
    });

    test('haproxy.cfg fails closed when the Lua action dies (HAProxy would go on with the request)', async () => {
      const dir = await makeTempDir('stepgate-ex-haproxy-broken-');
      const lua = path.join(dir, 'broken.lua');
      await fs.writeFile(lua, `core.register_action("stepgate_auth", { "http-req" }, function(txn, a, b) error("boom") end, 2)
core.register_action("stepgate_set_cookies", { "http-res" }, function(txn) end, 0)
`);
      const broken = await new HAProxy({ dir, name: 'haproxy-broken', config: path.join(EXAMPLE, 'haproxy.cfg'),
        env: env(`${LOOPBACK}:${stub.port}`, lua) }).start();
      try {
        notReached(await via(broken, '/public/x'), 500, 'a dead action');
        assert.match(broken.logs(), /boom/, 'the Lua error happened');
      } finally {
        await broken.stop();
      }
    });

    for (const answer of ['400', '302', '204', '503']) {
      test(`an answer ${answer} from the auth service: 500, never an allow`, async () => {
        notReached(await via(stubHaproxy, `/s/${answer}/page`), 500, answer);
      });
    }
  });
});

/** Answers the Lua action's checks by the original path: /s/<what>/... */
class StubStepgate {
  constructor() {
    this.checks = [];
  }

  async start() {
    this.server = http.createServer((req, res) => {
      this.checks.push({ method: req.method, url: req.url, rawHeaders: req.rawHeaders });
      if (req.url.startsWith('/stepgate/')) return res.end('stepgate page');
      const what = /^https?:\/\/[^/]+\/s\/([^/]+)/.exec(req.headers['x-original-url'] ?? '')?.[1];
      switch (what) {
        case 'allow':
          res.writeHead(200, [['X-Auth-Request-User', 'stub-user'],
            ['Set-Cookie', '_stepgate=refreshed; Path=/; HttpOnly'], ['Set-Cookie', 'other=1; Path=/']].flat());
          return res.end();
        case 'deny':
          res.writeHead(401, { 'Set-Cookie': '_stepgate=; Max-Age=0; Path=/' });
          return res.end('authentication required');
        case '302':
          res.writeHead(302, { Location: 'https://elsewhere.example.com/' });
          return res.end();
        default:
          res.writeHead(Number(what) || 500);
          return res.end();
      }
    });
    await new Promise((resolve) => this.server.listen(0, LOOPBACK, resolve));
    this.port = this.server.address().port;
    return this;
  }

  async stop() {
    await new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }
}
