#!/usr/bin/env bash
# Stepgate's end-to-end benchmark: one run, one machine, loopback only.
#
#   bench/run.sh            full run (each scenario ~10 s; about 5 minutes in all)
#   bench/run.sh --smoke    every scenario for ~1 s with few tokens (CI: well under 2 minutes)
#
# Measures, with Debian's wrk pinned to one core and every server pinned to the other:
#   - the ceiling: nginx `return 204` (keep-alive, connection close, one connection; keep-alive
#     runs again after the cached Stepgate rows, whose ceiling is the mean of the two runs);
#   - Stepgate /auth: anonymous on a public route, a session cookie, bearer RS256 and ES256
#     tokens (seen before: cached), an insufficient level (the RFC 9470 401), an invalid token,
#     and a flood of distinct RS256 tokens (never seen before: every one is a signature check);
#   - the peer users run today: Apache httpd + mod_auth_openidc validating the same tokens;
#   - the ingress path: nginx auth_request -> (nginx 204 | Stepgate | mod_auth_openidc) in
#     front of a trivial upstream, keep-alive to the auth service;
#   - `openssl speed` (RSA-2048 and P-256 verify/s on the server core), as a yardstick; RSA-2048
#     also right before and right after the flood, whose yardstick is the mean of those two.
# Prints requests/s, p50/p99 latency, the server's peak RSS (VmHWM) per scenario, the ratios to
# the ceiling and to the peer, and one PASS/MISS line per target. Exits 0 when every scenario
# ran, whatever the targets say; non-zero only when the bench itself could not run.
#
# Environment: BENCH_DURATION (s), BENCH_FLOOD_TOKENS, BENCH_CONNECTIONS, BENCH_SERVER_CPU,
# BENCH_WRK_CPU, BENCH_RETRIES / BENCH_QUIET_WAIT / BENCH_NOISE_LIMIT (noisy scenarios: attempts,
# seconds to wait for quiet, % of a core), BENCH_KEEP=1 (keep the work dir), STEPGATE_BIN.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/bench"

MODE=full
for arg in "$@"; do
  case "$arg" in
    --smoke) MODE=smoke ;;
    -h|--help) sed -n '2,/^set /{/^set /!p}' "$0"; exit 0 ;;
    *) echo "usage: bench/run.sh [--smoke]" >&2; exit 2 ;;
  esac
done

if [ "$MODE" = smoke ]; then
  DURATION="${BENCH_DURATION:-1}"
  FLOOD_TOKENS="${BENCH_FLOOD_TOKENS:-3000}"
  SPEED_SECONDS=1
else
  DURATION="${BENCH_DURATION:-10}"
  FLOOD_TOKENS="${BENCH_FLOOD_TOKENS:-100000}"
  SPEED_SECONDS=3
fi
CONNECTIONS="${BENCH_CONNECTIONS:-50}"
SERVER_CPU="${BENCH_SERVER_CPU:-0}"
WRK_CPU="${BENCH_WRK_CPU:-1}"
if [ "$(nproc)" -lt 2 ]; then
  echo "bench: only $(nproc) core: server and wrk share it (numbers are not comparable)" >&2
  SERVER_CPU=0
  WRK_CPU=0
fi
STEPGATE_BIN="${STEPGATE_BIN:-$ROOT/build/release/stepgate}"
NGINX_BIN=/usr/sbin/nginx
APACHE_BIN=/usr/sbin/apache2
APACHE_MODULES=/usr/lib/apache2/modules
LOOPBACK=127.0.0.1

