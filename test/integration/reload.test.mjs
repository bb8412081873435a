// Live reload: a ConfigMap-style volume (files behind a `..data` symlink that kubelet swaps
// atomically) is watched; a new config is checked in full before it replaces the old one, an
// invalid one is refused and counted while the old one keeps serving, and a steady load sees
// no failed request across the swaps.

import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { TokenIssuer } from './lib/issuer.mjs';
import { LOOPBACK, freePort, killAll, makeTempDir, request, sleep, spawnLogged, waitForHttp } from './lib/procs.mjs';
import { STEPGATE_BIN, Stepgate, baseConfig, toYaml } from './lib/stepgate.mjs';

const PROBE_RULE = { name: 'probe', paths: ['/probe/**'], require: { level: 'none' } };

describe('live configuration reload', () => {
  let issuer;
  let sg;
  let dir;
  let generation = 0;

  // kubelet's update: write a new timestamped directory, point `..data` at it atomically.
  async function publish(text) {
    generation += 1;
    const version = path.join(dir, 'cm', `..v${generation}`);
    await fsp.mkdir(version, { recursive: true });
    await fsp.writeFile(path.join(version, 'stepgate.yaml'), text);
    const tmpLink = path.join(dir, 'cm', '..data_tmp');
    await fsp.rm(tmpLink, { force: true });
    await fsp.symlink(`..v${generation}`, tmpLink);
    await fsp.rename(tmpLink, path.join(dir, 'cm', '..data'));
  }

  function configText(withProbe) {
    const cfg = baseConfig({ issuer: issuer.issuer, port: sg.port });
    if (withProbe) cfg.rules = [PROBE_RULE, ...cfg.rules];
    return toYaml(cfg) + '\n';
  }

  const probe = async () => (await sg.auth({ url: 'https://app.example.com/probe/x' })).status;

  async function waitForProbe(expected, timeoutMs = 6000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await probe();
      if (last === expected) return last;
      await sleep(100);
    }
    return last;
  }

  before(async () => {
    issuer = new TokenIssuer();
    await issuer.start();
    dir = await makeTempDir('stepgate-reload-');
    sg = new Stepgate({ dir, issuer: issuer.issuer });
    sg.port = await freePort();
    // The config lives behind a ConfigMap-style symlink: cm/stepgate.yaml -> ..data/stepgate.yaml.
    await fsp.mkdir(path.join(dir, 'cm'), { recursive: true });
    await publish(configText(false));
    const configPath = path.join(dir, 'cm', 'stepgate.yaml');
    await fsp.symlink('..data/stepgate.yaml', configPath);
    sg.proc = await spawnLogged('stepgate', STEPGATE_BIN,
        ['serve', '--config', configPath, '--listen', `${LOOPBACK}:${sg.port}`],
        { logDir: dir, env: { STEPGATE_IT_CLIENT_SECRET: 'it-client-secret' } });
    await waitForHttp(`${sg.url}/readyz`, { expectStatus: 200, timeoutMs: 20000, proc: sg.proc });
  });

  after(async () => {
    await sg?.stop();
    await issuer?.stop();
    await killAll();
  });

  test('symlink swaps are picked up; an invalid config is refused; no request fails meanwhile', async () => {
    assert.equal(await probe(), 401, 'before any reload /probe needs a signed-in user');

    let stop = false;
    const failures = [];
    let served = 0;
    const load = async () => {
      while (!stop) {
        const res = await sg.auth({ url: 'https://app.example.com/public/page' });
        served += 1;
        if (res.status !== 200) failures.push(res.status);
      }
    };
    const workers = Array.from({ length: 4 }, load);
    try {
      await publish(configText(true));
      assert.equal(await waitForProbe(200), 200, 'the new config (probe public) is in force');

      await publish('rules: [\n');  // not even YAML
      await sleep(2500);
      assert.equal(await probe(), 200, 'the invalid config was refused: the old one still serves');

      await publish(configText(false) + 'unknown_key: 1\n');  // valid YAML, refused by the checks
      await sleep(2500);
      assert.equal(await probe(), 200, 'a config that fails its checks is refused too');

      await publish(configText(false));
      assert.equal(await waitForProbe(401), 401, 'the next valid config is in force');
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    assert.ok(served > 100, `the load ran (${served} requests)`);
    assert.deepEqual(failures, [], 'no request failed during the reloads');

    const metrics = (await request(`${sg.url}/metrics`)).body;
    const count = (name) => Number((metrics.match(new RegExp(`^${name} (\\d+)`, 'm')) ?? [])[1]);
    assert.ok(count('stepgate_config_reloads_total') >= 2, metrics);
    assert.ok(count('stepgate_config_reload_failures_total') >= 2, metrics);
    assert.match(sg.logs(), /config_reload_refused/);
  });

  test('SIGHUP reloads too', async () => {
    await publish(configText(true));
    await waitForProbe(200);
    // Write in place (no symlink swap), then ask for the reload explicitly.
    process.kill(sg.proc.pid, 'SIGHUP');
    await sleep(300);
    assert.equal(await probe(), 200);
  });
});
