# shellcheck shell=bash
# Helpers for cocoon's integration tests.  Sourced by tests/run.sh into the
# subshell that runs one test_* function.  The runner exports:
#   COCOON   the binary under test (absolute)
#   ROOTFS   the busybox rootfs to copy into bundles (absolute)
#   T        a fresh temporary directory for this test
#   ROOT     a fresh state root (passed as --root)
#   TOKEN    a string unique to this test; it appears in every container id
#            and temp path, so the leak checker can find what the test left
#   TESTS_DIR  tests/ of the source tree

: "${COCOON:?}" "${ROOTFS:?}" "${T:?}" "${ROOT:?}" "${TOKEN:?}"

# Global options for every cocoon invocation (one place to change them).
CC_GLOBAL=${CC_GLOBAL:-"--root $ROOT"}

# cocoon ARGS...: run the binary under test with the global options.
cocoon() {
        # shellcheck disable=SC2086
        "$COCOON" $CC_GLOBAL "$@"
}

# runc, for the tests that compare against the reference behaviour.
RUNC=${RUNC:-/usr/sbin/runc}
runc_ref() {
        "$RUNC" --root "$T/runc-root" "$@"
}

# ---------------------------------------------------------------- reporting
fail() {
        echo "ASSERTION FAILED: $*" >&2
        exit 1
}

note() { echo "# $*" >&2; }

# ---------------------------------------------------------------- ids / pids
# new_id [PREFIX]: a container id unique to this test (recorded for the
# cgroup-leak check).
new_id() {
        # (flock: tests call this from parallel subshells)
        flock "$T/.ids" bash -c 'n=$(wc -l <"$1"); id="$2-$3-$n"; echo "$id" >>"$1"; echo "$id"' \
                _ "$T/.ids" "${1:-c}" "$TOKEN"
}

# track_pid PID: remember a process the test started; the runner checks it is
# gone after the test (and kills it if not).
track_pid() {
        local st
        st=$(cut -d' ' -f22 "/proc/$1/stat" 2>/dev/null) || return 0
        echo "$1 $st" >>"$T/.pids"
}

# ---------------------------------------------------------------- capture
# capture CMD...: run CMD with stdout in $out, stderr in $err, status in $rc.
# Never fails.
capture() {
        local o="$T/.cap.out.$BASHPID" e="$T/.cap.err.$BASHPID"
        rc=0
        "$@" >"$o" 2>"$e" || rc=$?
        out=$(cat "$o")
        err=$(cat "$e")
        rm -f "$o" "$e"
}

# capture_in INPUT CMD...: like capture, with INPUT on stdin.
capture_in() {
        local input=$1
        shift
        local o="$T/.cap.out.$BASHPID" e="$T/.cap.err.$BASHPID"
        rc=0
        "$@" >"$o" 2>"$e" <<<"$input" || rc=$?
        out=$(cat "$o")
        err=$(cat "$e")
        rm -f "$o" "$e"
}

# ---------------------------------------------------------------- assertions
assert_eq() { # EXPECTED ACTUAL [WHAT]
        [ "$1" = "$2" ] || fail "${3:-value}: expected [$1], got [$2]"
}

assert_ne() { # UNEXPECTED ACTUAL [WHAT]
        [ "$1" != "$2" ] || fail "${3:-value}: did not expect [$1]"
}

assert_contains() { # HAYSTACK NEEDLE [WHAT]
        case "$1" in
        *"$2"*) ;;
        *) fail "${3:-output} does not contain [$2]: [$1]" ;;
        esac
}

assert_not_contains() { # HAYSTACK NEEDLE [WHAT]
        case "$1" in
        *"$2"*) fail "${3:-output} unexpectedly contains [$2]: [$1]" ;;
        *) ;;
        esac
}

assert_match() { # STRING ERE [WHAT]
        [[ "$1" =~ $2 ]] || fail "${3:-value} [$1] does not match /$2/"
}

