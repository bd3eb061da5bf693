# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# linux.resources: every resource lands in its cgroup file with runc's value,
# limits are enforced, and what this host cannot do is refused in one line.

# res_dir PID CONTROLLER: PID's cgroup directory for a v1 controller, or for
# the unified hierarchy when CONTROLLER is "".
res_dir() {
        local pid=$1 ctl=$2 line mnt
        if [ -z "$ctl" ]; then
                line=$(grep '^0::' "/proc/$pid/cgroup")
                mnt=$(findmnt -n -o TARGET -t cgroup2 | head -n1)
        else
                line=$(grep -E "^[0-9]+:([^:]*,)?$ctl(,[^:]*)?:" "/proc/$pid/cgroup")
                mnt=$(findmnt -n -o TARGET,OPTIONS -t cgroup |
                        awk -v c="$ctl" '{n=split($2,o,","); for(i=1;i<=n;i++) if(o[i]==c) {print $1; exit}}')
        fi
        [ -n "$line" ] && [ -n "$mnt" ] || fail "no $ctl cgroup for pid $pid"
        echo "$mnt${line#*:*:}"
}

# have_v1 CONTROLLER
have_v1() { grep -qE "^[0-9]+:([^:]*,)?$1(,[^:]*)?:" /proc/self/cgroup; }

# with_resources BUNDLE PYTHON-DICT: set linux.resources (args: sleep), making
# the bundle on first use
with_resources() {
        [ -f "$1/config.json" ] || make_bundle "$1" /bin/sleep 1000
        edit_config "$1" "c['linux']['resources'] = $2"
}

# res_start BUNDLE: create (limits are in place before the program starts);
# $id and $p are the container and its init
res_start() {
        id=$(new_id)
        create_ctr "$1" "$id"
        p=$(pid_of "$id")
}

# refused BUNDLE MESSAGE: create fails with one line containing MESSAGE
refused() {
        local cid
        cid=$(new_id)
        assert_fail cocoon create --bundle "$1" "$cid"
        assert_error_line
        assert_contains "$err" "$2" "error"
        assert_eq "" "$(cocoon list -q)" "containers left after the failed create"
}

test_resources_memory_v1_files() {
        have_v1 memory || skip "no v1 memory controller"
        local B=$T/b d
        with_resources "$B" '{"memory": {"limit": 67108864, "reservation": 33554432, "swap": 100663296,
                "swappiness": 20, "disableOOMKiller": True, "useHierarchy": True, "kernel": 1048576}}'
        id=$(new_id)
        capture cocoon create --bundle "$B" "$id"
        [ "$rc" = 0 ] || fail "create: $err"
        track_pid "$(pid_of "$id")"
        assert_contains "$err" "linux.resources.memory.kernel is deprecated and ignored" "warning"
        d=$(res_dir "$(pid_of "$id")" memory)
        assert_eq 67108864 "$(cat "$d/memory.limit_in_bytes")" memory.limit_in_bytes
        assert_eq 33554432 "$(cat "$d/memory.soft_limit_in_bytes")" memory.soft_limit_in_bytes
        assert_eq 100663296 "$(cat "$d/memory.memsw.limit_in_bytes")" memory.memsw.limit_in_bytes
        assert_eq 20 "$(cat "$d/memory.swappiness")" memory.swappiness
        assert_contains "$(cat "$d/memory.oom_control")" "oom_kill_disable 1" memory.oom_control
        destroy "$id"
}

test_resources_memory_unlimited() {
        have_v1 memory || skip "no v1 memory controller"
        local B=$T/b d
        with_resources "$B" '{"memory": {"limit": -1}}'
        res_start "$B"
        d=$(res_dir "$p" memory)
        # -1 means unlimited memory and (swap unspecified) unlimited swap
        assert_eq 9223372036854771712 "$(cat "$d/memory.limit_in_bytes")" memory.limit_in_bytes
        assert_eq 9223372036854771712 "$(cat "$d/memory.memsw.limit_in_bytes")" memory.memsw.limit_in_bytes
        destroy "$id"
}

