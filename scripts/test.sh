#!/usr/bin/env bash
# THE test command: installs what is missing, builds, and runs every test: unit tests under
# ctest, the integration suite with real nginx and a real JWKS provider, then both again on an
# AddressSanitizer + UndefinedBehaviorSanitizer build, and the concurrent parts under
# ThreadSanitizer, every fuzz corpus input once (clang, libFuzzer), and a seconds-long bench
# smoke so that the benchmark keeps working. Prints a closing summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh

passed=0
failed=0
count_ctest() {  # reads ctest's "N tests failed out of M" / "100% tests passed, 0 tests failed out of M"
  local log="$1" total bad
  total=$(grep -Eo 'out of [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  bad=$(grep -Eo '[0-9]+ tests failed' "$log" | tail -1 | grep -Eo '^[0-9]+' || echo 0)
  passed=$((passed + total - bad)); failed=$((failed + bad))
}
count_node() {  # reads node --test's "# pass N" / "# fail N"
  local log="$1" p f
  p=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  f=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  passed=$((passed + p)); failed=$((failed + f))
}

status=0
for preset in release asan; do
  echo "== build ($preset)"
  scripts/build.sh "$preset"
  echo "== unit tests ($preset)"
  log=$(mktemp)
  if ! ctest --preset "$preset" -j2 2>&1 | tee "$log" | grep -E 'tests passed|tests failed|Failed|\*\*\*' ; then :; fi
  grep -q '100% tests passed' "$log" || status=1
  count_ctest "$log"
  for suite in integration security; do
    echo "== $suite suite ($preset)"
    log=$(mktemp)
    if ! STEPGATE_BIN="$root/build/$preset/stepgate" \
         ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
         npm run --silent "test:$suite" >"$log" 2>&1; then
      status=1
      grep -E '^not ok|^# (pass|fail)' "$log" || true
      tail -n 60 "$log"
    fi
    grep -E '^# (tests|pass|fail)' "$log" || true
    count_node "$log"
  done
done

echo "== build (tsan): the concurrent parts under ThreadSanitizer"
scripts/build.sh tsan
log=$(mktemp)
ctest --preset tsan 2>&1 | tee "$log" | grep -E 'tests passed|tests failed|Failed|\*\*\*' || true
grep -q '100% tests passed' "$log" || status=1
count_ctest "$log"

echo "== fuzz corpus replay (clang, libFuzzer, ASan + UBSan): every committed input once"
log=$(mktemp)
fuzz/run.sh --replay 2>&1 | tee "$log" || status=1
echo "== brief fuzzing: each target ${FUZZ_SECONDS:-10} s from its corpus"
fuzz/run.sh "${FUZZ_SECONDS:-10}" 2>&1 | tee -a "$log" || status=1
# One line per target: "<target> ok ..." or "<target> CRASH ..."; a build failure counts as one.
fuzz_ok=$(grep -cE '^[a-z_0-9]+ +ok ' "$log" || true)
fuzz_bad=$(grep -cE '^[a-z_0-9]+ +CRASH ' "$log" || true)
if [ "$fuzz_ok" -eq 0 ] && [ "$fuzz_bad" -eq 0 ]; then fuzz_bad=1; status=1; fi
passed=$((passed + fuzz_ok)); failed=$((failed + fuzz_bad))

echo "== bench smoke (bench/run.sh --smoke): every scenario runs and answers as expected"
log=$(mktemp)
if bench/run.sh --smoke >"$log" 2>&1; then
  passed=$((passed + 1))
  sed -n '/^| scenario/,/^$/p' "$log" | head -30
else
  failed=$((failed + 1)); status=1
  tail -n 40 "$log"
fi

echo
echo "summary: ${passed} passed, ${failed} failed"
exit $status
