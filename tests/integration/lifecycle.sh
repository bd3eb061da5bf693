# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# create / start / state / delete, as containerd's shim drives them.

test_create_does_not_run_the_program() {
        # runc's pid semantics (the state pid is the workload); under the sentry
        # sandbox it is the supervisor by design (sentry.sh checks that)
        local CC_GLOBAL="$CC_GLOBAL --sandbox none"
        local B=$T/b id p
        make_bundle "$B" /bin/sh -c 'echo ran >/ran; exec sleep 1000'
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_eq created "$(status_of "$id")" status
        p=$(pid_of "$id")
        [ "$p" -gt 0 ] || fail "pid $p"
        pid_alive "$p" || fail "init process $p does not exist after create"
        sleep 0.3
        [ ! -e "$B/rootfs/ran" ] || fail "the user program ran before start"
        assert_eq created "$(status_of "$id")" "status (still)"
        assert_ok cocoon start "$id"
        wait_file "$B/rootfs/ran"
        assert_eq running "$(status_of "$id")" "status after start"
        # the pid does not change at start: the pid-file pid is the workload
        assert_eq "$p" "$(pid_of "$id")" "pid after start"
        assert_contains "$(tr '\0' ' ' </proc/"$p"/cmdline)" "sleep 1000" "cmdline of the init after start"
        assert_ok cocoon kill "$id" KILL
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
        assert_fail cocoon state "$id"
        [ ! -e "$ROOT/$id" ] || fail "state directory left after delete"
        wait_pid_gone "$p"
}

test_process_exit_gives_stopped() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'sleep 0.2'
        id=$(new_id)
        start_ctr "$B" "$id"
        wait_status "$id" stopped
        # state of a stopped container still answers, pid is kept or 0 (runc: 0)
        assert_ok cocoon state "$id"
        assert_eq stopped "$(json_get 'd["status"]' <<<"$out")"
        assert_ok cocoon delete "$id"
        [ ! -e "$ROOT/$id" ] || fail "state directory left after delete"
}

test_state_json_keys() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        edit_config "$B" 'c["annotations"]={"org.example.key":"value","x":"y"}'
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_ok cocoon state "$id"
        local s=$out
        assert_eq "annotations bundle created id ociVersion owner pid rootfs status" \
                "$(json_get '" ".join(sorted(d, key=str.lower))' <<<"$s")" "state keys"
        assert_eq "$id" "$(json_get 'd["id"]' <<<"$s")" id
        assert_eq created "$(json_get 'd["status"]' <<<"$s")" status
        assert_eq "$B" "$(json_get 'd["bundle"]' <<<"$s")" bundle
        assert_eq "$B/rootfs" "$(json_get 'd["rootfs"]' <<<"$s")" rootfs
        assert_eq '{"org.example.key": "value", "x": "y"}' "$(json_get 'd["annotations"]' <<<"$s")" annotations
        assert_match "$(json_get 'd["ociVersion"]' <<<"$s")" '^1\.' ociVersion
        assert_eq int "$(json_get 'type(d["pid"]).__name__' <<<"$s")" "pid type"
        assert_eq str "$(json_get 'type(d["owner"]).__name__' <<<"$s")" "owner type"
        # created: RFC 3339 with nanoseconds, UTC, close to now
        local created
        created=$(json_get 'd["created"]' <<<"$s")
        assert_match "$created" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$' created
        python3 - "$created" <<'PY' || fail "created is not close to now: $created"
import sys, datetime, re
s = sys.argv[1]
s = re.sub(r"\.(\d{1,6})\d*", r".\1", s).replace("Z", "+00:00")
t = datetime.datetime.fromisoformat(s)
now = datetime.datetime.now(datetime.timezone.utc)
sys.exit(0 if abs((now - t).total_seconds()) < 120 else 1)
PY
        destroy "$id"
}

test_state_annotations_absent() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        edit_config "$B" 'c.pop("annotations", None)'
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_ok cocoon state "$id"
        # absent or empty, never something else
        assert_match "$(json_get 'json.dumps(d.get("annotations", {}))' <<<"$out")" '^(\{\}|null)$' annotations
        destroy "$id"
}

