# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# The command line: help, version, bad commands and flags, global options.

SUBCOMMANDS="spec create start run exec kill delete state list ps features pause resume update events"

test_version() {
        assert_ok cocoon --version
        assert_match "$out" '[vV]ersion' "--version output"
        assert_match "$out" '[0-9]+\.[0-9]+' "--version output"
        assert_eq "" "$err" "stderr of --version"
}

test_help_top_level() {
        local h
        for h in --help -h; do
                assert_ok cocoon $h
                local s
                for s in $SUBCOMMANDS; do
                        assert_contains "$out" "$s" "cocoon $h"
                done
        done
        # `help` alone (no arguments) behaves like runc: usage, exit 0
        assert_ok cocoon help
        assert_contains "$out" "create" "cocoon help"
}

test_help_every_subcommand() {
        local s h
        for s in $SUBCOMMANDS; do
                for h in --help -h; do
                        capture cocoon "$s" "$h"
                        [ "$rc" = 0 ] || fail "cocoon $s $h: exit $rc: $err"
                        [ -n "$out" ] || fail "cocoon $s $h printed nothing on stdout"
                        assert_contains "$out" "$s" "cocoon $s $h"
                done
        done
        # help for options that the subcommands take
        assert_ok cocoon create --help
        assert_contains "$out" "--bundle" "create --help"
        assert_contains "$out" "--pid-file" "create --help"
        assert_contains "$out" "--console-socket" "create --help"
        assert_ok cocoon exec --help
        assert_contains "$out" "--process" "exec --help"
        assert_contains "$out" "--user" "exec --help"
        assert_ok cocoon kill --help
        assert_contains "$out" "--all" "kill --help"
        assert_ok cocoon delete --help
        assert_contains "$out" "--force" "delete --help"
}

test_unknown_command() {
        assert_fail cocoon frobnicate
        assert_error_line
        assert_contains "$err" "frobnicate"
}

test_unknown_global_flag() {
        assert_fail cocoon --frobnicate list
        assert_error_line
        assert_contains "$err" "frobnicate"
}

test_unknown_subcommand_flags() {
        local s
        for s in $SUBCOMMANDS; do
                assert_fail cocoon "$s" --no-such-flag x
                assert_error_line
                assert_contains "$err" "no-such-flag" "cocoon $s --no-such-flag"
        done
}

test_missing_and_extra_arguments() {
        local s
        for s in start state delete kill ps exec create run; do
                assert_fail cocoon "$s"
                assert_error_line
        done
        assert_fail cocoon state a b
        assert_error_line
        assert_fail cocoon start a b
        assert_error_line
        assert_fail cocoon delete a b
        assert_error_line
        assert_fail cocoon kill a KILL extra
        assert_error_line
}

test_option_missing_value() {
        assert_fail cocoon create --bundle
        assert_error_line
        assert_fail cocoon --root
        assert_error_line
        assert_fail cocoon --log-format
        assert_error_line
}

test_bad_log_format() {
        assert_fail cocoon --log-format yaml list
        assert_error_line
        assert_contains "$err" "yaml"
}

