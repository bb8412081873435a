import { OidcIdp } from '../integration/lib/oidc-idp.mjs';
import { Stepgate } from '../integration/lib/stepgate.mjs';
import { LOOPBACK, freePort, killAll, makeTempDir, cleanupTempDirs } from '../integration/lib/procs.mjs';
import { Client, throughProvider } from './lib/client.mjs';
const t0 = Date.now();
const sgPort = await freePort();
const sgUrl = `http://${LOOPBACK}:${sgPort}`;
const idp = await new OidcIdp({ redirectUris: [`${sgUrl}/callback`] }).start();
const sg = new Stepgate({ dir: await makeTempDir(), issuer: idp.issuer, overrides: { provider: { leeway: '1s' }, redirect: { allowed_domains: [LOOPBACK], default: undefined } } });
sg.port = sgPort;
await sg.start();
console.log('started', Date.now() - t0);
try {
  const c = new Client();
  const cb = await throughProvider(c, `${sgUrl}/start?rd=%2Fwhoami`, { sgUrl });
  console.log('cb', cb);
  const r = await c.fetch(cb);
  console.log(r.status, r.headers);
  console.log((await c.fetch(`${sgUrl}/whoami`)).body);
  const cb2 = await throughProvider(c, `${sgUrl}/start?rd=%2Fwhoami&level=mfa`, { sgUrl });
  const r2 = await c.fetch(cb2);
  console.log(r2.status, r2.headers['set-cookie']);
  console.log((await c.fetch(`${sgUrl}/whoami`)).body);
  console.log(c.log);
  console.log('done', Date.now() - t0);
} finally { await sg.stop(); await idp.stop(); await killAll(); await cleanupTempDirs(); }
