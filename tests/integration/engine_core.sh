# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# What the engines (containerd's runc shim, its CRI plugin) need from the
# core: the sandbox chosen by the program name (docs/sandbox-selection.md),
# and a sentry container's pid standing in W's shareable namespaces.

# cocoon_as NAME ARGS...: run the binary under test through a symlink NAME.
cocoon_as() {
        local name=$1
        shift
        ln -sf "$COCOON" "$T/$name"
        "$T/$name" --root "$ROOT" "$@"
}

sandbox_of() { json_get 'd["sandbox"]' "$ROOT/$1/state.json"; }

test_program_name_selects_the_sandbox() {
        make_bundle "$T/b" /bin/sleep 30
        local id kind
        for kind in none sentry; do
                id=$(new_id "$kind")
                capture cocoon_as "cocoon-$kind" create --bundle "$T/b" "$id"
                [ "$rc" = 0 ] || fail "cocoon-$kind create failed: $err"
                track_pid "$(pid_of "$id")"
                assert_eq "$kind" "$(sandbox_of "$id")" "sandbox of a container created by cocoon-$kind"
                # later commands read the sandbox from the state, whatever their name
                assert_ok cocoon_as cocoon-none delete --force "$id"
        done
}

test_sandbox_option_overrides_program_name() {
        make_bundle "$T/b" /bin/true
        local id
        id=$(new_id)
        capture cocoon_as cocoon-sentry --sandbox none create --bundle "$T/b" "$id"
        [ "$rc" = 0 ] || fail "create failed: $err"
        track_pid "$(pid_of "$id")"
        assert_eq none "$(sandbox_of "$id")" "sandbox with --sandbox none given to cocoon-sentry"
        assert_ok cocoon delete --force "$id"
}

test_plain_name_keeps_the_default() {
        make_bundle "$T/b" /bin/true
        local a b
        a=$(new_id plain)
        b=$(new_id versioned)
        create_ctr "$T/b" "$a"
        # a name that is not cocoon-NAME (e.g. a versioned copy) selects nothing
        capture cocoon_as cocoon_0.1 create --bundle "$T/b" "$b"
        [ "$rc" = 0 ] || fail "create failed: $err"
        track_pid "$(pid_of "$b")"
        assert_eq "$(sandbox_of "$a")" "$(sandbox_of "$b")" "sandbox of a container created by cocoon_0.1"
        assert_ok cocoon delete --force "$a"
        assert_ok cocoon delete --force "$b"
}

test_unknown_sandbox_in_program_name_fails() {
        make_bundle "$T/b" /bin/true
        local id
        id=$(new_id)
        assert_fail cocoon_as cocoon-sentri create --bundle "$T/b" "$id"
        assert_error_line
        assert_contains "$err" 'unknown sandbox "sentri"'
        [ ! -e "$ROOT/$id" ] || fail "a failed create left state behind"
}

test_sentry_pid_is_in_the_workloads_namespaces() {
        make_bundle "$T/b" /bin/sleep 30
        local id s w ns
        id=$(new_id)
        capture "$COCOON" --root "$ROOT" --sandbox sentry create --bundle "$T/b" "$id"
        [ "$rc" = 0 ] || fail "create failed: $err"
        s=$(pid_of "$id")
        track_pid "$s"
        w=$(json_get 'd["workload_pid"]' "$ROOT/$id/state.json")
        assert_ne "$s" "$w" "supervisor and workload pids"
        # containerd's CRI joins /proc/<sandbox pid>/ns/{net,ipc,uts} for the
        # pod's other containers: they must be the workload's, not the host's
        for ns in net ipc uts; do
                assert_eq "$(readlink "/proc/$w/ns/$ns")" "$(readlink "/proc/$s/ns/$ns")" "$ns namespace of the supervisor"
                assert_ne "$(readlink "/proc/self/ns/$ns")" "$(readlink "/proc/$s/ns/$ns")" "$ns namespace of the supervisor vs the host"
        done
        assert_ok cocoon delete --force "$id"
}

# containerd's shim treats a kill that fails with runc's "container not
# running" as "already gone"; any other text fails the CRI's StopContainer.
test_kill_of_a_stopped_container_says_container_not_running() {
        make_bundle "$T/b" /bin/true
        local id
        id=$(new_id)
        start_ctr "$T/b" "$id"
        wait_status "$id" stopped
        assert_fail cocoon kill "$id" KILL
        assert_error_line
        assert_contains "$err" "container not running"
        assert_fail cocoon kill --all "$id" TERM
        assert_contains "$err" "container not running"
        assert_ok cocoon delete "$id"
}
