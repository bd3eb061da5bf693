# shellcheck shell=bash disable=SC2154,SC2034,SC2016  # capture() sets $out $err $rc, cocoon() reads CC_GLOBAL; the scripts run in the container
# The sentry sandbox's /sys: a small read-only tmpfs made at create
# (src/linux/sysfs_skeleton.c) whose CPU lists the Sentry renders from the
# container's cgroup at every open (src/sentry/sys_sysfs.c).  docs/sentry.md,
# "/sys".  Under `none` /sys stays the kernel's sysfs, as under runc.

# shellcheck source=tests/lib/host_usr.sh
. "$TESTS_DIR/lib/host_usr.sh"

# shellcheck source=tests/lib/sentry.sh
. "$TESTS_DIR/lib/sentry.sh"

# The CPU counts of glibc (sysconf, get_nprocs: coreutils' nproc and
# getconf, CPython's os.cpu_count()), of /proc/cpuinfo and of the cpuN
# directories, on one line; then online, possible, present and cpuinfo's
# processor numbers.
CPU_COUNTS='echo $(nproc) $(nproc --all) $(getconf _NPROCESSORS_ONLN) $(getconf _NPROCESSORS_CONF) \
        $(python3 -c "import os; print(os.cpu_count())") $(grep -c ^processor /proc/cpuinfo) \
        $(ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l)
cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible /sys/devices/system/cpu/present \
        /sys/devices/system/node/node0/cpulist
grep ^processor /proc/cpuinfo | sed "s/.*: //" | paste -sd,'

# cpu_bundle B: Debian's programs (host_usr_bundle) printing CPU_COUNTS.
cpu_bundle() {
        if [ ! -x /usr/bin/python3 ] || [ ! -x /usr/bin/getconf ]; then skip "needs /usr/bin/python3 and getconf"; fi
        host_usr_bundle "$1"
        set_args "$1" /bin/sh -c "$CPU_COUNTS"
}

# assert_cpus N LIST WHAT: every count is N, every list LIST.
assert_cpus() {
        local n=$1 list=$2 what=$3
        assert_eq "$n $n $n $n $n $n $n" "$(sed -n 1p <<<"$out")" \
                "$what: nproc, nproc --all, _NPROCESSORS_ONLN, _NPROCESSORS_CONF, os.cpu_count(), cpuinfo, cpuN dirs"
        assert_eq "$list
$list
$list
$list" "$(sed -n 2,5p <<<"$out")" "$what: online, possible, present, node0/cpulist"
}

# With a quota of one CPU every count is 1 and every list the same CPU,
# cpuinfo's; with 1.5 CPUs' quota 2 (rounded up, as /proc/cpuinfo); a
# cpuset of CPU 1 shows CPU 1 by its number; without a quota the cpuset.
# Under `none` /sys is the host's: nproc --all counts the host's CPUs.
test_sentry_sys_cpus_agree_with_the_quota() {
        local host
        host=$(nproc --all)
        [ "$host" -ge 2 ] || skip "needs a host with at least 2 CPUs"
        local B=$T/b first
        cpu_bundle "$B"
        edit_config "$B" "c['linux'].setdefault('resources', {})['cpu']={'quota': 100000, 'period': 100000}"
        run_bundle_ok "$B"
        first=$(sed -n 6p <<<"$out")
        assert_match "$first" '^[0-9]+$' "cpuinfo's one processor"
        assert_cpus 1 "$first" "one CPU's quota"

        edit_config "$B" "c['linux']['resources']['cpu']={'quota': 150000, 'period': 100000}"
        run_bundle_ok "$B"
        assert_cpus 2 "$(sed -n 6p <<<"$out" | awk -F, '{ print ($2 == $1 + 1) ? $1 "-" $2 : $0 }')" \
                "1.5 CPUs' quota"

        edit_config "$B" "c['linux']['resources']['cpu']={'cpus': '1'}"
        run_bundle_ok "$B"
        assert_cpus 1 1 "cpuset 1"

        edit_config "$B" "c['linux']['resources'].pop('cpu')"
        run_bundle_ok "$B"
        local all
        all=$(sed -n 2p <<<"$out")
        assert_eq "$all" "$(sed -n 6p <<<"$out" | awk -F, '{ print (NF > 1 && $NF == $1 + NF - 1) ? $1 "-" $NF : $0 }')" \
                "no quota: online is cpuinfo's processors"
        assert_cpus "$(sed -n 6p <<<"$out" | tr , '\n' | wc -l)" "$all" "no quota"

        edit_config "$B" "c['linux']['resources']['cpu']={'quota': 100000, 'period': 100000}"
        none_run "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
        assert_eq "$host $host" "$(sed -n 1p <<<"$out" | cut -d' ' -f2,6)" "under none: nproc --all, cpuinfo (the host's)"
}

