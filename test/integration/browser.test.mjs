// The browser half end to end, with a real headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core), a real OpenID provider
// (lib/oidc-idp.mjs, npm oidc-provider) and nginx rendered the way
// ingress-nginx renders auth-url + auth-signin + auth-response-headers.
//
// Topology (everything on 127.0.0.1, one port each; cookies are per host, not
// per port, so the session cookie Stepgate sets reaches nginx too):
//
//   Chromium ──► nginx :N  host 127.0.0.1, one Ingress per path:
//                  /        auth-url  SG/auth                 auth-signin SG/start              (rules decide)
//                  /mfa/    auth-url  SG/auth?level=mfa       auth-signin SG/start?level=mfa
//                  /fresh/  auth-url  SG/auth?level=basic&max_age=3   auth-signin SG/start?level=basic&max_age=3
//               └─► echo upstream (answers with the headers it received)
//   Chromium ──► Stepgate :SG directly (public_url http://127.0.0.1:SG): /start, /callback, /logout, /whoami
//   Chromium ──► provider :P  (issuer http://127.0.0.1:P): login page, one-time-code page, end session

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

import { EchoServer } from './lib/echo.mjs';
import { Nginx } from './lib/nginx.mjs';
import { ACR_BASIC, ACR_MFA, MFA_CODE, OidcIdp, USERS } from './lib/oidc-idp.mjs';
import {
  LOOPBACK, cleanupTempDirs, freePort, killAll, killPid, makeTempDir, rawRequest, request, showResponse, sleep,
} from './lib/procs.mjs';
import { Stepgate } from './lib/stepgate.mjs';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const ACR_VALUES = {
  basic: 'urn:stepgate:loa:pwd 1 urn:stepgate:loa:mfa 2',
  mfa: 'urn:stepgate:loa:mfa 2',
};
const FRESH_MAX_AGE = 3; // seconds, the /fresh/ Ingress pin
const NAV_TIMEOUT = 10000;

