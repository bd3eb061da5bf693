# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# pause / resume (cgroup freezer), update (linux.resources of a live
# container), events (runc's stats and OOM events).

# A running container whose init counts in /cnt, 20 times a second, and
# traps TERM (so a pending signal's delivery can be observed).
counter_setup() {
        B=$T/b
        make_bundle "$B" /bin/sh -c '
                trap "echo TERM >/term; exit 0" TERM
                i=0
                while :; do i=$((i + 1)); echo $i >/cnt; sleep 0.05; done'
        ID=$(new_id)
        start_ctr "$B" "$ID"
        wait_file "$B/rootfs/cnt"
}

# counter_moves: /cnt changes within 1 s.
counter_moves() {
        local a b i
        a=$(cat "$B/rootfs/cnt")
        for i in $(seq 20); do
                sleep 0.05
                b=$(cat "$B/rootfs/cnt")
                [ "$a" != "$b" ] && return 0
        done
        return 1
}

# ctr_cgroup_dir PID CONTROLLER: PID's cgroup directory for a v1 controller,
# else its cgroup2 directory.
ctr_cgroup_dir() {
        local pid=$1 ctl=$2 line mnt
        line=$(grep -E "^[0-9]+:([^:]*,)?$ctl(,[^:]*)?:" "/proc/$pid/cgroup") || line=
        if [ -n "$line" ]; then
                mnt=$(findmnt -n -o TARGET,OPTIONS -t cgroup | awk -v c="$ctl" '{n=split($2,o,","); for(i=1;i<=n;i++) if(o[i]==c) {print $1; exit}}')
        else
                line=$(grep '^0::' "/proc/$pid/cgroup")
                mnt=$(findmnt -n -o TARGET -t cgroup2 | head -n1)
        fi
        echo "$mnt${line#*:*:}"
}

# ---------------------------------------------------------------- pause / resume

test_pause_resume_stops_and_restarts_processes() {
        counter_setup
        assert_ok cocoon pause "$ID"
        assert_eq paused "$(status_of "$ID")" "status after pause"
        cocoon list --format json >"$T/list.json"
        assert_eq paused "$(json_get '[x["status"] for x in d if x["id"] == "'"$ID"'"][0]' "$T/list.json")" \
                "status in list"
        # the counter really stopped: frozen, not just reported as paused
        local a
        a=$(cat "$B/rootfs/cnt")
        sleep 0.5
        assert_eq "$a" "$(cat "$B/rootfs/cnt")" "counter while paused"
        assert_ok cocoon resume "$ID"
        assert_eq running "$(status_of "$ID")" "status after resume"
        counter_moves || fail "the counter did not advance after resume"
        destroy "$ID"
}

# A workload that is nearly always inside a call its Sentry handles (an
# open with O_TRUNC, through the Gofer): the freezer cannot stop a task in
# the killable wait for the Sentry's answer while it freezes the Sentry, so
# pause undoes a stalled freeze and tries again (src/linux/cgroup_freezer.c).
# Every pause of ten must succeed and really stop the loop.
test_pause_sentry_workload_busy_in_its_sentry() {
        B=$T/b
        make_bundle "$B" /bin/sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/cnt; done'
        ID=$(new_id)
        CC_GLOBAL="--root $ROOT --sandbox sentry" start_ctr "$B" "$ID"
        wait_file "$B/rootfs/cnt"
        local n a
        for n in $(seq 10); do
                capture timeout 20 "$COCOON" --root "$ROOT" pause "$ID"
                [ "$rc" = 0 ] || fail "pause $n failed (rc=$rc): $err"
                a=$(cat "$B/rootfs/cnt")
                sleep 0.2
                assert_eq "$a" "$(cat "$B/rootfs/cnt")" "counter while paused ($n)"
                assert_ok cocoon resume "$ID"
        done
        counter_moves || fail "the counter did not advance after the last resume"
        destroy "$ID"
}

test_pause_errors_as_runc() {
        counter_setup
        assert_fail cocoon resume "$ID"
        assert_error_line
        assert_contains "$err" "not paused"
        assert_ok cocoon pause "$ID"
        assert_fail cocoon pause "$ID"
        assert_error_line
        assert_contains "$err" "paused"
        assert_ok cocoon resume "$ID"
        assert_fail cocoon pause "nosuch-$TOKEN"
        assert_error_line
        assert_contains "$err" "does not exist"
        assert_ok cocoon kill "$ID" KILL
        wait_status "$ID" stopped
        assert_fail cocoon pause "$ID"
        assert_error_line
        assert_contains "$err" "stopped"
        assert_fail cocoon resume "$ID"
        assert_error_line
        assert_ok cocoon delete "$ID"
}

