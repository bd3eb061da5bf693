# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# Many containers at once; locking per container.

test_parallel_lifecycles() {
        local B=$T/b n=20 i
        make_bundle "$B" /bin/sleep 1000
        mkdir -p "$T/rc"
        local ids=()
        for i in $(seq 1 $n); do ids+=("$(new_id p)"); done
        for i in $(seq 0 $((n - 1))); do
                (
                        id=${ids[$i]}
                        r=0
                        cocoon create --bundle "$B" "$id" 2>>"$T/rc/$i.err" || r=1
                        [ $r = 0 ] && { cocoon start "$id" 2>>"$T/rc/$i.err" || r=2; }
                        [ $r = 0 ] && { [ "$(status_of "$id")" = running ] || r=3; }
                        [ $r = 0 ] && { cocoon kill "$id" KILL 2>>"$T/rc/$i.err" || r=4; }
                        [ $r = 0 ] && { wait_status "$id" stopped 20 2>>"$T/rc/$i.err" || r=5; }
                        [ $r = 0 ] && { cocoon delete "$id" 2>>"$T/rc/$i.err" || r=6; }
                        echo $r >"$T/rc/$i"
                ) &
        done
        wait
        local bad=""
        for i in $(seq 0 $((n - 1))); do
                [ "$(cat "$T/rc/$i" 2>/dev/null)" = 0 ] || bad+=" ${ids[$i]}:step$(cat "$T/rc/$i" 2>/dev/null):$(cat "$T/rc/$i.err")"
        done
        [ -z "$bad" ] || fail "failed containers:$bad"
        assert_ok cocoon list -q
        assert_eq "" "$out" "list after all deletes"
}

test_parallel_runs_exit_codes() {
        local B=$T/b n=10 i
        make_bundle "$B" /bin/true
        mkdir -p "$T/rc" "$T/b2"
        for i in $(seq 1 $n); do
                # one bundle per exit code (config differs)
                mkdir -p "$T/bb$i"
                cp "$B/config.json" "$T/bb$i/config.json"
                edit_config "$T/bb$i" 'c["root"]["path"]="'"$B"'/rootfs"'
                set_args "$T/bb$i" /bin/sh -c "exit $i"
        done
        for i in $(seq 1 $n); do
                (
                        r=0
                        cocoon run --bundle "$T/bb$i" "$(new_id q)-$i" >/dev/null 2>"$T/rc/$i.err" || r=$?
                        echo $r >"$T/rc/$i"
                ) &
        done
        wait
        for i in $(seq 1 $n); do
                assert_eq "$i" "$(cat "$T/rc/$i")" "exit code of run $i ($(cat "$T/rc/$i.err"))"
        done
}

test_concurrent_delete_same_container() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        for _ in 1 2 3; do
                id=$(new_id)
                start_ctr "$B" "$id"
                ( r=0; cocoon delete --force "$id" >"$T/d1.out" 2>"$T/d1.err" || r=$?; echo $r >"$T/d1.rc" ) &
                ( r=0; cocoon delete --force "$id" >"$T/d2.out" 2>"$T/d2.err" || r=$?; echo $r >"$T/d2.rc" ) &
                wait
                local r1 r2
                r1=$(cat "$T/d1.rc")
                r2=$(cat "$T/d2.rc")
                [ "$r1" = 0 ] || [ "$r2" = 0 ] || fail "neither delete succeeded: $(cat "$T/d1.err") / $(cat "$T/d2.err")"
                [ "$r1" = 0 ] || assert_one_line "$(cat "$T/d1.err")" "stderr of the losing delete"
                [ "$r2" = 0 ] || assert_one_line "$(cat "$T/d2.err")" "stderr of the losing delete"
                assert_fail cocoon state "$id"
                [ ! -e "$ROOT/$id" ] || fail "state left"
        done
}

