#!/bin/bash
# Lifecycle benchmark: create + start + wait + delete of /bin/true from the
# bundled busybox rootfs, cocoon against runc and runsc (both from Debian),
# median of N runs after 5 warm-up runs, in one invocation.
#
#   bash bench/lifecycle.sh            # or: make bench
#   N=200 bash bench/lifecycle.sh
#
# Environment:
#   N=50            measured runs per runtime (>= 1; 50 or more for the report)
#   WARMUP=5        warm-up runs per runtime, not measured
#   COCOON=build/cocoon    the cocoon binary
#   COCOON_FLAGS=   extra global flags for cocoon, e.g. "--debug"
#   RUNC=/usr/sbin/runc    Debian's runc
#   RUNSC=/usr/bin/runsc   Debian's gVisor (scripts/deps.sh bench installs it)
#   RUNSC_FLAGS=--network=none   global flags for runsc (the bundle shares the
#                   host's network namespace, where runsc's own network stack
#                   refuses to start)
#   ROOTFS=build/rootfs    busybox rootfs made by scripts/mkrootfs.sh
#   TARGET=0.5      the ratio cocoon/runc we aim at (reported, not enforced)
#
# Every runtime gets the same bundle (config from `runc spec`) and its own
# --root in a temporary directory; every container is force-deleted and the
# directory removed on exit, even on failure or ^C.  See bench/README.md.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

N=${N:-50}
WARMUP=${WARMUP:-5}
COCOON=${COCOON:-build/cocoon}
RUNC=${RUNC:-/usr/sbin/runc}
ROOTFS=${ROOTFS:-build/rootfs}
TARGET=${TARGET:-0.5}

[ "$(id -u)" = 0 ] || bench_die "run as root (both runtimes are compared rootful)"
[[ $N =~ ^[0-9]+$ && $N -ge 1 ]] || bench_die "N must be a positive number"
[[ $WARMUP =~ ^[0-9]+$ ]] || bench_die "WARMUP must be a number"
[ "$N" -ge 50 ] || bench_note "N=$N: fewer than 50 runs, the median is only indicative"

# runc, runsc (and a compiler) from Debian if missing; a no-op on a warm machine.
bash scripts/deps.sh bench
[ -x "$RUNC" ] || bench_die "$RUNC not found (apt-get install runc)"
bench_need_built bin/true
RUNSC=${RUNSC:-/usr/bin/runsc}
[ -x "$RUNSC" ] || bench_die "$RUNSC not found (apt-get install runsc)"

work=$(mktemp -d /tmp/cocoon-bench.XXXXXX)
roots=()
driver_pid=""
cleanup() {
        local i
        set +e
        for i in "${roots[@]}"; do bench_cleanup_root "${i%%=*}" "${i#*=}"; done
        if [ -n "$driver_pid" ]; then bench_rmdir_cgroups "bench-runsc-$driver_pid-*"; fi
        rm -rf "$work"
}
driver=""
stop() { # SIGNAL-STATUS
        if [ -n "$driver" ]; then kill -TERM "$driver" 2>/dev/null; wait "$driver" 2>/dev/null; fi
        exit "$1"
}
trap cleanup EXIT
trap 'stop 130' INT
trap 'stop 143' TERM

bench_compile bench/lifecycle.c "$work/lifecycle"
bench_make_bundle "$work/bundle" "$ROOTFS" /bin/true

specs=()
add_runtime() { # NAME BINARY
        mkdir -p "$work/root-$1"
        roots+=("$2=$work/root-$1")
        specs+=("$1=$2=$work/root-$1")
}
add_runtime cocoon "$COCOON"
add_runtime runc "$RUNC"
add_runtime runsc "$RUNSC"

echo "lifecycle: create+start+wait+delete of /bin/true, busybox bundle (runc spec), $N runs + $WARMUP warm-up per runtime"
echo "  cocoon: $COCOON ${COCOON_FLAGS:+(flags: $COCOON_FLAGS)}"
echo "  runc:   $RUNC ($("$RUNC" --version | head -n1))"
echo "  runsc:  $RUNSC ${RUNSC_FLAGS:---network=none} ($("$RUNSC" --version | head -n1))"
layout=v1
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then layout=v2
elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then layout="hybrid (v1 + unified)"
fi
echo "  host:   $(uname -r), $(nproc) CPUs, cgroup $layout"

# The driver runs in the background so that ^C / TERM reach this script at
# once; the trap stops the driver, then cleanup() removes what it left.
mkdir "$work/pids"
BENCH_PIDDIR=$work/pids BENCH_FLAGS_cocoon=${COCOON_FLAGS:-} BENCH_FLAGS_runsc=${RUNSC_FLAGS:---network=none} BENCH_RETRY=runsc "$work/lifecycle" "$work/bundle" "$N" "$WARMUP" "${specs[@]}" >"$work/out" &
driver=$! driver_pid=$!
wait "$driver" || bench_die "lifecycle run failed (see above)"
driver=""
out=$(cat "$work/out")
grep -v '^result ' <<<"$out"
echo "  (times in ms, medians per column; createRSS = peak RSS of the \`create\` process from wait4,"
echo "   initRSS = RSS of the created container process before start, createCPU = user+sys of \`create\`)"

field() { # NAME KEY
        awk -v n="$1" -v k="$2" '$1 == "result" && $2 == "name=" n {
                for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' <<<"$out"
}
c_med=$(field cocoon median_ms); r_med=$(field runc median_ms)
c_rss=$(field cocoon create_rss_kb); r_rss=$(field runc create_rss_kb)
awk -v c="$c_med" -v r="$r_med" -v t="$TARGET" 'BEGIN {
        ratio = c / r
        printf "lifecycle median: cocoon %.1f ms, runc %.1f ms, ratio %.2fx (target <= %sx)%s\n",
               c, r, ratio, t, ratio <= t ? "" : "  -- target missed"
}'
awk -v c="$c_rss" -v r="$r_rss" 'BEGIN {
        printf "create peak RSS: cocoon %.1f MiB, runc %.1f MiB, ratio %.2fx\n", c / 1024, r / 1024, c / r
}'
awk -v c="$c_med" -v s="$(field runsc median_ms)" 'BEGIN {
        printf "lifecycle median vs runsc: cocoon %.1f ms, runsc %.1f ms, ratio %.2fx\n", c, s, c / s }'
f=$(field runsc failed)
if [ -n "$f" ] && [ "$f" != 0 ]; then
        echo "note: $f runsc runs failed and were done again (runsc's own error above, e.g. \"context deadline exceeded\" from its delete under load)"
fi
for name in cocoon runc runsc; do
        u=$(field "$name" unreaped)
        if [ -n "$u" ] && [ "$u" != 0 ]; then
                echo "note: $u of $name's container processes were not re-parented to the driver (exit seen by pidfd, status not checked)"
        fi
done
