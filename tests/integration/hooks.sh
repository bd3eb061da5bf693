# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# OCI hooks, as runc runs them: state JSON on stdin, in order, failures fatal
# before start.

# hook KIND FILE: a hook (JSON) that writes its stdin to FILE and appends a
# line naming KIND to $T/order.
hook() { # KIND FILE
        printf '{"path":"/bin/sh","args":["sh","-c","cat >%s; echo %s >>%s/order"],"env":["HOOKVAR=1"]}' "$2" "$1" "$T"
}

hooks_bundle() {
        B=$T/b
        make_bundle "$B" "$@"
}

test_hooks_run_in_order_with_state() {
        hooks_bundle /bin/sh -c 'echo ran >>/work-order; exit 0'
        edit_config "$B" "c['hooks']={
                'createRuntime':[$(hook createRuntime "$T/createRuntime.json")],
                'poststart':[$(hook poststart "$T/poststart.json")],
                'poststop':[$(hook poststop "$T/poststop.json")]}"
        local id
        id=$(new_id)
        create_or_skip "$B" "$id"
        [ -s "$T/createRuntime.json" ] || fail "createRuntime hook did not run at create"
        # (runc 1.1 runs poststart at create; the spec and runc 1.2 run it after start)
        [ ! -e "$T/poststart.json" ] || fail "poststart hook ran at create (hooks so far: $(cat "$T/order"))"
        assert_eq "$id" "$(json_get 'd["id"]' "$T/createRuntime.json")" "id in the hook's state"
        assert_eq "$(init_pid "$id")" "$(json_get 'd["pid"]' "$T/createRuntime.json")" "pid in the hook's state"
        assert_eq "$B" "$(json_get 'd["bundle"]' "$T/createRuntime.json")" "bundle in the hook's state"
        assert_eq creating "$(json_get 'd["status"]' "$T/createRuntime.json")" "status in createRuntime"
        assert_ok cocoon start "$id"
        wait_file "$T/poststart.json"
        wait_status "$id" stopped
        [ ! -e "$T/poststop.json" ] || fail "poststop ran before delete"
        assert_ok cocoon delete "$id"
        [ -s "$T/poststop.json" ] || fail "poststop hook did not run at delete"
        assert_eq stopped "$(json_get 'd["status"]' "$T/poststop.json")" "status in poststop"
        assert_eq "createRuntime
poststart
poststop" "$(cat "$T/order")" "hook order"
}

test_prestart_and_create_container_hooks() {
        hooks_bundle /bin/true
        edit_config "$B" "c['hooks']={
                'prestart':[$(hook prestart "$T/prestart.json")],
                'createRuntime':[$(hook createRuntime "$T/createRuntime.json")],
                'createContainer':[$(hook createContainer "$T/createContainer.json")]}"
        local id
        id=$(new_id)
        create_or_skip "$B" "$id"
        assert_eq "prestart
createRuntime
createContainer" "$(cat "$T/order")" "hook order at create"
        destroy "$id"
}

test_start_container_hook_runs_inside() {
        hooks_bundle /bin/true
        # startContainer: path resolved and run in the container
        edit_config "$B" "c['hooks']={'startContainer':[{'path':'/bin/sh','args':['sh','-c','hostname >/started-hook']}]}" \
                "c['hostname']='in-$TOKEN'"
        local id
        id=$(new_id)
        create_or_skip "$B" "$id"
        [ ! -e "$B/rootfs/started-hook" ] || fail "startContainer ran at create"
        assert_ok cocoon start "$id"
        wait_status "$id" stopped
        assert_eq "in-$TOKEN" "$(cat "$B/rootfs/started-hook")" "hostname seen by the startContainer hook"
        assert_ok cocoon delete "$id"
}