# assert_ok CMD...: CMD must succeed (its output is shown if not).
assert_ok() {
        capture "$@"
        [ "$rc" = 0 ] || fail "command failed (rc=$rc): $*
--- stdout:
$out
--- stderr:
$err"
}

# assert_fail CMD...: CMD must exit non-zero; $out/$err/$rc are set after.
assert_fail() {
        capture "$@"
        [ "$rc" != 0 ] || fail "command unexpectedly succeeded: $*
--- stdout:
$out
--- stderr:
$err"
}

# assert_rc N CMD...: CMD must exit with status N.
assert_rc() {
        local want=$1
        shift
        capture "$@"
        [ "$rc" = "$want" ] || fail "expected exit $want, got $rc: $*
--- stdout:
$out
--- stderr:
$err"
}

# assert_one_line TEXT [WHAT]: TEXT is exactly one non-empty line.
assert_one_line() {
        local n
        [ -n "$1" ] || fail "${2:-stderr} is empty (expected one error line)"
        n=$(printf '%s\n' "$1" | wc -l)
        [ "$n" = 1 ] || fail "${2:-stderr} has $n lines (expected exactly one): [$1]"
}

# assert_error_line: after assert_fail, stderr is exactly one line.
assert_error_line() {
        assert_one_line "$err" "stderr of failed command"
}

# ---------------------------------------------------------------- JSON
# json_get EXPR [FILE]: evaluate a python expression with `d` bound to the JSON
# document read from FILE (or stdin).  Strings print raw, other values as JSON.
json_get() {
        python3 -c '
import json, sys
expr, src = sys.argv[1], sys.argv[2]
d = json.load(sys.stdin if src == "-" else open(src))
v = eval(expr, {"json": json}, {"d": d})
if isinstance(v, str):
    print(v)
elif isinstance(v, bool) or v is None:
    print(json.dumps(v))
elif isinstance(v, (int, float)):
    print(v)
else:
    print(json.dumps(v, sort_keys=True))
' "$1" "${2:--}"
}

# edit_config BUNDLE 'python statement' ...: edit BUNDLE/config.json in place;
# each statement runs with `c` bound to the document.
edit_config() {
        local bundle=$1
        shift
        python3 - "$bundle/config.json" "$@" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    c = json.load(f)
for stmt in sys.argv[2:]:
    exec(stmt, {"json": json}, {"c": c})
with open(path + ".tmp", "w") as f:
    json.dump(c, f, indent=2)
import os
os.rename(path + ".tmp", path)
PY
}

# set_args BUNDLE ARG...: process.args = [ARG...]
set_args() {
        local bundle=$1
        shift
        python3 - "$bundle/config.json" "$@" <<'PY'
import json, sys, os
path = sys.argv[1]
c = json.load(open(path))
c["process"]["args"] = sys.argv[2:]
json.dump(c, open(path + ".tmp", "w"), indent=2)
os.rename(path + ".tmp", path)
PY
}

# ---------------------------------------------------------------- bundles
# make_bundle DIR [ARG...]: a bundle with a private copy of the rootfs and the
# config written by `cocoon spec`, made non-interactive (terminal false) and,
# when ARGs are given, running them.
make_bundle() {
        local dir=$1
        shift
        mkdir -p "$dir/rootfs"
        cp -a "$ROOTFS/." "$dir/rootfs/"
        chmod 755 "$dir/rootfs" # mkrootfs makes it 0700: non-root users need to reach /bin
        (cd "$dir" && "$COCOON" spec) || fail "cocoon spec failed in $dir"
        [ -f "$dir/config.json" ] || fail "cocoon spec wrote no config.json"
        edit_config "$dir" 'c["process"]["terminal"]=False' 'c["root"]["readonly"]=False'
        if [ $# -gt 0 ]; then
                set_args "$dir" "$@"
        fi
}

# DOCKER_CAPS: the capabilities `docker run` gives a container by default
# (moby's oci/caps/defaults.go), as a Python list literal for edit_config.
DOCKER_CAPS="['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD','CAP_NET_RAW','CAP_SETGID',
        'CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP','CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE']"

