# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# cocoon spec: the default config.json.

test_spec_writes_config() {
        mkdir "$T/b"
        (cd "$T/b" && cocoon spec) || fail "cocoon spec failed"
        local c=$T/b/config.json
        [ -f "$c" ] || fail "no config.json"
        assert_match "$(json_get 'd["ociVersion"]' "$c")" '^1\.' ociVersion
        assert_eq '["sh"]' "$(json_get 'd["process"]["args"]' "$c")" process.args
        assert_eq rootfs "$(json_get 'd["root"]["path"]' "$c")" root.path
        assert_eq / "$(json_get 'd["process"]["cwd"]' "$c")" process.cwd
        assert_eq true "$(json_get 'd["process"]["terminal"]' "$c")" process.terminal
        local ns
        ns=$(json_get '" ".join(sorted(n["type"] for n in d["linux"]["namespaces"]))' "$c")
        for n in pid network ipc uts mount; do
                assert_contains " $ns " " $n " linux.namespaces
        done
        assert_not_contains " $ns " " user " linux.namespaces
        local m
        m=$(json_get '" ".join(x["destination"] for x in d["mounts"])' "$c")
        for d in /proc /dev /dev/pts /dev/shm /dev/mqueue /sys; do
                assert_contains " $m " " $d " mounts
        done
        assert_contains "$(json_get 'd["linux"]["maskedPaths"]' "$c")" /proc/kcore maskedPaths
        assert_contains "$(json_get 'd["linux"]["readonlyPaths"]' "$c")" /proc/sys readonlyPaths
        assert_contains "$(json_get 'd["process"]["capabilities"]["bounding"]' "$c")" CAP_KILL capabilities
        assert_eq 0 "$(json_get 'd["process"]["user"]["uid"]' "$c")" process.user.uid
        # the same top-level keys as runc's template
        mkdir "$T/r"
        (cd "$T/r" && "$RUNC" spec)
        local rk ck
        rk=$(json_get '" ".join(sorted(d))' "$T/r/config.json")
        ck=$(json_get '" ".join(sorted(d))' "$c")
        for k in $rk; do
                assert_contains " $ck " " $k " "top-level keys"
        done
}

test_spec_is_runnable() {
        local B=$T/b id
        make_bundle "$B" /bin/echo hello
        id=$(new_id)
        assert_ok cocoon run --bundle "$B" "$id"
        assert_eq hello "$out"
}

test_spec_rootless() {
        mkdir "$T/b"
        (cd "$T/b" && cocoon spec --rootless) || fail "cocoon spec --rootless failed"
        local c=$T/b/config.json
        local ns
        ns=$(json_get '" ".join(sorted(n["type"] for n in d["linux"]["namespaces"]))' "$c")
        assert_contains " $ns " " user " linux.namespaces
        assert_contains " $ns " " mount " linux.namespaces
        assert_eq "$(id -u)" "$(json_get 'd["linux"]["uidMappings"][0]["hostID"]' "$c")" uidMappings.hostID
        assert_eq 0 "$(json_get 'd["linux"]["uidMappings"][0]["containerID"]' "$c")" uidMappings.containerID
        assert_eq 1 "$(json_get 'd["linux"]["uidMappings"][0]["size"]' "$c")" uidMappings.size
        assert_eq "$(id -g)" "$(json_get 'd["linux"]["gidMappings"][0]["hostID"]' "$c")" gidMappings.hostID
        assert_eq 1 "$(json_get 'd["linux"]["gidMappings"][0]["size"]' "$c")" gidMappings.size
        # like runc: no resources in a rootless spec
        assert_eq None "$(json_get 'str(d["linux"].get("resources"))' "$c")" linux.resources
}

test_spec_refuses_overwrite() {
        mkdir "$T/b"
        echo '{"mine":1}' >"$T/b/config.json"
        capture sh -c "cd '$T/b' && '$COCOON' spec"
        [ "$rc" != 0 ] || fail "spec overwrote an existing config.json"
        assert_error_line
        assert_contains "$err" "config.json"
        assert_eq '{"mine":1}' "$(cat "$T/b/config.json")" "config.json content"
}

test_spec_bundle_option() {
        mkdir "$T/b1" "$T/b2" "$T/b3"
        assert_ok cocoon spec --bundle "$T/b1"
        [ -f "$T/b1/config.json" ] || fail "spec --bundle wrote nothing"
        [ ! -e "$T/config.json" ] || fail "spec --bundle wrote into the cwd"
        assert_ok cocoon spec -b "$T/b2"
        [ -f "$T/b2/config.json" ] || fail "spec -b wrote nothing"
        assert_ok cocoon spec --bundle="$T/b3" --rootless
        assert_contains "$(cat "$T/b3/config.json")" uidMappings
        assert_fail cocoon spec --bundle "$T/does-not-exist"
        assert_error_line
}

test_spec_json_is_valid_and_indented() {
        assert_ok cocoon spec --bundle "$T"
        python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/config.json" || fail "invalid JSON"
        local n
        n=$(wc -l <"$T/config.json")
        [ "$n" -gt 20 ] || fail "config.json is not pretty-printed ($n lines)"
}

test_spec_rootless_is_runnable() {
        local B=$T/b id
        mkdir -p "$B/rootfs"
        cp -a "$ROOTFS/." "$B/rootfs/"
        chmod 755 "$B/rootfs"
        assert_ok cocoon spec --rootless --bundle "$B"
        edit_config "$B" 'c["process"]["terminal"]=False' 'c["process"]["args"]=["/bin/sh","-c","id -u; cat /proc/self/uid_map"]'
        id=$(new_id)
        assert_ok cocoon run --bundle "$B" "$id"
        assert_eq "0
0 $(id -u) 1" "$(echo "$out" | sed 's/  */ /g; s/^ //')"
}
