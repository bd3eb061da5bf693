# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# test-timeout: 90
# Fault injection: SIGKILL of cocoon, the workload, the Sentry and the Gofer
# at each step of create / start / exec / delete; a full --root; a damaged
# state.json. After each: `state` tells the truth, `delete --force` removes
# everything, and nothing is left: processes, mounts, cgroups (the runner
# checks those after every test, assert_gone checks them at each step) and
# open descriptors on the container's state or rootfs.
#
# A step is reached deterministically: a hook of that step stalls (it
# touches a file and waits for a release file) and the test kills while it
# waits. The `vm` sandbox (QEMU, agent) does not exist yet: no tests for it.
# Killing a running container's Sentry or Gofer is in sentry.sh
# (test_sentry_killed_*).

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

# assert_failed_setup_lines: stderr of a create that failed because a
# process died half-way names the death. KNOWN GAP (docs/security.md):
# under sentry the supervisor logs the init's death and create then logs
# the supervisor's, two lines for one failure.
assert_failed_setup_lines() {
        local e
        e=$(cat "$T/bg.err")
        if [ "$SB" = sentry ]; then
                [ -n "$e" ] && [ "$(printf '%s\n' "$e" | wc -l)" -le 2 ] || fail "stderr of create: [$e]"
        else
                assert_one_line "$e" "stderr of create"
        fi
        assert_contains "$e" "died during set-up" "stderr of create"
}

# reap PID: wait for a background job; its status in $bgrc.
reap() {
        bgrc=0
        wait "$1" || bgrc=$?
}

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
                assert_contains "$err" "does not exist" "state of a container that failed"
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
                # KNOWN GAP (docs/security.md): a create killed half-way
                # leaves its first state.json (pid 0) and `state` says
                # "creating" although nothing is creating it any more
                [ "$pid" = 0 ] && [ -n "${CREATE_KILLED:-}" ] || fail "state of $id: creating (pid $pid)"
                note "KNOWN GAP: state says creating after create was killed"
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

# ---------------------------------------------------------------- create

# cocoon create killed while a create-time hook runs (in the runtime:
# createRuntime; in the container, before pivot_root: createContainer).
kill_cocoon_in_create() {
        local kind id c init
        for kind in createRuntime createContainer; do
                fault_bundle /bin/sleep 1000
                with_hook "$kind"
                id=$(new_id "k$kind")
                bg c cc create --bundle "$B" "$id"
                wait_for test -e "$HD/hook.reached"
                init=$(json_get 'd["pid"]' "$HD/hook.json")
                track_pid "$init"
                kill -KILL "$c"
                reap "$c"
                assert_eq 137 "$bgrc" "status of the killed create"
                # the set-up children die with it (parent-death signal)
                wait_pid_gone "$init"
                release_hook
                CREATE_KILLED=1 assert_state_truthful "$id"
                delete_clean "$id" "$init"
        done
}
test_kill_cocoon_in_create_none() { SB=none kill_cocoon_in_create; }
test_kill_cocoon_in_create_sentry() { SB=sentry kill_cocoon_in_create; }

# The container's init killed while create waits in a createRuntime hook:
# create fails with one line and unwinds.
kill_init_in_create() {
        local id c init
        fault_bundle /bin/sleep 1000
        with_hook createRuntime
        id=$(new_id)
        bg c cc create --bundle "$B" "$id"
        wait_for test -e "$HD/hook.reached"
        init=$(json_get 'd["pid"]' "$HD/hook.json")
        track_pid "$init"
        kill -KILL "$init"
        release_hook
        reap "$c"
        [ "$bgrc" != 0 ] || fail "create succeeded although its init was killed"
        assert_failed_setup_lines
        assert_state_truthful "$id"
        [ ! -e "$ROOT/$id" ] || fail "a failed create left $ROOT/$id"
        delete_clean "$id" "$init"
}
test_kill_init_in_create_none() { SB=none kill_init_in_create; }
test_kill_init_in_create_sentry() { SB=sentry kill_init_in_create; }

# Sentry only: the supervisor (the init's parent) killed during create.
test_kill_sentry_in_create() {
        SB=sentry
        local id c init s
        fault_bundle /bin/sleep 1000
        with_hook createRuntime
        id=$(new_id)
        bg c cc create --bundle "$B" "$id"
        wait_for test -e "$HD/hook.reached"
        init=$(json_get 'd["pid"]' "$HD/hook.json")
        s=$(awk '/^PPid:/ {print $2}' "/proc/$init/status")
        track_pid "$init"
        track_pid "$s"
        assert_eq cocoon-sentry "$(cat "/proc/$s/comm")" "the init's parent during create"
        kill -KILL "$s"
        release_hook
        reap "$c"
        [ "$bgrc" != 0 ] || fail "create succeeded although its Sentry was killed"
        assert_failed_setup_lines
        wait_pid_gone "$init"
        assert_state_truthful "$id"
        delete_clean "$id" "$init" "$s"
}

