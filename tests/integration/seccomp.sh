# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# OCI linux.seccomp: profiles compiled with libseccomp, loaded in the
# container's processes, listener fds handed to a seccomp agent.

# sc_bundle: $B is a fresh bundle.
sc_bundle() {
        B=$T/b
        make_bundle "$B"
}

# set_profile B PYTHON-EXPR: linux.seccomp = the expression.
set_profile() {
        edit_config "$1" "c['linux']['seccomp']=$2"
}

# both_run B CMD...: run CMD under cocoon ($out, $rc) and runc ($rout, $rrc).
both_run() {
        local b=$1
        shift
        run_in "$b" "$@"
        local id
        id=$(new_id rr)
        rrc=0
        rout=$(runc_ref run --bundle "$b" "$id" 2>&1) || rrc=$?
        runc_ref delete --force "$id" >/dev/null 2>&1 || true
}

# listener SOCK OUT ANSWER: the test seccomp agent in the background ($agent_pid).
listener() {
        [ -x "$T/agent" ] || gcc -O1 -o "$T/agent" "$TESTS_DIR/helpers/seccomp_listener.c" || fail "build the test agent"
        "$T/agent" "$@" 2>"$2.err" &
        agent_pid=$!
        track_pid "$agent_pid"
        wait_for test -S "$1"
}

test_seccomp_errno_ret_shows_in_mkdir() {
        sc_bundle
        set_profile "$B" '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
                "syscalls":[{"names":["mkdir","mkdirat","no_such_syscall_x"],"action":"SCMP_ACT_ERRNO","errnoRet":28}]}'
        run_ok "$B" /bin/sh -c 'mkdir /tmp/d 2>&1; test -d /tmp/d && echo made; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
        assert_contains "$out" "can't create directory '/tmp/d': No space left on device"
        assert_not_contains "$out" made
        assert_contains "$out" "Seccomp:	2"
        assert_contains "$out" "NoNewPrivs:	1"
        # the unknown name is skipped with a debug line, not an error
        set_args "$B" /bin/true
        capture cocoon --debug run --bundle "$B" "$(new_id)"
        assert_eq 0 "$rc" "run with --debug"
        assert_contains "$err" 'linux.seccomp.syscalls[0].names[2]: unknown syscall "no_such_syscall_x" skipped'
}

test_seccomp_errno_default_without_errno_ret_is_eperm() {
        sc_bundle
        set_profile "$B" '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}'
        run_ok "$B" /bin/sh -c 'mkdir /tmp/d 2>&1; true'
        assert_contains "$out" "Operation not permitted"
}

# A default-deny profile that allows only what busybox echo needs plus the
# syscalls cocoon itself makes after loading (docs/seccomp.md): the filter is
# loaded late enough, and with KILL_PROCESS anything else would kill it.
test_seccomp_allow_list_default_kill_process() {
        sc_bundle
        local allow='["execve","arch_prctl","brk","exit_group","getrandom","getuid","mprotect","prctl","prlimit64",
                "readlink","rseq","set_robust_list","set_tid_address","write","sendto","accept4","close"]'
        set_profile "$B" '{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[{"names":'"$allow"',"action":"SCMP_ACT_ALLOW"}]}'
        run_ok "$B" /bin/echo hello
        assert_eq hello "$out"
        # create + start (accept4 on the start socket happens after the load)
        set_args "$B" /bin/echo started
        local id
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_ok cocoon start "$id"
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
        # and something outside the list is fatal
        run_in "$B" /bin/ls /
        assert_eq 159 "$rc" "exit status of ls under the allow-list"
}

test_seccomp_default_errno_ret() {
        sc_bundle
        # everything denied with EACCES but what busybox sh needs for this
        python3 - "$B/config.json" "$TESTS_DIR/data/docker-default-seccomp.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
docker = json.load(open(sys.argv[2]))
allow = [n for n in docker["syscalls"][0]["names"] if n not in ("mkdir", "mkdirat", "uname")]
allow += ["arch_prctl", "clone"]
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13,
                         "syscalls": [{"names": allow, "action": "SCMP_ACT_ALLOW"}]}
