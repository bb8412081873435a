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

export STEPGATE_CLIENT_SECRET=quickstart-client-secret
node demo/oidc-idp.mjs --port 9000 --client-secret "$STEPGATE_CLIENT_SECRET" \
  --redirect-uri http://127.0.0.1:8080/stepgate/callback \
  --post-logout-redirect-uri http://127.0.0.1:8080/ >"$run/idp.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:9000/.well-known/openid-configuration 200

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
  demo provider  http://127.0.0.1:9000   users: alice / alice-password (staff)
                                                bob / bob-password (staff, admins); MFA code 123456
  stepgate       http://127.0.0.1:4180   (/auth, /healthz, /readyz, /metrics)
  ingress        http://127.0.0.1:8080   nginx: auth-url -> stepgate, auth-signin -> /stepgate/start

In a browser, watch step-up happen:
  1. http://127.0.0.1:8080/home                 sign in as bob (password only): level basic
  2. http://127.0.0.1:8080/settings/security/   needs MFA within 2 minutes: only the code is asked
  3. wait 2 minutes, reload step 2             asked to authenticate again (max_age)
  4. http://127.0.0.1:8080/stepgate/whoami      the session as JSON
  5. http://127.0.0.1:8080/stepgate/logout      signed out (at the provider too)

With curl, the API Ingress (/api/, no auth-signin) answers RFC 9470 challenges:
  curl -i http://127.0.0.1:8080/api/orders                                      # 401
  ALICE=\$(curl -s 'http://127.0.0.1:9000/mint?user=alice')
  curl -i -H "Authorization: Bearer \$ALICE" http://127.0.0.1:8080/api/orders      # 200, level basic
  curl -i -X POST -H "Authorization: Bearer \$ALICE" http://127.0.0.1:8080/api/payments/charge
      # 401 WWW-Authenticate: Bearer error="insufficient_user_authentication", acr_values=..., max_age=300
  BOB=\$(curl -s 'http://127.0.0.1:9000/mint?user=bob&level=mfa')
  curl -i -X POST -H "Authorization: Bearer \$BOB" http://127.0.0.1:8080/api/payments/charge   # 200, level mfa
  curl -i -H "Authorization: Bearer \$ALICE" http://127.0.0.1:8080/api/admin/users           # 403

Ctrl-C stops everything.
TEXT
if [ "${STEPGATE_QUICKSTART_EXIT:-}" = "1" ]; then exit 0; fi
wait
