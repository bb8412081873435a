// Paths and headers: every spelling of a protected path, every header a client
// can add, on the decision endpoints called directly and through nginx
// rendered like ingress-nginx (auth-url). Each case names the advisory of a
// peer that got it wrong. Rules are the integration harness's (RULES in
// ../integration/lib/stepgate.mjs): /api/vault/** needs mfa, /public/** and /
// are anonymous, /admin/** and *.admin.example.com need mfa + admins, the
// default needs basic.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { rawHeaderValues } from '../integration/lib/echo.mjs';
import { assertStepUp } from '../integration/lib/challenge.mjs';
import { ACR_VALUES, HOSTS, Stack } from '../integration/lib/env.mjs';
import { rawRequest, request, showResponse } from '../integration/lib/procs.mjs';
import { startStepgate } from './lib/stack.mjs';

const API = 'http://api.example.com';
const IDENTITY = ['x-auth-request-user', 'x-auth-request-email', 'x-auth-request-preferred-username',
  'x-auth-request-groups', 'x-auth-request-level', 'x-auth-request-acr', 'x-auth-request-amr', 'x-auth-request-auth-time'];
const SPOOFED = {
  'X-Auth-Request-User': 'admin', 'X-Auth-Request-Email': 'admin@example.com', 'X-Auth-Request-Preferred-Username': 'admin',
  'X-Auth-Request-Groups': 'admins', 'X-Auth-Request-Level': 'mfa', 'X-Auth-Request-Acr': 'urn:stepgate:loa:mfa',
  'X-Auth-Request-Amr': 'pwd,otp', 'X-Auth-Request-Auth-Time': '9999999999',
};
const HEALTH_AGENTS = ['kube-probe/1.31', 'GoogleHC/1.0', 'ELB-HealthChecker/2.0', 'Prometheus/2.53.0',
  'Consul Health Check', 'Go-http-client/1.1', 'oauth2-proxy/7.15.0 healthcheck'];