test_failing_hook_fails_create_cleanly() {
        hooks_bundle /bin/true
        edit_config "$B" "c['hooks']={'createRuntime':[{'path':'/bin/sh','args':['sh','-c','echo hook-broke >&2; exit 3']}]}"
        local id
        id=$(new_id)
        capture cocoon create --bundle "$B" "$id"
        case "$err" in *"not supported yet"*) skip "$err" ;; esac
        [ "$rc" != 0 ] || { destroy "$id"; fail "create succeeded with a failing hook"; }
        assert_error_line
        [ ! -e "$ROOT/$id" ] || fail "state left behind"
}

test_hook_timeout() {
        hooks_bundle /bin/true
        edit_config "$B" "c['hooks']={'createRuntime':[{'path':'/bin/sleep','args':['sleep','20'],'timeout':1}]}"
        local id t0 t1
        id=$(new_id)
        t0=$(date +%s)
        capture cocoon create --bundle "$B" "$id"
        t1=$(date +%s)
        case "$err" in *"not supported yet"*) skip "$err" ;; esac
        [ "$rc" != 0 ] || { destroy "$id"; fail "create succeeded with a hook that timed out"; }
        [ $((t1 - t0)) -lt 10 ] || fail "the hook's timeout was not enforced ($((t1 - t0)) s)"
        assert_error_line
        [ ! -e "$ROOT/$id" ] || fail "state left behind"
}

test_poststop_failure_does_not_block_delete() {
        hooks_bundle /bin/true
        edit_config "$B" "c['hooks']={'poststop':[{'path':'/bin/false'}]}"
        local id
        id=$(new_id)
        start_or_skip "$B" "$id"
        wait_status "$id" stopped
        # runc: poststop errors are logged, delete still succeeds
        capture cocoon delete "$id"
        assert_fail cocoon state "$id"
}

# rec_hook KIND DIR: a hook that saves its stdin as DIR/KIND.json and appends
# KIND to DIR/order, DIR as the hook sees it (startContainer hooks run in the
# container: give them the bind mount made by rec_bundle).
rec_hook() { # KIND DIR
        printf '{"path":"/bin/sh","args":["sh","-c","cat >%s/%s.json; echo %s >>%s/order"]}' "$2" "$1" "$1" "$2"
}

# rec_bundle ARGS...: hooks_bundle with $T/rec bind-mounted at /rec.
rec_bundle() {
        hooks_bundle "$@"
        mkdir -p "$T/rec"
        edit_config "$B" "c['mounts'].append({'destination':'/rec','type':'bind','source':'$T/rec','options':['rbind','rw']})"
}

all_kinds_hooks() {
        echo "c['hooks']={
                'prestart':[$(rec_hook prestart "$T/rec")],
                'createRuntime':[$(rec_hook createRuntime "$T/rec")],
                'createContainer':[$(rec_hook createContainer "$T/rec")],
                'startContainer':[$(rec_hook startContainer /rec)],
                'poststart':[$(rec_hook poststart "$T/rec")],
                'poststop':[$(rec_hook poststop "$T/rec")]}"
}

test_hooks_every_kind_in_order_with_state() {
        rec_bundle /bin/sleep 100
        edit_config "$B" "$(all_kinds_hooks)"
        local id pid k ver
        id=$(new_id)
        create_ctr "$B" "$id"
        pid=$(init_pid "$id")
        ver=$(state_of "$id" | json_get 'd["ociVersion"]')
        assert_eq "prestart
createRuntime
createContainer" "$(cat "$T/rec/order")" "hooks run by create"
        assert_ok cocoon start "$id"
        assert_eq "prestart
createRuntime
createContainer
startContainer
poststart" "$(cat "$T/rec/order")" "hooks run by start"
        for k in prestart createRuntime createContainer startContainer poststart; do
                assert_eq "$id" "$(json_get 'd["id"]' "$T/rec/$k.json")" "id seen by $k"
                assert_eq "$pid" "$(json_get 'd["pid"]' "$T/rec/$k.json")" "pid seen by $k (the host's view)"
                assert_eq "$B" "$(json_get 'd["bundle"]' "$T/rec/$k.json")" "bundle seen by $k"
                assert_eq "$ver" "$(json_get 'd["ociVersion"]' "$T/rec/$k.json")" "ociVersion seen by $k"
        done
        for k in prestart createRuntime createContainer; do
                assert_eq creating "$(json_get 'd["status"]' "$T/rec/$k.json")" "status seen by $k"
        done
        assert_eq created "$(json_get 'd["status"]' "$T/rec/startContainer.json")" "status seen by startContainer"
        assert_eq running "$(json_get 'd["status"]' "$T/rec/poststart.json")" "status seen by poststart"
        assert_ok cocoon kill "$id" KILL
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
        assert_eq stopped "$(json_get 'd["status"]' "$T/rec/poststop.json")" "status seen by poststop"
        assert_eq poststop "$(tail -n1 "$T/rec/order")" "last hook"
        assert_eq 6 "$(wc -l <"$T/rec/order")" "hooks run in all"
}

