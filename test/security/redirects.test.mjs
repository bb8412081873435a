// Open redirects through `rd` on /start, /callback (the rd a flow carries from
// /start) and /logout. Every payload comes from a published advisory against a
// peer (oauth2-proxy, mod_auth_openidc) or from the URL-parsing differences
// they exploit (WHATWG URL vs RFC 3986, IDNA mapping, header injection).
//
// Stepgate A: redirect.allowed_domains [.example.com], redirect.default
// https://www.example.com/, session.secure true (so https only).
// Stepgate B: the same without redirect.default (an unacceptable rd is a 400).
// Both sign in at a scripted provider (lib/scripted-idp.mjs) that answers the
// authorization request at once, so a whole flow costs three requests.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanupTempDirs, killAll, rawRequest, showResponse } from '../integration/lib/procs.mjs';
import { Client } from './lib/client.mjs';
import { ScriptedIdp } from './lib/scripted-idp.mjs';
import { startStepgate } from './lib/stack.mjs';

const DEFAULT_RD = 'https://www.example.com/';

// Decoded rd values; sent percent-encoded (encodeURIComponent) as a link carries them.
const PAYLOADS = {
  // oauth2-proxy CVE-2020-5233 (/\), CVE-2020-11053 (/\t/ and friends), CVE-2021-21291 (suffix),
  // mod_auth_openidc CVE-2021-32786 (//, /\), CVE-2022-23527 (tab between slashes).
  'protocol-relative //host (mod_auth_openidc CVE-2021-32786)': ['//evil.test/', '///evil.test/', '////evil.test', '//evil.test@www.example.com/'],
  'backslash (oauth2-proxy CVE-2020-5233)': ['/\\evil.test/', '\\/evil.test/', '/\\/evil.test', '\\\\evil.test',
    '/./\\evil.test', '/\\.example.com', '\\evil.test'],
  'whitespace between slashes (oauth2-proxy CVE-2020-11053, mod_auth_openidc CVE-2022-23527)': [
    '/\t/evil.test/', '/\n/evil.test/', '/\r/evil.test/', '/\r\n/evil.test/', '/\t\t\t/evil.test', '/\r\r\n\n/evil.test',
    '\t//evil.test', ' //evil.test', '/ /evil.test', '/\v/evil.test', '/\f/evil.test', '/\x00/evil.test',
    '\x01//evil.test'],
  'scheme without slashes, https:host (WHATWG URL special-scheme parsing)': ['https:evil.test', 'https:/evil.test',
    'https:\\\\evil.test', 'https:/\\evil.test', 'http:evil.test', 'https:///evil.test', 'https:\\/evil.test'],
  'RFC 3986 §3.1 scheme case; http while session.secure (contract: https only)': ['HTTPS://evil.test/', 'HtTpS://evil.test', 'https://EVIL.TEST',
    'http://www.example.com/', 'HTTP://WWW.EXAMPLE.COM/', 'https://evil.test', 'wss://www.example.com/'],
  'userinfo (RFC 3986 §3.2.1)': ['https://www.example.com@evil.test/', 'https://www.example.com:443@evil.test/',
    'https://user:pass@www.example.com.evil.test/', 'https://evil.test\\@www.example.com/',
    'https://evil.test#@www.example.com/', 'https://evil.test?@www.example.com/', 'https://evil.test%40www.example.com/',
    'https://evil.test%2F@www.example.com/', 'https://@evil.test', 'https://www.example.com%40evil.test/'],
  'suffix without a dot boundary (oauth2-proxy CVE-2021-21291)': ['https://evilexample.com/',
    'https://evil-example.com/', 'https://example.com.evil.test/', 'https://www.example.com.evil.test/',
    'https://evil.test/.example.com', 'https://evil.test?.example.com', 'https://evil.test#.example.com',
    'https://evil.test\\.example.com', 'https://evil.test%2F.example.com', 'https://evil.test%3F.example.com',
    'https://evil.test%23.example.com', 'https://evil.test%00.example.com', 'https://evil.test%5C.example.com',
    'https://evil.test;.example.com', 'https://evil.test,.example.com', 'https://evil.test:.example.com',
    'https://evil.test:443.example.com', 'https://[::1].example.com/'],
  'javascript: and data: schemes (OWASP Unvalidated Redirects cheat sheet)': ['javascript:alert(1)', 'JaVaScRiPt:alert(1)',
    'javascript://www.example.com/%0aalert(1)', 'java\tscript:alert(1)', ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)', 'file:///etc/passwd', 'ftp://www.example.com/', 'blob:https://www.example.com/x'],
  'unicode look-alikes, raw (UTS #46 IDNA mapping of ／ 。 ＃, homoglyphs)': ['https://www.exаmple.com/', 'https://evil.test／.example.com/',
    'https://www.example.com。evil.test/', 'https://evil.test⁄.example.com', 'https://evil.test＃.example.com',
    'https://ｅｖｉｌ.test/', 'https://evil.test\u00ad.example.com', '／／evil.test', '/\u3000/evil.test',
    'https://evil.test\u2028.example.com', 'https://www.example.com\u2024evil.test', '/\u0085/evil.test',
    'https://www.еxample.com/'],
  'unicode look-alikes, percent-encoded UTF-8 (UTS #46 after percent-decoding)': ['https://evil.test%EF%BC%8F.example.com/', 'https://www.example.com%E3%80%82evil.test/',
    'https://www.ex%D0%B0mple.com/', '%EF%BC%8F%EF%BC%8Fevil.test', 'https://evil.test%E2%81%84.example.com'],
  'CR/LF header injection through rd (CWE-113, RFC 9110 §5.5)': ['/x\r\nSet-Cookie: pwned=1', '/x\r\nLocation: https://evil.test/',
    '/x\rSet-Cookie: pwned=1', '/x\nSet-Cookie: pwned=1', 'https://www.example.com/\r\nSet-Cookie: pwned=1',
    '/x\r\n\r\n<script>alert(1)</script>', 'https://www.example.com/%0d%0aSet-Cookie:%20pwned=1evil.test'],
  'double-encoded forms (CWE-174)': ['%2F%2Fevil.test', '%252F%252Fevil.test', '/%2F/evil.test', '%2F%5Cevil.test',
    'https%3A%2F%2Fevil.test', 'https:%2F%2Fevil.test', '/%5Cevil.test', '/%09/evil.test', '%09//evil.test',
    'https://evil.test%252F.example.com', 'https://www.example.com%252F@evil.test'],
};
const ALL = Object.values(PAYLOADS).flat();

