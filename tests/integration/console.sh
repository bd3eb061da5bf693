# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# terminal: true with --console-socket, as containerd's shim does it.

tty_bundle() {
        B=$T/b
        make_bundle "$B" "$@"
        edit_config "$B" 'c["process"]["terminal"]=True'
}

test_console_socket_create_start() {
        tty_bundle /bin/sh -c 'test -t 0 && test -t 1 && test -t 2 && echo ALL-TTY; tty; echo hello-console'
        local id
        id=$(new_id)
        console_receiver "$T/c.sock" "$T/c.out"
        create_ctr "$B" "$id" --console-socket "$T/c.sock"
        assert_eq "" "$out" "stdout of create"
        assert_ok cocoon start "$id"
        wait_status "$id" stopped
        wait_pid_gone "$console_pid"
        local o
        o=$(tr -d '\r' <"$T/c.out")
        assert_contains "$o" ALL-TTY "console output"
        assert_contains "$o" hello-console "console output"
        assert_match "$o" '/dev/pts/[0-9]+' "tty name"
        assert_ok cocoon delete "$id"
}

test_console_input() {
        tty_bundle /bin/sh -c 'read line; echo "got:$line"'
        local id
        id=$(new_id)
        console_receiver "$T/c.sock" "$T/c.out" 'some-input\n'
        create_ctr "$B" "$id" --console-socket "$T/c.sock"
        assert_ok cocoon start "$id"
        wait_status "$id" stopped
        wait_pid_gone "$console_pid"
        assert_contains "$(tr -d '\r' <"$T/c.out")" "got:some-input" "console output"
        assert_ok cocoon delete "$id"
}

test_console_size() {
        tty_bundle /bin/stty size
        edit_config "$B" 'c["process"]["consoleSize"]={"height":33,"width":101}'
        local id
        id=$(new_id)
        console_receiver "$T/c.sock" "$T/c.out"
        create_ctr "$B" "$id" --console-socket "$T/c.sock"
        assert_ok cocoon start "$id"
        wait_status "$id" stopped
        wait_pid_gone "$console_pid"
        assert_contains "$(tr -d '\r' <"$T/c.out")" "33 101" "stty size"
        assert_ok cocoon delete "$id"
}

test_dev_console_is_the_pty() {
        tty_bundle /bin/sh -c 'stat -c "%t" /dev/console; readlink /proc/self/fd/0'
        local id
        id=$(new_id)
        console_receiver "$T/c.sock" "$T/c.out"
        create_ctr "$B" "$id" --console-socket "$T/c.sock"
        assert_ok cocoon start "$id"
        wait_status "$id" stopped
        wait_pid_gone "$console_pid"
        local o
        o=$(tr -d '\r' <"$T/c.out")
        # pty slaves have major 136 (0x88)
        assert_eq 88 "$(head -n1 <<<"$o")" "major of /dev/console"
        assert_match "$(sed -n 2p <<<"$o")" '^/dev/pts/[0-9]+$' "stdin of the container"
        assert_ok cocoon delete "$id"
}

test_console_run_detach() {
        tty_bundle /bin/sh -c 'echo detached-tty; sleep 1000'
        local id
        id=$(new_id)
        console_receiver "$T/c.sock" "$T/c.out"
        assert_ok cocoon run -d --console-socket "$T/c.sock" --bundle "$B" "$id"
        track_pid "$(pid_of "$id")"
        wait_for grep -q detached-tty "$T/c.out"
        destroy "$id"
        wait_pid_gone "$console_pid"
}

test_console_socket_name_payload() {
        tty_bundle /bin/true
        local id
        id=$(new_id)
        console_receiver "$T/c.sock" "$T/c.out"
        create_ctr "$B" "$id" --console-socket "$T/c.sock"
        wait_file "$T/c.out.name"
        [ ! -e "$T/c.out.nofd" ] || fail "no fd received"
        assert_ok cocoon start "$id"
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
        wait_pid_gone "$console_pid"
}

test_terminal_without_socket_fails() {
        tty_bundle /bin/true
        local id
        id=$(new_id)
        assert_fail cocoon create --bundle "$B" "$id"
        assert_error_line
        [ ! -e "$ROOT/$id" ] || fail "state left behind"
}

test_socket_without_terminal_fails() {
        B=$T/b
        make_bundle "$B" /bin/true
        local id
        id=$(new_id)
        console_receiver "$T/c.sock" "$T/c.out"
        assert_fail cocoon create --console-socket "$T/c.sock" --bundle "$B" "$id"
        assert_error_line
        [ ! -e "$ROOT/$id" ] || fail "state left behind"
        kill "$console_pid" 2>/dev/null || true
}

test_console_socket_missing() {
        tty_bundle /bin/true
        local id
        id=$(new_id)
        assert_fail cocoon create --console-socket "$T/no-such.sock" --bundle "$B" "$id"
        assert_error_line
        [ ! -e "$ROOT/$id" ] || fail "state left behind"
}

test_exec_tty_console_size() {
        B=$T/b
        make_bundle "$B" /bin/sleep 1000
        local id
        id=$(new_id)
        start_ctr "$B" "$id"
        cat >"$T/p.json" <<'J'
{"terminal": true, "consoleSize": {"height": 21, "width": 77}, "args": ["stty", "size"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"]}
J
        console_receiver "$T/c.sock" "$T/c.out"
        assert_ok cocoon exec -d --console-socket "$T/c.sock" --process "$T/p.json" "$id"
        wait_pid_gone "$console_pid"
        assert_contains "$(tr -d '\r' <"$T/c.out")" "21 77" "stty size in exec"
        destroy "$id"
}