describe('paths and headers', () => {
  const stack = new Stack();
  let sg;
  let sgCi; // paths.case_insensitive: true
  let basic;
  let mfa;
  before(async () => {
    await stack.start();
    sg = stack.stepgate;
    sgCi = await startStepgate(stack.issuer.issuer, { paths: { case_insensitive: true } });
    basic = await stack.basicToken();
    mfa = await stack.mfaToken();
  });
  after(async () => {
    await sgCi?.stop();
    await stack.stop();
  });

  /** 400, or the vault rule's step-up for a basic token: never the weaker public/default rule. */
  function vaultOr400(res, what) {
    if (res.status === 400) return 'refused';
    assertStepUp(res, { acrValues: ACR_VALUES.mfa }, `expected 400 or the vault rule (mfa) for ${what}`);
    return 'vault';
  }

  /** The path on all three endpoints: /auth, /forward-auth, /ext-authz/. */
  async function everyEndpoint(p, { token = basic, host = 'api.example.com', check = vaultOr400, target = sg } = {}) {
    const out = {};
    out.auth = check(await target.auth({ url: `http://${host}${p}`, token }), `/auth ${p}`);
    out.forward = check(await target.forwardAuth({ host, uri: p, token }), `/forward-auth ${p}`);
    // The Envoy check request carries the path on its own request line: sent raw, so that
    // nothing normalises it on the way (Node's client would refuse some of these bytes).
    const raw = await rawRequest(target.port, `GET /ext-authz${p} HTTP/1.1\r\nHost: ${host}\r\n` +
        `Authorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
    out.ext = check({ ...raw, body: raw.raw }, `/ext-authz ${p}`);
    return out;
  }

  describe('one reading of a path', () => {
    const ENCODED = [
      '/public/%2e%2e/api/vault/x', '/public/%2E%2E/api/vault/x', '/public/.%2e/api/vault/x', '/public/%2e./api/vault/x',
      '/public/..%2fapi/vault/x', '/public%2f..%2fapi%2fvault%2fx', '/public/..%5capi/vault/x', '/public/..%5Capi%5Cvault/x',
      '/public/%252e%252e/api/vault/x', '/public/%25%32%65%25%32%65/api/vault/x', '/public/..%252fapi/vault/x',
      '/api%2fvault/x', '/api/vault%2fx', '/api%2Fvault%2Fx', '/%61pi/%76ault/x', '/public/%2e/../api/vault/x',
    ];
    test('Pomerium CVE-2023-33189 / Envoy CVE-2026-73511: encoded dots, slashes and backslashes never reach a weaker rule', async (t) => {
      const seen = {};
      for (const p of ENCODED) seen[p] = await everyEndpoint(p);
      t.diagnostic(JSON.stringify(seen));
    });

    test('CVE-2008-2938 (Tomcat) / CVE-2000-0884 (IIS): overlong UTF-8 dots and slashes (invalid UTF-8) never reach a weaker rule', async (t) => {
      const seen = {};
      for (const p of ['/public/%c0%ae%c0%ae/api/vault/x', '/public/%C0%AE%C0%AE%C0%AFapi/vault/x', '/public/%e0%80%ae%e0%80%ae/api/vault/x',
        '/public/..%c0%afapi/vault/x', '/public/..%c1%9capi/vault/x', '/public/%f0%80%80%ae%f0%80%80%ae/api/vault/x',
        '/public/%c0%2e%c0%2e/api/vault/x', '/public/%u002e%u002e/api/vault/x']) {
        seen[p] = await everyEndpoint(p);
      }
      t.diagnostic(JSON.stringify(seen));
    });

    test('RFC 3986 §5.2.4 dot segments and double slashes (raw): 400 or the protected rule', async () => {
      for (const p of ['/public/../api/vault/x', '/public/./../api/vault/x', '//public//..//api//vault//x', '/public/x/../../api/vault/x',
        '/api/vault/./x', '/api//vault//x', '//api/vault/x', '/api///vault/x']) {
        await everyEndpoint(p);
      }
      // Merging slashes is a reading, not a bypass: //public//x is the public rule.
      const anon = await sg.auth({ url: `${API}//public//x` });
      assert.equal(anon.status, 200, showResponse(anon));
    });

    test('Tomcat "..;/" path parameters (Envoy CVE-2026-73511): ..; is a dot segment, ;params never hide a protected path', async () => {
      for (const p of ['/public/..;/api/vault/x', '/public/..;x=1/api/vault/x', '/public;/../api/vault/x', '/public/.;/../api/vault/x',
        '/public/x;/../../api/vault/x', '/api;x/vault/x', '/api/vault;jsessionid=1/x', '/api;/vault;/x', '/api/vault%3bx/y',
        '/public/%2e%2e;/api/vault/x']) {
        await everyEndpoint(p);
      }
      // SECURITY.md: "/admin;x matches /admin/**" — mfa without the admins group is still 403.
      for (const p of ['/admin;x', '/admin;x/panel', '/admin/panel;a=b']) {
        const res = await sg.auth({ url: `${API}${p}`, token: mfa });
        assert.equal(res.status, 403, `${p}\n${showResponse(res)}`);
      }
    });

    test('%23 in the path (FIELD-NOTES "what peers got wrong"): a literal #, never a cut that reaches a weaker rule', async (t) => {
      for (const p of ['/public%23/../api/vault/x', '/public/x%23/../../api/vault/x', '/api/vault/x%23', '/api/vault/x%23/../y',
        '/public%23/%2e%2e/api/vault/x', '/api/vault/%23/x']) {
        await everyEndpoint(p);
      }
      // /api/vault%23/x is the segment "vault#" (nginx routes it so too): the default rule, as the contract
      // reads it. An application that cut the decoded path at '#' would serve /api/vault there.
      const cut = await sg.auth({ url: `${API}/api/vault%23/x`, token: basic });
      t.diagnostic(`/api/vault%23/x with a basic token: ${cut.status} (contract: literal '#', default rule)`);
      // /public%23 is "/public#", not /public: anonymous gets 401, not the public rule.
      const res = await sg.auth({ url: `${API}/public%23` });
      assert.ok(res.status === 401 || res.status === 400, showResponse(res));
      // A real fragment in X-Original-URL is refused (contract).
      assert.equal((await sg.auth({ url: `${API}/api/vault/x#/public/`, token: basic })).status, 400);
    });

    test('oauth2-proxy CVE-2025-54576: the query string is never matched as the path', async () => {
      for (const p of ['/api/vault/x?/public/', '/api/vault/x?x=/public/../', '/api/vault/x?%2F..%2Fpublic', '/api/vault?public']) {
        await everyEndpoint(p);
      }
      const anon = await sg.auth({ url: `${API}/api/orders?/public/x` });
      assert.equal(anon.status, 401, `anonymous on the default rule\n${showResponse(anon)}`);
    });

    test('NUL and control characters, encoded or raw: 400 (CWE-158)', async () => {
      for (const p of ['/api/vault%00/x', '/public/%00/../api/vault/x', '/public%00/x', '/public/%0d%0aX-Injected:%201', '/public/%09x', '/public/%7f']) {
        const res = await sg.auth({ url: `${API}${p}` });
        assert.equal(res.status, 400, `${p}\n${showResponse(res)}`);
      }
      for (const bytes of ['/public/\x00/x', '/public/\x01', '/public/\x7f']) {
        const res = await rawRequest(sg.port, `GET /auth HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Original-URL: ${API}${bytes}\r\n` +
            'X-Original-Method: GET\r\nConnection: close\r\n\r\n');
        assert.equal(res.status, 400, `${JSON.stringify(bytes)}\n${res.raw.slice(0, 300)}`);
      }
    });

    test('invalid UTF-8 without dots (%ff, lone continuation bytes, raw 0xff): a clear answer, never 5xx', async () => {
      for (const p of ['/public/%ff%fe', '/public/%80', '/api/vault/%c3', '/public/%ed%a0%80']) {
        const res = await sg.auth({ url: `${API}${p}` });
        assert.ok([200, 400, 401].includes(res.status), `${p}\n${showResponse(res)}`);
      }
      const res = await rawRequest(sg.port, `GET /auth HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Original-URL: ${API}/public/\xff\xfe\r\n` +
          'X-Original-Method: GET\r\nConnection: close\r\n\r\n');
      assert.ok([200, 400, 401].includes(res.status), res.raw.slice(0, 300));
      assert.equal((await request(`${sg.url}/healthz`)).status, 200);
    });

    test('paths.case_insensitive off (contract default): /PUBLIC is not /public; on: /API/Vault is the vault rule', async () => {
      const off = await sg.auth({ url: `${API}/PUBLIC/x` });
      assert.equal(off.status, 401, `case-sensitive: /PUBLIC/x is the default rule\n${showResponse(off)}`);
      for (const p of ['/API/VAULT/x', '/Api/Vault/x', '/api/VAULT/x', '/API%2fVAULT/x', '/PUBLIC/../API/VAULT/x', '/Api;x/Vault/x']) {
        await everyEndpoint(p, { target: sgCi });
      }
      const on = await sgCi.auth({ url: `${API}/PUBLIC/x` });
      assert.equal(on.status, 200, `case-insensitive: /PUBLIC/x is the public rule\n${showResponse(on)}`);
      assert.equal((await sgCi.auth({ url: `${API}/ADMIN/x`, token: mfa })).status, 403, '/ADMIN is the admin rule');
    });
  });

  describe('hosts', () => {
    const adminOr400 = (res, what) => {
      assert.ok(res.status === 403 || res.status === 400, `expected 400 or the admin-host rule (403 without admins) for ${what}\n${showResponse(res)}`);
      return res.status;
    };
    test('RFC 1034 §3.1 trailing-dot and case variants of a protected host get its rule (or 400), never the default', async () => {
      for (const host of ['app.admin.example.com.', 'APP.ADMIN.EXAMPLE.COM', 'App.Admin.Example.Com.', 'app.admin.example.com.:443',
        'app.admin.example.com:8443', 'app.admin.example.com...', 'app%2eadmin.example.com', '.app.admin.example.com',
        'app.admin.example.com%2e', 'app.admin.example.com%00.api.example.com', 'app..admin.example.com']) {
        await everyEndpoint('/x', { host, token: mfa, check: (res, what) => adminOr400(res, `${what} Host ${host}`) });
      }
    });

    test('RFC 1034 §3.1: a host with two trailing dots (an empty label) is 400 or its rule, never the default', async () => {
      await everyEndpoint('/x', { host: 'app.admin.example.com..', token: mfa,
        check: (res, what) => adminOr400(res, `${what} Host app.admin.example.com..`) });
    });

    test('RFC 3986 §3.2.1 userinfo and confusing authorities in X-Original-URL: 400', async () => {
      for (const url of ['http://api.example.com@app.admin.example.com/x', 'http://app.admin.example.com\\@api.example.com/x',
        'http://app.admin.example.com#@api.example.com/x', 'http://app.admin.example.com?@api.example.com/x',
        'http://app.admin.example.com%40api.example.com/x', 'http://[::1/x', 'http://app.admin.example.com:0/x',
        'http://app.admin.example.com:99999/x', 'http://app.admin.example.com:80:80/x', 'http:///x', 'http://app.admin.example。com/x',
        'http://app.admin.example.com\t/x', 'http:/app.admin.example.com/x', 'http:\\\\app.admin.example.com/x']) {
        // Raw, so that the bytes (a backslash, a tab, UTF-8) reach Stepgate as written.
        const res = await rawRequest(sg.port, `GET /auth HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Original-URL: ${url}\r\n` +
            `X-Original-Method: GET\r\nAuthorization: Bearer ${mfa}\r\nConnection: close\r\n\r\n`);
        assert.ok(res.status === 400 || res.status === 403, `${url}\n${res.raw.slice(0, 400)}`);
      }
    });
  });

  describe('headers a client adds', () => {
    test('oauth2-proxy CVE-2026-40575: client copies of X-Forwarded-* on /auth are ignored (also in lower case)', async () => {
      for (const spoof of [
        { 'X-Forwarded-Uri': '/public/x', 'X-Forwarded-Host': 'api.example.com', 'X-Forwarded-Method': 'GET', 'X-Forwarded-Proto': 'https' },
        { 'x-forwarded-uri': '/public/x', 'x-forwarded-prefix': '/public' },
        { 'X-Forwarded-Path': '/public/x', 'X-Forwarded-Url': `${API}/public/x`, 'Forwarded': 'host=api.example.com;proto=https' },
      ]) {
        vaultOr400(await sg.auth({ url: `${API}/api/vault/x`, token: basic, headers: spoof }), JSON.stringify(spoof));
        const anon = await sg.auth({ url: `${API}/api/orders`, headers: spoof });
        assert.equal(anon.status, 401, showResponse(anon));
      }
    });

    test('Symfony CVE-2018-14773 / Traefik CVE-2026-35051: X-Original-URL, X-Rewrite-URL, X-Forwarded-Prefix on /forward-auth are ignored', async () => {
      const spoof = { 'X-Original-URL': `${API}/public/x`, 'X-Original-Method': 'GET', 'X-Rewrite-URL': '/public/x',
        'X-Forwarded-Prefix': '/public', 'X-Original-Uri': '/public/x' };
      vaultOr400(await sg.forwardAuth({ host: 'api.example.com', uri: '/api/vault/x', token: basic, headers: spoof }), 'forward-auth');
    });

    test('Envoy CVE-2023-27487: x-envoy-original-path (and X-Original-URL, X-Forwarded-Uri) on /ext-authz/ are ignored', async () => {
      const spoof = { 'x-envoy-original-path': '/public/x', 'X-Original-URL': `${API}/public/x`, 'X-Forwarded-Uri': '/public/x',
        'X-Rewrite-URL': '/public/x', ':path': '/public/x' };
      const res = await sg.extAuthz({ path: '/api/vault/x', host: 'api.example.com', token: basic,
        headers: Object.fromEntries(Object.entries(spoof).filter(([k]) => !k.startsWith(':'))) });
      vaultOr400(res, 'ext-authz');
      const raw = await rawRequest(sg.port, 'GET /ext-authz/api/vault/x HTTP/1.1\r\nHost: api.example.com\r\n' +
          'x-envoy-original-path: /public/x\r\n:path: /public/x\r\nConnection: close\r\n\r\n');
      assert.ok(raw.status === 400 || raw.status === 302 || raw.status === 401, raw.raw.slice(0, 300));
    });

    test('gatekeeper CVE-2020-14359: a header family in mixed and lower case is one header — two spellings are a duplicate (400)', async () => {
      const res = await request(`${sg.url}/auth`, { headers: { 'X-Original-URL': `${API}/api/vault/x`, 'x-original-url': `${API}/public/x`,
        'X-Original-Method': 'GET' } });
      assert.equal(res.status, 400, showResponse(res));
      const fa = await request(`${sg.url}/forward-auth`, { headers: { 'X-Forwarded-Host': 'api.example.com', 'X-Forwarded-Uri': '/api/vault/x',
        'x-forwarded-uri': '/public/x', 'X-Forwarded-Method': 'GET' } });
      assert.equal(fa.status, 400, showResponse(fa));
    });

    test('RFC 9112 §5.2 folded header lines (obs-fold): decided on the joined value, never on other bytes', async () => {
      // Beast joins a folded value in a buffer of its own; Stepgate once kept a pointer into it.
      for (let i = 0; i < 5; i++) {
        const res = await rawRequest(sg.port, `GET /auth HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Original-URL: ${API}/x\r\n` +
            `X-Original-Method: GET\r\nAuthorization: Bearer\r\n ${basic}\r\nConnection: close\r\n\r\n`);
        assert.equal(res.status, 200, res.raw.slice(0, 300));
        assert.equal(res.headers['x-auth-request-user'], 'alice', res.raw.slice(0, 300));
      }
      // A folded URL joins with a space: refused, never another rule.
      const res = await rawRequest(sg.port, `GET /auth HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Original-URL: ${API}/api\r\n /vault/x\r\n` +
          `X-Original-Method: GET\r\nAuthorization: Bearer ${basic}\r\nConnection: close\r\n\r\n`);
      assert.equal(res.status, 400, res.raw.slice(0, 300));
    });

    test('RFC 9110 §6.5.1: a chunked trailer is not a header — it adds no Authorization and no X-Original-URL', async () => {
      const res = await rawRequest(sg.port, `POST /auth HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Original-URL: ${API}/x\r\n` +
          'X-Original-Method: GET\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
          `0\r\nAuthorization: Bearer ${basic}\r\nX-Original-URL: ${API}/public/x\r\n\r\n`);
      assert.equal(res.status, 401, res.raw.slice(0, 300));
      assert.equal(res.headers['x-auth-request-user'], undefined, res.raw.slice(0, 300));
    });

    test('oauth2-proxy CVE-2025-64484: underscore aliases (X-Auth_Request_User) and client X-Auth-Request-* never reach the upstream through nginx', async () => {
      const spoof = { ...SPOOFED, 'X-Auth_Request_User': 'admin', X_Auth_Request_User: 'admin', 'X-Auth-Request_Groups': 'admins',
        'x_auth_request_level': 'mfa', 'X-AUTH-REQUEST-USER': 'admin' };
      const check = (res, expectUser, what) => {
        assert.equal(res.status, 200, `${what}\n${showResponse(res)}`);
        const up = res.json();
        assert.equal(up.upstream, 'echo');
        for (let i = 0; i < up.rawHeaders.length; i += 2) {
          const name = up.rawHeaders[i].toLowerCase().replace(/_/g, '-');
          if (!name.startsWith('x-auth-request-')) continue;
          // Only what Stepgate said, once: the user from the token, nothing spoofed.
          assert.notEqual(up.rawHeaders[i + 1], 'admin', `${what}: ${up.rawHeaders[i]} reached the upstream`);
          assert.notEqual(up.rawHeaders[i + 1], 'admins', `${what}: ${up.rawHeaders[i]} reached the upstream`);
          assert.ok(!up.rawHeaders[i].includes('_'), `${what}: underscore alias ${up.rawHeaders[i]} reached the upstream`);
        }
        const users = rawHeaderValues(up.rawHeaders, 'x-auth-request-user');
        assert.deepEqual(users, expectUser ? [expectUser] : [], `${what}: X-Auth-Request-User at the upstream`);
      };
      // rawRequest: Node's client refuses no underscore, but send them exactly as written.
      const send = async (path, token) => {
        const lines = [`GET ${path} HTTP/1.1`, `Host: ${HOSTS.api}`, 'Connection: close'];
        for (const [k, v] of Object.entries(spoof)) lines.push(`${k}: ${v}`);
        if (token) lines.push(`Authorization: Bearer ${token}`);
        const raw = await rawRequest(stack.nginx.port, `${lines.join('\r\n')}\r\n\r\n`);
        const body = raw.raw.slice(raw.raw.indexOf('\r\n\r\n') + 4);
        return { ...raw, body, json: () => JSON.parse(body.replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, '')) };
      };
      check(await send('/public/x'), undefined, 'anonymous on a public path');
      check(await send('/api/orders', basic), 'alice', 'alice on a basic path');
    });

    test('oauth2-proxy --skip-auth-preflight: OPTIONS with spoofed identity headers is decided like any method', async () => {
      const cors = { Origin: 'https://evil.test', 'Access-Control-Request-Method': 'DELETE', ...SPOOFED };
      const res = await sg.auth({ url: `${API}/api/vault/x`, method: 'OPTIONS', headers: cors });
      assert.equal(res.status, 401, showResponse(res));
      for (const h of IDENTITY) assert.equal(res.headers[h], undefined, `${h} on a denial`);
      const viaNginx = await stack.viaNginx(HOSTS.api, '/api/vault/x', { method: 'OPTIONS', headers: cors });
      assert.equal(viaNginx.status, 401, showResponse(viaNginx));
      assert.notEqual(viaNginx.headers['x-upstream'], 'echo', 'the upstream must not be reached');
      const ext = await sg.extAuthz({ path: '/api/vault/x', host: 'api.example.com', method: 'OPTIONS', headers: cors });
      assert.notEqual(ext.status, 200, showResponse(ext));
    });

    test('oauth2-proxy CVE-2026-34457: a health-check User-Agent never skips authentication', async () => {
      for (const ua of HEALTH_AGENTS) {
        for (const p of ['/api/vault/x', '/healthz', '/ping', '/api/orders']) {
          const res = await sg.auth({ url: `${API}${p}`, headers: { 'User-Agent': ua } });
          assert.equal(res.status, 401, `${ua} ${p}\n${showResponse(res)}`);
          const fwd = await sg.forwardAuth({ host: 'api.example.com', uri: p, headers: { 'User-Agent': ua } });
          assert.notEqual(fwd.status, 200, `${ua} ${p} /forward-auth\n${showResponse(fwd)}`);
          const ext = await sg.extAuthz({ path: p, host: 'api.example.com', headers: { 'User-Agent': ua } });
          assert.notEqual(ext.status, 200, `${ua} ${p} /ext-authz\n${showResponse(ext)}`);
        }
        const viaNginx = await stack.viaNginx(HOSTS.api, '/api/vault/x', { headers: { 'User-Agent': ua } });
        assert.equal(viaNginx.status, 401, `${ua} through nginx\n${showResponse(viaNginx)}`);
      }
    });

    test('Envoy ext_authz: on an allow, x-envoy-auth-headers-to-remove names every identity header Stepgate did not set', async () => {
      const removed = (res) => (res.headers['x-envoy-auth-headers-to-remove'] ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
      // Anonymous on a public path: nothing set, all eight removed, nothing spoofed echoed.
      const anon = await sg.extAuthz({ path: '/public/x', host: 'api.example.com', headers: SPOOFED });
      assert.equal(anon.status, 200, showResponse(anon));
      assert.deepEqual(removed(anon).sort(), [...IDENTITY].sort(), showResponse(anon));
      for (const h of IDENTITY) assert.equal(anon.headers[h], undefined, `${h} echoed\n${showResponse(anon)}`);
      // A token with sub and acr only: user, level, acr set; the other five removed.
      const thin = await stack.issuer.mint({ sub: 'carol', acr: 'urn:stepgate:loa:pwd', auth_time: null });
      const res = await sg.extAuthz({ path: '/api/orders', host: 'api.example.com', token: thin, headers: SPOOFED });
      assert.equal(res.status, 200, showResponse(res));
      assert.equal(res.headers['x-auth-request-user'], 'carol');
      assert.equal(res.headers['x-auth-request-level'], 'basic');
      const set = IDENTITY.filter((h) => res.headers[h] !== undefined);
      assert.deepEqual(removed(res).sort(), IDENTITY.filter((h) => !set.includes(h)).sort(), showResponse(res));
      assert.deepEqual(set.filter((h) => Object.values(SPOOFED).includes(res.headers[h])), [], 'a spoofed value came back');
      // The same on /ext-authz-pinned/.
      const pinned = await sg.extAuthz({ pins: 'level=basic', path: '/api/orders', host: 'api.example.com', token: thin, headers: SPOOFED });
      assert.equal(pinned.status, 200, showResponse(pinned));
      assert.deepEqual(removed(pinned).sort(), IDENTITY.filter((h) => !set.includes(h)).sort(), showResponse(pinned));
    });

    test('/auth answers carry only what Stepgate decided: client X-Auth-Request-* are never echoed', async () => {
      const anon = await sg.auth({ url: `${API}/public/x`, headers: SPOOFED });
      assert.equal(anon.status, 200);
      for (const h of IDENTITY) assert.equal(anon.headers[h], undefined, `${h}\n${showResponse(anon)}`);
      const res = await sg.auth({ url: `${API}/api/orders`, token: basic, headers: SPOOFED });
      assert.equal(res.headers['x-auth-request-user'], 'alice');
      assert.equal(res.headers['x-auth-request-level'], 'basic');
      assert.notEqual(res.headers['x-auth-request-groups'], 'admins');
    });

    test('pins cannot be escaped: dot segments after /ext-authz-pinned/<pins>/ and pins in the original query', async () => {
      for (const p of ['/ext-authz-pinned/level=mfa/../../ext-authz/public/x', '/ext-authz-pinned/level=mfa/%2e%2e/%2e%2e/public/x',
        '/ext-authz-pinned/level=mfa%2F..%2F..%2Fpublic/x', '/ext-authz-pinned/level=mfa;/public/x']) {
        const raw = await rawRequest(sg.port, `GET ${p} HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Bearer ${basic}\r\nConnection: close\r\n\r\n`);
        assert.notEqual(raw.status, 200, `${p}\n${raw.raw.slice(0, 400)}`);
        assert.ok(raw.status < 500 || raw.status === 500, raw.raw.slice(0, 200));
      }
      // X-Original-URL's own query never pins on /auth (pins come from the auth URL only).
      const res = await sg.auth({ url: `${API}/api/vault/x?level=none&policy=public`, token: basic });
      vaultOr400(res, 'pins in the original query');
    });
  });
});