test_hooks_annotations_in_state() {
        hooks_bundle /bin/true
        edit_config "$B" "c['annotations']={'org.example.k':'v-$TOKEN'}" \
                "c['hooks']={'createRuntime':[$(hook createRuntime "$T/cr.json")]}"
        local id
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_eq "v-$TOKEN" "$(json_get 'd["annotations"]["org.example.k"]' "$T/cr.json")" "annotation seen by the hook"
        destroy "$id"
}

test_create_container_hook_in_container_mount_ns() {
        hooks_bundle /bin/true
        echo "only-in-rootfs-$TOKEN" >"$B/rootfs/marker"
        # a path that exists only on the host: createContainer's path is resolved before pivot_root
        printf '#!/bin/sh\nreadlink /proc/self/ns/mnt >%s/mnt\ncat marker >%s/marker\npwd >%s/cwd\n' "$T" "$T" "$T" >"$T/host-only-hook"
        chmod +x "$T/host-only-hook"
        edit_config "$B" "c['hooks']={'createContainer':[{'path':'$T/host-only-hook'}]}"
        local id pid
        id=$(new_id)
        create_ctr "$B" "$id"
        pid=$(init_pid "$id")
        assert_eq "$(readlink "/proc/$pid/ns/mnt")" "$(cat "$T/mnt")" "mount namespace of the createContainer hook"
        assert_ne "$(readlink /proc/self/ns/mnt)" "$(cat "$T/mnt")" "createContainer hook's mount namespace vs ours"
        assert_eq "only-in-rootfs-$TOKEN" "$(cat "$T/marker")" "relative path from the hook (cwd is the rootfs)"
        assert_eq "$B/rootfs" "$(cat "$T/cwd")" "cwd of the createContainer hook"
        destroy "$id"
}

test_start_container_hook_path_in_container() {
        rec_bundle /bin/sleep 100
        # exists only inside the rootfs; runs with the process's uid, in its namespaces
        printf '#!/bin/sh\nid -u >/rec/uid\nreadlink /proc/self/ns/mnt >/rec/mnt\nreadlink /proc/self/ns/pid >/rec/pidns\n' \
                >"$B/rootfs/ctr-only-hook"
        chmod 755 "$B/rootfs/ctr-only-hook"
        chmod 777 "$T/rec"
        edit_config "$B" "c['hooks']={'startContainer':[{'path':'/ctr-only-hook'}]}" \
                "c['process']['user']={'uid':1000,'gid':1000}"
        [ ! -e /ctr-only-hook ] || skip "/ctr-only-hook exists on the host"
        local id pid
        id=$(new_id)
        create_ctr "$B" "$id"
        [ ! -e "$T/rec/uid" ] || fail "startContainer ran at create"
        assert_ok cocoon start "$id"
        pid=$(init_pid "$id")
        assert_eq 1000 "$(cat "$T/rec/uid")" "uid of the startContainer hook (the process's user, as runc)"
        assert_eq "$(readlink "/proc/$pid/ns/mnt")" "$(cat "$T/rec/mnt")" "mount namespace of the startContainer hook"
        assert_eq "$(readlink "/proc/$pid/ns/pid")" "$(cat "$T/rec/pidns")" "pid namespace of the startContainer hook"
        destroy "$id"
}

