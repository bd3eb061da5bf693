# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# cocoon exec into a running container.

# exec_setup: a running container $ID from bundle $B (sleep), init pid $IP.
exec_setup() {
        B=$T/b
        make_bundle "$B" /bin/sleep 1000
        ID=$(new_id)
        start_ctr "$B" "$ID"
        IP=$(init_pid "$ID")
}

test_exec_inline_args() {
        exec_setup
        assert_ok cocoon exec "$ID" /bin/echo hello world
        assert_eq "hello world" "$out"
        # PATH lookup from the container's env
        assert_ok cocoon exec "$ID" echo via-path
        assert_eq via-path "$out"
        # options after the id belong to the command
        assert_ok cocoon exec "$ID" sh -c 'echo "$0 $1"' --x -y
        assert_eq "--x -y" "$out"
        destroy "$ID"
}

test_exec_exit_code() {
        exec_setup
        assert_rc 3 cocoon exec "$ID" sh -c 'exit 3'
        assert_rc 0 cocoon exec "$ID" true
        assert_rc 1 cocoon exec "$ID" false
        # a command killed by a signal: 128+N as runc
        assert_rc 137 cocoon exec "$ID" sh -c 'kill -9 $$'
        assert_eq running "$(status_of "$ID")" "status after execs"
        destroy "$ID"
}

test_exec_stdio() {
        exec_setup
        capture_in "piped input" cocoon exec "$ID" cat
        assert_eq 0 "$rc"
        assert_eq "piped input" "$out" "stdin -> stdout"
        assert_ok cocoon exec "$ID" sh -c 'echo err >&2; echo out'
        assert_eq out "$out"
        assert_eq err "$err"
        destroy "$ID"
}

test_exec_process_file() {
        exec_setup
        cat >"$T/process.json" <<'J'
{
  "terminal": false,
  "user": {"uid": 0, "gid": 0},
  "args": ["/bin/sh", "-c", "echo $FOO; pwd"],
  "env": ["FOO=from-process-json", "PATH=/bin:/usr/bin"],
  "cwd": "/tmp"
}
J
        assert_ok cocoon exec --process "$T/process.json" "$ID"
        assert_eq "from-process-json
/tmp" "$out"
        assert_ok cocoon exec -p "$T/process.json" "$ID"
        assert_ok cocoon exec --process="$T/process.json" "$ID"
        # bad process files give one error line
        echo '{"args": "x"' >"$T/bad.json"
        assert_fail cocoon exec --process "$T/bad.json" "$ID"
        assert_error_line
        echo '{"args": 5, "cwd": "/"}' >"$T/bad2.json"
        assert_fail cocoon exec --process "$T/bad2.json" "$ID"
        assert_error_line
        assert_contains "$err" "args"
        assert_fail cocoon exec --process "$T/missing.json" "$ID"
        assert_error_line
        destroy "$ID"
}

test_exec_env() {
        exec_setup
        assert_ok cocoon exec --env FOO=bar --env X=1 --env=Y=2 "$ID" env
        assert_contains "$out" "FOO=bar"
        assert_contains "$out" "X=1"
        assert_contains "$out" "Y=2"
        # the config's env is kept
        assert_contains "$out" "PATH=" "env"
        # --env overrides a config value
        assert_ok cocoon exec --env PATH=/bin:/sbin "$ID" sh -c 'echo $PATH'
        assert_eq /bin:/sbin "$out"
        assert_ok cocoon exec -e SHORT=form "$ID" sh -c 'echo $SHORT'
        assert_eq form "$out" "-e"
        destroy "$ID"
}

test_exec_cwd() {
        exec_setup
        assert_ok cocoon exec --cwd /tmp "$ID" pwd
        assert_eq /tmp "$out"
        assert_ok cocoon exec --cwd=/etc "$ID" pwd
        assert_eq /etc "$out"
        assert_ok cocoon exec "$ID" pwd
        assert_eq / "$out" "default cwd"
        destroy "$ID"
}

test_exec_user() {
        exec_setup
        assert_ok cocoon exec --user 1000:1000 "$ID" id
        assert_eq "uid=1000 gid=1000" "$out" "id (no supplementary groups, as runc)"
        assert_ok cocoon exec -u 1000:1001 "$ID" sh -c 'id -u; id -g'
        assert_eq "1000
1001" "$out"
        # uid alone: gid 0, as runc
        assert_ok cocoon exec --user 1000 "$ID" id -g
        assert_eq 0 "$out"
        assert_ok cocoon exec --user 1000:1000 --additional-gids 10 --additional-gids 20 "$ID" id -G
        assert_eq "1000 10 20" "$out" "id -G with --additional-gids"
        destroy "$ID"
}

