# shellcheck shell=bash disable=SC2154,SC2034,SC2015,SC2016  # $out $err $rc from capture(); $bgrc is read by the test files; literal $ in hook scripts
# Helpers for the fault-injection tests (tests/integration/faults.sh,
# faults_run.sh, faults_storage.sh): background cocoon commands whose pid is
# cocoon's own, hooks that stall a step, and the after-fault checks
# (`state` truthful, `delete --force` leaves nothing). Sourced by those files; $SB is the
# sandbox under test.

# cc ARGS...: cocoon with the sandbox under test ($SB).
cc() { "$COCOON" --root "$ROOT" --sandbox "$SB" "$@"; }

# stall_hook DIR: a hook (JSON) that saves its state to DIR/hook.json,
# touches DIR/hook.reached and waits (at most 30 s) for DIR/hook.release.
# DIR is as the hook sees it. With ONCE set, a second run returns at once.
stall_hook() {
        local d=$1 once=${2:-}
        local guard=""
        [ -n "$once" ] && guard="[ -e $d/hook.done ] && exit 0; touch $d/hook.done; "
        printf '{"path":"/bin/sh","args":["sh","-c","%scat >%s/hook.json; touch %s/hook.reached; i=0; while [ ! -e %s/hook.release ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done"]}' \
                "$guard" "$d" "$d" "$d"
}

# fault_bundle ARGS...: $B runs ARGS.
fault_bundle() {
        B=$T/b
        rm -rf "$B"
        make_bundle "$B" "$@"
}

# with_hook KIND [ONCE]: $B gets a stalling hook of KIND; $HD is where the
# test sees its files.
with_hook() {
        local kind=$1 once=${2:-} d
        case $kind in
        startContainer) d=/tmp HD=$B/rootfs/tmp ;; # a container path (after pivot_root)
        *) d=$T HD=$T ;;
        esac
        rm -f "$HD"/hook.*
        edit_config "$B" "c['hooks']={'$kind':[$(stall_hook "$d" "$once")]}"
}

release_hook() { touch "$HD/hook.release"; }

# bg VAR CMD...: run CMD in the background, its pid in VAR (tracked). The
# pid is the command's own (a `cc` is replaced by the binary, then exec), so
# that killing it kills cocoon, not a subshell around it.
bg() {
        local var=$1
        shift
        [ "$1" = cc ] && { shift; set -- "$COCOON" --root "$ROOT" --sandbox "$SB" "$@"; }
        (trap - ERR; exec "$@") >"$T/bg.out" 2>"$T/bg.err" &
        printf -v "$var" '%s' "$!"
        track_pid "$!"
}

# errors FILE: FILE without the warning of a host where /dev/kvm opens but
# QEMU cannot use it (vm: the guest is booted again under TCG, docs/vm.md)
errors() { grep -v "QEMU could not run the guest with KVM" "$1" || true; }

# assert_failed_setup_lines: stderr of a create that failed because a
# process died half-way is one line naming the death (under sentry the
# supervisor's line about the init, not a second one about itself).
assert_failed_setup_lines() {
        local e
        e=$(errors "$T/bg.err")
        assert_one_line "$e" "stderr of create"
        assert_contains "$e" "died during set-up" "stderr of create"
}

# reap PID: wait for a background job; its status in $bgrc.
reap() {
        bgrc=0
        wait "$1" || bgrc=$?
}

# container_pids ID: S (the state's pid), W (the workload's init: S itself
# under none and vm, where S is the monitor), G (the Gofer, under sentry)
# and Q (QEMU, under vm) of a created container, tracked.
container_pids() {
        S=$(json_get 'd["pid"]' <<<"$(cc state "$1")") # (cc: $ROOT may have changed since common.sh)
        W=$S G="" Q=""
        track_pid "$S"
        if [ "$SB" = sentry ]; then sentry_pids "$1"; fi
        if [ "$SB" = vm ]; then
                Q=$(qemu_of "$1")
                track_pid "$Q"
        fi
        return 0
}

# qemu_of ID: the pid of the container's QEMU, as its monitor recorded it
# (vm; empty before QEMU started).
qemu_of() { cut -d' ' -f1 "$ROOT/$1/qemu.pid" 2>/dev/null || true; }

