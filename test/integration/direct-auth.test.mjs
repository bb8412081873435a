// Stepgate's decision endpoints called directly (no proxy in front): input
// validation, which headers each endpoint believes, path normalisation, limits.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertInsufficientScope, assertInvalidToken, assertStepUp, parseChallenge } from './lib/challenge.mjs';
import { ACR, ACR_VALUES, Stack } from './lib/env.mjs';
import { rawRequest, request, showResponse } from './lib/procs.mjs';

const now = () => Math.floor(Date.now() / 1000);
const API = 'http://api.example.com';

describe('Stepgate directly', () => {
  const stack = new Stack({ withNginx: false });
  let sg;
  before(async () => {
    await stack.start();
    sg = stack.stepgate;
  });
  after(async () => {
    await stack.stop();
  });

  const expectStatus = (res, status, what = '') => assert.equal(res.status, status, `${what}\n${showResponse(res)}`);

  describe('probes', () => {
    test('/healthz and /readyz answer 200', async () => {
      expectStatus(await request(`${sg.url}/healthz`), 200, '/healthz');
      expectStatus(await request(`${sg.url}/readyz`), 200, '/readyz');
    });
  });

  describe('/auth: allow answer', () => {
    test('200 with X-Auth-Request-* headers; absent values are absent headers, never empty', async () => {
      const authTime = now() - 5;
      const full = await stack.basicToken({ auth_time: authTime });
      const res = await sg.auth({ url: `${API}/api/orders`, token: full });
      expectStatus(res, 200);
      assert.equal(res.headers['x-auth-request-user'], 'alice');
      assert.equal(res.headers['x-auth-request-email'], 'alice@example.com');
      assert.equal(res.headers['x-auth-request-preferred-username'], 'alice');
      assert.match(res.headers['x-auth-request-groups'] ?? '', /^dev\s*,\s*ops$/, showResponse(res));
      assert.equal(res.headers['x-auth-request-level'], 'basic');
      assert.equal(res.headers['x-auth-request-acr'], ACR.basic);
      assert.equal(res.headers['x-auth-request-amr'], 'pwd');
      assert.equal(res.headers['x-auth-request-auth-time'], String(authTime));

      const bare = await stack.issuer.mint({ sub: 'carol', acr: ACR.basic, auth_time: null });
      const res2 = await sg.auth({ url: `${API}/api/orders`, token: bare });
      expectStatus(res2, 200);
      assert.equal(res2.headers['x-auth-request-user'], 'carol');
      for (const name of ['email', 'groups', 'preferred-username', 'amr', 'auth-time']) {
        assert.ok(!(`x-auth-request-${name}` in res2.headers), `x-auth-request-${name} must be absent\n${showResponse(res2)}`);
      }
    });

    test('a bearer token is an API call: never a redirect, also on /forward-auth', async () => {
      const token = await stack.basicToken();
      const r1 = await sg.auth({ url: `${API}/api/vault/x`, token });
      assertStepUp(r1, { acrValues: ACR_VALUES.mfa }, '/auth');
      const r2 = await sg.forwardAuth({ host: 'api.example.com', uri: '/api/vault/x', token,
        headers: { Accept: 'text/html' } });
      assertStepUp(r2, { acrValues: ACR_VALUES.mfa }, '/forward-auth with Accept: text/html');
      const r3 = await sg.forwardAuth({ host: 'api.example.com', uri: '/api/orders', token: 'garbage',
        headers: { Accept: 'text/html' } });
      assertInvalidToken(r3, '/forward-auth invalid token');
    });
  });

  describe('/auth: required headers', () => {
    test('missing X-Original-URL: 400', async () => {
      expectStatus(await sg.auth({ method: 'GET', token: await stack.basicToken() }), 400);
    });
    test('missing X-Original-Method: 400', async () => {
      expectStatus(await sg.auth({ url: `${API}/api/orders`, method: null, token: await stack.basicToken() }), 400);
    });
    test('duplicated X-Original-URL: 400 (even when one copy is public)', async () => {
      const res = await request(`${sg.url}/auth`, { headers: {
        'X-Original-URL': [`${API}/public/x`, `${API}/api/vault/x`], 'X-Original-Method': 'GET' } });
      expectStatus(res, 400);
    });
    test('duplicated X-Original-Method: 400', async () => {
      const res = await request(`${sg.url}/auth`, { headers: {
        'X-Original-URL': `${API}/public/x`, 'X-Original-Method': ['GET', 'POST'] } });
      expectStatus(res, 400);
    });
    test('duplicated Host (RFC 9112 §3.2): 400', async () => {
      const res = await rawRequest(sg.port, `GET /auth HTTP/1.1\r\nHost: a.example.com\r\nHost: b.example.com\r\n` +
          `X-Original-URL: ${API}/public/x\r\nX-Original-Method: GET\r\nConnection: close\r\n\r\n`);
      expectStatus(res, 400);
    });
    for (const bad of ['/api/orders', 'api.example.com/api/orders', 'ftp://api.example.com/x', `${API}/api/orders#frag`, 'http://', '']) {
      test(`X-Original-URL ${JSON.stringify(bad)}: 400`, async () => {
        expectStatus(await sg.auth({ url: bad, token: await stack.basicToken() }), 400, bad);
      });
    }
  });

  describe('/auth: path tricks never get a weaker rule than the path an application would serve', () => {
    // Each of these may be refused (400) or decided on the protected `vault`
    // rule (mfa: the basic token gets 401 step-up); an allow means the weaker
    // public or default rule was applied to a path that reaches /api/vault.
    const tricks = [
      '/public/../api/vault/secret',
      '/public/%2e%2e/api/vault/secret',
      '/public/%2E%2E/api/vault/secret',
      '/public/..%2Fapi/vault/secret',
      '/public%2F..%2Fapi%2Fvault%2Fsecret',
      '/public/%2e%2e%2fapi%2fvault%2fsecret',
      '/public/%252e%252e/api/vault/secret',
      '/public/./../api/vault/secret',
      '/api/./vault/secret',
      '/api//vault/secret',
      '//api/vault/secret',
      '/api/vault%2Fsecret',
      '/api%2Fvault%2Fsecret',
      '/api/%76ault/secret',
      '/api/vault/.%2e/vault/secret',
    ];
    for (const p of tricks) {
      test(`${p}: 400 or the vault rule (step-up), never an allow`, async () => {
        const res = await sg.auth({ url: `${API}${p}`, token: await stack.basicToken() });
        if (res.status === 400) return;
        assertStepUp(res, { acrValues: ACR_VALUES.mfa }, `expected 400 or the vault rule for ${p}`);
      });
    }

    for (const p of ['/public/../api/orders', '/public/%2e%2e/x', '/public/%252F', '/public/%00', '/public/%zz',
      '/public/%2', '/public/.', '/public/%2e']) {
      test(`contract: ${p} is refused with 400`, async () => {
        expectStatus(await sg.auth({ url: `${API}${p}` }), 400, p);
      });
    }

    test('repeated slashes are merged: //public//x is the public rule', async () => {
      expectStatus(await sg.auth({ url: `${API}//public//x` }), 200);
    });

    test('the query string is not part of the path (a skip-rule must not match it)', async () => {
      const res = await sg.auth({ url: `${API}/api/vault/x?next=/public/y`, token: await stack.basicToken() });
      assertStepUp(res, { acrValues: ACR_VALUES.mfa });
      expectStatus(await sg.auth({ url: `${API}/api/orders?/public/` }), 401, 'anonymous, default rule');
    });

    test('host is matched case-insensitively without port or trailing dot', async () => {
      const token = await stack.mfaToken();
      for (const host of ['APP.Admin.Example.com', 'app.admin.example.com.', 'app.admin.example.com:8443']) {
        expectStatus(await sg.auth({ url: `https://${host}/x`, token }), 403, `${host}: admin-host rule, no admins group`);
      }
    });
  });

  describe('/auth believes only X-Original-*', () => {
    test('a spoofed X-Forwarded-Uri: /public does not allow a protected X-Original-URL', async () => {
      const spoof = { 'X-Forwarded-Uri': '/public/x', 'X-Forwarded-Host': 'api.example.com', 'X-Forwarded-Method': 'GET',
        'X-Forwarded-Proto': 'https' };
      expectStatus(await sg.auth({ url: `${API}/api/orders`, headers: spoof }), 401, 'anonymous');
      assertStepUp(await sg.auth({ url: `${API}/api/vault/x`, token: await stack.basicToken(), headers: spoof }),
          { acrValues: ACR_VALUES.mfa }, 'basic token');
    });

    test('/auth with only X-Forwarded-* (no X-Original-*): 400', async () => {
      const res = await request(`${sg.url}/auth`, { headers: { 'X-Forwarded-Uri': '/public/x',
        'X-Forwarded-Host': 'api.example.com', 'X-Forwarded-Method': 'GET', 'X-Forwarded-Proto': 'https' } });
      expectStatus(res, 400);
    });

    test('underscore and lower-case aliases of X-Original-URL are not believed', async () => {
      const res = await rawRequest(sg.port, `GET /auth HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `X-Original-URL: ${API}/api/vault/x\r\nX_Original_URL: ${API}/public/x\r\nX-Original-Method: GET\r\n` +
          `Connection: close\r\n\r\n`);
      assert.ok(res.status === 400 || res.status === 401, `expected 400 or 401 (anonymous on vault)\n${res.raw.slice(0, 600)}`);
    });
  });

  describe('/forward-auth (Traefik)', () => {
    test('reads X-Forwarded-Host/Uri/Method and ignores X-Original-*', async () => {
      const basic = await stack.basicToken();
      const mfa = await stack.mfaToken();
      const r1 = await sg.forwardAuth({ host: 'api.example.com', uri: '/api/vault/x', token: basic,
        headers: { 'X-Original-URL': `${API}/public/x`, 'X-Original-Method': 'GET' } });
      assertStepUp(r1, { acrValues: ACR_VALUES.mfa }, 'X-Original-URL must be ignored on /forward-auth');
      const r2 = await sg.forwardAuth({ host: 'api.example.com', uri: '/api/vault/x', token: mfa });
      expectStatus(r2, 200);
      assert.equal(r2.headers['x-auth-request-user'], 'bob');
      assert.equal(r2.headers['x-auth-request-level'], 'mfa');
    });

    test('method comes from X-Forwarded-Method', async () => {
      const basic = await stack.basicToken();
      expectStatus(await sg.forwardAuth({ host: 'api.example.com', uri: '/api/payments/1', method: 'GET', token: basic }), 200);
      assertStepUp(await sg.forwardAuth({ host: 'api.example.com', uri: '/api/payments/1', method: 'POST', token: basic }),
          { acrValues: ACR_VALUES.mfa, maxAge: 300 });
    });

    test('host comes from X-Forwarded-Host', async () => {
      expectStatus(await sg.forwardAuth({ host: 'app.admin.example.com', uri: '/x', token: await stack.mfaToken() }), 403);
    });

    test('X-Forwarded-Proto defaults to https', async () => {
      expectStatus(await sg.forwardAuth({ proto: null, host: 'api.example.com', uri: '/api/orders',
        token: await stack.basicToken() }), 200);
    });

    for (const missing of ['host', 'uri', 'method']) {
      test(`missing X-Forwarded-${missing}: 400`, async () => {
        expectStatus(await sg.forwardAuth({ host: 'api.example.com', uri: '/api/orders', method: 'GET',
          [missing]: null, token: await stack.basicToken() }), 400);
      });
    }

    test('duplicated X-Forwarded-Uri / X-Forwarded-Host / X-Forwarded-Proto: 400', async () => {
      const token = await stack.basicToken();
      const base = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example.com', 'X-Forwarded-Uri': '/api/orders',
        'X-Forwarded-Method': 'GET', Authorization: `Bearer ${token}` };
      for (const [k, v] of [['X-Forwarded-Uri', ['/public/x', '/api/vault/x']], ['X-Forwarded-Host', ['api.example.com', 'x.admin.example.com']],
        ['X-Forwarded-Proto', ['https', 'http']]]) {
        const res = await request(`${sg.url}/forward-auth`, { headers: { ...base, [k]: v } });
        expectStatus(res, 400, `duplicated ${k}`);
      }
    });

    test('path tricks in X-Forwarded-Uri: 400 or the vault rule', async () => {
      for (const p of ['/public/../api/vault/x', '/public/%2e%2e/api/vault/x', '/api/vault%2Fx']) {
        const res = await sg.forwardAuth({ host: 'api.example.com', uri: p, token: await stack.basicToken() });
        if (res.status !== 400) assertStepUp(res, { acrValues: ACR_VALUES.mfa }, p);
      }
    });
  });

  describe('/ext-authz/<path> (Envoy ext_authz HTTP)', () => {
    test('uses its own method, path and Host', async () => {
      const basic = await stack.basicToken();
      assertStepUp(await sg.extAuthz({ path: '/api/payments/charge', host: 'api.example.com', method: 'POST', token: basic }),
          { acrValues: ACR_VALUES.mfa, maxAge: 300 }, 'POST payments');
      expectStatus(await sg.extAuthz({ path: '/api/payments/charge', host: 'api.example.com', method: 'GET', token: basic }),
          200, 'GET payments is the default rule');
      const ok = await sg.extAuthz({ path: '/api/payments/charge', host: 'api.example.com', method: 'DELETE',
        token: await stack.mfaToken() });
      expectStatus(ok, 200);
      assert.equal(ok.headers['x-auth-request-user'], 'bob');
      expectStatus(await sg.extAuthz({ path: '/x', host: 'app.admin.example.com', token: await stack.mfaToken() }), 403,
          'admin host');
      expectStatus(await sg.extAuthz({ path: '/public/x', host: 'api.example.com' }), 200, 'anonymous public');
    });

    test('ignores X-Original-* and X-Forwarded-Uri', async () => {
      const res = await sg.extAuthz({ path: '/api/vault/x', host: 'api.example.com', token: await stack.basicToken(),
        headers: { 'X-Original-URL': `${API}/public/x`, 'X-Original-Method': 'GET', 'X-Forwarded-Uri': '/public/x' } });
      assertStepUp(res, { acrValues: ACR_VALUES.mfa });
    });

    test('its query belongs to the caller and never pins', async () => {
      const res = await sg.extAuthz({ path: '/api/orders?level=mfa&max_age=300', host: 'api.example.com',
        token: await stack.basicToken() });
      expectStatus(res, 200, '?level=mfa on /ext-authz must not pin');
    });

    test('path tricks: 400 or the vault rule', async () => {
      for (const p of ['/public/%2e%2e/api/vault/x', '/api/vault%2Fx', '/public/..%2Fapi/vault/x']) {
        const res = await sg.extAuthz({ path: p, host: 'api.example.com', token: await stack.basicToken() });
        if (res.status !== 400) assertStepUp(res, { acrValues: ACR_VALUES.mfa }, p);
      }
    });

    test('missing or duplicated Host: 400', async () => {
      const r1 = await rawRequest(sg.port, 'GET /ext-authz/api/orders HTTP/1.1\r\nConnection: close\r\n\r\n');
      expectStatus(r1, 400, 'no Host');
      const r2 = await rawRequest(sg.port, 'GET /ext-authz/public/x HTTP/1.1\r\nHost: api.example.com\r\n' +
          'Host: app.admin.example.com\r\nConnection: close\r\n\r\n');
      expectStatus(r2, 400, 'two Host headers');
    });
  });

  describe('/ext-authz-pinned/<pins>/<path>', () => {
    test('level=mfa&max_age=300 pins the requirement', async () => {
      const prefix = 'level=mfa&max_age=300';
      assertStepUp(await sg.extAuthz({ pins: prefix, path: '/api/orders', host: 'api.example.com',
        token: await stack.basicToken() }), { acrValues: ACR_VALUES.mfa, maxAge: 300 });
      expectStatus(await sg.extAuthz({ pins: prefix, path: '/api/orders', host: 'api.example.com',
        token: await stack.mfaToken({ auth_time: now() - 10 }) }), 200, 'fresh mfa');
      assertStepUp(await sg.extAuthz({ pins: prefix, path: '/api/orders', host: 'api.example.com',
        token: await stack.mfaToken({ auth_time: now() - 1000 }) }), { acrValues: ACR_VALUES.mfa, maxAge: 300 }, 'stale mfa');
    });

    test('policy=admin pins the admin rule', async () => {
      expectStatus(await sg.extAuthz({ pins: 'policy=admin', path: '/public/x', host: 'api.example.com',
        token: await stack.mfaToken() }), 403);
      expectStatus(await sg.extAuthz({ pins: 'policy=admin', path: '/public/x', host: 'api.example.com',
        token: await stack.mfaToken({ groups: ['admins'] }) }), 200);
    });

    test('scopes_all pin: 403 insufficient_scope naming the scope', async () => {
      assertInsufficientScope(await sg.extAuthz({ pins: 'scopes_all=reports:write', path: '/x', host: 'api.example.com',
        token: await stack.basicToken({ scope: 'reports:read' }) }), 'reports:write');
    });

    for (const pins of ['level=platinum', 'policy=nope', 'colour=blue', 'max_age=soon']) {
      test(`bad pins ${pins}: 500, never an allow`, async () => {
        expectStatus(await sg.extAuthz({ pins, path: '/public/x', host: 'api.example.com',
          token: await stack.mfaToken({ groups: ['admins'] }) }), 500, pins);
      });
    }
  });

  describe('/auth pins on the auth URL', () => {
    test('inline pins: level, max_age, groups_any, scopes_all', async () => {
      const basic = await stack.basicToken({ scope: 'a b' });
      assertStepUp(await sg.auth({ url: `${API}/public/x`, token: basic, query: '?level=mfa&max_age=120' }),
          { acrValues: ACR_VALUES.mfa, maxAge: 120 });
      expectStatus(await sg.auth({ url: `${API}/public/x`, token: basic, query: '?groups_any=admins,ops' }), 200,
          'groups_any=admins,ops, user in ops; no level= pins the weakest level');
      expectStatus(await sg.auth({ url: `${API}/public/x`, token: basic, query: '?groups_all=dev,admins' }), 403,
          'groups_all=dev,admins, user lacks admins');
      assertInsufficientScope(await sg.auth({ url: `${API}/public/x`, token: basic, query: '?scopes_all=a,c' }), ['c', 'a c'],
          'scope= names the missing scope or all required ones');
      expectStatus(await sg.auth({ url: `${API}/public/x`, query: '?groups_any=ops' }), 401,
          'anonymous: a pin without level= still needs a signed-in user');
    });

    test('bad pins on /auth: 500', async () => {
      for (const q of ['?level=platinum', '?policy=nope', '?colour=blue', '?max_age=-5', '?level=']) {
        expectStatus(await sg.auth({ url: `${API}/public/x`, token: await stack.mfaToken({ groups: ['admins'] }), query: q }), 500, q);
      }
    });
  });

  describe('scopes (RFC 6750 insufficient_scope)', () => {
    test('missing scope: 403 error="insufficient_scope", scope="reports:read"', async () => {
      assertInsufficientScope(await sg.auth({ url: `${API}/api/reports/q`, token: await stack.basicToken({ scope: 'openid' }) }),
          'reports:read');
      assertInsufficientScope(await sg.auth({ url: `${API}/api/reports/q`, token: await stack.basicToken({ scope: null }) }),
          'reports:read', 'no scope claim');
      expectStatus(await sg.auth({ url: `${API}/api/reports/q`, token: await stack.basicToken({ scope: 'openid reports:read' }) }), 200);
      assertInsufficientScope(await sg.auth({ url: `${API}/api/reports/q`, token: await stack.basicToken({ scope: 'reports:readall' }) }),
          'reports:read', 'scope prefix must not count');
    });
  });

  describe('tokens and limits', () => {
    test('alg none: 401 invalid_token', async () => {
      assertInvalidToken(await sg.auth({ url: `${API}/api/orders`, token: await stack.issuer.mintUnsigned({ acr: ACR.basic }) }));
      assertInvalidToken(await sg.auth({ url: `${API}/api/orders`,
        token: await stack.issuer.mintUnsigned({ acr: ACR.basic, header: { alg: 'None' } }) }), 'alg None');
    });

    test('HS256 (RSA public key as HMAC secret, and a random secret): 401 invalid_token', async () => {
      assertInvalidToken(await sg.auth({ url: `${API}/api/orders`, token: await stack.issuer.mintHs256({ acr: ACR.basic }) }));
      assertInvalidToken(await sg.auth({ url: `${API}/api/orders`,
        token: await stack.issuer.mintHs256({ acr: ACR.basic }, { secret: new TextEncoder().encode('x'.repeat(32)) }) }));
    });

    test('header alg that does not match the key (kid of the RSA key, alg ES256): 401 invalid_token', async () => {
      const es = stack.issuer.keyForAlg('ES256');
      const rs = stack.issuer.keyForAlg('RS256');
      const token = await stack.issuer.mint({ kid: es.kid, header: { kid: rs.kid }, acr: ACR.basic });
      assertInvalidToken(await sg.auth({ url: `${API}/api/orders`, token }));
    });

    test('token signed by a key the provider does not publish: 401 invalid_token', async () => {
      const k = await stack.issuer.unpublishedKey('RS256');
      assertInvalidToken(await sg.auth({ url: `${API}/api/orders`, token: await stack.issuer.mint({ kid: k.kid, acr: ACR.basic }) }),
          'unknown kid');
      const rs = stack.issuer.keyForAlg('RS256');
      assertInvalidToken(await sg.auth({ url: `${API}/api/orders`,
        token: await stack.issuer.mint({ kid: k.kid, header: { kid: rs.kid }, acr: ACR.basic }) }), 'kid of a published key');
    });

    test('expired beyond leeway, nbf in the future, iat in the future: 401 invalid_token', async () => {
      for (const [name, o] of [['expired', { exp: now() - 120, iat: now() - 600 }], ['nbf', { nbf: now() + 300 }],
        ['iat future', { iat: now() + 600, exp: now() + 900 }], ['no exp', { exp: null }]]) {
        assertInvalidToken(await sg.auth({ url: `${API}/api/orders`, token: await stack.basicToken(o) }), name);
      }
    });

    test('within leeway (exp 5 s ago, leeway 30 s): allowed', async () => {
      expectStatus(await sg.auth({ url: `${API}/api/orders`, token: await stack.basicToken({ exp: now() - 5, iat: now() - 300 }) }), 200);
    });

    test('malformed Authorization headers: 401 invalid_token, never 500', async () => {
      for (const auth of ['Bearer', 'Bearer ', 'Bearer a.b', 'Bearer a.b.c.d', 'Bearer ...', 'Bearer e30.e30.',
        'Bearer !!!.###.$$$', 'Bearer eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.AAAA']) {
        const res = await request(`${sg.url}/auth`, { headers: { 'X-Original-URL': `${API}/api/orders`, 'X-Original-Method': 'GET',
          Authorization: auth } });
        assert.ok(res.status === 401 || res.status === 400, `${JSON.stringify(auth)}\n${showResponse(res)}`);
        if (res.status === 401 && res.headers['www-authenticate']) {
          assert.equal(parseChallenge(res.headers['www-authenticate']).params.error, 'invalid_token', showResponse(res));
        }
      }
    });

    test('a bearer token above 16 KiB: 401 invalid_token', async () => {
      const token = await stack.basicToken({ extra: { pad: 'x'.repeat(17 * 1024) } });
      assert.ok(token.length > 16 * 1024 && token.length < 28 * 1024, `token length ${token.length}`);
      assertInvalidToken(await sg.auth({ url: `${API}/api/orders`, token }), `token of ${token.length} bytes`);
    });

    test('a request head above 32 KiB: 431', async () => {
      const res = await request(`${sg.url}/auth`, { headers: { 'X-Original-URL': `${API}/public/x`, 'X-Original-Method': 'GET',
        'X-Padding': 'p'.repeat(33 * 1024) } }).catch((e) => ({ status: 0, headers: {}, body: `connection error: ${e.message}` }));
      expectStatus(res, 431);
    });

    test('Stepgate still answers after the bad requests', async () => {
      expectStatus(await request(`${sg.url}/healthz`), 200);
      expectStatus(await sg.auth({ url: `${API}/api/orders`, token: await stack.basicToken() }), 200);
    });
  });
});
