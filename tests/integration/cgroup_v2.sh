# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# A pure cgroup v2 host, made out of this (hybrid or v2) one: a private mount
# namespace whose /sys/fs/cgroup is nothing but a cgroup2 mount.  Nothing
# leaks out of it: the namespace is private (no mount propagates back), it
# dies with its holder process, and the cgroup2 mount is the host's own v2
# hierarchy (on a hybrid host the one at /sys/fs/cgroup/unified), so the
# directories cocoon makes there are real and the runner's leak check sees
# them.  Every cocoon command of a test runs in that namespace (v2 ...),
# since the state records /sys/fs/cgroup as the hierarchy's mount point.
#
# Only the controller-free parts of v2 can be exercised: on a hybrid host
# memory, pids, cpu, io are bound to v1 and cannot be enabled in
# cgroup.subtree_control of the v2 hierarchy.

# v2ns_start: start the namespace holder ($V2NS) and, on exit, delete what the
# test created in it and end the holder.
v2ns_start() {
        unshare --mount --propagation private sh -c \
                'umount -R /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && : >"$1" && exec sleep 1000' \
                _ "$T/v2.ready" &
        V2NS=$!
        track_pid "$V2NS"
        wait_for test -e "$T/v2.ready"
        trap v2ns_stop EXIT
}

v2ns_stop() {
        local id
        while read -r id; do
                v2 delete --force "$id" >/dev/null 2>&1 || true
        done <"$T/.ids"
        kill "$V2NS" 2>/dev/null || true
        wait "$V2NS" 2>/dev/null || true
}

# v2 ARGS...: cocoon in the pure-v2 namespace.
v2() {
        # shellcheck disable=SC2086
        nsenter -t "$V2NS" -m -- "$COCOON" $CC_GLOBAL "$@"
}

# in_v2 CMD...: a host command in the pure-v2 namespace.
in_v2() { nsenter -t "$V2NS" -m -- "$@"; }

# v2_device_progs DIR: ids of the BPF_CGROUP_DEVICE programs attached to the
# cgroup directory DIR of the pure-v2 namespace (bpftool is not installed
# everywhere: raw bpf(2)).
v2_device_progs() {
        in_v2 python3 - "$1" <<'PY'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
ids = (ctypes.c_uint32 * 64)()
attr = ctypes.create_string_buffer(128)
# BPF_PROG_QUERY: target_fd, attach_type (BPF_CGROUP_DEVICE = 6), query_flags,
# attach_flags, prog_ids, prog_cnt
struct.pack_into("IIIIQI", attr, 0, fd, 6, 0, 0, ctypes.addressof(ids), 64)
if libc.syscall(321, 16, attr, 128) < 0:
    sys.exit("BPF_PROG_QUERY: " + os.strerror(ctypes.get_errno()))
n = struct.unpack_from("I", attr, 24)[0]
print(" ".join(str(ids[i]) for i in range(n)))
PY
}

# bpf_prog_exists ID
bpf_prog_exists() {
        python3 - "$1" <<'PY'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
attr = ctypes.create_string_buffer(128)
struct.pack_into("I", attr, 0, int(sys.argv[1]))
fd = libc.syscall(321, 13, attr, 128)  # BPF_PROG_GET_FD_BY_ID
if fd >= 0:
    os.close(fd)
sys.exit(0 if fd >= 0 else 1)
PY
}

# mknod_bundle DIR: a bundle whose process may mknod.
mknod_bundle() {
        make_bundle "$1" /bin/sleep 1000
        edit_config "$1" 'c["process"]["capabilities"]["bounding"].append("CAP_MKNOD")' \
                'c["process"]["capabilities"]["effective"].append("CAP_MKNOD")' \
                'c["process"]["capabilities"]["permitted"].append("CAP_MKNOD")'
}

test_v2_layout_detected() {
        v2ns_start
        assert_ok v2 features
        assert_eq v2 "$(json_get 'd["annotations"]["io.github.cocoon.cgroup-layout"]' <<<"$out")" "layout"
}