# sentry_pids ID: S, W, G of a created container (from state.json and /proc).
sentry_pids() {
        S=$(json_get 'd["pid"]' "$ROOT/$1/state.json")
        W=$(json_get 'd.get("workload_pid", 0)' "$ROOT/$1/state.json")
        G=$(pgrep -P "$S" -x cocoon-gofer || true)
        track_pid "$S"
        track_pid "$W"
        [ -n "$G" ] && track_pid "$G"
        return 0
}

# assert_state_truthful ID: `state` fails with one line saying the container
# does not exist, or its status agrees with the processes: created/running
# need a live init (and, under sentry, a live workload), stopped a dead one.
assert_state_truthful() {
        local id=$1 st pid w
        capture cc state "$id"
        if [ "$rc" != 0 ]; then
                assert_one_line "$err" "stderr of state"
                [[ $err == *"does not exist"* || $err == *"has no state (an interrupted create or delete)"* ]] ||
                        fail "state of a container that failed: $err"
                return 0
        fi
        st=$(json_get 'd["status"]' <<<"$out")
        pid=$(json_get 'd["pid"]' <<<"$out")
        case $st in
        created | running)
                pid_alive "$pid" || fail "state says $st but its pid $pid is gone"
                if [ "$SB" = sentry ]; then
                        w=$(json_get 'd.get("workload_pid", 0)' "$ROOT/$id/state.json")
                        pid_alive "$w" || fail "state says $st but the workload $w is gone"
                fi
                ;;
        stopped)
                [ "$pid" = 0 ] || ! pid_alive "$pid" || fail "state says stopped but pid $pid lives"
                ;;
        creating)
                # `state` waits for a create in progress (the lock), so a
                # create it sees unfinished was killed: that is "stopped"
                fail "state of $id: creating (pid $pid), but no create runs"
                ;;
        *) fail "state of $id after the fault: [$st] (pid $pid)" ;;
        esac
        note "state after the fault: $st"
}

# fds_on PATH: descriptors (and cwds) of any process below PATH.
fds_on() {
        find /proc/[0-9]*/fd /proc/[0-9]*/cwd -maxdepth 1 \( -lname "$1/*" -o -lname "$1" \) \
                -printf '%p -> %l\n' 2>/dev/null || true
}

# assert_gone ID PIDS...: after delete --force: no state, no cgroup, none of
# PIDS alive, no descriptor on the state directory or the rootfs.
assert_gone() {
        local id=$1 p
        shift
        [ ! -e "$ROOT/$id" ] || fail "state directory $ROOT/$id left"
        capture cc state "$id"
        [ "$rc" != 0 ] || fail "state still answers after delete --force"
        assert_contains "$err" "does not exist"
        for p in "$@"; do
                [ -n "$p" ] && [ "$p" != 0 ] || continue
                wait_pid_gone "$p"
        done
        # a QEMU of the container that no pid given names (vm: `-name cocoon-ID`)
        local q
        q=$(pgrep -f "^qemu-system-[^ ]* -name cocoon-$id( |$)" || true)
        [ -z "$q" ] || fail "QEMU of $id left: pid $q"
        local cg
        cg=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null)
        [ -z "$cg" ] || fail "cgroup left: $cg"
        local fds
        fds=$(fds_on "$ROOT/$id"; fds_on "$B/rootfs")
        [ -z "$fds" ] || fail "descriptors left on the container's files: $fds"
}

# delete_clean ID PIDS...: delete --force succeeds and leaves nothing.
delete_clean() {
        local id=$1
        shift
        assert_ok cc delete --force "$id"
        assert_gone "$id" "$@"
}

# n_procs_at_least ID N: `ps` lists at least N processes of the container.
n_procs_at_least() {
        [ "$(cc ps --format json "$1" | json_get 'len(d)')" -ge "$2" ]
}

# half_state ID WHAT PIDS...: true when the state directory is there
# without state.json (a command killed between the directory and the file:
# create right after its mkdir, delete between its two removals), after
# checking that `state` says so in one line and `delete --force` removes it
# and whatever the container's cgroup still holds.
half_state() {
        local id=$1 what=$2
        shift 2
        [ -d "$ROOT/$id" ] && [ ! -e "$ROOT/$id/state.json" ] || return 1
        capture cc state "$id"
        assert_eq 1 "$rc" "state of a directory without state.json"
        assert_one_line "$err" "stderr of state"
        assert_contains "$err" "has no state (an interrupted create or delete)"
        delete_clean "$id" "$@"
        note "$what left $ROOT/$id without state.json; delete --force removed it"
}
