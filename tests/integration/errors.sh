# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# Bad input: one clear line on stderr, non-zero exit, nothing left behind.

# expect_create_error B SUBSTRING [run]: create (or run) must fail with one
# line naming SUBSTRING and leave no state, process, mount or cgroup.
expect_create_error() {
        local b=$1 want=$2 cmd=${3:-create} id
        id=$(new_id e)
        capture timeout 20 "$COCOON" $CC_GLOBAL "$cmd" --bundle "$b" "$id"
        [ "$rc" != 0 ] || { destroy "$id"; fail "$cmd succeeded; expected an error about [$want]"; }
        [ "$rc" != 124 ] || fail "$cmd hung on bad input [$want]"
        assert_one_line "$err" "stderr of $cmd (expecting [$want])"
        # (runc's logrus format escapes quotes: accept both)
        assert_contains "${err//\\\"/\"}" "$want" "stderr of $cmd"
        [ ! -e "$ROOT/$id" ] || fail "$cmd left $ROOT/$id behind after [$err]"
        capture cocoon state "$id"
        [ "$rc" != 0 ] || fail "state of a failed container answers"
}

# A table of config edits and the text the error must contain (the JSON path).
BAD_CONFIGS=(
        'c["process"]["args"]="sh"|process.args'
        'c["process"]["args"]=[1]|process.args'
        'c["process"]["args"]=[]|process.args'
        'c["process"]["env"]=[1]|process.env'
        'c["process"]["env"]="PATH=/bin"|process.env'
        'c["process"]["cwd"]=5|process.cwd'
        'c["process"]["cwd"]="relative/dir"|process.cwd'
        'c["process"]["user"]["uid"]="root"|process.user.uid'
        'c["process"]["user"]["uid"]=-1|process.user.uid'
        'c["process"]["user"]["additionalGids"]=["x"]|process.user.additionalGids'
        'c["process"]["terminal"]="yes"|process.terminal'
        'c["process"]["capabilities"]["effective"]="CAP_KILL"|process.capabilities.effective'
        'c["process"]["rlimits"]=[{"type":"RLIMIT_NOPE","hard":1,"soft":1}]|RLIMIT_NOPE'
        'c["process"]["rlimits"]=[{"type":"RLIMIT_NOFILE","hard":"many","soft":1}]|process.rlimits[0].hard'
        'c["process"]["noNewPrivileges"]=1|process.noNewPrivileges'
        'c["process"]["oomScoreAdj"]="high"|process.oomScoreAdj'
        'del c["process"]["cwd"]|process.cwd'
        'c["root"]["path"]=5|root.path'
        'c["root"]["readonly"]="true"|root.readonly'
        'c["hostname"]=7|hostname'
        'c["mounts"]={}|mounts'
        'c["mounts"][0]["destination"]=3|mounts[0].destination'
        'c["mounts"].append({"type":"tmpfs","source":"tmpfs"})|mounts[7]'
        'c["mounts"][1]["options"]="rw"|mounts[1].options'
        'c["linux"]["namespaces"]=[{"type":"nope"}]|nope'
        'c["linux"]["namespaces"]=[{"type":5}]|linux.namespaces[0].type'
        'c["linux"]["namespaces"]={"type":"pid"}|linux.namespaces'
        'c["linux"]["namespaces"].append({"type":"pid"})|pid'
        'c["linux"]["uidMappings"]=[{"containerID":0,"hostID":"x","size":1}]|linux.uidMappings[0].hostID'
        'c["linux"]["maskedPaths"]=[1]|linux.maskedPaths'
        'c["linux"]["readonlyPaths"]="x"|linux.readonlyPaths'
        'c["linux"]["devices"]=[{"path":"/dev/x","type":"q","major":1,"minor":1}]|linux.devices[0].type'
        'c["annotations"]={"k":1}|annotations'
        'c["ociVersion"]=1|ociVersion'
        'del c["process"]|process'
        'c["linux"]["namespaces"].append({"type":"user"})|uidMappings'
)