test_v2_container_cgroup_devices_and_cleanup() {
        # the none sandbox: its cgroup holds the init alone (the sentry's holds its
        # supervisor and Gofer too)
        local CC_GLOBAL="$CC_GLOBAL --sandbox none"
        local B=$T/b id p dir ids
        mknod_bundle "$B"
        v2ns_start
        id=$(new_id)
        assert_ok v2 create --bundle "$B" "$id"
        p=$(json_get 'd["pid"]' <<<"$(v2 state "$id")")
        track_pid "$p"
        assert_ok v2 start "$id"

        # in its own v2 cgroup, and only there (no v1 hierarchy is visible)
        assert_eq "0::/cocoon/$id" "$(grep '^0::' "/proc/$p/cgroup")" "v2 cgroup of the init"
        dir=/sys/fs/cgroup/cocoon/$id
        assert_eq "$p" "$(in_v2 cat "$dir/cgroup.procs")" "cgroup.procs"

        # one device program, cocoon's
        ids=$(v2_device_progs "$dir")
        [ -n "$ids" ] || fail "no BPF_CGROUP_DEVICE program attached to $dir"
        assert_eq 1 "$(wc -w <<<"$ids")" "number of device programs"

        # what the default list allows works; a block device and a char
        # device outside the list are refused even though mknod is allowed
        assert_ok v2 exec "$id" sh -c 'echo x >/dev/null && head -c 4 /dev/zero | wc -c'
        assert_eq 4 "$out" "bytes from /dev/zero"
        assert_ok v2 exec "$id" sh -c 'mknod /tmp/disk b 8 0 && mknod /tmp/kmsg c 1 11 && echo made'
        assert_eq made "$out"
        assert_fail v2 exec "$id" head -c 1 /tmp/disk
        assert_contains "$err" "Operation not permitted" "opening a block device"
        assert_fail v2 exec "$id" sh -c 'echo x >/tmp/kmsg'
        assert_contains "$err" "Operation not permitted" "opening /dev/kmsg's node"

        # delete: the cgroup goes, and the program with it
        assert_ok v2 delete --force "$id"
        in_v2 test ! -e "$dir" || fail "$dir left after delete"
        local i=0
        while bpf_prog_exists "$ids"; do
                i=$((i + 1))
                [ "$i" -lt 100 ] || fail "device program $ids still loaded after delete"
                sleep 0.05
        done
}

test_v2_config_device_rules() {
        # linux.resources.devices reach the program: later rules override earlier
        local B=$T/b id
        mknod_bundle "$B"
        edit_config "$B" 'c["linux"].setdefault("resources",{})["devices"]=[
                {"allow":False,"access":"rwm"},
                {"allow":True,"type":"c","major":240,"minor":0,"access":"rw"},
                {"allow":False,"type":"c","major":240,"minor":0,"access":"w"},
                {"allow":False,"type":"c","major":1,"minor":5,"access":"r"}]'
        v2ns_start
        id=$(new_id)
        assert_ok v2 create --bundle "$B" "$id"
        track_pid "$(json_get 'd["pid"]' <<<"$(v2 state "$id")")"
        assert_ok v2 start "$id"
        # c 240:0 has no driver: an open the rules let through fails with
        # ENXIO, one they refuse with EPERM
        assert_ok v2 exec "$id" mknod /tmp/x c 240 0
        # read allowed; write denied by the later rule, so read+write too
        assert_fail v2 exec "$id" sh -c 'exec 3</tmp/x'
        assert_contains "$err" "No such device or address" "open for reading"
        assert_fail v2 exec "$id" sh -c 'exec 3>/tmp/x'
        assert_contains "$err" "Operation not permitted" "open for writing"
        assert_fail v2 exec "$id" sh -c 'exec 3<>/tmp/x'
        assert_contains "$err" "Operation not permitted" "open for reading and writing"
        # the defaults come after the config's rules (as with runc), so its
        # deny of reading /dev/zero is overridden by the default allow
        assert_ok v2 exec "$id" sh -c 'head -c 1 /dev/zero | wc -c'
        assert_ok v2 delete --force "$id"
}

test_v2_run_exit_status_and_cleanup() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'grep -q "^0::/cocoon/" /proc/self/cgroup || exit 9; exit 3'
        # no cgroup namespace: the container sees its path in the hierarchy
        edit_config "$B" 'c["linux"]["namespaces"]=[n for n in c["linux"]["namespaces"] if n["type"]!="cgroup"]'
        v2ns_start
        id=$(new_id)
        assert_rc 3 v2 run --bundle "$B" "$id"
        in_v2 test ! -e "/sys/fs/cgroup/cocoon/$id" || fail "cgroup left after run"
}

test_v2_pause_resume_with_cgroup_freeze() {
        # with no v1 freezer, pause is the v2 core's cgroup.freeze
        local B=$T/b id p dir before after
        make_bundle "$B" /bin/sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; done'
        v2ns_start
        id=$(new_id)
        assert_ok v2 run -d --bundle "$B" "$id"
        p=$(init_pid "$id")
        track_pid "$p"
        dir=/sys/fs/cgroup/cocoon/$id
        assert_ok v2 pause "$id"
        assert_eq paused "$(json_get 'd["status"]' <<<"$(v2 state "$id")")" "status after pause"
        assert_eq 1 "$(in_v2 cat "$dir/cgroup.freeze")" "cgroup.freeze"
        in_v2 grep -qx 'frozen 1' "$dir/cgroup.events" || fail "cgroup.events does not say frozen"
        before=$(cat "/proc/$p/root/tmp/count")
        sleep 0.3
        after=$(cat "/proc/$p/root/tmp/count")
        assert_eq "$before" "$after" "counter while paused"
        assert_ok v2 resume "$id"
        assert_eq running "$(json_get 'd["status"]' <<<"$(v2 state "$id")")" "status after resume"
        # (frozen between the truncation and the write, the file reads empty)
        local i=0
        while after=$(cat "/proc/$p/root/tmp/count"); [ "${after:-0}" -le "${before:-0}" ]; do
                i=$((i + 1))
                [ "$i" -lt 100 ] || fail "counter did not advance after resume ($before -> $after)"
                sleep 0.05
        done
        assert_ok v2 delete --force "$id"
        in_v2 test ! -e "$dir" || fail "$dir left after delete"
}