test_sandbox_option() {
        local B=$T/b id form
        make_bundle "$B" /bin/true
        # both spellings select the vm sandbox, seen by what it refuses before
        # booting anything (tests/integration/vm.slow.sh boots guests)
        edit_config "$B" 'c["hooks"]={"createContainer":[{"path":"/bin/true"}]}'
        for form in sep eq; do
                id=$(new_id)
                if [ $form = sep ]; then
                        capture "$COCOON" --root "$ROOT" --sandbox vm run --bundle "$B" "$id"
                else
                        capture "$COCOON" --root "$ROOT" --sandbox=vm run --bundle "$B" "$id"
                fi
                [ "$rc" != 0 ] || fail "--sandbox vm run with hooks succeeded"
                assert_error_line
                assert_contains "$err" "not supported with --sandbox=vm" "--sandbox vm"
                [ ! -e "$ROOT/$id" ] || fail "--sandbox vm left $ROOT/$id"
        done
        edit_config "$B" 'del c["hooks"]'
        id=$(new_id)
        assert_fail "$COCOON" --root "$ROOT" --sandbox bogus run --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "bogus"
        # none and sentry work
        id=$(new_id)
        assert_ok "$COCOON" --root "$ROOT" --sandbox none run --bundle "$B" "$id"
        assert_ok "$COCOON" --root "$ROOT" --sandbox=none run --bundle "$B" "$(new_id)"
        assert_ok "$COCOON" --root "$ROOT" --sandbox sentry run --bundle "$B" "$(new_id)"
        assert_ok "$COCOON" --root "$ROOT" --sandbox=sentry run --bundle "$B" "$(new_id)"
}

test_global_option_forms() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        assert_ok "$COCOON" --root="$ROOT" create --bundle="$B" "$id"
        assert_ok "$COCOON" --root "$ROOT" state "$id"
        assert_eq created "$(json_get 'd["status"]' <<<"$out")"
        assert_ok "$COCOON" --root="$ROOT" delete "$id"
        id=$(new_id)
        assert_ok cocoon create -b "$B" "$id"
        assert_ok cocoon delete "$id"
        # --debug is accepted and does not break the command's output
        assert_ok cocoon --debug list -q
        assert_eq "" "$out" "list -q with --debug"
}

test_root_option_is_used() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        [ ! -e "$ROOT" ] || fail "root exists before the test"
        assert_ok cocoon create --bundle "$B" "$id"
        [ -d "$ROOT/$id" ] || fail "no state directory $ROOT/$id"
        [ -f "$ROOT/$id/state.json" ] || fail "no $ROOT/$id/state.json"
        # a different root does not see it
        assert_fail "$COCOON" --root "$T/other-root" state "$id"
        assert_ok cocoon delete "$id"
        [ ! -e "$ROOT/$id" ] || fail "state directory still there after delete"
}

test_features() {
        assert_ok cocoon features
        local v
        v=$(json_get 'd["ociVersionMax"]' <<<"$out") || fail "features: not JSON with ociVersionMax: $out"
        assert_match "$v" '^1\.' "ociVersionMax"
        v=$(json_get '" ".join(d["linux"]["namespaces"])' <<<"$out")
        local ns
        for ns in pid network ipc uts mount user cgroup; do
                assert_contains " $v " " $ns " "features linux.namespaces"
        done
        v=$(json_get '" ".join(d["linux"]["capabilities"])' <<<"$out")
        assert_contains "$v" "CAP_SYS_ADMIN" "features linux.capabilities"
        v=$(json_get '" ".join(d["mountOptions"])' <<<"$out")
        assert_contains " $v " " nosuid " "features mountOptions"
        assert_eq "prestart createRuntime createContainer startContainer poststart poststop" \
                "$(json_get '" ".join(d["hooks"])' <<<"$out")" "features hooks"
        v=$(json_get '" ".join(d["linux"]["seccomp"]["actions"])' <<<"$out")
        assert_contains " $v " " SCMP_ACT_NOTIFY " "features linux.seccomp.actions"
        assert_eq true "$(json_get 'd["linux"]["mountExtensions"]["idmap"]["enabled"]' <<<"$out")" "features idmap"
        # every action features lists is accepted by create's profile check
        local bundle=$T/b a id
        make_bundle "$bundle" /bin/true
        for a in $(json_get '" ".join(d["linux"]["seccomp"]["actions"])' <<<"$out"); do
                [ "$a" = SCMP_ACT_NOTIFY ] && continue # needs a listener (seccomp.sh)
                edit_config "$bundle" "c['linux']['seccomp']={'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],'action':'$a'}]}"
                id=$(new_id)
                assert_ok cocoon run --bundle "$bundle" "$id"
        done
}