log() { printf '# %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# What the run needs: Debian packages, the JavaScript harness, the release binary.

need_packages=()
for package in wrk nginx apache2 libapache2-mod-auth-openidc openssl ssl-cert curl nodejs; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    need_packages+=("$package")
done
if [ ${#need_packages[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing packages (${need_packages[*]}); run as root or install them"
  log "apt-get install ${need_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null
fi
[ -d "$ROOT/node_modules/jose" ] && [ -d "$ROOT/node_modules/oidc-provider" ] ||
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
if [ ! -x "$STEPGATE_BIN" ]; then
  log "no $STEPGATE_BIN: scripts/build.sh release"
  "$ROOT/scripts/build.sh" release
fi

# ---------------------------------------------------------------------------------------------
# Every process the run starts is recorded here and stopped by its PID on exit, newest first.

WORK="$(mktemp -d /tmp/stepgate-bench.XXXXXX)"
chmod 755 "$WORK"  # Apache's children run as www-data and read their document root here
PIDS=()
NAMES=()

stop_pid() {  # PID NAME: TERM, wait up to 15 s, then KILL
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$2 (pid $pid) did not stop: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$? i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" "${NAMES[i]}"; done
  wait 2>/dev/null || true
  if [ "${BENCH_KEEP:-}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started() { PIDS+=("$1"); NAMES+=("$2"); }

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

status_of() {  # URL [curl args...]: the HTTP status, 000 when nothing answers
  local url="$1"
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url" 2>/dev/null || true
}

wait_for() {  # NAME PID URL STATUS TIMEOUT_S
  local deadline=$((SECONDS + $5))
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "$2" 2>/dev/null || die "$1 exited while starting (logs in $WORK; BENCH_KEEP=1 keeps them)"
    [ "$(status_of "$3")" = "$4" ] && return 0
    sleep 0.1
  done
  die "$1 did not answer $4 at $3 within $5 s"
}

# Noise: CPU time that neither this script nor anything it started used during a scenario (a
# compiler, a test run): the machine's busy ticks minus those of our process tree. The machine
# has 2 cores, so anything else running makes the numbers of that scenario meaningless.
machine_ticks() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print $2 + $3 + $4 + $7 + $8, t }' /proc/stat; }
tree_ticks() {  # user+system ticks of this script and all its descendants (reaped ones included)
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root=$$ '
    { pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
      ppid[pid] = f[2]; t[pid] = f[12] + f[13] + f[14] + f[15] }
    END { for (p in t) { q = p; for (n = 0; n < 64 && q != "" && q > 1; n++) { if (q == root) { s += t[p]; break }; q = ppid[q] } }
          print s + 0 }'
}
others() { pgrep -fa 'cc1plus|ninja|/ld|clang|chromium|unit_tests|node --test' 2>/dev/null | awk '{ print $2 }' | sort -u | head -3 | tr '\n' ' ' || true; }
# cpu_ticks CPU: "busy total" jiffies of one core.
cpu_ticks() { awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
steal_ticks() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' /proc/stat; }
# proc_ticks PID: user + system jiffies of the process, all its threads.
proc_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

kib() { awk -v f="$2" '$1 == f":" { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
reset_hwm() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; }  # VmHWM := VmRSS (Linux >= 4.0)

# ---------------------------------------------------------------------------------------------
# Start everything.

SG_PORT=$(free_port)
N204_PORT=$(free_port)
APACHE_PORT=$(free_port)
INGRESS_PORT=$(free_port)
APP_PORT=$(free_port)
SG_URL="http://$LOOPBACK:$SG_PORT"

log "mode $MODE: ${DURATION}s per scenario, -c$CONNECTIONS, $FLOOD_TOKENS flood tokens; work dir $WORK"

# A self-signed RSA certificate for the https JWKS that mod_auth_openidc reads.
openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=$LOOPBACK" -days 2 \
  -keyout "$WORK/jwks.key" -out "$WORK/jwks.crt" >/dev/null 2>&1

# The provider mints every token now, valid for the run (the flood on both cores, before any
# measurement).
TOKEN_TTL=$((3600 + FLOOD_TOKENS / 100))
node "$BENCH/lib/provider.mjs" --dir "$WORK" --stepgate-url "$SG_URL" \
  --cert "$WORK/jwks.crt" --key "$WORK/jwks.key" --flood "$FLOOD_TOKENS" --ttl "$TOKEN_TTL" \
  >"$WORK/provider.log" 2>&1 &
started $! provider
PROVIDER_PID=$!
deadline=$((SECONDS + 60 + FLOOD_TOKENS / 500))
until [ -s "$WORK/provider.json" ]; do
  kill -0 "$PROVIDER_PID" 2>/dev/null || { cat "$WORK/provider.log" >&2; die "provider exited"; }
  [ $SECONDS -lt $deadline ] || die "provider not ready (minting too slow?)"
  sleep 0.2
done
json() { node -e 'const o=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(o[process.argv[2]])' "$WORK/provider.json" "$1"; }
ISSUER=$(json issuer)
JWKS_HTTPS=$(json jwks_https)
log "provider $ISSUER: $(json flood_tokens) flood tokens minted in $(json flood_mint_seconds) s"
RS256=$(cat "$WORK/rs256.jwt")
ES256=$(cat "$WORK/es256.jwt")
INVALID=$(cat "$WORK/invalid.jwt")

# --- nginx `return 204`: the ceiling, and the auth service (a) of the ingress path.
mkdir -p "$WORK/nginx204"
cat >"$WORK/nginx204/nginx.conf" <<EOF
worker_processes 1;
error_log $WORK/nginx204/error.log warn;
pid $WORK/nginx204/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000;  # as Stepgate's per-connection cap
    client_body_temp_path $WORK/nginx204/body;
    proxy_temp_path $WORK/nginx204/proxy;
    fastcgi_temp_path $WORK/nginx204/fastcgi;
    uwsgi_temp_path $WORK/nginx204/uwsgi;
    scgi_temp_path $WORK/nginx204/scgi;
    server {
        listen $LOOPBACK:$N204_PORT;
        location / { return 204; }
    }
}
EOF
taskset -c "$SERVER_CPU" "$NGINX_BIN" -p "$WORK/nginx204/" -e "$WORK/nginx204/error.log" \
  -c "$WORK/nginx204/nginx.conf" -g 'daemon off;' &
started $! nginx-204
N204_PID=$!
wait_for nginx-204 "$N204_PID" "http://$LOOPBACK:$N204_PORT/" 204 10

# --- Stepgate, one event loop on the server core.
cat >"$WORK/stepgate.yaml" <<EOF
listen: $LOOPBACK:$SG_PORT
public_url: $SG_URL
provider:
  issuer: $ISSUER
  client_id: stepgate
  client_secret: \${STEPGATE_BENCH_CLIENT_SECRET}
  audiences: [stepgate-api]
  leeway: 30s
session:
  secret: \${STEPGATE_BENCH_COOKIE_SECRET}
  secure: false            # plain http on 127.0.0.1 only
  lifetime: 12h
levels:
  - name: basic
    acr: ["urn:stepgate:loa:pwd", "1"]
  - name: mfa
    acr: ["urn:stepgate:loa:mfa", "2"]
    amr_any: [mfa, otp, hwk]
rules:
  - name: admin
    paths: ["/admin/**"]
    require: { level: mfa, max_age: 5m }
  - name: reports
    paths: ["/api/reports/**"]
    require: { level: basic, scopes_all: ["reports:read"] }
  - name: public
    paths: ["/", "/public/**"]
    require: { level: none }
default: { require: { level: basic } }
redirect:
  allowed_domains: ["$LOOPBACK"]
EOF
STEPGATE_BENCH_CLIENT_SECRET=it-client-secret \
STEPGATE_BENCH_COOKIE_SECRET="$("$STEPGATE_BIN" secret)" \
  taskset -c "$SERVER_CPU" "$STEPGATE_BIN" serve --config "$WORK/stepgate.yaml" --threads 1 \
  >"$WORK/stepgate.stdout.log" 2>"$WORK/stepgate.stderr.log" &
started $! stepgate
SG_PID=$!
wait_for stepgate "$SG_PID" "$SG_URL/readyz" 200 20

# A real session: the code flow against the provider, without a browser.
SESSION_COOKIE=""
SESSION_SKIP=""
if SESSION_COOKIE=$(node "$BENCH/lib/login.mjs" --stepgate-url "$SG_URL" 2>"$WORK/login.log"); then
  :
else
  SESSION_SKIP="the browser-less login failed: $(tail -1 "$WORK/login.log")"
  SESSION_COOKIE=""
fi

# --- Apache httpd + mod_auth_openidc as an OAuth 2.0 resource server: local JWT validation
# against the provider's JWKS (https), event MPM, one child with enough threads.
mkdir -p "$WORK/apache/htdocs" "$WORK/apache/run"
: >"$WORK/apache/htdocs/auth"
chmod -R a+rX "$WORK/apache"
cat >"$WORK/apache/httpd.conf" <<EOF
ServerRoot $WORK/apache
ServerName $LOOPBACK
Listen $LOOPBACK:$APACHE_PORT
PidFile $WORK/apache/run/httpd.pid
DefaultRuntimeDir $WORK/apache/run
Mutex file:$WORK/apache/run default
ErrorLog $WORK/apache/error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authn_core_module $APACHE_MODULES/mod_authn_core.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule authz_user_module $APACHE_MODULES/mod_authz_user.so
LoadModule auth_openidc_module $APACHE_MODULES/mod_auth_openidc.so
StartServers 1
ServerLimit 1
ThreadLimit 128
ThreadsPerChild 128
MinSpareThreads 1
MaxSpareThreads 128
MaxRequestWorkers 128
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 100000
KeepAliveTimeout 60
DocumentRoot $WORK/apache/htdocs
OIDCCryptoPassphrase bench-only-passphrase
OIDCOAuthVerifyJwksUri $JWKS_HTTPS
OIDCOAuthSSLValidateServer Off
<Location /auth>
    AuthType oauth20
    Require valid-user
</Location>
EOF
taskset -c "$SERVER_CPU" "$APACHE_BIN" -d "$WORK/apache" -f "$WORK/apache/httpd.conf" -DFOREGROUND \
  >"$WORK/apache/stdout.log" 2>&1 &
started $! apache
APACHE_PID=$!
wait_for apache "$APACHE_PID" "http://$LOOPBACK:$APACHE_PORT/" 404 20

# --- The ingress: nginx auth_request, rendered as ingress-nginx renders auth-url, with
# keep-alive to each auth service and to a trivial upstream (served by this same nginx).
mkdir -p "$WORK/ingress"
auth_location() {  # NAME UPSTREAM_URI
  cat <<EOF
        location = /_auth_$1 {
            internal;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Forwarded-Proto "";
            proxy_set_header X-Original-URL \$scheme://\$http_host\$request_uri;
            proxy_set_header X-Original-Method \$request_method;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass $2;
        }
        location /$1/ {
            auth_request /_auth_$1;
            auth_request_set \$auth_user \$upstream_http_x_auth_request_user;
            auth_request_set \$auth_level \$upstream_http_x_auth_request_level;
            proxy_set_header X-Auth-Request-User \$auth_user;
            proxy_set_header X-Auth-Request-Level \$auth_level;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }
EOF
}
cat >"$WORK/ingress/nginx.conf" <<EOF
worker_processes 1;
error_log $WORK/ingress/error.log warn;
pid $WORK/ingress/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path $WORK/ingress/body;
    proxy_temp_path $WORK/ingress/proxy;
    fastcgi_temp_path $WORK/ingress/fastcgi;
    uwsgi_temp_path $WORK/ingress/uwsgi;
    scgi_temp_path $WORK/ingress/scgi;
    upstream auth_nginx { server $LOOPBACK:$N204_PORT; keepalive 64; keepalive_requests 100000; }
    upstream auth_stepgate { server $LOOPBACK:$SG_PORT; keepalive 64; keepalive_requests 100000; }
    upstream auth_apache { server $LOOPBACK:$APACHE_PORT; keepalive 64; keepalive_requests 100000; }
    upstream app { server $LOOPBACK:$APP_PORT; keepalive 64; keepalive_requests 100000; }
    server {
        listen $LOOPBACK:$APP_PORT;
        location / { default_type text/plain; return 200 "app\n"; }
    }
    server {
        listen $LOOPBACK:$INGRESS_PORT;
$(auth_location nginx http://auth_nginx/auth)
$(auth_location stepgate http://auth_stepgate/auth)
$(auth_location apache http://auth_apache/auth)
    }
}
EOF
taskset -c "$SERVER_CPU" "$NGINX_BIN" -p "$WORK/ingress/" -e "$WORK/ingress/error.log" \
  -c "$WORK/ingress/nginx.conf" -g 'daemon off;' &
started $! nginx-ingress
INGRESS_PID=$!
wait_for nginx-ingress "$INGRESS_PID" "http://$LOOPBACK:$APP_PORT/" 200 10

worker_of() { pgrep -P "$1" | head -1; }  # nginx's worker, Apache's child
N204_WORKER=$(worker_of "$N204_PID")
INGRESS_WORKER=$(worker_of "$INGRESS_PID")
APACHE_CHILD=$(worker_of "$APACHE_PID")
[ -n "$N204_WORKER" ] && [ -n "$APACHE_CHILD" ] && [ -n "$INGRESS_WORKER" ] ||
  die "could not find the nginx workers / Apache child"

sleep 0.5
SG_IDLE_RSS=$(kib "$SG_PID" VmRSS)

# ---------------------------------------------------------------------------------------------
# Scenarios. Each: a one-request check of the expected status, then wrk on the other core.

declare -A RPS P50 P99 REQS NON2XX ERRORS HWM WHO CHECK DUR BUSY CPU_US NOISY FOREIGN
NOISE_LIMIT="${BENCH_NOISE_LIMIT:-10}"  # % of a core used by others that marks a scenario noisy
declare -A SG_LOG_LINES SG_SUPPRESSED
PRE_ATTEMPT=""  # a command run before each attempt of the next scenario

# A noisy scenario is run again (full run: up to 3 attempts), each attempt after waiting (up to
# BENCH_QUIET_WAIT s) until no compiler or test run is to be seen.
if [ "$MODE" = smoke ]; then
  RETRIES="${BENCH_RETRIES:-1}"
  QUIET_WAIT="${BENCH_QUIET_WAIT:-0}"
else
  RETRIES="${BENCH_RETRIES:-3}"
  QUIET_WAIT="${BENCH_QUIET_WAIT:-300}"
fi
wait_quiet() {
  local deadline=$((SECONDS + QUIET_WAIT)) quiet=0
  while [ $SECONDS -lt $deadline ]; do
    if [ -z "$(others)" ]; then
      quiet=$((quiet + 1))
      [ $quiet -ge 3 ] && return 0
    else
      quiet=0
    fi
    sleep 1
  done
}
suppressed_logs() {
  curl -s --max-time 5 "$SG_URL/metrics" | awk '$1 == "stepgate_denial_logs_suppressed_total" { v = $2 } END { print v + 0 }'
}
# A config reload gives Stepgate a new snapshot, and entries of its verified-token cache are
# good only for the snapshot they were verified under: a flood that is run again starts cold.
reload_stepgate() {
  kill -HUP "$SG_PID"
  sleep 1
}
ORDER=()
ANY_FAILED=0
NOISY_ANY=0
STEAL_BEFORE=$(steal_ticks)
[ -n "$(others)" ] && log "a compiler or test run is running ($(others)): the numbers of this run will be noisy"

parse_wrk() {  # FILE KEY
  sed -n 's/^WRKRESULT //p' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}

# scenario NAME LABEL SERVER_PID EXPECTED_STATUS CONNECTIONS SCRIPT URL [LUA_ARG] -- HEADERS...
scenario() {
  local name="$1" label="$2" pid="$3" expect="$4" conns="$5" script="$6" url="$7" lua_arg=""
  shift 7
  if [ "${1:-}" != -- ]; then lua_arg="$1"; shift; fi
  shift  # --
  local headers=() curl_headers=() header
  for header in "$@"; do headers+=(-H "$header"); curl_headers+=(-H "$header"); done
  if [ -n "$lua_arg" ]; then curl_headers+=(-H "Authorization: Bearer $(head -1 "$lua_arg")"); fi
  ORDER+=("$name")
  WHO[$name]="$label"
  local got
  got=$(status_of "$url" "${curl_headers[@]}")
  if [ "$got" != "$expect" ]; then
    CHECK[$name]="expected $expect, got $got"
    ANY_FAILED=1
    log "$name: expected $expect, got $got"
  fi
  local out="$WORK/wrk-$name.out" args=(-t1 "-c$conns" "-d${DURATION}s" --timeout 5s -s "$script")
  local attempt busy_before proc_before machine_before tree_before lines_before suppressed_before
  local busy_after proc_after machine_after tree_after
  for ((attempt = 1; attempt <= RETRIES; attempt++)); do
    wait_quiet
    [ -n "$PRE_ATTEMPT" ] && $PRE_ATTEMPT
    reset_hwm "$pid"
    lines_before=$(wc -l <"$WORK/stepgate.stderr.log")
    suppressed_before=$(suppressed_logs)
    busy_before=$(cpu_ticks "$SERVER_CPU")
    proc_before=$(proc_ticks "$pid")
    machine_before=$(machine_ticks)
    tree_before=$(tree_ticks)
    taskset -c "$WRK_CPU" wrk "${args[@]}" "${headers[@]}" "$url" ${lua_arg:+-- "$lua_arg"} >"$out" 2>&1 || true
    busy_after=$(cpu_ticks "$SERVER_CPU")
    proc_after=$(proc_ticks "$pid")
    machine_after=$(machine_ticks)
    tree_after=$(tree_ticks)
    SG_LOG_LINES[$name]=$(($(wc -l <"$WORK/stepgate.stderr.log") - lines_before))
    SG_SUPPRESSED[$name]=$(($(suppressed_logs) - suppressed_before))
    # Foreign CPU, in % of one core over the scenario.
    FOREIGN[$name]=$(awk -v a="$machine_before" -v b="$machine_after" -v ta="$tree_before" -v tb="$tree_after" -v n="$(nproc)" \
      'BEGIN { split(a, x, " "); split(b, y, " "); e = (y[2] - x[2]) / n;
        if (e > 0) { f = 100 * ((y[1] - x[1]) - (tb - ta)) / e; printf "%.0f", (f < 0 ? 0 : f) } else print 0 }')
    if [ "${FOREIGN[$name]}" -le "$NOISE_LIMIT" ]; then
      unset "NOISY[$name]"
      break
    fi
    NOISY[$name]=1
    log "$name: other processes used ${FOREIGN[$name]}% of a core meanwhile ($(others)); attempt $attempt of $RETRIES"
  done
  [ -n "${NOISY[$name]:-}" ] && NOISY_ANY=1
  if ! grep -q '^WRKRESULT' "$out"; then
    CHECK[$name]="wrk failed: $(tail -1 "$out")"
    ANY_FAILED=1
    return 0
  fi
  REQS[$name]=$(parse_wrk "$out" requests)
  DUR[$name]=$(parse_wrk "$out" duration_us)
  RPS[$name]=$(awk -v r="${REQS[$name]}" -v d="${DUR[$name]}" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  P50[$name]=$(parse_wrk "$out" p50_us)
  P99[$name]=$(parse_wrk "$out" p99_us)
  NON2XX[$name]=$(parse_wrk "$out" non2xx)
  ERRORS[$name]=$(($(parse_wrk "$out" connect_errors) + $(parse_wrk "$out" read_errors) +
    $(parse_wrk "$out" write_errors) + $(parse_wrk "$out" timeouts)))
  HWM[$name]=$(kib "$pid" VmHWM)
  BUSY[$name]=$(awk -v a="$busy_before" -v b="$busy_after" 'BEGIN { split(a, x, " "); split(b, y, " ");
    if (y[2] > x[2]) printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]); else print "-" }')
  # The server process's own CPU per request (user + system; the kernel's loopback work done
  # in softirq on the other side's core is not in it). Jiffies are 10 ms: rough in --smoke.
  CPU_US[$name]=$(awk -v t="$((proc_after - proc_before))" -v r="${REQS[$name]}" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (r > 0) printf "%.1f", t / hz * 1e6 / r; else print "-" }')
  log "$name: ${RPS[$name]} req/s, p50 ${P50[$name]} us, p99 ${P99[$name]} us"
}

REPORT="$BENCH/wrk/report.lua"
FLOOD="$BENCH/wrk/flood.lua"
N204="http://$LOOPBACK:$N204_PORT/"
AUTH="$SG_URL/auth"
APACHE_AUTH="http://$LOOPBACK:$APACHE_PORT/auth"
APP_HOST="http://app.example.com"
C="$CONNECTIONS"

# The ceiling.
scenario n204 "nginx return 204" "$N204_WORKER" 204 "$C" "$REPORT" "$N204" --
scenario n204_close "nginx return 204, Connection: close" "$N204_WORKER" 204 "$C" "$REPORT" "$N204" -- \
  "Connection: close"
scenario n204_c1 "nginx return 204, 1 connection" "$N204_WORKER" 204 1 "$REPORT" "$N204" --

# Stepgate /auth, called as nginx auth_request calls it.
scenario sg_anon "Stepgate: anonymous, public route" "$SG_PID" 200 "$C" "$REPORT" "$AUTH" -- \
  "X-Original-URL: $APP_HOST/public/page" "X-Original-Method: GET"
if [ -n "$SESSION_COOKIE" ]; then
  scenario sg_session "Stepgate: session cookie, basic route" "$SG_PID" 200 "$C" "$REPORT" "$AUTH" -- \
    "X-Original-URL: $APP_HOST/account/page" "X-Original-Method: GET" "Cookie: $SESSION_COOKIE"
fi
scenario sg_rs256 "Stepgate: bearer RS256 (seen before)" "$SG_PID" 200 "$C" "$REPORT" "$AUTH" -- \
  "X-Original-URL: $APP_HOST/account/page" "X-Original-Method: GET" "Authorization: Bearer $RS256"
scenario sg_es256 "Stepgate: bearer ES256 (seen before)" "$SG_PID" 200 "$C" "$REPORT" "$AUTH" -- \
  "X-Original-URL: $APP_HOST/account/page" "X-Original-Method: GET" "Authorization: Bearer $ES256"
scenario sg_stepup "Stepgate: insufficient level (RFC 9470 401)" "$SG_PID" 401 "$C" "$REPORT" "$AUTH" -- \
  "X-Original-URL: $APP_HOST/admin/users" "X-Original-Method: GET" "Authorization: Bearer $RS256"
# The ceiling again, right after the rows compared with it: the machine's speed drifts within
# minutes, so their ceiling is the mean of the runs before and after them.
scenario n204_again "nginx return 204 (again, after the cached rows)" "$N204_WORKER" 204 "$C" "$REPORT" "$N204" --
scenario sg_invalid "Stepgate: invalid token (bad signature)" "$SG_PID" 401 "$C" "$REPORT" "$AUTH" -- \
  "X-Original-URL: $APP_HOST/account/page" "X-Original-Method: GET" "Authorization: Bearer $INVALID"
LOG_LINES="${SG_LOG_LINES[sg_invalid]:-0}"
SUPPRESSED="${SG_SUPPRESSED[sg_invalid]:-0}"
SG_PRE_FLOOD_RSS=$(kib "$SG_PID" VmRSS)
# The flood's yardstick, measured right before and right after it (the mean of the two): the
# end-of-run `openssl speed` below can fall on another moment of the machine.
rsa_verify_speed() {
  taskset -c "$SERVER_CPU" openssl speed -seconds "$SPEED_SECONDS" rsa2048 2>/dev/null |
    awk '/^rsa 2048 bits/ { printf "%.0f", $NF }'
}
RSA_BEFORE_FLOOD=$(rsa_verify_speed)
PRE_ATTEMPT=reload_stepgate
scenario sg_flood "Stepgate: flood of distinct RS256 tokens" "$SG_PID" 200 "$C" "$FLOOD" "$AUTH" \
  "$WORK/flood.txt" -- "X-Original-URL: $APP_HOST/account/page" "X-Original-Method: GET"
PRE_ATTEMPT=""
RSA_AFTER_FLOOD=$(rsa_verify_speed)
RSA_AROUND_FLOOD=$(awk -v a="$RSA_BEFORE_FLOOD" -v b="$RSA_AFTER_FLOOD" 'BEGIN { if (a == "" || b == "") print ""; else printf "%.0f", (a + b) / 2 }')
SG_POST_FLOOD_RSS=$(kib "$SG_PID" VmRSS)
scenario sg_close "Stepgate: bearer RS256, Connection: close" "$SG_PID" 200 "$C" "$REPORT" "$AUTH" -- \
  "X-Original-URL: $APP_HOST/account/page" "X-Original-Method: GET" "Authorization: Bearer $RS256" \
  "Connection: close"
scenario sg_c1 "Stepgate: bearer RS256, 1 connection" "$SG_PID" 200 1 "$REPORT" "$AUTH" -- \
  "X-Original-URL: $APP_HOST/account/page" "X-Original-Method: GET" "Authorization: Bearer $RS256"

# The peer: mod_auth_openidc on the same tokens.
scenario ap_rs256 "mod_auth_openidc: bearer RS256 (same token)" "$APACHE_CHILD" 200 "$C" "$REPORT" \
  "$APACHE_AUTH" -- "Authorization: Bearer $RS256"
scenario ap_es256 "mod_auth_openidc: bearer ES256 (same token)" "$APACHE_CHILD" 200 "$C" "$REPORT" \
  "$APACHE_AUTH" -- "Authorization: Bearer $ES256"
scenario ap_flood "mod_auth_openidc: flood of distinct RS256 tokens" "$APACHE_CHILD" 200 "$C" "$FLOOD" \
  "$APACHE_AUTH" "$WORK/flood.txt" --

# The ingress path: client -> nginx auth_request -> auth service, then -> upstream.
INGRESS="http://$LOOPBACK:$INGRESS_PORT"
scenario ing_nginx "ingress -> auth: nginx 204" "$N204_WORKER" 200 "$C" "$REPORT" "$INGRESS/nginx/page" -- \
  "Authorization: Bearer $RS256"
scenario ing_stepgate "ingress -> auth: Stepgate" "$SG_PID" 200 "$C" "$REPORT" "$INGRESS/stepgate/page" -- \
  "Authorization: Bearer $RS256"
scenario ing_apache "ingress -> auth: mod_auth_openidc" "$APACHE_CHILD" 200 "$C" "$REPORT" \
  "$INGRESS/apache/page" -- "Authorization: Bearer $RS256"

SG_END_RSS=$(kib "$SG_PID" VmRSS)
STEAL_AFTER=$(steal_ticks)
STEAL_PCT=$(awk -v a="$STEAL_BEFORE" -v b="$STEAL_AFTER" 'BEGIN { split(a, x, " "); split(b, y, " ");
  if (y[2] > x[2]) printf "%.1f", 100 * (y[1] - x[1]) / (y[2] - x[2]); else print "-" }')

# The yardstick: what one core verifies, with nothing else running.
wait_quiet
speed_machine_before=$(machine_ticks)
speed_tree_before=$(tree_ticks)
taskset -c "$SERVER_CPU" openssl speed -seconds "$SPEED_SECONDS" rsa2048 >"$WORK/speed-rsa.out" 2>/dev/null
taskset -c "$SERVER_CPU" openssl speed -seconds "$SPEED_SECONDS" ecdsap256 >"$WORK/speed-ec.out" 2>/dev/null
SPEED_FOREIGN=$(awk -v a="$speed_machine_before" -v b="$(machine_ticks)" -v ta="$speed_tree_before" -v tb="$(tree_ticks)" -v n="$(nproc)" \
  'BEGIN { split(a, x, " "); split(b, y, " "); e = (y[2] - x[2]) / n;
    if (e > 0) { f = 100 * ((y[1] - x[1]) - (tb - ta)) / e; printf "%.0f", (f < 0 ? 0 : f) } else print 0 }')
[ "$SPEED_FOREIGN" -gt "$NOISE_LIMIT" ] && NOISY[speed]=1 && NOISY_ANY=1
RSA_VERIFY=$(awk '/^rsa 2048 bits/ { printf "%.0f", $NF }' "$WORK/speed-rsa.out")
P256_VERIFY=$(awk '/ecdsa \(nistp256\)/ { printf "%.0f", $NF }' "$WORK/speed-ec.out")

# ---------------------------------------------------------------------------------------------
# Report.

ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
mib() { awk -v k="${1:-}" 'BEGIN { if (k == "") print "-"; else printf "%.1f", k / 1024 }'; }
ms() { awk -v u="${1:-}" 'BEGIN { if (u == "") print "-"; else printf "%.2f", u / 1000 }'; }

# The keep-alive ceiling: the mean of the nginx 204 runs before and after the cached rows.
RPS[n204_mean]=$(awk -v a="${RPS[n204]:-}" -v b="${RPS[n204_again]:-}" 'BEGIN {
  if (a != "" && b != "") printf "%.0f", (a + b) / 2; else if (a != "") print a; else print b }')
ceiling_of() {
  case "$1" in
    n204 | n204_again) echo "$1" ;;
    n204_close | sg_close) echo n204_close ;;
    n204_c1 | sg_c1) echo n204_c1 ;;
    ing_*) echo ing_nginx ;;
    *) echo n204_mean ;;
  esac
}
peer_of() {
  case "$1" in
    sg_rs256 | sg_session | sg_anon) echo ap_rs256 ;;
    sg_es256) echo ap_es256 ;;
    sg_flood) echo ap_flood ;;
    ing_stepgate) echo ing_apache ;;
    *) echo "" ;;
  esac
}