# ---------------------------------------------------------------- created

# A created container whose processes are killed: stopped, start fails with
# one line, delete cleans.
kill_created() {
        local what id
        local -a whats=(init)
        [ "$SB" = sentry ] && whats=(workload sentry gofer)
        for what in "${whats[@]}"; do
                fault_bundle /bin/sleep 1000
                id=$(new_id "c$what")
                assert_ok cc create --bundle "$B" "$id"
                S=$(pid_of "$id") W=$S G=""
                track_pid "$S"
                [ "$SB" = sentry ] && sentry_pids "$id"
                case $what in
                init | workload) kill -KILL "$W" ;;
                sentry) kill -KILL "$S" ;;
                gofer) kill -KILL "$G" ;;
                esac
                wait_status "$id" stopped
                wait_pid_gone "$W"
                assert_state_truthful "$id"
                assert_fail cc start "$id"
                assert_error_line
                delete_clean "$id" "$S" "$W" "$G"
        done
}
test_kill_created_none() { SB=none kill_created; }
test_kill_created_sentry() { SB=sentry kill_created; }

# ---------------------------------------------------------------- start

# cocoon start killed while a start-time hook runs: in the container just
# before execve (startContainer) and in the runtime after it (poststart).
kill_cocoon_in_start() {
        local kind id c
        for kind in startContainer poststart; do
                fault_bundle /bin/sleep 1000
                with_hook "$kind"
                id=$(new_id "s$kind")
                assert_ok cc create --bundle "$B" "$id"
                S=$(pid_of "$id") W=$S G=""
                track_pid "$S"
                [ "$SB" = sentry ] && sentry_pids "$id"
                bg c cc start "$id"
                wait_for test -e "$HD/hook.reached"
                kill -KILL "$c"
                reap "$c"
                assert_eq 137 "$bgrc" "status of the killed start"
                release_hook
                # the program was released: it runs (or is about to)
                wait_status "$id" running
                assert_state_truthful "$id"
                delete_clean "$id" "$S" "$W" "$G"
        done
}
test_kill_cocoon_in_start_none() { SB=none kill_cocoon_in_start; }
test_kill_cocoon_in_start_sentry() { SB=sentry kill_cocoon_in_start; }

# The workload (and under sentry the Sentry or the Gofer) killed while start
# waits in a poststart hook: start reports the failure, the state is stopped.
kill_in_start() {
        local what id c
        local -a whats=(init)
        [ "$SB" = sentry ] && whats=(workload sentry gofer)
        for what in "${whats[@]}"; do
                fault_bundle /bin/sleep 1000
                with_hook poststart
                id=$(new_id "p$what")
                assert_ok cc create --bundle "$B" "$id"
                S=$(pid_of "$id") W=$S G=""
                track_pid "$S"
                [ "$SB" = sentry ] && sentry_pids "$id"
                bg c cc start "$id"
                wait_for test -e "$HD/hook.reached"
                case $what in
                init | workload) kill -KILL "$W" ;;
                sentry) kill -KILL "$S" ;;
                gofer) kill -KILL "$G" ;;
                esac
                wait_pid_gone "$W"
                release_hook
                reap "$c"
                note "$what killed during poststart: start exited $bgrc: $(cat "$T/bg.err")"
                wait_status "$id" stopped
                assert_state_truthful "$id"
                delete_clean "$id" "$S" "$W" "$G"
        done
}
test_kill_in_start_none() { SB=none kill_in_start; }
test_kill_in_start_sentry() { SB=sentry kill_in_start; }

# ---------------------------------------------------------------- exec

