# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# What the container sees: namespaces, mounts, devices, credentials, limits.

# bundle_for [ARGS...]: $B is a fresh bundle.
bundle_for() {
        B=$T/b
        make_bundle "$B" "$@"
}

# add_ns B TYPE [PATH]: make sure linux.namespaces has TYPE (with PATH).
add_ns() {
        edit_config "$1" "
ns=[n for n in c['linux']['namespaces'] if n['type']!='$2']
n={'type':'$2'}
if '${3:-}': n['path']='${3:-}'
ns.append(n)
c['linux']['namespaces']=ns"
}

del_ns() {
        edit_config "$1" "c['linux']['namespaces']=[n for n in c['linux']['namespaces'] if n['type']!='$2']"
}

# runc_out B CMD...: run CMD under runc with the same bundle; output in $rout.
runc_out() {
        local b=$1
        shift
        set_args "$b" "$@"
        local id
        id=$(new_id rr)
        rout=$(runc_ref run --bundle "$b" "$id" 2>&1) || fail "runc failed on the reference run: $rout"
}

test_hostname_domainname() {
        bundle_for
        edit_config "$B" 'c["hostname"]="box-'"$TOKEN"'"' 'c["domainname"]="example.org"'
        local host_before
        host_before=$(hostname)
        run_ok "$B" /bin/sh -c 'hostname; cat /proc/sys/kernel/domainname'
        assert_eq "box-$TOKEN
example.org" "$out"
        assert_eq "$host_before" "$(hostname)" "host's hostname"
}

test_pid_namespace() {
        bundle_for
        run_ok "$B" /bin/sh -c 'echo $$; ls /proc | grep -c "^[0-9]"'
        assert_eq 1 "$(head -n1 <<<"$out")" "pid inside"
        [ "$(tail -n1 <<<"$out")" -le 3 ] || fail "the container sees $(tail -n1 <<<"$out") processes"
}

test_network_namespace_only_lo() {
        bundle_for
        run_ok "$B" /bin/sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
        assert_eq lo "$out" "interfaces"
}

test_namespaces_differ_from_host() {
        bundle_for
        add_ns "$B" cgroup
        run_ok "$B" /bin/sh -c 'for n in pid mnt net ipc uts cgroup user; do echo "$n $(readlink /proc/self/ns/$n)"; done'
        local n link
        for n in pid mnt net ipc uts cgroup; do
                link=$(awk -v n=$n '$1==n {print $2}' <<<"$out")
                [ -n "$link" ] || fail "no $n namespace link inside"
                assert_ne "$(readlink /proc/self/ns/$n)" "$link" "$n namespace (must be new)"
        done
        # no user namespace in the config: the host's
        assert_eq "$(readlink /proc/self/ns/user)" "$(awk '$1=="user" {print $2}' <<<"$out")" "user namespace"
}

test_namespace_not_in_config_is_shared() {
        bundle_for
        del_ns "$B" ipc
        del_ns "$B" uts
        edit_config "$B" 'c.pop("hostname", None)' # a hostname needs a uts namespace
        run_ok "$B" /bin/sh -c 'readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts'
        assert_eq "$(readlink /proc/self/ns/ipc)
$(readlink /proc/self/ns/uts)" "$out" "ipc and uts namespaces"
}

test_ipc_namespace() {
        # a SysV message queue of the host is not visible inside
        have_cmd ipcmk || skip "no ipcmk"
        local q
        q=$(ipcmk -Q | awk '{print $NF}')
        bundle_for
        run_in "$B" /bin/sh -c 'cat /proc/sysvipc/msg | tail -n +2 | wc -l'
        ipcrm -q "$q"
        [ "$rc" = 0 ] || fail "run failed: $err"
        assert_eq 0 "$(echo $out)" "message queues visible inside"
}