echo
echo "Stepgate benchmark ($MODE): $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
echo "servers on CPU $SERVER_CPU, wrk -t1 on CPU $WRK_CPU, -c$CONNECTIONS keep-alive unless noted, ${DURATION}s per scenario; $(date -u +%FT%TZ)"
echo
printf '| %-60s | %9s | %8s | %8s | %7s | %9s | %7s | %8s | %7s | %9s | %7s |\n' scenario "req/s" "p50 ms" "p99 ms" "non-2xx" "peak MiB" "CPU0 %" "us/req" "other %" "x ceiling" "x peer"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..62})" ----------- ---------- ---------- --------- ----------- --------- ---------- --------- ----------- ---------
for name in "${ORDER[@]}"; do
  label="${WHO[$name]}"
  [ -n "${CHECK[$name]:-}" ] && label="$label [${CHECK[$name]}]"
  [ -n "${NOISY[$name]:-}" ] && label="$label (noisy)"
  ceiling=$(ceiling_of "$name")
  peer=$(peer_of "$name")
  x_ceiling="-"
  [ "$ceiling" != "$name" ] && x_ceiling=$(ratio "${RPS[$name]:-}" "${RPS[$ceiling]:-}")
  x_peer="-"
  [ -n "$peer" ] && x_peer=$(ratio "${RPS[$name]:-}" "${RPS[$peer]:-}")
  non2xx="${NON2XX[$name]:-}"
  [ "${ERRORS[$name]:-0}" != 0 ] && non2xx="$non2xx (+${ERRORS[$name]} err)"
  printf '| %-60s | %9s | %8s | %8s | %7s | %9s | %7s | %8s | %7s | %9s | %7s |\n' "$label" "${RPS[$name]:--}" \
    "$(ms "${P50[$name]:-}")" "$(ms "${P99[$name]:-}")" "$non2xx" "$(mib "${HWM[$name]:-}")" \
    "${BUSY[$name]:--}" "${CPU_US[$name]:--}" "${FOREIGN[$name]:--}" "$x_ceiling" "$x_peer"