test_pause_created_container() {
        # runc pauses a created container too; resume makes it "created" again
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'echo ran >/ran; sleep 1000'
        id=$(new_id)
        create_ctr "$B" "$id"
        assert_ok cocoon pause "$id"
        assert_eq paused "$(status_of "$id")" "status"
        assert_fail cocoon start "$id"
        assert_error_line
        assert_ok cocoon resume "$id"
        assert_eq created "$(status_of "$id")" "status after resume"
        assert_ok cocoon start "$id"
        wait_file "$B/rootfs/ran"
        destroy "$id"
}

test_pause_kill_term_waits_for_resume() {
        counter_setup
        assert_ok cocoon pause "$ID"
        assert_ok cocoon kill "$ID" TERM
        sleep 0.3
        assert_eq paused "$(status_of "$ID")" "status with a pending TERM"
        [ ! -e "$B/rootfs/term" ] || fail "a frozen init handled TERM"
        assert_ok cocoon resume "$ID"
        wait_status "$ID" stopped
        assert_eq TERM "$(cat "$B/rootfs/term")" "trap output"
        assert_ok cocoon delete "$ID"
}

test_pause_kill_9_kills_paused_container() {
        counter_setup
        local p
        p=$(pid_of "$ID")
        assert_ok cocoon pause "$ID"
        assert_ok cocoon kill "$ID" KILL
        wait_status "$ID" stopped 5
        wait_pid_gone "$p"
        assert_ok cocoon delete "$ID"
}

test_pause_kill_all_9() {
        counter_setup
        assert_ok cocoon exec -d --pid-file "$T/e.pid" "$ID" sleep 1000
        local e
        e=$(cat "$T/e.pid")
        track_pid "$e"
        assert_ok cocoon pause "$ID"
        assert_ok cocoon kill --all "$ID" KILL
        wait_pid_gone "$e"
        wait_status "$ID" stopped 5
        assert_ok cocoon delete "$ID"
}

test_pause_delete_force() {
        counter_setup
        assert_ok cocoon exec -d --pid-file "$T/e.pid" "$ID" sleep 1000
        local e p
        e=$(cat "$T/e.pid")
        track_pid "$e"
        p=$(pid_of "$ID")
        assert_ok cocoon pause "$ID"
        assert_fail cocoon delete "$ID"
        assert_error_line
        assert_ok cocoon delete --force "$ID"
        assert_fail cocoon state "$ID"
        wait_pid_gone "$p"
        wait_pid_gone "$e"
        local dirs
        dirs=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$ID")
        [ -z "$dirs" ] || fail "cgroups left after delete --force: $dirs"
}

test_pause_exec_fails() {
        counter_setup
        assert_ok cocoon pause "$ID"
        assert_fail cocoon exec "$ID" true
        assert_error_line
        assert_contains "$err" "paused"
        assert_ok cocoon resume "$ID"
        assert_ok cocoon exec "$ID" true
        destroy "$ID"
}

# ---------------------------------------------------------------- update

test_update_errors() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        assert_fail cocoon update --pids-limit 5 "nosuch-$TOKEN"
        assert_error_line
        assert_contains "$err" "does not exist"
        local bad
        for bad in "--memory 12x" "--memory -5" "--memory-swap abc" "--cpu-period -1" "--cpu-quota 1.5" \
                "--pids-limit ten" "--cpu-share 1e3"; do
                # shellcheck disable=SC2086
                assert_fail cocoon update $bad "$id"
                assert_error_line
                assert_contains "$err" "${bad%% *}"
        done
        assert_fail cocoon update --l3-cache-schema 'L3:0=f' "$id"
        assert_error_line
        assert_contains "$err" "Intel RDT"
        capture_in '{"memory": {"limit": ' cocoon update --resources - "$id"
        [ "$rc" != 0 ] || fail "truncated JSON accepted"
        assert_one_line "$err"
        capture_in '[1, 2]' cocoon update -r - "$id"
        [ "$rc" != 0 ] || fail "a JSON array accepted as resources"
        assert_one_line "$err"
        echo '{"pids": {"limit": "many"}}' >"$T/res.json"
        assert_fail cocoon update --resources "$T/res.json" "$id"
        assert_error_line
        assert_contains "$err" "pids.limit"
        assert_fail cocoon update --resources "$T/missing.json" "$id"
        assert_error_line
        assert_fail cocoon update "$id" extra
        assert_error_line
        # nothing to change (all runc "0 = unchanged" values) is fine
        echo '{"memory": {"limit": 0}, "cpu": {"cpus": ""}}' >"$T/zero.json"
        assert_ok cocoon update -r "$T/zero.json" "$id"
        # the saved config is untouched by failed updates
        assert_eq null "$(json_get 'd["linux"].get("resources", {}).get("pids")' "$ROOT/$id/config.json")" \
                "saved pids"
        assert_ok cocoon kill "$id" KILL
        wait_status "$id" stopped
        assert_fail cocoon update --pids-limit 5 "$id"
        assert_error_line
        assert_contains "$err" "stopped"
        assert_ok cocoon delete "$id"
}