test_hook_args_and_env_exact() {
        hooks_bundle /bin/true
        # $0 is args[0]; the environment is exactly env (empty when absent), as runc
        local s='printf "%s|%s|%s\n" "$(tr "\\0" "\n" </proc/$$/cmdline | head -n1)" "$0" "$#" >>'"$T"'/args; tr "\\0" "\n" </proc/$$/environ >'
        edit_config "$B" "c['hooks']={'createRuntime':[
                {'path':'/bin/sh','args':['my-argv0','-c','$s$T/env1','arg 1','arg2'],'env':['A=1','B=two words']},
                {'path':'/bin/sh','args':['sh','-c','$s$T/env2']}]}"
        local id
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_eq "my-argv0|arg 1|1
sh|sh|0" "$(cat "$T/args")" "argv of the hooks (argv[0]|\$0 after -c|\$#)"
        assert_eq "A=1
B=two words" "$(cat "$T/env1")" "environment of the hook"
        [ -e "$T/env2" ] || fail "second hook did not run"
        assert_eq "" "$(cat "$T/env2")" "environment of a hook without env"
        destroy "$id"
}

test_hook_output_not_on_create_stdout() {
        hooks_bundle /bin/true
        edit_config "$B" "c['hooks']={'createRuntime':[{'path':'/bin/sh','args':['sh','-c','echo to-stdout; echo to-stderr >&2']}]}"
        local id
        id=$(new_id)
        create_or_skip "$B" "$id"
        assert_eq "" "$out" "stdout of create"
        assert_eq "" "$err" "stderr of create with a succeeding hook"
        destroy "$id"
}

test_hook_timeout_kills_what_it_started() {
        hooks_bundle /bin/true
        edit_config "$B" "c['hooks']={'createRuntime':[{'path':'/bin/sh','args':['sh','-c','sleep 30 & echo \$! >$T/bg; sleep 30'],'timeout':1}]}"
        local id
        id=$(new_id)
        assert_fail cocoon create --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "hook createRuntime[0] (/bin/sh) timed out after 1 s"
        [ -s "$T/bg" ] || fail "the hook did not start"
        wait_pid_gone "$(cat "$T/bg")"
        [ ! -e "$ROOT/$id" ] || fail "state left behind"
}

test_failing_pre_start_hooks_fail_create_cleanly() {
        local kind id
        for kind in prestart createRuntime createContainer; do
                rm -rf "$T/b" "$T/rec"
                rec_bundle /bin/true
                edit_config "$B" "c['hooks']={'$kind':[{'path':'/bin/sh','args':['sh','-c','echo \$\$ >$T/rec/init-ish; echo broke-$kind >&2; exit 3']}],
                        'poststop':[$(rec_hook poststop "$T/rec")]}"
                id=$(new_id)
                assert_fail cocoon create --bundle "$B" "$id"
                assert_error_line
                assert_contains "$err" "hook $kind[0] (/bin/sh) failed: exit status 3"
                assert_contains "$err" "broke-$kind"
                [ ! -e "$ROOT/$id" ] || fail "$kind: state left behind"
                assert_fail cocoon state "$id"
                # the lifecycle continues at delete (runtime.md): poststop runs
                assert_eq stopped "$(json_get 'd["status"]' "$T/rec/poststop.json")" "$kind: poststop after the failed create"
        done
}

test_failing_start_container_hook_fails_start() {
        hooks_bundle /bin/sleep 100
        edit_config "$B" "c['hooks']={'startContainer':[{'path':'/bin/sh','args':['sh','-c','echo nope >&2; exit 4']}]}"
        local id pid
        id=$(new_id)
        create_ctr "$B" "$id"
        pid=$(pid_of "$id")
        assert_fail cocoon start "$id"
        assert_error_line
        assert_contains "$err" "hook startContainer[0] (/bin/sh) failed: exit status 4; output: nope"
        wait_status "$id" stopped
        wait_pid_gone "$pid"
        assert_ok cocoon delete "$id"
}