# docker_caps BUNDLE: give the process Docker's default capabilities.
docker_caps() {
        edit_config "$1" "c['process']['capabilities']={k: $DOCKER_CAPS for k in ('bounding','effective','permitted')}"
}

# ---------------------------------------------------------------- containers
# state_of ID: the JSON of `cocoon state ID`.
state_of() { cocoon state "$1"; }

# status_of ID: the status field ("" when state fails).
status_of() {
        local s
        s=$(cocoon state "$1" 2>/dev/null) || { echo ""; return 0; }
        json_get 'd["status"]' <<<"$s"
}

# pid_of ID
pid_of() {
        local s
        s=$(cocoon state "$1") || return 1
        json_get 'd["pid"]' <<<"$s"
}

# init_pid ID: the host pid of the container's init process.  That is the
# state's pid, except under the sentry sandbox, whose state pid is its
# supervisor by design; there the state records the init as workload_pid
# (docs/architecture.md, "Process model (sandbox sentry)").
init_pid() {
        local w
        w=$(json_get 'd.get("workload_pid", 0)' "$ROOT/$1/state.json") || return 1
        if [ "$w" != 0 ]; then echo "$w"; else pid_of "$1"; fi
}

# wait_status ID STATUS [SECONDS]: poll until the status is STATUS.
wait_status() {
        local id=$1 want=$2 secs=${3:-10} i=0 got
        while :; do
                got=$(status_of "$id")
                [ "$got" = "$want" ] && return 0
                i=$((i + 1))
                [ "$i" -ge $((secs * 20)) ] && fail "container $id: status [$got], wanted [$want] within ${secs}s"
                sleep 0.05
        done
}

# wait_for COND-COMMAND... : poll (up to 10 s) until the command succeeds.
wait_for() {
        local i=0
        until "$@" >/dev/null 2>&1; do
                i=$((i + 1))
                [ "$i" -ge 200 ] && fail "timed out waiting for: $*"
                sleep 0.05
        done
}

# wait_file FILE: poll until FILE exists and is non-empty.
wait_file() { wait_for test -s "$1"; }

# pid_alive PID: process exists and is not a zombie.
pid_alive() {
        local s
        s=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
        [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

# wait_pid_gone PID
wait_pid_gone() {
        local i=0
        while pid_alive "$1"; do
                i=$((i + 1))
                [ "$i" -ge 200 ] && fail "process $1 still alive"
                sleep 0.05
        done
}

# create_ctr BUNDLE ID [create-options...]: cocoon create, failing the test on
# error; the init pid is tracked.
create_ctr() {
        local bundle=$1 id=$2
        shift 2
        assert_ok cocoon create --bundle "$bundle" "$@" "$id"
        local p
        p=$(pid_of "$id") && track_pid "$p"
        return 0
}

# start_ctr BUNDLE ID: create + start.
start_ctr() {
        create_ctr "$@"
        assert_ok cocoon start "$2"
}

# create_or_skip BUNDLE ID: cocoon create; a "not supported yet" answer from
# cocoon skips the test (features still being written).
create_or_skip() {
        capture cocoon create --bundle "$1" "$2"
        if [ "$rc" != 0 ]; then
                case "$err" in
                *"not supported yet"*) skip "$err" ;;
                esac
                fail "create failed: $err"
        fi
        track_pid "$(pid_of "$2")"
}

# start_or_skip BUNDLE ID: create_or_skip + start.
start_or_skip() {
        create_or_skip "$@"
        assert_ok cocoon start "$2"
}

# destroy ID: kill and delete, ignoring errors (for the end of a test).
destroy() {
        cocoon kill "$1" KILL >/dev/null 2>&1 || true
        cocoon delete --force "$1" >/dev/null 2>&1 || true
}

# run_in BUNDLE CMD...: `cocoon run` CMD in a fresh container of BUNDLE
# (its config's args are replaced); sets $out $err $rc.
run_in() {
        local bundle=$1
        shift
        set_args "$bundle" "$@"
        local id
        id=$(new_id r)
        capture cocoon run --bundle "$bundle" "$id"
}

# run_ok BUNDLE CMD...: run_in and require exit 0; the output is in $out.
run_ok() {
        run_in "$@"
        [ "$rc" = 0 ] || fail "container command failed (rc=$rc): ${*:2}
--- stdout:
$out
--- stderr:
$err"
}

# run_or_skip BUNDLE CMD...: run_ok, but a "not supported yet" answer from
# cocoon skips the test.
run_or_skip() {
        run_in "$@"
        case "$err" in
        *"not supported yet"*) [ "$rc" != 0 ] && skip "$err" ;;
        esac
        [ "$rc" = 0 ] || fail "container command failed (rc=$rc): ${*:2}
--- stdout:
$out
--- stderr:
$err"
}