test_update_kernel_memory_warns() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        assert_ok cocoon update --kernel-memory 10m "$id"
        assert_contains "$err" "deprecated"
        destroy "$id"
}

# update_or_skip ARGS...: cocoon update; "not supported yet" skips the test.
update_or_skip() {
        capture cocoon update "$@"
        if [ "$rc" != 0 ]; then
                case "$err" in
                *"not supported yet"*)
                        destroy "${!#}"
                        skip "$err"
                        ;;
                esac
                fail "update $* failed (rc=$rc): $err"
        fi
}

test_update_pids_and_memory() {
        local B=$T/b id p d
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        p=$(pid_of "$id")
        update_or_skip --pids-limit 7 --memory 64m "$id"
        d=$(ctr_cgroup_dir "$p" pids)
        assert_eq 7 "$(cat "$d/pids.max")" "pids.max"
        d=$(ctr_cgroup_dir "$p" memory)
        if [ -e "$d/memory.limit_in_bytes" ]; then
                assert_eq 67108864 "$(cat "$d/memory.limit_in_bytes")" "memory.limit_in_bytes"
        else
                assert_eq 67108864 "$(cat "$d/memory.max")" "memory.max"
        fi
        assert_eq 7 "$(json_get 'd["linux"]["resources"]["pids"]["limit"]' "$ROOT/$id/config.json")" "saved pids"
        assert_eq 67108864 "$(json_get 'd["linux"]["resources"]["memory"]["limit"]' "$ROOT/$id/config.json")" \
                "saved memory"
        # a file, with a flag overriding one of its fields; 0 leaves memory as it is
        echo '{"pids": {"limit": 9}, "memory": {"limit": 0}}' >"$T/res.json"
        update_or_skip --resources "$T/res.json" --pids-limit 11 "$id"
        d=$(ctr_cgroup_dir "$p" pids)
        assert_eq 11 "$(cat "$d/pids.max")" "pids.max after --resources + flag"
        assert_eq 67108864 "$(json_get 'd["linux"]["resources"]["memory"]["limit"]' "$ROOT/$id/config.json")" \
                "saved memory after a 0"
        # -1: unlimited
        update_or_skip --pids-limit -1 "$id"
        assert_eq max "$(cat "$d/pids.max")" "pids.max after -1"
        destroy "$id"
}

# ---------------------------------------------------------------- events

test_events_stats_shape() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'sleep 1000 & i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; wait'
        id=$(new_id)
        start_ctr "$B" "$id"
        sleep 0.2
        assert_ok cocoon events --stats "$id"
        assert_one_line "$out" "events --stats output"
        echo "$out" >"$T/ev.json"
        assert_eq stats "$(json_get 'd["type"]' "$T/ev.json")" "type"
        assert_eq "$id" "$(json_get 'd["id"]' "$T/ev.json")" "id"
        assert_eq '["blkio", "cpu", "cpuset", "hugetlb", "intel_rdt", "memory", "network_interfaces", "pids"]' \
                "$(json_get 'sorted(d["data"])' "$T/ev.json")" "data keys"
        assert_eq True "$(json_get 'str(d["data"]["pids"]["current"] >= 2)' "$T/ev.json")" "pids.current >= 2"
        assert_eq True "$(json_get 'str(d["data"]["memory"]["usage"]["usage"] > 0)' "$T/ev.json")" "memory usage > 0"
        assert_eq True "$(json_get 'str(d["data"]["cpu"]["usage"]["total"] > 0)' "$T/ev.json")" "cpu total > 0"
        assert_eq True "$(json_get 'str({"kernel", "user"} <= set(d["data"]["cpu"]["usage"]))' "$T/ev.json")" \
                "cpu.usage kernel/user"
        assert_eq True "$(json_get 'str({"usage", "swap", "kernel", "raw"} <= set(d["data"]["memory"]))' \
                "$T/ev.json")" "memory keys"
        destroy "$id"
}

