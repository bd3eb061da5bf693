# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# Heavier runs (skipped by `make test-quick`): many cycles, many containers.

test_many_sequential_runs() {
        local B=$T/b i id mounts0 mounts1
        make_bundle "$B" /bin/true
        mounts0=$(wc -l </proc/self/mountinfo)
        for i in $(seq 1 40); do
                id=$(new_id s)
                capture cocoon run --bundle "$B" "$id"
                [ "$rc" = 0 ] || fail "run $i failed: $err"
        done
        mounts1=$(wc -l </proc/self/mountinfo)
        assert_eq "$mounts0" "$mounts1" "host mount count after 40 runs"
        [ -z "$(ls -A "$ROOT")" ] || fail "state left: $(ls -A "$ROOT")"
}

test_fifty_parallel_containers() {
        local B=$T/b n=50 i
        make_bundle "$B" /bin/sleep 1000
        mkdir -p "$T/rc"
        for i in $(seq 1 $n); do
                (
                        id=$(new_id m)
                        r=0
                        cocoon run -d --bundle "$B" "$id" 2>"$T/rc/$i.err" || r=1
                        echo "$id" >"$T/rc/$i.id"
                        echo $r >"$T/rc/$i"
                ) &
        done
        wait
        local bad=""
        for i in $(seq 1 $n); do
                [ "$(cat "$T/rc/$i")" = 0 ] || bad+=" $i:$(cat "$T/rc/$i.err")"
        done
        [ -z "$bad" ] || fail "failed runs:$bad"
        assert_ok cocoon list -q
        assert_eq $n "$(wc -l <<<"$out")" "containers listed"
        assert_ok cocoon list --format json
        assert_eq "running" "$(json_get '" ".join(sorted(set(x["status"] for x in d)))' <<<"$out")" "statuses"
        for i in $(seq 1 $n); do
                ( cocoon delete --force "$(cat "$T/rc/$i.id")" 2>"$T/rc/$i.derr" || echo "delete $i: $(cat "$T/rc/$i.derr")" >>"$T/delete-failures" ) &
        done
        wait
        [ ! -s "$T/delete-failures" ] || fail "$(cat "$T/delete-failures")"
        assert_ok cocoon list -q
        assert_eq "" "$out" "list after deleting all"
}

test_thirty_parallel_execs() {
        local B=$T/b id i
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        mkdir -p "$T/x"
        for i in $(seq 1 30); do
                ( r=0; o=$(cocoon exec --env N="$i" "$id" sh -c 'echo $N') || r=$?; echo "$r $o" >"$T/x/$i" ) &
        done
        wait
        for i in $(seq 1 30); do
                assert_eq "0 $i" "$(cat "$T/x/$i")" "exec $i"
        done
        # no exec left a process behind in the container
        assert_ok cocoon ps --format json "$id"
        assert_eq 1 "$(json_get 'len(d)' <<<"$out")" "processes in the container after the execs"
        destroy "$id"
}

test_create_delete_churn_same_id() {
        local B=$T/b id i
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        for i in $(seq 1 25); do
                capture cocoon create --bundle "$B" "$id"
                [ "$rc" = 0 ] || fail "create $i: $err"
                capture cocoon delete --force "$id"
                [ "$rc" = 0 ] || fail "delete $i: $err"
        done
}
