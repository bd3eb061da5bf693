#!/bin/bash
# Syscall microbenchmark: getppid, open+close, stat, pread 4 KiB, mmap+munmap
# 64 KiB, fork+wait, fork+exec, pipe ping-pong, measured by a static program
# (bench/syscalls.c) natively (chrooted into the same rootfs), under runc
# (`runc spec`'s config, which has no seccomp filter), under runc with a
# seccomp filter that allows every call (the price of having any filter at
# all: the kernel's slow syscall entry), under runc with Docker's
# default seccomp profile (what `docker run --runtime runc` gives every
# container), under `cocoon --sandbox=none`, under `cocoon --sandbox=sentry`, under
# runsc (Debian's gVisor), and under the two floors of the Sentry's mechanism
# (bench/notify_floor.c: notify-continue, a seccomp notification continued at
# once; notify-answer, a call answered by the supervisor from a perfect cache),
# in one run; one table of ns/op medians and ratios, and one of the floors.
#
#   bash bench/syscalls.sh            # or: make bench-syscalls
#   QUICK=1 bash bench/syscalls.sh    # a few seconds: a sanity check, not a measurement
#
# Environment:
#   ROUNDS=5        runs per runtime; the runtimes alternate within a round
#                   and the order rotates every round
#   BATCHES=3       measured batches per op in one run (plus a warm-up batch)
#   SCALE=1         multiplies every iteration count of bench/syscalls.c
#   OPS=            only these ops, comma-separated (e.g. OPS=getppid,stat,open+close:
#                   a focused run in a quiet minute; the table shows "-" for the rest)
#   QUICK=1         ROUNDS=1 BATCHES=2 SCALE=0.01 (each still overridable)
#   COCOON=build/cocoon    the cocoon binary
#   COCOON_FLAGS=   extra global flags for cocoon, e.g. "--debug"
#   RUNC=/usr/sbin/runc    Debian's runc
#   RUNSC=/usr/bin/runsc   Debian's gVisor (package runsc: the 2022-12-19
#                   release, ptrace platform; scripts/deps.sh bench installs it)
#   RUNSC_FLAGS=--network=none   extra global flags for runsc
#   ROOTFS=build/rootfs    busybox rootfs made by scripts/mkrootfs.sh
#   RUN_TIMEOUT=600 seconds one run may take before it is killed
#   BENCH_ID_PREFIX=bench-sys-PID   container ids start with it
#
# Exit status 0 when every runtime ran every op; 1 when a run or an op
# failed (the table is printed anyway, the failed runtime's column skipped).
# See bench/README.md.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"

[ "${QUICK:-0}" != 0 ] || QUICK=""
if [ -n "$QUICK" ]; then
        ROUNDS=${ROUNDS:-1} BATCHES=${BATCHES:-2} SCALE=${SCALE:-0.01}
fi
ROUNDS=${ROUNDS:-5}
BATCHES=${BATCHES:-3}
SCALE=${SCALE:-1}
COCOON=${COCOON:-build/cocoon}
RUNC=${RUNC:-/usr/sbin/runc}
RUNSC_FLAGS=${RUNSC_FLAGS:---network=none}
ROOTFS=${ROOTFS:-build/rootfs}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
BENCH_ID_PREFIX=${BENCH_ID_PREFIX:-bench-sys-$$}

[ "$(id -u)" = 0 ] || bench_die "run as root (the runtimes are compared rootful, native runs chrooted)"
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 ]] || bench_die "ROUNDS must be a positive number"
[[ $BATCHES =~ ^[0-9]+$ && $BATCHES -ge 1 && $BATCHES -le 64 ]] || bench_die "BATCHES must be 1..64"
[[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]] || bench_die "SCALE must be a positive number"

# runc, runsc (and a compiler) from Debian if missing; a no-op on a warm machine.
bash scripts/deps.sh bench
[ -x "$RUNC" ] || bench_die "$RUNC not found (apt-get install runc)"
bench_need_built bin/true
RUNSC=${RUNSC:-/usr/bin/runsc}
[ -x "$RUNSC" ] || bench_die "$RUNSC not found (apt-get install runsc)"

