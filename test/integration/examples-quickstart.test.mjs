// deploy/quickstart/nginx.conf in a real nginx, as scripts/quickstart.sh starts it (PREFIX
// replaced; here the fixed ports too), in front of a real Stepgate whose public_url is the
// nginx address + /stepgate, as in deploy/quickstart/stepgate.yaml. Checks that the public
// side publishes Stepgate's four browser pages and nothing else of Stepgate's, and that the
// flows the quickstart's README walks through still get where they should.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ACR_VALUES, Stack } from './lib/env.mjs';
import { INTERNAL_ENDPOINTS } from './lib/manifests.mjs';
import { NGINX_BIN } from './lib/nginx.mjs';
import {
  LOOPBACK, freePort, makeTempDir, rawRequest, request, showResponse, spawnLogged, waitForHttp,
} from './lib/procs.mjs';
import { REPO_ROOT } from './lib/stepgate.mjs';

const CONF = path.join(REPO_ROOT, 'deploy/quickstart/nginx.conf');
const PUBLIC_PATH = '/stepgate';

describe('deploy/quickstart/nginx.conf through a real nginx', () => {
  let stack;
  let nginx;
  let base; // http://127.0.0.1:<nginx port>
  let host; // its Host header (headers given as a list: Node's client adds none)

  before(async () => {
    const [port, appPort] = [await freePort(), await freePort()];
    base = `http://${LOOPBACK}:${port}`;
    host = `${LOOPBACK}:${port}`;
    stack = new Stack({ withNginx: false, stepgateOverrides: {
      public_url: `${base}${PUBLIC_PATH}`,
      redirect: { allowed_domains: [LOOPBACK], default: undefined },
    } });
    await stack.start();
    const dir = await makeTempDir('stepgate-quickstart-nginx-');
    // What scripts/quickstart.sh does (PREFIX), plus free ports for the fixed ones. The pid
    // file comes from the conf itself; as root, workers keep root's access to the temp dir.
    let conf = (await fs.readFile(CONF, 'utf8'))
        .replaceAll('PREFIX', dir)
        .replaceAll('127.0.0.1:8080', `${LOOPBACK}:${port}`)
        .replaceAll('127.0.0.1:8081', `${LOOPBACK}:${appPort}`)
        .replaceAll('127.0.0.1:4180', `${LOOPBACK}:${stack.stepgate.port}`);
    assert.doesNotMatch(conf, /:(8080|8081|4180)\b/, 'every fixed port replaced');
    if (process.getuid?.() === 0) conf = `user root;\n${conf}`;
    await fs.writeFile(path.join(dir, 'nginx.conf'), conf);
    nginx = await spawnLogged('nginx-quickstart', NGINX_BIN, ['-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'),
      '-g', 'daemon off;'], { logDir: dir });
    // Ready once nginx asks Stepgate: the API "Ingress" answers an anonymous call with 401.
    await waitForHttp(`${base}/api/orders`, { expectStatus: 401, timeoutMs: 10000, proc: nginx,
      headers: { Host: host } });
  });

  after(async () => {
    await nginx?.stop();
    await stack?.stop(); // also killAll() + temp dirs
  });

  const get = (p, headers = {}) => request(`${base}${p}`, { headers: { Host: host, ...headers } });

  /** nginx's own 404, not an answer of Stepgate's. */
  function assertNotPublished(res, what) {
    assert.equal(res.status, 404, `${what}\n${showResponse(res)}`);
    assert.match(res.body, /<center>nginx[/\d.]*<\/center>/, `${what}: the 404 must be nginx's\n${showResponse(res)}`);
  }

  /** Stepgate's /start answer: 302 to the provider, coming back to public_url/callback. */
  function assertStartsLogin(res, what = '') {
    assert.equal(res.status, 302, `${what}\n${showResponse(res)}`);
    const idp = new URL(res.headers.location);
    assert.equal(`${idp.origin}${idp.pathname}`, `${stack.issuer.issuer}/authorize`, `${what}\n${showResponse(res)}`);
    assert.equal(idp.searchParams.get('redirect_uri'), `${base}${PUBLIC_PATH}/callback`);
    return idp;
  }

  test('/auth, /forward-auth, /ext-authz/, /metrics and the probes under /stepgate: 404 from nginx', async () => {
    const spoof = { 'X-Original-URL': `${base}/admin/`, 'X-Original-Method': 'GET',
      Authorization: `Bearer ${await stack.mfaToken()}` };
    for (const p of INTERNAL_ENDPOINTS) assertNotPublished(await get(`${PUBLIC_PATH}${p}`, spoof), p);
    for (const p of [`${PUBLIC_PATH}/`, `${PUBLIC_PATH}/start/`, `${PUBLIC_PATH}/start/x`]) {
      assertNotPublished(await get(p), p);
    }
  });

  test("the same paths without the prefix are the demo app's, behind the check, never Stepgate's", async () => {
    const token = await stack.mfaToken();
    for (const p of ['/auth', '/metrics', '/healthz']) {
      const res = await get(p, { Authorization: `Bearer ${token}` });
      assert.equal(res.status, 200, `${p}\n${showResponse(res)}`);
      assert.match(res.body, new RegExp(`^demo app: GET ${p}\\n`), showResponse(res));
    }
  });

  test('the four pages reach Stepgate', async () => {
    const rd = encodeURIComponent(`${base}/home`);
    assertStartsLogin(await get(`${PUBLIC_PATH}/start?rd=${rd}`, { Accept: 'text/html' }), '/start');
    const whoami = await get(`${PUBLIC_PATH}/whoami`);
    assert.equal(whoami.status, 401, showResponse(whoami));
    assert.match(whoami.headers['content-type'] ?? '', /application\/json/, showResponse(whoami));
    const logout = await get(`${PUBLIC_PATH}/logout?rd=${rd}`);
    assert.equal(logout.status, 302, showResponse(logout));
    const callback = await get(`${PUBLIC_PATH}/callback?state=x&code=y`, { Accept: 'text/html' });
    assert.equal(callback.status, 400, `Stepgate refuses a made-up state\n${showResponse(callback)}`);
    assert.doesNotMatch(callback.body, /<center>nginx/, showResponse(callback));
  });

  test('a path that only normalizes to a page reaches that page, not a decision endpoint', async () => {
    // nginx matches the normalized path; the conf passes $uri on, not the client's request line.
    const rd = encodeURIComponent(`${base}/home`);
    const raw = await rawRequest(Number(new URL(base).port),
        `GET ${PUBLIC_PATH}/ext-authz/../..${PUBLIC_PATH}/start?rd=${rd} HTTP/1.1\r\n` +
        `Host: ${host}\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
    assert.equal(raw.status, 302, raw.raw);
    assert.equal(new URL(raw.headers.location).origin, new URL(stack.issuer.issuer).origin, raw.raw);
  });

  test("the README's browser flow: a page sends the browser to /stepgate/start, which starts the login", async () => {
    const res = await get('/settings/security/', { Accept: 'text/html' });
    assert.equal(res.status, 302, showResponse(res));
    const start = new URL(res.headers.location);
    assert.equal(`${start.origin}${start.pathname}`, `${base}${PUBLIC_PATH}/start`);
    assert.equal(start.searchParams.get('rd'), `${base}/settings/security/`);
    assertStartsLogin(await get(`${start.pathname}${start.search}`, { Accept: 'text/html' }), 'the signin URL');
  });

  test("the README's curl lines: /api/ answers 401 with the RFC 9470 challenge, never a redirect", async () => {
    const anonymous = await get('/api/orders');
    assert.equal(anonymous.status, 401, showResponse(anonymous));
    assert.equal(anonymous.headers.location, undefined);
    const res = await request(`${base}/api/payments/charge`, { method: 'POST',
      headers: { Host: host, Authorization: `Bearer ${await stack.basicToken()}` } });
    assert.equal(res.status, 401, showResponse(res));
    assert.match(res.headers['www-authenticate'] ?? '', /insufficient_user_authentication/, showResponse(res));
    assert.match(res.headers['www-authenticate'], new RegExp(`acr_values="${ACR_VALUES.mfa}"`), showResponse(res));
  });
});
