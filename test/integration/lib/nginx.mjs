// Real nginx (Debian's /usr/sbin/nginx) configured the way ingress-nginx renders
// an Ingress with `nginx.ingress.kubernetes.io/auth-url` (controller template
// `nginx.tmpl`, `buildAuthLocation`, `buildAuthResponseHeaders`, authreq
// annotation parser). Each "ingress" below becomes one server block with an
// internal `/_external-auth-…` location and a protected location.
//
// What matters for Stepgate, as ingress-nginx does it:
//   - the auth subrequest has no body, an empty X-Forwarded-Proto, our own Host
//     (the auth URL's hostname), X-Original-URL = $scheme://$http_host$request_uri,
//     X-Original-Method, X-Sent-From, X-Real-IP, X-Forwarded-For, X-Request-ID,
//     X-Auth-Request-Redirect, and every client header passed through untouched
//     (a client's own X-Forwarded-Host/Uri reach the auth service);
//   - proxy_pass to a variable holding the whole auth URL, query pins included;
//   - auth-response-headers → auth_request_set $authHeaderN + proxy_set_header;
//   - auth_request_set $auth_cookie $upstream_http_set_cookie + add_header Set-Cookie;
//   - nginx's auth_request itself copies WWW-Authenticate of a 401 answer to the
//     client response; 403 passes without headers; anything else becomes 500;
//   - auth-signin (optional) → error_page 401 = @signin … return 302 <signin>?rd=…
//   - an Ingress without auth-url (Stepgate's own) is a plain proxied location;
//     pathType Exact → `location = <path>`;
//   - a host where no Ingress has the path / gets `location /` of the default
//     backend: 404 for every other path.

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { LOOPBACK, freePort, spawnLogged, waitForHttp } from './procs.mjs';

export const NGINX_BIN = process.env.NGINX_BIN || '/usr/sbin/nginx';
export const NGINX_MODULES = process.env.NGINX_MODULES || '/usr/lib/nginx/modules';

// The auth-response-headers the Ingresses ask for (all of the contract's).
export const AUTH_RESPONSE_HEADERS = [
  'X-Auth-Request-User',
  'X-Auth-Request-Email',
  'X-Auth-Request-Groups',
  'X-Auth-Request-Level',
  'X-Auth-Request-Acr',
  'X-Auth-Request-Amr',
  'X-Auth-Request-Auth-Time',
  'X-Auth-Request-Preferred-Username',
];

// The host guard (docs/SECURITY.md, deploy/examples/ingress-nginx/README.md): ingress-nginx
// builds X-Original-URL from $http_host (the Host header), while nginx picks the server block
// from the request line's host when the request is in absolute form (`GET http://a/ HTTP/1.1`
// with `Host: b`). Stepgate would then judge host b while the request goes to host a. The guard
// answers 421 (RFC 9110 §15.5.20) when the two differ, ignoring case and a port in Host. In
// ingress-nginx: the first part is the ConfigMap's `http-snippet`, the second its
// `server-snippet`.
export const HOST_GUARD_HTTP_SNIPPET = `
    map "$host|$http_host" $stepgate_host_mismatch {
        default 1;
        "~*^(?<stepgate_h>[^|]+)\\|\\k<stepgate_h>(:[0-9]+)?$" 0;
    }`;
export const HOST_GUARD_SERVER_SNIPPET = `
        if ($stepgate_host_mismatch) { return 421; }`;

/** ingress-nginx's buildAuthLocation: base64url(path) without '=', plus the path type. */
export function authLocationName(locationPath, pathType = 'Prefix') {
  const b64 = Buffer.from(locationPath).toString('base64url').replace(/=/g, '');
  return `/_external-auth-${b64}-${pathType}`;
}

