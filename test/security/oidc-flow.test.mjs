// The browser flow (/start → provider → /callback) attacked by hand: a
// browser-less client with a cookie jar (lib/client.mjs) that follows every
// redirect itself, so that state, code, iss, nonce and cookies can be
// forged, replayed, duplicated or planted between two hops.
//
// Two providers: lib/oidc-idp.mjs (npm oidc-provider: a real login with
// password and one-time code, and knobs weakAcr / omitAuthTime / issParam /
// switchSubTo), and lib/scripted-idp.mjs (this suite's: its token endpoint
// returns whatever ID token the test makes, for the nonce and ID-token cases).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { OidcIdp } from '../integration/lib/oidc-idp.mjs';
import { LOOPBACK, cleanupTempDirs, freePort, killAll, showResponse, sleep } from '../integration/lib/procs.mjs';
import { Client, throughProvider } from './lib/client.mjs';
import { b64u, compact, hmac, signed } from './lib/jwt.mjs';
import { ScriptedIdp } from './lib/scripted-idp.mjs';
import { startStepgate } from './lib/stack.mjs';
import { makeKey } from '../integration/lib/issuer.mjs';

const now = () => Math.floor(Date.now() / 1000);
const SESSION_RE = /^_stepgate(_\d+)?$/;

/** No session cookie was set by this answer (a clearing Set-Cookie is fine). */
function assertNoSessionSet(res, what) {
  for (const c of res.headers['set-cookie'] ?? []) {
    const [pair] = c.split(';');
    const [name, value] = pair.split('=');
    if (SESSION_RE.test(name.trim())) assert.equal(value, '', `${what}: a session cookie was set\n${showResponse(res)}`);
  }
}

function assertErrorPage(res, what, statuses = [400, 401, 403]) {
  assert.ok(statuses.includes(res.status), `${what}: expected ${statuses.join('/')}\n${showResponse(res)}`);
  assert.equal(res.headers.location, undefined, `${what}: an error page, never a redirect to rd`);
  assertNoSessionSet(res, what);
}