test_cgroup_namespace() {
        bundle_for
        add_ns "$B" cgroup
        run_ok "$B" /bin/cat /proc/self/cgroup
        local l
        while read -r l; do
                [[ "$l" == *:/ ]] || fail "cgroup namespace root is not /: $l"
        done <<<"$out"
}

test_time_namespace() {
        [ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
        bundle_for
        add_ns "$B" time
        edit_config "$B" 'c["linux"]["timeOffsets"]={"boottime":{"secs":864000,"nanosecs":0},"monotonic":{"secs":3600,"nanosecs":0}}'
        local host
        host=$(cut -d. -f1 /proc/uptime)
        run_ok "$B" /bin/cat /proc/uptime
        local inside=${out%%.*}
        [ "$inside" -ge $((host + 864000 - 5)) ] && [ "$inside" -le $((host + 864000 + 60)) ] ||
                fail "uptime inside $inside, host $host (+864000 expected)"
        assert_ne "$(readlink /proc/self/ns/time)" "" "host time ns"
}

test_user_namespace_mappings() {
        bundle_for
        add_ns "$B" user
        edit_config "$B" \
                'c["linux"]["uidMappings"]=[{"containerID":0,"hostID":200000,"size":65536}]' \
                'c["linux"]["gidMappings"]=[{"containerID":0,"hostID":200000,"size":65536}]'
        chown -R 200000:200000 "$B/rootfs"
        touch "$B/rootfs/host-root-file"
        chown 0:0 "$B/rootfs/host-root-file"
        chown 201000:201000 "$B/rootfs/tmp"
        run_ok "$B" /bin/sh -c 'id -u; id -g; cat /proc/self/uid_map; cat /proc/self/gid_map; stat -c "%u:%g" /bin/busybox /host-root-file /tmp; touch /root/x && echo wrote'
        local lines
        mapfile -t lines <<<"$out"
        assert_eq 0 "${lines[0]}" "id -u"
        assert_eq 0 "${lines[1]}" "id -g"
        assert_eq "0 200000 65536" "$(echo ${lines[2]})" uid_map
        assert_eq "0 200000 65536" "$(echo ${lines[3]})" gid_map
        assert_eq "0:0" "${lines[4]}" "owner of a file owned by host uid 200000"
        assert_eq "65534:65534" "${lines[5]}" "owner of a file owned by host root"
        assert_eq "1000:1000" "${lines[6]}" "owner of a file owned by host uid 201000"
        assert_eq wrote "${lines[7]}" "root in the user namespace writes its files"
        assert_eq "200000:200000" "$(stat -c %u:%g "$B/rootfs/root/x")" "host owner of a file made inside"
}

test_join_network_namespace_by_path() {
        have_cmd ip || skip "no ip(8)"
        local ns="ns-$TOKEN"
        ip netns add "$ns" || fail "ip netns add"
        ip -n "$ns" link add ccinner type veth peer name ccpeer || { ip netns del "$ns"; fail "veth"; }
        bundle_for
        add_ns "$B" network "/run/netns/$ns"
        run_in "$B" /bin/sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\n" " "; readlink /proc/self/ns/net'
        local netns_link
        netns_link=$(ip netns exec "$ns" readlink /proc/self/ns/net)
        ip netns del "$ns"
        [ "$rc" = 0 ] || fail "run failed: $err"
        assert_contains "$out" "ccinner" "interfaces inside"
        assert_contains "$out" "ccpeer" "interfaces inside"
        assert_contains "$out" "$netns_link" "net namespace inside"
}

test_join_namespace_bad_path() {
        bundle_for /bin/true
        add_ns "$B" network "$T/not-a-namespace"
        : >"$T/not-a-namespace"
        local id
        id=$(new_id)
        assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
        add_ns "$B" network "/proc/self/ns/mnt"
        assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
}

test_mount_tmpfs_with_options() {
        bundle_for
        edit_config "$B" 'c["mounts"].append({"destination":"/scratch","type":"tmpfs","source":"tmpfs","options":["nosuid","noexec","nodev","size=1m","mode=1770"]})'
        run_ok "$B" /bin/sh -c 'grep " /scratch " /proc/self/mountinfo; stat -c %a /scratch; head -c 2000000 /dev/zero >/scratch/big 2>/dev/null; stat -c %s /scratch/big'
        local mi
        mi=$(head -n1 <<<"$out")
        assert_contains "$mi" " - tmpfs " mountinfo
        assert_contains "$mi" "size=1024k" mountinfo
        assert_match "$mi" ' /scratch [a-z,]*nosuid' mountinfo
        assert_match "$mi" ' /scratch [a-z,]*nodev' mountinfo
        assert_match "$mi" ' /scratch [a-z,]*noexec' mountinfo
        assert_eq 1770 "$(sed -n 2p <<<"$out")" "mode of the tmpfs"
        assert_eq 1048576 "$(sed -n 3p <<<"$out")" "bytes written into a 1m tmpfs"
        [ ! -e "$B/rootfs/scratch/big" ] || fail "tmpfs write went to the rootfs"
}

test_mount_bind_ro_and_rw() {
        bundle_for
        mkdir -p "$T/host-ro" "$T/host-rw"
        echo ro-data >"$T/host-ro/file"
        edit_config "$B" \
                'c["mounts"].append({"destination":"/data/ro","type":"bind","source":"'"$T"'/host-ro","options":["rbind","ro"]})' \
                'c["mounts"].append({"destination":"/data/rw","type":"none","source":"'"$T"'/host-rw","options":["bind","rw"]})'
        run_ok "$B" /bin/sh -c 'cat /data/ro/file; touch /data/ro/new 2>/dev/null && echo ro-writable; echo hi >/data/rw/new && echo rw-ok; grep " /data/ro " /proc/self/mountinfo'
        assert_eq ro-data "$(sed -n 1p <<<"$out")" "read through ro bind"
        assert_not_contains "$out" ro-writable
        assert_contains "$out" rw-ok
        assert_match "$(grep /data/ro <<<"$out")" ' /data/ro ro[, ]' "mountinfo of the ro bind"
        [ ! -e "$T/host-ro/new" ] || fail "wrote through a ro bind"
        assert_eq hi "$(cat "$T/host-rw/new")" "file written through the rw bind"
        # the host's source stays writable
        touch "$T/host-ro/after" || fail "ro bind made the host source read-only"
}

test_mount_bind_file_and_flags() {
        bundle_for
        echo file-content >"$T/single"
        mkdir -p "$T/hd"
        printf '#!/bin/sh\necho executed\n' >"$T/hd/script"
        chmod 755 "$T/hd/script"
        edit_config "$B" \
                'c["mounts"].append({"destination":"/etc/single","type":"bind","source":"'"$T"'/single","options":["bind","ro"]})' \
                'c["mounts"].append({"destination":"/hd","type":"bind","source":"'"$T"'/hd","options":["bind","noexec","nosuid","nodev"]})'
        run_ok "$B" /bin/sh -c 'cat /etc/single; /hd/script 2>/dev/null || echo noexec-works; grep " /hd " /proc/self/mountinfo'
        assert_eq file-content "$(sed -n 1p <<<"$out")"
        assert_eq noexec-works "$(sed -n 2p <<<"$out")"
        local mi
        mi=$(sed -n 3p <<<"$out")
        assert_match "$mi" ' /hd [a-z,]*nosuid' mountinfo
        assert_match "$mi" ' /hd [a-z,]*noexec' mountinfo
}

test_mount_destination_symlink_stays_inside() {
        # a symlink in the rootfs pointing out must not redirect a mount onto the host
        bundle_for
        mkdir -p "$T/outside"
        ln -s "$T/outside" "$B/rootfs/evil"
        edit_config "$B" 'c["mounts"].append({"destination":"/evil","type":"tmpfs","source":"tmpfs","options":["size=1m"]})'
        run_in "$B" /bin/sh -c 'echo x >/evil/marker'
        # whether it failed or succeeded, nothing may have landed on the host
        [ ! -e "$T/outside/marker" ] || fail "mount followed a symlink out of the rootfs"
        if grep -q " $T/outside " /proc/self/mountinfo; then
                umount "$T/outside"
                fail "mount landed on the host path"
        fi
}

test_readonly_root() {
        bundle_for
        edit_config "$B" 'c["root"]["readonly"]=True'
        run_ok "$B" /bin/sh -c 'touch /x 2>/dev/null && echo wrote-root; echo ok >/dev/null && echo dev-ok; cat /proc/self/mountinfo | head -n1; ls /proc/1 >/dev/null && echo proc-ok'
        assert_not_contains "$out" wrote-root
        assert_contains "$out" dev-ok
        assert_contains "$out" proc-ok
        assert_match "$(sed -n 2p <<<"$out")" ' / ro[, ]' "mountinfo of /"
        [ ! -e "$B/rootfs/x" ] || fail "file created in a readonly root"
}

test_masked_paths() {
        bundle_for
        mkdir -p "$B/rootfs/secretdir"
        echo secret >"$B/rootfs/secretdir/s"
        echo secret >"$B/rootfs/secretfile"
        [ -e /proc/timer_list ] || skip "no /proc/timer_list on this kernel"
        edit_config "$B" 'c["linux"]["maskedPaths"]=c["linux"].get("maskedPaths",[])+["/secretdir","/secretfile","/does/not/exist"]'
        run_ok "$B" /bin/sh -c 'wc -c </proc/timer_list; ls -A /secretdir | wc -l; wc -c </secretfile; echo x >/secretfile 2>/dev/null; true'
        assert_eq "0
0
0" "$(echo "$out" | awk '{print $1}')" "sizes of masked paths"
        assert_eq secret "$(cat "$B/rootfs/secretfile")" "the masked file on the host"
}

test_readonly_paths() {
        bundle_for
        mkdir -p "$B/rootfs/rodir"
        edit_config "$B" 'c["linux"]["readonlyPaths"]=c["linux"].get("readonlyPaths",[])+["/rodir"]'
        run_ok "$B" /bin/sh -c 'echo x >/proc/sys/kernel/domainname 2>/dev/null && echo wrote-sys; touch /rodir/f 2>/dev/null && echo wrote-rodir; grep " /proc/sys " /proc/self/mountinfo; echo end'
        assert_not_contains "$out" wrote-sys
        assert_not_contains "$out" wrote-rodir
        assert_match "$(grep /proc/sys <<<"$out")" ' /proc/sys ro[, ]' "mountinfo of /proc/sys"
        [ ! -e "$B/rootfs/rodir/f" ] || fail "wrote into a readonly path"
}

test_default_devices() {
        bundle_for
        run_ok "$B" /bin/sh -c '
                for d in null zero full random urandom tty; do test -c /dev/$d && echo "c $d"; done
                for l in fd stdin stdout stderr ptmx; do test -L /dev/$l && echo "l $l $(readlink /dev/$l)"; done
                test -d /dev/pts && echo "d pts"; test -d /dev/shm && echo "d shm"; test -d /dev/mqueue && echo "d mqueue"
                echo x >/dev/null && echo null-ok
                head -c 4 /dev/zero | wc -c
                ls /dev/fd/ >/dev/null && echo fd-ok
                for h in vda sda kmsg mem port; do test -e /dev/$h && echo "host-dev $h"; done
                echo end'
        local d
        for d in null zero full random urandom tty; do
                assert_contains "$out" "c $d" "/dev/$d"
        done
        assert_contains "$out" "l fd /proc/self/fd" "/dev/fd"
        assert_contains "$out" "l stdin /proc/self/fd/0" "/dev/stdin"
        assert_contains "$out" "l stdout /proc/self/fd/1" "/dev/stdout"
        assert_contains "$out" "l stderr /proc/self/fd/2" "/dev/stderr"
        assert_contains "$out" "l ptmx pts/ptmx" "/dev/ptmx"
        assert_contains "$out" "d pts"
        assert_contains "$out" "d shm"
        assert_contains "$out" "null-ok"
        assert_contains "$out" "fd-ok"
        assert_match "$out" $'\n'"4"$'\n' "bytes from /dev/zero"
        assert_not_contains "$out" "host-dev" "host devices visible"
        # the device numbers are the real ones
        run_ok "$B" /bin/stat -c '%t:%T' /dev/null /dev/zero /dev/urandom
        assert_eq "1:3
1:5
1:9" "$out" "device numbers"
}

test_config_devices() {
        bundle_for
        edit_config "$B" 'c["linux"]["devices"]=[{"path":"/dev/mynull","type":"c","major":1,"minor":3,"fileMode":438,"uid":0,"gid":0}]'
        edit_config "$B" 'c["linux"].setdefault("resources",{}).setdefault("devices",[]).append({"allow":True,"type":"c","major":1,"minor":3,"access":"rwm"})'
        run_ok "$B" /bin/sh -c 'stat -c "%t:%T %a" /dev/mynull; echo x >/dev/mynull && echo write-ok'
        assert_eq "1:3 666
write-ok" "$out"
}

# caps_lines B: Cap* lines of /proc/self/status inside, under cocoon then runc.
caps_compare() {
        local b=$1
        run_ok "$b" /bin/grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status
        local mine=$out
        runc_out "$b" /bin/grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status
        assert_eq "$rout" "$mine" "capability sets (runc vs cocoon)"
}

test_capabilities_all_sets() {
        bundle_for
        edit_config "$B" 'c["process"]["capabilities"]={
                "bounding":["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SYS_ADMIN","CAP_SETUID"],
                "effective":["CAP_CHOWN","CAP_KILL"],
                "permitted":["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"],
                "inheritable":["CAP_KILL","CAP_NET_BIND_SERVICE"],
                "ambient":["CAP_KILL"]}'
        # as root: the kernel's exec rules for uid 0 apply
        caps_compare "$B"
        # CapBnd must be exactly the configured bounding set
        assert_contains "$out" "CapBnd:	00000000002004a1" "CapBnd"
        # as a non-root user the sets are visible as configured
        edit_config "$B" 'c["process"]["user"]={"uid":1000,"gid":1000}'
        caps_compare "$B"
        assert_contains "$out" "CapInh:	0000000000000420" "CapInh (uid 1000)"
        assert_contains "$out" "CapAmb:	0000000000000020" "CapAmb (uid 1000)"
        assert_contains "$out" "CapPrm:	0000000000000020" "CapPrm (uid 1000)"
        assert_contains "$out" "CapEff:	0000000000000020" "CapEff (uid 1000)"
}

