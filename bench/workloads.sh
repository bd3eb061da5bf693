#!/bin/bash
# Real workloads per runtime: Python's startup, a CPython regression module,
# a gcc build of a small project, a loopback redis benchmark; then the
# syscall table of bench/syscalls.sh, so that one run gives both (issue 5,
# item 7).  The bundle is the one of
# tests/integration/compat_programs.slow.sh: the host's /usr read-only, a
# tmpfs /tmp, Docker's default capabilities; the project and redis's data
# are on the bundle's root filesystem (through the Gofer under sentry).
#
#   bash bench/workloads.sh
#   RUNTIMES="sentry runc" bash bench/workloads.sh
#
# Environment:
#   RUNTIMES="sentry none runc runsc"   (runsc: --network=none, its own loopback)
#   ROUNDS=3           runs of each workload per runtime (after a warm-up
#                      round that is not counted); the runtimes alternate
#                      within a round; the table shows medians
#   PY_N=20            python3 -c pass, this many times in one container
#   PY_MODULE=test_tempfile   the CPython module run (libpython3.11-testsuite)
#   SYSCALLS=1         then bash bench/syscalls.sh (its ROUNDS, OPS, ... apply);
#                      SYSCALLS=0 leaves it out
#   REDIS_N=20000      redis-benchmark requests per test (SET, GET)
#   LDCACHE=1          the bundle's /etc/ld.so.cache is the host's, which
#                      matches the host /usr it mounts, as every Debian-based
#                      image has the cache of its own /usr; LDCACHE=0 leaves
#                      it out, and the dynamic loader then tries about ten
#                      directories for each library (python3 -c pass: 147
#                      calls reach the Sentry instead of 130)
#   COCOON=build/cocoon  RUNC=/usr/sbin/runc  RUNSC=/usr/bin/runsc
# Prints one line per workload: the median seconds (or requests per second)
# per runtime and the ratio to runc, and the spread of the rounds.  The temporary directory and every container are
# removed on exit.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

RUNTIMES=${RUNTIMES:-sentry none runc runsc}
ROUNDS=${ROUNDS:-3}
PY_N=${PY_N:-20}
PY_MODULE=${PY_MODULE:-test_tempfile}
SYSCALLS=${SYSCALLS:-1}
REDIS_N=${REDIS_N:-20000}
LDCACHE=${LDCACHE:-1}
COCOON=$(realpath "${COCOON:-build/cocoon}")
RUNC=${RUNC:-/usr/sbin/runc}
RUNSC=${RUNSC:-/usr/bin/runsc}

[ "$(id -u)" = 0 ] || bench_die "run as root"
[ -x "$COCOON" ] || bench_die "$COCOON not built (make)"
for c in python3 gcc make redis-check-rdb redis-cli redis-benchmark; do
        [ -x "/usr/bin/$c" ] || bench_die "no /usr/bin/$c (bash scripts/deps.sh test)"
done
[ -f "/usr/lib/python3.11/test/$PY_MODULE.py" ] || [ -d "/usr/lib/python3.11/test/$PY_MODULE" ] ||
        bench_die "no CPython module $PY_MODULE (apt-get install libpython3.11-testsuite)"
for rt in $RUNTIMES; do
        case $rt in
        runc) [ -x "$RUNC" ] || bench_die "$RUNC not found (bash scripts/deps.sh bench)" ;;
        runsc) [ -x "$RUNSC" ] || bench_die "$RUNSC not found (bash scripts/deps.sh bench)" ;;
        sentry | none) ;;
        *) bench_die "unknown runtime $rt (sentry, none, runc or runsc)" ;;
        esac
done

work=$(mktemp -d /tmp/cocoon-workloads.XXXX)
chmod 755 "$work"
cleanup() {
        local rt
        for rt in cocoon runc runsc; do
                case $rt in
                cocoon) bench_cleanup_root "$COCOON" "$work/root-cocoon" ;;
                runc) bench_cleanup_root "$RUNC" "$work/root-runc" ;;
                runsc) [ -x "$RUNSC" ] && bench_cleanup_root "$RUNSC" "$work/root-runsc" ;;
                esac
        done
        rm -rf "$work"
}
trap cleanup EXIT

