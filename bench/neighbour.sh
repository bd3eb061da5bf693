#!/bin/bash
# Noisy neighbour: the latency of a quiet container while another container
# of the same runtime attacks its own limits (issue 8, item 2), against the
# same latency measured just before, without the attack.  Target: at most
# 2x of idle.
#
#   bash bench/neighbour.sh
#   RUNTIMES=sentry K=40 bash bench/neighbour.sh
#   RUNTIMES=vm K=8 bash bench/neighbour.sh   (each container boots a VM)
#
# Attacks (each in a fresh attacker container, its program started by `run -d`):
#   fork-bomb   pids.limit 96, every shell forks two more, again and again
#   memory-bomb memory limit 64 MiB, a shell building a 256 MB string, in a loop
#               (each one is OOM-killed, the next starts)
#   tmpfs-fill  a 4 MiB tmpfs filled with dd until ENOSPC, emptied, again
#   fd-exhaust  RLIMIT_NOFILE 256: a shell opens files until EMFILE, ends, again
#   cpu-spin    CPU quota 0.5 CPU, four busy loops
# Latency probes, run against the neighbour (`sleep`):
#   exec        `RT exec NB /bin/true`: the runtime's whole exec path, median of K
#   work        `RT exec NB sh -c 'cat /etc/hostname' x 20`: 20 fork+exec+open+read
#               inside the neighbour (under sentry: through its Sentry), median of K/4
# Each attack's ratio is (median during the attack) / (median idle, measured
# right before the attack), so slow drifts of the shared machine's load cancel
# out; bursts of other work do not, and show up as ratios far from 1 either way.
#
# Environment: RUNTIMES="none sentry runc", K=20, WARM=2 (seconds the attack
# runs before the probes), ATTACKS (default: all five), COCOON, RUNC, ROOTFS,
# BENCH_ID_PREFIX=nb.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

RUNTIMES=${RUNTIMES:-none sentry runc}
K=${K:-20}
WARM=${WARM:-2}
ATTACKS=${ATTACKS:-fork-bomb memory-bomb tmpfs-fill fd-exhaust cpu-spin}
COCOON=${COCOON:-build/cocoon}
RUNC=${RUNC:-/usr/sbin/runc}
ROOTFS=${ROOTFS:-build/rootfs}
PREFIX=${BENCH_ID_PREFIX:-nb}

[ "$(id -u)" = 0 ] || bench_die "run as root"
[[ $K =~ ^[0-9]+$ && $K -ge 4 ]] || bench_die "K must be a number >= 4"
bench_multi_setup neighbour bin/sleep

rt_cmd() {
        case $1 in
        runc) echo "$RUNC --root $work/root-runc" ;;
        none | sentry | vm) echo "$COCOON --root $work/root-$1 --sandbox $1" ;;
        *) bench_die "unknown runtime $1 (none, sentry, vm or runc)" ;;
        esac
}

# edit BUNDLE PYTHON-STATEMENT...: edit BUNDLE/config.json (`c` is the document).
edit() {
        python3 - "$@" <<'PY'
import json, sys, os
path = sys.argv[1] + "/config.json"
c = json.load(open(path))
for stmt in sys.argv[2:]:
    exec(stmt, {"os": os}, {"c": c})
json.dump(c, open(path + ".tmp", "w"), indent=2)
os.rename(path + ".tmp", path)
PY
}

# The attacks: a bundle per attack (the shared read-only rootfs).
# shellcheck disable=SC2016  # the scripts run in the container's shell
# shellcheck disable=SC2089,SC2090  # $extra is a Python statement, passed as one word
attack_bundle() { # NAME DIR
        local a=$1 d=$2 script res extra=""
        case $a in
        fork-bomb)
                res="{'pids': {'limit': 96}}"
                script='b() { while :; do b & b & wait; sleep 0.2; done; }; b' ;;
        memory-bomb)
                res="{'memory': {'limit': 67108864}}"
                [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] &&
                        res="{'memory': {'limit': 67108864, 'swap': 67108864}}"
                script='while :; do sh -c '\''x=$(head -c 256000000 /dev/zero | tr "\0" a)'\''; done' ;;
        tmpfs-fill)
                res="{'memory': {'limit': 268435456}}"
                extra="c['mounts'].append({'destination': '/fill', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['nosuid', 'nodev', 'size=4m']})"
                script='while :; do dd if=/dev/zero of=/fill/big bs=64k count=1000 2>/dev/null; rm -f /fill/big; done' ;;
        fd-exhaust)
                res="{'pids': {'limit': 512}}"
                extra="c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'hard': 256, 'soft': 256}]"
                # (the shell that hits EMFILE may end: a subshell per attempt)
                script='while :; do (i=3