work=$(mktemp -d "${TMPDIR:-/tmp}/cocoon-bench-syscalls.XXXXXX")
chmod 755 "$work"
roots=()
cleanup() {
        local i
        set +e
        for i in "${roots[@]}"; do bench_cleanup_root "${i%%=*}" "${i#*=}"; done
        bench_rmdir_cgroups "$BENCH_ID_PREFIX-*runsc*"
        rm -rf "$work"
}
trap cleanup EXIT
# (bash runs these once the run in the foreground has ended; the benchmark
# program exits on SIGINT/SIGTERM, the runtimes forward them to it)
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ the bundle
# A private copy of the busybox rootfs with the benchmark in /bench; the
# config is `runc spec`'s default (read-only root, no seccomp profile, its
# own network namespace) for every runtime.
rootfs=$work/rootfs
mkdir "$rootfs"
cp -a "$ROOTFS/." "$rootfs/"
chmod 755 "$rootfs"
mkdir "$rootfs/bench"
"${CC:-gcc}" -std=gnu17 -static -O2 -Wall -Wextra -Werror -o "$rootfs/bench/syscalls" bench/syscalls.c ||
        bench_die "compiling bench/syscalls.c failed (is libc6-dev installed?)"
"${CC:-gcc}" -std=gnu17 -static -O2 -Wall -Wextra -Werror -pthread -iquote src -o "$work/notify_floor" bench/notify_floor.c ||
        bench_die "compiling bench/notify_floor.c failed"
"${CC:-gcc}" -static -nostdlib -O2 -fno-stack-protector -Wall -Wextra -Werror \
        -o "$rootfs/bench/true" bench/true.c || bench_die "compiling bench/true.c failed"
head -c 65536 /dev/urandom >"$rootfs/bench/data"
args=(/bench/syscalls -b "$BATCHES" -s "$SCALE")
[ -z "${OPS:-}" ] || args+=(-o "$OPS")
bench_make_bundle "$work/bundle" "$rootfs" "${args[@]}"
bench_make_bundle "$work/probe" "$rootfs" /bench/true
# Every runtime gets Docker's default capabilities (moby's
# oci/caps/defaults.go), what a container meets under `docker run`, instead of
# `runc spec`'s three; the Sentry's fast file path is for callers that hold
# CAP_DAC_OVERRIDE (src/sentry/fastpath.c).
for b in bundle probe; do
        python3 - "$work/$b/config.json" <<'PY' || bench_die "setting Docker's default capabilities failed"
import json, sys
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE"]
c = json.load(open(sys.argv[1]))
c["process"]["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted")}
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
done
# runc-docker: the same bundles with Docker's default seccomp profile,
# rendered for this host and the default capabilities as dockerd would.
# runc-filter: with a profile that allows everything but kexec_load, so one
# filter that the kernel's per-syscall action cache answers without running
# it: what any seccomp filter costs a host-direct syscall here, the Sentry's
# included.
for b in bundle probe; do
        mkdir "$work/$b-docker" "$work/$b-filter"
        python3 - "$work/$b/config.json" "$work/$b-docker/config.json" "$work/$b-filter/config.json" <<'PY' ||
import json, subprocess, sys
src, dst, allow = sys.argv[1:]
out = subprocess.run([sys.executable, "tests/helpers/render_docker_seccomp.py",
                      "tests/data/docker-default-seccomp.json", src],
                     check=True, capture_output=True, text=True).stdout
c = json.load(open(src))
c["linux"]["seccomp"] = json.loads(out)
c["process"]["noNewPrivileges"] = False  # Docker's default
json.dump(c, open(dst, "w"), indent=1)
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                         "syscalls": [{"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO"}]}
json.dump(c, open(allow, "w"), indent=1)
PY
                bench_die "rendering the seccomp profiles failed"
done

# ------------------------------------------------------------------ runtimes
all_names=(native runc runc-filter runc-docker cocoon-none cocoon-sentry runsc notify-continue notify-answer)
declare -A status=() # NAME -> "" (runs) or why it does not
failed=0

