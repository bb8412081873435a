// Debian's HAProxy (2.6, with Lua) started on a given config file, with
// environment variables filling the config's "${NAME-default}" placeholders.
// The config is checked first (haproxy -c), so that a syntax error fails with
// HAProxy's own message; the process runs in the foreground (-db) and is
// stopped by its pid like every other process of the tests.

import net from 'node:net';

import { LOOPBACK, freePort, sleep, spawnLogged } from './procs.mjs';

export const HAPROXY_BIN = process.env.HAPROXY_BIN || '/usr/sbin/haproxy';

export class HAProxy {
  /**
   * @param {object} o
   * @param {string} o.dir     a fresh temporary directory (logs)
   * @param {string} o.config  path of the haproxy.cfg to run
   * @param {object} [o.env]   environment for the config's ${NAME} placeholders;
   *                           HAPROXY_BIND is set to 127.0.0.1:<port> unless given
   * @param {string} [o.name]  process name in logs
   */
  constructor({ dir, config, env = {}, name = 'haproxy' }) {
    this.dir = dir;
    this.config = config;
    this.env = env;
    this.name = name;
    this.port = null;
    this.proc = null;
  }

  get url() {
    return `http://${LOOPBACK}:${this.port}`;
  }

  async start({ readyTimeoutMs = 10000 } = {}) {
    this.port = this.port ?? await freePort();
    const env = { HAPROXY_BIND: `${LOOPBACK}:${this.port}`, ...this.env };
    const check = await spawnLogged(`${this.name}-check`, HAPROXY_BIN, ['-c', '-f', this.config],
        { logDir: this.dir, env });
    const { code } = await check.exited;
    await check.stop(); // already exited: only leaves the registry
    if (code !== 0) throw new Error(`haproxy -c -f ${this.config} failed (exit ${code})\n${check.logs()}`);

    this.proc = await spawnLogged(this.name, HAPROXY_BIN, ['-f', this.config, '-db'], { logDir: this.dir, env });
    const deadline = Date.now() + readyTimeoutMs;
    while (!(await canConnect(this.port))) {
      if (!this.proc.running) {
        throw new Error(`haproxy exited (code ${this.proc.exitCode}) before listening\n${this.proc.logs()}`);
      }
      if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${this.port}\n${this.proc.logs()}`);
      await sleep(50);
    }
    return this;
  }

  logs() {
    return this.proc ? this.proc.logs() : '';
  }

  async stop() {
    if (this.proc) await this.proc.stop();
    this.proc = null;
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, LOOPBACK);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
