// A browser-less HTTP client for the sign-in flow: a cookie jar (RFC 6265:
// host-only by host name whatever the port, Path, Max-Age/Expires removal) and
// redirects followed by hand, one hop at a time, so that every Location can be
// looked at before it is followed.

import { request } from '../../integration/lib/procs.mjs';

function defaultPath(pathname) {
  const i = pathname.lastIndexOf('/');
  return i <= 0 ? '/' : pathname.slice(0, i);
}

function pathMatches(reqPath, cookiePath) {
  if (reqPath === cookiePath) return true;
  if (!reqPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || reqPath[cookiePath.length] === '/';
}

export class CookieJar {
  constructor() {
    this.cookies = []; // {host, name, value, path}
  }

  store(url, setCookies = []) {
    const u = new URL(url);
    for (const line of Array.isArray(setCookies) ? setCookies : [setCookies]) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = defaultPath(u.pathname);
      let remove = false;
      for (const a of attrs) {
        const [k, ...v] = a.split('=');
        const key = k.trim().toLowerCase();
        const val = v.join('=').trim();
        if (key === 'path' && val.startsWith('/')) path = val;
        if (key === 'max-age' && Number(val) <= 0) remove = true;
        if (key === 'expires' && Date.parse(val) < Date.now()) remove = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.host === u.hostname && c.name === name && c.path === path));
      if (!remove) this.cookies.push({ host: u.hostname, name, value, path });
    }
  }

  /** Cookie header value for `url` (longest paths first), or undefined. */
  header(url) {
    const u = new URL(url);
    const list = this.cookies.filter((c) => c.host === u.hostname && pathMatches(u.pathname, c.path))
        .sort((a, b) => b.path.length - a.path.length);
    return list.length ? list.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  get(name, { host, path } = {}) {
    return this.cookies.find((c) => c.name === name && (!host || c.host === host) && (!path || c.path === path));
  }

  matching(re) {
    return this.cookies.filter((c) => re.test(c.name));
  }

  set(host, name, value, path = '/') {
    this.cookies = this.cookies.filter((c) => !(c.host === host && c.name === name && c.path === path));
    this.cookies.push({ host, name, value, path });
  }

  delete(name) {
    this.cookies = this.cookies.filter((c) => c.name !== name);
  }
}

export class Client {
  constructor() {
    this.jar = new CookieJar();
    this.log = []; // {method, url, status, location}
  }

  /** One request; cookies from the jar, Set-Cookie into the jar. */
  async fetch(url, { method = 'GET', headers = {}, form } = {}) {
    // procs.request() adds no Host of its own when headers are given: a browser always sends one.
    const h = { Host: new URL(url).host, ...headers };
    const cookie = this.jar.header(url);
    if (cookie && !Object.keys(h).some((k) => k.toLowerCase() === 'cookie')) h.Cookie = cookie;
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      h['Content-Type'] = 'application/x-www-form-urlencoded';
      h['Content-Length'] = String(Buffer.byteLength(body));
    }
    const res = await request(url, { method, headers: h, body, timeoutMs: 10000 });
    this.jar.store(url, res.headers['set-cookie'] ?? []);
    this.log.push({ method, url, status: res.status, location: res.headers.location });
    res.url = url;
    return res;
  }

  /**
   * Follows redirects from `url` by hand until `stop(url)` is true for the next
   * Location (that URL is returned unrequested), or a non-redirect answer.
   * Returns {res, next}: the last response, and the URL where it stopped (if any).
   */
  async follow(url, { stop = () => false, max = 15, method = 'GET', form } = {}) {
    let res = await this.fetch(url, { method, form });
    for (let i = 0; i < max; i++) {
      if (res.status < 300 || res.status >= 400 || !res.headers.location) return { res };
      const next = new URL(res.headers.location, res.url).href;
      if (stop(next)) return { res, next };
      res = await this.fetch(next);
    }
    throw new Error(`more than ${max} redirects from ${url}: ${JSON.stringify(this.log.slice(-max))}`);
  }
}

/**
 * Signs in at lib/oidc-idp.mjs's pages from a Stepgate /start URL, by hand:
 * /start → provider → password (→ code when asked) → the callback URL, which is
 * returned unrequested (the test decides what to do with it).
 */
export async function throughProvider(client, startUrl, { sgUrl, user = 'alice', password, code = '123456' } = {}) {
  const isCallback = (u) => u.startsWith(`${sgUrl}/callback`);
  let { res, next } = await client.follow(startUrl, { stop: isCallback });
  for (let step = 0; !next && step < 4; step++) {
    if (res.status !== 200) throw new Error(`sign-in: unexpected ${res.status} at ${res.url}: ${JSON.stringify(res.headers)} ${res.body.slice(0, 300)}`);
    const action = /<form method="post" action="([^"]+)" id="(login-form|otp-form)"/.exec(res.body);
    if (!action) throw new Error(`sign-in: no form at ${res.url}: ${res.body.slice(0, 300)}`);
    const target = new URL(action[1].replace(/&amp;/g, '&'), res.url).href;
    const form = action[2] === 'login-form'
      ? { username: user, password: password ?? `${user}-password` }
      : { otp: code };
    ({ res, next } = await client.follow(target, { method: 'POST', form, stop: isCallback }));
  }
  if (!next) throw new Error(`sign-in did not reach the callback: ${JSON.stringify(client.log.slice(-8))}`);
  return next;
}

/** Which provider page a response is: 'login' | 'mfa' | null. */
export function providerPage(res) {
  if (/id="login-form"/.test(res.body)) return 'login';
  if (/id="otp-form"/.test(res.body)) return 'mfa';
  return null;
}