/** Quotes a value for the nginx config language (double quotes, escapes). */
function q(value) {
  return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Renders one Ingress host as a server block.
 * @param {object} ing
 * @param {string} ing.host          server_name (the Ingress host)
 * @param {string} [ing.path]        Ingress path, default '/'
 * @param {string} [ing.pathType]    'Prefix' (default) or 'Exact'
 * @param {string} [ing.authUrl]     the auth-url annotation (may carry query pins);
 *                                   absent: no auth (Stepgate's own Ingress)
 * @param {string[]} [ing.responseHeaders] the auth-response-headers annotation
 * @param {string} [ing.signinUrl]   the auth-signin annotation (absent: 401 reaches the client)
 * @param {string} ing.upstream      backend URL, e.g. http://127.0.0.1:PORT
 * @param {number} listenPort
 */
export function renderServer(ing, listenPort, { hostGuard = false } = {}) {
  return renderHost([ing], listenPort, { hostGuard });
}

/**
 * Renders every Ingress of one host as one server block: each Ingress path is a
 * location with its own auth location (and signin location), as ingress-nginx
 * merges several Ingresses that share a host. Paths must differ.
 * @param {object[]} ings   Ingresses with the same `host` (see renderServer)
 * @param {number} listenPort
 * @param {object} [o]
 * @param {boolean} [o.hostGuard] add HOST_GUARD_SERVER_SNIPPET (as a ConfigMap server-snippet)
 */
export function renderHost(ings, listenPort, { hostGuard = false } = {}) {
  const host = ings[0].host;
  const paths = new Set();
  for (const ing of ings) {
    if (ing.host !== host) throw new Error(`renderHost: ${ing.host} is not ${host}`);
    const p = locationOf(ing);
    if (paths.has(p)) throw new Error(`renderHost: two Ingresses for ${host} ${p}`);
    paths.add(p);
  }
  // The controller routes the rest of a host to its default backend (404).
  const defaultBackend = paths.has('/') ? '' : `
        location / {
            return 404;
        }
`;
  return `
    ## start server ${host}
    server {
        server_name ${host};
        listen ${LOOPBACK}:${listenPort};

        set $proxy_upstream_name "-";
${hostGuard ? HOST_GUARD_SERVER_SNIPPET : ''}
${ings.map((ing) => renderLocations(ing)).join('')}${defaultBackend}
    }
    ## end server ${host}
`;
}

/** The location match of an Ingress path: `= /p` for Exact, `/p` for Prefix. */
function locationOf(ing) {
  const pathType = ing.pathType ?? 'Prefix';
  if (pathType !== 'Prefix' && pathType !== 'Exact') throw new Error(`renderHost: pathType ${pathType}`);
  return `${pathType === 'Exact' ? '= ' : ''}${ing.path ?? '/'}`;
}

/** The locations of one Ingress (path): auth and signin (optional), then the route itself. */
function renderLocations(ing) {
  const locPath = ing.path ?? '/';
  const upstreamName = `${ing.name ?? ing.host}-upstream-80`.replace(/[^A-Za-z0-9_.-]/g, '-');
  const auth = ing.authUrl ? renderAuth(ing, upstreamName) : { locations: '', directives: '' };

  return `
        ## Ingress ${ing.name ?? ing.host} path ${locPath}
${auth.locations}
        location ${locationOf(ing)} {
            set $namespace      "stepgate-it";
            set $ingress_name   ${q(ing.name ?? ing.host)};
            set $service_name   "echo";
            set $service_port   "80";
            set $location_path  ${q(locPath)};

            port_in_redirect off;

            set $balancer_ewma_score -1;
            set $proxy_upstream_name ${q(upstreamName)};
            set $proxy_host          $proxy_upstream_name;
            set $pass_access_scheme  $scheme;
            set $pass_server_port    $server_port;
            set $best_http_host      $http_host;
            set $pass_port           $pass_server_port;

            set $proxy_alternative_upstream_name "";
${auth.directives}

            client_max_body_size                    1m;

            proxy_set_header Host                   $best_http_host;

            # Allow websocket connections
            proxy_set_header                        Upgrade           $http_upgrade;
            proxy_set_header                        Connection        $connection_upgrade;

            proxy_set_header X-Request-ID           $req_id;
            proxy_set_header X-Real-IP              $remote_addr;
            proxy_set_header X-Forwarded-For        $remote_addr;
            proxy_set_header X-Forwarded-Host       $best_http_host;
            proxy_set_header X-Forwarded-Port       $pass_port;
            proxy_set_header X-Forwarded-Proto      $pass_access_scheme;
            proxy_set_header X-Forwarded-Scheme     $pass_access_scheme;
            proxy_set_header X-Scheme               $pass_access_scheme;

            # Pass the original X-Forwarded-For
            proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;

            # mitigate HTTPoxy Vulnerability
            proxy_set_header Proxy                  "";

            proxy_connect_timeout                   5s;
            proxy_send_timeout                      60s;
            proxy_read_timeout                      60s;

            proxy_buffering                         off;
            proxy_buffer_size                       4k;
            proxy_buffers                           4 4k;
            proxy_max_temp_file_size                1024m;
            proxy_request_buffering                 on;
            proxy_http_version                      1.1;

            proxy_cookie_domain                     off;
            proxy_cookie_path                       off;

            proxy_next_upstream                     error timeout;
            proxy_next_upstream_timeout             0;
            proxy_next_upstream_tries               3;

            proxy_pass ${ing.upstream};
            proxy_redirect                          off;
        }
`;
}

/**
 * The auth-url part of an Ingress: the internal auth location (and the signin
 * location), and the directives of the protected location that use them.
 */
function renderAuth(ing, upstreamName) {
  const locPath = ing.path ?? '/';
  const authPath = authLocationName(locPath, ing.pathType);
  const authUrl = new URL(ing.authUrl);
  const responseHeaders = ing.responseHeaders ?? AUTH_RESPONSE_HEADERS;

  const headerLines = [];
  responseHeaders.forEach((h, i) => {
    const hvar = h.toLowerCase().replace(/-/g, '_');
    headerLines.push(`            auth_request_set $authHeader${i} $upstream_http_${hvar};`);
    headerLines.push(`            proxy_set_header '${h}' $authHeader${i};`);
  });

  let signinLocation = '';
  let signinDirectives = '';
  if (ing.signinUrl) {
    // buildAuthSignURL: rd=$pass_access_scheme://$http_host$escaped_request_uri, '&rd=' when a query exists.
    const sep = ing.signinUrl.includes('?') ? '&' : '?';
    const param = ing.signinRedirectParam ?? 'rd';
    const signinName = `@${crypto.createHash('sha1').update(locPath + ing.signinUrl).digest('hex')}`;
    signinLocation = `
        location ${signinName} {
            internal;
            add_header Set-Cookie $auth_cookie;
            return 302 ${ing.signinUrl}${sep}${param}=$pass_access_scheme://$http_host$escaped_request_uri;
        }
`;
    signinDirectives = `
            set_escape_uri $escaped_request_uri $request_uri;
            error_page 401 = ${signinName};`;
  }

  return {
    locations: `
        location = ${authPath} {
            internal;

            access_log off;

            # ngx_auth_request module overrides variables in the parent request,
            # therefore we have to explicitly set this variable again so that when the parent request
            # resumes it has the correct value set for this variable so that Lua can pick backend correctly
            set $proxy_upstream_name ${q(upstreamName)};

            proxy_pass_request_body     off;
            proxy_set_header            Content-Length          "";
            proxy_set_header            X-Forwarded-Proto       "";
            proxy_set_header            X-Request-ID            $req_id;

            proxy_set_header            Host                    ${authUrl.hostname};
            proxy_set_header            X-Original-URL          $scheme://$http_host$request_uri;
            proxy_set_header            X-Original-Method       $request_method;
            proxy_set_header            X-Sent-From             "nginx-ingress-controller";
            proxy_set_header            X-Real-IP               $remote_addr;
            proxy_set_header            X-Forwarded-For         $remote_addr;

            proxy_set_header            X-Auth-Request-Redirect $request_uri;

            proxy_buffering                         off;
            proxy_buffer_size                       4k;
            proxy_buffers                           4 4k;
            proxy_request_buffering                 on;

            proxy_ssl_server_name       on;
            proxy_pass_request_headers  on;
            client_max_body_size        1m;

            proxy_http_version 1.1;
            set $target ${q(ing.authUrl)};
            proxy_pass $target;
        }
${signinLocation}`,
    directives: `
            # this location requires authentication
            auth_request        ${authPath};
            auth_request_set    $auth_cookie $upstream_http_set_cookie;
            add_header          Set-Cookie $auth_cookie;
${headerLines.join('\n')}
${signinDirectives}`,
  };
}

/** Ingresses grouped by host, in the order hosts first appear. */
function groupByHost(ingresses) {
  const byHost = new Map();
  for (const ing of ingresses) {
    if (!byHost.has(ing.host)) byHost.set(ing.host, []);
    byHost.get(ing.host).push(ing);
  }
  return [...byHost.values()];
}

/** Renders the whole nginx.conf (paths all inside prefix). */
export function renderConfig({ prefix, listenPort, ingresses, hostGuard = false }) {
  const userLine = typeof process.getuid === 'function' && process.getuid() === 0 ? 'user root;' : '';
  return `# Rendered by test/integration/lib/nginx.mjs — mimics ingress-nginx's auth-url rendering.
${userLine}
load_module ${NGINX_MODULES}/ndk_http_module.so;
load_module ${NGINX_MODULES}/ngx_http_set_misc_module.so;

worker_processes 1;
error_log ${prefix}/error.log info;

events {
    worker_connections 512;
}

http {
    access_log ${prefix}/access.log;

    client_body_temp_path ${prefix}/tmp/client_body;
    proxy_temp_path       ${prefix}/tmp/proxy;
    fastcgi_temp_path     ${prefix}/tmp/fastcgi;
    uwsgi_temp_path       ${prefix}/tmp/uwsgi;
    scgi_temp_path        ${prefix}/tmp/scgi;

    default_type text/html;
    server_tokens off;
    uninitialized_variable_warn off;

    # ingress-nginx defaults
    client_header_buffer_size       1k;
    large_client_header_buffers     4 8k;
    keepalive_timeout               75s;
    underscores_in_headers          off;
    ignore_invalid_headers          on;
    server_names_hash_bucket_size   128;

    map $http_upgrade $connection_upgrade {
        default          upgrade;
        ''               close;
    }

    map $http_x_request_id $req_id {
        default   $http_x_request_id;
        ""        $request_id;
    }
${hostGuard ? HOST_GUARD_HTTP_SNIPPET : ''}

    # default backend: unknown hosts get 404 without auth
    server {
        listen ${LOOPBACK}:${listenPort} default_server;
        server_name _;
        location / {
            return 404;
        }
    }
${groupByHost(ingresses).map((ings) => renderHost(ings, listenPort, { hostGuard })).join('\n')}
}
`;
}

export class Nginx {
  /**
   * @param {object} o
   * @param {string} o.dir        a fresh temporary directory (the nginx prefix)
   * @param {object[]} o.ingresses see renderServer()
   * @param {boolean} [o.hostGuard] render the host guard (HOST_GUARD_*_SNIPPET)
   */
  constructor({ dir, ingresses, hostGuard = false }) {
    this.dir = dir;
    this.ingresses = ingresses;
    this.hostGuard = hostGuard;
    this.port = null;
    this.proc = null;
  }

  get url() {
    return `http://${LOOPBACK}:${this.port}`;
  }

  async start() {
    this.port = this.port ?? await freePort(); // a caller may fix the port before start()
    await fs.mkdir(path.join(this.dir, 'tmp'), { recursive: true });
    await fs.mkdir(path.join(this.dir, 'logs'), { recursive: true });
    this.confPath = path.join(this.dir, 'nginx.conf');
    await fs.writeFile(this.confPath, renderConfig({ prefix: this.dir, listenPort: this.port, ingresses: this.ingresses, hostGuard: this.hostGuard }));
    const args = ['-p', `${this.dir}/`, '-e', `${this.dir}/error.log`, '-c', this.confPath,
      '-g', `daemon off; master_process on; pid ${this.dir}/nginx.pid;`];
    this.proc = await spawnLogged('nginx', NGINX_BIN, args, { logDir: this.dir });
    try {
      // The default server answers 404 for an unknown host once nginx listens.
      await waitForHttp(`${this.url}/`, { expectStatus: 404, timeoutMs: 10000, proc: this.proc,
        headers: { host: 'not-configured.invalid' } });
    } catch (e) {
      throw new Error(`${e.message}\n--- error.log ---\n${await this.errorLog()}`);
    }
    return this;
  }

  async errorLog(maxBytes = 4000) {
    try {
      const t = await fs.readFile(path.join(this.dir, 'error.log'), 'utf8');
      return t.length > maxBytes ? '…' + t.slice(-maxBytes) : t;
    } catch {
      return '';
    }
  }

  async stop() {
    if (this.proc) await this.proc.stop();
    this.proc = null;
  }
}
