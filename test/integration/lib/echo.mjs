// The upstream application behind nginx: answers 200 with a JSON body holding
// the request's method, url and headers, so that tests see exactly which
// X-Auth-Request-* headers nginx passed on. Runs in the test process.

import http from 'node:http';

import { LOOPBACK } from './procs.mjs';

export class EchoServer {
  constructor() {
    this.server = null;
    this.port = null;
    this.hits = []; // every request received: {method, url, headers}
  }

  async start() {
    this.server = http.createServer((req, res) => {
      // Drain a body if any, then answer.
      req.resume();
      req.on('end', () => {
        const record = {
          upstream: 'echo',
          method: req.method,
          url: req.url,
          headers: req.headers,          // lower-cased, duplicates joined by node
          rawHeaders: req.rawHeaders,    // as received, for duplicate / case checks
        };
        this.hits.push(record);
        const body = JSON.stringify(record);
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-upstream': 'echo',
        });
        res.end(body);
      });
    });
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, LOOPBACK, resolve);
    });
    this.port = this.server.address().port;
    return this;
  }

  get url() {
    return `http://${LOOPBACK}:${this.port}`;
  }

  async stop() {
    const s = this.server;
    if (!s) return;
    this.server = null;
    await new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections?.();
    });
  }
}

/** Returns every value of a header in rawHeaders (case-insensitive). */
export function rawHeaderValues(rawHeaders, name) {
  const out = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name.toLowerCase()) out.push(rawHeaders[i + 1]);
  }
  return out;
}