# A shell that keeps 64 MB in a variable is OOM-killed under a 16 MB limit
# (memory+swap 16 MB too, so swap cannot absorb it) and lives under 256 MB.
test_resources_memory_limit_enforced() {
        local B=$T/b hog='x=$(head -c 64000000 /dev/zero | tr "\0" a); echo survived ${#x}'
        make_bundle "$B"
        edit_config "$B" 'c["linux"]["resources"] = {"memory": {"limit": 16777216, "swap": 16777216}}'
        run_in "$B" /bin/sh -c "$hog"
        assert_not_contains "$out" "survived" "output under a 16 MB limit"
        assert_eq 137 "$rc" "exit status (SIGKILL by the OOM killer)"
        edit_config "$B" 'c["linux"]["resources"] = {"memory": {"limit": 268435456}}'
        run_ok "$B" /bin/sh -c "$hog"
        assert_eq "survived 64000000" "$out" "output under a 256 MB limit"
}

test_resources_pids_limit_enforced() {
        # a limit this small is for the workload alone: under the sentry sandbox
        # the Sentry's and Gofer's threads count too, and create refuses it
        # (sentry.sh: test_sentry_refuses_a_pids_limit_below_its_own_tasks)
        local CC_GLOBAL="$CC_GLOBAL --sandbox none"
        local B=$T/b
        make_bundle "$B"
        edit_config "$B" 'c["linux"]["resources"] = {"pids": {"limit": 4}}'
        run_in "$B" /bin/sh -c 'n=0; for i in 1 2 3 4 5 6 7 8; do sleep 3 & done; echo started'
        assert_contains "$err" "can't fork" "stderr of a fork loop under pids.limit 4"
        # and the limit is what the loop hit, not something else
        edit_config "$B" 'c["linux"]["resources"] = {"pids": {"limit": 64}}'
        run_ok "$B" /bin/sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait; echo done'
        assert_eq done "$out"
        assert_not_contains "$err" "can't fork"
}

test_resources_pids_values() {
        have_v1 pids || skip "no v1 pids controller"
        local B=$T/b v want
        for v in 17:17 -1:max 0:max; do
                want=${v#*:}
                with_resources "$B" "{'pids': {'limit': ${v%%:*}}}"
                res_start "$B"
                assert_eq "$want" "$(cat "$(res_dir "$p" pids)/pids.max")" "pids.max for limit ${v%%:*}"
                destroy "$id"
        done
}

test_resources_cpu_v1_files() {
        have_v1 cpu || skip "no v1 cpu controller"
        local B=$T/b d s
        with_resources "$B" '{"cpu": {"shares": 512, "quota": 25000, "period": 50000, "burst": 1000, "idle": 0,
                "cpus": "0", "mems": "0"}}'
        res_start "$B"
        d=$(res_dir "$p" cpu)
        assert_eq 512 "$(cat "$d/cpu.shares")" cpu.shares
        assert_eq 25000 "$(cat "$d/cpu.cfs_quota_us")" cpu.cfs_quota_us
        assert_eq 50000 "$(cat "$d/cpu.cfs_period_us")" cpu.cfs_period_us
        [ -e "$d/cpu.cfs_burst_us" ] && assert_eq 1000 "$(cat "$d/cpu.cfs_burst_us")" cpu.cfs_burst_us
        [ -e "$d/cpu.idle" ] && assert_eq 0 "$(cat "$d/cpu.idle")" cpu.idle
        s=$(res_dir "$p" cpuset)
        assert_eq 0 "$(cat "$s/cpuset.cpus")" cpuset.cpus
        assert_eq 0 "$(cat "$s/cpuset.mems")" cpuset.mems
        # the init may run on CPU 0 only
        assert_eq 0 "$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$p/status")" "Cpus_allowed_list of the init"
        destroy "$id"
}

test_resources_cpu_realtime() {
        have_v1 cpu || skip "no v1 cpu controller"
        local B=$T/b d
        [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "kernel without CONFIG_RT_GROUP_SCHED"
        # directly below the root: a new parent would have no realtime budget to hand down
        with_resources "$B" '{"cpu": {"realtimeRuntime": 10000, "realtimePeriod": 1000000}}'
        edit_config "$B" 'c["linux"]["cgroupsPath"] = "/cct-'"$TOKEN"'"'
        res_start "$B"
        d=$(res_dir "$p" cpu)
        assert_eq 10000 "$(cat "$d/cpu.rt_runtime_us")" cpu.rt_runtime_us
        assert_eq 1000000 "$(cat "$d/cpu.rt_period_us")" cpu.rt_period_us
        destroy "$id"
}

test_resources_cpu_bad_values() {
        have_v1 cpu || skip "no v1 cpu controller"
        local B=$T/b
        with_resources "$B" '{"cpu": {"shares": 1}}'
        refused "$B" "linux.resources.cpu.shares: 1 is out of range (the kernel set 2)"
        with_resources "$B" '{"cpu": {"cpus": "63"}}'
        refused "$B" "linux.resources.cpu.cpus: write "
        with_resources "$B" '{"cpu": {"quota": "50000"}}'
        refused "$B" "config.json: linux.resources.cpu.quota: expected an integer"
}

# the first real disk's major:minor
disk_dev() {
        local b
        for b in /sys/block/*; do
                case ${b##*/} in loop* | ram* | zram*) continue ;; esac
                cat "$b/dev" && return 0
        done
        return 1
}

