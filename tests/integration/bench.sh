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
        grep -qE '^op +native +runc +runc-filter +runc-docker +cocoon-none +cocoon-sentry +runsc +sentry/runc +sentry/filter +sentry/docker +sentry/runsc +none/runc$' <<<"$out" ||
                fail "no table header in: $out"
        local op row
        for op in getppid open+close stat pread-4k mmap+munmap-64k fork+wait fork+exec pipe-pingpong; do
                # (the first table; the floors table below repeats the path ops)
                row=$(awk -v op="$op" '$1 == op { print; exit }' <<<"$out")
                [ -n "$row" ] || fail "no row for $op in: $out"
                # every runtime ran (runsc comes from Debian, as runc): numbers > 0
                awk '{ for (i = 2; i <= 8; i++) if (!($i ~ /^[0-9]+(\.[0-9]+)?$/ && $i + 0 > 0)) exit 1 }' <<<"$row" ||
                        fail "row for $op has a column that is not a number > 0: [$row]"
                # then five ratios
                awk '{ for (i = 9; i <= 13; i++) if ($i !~ /^[0-9]+\.[0-9]+x$/) exit 1 }' <<<"$row" ||
                        fail "row for $op: a ratio column is not a ratio: [$row]"
        done
        # the floors of the mechanism: numbers for the ops the Sentry handles, three ratios
        for op in open+close stat fork+exec; do
                row=$(awk -v op="$op" '/^floors of a seccomp-notify Sentry/ { f = 1 } f && $1 == op' <<<"$out")
                [ -n "$row" ] || fail "no floors row for $op in: $out"
                awk '{ for (i = 2; i <= 5; i++) if (!($i ~ /^[0-9]+(\.[0-9]+)?$/ && $i + 0 > 0)) exit 1
                       for (i = 6; i <= 8; i++) if ($i !~ /^[0-9]+\.[0-9]+x$/) exit 1 }' <<<"$row" ||
                        fail "floors row for $op: [$row]"
        done
        assert_match "$out" $'(^|\n)target notify-answer/runsc <= 0\\.5x on open\\+close stat: open\\+close [0-9.]+x' "the floor's target line"
        assert_match "$out" $'(^|\n)target sentry/runsc <= 0\\.5x on open\\+close stat: open\\+close [0-9.]+x' "the runsc target line"
        assert_match "$out" $'(^|\n)target runc-filter/runc <= 1\\.1x on getppid' "the seccomp floor line"
}
