#!/bin/bash
# Run one libFuzzer harness: replay its committed corpus and regressions,
# then fuzz for a bounded time.  Exit status 0 only when nothing crashed;
# otherwise the crashing input is printed (hex) along with the report.
#
#   tests/fuzz/run.sh HARNESS SECONDS [BUILD_DIR] [WORK_DIR]
#
# FUZZ_JOBS=N (default 1) fuzzes with N processes at once (libFuzzer's
# -fork=N): N times the inputs in the same SECONDS; the first crash still
# ends the run with a non-zero status and an artifact.
#
# New inputs libFuzzer finds go to WORK_DIR/corpus (a scratch directory),
# never into the committed corpus; run `HARNESS -merge=1 tests/fuzz/corpus/H
# WORK/corpus` by hand to keep the interesting ones.
set -u
h=$1 secs=$2 build=${3:-build/fuzz}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$build/$h
[ -x "$bin" ] || { echo "$bin: not built (make fuzz-build)" >&2; exit 2; }
work=${4:-$build/work/$h}
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
work=$(cd "$work" && pwd)
corpus=$src/tests/fuzz/corpus/$h
regressions=$src/tests/fuzz/regressions/$h
dict=$src/tests/fuzz/$h.dict
opts=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" -print_final_stats=1)
[ -f "$dict" ] && opts+=(-dict="$dict")
# Reports on stderr, where this script shows them (a log_path set by the
# test runner would hide them from the failing test's output).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The path harness makes its temporary root here.
export TMPDIR=$work

show_crash() {
        local log=$1 f
        grep -E 'ERROR: |runtime error|invariant failed|SUMMARY' "$log" | head -n 20
        tail -n 40 "$log"
        local inputs=("$work"/artifacts/*)
        # Replaying files writes no artifact: the input is the last one run.
        [ -f "${inputs[0]}" ] || inputs=("$(sed -n 's/^Running: //p' "$log" | tail -n 1)")
        for f in "${inputs[@]}"; do
                [ -f "$f" ] || continue
                echo "--- crashing input $f ($(stat -c %s "$f") bytes):"
                od -A d -c "$f" | head -n 40
        done
}

# 1. Every committed input, once: a fixed bug must stay fixed.
files=()
for d in "$corpus" "$regressions"; do
        [ -d "$d" ] || continue
        while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$d" -type f -print0 | sort -z)
done
if [ ${#files[@]} -gt 0 ]; then
        if ! "$bin" "${opts[@]}" "${files[@]}" >"$work/replay.log" 2>&1; then
                echo "$h: a committed input fails:"
                show_crash "$work/replay.log"
                exit 1
        fi
        echo "$h: replayed ${#files[@]} committed inputs"
fi

# 2. Fuzz from the corpus.
dirs=("$work/corpus")
[ -d "$corpus" ] && dirs+=("$corpus")
jobs=()
[ "${FUZZ_JOBS:-1}" -gt 1 ] && jobs=(-fork="$FUZZ_JOBS")
if ! "$bin" "${opts[@]}" "${jobs[@]}" -max_total_time="$secs" "${dirs[@]}" >"$work/fuzz.log" 2>&1; then
        echo "$h: crashed while fuzzing:"
        show_crash "$work/fuzz.log"
        exit 1
fi
# (fork mode prints no stat:: lines of its jobs: its last progress line
# has the total of executed inputs)
{
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$work/fuzz.log"
        [ ${#jobs[@]} = 0 ] || grep -E '^#[0-9]+: cov:' "$work/fuzz.log" | tail -n 1
} | sed "s/^/$h: /"
exit 0