test_capabilities_absent_means_none() {
        bundle_for
        edit_config "$B" 'c["process"].pop("capabilities", None)'
        run_ok "$B" /bin/grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status
        assert_eq "CapInh:	0000000000000000
CapPrm:	0000000000000000
CapEff:	0000000000000000
CapBnd:	0000000000000000
CapAmb:	0000000000000000" "$out" "capabilities without process.capabilities"
}

test_default_capabilities_like_runc() {
        bundle_for
        caps_compare "$B"
}

test_rlimits() {
        bundle_for
        edit_config "$B" 'c["process"]["rlimits"]=[{"type":"RLIMIT_NOFILE","hard":1024,"soft":512},{"type":"RLIMIT_CORE","hard":0,"soft":0},{"type":"RLIMIT_NPROC","hard":2000,"soft":1000}]'
        run_ok "$B" /bin/sh -c 'ulimit -n; ulimit -Hn; ulimit -c; ulimit -u; grep "Max processes" /proc/self/limits'
        assert_eq 512 "$(sed -n 1p <<<"$out")" "ulimit -n"
        assert_eq 1024 "$(sed -n 2p <<<"$out")" "ulimit -Hn"
        assert_eq 0 "$(sed -n 3p <<<"$out")" "ulimit -c"
        assert_eq 1000 "$(sed -n 4p <<<"$out")" "ulimit -u"
        assert_match "$(sed -n 5p <<<"$out")" 'Max processes +1000 +2000 ' "limits"
}

