#!/usr/bin/env bash
# Builds and runs Stepgate's libFuzzer targets (clang, ASan + UBSan). See fuzz/README.md.
#
#   fuzz/run.sh --replay [TARGET...]          every corpus file once through its target (CI)
#   fuzz/run.sh [--merge] SECONDS [TARGET...] fuzz each target for SECONDS, one after another
#   fuzz/run.sh --minimize [TARGET...]        shrink fuzz/corpus/<target> (<= 300 files, same edges)
#   fuzz/run.sh --crashes [TARGET...]         reproduce fuzz/crashes/<target>/* (open bugs)
#   fuzz/run.sh --mint                        rewrite the seeds that need the fixed keys/secret
#   fuzz/run.sh --build                       only build
#
# --merge adds what a run found to fuzz/corpus/<target>, then minimizes it. Without TARGET:
# every target. Exit status: 0 when nothing crashed, 1 when a target crashed
# (or a property was violated), 2 on bad usage or a build failure.
#
# Environment: BUILD_DIR (default build/fuzz), JOBS (default 2), CC/CXX (default clang,
# clang++). STEPGATE_FUZZ_KNOWN=id,... lets a fuzzing session step over reported property
# violations (fuzz/common/known.h); --replay and --crashes always ignore it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build/fuzz}"
JOBS="${JOBS:-2}"
CORPUS="$ROOT/fuzz/corpus"
CRASHES="$ROOT/fuzz/crashes"
ALL_TARGETS=(jwt_verify jwks_parse base64url session_cookie flow_state url_policy pins redirect
             forwarded_headers config handler discovery)
LIBFUZZER_FLAGS=(-timeout=5 -rss_limit_mb=2048)
# Fail on any sanitizer report; symbolized stacks for the report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

usage() {
    sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
}

build() {
    if [[ ! -f "$BUILD_DIR/build.ninja" ]] || ! grep -q '^STEPGATE_FUZZ:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
        CC="${CC:-clang}" CXX="${CXX:-clang++}" cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
            -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTEPGATE_FUZZ=ON -DSTEPGATE_TESTS=OFF \
            -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
            >/dev/null || { echo "fuzz/run.sh: cmake configure failed" >&2; exit 2; }
    fi
    cmake --build "$BUILD_DIR" --target stepgate_fuzz -j "$JOBS" >"$BUILD_DIR/fuzz-build.log" 2>&1 || {
        tail -40 "$BUILD_DIR/fuzz-build.log" >&2
        echo "fuzz/run.sh: build failed (full log: $BUILD_DIR/fuzz-build.log)" >&2
        exit 2
    }
}

binary() { echo "$BUILD_DIR/fuzz/$1"; }

check_targets() {
    local t known
    for t in "$@"; do
        known=0
        for k in "${ALL_TARGETS[@]}"; do [[ "$k" == "$t" ]] && known=1; done
        [[ $known == 1 ]] || { echo "fuzz/run.sh: unknown target '$t' (${ALL_TARGETS[*]})" >&2; exit 2; }
    done
}

# One line per target: what libFuzzer reported at the end.
summary_line() {  # TARGET LOG SECONDS_TAKEN STATUS
    local stats execs cov
    stats="$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$2" | tail -1 || true)"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$2" | tail -1)"
    cov="$(echo "$stats" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' || true)"
    printf '%-18s %-6s %4ss  execs: %-10s %s\n' "$1" "$4" "$3" "${execs:-?}" "$cov"
}

replay() {
    local failed=0 t dir log start
    mkdir -p "$BUILD_DIR/logs"
    for t in "$@"; do
        dir="$CORPUS/$t"
        [[ -d "$dir" ]] || { echo "fuzz/run.sh: no corpus for $t" >&2; failed=1; continue; }
        log="$BUILD_DIR/logs/replay-$t.log"
        start=$SECONDS
        if env -u STEPGATE_FUZZ_KNOWN "$(binary "$t")" "${LIBFUZZER_FLAGS[@]}" -runs=0 \
            -print_final_stats=1 "$dir" >"$log" 2>&1; then
            summary_line "$t" "$log" $((SECONDS - start)) ok
        else
            summary_line "$t" "$log" $((SECONDS - start)) CRASH
            grep -E 'VIOLATION|ERROR:|runtime error|terminate called|what\(\)|Test unit written|^ +#[0-9]+ 0x.* in (stepgate|LLVMFuzzerTestOneInput)' "$log" | head -20 >&2 || true
            failed=1
        fi
    done
    return $failed
}

