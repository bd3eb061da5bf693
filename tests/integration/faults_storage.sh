# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# test-timeout: 90
# Fault injection around the state (faults.sh explains the method): cocoon
# delete killed half-way, a full --root, a damaged state.json. After each:
# `state` tells the truth and `delete --force` leaves nothing, or the test
# asserts a known gap (docs/security.md).

# shellcheck source=tests/lib/faults.sh
source "$TESTS_DIR/lib/faults.sh"

# ---------------------------------------------------------------- delete

# cocoon delete killed in its poststop hook (the processes and cgroup are
# gone, the state directory not yet), and delete --force killed at once.
kill_cocoon_in_delete() {
        local id c
        fault_bundle /bin/sleep 1000
        with_hook poststop once
        id=$(new_id)
        assert_ok cc create --bundle "$B" "$id"
        container_pids "$id"
        assert_ok cc start "$id"
        bg c cc delete --force "$id"
        wait_for test -e "$HD/hook.reached"
        kill -KILL "$c"
        reap "$c"
        assert_eq 137 "$bgrc" "status of the killed delete"
        release_hook
        wait_pid_gone "$W"
        assert_state_truthful "$id"
        assert_eq stopped "$(json_get 'd["status"]' <<<"$(cc state "$id")")" "state after a killed delete"
        delete_clean "$id" "$S" "$W" "$G"
        # delete --force killed right away, before or while it kills
        local delay
        for delay in 0 0.01 0.05; do
                fault_bundle /bin/sleep 1000
                id=$(new_id "d${delay/./}")
                assert_ok cc run -d --bundle "$B" "$id"
                container_pids "$id"
                bg c cc delete --force "$id"
                sleep "$delay"
                kill -KILL "$c" 2>/dev/null || true # (it may have finished)
                reap "$c"
                half_state "$id" "delete killed after ${delay}s" "$S" "$W" "$G" && continue
                assert_state_truthful "$id"
                delete_clean "$id" "$S" "$W" "$G"
        done
}
test_kill_cocoon_in_delete_none() { SB=none kill_cocoon_in_delete; }
test_kill_cocoon_in_delete_sentry() { SB=sentry kill_cocoon_in_delete; }

# ---------------------------------------------------------------- --root full

# fill DIR: write into DIR until its filesystem is full.
fill() {
        dd if=/dev/zero of="$1/fill" bs=4k >/dev/null 2>&1 || true
        sync
}

# A --root on a full filesystem: create fails with one line and leaves no
# process, cgroup or directory; with no inode left the same. A container
# made before the filesystem filled up still starts, execs and is deleted.
full_root() {
        local fs=$T/fs id n=0
        mkdir -p "$fs"
        mount -t tmpfs -o size=256k,mode=0755 "tmpfs-$TOKEN" "$fs"
        fault_bundle /bin/sleep 1000
        # blocks full: the directory can be made, state.json cannot be written
        mkdir "$fs/root"
        fill "$fs"
        id=$(new_id f)
        capture "$COCOON" --root "$fs/root" --sandbox "$SB" create --bundle "$B" "$id"
        [ "$rc" != 0 ] || fail "create succeeded on a full --root"
        assert_error_line
        assert_contains "$err" "No space left on device"
        [ -z "$(ls -A "$fs/root")" ] || fail "left in the full root: $(ls -A "$fs/root")"
        [ -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id")" ] || fail "cgroup left by the failed create"
        # no inode left either: the directory itself cannot be made
        umount "$fs"
        mount -t tmpfs -o size=1m,nr_inodes=4,mode=0755 "tmpfs-$TOKEN" "$fs"
        mkdir "$fs/root"
        while touch "$fs/i$((++n))" 2>/dev/null; do :; done
        capture "$COCOON" --root "$fs/root" --sandbox "$SB" create --bundle "$B" "$id"
        [ "$rc" != 0 ] || fail "create succeeded with no inode left in --root"
        assert_error_line
        assert_contains "$err" "No space left on device"
        [ -z "$(ls -A "$fs/root")" ] || fail "left in the full root: $(ls -A "$fs/root")"
        umount "$fs"
        # created while there was room, then the filesystem fills up
        mount -t tmpfs -o size=512k,mode=0755 "tmpfs-$TOKEN" "$fs"
        ROOT=$fs/root
        id=$(new_id g)
        assert_ok cc create --bundle "$B" "$id"
        S=$(json_get 'd["pid"]' "$ROOT/$id/state.json")
        track_pid "$S"
        fill "$fs"
        assert_ok cc start "$id"
        assert_eq running "$(cc state "$id" | json_get 'd["status"]')"
        assert_ok cc exec "$id" /bin/echo exec-on-full-root
        assert_eq exec-on-full-root "$out"
        delete_clean "$id" "$S"
        umount "$fs"
}
test_full_root_none() { SB=none full_root; }
test_full_root_sentry() { SB=sentry full_root; }

# ---------------------------------------------------------------- state.json

# damage HOW FILE: truncate, garbage, empty or remove a state.json.
damage() {
        case $1 in
        truncated) head -c "$(($(stat -c %s "$2") / 2))" "$2" >"$2.t" && mv "$2.t" "$2" ;;
        garbage) printf '\x00\xffnot json{{{' >"$2" ;;
        empty) : >"$2" ;;
        missing) rm -f "$2" ;;
        esac
}

# A running container whose state.json is damaged. `state` says so in one
# line; `delete --force` still removes everything: the cgroup is recorded
# apart (cgroup.json), and every process of the container is in it.
damaged_state() {
        local how id
        for how in truncated garbage empty missing; do
                fault_bundle /bin/sleep 1000
                id=$(new_id "$how")
                assert_ok cc run -d --bundle "$B" "$id"
                container_pids "$id"
                damage "$how" "$ROOT/$id/state.json"
                assert_fail cc state "$id"
                assert_error_line
                if [ "$how" = missing ]; then
                        assert_contains "$err" "has no state (an interrupted create or delete)"
                else
                        assert_contains "$err" "is corrupt"
                fi
                assert_fail cc start "$id"
                assert_error_line
                delete_clean "$id" "$S" "$W" "$G"
        done
}
test_damaged_state_none() { SB=none damaged_state; }
test_damaged_state_sentry() { SB=sentry damaged_state; }