# run_rt NAME BUNDLE ID: run one container (or the native program) in the
# foreground, stdout and stderr as they come.
run_rt() {
        local name=$1 bundle=$2 id=$3
        local -a cmd
        # shellcheck disable=SC2206  # flags are split on spaces on purpose
        case "$name" in
        native)
                if [ "$bundle" = "$work/probe" ]; then cmd=(chroot "$rootfs" /bench/true)
                else cmd=(chroot "$rootfs" "${args[@]}"); fi ;;
        notify-continue | notify-answer)
                if [ "$bundle" = "$work/probe" ]; then cmd=("$work/notify_floor" -m "${name#notify-}" "$rootfs" /bench/true)
                else cmd=("$work/notify_floor" -m "${name#notify-}" "$rootfs" "${args[@]}"); fi ;;
        runc) cmd=("$RUNC" --root "$work/root-runc" run --bundle "$bundle" "$id") ;;
        runc-filter) cmd=("$RUNC" --root "$work/root-runc" run --bundle "$bundle-filter" "$id") ;;
        runc-docker) cmd=("$RUNC" --root "$work/root-runc" run --bundle "$bundle-docker" "$id") ;;
        cocoon-none) cmd=("$COCOON" --root "$work/root-cocoon" --sandbox=none ${COCOON_FLAGS:-} run --bundle "$bundle" "$id") ;;
        cocoon-sentry) cmd=("$COCOON" --root "$work/root-cocoon" --sandbox=sentry ${COCOON_FLAGS:-} run --bundle "$bundle" "$id") ;;
        runsc) cmd=("$RUNSC" --root "$work/root-runsc" ${RUNSC_FLAGS} run --bundle "$bundle" "$id") ;;
        esac
        # --foreground: a ^C at the terminal reaches the runtime, which
        # forwards it to the program (timeout alone would put it in a process
        # group of its own and the ^C would wait for the run to end)
        timeout --foreground -k 10 "$RUN_TIMEOUT" "${cmd[@]}" </dev/null
}

mkdir "$work/root-runc" "$work/root-cocoon" "$work/root-runsc"
roots+=("$RUNC=$work/root-runc" "$COCOON=$work/root-cocoon" "$RUNSC=$work/root-runsc")

# Probe every runtime with /bench/true: one that fails is skipped (and the
# bench fails) with the line it answered, so that the others are still measured.
for name in "${all_names[@]}"; do
        [ -z "${status[$name]:-}" ] || continue
        rc=0
        run_rt "$name" "$work/probe" "$BENCH_ID_PREFIX-probe-$name" >"$work/probe.out" 2>"$work/probe.err" || rc=$?
        [ "$rc" = 0 ] && continue
        line=$(grep -v '^[[:space:]]*$' "$work/probe.err" | tail -n 1 || true)
        [ -n "$line" ] || line="exit status $rc, no message"
        status[$name]="$name: FAILED to run /bench/true ($line)"
        failed=1
        sed 's/^/  | /' "$work/probe.out" "$work/probe.err" >&2
done
active=()
for name in "${all_names[@]}"; do [ -n "${status[$name]:-}" ] || active+=("$name"); done

layout=v1
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then layout=v2
elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then layout="hybrid (v1 + unified)"
fi
echo "syscalls: ${#active[@]} runtimes x $ROUNDS round(s), $BATCHES batches per op per run, scale $SCALE${QUICK:+ (QUICK: a sanity check, not a measurement)}"
echo "  cocoon: $COCOON${COCOON_FLAGS:+ (flags: $COCOON_FLAGS)}"
echo "  runc:   $RUNC ($("$RUNC" --version | head -n1))"
if [ -z "${status[runsc]:-}" ]; then echo "  runsc:  $RUNSC $RUNSC_FLAGS ($("$RUNSC" --version | head -n1))"; fi
echo "  host:   $(uname -r), $(nproc) CPUs, cgroup $layout, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