/** Is `loc` a place rd may send a browser: this Stepgate's origin, or https on .example.com? */
function allowedTarget(loc, sgUrl) {
  const u = new URL(loc, sgUrl);
  if (u.origin === new URL(sgUrl).origin) return true;
  return u.protocol === 'https:' && (u.hostname === 'example.com' || u.hostname.endsWith('.example.com')) &&
      u.username === '' && u.password === '';
}

/** The answer never leads a browser off the allowed set, injects nothing and reflects nothing. */
function assertNoOpenRedirect(res, payload, sgUrl, what, { extraOrigins = [] } = {}) {
  const ctx = `${what} rd=${JSON.stringify(payload)}\n${showResponse(res)}`;
  assert.ok(res.status === 302 || res.status === 303 || res.status === 400, `302 or 400 expected: ${ctx}`);
  const body = res.body ?? '';
  assert.ok(!/evil|alert\(1\)|<script|pwned/i.test(body), `the payload is echoed in the body: ${ctx}`);
  const names = [];
  for (let i = 0; i < (res.rawHeaders ?? []).length; i += 2) names.push(res.rawHeaders[i].toLowerCase());
  assert.ok(!names.includes('pwned') && !(res.headers['set-cookie'] ?? []).some((c) => /pwned/i.test(c)),
      `a header was injected: ${ctx}`);
  if (res.status === 400) return 'refused';
  const loc = res.headers.location;
  assert.equal(typeof loc, 'string', `a redirect without a single Location: ${ctx}`);
  // Characters a browser strips or rewrites before parsing (tabs, newlines, backslash, non-ASCII).
  assert.doesNotMatch(loc, /[\x00-\x20\x7f\\]|[^\x00-\x7f]/, `Location with characters a browser rewrites: ${ctx}`);
  const origin = new URL(loc, sgUrl).origin;
  assert.ok(allowedTarget(loc, sgUrl) || extraOrigins.includes(origin), `Location off the allowed set: ${ctx}`);
  return loc;
}

