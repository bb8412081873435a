#!/usr/bin/env bash
# Builds and runs the Google Benchmark micro-benchmarks (bench/micro/*.cpp) pinned to one core.
#
#   bench/micro.sh [benchmark args...]     e.g. bench/micro.sh --benchmark_filter=VerifyJwt
#
# Its own build directory (build/bench), RelWithDebInfo like the release preset (-O2 -g):
# CMAKE_BUILD_TYPE=Release (-O3) stops on a GCC 12 -Wrestrict false positive in
# src/policy/url.cpp under -Werror. Needs libbenchmark-dev (scripts/install-deps.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build/bench"
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSTEPGATE_BENCH=ON -DSTEPGATE_TESTS=OFF >/dev/null
fi
ninja -C "$BUILD" -j2 stepgate_micro_bench >/dev/null
if pgrep -f 'cc1plus|ninja' >/dev/null; then
  echo "micro.sh: a compiler is running: the numbers will be noisy" >&2
fi
exec taskset -c "${BENCH_SERVER_CPU:-0}" "$BUILD/stepgate_micro_bench" "$@"