while [ $i -lt 1000 ]; do (eval "exec $i</etc/passwd") 2>/dev/null || break; eval "exec $i</etc/passwd"; i=$((i + 1)); done); done' ;;
        cpu-spin)
                res="{'cpu': {'quota': 50000, 'period': 100000}}"
                script='for i in 1 2 3; do (while :; do :; done) & done; while :; do :; done' ;;
        *) bench_die "unknown attack $a" ;;
        esac
        bench_make_bundle "$d" "$ROOTFS" /bin/sh
        # (the script through the environment: no quoting of shell in JSON in Python)
        SCRIPT=$script edit "$d" "c['process']['args'] = ['/bin/sh', '-c', os.environ['SCRIPT']]" \
                "c['linux']['resources'] = $res" ${extra:+"$extra"}
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# probe RUNTIME ID: prints "EXEC_MS WORK_MS", the medians of the two probes.
probe() {
        local rt=$1 id=$2 cmd i t0 t1 e=() w=()
        read -ra cmd <<<"$(rt_cmd "$rt")"
        for ((i = 0; i < K; i++)); do
                t0=$(date +%s%N)
                "${cmd[@]}" exec "$id" /bin/true >/dev/null 2>>"$work/probe.err" || echo "exec probe failed ($rt)" >>"$work/errors"
                t1=$(date +%s%N)
                e+=($(((t1 - t0) / 1000)))
                if ((i % 4 == 0)); then
                        t0=$(date +%s%N)
                        # shellcheck disable=SC2016
                        "${cmd[@]}" exec "$id" /bin/sh -c 'i=0; while [ $i -lt 20 ]; do cat /etc/hostname >/dev/null; i=$((i + 1)); done' \
                                >/dev/null 2>>"$work/probe.err" || echo "work probe failed ($rt)" >>"$work/errors"
                        t1=$(date +%s%N)
                        w+=($(((t1 - t0) / 1000)))
                fi
        done
        echo "$(printf '%s\n' "${e[@]}" | median) $(printf '%s\n' "${w[@]}" | median)"
}

echo "neighbour: latency of a quiet container while a neighbour of the same runtime attacks its limits"
echo "  cocoon: $COCOON;  runc: $RUNC ($("$RUNC" --version 2>/dev/null | head -n1))"
echo "  host:   $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: expect noise)"
echo "  K=$K exec probes (median), $((K / 4)) work probes (median) per phase; attack runs ${WARM}s before its probes"
bench_make_bundle "$work/nb" "$ROOTFS" /bin/sleep 1000000
for a in $ATTACKS; do attack_bundle "$a" "$work/attack-$a"; done

rows=()
for rt in $RUNTIMES; do
        read -ra cmd <<<"$(rt_cmd "$rt")"
        mkdir -p "$work/root-$rt"
        nb=$PREFIX-$rt-quiet
        "${cmd[@]}" run -d --bundle "$work/nb" "$nb" </dev/null >/dev/null 2>"$work/err" ||
                bench_die "$rt: starting the neighbour failed: $(cat "$work/err")"
        probe "$rt" "$nb" >/dev/null # warm-up
        for a in $ATTACKS; do
                read -r ie iw <<<"$(probe "$rt" "$nb")"
                at=$PREFIX-$rt-$a
                "${cmd[@]}" run -d --bundle "$work/attack-$a" "$at" </dev/null >/dev/null 2>"$work/err" ||
                        bench_die "$rt: starting the attack $a failed: $(cat "$work/err")"
                sleep "$WARM"
                alive=yes
                "${cmd[@]}" state "$at" 2>/dev/null | grep -q '"running"' || alive=no
                read -r ae aw <<<"$(probe "$rt" "$nb")"
                "${cmd[@]}" state "$at" 2>/dev/null | grep -q '"running"' || alive=no
                "${cmd[@]}" delete --force "$at" >/dev/null 2>&1 || bench_note "could not delete $at"
                rows+=("$(awk -v rt="$rt" -v a="$a" -v ie="$ie" -v ae="$ae" -v iw="$iw" -v aw="$aw" -v al="$alive" 'BEGIN {
                        re = ae / ie; rw = aw / iw
                        printf "%-7s %-12s %8.1f %8.1f %6.2fx %9.1f %9.1f %6.2fx  %-5s %s\n", rt, a, ie / 1000, ae / 1000, re,
                               iw / 1000, aw / 1000, rw, al, (re <= 2 && rw <= 2) ? "" : "MISSED" }')")
        done
        "${cmd[@]}" delete --force "$nb" >/dev/null 2>&1 || bench_note "could not delete $nb"
done
printf '%-7s %-12s %8s %8s %7s %9s %9s %7s  %-5s\n' runtime attack exec-idle exec-att ratio work-idle work-att ratio alive
printf '%s\n' "${rows[@]}"
echo "  (ms, medians; exec = one \`exec /bin/true\` into the quiet container, work = 20 fork+exec+open+read inside it;"
echo "   alive = the attacker container was still running at both ends of its probes; target: ratio <= 2.00x)"
if [ -s "$work/errors" ]; then
        echo "probe errors:"
        sort "$work/errors" | uniq -c
        head -n 5 "$work/probe.err"
        exit 1
fi