json.dump(c, open(sys.argv[1], "w"))
PY
        run_ok "$B" /bin/sh -c 'mkdir /tmp/d 2>&1; uname -s 2>&1; echo end'
        assert_contains "$out" "can't create directory '/tmp/d': Permission denied"
        assert_not_contains "$out" Linux
        assert_contains "$out" end
}

test_seccomp_args_filter_same_as_runc() {
        sc_bundle
        # personality(PER_LINUX32) only; chmod to a sticky mode only
        # (MASKED_EQ); two conditions on one argument are alternatives (runc)
        set_profile "$B" '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
                {"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
                {"names":["chmod"],"action":"SCMP_ACT_ERRNO","errnoRet":13,
                 "args":[{"index":1,"value":512,"valueTwo":512,"op":"SCMP_CMP_MASKED_EQ"}]},
                {"names":["rmdir"],"action":"SCMP_ACT_ERRNO","errnoRet":16,
                 "args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"},{"index":0,"value":0,"op":"SCMP_CMP_NE"}]}]}'
        # (rmdir is refused, so each run works in a fresh directory)
        local probe='{ linux32 true; echo linux32=$?; linux64 true; echo linux64=$?; cd "$(mktemp -d)"
                mkdir a; chmod 755 a && echo a-755; chmod 1777 a; rmdir a; true; } 2>&1'
        both_run "$B" /bin/sh -c "$probe"
        assert_eq 0 "$rc" "cocoon run"
        assert_contains "$out" "linux32=1"
        assert_contains "$out" "linux64=0"
        assert_contains "$out" a-755
        assert_contains "$out" "chmod: a: Permission denied"
        assert_contains "$out" "Device or resource busy"
        assert_eq "$rout" "$out" "output under runc"
}

test_seccomp_kill_process_exit_159_as_runc() {
        sc_bundle
        set_profile "$B" '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_KILL_PROCESS"}]}'
        both_run "$B" /bin/mkdir /tmp/x
        assert_eq 159 "$rc" "cocoon exit status"
        assert_eq 159 "$rrc" "runc exit status"
        set_profile "$B" '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_KILL"}]}'
        run_in "$B" /bin/mkdir /tmp/x
        assert_eq 159 "$rc" "exit status with SCMP_ACT_KILL"
}

test_seccomp_exec_process_filtered() {
        sc_bundle
        set_profile "$B" '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":28}]}'
        set_args "$B" /bin/sleep 30
        local id
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_ok cocoon start "$id"
        assert_fail cocoon exec "$id" /bin/mkdir /tmp/e
        assert_contains "$err" "No space left on device"
        assert_ok cocoon exec "$id" /bin/grep -E "^Seccomp:" /proc/self/status
        assert_eq "Seccomp:	2" "$out"
        destroy "$id"
}

# Without noNewPrivileges the filter goes in before the capabilities are
# dropped, and libseccomp must not set no_new_privs on its own.
test_seccomp_without_no_new_privileges() {
        sc_bundle
        edit_config "$B" 'c["process"]["noNewPrivileges"]=False' 'c["process"]["user"]={"uid":1000,"gid":1000}'
        set_profile "$B" '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":28}]}'
        run_ok "$B" /bin/sh -c 'mkdir /tmp/d 2>&1; id -u; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
        assert_contains "$out" "No space left on device"
        assert_contains "$out" 1000
        assert_contains "$out" "NoNewPrivs:	0"
        assert_contains "$out" "Seccomp:	2"
}

