// deploy/examples/traefik, gateway-api, envoy-gateway and istio: no Traefik,
// Envoy or Kubernetes can run here, so the test reads each example's manifests
// and sends Stepgate exactly the request that proxy sends for that
// configuration (from the proxies' code and documentation; see
// docs/INTEGRATIONS.md), then checks the answers the proxy acts on.
//
//   Traefik ForwardAuth: GET <address> with X-Forwarded-Method/Proto/Host/Uri/
//     Port/For and every header of the client's request; a 2xx passes with
//     authResponseHeaders copied, anything else is returned whole.
//   Envoy ext_authz HTTP (Gateway API ExternalAuth, Envoy Gateway, Istio): the
//     original method, <path prefix> + original path and query, the original
//     Host, Content-Length 0 and only the allowed headers; 200 only passes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertInvalidToken, assertStepUp } from './lib/challenge.mjs';
import { ACR, ACR_VALUES, Stack } from './lib/env.mjs';
import { request, showResponse } from './lib/procs.mjs';
import { INTERNAL_ENDPOINTS, PUBLIC_PAGES, parseYamlDocuments } from './lib/manifests.mjs';
import { REPO_ROOT } from './lib/stepgate.mjs';

const EXAMPLES = path.join(REPO_ROOT, 'deploy/examples');
const APP = 'app.example.com';
const AUTH_HOST = 'auth.example.com';
const PUBLIC_URL = `http://${AUTH_HOST}/stepgate`; // as deploy/kubernetes, but http for the test
const PUBLIC_PATH = new URL(PUBLIC_URL).pathname;
const CLIENT_IP = '203.0.113.7';
const now = () => Math.floor(Date.now() / 1000);

// Every identity header of the contract, lower case.
const IDENTITY_HEADERS = ['user', 'email', 'preferred-username', 'groups', 'level', 'acr', 'amr', 'auth-time']
    .map((n) => `x-auth-request-${n}`);
// Hop-by-hop headers Traefik drops before copying the client's headers.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade'];

const read = (rel) => parseYamlDocuments(fs.readFileSync(path.join(EXAMPLES, rel), 'utf8'));
const lower = (list) => (list ?? []).map((s) => s.toLowerCase());
/** Istio-style header patterns: exact, "prefix*", "*suffix" (case-insensitive). */
const headerMatches = (patterns, name) => lower(patterns).some((p) =>
  p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p.startsWith('*') ? name.endsWith(p.slice(1)) : p === name);

/**
 * Traefik's router for the rule forms the examples use, `Host(`h`)` with `PathPrefix(`p`)` or
 * with `Path(`a`) || Path(`b`) ...` (exact paths); default priority: the longest rule first.
 * Anything else in a rule fails the test instead of being guessed at.
 */
function traefikRoute(ingressRoutes, host, target) {
  const p = target.split('?')[0];
  const all = ingressRoutes.flatMap((r) => r.spec.routes).sort((a, b) => b.match.length - a.match.length);
  return all.find((r) => {
    const rest = r.match.replace(/\b(Host|PathPrefix|Path)\(`[^`]+`\)|&&|\|\||[()\s]/g, '');
    assert.equal(rest, '', `a Traefik rule this test does not read: ${r.match}`);
    const h = /\bHost\(`([^`]+)`\)/.exec(r.match)?.[1];
    const prefix = /\bPathPrefix\(`([^`]+)`\)/.exec(r.match)?.[1];
    const exact = [...r.match.matchAll(/\bPath\(`([^`]+)`\)/g)].map((m) => m[1]);
    return h === host && (!prefix || p.startsWith(prefix)) && (!exact.length || exact.includes(p));
  });
}

/**
 * The Gateway API HTTPRoute (and its backend) that serves host + path, by the spec's matching:
 * hostnames, then Exact over the longest PathPrefix (prefixes match whole path elements).
 * Undefined: the gateway answers 404.
 */