# ------------------------------------------------------------------ rounds
# Round r runs the runtimes in the order rotated by r, so that none always
# runs first or right after the same neighbour.
: >"$work/batches"
: >"$work/errors"
for ((r = 0; r < ROUNDS; r++)); do
        n=${#active[@]}
        for ((k = 0; k < n; k++)); do
                name=${active[$(((k + r) % n))]}
                out=$work/out.$name.$r
                rc=0
                run_rt "$name" "$work/bundle" "$BENCH_ID_PREFIX-$name-$r" >"$out" 2>"$out.err" || rc=$?
                awk -v rt="$name" '$1 == "batch" { print rt, $2, $3 }' "$out" >>"$work/batches"
                awk -v rt="$name" '$1 == "error" { $1 = ""; print rt $0 }' "$out" >>"$work/errors"
                if [ "$rc" != 0 ]; then
                        failed=1
                        if ! grep -q '^error ' "$out"; then
                                # the run itself failed, not one op
                                echo "$name $BENCH_ID_PREFIX-$name-$r run failed (exit $rc)" >>"$work/errors"
                                sed 's/^/  | /' "$out" "$out.err" | tail -n 20 >&2
                        fi
                fi
        done
done

# ------------------------------------------------------------------ the table
ops=$(cat "$work"/out.* 2>/dev/null | awk '$1 == "batch" && !seen[$2]++ { print $2 }' | tr '\n' ' ' || true)
[ -n "$ops" ] || ops="getppid open+close stat pread-4k mmap+munmap-64k fork+wait fork+exec pipe-pingpong"
skipped=""
for name in "${all_names[@]}"; do [ -z "${status[$name]:-}" ] || skipped+="$name "; done
echo
echo "ns per op, median of all batches of all rounds ($BATCHES x $ROUNDS per cell); ratios are of those medians"
awk -v ops="$ops" -v skipped="$skipped" -v resfile="$work/results" '
        FILENAME == ARGV[1] { v[$1 SUBSEP $2, ++cnt[$1 SUBSEP $2]] = $3; next }
        { err[$1 SUBSEP $2] = 1 }
        # quantile of the sorted a[1..n], linear between ranks
        function q(a, n, p,   h, l) {
                h = 1 + (n - 1) * p; l = int(h)
                return l >= n ? a[n] : a[l] + (h - l) * (a[l + 1] - a[l])
        }
        # the median of a cell; its inter-quartile range relative to the
        # median goes to spread[k]
        function median(k,   n, i, j, t, a, m) {
                n = cnt[k]
                for (i = 1; i <= n; i++) a[i] = v[k, i] + 0
                for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                m = q(a, n, 0.5)
                if (m > 0) spread[k] = (q(a, n, 0.75) - q(a, n, 0.25)) / m
                return m
        }
        function num(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x) }
        function cell(rt, op,   k) {
                k = rt SUBSEP op
                if (k in err) return "err"
                if (cnt[k] > 0) { med[k] = median(k); return num(med[k]) }
                if (index(" " skipped, " " rt " ")) return "skip"
                return "-"
        }
        function ratio(a, b, op) {
                if (!((a SUBSEP op) in med) || !((b SUBSEP op) in med) || med[b SUBSEP op] <= 0) return "-"
                return sprintf("%.2fx", med[a SUBSEP op] / med[b SUBSEP op])
        }
        END {
                nrt = split("native runc runc-filter runc-docker cocoon-none cocoon-sentry runsc notify-continue notify-answer", rts, " ")
                fmt = "%-16s %8s %8s %11s %11s %11s %13s %8s %11s %13s %13s %12s %9s\n"
                printf fmt, "op", "native", "runc", "runc-filter", "runc-docker", "cocoon-none", "cocoon-sentry", "runsc",
                        "sentry/runc", "sentry/filter", "sentry/docker", "sentry/runsc", "none/runc"
                n = split(ops, o, " ")
                for (i = 1; i <= n; i++) {
                        for (j = 1; j <= nrt; j++) c[j] = cell(rts[j], o[i])
                        printf fmt, o[i], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                                ratio("cocoon-sentry", "runc", o[i]), ratio("cocoon-sentry", "runc-filter", o[i]),
                                ratio("cocoon-sentry", "runc-docker", o[i]),
                                ratio("cocoon-sentry", "runsc", o[i]), ratio("cocoon-none", "runc", o[i])
                        for (j = 1; j <= nrt; j++)
                                if ((rts[j] SUBSEP o[i]) in med) printf "result %s %s %s\n", rts[j], o[i], med[rts[j] SUBSEP o[i]] >resfile
                }
                # how far apart the batches of one cell are: a ratio closer
                # to 1 than this is within the noise of this run
                ns = 0
                for (k in spread) { ns++; sp[ns] = spread[k]; if (spread[k] > worst) { worst = spread[k]; wk = k } }
                if (ns > 0) {
                        for (i = 2; i <= ns; i++) { t = sp[i]; for (j = i - 1; j >= 1 && sp[j] > t; j--) sp[j + 1] = sp[j]; sp[j + 1] = t }
                        split(wk, w, SUBSEP)
                        printf "noise: inter-quartile range of a cell'"'"'s batches = %.0f%% of its median (median cell), %.0f%% at worst (%s on %s)\n",
                                100 * q(sp, ns, 0.5), 100 * worst, w[2], w[1]
                        if (q(sp, ns, 0.5) > 0.10)
                                print "  (wider than the 10% between 1.0x and the 1.1x target: re-run on a quieter machine or with ROUNDS=10)"
                }
                # the floors of the mechanism under the ops the Sentry handles
                printf "\nfloors of a seccomp-notify Sentry (bench/notify_floor.c), ns per op:\n"
                ffmt = "%-16s %15s %13s %13s %8s %15s %13s %13s\n"
                printf ffmt, "op", "notify-continue", "notify-answer", "cocoon-sentry", "runsc",
                        "continue/runsc", "answer/runsc", "sentry/runsc"
                nf = split("open+close stat fork+exec", fo, " ")
                for (i = 1; i <= nf; i++)
                        printf ffmt, fo[i], cell("notify-continue", fo[i]), cell("notify-answer", fo[i]),
                                cell("cocoon-sentry", fo[i]), cell("runsc", fo[i]),
                                ratio("notify-continue", "runsc", fo[i]), ratio("notify-answer", "runsc", fo[i]),
                                ratio("cocoon-sentry", "runsc", fo[i])
                print "  notify-continue: each call the Sentry handles is continued at once: one round trip, then the"
                print "    host kernel walks the path itself (what the boundary forbids for path calls)"
                print "  notify-answer: answered by the supervisor with no lookup and no checks: copy the path, check the id,"
                print "    statx or openat from a held directory descriptor, write back / ADDFD: a Sentry cannot do less"
        }' "$work/batches" "$work/errors"