describe('OIDC flow attacks (real provider: oidc-provider)', () => {
  let idp;
  let sg;
  let sgUrl;
  before(async () => {
    const port = await freePort();
    sgUrl = `http://${LOOPBACK}:${port}`;
    idp = await new OidcIdp({ redirectUris: [`${sgUrl}/callback`] }).start();
    sg = await startStepgate(idp.issuer, { provider: { leeway: '1s' }, redirect: { allowed_domains: [LOOPBACK], default: undefined } },
        { port });
  });
  after(async () => {
    await sg?.stop();
    await idp?.stop();
    await killAll();
    await cleanupTempDirs();
  });

  const start = (q = `rd=${encodeURIComponent('/whoami')}`) => `${sgUrl}/start?${q}`;
  const whoami = async (c) => {
    const res = await c.fetch(`${sgUrl}/whoami`);
    return { status: res.status, json: res.status === 200 ? res.json() : undefined };
  };
  /** A signed-in client (alice, basic). */
  async function signedIn(user = 'alice') {
    const c = new Client();
    const cb = await throughProvider(c, start(), { sgUrl, user });
    const res = await c.fetch(cb);
    assert.equal(res.status, 302, showResponse(res));
    return c;
  }
  /** A callback URL's parts. */
  const parts = (cb) => Object.fromEntries(new URL(cb).searchParams);
  const callback = (q) => `${sgUrl}/callback?${new URLSearchParams(q)}`;

  describe('state (RFC 6749 §10.12, OIDC Core §3.1.2.7)', () => {
    test('missing, forged, too short, or another browser\'s state: 400, no session, no token request', async () => {
      const c = new Client();
      const cb = await throughProvider(c, start(), { sgUrl });
      const { code, state, iss } = parts(cb);
      const tokenCalls = idp.tokenRequests.length;
      const cases = {
        'no state': { code, iss },
        'empty state': { code, state: '', iss },
        'forged state (last two characters)': { code, state: `${state.slice(0, -2)}xx`, iss },
        'forged state (same 12-character prefix: the flow cookie\'s name)': { code, state: `${state.slice(0, 12)}${'A'.repeat(state.length - 12)}`, iss },
        'too short': { code, state: 'abc', iss },
        'very long': { code, state: 'A'.repeat(5000), iss },
      };
      for (const [what, q] of Object.entries(cases)) assertErrorPage(await c.fetch(callback(q)), what, [400]);
      // Login CSRF: the real state and code, in a browser that never started this flow.
      assertErrorPage(await new Client().fetch(cb), 'another browser (no flow cookie)', [400]);
      assert.equal(idp.tokenRequests.length, tokenCalls, 'no code was exchanged for a refused callback');
      // No session came of any of them (a forgery under the real cookie name also used up the flow: single use).
      assert.equal((await whoami(c)).status, 401);
    });

    test('RFC 6749 §3.1: repeated state or code parameters are refused, not resolved by guessing', async () => {
      const c = new Client();
      const cb = await throughProvider(c, start(), { sgUrl });
      const { code, state, iss } = parts(cb);
      const tokenCalls = idp.tokenRequests.length;
      const base = `${sgUrl}/callback?`;
      const q = (s) => `${base}${s}&iss=${encodeURIComponent(iss)}`;
      for (const [what, url] of Object.entries({
        'state twice (same value)': q(`code=${code}&state=${state}&state=${state}`),
        'state twice (other value first)': q(`code=${code}&state=${'B'.repeat(43)}&state=${state}`),
        'code twice': q(`code=${code}&code=other&state=${state}`),
        'code twice (same value)': q(`code=${code}&code=${code}&state=${state}`),
        'iss twice': `${base}code=${code}&state=${state}&iss=${encodeURIComponent(iss)}&iss=${encodeURIComponent(iss)}`,
      })) {
        const res = await c.fetch(url);
        assertErrorPage(res, what, [400]);
      }
      assert.equal(idp.tokenRequests.length, tokenCalls, 'no code exchanged');
      // The refusals were for the duplicates: the flow is intact, the genuine callback signs in.
      const genuine = await c.fetch(cb);
      assert.equal(genuine.status, 302, showResponse(genuine));
      assert.equal((await whoami(c)).json?.sub, 'alice');
    });

    test('RFC 6749 §4.1.2 / RFC 9700 §4.2: a code used once is refused the second time, with or without the flow cookie', async () => {
      const c = new Client();
      const cb = await throughProvider(c, start(), { sgUrl });
      const flow = c.jar.matching(/^_stepgate_flow_/);
      assert.equal(flow.length, 1);
      const first = await c.fetch(cb);
      assert.equal(first.status, 302, showResponse(first));
      const before = await whoami(c);
      assert.equal(before.status, 200);
      const cookieBefore = c.jar.get('_stepgate').value;
      // Replay without the flow cookie (it was cleared): 400.
      assert.equal(c.jar.matching(/^_stepgate_flow_/).length, 0, 'the flow cookie is cleared after use');
      assertErrorPage(await c.fetch(cb), 'replay, flow cookie cleared', [400]);
      // Replay with the flow cookie put back (an attacker who kept it): the provider refuses the code.
      c.jar.set(LOOPBACK, flow[0].name, flow[0].value, flow[0].path);
      assertErrorPage(await c.fetch(cb), 'replay, flow cookie put back', [400]);
      assert.equal(c.jar.get('_stepgate').value, cookieBefore, 'the session is untouched');
      assert.deepEqual((await whoami(c)).json, before.json);
    });

    test('RFC 9700 §4.5 authorization code injection: an attacker\'s code with the victim\'s state is refused (PKCE)', async () => {
      const attacker = new Client();
      const attackerCb = await throughProvider(attacker, start(), { sgUrl, user: 'bob' });
      const victim = new Client();
      const victimCb = await throughProvider(victim, start(), { sgUrl, user: 'alice' });
      const { state, iss } = parts(victimCb);
      const res = await victim.fetch(callback({ code: parts(attackerCb).code, state, iss }));
      assertErrorPage(res, 'injected code', [400, 401, 403, 502]);
      assert.equal((await whoami(victim)).status, 401, 'the victim is not signed in as the attacker');
    });

    test('OIDC Core §3.1.2.6: an error response (with a real state) is an error page that reflects nothing', async () => {
      const c = new Client();
      const { res } = await c.follow(start(), { stop: (u) => u.startsWith(idp.issuer) });
      const state = new URL(res.headers.location).searchParams.get('state');
      const evil = '<script>alert(1)</script>';
      const page = await c.fetch(callback({ error: 'access_denied', error_description: evil, error_uri: 'https://evil.test/', state, iss: idp.issuer }));
      assertErrorPage(page, 'error response', [400, 403]);
      assert.doesNotMatch(page.body, /<script>|evil\.test/, 'nothing reflected');
      assert.match(page.headers['content-security-policy'] ?? '', /default-src 'none'/, 'a CSP on the page');
      const forged = await new Client().fetch(`${sgUrl}/callback?state=${encodeURIComponent(evil)}&code=${encodeURIComponent(evil)}`);
      assertErrorPage(forged, 'forged callback with markup', [400]);
      assert.doesNotMatch(forged.body, /<script>/);
    });
  });

  describe('what the provider answers', () => {
    after(() => idp.resetKnobs());

    test('RFC 9207 §2.4: another iss, no iss (the provider advertises it), or iss with a trailing slash: 400, no session', async () => {
      const c = new Client();
      idp.knobs.issParam = 'http://127.0.0.1:1';
      const cb = await throughProvider(c, start(), { sgUrl });
      idp.resetKnobs();
      assertErrorPage(await c.fetch(cb), 'another iss', [400]);
      for (const [what, change] of Object.entries({
        'no iss': (q) => { delete q.iss; },
        'iss with a trailing slash': (q) => { q.iss = `${q.iss}/`; },
        'iss in upper case': (q) => { q.iss = q.iss.toUpperCase(); },
      })) {
        const d = new Client();
        const q = parts(await throughProvider(d, start(), { sgUrl }));
        q.iss = idp.issuer;
        change(q);
        assertErrorPage(await d.fetch(callback(q)), what, [400]);
        assert.equal((await whoami(d)).status, 401, what);
      }
    });

    test('OIDC Core §3.1.3.7 (12), FIELD-NOTES "asking proves nothing": an acr below the one asked (weakAcr) grants nothing', async () => {
      const c = await signedIn('alice');
      const before = await whoami(c);
      assert.equal(before.json.level, 'basic');
      idp.knobs.weakAcr = true;
      const cb = await throughProvider(c, start(`level=mfa&rd=${encodeURIComponent('/whoami')}`), { sgUrl });
      idp.resetKnobs();
      const res = await c.fetch(cb);
      assertErrorPage(res, 'weak acr', [403]);
      assert.deepEqual((await whoami(c)).json, before.json, 'the session keeps its level');
    });

    test('Keycloak docs "users can edit acr_values": a browser that edits acr_values and max_age out of the request gains nothing', async () => {
      const c = await signedIn('alice');
      const before = await whoami(c);
      // Edit the authorization request /start built: ask only for the password level.
      const { res } = await c.follow(start(`level=mfa&rd=${encodeURIComponent('/whoami')}`), { stop: (u) => u.startsWith(idp.issuer) });
      const authz = new URL(res.headers.location);
      assert.equal(authz.searchParams.get('acr_values'), 'urn:stepgate:loa:mfa 2');
      authz.searchParams.set('acr_values', 'urn:stepgate:loa:pwd');
      const { res: r2, next } = await c.follow(authz.href, { stop: (u) => u.startsWith(`${sgUrl}/callback`) });
      assert.ok(next, `the provider answered at once (session reused): ${showResponse(r2)}`);
      assertErrorPage(await c.fetch(next), 'edited acr_values', [403]);
      assert.deepEqual((await whoami(c)).json, before.json);

      // max_age: wait until the authentication is older than max_age=1 + the 1 s leeway (whole seconds),
      // then drop max_age from the request.
      while (now() <= before.json.auth_time + 2) await sleep(100);
      const { res: r3 } = await c.follow(start(`level=basic&max_age=1&rd=${encodeURIComponent('/whoami')}`),
          { stop: (u) => u.startsWith(idp.issuer) });
      const authz2 = new URL(r3.headers.location);
      assert.equal(authz2.searchParams.get('max_age'), '1');
      authz2.searchParams.delete('max_age');
      authz2.searchParams.delete('prompt');
      const { next: cb2 } = await c.follow(authz2.href, { stop: (u) => u.startsWith(`${sgUrl}/callback`) });
      assert.ok(cb2, 'the provider reused its session');
      assertErrorPage(await c.fetch(cb2), 'max_age edited out (auth_time too old)', [403]);
    });

    test('OIDC Core §3.1.2.1 max_age: no auth_time in the ID token (omitAuthTime) grants nothing', async () => {
      const c = new Client();
      idp.knobs.omitAuthTime = true;
      const cb = await throughProvider(c, start(`level=basic&max_age=300&rd=${encodeURIComponent('/whoami')}`), { sgUrl });
      const res = await c.fetch(cb);
      idp.resetKnobs();
      assert.equal(idp.idTokens.at(-1).auth_time, undefined, 'the knob removed auth_time');
      assertErrorPage(res, 'no auth_time', [401, 403]);
      assert.equal((await whoami(c)).status, 401);
    });
  });

  describe('session fixation (OWASP Session Management: renew the session id at login and privilege change)', () => {
    test('a cookie planted before login (another user\'s valid session, garbage, or chunks) never survives the login', async () => {
      const bob = await signedIn('bob');
      const planted = bob.jar.get('_stepgate').value;
      for (const [what, plant] of Object.entries({
        "bob's session": (jar) => jar.set(LOOPBACK, '_stepgate', planted),
        garbage: (jar) => jar.set(LOOPBACK, '_stepgate', 'A'.repeat(200)),
        "bob's session as chunks _stepgate_0/_1": (jar) => {
          jar.set(LOOPBACK, '_stepgate_0', planted.slice(0, 100));
          jar.set(LOOPBACK, '_stepgate_1', planted.slice(100));
        },
        "bob's session with a stray chunk": (jar) => {
          jar.set(LOOPBACK, '_stepgate', planted);
          jar.set(LOOPBACK, '_stepgate_7', 'x');
        },
      })) {
        const victim = new Client();
        plant(victim.jar);
        const pre = await whoami(victim);
        // An mfa target: bob's planted (basic) session does not satisfy it, so the victim signs in.
        const cb = await throughProvider(victim, start(`level=mfa&rd=${encodeURIComponent('/whoami')}`), { sgUrl, user: 'alice' });
        const res = await victim.fetch(cb);
        assert.equal(res.status, 302, `${what}\n${showResponse(res)}`);
        const after = victim.jar.matching(SESSION_RE);
        assert.deepEqual(after.map((c) => c.name), ['_stepgate'], `${what}: only the new session cookie is left`);
        assert.notEqual(after[0].value, planted, `${what}: the planted value survived`);
        const who = await whoami(victim);
        assert.equal(who.json?.sub, 'alice', `${what}: signed in as the victim (before: ${JSON.stringify(pre.json?.sub)})`);
        assert.equal(who.json?.level, 'mfa', what);
      }
    });

    test('a step-up issues a new session (new cookie value, a new lifetime from the new ID token), the old level not reused', async () => {
      const c = await signedIn('alice');
      const v1 = c.jar.get('_stepgate').value;
      const w1 = await whoami(c);
      await sleep(1100); // so that a new issue time shows in expires_at
      const cb = await throughProvider(c, start(`level=mfa&rd=${encodeURIComponent('/whoami')}`), { sgUrl, user: 'alice' });
      const res = await c.fetch(cb);
      assert.equal(res.status, 302, showResponse(res));
      const v2 = c.jar.get('_stepgate').value;
      assert.notEqual(v2, v1, 'a new session cookie at elevation');
      const w2 = await whoami(c);
      assert.equal(w2.json.level, 'mfa');
      assert.ok(w2.json.expires_at > w1.json.expires_at, `a new session lifetime: ${w1.json.expires_at} → ${w2.json.expires_at}`);
    });

    test('a flow cookie planted by another browser (its state) cannot finish that browser\'s login in this one', async () => {
      const attacker = new Client();
      const cb = await throughProvider(attacker, start(), { sgUrl, user: 'bob' });
      const flow = attacker.jar.matching(/^_stepgate_flow_/)[0];
      // The victim has their own flow running; the attacker plants only the cookie, not the callback.
      const victim = new Client();
      await victim.follow(start(), { stop: (u) => u.startsWith(idp.issuer) });
      victim.jar.set(LOOPBACK, flow.name, `${flow.value.slice(0, -4)}AAAA`, flow.path);
      assertErrorPage(await victim.fetch(cb), 'tampered planted flow cookie', [400]);
    });
  });
});