test_bundle_defaults_to_cwd_and_is_absolute() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        (cd "$B" && cocoon create "$id") || fail "create in the bundle dir failed"
        assert_eq "$B" "$(json_get 'd["bundle"]' <<<"$(state_of "$id")")" "bundle (cwd)"
        destroy "$id"
        id=$(new_id)
        (cd "$T" && cocoon create --bundle b "$id") || fail "create with a relative bundle failed"
        assert_eq "$B" "$(json_get 'd["bundle"]' <<<"$(state_of "$id")")" "bundle (relative)"
        destroy "$id"
}

test_pid_file() {
        local B=$T/b id p
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        create_ctr "$B" "$id" --pid-file "$T/pidfile"
        p=$(pid_of "$id")
        [ -f "$T/pidfile" ] || fail "no pid file"
        assert_eq "$p" "$(cat "$T/pidfile")" "pid file content"
        # a relative pid file is relative to the caller's cwd
        local id2
        id2=$(new_id)
        (cd "$T" && cocoon create --bundle "$B" --pid-file rel.pid "$id2") || fail "create with relative pid file"
        [ -f "$T/rel.pid" ] || fail "relative pid file not written in the cwd"
        assert_eq "$(pid_of "$id2")" "$(cat "$T/rel.pid")" "relative pid file content"
        destroy "$id"
        destroy "$id2"
}

test_start_twice_fails() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        assert_fail cocoon start "$id"
        assert_error_line
        assert_eq running "$(status_of "$id")" "status after the failed start"
        destroy "$id"
}

test_start_stopped_fails() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        start_ctr "$B" "$id"
        wait_status "$id" stopped
        assert_fail cocoon start "$id"
        assert_error_line
        assert_ok cocoon delete "$id"
}

test_delete_running_requires_force() {
        local B=$T/b id p
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        p=$(pid_of "$id")
        assert_fail cocoon delete "$id"
        assert_error_line
        assert_eq running "$(status_of "$id")" "status after refused delete"
        pid_alive "$p" || fail "refused delete killed the process"
        assert_ok cocoon delete --force "$id"
        assert_fail cocoon state "$id"
        [ ! -e "$ROOT/$id" ] || fail "state left after delete --force"
        wait_pid_gone "$p"
}

test_delete_force_short_flag() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        assert_ok cocoon delete -f "$id"
        assert_fail cocoon state "$id"
}

test_delete_created_container() {
        # runc deletes a created container without --force (it never ran)
        local B=$T/b id p
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        create_ctr "$B" "$id"
        p=$(pid_of "$id")
        assert_ok cocoon delete "$id"
        assert_fail cocoon state "$id"
        wait_pid_gone "$p"
}

test_delete_force_stopped_and_created() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        start_ctr "$B" "$id"
        wait_status "$id" stopped
        assert_ok cocoon delete --force "$id"
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_ok cocoon delete --force "$id"
        assert_fail cocoon state "$id"
}

test_create_existing_id_fails() {
        local B=$T/b id p
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        create_ctr "$B" "$id"
        p=$(pid_of "$id")
        assert_fail cocoon create --bundle "$B" "$id"
        assert_error_line
        assert_eq created "$(status_of "$id")" "status of the first container"
        assert_eq "$p" "$(pid_of "$id")" "pid of the first container"
        pid_alive "$p" || fail "first container's init died"
        # and run with the same id fails too
        assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
        destroy "$id"
}

test_unknown_id() {
        local c
        for c in state start kill delete ps "exec" "kill --all"; do
                case $c in
                exec) capture cocoon exec nope-"$TOKEN" /bin/true ;;
                *) capture cocoon $c nope-"$TOKEN" ;;
                esac
                [ "$rc" != 0 ] || fail "cocoon $c on an unknown id succeeded"
                assert_error_line
                if ! grep -Eiq "not exist|no such|not found|unknown" <<<"$err"; then
                        fail "cocoon $c: error does not say the container does not exist: $err"
                fi
        done
        [ ! -e "$ROOT/nope-$TOKEN" ] || fail "a command created state for an unknown id"
        # like runc, delete --force of a container that does not exist succeeds
        # (containerd's shim relies on it to clean up after an aborted create)
        assert_ok cocoon delete --force nope-"$TOKEN"
        [ ! -e "$ROOT/nope-$TOKEN" ] || fail "delete --force created state"
}