test_resources_blkio_throttle() {
        have_v1 blkio || skip "no v1 blkio controller"
        local B=$T/b d dev maj min
        dev=$(disk_dev) || skip "no block device"
        maj=${dev%:*} min=${dev#*:}
        with_resources "$B" "{'blockIO': {
                'throttleReadBpsDevice': [{'major': $maj, 'minor': $min, 'rate': 1048576}],
                'throttleWriteBpsDevice': [{'major': $maj, 'minor': $min, 'rate': 2097152}],
                'throttleReadIOPSDevice': [{'major': $maj, 'minor': $min, 'rate': 100}],
                'throttleWriteIOPSDevice': [{'major': $maj, 'minor': $min, 'rate': 200}]}}"
        res_start "$B"
        d=$(res_dir "$p" blkio)
        assert_eq "$dev 1048576" "$(cat "$d/blkio.throttle.read_bps_device")" read_bps_device
        assert_eq "$dev 2097152" "$(cat "$d/blkio.throttle.write_bps_device")" write_bps_device
        assert_eq "$dev 100" "$(cat "$d/blkio.throttle.read_iops_device")" read_iops_device
        assert_eq "$dev 200" "$(cat "$d/blkio.throttle.write_iops_device")" write_iops_device
        destroy "$id"
}

# Weight files exist only below the root cgroup, and only with CFQ (blkio.weight)
# or BFQ (blkio.bfq.weight) built in; probe a directory of our own.
blkio_weight_file() {
        local probe=/sys/fs/cgroup/blkio/cct-$TOKEN-probe f=""
        mkdir "$probe" || return 1
        if [ -e "$probe/blkio.weight" ]; then f=blkio.weight; elif [ -e "$probe/blkio.bfq.weight" ]; then f=blkio.bfq.weight; fi
        rmdir "$probe"
        echo "$f"
}

test_resources_blkio_weight() {
        have_v1 blkio || skip "no v1 blkio controller"
        local B=$T/b f dev
        f=$(blkio_weight_file) || fail "cannot probe the blkio hierarchy"
        with_resources "$B" '{"blockIO": {"weight": 500}}'
        if [ -n "$f" ]; then
                res_start "$B"
                assert_eq 500 "$(cat "$(res_dir "$p" blkio)/$f")" "$f"
                destroy "$id"
        else
                refused "$B" "linux.resources.blockIO: weights need blkio.weight or blkio.bfq.weight"
        fi
        if [ ! -e /sys/fs/cgroup/blkio/blkio.leaf_weight ]; then
                with_resources "$B" '{"blockIO": {"leafWeight": 500}}'
                refused "$B" "linux.resources.blockIO.leafWeight: "
                assert_contains "$err" "blkio.leaf_weight does not exist (not supported by this kernel)"
        fi
        # a per-device weight needs that device to use a weighting I/O scheduler
        dev=$(disk_dev) || return 0
        if [ -n "$f" ] && ! grep -q '\[bfq\]' "/sys/dev/block/$dev/queue/scheduler" 2>/dev/null; then
                with_resources "$B" "{'blockIO': {'weightDevice': [{'major': ${dev%:*}, 'minor': ${dev#*:}, 'weight': 300}]}}"
                refused "$B" "linux.resources.blockIO.weightDevice: write "
        fi
}

# controllers this host does not have: refused, naming the resource and the controller
test_resources_missing_controllers() {
        local B=$T/b
        if ! have_v1 hugetlb && ! grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
                with_resources "$B" '{"hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}]}'
                refused "$B" "linux.resources.hugepageLimits: needs the hugetlb controller, which this host does not have"
        fi
        if ! have_v1 net_cls; then
                with_resources "$B" '{"network": {"classID": 1048577}}'
                refused "$B" "linux.resources.network.classID: needs the net_cls controller"
        fi
        if ! have_v1 net_prio; then
                with_resources "$B" '{"network": {"priorities": [{"name": "eth0", "priority": 5}]}}'
                refused "$B" "linux.resources.network.priorities: needs the net_prio controller"
        fi
        if ! have_v1 rdma && ! grep -qw rdma /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
                with_resources "$B" '{"rdma": {"mlx5_0": {"hcaHandles": 2}}}'
                refused "$B" "linux.resources.rdma: needs the rdma controller"
        fi
}

