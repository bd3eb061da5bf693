#!/bin/bash
# Idle density: N idle containers (`sleep`) at once per runtime, and the
# memory each costs: the PSS (proportional set size, /proc/PID/smaps_rollup)
# of the runtime's own processes per container -- for cocoon --sandbox sentry
# the supervisor (which runs the Sentry) and the Gofer, not the workload --
# and of the workload; for runsc its sandbox (the Sentry) and Gofer, the
# workload being the ptrace platform's stub processes that hold its memory.
# PSS does not depend on the machine's load, unlike the times of the other
# benchmarks.
#
#   bash bench/idle.sh                    # 100 each of sentry, none, runc, runsc
#   N=20 RUNTIMES=sentry bash bench/idle.sh
#   DETAIL=1 bash bench/idle.sh           # + where one sandbox's PSS goes
#
# Environment:
#   N=100           containers per runtime, all running at once
#   RUNTIMES="sentry none runc runsc"
#   PAR=10          creates run at once while the N are started
#   SETTLE=3        seconds to wait once all N run, before measuring
#   DETAIL=         print the PSS of one sentry container's processes by mapping
#   COCOON=build/cocoon  RUNC=/usr/sbin/runc  RUNSC=/usr/bin/runsc  ROOTFS=build/rootfs
#   BENCH_ID_PREFIX=idle-PID
# Every container is deleted and the temporary directory removed on exit.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

N=${N:-100}
RUNTIMES=${RUNTIMES:-sentry none runc runsc}
PAR=${PAR:-10}
SETTLE=${SETTLE:-3}
COCOON=${COCOON:-build/cocoon}
RUNC=${RUNC:-/usr/sbin/runc}
RUNSC=${RUNSC:-/usr/bin/runsc}
ROOTFS=${ROOTFS:-build/rootfs}
PREFIX=${BENCH_ID_PREFIX:-idle-$$}

[ "$(id -u)" = 0 ] || bench_die "run as root"
[[ $N =~ ^[0-9]+$ && $N -ge 1 ]] || bench_die "N must be a positive number"
bench_multi_setup idle bin/sleep
if [[ " $RUNTIMES " == *" runsc "* ]]; then
        bash scripts/deps.sh bench
        [ -x "$RUNSC" ] || bench_die "$RUNSC not found (apt-get install runsc)"
fi

bench_make_bundle "$work/bundle" "$ROOTFS" /bin/sleep 1000000

rt_cmd() {
        case $1 in
        runc) echo "$RUNC --root $work/root-runc" ;;
        runsc) echo "$RUNSC --root $work/root-runsc --network=none" ;;
        none | sentry) echo "$COCOON --root $work/root-$1 --sandbox $1" ;;
        *) bench_die "unknown runtime $1 (none, sentry, runc or runsc)" ;;
        esac
}