cap_eff_has() { # HEXMASK BIT
        python3 -c 'import sys; sys.exit(0 if int(sys.argv[1],16) >> int(sys.argv[2]) & 1 else 1)' "$1" "$2"
}

test_exec_cap() {
        exec_setup
        local m
        assert_ok cocoon exec "$ID" sh -c 'grep CapEff /proc/self/status'
        m=$(awk '{print $2}' <<<"$out")
        cap_eff_has "$m" 21 && fail "CAP_SYS_ADMIN in a default exec: $m"
        assert_ok cocoon exec --cap CAP_SYS_ADMIN "$ID" sh -c 'grep CapEff /proc/self/status'
        m=$(awk '{print $2}' <<<"$out")
        cap_eff_has "$m" 21 || fail "CAP_SYS_ADMIN missing with --cap: $m"
        # the config's caps stay (runc default: CAP_KILL = 5)
        cap_eff_has "$m" 5 || fail "CAP_KILL missing with --cap: $m"
        assert_ok cocoon exec --cap CAP_SYS_ADMIN --cap CAP_NET_ADMIN "$ID" sh -c 'grep CapBnd /proc/self/status'
        m=$(awk '{print $2}' <<<"$out")
        cap_eff_has "$m" 12 || fail "CAP_NET_ADMIN missing from bounding with --cap: $m"
        # an unknown capability: an error, or (runc) a warning naming it
        capture cocoon exec --cap CAP_NOPE "$ID" true
        [ "$rc" = 0 ] || assert_error_line
        assert_contains "$err" "CAP_NOPE"
        destroy "$ID"
}

test_exec_detach() {
        exec_setup
        local t0 t1
        t0=$(date +%s)
        assert_ok timeout 20 "$COCOON" $CC_GLOBAL exec --detach "$ID" sh -c 'sleep 2; echo done >/tmp/detached'
        t1=$(date +%s)
        [ $((t1 - t0)) -lt 3 ] || fail "exec --detach waited"
        [ ! -e "$B/rootfs/tmp/detached" ] || fail "exec --detach waited for the command"
        wait_file "$B/rootfs/tmp/detached"
        assert_ok cocoon exec -d "$ID" true
        destroy "$ID"
}

test_exec_pid_file() {
        exec_setup
        local p
        assert_ok cocoon exec -d --pid-file "$T/exec.pid" "$ID" sleep 999
        p=$(cat "$T/exec.pid")
        track_pid "$p"
        pid_alive "$p" || fail "exec pid $p not alive"
        assert_contains "$(tr '\0' ' ' </proc/"$p"/cmdline)" "sleep 999" "cmdline of the pid-file pid"
        # the exec'd process is in the container's namespaces
        local ns
        for ns in pid mnt net ipc uts; do
                assert_eq "$(readlink /proc/"$IP"/ns/$ns)" "$(readlink /proc/"$p"/ns/$ns)" "$ns namespace of the exec"
        done
        destroy "$ID"
        wait_pid_gone "$p"
}

test_exec_sees_init() {
        exec_setup
        assert_ok cocoon exec "$ID" sh -c 'tr "\0" " " </proc/1/cmdline'
        assert_eq "/bin/sleep 1000 " "$out" "/proc/1/cmdline inside"
        assert_ok cocoon exec "$ID" sh -c 'echo $$'
        [ "$out" != 1 ] || fail "exec'd process is pid 1"
        assert_ok cocoon exec "$ID" cat /etc/hostname
        destroy "$ID"
}

test_exec_stopped_container_fails() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        start_ctr "$B" "$id"
        wait_status "$id" stopped
        assert_fail cocoon exec "$id" true
        assert_error_line
        assert_ok cocoon delete "$id"
}

test_exec_missing_executable() {
        exec_setup
        assert_fail cocoon exec "$ID" nope-not-here
        assert_error_line
        assert_contains "$err" "nope-not-here"
        assert_contains "$err" "executable file not found"
        assert_eq running "$(status_of "$ID")" "status after failed exec"
        destroy "$ID"
}

test_exec_no_command() {
        exec_setup
        assert_fail cocoon exec "$ID"
        assert_error_line
        destroy "$ID"
}

