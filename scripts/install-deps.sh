#!/usr/bin/env bash
# Installs everything Stepgate needs to build, test and run its quickstart on Debian 12:
# Debian packages with apt-get, and the JavaScript test harness with `npm ci` from the lock.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PACKAGES=(cmake ninja-build g++ ccache pkg-config
  libboost-dev libssl-dev libyaml-cpp-dev libspdlog-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev)  # clang + libFuzzer: the fuzz targets' corpus replay (fuzz/run.sh)
RUNTIME_PACKAGES=(nginx libnginx-mod-http-ndk libnginx-mod-http-set-misc haproxy curl ca-certificates chromium)
# kubectl (with its built-in kustomize) renders deploy/kubernetes in the tests; the machine image
# ships it, and its apt source provides it where missing.
command -v kubectl >/dev/null 2>&1 || RUNTIME_PACKAGES+=(kubectl)

missing=()
for package in "${BUILD_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's nginx package starts a server on port 80 at install; the tests start their own.
if command -v systemctl >/dev/null 2>&1; then systemctl stop nginx >/dev/null 2>&1 || true; fi

if ! command -v node >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