# the bundle (as compat_programs.slow.sh's prog_bundle)
b=$work/b
mkdir -p "$b/rootfs"/{usr,etc,tmp,proc,dev,sys,root,run,var/tmp,src,data}
chmod 755 "$b/rootfs"
chmod 1777 "$b/rootfs/tmp" "$b/rootfs/var/tmp"
for l in bin sbin lib lib64; do ln -s "usr/$l" "$b/rootfs/$l"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$b/rootfs/etc/passwd"
printf 'root:x:0:\n' >"$b/rootfs/etc/group"
printf '127.0.0.1 localhost\n' >"$b/rootfs/etc/hosts"
if [ "$LDCACHE" = 1 ] && [ -f /etc/ld.so.cache ]; then
        cp /etc/ld.so.cache "$b/rootfs/etc/"
fi
ln -s /usr/bin/redis-check-rdb "$b/rootfs/redis-server"
(cd "$b" && "$COCOON" spec)
python3 - "$b/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["root"]["readonly"] = False
c["process"]["env"] = ["PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"]
c["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]})
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]})
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
c["process"]["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted")}
json.dump(c, open(p, "w"), indent=2)
PY
# a project of eight small files and a header
s=$b/rootfs/src
printf '#pragma once\n' >"$s/w.h"
objs=""
for i in 1 2 3 4 5 6 7 8; do
        printf 'int f%d(int x);\n' "$i" >>"$s/w.h"
        printf '#include <stdio.h>\n#include <string.h>\n#include "w.h"\nint f%d(int x) { char b[64]; snprintf(b, sizeof b, "%%d", x); return (int) strlen(b) + %d; }\n' "$i" "$i" >"$s/f$i.c"
        objs+=" f$i.o"
done
printf '#include <stdio.h>\n#include "w.h"\nint main(void) { printf("%%d\\n", f1(1) + f8(8)); return 0; }\n' >"$s/main.c"
# shellcheck disable=SC2016  # make variables, not shell ones
printf 'prog: main.o%s\n\t$(CC) -o $@ $^\n%%.o: %%.c w.h\n\t$(CC) -O2 -c $<\n' "$objs" >"$s/Makefile"

set_args() {
        python3 -c 'import json, sys; p = sys.argv[1]; c = json.load(open(p)); c["process"]["args"] = sys.argv[2:]; json.dump(c, open(p, "w"), indent=2)' \
                "$b/config.json" "$@"
}

# run RUNTIME ID: the container's stdout; its exit status is the script's
run() {
        case $1 in
        sentry | none) "$COCOON" --root "$work/root-cocoon" --sandbox "$1" run --bundle "$b" "$2" ;;
        runc) "$RUNC" --root "$work/root-runc" run --bundle "$b" "$2" ;;
        runsc) "$RUNSC" --root "$work/root-runsc" --network=none run --bundle "$b" "$2" ;;
        esac
}
del() {
        case $1 in
        sentry | none) "$COCOON" --root "$work/root-cocoon" delete --force "$2" ;;
        runc) "$RUNC" --root "$work/root-runc" delete --force "$2" ;;
        runsc) "$RUNSC" --root "$work/root-runsc" delete --force "$2" ;;
        esac >/dev/null 2>&1 || true
}

# timed RUNTIME SCRIPT: seconds the container took (container start included)
n=0
timed() {
        local t0 t1 id=wl-$$-$((n++))
        set_args /bin/sh -c "$2"
        t0=$(date +%s%N)
        run "$1" "$id" >"$work/out" 2>&1 || { del "$1" "$id"; bench_die "$1: $(tail -n 5 "$work/out")"; }
        t1=$(date +%s%N)
        del "$1" "$id"
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'
}

