// Graceful shutdown: on SIGTERM readiness turns false first (for --shutdown-delay), new
// connections stop, a request in flight finishes, and idle keep-alive connections are closed
// at once instead of holding the process for the whole drain bound.

import assert from 'node:assert/strict';
import http from 'node:http';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { TokenIssuer } from './lib/issuer.mjs';
import { LOOPBACK, freePort, killAll, makeTempDir, request, sleep, spawnLogged, waitForHttp } from './lib/procs.mjs';
import { STEPGATE_BIN, baseConfig, toYaml } from './lib/stepgate.mjs';

describe('graceful shutdown', () => {
  let issuer;
  let dir;

  before(async () => {
    issuer = new TokenIssuer();
    await issuer.start();
    dir = await makeTempDir('stepgate-lifecycle-');
  });
  after(async () => {
    await issuer?.stop();
    await killAll();
  });

  async function startStepgate(extraArgs = []) {
    const port = await freePort();
    const configPath = path.join(dir, `stepgate-${port}.yaml`);
    await fsp.writeFile(configPath, toYaml(baseConfig({ issuer: issuer.issuer, port })) + '\n');
    const proc = await spawnLogged(`stepgate-${port}`, STEPGATE_BIN,
        ['serve', '--config', configPath, '--listen', `${LOOPBACK}:${port}`, ...extraArgs],
        { logDir: dir, env: { STEPGATE_IT_CLIENT_SECRET: 'x' } });
    await waitForHttp(`http://${LOOPBACK}:${port}/readyz`, { expectStatus: 200, proc });
    return { proc, port };
  }

  test('idle keep-alive connections do not hold the process: it exits promptly on SIGTERM', async () => {
    const { proc, port } = await startStepgate();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    // Open a few keep-alive connections and leave them idle in the pool.
    await Promise.all(Array.from({ length: 4 }, () => new Promise((resolve, reject) => {
      http.get({ host: LOOPBACK, port, path: '/healthz', agent }, (res) => { res.resume(); res.on('end', resolve); })
          .on('error', reject);
    })));
    const started = Date.now();
    process.kill(proc.pid, 'SIGTERM');
    const { code } = await proc.exited;
    const took = Date.now() - started;
    agent.destroy();
    assert.equal(code, 0, proc.logs());
    assert.ok(took < 2000, `exited ${took} ms after SIGTERM with idle connections open`);
  });

  test('with --shutdown-delay, readiness turns false first while requests are still answered', async () => {
    const { proc, port } = await startStepgate(['--shutdown-delay', '2']);
    process.kill(proc.pid, 'SIGTERM');
    await sleep(300);
    const ready = await request(`http://${LOOPBACK}:${port}/readyz`);
    assert.equal(ready.status, 503, 'not ready once SIGTERM arrived');
    const decision = await request(`http://${LOOPBACK}:${port}/auth`, {
      headers: { 'X-Original-URL': 'https://app.example.com/public/x', 'X-Original-Method': 'GET' },
    });
    assert.equal(decision.status, 200, 'still deciding during the delay');
    const { code } = await proc.exited;
    assert.equal(code, 0);
    await assert.rejects(request(`http://${LOOPBACK}:${port}/healthz`, { timeoutMs: 1000 }), 'no longer accepting');
  });
});
