// Self-test of the harness, with no Stepgate: real nginx rendered like
// ingress-nginx, the echo upstream, and a stub auth service standing in for
// Stepgate. Proves what nginx does with each kind of auth answer, so that a
// failure in the Stepgate suites is not a harness artefact.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { EchoServer } from './lib/echo.mjs';
import { TokenIssuer } from './lib/issuer.mjs';
import { Nginx, authLocationName } from './lib/nginx.mjs';
import { LOOPBACK, cleanupTempDirs, killAll, makeTempDir, request, showResponse } from './lib/procs.mjs';

/** Stub auth service: the answer is chosen by the original URL's path. */
async function startStubAuth() {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders,
        bodyLength: Buffer.concat(chunks).length });
      const original = new URL(req.headers['x-original-url'] ?? 'http://missing/');
      switch (original.pathname) {
        case '/allow':
          res.writeHead(200, {
            'X-Auth-Request-User': 'alice',
            'X-Auth-Request-Groups': 'admins,dev',
            'Set-Cookie': '_stepgate=refreshed; Path=/; HttpOnly; SameSite=Lax',
          });
          return res.end();
        case '/deny401':
          res.writeHead(401, { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="stub"' });
          return res.end('unauthorized');
        case '/deny403':
          res.writeHead(403, { 'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="reports:read"' });
          return res.end('forbidden');
        case '/error':
          res.writeHead(500);
          return res.end('boom');
        case '/redirect':
          res.writeHead(302, { Location: 'https://idp.example.com/' });
          return res.end();
        default:
          res.writeHead(404);
          return res.end();
      }
    });
  });
  await new Promise((r) => server.listen(0, LOOPBACK, r));
  return {
    seen,
    port: server.address().port,
    stop: () => new Promise((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
  };
}

describe('harness: nginx rendered like ingress-nginx, with a stub auth service', () => {
  let stub;
  let echo;
  let nginx;

  before(async () => {
    stub = await startStubAuth();
    echo = await new EchoServer().start();
    const dir = await makeTempDir('stepgate-harness-');
    nginx = new Nginx({
      dir,
      ingresses: [
        { host: 'api.example.com', authUrl: `http://${LOOPBACK}:${stub.port}/auth`, upstream: echo.url },
        { host: 'pinned.example.com', authUrl: `http://${LOOPBACK}:${stub.port}/auth?level=mfa&max_age=300`, upstream: echo.url },
        {
          host: 'web.example.com',
          authUrl: `http://${LOOPBACK}:${stub.port}/auth`,
          signinUrl: 'https://auth.example.com/stepgate/start',
          upstream: echo.url,
        },
      ],
    });
    await nginx.start();
  });

  after(async () => {
    await nginx?.stop();
    await echo?.stop();
    await stub?.stop();
    await killAll();
    await cleanupTempDirs();
  });

  test('allow: upstream gets X-Auth-Request-* from the auth answer, client gets Set-Cookie', async () => {
    stub.seen.length = 0;
    const res = await request(`${nginx.url}/allow?x=1`, {
      method: 'POST',
      headers: { Host: 'api.example.com', Authorization: 'Bearer abc', 'X-Forwarded-Uri': '/spoofed', 'Content-Type': 'text/plain' },
      body: 'hello body',
    });
    assert.equal(res.status, 200, showResponse(res));
    const up = res.json();
    assert.equal(up.upstream, 'echo');
    assert.equal(up.headers['x-auth-request-user'], 'alice');
    assert.equal(up.headers['x-auth-request-groups'], 'admins,dev');
    assert.equal(up.headers['x-auth-request-email'], undefined, 'absent auth header must not be sent empty');
    assert.match(res.headers['set-cookie']?.[0] ?? '', /^_stepgate=refreshed/);

    assert.equal(stub.seen.length, 1);
    const a = stub.seen[0];
    assert.equal(a.method, 'GET', 'auth_request subrequests are GET');
    assert.equal(a.url, '/auth');
    assert.equal(a.bodyLength, 0, 'no body to the auth service');
    assert.equal(a.headers.host, LOOPBACK, 'Host is the auth URL hostname');
    assert.equal(a.headers['x-original-url'], 'http://api.example.com/allow?x=1');
    assert.equal(a.headers['x-original-method'], 'POST');
    assert.equal(a.headers['x-sent-from'], 'nginx-ingress-controller');
    assert.equal(a.headers['x-real-ip'], LOOPBACK);
    assert.equal(a.headers['x-forwarded-for'], LOOPBACK);
    assert.equal(a.headers['x-auth-request-redirect'], '/allow?x=1');
    assert.ok(a.headers['x-request-id'], 'X-Request-ID set');
    assert.equal(a.headers['x-forwarded-proto'], undefined, 'X-Forwarded-Proto cleared');
    assert.equal(a.headers.authorization, 'Bearer abc', 'client Authorization passes');
    assert.equal(a.headers['x-forwarded-uri'], '/spoofed', "client's own X-Forwarded-Uri passes through untouched");
  });

  test('pins in the auth-url query reach the auth service', async () => {
    stub.seen.length = 0;
    const res = await request(`${nginx.url}/allow`, { headers: { Host: 'pinned.example.com' } });
    assert.equal(res.status, 200, showResponse(res));
    assert.equal(stub.seen[0].url, '/auth?level=mfa&max_age=300');
  });

  test('401 with WWW-Authenticate reaches the client (nginx auth_request copies it)', async () => {
    const res = await request(`${nginx.url}/deny401`, { headers: { Host: 'api.example.com' } });
    assert.equal(res.status, 401, showResponse(res));
    assert.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token", error_description="stub"', showResponse(res));
  });

  test('403 reaches the client without the auth answer headers', async () => {
    const res = await request(`${nginx.url}/deny403`, { headers: { Host: 'api.example.com' } });
    assert.equal(res.status, 403, showResponse(res));
    assert.equal(res.headers['www-authenticate'], undefined, showResponse(res));
  });

  test('500 and 302 from the auth service become 500', async () => {
    for (const p of ['/error', '/redirect']) {
      const res = await request(`${nginx.url}${p}`, { headers: { Host: 'api.example.com' } });
      assert.equal(res.status, 500, `${p}: ${showResponse(res)}`);
    }
  });

  test('auth-signin turns 401 into 302 to the signin URL with rd', async () => {
    const res = await request(`${nginx.url}/deny401?a=b%20c`, { headers: { Host: 'web.example.com' } });
    assert.equal(res.status, 302, showResponse(res));
    assert.equal(res.headers.location,
        'https://auth.example.com/stepgate/start?rd=http://web.example.com%2Fdeny401%3Fa%3Db%2520c', showResponse(res));
  });

  test('unknown host answers 404 from the default server', async () => {
    const res = await request(`${nginx.url}/allow`, { headers: { Host: 'nope.example.com' } });
    assert.equal(res.status, 404, showResponse(res));
  });

  test('auth location names follow ingress-nginx', () => {
    assert.equal(authLocationName('/'), '/_external-auth-Lw-Prefix');
  });
});

describe('harness: TokenIssuer', () => {
  let issuer;
  before(async () => {
    issuer = await new TokenIssuer({ algs: ['RS256', 'ES256', 'PS256', 'EdDSA'] }).start();
  });
  after(async () => {
    await issuer?.stop();
  });

  test('serves discovery and a JWKS of public keys', async () => {
    const d = await (await fetch(issuer.discoveryUrl)).json();
    assert.equal(d.issuer, issuer.issuer);
    assert.equal(d.jwks_uri, issuer.jwksUri);
    assert.ok(d.authorization_endpoint.startsWith(issuer.issuer));
    assert.deepEqual(d.id_token_signing_alg_values_supported, ['RS256', 'ES256', 'PS256', 'EdDSA']);
    const before = issuer.jwksFetches;
    const jwks = await (await fetch(d.jwks_uri)).json();
    assert.equal(issuer.jwksFetches, before + 1);
    assert.equal(jwks.keys.length, 4);
    for (const k of jwks.keys) {
      assert.ok(k.kid && k.alg && k.use === 'sig', JSON.stringify(k));
      assert.equal(k.d, undefined, 'no private parts');
      assert.equal(k.p, undefined, 'no private parts');
    }
  });

  test('mints verifiable tokens with every algorithm, and rotates', async () => {
    const { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } = await import('jose');
    const jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
    for (const alg of ['RS256', 'ES256', 'PS256', 'EdDSA']) {
      const t = await issuer.mint({ alg, acr: 'urn:stepgate:loa:mfa', amr: ['pwd', 'otp'] });
      const { payload, protectedHeader } = await jwtVerify(t, jwks, { issuer: issuer.issuer, audience: 'stepgate-api' });
      assert.equal(protectedHeader.alg, alg);
      assert.equal(payload.sub, 'alice');
      assert.equal(payload.acr, 'urn:stepgate:loa:mfa');
      assert.ok(payload.exp > payload.iat && payload.auth_time < payload.iat);
    }
    const k = await issuer.rotate({ alg: 'RS256' });
    const t = await issuer.mint();
    assert.equal(decodeProtectedHeader(t).kid, k.kid);
    const noExp = await issuer.mint({ exp: null });
    assert.equal(JSON.parse(Buffer.from(noExp.split('.')[1], 'base64url')).exp, undefined);
  });
});
