// The provider's keys over time: rotation picked up through an unknown-kid
// refresh (throttled), and a provider that goes away while cached keys keep
// working. Through nginx where the client-visible answer matters.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertInvalidToken } from './lib/challenge.mjs';
import { ACR, HOSTS, Stack } from './lib/env.mjs';
import { request, showResponse, sleep } from './lib/procs.mjs';

const API = 'http://api.example.com';
const THROTTLE_MS = 1000; // provider.jwks_refresh_throttle below

describe('provider keys: rotation, refresh throttle, provider outage', () => {
  const stack = new Stack({ stepgateOverrides: { provider: { jwks_refresh_throttle: '1s', jwks_refresh: '10m' } } });
  let sg;
  before(async () => {
    await stack.start();
    sg = stack.stepgate;
    // Let the throttle window of the initial key load pass.
    await sleep(THROTTLE_MS + 200);
  });
  after(async () => {
    await stack.stop();
  });

  const expectStatus = (res, status, what = '') => assert.equal(res.status, status, `${what}\n${showResponse(res)}`);

  test('key rotation: a token with a new kid is accepted without restarting Stepgate', async () => {
    const oldToken = await stack.basicToken();
    expectStatus(await stack.viaNginx(HOSTS.api, '/api/orders', { token: oldToken }), 200, 'before rotation');
    const fetchesBefore = stack.issuer.jwksFetches;
    const k = await stack.issuer.rotate({ alg: 'RS256' });
    const newToken = await stack.basicToken();
    const res = await stack.viaNginx(HOSTS.api, '/api/orders', { token: newToken });
    expectStatus(res, 200, `token with new kid ${k.kid} (JWKS fetches ${fetchesBefore} → ${stack.issuer.jwksFetches})\n${await stack.logs()}`);
    assert.ok(stack.issuer.jwksFetches > fetchesBefore, 'the JWKS was fetched again for the unknown kid');
    expectStatus(await stack.viaNginx(HOSTS.api, '/api/orders', { token: oldToken }), 200, 'old key still published');
  });

  test('a key removed from the JWKS is no longer trusted after the next refresh', async () => {
    await sleep(THROTTLE_MS + 200);
    const oldToken = await stack.basicToken();
    expectStatus(await sg.auth({ url: `${API}/api/orders`, token: oldToken }), 200, 'old key in use');
    const ecToken = await stack.basicToken({ alg: 'ES256' });
    await stack.issuer.rotate({ alg: 'ES256', removeOld: true });
    // the new kid triggers the refresh that drops the removed keys
    expectStatus(await sg.auth({ url: `${API}/api/orders`, token: await stack.basicToken() }), 200,
        `new kid after rotation with removal\n${await stack.logs()}`);
    assertInvalidToken(await sg.auth({ url: `${API}/api/orders`, token: oldToken }), 'RS256 key removed from the JWKS');
    assertInvalidToken(await sg.auth({ url: `${API}/api/orders`, token: ecToken }), 'old ES256 key removed from the JWKS');
    // restore a full key set for the following tests
    await stack.issuer.rotate({ alg: 'RS256' });
    await sleep(THROTTLE_MS + 200);
    expectStatus(await sg.auth({ url: `${API}/api/orders`, token: await stack.basicToken() }), 200, 'after restore');
  });

  test('unknown kids do not make Stepgate fetch the JWKS more than the throttle allows', async () => {
    await sleep(THROTTLE_MS + 200);
    const stranger = await stack.issuer.unpublishedKey('RS256');
    const tokens = [];
    for (let i = 0; i < 20; i++) {
      tokens.push(await stack.issuer.mint({ kid: stranger.kid, header: { kid: `unknown-${i}` }, acr: ACR.basic }));
    }
    const before = stack.issuer.jwksFetches;
    const started = Date.now();
    for (const token of tokens) {
      assertInvalidToken(await sg.auth({ url: `${API}/api/orders`, token }), 'unknown kid');
    }
    const elapsed = Date.now() - started;
    const fetched = stack.issuer.jwksFetches - before;
    const allowed = Math.floor(elapsed / THROTTLE_MS) + 1;
    assert.ok(fetched <= allowed,
        `${fetched} JWKS fetches for 20 unknown-kid tokens in ${elapsed} ms; throttle 1s allows at most ${allowed}`);
  });

  test('provider goes away: cached keys keep working, /readyz stays 200, unknown kids are refused', async () => {
    const token = await stack.basicToken();
    expectStatus(await stack.viaNginx(HOSTS.api, '/api/orders', { token }), 200, 'before outage');
    await stack.issuer.stop();
    try {
      await sleep(THROTTLE_MS + 200);
      for (let i = 0; i < 3; i++) {
        const fresh = await stack.basicToken({ alg: i % 2 ? 'ES256' : undefined });
        expectStatus(await stack.viaNginx(HOSTS.api, '/api/orders', { token: fresh }), 200, `cached key, attempt ${i}`);
      }
      const stranger = await stack.issuer.unpublishedKey('RS256');
      const res = await sg.auth({ url: `${API}/api/orders`, token: await stack.issuer.mint({ kid: stranger.kid, acr: ACR.basic }) });
      assert.ok(res.status === 401 || res.status === 500 || res.status === 503,
          `unknown kid while the provider is down must be refused (401, or 500/503 fail-closed)\n${showResponse(res)}`);
      expectStatus(await request(`${sg.url}/readyz`), 200, '/readyz while the provider is down (keys cached)');
      expectStatus(await request(`${sg.url}/healthz`), 200, '/healthz while the provider is down');
      // after the failed refresh the cached keys still work
      expectStatus(await stack.viaNginx(HOSTS.api, '/api/orders', { token: await stack.basicToken() }), 200,
          'cached key after a failed refresh');
    } finally {
      await stack.issuer.start(); // same port
    }
  });

  test('JWKS endpoint answering 500: cached keys keep working; the provider back: a new key works', async () => {
    await sleep(THROTTLE_MS + 200);
    stack.issuer.jwksStatus = 500;
    try {
      const stranger = await stack.issuer.unpublishedKey('ES256');
      const res = await sg.auth({ url: `${API}/api/orders`, token: await stack.issuer.mint({ kid: stranger.kid, acr: ACR.basic }) });
      assert.ok([401, 500, 503].includes(res.status), showResponse(res));
      expectStatus(await sg.auth({ url: `${API}/api/orders`, token: await stack.basicToken() }), 200, 'cached key');
      expectStatus(await request(`${sg.url}/readyz`), 200, '/readyz');
    } finally {
      stack.issuer.jwksStatus = 200;
    }
    await sleep(THROTTLE_MS + 200);
    await stack.issuer.rotate({ alg: 'EdDSA' });
    expectStatus(await sg.auth({ url: `${API}/api/orders`, token: await stack.basicToken() }), 200,
        `EdDSA key added after recovery\n${await stack.logs()}`);
  });
});

