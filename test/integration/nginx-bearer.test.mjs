// Bearer-token (API) decisions through real nginx rendered like ingress-nginx's
// auth-url: what reaches the client and what reaches the upstream.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertInvalidToken, assertStepUp } from './lib/challenge.mjs';
import { ACR, ACR_VALUES, HOSTS, Stack } from './lib/env.mjs';
import { tamperPayload, tamperSignature } from './lib/issuer.mjs';
import { showResponse } from './lib/procs.mjs';

const now = () => Math.floor(Date.now() / 1000);
const splitList = (v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

describe('through nginx (ingress-nginx auth-url), bearer tokens', () => {
  const stack = new Stack();
  before(async () => {
    await stack.start();
  });
  after(async () => {
    await stack.stop();
  });

  /** Asserts the request reached the echo upstream and returns what it saw. */
  function upstreamSaw(res, what = '') {
    assert.equal(res.status, 200, `expected 200 from the upstream ${what}\n${showResponse(res)}`);
    const body = res.json();
    assert.equal(body.upstream, 'echo', `answer did not come from the upstream ${what}\n${showResponse(res)}`);
    return body;
  }

  /** Asserts nginx answered `status` and the upstream was not reached. */
  function notReached(res, status, what = '') {
    assert.equal(res.status, status, `${what}\n${showResponse(res)}`);
    assert.notEqual(res.headers['x-upstream'], 'echo', `upstream must not be reached ${what}`);
  }

  describe('allow', () => {
    test('valid RS256 token on a basic route: 200 at the upstream with X-Auth-Request-* headers', async () => {
      const authTime = now() - 42;
      const token = await stack.basicToken({ alg: 'RS256', auth_time: authTime, groups: ['dev', 'ops'] });
      const res = await stack.viaNginx(HOSTS.api, '/api/orders/17?x=1', { token });
      const up = upstreamSaw(res);
      const h = up.headers;
      const ctx = JSON.stringify(h, null, 1);
      assert.equal(up.url, '/api/orders/17?x=1');
      assert.equal(h['x-auth-request-user'], 'alice', ctx);
      assert.equal(h['x-auth-request-email'], 'alice@example.com', ctx);
      assert.equal(h['x-auth-request-preferred-username'], 'alice', ctx);
      assert.deepEqual(splitList(h['x-auth-request-groups']), ['dev', 'ops'], `groups comma separated ${ctx}`);
      assert.equal(h['x-auth-request-level'], 'basic', ctx);
      assert.equal(h['x-auth-request-acr'], ACR.basic, ctx);
      assert.deepEqual(splitList(h['x-auth-request-amr']), ['pwd'], ctx);
      assert.equal(h['x-auth-request-auth-time'], String(authTime), ctx);
      assert.equal(h.authorization, `Bearer ${token}`, 'the token still reaches the application');
    });

    test('mfa token: Level mfa, amr list comma separated', async () => {
      const token = await stack.mfaToken({ amr: ['pwd', 'otp', 'hwk'] });
      const up = upstreamSaw(await stack.viaNginx(HOSTS.api, '/api/vault/item', { token }));
      assert.equal(up.headers['x-auth-request-level'], 'mfa', JSON.stringify(up.headers));
      assert.equal(up.headers['x-auth-request-user'], 'bob');
      assert.deepEqual(splitList(up.headers['x-auth-request-amr']), ['pwd', 'otp', 'hwk']);
    });

    for (const alg of ['ES256', 'PS256', 'EdDSA']) {
      test(`valid ${alg} token is accepted`, async () => {
        const token = await stack.basicToken({ alg });
        upstreamSaw(await stack.viaNginx(HOSTS.api, '/api/orders', { token }), alg);
      });
    }

    test('absent claims give absent headers at the upstream', async () => {
      const token = await stack.issuer.mint({ sub: 'carol', acr: ACR.basic, amr: null, auth_time: null });
      const up = upstreamSaw(await stack.viaNginx(HOSTS.api, '/api/orders', { token }));
      const h = up.headers;
      assert.equal(h['x-auth-request-user'], 'carol');
      for (const name of ['email', 'groups', 'preferred-username', 'amr', 'auth-time']) {
        assert.equal(h[`x-auth-request-${name}`], undefined, `x-auth-request-${name} must be absent: ${JSON.stringify(h)}`);
      }
    });

    test('public route allows anonymous requests', async () => {
      const up = upstreamSaw(await stack.viaNginx(HOSTS.api, '/public/index.html'));
      assert.equal(up.headers['x-auth-request-user'], undefined);
    });

    test('payments rule covers POST only: GET on the same path is the default (basic) rule', async () => {
      const token = await stack.basicToken();
      upstreamSaw(await stack.viaNginx(HOSTS.api, '/api/payments/42', { token }));
    });
  });

  describe('invalid tokens: 401 with Bearer error="invalid_token" reaching the client', () => {
    test('no token: 401, upstream not reached', async () => {
      notReached(await stack.viaNginx(HOSTS.api, '/api/orders'), 401);
    });

    const cases = {
      'garbage': async () => 'not-a-jwt',
      'expired': async () => stack.basicToken({ iat: now() - 900, exp: now() - 600, auth_time: now() - 900 }),
      'tampered signature': async () => tamperSignature(await stack.basicToken()),
      'tampered payload': async () => tamperPayload(await stack.basicToken(), { sub: 'mallory' }),
      'payload upgraded to mfa': async () => tamperPayload(await stack.basicToken(), { acr: ACR.mfa }),
      'wrong audience': async () => stack.basicToken({ aud: 'someone-else' }),
      'wrong issuer': async () => stack.basicToken({ iss: 'http://127.0.0.1:1' }),
      'not yet valid (nbf in 10 min)': async () => stack.basicToken({ nbf: now() + 600 }),
      'no exp': async () => stack.basicToken({ exp: null }),
      'alg none': async () => stack.issuer.mintUnsigned({ acr: ACR.basic }),
      'HS256 keyed with the RSA public key': async () => stack.issuer.mintHs256({ acr: ACR.basic }),
    };
    for (const [name, make] of Object.entries(cases)) {
      test(name, async () => {
        const res = await stack.viaNginx(HOSTS.api, '/api/orders', { token: await make() });
        assertInvalidToken(res, name);
        assert.notEqual(res.headers['x-upstream'], 'echo');
      });
    }
  });

  describe('step-up (RFC 9470) reaching the client', () => {
    test('basic token on the payments rule (mfa, max_age 5m): challenge with acr_values and max_age=300', async () => {
      const token = await stack.basicToken();
      const res = await stack.viaNginx(HOSTS.api, '/api/payments/charge', { method: 'POST', token });
      assertStepUp(res, { acrValues: ACR_VALUES.mfa, maxAge: 300 });
    });

    test('basic token on the vault rule (mfa, no max_age): challenge without max_age', async () => {
      const token = await stack.basicToken();
      assertStepUp(await stack.viaNginx(HOSTS.api, '/api/vault/item', { token }), { acrValues: ACR_VALUES.mfa });
    });

    test('mfa token whose auth_time is older than max_age: 401 insufficient_user_authentication', async () => {
      const token = await stack.mfaToken({ auth_time: now() - 3600, iat: now() - 5 });
      const res = await stack.viaNginx(HOSTS.api, '/checkout/pay', { method: 'PUT', token });
      assertStepUp(res, { acrValues: ACR_VALUES.mfa, maxAge: 300 });
    });

    test('mfa token without auth_time on a max_age rule: step-up, never allow', async () => {
      const token = await stack.mfaToken({ auth_time: null });
      const res = await stack.viaNginx(HOSTS.api, '/checkout/pay', { method: 'POST', token });
      assertStepUp(res, { acrValues: ACR_VALUES.mfa, maxAge: 300 });
    });

    test('fresh mfa token on the payments rule: allowed', async () => {
      const token = await stack.mfaToken({ auth_time: now() - 30 });
      upstreamSaw(await stack.viaNginx(HOSTS.api, '/api/payments/charge', { method: 'POST', token }));
    });

    test('mfa by amr alone (no acr) meets the mfa level', async () => {
      const token = await stack.issuer.mint({ sub: 'dave', acr: null, amr: ['pwd', 'otp'] });
      const up = upstreamSaw(await stack.viaNginx(HOSTS.api, '/api/vault/item', { token }));
      assert.equal(up.headers['x-auth-request-level'], 'mfa');
    });

    test('a token matching no level (Keycloak acr "0") on a basic route: acr_values of basic then mfa', async () => {
      const token = await stack.issuer.mint({ acr: '0', amr: ['pwd'] });
      assertStepUp(await stack.viaNginx(HOSTS.api, '/api/orders', { token }), { acrValues: ACR_VALUES.basic });
    });
  });

  describe('groups and scopes: 403', () => {
    test('mfa token missing the admins group on /admin/**: 403', async () => {
      const token = await stack.mfaToken({ groups: ['dev'] });
      notReached(await stack.viaNginx(HOSTS.api, '/admin/users', { token }), 403);
    });

    test('mfa token with the admins group on /admin/**: allowed', async () => {
      const token = await stack.mfaToken({ groups: ['dev', 'admins'] });
      const up = upstreamSaw(await stack.viaNginx(HOSTS.api, '/admin/users', { token }));
      assert.deepEqual(splitList(up.headers['x-auth-request-groups']), ['dev', 'admins']);
    });

    test('admin host rule (*.admin.example.com): no admins group → 403, admins → 200', async () => {
      notReached(await stack.viaNginx(HOSTS.adminHost, '/anything', { token: await stack.mfaToken() }), 403);
      upstreamSaw(await stack.viaNginx(HOSTS.adminHost, '/anything',
          { token: await stack.mfaToken({ groups: ['admins'] }) }));
    });

    test('basic token with the admins group on /admin/**: step-up to mfa', async () => {
      const token = await stack.basicToken({ groups: ['admins'] });
      assertStepUp(await stack.viaNginx(HOSTS.api, '/admin/users', { token }), { acrValues: ACR_VALUES.mfa });
    });

    test('missing scope on /api/reports/**: 403 at the client (nginx drops WWW-Authenticate of a 403)', async () => {
      const token = await stack.basicToken({ scope: 'openid profile' });
      notReached(await stack.viaNginx(HOSTS.api, '/api/reports/q1', { token }), 403);
    });

    test('scope reports:read present: allowed', async () => {
      const token = await stack.basicToken({ scope: 'openid reports:read' });
      upstreamSaw(await stack.viaNginx(HOSTS.api, '/api/reports/q1', { token }));
    });
  });

  describe('per-Ingress pins in the auth-url', () => {
    test('?level=mfa&max_age=300 pins mfa even where the rules allow basic', async () => {
      const basic = await stack.basicToken();
      assertStepUp(await stack.viaNginx(HOSTS.pinnedMfa, '/api/orders', { token: basic }),
          { acrValues: ACR_VALUES.mfa, maxAge: 300 }, 'pinned host, default-rule path');
      upstreamSaw(await stack.viaNginx(HOSTS.api, '/api/orders', { token: basic }), 'same path on the unpinned Ingress');
    });

    test('?level=mfa pin replaces a level:none rule (public path needs mfa there)', async () => {
      notReached(await stack.viaNginx(HOSTS.pinnedMfa, '/public/index.html'), 401);
    });

    test('?level=mfa&max_age=300: fresh mfa allowed, stale mfa challenged', async () => {
      upstreamSaw(await stack.viaNginx(HOSTS.pinnedMfa, '/api/orders',
          { token: await stack.mfaToken({ auth_time: now() - 60 }) }));
      assertStepUp(await stack.viaNginx(HOSTS.pinnedMfa, '/api/orders',
          { token: await stack.mfaToken({ auth_time: now() - 900 }) }), { acrValues: ACR_VALUES.mfa, maxAge: 300 });
    });

    test('?policy=admin applies the admin rule on any path', async () => {
      notReached(await stack.viaNginx(HOSTS.pinnedAdmin, '/public/x'), 401);
      notReached(await stack.viaNginx(HOSTS.pinnedAdmin, '/public/x', { token: await stack.mfaToken() }), 403);
      assertStepUp(await stack.viaNginx(HOSTS.pinnedAdmin, '/public/x',
          { token: await stack.basicToken({ groups: ['admins'] }) }), { acrValues: ACR_VALUES.mfa });
      upstreamSaw(await stack.viaNginx(HOSTS.pinnedAdmin, '/public/x',
          { token: await stack.mfaToken({ groups: ['admins'] }) }));
    });

    for (const [host, pin] of [[HOSTS.badLevel, 'level=platinum'], [HOSTS.badPolicy, 'policy=nope'], [HOSTS.badKey, 'colour=blue']]) {
      test(`unknown pin (${pin}): 500 at the client, never an allow`, async () => {
        const token = await stack.mfaToken({ groups: ['admins'] });
        notReached(await stack.viaNginx(host, '/api/orders', { token }), 500, pin);
        notReached(await stack.viaNginx(host, '/public/x'), 500, `${pin}, anonymous on a public path`);
      });
    }
  });

  describe('spoofed headers through nginx', () => {
    test("a client's own X-Forwarded-Uri/Host/Method do not change the decision", async () => {
      const token = await stack.basicToken();
      const res = await stack.viaNginx(HOSTS.api, '/api/vault/item', {
        token,
        headers: { 'X-Forwarded-Uri': '/public/x', 'X-Forwarded-Host': HOSTS.api, 'X-Forwarded-Method': 'GET',
          'X-Forwarded-Proto': 'https' },
      });
      assertStepUp(res, { acrValues: ACR_VALUES.mfa });
      notReached(await stack.viaNginx(HOSTS.api, '/api/orders',
          { headers: { 'X-Forwarded-Uri': '/public/x', 'X-Original-URL': `http://${HOSTS.api}/public/x` } }), 401,
          'anonymous with spoofed X-Forwarded-Uri and X-Original-URL');
    });

    test('X-Auth-Request-* sent by a client never reach the upstream as identity', async () => {
      const up = upstreamSaw(await stack.viaNginx(HOSTS.api, '/public/x',
          { headers: { 'X-Auth-Request-User': 'mallory', 'X-Auth-Request-Groups': 'admins' } }));
      assert.equal(up.headers['x-auth-request-user'], undefined, JSON.stringify(up.headers));
      assert.equal(up.headers['x-auth-request-groups'], undefined, JSON.stringify(up.headers));
    });
  });
});