describe('OIDC flow attacks (scripted provider: the ID token is the test\'s)', () => {
  let idp;
  let sg;
  before(async () => {
    idp = await new ScriptedIdp().start();
    sg = await startStepgate(idp.issuer, { provider: { leeway: '1s' }, redirect: { allowed_domains: [LOOPBACK], default: undefined } });
  });
  after(async () => {
    await sg?.stop();
    await idp?.stop();
    await killAll();
    await cleanupTempDirs();
  });

  /** One whole flow, with the ID token `make(entry)` returns; the callback's answer. */
  async function flowWith(make, { client = new Client(), query = `rd=${encodeURIComponent('/whoami')}` } = {}) {
    idp.idTokenFor = make;
    try {
      const s = await client.fetch(`${sg.url}/start?${query}`);
      assert.equal(s.status, 302, showResponse(s));
      const a = await client.fetch(s.headers.location);
      return { res: await client.fetch(a.headers.location), client };
    } finally {
      idp.idTokenFor = null;
    }
  }

  test('control: an honest ID token signs in', async () => {
    const { res, client } = await flowWith((e) => idp.idToken(idp.claimsFor(e)));
    assert.equal(res.status, 302, showResponse(res));
    assert.equal((await client.fetch(`${sg.url}/whoami`)).json().sub, 'alice');
  });

  test('OIDC Core §3.1.3.7 (11) / §15.5.2: another nonce, no nonce, a replayed ID token (nonce of an earlier flow)', async () => {
    let earlier;
    const first = await flowWith((e) => {
      earlier = idp.idToken(idp.claimsFor(e));
      return earlier;
    });
    assert.equal(first.res.status, 302);
    const cases = {
      'another nonce': (e) => idp.idToken(idp.claimsFor(e, { nonce: 'n-0S6_WzA2Mj' })),
      'no nonce': (e) => idp.idToken(idp.claimsFor(e, { nonce: undefined })),
      'empty nonce': (e) => idp.idToken(idp.claimsFor(e, { nonce: '' })),
      'nonce as an array': (e) => idp.idToken(idp.claimsFor(e, { nonce: [e.nonce] })),
      'replayed ID token of an earlier flow': () => earlier,
      'nonce twice (another, then ours)': (e) => signed(idp.key, { payloadText: JSON.stringify(idp.claimsFor(e, { nonce: 'other' }))
          .replace(/}$/, `,"nonce":"${e.nonce}"}`) }),
    };
    for (const [what, make] of Object.entries(cases)) {
      const { res, client } = await flowWith(make);
      assertErrorPage(res, what);
      assert.equal((await client.fetch(`${sg.url}/whoami`)).status, 401, what);
    }
  });

  test('OIDC Core §3.1.3.7 (2)-(5), (9), (10): iss, aud, azp, exp, iat of the ID token', async () => {
    const cases = {
      'iss with a trailing slash': (e) => ({ iss: `${idp.issuer}/` }),
      'aud of another client': () => ({ aud: 'other-client' }),
      'aud with extra entries only': () => ({ aud: ['other-client', 'another'] }),
      'aud ours + another, azp another': () => ({ aud: ['stepgate', 'other-client'], azp: 'other-client' }),
      'azp another (single aud)': () => ({ azp: 'other-client' }),
      'expired': () => ({ exp: now() - 60, iat: now() - 600 }),
      'iat an hour ahead': () => ({ iat: now() + 3600, exp: now() + 7200 }),
      'no sub': () => ({ sub: undefined }),
      'sub not a string': () => ({ sub: 12345 }),
      'no exp': () => ({ exp: undefined }),
    };
    for (const [what, change] of Object.entries(cases)) {
      const { res } = await flowWith((e) => idp.idToken(idp.claimsFor(e, change(e))));
      assertErrorPage(res, what);
    }
  });

  test('RFC 8725 §2.1 / OIDC Core §10.1: an ID token with alg none, HS256 keyed with the client secret, or another key', async () => {
    const other = await makeKey('RS256');
    const cases = {
      'alg none': (e) => compact({ header: { alg: 'none' }, payload: idp.claimsFor(e) }),
      'HS256 keyed with the client secret (OIDC Core §10.1)': (e) => compact({ header: { alg: 'HS256', typ: 'JWT' }, payload: idp.claimsFor(e),
        sign: (i) => hmac('HS256', Buffer.from(idp.clientSecret), i) }),
      'HS256 keyed with the provider\'s JWK JSON': (e) => compact({ header: { alg: 'HS256', kid: idp.key.kid }, payload: idp.claimsFor(e),
        sign: (i) => hmac('HS256', Buffer.from(JSON.stringify(idp.key.publicJwk)), i) }),
      'the right kid, another key': (e) => signed({ ...other, kid: idp.key.kid }, { payload: idp.claimsFor(e) }),
      'embedded jwk': (e) => signed(other, { header: { jwk: other.publicJwk }, payload: idp.claimsFor(e) }),
      'not a JWT': () => 'not-a-jwt',
      'JWE-shaped': () => [b64u('{"alg":"dir","enc":"A256GCM"}'), '', b64u('iv'), b64u('ct'), b64u('tag')].join('.'),
    };
    for (const [what, make] of Object.entries(cases)) {
      const { res, client } = await flowWith(make);
      assertErrorPage(res, what);
      assert.equal((await client.fetch(`${sg.url}/whoami`)).status, 401, what);
    }
  });

  test('OIDC Core §3.1.3.7 (12): acr below the level asked, and an acr that is not a string', async () => {
    const q = `level=mfa&rd=${encodeURIComponent('/whoami')}`;
    for (const [what, claims] of Object.entries({
      'acr basic for mfa': { acr: 'urn:stepgate:loa:pwd', amr: ['pwd'] },
      'acr missing': { acr: undefined, amr: ['pwd'] },
      'acr as an array': { acr: ['urn:stepgate:loa:mfa'], amr: ['pwd'] },
      'Keycloak acr 0 (SSO cookie only)': { acr: '0', amr: undefined },
    })) {
      const { res } = await flowWith((e) => idp.idToken(idp.claimsFor(e, claims)), { query: q });
      assertErrorPage(res, what, [400, 401, 403]);
    }
  });
});