# Docker's default profile, rendered for this host as the Docker daemon
# would (tests/helpers/render_docker_seccomp.py), with Docker's default
# noNewPrivileges=false: busybox works, namespaces and mounts are refused,
# exactly as under runc.
test_seccomp_docker_default_profile_as_runc() {
        # compared with runc byte for byte: the sentry sandbox adds its boundary
        # filter (Seccomp_filters one more, by design; sentry.sh checks that)
        local CC_GLOBAL="$CC_GLOBAL --sandbox none"
        sc_bundle
        edit_config "$B" 'c["process"]["noNewPrivileges"]=False'
        python3 "$TESTS_DIR/helpers/render_docker_seccomp.py" "$TESTS_DIR/data/docker-default-seccomp.json" \
                "$B/config.json" >"$T/profile.json"
        edit_config "$B" "c['linux']['seccomp']=json.load(open('$T/profile.json'))"
        local probe='ls / >/dev/null && echo ls-ok; echo $(cat /etc/hostname 2>/dev/null) sh-ok
                unshare -U true 2>&1; echo unshare=$?
                mount -t tmpfs none /mnt 2>&1; echo mount=$?
                linux32 true; echo linux32=$?
                grep -E "^(Seccomp|Seccomp_filters|NoNewPrivs):" /proc/self/status'
        both_run "$B" /bin/sh -c "$probe"
        assert_eq 0 "$rc" "cocoon run"
        assert_contains "$out" ls-ok
        assert_contains "$out" "unshare=1"
        assert_contains "$out" "Operation not permitted"
        assert_contains "$out" "mount=1"
        assert_contains "$out" "Seccomp:	2"
        assert_eq "$rout" "$out" "output under runc"
        # and without the profile unshare -U works here: the filter refused it
        edit_config "$B" 'del c["linux"]["seccomp"]'
        run_ok "$B" /bin/sh -c 'unshare -U true; echo unshare=$?'
        assert_eq "unshare=0" "$out"
}

test_seccomp_malformed_profiles_one_line_errors() {
        sc_bundle
        local id p want
        while IFS='|' read -r p want; do
                [ -n "$p" ] || continue
                set_profile "$B" "$p"
                id=$(new_id)
                assert_fail cocoon create --bundle "$B" "$id"
                assert_error_line
                assert_contains "$err" "$want"
                [ ! -e "$ROOT/$id" ] || fail "state of $id left behind after: $err"
        done <<'EOF'
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_FOO"}]}|config.json: linux.seccomp.syscalls[0].action: unknown seccomp action "SCMP_ACT_FOO"
{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_Z80"]}|config.json: linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_Z80"
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_ABOUT"}]}]}|config.json: linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_ABOUT"
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"},{"names":["rmdir"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}|config.json: linux.seccomp.syscalls[1].args[0].index: expected an argument index from 0 to 5
{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_BOGUS"]}|config.json: linux.seccomp.flags[1]: unknown seccomp flag "SECCOMP_FILTER_FLAG_BOGUS"
{"syscalls":[]}|config.json: linux.seccomp.defaultAction: required field is missing
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":"mkdir","action":"SCMP_ACT_ERRNO"}]}|config.json: linux.seccomp.syscalls[0].names: expected an array
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}|config.json: linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ALLOW","errnoRet":1}]}|config.json: linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE
{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":-1}|config.json: linux.seccomp.defaultErrnoRet: expected an unsigned integer
{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]}|config.json: linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by libseccomp
EOF
        [ -z "$(cocoon list -q)" ] || fail "containers left: $(cocoon list -q)"
}

test_seccomp_supported_flags_load() {
        sc_bundle
        set_profile "$B" '{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
                "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":28}]}'
        run_ok "$B" /bin/sh -c 'mkdir /tmp/d 2>&1; true'
        assert_contains "$out" "No space left on device"
}