describe('open redirects through rd', () => {
  let idp;
  let sgA; // with redirect.default
  let sgB; // without
  let session; // a Client signed in at A
  let sessionB; // one signed in at B (both cookies are _stepgate on 127.0.0.1: one jar each)
  before(async () => {
    idp = await new ScriptedIdp().start();
    const base = { provider: { leeway: '1s' }, session: { secure: true } };
    sgA = await startStepgate(idp.issuer, { ...base, redirect: { allowed_domains: ['.example.com'], default: DEFAULT_RD } });
    sgB = await startStepgate(idp.issuer, { ...base, redirect: { allowed_domains: ['.example.com'], default: undefined } });
    session = new Client();
    await signIn(session, sgA);
    sessionB = new Client();
    await signIn(sessionB, sgB);
  });
  after(async () => {
    await sgA?.stop();
    await sgB?.stop();
    await idp?.stop();
    await killAll();
    await cleanupTempDirs();
  });

  /** A whole flow at the scripted provider: /start → /authorize → /callback; returns the callback answer. */
  async function flow(client, sg, query) {
    const start = await client.fetch(`${sg.url}/start?${query}`);
    if (start.status !== 302 || !start.headers.location?.startsWith(`${idp.issuer}/authorize`)) return { start };
    const authz = await client.fetch(start.headers.location);
    assert.equal(authz.status, 302, showResponse(authz));
    const callback = await client.fetch(authz.headers.location);
    return { start, callback };
  }

  async function signIn(client, sg) {
    const { callback } = await flow(client, sg, `rd=${encodeURIComponent('/whoami')}`);
    assert.equal(callback?.status, 302, showResponse(callback));
    const who = await client.fetch(`${sg.url}/whoami`);
    assert.equal(who.status, 200, showResponse(who));
  }

  test('baseline: an allowed rd is followed, on /start with a session and after /callback', async () => {
    const res = await session.fetch(`${sgA.url}/start?rd=${encodeURIComponent('https://shop.example.com/cart?x=1')}`);
    assert.equal(res.status, 302, showResponse(res));
    assert.equal(res.headers.location, 'https://shop.example.com/cart?x=1');
    const { callback } = await flow(new Client(), sgA, `rd=${encodeURIComponent('https://www.example.com:8443/a')}`);
    assert.equal(callback.headers.location, 'https://www.example.com:8443/a', showResponse(callback));
  });

  for (const [family, payloads] of Object.entries(PAYLOADS)) {
    test(`/start with a session (rd followed at once): ${family}`, async (t) => {
      const outcomes = [];
      for (const payload of payloads) {
        const res = await session.fetch(`${sgA.url}/start?rd=${encodeURIComponent(payload)}`);
        outcomes.push([payload, assertNoOpenRedirect(res, payload, sgA.url, '/start (default set)')]);
        const resB = await sessionB.fetch(`${sgB.url}/start?rd=${encodeURIComponent(payload)}`);
        outcomes.push([payload, assertNoOpenRedirect(resB, payload, sgB.url, '/start (no default)')]);
      }
      const followed = outcomes.filter(([, o]) => o !== 'refused' && o !== DEFAULT_RD);
      if (followed.length) t.diagnostic(`followed on the allowed set: ${JSON.stringify(followed)}`);
    });
  }

  test('/start without redirect.default: an off-site rd is a 400 (contract: "or, without one, 400")', async () => {
    for (const payload of ['//evil.test/', '/\\evil.test/', 'https://evil.test/', 'https:evil.test',
      'https://www.example.com@evil.test/', 'https://evilexample.com/', 'javascript:alert(1)', 'http://www.example.com/']) {
      const res = await sessionB.fetch(`${sgB.url}/start?rd=${encodeURIComponent(payload)}`);
      assert.equal(res.status, 400, `rd=${JSON.stringify(payload)}\n${showResponse(res)}`);
      assert.doesNotMatch(res.body, /evil|alert/, 'nothing reflected');
    }
  });

  test('/callback: the rd a flow carries from /start is never off the allowed set', async (t) => {
    let followed = 0;
    for (const payload of ALL) {
      const { start, callback } = await flow(new Client(), sgA, `rd=${encodeURIComponent(payload)}`);
      if (!callback) {
        assertNoOpenRedirect(start, payload, sgA.url, '/start (no session)', { extraOrigins: [idp.issuer] });
        continue;
      }
      const loc = assertNoOpenRedirect(callback, payload, sgA.url, '/callback');
      if (loc !== DEFAULT_RD) followed++;
    }
    t.diagnostic(`${ALL.length} payloads through a whole flow; ${followed} landed on an allowed non-default target`);
  });

  test('/logout (GET and POST): signed out whatever rd says, never sent off the allowed set', async () => {
    for (const payload of ALL) {
      for (const method of ['GET', 'POST']) {
        const c = new Client();
        await signIn(c, sgA);
        const res = await c.fetch(`${sgA.url}/logout?rd=${encodeURIComponent(payload)}`, { method });
        const ctx = `${method} /logout rd=${JSON.stringify(payload)}\n${showResponse(res)}`;
        assertNoOpenRedirect(res, payload, sgA.url, `${method} /logout`, { extraOrigins: [idp.issuer] });
        const loc = res.headers.location;
        if (loc && new URL(loc, sgA.url).origin === idp.issuer) {
          // RP-Initiated Logout 1.0 §2: the provider is asked to send the browser to post_logout_redirect_uri.
          const post = new URL(loc).searchParams.get('post_logout_redirect_uri');
          if (post !== null) assert.ok(allowedTarget(post, sgA.url), `post_logout_redirect_uri off the allowed set: ${ctx}`);
        }
        assert.equal((await c.fetch(`${sgA.url}/whoami`)).status, 401, `still signed in after ${ctx}`);
      }
    }
  });

  test('raw (unencoded) payloads in the /start request line: 400 or an allowed Location', async () => {
    // What a hand-made link sends: bytes the browser would not have encoded.
    const cookie = session.jar.header(`${sgA.url}/start`);
    for (const raw of ['//evil.test/', '/\\evil.test/', '/\\/evil.test', 'https://evil.test/', 'https:evil.test',
      'https://www.example.com@evil.test/', '/\t/evil.test', '/%09/evil.test', '/%0d%0aSet-Cookie:%20pwned=1',
      '%2F%2Fevil.test', 'javascript:alert(1)', 'https://evil.test\\.example.com', '/\x7f/evil.test']) {
      const text = `GET /start?rd=${raw} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`;
      const res = await rawRequest(sgA.port, text);
      const body = res.raw.slice(res.raw.indexOf('\r\n\r\n') + 4);
      const headerNames = res.raw.slice(0, res.raw.indexOf('\r\n\r\n')).split('\r\n').slice(1).map((l) => l.split(':')[0].toLowerCase());
      assertNoOpenRedirect({ status: res.status, headers: { ...res.headers, 'set-cookie': [res.headers['set-cookie'] ?? ''] },
        rawHeaders: headerNames.flatMap((n) => [n, '']), body }, raw, sgA.url, 'raw /start');
    }
  });

  test('a repeated rd parameter is never resolved by guessing (first or last)', async () => {
    const q = `rd=${encodeURIComponent('https://www.example.com/ok')}&rd=${encodeURIComponent('https://evil.test/')}`;
    for (const [sg, c] of [[sgA, session], [sgB, sessionB]]) {
      const res = await c.fetch(`${sg.url}/start?${q}`);
      assertNoOpenRedirect(res, 'rd twice', sg.url, '/start');
      const res2 = await c.fetch(`${sg.url}/start?${q.split('&').reverse().join('&')}`);
      assertNoOpenRedirect(res2, 'rd twice (reversed)', sg.url, '/start');
    }
  });
});
