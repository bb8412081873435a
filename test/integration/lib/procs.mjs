// Process and port helpers for the integration tests.
//
// Every process a test starts goes through spawnLogged(), which records it in a
// registry; killAll() (called from an `after` hook) stops each one by its pid:
// SIGTERM, then SIGKILL after a bound. Only processes started here are touched.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const LOOPBACK = '127.0.0.1';

/** Creates a fresh temporary directory (removed by cleanupTempDirs unless KEEP_TEST_TMP is set). */
const tempDirs = new Set();
export async function makeTempDir(prefix = 'stepgate-it-') {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  if (process.env.KEEP_TEST_TMP) process.stderr.write(`# keeping ${dir}\n`);
  return dir;
}

export async function cleanupTempDirs() {
  if (process.env.KEEP_TEST_TMP) return;
  for (const dir of tempDirs) {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => {});
  }
  tempDirs.clear();
}

/** Asks the kernel for a free port on 127.0.0.1 (bind port 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const registry = new Map(); // pid -> ManagedProcess

class ManagedProcess {
  constructor(name, child, logDir) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.stdoutPath = path.join(logDir, `${name}.stdout.log`);
    this.stderrPath = path.join(logDir, `${name}.stderr.log`);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve({ code, signal });
      });
    });
  }

  get running() {
    return this.exitCode === undefined && this.exitSignal === undefined;
  }

  /** Last bytes of the logs, for assertion and error messages. */
  logs(maxBytes = 4000) {
    const tail = (p) => {
      try {
        const data = fs.readFileSync(p, 'utf8');
        return data.length > maxBytes ? '…' + data.slice(-maxBytes) : data;
      } catch {
        return '';
      }
    };
    return `--- ${this.name} (pid ${this.pid}) stdout ---\n${tail(this.stdoutPath)}\n` +
        `--- ${this.name} stderr ---\n${tail(this.stderrPath)}`;
  }

  async stop(graceMs = 3000) {
    await killPid(this.pid, this.exited, graceMs);
    registry.delete(this.pid);
  }
}

/**
 * Spawns `cmd args` with stdout/stderr written to files in logDir.
 * Returns a ManagedProcess registered for killAll().
 */
export function spawnLogged(name, cmd, args, { logDir, env, cwd } = {}) {
  if (!logDir) throw new Error('spawnLogged: logDir is required');
  const out = fs.openSync(path.join(logDir, `${name}.stdout.log`), 'a');
  const err = fs.openSync(path.join(logDir, `${name}.stderr.log`), 'a');
  let child;
  try {
    child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', out, err],
      detached: false,
    });
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
  if (child.pid === undefined) {
    // spawn failure (ENOENT etc.) is reported asynchronously through 'error'.
    return new Promise((_, reject) => {
      child.once('error', (e) => reject(new Error(`cannot start ${name} (${cmd}): ${e.message}`)));
    });
  }
  child.on('error', () => {}); // reported through exit / readiness instead
  const mp = new ManagedProcess(name, child, logDir);
  registry.set(mp.pid, mp);
  return mp;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the pid, wait up to graceMs for it to exit, then SIGKILL it. */
export async function killPid(pid, exitedPromise, graceMs = 3000) {
  if (!pid || !pidAlive(pid)) return;
  const exited = exitedPromise ?? (async () => {
    while (pidAlive(pid)) await sleep(25);
  })();
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done && pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    await Promise.race([exited, sleep(2000)]);
  }
}

/** Stops every process still registered, each by its own pid. */
export async function killAll() {
  const procs = [...registry.values()];
  await Promise.all(procs.map((p) => p.stop()));
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Plain HTTP request helper that never throws on status and does not normalise
 * anything: header names/values are sent as given (arrays send a header twice).
 * Returns {status, headers, rawHeaders, body, json()}.
 */
export function request(url, { method = 'GET', headers = {}, body, timeoutMs = 5000, setHost } = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const flat = [];
    let hasHost = false;
    for (const [k, v] of Object.entries(headers)) {
      if (k.toLowerCase() === 'host') hasHost = true;
      for (const one of Array.isArray(v) ? v : [v]) flat.push(k, String(one));
    }
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method,
      path: u.pathname + u.search,
      headers: flat,
      setHost: setHost ?? !hasHost,
      agent: false,
      insecureHTTPParser: true,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: text,
          json() {
            return JSON.parse(text);
          },
        });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${url}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Sends raw bytes on a TCP connection and returns the raw response text
 * (for requests Node's http client refuses to build, e.g. duplicated Host).
 */
export function rawRequest(port, text, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, LOOPBACK);
    const chunks = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`raw request timeout after ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (e) => {
      clearTimeout(timer);
      // A server may reset after answering: keep what we got.
      if (chunks.length) resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
      else reject(e);
    });
    sock.on('end', () => {
      clearTimeout(timer);
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
    });
    sock.write(text);
  });
}

function parseRaw(text) {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  const headEnd = text.indexOf('\r\n\r\n');
  const headers = {};
  for (const line of text.slice(0, headEnd < 0 ? text.length : headEnd).split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) {
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    }
  }
  return { status: m ? Number(m[1]) : 0, headers, raw: text };
}

/**
 * Polls url until it answers `expectStatus` (default 200). Fails after timeoutMs,
 * or early when `proc` exits, with the process logs in the message.
 */
export async function waitForHttp(url, { expectStatus = 200, timeoutMs = 15000, proc, headers } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (proc && !proc.running) {
      throw new Error(`${proc.name} exited (code ${proc.exitCode}, signal ${proc.exitSignal}) ` +
          `before ${url} answered ${expectStatus}\n${proc.logs()}`);
    }
    try {
      const res = await request(url, { timeoutMs: 1000, headers });
      if (res.status === expectStatus) return res;
      last = `status ${res.status}: ${res.body.slice(0, 200)}`;
    } catch (e) {
      last = e.message;
    }
    await sleep(100);
  }
  throw new Error(`timeout after ${timeoutMs} ms waiting for ${url} to answer ${expectStatus} ` +
      `(last: ${last})${proc ? '\n' + proc.logs() : ''}`);
}

/** Short description of a response for assertion messages. */
export function showResponse(res) {
  if (!res) return '<no response>';
  const hdrs = Object.entries(res.headers)
      .map(([k, v]) => `  ${k}: ${Array.isArray(v) ? v.join(' | ') : v}`)
      .join('\n');
  const body = (res.body ?? res.raw ?? '').slice(0, 500);
  return `status ${res.status}\n${hdrs}\n  body: ${body}`;
}