# SCMP_ACT_NOTIFY: the agent at listenerPath gets the container process state
# and the listener fd, and answers mkdir without it being performed.
test_seccomp_notify_listener_answers() {
        # SCMP_ACT_NOTIFY is a none-sandbox mechanism: the Sentry holds the only
        # listener and refuses it (sentry.sh test_sentry_refuses_what_it_cannot_run)
        local CC_GLOBAL="$CC_GLOBAL --sandbox none"
        sc_bundle
        local sock=$T/agent.sock
        set_profile "$B" '{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"'"$sock"'","listenerMetadata":"meta-'"$TOKEN"'",
                "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_NOTIFY"}]}'
        listener "$sock" "$T/msg.json" ok
        set_args "$B" /bin/sh -c 'mkdir /tmp/n; echo rc=$?; test -d /tmp/n && echo exists || echo absent'
        local id
        id=$(new_id)
        capture cocoon run --bundle "$B" "$id"
        assert_eq 0 "$rc" "cocoon run (stderr: $err)"
        assert_eq "rc=0
absent" "$out"
        wait "$agent_pid" || fail "agent failed: $(cat "$T/msg.json.err")"
        assert_eq mkdir "$(cat "$T/msg.json.log")" "notifications"
        local m=$T/msg.json
        assert_eq 1.2.0 "$(json_get 'd["ociVersion"]' "$m")"
        assert_eq '["seccompFd"]' "$(json_get 'd["fds"]' "$m")"
        assert_eq "meta-$TOKEN" "$(json_get 'd["metadata"]' "$m")"
        assert_eq "$id" "$(json_get 'd["state"]["id"]' "$m")"
        assert_eq creating "$(json_get 'd["state"]["status"]' "$m")"
        assert_eq "$B" "$(json_get 'd["state"]["bundle"]' "$m")"
        assert_eq "$(json_get 'd["pid"]' "$m")" "$(json_get 'd["state"]["pid"]' "$m")" "process pid = init pid"
        [ "$(json_get 'd["pid"]' "$m")" -gt 1 ] || fail "pid in the message: $(cat "$m")"
}

# An exec'd process gets its own listener fd, sent to the agent with the
# exec'd process's pid and the container's current state.
test_seccomp_notify_listener_exec() {
        # SCMP_ACT_NOTIFY is a none-sandbox mechanism: the Sentry holds the only
        # listener and refuses it (sentry.sh test_sentry_refuses_what_it_cannot_run)
        local CC_GLOBAL="$CC_GLOBAL --sandbox none"
        sc_bundle
        local sock=$T/agent.sock
        set_profile "$B" '{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"'"$sock"'",
                "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_NOTIFY"}]}'
        listener "$sock" "$T/init.json" ok
        local first=$agent_pid
        set_args "$B" /bin/sleep 30
        local id
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_ok cocoon start "$id"
        wait_for test ! -e "$sock" # the first agent has its connection
        listener "$sock" "$T/exec.json" errno:28
        assert_fail cocoon exec "$id" /bin/mkdir /tmp/e
        assert_contains "$err" "No space left on device"
        assert_eq running "$(json_get 'd["state"]["status"]' "$T/exec.json")"
        local epid
        epid=$(json_get 'd["pid"]' "$T/exec.json")
        assert_ne "$(pid_of "$id")" "$epid" "exec process pid"
        wait "$agent_pid" || fail "exec agent failed: $(cat "$T/exec.json.err")"
        assert_eq mkdir "$(cat "$T/exec.json.log")"
        destroy "$id"
        wait "$first" || fail "init agent failed: $(cat "$T/init.json.err")"
}

test_seccomp_notify_agent_missing_fails_create() {
        # SCMP_ACT_NOTIFY is a none-sandbox mechanism: the Sentry holds the only
        # listener and refuses it (sentry.sh test_sentry_refuses_what_it_cannot_run)
        local CC_GLOBAL="$CC_GLOBAL --sandbox none"
        sc_bundle
        set_profile "$B" '{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"'"$T"'/nobody.sock",
                "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}'
        local id
        id=$(new_id)
        assert_fail cocoon create --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "connect to the seccomp agent at linux.seccomp.listenerPath $T/nobody.sock: No such file or directory"
        [ ! -e "$ROOT/$id" ] || fail "state left behind"
}