# The lists are rendered at open: `update` of the quota shows at once (the
# cpuN directories are those of create).
test_sentry_sys_cpu_lists_follow_update() {
        [ "$(nproc --all)" -ge 2 ] || skip "needs a host with at least 2 CPUs"
        local B=$T/b id
        make_bundle "$B" /bin/sleep 60
        edit_config "$B" "c['linux'].setdefault('resources', {})['cpu']={'quota': 100000, 'period': 100000}"
        id=$(new_id u)
        start_ctr "$B" "$id"
        capture cocoon exec "$id" /bin/sh -c 'cat /sys/devices/system/cpu/online; grep -c ^processor /proc/cpuinfo'
        [ "$rc" = 0 ] || fail "exec: $err"
        local one
        one=$(sed -n 1p <<<"$out")
        assert_match "$one" '^[0-9]+$' "online with one CPU's quota"
        assert_eq 1 "$(sed -n 2p <<<"$out")" "cpuinfo with one CPU's quota"
        assert_ok cocoon update --cpu-quota 200000 --cpu-period 100000 "$id"
        capture cocoon exec "$id" /bin/sh -c 'cat /sys/devices/system/cpu/online; grep -c ^processor /proc/cpuinfo'
        [ "$rc" = 0 ] || fail "exec: $err"
        assert_match "$(sed -n 1p <<<"$out")" '^[0-9]+[-,][0-9]+$' "online after update to two CPUs"
        assert_eq 2 "$(sed -n 2p <<<"$out")" "cpuinfo after update"
        destroy "$id"
}

# The tree is the skeleton, the same with a user namespace (where runc
# binds the host's /sys instead of mounting sysfs); -xdev stops at the
# config's cgroup mount on /sys/fs/cgroup.  Under `none` the host's sysfs.
test_sentry_sys_is_the_minimal_tree() {
        local B=$T/b thp='' f
        if [ -d /sys/kernel/mm/transparent_hugepage ]; then
                thp='/sys/kernel/mm
/sys/kernel/mm/transparent_hugepage'
                for f in defrag enabled hpage_pmd_size shmem_enabled; do
                        [ -f "/sys/kernel/mm/transparent_hugepage/$f" ] && thp="$thp
/sys/kernel/mm/transparent_hugepage/$f"
                done
        fi
        local expected
        expected=$(sort <<EOF
/sys
/sys/block
/sys/bus
/sys/class
/sys/dev
/sys/dev/block
/sys/dev/char
/sys/devices
/sys/devices/system
/sys/devices/system/cpu
/sys/devices/system/cpu/cpuN
/sys/devices/system/cpu/online
/sys/devices/system/cpu/possible
/sys/devices/system/cpu/present
/sys/devices/system/node
/sys/devices/system/node/node0
/sys/devices/system/node/node0/cpulist
/sys/devices/system/node/online
/sys/devices/system/node/possible
/sys/firmware
/sys/fs
/sys/fs/cgroup
/sys/kernel
/sys/module
/sys/power
${thp}
EOF
)
        make_bundle "$B" /bin/sh -c 'find /sys -xdev | sort | sed "s|/cpu[0-9][0-9]*\$|/cpuN|"
                echo ---; grep " /sys " /proc/self/mounts | cut -d" " -f3,4 | cut -d, -f1
                echo ---; cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; ls /sys/block | wc -l'
        edit_config "$B" "c['linux'].setdefault('resources', {})['cpu']={'quota': 100000, 'period': 100000}"
        run_bundle_ok "$B"
        assert_eq "$(grep -v '^$' <<<"$expected")" "$(sed '/^---$/,$d' <<<"$out")" "the tree"
        local rest
        rest=$(sed '1,/^---$/d' <<<"$out")
        assert_eq "tmpfs ro" "$(sed -n 1p <<<"$rest")" "a read-only tmpfs"
        if [ -f /sys/kernel/mm/transparent_hugepage/enabled ]; then
                assert_eq "$(cat /sys/kernel/mm/transparent_hugepage/enabled)" "$(sed -n 3p <<<"$rest")" "THP: the host's"
        fi
        assert_eq 0 "$(tail -n 1 <<<"$rest")" "no block device"

        edit_config "$B" 'c["linux"]["namespaces"].append({"type":"user"})' \
                'c["linux"]["uidMappings"]=[{"containerID":0,"hostID":200000,"size":65536}]' \
                'c["linux"]["gidMappings"]=[{"containerID":0,"hostID":200000,"size":65536}]'
        run_bundle_ok "$B"
        assert_eq "$(grep -v '^$' <<<"$expected")" "$(sed '/^---$/,$d' <<<"$out")" "the tree in a user namespace"

        none_run "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
        assert_eq "$(ls /sys/block | wc -l)" "$(tail -n 1 <<<"$out")" "under none: the host's block devices"
}