const now = () => Math.floor(Date.now() / 1000);
const splitList = (v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

// ---------------------------------------------------------------------------
// The stack

class BrowserStack {
  async start() {
    const sgPort = await freePort();
    this.sgUrl = `http://${LOOPBACK}:${sgPort}`;
    this.echo = await new EchoServer().start();
    this.nginxPort = await freePort();
    this.appUrl = `http://${LOOPBACK}:${this.nginxPort}`;

    this.idp = await new OidcIdp({
      redirectUris: [`${this.sgUrl}/callback`],
      postLogoutRedirectUris: [`${this.appUrl}/public/signed-out`, `${this.sgUrl}/`],
    }).start();

    this.stepgate = new Stepgate({
      dir: await makeTempDir('stepgate-browser-sg-'),
      issuer: this.idp.issuer,
      overrides: {
        provider: { leeway: '1s' },
        redirect: { allowed_domains: [LOOPBACK], default: undefined },
      },
    });
    this.stepgate.port = sgPort;
    await this.stepgate.start();

    const auth = `${this.sgUrl}/auth`;
    const start = `${this.sgUrl}/start`;
    const ing = (path, pins = '') => ({
      host: LOOPBACK,
      name: `browser${path.replace(/\//g, '-')}`,
      path,
      authUrl: auth + (pins ? `?${pins}` : ''),
      signinUrl: start + (pins ? `?${pins}` : ''),
      upstream: this.echo.url,
    });
    this.nginx = new Nginx({
      dir: await makeTempDir('stepgate-browser-nginx-'),
      ingresses: [
        ing('/'),
        ing('/mfa/', 'level=mfa'),
        ing('/fresh/', `level=basic&max_age=${FRESH_MAX_AGE}`),
      ],
    });
    this.nginx.port = this.nginxPort;
    await this.nginx.start();

    this.browserServer = await chromium.launchServer({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      host: LOOPBACK,
      port: 0,
    });
    this.chromiumPid = this.browserServer.process().pid;
    this.browser = await chromium.connect(this.browserServer.wsEndpoint());
    return this;
  }

  async stop() {
    const errors = [];
    const step = async (fn) => {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    };
    await step(() => this.browser?.close());
    await step(() => this.browserServer?.close());
    await step(() => killPid(this.chromiumPid));
    for (const piece of [this.nginx, this.echo, this.stepgate, this.idp]) await step(() => piece?.stop());
    await killAll();
    await cleanupTempDirs();
    if (errors.length) throw errors[0];
  }

  async logs() {
    return `${this.stepgate?.logs() ?? ''}\n--- nginx error.log ---\n${await this.nginx?.errorLog(2000)}`;
  }

  /** A fresh browser context (own cookies) with a log of every request it makes. */
  async newContext() {
    const context = await this.browser.newContext();
    context.setDefaultTimeout(NAV_TIMEOUT);
    context.setDefaultNavigationTimeout(NAV_TIMEOUT);
    const log = [];
    context.on('request', (r) => log.push({ url: r.url(), method: r.method(), nav: r.isNavigationRequest() }));
    context.on('response', (r) => {
      const entry = log.findLast((e) => e.url === r.url() && e.status === undefined);
      if (entry) {
        entry.status = r.status();
        entry.location = r.headers().location;
      }
    });
    // Nothing may leave the loopback hosts: any other host is recorded and refused.
    const offsite = [];
    await context.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.hostname !== LOOPBACK) {
        offsite.push(u.href);
        return route.abort('blockedbyclient');
      }
      return route.continue();
    });
    const page = await context.newPage();
    return { context, page, log, offsite };
  }

  // ---- pages of the provider ----

  /** Waits for the provider's password page, signs in. */
  async signIn(page, user = 'alice') {
    await page.waitForURL((u) => u.href.startsWith(`${this.idp.issuer}/interaction/`));
    await page.locator('#password').waitFor();
    await page.fill('#username', user);
    await page.fill('#password', USERS[user].password);
    await page.click('#sign-in');
  }

  /** Waits for the provider's one-time-code page, enters the code. */
  async enterCode(page, code = MFA_CODE) {
    await page.waitForURL((u) => u.href.startsWith(`${this.idp.issuer}/interaction/`));
    await page.locator('#otp').waitFor();
    await page.fill('#otp', code);
    await page.click('#verify');
  }

  /** Which provider page the browser shows: 'login' | 'mfa' | null. */
  async providerPage(page) {
    await page.waitForURL((u) => u.href.startsWith(`${this.idp.issuer}/interaction/`));
    await page.waitForLoadState('domcontentloaded');
    if (await page.locator('#password').count()) return 'login';
    if (await page.locator('#otp').count()) return 'mfa';
    return null;
  }

  /** Waits until the browser shows `url` and returns what the echo upstream saw. */
  async landedOnApp(page, url) {
    await page.waitForURL(url);
    const text = await page.locator('body').innerText();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      assert.fail(`expected the echo upstream at ${url}, got: ${text.slice(0, 400)}\n${await this.logs()}`);
    }
    assert.equal(body.upstream, 'echo', text);
    return body;
  }

  /** GET /whoami in the browser: {status, json}. */
  async whoami(page) {
    const res = await page.goto(`${this.sgUrl}/whoami`);
    const text = await page.locator('body').innerText();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status(), json, text };
  }

  /** The Stepgate session cookies of a context (chunks included, flow cookies not). */
  async sessionCookies(context) {
    return (await context.cookies(this.sgUrl)).filter((c) => /^_stepgate(_\d+)?$/.test(c.name));
  }

  async flowCookies(context) {
    return (await context.cookies(`${this.sgUrl}/callback`)).filter((c) => c.name.startsWith('_stepgate_flow_'));
  }

  /** Cookie header of a context for Stepgate, to call it directly. */
  async cookieHeader(context) {
    return (await context.cookies(this.sgUrl)).map((c) => `${c.name}=${c.value}`).join('; ');
  }

  /** A context signed in as `user` at the basic level (through the app). */
  async signedIn(user = 'alice') {
    const c = await this.newContext();
    await c.page.goto(`${this.appUrl}/app/home`);
    await this.signIn(c.page, user);
    await this.landedOnApp(c.page, `${this.appUrl}/app/home`);
    return c;
  }
}

/** What the upstream saw from Stepgate (through nginx's auth-response-headers). */
function authHeaders(body) {
  const h = body.headers;
  return {
    user: h['x-auth-request-user'],
    email: h['x-auth-request-email'],
    username: h['x-auth-request-preferred-username'],
    groups: splitList(h['x-auth-request-groups']),
    level: h['x-auth-request-level'],
    acr: h['x-auth-request-acr'],
    amr: splitList(h['x-auth-request-amr']),
    authTime: h['x-auth-request-auth-time'] === undefined ? undefined : Number(h['x-auth-request-auth-time']),
  };
}

const navigations = (log, prefix) => log.filter((e) => e.nav && e.url.startsWith(prefix));

// ---------------------------------------------------------------------------