touch "$work/results"

# ------------------------------------------------------------------ targets
# (issue 4: the host-direct data plane within 10% of runc; the two path ops
# that go through the Sentry at most half of runsc's cost)
res() { awk -v rt="$1" -v op="$2" '$1 == "result" && $2 == rt && $3 == op { print $4 }' "$work/results"; }
target() { # NUMERATOR DENOMINATOR LIMIT OP...
        local a=$1 b=$2 limit=$3 op x y line="" missing=""
        shift 3
        for op in "$@"; do
                x=$(res "$a" "$op"); y=$(res "$b" "$op")
                if [ -z "$x" ] || [ -z "$y" ]; then missing+=" $op"; continue; fi
                line+=$(awk -v x="$x" -v y="$y" -v op="$op" -v l="$limit" -v sep="${line:+,}" \
                        'BEGIN { r = x / y; printf "%s %s %.2fx%s", sep, op, r, r <= l ? "" : " (MISSED)" }')
        done
        local head="target ${a#cocoon-}/${b#cocoon-} <= ${limit}x on $*:"
        if [ -z "$line" ]; then
                local why=""
                for x in "$a" "$b"; do
                        if [ -n "${status[$x]:-}" ]; then why+="${why:+, }$x not measured"; fi
                done
                echo "$head n/a (${why:-no numbers})"
        else
                echo "$head${line}${missing:+; no numbers for$missing}"
        fi
}
echo
hostdirect=(getppid pread-4k mmap+munmap-64k fork+wait pipe-pingpong)
target cocoon-sentry runc 1.1 "${hostdirect[@]}"
target cocoon-sentry runc-filter 1.1 "${hostdirect[@]}"
target cocoon-sentry runc-docker 1.1 "${hostdirect[@]}"
target runc-filter runc 1.1 "${hostdirect[@]}"
echo "  (runc-filter/runc: what one seccomp filter costs even when the kernel's action cache answers it: the floor under sentry/runc)"
target cocoon-sentry runsc 0.5 open+close stat
target notify-answer runsc 0.5 open+close stat
echo "  (notify-answer/runsc: the least a Sentry that performs the call itself could reach on this machine)"
echo "  (host-direct ops per src/sentry/syscalls.def; open, stat and execve go through the Sentry)"
for name in "${all_names[@]}"; do
        if [ -n "${status[$name]:-}" ]; then echo "${status[$name]}"; fi
done
if [ -s "$work/errors" ]; then
        echo "errors:"
        sed 's/^/  /' "$work/errors"
fi
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
exit "$failed"
