// One whole test stack: token issuer (discovery + JWKS), Stepgate, the echo
// upstream and nginx rendered like ingress-nginx with several Ingresses.
// Each test file builds its own in `before` and tears it down in `after`.

import { EchoServer } from './echo.mjs';
import { ACR_BASIC, ACR_MFA, TokenIssuer } from './issuer.mjs';
import { Nginx } from './nginx.mjs';
import { LOOPBACK, cleanupTempDirs, killAll, makeTempDir, request } from './procs.mjs';
import { Stepgate } from './stepgate.mjs';

// The Ingress hosts nginx serves (Host header → which auth-url annotation applies).
export const HOSTS = {
  api: 'api.example.com',                 // auth-url without pins
  adminHost: 'app.admin.example.com',     // no pins; the `admin-host` rule matches the host
  pinnedMfa: 'pinned.example.com',        // auth-url ?level=mfa&max_age=300
  pinnedAdmin: 'admin-pinned.example.com',// auth-url ?policy=admin
  badLevel: 'badlevel.example.com',       // auth-url ?level=platinum (no such level)
  badPolicy: 'badpolicy.example.com',     // auth-url ?policy=nope (no such rule)
  badKey: 'badkey.example.com',           // auth-url ?colour=blue (no such pin key)
};

export const ACR = { basic: ACR_BASIC, mfa: ACR_MFA };
// RFC 9470 acr_values Stepgate must send: the required level's values, then stronger levels'.
export const ACR_VALUES = {
  basic: 'urn:stepgate:loa:pwd 1 urn:stepgate:loa:mfa 2',
  mfa: 'urn:stepgate:loa:mfa 2',
};

export class Stack {
  constructor({ withNginx = true, hostGuard = false, stepgateOverrides, issuerAlgs = ['RS256', 'ES256', 'PS256', 'EdDSA'] } = {}) {
    this.withNginx = withNginx;
    this.hostGuard = hostGuard; // nginx renders the host guard (HOST_GUARD_* in nginx.mjs)
    this.stepgateOverrides = stepgateOverrides;
    this.issuerAlgs = issuerAlgs;
  }

  async start() {
    this.issuer = await new TokenIssuer({ algs: this.issuerAlgs }).start();
    const overrides = { ...(this.stepgateOverrides ?? {}) };
    this.stepgate = new Stepgate({ dir: await makeTempDir('stepgate-sg-'), issuer: this.issuer.issuer, overrides });
    await this.stepgate.start();
    if (this.withNginx) {
      this.echo = await new EchoServer().start();
      const auth = `http://${LOOPBACK}:${this.stepgate.port}/auth`;
      const ing = (host, query = '') => ({ host, authUrl: auth + query, upstream: this.echo.url });
      this.nginx = new Nginx({
        dir: await makeTempDir('stepgate-nginx-'),
        hostGuard: this.hostGuard,
        ingresses: [
          ing(HOSTS.api),
          ing(HOSTS.adminHost),
          ing(HOSTS.pinnedMfa, '?level=mfa&max_age=300'),
          ing(HOSTS.pinnedAdmin, '?policy=admin'),
          ing(HOSTS.badLevel, '?level=platinum'),
          ing(HOSTS.badPolicy, '?policy=nope'),
          ing(HOSTS.badKey, '?colour=blue'),
        ],
      });
      await this.nginx.start();
    }
    return this;
  }

  async stop() {
    // Each piece is stopped even if another one fails to stop.
    const errors = [];
    for (const piece of [this.nginx, this.echo, this.stepgate, this.issuer]) {
      try {
        await piece?.stop();
      } catch (e) {
        errors.push(e);
      }
    }
    await killAll();
    await cleanupTempDirs();
    if (errors.length) throw errors[0];
  }

  /** A request through nginx to `host` + `path`, optionally with a bearer token. */
  viaNginx(host, path, { method = 'GET', token, headers = {} } = {}) {
    const h = { Host: host, ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    return request(`${this.nginx.url}${path}`, { method, headers: h });
  }

  /** Logs of Stepgate and nginx, for failure messages. */
  async logs() {
    let out = this.stepgate?.logs() ?? '';
    if (this.nginx) out += `\n--- nginx error.log ---\n${await this.nginx.errorLog(2000)}`;
    return out;
  }

  // ---- tokens of the demo users -----------------------------------------

  /** Password-only user: level basic. */
  basicToken(o = {}) {
    return this.issuer.mint({
      sub: 'alice', email: 'alice@example.com', preferred_username: 'alice',
      groups: ['dev', 'ops'], acr: ACR_BASIC, amr: ['pwd'], ...o,
    });
  }

  /** MFA user: level mfa (acr and amr both say so). */
  mfaToken(o = {}) {
    return this.issuer.mint({
      sub: 'bob', email: 'bob@example.com', preferred_username: 'bob',
      groups: ['dev'], acr: ACR_MFA, amr: ['pwd', 'otp'], ...o,
    });
  }
}
