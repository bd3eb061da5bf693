# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# The container's cgroups: where they are, that they go away, limits.

# cg_lines PID: "hierarchy-id:controllers:path" lines of the host's view.
cg_lines() { cat "/proc/$1/cgroup"; }

# cg_dir PID CONTROLLER: the directory of PID's cgroup for one v1 controller
# (or "" for the unified hierarchy).
cg_dir() {
        local pid=$1 ctl=$2 line path mnt
        if [ -z "$ctl" ]; then
                line=$(grep '^0::' "/proc/$pid/cgroup")
                mnt=$(findmnt -n -o TARGET -t cgroup2 | head -n1)
        else
                line=$(grep -E "^[0-9]+:([^:]*,)?$ctl(,[^:]*)?:" "/proc/$pid/cgroup")
                mnt=$(findmnt -n -o TARGET,OPTIONS -t cgroup | awk -v c="$ctl" '{n=split($2,o,","); for(i=1;i<=n;i++) if(o[i]==c) {print $1; exit}}')
        fi
        path=${line#*:*:}
        echo "$mnt$path"
}

test_cgroup_default_path_and_cleanup() {
        local B=$T/b id p l
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        create_ctr "$B" "$id"
        p=$(pid_of "$id")
        while read -r l; do
                [[ "$l" == */"$id" ]] || fail "init not in a cgroup named after the container: $l"
        done < <(cg_lines "$p")
        local dirs
        dirs=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id")
        [ -n "$dirs" ] || fail "no cgroup directory named $id"
        assert_ok cocoon delete --force "$id"
        dirs=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id")
        [ -z "$dirs" ] || fail "cgroup directories left after delete: $dirs"
}

test_cgroups_path_absolute() {
        local B=$T/b id p l
        make_bundle "$B" /bin/sleep 1000
        edit_config "$B" 'c["linux"]["cgroupsPath"]="/cct-'"$TOKEN"'/inner"'
        id=$(new_id)
        start_ctr "$B" "$id"
        p=$(pid_of "$id")
        while read -r l; do
                [[ "$l" == *:/cct-"$TOKEN"/inner ]] || fail "init not in /cct-$TOKEN/inner: $l"
        done < <(cg_lines "$p")
        destroy "$id"
        # the framework checks that /cct-$TOKEN is gone on every hierarchy
}

test_cgroups_path_relative() {
        local B=$T/b id p
        make_bundle "$B" /bin/sleep 1000
        edit_config "$B" 'c["linux"]["cgroupsPath"]="cct-'"$TOKEN"'"'
        id=$(new_id)
        start_ctr "$B" "$id"
        p=$(pid_of "$id")
        # relative to the caller's own cgroup, hierarchy by hierarchy
        local mine theirs
        mine=$(grep -E '^[0-9]+:memory:' /proc/self/cgroup) || skip "no v1 memory hierarchy"
        mine=${mine#*:*:}
        theirs=$(grep -E '^[0-9]+:memory:' "/proc/$p/cgroup")
        theirs=${theirs#*:*:}
        assert_eq "${mine%/}/cct-$TOKEN" "$theirs" "memory cgroup of the container"
        destroy "$id"
}

# The first container under a fresh parent makes the parent too; deleting it
# while a second one lives there must neither wait nor fail on the shared
# parent (rmdir says EBUSY while it has children), and the last one out takes
# only its own directory.
test_cgroups_shared_parent_made_by_the_first() {
        local B=$T/b a b
        make_bundle "$B" /bin/sleep 1000
        a=$(new_id) b=$(new_id)
        edit_config "$B" 'c["linux"]["cgroupsPath"]="/cct-'"$TOKEN"'/'"$a"'"'
        create_ctr "$B" "$a"
        edit_config "$B" 'c["linux"]["cgroupsPath"]="/cct-'"$TOKEN"'/'"$b"'"'
        create_ctr "$B" "$b"
        local t0=$SECONDS
        capture cocoon delete --force "$a"
        [ "$rc" = 0 ] || fail "delete of the parent's maker failed ($rc): $err"
        [ -z "$err" ] || fail "delete of the parent's maker said: $err"
        [ $((SECONDS - t0)) -lt 3 ] || fail "delete took $((SECONDS - t0)) s"
        [ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$a")" ] || fail "$a's cgroup is left"
        [ -d "/sys/fs/cgroup/memory/cct-$TOKEN/$b" ] || [ ! -d /sys/fs/cgroup/memory ] ||
                fail "the second container's cgroup went with the first"
        assert_ok cocoon delete --force "$b"
        [ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$b")" ] || fail "$b's cgroup is left"
        # the parent stays (its maker is gone): not ours to judge, as under runc
        find /sys/fs/cgroup -maxdepth 2 -type d -name "cct-$TOKEN" -exec rmdir {} +
}

test_exec_joins_the_cgroup() {
        local B=$T/b id p e
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        p=$(pid_of "$id")
        assert_ok cocoon exec -d --pid-file "$T/e.pid" "$id" sleep 999
        e=$(cat "$T/e.pid")
        track_pid "$e"
        assert_eq "$(cg_lines "$p")" "$(cg_lines "$e")" "cgroups of init and exec"
        destroy "$id"
}

test_memory_limit() {
        local B=$T/b id p d
        make_bundle "$B" /bin/sleep 1000
        edit_config "$B" 'c["linux"].setdefault("resources",{})["memory"]={"limit":67108864}'
        id=$(new_id)
        start_ctr "$B" "$id"
        p=$(pid_of "$id")
        if grep -qE '^[0-9]+:memory:' "/proc/$p/cgroup"; then
                d=$(cg_dir "$p" memory)
                assert_eq 67108864 "$(cat "$d/memory.limit_in_bytes")" "memory.limit_in_bytes"
        else
                d=$(cg_dir "$p" "")
                assert_eq 67108864 "$(cat "$d/memory.max")" "memory.max"
        fi
        destroy "$id"
}

test_pids_limit() {
        local B=$T/b id p d
        make_bundle "$B" /bin/sleep 1000
        edit_config "$B" 'c["linux"].setdefault("resources",{})["pids"]={"limit":20}'
        id=$(new_id)
        start_ctr "$B" "$id"
        p=$(init_pid "$id")
        if grep -qE '^[0-9]+:pids:' "/proc/$p/cgroup"; then
                d=$(cg_dir "$p" pids)
        else
                d=$(cg_dir "$p" "")
        fi
        assert_eq 20 "$(cat "$d/pids.max")" "pids.max"
        # and it bites: 30 background sleeps cannot all start
        capture cocoon exec "$id" sh -c 'for i in $(seq 30); do sleep 5 >/dev/null 2>&1 & done 2>/dev/null; true'
        local n
        n=$(cat "$d/pids.current")
        [ "$n" -le 20 ] || fail "pids.current $n above pids.max 20"
        [ "$n" -ge 15 ] || fail "pids.current $n: the limit did not bite"
        destroy "$id"
}

test_cpu_shares() {
        local B=$T/b id p d
        make_bundle "$B" /bin/sleep 1000
        edit_config "$B" 'c["linux"].setdefault("resources",{})["cpu"]={"shares":512}'
        id=$(new_id)
        start_ctr "$B" "$id"
        p=$(pid_of "$id")
        grep -qE '^[0-9]+:([^:]*,)?cpu(,[^:]*)?:' "/proc/$p/cgroup" || { destroy "$id"; skip "no v1 cpu hierarchy"; }
        d=$(cg_dir "$p" cpu)
        assert_eq 512 "$(cat "$d/cpu.shares")" "cpu.shares"
        destroy "$id"
}

test_devices_cgroup_denies_host_devices() {
        # the default device rules: mknod of a host disk works (CAP_MKNOD) but it
        # cannot be opened
        local B=$T/b
        make_bundle "$B"
        edit_config "$B" 'c["process"]["capabilities"]["bounding"].append("CAP_MKNOD")' \
                'c["process"]["capabilities"]["effective"].append("CAP_MKNOD")' \
                'c["process"]["capabilities"]["permitted"].append("CAP_MKNOD")'
        local maj min
        local dev
        dev=$(findmnt -n -o SOURCE /)
        [ -b "$dev" ] || skip "the root file system is not on a block device ($dev)"
        read -r maj min < <(stat -L -c '%t %T' "$dev")
        maj=$((16#$maj))
        min=$((16#$min))
        run_in "$B" /bin/sh -c "mknod /tmp/disk b $maj $min && head -c 512 /tmp/disk | wc -c"
        note "inside: $out $err"
        assert_not_contains "$out" "512" "bytes read from the host's disk"
}

# A pure v1 host, made out of this hybrid one: a private mount namespace
# without the cgroup2 "unified" mount (nothing propagates back to the host).
test_pure_v1_layout() {
        [ -d /sys/fs/cgroup/unified ] || skip "no hybrid layout to turn into pure v1"
        local B=$T/b id p holder
        unshare --mount --propagation private sh -c \
                'umount /sys/fs/cgroup/unified && : >"$1" && exec sleep 1000' _ "$T/v1.ready" &
        holder=$!
        track_pid "$holder"
        wait_for test -e "$T/v1.ready"
        v1() { nsenter -t "$holder" -m -- "$COCOON" $CC_GLOBAL "$@"; }
        capture v1 features
        assert_eq v1 "$(json_get 'd["annotations"]["io.github.cocoon.cgroup-layout"]' <<<"$out")" "layout"
        make_bundle "$B" /bin/sleep 1000
        edit_config "$B" 'c["linux"]["resources"]={"memory":{"limit":33554432},"pids":{"limit":20}}'
        id=$(new_id)
        assert_ok v1 run -d --bundle "$B" "$id"
        p=$(json_get 'd["pid"]' <<<"$(v1 state "$id")")
        assert_eq 33554432 "$(cat "/sys/fs/cgroup/memory/cocoon/$id/memory.limit_in_bytes")" "memory limit"
        assert_eq 20 "$(cat "/sys/fs/cgroup/pids/cocoon/$id/pids.max")" "pids limit"
        [ ! -e "/sys/fs/cgroup/unified/cocoon/$id" ] || fail "a v2 directory was made on a pure v1 layout"
        assert_ok v1 delete --force "$id"
        [ ! -e "/sys/fs/cgroup/memory/cocoon/$id" ] || fail "memory cgroup left after delete"
        kill "$holder"
        wait "$holder" 2>/dev/null || true
}