crashes() {
    local failed=0 t f log
    mkdir -p "$BUILD_DIR/logs"
    for t in "$@"; do
        [[ -d "$CRASHES/$t" ]] || continue
        for f in "$CRASHES/$t"/*; do
            [[ -f "$f" ]] || continue
            log="$BUILD_DIR/logs/crash-$t-$(basename "$f").log"
            if env -u STEPGATE_FUZZ_KNOWN "$(binary "$t")" "${LIBFUZZER_FLAGS[@]}" "$f" >"$log" 2>&1; then
                echo "fixed     $t/$(basename "$f")  (move it into fuzz/corpus/$t/)"
            else
                echo "CRASHES   $t/$(basename "$f")  ($log)"
                grep -E 'VIOLATION|runtime error|what\(\)' "$log" | head -2 | sed 's/^/          /'
                failed=1
            fi
        done
    done
    return $failed
}

minimize() {  # TARGET
    python3 "$ROOT/fuzz/tools/minimize_corpus.py" --jobs "$JOBS" "$(binary "$1")" "$CORPUS/$1"
}

fuzz() {  # SECONDS MERGE TARGET...
    local seconds="$1" merge="$2" failed=0 t work log start
    shift 2
    mkdir -p "$BUILD_DIR/logs"
    for t in "$@"; do
        work="$BUILD_DIR/work/$t"
        mkdir -p "$work" "$BUILD_DIR/artifacts/$t" "$CORPUS/$t"
        log="$BUILD_DIR/logs/fuzz-$t.log"
        start=$SECONDS
        # New inputs go to the work directory; the committed corpus is only read.
        if "$(binary "$t")" "${LIBFUZZER_FLAGS[@]}" -max_total_time="$seconds" \
            -print_final_stats=1 -artifact_prefix="$BUILD_DIR/artifacts/$t/" \
            "$work" "$CORPUS/$t" >"$log" 2>&1; then
            summary_line "$t" "$log" $((SECONDS - start)) ok
        else
            summary_line "$t" "$log" $((SECONDS - start)) CRASH
            grep -E 'VIOLATION|ERROR:|runtime error|what\(\)|Test unit written' "$log" | head -10 >&2 || true
            failed=1
        fi
        if [[ "$merge" == 1 ]]; then
            # Only inputs that add coverage enter the committed corpus.
            "$(binary "$t")" "${LIBFUZZER_FLAGS[@]}" -merge=1 "$CORPUS/$t" "$work" \
                >"$BUILD_DIR/logs/merge-$t.log" 2>&1 || {
                echo "fuzz/run.sh: merge into fuzz/corpus/$t failed ($BUILD_DIR/logs/merge-$t.log)" >&2
                failed=1
            }
            minimize "$t" || failed=1
        fi
    done
    return $failed
}

[[ $# -ge 1 ]] || usage
case "$1" in
    -h | --help) usage ;;
    --build)
        build
        ;;
    --mint)
        build
        "$BUILD_DIR/fuzz/stepgate_fuzz_mint_seeds" "$CORPUS"
        echo "minted seeds into $CORPUS"
        ;;
    --replay)
        shift
        targets=("$@")
        [[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
        check_targets "${targets[@]}"
        build
        replay "${targets[@]}" || exit 1
        ;;
    --minimize)
        shift
        targets=("$@")
        [[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
        check_targets "${targets[@]}"
        build
        for t in "${targets[@]}"; do minimize "$t" || exit 1; done
        ;;
    --crashes)
        shift
        targets=("$@")
        [[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
        check_targets "${targets[@]}"
        build
        crashes "${targets[@]}" || exit 1
        ;;
    *)
        merge=0
        if [[ "$1" == "--merge" ]]; then
            merge=1
            shift
        fi
        [[ $# -ge 1 && "$1" =~ ^[0-9]+$ ]] || usage
        seconds="$1"
        shift
        targets=("$@")
        [[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
        check_targets "${targets[@]}"
        build
        fuzz "$seconds" "$merge" "${targets[@]}" || exit 1
        ;;
esac