# cocoon exec killed at several points of its work; then the exec'd process
# itself killed; under sentry, the Sentry killed while an exec runs.
kill_in_exec() {
        local id c delay
        fault_bundle /bin/sleep 1000
        id=$(new_id)
        assert_ok cc create --bundle "$B" "$id"
        S=$(pid_of "$id") W=$S G=""
        track_pid "$S"
        [ "$SB" = sentry ] && sentry_pids "$id"
        assert_ok cc start "$id"
        for delay in 0 0.02 0.05 0.1 0.3; do
                bg c cc exec "$id" /bin/sleep 1000
                sleep "$delay"
                kill -KILL "$c"
                reap "$c"
                assert_eq 137 "$bgrc" "status of exec killed after ${delay}s"
                assert_eq running "$(json_get 'd["status"]' <<<"$(cc state "$id")")" "state after a killed exec"
        done
        # the exec'd process killed: exec reports it as runc does
        bg c cc exec "$id" /bin/sh -c 'kill -9 $$'
        reap "$c"
        assert_eq 137 "$bgrc" "status of exec whose process was killed"
        assert_state_truthful "$id"
        # a later exec still works
        assert_ok cc exec "$id" /bin/echo still-here
        assert_eq still-here "$out"
        if [ "$SB" = sentry ]; then
                bg c cc exec "$id" /bin/sleep 1000
                wait_for n_procs_at_least "$id" 2
                kill -KILL "$S"
                reap "$c"
                [ "$bgrc" != 0 ] || fail "exec succeeded although the Sentry died"
                wait_status "$id" stopped
                assert_state_truthful "$id"
        fi
        delete_clean "$id" "$S" "$W" "$G"
}
test_kill_in_exec_none() { SB=none kill_in_exec; }
test_kill_in_exec_sentry() { SB=sentry kill_in_exec; }

# ---------------------------------------------------------------- delete

# cocoon delete killed in its poststop hook (the processes and cgroup are
# gone, the state directory not yet), and delete --force killed at once.
kill_cocoon_in_delete() {
        local id c
        fault_bundle /bin/sleep 1000
        with_hook poststop once
        id=$(new_id)
        assert_ok cc create --bundle "$B" "$id"
        S=$(pid_of "$id") W=$S G=""
        track_pid "$S"
        [ "$SB" = sentry ] && sentry_pids "$id"
        assert_ok cc start "$id"
        bg c cc delete --force "$id"
        wait_for test -e "$HD/hook.reached"
        kill -KILL "$c"
        reap "$c"
        assert_eq 137 "$bgrc" "status of the killed delete"
        release_hook
        wait_pid_gone "$W"
        assert_state_truthful "$id"
        assert_eq stopped "$(json_get 'd["status"]' <<<"$(cc state "$id")")" "state after a killed delete"
        delete_clean "$id" "$S" "$W" "$G"
        # delete --force killed right away, before or while it kills
        local delay
        for delay in 0 0.01 0.05; do
                fault_bundle /bin/sleep 1000
                id=$(new_id "d${delay/./}")
                assert_ok cc run -d --bundle "$B" "$id"
                S=$(pid_of "$id") W=$S G=""
                track_pid "$S"
                [ "$SB" = sentry ] && sentry_pids "$id"
                bg c cc delete --force "$id"
                sleep "$delay"
                kill -KILL "$c" 2>/dev/null || true # (it may have finished)
                reap "$c"
                if [ -d "$ROOT/$id" ] && [ ! -e "$ROOT/$id/state.json" ]; then
                        # KNOWN GAP (damaged_state below): killed between
                        # removing state.json and the directory, the delete
                        # cannot be finished by another delete --force
                        note "KNOWN GAP: delete killed after ${delay}s left $ROOT/$id without state.json"
                        cleanup_leak "$id" "$S" "$W" "$G"
                        continue
                fi
                assert_state_truthful "$id"
                delete_clean "$id" "$S" "$W" "$G"
        done
}
test_kill_cocoon_in_delete_none() { SB=none kill_cocoon_in_delete; }
test_kill_cocoon_in_delete_sentry() { SB=sentry kill_cocoon_in_delete; }

# ---------------------------------------------------------------- --root full

# fill DIR: write into DIR until its filesystem is full.
fill() {
        dd if=/dev/zero of="$1/fill" bs=4k >/dev/null 2>&1 || true
        sync
}