done
[ -n "$SESSION_SKIP" ] && echo "skipped: Stepgate session cookie scenario: $SESSION_SKIP"
echo "CPU0 %: how busy the server core was; us/req: the server process's own CPU time per request;"
echo "other %: CPU used meanwhile by processes this run did not start, in % of one core;"
echo "x ceiling: req/s over nginx 204's with the same wrk settings (keep-alive: the mean of its two runs,"
echo "${RPS[n204_mean]:--} req/s; ingress rows: over the path through nginx 204 auth);"
echo "x peer: over mod_auth_openidc's (Stepgate /auth rows: its same-token RS256 run)"
echo "(peak MiB and us/req: the auth service's process in the ingress rows; nginx: its worker)."
echo "CPU steal during the run: ${STEAL_PCT}% of all CPU time"
if [ "$NOISY_ANY" = 1 ]; then
  echo "NOISY: other processes used more than ${NOISE_LIMIT}% of a core during the scenarios marked (noisy):"
  echo "       their numbers (and every ratio built on them) are not to be trusted; run again on a quiet machine"
fi
echo
echo "openssl speed (CPU $SERVER_CPU, ${SPEED_SECONDS}s): RSA-2048 verify ${RSA_BEFORE_FLOOD:--}/s right before the flood," \
  "${RSA_AFTER_FLOOD:--}/s right after it (the flood's yardstick: their mean, ${RSA_AROUND_FLOOD:--}/s);"
