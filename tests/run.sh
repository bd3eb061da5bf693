#!/bin/bash
# cocoon's whole test suite: the unit test binaries, then the integration
# tests that drive the cocoon binary the way users and containerd do.
#
#   tests/run.sh [FILTER]     FILTER: run only unit binaries / integration
#                             files / test functions whose name contains it
# Environment:
#   COCOON        binary to test (default build/asan/cocoon, else build/cocoon)
#   ROOTFS        busybox rootfs (default build/rootfs)
#   UNIT_DIR      unit test binaries (default build/asan/unit)
#   QUICK=1       skip tests/integration/*.slow.sh
#   LANES=1       run the vm files (*vm.slow.sh) after the quick ones, not
#                 beside them (see run_integration)
#   TEST_TIMEOUT  seconds per test function (default 30); a file may raise it
#                 for its own tests with a line "# test-timeout: SECONDS"
#   KEEP=1        keep the temporary directories
#   VERBOSE=1     print the output of passing tests too
#   TRACE=1       run the tests with set -x (use with a filter)
#
# Every test_* function runs in its own bash with errexit, a fresh temp dir $T,
# a fresh state root $ROOT and a token unique to the test (in every container id
# and temp path).  After it, the runner checks that it left nothing behind:
# container state, processes, mounts, cgroups; and that no sanitizer report was
# written.  The last line is exactly "N passed, N failed".
set -u
export LC_ALL=C

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$SRC" || exit 2

abspath() { case "$1" in /*) echo "$1" ;; *) echo "$SRC/$1" ;; esac; }

if [ -z "${COCOON:-}" ]; then
        if [ -x build/asan/cocoon ]; then COCOON=build/asan/cocoon; else COCOON=build/cocoon; fi
fi
COCOON=$(abspath "$COCOON")
ROOTFS=$(abspath "${ROOTFS:-build/rootfs}")
UNIT_DIR=$(abspath "${UNIT_DIR:-build/asan/unit}")
TEST_TIMEOUT=${TEST_TIMEOUT:-30}
FILTER=${1:-}
TESTS_DIR=$SRC/tests
export COCOON ROOTFS TESTS_DIR

runid=$(tr -dc 'a-z0-9' </dev/urandom | head -c 5)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cocoon-tests.$runid.XXXX")
chmod 755 "$WORK"

passed=0 failed=0 skipped=0
failed_names=()
t_start=$(date +%s)

if [ -t 1 ]; then G=$'\e[32m' R=$'\e[31m' Y=$'\e[33m' N=$'\e[0m'; else G='' R='' Y='' N=''; fi

# ------------------------------------------------------------------ unit tests
run_units() {
        [ -d "$UNIT_DIR" ] || { echo "# no unit test binaries in $UNIT_DIR"; return; }
        local u name log p f last
        for u in "$UNIT_DIR"/*; do
                [ -f "$u" ] && [ -x "$u" ] || continue
                name=unit/${u##*/}
                if [ -n "$FILTER" ] && [[ "$name" != *"$FILTER"* ]]; then continue; fi
                log=$WORK/${u##*/}.log
                (cd "$WORK" && timeout -k 5 120 "$u") >"$log" 2>&1 </dev/null
                local rc=$?
                last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1)
                if [ -n "$last" ]; then
                        p=${last%% passed*}
                        f=${last#*, }
                        f=${f%% failed*}
                else
                        p=0 f=0
                fi
                if [ -z "$last" ] || { [ "$rc" != 0 ] && [ "$f" = 0 ]; }; then
                        f=$((f + 1)) # crashed, timed out or printed no summary
                fi
                passed=$((passed + p))
                failed=$((failed + f))
                if [ "$f" = 0 ]; then
                        echo "${G}PASS${N} $name ($p checks)"
                else
                        echo "${R}FAIL${N} $name ($p passed, $f failed, exit $rc)"
                        sed 's/^/    | /' "$log" | tail -n 60
                        failed_names+=("$name")
                fi
        done
}

# ------------------------------------------------------------ leak checking
# A python helper (written once per run) that finds what a test left behind.
LEAKCHECK=$WORK/leakcheck.py
cat >"$LEAKCHECK" <<'PY'
import os, sys, time, signal, re

mode = sys.argv[1]
token, tpid, pidfile = sys.argv[2], int(sys.argv[3]), sys.argv[4]

def read(path, binary=False):
    try:
        with open(path, "rb" if binary else "r") as f:
            return f.read()
    except OSError:
        return None