test_exec_tty() {
        exec_setup
        # as containerd does it: detached, the pty master goes to the socket
        console_receiver "$T/console.sock" "$T/console.out"
        assert_ok cocoon exec --detach --tty --console-socket "$T/console.sock" "$ID" sh -c 'test -t 0 && test -t 1 && echo IS-A-TTY; tty'
        assert_eq "" "$out" "stdout of exec -d -t"
        wait_pid_gone "$console_pid"
        local o
        o=$(tr -d '\r' <"$T/console.out")
        assert_contains "$o" "IS-A-TTY" "console output"
        assert_contains "$o" "/dev/pts/" "console output"
        # -t without a console socket in detached mode is an error
        assert_fail cocoon exec -d -t "$ID" true
        assert_error_line
        destroy "$ID"
}

test_exec_tty_foreground() {
        have_cmd script || skip "no script(1)"
        exec_setup
        # in the foreground the runtime proxies a pty to its own terminal
        capture script -qec "$COCOON $CC_GLOBAL exec -t $ID sh -c 'test -t 1 && echo IS-A-TTY; exit 3'" /dev/null
        assert_eq 3 "$rc" "exit code through exec -t"
        assert_contains "$out" "IS-A-TTY"
        destroy "$ID"
}

test_exec_many() {
        exec_setup
        local i
        for i in 1 2 3 4 5 6 7 8; do
                assert_ok cocoon exec "$ID" echo "$i"
                assert_eq "$i" "$out"
        done
        destroy "$ID"
}

test_exec_forwards_signals() {
        exec_setup
        "$COCOON" $CC_GLOBAL exec "$ID" sh -c 'trap "echo got-term >/exec-sig; exit 43" TERM; echo ready >/exec-ready; while :; do sleep 0.05; done' >/dev/null 2>&1 &
        local ep=$!
        track_pid "$ep"
        wait_file "$B/rootfs/exec-ready"
        kill -TERM "$ep"
        local r=0
        wait "$ep" || r=$?
        assert_eq got-term "$(cat "$B/rootfs/exec-sig" 2>/dev/null)" "signal seen by the exec'd process"
        assert_eq 43 "$r" "exit code of exec"
        destroy "$ID"
}

test_exec_bad_cwd_and_user() {
        exec_setup
        assert_fail cocoon exec --cwd /no/such/dir "$ID" true
        assert_error_line
        assert_fail cocoon exec --user nobody-by-name-x "$ID" true
        assert_error_line
        cat >"$T/p.json" <<'J'
{"terminal": true, "args": ["true"], "cwd": "/", "user": {"uid": 0, "gid": 0}}
J
        # a terminal without a console socket, detached: error
        assert_fail cocoon exec -d --process "$T/p.json" "$ID"
        assert_error_line
        assert_eq running "$(status_of "$ID")" "status after failed execs"
        destroy "$ID"
}

test_exec_into_created_container() {
        # runc allows exec into a created container (the init has not run yet)
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'echo ran >/ran; sleep 1000'
        id=$(new_id)
        create_ctr "$B" "$id"
        capture cocoon exec "$id" sh -c 'echo exec-ok'
        local ref_rc=$rc ref_out=$out
        [ ! -e "$B/rootfs/ran" ] || fail "exec started the init's program"
        assert_eq created "$(status_of "$id")" "status after exec"
        if [ "$ref_rc" = 0 ]; then
                assert_eq exec-ok "$ref_out"
        else
                assert_error_line
        fi
        destroy "$id"
}

test_exec_in_user_namespace() {
        B=$T/b
        make_bundle "$B" /bin/sleep 1000
        edit_config "$B" "c['linux']['namespaces'].append({'type':'user'})" \
                'c["linux"]["uidMappings"]=[{"containerID":0,"hostID":300000,"size":65536}]' \
                'c["linux"]["gidMappings"]=[{"containerID":0,"hostID":300000,"size":65536}]'
        chown -R 300000:300000 "$B/rootfs"
        ID=$(new_id)
        start_ctr "$B" "$ID"
        assert_ok cocoon exec "$ID" sh -c 'id -u; cat /proc/self/uid_map'
        assert_eq "0
0 300000 65536" "$(echo "$out" | sed 's/  */ /g; s/^ //')"
        assert_ok cocoon exec -u 1000:1000 "$ID" id -u
        assert_eq 1000 "$out"
        local p
        assert_ok cocoon exec -d --pid-file "$T/e.pid" "$ID" sleep 999
        p=$(cat "$T/e.pid")
        track_pid "$p"
        assert_eq "$(readlink /proc/"$(init_pid "$ID")"/ns/user)" "$(readlink /proc/"$p"/ns/user)" "user namespace of the exec"
        assert_eq 300000 "$(awk '/^Uid:/ {print $2}' /proc/"$p"/status)" "host uid of the exec'd process"
        destroy "$ID"
}
