#!/usr/bin/env bash
# THE quickstart: installs what is missing, builds Stepgate, and starts a demo OpenID provider
# (127.0.0.1:9000), Stepgate (127.0.0.1:4180) and nginx as the ingress (127.0.0.1:8080) in
# front of a demo app. Prints what to try; Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
scripts/build.sh release

run=$(mktemp -d /tmp/stepgate-quickstart.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$run/nginx.pid" ] && kill "$(cat "$run/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_for() {  # URL STATUS
  for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = "$2" ] && return 0
    sleep 0.1
  done
  echo "quickstart: $1 did not answer $2; logs are in $run" >&2
  exit 1
}

node demo/token-idp.mjs --port 9000 >"$run/idp.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:9000/.well-known/openid-configuration 200

export STEPGATE_CLIENT_SECRET=demo-unused
STEPGATE_COOKIE_SECRET=$(build/release/stepgate secret)
export STEPGATE_COOKIE_SECRET
build/release/stepgate check --config deploy/quickstart/stepgate.yaml
build/release/stepgate serve --config deploy/quickstart/stepgate.yaml >"$run/stepgate.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:4180/readyz 200

mkdir -p "$run/nginx"
sed "s#PREFIX#$run/nginx#g" deploy/quickstart/nginx.conf >"$run/nginx/nginx.conf"
nginx -p "$run/nginx" -c "$run/nginx/nginx.conf" -g 'daemon off;' >"$run/nginx.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:8080/public 200

cat <<TEXT

Stepgate quickstart is running (logs in $run):
  demo provider  http://127.0.0.1:9000   (alice: password only; bob: password + OTP, group admins)
  stepgate       http://127.0.0.1:4180   (/auth, /healthz, /readyz, /metrics)
  ingress        http://127.0.0.1:8080   (nginx auth_request -> stepgate -> demo app)

Try:
  curl -i http://127.0.0.1:8080/public                       # 200: public, anonymous
  curl -i http://127.0.0.1:8080/profile                      # 401: needs a signed-in user
  ALICE=\$(curl -s 'http://127.0.0.1:9000/mint?user=alice')
  curl -i -H "Authorization: Bearer \$ALICE" http://127.0.0.1:8080/profile        # 200, level basic
  curl -i -X POST -H "Authorization: Bearer \$ALICE" http://127.0.0.1:8080/checkout/pay
      # 401 WWW-Authenticate: Bearer error="insufficient_user_authentication", acr_values=..., max_age=300
  BOB=\$(curl -s 'http://127.0.0.1:9000/mint?user=bob&level=mfa')
  curl -i -X POST -H "Authorization: Bearer \$BOB" http://127.0.0.1:8080/checkout/pay     # 200, level mfa
  OLD=\$(curl -s 'http://127.0.0.1:9000/mint?user=bob&level=mfa&auth_age=600')
  curl -i -X POST -H "Authorization: Bearer \$OLD" http://127.0.0.1:8080/checkout/pay     # 401: max_age 5m
  curl -i -H "Authorization: Bearer \$ALICE" http://127.0.0.1:8080/admin/            # 403: not in admins
  build/release/stepgate explain --config deploy/quickstart/stepgate.yaml \\
      --url https://shop.example.com/checkout/pay --method POST --claims '{"sub":"alice","acr":"1"}'

Ctrl-C stops everything.
TEXT
if [ "${STEPGATE_QUICKSTART_EXIT:-}" = "1" ]; then exit 0; fi
wait
