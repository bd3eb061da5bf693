#!/bin/bash
# Load: CONC concurrent create + start + wait + delete cycles of /bin/true,
# ROUNDS rounds, per runtime (cocoon --sandbox none, cocoon --sandbox sentry,
# runc; cocoon --sandbox vm when asked for), on the busybox bundle of
# bench/lifecycle.sh.  Counts errors, times
# every round and every cycle, and checks that nothing is left behind.
#
#   bash bench/load.sh                  # 50 x 10 per runtime
#   CONC=20 ROUNDS=3 bash bench/load.sh
#
# Environment:
#   CONC=50         cycles run at once in a round
#   ROUNDS=10       rounds per runtime (runtimes alternate round by round)
#   RUNTIMES="none sentry runc"   which to run (none/sentry/vm: cocoon's
#                   sandboxes; vm boots a VM per cycle: under TCG ~5 s of CPU each)
#   COCOON=build/cocoon  RUNC=/usr/sbin/runc  ROOTFS=build/rootfs
#   CYCLE_TIMEOUT=120    seconds one step of a cycle may take before it counts as
#                   an error (600 for vm: the monitor itself gives a boot 180 s)
#   BENCH_ID_PREFIX=load container ids (the test suite puts its token in it)
# Exit status: 0 when every cycle succeeded and nothing was left behind.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

CONC=${CONC:-50}
ROUNDS=${ROUNDS:-10}
RUNTIMES=${RUNTIMES:-none sentry runc}
COCOON=${COCOON:-build/cocoon}
RUNC=${RUNC:-/usr/sbin/runc}
ROOTFS=${ROOTFS:-build/rootfs}
case " $RUNTIMES " in
*" vm "*) CYCLE_TIMEOUT=${CYCLE_TIMEOUT:-600} ;;
*) CYCLE_TIMEOUT=${CYCLE_TIMEOUT:-120} ;;
esac
PREFIX=${BENCH_ID_PREFIX:-load}

[ "$(id -u)" = 0 ] || bench_die "run as root"
[[ $CONC =~ ^[0-9]+$ && $CONC -ge 1 ]] || bench_die "CONC must be a positive number"
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 ]] || bench_die "ROUNDS must be a positive number"
bench_multi_setup load bin/true

bench_make_bundle "$work/bundle" "$ROOTFS" /bin/true

# rt_cmd NAME: the command line of a runtime (global flags included).
rt_cmd() {
        case $1 in
        runc) echo "$RUNC --root $work/root-runc" ;;
        none | sentry | vm) echo "$COCOON --root $work/root-$1 --sandbox $1" ;;
        *) bench_die "unknown runtime $1 (none, sentry, vm or runc)" ;;
        esac
}
for rt in $RUNTIMES; do
        [ "$rt" != runc ] || [ -x "$RUNC" ] || bench_die "$RUNC not found (apt-get install runc)"
        rt_cmd "$rt" >/dev/null
        mkdir -p "$work/root-$rt" "$work/log-$rt"
done

# dead PID: the process is gone or a zombie (create exits, so the container's
# process is re-parented and reaped elsewhere; /proc is polled, not `state`).
dead() {
        local s
        s=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 0
        [ -z "$s" ] || [ "$s" = Z ] || [ "$s" = X ]
}

# cycle RUNTIME ID LOG: create, start, wait for /bin/true to exit, delete.
# Prints the cycle's duration in µs; a failure prints "error STEP" and the
# command's output goes to LOG.
cycle() {
        local rt=$1 id=$2 log=$3 cmd t0 t1 pid i
        read -ra cmd <<<"$(rt_cmd "$rt")"
        t0=$(date +%s%N)
        if ! timeout "$CYCLE_TIMEOUT" "${cmd[@]}" create --bundle "$work/bundle" --pid-file "$log.pid" "$id" >"$log" 2>&1; then
                echo "error create"
                return
        fi
        pid=$(cat "$log.pid")
        if ! timeout "$CYCLE_TIMEOUT" "${cmd[@]}" start "$id" >>"$log" 2>&1; then
                echo "error start"
                return
        fi
        for ((i = 0; i < CYCLE_TIMEOUT * 100; i++)); do
                dead "$pid" && break
                sleep 0.01
        done
        if ! dead "$pid"; then
                echo "error wait"
                return
        fi
        if ! timeout "$CYCLE_TIMEOUT" "${cmd[@]}" delete "$id" >>"$log" 2>&1; then
                echo "error delete"
                return
        fi
        t1=$(date +%s%N)
        echo "ok $(((t1 - t0) / 1000))"
}