# Writes anywhere fail with EROFS: the synthesized lists, the skeleton's
# files, new files, and a path with ".." (which the Gofer resolves in its
# copy of the tree, read-only there too); with Docker's capabilities and
# without CAP_DAC_OVERRIDE alike (the superblock is read-only, as that of a
# sysfs mounted "ro": no permission check comes first).
test_sentry_sys_refuses_writes() {
        local B=$T/b probe
        probe=$(procfs_probe_bin) || exit 1
        make_bundle "$B" /bin/sh -c '/probe write /sys/devices/system/cpu/online
                /probe write /sys/devices/system/node/online
                /probe write /sys/kernel/mm/transparent_hugepage/enabled
                for p in /sys/x /sys/devices/system/cpu/cpu9999 /sys/devices/../y /sys/fs/cgroup/../z; do
                        mkdir $p 2>&1; touch $p 2>&1; done
                echo 1 > /sys/devices/system/cpu/online && echo written; exit 0'
        cp "$probe" "$B/rootfs/probe"
        docker_caps "$B"
        run_bundle_ok "$B"
        assert_eq "rdwr EROFS wronly EROFS trunc EROFS" "$(sed -n 1p <<<"$out")" "cpu/online (synthesized)"
        assert_eq "rdwr EROFS wronly EROFS trunc EROFS" "$(sed -n 2p <<<"$out")" "node/online (the skeleton's)"
        if [ -f /sys/kernel/mm/transparent_hugepage/enabled ]; then
                assert_eq "rdwr EROFS wronly EROFS trunc EROFS" "$(sed -n 3p <<<"$out")" "transparent_hugepage/enabled"
        fi
        local creates
        creates=$(sed -n '4,$p' <<<"$out")
        assert_eq 8 "$(grep -c 'Read-only file system' <<<"$creates")" "mkdir and touch: EROFS ($creates)"
        assert_not_contains "$out" written
        assert_contains "$err" "Read-only file system" "shell redirection"
        assert_eq "" "$(ls -A "$B/rootfs/sys")" "the bundle's /sys directory"

        edit_config "$B" "c['process']['capabilities']={k: ['CAP_KILL'] for k in ('bounding','effective','permitted')}"
        run_bundle_ok "$B"
        assert_eq "rdwr EROFS wronly EROFS trunc EROFS" "$(sed -n 1p <<<"$out")" "cpu/online without CAP_DAC_OVERRIDE"
        assert_eq "rdwr EROFS wronly EROFS trunc EROFS" "$(sed -n 2p <<<"$out")" "node/online (0444) without it"
        assert_eq 8 "$(sed -n '4,$p' <<<"$out" | grep -c 'Read-only file system')" "mkdir and touch without it"
}

# The config's cgroup mount on /sys/fs/cgroup still goes on top, with and
# without a cgroup namespace: the memory limit reads through it.
test_sentry_sys_cgroup_mount_on_top() {
        local B=$T/b
        make_bundle "$B" /bin/sh -c 'cat /sys/fs/cgroup/memory.max 2>/dev/null ||
                cat /sys/fs/cgroup/memory/memory.limit_in_bytes'
        grep -q '"/sys/fs/cgroup"' "$B/config.json" || fail "cocoon spec made no cgroup mount"
        edit_config "$B" "c['linux'].setdefault('resources', {})['memory']={'limit': 67108864}"
        run_bundle_ok "$B"
        assert_eq 67108864 "$out" "memory limit through /sys/fs/cgroup"
        edit_config "$B" 'c["linux"]["namespaces"].append({"type":"cgroup"})'
        run_bundle_ok "$B"
        assert_eq 67108864 "$out" "memory limit through /sys/fs/cgroup, own cgroup namespace"
}

# The skeleton lives in the container's mount namespace only: the host sees
# no mount of it, the bundle's /sys directory gets nothing, and delete
# leaves nothing (the runner checks mounts, cgroups and processes too).
test_sentry_sys_leaves_nothing_behind() {
        local B=$T/b id wl
        make_bundle "$B" /bin/sleep 60
        id=$(new_id l)
        create_ctr "$B" "$id"
        wl=$(json_get 'd["workload_pid"]' "$ROOT/$id/state.json")
        assert_match "$(grep ' /sys ' "/proc/$wl/mountinfo")" ' - tmpfs ' "the container's /sys"
        assert_not_contains "$(cat /proc/self/mountinfo)" "$B/rootfs/sys" "the host's mounts"
        assert_ok cocoon delete --force "$id"
        assert_eq "" "$(ls -A "$B/rootfs/sys")" "the bundle's /sys after delete"
        assert_not_contains "$(cat /proc/self/mountinfo)" "$T/" "mounts below the test's directory"
}