def my_mntns():
    try:
        return os.readlink("/proc/self/ns/mnt")
    except OSError:
        return None

def stat_fields(pid):
    s = read(f"/proc/{pid}/stat")
    if s is None:
        return None
    rp = s.rfind(")")
    return [s[:rp + 1]] + s[rp + 2:].split()  # [pid (comm), state, ppid, pgrp, ...]

def leaked_processes():
    """Live (non-zombie) processes that belong to this test."""
    me = os.getpid()
    mine = my_mntns()
    tracked = {}
    for line in (read(pidfile) or "").splitlines():
        parts = line.split()
        if len(parts) == 2:
            tracked[parts[0]] = parts[1]
    found = {}
    mark = ("COCOON_TEST_TOKEN=" + token).encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        f = stat_fields(pid)
        if f is None or f[1] in ("Z", "X"):
            continue
        why = None
        if int(f[3]) == tpid:
            why = "in the test's process group"
        elif pid in tracked and tracked[pid] == f[20]:
            why = "tracked by the test"
        else:
            env = read(f"/proc/{pid}/environ", True)
            if env and mark in env.split(b"\0"):
                why = "carries the test's environment"
            else:
                try:
                    ns = os.readlink(f"/proc/{pid}/ns/mnt")
                except OSError:
                    ns = mine
                if ns != mine:
                    mi = read(f"/proc/{pid}/mountinfo") or ""
                    for l in mi.splitlines():
                        x = l.split()
                        if len(x) > 4 and x[4] == "/" and token in x[3]:
                            why = "its root is the test's rootfs"
                            break
        if why:
            cmd = (read(f"/proc/{pid}/cmdline", True) or b"").replace(b"\0", b" ").decode(errors="replace").strip()
            found[int(pid)] = f"pid {pid} ({why}): {cmd or f[0]}"
    return found

if mode == "procs":
    # Give processes that are already dying a moment, then report and kill.
    deadline = time.time() + float(sys.argv[5])
    found = leaked_processes()
    while found and time.time() < deadline:
        time.sleep(0.05)
        found = leaked_processes()
    for i, (pid, desc) in enumerate(sorted(found.items())):
        if i == 10:
            print(f"... and {len(found) - 10} more leaked processes")
            break
        print("leaked process: " + desc)
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if found:
        time.sleep(0.2)
    sys.exit(1 if found else 0)
PY

# mounts_of: "id mountpoint" for every mount in our namespace.
mounts_of() { awk '{print $1, $5}' /proc/self/mountinfo; }

# check_leaks: prints one line per leak and cleans up; exit status 1 if any.
check_leaks() {
        local token=$1 tpid=$2 t=$3 root=$4 mounts_before=$5
        local leaks=0 id d

        # 1. processes (killed once reported, so that locks they hold go away)
        python3 "$WORK/leakcheck.py" procs "$token" "$tpid" "$t/.pids" 1 || leaks=1

        # 2. container state left in the root: report, then delete --force
        if [ -d "$root" ]; then
                local ids=()
                for d in "$root"/*; do
                        [ -e "$d" ] || continue
                        ids+=("${d##*/}")
                done
                if [ ${#ids[@]} -gt 0 ]; then
                        echo "leaked state: ${#ids[@]} container(s) in $root: ${ids[*]}"
                        leaks=1
                        for id in "${ids[@]}"; do
                                COCOON_TEST_TOKEN=$token timeout -k 1 5 "$COCOON" --root "$root" delete --force "$id" >/dev/null 2>&1
                        done
                        # what the deletes did not stop
                        python3 "$WORK/leakcheck.py" procs "$token" "$tpid" "$t/.pids" 1 >/dev/null
                fi
        fi

        # 3. mounts in our namespace that the test made
        local m
        while read -r m; do
                [ -n "$m" ] || continue
                echo "leaked mount: $m"
                leaks=1
        done < <(mounts_of | grep -vxF -f "$mounts_before" |
                awk -v tok="$token" -v work="$WORK" '
                        index($2, tok) || index($2, work) || $2 == "/" ||
                        $2 ~ "^/(proc|sys|dev|run/cocoon)(/|$)" { print $2 }')
        # unmount the test's leaked mounts (deepest first)
        local mp
        while read -r mp; do
                umount -l "$mp" 2>/dev/null
        done < <(mounts_of | grep -vxF -f "$mounts_before" | awk -v tok="$token" 'index($2, tok) {print $2}' | sort -r)

        # 4. cgroups named after the test's containers
        local cgs
        cgs=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "*$token*" 2>/dev/null)
        if [ -n "$cgs" ]; then
                leaks=1
                # one line per cgroup name, with the hierarchies it is in
                printf '%s\n' "$cgs" | awk '{ n=$0; sub(".*/", "", n); h=$0; sub("^/sys/fs/cgroup/", "", h); sub("/.*", "", h);
                        c[n]++; if (!(n in e)) e[n]=$0; hs[n]=hs[n] " " h }
                        END { for (n in c) printf "leaked cgroup: %s (in %d hierarchies:%s; e.g. %s)\n", n, c[n], hs[n], e[n] }' | sort | head -n 10
        fi
        find /sys/fs/cgroup -maxdepth 6 -depth -type d -name "*$token*" -exec rmdir {} \; 2>/dev/null

        # 5. network namespaces the test created (named after the token)
        local ns
        for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -F "$token"); do
                echo "leaked netns: $ns"
                leaks=1
                ip netns delete "$ns" 2>/dev/null
        done

        # 6. sanitizer reports
        local f
        for f in "$t"/.asan* "$t"/.ubsan*; do
                [ -s "$f" ] || continue
                # LeakSanitizer's tracer, whose process was SIGKILLed during
                # its exit-time check (the fault tests kill cocoon at every
                # step, and one may land there): no check ran, nothing found
                grep -qvE '^(==[0-9]+==Unable to get registers from thread [0-9]+\.)?$' "$f" || continue
                echo "sanitizer report ($f):"
                sed 's/^/  /' "$f" | head -n 80
                leaks=1
        done
        return $leaks
}