test_failing_poststart_kills_container() {
        rec_bundle /bin/sleep 100
        edit_config "$B" "c['hooks']={'poststart':[{'path':'/bin/false'},$(rec_hook poststart "$T/rec")],
                'poststop':[$(rec_hook poststop "$T/rec")]}"
        local id pid
        id=$(new_id)
        create_ctr "$B" "$id"
        pid=$(pid_of "$id")
        assert_fail cocoon start "$id"
        assert_error_line
        assert_contains "$err" "hook poststart[0] (/bin/false) failed: exit status 1"
        [ ! -e "$T/rec/poststart.json" ] || fail "poststart hooks went on after a failure"
        assert_eq stopped "$(status_of "$id")" "status after the failed poststart"
        wait_pid_gone "$pid"
        assert_ok cocoon delete "$id"
        assert_eq poststop "$(cat "$T/rec/order")" "hooks run"
}

test_poststop_failure_warns_and_goes_on() {
        rec_bundle /bin/true
        edit_config "$B" "c['hooks']={'poststop':[{'path':'/bin/sh','args':['sh','-c','exit 7']},$(rec_hook poststop "$T/rec")]}"
        local id
        id=$(new_id)
        start_ctr "$B" "$id"
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
        assert_one_line "$err" "stderr of delete"
        assert_contains "$err" "warning: hook poststop[0] (/bin/sh) failed: exit status 7"
        [ -s "$T/rec/poststop.json" ] || fail "the second poststop hook did not run"
        assert_fail cocoon state "$id"
}

test_poststop_at_forced_delete() {
        rec_bundle /bin/sleep 100
        edit_config "$B" "c['hooks']={'poststop':[{'path':'/bin/sh','args':['sh','-c','kill -0 $1 2>/dev/null && echo alive >$T/rec/alive; cat >$T/rec/poststop.json','sh','PID']}]}"
        local id pid
        id=$(new_id)
        start_ctr "$B" "$id"
        pid=$(pid_of "$id")
        edit_config "$B" "c['hooks']={}" # the saved config counts, not the bundle's
        sed -i "s/\"PID\"/\"$pid\"/" "$ROOT/$id/config.json"
        assert_ok cocoon delete --force "$id"
        [ -s "$T/rec/poststop.json" ] || fail "poststop did not run at delete --force"
        [ ! -e "$T/rec/alive" ] || fail "poststop ran while the container's init was alive"
}

test_run_foreground_runs_every_hook() {
        rec_bundle /bin/sh -c 'exit 5'
        edit_config "$B" "$(all_kinds_hooks)"
        local id
        id=$(new_id)
        capture cocoon run --bundle "$B" "$id"
        assert_eq 5 "$rc" "exit status of run"
        assert_eq "prestart
createRuntime
createContainer
startContainer
poststart
poststop" "$(cat "$T/rec/order")" "hooks run by run"
        assert_fail cocoon state "$id"
}

test_run_with_failing_poststart() {
        rec_bundle /bin/sleep 100
        edit_config "$B" "c['hooks']={'poststart':[{'path':'/bin/false'}],'poststop':[$(rec_hook poststop "$T/rec")]}"
        local id
        id=$(new_id)
        capture cocoon run --bundle "$B" "$id"
        [ "$rc" != 0 ] || fail "run succeeded with a failing poststart hook"
        assert_error_line
        assert_contains "$err" "hook poststart[0]"
        assert_fail cocoon state "$id"
        [ -s "$T/rec/poststop.json" ] || fail "poststop did not run"
}

test_exec_runs_no_hooks() {
        rec_bundle /bin/sleep 100
        edit_config "$B" "$(all_kinds_hooks)"
        local id before
        id=$(new_id)
        start_ctr "$B" "$id"
        before=$(cat "$T/rec/order")
        assert_ok cocoon exec "$id" /bin/true
        assert_eq "$before" "$(cat "$T/rec/order")" "hooks after exec"
        destroy "$id"
}