# one round of every workload under RUNTIME: appends to res[RUNTIME,WORKLOAD]
round() {
        local rt=$1 id
        res[$rt,python]+=" $(timed "$rt" "i=0; while [ \$i -lt $PY_N ]; do python3 -c pass; i=\$((i + 1)); done")"
        res[$rt,module]+=" $(timed "$rt" "cd /tmp && python3 -m test -q $PY_MODULE >/tmp/log 2>&1 || { tail -n 5 /tmp/log; exit 1; }")"
        res[$rt,gcc]+=" $(timed "$rt" "cd /src && rm -f -- *.o prog && make -s CC=gcc && ./prog >/dev/null")"
        set_args /bin/sh -c "cd /data && (/redis-server --port 6379 --bind 127.0.0.1 --save '' --logfile /dev/null &) &&
                for i in \$(seq 100); do redis-cli ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done &&
                redis-benchmark -q -n $REDIS_N -c 8 -t set,get 2>&1 | tr '\\r' '\\n' | grep 'requests per second' ; redis-cli shutdown nosave >/dev/null 2>&1; true"
        id=wl-$$-$((n++))
        run "$rt" "$id" >"$work/out" 2>&1 || true
        del "$rt" "$id"
        local set get
        set=$(awk '/^SET: [0-9.]+ requests per second/ { print $2 }' "$work/out" | tail -n 1)
        get=$(awk '/^GET: [0-9.]+ requests per second/ { print $2 }' "$work/out" | tail -n 1)
        if [ -z "$set" ] || [ -z "$get" ]; then
                bench_note "$rt: redis-benchmark printed no rate: $(tail -n 3 "$work/out")"
                return
        fi
        res[$rt,set]+=" $set"
        res[$rt,get]+=" $get"
}

declare -A res raw
read -ra rts <<<"$RUNTIMES"
# a warm-up round, not counted: the first gcc or python of a run reads
# their files from disk, and would charge that to whichever runtime came first
bench_note "warm-up round (not counted)"
for rt in "${rts[@]}"; do
        round "$rt"
done
for k in "${!res[@]}"; do unset "res[$k]"; done
for ((r = 0; r < ROUNDS; r++)); do
        bench_note "round $((r + 1)) of $ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
        # the order rotates every round, so no runtime always goes first
        for ((i = 0; i < ${#rts[@]}; i++)); do
                round "${rts[(i + r) % ${#rts[@]}]}"
        done
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
spread() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2); if (NR > 1 && m > 0) printf "%.0f%%", (v[NR] - v[1]) * 100 / m; else print "-" }'; }
for k in "${!res[@]}"; do
        raw[$k]=${res[$k]}
        res[$k]=$(median "${res[$k]}")
done
ratio() { # VALUE BASE
        awk -v v="$1" -v b="$2" 'BEGIN { if (v == "" || b == "" || b == 0) print "-"; else printf "%.2f", v / b }'
}
printf '%-34s' "workload"
for rt in $RUNTIMES; do printf ' %12s' "$rt"; done
echo
for w in python module gcc set get; do
        case $w in
        python) label="python3 -c pass x$PY_N (s)" ;;
        module) label="python3 -m test $PY_MODULE (s)" ;;
        gcc) label="make: 9 files, gcc -O2 (s)" ;;
        set) label="redis SET, $REDIS_N req (req/s)" ;;
        get) label="redis GET, $REDIS_N req (req/s)" ;;
        esac
        printf '%-34s' "$label"
        for rt in $RUNTIMES; do printf ' %12s' "${res[$rt,$w]:--}"; done
        echo
        if [[ " $RUNTIMES " == *" runc "* ]]; then
                printf '%-34s' "  / runc"
                for rt in $RUNTIMES; do printf ' %12s' "$(ratio "${res[$rt,$w]:-}" "${res[runc,$w]:-}")"; done
                echo
        fi
        if [ "$ROUNDS" -gt 1 ]; then
                printf '%-34s' "  spread (max-min)/median"
                for rt in $RUNTIMES; do printf ' %12s' "$(spread "${raw[$rt,$w]:-}")"; done
                echo
        fi
done

if [ "$SYSCALLS" = 1 ]; then
        echo
        bench_note "the syscall table (bench/syscalls.sh) in the same run"
        bash "$REPO/bench/syscalls.sh"
fi