echo "  at the end of the run RSA-2048 verify ${RSA_VERIFY:--}/s, P-256 verify ${P256_VERIFY:--}/s" \
  "(other processes: ${SPEED_FOREIGN}% of a core${NOISY[speed]:+, noisy})"
echo "Stepgate RSS: idle after start $(mib "$SG_IDLE_RSS") MiB, before the flood $(mib "$SG_PRE_FLOOD_RSS") MiB," \
  "after it $(mib "$SG_POST_FLOOD_RSS") MiB, at the end $(mib "$SG_END_RSS") MiB; flood peak $(mib "${HWM[sg_flood]:-}") MiB" \
  "(${REQS[sg_flood]:-0} requests, $FLOOD_TOKENS distinct tokens; the verified-token cache holds 8192 per event loop)"
echo "Stepgate log during the invalid-token run: $LOG_LINES stderr lines in ${DURATION}s for ${REQS[sg_invalid]:-0} denials;" \
  "stepgate_denial_logs_suppressed_total +$SUPPRESSED"
echo

# ---------------------------------------------------------------------------------------------
# Targets: PASS / MISS, ratios from this run.

target() {  # LABEL VALUE OP BOUND DETAIL [SCENARIOS...]: the scenarios the value comes from
  local verdict noisy="" scenario
  for scenario in "${@:6}"; do [ -n "${NOISY[$scenario]:-}" ] && noisy=" [noisy: $scenario]"; done
  if [ "$2" = "-" ] || [ -z "$2" ]; then
    verdict="N/A "
  elif awk -v v="$2" -v b="$4" -v op="$3" 'BEGIN { exit !((op == ">=" && v >= b) || (op == "<=" && v <= b) || (op == "<" && v < b)) }'; then
    verdict="PASS"
  else
    verdict="MISS"
  fi
  printf '%s  %-58s %s %s %s  (%s)%s\n' "$verdict" "$1" "$2" "$3" "$4" "$5" "$noisy"
}