test_invalid_ids() {
        local B=$T/b
        make_bundle "$B" /bin/true
        local bad
        for bad in "../$TOKEN-esc" "a/b" "." ".." "" "x y" "a:b"; do
                capture cocoon create --bundle "$B" "$bad"
                [ "$rc" != 0 ] || { destroy "$bad"; fail "create accepted the id [$bad]"; }
                assert_error_line
        done
        [ ! -e "$T/$TOKEN-esc" ] || fail "id with .. escaped the state root"
        # ids as runc allows them: letters, digits, _ + - .
        local ok="A.b_c+d-$TOKEN"
        echo "$ok" >>"$T/.ids"
        assert_ok cocoon create --bundle "$B" "$ok"
        assert_ok cocoon delete "$ok"
}

test_kill_created_then_delete() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_ok cocoon kill "$id" KILL
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
}

test_state_after_init_killed_from_outside() {
        local B=$T/b id p
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        p=$(pid_of "$id")
        kill -9 "$p"
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
}

test_full_cycle_many_times() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        for _ in 1 2 3 4 5; do
                id=$(new_id)
                create_ctr "$B" "$id"
                assert_ok cocoon start "$id"
                wait_status "$id" stopped
                assert_ok cocoon delete "$id"
        done
        [ -z "$(ls -A "$ROOT")" ] || fail "state root not empty: $(ls -A "$ROOT")"
}

test_create_stdio_is_the_containers() {
        # containerd's shim: the fds given to `create` are the container's stdio
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'read line; echo "out:$line"; echo "err:$line" >&2'
        id=$(new_id)
        echo "from-create-stdin" >"$T/in"
        cocoon create --bundle "$B" "$id" <"$T/in" >"$T/out" 2>"$T/err" || fail "create: $(cat "$T/err")"
        track_pid "$(pid_of "$id")"
        [ ! -s "$T/out" ] || fail "create wrote to stdout: $(cat "$T/out")"
        capture cocoon start "$id"
        assert_eq 0 "$rc" "start ($err)"
        assert_eq "" "$out" "stdout of start"
        wait_status "$id" stopped
        assert_eq "out:from-create-stdin" "$(cat "$T/out")" "container stdout (create's)"
        assert_eq "err:from-create-stdin" "$(cat "$T/err")" "container stderr (create's)"
        assert_ok cocoon delete "$id"
}

test_start_after_init_died_fails() {
        local B=$T/b id p
        make_bundle "$B" /bin/sh -c 'echo ran >/ran'
        id=$(new_id)
        create_ctr "$B" "$id"
        p=$(pid_of "$id")
        kill -9 "$p"
        wait_status "$id" stopped
        assert_fail cocoon start "$id"
        assert_error_line
        [ ! -e "$B/rootfs/ran" ] || fail "the program ran"
        assert_ok cocoon delete "$id"
}

test_bundle_path_with_spaces() {
        local B="$T/my bundle" id
        make_bundle "$B" /bin/echo spaced
        id=$(new_id)
        assert_ok cocoon run --bundle "$B" "$id"
        assert_eq spaced "$out"
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_eq "$B" "$(json_get 'd["bundle"]' <<<"$(state_of "$id")")" "bundle with spaces"
        assert_ok cocoon delete --force "$id"
}

test_long_container_id() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        # runc has no length limit below NAME_MAX; 200 characters must work
        id="$(new_id)-$(printf 'x%.0s' $(seq 1 180))"
        echo "$id" >>"$T/.ids"
        create_ctr "$B" "$id"
        assert_ok cocoon start "$id"
        assert_ok cocoon exec "$id" true
        assert_ok cocoon list -q
        assert_contains "$out" "$id"
        assert_ok cocoon delete --force "$id"
}

test_nothing_written_into_the_bundle() {
        local B=$T/b id before after
        make_bundle "$B" /bin/true
        before=$(cd "$B" && ls -A)
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_ok cocoon start "$id"
        wait_status "$id" stopped
        after=$(cd "$B" && ls -A)
        assert_eq "$before" "$after" "bundle directory while the container exists"
        assert_ok cocoon delete "$id"
        after=$(cd "$B" && ls -A)
        assert_eq "$before" "$after" "bundle directory after delete"
        assert_eq "$(cd "$ROOTFS" && ls -A | sort)" "$(cd "$B/rootfs" && ls -A | sort)" "rootfs top level"
}