test_resources_unified() {
        local B=$T/b layout d
        [ -d /sys/fs/cgroup/unified ] && layout=hybrid
        [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && layout=v2
        with_resources "$B" '{"unified": {"cgroup.max.depth": "3"}}'
        if [ -z "$layout" ]; then
                refused "$B" "linux.resources.unified: needs cgroup v2, and this host mounts only cgroup v1"
                return 0
        fi
        res_start "$B"
        d=$(res_dir "$p" "")
        assert_eq 3 "$(cat "$d/cgroup.max.depth")" cgroup.max.depth
        destroy "$id"
        with_resources "$B" '{"unified": {"../cgroup.procs": "1"}}'
        refused "$B" 'linux.resources.unified: "../cgroup.procs" must be a file name'
        if [ "$layout" = hybrid ] && ! grep -qw memory "$(findmnt -n -o TARGET -t cgroup2 | head -n1)/cgroup.controllers"; then
                with_resources "$B" '{"unified": {"memory.high": "1000000"}}'
                refused "$B" "memory.high does not exist"
        fi
}

test_resources_bad_values() {
        local B=$T/b
        with_resources "$B" '{"memory": {"limit": "64m"}}'
        refused "$B" "config.json: linux.resources.memory.limit: expected an integer"
        with_resources "$B" '{"memory": {"swappiness": 101}}'
        refused "$B" "config.json: linux.resources.memory.swappiness: 101 is out of range [-1, 100]"
        with_resources "$B" '{"pids": {"limit": 1.5}}'
        refused "$B" "config.json: linux.resources.pids.limit: expected an integer"
        with_resources "$B" '{"blockIO": {"weightDevice": [{"major": 8, "weight": 10}]}}'
        refused "$B" 'config.json: linux.resources.blockIO.weightDevice[0]: "major" and "minor" are required'
        with_resources "$B" '{"hugepageLimits": [{"pageSize": "2M", "limit": 1}]}'
        refused "$B" 'config.json: linux.resources.hugepageLimits[0].pageSize: "2M" is not a page size'
        if have_v1 memory; then
                # swap (memory+swap) below the memory limit: the kernel refuses it
                with_resources "$B" '{"memory": {"limit": 67108864, "swap": 33554432}}'
                refused "$B" "linux.resources.memory.swap: write "
        fi
}

test_resources_delete_removes_limited_cgroups() {
        local B=$T/b dirs
        with_resources "$B" '{"memory": {"limit": 67108864}, "pids": {"limit": 50}, "cpu": {"shares": 256}}'
        res_start "$B"
        assert_ok cocoon exec -d "$id" sh -c 'sleep 1000 & sleep 1000 & x=$(head -c 8000000 /dev/zero | tr "\0" a); sleep 1000'
        dirs=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id")
        [ -n "$dirs" ] || fail "no cgroup directory named $id"
        assert_ok cocoon delete --force "$id"
        dirs=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id")
        [ -z "$dirs" ] || fail "cgroup directories left after delete: $dirs"
}

# runc and cocoon write the same value to every cgroup file
# (bench/cgroup-conformance.sh; its table is in the output of a failure)
test_resources_match_runc() {
        have_v1 memory || skip "the conformance script compares v1 files"
        [ -x "$RUNC" ] || skip "no runc"
        local rows bad
        capture env COCOON="$COCOON" RUNC="$RUNC" ROOTFS="$ROOTFS" WORK="$T/conf" TAG="$TOKEN" \
                bash "$TESTS_DIR/../bench/cgroup-conformance.sh"
        note "$out"
        [ "$rc" = 0 ] || fail "conformance script failed (rc=$rc): $out $err"
        assert_contains "$out" "cgroup files agree" "conformance output"
        rows=$(grep -c ' | ' <<<"$out")
        [ "$rows" -ge 20 ] || fail "only $rows rows in the conformance table: $out $err"
        bad=$(grep ' | no$' <<<"$out" || true)
        [ -z "$bad" ] || fail "runc and cocoon differ:
$bad
$err"
}