echo "Targets:"
if [ -n "$SESSION_COOKIE" ]; then
  target "session /auth vs nginx 204 (x ceiling)" "$(ratio "${RPS[sg_session]:-}" "${RPS[n204_mean]:-}")" ">=" 0.8 \
    "${RPS[sg_session]:-?} vs ${RPS[n204_mean]:-?} req/s" sg_session n204 n204_again
else
  echo "N/A   session /auth vs nginx 204: skipped: $SESSION_SKIP"
fi
target "bearer seen before /auth vs nginx 204 (x ceiling)" "$(ratio "${RPS[sg_rs256]:-}" "${RPS[n204_mean]:-}")" ">=" 0.8 \
  "${RPS[sg_rs256]:-?} vs ${RPS[n204_mean]:-?} req/s" sg_rs256 n204 n204_again
target "same RS256 token vs mod_auth_openidc (x peer)" "$(ratio "${RPS[sg_rs256]:-}" "${RPS[ap_rs256]:-}")" ">=" 10 \
  "${RPS[sg_rs256]:-?} vs ${RPS[ap_rs256]:-?} req/s" sg_rs256 ap_rs256
target "distinct RS256 tokens vs mod_auth_openidc (x peer)" "$(ratio "${RPS[sg_flood]:-}" "${RPS[ap_flood]:-}")" ">=" 4 \
  "${RPS[sg_flood]:-?} vs ${RPS[ap_flood]:-?} req/s" sg_flood ap_flood
