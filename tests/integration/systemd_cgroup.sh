# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# --systemd-cgroup: the path checks, and the refusal on hosts without systemd.
# (The D-Bus path, a scope made by a running systemd, needs a systemd host.)

no_systemd_or_skip() {
        [ ! -d /run/systemd/system ] || skip "systemd runs on this host"
}

test_systemd_cgroup_refused_without_systemd() {
        no_systemd_or_skip
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        edit_config "$B" 'c["linux"]["cgroupsPath"]="system.slice:cocoon:'"$id"'"'
        assert_fail cocoon --systemd-cgroup create --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "--systemd-cgroup: systemd is not running on this host"
        [ ! -e "$ROOT/$id" ] || fail "state left behind: $ROOT/$id"
        assert_fail cocoon --systemd-cgroup run --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "systemd is not running"
        [ ! -e "$ROOT/$id" ] || fail "state left behind by run: $ROOT/$id"
        # the commands that place no cgroup accept the flag, as containerd passes it to all
        assert_ok cocoon --systemd-cgroup list
}

test_systemd_cgroup_bad_path() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        edit_config "$B" 'c["linux"]["cgroupsPath"]="/cocoon/'"$id"'"'
        assert_fail cocoon --systemd-cgroup create --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" 'linux.cgroupsPath "/cocoon/'"$id"'": expected "slice:prefix:name"'
        edit_config "$B" 'c["linux"]["cgroupsPath"]="a--b.slice:p:'"$id"'"'
        assert_fail cocoon --systemd-cgroup create --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" 'slice "a--b.slice": empty name component'
        [ ! -e "$ROOT/$id" ] || fail "state left behind: $ROOT/$id"
}
