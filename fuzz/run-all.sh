#!/usr/bin/env bash
# fuzz/run-all.sh SECONDS: builds every fuzz target once, then runs each for SECONDS (one after
# the other), printing how many inputs each executed. Exits non-zero when any target found a
# crash, a timeout (an input taking more than 10 s) or an out-of-memory (above 2 GB); the input
# is then in fuzz/artifacts/<target>/. See docs/fuzzing.md.
#
# Environment:
#   FUZZ_TARGETS   space-separated targets to run (default: all of `cargo fuzz list`)
#   FUZZ_ARGS      extra libFuzzer options, e.g. "-fork=1 -ignore_crashes=1" to keep going
#   FUZZ_LOG_DIR   where each target's log goes (default: fuzz/artifacts/logs)
#   CARGO_TARGET_DIR is honoured (the build is large; keep it between runs).
set -euo pipefail
seconds="${1:?usage: fuzz/run-all.sh SECONDS}"
fuzz="$(cd "$(dirname "$0")" && pwd)"
cd "$fuzz"

# Debug assertions (and overflow checks) on: an arithmetic overflow is a finding. No sanitizer:
# the code under test is safe Rust, and AddressSanitizer halves the speed.
flags=(--sanitizer none --debug-assertions)
logs="${FUZZ_LOG_DIR:-$fuzz/artifacts/logs}"
mkdir -p "$logs"

targets="${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}"
cargo +nightly fuzz build "${flags[@]}"

if [ ! -d "$fuzz/corpus" ]; then
    "$fuzz/seed-corpora.sh" >/dev/null
fi

failed=()
printf '%-22s %12s %9s  %s\n' target executions exec/s result
for t in $targets; do
    mkdir -p "$fuzz/corpus/$t" "$fuzz/artifacts/$t"
    log="$logs/$t.log"
    # With -ignore_crashes (and the like) libFuzzer exits 0: count the inputs it saved instead.
    found_before="$(find "$fuzz/artifacts/$t" -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' | wc -l)"
    status=0
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
    cargo +nightly fuzz run "${flags[@]}" "$t" "$fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    [ -n "$runs" ] || runs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)"
    # With -fork, the parent prints no final stats: its last status line has the totals.
    [ -n "$runs" ] || runs="$(sed -n 's/^#\([0-9]*\):\{0,1\}[[:space:]].*/\1/p' "$log" | tail -n 1)"
    runs="${runs:-0}"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
    [ -n "$rate" ] || rate="$(sed -n 's/.*exec\/s: \([0-9]*\).*/\1/p' "$log" | tail -n 1)"
    rate="${rate:-?}"
    found="$(($(find "$fuzz/artifacts/$t" -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' | wc -l) - found_before))"
    if [ "$status" -eq 0 ] && [ "$found" -le 0 ]; then
        result=ok
    elif [ "$status" -eq 0 ]; then
        result="FAILED: $found new input(s) in fuzz/artifacts/$t/"
        failed+=("$t")
    else
        result="FAILED (exit $status): $(grep -m1 -E '^(==[0-9]+== ERROR|thread .* panicked|ALARM|.*out-of-memory)' "$log" || echo "see $log")"
        failed+=("$t")
    fi
    printf '%-22s %12s %9s  %s\n' "$t" "$runs" "$rate" "$result"
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzzing found problems in: ${failed[*]} (inputs in fuzz/artifacts/<target>/, logs in $logs)" >&2
    exit 1
fi