# The signal mask survives fork and execve: what the caller of cocoon (an
# engine, a shell) blocked must not reach the workload, which starts with
# nothing blocked. (runc 1.1.5 lets a blocked SIGUSR1 through, as measured
# here: Go's runtime unblocks only the signals it handles. The vm agent
# blocks SIGCHLD for itself: vm.slow.sh checks the guest.)
test_signal_mask_not_inherited() {
        local B=$T/b id sb
        make_bundle "$B" /bin/grep -E '^SigBlk' /proc/self/status
        for sb in none sentry; do
                # cocoon started with SIGCHLD, SIGUSR1 and SIGTERM blocked
                local -a blocked=(python3 -c 'import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD, signal.SIGUSR1, signal.SIGTERM])
os.execv(sys.argv[1], sys.argv[1:])' "$COCOON" --root "$ROOT" --sandbox "$sb")
                set_args "$B" /bin/grep -E '^SigBlk' /proc/self/status
                capture "${blocked[@]}" run --bundle "$B" "$(new_id)"
                assert_eq 0 "$rc" "$sb: run (stderr: $err)"
                assert_eq "SigBlk:	0000000000000000" "$out" "$sb: the init's blocked signals"
                set_args "$B" /bin/sleep 100
                id=$(new_id)
                assert_ok "${blocked[@]}" run -d --bundle "$B" "$id"
                capture "${blocked[@]}" exec "$id" /bin/grep -E '^SigBlk' /proc/self/status
                assert_eq "SigBlk:	0000000000000000" "$out" "$sb: an exec'd process's blocked signals"
                destroy "$id"
        done
}

test_no_new_privileges() {
        bundle_for
        edit_config "$B" 'c["process"]["noNewPrivileges"]=True'
        run_ok "$B" /bin/grep NoNewPrivs /proc/self/status
        assert_eq "NoNewPrivs:	1" "$out"
        edit_config "$B" 'c["process"]["noNewPrivileges"]=False'
        run_ok "$B" /bin/grep NoNewPrivs /proc/self/status
        assert_eq "NoNewPrivs:	0" "$out"
}

test_oom_score_adj() {
        bundle_for
        edit_config "$B" 'c["process"]["oomScoreAdj"]=500'
        run_ok "$B" /bin/cat /proc/self/oom_score_adj
        assert_eq 500 "$out"
        # (negative values need CAP_SYS_RESOURCE, which this host may not have)
        edit_config "$B" 'c["process"]["oomScoreAdj"]=123'
        run_ok "$B" /bin/cat /proc/self/oom_score_adj
        assert_eq 123 "$out"
}

test_user_groups_umask() {
        bundle_for
        edit_config "$B" 'c["process"]["user"]={"uid":1000,"gid":1001,"additionalGids":[10,20],"umask":23}'
        run_ok "$B" /bin/sh -c 'id -u; id -g; id -G; umask; touch /tmp/f-$$ && stat -c %a /tmp/f-$$'
        assert_eq "1000
1001
1001 10 20
0027
640" "$out"
        # same as runc
        runc_out "$B" /bin/sh -c 'id -u; id -g; id -G; umask'
        assert_eq "$rout" "$(head -n4 <<<"$out")" "runc vs cocoon"
}

test_env_and_home() {
        bundle_for
        edit_config "$B" 'c["process"]["env"]=["FOO=bar","PATH=/usr/bin:/bin","WITH_EQ=a=b","EMPTY="]'
        run_ok "$B" /bin/env
        local mine
        mine=$(sort <<<"$out")
        assert_contains "$mine" "FOO=bar"
        assert_contains "$mine" "WITH_EQ=a=b"
        assert_contains "$mine" "EMPTY="
        runc_out "$B" /bin/env
        assert_eq "$(sort <<<"$rout")" "$mine" "environment (runc vs cocoon: HOME is added like runc)"
}

test_cwd() {
        bundle_for
        edit_config "$B" 'c["process"]["cwd"]="/etc"'
        run_ok "$B" /bin/pwd
        assert_eq /etc "$out"
        # a missing cwd: same outcome as runc (runc creates it)
        edit_config "$B" 'c["process"]["cwd"]="/new/dir"'
        runc_out "$B" /bin/pwd
        rm -rf "$B/rootfs/new"
        run_in "$B" /bin/pwd
        assert_eq "$rout" "$out" "missing cwd (runc vs cocoon; cocoon said: rc=$rc $err)"
}

test_no_pivot() {
        # --no-pivot is for the none sandbox: the Gofer needs the container root
        # to be its mount namespace's root (sentry.sh checks the refusal)
        local CC_GLOBAL="$CC_GLOBAL --sandbox none"
        bundle_for /bin/sh -c 'cat /etc/hostname; ls /bin/busybox; hostname'
        local id
        id=$(new_id)
        assert_ok cocoon run --no-pivot --bundle "$B" "$id"
        assert_eq "cocoon
/bin/busybox" "$(head -n2 <<<"$out")"
        id=$(new_id)
        assert_ok cocoon create --no-pivot --bundle "$B" "$id"
        assert_ok cocoon start "$id"
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
}

test_no_new_keyring() {
        bundle_for /bin/true
        local id
        id=$(new_id)
        assert_ok cocoon run --no-new-keyring --bundle "$B" "$id"
}

test_host_root_not_visible() {
        bundle_for
        echo host-marker >"$T/host-marker-$TOKEN"
        run_ok "$B" /bin/sh -c "ls / ; cat /proc/1/mountinfo | wc -l; test -e '$T/host-marker-$TOKEN' && echo HOST-VISIBLE; echo end"
        assert_not_contains "$out" HOST-VISIBLE
        assert_not_contains "$out" "work" "/ listing"
}

# mount_summary: mountinfo on stdin -> "mountpoint fstype flags" sorted.
mount_summary() {
        python3 -c '
import sys
rows = []
for l in sys.stdin:
    f = l.split()
    if len(f) < 7:
        continue
    sep = f.index("-")
    flags = sorted(o for o in f[5].split(",") if o in ("ro", "rw", "nosuid", "nodev", "noexec"))
    rows.append(" ".join([f[4], f[sep + 1]] + flags))
print("\n".join(sorted(rows)))
'
}

# mount_table_diff RUNC COCOON [SKIP_REGEX]: what makes COCOON's summary
# (mount_summary) differ from runc's: the same mount points and types;
# cocoon may be stricter (ro for rw, extra nosuid/nodev/noexec), never
# looser.  Mount points matching SKIP_REGEX are left out of both.
mount_table_diff() {
        python3 -c '
import re, sys
skip = re.compile(sys.argv[3]) if sys.argv[3] else None
def parse(t):
    d = {}
    for l in t.splitlines():
        f = l.split()
        if skip and skip.match(f[0]):
            continue
        d[f[0]] = (f[1], set(f[2:]))
    return d
runc, mine = parse(sys.argv[1]), parse(sys.argv[2])
for mp in sorted(set(runc) | set(mine)):
    if mp not in mine:
        print("missing in cocoon:", mp, *runc[mp][0:1]); continue
    if mp not in runc:
        print("extra in cocoon:", mp, mine[mp][0]); continue
    (rt, rf), (mt, mf) = runc[mp], mine[mp]
    if rt != mt:
        print(f"{mp}: type {mt}, runc {rt}")
    looser = {x for x in rf - mf if x != "rw"} | ({"rw"} if "rw" in mf and "ro" in rf else set())
    if looser:
        print(f"{mp}: cocoon lacks {sorted(looser)} (runc {sorted(rf)}, cocoon {sorted(mf)})")
' "$1" "$2" "${3:-}"
}

test_default_mounts_like_runc() {
        # the mount table of a default container: mount point, type and the
        # per-mount flags, compared with runc on the same bundle; the sentry
        # sandbox's differs where docs/sentry.md says (a curated /proc/sys:
        # sentry.sh test_sentry_proc_sys_is_curated; /sys a read-only tmpfs
        # skeleton: sentry_sys.sh; the host kernel's /proc files masked:
        # test_sentry_proc_host_kernel_files_are_empty), and only there
        bundle_for
        local sb mine theirs diffs skip
        runc_out "$B" /bin/cat /proc/self/mountinfo
        theirs=$(mount_summary <<<"$rout")
        for sb in none sentry; do
                local CC_GLOBAL="--root $ROOT --sandbox $sb"
                run_ok "$B" /bin/cat /proc/self/mountinfo
                mine=$(mount_summary <<<"$out")
                skip=
                [ "$sb" = none ] || skip='^(/proc/sys(/|$)|/sys$|/proc/(config\.gz|kallsyms|modules|swaps|version_signature)$)'
                diffs=$(mount_table_diff "$theirs" "$mine" "$skip")
                [ -z "$diffs" ] || fail "$sb: mount table differs from runc's:
$diffs"
        done
}

test_seccomp_profile() {
        bundle_for
        edit_config "$B" 'c["linux"]["seccomp"]={"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'
        run_ok "$B" /bin/sh -c 'mkdir /tmp/newdir 2>&1; test -d /tmp/newdir && echo made; grep Seccomp: /proc/self/status; echo end'
        assert_contains "$out" "Operation not permitted" "mkdir under the profile"
        assert_not_contains "$out" made
        assert_contains "$out" "Seccomp:	2" "seccomp mode"
}

test_sysctl() {
        bundle_for
        edit_config "$B" 'c["linux"]["sysctl"]={"net.ipv4.ip_forward":"1","kernel.msgmax":"12345"}'
        run_or_skip "$B" /bin/sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax'
        assert_eq "1
12345" "$out"
        # the host's values are untouched (own net and ipc namespaces)
        assert_ne 12345 "$(cat /proc/sys/kernel/msgmax)" "host kernel.msgmax"
}

test_personality() {
        # the confined Sentry (uid nobody) cannot read the 0400
        # /proc/<tid>/personality its uname needs (docs/sentry.md, "Not done yet")
        local CC_GLOBAL="$CC_GLOBAL --sandbox none"
        bundle_for
        edit_config "$B" 'c["linux"]["personality"]={"domain":"LINUX32"}'
        run_or_skip "$B" /bin/uname -m
        assert_match "$out" '^i[3-6]86$' "uname -m under LINUX32"
}

test_scheduler() {
        bundle_for
        edit_config "$B" 'c["process"]["scheduler"]={"policy":"SCHED_BATCH","nice":5}'
        run_or_skip "$B" /bin/sh -c 'grep -E "^policy" /proc/self/sched | tr -d " "; cut -d" " -f19 /proc/self/stat'
        assert_eq "policy:3
5" "$out" "SCHED_BATCH (3) with nice 5"
}

test_io_priority() {
        bundle_for
        edit_config "$B" 'c["process"]["ioPriority"]={"class":"IOPRIO_CLASS_IDLE","priority":0}'
        run_or_skip "$B" /bin/ionice -p 1
        assert_contains "$out" "idle" "ionice of the init"
}
