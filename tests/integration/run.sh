# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# cocoon run: foreground and detached, exit codes and stdio.

test_run_exit_codes() {
        local B=$T/b
        make_bundle "$B"
        run_in "$B" /bin/sh -c 'exit 7'
        assert_eq 7 "$rc" "exit code"
        run_in "$B" /bin/sh -c 'exit 0'
        assert_eq 0 "$rc" "exit code"
        run_in "$B" /bin/false
        assert_eq 1 "$rc" "exit code"
        run_in "$B" /bin/sh -c 'exit 255'
        assert_eq 255 "$rc" "exit code"
}

test_run_killed_by_signal() {
        # runc: a container killed by signal N makes `run` exit 128+N
        local B=$T/b id sig n
        make_bundle "$B" /bin/sleep 1000
        # (only KILL: pid 1 of a pid namespace ignores signals it has no handler for)
        sig=KILL
        id=$(new_id)
        cocoon run --bundle "$B" "$id" >"$T/out" 2>"$T/err" &
        local rp=$!
        track_pid "$rp"
        wait_status "$id" running
        assert_ok cocoon kill "$id" "$sig"
        local rrc=0
        wait "$rp" || rrc=$?
        n=$(kill -l "$sig")
        assert_eq $((128 + n)) "$rrc" "exit code of run after SIG$sig"
        assert_fail cocoon state "$id"
}

test_run_stdout_stderr() {
        local B=$T/b
        make_bundle "$B"
        run_ok "$B" /bin/sh -c 'echo to-stdout; echo to-stderr >&2'
        assert_eq to-stdout "$out" stdout
        assert_eq to-stderr "$err" stderr
}

test_run_stdin() {
        local B=$T/b id
        make_bundle "$B" /bin/cat
        id=$(new_id)
        capture_in "hello stdin" cocoon run --bundle "$B" "$id"
        assert_eq 0 "$rc" "exit code"
        assert_eq "hello stdin" "$out" stdout
        # EOF on stdin reaches the container
        id=$(new_id)
        set_args "$B" /bin/wc -c
        capture timeout 20 "$COCOON" $CC_GLOBAL run --bundle "$B" "$id" </dev/null
        assert_eq 0 "$rc" "exit code with /dev/null stdin"
        assert_eq 0 "$(echo $out)" "wc -c of empty stdin"
}

test_run_large_output() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'head -c 3000000 /dev/zero | tr "\0" a; head -c 1000000 /dev/zero >&2'
        id=$(new_id)
        cocoon run --bundle "$B" "$id" >"$T/o" 2>"$T/e" || fail "run failed"
        assert_eq 3000000 "$(stat -c %s "$T/o")" "stdout bytes"
        assert_eq 1000000 "$(stat -c %s "$T/e")" "stderr bytes"
}

test_run_detach() {
        local B=$T/b id t0 t1 p
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        t0=$(date +%s)
        capture timeout 20 "$COCOON" $CC_GLOBAL run --detach --bundle "$B" "$id"
        t1=$(date +%s)
        assert_eq 0 "$rc" "run --detach exit code ($err)"
        [ $((t1 - t0)) -lt 5 ] || fail "run --detach took $((t1 - t0)) s"
        assert_eq running "$(status_of "$id")" status
        p=$(pid_of "$id")
        track_pid "$p"
        pid_alive "$p" || fail "init not alive"
        destroy "$id"
        # short form
        id=$(new_id)
        assert_ok cocoon run -d --bundle "$B" "$id"
        track_pid "$(pid_of "$id")"
        assert_eq running "$(status_of "$id")" status
        destroy "$id"
}

test_run_detach_exits_later() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'sleep 0.3; exit 3'
        id=$(new_id)
        assert_ok cocoon run -d --bundle "$B" "$id"
        wait_status "$id" stopped
        # a detached container stays until deleted
        assert_ok cocoon delete "$id"
}

test_run_deletes_after_exit() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        assert_ok cocoon run --bundle "$B" "$id"
        assert_fail cocoon state "$id"
        [ ! -e "$ROOT/$id" ] || fail "run left $ROOT/$id"
        # the id can be reused at once
        assert_ok cocoon run --bundle "$B" "$id"
}

test_run_pid_file() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        assert_ok cocoon run -d --pid-file "$T/pid" --bundle "$B" "$id"
        assert_eq "$(pid_of "$id")" "$(cat "$T/pid")" "pid file"
        track_pid "$(cat "$T/pid")"
        destroy "$id"
}

test_run_exit_code_of_init_not_children() {
        local B=$T/b
        make_bundle "$B"
        # the init exits 5 while a child keeps running: run returns 5 at once
        # (the pid namespace dies with its init)
        local t0 t1
        t0=$(date +%s)
        run_in "$B" /bin/sh -c 'sleep 100 & exit 5'
        t1=$(date +%s)
        assert_eq 5 "$rc" "exit code"
        [ $((t1 - t0)) -lt 20 ] || fail "run waited for the init's children"
}

test_run_env_of_caller_not_leaked() {
        local B=$T/b
        make_bundle "$B"
        SECRET_CALLER_VAR=leak run_ok "$B" /bin/env
        assert_not_contains "$out" SECRET_CALLER_VAR "container env"
        assert_not_contains "$out" COCOON_TEST_TOKEN "container env"
        assert_contains "$out" "PATH=" "container env"
}

test_run_forwards_signals() {
        # runc run (foreground, no tty) forwards the signals it gets to the container
        local B=$T/b id rp
        make_bundle "$B" /bin/sh -c 'trap "echo got-term >/sig; exit 42" TERM; echo ready >/ready; while :; do sleep 0.05; done'
        id=$(new_id)
        # (the binary itself, not the `cocoon` shell function, must get the signal)
        "$COCOON" $CC_GLOBAL run --bundle "$B" "$id" >/dev/null 2>"$T/err" &
        rp=$!
        track_pid "$rp"
        wait_file "$B/rootfs/ready"
        kill -TERM "$rp"
        local r=0
        wait "$rp" || r=$?
        assert_eq got-term "$(cat "$B/rootfs/sig" 2>/dev/null)" "signal seen by the container"
        assert_eq 42 "$r" "exit code of run"
}
