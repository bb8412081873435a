// The benchmark's identity provider, run by bench/run.sh for the whole run.
//
// - A real OpenID provider on 127.0.0.1 (test/integration/lib/oidc-idp.mjs: discovery,
//   JWKS, a password login) for Stepgate: its keys sign every bearer token below, and its
//   login gives the session cookie (bench/lib/login.mjs).
// - The same JWKS over https (self-signed certificate made by run.sh) for mod_auth_openidc,
//   whose OIDCOAuthVerifyJwksUri must be https.
// - Mints the tokens of the run with npm `jose`, valid for --ttl seconds (the run's
//   duration): one RS256 and one ES256 token at the basic level, a tampered one (bad
//   signature), and --flood distinct RS256 tokens, one per line, for the cache-miss flood.
//
// Writes DIR/provider.json when everything is ready, then serves until SIGTERM.
//
//   node bench/lib/provider.mjs --dir DIR --stepgate-url URL --cert F --key F
//        [--flood N] [--ttl SECONDS]

import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

import { exportJWK } from 'jose';

import { ACR_BASIC } from '../../test/integration/lib/issuer.mjs';
import { OidcIdp } from '../../test/integration/lib/oidc-idp.mjs';
import { tamperSignature } from '../../test/integration/lib/issuer.mjs';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    'stepgate-url': { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    flood: { type: 'string', default: '2000' },
    ttl: { type: 'string', default: '3600' },
  },
});
for (const required of ['dir', 'stepgate-url', 'cert', 'key']) {
  if (!args[required]) {
    process.stderr.write(`provider.mjs: --${required} is required\n`);
    process.exit(2);
  }
}
const dir = args.dir;
const floodCount = Number(args.flood);
const ttl = Number(args.ttl);

const idp = new OidcIdp({ redirectUris: [`${args['stepgate-url']}/callback`] });
await idp.start();

// The JWKS over https for mod_auth_openidc.
const jwksServer = https.createServer(
    { cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) },
    (req, res) => {
      if (req.url !== '/jwks') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.stringify(idp.jwks());
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
await new Promise((resolve, reject) => {
  jwksServer.once('error', reject);
  jwksServer.listen(0, '127.0.0.1', resolve);
});

// Claims of every valid token: a signed-in user at the basic level.
const now = Math.floor(Date.now() / 1000);
const claims = {
  exp: now + ttl,
  iat: now,
  auth_time: now - 10,
  acr: ACR_BASIC,
  amr: ['pwd'],
  email: 'alice@example.com',
  preferred_username: 'alice',
  groups: ['staff'],
};
const rs256 = await idp.mint({ alg: 'RS256', ...claims });
const es256 = await idp.mint({ alg: 'ES256', ...claims });
fs.writeFileSync(path.join(dir, 'rs256.jwt'), rs256);
fs.writeFileSync(path.join(dir, 'es256.jwt'), es256);
fs.writeFileSync(path.join(dir, 'invalid.jwt'), tamperSignature(rs256));

// The flood: distinct RS256 tokens (distinct jti), minted on every core in worker threads.
async function mintFlood(count) {
  const key = idp.keyForAlg('RS256');
  const privateJwk = await exportJWK(key.privateKey);
  const header = { alg: 'RS256', kid: key.kid, typ: 'JWT' };
  const base = { iss: idp.issuer, sub: 'alice', aud: idp.audience, ...claims };
  const workers = Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 8));
  const share = Math.ceil(count / workers);
  const parts = await Promise.all(Array.from({ length: workers }, (_, i) => {
    const n = Math.max(0, Math.min(share, count - i * share));
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./mint-worker.mjs', import.meta.url), {
        workerData: { privateJwk, header, base, count: n, prefix: `${process.pid}-${i}` },
      });
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => code !== 0 && reject(new Error(`mint worker exited ${code}`)));
    });
  }));
  return parts.flat();
}
const started = Date.now();
const flood = await mintFlood(floodCount);
fs.writeFileSync(path.join(dir, 'flood.txt'), flood.join('\n') + '\n');
const mintSeconds = (Date.now() - started) / 1000;

fs.writeFileSync(path.join(dir, 'provider.json'), JSON.stringify({
  issuer: idp.issuer,
  jwks_https: `https://127.0.0.1:${jwksServer.address().port}/jwks`,
  flood_tokens: flood.length,
  flood_mint_seconds: mintSeconds,
  expires_at: claims.exp,
}, null, 2) + '\n');

const stop = async () => {
  jwksServer.close();
  jwksServer.closeAllConnections?.();
  await idp.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