# ---------------------------------------------------------- integration tests
list_tests() { grep -oE '^(function[[:space:]]+)?test_[A-Za-z0-9_]+' "$1" | sed 's/^function[[:space:]]*//'; }

TESTN=0
run_one() {
        local file=$1 fn=$2 base
        base=${file##*/}
        base=${base%.sh}
        TESTN=$((TESTN + 1))
        local token
        token=$(printf "ct%s%03d" "$runid" "$TESTN") # fixed width: no token is a prefix of another
        local t="$WORK/$token"
        local root="$t/root"
        mkdir -p "$t"
        chmod 755 "$t"
        : >"$t/.ids"
        : >"$t/.pids"
        mounts_of >"$t/.mounts.before"

        local tmo=$TEST_TIMEOUT filetmo
        filetmo=$(sed -n 's/^# test-timeout: *\([0-9][0-9]*\) *$/\1/p' "$file" | head -n 1)
        [ -n "$filetmo" ] && [ "$filetmo" -gt "$tmo" ] && tmo=$filetmo

        local t0 t1
        t0=$(date +%s%N)
        (
                export T=$t ROOT=$root TOKEN=$token COCOON_TEST_TOKEN=$token
                export ASAN_OPTIONS="log_path=$t/.asan:detect_leaks=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
                export UBSAN_OPTIONS="log_path=$t/.ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
                cd "$t" || exit 2
                exec timeout -k 5 "$tmo" bash -c '
                        source "$TESTS_DIR/lib/common.sh"
                        source "$1"
                        set -eE
                        shopt -s inherit_errexit
                        trap '\''echo "ERROR: ${BASH_SOURCE[0]##*/}:$LINENO: command failed (status $?): $BASH_COMMAND" >&2'\'' ERR
                        [ -z "${TRACE:-}" ] || set -x
                        "$2"
                ' "$fn" "$file" "$fn"
        ) >"$t/.log" 2>&1 </dev/null &
        local tpid=$!
        wait "$tpid"
        local rc=$?
        t1=$(date +%s%N)
        local ms=$(((t1 - t0) / 1000000))

        local leaklog
        leaklog=$(check_leaks "$token" "$tpid" "$t" "$root" "$t/.mounts.before" 2>&1)
        local lrc=$?

        local name="$base/$fn"
        if [ "$rc" = 0 ] && [ "$lrc" = 0 ] && [ -f "$t/.skip" ]; then
                skipped=$((skipped + 1))
                echo "${Y}SKIP${N} $name: $(sed 's/^SKIP: //' "$t/.skip")"
        elif [ "$rc" = 0 ] && [ "$lrc" = 0 ]; then
                passed=$((passed + 1))
                echo "${G}PASS${N} $name (${ms} ms)"
                [ -n "${VERBOSE:-}" ] && sed 's/^/    | /' "$t/.log"
        else
                failed=$((failed + 1))
                failed_names+=("$name")
                local why=""
                [ "$rc" = 124 ] || [ "$rc" = 137 ] && why=" [timed out after ${tmo}s]"
                [ "$rc" = 0 ] && why=" [left something behind]"
                echo "${R}FAIL${N} $name (${ms} ms)$why"
                sed 's/^/    | /' "$t/.log" | tail -n 80
                [ -n "$leaklog" ] && printf '%s\n' "$leaklog" | sed 's/^/    ! /'
        fi
        [ -n "${KEEP:-}" ] || rm -rf "$t" 2>/dev/null
}

# run_files FILE...: every test of each file (FILTER applies).
run_files() {
        local file base fn tests
        for file in "$@"; do
                base=${file##*/}
                base=${base%.sh}
                tests=$(list_tests "$file")
                for fn in $tests; do
                        if [ -n "$FILTER" ] && [[ "$base" != *"$FILTER"* ]] && [[ "$fn" != *"$FILTER"* ]] &&
                                [[ "$base/$fn" != *"$FILTER"* ]]; then
                                continue
                        fi
                        run_one "$file" "$fn"
                done
        done
}

# The vm files (*vm.slow.sh: QEMU under TCG keeps one CPU busy while a
# guest boots, and the tests mostly wait for it) run in a lane of their own
# beside the quick files, whose tests keep about one CPU busy; the other
# slow files (timing-sensitive ones among them: exhaustion's latency under
# attack, load, stress) run after both, alone.  The lane has its own work
# directory and run id, so its tests' tokens, temp paths and leak checks
# never meet the other lane's; its lines are printed when it is done.
# LANES=1 runs every file one after the other.
run_lane() {
        local log=$1
        shift
        (
                runid=${runid:0:4}v TESTN=0 passed=0 failed=0 skipped=0 failed_names=()
                WORK=$(mktemp -d "${TMPDIR:-/tmp}/cocoon-tests.$runid.XXXX")
                chmod 755 "$WORK"
                cp "$LEAKCHECK" "$WORK/leakcheck.py"
                run_files "$@"
                echo "$passed $failed $skipped ${failed_names[*]}" >"$log.result"
                [ -n "${KEEP:-}" ] || rm -rf "$WORK" 2>/dev/null
        ) >"$log" 2>&1 </dev/null &
        lane_pid=$!
}

run_integration() {
        local file base quick=() vm=() slow=()
        for file in "$TESTS_DIR"/integration/*.sh; do
                [ -f "$file" ] || continue
                base=${file##*/}
                base=${base%.sh}
                if [ -n "${QUICK:-}" ] && [[ "$file" == *.slow.sh ]]; then
                        echo "# skipping $base (QUICK=1)"
                        continue
                fi
                case $base in
                *vm.slow) vm+=("$file") ;;
                *.slow) slow+=("$file") ;;
                *) quick+=("$file") ;;
                esac
        done
        if [ "${LANES:-2}" -ge 2 ] && [ ${#vm[@]} -gt 0 ] && [ ${#quick[@]} -gt 0 ]; then
                local log=$WORK/lane-vm.log p f s names
                run_lane "$log" "${vm[@]}"
                run_files "${quick[@]}"
                wait "$lane_pid"
                echo "# the vm lane, run beside the files above:"
                cat "$log"
                if read -r p f s names <"$log.result"; then
                        passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
                        # shellcheck disable=SC2206 # names without spaces
                        [ -z "$names" ] || failed_names+=($names)
                else
                        echo "${R}FAIL${N} the vm lane ended without a result"
                        failed=$((failed + 1))
                        failed_names+=("vm-lane")
                fi
        else
                run_files "${quick[@]}" "${vm[@]}"
        fi
        run_files "${slow[@]}"
}

if [ ! -x "$COCOON" ]; then
        echo "cocoon binary not found: $COCOON (build it first: make, make asan)" >&2
fi
if [ ! -x "$ROOTFS/bin/busybox" ]; then
        echo "rootfs not found: $ROOTFS (build it: bash scripts/mkrootfs.sh build/rootfs)" >&2
fi
echo "# cocoon: $COCOON"
echo "# rootfs: $ROOTFS"
echo "# work:   $WORK"

run_units
run_integration

[ -n "${KEEP:-}" ] || rm -rf "$WORK" 2>/dev/null
t_end=$(date +%s)
if [ ${#failed_names[@]} -gt 0 ]; then
        echo "# failed: ${failed_names[*]}"
fi
echo "# $skipped skipped, $((t_end - t_start)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
