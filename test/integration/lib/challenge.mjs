// Parsing and checking of `WWW-Authenticate: Bearer ...` challenges
// (RFC 6750 §3, RFC 9470 §3, RFC 9110 §11.6.1 auth-param syntax).

import assert from 'node:assert/strict';

import { showResponse } from './procs.mjs';

/**
 * Parses one challenge: `Bearer a="x", b=y` → {scheme: 'Bearer', params: {a: 'x', b: 'y'}}.
 * Throws on a syntax error (a malformed header is a finding too).
 */
export function parseChallenge(header) {
  if (typeof header !== 'string') throw new Error(`no WWW-Authenticate header (got ${header})`);
  const m = /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:\s+(.*))?$/s.exec(header);
  if (!m) throw new Error(`malformed WWW-Authenticate: ${header}`);
  const scheme = m[1];
  const rest = m[2] ?? '';
  const params = {};
  let i = 0;
  const s = rest;
  const skipWs = () => {
    while (i < s.length && /[ \t]/.test(s[i])) i++;
  };
  while (i < s.length) {
    skipWs();
    const km = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(s.slice(i));
    if (!km) throw new Error(`malformed auth-param at ${i} in: ${header}`);
    const key = km[0].toLowerCase();
    i += km[0].length;
    skipWs();
    if (s[i] !== '=') throw new Error(`expected '=' after ${key} in: ${header}`);
    i++;
    skipWs();
    let value;
    if (s[i] === '"') {
      i++;
      value = '';
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\') i++;
        value += s[i++];
      }
      if (s[i] !== '"') throw new Error(`unterminated quoted-string for ${key} in: ${header}`);
      i++;
    } else {
      const vm = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(s.slice(i));
      if (!vm) throw new Error(`malformed value for ${key} in: ${header}`);
      value = vm[0];
      i += vm[0].length;
    }
    if (key in params) throw new Error(`duplicate auth-param ${key} in: ${header}`);
    params[key] = value;
    skipWs();
    if (i < s.length) {
      if (s[i] !== ',') throw new Error(`expected ',' at ${i} in: ${header}`);
      i++;
    }
  }
  return { scheme, params };
}

/** Asserts a 401 `Bearer error="invalid_token"` answer (RFC 6750 §3.1). */
export function assertInvalidToken(res, what = '') {
  const ctx = `${what}\n${showResponse(res)}`;
  assert.equal(res.status, 401, `expected 401 invalid_token ${ctx}`);
  const c = parseChallenge(res.headers['www-authenticate']);
  assert.equal(c.scheme.toLowerCase(), 'bearer', ctx);
  assert.equal(c.params.error, 'invalid_token', ctx);
  assert.ok(c.params.error_description, `error_description expected ${ctx}`);
  return c;
}

/**
 * Asserts a 401 RFC 9470 step-up challenge with the given acr_values (exact
 * order) and max_age (undefined: must be absent).
 */
export function assertStepUp(res, { acrValues, maxAge }, what = '') {
  const ctx = `${what}\n${showResponse(res)}`;
  assert.equal(res.status, 401, `expected 401 insufficient_user_authentication ${ctx}`);
  const c = parseChallenge(res.headers['www-authenticate']);
  assert.equal(c.scheme.toLowerCase(), 'bearer', ctx);
  assert.equal(c.params.error, 'insufficient_user_authentication', ctx);
  assert.ok(c.params.error_description, `error_description expected ${ctx}`);
  if (acrValues !== undefined) assert.equal(c.params.acr_values, acrValues, `acr_values ${ctx}`);
  if (maxAge === undefined) {
    assert.equal(c.params.max_age, undefined, `max_age must be absent when the rule has none ${ctx}`);
  } else {
    assert.equal(c.params.max_age, String(maxAge), `max_age ${ctx}`);
  }
  return c;
}

/** Asserts a 403 `Bearer error="insufficient_scope", scope="..."` answer (RFC 6750 §3.1); `scope` may list accepted values. */
export function assertInsufficientScope(res, scope, what = '') {
  const ctx = `${what}\n${showResponse(res)}`;
  assert.equal(res.status, 403, `expected 403 insufficient_scope ${ctx}`);
  const c = parseChallenge(res.headers['www-authenticate']);
  assert.equal(c.scheme.toLowerCase(), 'bearer', ctx);
  assert.equal(c.params.error, 'insufficient_scope', ctx);
  const accepted = Array.isArray(scope) ? scope : [scope];
  assert.ok(accepted.includes(c.params.scope), `scope=${JSON.stringify(c.params.scope)}, expected one of ${JSON.stringify(accepted)} ${ctx}`);
  return c;
}
