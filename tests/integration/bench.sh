# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# The benchmarks still run: bench/syscalls.sh in its quick mode (a sanity
# check of the harness, not a measurement).

test_bench_syscalls_quick() {
        have_cmd gcc || skip "gcc not installed"
        [ -x "$RUNC" ] || skip "runc not installed"
        # The container ids carry the token and the work directory is under
        # $T, so the runner's leak checks cover what the benchmark starts.
        capture env QUICK=1 COCOON="$COCOON" ROOTFS="$ROOTFS" RUNC="$RUNC" TMPDIR="$T" \
                BENCH_ID_PREFIX="bench-$TOKEN" bash "$TESTS_DIR/../bench/syscalls.sh"
        [ "$rc" = 0 ] || fail "bench/syscalls.sh failed (rc=$rc)
--- stdout:
$out
--- stderr:
$err"
        grep -qE '^op +native +runc +runc-docker +cocoon-none +cocoon-sentry +runsc +sentry/runc +sentry/docker +sentry/runsc' <<<"$out" ||
                fail "no table header in: $out"
        local op row
        for op in getppid open+close stat pread-4k mmap+munmap-64k fork+wait fork+exec pipe-pingpong; do
                row=$(awk -v op="$op" '$1 == op' <<<"$out")
                [ -n "$row" ] || fail "no row for $op in: $out"
                # native, runc, runc-docker and cocoon-none always run: numbers > 0
                awk '{ for (i = 2; i <= 5; i++) if (!($i ~ /^[0-9]+(\.[0-9]+)?$/ && $i + 0 > 0)) exit 1 }' <<<"$row" ||
                        fail "row for $op has a column that is not a number > 0: [$row]"
                # cocoon-sentry and runsc: a number > 0, or skipped (with the reason below the table)
                awk '{ for (i = 6; i <= 7; i++) if (!($i == "skip" || ($i ~ /^[0-9]+(\.[0-9]+)?$/ && $i + 0 > 0))) exit 1 }' <<<"$row" ||
                        fail "row for $op: cocoon-sentry/runsc neither a number > 0 nor skip: [$row]"
                # none/runc is a ratio
                assert_match "$(awk '{ print $NF }' <<<"$row")" '^[0-9]+\.[0-9]+x$' "none/runc ratio of $op"
        done
        if [ "$(awk '$1 == "getppid" { print $6 }' <<<"$out")" = skip ]; then
                assert_match "$out" $'(^|\n)cocoon-sentry: skipped \\(' "reason the sentry column is skipped"
        fi
        if [ "$(awk '$1 == "getppid" { print $7 }' <<<"$out")" = skip ]; then
                assert_match "$out" $'(^|\n)runsc: ' "reason the runsc column is skipped"
        fi
}