target "distinct RS256 tokens vs openssl RSA-2048 verify/s" "$(ratio "${RPS[sg_flood]:-}" "$RSA_AROUND_FLOOD")" ">=" 0.65 \
  "${RPS[sg_flood]:-?} vs ${RSA_AROUND_FLOOD:-?} verify/s, measured around the flood" sg_flood
target "ingress via Stepgate vs via nginx 204 auth" "$(ratio "${RPS[ing_stepgate]:-}" "${RPS[ing_nginx]:-}")" ">=" 0.9 \
  "${RPS[ing_stepgate]:-?} vs ${RPS[ing_nginx]:-?} req/s" ing_stepgate ing_nginx
target "p50 at 1 connection vs nginx 204's" "$(ratio "${P50[sg_c1]:-}" "${P50[n204_c1]:-}")" "<=" 1.3 \
  "$(ms "${P50[sg_c1]:-}") vs $(ms "${P50[n204_c1]:-}") ms" sg_c1 n204_c1
target "idle RSS (MiB)" "$(mib "$SG_IDLE_RSS")" "<" 30 "VmRSS after start"
target "peak RSS under the token flood (MiB)" "$(mib "${HWM[sg_flood]:-}")" "<" 64 \
  "VmHWM during the flood; bounded: the cache holds at most 8192 tokens per loop" sg_flood
target "denial log lines per second (invalid-token run)" \
  "$(awk -v l="$LOG_LINES" -v d="${DUR[sg_invalid]:-0}" 'BEGIN { if (d == 0) print "-"; else printf "%.1f", l / (d / 1e6) }')" \
  "<=" 25 "$LOG_LINES lines, +$SUPPRESSED suppressed" sg_invalid

if [ "$ANY_FAILED" != 0 ]; then
  echo
  echo "bench: some scenario did not answer as expected (see the [..] notes above)" >&2
  exit 1
fi
