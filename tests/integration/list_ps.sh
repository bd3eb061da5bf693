# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# cocoon list and cocoon ps.

test_list_empty() {
        assert_ok cocoon list -q
        assert_eq "" "$out" "list -q of an empty root"
        assert_ok cocoon list --format json
        assert_match "$out" '^(null|\[\])$' "list --format json of an empty root"
        assert_ok cocoon list
        assert_contains "$out" "ID" "table header"
        assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of an empty table"
}

test_list_table_json_quiet() {
        local B=$T/b a b
        make_bundle "$B" /bin/sleep 1000
        a=$(new_id a)
        b=$(new_id b)
        create_ctr "$B" "$a"
        start_ctr "$B" "$b"

        assert_ok cocoon list
        local header
        header=$(head -n1 <<<"$out")
        for col in ID PID STATUS BUNDLE CREATED OWNER; do
                assert_contains "$header" "$col" "table header"
        done
        assert_match "$(grep -- "$a" <<<"$out")" "^$a +$(pid_of "$a") +created +$B " "row of $a"
        assert_match "$(grep -- "$b" <<<"$out")" "^$b +$(pid_of "$b") +running +$B " "row of $b"

        assert_ok cocoon list --format json
        local j=$out
        assert_eq "$a $b" "$(json_get '" ".join(sorted(x["id"] for x in d))' <<<"$j")" "ids in json"
        assert_eq "created" "$(json_get "[x['status'] for x in d if x['id']=='$a'][0]" <<<"$j")" "status of $a"
        assert_eq "running" "$(json_get "[x['status'] for x in d if x['id']=='$b'][0]" <<<"$j")" "status of $b"
        assert_eq "$(pid_of "$b")" "$(json_get "[x['pid'] for x in d if x['id']=='$b'][0]" <<<"$j")" "pid of $b"
        assert_eq "$B" "$(json_get "[x['bundle'] for x in d if x['id']=='$b'][0]" <<<"$j")" "bundle of $b"
        for k in ociVersion id pid status bundle rootfs created owner; do
                json_get "d[0]['$k']" <<<"$j" >/dev/null || fail "list json lacks $k"
        done
        assert_ok cocoon list -f json
        assert_eq "$j" "$out" "-f json"
        assert_ok cocoon list --format=json
        assert_eq "$j" "$out" "--format=json"

        assert_ok cocoon list -q
        assert_eq "$a
$b" "$(sort <<<"$out")" "list -q"
        assert_ok cocoon list --quiet
        assert_eq "$a
$b" "$(sort <<<"$out")" "list --quiet"

        assert_fail cocoon list --format yaml
        assert_error_line

        destroy "$a"
        destroy "$b"
        assert_ok cocoon list -q
        assert_eq "" "$out" "list after delete"
}

test_list_shows_stopped() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        start_ctr "$B" "$id"
        wait_status "$id" stopped
        assert_ok cocoon list --format json
        assert_eq stopped "$(json_get 'd[0]["status"]' <<<"$out")"
        assert_ok cocoon delete "$id"
}

test_ps_json() {
        local B=$T/b id ip
        make_bundle "$B" /bin/sh -c 'sleep 1000 & exec sleep 999'
        id=$(new_id)
        start_ctr "$B" "$id"
        ip=$(init_pid "$id")
        # wait for the background sleep to exist
        wait_for sh -c "[ \$('$COCOON' $CC_GLOBAL ps --format json '$id' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') -ge 2 ]"
        assert_ok cocoon ps --format json "$id"
        local pids
        pids=$(json_get '" ".join(str(p) for p in sorted(d))' <<<"$out")
        assert_contains " $pids " " $ip " "ps json"
        assert_eq 2 "$(wc -w <<<"$pids")" "number of pids in ps json: $pids"
        local p
        for p in $pids; do
                assert_contains "$(tr '\0' ' ' </proc/"$p"/cmdline)" sleep "cmdline of $p"
        done
        # an exec shows up too
        assert_ok cocoon exec -d --pid-file "$T/e.pid" "$id" sleep 997
        track_pid "$(cat "$T/e.pid")"
        assert_ok cocoon ps -f json "$id"
        assert_contains " $(json_get '" ".join(str(p) for p in d)' <<<"$out") " " $(cat "$T/e.pid") " "ps json with exec"
        destroy "$id"
}

test_ps_table() {
        local B=$T/b id ip
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        ip=$(init_pid "$id")
        assert_ok cocoon ps "$id"
        assert_contains "$(head -n1 <<<"$out")" "PID" "ps header"
        assert_eq 2 "$(printf '%s\n' "$out" | wc -l)" "ps lines (header + init)"
        assert_contains "$(tail -n1 <<<"$out")" " $ip " "ps row"
        # ps options after the id go to ps(1)
        assert_ok cocoon ps "$id" -o pid,comm
        assert_match "$(head -n1 <<<"$out")" '^ *PID +COMMAND' "ps -o header"
        assert_match "$(tail -n1 <<<"$out")" "^ *$ip +sleep\$" "ps -o row"
        destroy "$id"
}

test_ps_stopped() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        start_ctr "$B" "$id"
        wait_status "$id" stopped
        capture cocoon ps --format json "$id"
        # runc: empty list for a stopped container, or an error; never garbage
        if [ "$rc" = 0 ]; then
                assert_match "$out" '^(\[\]|null)$' "ps json of stopped container"
        else
                assert_error_line
        fi
        assert_ok cocoon delete "$id"
}