function gatewayRoute(httpRoutes, host, target) {
  const p = target.split('?')[0];
  let best;
  for (const route of httpRoutes.filter((r) => (r.spec.hostnames ?? [host]).includes(host))) {
    for (const rule of route.spec.rules) {
      for (const m of rule.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }]) {
        const { type = 'PathPrefix', value = '/' } = m.path ?? {};
        assert.ok(['Exact', 'PathPrefix'].includes(type), `a path match this test does not read: ${type}`);
        const base = value.replace(/\/$/, '');
        const hit = type === 'Exact' ? p === value : p === base || p.startsWith(`${base}/`) || value === '/';
        const rank = type === 'Exact' ? Infinity : value.length;
        if (hit && (!best || rank > best.rank)) best = { rank, route, backend: rule.backendRefs?.[0]?.name };
      }
    }
  }
  return best;
}

describe('examples reproduced: Traefik, Gateway API, Envoy Gateway, Istio', () => {
  const stack = new Stack({ withNginx: false, stepgateOverrides: { public_url: PUBLIC_URL } });
  let sg;
  before(async () => {
    await stack.start();
    sg = stack.stepgate;
  });
  after(async () => {
    await stack.stop(); // also killAll() + temp dirs
  });

  const startUrl = (original, pins) =>
    `${PUBLIC_URL}/start?rd=${encodeURIComponent(original)}${pins ? `&${pins}` : ''}`;

  function assertRedirectToStart(res, original, pins, what = '') {
    assert.equal(res.status, 302, `${what}\n${showResponse(res)}`);
    const loc = new URL(res.headers.location); // absolute, or this throws
    assert.equal(`${loc.origin}${loc.pathname}`, `${PUBLIC_URL}/start`, what);
    assert.equal(loc.searchParams.get('rd'), original, what);
    const expected = new URLSearchParams(pins ?? '');
    for (const [k, v] of expected) assert.equal(loc.searchParams.get(k), v, `pin ${k} ${what}`);
    assert.deepEqual([...loc.searchParams.keys()].sort(), ['rd', ...expected.keys()].sort(), what);
  }

  function assertJsonLogin(res, original, pins, what = '') {
    assert.equal(res.status, 401, `${what}\n${showResponse(res)}`);
    assert.match(res.headers['content-type'] ?? '', /application\/json/, what);
    assert.equal(res.json().start_url, startUrl(original, pins), what);
  }

  /** The identity headers of an allow; every one of them must be in the proxy's copy list. */
  function assertAllowCopied(res, copyList, what = '') {
    assert.equal(res.status, 200, `${what}\n${showResponse(res)}`);
    const sent = Object.keys(res.headers).filter((h) => h.startsWith('x-auth-request-'));
    assert.ok(sent.includes('x-auth-request-user'), `${what}\n${showResponse(res)}`);
    for (const h of sent) assert.ok(headerMatches(copyList, h), `${h} is not copied by the proxy config ${what}`);
    for (const h of IDENTITY_HEADERS) assert.ok(headerMatches(copyList, h), `${h} missing from the copy list ${what}`);
    return res.headers;
  }

  // ---------------------------------------------------------------- Traefik
  describe('traefik: ForwardAuth Middleware + IngressRoute', () => {
    const middlewares = read('traefik/middlewares.yaml').filter((d) => d.kind === 'Middleware');
    const ingressRoutes = read('traefik/ingressroute.yaml').filter((d) => d.kind === 'IngressRoute');
    const forwardAuthOf = Object.fromEntries(middlewares.map((m) => [m.metadata.name, m.spec.forwardAuth]));

    /** The route Traefik picks (default priority: the longest rule first) and its ForwardAuth config. */
    function routeFor(host, p) {
      const route = traefikRoute(ingressRoutes, host, p);
      assert.ok(route, `no IngressRoute for ${host}${p}`);
      const names = (route.middlewares ?? []).map((m) => m.name);
      return { route, names, forwardAuth: names.length ? forwardAuthOf[names[0]] : undefined };
    }

    /**
     * What Traefik's ForwardAuth sends for a client request on the websecure
     * (TLS) entrypoint: GET <address>, every client header but the hop-by-hop
     * ones, then X-Forwarded-* of the real request (the client's own copies
     * win only with trustForwardHeader: true).
     */
    function forwardAuth(fa, { method = 'GET', host = APP, uri, headers = {} }) {
      const address = new URL(fa.address);
      const h = new Map();
      for (const [k, v] of Object.entries(headers)) {
        if (!HOP_BY_HOP.includes(k.toLowerCase())) h.set(k.toLowerCase(), [k, v]);
      }
      const set = (name, value) => {
        if (fa.trustForwardHeader && h.has(name.toLowerCase())) return;
        h.set(name.toLowerCase(), [name, value]);
      };
      set('X-Forwarded-For', CLIENT_IP);
      set('X-Forwarded-Method', method);
      set('X-Forwarded-Proto', 'https');
      set('X-Forwarded-Host', host);
      set('X-Forwarded-Uri', uri);
      set('X-Forwarded-Port', '443');
      set('X-Forwarded-Server', 'traefik-6f9d8c7b5-x2k4q');
      set('X-Real-Ip', CLIENT_IP);
      h.set('host', ['Host', address.host]);
      return request(`${sg.url}${address.pathname}${address.search}`, {
        method: 'GET', headers: Object.fromEntries([...h.values()]) });
    }

    const viaTraefik = (uri, { method, token, headers = {} } = {}) => {
      const { forwardAuth: fa } = routeFor(APP, uri);
      const h = { ...headers };
      if (token) h.Authorization = `Bearer ${token}`;
      return forwardAuth(fa, { method, uri, headers: h });
    };

    test('manifests: trustForwardHeader false, /forward-auth, the whole identity header list', () => {
      assert.ok(middlewares.length >= 2);
      for (const m of middlewares) {
        const fa = m.spec.forwardAuth;
        assert.equal(fa.trustForwardHeader, false, m.metadata.name);
        assert.equal(new URL(fa.address).pathname, '/forward-auth', m.metadata.name);
        for (const h of IDENTITY_HEADERS) assert.ok(headerMatches(fa.authResponseHeaders, h), `${m.metadata.name}: ${h}`);
      }
      const own = routeFor(AUTH_HOST, `${PUBLIC_PATH}/start`);
      assert.deepEqual(own.names, [], "Stepgate's own route has no middleware");
    });

    test('allow: 2xx with identity headers, all of them in authResponseHeaders', async () => {
      const { names, forwardAuth: fa } = routeFor(APP, '/dashboard');
      assert.deepEqual(names, ['stepgate']);
      const h = assertAllowCopied(await viaTraefik('/dashboard', { token: await stack.mfaToken() }),
          fa.authResponseHeaders);
      assert.equal(h['x-auth-request-user'], 'bob');
    });

    test('pinned middleware (address ?level=mfa&max_age=300): a password-only token gets RFC 9470', async () => {
      assert.deepEqual(routeFor(APP, '/settings/security').names, ['stepgate-mfa']);
      assertStepUp(await viaTraefik('/settings/security/mfa', { token: await stack.basicToken() }),
          { acrValues: ACR_VALUES.mfa, maxAge: 300 });
      assert.equal((await viaTraefik('/settings/security', { token: await stack.mfaToken() })).status, 200);
    });

    test('a browser: 302 with an absolute Location to /start, rd and the pins', async () => {
      const uri = '/settings/security?tab=2&next=%2Fhome';
      assertRedirectToStart(await viaTraefik(uri, { headers: { Accept: 'text/html,application/xhtml+xml' } }),
          `https://${APP}${uri}`, 'level=mfa&max_age=300', 'pinned');
      assertRedirectToStart(await viaTraefik('/orders', { headers: { Accept: 'text/html' } }),
          `https://${APP}/orders`, '', 'unpinned');
    });

    test('a script asking for JSON: 401 with the /start URL in the body', async () => {
      assertJsonLogin(await viaTraefik('/settings/security', { headers: { Accept: 'application/json' } }),
          `https://${APP}/settings/security`, 'level=mfa&max_age=300');
    });

    test('unpinned: the rules decide, with the method Traefik forwards', async () => {
      const basic = await stack.basicToken();
      assertStepUp(await viaTraefik('/api/vault/x', { token: basic }), { acrValues: ACR_VALUES.mfa }, 'vault rule');
      assert.equal((await viaTraefik('/api/payments/1', { method: 'GET', token: basic })).status, 200);
      assertStepUp(await viaTraefik('/api/payments/1', { method: 'POST', token: basic }),
          { acrValues: ACR_VALUES.mfa, maxAge: 300 }, 'POST payments');
      assertInvalidToken(await viaTraefik('/orders', { token: 'garbage', headers: { Accept: 'text/html' } }));
    });

    test("a client's own X-Original-URL / X-Original-Method are ignored on /forward-auth", async () => {
      const spoof = { 'X-Original-URL': `https://${APP}/public/x`, 'X-Original-Method': 'GET' };
      assertStepUp(await viaTraefik('/api/vault/x', { token: await stack.basicToken(), headers: spoof }),
          { acrValues: ACR_VALUES.mfa });
      const anon = await viaTraefik('/orders', { headers: { ...spoof, Accept: 'text/html' } });
      assertRedirectToStart(anon, `https://${APP}/orders`, '');
    });

    test('why trustForwardHeader must be false: trusted, a client picks the URL that is decided', async () => {
      const { forwardAuth: fa } = routeFor(APP, '/api/vault/x');
      const trusting = { ...fa, trustForwardHeader: true };
      const spoof = { 'X-Forwarded-Uri': '/public/x', 'X-Forwarded-Method': 'GET' };
      const res = await forwardAuth(trusting, { uri: '/api/vault/x', headers: spoof });
      assert.equal(res.status, 200, `anonymous let through to /api/vault/x\n${showResponse(res)}`);
      const safe = await forwardAuth(fa, { uri: '/api/vault/x', headers: { ...spoof, Accept: 'text/html' } });
      assertRedirectToStart(safe, `https://${APP}/api/vault/x`, '');
    });
  });

  // ------------------------------------------- Envoy ext_authz (HTTP service)

  /**
   * Envoy's check request for a client request: the original method,
   * <prefix> + original path and query, the original Host, Content-Length 0,
   * and only the client headers the config lets through.
   */
  function envoyCheck(provider, { method = 'GET', path: p, host = APP, headers = {} }) {
    const h = { Host: host, 'Content-Length': '0' };
    for (const [k, v] of Object.entries(headers)) {
      if (headerMatches(provider.allowed, k.toLowerCase())) h[k] = v;
    }
    return request(`${sg.url}${provider.prefix}${p}`, { method, headers: h });
  }

  const pinsOf = (prefix) => (prefix.startsWith('/ext-authz-pinned/') ? prefix.slice('/ext-authz-pinned/'.length) : '');

  const envoyFamily = {
    'gateway-api': () => {
      const docs = read('gateway-api/httproute.yaml');
      const app = docs.find((d) => d.kind === 'HTTPRoute' && d.metadata.name === 'app');
      const own = docs.find((d) => d.kind === 'HTTPRoute' && d.metadata.name === 'stepgate');
      assert.ok(!own.spec.rules.some((r) => r.filters?.length), "Stepgate's own route has no filter");
      return app.spec.rules.map((rule) => {
        const ea = rule.filters.find((f) => f.type === 'ExternalAuth').externalAuth;
        assert.equal(ea.protocol, 'HTTP');
        assert.deepEqual([ea.backendRef.name, ea.backendRef.port], ['stepgate', 4180]);
        return {
          where: rule.matches[0].path.value,
          prefix: ea.http.path,
          // Host, method, path, Content-Length and Authorization always go (GEP-1494).
          allowed: ['authorization', ...lower(ea.http.allowedHeaders)],
          copy: ea.http.allowedResponseHeaders,
        };
      });
    },
    'envoy-gateway': () => {
      const policies = read('envoy-gateway/securitypolicy.yaml').filter((d) => d.kind === 'SecurityPolicy');
      const routes = read('envoy-gateway/httproutes.yaml').filter((d) => d.kind === 'HTTPRoute');
      const strip = read('envoy-gateway/securitypolicy.yaml').find((d) => d.kind === 'ClientTrafficPolicy');
      for (const h of IDENTITY_HEADERS) assert.ok(headerMatches(strip.spec.headers.earlyRequestHeaders.remove, h), h);
      return policies.map((sp) => {
        const route = routes.find((r) => r.metadata.name === sp.spec.targetRefs[0].name);
        assert.ok(route, `route ${sp.spec.targetRefs[0].name}`);
        assert.equal(sp.spec.extAuth.failOpen, false);
        assert.deepEqual([sp.spec.extAuth.http.backendRefs[0].name, sp.spec.extAuth.http.backendRefs[0].port], ['stepgate', 4180]);
        return {
          where: route.spec.rules[0].matches[0].path.value,
          prefix: sp.spec.extAuth.http.path,
          allowed: ['authorization', ...lower(sp.spec.extAuth.headersToExtAuth)],
          copy: sp.spec.extAuth.http.headersToBackend,
        };
      });
    },
    istio: () => {
      const op = read('istio/istio-operator.yaml').find((d) => d.kind === 'IstioOperator');
      const policies = read('istio/authorizationpolicy.yaml').filter((d) => d.kind === 'AuthorizationPolicy');
      return policies.map((ap) => {
        assert.equal(ap.spec.action, 'CUSTOM');
        const provider = op.spec.meshConfig.extensionProviders.find((p) => p.name === ap.spec.provider.name);
        assert.ok(provider, ap.spec.provider.name);
        const http = provider.envoyExtAuthzHttp;
        assert.equal(http.failOpen, false);
        assert.deepEqual([http.service, http.port], ['stepgate.auth.svc.cluster.local', 4180]);
        const op0 = ap.spec.rules[0].to[0].operation;
        return {
          where: op0.paths ? op0.paths[0].replace(/\*$/, '') : '/',
          prefix: http.pathPrefix,
          // Istio sends Host, method, path and Content-Length; the rest only when listed.
          allowed: lower(http.includeRequestHeadersInCheck),
          copy: http.headersToUpstreamOnAllow,
        };
      });
    },
  };

  for (const [family, load] of Object.entries(envoyFamily)) {
    describe(`${family}: Envoy ext_authz HTTP check requests`, () => {
      let providers;
      let unpinned;
      let pinned;
      before(() => {
        providers = load();
        unpinned = providers.find((p) => p.prefix === '/ext-authz');
        pinned = providers.find((p) => p.prefix.startsWith('/ext-authz-pinned/'));
      });
      const samplePath = (p) => `${p.where.replace(/\/$/, '')}/page`;

      test('manifests: /ext-authz and /ext-authz-pinned/ prefixes, Cookie and Authorization let through', () => {
        assert.ok(unpinned, 'an unpinned provider (/ext-authz)');
        assert.ok(pinned, 'a pinned provider (/ext-authz-pinned/...)');
        assert.equal(pinsOf(pinned.prefix), 'level=mfa&max_age=300');
        for (const p of providers) {
          assert.ok(headerMatches(p.allowed, 'cookie'), `${p.prefix}: cookie must be allow-listed`);
          assert.ok(headerMatches(p.allowed, 'authorization'), `${p.prefix}: authorization`);
          assert.ok(headerMatches(p.allowed, 'accept'), `${p.prefix}: accept (JSON clients)`);
          for (const h of IDENTITY_HEADERS) assert.ok(headerMatches(p.copy, h), `${p.prefix}: copies ${h}`);
        }
      });

      test('allow: 200 with identity headers the config copies to the application', async () => {
        const spoofs = { 'X-Auth-Request-User': 'mallory', 'X-Original-URL': `https://${APP}/public/` };
        const h = assertAllowCopied(await envoyCheck(unpinned, { path: '/dashboard?x=1',
          headers: { Authorization: `Bearer ${await stack.mfaToken()}`, ...spoofs } }), unpinned.copy);
        assert.equal(h['x-auth-request-user'], 'bob');
      });

      test('a browser: 302 to /start with rd = https:// + Host + original path and query', async () => {
        assertRedirectToStart(await envoyCheck(unpinned, { path: '/orders?id=7&x=%2F',
          headers: { Accept: 'text/html', Cookie: '_ga=1' } }), `https://${APP}/orders?id=7&x=%2F`, '', 'unpinned');
        const p = `${samplePath(pinned)}?tab=2`;
        assertRedirectToStart(await envoyCheck(pinned, { path: p, headers: { Accept: 'text/html' } }),
            `https://${APP}${p}`, pinsOf(pinned.prefix), 'pinned');
      });

      test('a script asking for JSON: 401 with the /start URL', async () => {
        assertJsonLogin(await envoyCheck(pinned, { path: samplePath(pinned), headers: { Accept: 'application/json' } }),
            `https://${APP}${samplePath(pinned)}`, pinsOf(pinned.prefix));
      });

      test('pins from the path prefix: RFC 9470 for a password-only or stale token, 200 for fresh MFA', async () => {
        const auth = (token) => ({ Authorization: `Bearer ${token}` });
        assertStepUp(await envoyCheck(pinned, { path: samplePath(pinned), headers: auth(await stack.basicToken()) }),
            { acrValues: ACR_VALUES.mfa, maxAge: 300 });
        assertStepUp(await envoyCheck(pinned, { path: samplePath(pinned),
          headers: auth(await stack.mfaToken({ auth_time: now() - 900 })) }), { acrValues: ACR_VALUES.mfa, maxAge: 300 });
        assert.equal((await envoyCheck(pinned, { path: samplePath(pinned), headers: auth(await stack.mfaToken()) })).status, 200);
      });

      test('the original query never pins', async () => {
        const auth = { Authorization: `Bearer ${await stack.basicToken()}` };
        const r1 = await envoyCheck(unpinned, { path: '/orders?level=mfa&max_age=1&policy=admin', headers: auth });
        assert.equal(r1.status, 200, `unpinned: the query is the application's\n${showResponse(r1)}`);
        assertStepUp(await envoyCheck(pinned, { path: `${samplePath(pinned)}?level=basic`, headers: auth }),
            { acrValues: ACR_VALUES.mfa, maxAge: 300 }, 'pinned: ?level=basic changes nothing');
      });

      test('the original method decides (payments rule: POST needs MFA within 5 minutes)', async () => {
        const auth = { Authorization: `Bearer ${await stack.basicToken()}` };
        assert.equal((await envoyCheck(unpinned, { method: 'GET', path: '/api/payments/1', headers: auth })).status, 200);
        assertStepUp(await envoyCheck(unpinned, { method: 'POST', path: '/api/payments/1', headers: auth }),
            { acrValues: ACR_VALUES.mfa, maxAge: 300 });
      });

      test('identity headers Stepgate leaves absent are removed from the request (x-envoy-auth-headers-to-remove)',
          async () => {
            const token = await stack.issuer.mint({ sub: 'carol', acr: ACR.basic });
            const res = await envoyCheck(unpinned, { path: '/orders', headers: { Authorization: `Bearer ${token}` } });
            assert.equal(res.status, 200);
            const removed = (res.headers['x-envoy-auth-headers-to-remove'] ?? '').split(',').map((s) => s.trim());
            assert.ok(removed.includes('x-auth-request-email'), showResponse(res));
          });
    });
  }

  // ------------------------------------------------ Stepgate's own public route
  describe(`Stepgate's public route (${AUTH_HOST}): its four browser pages, nothing else`, () => {
    const pages = PUBLIC_PAGES.map((page) => `${PUBLIC_PATH}${page}`);
    const traefikRoutes = () => read('traefik/ingressroute.yaml').filter((d) => d.kind === 'IngressRoute');
    const httpRoutes = (rel) => read(rel).filter((d) => d.kind === 'HTTPRoute');
    /** Per example: the backend service its public routes send host + path to, or undefined (404). */
    const examples = {
      traefik: (host, p) => traefikRoute(traefikRoutes(), host, p)?.services[0].name,
      'gateway-api': (host, p) => gatewayRoute(httpRoutes('gateway-api/httproute.yaml'), host, p)?.backend,
      'envoy-gateway': (host, p) => gatewayRoute(httpRoutes('envoy-gateway/httproutes.yaml'), host, p)?.backend,
    };

    test('manifests: Traefik matches the four pages with Path, the HTTPRoutes with Exact', () => {
      const own = traefikRoutes().find((r) => r.metadata.name === 'stepgate').spec.routes;
      assert.equal(own.length, 1);
      assert.doesNotMatch(own[0].match, /PathPrefix/);
      assert.deepEqual([...own[0].match.matchAll(/\bPath\(`([^`]+)`\)/g)].map((m) => m[1]), pages);
      for (const rel of ['gateway-api/httproute.yaml', 'envoy-gateway/httproutes.yaml']) {
        const route = httpRoutes(rel).find((r) => r.metadata.name === 'stepgate');
        assert.deepEqual(route.spec.hostnames, [AUTH_HOST], rel);
        const matches = route.spec.rules.flatMap((r) => r.matches.map((m) => [m.path.type, m.path.value]));
        assert.deepEqual(matches, pages.map((p) => ['Exact', p]), rel);
      }
    });

    test('Istio: no public route for Stepgate in the example (the gateway asks it through the Service)', () => {
      const kinds = ['istio/istio-operator.yaml', 'istio/authorizationpolicy.yaml'].flatMap((rel) => read(rel))
          .map((d) => d.kind);
      assert.deepEqual(kinds.filter((k) => !['IstioOperator', 'AuthorizationPolicy'].includes(k)), []);
    });

    for (const [name, route] of Object.entries(examples)) {
      test(`${name}: /auth, /forward-auth, /ext-authz/, /metrics and the probes are not routed (the proxy's 404)`,
          () => {
            for (const p of INTERNAL_ENDPOINTS) {
              for (const target of [`${PUBLIC_PATH}${p}`, p]) {
                assert.equal(route(AUTH_HOST, target), undefined, `${AUTH_HOST}${target}`);
              }
            }
            for (const target of [PUBLIC_PATH, `${PUBLIC_PATH}/`, `${PUBLIC_PATH}/start/x`, '/']) {
              assert.equal(route(AUTH_HOST, target), undefined, `${AUTH_HOST}${target}`);
            }
          });

      test(`${name}: the URLs of a sign-in reach Stepgate (/start from a deny, /callback, /logout, /whoami)`,
          async () => {
            // The /start URL Stepgate's own decision sends a browser to.
            const deny = await request(`${sg.url}/ext-authz/orders`, { headers: { Host: APP, Accept: 'text/html' } });
            assert.equal(deny.status, 302, showResponse(deny));
            const start = new URL(deny.headers.location);
            assert.equal(route(start.host, `${start.pathname}${start.search}`), 'stepgate', start.href);
            const res = await request(`${sg.url}${start.pathname}${start.search}`,
                { headers: { Host: start.host, Accept: 'text/html' } });
            assert.equal(res.status, 302, showResponse(res));
            const idp = new URL(res.headers.location);
            assert.equal(`${idp.origin}${idp.pathname}`, `${stack.issuer.issuer}/authorize`, showResponse(res));
            // Where the provider sends the browser back.
            const callback = new URL(idp.searchParams.get('redirect_uri'));
            assert.equal(route(callback.host, callback.pathname), 'stepgate', callback.href);
            for (const page of pages) assert.equal(route(AUTH_HOST, `${page}?rd=x`), 'stepgate', page);
          });
    }
  });
});