# A --root on a full filesystem: create fails with one line and leaves no
# process, cgroup or directory; with no inode left the same. A container
# made before the filesystem filled up still starts, execs and is deleted.
full_root() {
        local fs=$T/fs id n=0
        mkdir -p "$fs"
        mount -t tmpfs -o size=256k,mode=0755 "tmpfs-$TOKEN" "$fs"
        fault_bundle /bin/sleep 1000
        # blocks full: the directory can be made, state.json cannot be written
        mkdir "$fs/root"
        fill "$fs"
        id=$(new_id f)
        capture "$COCOON" --root "$fs/root" --sandbox "$SB" create --bundle "$B" "$id"
        [ "$rc" != 0 ] || fail "create succeeded on a full --root"
        assert_error_line
        assert_contains "$err" "No space left on device"
        [ -z "$(ls -A "$fs/root")" ] || fail "left in the full root: $(ls -A "$fs/root")"
        [ -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id")" ] || fail "cgroup left by the failed create"
        # no inode left either: the directory itself cannot be made
        umount "$fs"
        mount -t tmpfs -o size=1m,nr_inodes=4,mode=0755 "tmpfs-$TOKEN" "$fs"
        mkdir "$fs/root"
        while touch "$fs/i$((++n))" 2>/dev/null; do :; done
        capture "$COCOON" --root "$fs/root" --sandbox "$SB" create --bundle "$B" "$id"
        [ "$rc" != 0 ] || fail "create succeeded with no inode left in --root"
        assert_error_line
        assert_contains "$err" "No space left on device"
        [ -z "$(ls -A "$fs/root")" ] || fail "left in the full root: $(ls -A "$fs/root")"
        umount "$fs"
        # created while there was room, then the filesystem fills up
        mount -t tmpfs -o size=512k,mode=0755 "tmpfs-$TOKEN" "$fs"
        ROOT=$fs/root
        id=$(new_id g)
        assert_ok cc create --bundle "$B" "$id"
        S=$(json_get 'd["pid"]' "$ROOT/$id/state.json")
        track_pid "$S"
        fill "$fs"
        assert_ok cc start "$id"
        assert_eq running "$(cc state "$id" | json_get 'd["status"]')"
        assert_ok cc exec "$id" /bin/echo exec-on-full-root
        assert_eq exec-on-full-root "$out"
        delete_clean "$id" "$S"
        umount "$fs"
}
test_full_root_none() { SB=none full_root; }
test_full_root_sentry() { SB=sentry full_root; }

# ---------------------------------------------------------------- state.json

# damage HOW FILE: truncate, garbage, empty or remove a state.json.
damage() {
        case $1 in
        truncated) head -c "$(($(stat -c %s "$2") / 2))" "$2" >"$2.t" && mv "$2.t" "$2" ;;
        garbage) printf '\x00\xffnot json{{{' >"$2" ;;
        empty) : >"$2" ;;
        missing) rm -f "$2" ;;
        esac
}

# cleanup_leak ID PIDS...: what `delete --force` leaves of a container whose
# state is damaged (KNOWN GAP, below): its processes and cgroups.
cleanup_leak() {
        local id=$1 p
        shift
        for p in "$@"; do
                [ -n "$p" ] && [ "$p" != 0 ] && kill -KILL "$p" 2>/dev/null || true
        done
        for p in "$@"; do
                [ -n "$p" ] && [ "$p" != 0 ] && wait_pid_gone "$p"
        done
        local i
        for i in 1 2 3 4 5 6 7 8 9 10; do
                find /sys/fs/cgroup -maxdepth 6 -depth -type d -name "$id" -exec rmdir {} \; 2>/dev/null || true
                [ -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id")" ] && break
                sleep 0.1
        done
        rm -rf "${ROOT:?}/$id"
}

# A running container whose state.json is damaged. `state` says so in one
# line. KNOWN GAP (docs/security.md): `delete --force` then removes the
# state directory (or, with state.json missing, refuses with "does not
# exist" and leaves the directory) but not the container: its processes
# keep running and its cgroups stay, because their pids and cgroup paths
# were in the damaged file. This asserts today's behaviour so that a fix
# shows up here; the test cleans up by hand.
damaged_state() {
        local how id
        for how in truncated garbage empty missing; do
                fault_bundle /bin/sleep 1000
                id=$(new_id "$how")
                assert_ok cc run -d --bundle "$B" "$id"
                S=$(pid_of "$id") W=$S G=""
                track_pid "$S"
                [ "$SB" = sentry ] && sentry_pids "$id"
                damage "$how" "$ROOT/$id/state.json"
                assert_fail cc state "$id"
                assert_error_line
                if [ "$how" = missing ]; then
                        assert_contains "$err" "does not exist"
                else
                        assert_contains "$err" "is corrupt"
                fi
                assert_fail cc start "$id"
                assert_error_line
                capture cc delete --force "$id"
                if [ "$how" = missing ]; then
                        assert_eq 1 "$rc" "delete --force with state.json missing (known gap)"
                        assert_contains "$err" "does not exist"
                        [ -d "$ROOT/$id" ] || fail "known gap closed? the directory went: update this test and docs/security.md"
                else
                        assert_eq 0 "$rc" "delete --force of a damaged state"
                        [ ! -e "$ROOT/$id" ] || fail "delete --force left $ROOT/$id"
                fi
                pid_alive "$W" || fail "known gap closed? the workload died: update this test and docs/security.md"
                [ -n "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id")" ] || fail "known gap closed? the cgroup went"
                note "KNOWN GAP ($how state.json): delete --force left the container running"
                cleanup_leak "$id" "$S" "$W" "$G"
        done
}
test_damaged_state_none() { SB=none damaged_state; }
test_damaged_state_sentry() { SB=sentry damaged_state; }
