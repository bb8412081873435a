// Hand-made JWS compact tokens for the attack tests: every byte of the header
// and payload text is ours (duplicate keys, non-canonical base64url, odd
// numbers), signed with node:crypto so that nothing "repairs" the input.

import crypto from 'node:crypto';

export const b64u = (data) => Buffer.from(data).toString('base64url');
export const fromB64u = (text) => Buffer.from(text, 'base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A node KeyObject for a jose key (CryptoKey or KeyObject). */
export function keyObject(k) {
  if (k instanceof crypto.KeyObject) return k;
  return crypto.KeyObject.from(k);
}

const HASH = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', PS256: 'sha256', PS384: 'sha384', PS512: 'sha512',
  ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };

/**
 * Signs `signingInput` (the ASCII text "header.payload") with `privateKey` as `alg`.
 * dsaEncoding: 'ieee-p1363' (JWS, r||s) or 'der' (what JWS forbids).
 */
export function signInput(alg, privateKey, signingInput, { dsaEncoding = 'ieee-p1363' } = {}) {
  const key = keyObject(privateKey);
  const data = Buffer.from(signingInput, 'latin1');
  if (alg === 'EdDSA') return crypto.sign(null, data, key);
  if (alg.startsWith('HS')) return crypto.createHmac(`sha${alg.slice(2)}`, key).update(data).digest();
  const hash = HASH[alg];
  if (!hash) throw new Error(`signInput: no ${alg}`);
  if (alg.startsWith('PS')) {
    return crypto.sign(hash, data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST });
  }
  if (alg.startsWith('ES')) return crypto.sign(hash, data, { key, dsaEncoding });
  return crypto.sign(hash, data, key);
}

/** HMAC with raw key bytes (an empty key included, which most libraries refuse to build). */
export function hmac(alg, keyBytes, signingInput) {
  return crypto.createHmac(`sha${alg.slice(2)}`, Buffer.from(keyBytes)).update(signingInput, 'latin1').digest();
}

/** Default claims of a token Stepgate would accept from `issuer` (level basic). */
export function goodClaims(issuer, o = {}) {
  const t = now();
  return {
    iss: issuer, sub: 'alice', aud: 'stepgate-api', iat: t, exp: t + 300, auth_time: t - 10,
    acr: 'urn:stepgate:loa:pwd', amr: ['pwd'], jti: crypto.randomUUID(), ...o,
  };
}

/**
 * Builds a token from raw texts: `header` and `payload` are objects (JSON.stringify'd) or
 * strings (used verbatim as JSON text), or { b64: '...' } (used verbatim as the segment).
 * `sign(signingInput) → Buffer|string` gives the signature (a string is used verbatim).
 */
export function compact({ header, payload, sign }) {
  const seg = (v) => (v && typeof v === 'object' && 'b64' in v ? v.b64 : b64u(typeof v === 'string' ? v : JSON.stringify(v)));
  const input = `${seg(header)}.${seg(payload)}`;
  const sig = sign ? sign(input) : '';
  return `${input}.${typeof sig === 'string' ? sig : b64u(sig)}`;
}

/** A token signed by a key of the issuer (the real one): `key` = {alg, kid, privateKey}. */
export function signed(key, { header = {}, payload, headerText, payloadText, headerB64, payloadB64, dsaEncoding } = {}) {
  const h = headerB64 !== undefined ? { b64: headerB64 } : headerText ?? { alg: key.alg, kid: key.kid, typ: 'JWT', ...header };
  const p = payloadB64 !== undefined ? { b64: payloadB64 } : payloadText ?? payload;
  return compact({ header: h, payload: p, sign: (input) => signInput(key.alg, key.privateKey, input, { dsaEncoding }) });
}

// P-256 group order n (FIPS 186-4 D.1.2.3).
export const P256_N = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');

/** Converts a DER ECDSA signature to the raw r||s of `size` bytes each. */
export function derToRaw(der, size = 32) {
  let i = 2;
  if (der[1] & 0x80) i = 2 + (der[1] & 0x7f);
  const readInt = () => {
    if (der[i] !== 0x02) throw new Error('bad DER');
    const len = der[i + 1];
    let v = der.subarray(i + 2, i + 2 + len);
    i += 2 + len;
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    return Buffer.concat([Buffer.alloc(size - v.length), v]);
  };
  return Buffer.concat([readInt(), readInt()]);
}

/** Every public-key spelling an attacker could try as an HMAC secret (RFC 8725 §2.1). */
export async function publicKeySpellings(key) {
  const pub = keyObject(key.publicKey);
  const pem = pub.export({ type: 'spki', format: 'pem' });
  const out = {
    'SPKI PEM': Buffer.from(pem),
    'SPKI PEM without final newline': Buffer.from(pem.trimEnd()),
    'SPKI PEM with CRLF': Buffer.from(pem.replace(/\n/g, '\r\n')),
    'SPKI DER': pub.export({ type: 'spki', format: 'der' }),
    'JWK JSON (as published)': Buffer.from(JSON.stringify(key.publicJwk)),
    'JWK JSON (key members only)': Buffer.from(JSON.stringify(pub.export({ format: 'jwk' }))),
  };
  if (pub.asymmetricKeyType === 'rsa') {
    out['PKCS#1 PEM'] = Buffer.from(pub.export({ type: 'pkcs1', format: 'pem' }));
    out['PKCS#1 DER'] = pub.export({ type: 'pkcs1', format: 'der' });
    out['modulus n bytes'] = fromB64u(key.publicJwk.n);
  }
  return out;
}