# round RUNTIME N: CONC cycles at once; appends "RUNTIME round-µs" to
# $work/rounds and every cycle's result to $work/cycles-RUNTIME.
round() {
        local rt=$1 n=$2 j t0 t1 pids=()
        t0=$(date +%s%N)
        for ((j = 0; j < CONC; j++)); do
                cycle "$rt" "$PREFIX-$rt-$n-$j" "$work/log-$rt/$n-$j" >"$work/log-$rt/$n-$j.res" &
                pids+=($!)
        done
        wait "${pids[@]}" || true
        t1=$(date +%s%N)
        echo "$rt $(((t1 - t0) / 1000))" >>"$work/rounds"
        for ((j = 0; j < CONC; j++)); do
                local res
                res=$(cat "$work/log-$rt/$n-$j.res")
                [ -n "$res" ] || res="error killed"
                echo "$res" >>"$work/cycles-$rt"
                if [[ $res == error* ]]; then
                        echo "  $rt round $n cycle $j: $res: $(head -c 300 "$work/log-$rt/$n-$j" | tr '\n' ' ')" >>"$work/errors"
                fi
        done
}

echo "load: $CONC concurrent create+start+wait+delete of /bin/true x $ROUNDS rounds per runtime"
echo "  cocoon: $COCOON"
echo "  runc:   $RUNC ($("$RUNC" --version 2>/dev/null | head -n1))"
echo "  host:   $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: times are noisy)"
mounts0=$(wc -l </proc/self/mountinfo)
read -ra rts <<<"$RUNTIMES"
for ((n = 0; n < ROUNDS; n++)); do
        # rotate the order every round, so no runtime always runs first
        for ((k = 0; k < ${#rts[@]}; k++)); do
                round "${rts[$(((n + k) % ${#rts[@]}))]}" "$n"
        done
done

# What is left: containers, processes, cgroups, mounts.
left=0
for rt in $RUNTIMES; do
        read -ra cmd <<<"$(rt_cmd "$rt")"
        l=$("${cmd[@]}" list -q 2>/dev/null | wc -l)
        [ "$l" = 0 ] || { echo "leftover: $l containers of $rt"; left=1; }
done
p=$(pgrep -f -- "$PREFIX-(none|sentry|vm|runc)-" | wc -l || true)
[ "$p" = 0 ] || { echo "leftover: $p processes"; left=1; }
c=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$PREFIX-*" 2>/dev/null | wc -l)
[ "$c" = 0 ] || { echo "leftover: $c cgroup directories"; left=1; }
m=$(wc -l </proc/self/mountinfo)
[ "$m" = "$mounts0" ] || { echo "leftover: mount count $mounts0 -> $m"; left=1; }

printf '%-8s %7s %7s %9s %9s %9s %11s %11s %11s\n' runtime cycles errors total_s round_med round_max cycle_med cycle_p90 cycle_max
errors=0
for rt in $RUNTIMES; do
        awk -v rt="$rt" -v f="$work/cycles-$rt" '
        function sorted_pick(a, n, q,   i, j, t) {   # nearest rank
                for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                i = int(q * n + 0.999999); if (i < 1) i = 1; return a[i]
        }
        $1 == rt { r[++nr] = $2; tot += $2 }
        END {
                while ((getline line < f) > 0) {
                        split(line, x, " ")
                        if (x[1] == "ok") c[++nc] = x[2]; else ne++
                }
                printf "%-8s %7d %7d %9.1f %8.2fs %8.2fs %9.0fms %9.0fms %9.0fms\n", rt, nc + ne, ne, tot / 1e6,
                       sorted_pick(r, nr, 0.5) / 1e6, sorted_pick(r, nr, 1) / 1e6,
                       nc ? sorted_pick(c, nc, 0.5) / 1e3 : 0, nc ? sorted_pick(c, nc, 0.9) / 1e3 : 0,
                       nc ? sorted_pick(c, nc, 1) / 1e3 : 0
        }' "$work/rounds"
        e=$(grep -vc '^ok' "$work/cycles-$rt" || true)
        errors=$((errors + e))
done
echo "  (total_s = sum of the round times; a round ends when its last cycle does;"
echo "   cycle = create+start+wait+delete of one container while $((CONC - 1)) others run theirs)"
if [ -s "$work/errors" ]; then
        echo "errors:"
        head -n 40 "$work/errors"
fi
[ "$left" = 0 ] && echo "left behind: nothing (containers, processes, cgroups, mounts)"
[ "$errors" = 0 ] && [ "$left" = 0 ]
