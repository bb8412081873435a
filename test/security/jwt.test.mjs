// Bearer-token attacks (RFC 8725 JWT Best Current Practices, and the CVEs of
// JWT libraries that it was written after), against /auth called directly.
// Every token is made during the test from raw header and payload text
// (lib/jwt.mjs), so that duplicate keys, odd numbers and non-canonical
// base64url reach Stepgate byte for byte. A positive control per key shows the
// hand-made signing itself is right: each refusal is for the attacked part.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertInvalidToken, assertStepUp } from '../integration/lib/challenge.mjs';
import { TokenIssuer, makeKey } from '../integration/lib/issuer.mjs';
import { LOOPBACK, cleanupTempDirs, killAll, makeTempDir, request, showResponse, sleep } from '../integration/lib/procs.mjs';
import {
  P256_N, b64u, compact, derToRaw, fromB64u, goodClaims, hmac, publicKeySpellings, signInput, signed,
} from './lib/jwt.mjs';
import { startStepgate } from './lib/stack.mjs';

const API = 'http://api.example.com';
const now = () => Math.floor(Date.now() / 1000);

describe('JWT bearer tokens (RFC 8725)', () => {
  let issuer;
  let sg;
  let rs;
  let es;
  let ps;
  let ed;
  before(async () => {
    issuer = await new TokenIssuer({ algs: ['RS256', 'ES256', 'PS256', 'EdDSA'] }).start();
    sg = await startStepgate(issuer.issuer, { provider: { jwks_refresh_throttle: '1s', jwks_refresh: '10m' } });
    [rs, es, ps, ed] = ['RS256', 'ES256', 'PS256', 'EdDSA'].map((a) => issuer.keyForAlg(a));
  });
  after(async () => {
    await sg?.stop();
    await issuer?.stop();
    await killAll();
    await cleanupTempDirs();
  });

  const claims = (o) => goodClaims(issuer.issuer, o);
  const auth = (token, url = `${API}/api/orders`) => sg.auth({ url, token });
  async function refused(token, what) {
    assertInvalidToken(await auth(token), what);
  }
  async function accepted(token, what) {
    const res = await auth(token);
    assert.equal(res.status, 200, `${what}\n${showResponse(res)}\n${sg.logs()}`);
  }

  test('positive control: hand-made tokens signed by each published key are accepted', async () => {
    for (const k of [rs, es, ps, ed]) await accepted(signed(k, { payload: claims() }), k.alg);
    // ... also with the members in another order and with insignificant whitespace (RFC 8259 §2).
    const text = `{ "exp" : ${now() + 300}, "iss":"${issuer.issuer}",\n"aud":"stepgate-api","sub":"alice","acr":"urn:stepgate:loa:pwd"}`;
    await accepted(signed(rs, { payloadText: text }), 'reordered, whitespace');
  });

  describe('algorithm', () => {
    test('RFC 8725 §3.1, CVE-2015-9235 (node-jsonwebtoken): alg none in any case, with or without a signature', async () => {
      const realSig = signed(rs, { payload: claims() }).split('.')[2];
      for (const alg of ['none', 'None', 'NONE', 'nOnE', 'none ', ' none', 'none\u0000']) {
        for (const header of [{ alg, typ: 'JWT' }, { alg, kid: rs.kid }]) {
          await refused(compact({ header, payload: claims() }), `alg ${JSON.stringify(alg)}, empty signature`);
          await refused(compact({ header, payload: claims(), sign: () => realSig }), `alg ${JSON.stringify(alg)}, a signature`);
        }
      }
      await refused(compact({ header: { typ: 'JWT', kid: rs.kid }, payload: claims(), sign: (i) => signInput('RS256', rs.privateKey, i) }),
          'no alg at all, signed by the real key');
    });

    test('RFC 8725 §2.1 key confusion (libjwt CVE-2026-44699, cjwt CVE-2024-54150): HS* keyed with the provider\'s public key as PEM, DER or JWK JSON', async (t) => {
      let n = 0;
      for (const key of [rs, es]) {
        for (const [spelling, secret] of Object.entries(await publicKeySpellings(key))) {
          for (const alg of ['HS256', 'HS384', 'HS512']) {
            for (const kid of [key.kid, undefined]) {
              const header = kid ? { alg, typ: 'JWT', kid } : { alg, typ: 'JWT' };
              await refused(compact({ header, payload: claims(), sign: (i) => hmac(alg, secret, i) }),
                  `${alg} keyed with the ${key.alg} key's ${spelling}${kid ? ' (kid of that key)' : ''}`);
              n++;
            }
          }
        }
      }
      t.diagnostic(`${n} key-confusion tokens refused`);
    });

    test('RFC 7518 §3.2, InfluxDB CVE-2019-20933: HS256 with an empty key', async () => {
      for (const header of [{ alg: 'HS256' }, { alg: 'HS256', kid: rs.kid }, { alg: 'HS256', kid: '' }, { alg: 'HS512', kid: '../../../../dev/null' }]) {
        await refused(compact({ header, payload: claims(), sign: (i) => hmac(header.alg, Buffer.alloc(0), i) }),
            `empty key ${JSON.stringify(header)}`);
      }
    });

    test('RFC 8725 §3.1: one key, one algorithm (the RSA key under PS256/RS384, the PS256 key under RS256, EdDSA key under ES256)', async () => {
      const as = (key, alg, kid = key.kid) => compact({ header: { alg, kid, typ: 'JWT' }, payload: claims(),
        sign: (i) => signInput(alg, key.privateKey, i) });
      await refused(as(rs, 'PS256'), 'RS256 key used for PS256');
      await refused(as(rs, 'RS384'), 'RS256 key used for RS384');
      await refused(as(ps, 'RS256'), 'PS256 key used for RS256');
      await refused(compact({ header: { alg: 'ES256', kid: ed.kid }, payload: claims(), sign: () => Buffer.alloc(64) }), 'EdDSA kid, ES256 alg');
      await refused(compact({ header: { alg: 'EdDSA', kid: es.kid }, payload: claims(), sign: () => Buffer.alloc(64) }), 'ES256 kid, EdDSA alg');
    });
  });

  describe('ECDSA signatures', () => {
    test('CVE-2022-21449 (Java "psychic signatures"): ES256 with r = s = 0, r = s = n, and other out-of-range values', async () => {
      const zero = Buffer.alloc(32);
      const one = Buffer.alloc(32);
      one[31] = 1;
      const ff = Buffer.alloc(32, 0xff);
      const cases = {
        'r = s = 0': Buffer.concat([zero, zero]),
        'r = s = n': Buffer.concat([P256_N, P256_N]),
        'r = 0, s = 1': Buffer.concat([zero, one]),
        'r = 1, s = 0': Buffer.concat([one, zero]),
        'r = n, s = 1': Buffer.concat([P256_N, one]),
        'r = s = 2^256 - 1': Buffer.concat([ff, ff]),
        'empty signature': Buffer.alloc(0),
      };
      for (const [what, sig] of Object.entries(cases)) {
        await refused(compact({ header: { alg: 'ES256', kid: es.kid, typ: 'JWT' }, payload: claims(), sign: () => sig }), what);
      }
    });

    test('RFC 7518 §3.4: a DER-encoded ES256 signature, or r||s of the wrong size, is refused (only raw 64-byte r||s)', async () => {
      const header = { alg: 'ES256', kid: es.kid, typ: 'JWT' };
      const payload = claims();
      const der = (input) => signInput('ES256', es.privateKey, input, { dsaEncoding: 'der' });
      await accepted(compact({ header, payload, sign: (i) => derToRaw(der(i)) }), 'control: the same signature as raw r||s');
      await refused(compact({ header, payload, sign: der }), 'DER (ASN.1 SEQUENCE of two INTEGERs)');
      await refused(compact({ header, payload, sign: (i) => Buffer.concat([Buffer.alloc(1), derToRaw(der(i))]) }), '65 bytes (leading zero)');
      await refused(compact({ header, payload, sign: (i) => Buffer.concat([derToRaw(der(i)), Buffer.alloc(1)]) }), '65 bytes (trailing zero)');
      await refused(compact({ header, payload, sign: (i) => derToRaw(der(i)).subarray(0, 63) }), '63 bytes');
      await refused(compact({ header, payload, sign: (i) => {
        const raw = derToRaw(der(i));
        return Buffer.concat([Buffer.alloc(1), raw.subarray(0, 32), Buffer.alloc(1), raw.subarray(32)]);
      } }), 'r and s of 33 bytes each');
    });
  });

  describe('keys named or embedded by the token', () => {
    let attacker;
    let keyServer;
    let keyServerHits = 0;
    let keyServerUrl;
    let x5c;
    let certKey;
    before(async () => {
      attacker = await makeKey('RS256');
      keyServer = http.createServer((req, res) => {
        keyServerHits++;
        const body = JSON.stringify({ keys: [attacker.publicJwk] });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
      await new Promise((resolve) => keyServer.listen(0, LOOPBACK, resolve));
      keyServerUrl = `http://${LOOPBACK}:${keyServer.address().port}`;
      // A self-signed certificate for x5c (openssl, into a temp dir).
      const dir = await makeTempDir('stepgate-sec-x5c-');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'),
        '-out', path.join(dir, 'c.pem'), '-subj', '/CN=attacker', '-days', '1'], { stdio: 'ignore' });
      const pem = fs.readFileSync(path.join(dir, 'c.pem'), 'utf8');
      x5c = [pem.replace(/-----[^-]+-----|\s/g, '')];
      certKey = { alg: 'RS256', kid: 'attacker-cert', privateKey: crypto.createPrivateKey(fs.readFileSync(path.join(dir, 'k.pem'))) };
    });
    after(async () => {
      await new Promise((resolve) => keyServer?.close(resolve));
    });

    test('RFC 8725 §3.10, CVE-2018-0114 (node-jose): an embedded jwk header is never trusted', async () => {
      await refused(signed(attacker, { header: { jwk: attacker.publicJwk }, payload: claims() }), 'attacker key + its jwk');
      await refused(signed(attacker, { header: { kid: rs.kid, jwk: { ...attacker.publicJwk, kid: rs.kid } }, payload: claims() }),
          'attacker key + jwk under the real kid');
      await refused(signed(attacker, { header: { kid: undefined, jwk: attacker.publicJwk }, payload: claims() }), 'jwk, no kid');
      await refused(signed(rs, { header: { jwk: rs.publicJwk }, payload: claims() }), 'real key + its own jwk (SECURITY.md: jwk refused)');
    });

    test('RFC 7515 §4.1.2/§4.1.5 (jku, x5u), CVE-2018-1000531-style key injection: refused, and never fetched', async () => {
      const before = keyServerHits;
      for (const name of ['jku', 'x5u']) {
        await refused(signed(attacker, { header: { [name]: `${keyServerUrl}/jwks` }, payload: claims() }), `${name} → attacker JWKS`);
        await refused(signed(attacker, { header: { kid: attacker.kid, [name]: `${issuer.issuer}/jwks` }, payload: claims() }),
            `${name} → the provider's own JWKS, attacker key`);
        await refused(signed(rs, { header: { [name]: `${keyServerUrl}/jwks` }, payload: claims() }), `real key + ${name} (SECURITY.md: refused)`);
      }
      await sleep(200);
      assert.equal(keyServerHits, before, 'Stepgate fetched a URL named by a token (SSRF)');
    });

    test('RFC 7515 §4.1.6 x5c: a self-signed certificate chain in the header is never trusted', async () => {
      await refused(signed(certKey, { header: { kid: undefined, x5c }, payload: claims() }), 'self-signed x5c');
      await refused(signed(certKey, { header: { kid: rs.kid, x5c }, payload: claims() }), 'self-signed x5c under the real kid');
      await refused(signed(rs, { header: { x5c }, payload: claims() }), 'real key + x5c (SECURITY.md: refused)');
      await refused(signed(rs, { header: { 'x5t#S256': b64u(crypto.randomBytes(32)), x5c: 'not-an-array' }, payload: claims() }), 'malformed x5c');
    });

    test('a perfect header (alg and kid of the real key) with a signature by another key', async () => {
      for (const k of [rs, es, ps, ed]) {
        const other = await issuer.unpublishedKey(k.alg);
        await refused(signed({ ...other, kid: k.kid }, { payload: claims() }), `${k.alg}: kid ${k.kid}, signed by an unpublished key`);
      }
    });
  });

  describe('header members', () => {
    test('hostile kid values (path traversal, SQL, very long, control characters, non-string: RFC 7515 §4.1.4)', async () => {
      const stranger = await issuer.unpublishedKey('RS256');
      const kids = ['../../../../../../dev/null', '../../../../etc/passwd', "' OR '1'='1' --", '"; DROP TABLE keys; --',
        'x'.repeat(300), 'k'.repeat(8000), '%00', '\u0000', 'kid\r\nX-Injected: 1', '${jndi:ldap://127.0.0.1:1/a}', '*', '.*'];
      for (const kid of kids) {
        await refused(signed({ ...stranger, kid }, { payload: claims() }), `kid ${JSON.stringify(kid).slice(0, 60)}`);
        await refused(compact({ header: { alg: 'HS256', kid }, payload: claims(), sign: (i) => hmac('HS256', Buffer.alloc(0), i) }),
            `kid ${JSON.stringify(kid).slice(0, 60)} with an empty HMAC key`);
      }
      // A kid that is not a string, on a token otherwise signed by the real key.
      for (const kid of [12345, null, true, {}, [rs.kid], { kid: rs.kid }, 1e300]) {
        await refused(signed(rs, { header: { kid }, payload: claims() }), `kid ${JSON.stringify(kid)} (not a string)`);
      }
      assert.equal((await request(`${sg.url}/healthz`)).status, 200, 'still alive');
    });

    test('RFC 7515 §4.1.11: crit naming anything (unknown extension, a registered name, empty list, b64 of RFC 7797)', async () => {
      for (const header of [{ crit: ['x-unknown'], 'x-unknown': 1 }, { crit: ['x-unknown'] }, { crit: ['exp'], exp: now() + 60 },
        { crit: [] }, { crit: 'x-unknown' }, { crit: ['b64'], b64: true }]) {
        await refused(signed(rs, { header, payload: claims() }), `crit ${JSON.stringify(header)}`);
      }
      // RFC 7797 unencoded payload: signature over the raw JSON, payload segment as text.
      const payload = JSON.stringify(claims());
      const h = b64u(JSON.stringify({ alg: 'RS256', kid: rs.kid, b64: false, crit: ['b64'] }));
      const sig = b64u(signInput('RS256', rs.privateKey, `${h}.${payload}`));
      await refused(`${h}.${b64u(payload)}.${sig}`, 'b64:false');
    });
  });

  describe('parsing', () => {
    test('RFC 8725 §3.9 / RFC 8259 §4: duplicate member names in the header or the claims are refused', async () => {
      const exp = now() + 300;
      const head = `{"alg":"RS256","kid":"${rs.kid}","typ":"JWT"`;
      const body = `"iss":"${issuer.issuer}","aud":"stepgate-api","exp":${exp},"acr":"urn:stepgate:loa:pwd"`;
      const cases = {
        'header alg twice (none last)': [`{"alg":"RS256","kid":"${rs.kid}","alg":"none"}`, `{"sub":"alice",${body}}`],
        'header alg twice (none first)': [`{"alg":"none","kid":"${rs.kid}","alg":"RS256"}`, `{"sub":"alice",${body}}`],
        'header kid twice': [`${head},"kid":"other"}`, `{"sub":"alice",${body}}`],
        'sub twice': [`${head}}`, `{"sub":"alice",${body},"sub":"admin"}`],
        'sub twice, second spelled with a \\u escape': [`${head}}`, `{"sub":"alice",${body},"s\\u0075b":"admin"}`],
        'exp twice (past, then future)': [`${head}}`, `{"sub":"alice","exp":${now() - 3600},${body}}`],
        'aud twice': [`${head}}`, `{"sub":"alice","aud":"evil",${body}}`],
        'iss twice': [`${head}}`, `{"sub":"alice","iss":"http://evil.test",${body}}`],
        'acr twice (pwd, then mfa)': [`${head}}`, `{"sub":"alice",${body},"acr":"urn:stepgate:loa:mfa"}`],
      };
      await accepted(signed(rs, { headerText: `${head}}`, payloadText: `{"sub":"alice",${body}}` }), 'control without duplicates');
      for (const [what, [h, p]] of Object.entries(cases)) {
        await refused(signed(rs, { headerText: h, payloadText: p }), what);
      }
    });

    test('RFC 8259: JSON that is not strict (trailing comma, comments, single quotes, NaN, trailing data, non-object)', async () => {
      const p = JSON.stringify(claims());
      const cases = {
        'trailing comma': `${p.slice(0, -1)},}`,
        comment: `${p.slice(0, -1)}/* c */}`,
        'single quotes': p.replace(/"sub":"alice"/, "'sub':'alice'"),
        NaN: `${p.slice(0, -1)},"nbf":NaN}`,
        'trailing data': `${p}x`,
        'two objects': `${p}${p}`,
        array: `[${p}]`,
        'invalid UTF-8 in a string': Buffer.concat([Buffer.from(p.slice(0, -1) + ',"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]).toString('latin1'),
        'lone surrogate escape': `${p.slice(0, -1)},"x":"\\ud800"}`,
      };
      for (const [what, text] of Object.entries(cases)) {
        const payloadB64 = Buffer.from(text, what.startsWith('invalid') ? 'latin1' : 'utf8').toString('base64url');
        await refused(signed(rs, { payloadB64 }), `payload: ${what}`);
      }
      await refused(signed(rs, { headerText: `{"alg":"RS256","kid":"${rs.kid}"}x`, payload: claims() }), 'header: trailing data');
    });

    test('RFC 7515 §2 / RFC 4648 §3.5: non-canonical base64url (padding, + and /, non-zero trailing bits, whitespace)', async () => {
      // A claim value chosen so that the payload's base64url holds both '-' and '_'.
      let payload;
      for (let i = 0; i < 10000; i++) {
        const pad = String.fromCharCode(...crypto.randomBytes(1 + (i % 7)).map((b) => 0xa0 + (b % 0x60)));
        const candidate = claims({ pad });
        const s = b64u(JSON.stringify(candidate));
        if (s.includes('-') && s.includes('_') && s.length % 4 === 2) {
          payload = candidate;
          break;
        }
      }
      assert.ok(payload, 'a payload whose base64url holds - and _');
      const hB64 = b64u(JSON.stringify({ alg: 'RS256', kid: rs.kid, typ: 'JWT' }));
      const pB64 = b64u(JSON.stringify(payload));
      const sign = (h, p) => `${h}.${p}.${b64u(signInput('RS256', rs.privateKey, `${h}.${p}`))}`;
      await accepted(sign(hB64, pB64), 'control');
      const flipTrailingBits = (s) => {
        // length % 4 == 2: the last character carries 4 unused bits; length % 4 == 3: 2.
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const unused = s.length % 4 === 2 ? 0x0f : 0x03;
        const v = alphabet.indexOf(s.at(-1));
        return s.slice(0, -1) + alphabet[(v & ~unused) | ((v & unused) ^ 1)];
      };
      assert.deepEqual(fromB64u(flipTrailingBits(pB64)), fromB64u(pB64), 'the flipped form decodes to the same bytes');
      const pad = (s) => s + '='.repeat((4 - (s.length % 4)) % 4);
      await refused(sign(hB64, pad(pB64)), 'payload with = padding');
      await refused(sign(pad(hB64) === hB64 ? `${hB64}=` : pad(hB64), pB64), 'header with = padding');
      await refused(sign(hB64, pB64.replace(/-/g, '+').replace(/_/g, '/')), 'payload in the standard alphabet (+ and /)');
      await refused(sign(hB64, flipTrailingBits(pB64)), 'payload with non-zero trailing bits');
      await refused(sign(hB64, `${pB64.slice(0, 10)} ${pB64.slice(10)}`), 'payload with a space');
      // The signature segment: 256 bytes → 342 characters, 4 unused bits at the end.
      const good = sign(hB64, pB64);
      const [h, p, s] = good.split('.');
      assert.equal(s.length % 4, 2);
      await refused(`${h}.${p}.${flipTrailingBits(s)}`, 'signature with non-zero trailing bits (same bytes)');
      await refused(`${h}.${p}.${s}==`, 'signature with = padding');
      await refused(`${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}${/[-_]/.test(s) ? '' : '+'}`, 'signature in the standard alphabet');
      await refused(`${good}.`, 'a fourth segment');
      await refused(`${h}.${p}.${s}.${b64u('x')}.${b64u('y')}`, 'five segments (JWE shape)');
    });

    test('RFC 7519 §2 NumericDate out of range or of the wrong type (exp 1e300, negative, string, 2^63; iat, nbf, auth_time)', async () => {
      const bad = {
        'exp 1e300': { exp: '@1e300' },
        'exp -1': { exp: -1 },
        'exp "9999999999" (string)': { exp: '9999999999' },
        'exp 2^63': { exp: '@9223372036854775808' },
        'exp 2^64+1': { exp: '@18446744073709551617' },
        'exp 2^53+1': { exp: '@9007199254740993' },
        'exp true': { exp: true },
        'exp null': { exp: null },
        'exp []': { exp: [] },
        'exp {}': { exp: {} },
        'exp -1e300': { exp: '@-1e300' },
        'iat "now" (string)': { iat: 'now' },
        'iat 1e300': { iat: '@1e300' },
        'nbf "0" (string)': { nbf: '0' },
        'nbf -1e300': { nbf: '@-1e300' },
      };
      // '@x' = a JSON number written as given (JSON.stringify cannot).
      const text = (o) => JSON.stringify(claims(o)).replace(/"@([-0-9.e]+)"/g, '$1');
      for (const [what, o] of Object.entries(bad)) await refused(signed(rs, { payloadText: text(o) }), what);

      // auth_time on a max_age route (payments: POST needs mfa within 5 min): overflow must not make it fresh.
      for (const authTime of ['@1e300', '@9223372036854775807', '@-9223372036854775808', '"now"', '@-1e300']) {
        const t = signed(rs, { payloadText: text({ acr: 'urn:stepgate:loa:mfa', amr: ['pwd', 'otp'], auth_time: authTime }) });
        const res = await sg.auth({ url: `${API}/api/payments/1`, method: 'POST', token: t });
        assert.ok(res.status === 401, `auth_time ${authTime}: 401 expected (invalid_token or step-up)\n${showResponse(res)}`);
      }
      const fresh = signed(rs, { payloadText: text({ acr: 'urn:stepgate:loa:mfa', amr: ['pwd', 'otp'], auth_time: now() - 5 }) });
      assert.equal((await sg.auth({ url: `${API}/api/payments/1`, method: 'POST', token: fresh })).status, 200, 'control');
    });
  });

  describe('claims', () => {
    test('RFC 7519 §4.1.1 / OIDC Core §3.1.3.7: iss compared exactly (trailing slash, case, default port, array)', async () => {
      const iss = issuer.issuer;
      const u = new URL(iss);
      for (const bad of [`${iss}/`, `${iss}//`, iss.toUpperCase(), `HTTP://${u.host}`, `${iss}#`, `${iss}?`, `${iss} `,
        `http://localhost:${u.port}`, `https://${u.host}`, [iss], '', null]) {
        await refused(signed(rs, { payload: claims({ iss: bad }) }), `iss ${JSON.stringify(bad)}`);
      }
    });

    test('RFC 7519 §4.1.3: aud with extra entries only (none ours), empty, near misses; ours among others is accepted', async () => {
      for (const bad of [['other'], ['other', 'another'], [], 'stepgate', 'STEPGATE-API', 'stepgate-api ', ['stepgate-api-x'],
        'stepgate', 123, null, [['stepgate-api']], { 0: 'stepgate-api' }]) {
        await refused(signed(rs, { payload: claims({ aud: bad }) }), `aud ${JSON.stringify(bad)}`);
      }
      await accepted(signed(rs, { payload: claims({ aud: ['other', 'stepgate-api'] }) }), 'ours among others');
    });

    test('RFC 9068 §2.2: a token without exp, and one expired beyond the leeway', async () => {
      await refused(signed(rs, { payload: claims({ exp: undefined }) }), 'no exp');
      await refused(signed(rs, { payload: claims({ exp: now() - 31 - 5, iat: now() - 600 }) }), 'expired 36 s ago, leeway 30 s');
    });

    test('acr as another type (array, number, object) never reaches a level', async () => {
      for (const acr of [['urn:stepgate:loa:mfa'], 2, { value: 'urn:stepgate:loa:mfa' }, true]) {
        const res = await sg.auth({ url: `${API}/api/vault/x`, token: signed(rs, { payload: claims({ acr, amr: ['pwd'] }) }) });
        assert.ok(res.status === 401, `acr ${JSON.stringify(acr)}: 401 expected\n${showResponse(res)}`);
        if (res.headers['www-authenticate']?.includes('insufficient_user_authentication')) {
          assertStepUp(res, { acrValues: 'urn:stepgate:loa:mfa 2' });
        }
      }
    });
  });

  test('a flood of random kids: JWKS fetches stay within the refresh throttle (1 s), the service keeps answering', async (t) => {
    await sleep(1200); // out of the throttle window of the tests above
    const stranger = await issuer.unpublishedKey('RS256');
    const tokens = [];
    for (let i = 0; i < 300; i++) tokens.push(signed({ ...stranger, kid: crypto.randomBytes(8).toString('hex') }, { payload: claims() }));
    const before = issuer.jwksFetches;
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < tokens.length) {
        const token = tokens[next++];
        const res = await auth(token);
        assert.equal(res.status, 401, showResponse(res));
      }
    };
    const health = (async () => {
      const slow = [];
      while (next < tokens.length) {
        const t0 = Date.now();
        assert.equal((await request(`${sg.url}/healthz`)).status, 200);
        if (Date.now() - t0 > 1000) slow.push(Date.now() - t0);
        await sleep(50);
      }
      return slow;
    })();
    await Promise.all(Array.from({ length: 30 }, worker));
    const slow = await health;
    const elapsed = Date.now() - started;
    const fetched = issuer.jwksFetches - before;
    const allowed = Math.ceil(elapsed / 1000) + 1;
    t.diagnostic(`${fetched} JWKS fetches for 300 unknown kids in ${elapsed} ms`);
    assert.ok(fetched <= allowed, `${fetched} JWKS fetches for 300 unknown kids in ${elapsed} ms (throttle 1 s allows ${allowed})`);
    assert.deepEqual(slow, [], '/healthz answered within 1 s throughout');
    // The real keys still work after the flood.
    await accepted(signed(rs, { payload: claims() }), 'after the flood');
  });
});
