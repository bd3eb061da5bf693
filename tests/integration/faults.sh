# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# test-timeout: 90
# Fault injection: SIGKILL of cocoon, the workload, the Sentry and the Gofer
# at each step of create (faults_run.sh: start and exec; faults_storage.sh:
# delete killed half-way, a full --root, a damaged state.json). After each: `state` tells the truth, `delete --force` removes
# everything, and nothing is left: processes, mounts, cgroups (the runner
# checks those after every test, assert_gone checks them at each step) and
# open descriptors on the container's state or rootfs.
#
# A step is reached deterministically: a hook of that step stalls (it
# touches a file and waits for a release file) and the test kills while it
# waits. Killing a running container's Sentry or Gofer is in sentry.sh
# (test_sentry_killed_*); the vm sandbox's faults (QEMU, the monitor, the
# agent) are in faults_vm.slow.sh.

# shellcheck source=tests/lib/faults.sh
source "$TESTS_DIR/lib/faults.sh"

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
                assert_state_truthful "$id"
                delete_clean "$id" "$init"
        done
}
test_kill_cocoon_in_create_none() { SB=none kill_cocoon_in_create; }
test_kill_cocoon_in_create_sentry() { SB=sentry kill_cocoon_in_create; }

# cocoon create killed after fixed delays, without hooks: the steps between
# the ones hooks can stop at (state written, cgroup made, supervisor and
# Gofer started, ...).
kill_cocoon_create_timed() {
        local delay id c
        fault_bundle /bin/sleep 1000
        for delay in 0 0.01 0.03 0.06 0.1 0.2; do
                id=$(new_id "t${delay/./}")
                bg c cc create --bundle "$B" "$id"
                sleep "$delay"
                kill -KILL "$c" 2>/dev/null || true # (it may have finished)
                reap "$c"
                half_state "$id" "create killed after ${delay}s" && continue
                assert_state_truthful "$id"
                S=$(json_get 'd.get("pid", 0)' "$ROOT/$id/state.json" 2>/dev/null || echo 0)
                W=$(json_get 'd.get("workload_pid", 0)' "$ROOT/$id/state.json" 2>/dev/null || echo 0)
                if [ -e "$ROOT/$id" ]; then
                        delete_clean "$id" "$S" "$W"
                else
                        assert_gone "$id"
                fi
        done
}
test_kill_cocoon_create_timed_none() { SB=none kill_cocoon_create_timed; }
test_kill_cocoon_create_timed_sentry() { SB=sentry kill_cocoon_create_timed; }

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
                container_pids "$id"
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