# pss PID: the process's PSS in kB (0 when it is gone).
pss() { awk '$1 == "Pss:" {print $2; f=1} END {if (!f) print 0}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
rss() { awk '$1 == "Rss:" {print $2; f=1} END {if (!f) print 0}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
threads() { awk '$1 == "Threads:" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# by_mapping PID: PSS in kB per kind of mapping, largest first.
by_mapping() {
        awk '
        /^[0-9a-f]+-[0-9a-f]+ / {
                name = ($6 == "") ? "[anon]" : $6
                if (name ~ /^\/memfd:/ || name ~ /cocoon/) name = "cocoon binary (" $2 ")"
                else if (name ~ /^\[stack/) name = "[stack]"
                size = 0
                cur = name
                next
        }
        $1 == "Pss:" { p[cur] += $2 }
        $1 == "Size:" { s[cur] += $2 }
        END { for (k in p) printf "      %-34s Pss %6d kB  (mapped %8d kB)\n", k, p[k], s[k] }' "/proc/$1/smaps" | sort -t'	' -k1 | sort -k4 -n -r
}

# add_sentry_gofer S G: one container's Sentry (supervisor, or runsc's
# sandbox) and Gofer into the runtime's sums.
add_sentry_gofer() {
        local ps_ pg
        ps_=$(pss "$1") pg=$(pss "$2")
        sum_s=$((sum_s + ps_)) sum_g=$((sum_g + pg))
        sum_rt=$((sum_rt + ps_ + pg))
        sum_rss_rt=$((sum_rss_rt + $(rss "$1") + $(rss "$2")))
        thr_s=$((thr_s + $(threads "$1"))) thr_g=$((thr_g + $(threads "$2")))
}

echo "idle: $N idle containers (sleep) at once per runtime; PSS from /proc/PID/smaps_rollup"
echo "  cocoon: $COCOON ($(stat -c %s "$COCOON") bytes)"
echo "  runc:   $RUNC ($("$RUNC" --version 2>/dev/null | head -n1))"
[[ " $RUNTIMES " != *" runsc "* ]] || echo "  runsc:  $RUNSC --network=none ($("$RUNSC" --version 2>/dev/null | head -n1))"
echo "  host:   $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

results=()
for rt in $RUNTIMES; do
        read -ra cmd <<<"$(rt_cmd "$rt")"
        mkdir -p "$work/root-$rt" "$work/log-$rt"
        avail0=$(awk '$1 == "MemAvailable:" {print $2}' /proc/meminfo)
        t0=$(date +%s%N)
        fails=0
        for ((i = 0; i < N; i += PAR)); do
                for ((j = i; j < i + PAR && j < N; j++)); do
                        ( "${cmd[@]}" run --detach --bundle "$work/bundle" "$PREFIX-$rt-$j" >"$work/log-$rt/$j" 2>&1 ||
                                echo "run $j failed: $(head -c 300 "$work/log-$rt/$j")" >>"$work/fail-$rt" ) </dev/null &
                done
                wait
        done
        t1=$(date +%s%N)
        [ ! -s "$work/fail-$rt" ] || { cat "$work/fail-$rt" >&2; fails=$(wc -l <"$work/fail-$rt"); }
        sleep "$SETTLE"
        # per container: the runtime's own processes and the workload
        sum_rt=0 sum_wl=0 sum_s=0 sum_g=0 sum_rss_rt=0 n=0 thr_s=0 thr_g=0
        first_s="" first_g=""
        for ((j = 0; j < N; j++)); do
                case $rt in
                sentry)
                        st=$(cat "$work/root-$rt/$PREFIX-$rt-$j/state.json" 2>/dev/null) || continue
                        s=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' <<<"$st" | head -n1)
                        w=$(sed -n 's/.*"workload_pid": *\([0-9]*\).*/\1/p' <<<"$st" | head -n1)
                        g=$(pgrep -P "$s" -x cocoon-gofer || true)
                        if [ -z "$s" ] || [ -z "$w" ] || [ -z "$g" ]; then
                                echo "container $j: no supervisor/workload/gofer" >&2
                                continue
                        fi
                        add_sentry_gofer "$s" "$g"
                        [ -n "$first_s" ] || { first_s=$s first_g=$g; }
                        ;;
                runsc)
                        # the sandbox (state pid) and the Gofer are runsc's;
                        # the rest of the container's cgroup, the stubs, the workload's
                        if ! st=$("${cmd[@]}" state "$PREFIX-$rt-$j" 2>"$work/state.err"); then
                                echo "container $j: runsc state: $(head -c 300 "$work/state.err")" >&2
                                continue
                        fi
                        s=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' <<<"$st" | head -n1)
                        cg=$(awk -F: '$2 == "pids" {print $3}' "/proc/$s/cgroup" 2>/dev/null)
                        g="" w=0
                        while read -r p; do
                                if [ "$p" = "$s" ]; then continue; fi
                                if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q '^runsc-gofer '; then g=$p
                                else w=$((w + $(pss "$p"))); fi
                        done < <(cat "/sys/fs/cgroup/pids$cg/cgroup.procs" 2>/dev/null)
                        if [ -z "$s" ] || [ -z "$g" ]; then
                                echo "container $j: no runsc sandbox/gofer" >&2
                                continue
                        fi
                        add_sentry_gofer "$s" "$g"
                        sum_wl=$((sum_wl + w))
                        n=$((n + 1))
                        continue
                        ;;
                *)
                        # none and runc leave no process of their own behind
                        st=$("${cmd[@]}" state "$PREFIX-$rt-$j" 2>/dev/null) || continue
                        w=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' <<<"$st" | head -n1)
                        [ -n "$w" ] || continue
                        ;;
                esac
                sum_wl=$((sum_wl + $(pss "$w")))
                n=$((n + 1))
        done
        avail1=$(awk '$1 == "MemAvailable:" {print $2}' /proc/meminfo)
        [ "$n" -gt 0 ] || bench_die "$rt: no container running"
        if [ "$rt" = sentry ] || [ "$rt" = runsc ]; then
                rtline=$(awk -v a="$sum_rt" -v s="$sum_s" -v g="$sum_g" -v r="$sum_rss_rt" -v n="$n" -v ts="$thr_s" -v tg="$thr_g" 'BEGIN {
                        printf "%7.2f MiB (Sentry %.2f + Gofer %.2f; RSS %.2f; threads %.1f + %.1f)", a/n/1024, s/n/1024, g/n/1024, r/n/1024, ts/n, tg/n }')
        else
                rtline=$(printf '%7.2f MiB (no runtime process)' 0)
        fi
        results+=("$(awk -v rt="$rt" -v n="$n" -v f="$fails" -v a="$sum_rt" -v w="$sum_wl" -v t="$(((t1 - t0) / 1000000))" \
                -v d="$((avail0 - avail1))" -v line="$rtline" 'BEGIN {
                printf "%-7s %4d running (%d failed, started in %.1f s)\n", rt, n, f, t / 1000
                printf "        runtime per container: %s\n", line
                printf "        workload per container: %.2f MiB PSS\n", w / n / 1024
                printf "        total PSS of %d containers: runtime %.1f MiB + workloads %.1f MiB; MemAvailable fell by %.1f MiB (noisy: other work runs)\n",
                       n, a / 1024, w / 1024, d / 1024 }')")
        if [ "$rt" = sentry ] && [ -n "${DETAIL:-}" ] && [ -n "$first_s" ]; then
                results+=("    one sentry container, PSS by mapping:" "    supervisor (Sentry) $first_s:" "$(by_mapping "$first_s")"
                        "    Gofer $first_g:" "$(by_mapping "$first_g")")
        fi
        # delete before the next runtime starts its N
        for ((i = 0; i < N; i += PAR)); do
                for ((j = i; j < i + PAR && j < N; j++)); do
                        "${cmd[@]}" delete --force "$PREFIX-$rt-$j" >/dev/null 2>&1 &
                done
                wait
        done
done
printf '%s\n' "${results[@]}"
echo "target: Sentry + Gofer <= 5 MiB PSS per idle sentry container"