test_bad_config_fields() {
        local B=$T/b entry edit want
        make_bundle "$B" /bin/true
        cp "$B/config.json" "$T/pristine.json"
        # the mount indexes in the table assume runc's 7 default mounts
        local nm
        nm=$(json_get 'len(d["mounts"])' "$B/config.json")
        for entry in "${BAD_CONFIGS[@]}"; do
                edit=${entry%|*}
                want=${entry##*|}
                want=${want//mounts\[7\]/mounts[$nm]}
                cp "$T/pristine.json" "$B/config.json"
                edit_config "$B" "$edit"
                # every case runs; the failures are reported together
                ( expect_create_error "$B" "$want" ) 2>>"$T/failures" || echo "  ^ for: $edit" >>"$T/failures"
        done
        [ ! -s "$T/failures" ] || fail "bad configs not rejected as expected:
$(cat "$T/failures")"
}

test_unknown_capability() {
        # runc warns and ignores unknown capabilities (newer kernels add some);
        # either that, or a one-line error naming it.
        local B=$T/b id
        make_bundle "$B" /bin/true
        edit_config "$B" 'c["process"]["capabilities"]["bounding"].append("CAP_NOPE")'
        id=$(new_id)
        capture cocoon run --bundle "$B" "$id"
        if [ "$rc" = 0 ]; then
                assert_contains "$err" "CAP_NOPE" "warning about an unknown capability"
        else
                assert_error_line
                assert_contains "$err" "CAP_NOPE"
                assert_contains "$err" "process.capabilities.bounding"
        fi
}

test_malformed_json() {
        local B=$T/b
        make_bundle "$B" /bin/true
        printf '{ "ociVersion": "1.0.2", "process": ' >"$B/config.json"
        expect_create_error "$B" config.json
        printf '[]' >"$B/config.json"
        expect_create_error "$B" config.json
        printf '' >"$B/config.json"
        expect_create_error "$B" config.json
        printf '\xff\xfe' >"$B/config.json"
        expect_create_error "$B" config.json
        expect_create_error "$B" config.json run
}

test_missing_config() {
        mkdir -p "$T/b/rootfs"
        expect_create_error "$T/b" config.json
        expect_create_error "$T/b" config.json run
        expect_create_error "$T/nonexistent-bundle" nonexistent-bundle
}

test_missing_rootfs() {
        local B=$T/b
        make_bundle "$B" /bin/true
        rm -rf "$B/rootfs"
        expect_create_error "$B" rootfs
        echo x >"$B/rootfs" # a file, not a directory
        expect_create_error "$B" rootfs
}

test_missing_executable() {
        local B=$T/b
        make_bundle "$B" nope
        expect_create_error "$B" 'exec: "nope": executable file not found in $PATH'
        expect_create_error "$B" 'exec: "nope": executable file not found in $PATH' run
        set_args "$B" /bin/nope
        expect_create_error "$B" '/bin/nope'
        set_args "$B" /etc
        expect_create_error "$B" '/etc'
        # not executable
        echo 'echo hi' >"$B/rootfs/bin/notexec"
        chmod 644 "$B/rootfs/bin/notexec"
        set_args "$B" notexec
        expect_create_error "$B" 'notexec'
        # PATH from the config is the one searched
        edit_config "$B" 'c["process"]["env"]=["PATH=/nowhere"]'
        set_args "$B" sh
        expect_create_error "$B" 'exec: "sh": executable file not found in $PATH'
}

test_bad_cwd() {
        local B=$T/b
        make_bundle "$B" /bin/true
        echo x >"$B/rootfs/afile"
        edit_config "$B" 'c["process"]["cwd"]="/afile"'
        expect_create_error "$B" "/afile"
}

test_bad_mount() {
        local B=$T/b
        make_bundle "$B" /bin/true
        edit_config "$B" 'c["mounts"].append({"destination":"/x","type":"bind","source":"'"$T"'/no-such-source","options":["bind"]})'
        expect_create_error "$B" "no-such-source"
        make_bundle "$T/b2" /bin/true
        edit_config "$T/b2" 'c["mounts"].append({"destination":"/x","type":"nosuchfs","source":"none"})'
        expect_create_error "$T/b2" "/x"
}

test_bad_join_path() {
        local B=$T/b
        make_bundle "$B" /bin/true
        edit_config "$B" 'c["linux"]["namespaces"]=[n for n in c["linux"]["namespaces"] if n["type"]!="network"]+[{"type":"network","path":"/no/such/netns"}]'
        expect_create_error "$B" "/no/such/netns"
}

test_error_log_json() {
        local B=$T/b id
        make_bundle "$B" nope
        id=$(new_id)
        capture cocoon --log "$T/log.json" --log-format json create --bundle "$B" "$id"
        [ "$rc" != 0 ] || fail "create succeeded"
        assert_error_line
        [ -s "$T/log.json" ] || fail "nothing in the log file"
        python3 - "$T/log.json" <<'PY' || fail "no JSON error line in the log: $(cat "$T/log.json")"
import json, sys
ok = False
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    d = json.loads(line)          # every line must be JSON
    assert "msg" in d and "level" in d, line
    if d["level"] == "error" and "executable file not found" in d["msg"]:
        ok = True
sys.exit(0 if ok else 1)
PY
        [ ! -e "$ROOT/$id" ] || fail "state left"
        # --log-format=json and --log=FILE forms, and a text log
        capture cocoon --log="$T/log.txt" --log-format=text create --bundle "$B" "$(new_id)"
        [ "$rc" != 0 ] || fail "create succeeded"
        grep -q "executable file not found" "$T/log.txt" || fail "text log lacks the error: $(cat "$T/log.txt")"
        grep -qi "error" "$T/log.txt" || fail "text log lacks the level: $(cat "$T/log.txt")"
}

test_log_json_unknown_container() {
        capture cocoon --log "$T/log.json" --log-format json state "nope-$TOKEN"
        [ "$rc" != 0 ] || fail "state succeeded"
        assert_error_line
        python3 - "$T/log.json" <<'PY' || fail "bad log: $(cat "$T/log.json")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if any(d.get("level") == "error" and d.get("msg") for d in lines) else 1)
PY
}

test_error_then_success_same_id() {
        # a failed create leaves the id free
        local B=$T/b id
        make_bundle "$B" nope
        id=$(new_id)
        assert_fail cocoon create --bundle "$B" "$id"
        set_args "$B" /bin/true
        assert_ok cocoon create --bundle "$B" "$id"
        assert_ok cocoon delete "$id"
}

test_unreadable_process_file() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        local bad
        for bad in '{"args":["true"]}' '{"cwd":"/","args":"true"}' '{"cwd":"/","args":["true"],"env":"x"}' 'not json'; do
                echo "$bad" >"$T/p.json"
                assert_fail cocoon exec --process "$T/p.json" "$id"
                assert_error_line
        done
        destroy "$id"
}

# Warnings go to --log alone when there is one (engines pass one, and the
# runtime's stderr is the container's there); without --log, to stderr.
# Errors go to both.
test_warnings_go_to_the_log_when_there_is_one() {
        local B=$T/b
        make_bundle "$B" /bin/true
        edit_config "$B" 'c["linux"].setdefault("resources", {})["memory"]={"kernel": 1048576}'
        capture cocoon --log "$T/log" run --bundle "$B" "$(new_id)"
        assert_eq 0 "$rc" "run ($err)"
        assert_not_contains "$err" "deprecated" "stderr with --log"
        grep -q 'level=warning msg="warning: config.json: linux.resources.memory.kernel is deprecated' "$T/log" ||
                fail "no warning in the log: $(cat "$T/log")"
        capture cocoon run --bundle "$B" "$(new_id)"
        assert_eq 0 "$rc" "run ($err)"
        assert_contains "$err" "linux.resources.memory.kernel is deprecated" "stderr without --log"
        capture cocoon --log "$T/log2" run --bundle "$T/missing" "$(new_id)"
        [ "$rc" != 0 ] || fail "run of a missing bundle succeeded"
        assert_error_line
        grep -q 'level=error' "$T/log2" || fail "no error in the log"
}
