# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# test-timeout: 90
# Fault injection during start and exec (faults.sh explains the method):
# cocoon start killed in its hooks, the container's processes killed while
# start runs, cocoon exec and the exec'd process killed, the Sentry killed
# during an exec.

# shellcheck source=tests/lib/faults.sh
source "$TESTS_DIR/lib/faults.sh"

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
                container_pids "$id"
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
                container_pids "$id"
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
        container_pids "$id"
        assert_ok cc start "$id"
        for delay in 0 0.05 0.2; do
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
