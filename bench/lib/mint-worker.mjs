// A worker thread of provider.mjs: signs `count` distinct RS256 tokens with npm `jose`
// (each with its own jti) and posts them back as an array.

import { parentPort, workerData } from 'node:worker_threads';

import { CompactSign, importJWK } from 'jose';

const { privateJwk, header, base, count, prefix } = workerData;
const key = await importJWK(privateJwk, header.alg);
const enc = new TextEncoder();
const out = new Array(count);
for (let i = 0; i < count; i++) {
  const claims = { ...base, jti: `${prefix}-${i}` };
  out[i] = await new CompactSign(enc.encode(JSON.stringify(claims))).setProtectedHeader(header).sign(key);
}
parentPort.postMessage(out);
