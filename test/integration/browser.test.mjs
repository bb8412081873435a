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
//
// The provider's knobs (lib/oidc-idp.mjs) make it misbehave for the negative
// tests: weaker acr than asked, another sub, no auth_time, another iss. One
// interop test starts its own provider + Stepgate pair (client_secret_post, no
// end_session_endpoint). Chromium runs under playwright-core's launchServer
// (its own fresh profile directory), so that its pid is known and stopped.

import assert from 'node:assert/strict';
import fs from 'node:fs';
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
      hostFromIssuer: false, // oidc-provider as it is: its URLs follow the Host it receives
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

    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_BIN`);
    }
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
    const offsite = [];
    context.on('request', (r) => {
      log.push({ url: r.url(), method: r.method(), nav: r.isNavigationRequest() });
      if (!/^https?:\/\/127\.0\.0\.1[:/]/.test(r.url())) offsite.push(r.url());
    });
    context.on('response', (r) => {
      const entry = log.findLast((e) => e.url === r.url() && e.status === undefined);
      if (entry) {
        entry.status = r.status();
        entry.location = r.headers().location;
        entry.contentType = r.headers()['content-type'];
      }
    });
    // Nothing may leave the loopback hosts: every other request is recorded (above), and
    // refused where Playwright can route it (redirect follow-ups are not routed; with
    // no network they fail anyway).
    await context.route((u) => u.hostname !== LOOPBACK, (route) => route.abort('blockedbyclient'));
    const page = await context.newPage();
    return { context, page, log, offsite };
  }

  // ---- pages of the provider ----

  /** Waits for the provider's password page, signs in. */
  async signIn(page, user = 'alice') {
    await page.waitForURL(isInteraction);
    await page.locator('#password').waitFor();
    await page.fill('#username', user);
    await page.fill('#password', USERS[user].password);
    await page.click('#sign-in');
  }

  /** Waits for the provider's one-time-code page, enters the code. */
  async enterCode(page, code = MFA_CODE) {
    await page.waitForURL(isInteraction);
    await page.locator('#otp').waitFor();
    await page.fill('#otp', code);
    await page.click('#verify');
  }

  /** Which provider page the browser shows: 'login' | 'mfa' | null. */
  async providerPage(page) {
    await page.waitForURL(isInteraction);
    await page.waitForLoadState('domcontentloaded');
    if (await page.locator('#password').count()) return 'login';
    if (await page.locator('#otp').count()) return 'mfa';
    return null;
  }

  /** Waits until the browser shows `url` and returns what the echo upstream saw. */
  async landedOnApp(page, url) {
    try {
      await page.waitForURL(url);
    } catch (e) {
      // Say where the browser is instead, and what Stepgate and nginx logged, so a rare
      // failure can be read from the CI log alone.
      const text = await page.locator('body').innerText().catch(() => '(no body)');
      assert.fail(`${e.message}\nthe browser is at ${page.url()}: ${text.slice(0, 400)}\n${await this.logs()}`);
    }
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

/** A page of a provider's sign-in (any OidcIdp: the stack's or a test's own). */
const isInteraction = (u) => u.hostname === LOOPBACK && u.pathname.startsWith('/interaction/');

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

  describe('what the provider proves is what counts', () => {
    after(() => stack.idp.resetKnobs());

    /** Waits for Stepgate's answer on /callback and returns its log entry. */
    async function callbackAnswer(c, mark) {
      await c.page.waitForURL((u) => u.href.startsWith(`${stack.sgUrl}/callback`));
      await c.page.waitForLoadState('load');
      await sleep(300); // a redirect loop would show up here as further navigations
      const cbs = c.log.slice(mark).filter((e) => e.nav && e.url.startsWith(`${stack.sgUrl}/callback`));
      assert.equal(cbs.length, 1, `one callback, no loop: ${JSON.stringify(c.log.slice(mark), null, 1)}`);
      return cbs[0];
    }

    test('weaker acr than asked (code step skipped): 403 error page, no loop, the session keeps its level', async () => {
      const c = await stack.signedIn('alice');
      try {
        const before = await stack.whoami(c.page);
        assert.equal(before.json?.level, 'basic', before.text);
        stack.idp.knobs.weakAcr = true;
        const mark = c.log.length;
        await c.page.goto(`${stack.appUrl}/mfa/weak`);
        const cb = await callbackAnswer(c, mark);
        assert.equal(cb.status, 403, `Stepgate's error page, not a redirect: ${JSON.stringify(cb)}`);
        assert.equal(cb.location, undefined);
        assert.match(cb.contentType ?? '', /^text\/html/, 'an HTML page for the browser');
        assert.equal(navigations(c.log.slice(mark), `${stack.sgUrl}/start`).length, 1, 'no loop back to /start');
        assert.equal(navigations(c.log.slice(mark), stack.appUrl).length, 1, 'the app was asked once (401), never reached');
        assert.equal(stack.idp.idTokens.at(-1).acr, ACR_BASIC, 'the provider claimed only the password');
        const text = await c.page.locator('body').innerText();
        assert.doesNotMatch(text, /"upstream"/);
        stack.idp.resetKnobs();
        const afterWho = await stack.whoami(c.page);
        assert.equal(afterWho.json?.sub, 'alice', afterWho.text);
        assert.equal(afterWho.json?.level, 'basic', 'not upgraded');
        assert.equal(afterWho.json?.auth_time, before.json.auth_time);
      } finally {
        stack.idp.resetKnobs();
        await c.context.close();
      }
    });

    test('weaker acr than asked, no session before: 403 error page and still no session', async () => {
      const c = await stack.newContext();
      try {
        stack.idp.knobs.weakAcr = true;
        await c.page.goto(`${stack.appUrl}/mfa/weak`);
        await stack.signIn(c.page, 'bob');
        const cb = await callbackAnswer(c, 0);
        assert.equal(cb.status, 403, JSON.stringify(cb));
        assert.deepEqual(await stack.sessionCookies(c.context), [], 'no session cookie');
        stack.idp.resetKnobs();
        const who = await stack.whoami(c.page);
        assert.equal(who.status, 401, who.text);
      } finally {
        stack.idp.resetKnobs();
        await c.context.close();
      }
    });

    test('the user cancels at the provider (error=access_denied): an error page, no session, no loop', async () => {
      const c = await stack.newContext();
      try {
        await c.page.goto(`${stack.appUrl}/app/cancel`);
        await stack.providerPage(c.page);
        await c.page.click('#abort');
        const cb = await callbackAnswer(c, 0);
        assert.ok(cb.status >= 400 && cb.status < 500, `a 4xx page: ${JSON.stringify(cb)}`);
        assert.equal(new URL(cb.url).searchParams.get('error'), 'access_denied');
        assert.deepEqual(await stack.sessionCookies(c.context), []);
      } finally {
        await c.context.close();
      }
    });

    test('max_age sent but no auth_time in the ID token: 403 error page, no session', async () => {
      const c = await stack.newContext();
      try {
        stack.idp.knobs.omitAuthTime = true;
        await c.page.goto(`${stack.appUrl}/fresh/no-auth-time`);
        await stack.signIn(c.page, 'alice');
        const cb = await callbackAnswer(c, 0);
        assert.equal(stack.idp.idTokens.at(-1).auth_time, undefined, 'the knob removed auth_time');
        assert.equal(cb.status, 403, JSON.stringify(cb));
        stack.idp.resetKnobs();
        const who = await stack.whoami(c.page);
        assert.equal(who.status, 401, who.text);
      } finally {
        stack.idp.resetKnobs();
        await c.context.close();
      }
    });

    test('another sub on step-up: a new session for the new sub with what its ID token proves', async () => {
      const c = await stack.signedIn('alice');
      try {
        stack.idp.knobs.switchSubTo = 'bob';
        const target = `${stack.appUrl}/mfa/switch`;
        await c.page.goto(target);
        await stack.enterCode(c.page); // alice's code step; the provider completes as bob
        const seen = authHeaders(await stack.landedOnApp(c.page, target));
        assert.equal(stack.idp.idTokens.at(-1).sub, 'bob');
        assert.equal(seen.user, 'bob');
        assert.equal(seen.email, 'bob@example.com');
        assert.deepEqual(seen.groups, ['staff', 'admins']);
        assert.equal(seen.level, 'mfa');
        stack.idp.resetKnobs();
        const who = await stack.whoami(c.page);
        assert.equal(who.json?.sub, 'bob', who.text);
      } finally {
        stack.idp.resetKnobs();
        await c.context.close();
      }
    });

    test('another sub with a weaker login: the old session\'s mfa level never carries over', async () => {
      const c = await stack.newContext();
      try {
        await c.page.goto(`${stack.appUrl}/mfa/first`);
        await stack.signIn(c.page, 'alice');
        await stack.enterCode(c.page);
        const first = authHeaders(await stack.landedOnApp(c.page, `${stack.appUrl}/mfa/first`));
        assert.equal(first.level, 'mfa');
        // Older than the /fresh/ max_age, so that the provider asks for a password again.
        const waitMs = (first.authTime + FRESH_MAX_AGE + 2 - now()) * 1000;
        if (waitMs > 0) await sleep(waitMs);

        stack.idp.knobs.switchSubTo = 'bob';
        const target = `${stack.appUrl}/fresh/switch`;
        await c.page.goto(target);
        await stack.signIn(c.page, 'alice'); // the provider completes as bob, password only
        const seen = authHeaders(await stack.landedOnApp(c.page, target));
        stack.idp.resetKnobs();
        assert.equal(seen.user, 'bob');
        assert.equal(seen.level, 'basic', 'bob proved a password only');
        assert.deepEqual(seen.amr, ['pwd']);
        const who = await stack.whoami(c.page);
        assert.equal(who.json?.sub, 'bob', who.text);
        assert.equal(who.json?.level, 'basic', who.text);
        // An MFA route is a step-up again, not an allow.
        await c.page.goto(`${stack.appUrl}/mfa/after-switch`);
        assert.equal(await stack.providerPage(c.page), 'mfa');
      } finally {
        stack.idp.resetKnobs();
        await c.context.close();
      }
    });
  });

  describe('session cookies and callbacks', () => {
    test('tampered, truncated or garbage session cookie: no session (401), the browser signs in again', async () => {
      const c = await stack.signedIn('alice');
      try {
        const variants = {
          tampered: (v) => {
            const i = Math.floor(v.length / 2);
            return v.slice(0, i) + (v[i] === 'A' ? 'B' : 'A') + v.slice(i + 1);
          },
          truncated: (v) => v.slice(0, Math.floor(v.length / 2)),
          garbage: () => 'not-a-session',
        };
        for (const [name, change] of Object.entries(variants)) {
          const cookies = await stack.sessionCookies(c.context);
          assert.ok(cookies.length >= 1, `${name}: a session cookie to change`);
          const bad = { ...cookies[0], value: change(cookies[0].value) };
          await c.context.addCookies([bad]);

          const direct = await request(`${stack.sgUrl}/auth`, {
            headers: {
              'X-Original-URL': `${stack.appUrl}/app/x`, 'X-Original-Method': 'GET',
              Cookie: await stack.cookieHeader(c.context),
            },
          });
          assert.equal(direct.status, 401, `${name}: /auth answers 401 (never 400/500)\n${showResponse(direct)}`);

          const mark = c.log.length;
          const arMark = stack.idp.authorizationRequests.length;
          const target = `${stack.appUrl}/app/after-${name}`;
          await c.page.goto(target);
          const seen = authHeaders(await stack.landedOnApp(c.page, target));
          assert.equal(seen.user, 'alice');
          assert.equal(navigations(c.log.slice(mark), `${stack.sgUrl}/start`).length, 1, `${name}: through /start`);
          const ar = stack.idp.authorizationRequests.slice(arMark);
          assert.equal(ar.length, 1, `${name}: through the provider`);
          assert.equal(ar[0].get('login_hint'), null, `${name}: the bad cookie gave no identity`);
          const now2 = await stack.sessionCookies(c.context);
          assert.notEqual(now2[0]?.value, bad.value, `${name}: a new session cookie`);
        }
      } finally {
        await c.context.close();
      }
    });

    test('replayed callback URL: error page, the session does not change', async (t) => {
      const c = await stack.newContext();
      try {
        const target = `${stack.appUrl}/app/replay`;
        await c.page.goto(target);
        await stack.providerPage(c.page);
        const [flow] = await stack.flowCookies(c.context);
        await stack.signIn(c.page, 'alice');
        await stack.landedOnApp(c.page, target);
        const cbUrl = navigations(c.log, `${stack.sgUrl}/callback`)[0].url;
        const before = await stack.whoami(c.page);
        assert.equal(before.status, 200);

        // 1. the same URL again (the flow cookie is gone).
        const again = await c.page.goto(cbUrl);
        assert.equal(again.status(), 400, `replay without the flow cookie: 400 page\n${await again.text()}`);
        assert.equal(c.page.url(), cbUrl, 'no redirect');
        assert.deepEqual((await stack.whoami(c.page)).json, before.json, 'session unchanged');

        // 2. the same URL with its flow cookie put back: the code is spent at the provider.
        await c.context.addCookies([flow]);
        const tokenCalls = stack.idp.tokenRequests.length;
        const replay = await c.page.goto(cbUrl);
        // The provider refuses the used code (invalid_grant): the browser's doing, so a 400.
        assert.equal(replay.status(), 400,
            `replay with the flow cookie: a 400 error page, got ${replay.status()}\n${await replay.text()}`);
        t.diagnostic(`replay with the flow cookie put back: ${replay.status()}`);
        assert.equal(c.page.url(), cbUrl, 'no redirect to rd');
        assert.ok(stack.idp.tokenRequests.length <= tokenCalls + 1);
        assert.deepEqual((await stack.whoami(c.page)).json, before.json, 'session unchanged');
      } finally {
        await c.context.close();
      }
    });

    test('forged state, or a callback without its flow cookie: 400 page, no session', async () => {
      const a = await stack.newContext();
      const b = await stack.newContext();
      try {
        const arMark = stack.idp.authorizationRequests.length;
        await a.page.goto(`${stack.appUrl}/app/forged`);
        await stack.providerPage(a.page);
        const state = stack.idp.authorizationRequests[arMark].get('state');
        const iss = encodeURIComponent(stack.idp.issuer);
        const cases = [
          [a, `code=forged-code&state=${encodeURIComponent(state.slice(0, -2) + 'xx')}&iss=${iss}`, 'forged state'],
          [a, `code=forged-code&state=forged-state-value&iss=${iss}`, 'unknown state'],
          [a, `code=forged-code&iss=${iss}`, 'no state'],
          [b, `code=forged-code&state=${encodeURIComponent(state)}&iss=${iss}`, 'real state, no flow cookie'],
        ];
        for (const [c, query, what] of cases) {
          const res = await c.page.goto(`${stack.sgUrl}/callback?${query}`);
          assert.equal(res.status(), 400, `${what}: 400 page\n${await res.text()}`);
          assert.ok(c.page.url().startsWith(`${stack.sgUrl}/callback`), `${what}: no redirect`);
          assert.deepEqual(await stack.sessionCookies(c.context), [], `${what}: no session`);
        }
        assert.equal((await stack.whoami(b.page)).status, 401);
      } finally {
        await a.context.close();
        await b.context.close();
      }
    });

    test('callback with another issuer in iss (RFC 9207): error page, no session', async () => {
      const c = await stack.newContext();
      try {
        const otherIssuer = 'http://127.0.0.1:1';
        stack.idp.knobs.issParam = otherIssuer; // code and state stay the real ones
        await c.page.goto(`${stack.appUrl}/app/mixup`);
        await stack.signIn(c.page, 'alice');
        await c.page.waitForURL((u) => u.href.startsWith(`${stack.sgUrl}/callback`) &&
            u.searchParams.get('iss') === otherIssuer);
        await c.page.waitForLoadState('load');
        const body = await c.page.locator('body').innerText();
        const cb = c.log.filter((e) => e.nav && e.url.startsWith(`${stack.sgUrl}/callback`)).at(-1);
        assert.ok(cb.status >= 400 && cb.status < 500, `4xx expected: ${JSON.stringify(cb)} ${body}`);
        assert.deepEqual(await stack.sessionCookies(c.context), []);
      } finally {
        stack.idp.resetKnobs();
        await c.context.close();
      }
    });

    test('two tabs stepping up at once both complete', async () => {
      const c = await stack.signedIn('alice');
      try {
        const p1 = c.page;
        const p2 = await c.context.newPage();
        const t1 = `${stack.appUrl}/mfa/tab-one`;
        const t2 = `${stack.appUrl}/mfa/tab-two`;
        await Promise.all([p1.goto(t1), p2.goto(t2)]);
        assert.equal(await stack.providerPage(p1), 'mfa');
        assert.equal(await stack.providerPage(p2), 'mfa');
        assert.equal((await stack.flowCookies(c.context)).length, 2, 'one flow cookie per tab');
        // Tab two's code goes in once tab one has left the provider: oidc-provider renames its
        // session when a tab resumes, and a second resume sent at the same instant with the old
        // session cookie ends on its error page (a race of the provider's, not Stepgate's). Both
        // flows are still in flight together, each callback found by its own state.
        await stack.enterCode(p1);
        const provider = new URL(stack.idp.issuer).origin;
        await p1.waitForURL((u) => u.origin !== provider, { waitUntil: 'commit' });
        await stack.enterCode(p2);
        const [s1, s2] = await Promise.all([stack.landedOnApp(p1, t1), stack.landedOnApp(p2, t2)]);
        assert.equal(authHeaders(s1).level, 'mfa');
        assert.equal(authHeaders(s2).level, 'mfa');
        assert.deepEqual(await stack.flowCookies(c.context), []);
      } finally {
        await c.context.close();
      }
    });
  });

  describe('redirects', () => {
    let c;
    before(async () => {
      stack.idp.resetKnobs();
      c = await stack.signedIn('alice');
    });
    after(async () => {
      await c?.context.close();
    });

    test('an acceptable rd with a session that already satisfies it: straight there', async () => {
      const mark = c.log.length;
      const target = `${stack.appUrl}/app/direct?a=1`;
      await c.page.goto(`${stack.sgUrl}/start?rd=${encodeURIComponent(target)}`);
      await stack.landedOnApp(c.page, target);
      assert.equal(c.log.slice(mark).filter((e) => e.url.startsWith(stack.idp.issuer)).length, 0, 'no provider visit');
      await c.page.goto(`${stack.sgUrl}/start?rd=${encodeURIComponent('/whoami')}`);
      await c.page.waitForURL(`${stack.sgUrl}/whoami`);
    });

    // Decoded rd values; each is sent percent-encoded in the query, as a link would carry it.
    const PAYLOADS = [
      '//evil.example/', '///evil.example/', '////evil.example/', '/\\evil.example/', '\\/evil.example/',
      '/\\/evil.example/', '\\\\evil.example/', '/./\\evil.example/', '/\t/evil.example/', '/\n/evil.example/',
      '/\r\n/evil.example/', ' //evil.example/', '\t//evil.example/', '/%2F/evil.example/', '/%5Cevil.example/',
      'https:evil.example', 'https:/evil.example', 'http:evil.example', 'http:\\\\evil.example',
      'http://evil.example/', 'https://evil.example/', 'HTTP://EVIL.EXAMPLE/',
      'http://127.0.0.1@evil.example/', 'http://127.0.0.1:1@evil.example/', 'http://user:pass@127.0.0.1.evil.example/',
      'http://evil.example\\@127.0.0.1/', 'http://evil.example#@127.0.0.1/', 'http://evil.example?@127.0.0.1/',
      'http://127.0.0.1.evil.example/', 'http://x127.0.0.1/', 'http://evil.example/127.0.0.1',
      'http://127.0.0.1%2eevil.example/', 'http://127.0.0.1\t.evil.example/', 'http://evil.example%2F@127.0.0.1/',
      '%2F%2Fevil.example', 'javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>',
      'ftp://127.0.0.1/',
    ];

    /** 400, or a redirect that stays on 127.0.0.1 over http(s) with nothing a browser would "repair". */
    function assertNotOffsite(res, payload, startUrl) {
      const ctx = `rd=${JSON.stringify(payload)}\n${showResponse(res)}`;
      if (res.status === 400) return 'refused';
      assert.ok(res.status >= 300 && res.status < 400, `expected 400 (or a safe redirect) ${ctx}`);
      const loc = res.headers.location;
      assert.ok(loc, ctx);
      assert.doesNotMatch(loc, /[\x00-\x20\\\x7f]/, `Location with characters a browser rewrites ${ctx}`);
      const u = new URL(loc, startUrl);
      assert.ok(['http:', 'https:'].includes(u.protocol), ctx);
      assert.equal(u.hostname, LOOPBACK, `Location off the allowed hosts ${ctx}`);
      return `followed to ${u.href}`;
    }

    test('open-redirect payloads on /start rd are never followed off the allowed hosts', async (t) => {
      const outcomes = {};
      for (const payload of PAYLOADS) {
        const startUrl = `${stack.sgUrl}/start?rd=${encodeURIComponent(payload)}`;
        // Directly, with the session: a followed rd would be a 302 straight to it.
        const res = await request(startUrl, { headers: { Cookie: await stack.cookieHeader(c.context) } });
        outcomes[payload] = assertNotOffsite(res, payload, startUrl);
        // In the browser: nothing is requested off 127.0.0.1.
        await c.page.goto(startUrl).catch(() => {});
        assert.deepEqual(c.offsite, [], `rd=${JSON.stringify(payload)} made the browser leave`);
      }
      const followed = Object.entries(outcomes).filter(([, o]) => o !== 'refused');
      t.diagnostic(`refused ${PAYLOADS.length - followed.length}/${PAYLOADS.length}; ` +
          `followed on-site: ${JSON.stringify(followed)}`);
    });

    test('raw control characters in the /start query are refused', async () => {
      for (const raw of ['/\t/evil.example/', '/\r\n/evil.example/']) {
        const text = `GET /start?rd=${raw} HTTP/1.1\r\nHost: ${LOOPBACK}\r\nConnection: close\r\n\r\n`;
        const res = await rawRequest(stack.stepgate.port, text);
        assert.equal(res.status, 400, JSON.stringify(res.raw.slice(0, 300)));
        assert.equal(res.headers.location, undefined);
      }
    });

    test('a route whose groups the user lacks: 403 from /auth through nginx, 403 page from /start', async () => {
      const viaNginx = await c.page.goto(`${stack.appUrl}/admin/panel`);
      assert.equal(viaNginx.status(), 403);
      assert.doesNotMatch(await c.page.locator('body').innerText(), /"upstream"/);
      const start = await c.page.goto(`${stack.sgUrl}/start?rd=${encodeURIComponent(`${stack.appUrl}/admin/panel`)}`);
      assert.equal(start.status(), 403, await start.text());
    });

    test('/logout with an rd off the allowed hosts: signed out, never sent there', async () => {
      const d = await stack.signedIn('bob');
      try {
        await d.page.goto(`${stack.sgUrl}/logout?rd=${encodeURIComponent('https://evil.example/')}`).catch(() => {});
        await d.page.waitForLoadState('load');
        assert.deepEqual(d.offsite, []);
        assert.deepEqual(await stack.sessionCookies(d.context), []);
        assert.equal((await stack.whoami(d.page)).status, 401);
      } finally {
        await d.context.close();
      }
    });
  });

  describe('the browser session on /forward-auth and /ext-authz/', () => {
    let c;
    let cookie;
    before(async () => {
      c = await stack.signedIn('alice');
      cookie = await stack.cookieHeader(c.context);
    });
    after(async () => {
      await c?.context.close();
    });
    const host = () => `${LOOPBACK}:${stack.nginxPort}`;

    test('/forward-auth: the session allows a basic route, with the identity headers', async () => {
      const res = await stack.stepgate.forwardAuth({ host: host(), uri: '/app/x', headers: { Cookie: cookie } });
      assert.equal(res.status, 200, showResponse(res));
      assert.equal(res.headers['x-auth-request-user'], 'alice');
      assert.equal(res.headers['x-auth-request-level'], 'basic');
    });

    test('/forward-auth: a step-up is a 302 to /start with rd, or a JSON 401 naming it', async () => {
      const res = await stack.stepgate.forwardAuth({ host: host(), uri: '/api/vault/x?y=1', headers: { Cookie: cookie } });
      assert.equal(res.status, 302, showResponse(res));
      const loc = new URL(res.headers.location);
      assert.equal(`${loc.origin}${loc.pathname}`, `${stack.sgUrl}/start`, res.headers.location);
      assert.equal(loc.searchParams.get('rd'), `http://${host()}/api/vault/x?y=1`);
      const json = await stack.stepgate.forwardAuth({
        host: host(), uri: '/api/vault/x', headers: { Cookie: cookie, Accept: 'application/json' },
      });
      assert.equal(json.status, 401, showResponse(json));
      assert.ok(json.json().start_url.startsWith(`${stack.sgUrl}/start?`), json.body);
    });

    test('/ext-authz/: the session allows; no session is a 302 to /start', async () => {
      const ok = await stack.stepgate.extAuthz({ path: '/app/x', host: host(), headers: { Cookie: cookie } });
      assert.equal(ok.status, 200, showResponse(ok));
      assert.equal(ok.headers['x-auth-request-user'], 'alice');
      const anon = await stack.stepgate.extAuthz({ path: '/app/x', host: host() });
      assert.equal(anon.status, 302, showResponse(anon));
      assert.ok(anon.headers.location.startsWith(`${stack.sgUrl}/start?`), anon.headers.location);
      const pinned = await stack.stepgate.extAuthz({ path: '/app/x', host: host(), pins: 'level=mfa', headers: { Cookie: cookie } });
      assert.equal(pinned.status, 302, showResponse(pinned));
      assert.equal(new URL(pinned.headers.location).searchParams.get('level'), 'mfa', 'the pins go with it');
    });
  });

  describe('provider interop', () => {
    test('the ID token came through client_secret_basic', () => {
      assert.ok(stack.idp.tokenRequests.length > 0);
      assert.ok(stack.idp.tokenRequests.every((r) => r.hasBasicAuth), JSON.stringify(stack.idp.tokenRequests));
    });

    test('client_secret_post, and a provider without end_session_endpoint: sign in, sign out locally', async () => {
      const sgPort = await freePort();
      const sgUrl = `http://${LOOPBACK}:${sgPort}`;
      const idp = await new OidcIdp({
        redirectUris: [`${sgUrl}/callback`], tokenEndpointAuthMethod: 'client_secret_post', endSession: false,
      }).start();
      const sg = new Stepgate({
        dir: await makeTempDir('stepgate-browser-post-'),
        issuer: idp.issuer,
        overrides: {
          provider: { leeway: '1s', token_endpoint_auth: 'client_secret_post' },
          redirect: { allowed_domains: [LOOPBACK], default: undefined },
        },
      });
      sg.port = sgPort;
      const c = await stack.newContext();
      try {
        await sg.start();
        await c.page.goto(`${sgUrl}/start?rd=${encodeURIComponent('/whoami')}`);
        await stack.signIn(c.page, 'bob');
        await c.page.waitForURL(`${sgUrl}/whoami`);
        const who = JSON.parse(await c.page.locator('body').innerText());
        assert.equal(who.sub, 'bob');
        assert.equal(idp.tokenRequests.length, 1);
        assert.equal(idp.tokenRequests[0].hasBasicAuth, false, 'credentials in the body, not in Authorization');
        assert.equal(idp.idTokens.length, 1);

        // No end_session_endpoint: /logout ends the session here and goes to rd, or shows a page.
        const out = await c.page.goto(`${sgUrl}/logout?rd=${encodeURIComponent('/whoami')}`);
        assert.equal(c.page.url(), `${sgUrl}/whoami`);
        assert.equal(out.status(), 401, 'signed out');
        assert.equal(c.log.filter((e) => e.url.startsWith(`${idp.issuer}/session`)).length, 0);
        const page = await c.page.goto(`${sgUrl}/logout`);
        assert.equal(page.status(), 200);
        assert.match(await c.page.locator('body').innerText(), /signed out/i);
      } finally {
        await c.context.close();
        await sg.stop();
        await idp.stop();
      }
    });

    test('Stepgate\'s requests to the provider carry the port in Host (RFC 9112 §3.2)', () => {
      // oidc-provider (and any IdP that derives its URLs from Host) names its
      // endpoints after the Host it receives: without the port they point at :80.
      const fromStepgate = stack.idp.requests.filter((r) => r.userAgent === 'stepgate');
      assert.ok(fromStepgate.length > 0);
      const hosts = [...new Set(fromStepgate.map((r) => r.host))];
      assert.deepEqual(hosts, [`${LOOPBACK}:${stack.idp.port}`],
          `Host headers Stepgate sent: ${JSON.stringify(hosts)} (for ${fromStepgate.map((r) => r.url).join(', ')})`);
    });
  });
});