test_events_stats_keys_match_runc() {
        have_cmd "$RUNC" || skip "runc is not installed"
        local B=$T/b id rid
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        rid=$(new_id runc)
        start_ctr "$B" "$id"
        capture runc_ref run -d --bundle "$B" "$rid"
        [ "$rc" = 0 ] || skip "runc cannot run the bundle: $err"
        sleep 0.2
        capture runc_ref events --stats "$rid"
        runc_ref delete --force "$rid" >/dev/null 2>&1
        [ "$rc" = 0 ] || fail "runc events --stats failed: $err"
        echo "$out" >"$T/runc.json"
        assert_ok cocoon events --stats "$id"
        echo "$out" >"$T/cocoon.json"
        destroy "$id"
        # The keys of these objects do not depend on the values, except the
        # ones runc marks omitempty: present in one output and not the other
        # only says one container had, e.g., page cache or I/O and the other not.
        python3 - "$T/runc.json" "$T/cocoon.json" <<'PY' || fail "key sets differ from runc's"
import json, sys
runc, ours = (json.load(open(f)) for f in sys.argv[1:3])
omitempty = {"cache", "ioServiceBytesRecursive", "ioServicedRecursive", "ioQueueRecursive",
             "ioServiceTimeRecursive", "ioWaitTimeRecursive", "ioMergedRecursive", "ioTimeRecursive",
             "sectorsRecursive"}
paths = [[], ["data"], ["data", "cpu"], ["data", "cpu", "usage"], ["data", "cpuset"], ["data", "memory"],
         ["data", "memory", "usage"], ["data", "memory", "kernelTCP"], ["data", "memory", "raw"],
         ["data", "pids"], ["data", "blkio"], ["data", "hugetlb"]]
bad = 0
for p in paths:
    a, b = runc, ours
    for k in p:
        a, b = a[k], b[k]
    if sorted(set(a) - omitempty) != sorted(set(b) - omitempty):
        print(f"keys of {'.'.join(p) or '(top)'}: runc {sorted(a)} cocoon {sorted(b)}", file=sys.stderr)
        bad = 1
sys.exit(bad)
PY
}

test_events_stream_until_exit() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1.5
        id=$(new_id)
        start_ctr "$B" "$id"
        capture timeout 15 "$COCOON" --root "$ROOT" events --interval 200ms "$id"
        assert_eq 0 "$rc" "events exit status (124: it did not end with the container)"
        echo "$out" >"$T/ev.jsonl"
        local n
        n=$(grep -c '"type":"stats"' "$T/ev.jsonl") || true
        [ "${n:-0}" -ge 2 ] || fail "expected >= 2 stats events in 1.5 s at 200ms, got ${n:-0}: $out"
        python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["id"] == sys.argv[2] and e["type"] == "stats" and "pids" in e["data"], line
' "$T/ev.jsonl" "$id" || fail "malformed event line"
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
}

test_events_errors() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        local bad
        for bad in 5 0s -1s 1x ""; do
                assert_fail cocoon events --interval "$bad" "$id"
                assert_error_line
        done
        assert_fail cocoon events --stats "nosuch-$TOKEN"
        assert_error_line
        assert_ok cocoon kill "$id" KILL
        wait_status "$id" stopped
        assert_fail cocoon events --stats "$id"
        assert_error_line
        assert_contains "$err" "not running"
        assert_fail cocoon events "$id"
        assert_error_line
        assert_ok cocoon delete "$id"
}

test_events_oom() {
        # under the sentry sandbox the OOM killer may pick the supervisor or the
        # Gofer, which ends the container (docs/sentry.md, "Not done yet")
        local CC_GLOBAL="$CC_GLOBAL --sandbox none"
        local B=$T/b id p d ev
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        p=$(pid_of "$id")
        # a 32 MiB limit written straight into the container's memory cgroup
        d=$(ctr_cgroup_dir "$p" memory)
        if [ -e "$d/memory.limit_in_bytes" ]; then
                echo 33554432 >"$d/memory.limit_in_bytes"
        elif [ -e "$d/memory.max" ]; then
                echo 33554432 >"$d/memory.max"
        else
                skip "no memory controller for the container"
        fi
        "$COCOON" --root "$ROOT" events --interval 60s "$id" >"$T/ev.jsonl" 2>"$T/ev.err" &
        ev=$!
        sleep 0.5 # let events register for OOM notification
        # dd's 64 MiB buffer cannot fit: the kernel OOM-kills it
        capture cocoon exec "$id" dd if=/dev/zero of=/dev/null bs=64M count=1
        assert_eq 137 "$rc" "exit status of the OOM-killed dd ($err)"
        wait_for grep -q '"type":"oom"' "$T/ev.jsonl"
        assert_eq "{\"type\":\"oom\",\"id\":\"$id\"}" "$(grep oom "$T/ev.jsonl" | head -n1)" "oom event"
        assert_ok cocoon kill "$id" KILL
        # the stream ends with the container
        local i=0
        while kill -0 "$ev" 2>/dev/null; do
                i=$((i + 1))
                [ "$i" -lt 100 ] || fail "events did not exit after the container stopped"
                sleep 0.05
        done
        wait "$ev" || fail "events exited with status $?: $(cat "$T/ev.err")"
        assert_ok cocoon delete "$id"
}