describe('browser: sign-in and step-up through nginx (ingress-nginx auth-url + auth-signin)', () => {
  const stack = new BrowserStack();
  before(async () => {
    await stack.start();
  });
  after(async () => {
    await stack.stop();
  });

  describe('one user, step by step', () => {
    let c;
    let firstAuthTime;
    before(async () => {
      stack.idp.resetKnobs();
      c = await stack.newContext();
    });
    after(async () => {
      await c?.context.close();
    });

    test('a basic route asks for the password, then lands on the original URL with the headers', async () => {
      const target = `${stack.appUrl}/app/orders?x=1&y=two%20words`;
      const before = stack.idp.authorizationRequests.length;
      await c.page.goto(target);
      assert.equal(await stack.providerPage(c.page), 'login', 'the provider asks for the password');

      // The signin URL nginx built carries rd (escaped) and Stepgate's /start the request to the provider.
      const starts = navigations(c.log, `${stack.sgUrl}/start`);
      assert.equal(starts.length, 1, JSON.stringify(c.log, null, 1));
      assert.equal(new URL(starts[0].url).searchParams.get('rd'), target, starts[0].url);
      const ar = stack.idp.authorizationRequests.slice(before);
      assert.equal(ar.length, 1);
      const q = ar[0];
      assert.equal(q.get('response_type'), 'code');
      assert.equal(q.get('client_id'), 'stepgate');
      assert.equal(q.get('redirect_uri'), `${stack.sgUrl}/callback`);
      assert.deepEqual(q.get('scope').split(' ').sort(), ['email', 'openid', 'profile']);
      assert.equal(q.get('code_challenge_method'), 'S256');
      assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.ok(q.get('state')?.length >= 16, 'state');
      assert.ok(q.get('nonce')?.length >= 16, 'nonce');
      assert.equal(q.get('acr_values'), ACR_VALUES.basic);
      assert.equal(q.get('max_age'), null, 'no max_age for a rule without one');
      assert.equal(q.get('login_hint'), null, 'no session, no login_hint');

      // The flow cookie: path /callback, HttpOnly, SameSite=Lax, not Secure (session.secure false).
      const flows = await stack.flowCookies(c.context);
      assert.equal(flows.length, 1, JSON.stringify(flows));
      assert.equal(flows[0].name, `_stepgate_flow_${q.get('state').slice(0, 12)}`);
      assert.equal(flows[0].path, '/callback');
      assert.equal(flows[0].httpOnly, true);
      assert.equal(flows[0].sameSite, 'Lax');
      assert.equal(flows[0].secure, false);

      await stack.signIn(c.page, 'alice');
      const seen = authHeaders(await stack.landedOnApp(c.page, target));
      assert.equal(seen.user, 'alice');
      assert.equal(seen.email, 'alice@example.com');
      assert.equal(seen.username, 'alice');
      assert.deepEqual(seen.groups, ['staff']);
      assert.equal(seen.level, 'basic');
      assert.equal(seen.acr, ACR_BASIC);
      assert.deepEqual(seen.amr, ['pwd']);
      assert.ok(Math.abs(seen.authTime - now()) <= 5, `auth_time ${seen.authTime}`);
      firstAuthTime = seen.authTime;

      const session = await stack.sessionCookies(c.context);
      assert.ok(session.length >= 1, 'a session cookie');
      for (const ck of session) {
        assert.equal(ck.httpOnly, true, ck.name);
        assert.equal(ck.sameSite, 'Lax', ck.name);
        assert.equal(ck.secure, false, ck.name);
      }
      assert.deepEqual(await stack.flowCookies(c.context), [], 'the flow cookie is cleared');
      const tok = stack.idp.idTokens.at(-1);
      assert.equal(tok.sub, 'alice');
      assert.equal(tok.acr, ACR_BASIC);
      assert.deepEqual(tok.amr, ['pwd']);
    });

    test('a basic route again: no visit to Stepgate or the provider', async () => {
      const mark = c.log.length;
      const target = `${stack.appUrl}/app/other`;
      await c.page.goto(target);
      const seen = authHeaders(await stack.landedOnApp(c.page, target));
      assert.equal(seen.user, 'alice');
      assert.equal(seen.level, 'basic');
      const navs = c.log.slice(mark).filter((e) => e.nav).map((e) => e.url);
      assert.deepEqual(navs, [target]);
    });

    test('/whoami shows the session', async () => {
      const { status, json, text } = await stack.whoami(c.page);
      assert.equal(status, 200, text);
      assert.equal(json.sub, 'alice');
      assert.equal(json.email, 'alice@example.com');
      assert.equal(json.level, 'basic');
      assert.equal(json.acr, ACR_BASIC);
      assert.deepEqual(json.amr, ['pwd']);
      assert.equal(json.auth_time, firstAuthTime);
      assert.deepEqual(json.groups, ['staff']);
      assert.ok(json.expires_at > now(), `expires_at ${json.expires_at}`);
    });

    test('an MFA route asks ONLY for the second factor (provider session reused), then lands with level mfa', async () => {
      const target = `${stack.appUrl}/mfa/transfer?amount=10`;
      const before = stack.idp.authorizationRequests.length;
      const shownBefore = stack.idp.interactionsShown.length;
      await c.page.goto(target);
      assert.equal(await stack.providerPage(c.page), 'mfa', 'only the code step, no password');

      const starts = navigations(c.log, `${stack.sgUrl}/start`).at(-1);
      const su = new URL(starts.url);
      assert.equal(su.searchParams.get('level'), 'mfa', 'the auth-signin pin reaches /start');
      assert.equal(su.searchParams.get('rd'), target);
      const q = stack.idp.authorizationRequests.slice(before)[0];
      assert.equal(q.get('acr_values'), ACR_VALUES.mfa);
      assert.equal(q.get('login_hint'), 'alice@example.com', 'login_hint for a known user');

      await stack.enterCode(c.page);
      const seen = authHeaders(await stack.landedOnApp(c.page, target));
      assert.equal(seen.user, 'alice');
      assert.equal(seen.level, 'mfa');
      assert.equal(seen.acr, ACR_MFA);
      assert.deepEqual(seen.amr, ['pwd', 'otp']);
      const shown = stack.idp.interactionsShown.slice(shownBefore).map((s) => s.step);
      assert.deepEqual(shown, ['mfa', 'done'], 'no password page during the step-up');
    });

    test('after the step-up, basic and MFA routes pass without prompts', async () => {
      const mark = c.log.length;
      for (const target of [`${stack.appUrl}/mfa/again`, `${stack.appUrl}/app/orders`, `${stack.appUrl}/api/vault/x`]) {
        await c.page.goto(target);
        const seen = authHeaders(await stack.landedOnApp(c.page, target));
        assert.equal(seen.level, 'mfa', target);
      }
      assert.deepEqual(c.log.slice(mark).filter((e) => e.nav && !e.url.startsWith(stack.appUrl)), []);
    });

    test('max_age: an authentication older than max_age is asked again (password), then allowed', async () => {
      const { json } = await stack.whoami(c.page);
      // Wait until the session's authentication is older than max_age (+ Stepgate's 1 s leeway).
      const waitMs = (json.auth_time + FRESH_MAX_AGE + 2 - now()) * 1000;
      if (waitMs > 0) await sleep(waitMs);

      const target = `${stack.appUrl}/fresh/statement`;
      const before = stack.idp.authorizationRequests.length;
      await c.page.goto(target);
      assert.equal(await stack.providerPage(c.page), 'login', 'the provider asks for the password again');
      const q = stack.idp.authorizationRequests.slice(before)[0];
      assert.equal(q.get('max_age'), String(FRESH_MAX_AGE));
      assert.equal(q.get('acr_values'), ACR_VALUES.basic);
      const startedAt = now();
      await stack.signIn(c.page, 'alice');
      const seen = authHeaders(await stack.landedOnApp(c.page, target));
      assert.equal(seen.user, 'alice');
      assert.ok(seen.authTime >= startedAt - 1, `auth_time moved on: ${seen.authTime} >= ${startedAt}`);
      assert.ok(Number.isInteger(stack.idp.idTokens.at(-1).auth_time), 'auth_time in the ID token');
      // The new ID token proves a password only: that is what the session now has.
      assert.equal(seen.level, 'basic');
    });

    test('sign out via /logout: provider logout, back to rd, and the next request needs a login', async () => {
      const rd = `${stack.appUrl}/public/signed-out`;
      await c.page.goto(`${stack.sgUrl}/logout?rd=${encodeURIComponent(rd)}`);
      await c.page.waitForURL((u) => u.href.startsWith(stack.idp.endSessionEndpoint));
      const u = new URL(c.page.url());
      assert.equal(u.searchParams.get('client_id'), 'stepgate');
      assert.equal(u.searchParams.get('post_logout_redirect_uri'), rd);
      assert.deepEqual(await stack.sessionCookies(c.context), [], 'session cookie cleared before leaving');
      await c.page.click('#logout-yes');
      await stack.landedOnApp(c.page, rd);

      const who = await stack.whoami(c.page);
      assert.equal(who.status, 401, who.text);

      await c.page.goto(`${stack.appUrl}/app/orders`);
      assert.equal(await stack.providerPage(c.page), 'login');
    });
  });
});