test_same_id_create_race() {
        local B=$T/b id i ok=0
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        for i in 1 2 3 4 5; do
                ( r=0; cocoon create --bundle "$B" "$id" 2>"$T/c$i.err" || r=$?; echo $r >"$T/c$i.rc" ) &
        done
        wait
        for i in 1 2 3 4 5; do
                if [ "$(cat "$T/c$i.rc")" = 0 ]; then
                        ok=$((ok + 1))
                else
                        assert_one_line "$(cat "$T/c$i.err")" "stderr of a losing create"
                fi
        done
        assert_eq 1 "$ok" "number of successful creates of one id"
        assert_eq created "$(status_of "$id")"
        track_pid "$(pid_of "$id")"
        destroy "$id"
}

# hold_lock ID: hold the container's lock (flock on its state directory) in
# the background until release_lock.
hold_lock() {
        local dir=$ROOT/$1
        [ -d "$dir" ] || fail "no state directory $dir"
        rm -f "$T/locked"
        flock --exclusive "$dir" sh -c "touch '$T/locked'; exec sleep 60" &
        lock_pid=$!
        track_pid "$lock_pid"
        wait_for test -e "$T/locked"
}

release_lock() {
        pkill_pid=$(pgrep -P "$lock_pid" || true)
        kill "$lock_pid" $pkill_pid 2>/dev/null || true
        wait "$lock_pid" 2>/dev/null || true
}

test_lock_is_per_container() {
        local B=$T/b a b
        make_bundle "$B" /bin/sleep 1000
        a=$(new_id a)
        b=$(new_id b)
        start_ctr "$B" "$a"
        create_ctr "$B" "$b"
        hold_lock "$a"
        # commands on b go through while a is locked
        local t0 t1
        t0=$(date +%s%N)
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL start "$b"
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL state "$b"
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL kill "$b" KILL
        wait_status "$b" stopped
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL delete "$b"
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL list -q
        t1=$(date +%s%N)
        [ $(((t1 - t0) / 1000000)) -lt 8000 ] || fail "commands on b were slow while a was locked"
        # a modifying command on a waits for the lock
        capture timeout 2 "$COCOON" $CC_GLOBAL delete --force "$a"
        assert_eq 124 "$rc" "delete of a locked container must wait for the lock (rc)"
        release_lock
        assert_eq running "$(status_of "$a")" "status of a after the blocked delete"
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL delete --force "$a"
}

test_parallel_exec() {
        local B=$T/b id i
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        mkdir -p "$T/x"
        for i in $(seq 1 10); do
                ( r=0; o=$(cocoon exec "$id" sh -c "echo $i") || r=$?; echo "$r $o" >"$T/x/$i" ) &
        done
        wait
        for i in $(seq 1 10); do
                assert_eq "0 $i" "$(cat "$T/x/$i")" "exec $i"
        done
        destroy "$id"
}

test_long_exec_does_not_block_other_commands() {
        # containerd runs `exec` for as long as the process lives and meanwhile
        # calls state, kill, ps and more execs on the same container
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        cocoon exec "$id" sh -c 'echo started >/tmp/long; sleep 1000' >/dev/null 2>&1 &
        track_pid $!
        wait_file "$B/rootfs/tmp/long"
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL state "$id"
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL ps --format json "$id"
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL exec "$id" true
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL list -q
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL kill --all "$id" KILL
        wait_status "$id" stopped
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL delete "$id"
}

test_foreground_run_does_not_block_other_commands() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'echo started >/started; exec sleep 1000'
        id=$(new_id)
        cocoon run --bundle "$B" "$id" >/dev/null 2>&1 &
        local rp=$!
        track_pid "$rp"
        wait_file "$B/rootfs/started"
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL state "$id"
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL exec "$id" true
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL ps "$id"
        assert_ok timeout 5 "$COCOON" $CC_GLOBAL kill "$id" KILL
        local r=0
        wait "$rp" || r=$?
        assert_eq 137 "$r" "exit code of run"
        assert_fail cocoon state "$id"
}