# have_cmd NAME: host command available.
have_cmd() { command -v "$1" >/dev/null 2>&1; }

# skip REASON: end the test as skipped (counted as passed, reported as SKIP).
skip() {
        echo "SKIP: $*" >"$T/.skip"
        exit 0
}

# ---------------------------------------------------------------- consoles
# console_receiver SOCK OUT [INPUT]: in the background, listen on the unix
# socket SOCK, receive one pty master over SCM_RIGHTS (what
# --console-socket sends), optionally write INPUT to it, and copy everything
# read from it to OUT until the slave side closes.  Waits until SOCK exists;
# the receiver's pid is in $console_pid (tracked).  OUT.name gets the name sent
# with the fd.
console_receiver() {
        local sock=$1 outf=$2 input=${3:-}
        python3 - "$sock" "$outf" "$input" <<'PY' &
import os, socket, sys, select, time
sock_path, out_path, data = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock_path)
s.listen(1)
s.settimeout(50)
conn, _ = s.accept()
msg, fds, flags, addr = socket.recv_fds(conn, 4096, 4)
with open(out_path + ".name", "w") as f:
    f.write(msg.decode(errors="replace"))
if not fds:
    open(out_path + ".nofd", "w").close()
    sys.exit(1)
master = fds[0]
if data:
    os.write(master, data.encode().decode("unicode_escape").encode())
with open(out_path, "ab", buffering=0) as out:
    deadline = time.time() + 50
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if not r:
            continue
        try:
            b = os.read(master, 65536)
        except OSError:
            break  # EIO: every slave fd is closed
        if not b:
            break
        out.write(b)
PY
        console_pid=$!
        track_pid "$console_pid"
        wait_for test -S "$sock"
}

# procfs_probe_bin: tests/helpers/procfs_probe.c (the sentry tests' probe of
# /proc and /sys files), built static once per source change.
procfs_probe_bin() {
        local src=$TESTS_DIR/helpers/procfs_probe.c dir=$TESTS_DIR/../build/test-helpers
        have_cmd gcc || skip "gcc not installed (builds tests/helpers/procfs_probe.c)"
        mkdir -p "$dir"
        (
                flock 9
                if [ ! -x "$dir/procfs_probe" ] || [ "$src" -nt "$dir/procfs_probe" ]; then
                        gcc -static -O1 -Wall -Wextra -Werror -o "$dir/procfs_probe.tmp" "$src" >&2 &&
                                mv "$dir/procfs_probe.tmp" "$dir/procfs_probe"
                fi
        ) 9>"$dir/.lock" || fail "could not build tests/helpers/procfs_probe.c"
        echo "$dir/procfs_probe"
}