describe('readiness before keys are loaded', () => {
  test('/readyz is not 200 while the provider cannot be reached, and turns 200 once it can', async () => {
    const { TokenIssuer } = await import('./lib/issuer.mjs');
    const { Stepgate } = await import('./lib/stepgate.mjs');
    const { makeTempDir, killAll, cleanupTempDirs, waitForHttp } = await import('./lib/procs.mjs');
    const issuer = new TokenIssuer({ algs: ['RS256'] });
    await issuer.start();
    const port = issuer.port;
    await issuer.stop(); // the port is known but nothing listens
    const sgate = new Stepgate({ dir: await makeTempDir('stepgate-ready-'), issuer: issuer.issuer,
      overrides: { provider: { jwks_refresh_throttle: '0s', jwks_refresh: '10s' } } });
    try {
      // readyz must not turn 200 within 3 s while the provider is unreachable
      const err = await sgate.start({ readyTimeoutMs: 3000 }).then(() => null, (e) => e);
      assert.ok(err instanceof Error, 'readyz must not be 200 before the keys are loaded');
      assert.ok(sgate.proc?.running, `Stepgate must keep running while the provider is down\n${sgate.logs()}`);
      await waitForHttp(`${sgate.url}/healthz`, { expectStatus: 200, timeoutMs: 5000, proc: sgate.proc });
      const r = await request(`${sgate.url}/readyz`);
      assert.notEqual(r.status, 200, showResponse(r));
      const d = await request(`${sgate.url}/auth`, { headers: { 'X-Original-URL': `${API}/api/orders`, 'X-Original-Method': 'GET',
        Authorization: `Bearer ${await issuer.mint({ acr: ACR.basic })}` } });
      assert.notEqual(d.status, 200, `no allow for a bearer token before keys are loaded\n${showResponse(d)}`);
      await issuer.start({ port });
      await waitForHttp(`${sgate.url}/readyz`, { expectStatus: 200, timeoutMs: 30000, proc: sgate.proc });
      const ok = await sgate.auth({ url: `${API}/api/orders`, token: await issuer.mint({ acr: ACR.basic }) });
      assert.equal(ok.status, 200, showResponse(ok));
    } finally {
      await sgate.stop();
      await issuer.stop();
      await killAll();
      await cleanupTempDirs();
    }
  });
});
