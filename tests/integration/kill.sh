# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# cocoon kill: signals by name and number, --all.

# A container whose init (sh) records the signals it gets in /sig.
trap_setup() {
        B=$T/b
        make_bundle "$B" /bin/sh -c '
                trap "echo TERM >>/sig; exit 0" TERM
                trap "echo USR1 >>/sig" USR1
                trap "echo HUP >>/sig" HUP
                echo ready >/ready
                while :; do sleep 0.05; done'
        ID=$(new_id)
        start_ctr "$B" "$ID"
        wait_file "$B/rootfs/ready"
}

count_lines() { # FILE WORD
        local n
        n=$(grep -c "^$2\$" "$1" 2>/dev/null) || true
        echo "${n:-0}"
}

count_is() { # FILE WORD N
        [ "$(count_lines "$1" "$2")" = "$3" ]
}

test_kill_default_is_term() {
        trap_setup
        assert_ok cocoon kill "$ID"
        wait_status "$ID" stopped
        assert_eq TERM "$(cat "$B/rootfs/sig")" "signal received"
        assert_ok cocoon delete "$ID"
}

test_kill_names_and_numbers() {
        trap_setup
        local s n=0
        for s in USR1 SIGUSR1 10 usr1; do
                capture cocoon kill "$ID" "$s"
                if [ "$s" = usr1 ]; then
                        # runc accepts lower case too? it does not: either is fine, but cleanly
                        [ "$rc" = 0 ] || { assert_error_line; continue; }
                fi
                [ "$rc" = 0 ] || fail "kill $s: rc $rc: $err"
                n=$((n + 1))
                wait_for count_is "$B/rootfs/sig" USR1 "$n"
        done
        assert_ok cocoon kill "$ID" SIGHUP
        wait_for count_is "$B/rootfs/sig" HUP 1
        assert_ok cocoon kill "$ID" 1
        wait_for count_is "$B/rootfs/sig" HUP 2
        assert_eq running "$(status_of "$ID")" "status after trapped signals"
        assert_ok cocoon kill "$ID" SIGTERM
        wait_status "$ID" stopped
        assert_ok cocoon delete "$ID"
}

test_kill_9_forms() {
        local B=$T/b id s
        make_bundle "$B" /bin/sleep 1000
        for s in 9 KILL SIGKILL; do
                id=$(new_id)
                start_ctr "$B" "$id"
                assert_ok cocoon kill "$id" "$s"
                wait_status "$id" stopped
                assert_ok cocoon delete "$id"
        done
}

test_kill_term_ignored_by_init_without_handler() {
        # pid 1 of a pid namespace has no default action for TERM: sleep survives
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        assert_ok cocoon kill "$id" TERM
        sleep 0.3
        assert_eq running "$(status_of "$id")" "status after TERM to a handler-less init"
        assert_ok cocoon kill "$id" KILL
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
}

test_kill_all() {
        local B=$T/b id ip ep
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        ip=$(pid_of "$id")
        assert_ok cocoon exec -d --pid-file "$T/e.pid" "$id" sleep 998
        ep=$(cat "$T/e.pid")
        track_pid "$ep"
        assert_ok cocoon kill --all "$id" KILL
        wait_status "$id" stopped
        wait_pid_gone "$ip"
        wait_pid_gone "$ep"
        assert_ok cocoon delete "$id"
        # -a short form
        id=$(new_id)
        start_ctr "$B" "$id"
        assert_ok cocoon kill -a "$id" 9
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
}

test_kill_bad_signal() {
        local B=$T/b id s
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        for s in NOPE SIGNOPE 0x9 -9 999 65; do
                assert_fail cocoon kill "$id" "$s"
                assert_error_line
        done
        assert_eq running "$(status_of "$id")" "status after bad kills"
        destroy "$id"
}

test_kill_stopped_container_fails() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        start_ctr "$B" "$id"
        wait_status "$id" stopped
        assert_fail cocoon kill "$id" KILL
        assert_error_line
        assert_ok cocoon delete "$id"
}

test_kill_created_container() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'echo ran >/ran'
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_ok cocoon kill "$id" KILL
        wait_status "$id" stopped
        [ ! -e "$B/rootfs/ran" ] || fail "the program ran"
        assert_fail cocoon start "$id"
        assert_ok cocoon delete "$id"
}
