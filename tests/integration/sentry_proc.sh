# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# /proc under --sandbox=sentry tells nothing of the host: the mount tables
# without the host's paths, the kernel's release and command line those the
# Sentry presents (src/sentry/sys_procfs.c, docs/sentry.md "Synthesized
# /proc files").  Under --sandbox=none they stay the kernel's, as runc's.

# shellcheck source=tests/lib/sentry.sh
. "$TESTS_DIR/lib/sentry.sh"

# section NAME: the lines of $out between "==NAME" and the next "==" line.
section() {
        awk -v s="==$1" '$0 == s { on = 1; next } /^==/ { on = 0 } on' <<<"$out"
}

# Every host path the tests give a container holds this, the container ids
# (and so the cgroup paths, which the container may see) do not.
HOSTMARK=hostpath-$TOKEN

# mounts_bundle SCRIPT: $B, a bundle running SCRIPT, whose path holds
# $HOSTMARK, as do a host directory bind-mounted read-only on /vol and two
# more in an overlay on /ovl (lowerdir= names host paths in its options).
mounts_bundle() {
        B=$T/$HOSTMARK-bundle
        make_bundle "$B" /bin/sh -c "$1"
        mkdir -p "$T/$HOSTMARK-vol" "$T/$HOSTMARK-low1" "$T/$HOSTMARK-low2"
        echo "from the host" >"$T/$HOSTMARK-vol/file"
        echo "from the overlay" >"$T/$HOSTMARK-low1/ofile"
        edit_config "$B" "c['mounts'].append({'destination': '/vol', 'type': 'bind', 'source': '$T/$HOSTMARK-vol', 'options': ['rbind', 'ro']})" \
                "c['mounts'].append({'destination': '/ovl', 'type': 'overlay', 'source': 'overlay', 'options': ['lowerdir=$T/$HOSTMARK-low1:$T/$HOSTMARK-low2']})"
}

# no_proc_sys: lines but those (first field) of the mounts the sentry
# sandbox makes its own way: /proc/sys and below (curated: sentry.sh
# test_sentry_proc_sys_is_curated), the host kernel's /proc files it masks
# (test_sentry_proc_host_kernel_files_are_empty), and /sys, a tmpfs
# skeleton where none has sysfs (sentry_sys.sh).
no_proc_sys() {
        awk '$1 != "/proc/sys" && substr($1, 1, 10) != "/proc/sys/" && $1 != "/sys" &&
                $1 !~ /^\/proc\/(config\.gz|kallsyms|modules|swaps|version_signature)$/'
}

# point_and_type: "<mount point> <type>" of each mountstats line.
point_and_type() { sed 's/.* mounted on \([^ ]*\) with fstype \([^ ]*\).*/\1 \2/'; }

MOUNTS_SCRIPT='echo ==mountinfo; cat /proc/self/mountinfo
echo ==mounts; cat /proc/mounts
echo ==mountstats; cat /proc/self/mountstats
echo ==pid1; cat /proc/1/mountinfo
echo ==cgroup; cat /proc/self/cgroup
echo ==files; cat /vol/file /ovl/ofile
echo ==df; df -P >/dev/null && echo df-ok; df -P | grep " /vol$"'

# The mount tables (mountinfo, mounts, mountstats; /proc/self and /proc/1)
# name no host path: the bundle's rootfs, the bind mount's and the
# overlay's host directories (all hold the test's token) and the block
# device (/dev/vda) are gone.  What is the container's stays: the same mount
# points in the same order as under none, cgroup mounts' roots (the path
# /proc/self/cgroup shows), and df works.
test_sentry_proc_mount_tables_name_no_host_path() {
        local B
        mounts_bundle "$MOUNTS_SCRIPT"
        none_run_ok "$B"
        local none_out=$out
        assert_contains "$none_out" "$HOSTMARK" "the host's paths under none (the test sees them there)"
        run_bundle_ok "$B"
        assert_not_contains "$out" "$HOSTMARK" "a host path under sentry"
        assert_eq "from the host
from the overlay" "$(section files)" "the mounted files"
        assert_eq df-ok "$(section df | head -n 1)" "df"
        # its source: "none" for a block device here, "overlay" on a host whose /tmp is one
        assert_match "$(section df | tail -n 1)" '^[^/ ][^ ]* +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+% /vol$' "df's line of /vol"

        # no source is a path (/dev/vda): mountinfo's after " - type",
        # mounts' first field, mountstats' "device X"
        local mi m ms
        mi=$(section mountinfo) m=$(section mounts) ms=$(section mountstats)
        if [ -z "$mi" ] || [ -z "$m" ] || [ -z "$ms" ]; then fail "an empty table: [$mi] [$m] [$ms]"; fi
        assert_eq "" "$(sed 's/.* - [^ ]* //' <<<"$mi" | grep '^/')" "mountinfo sources that are paths"
        assert_eq "" "$(grep '^/' <<<"$m")" "mounts sources that are paths"
        assert_eq "" "$(grep '^device /' <<<"$ms")" "mountstats devices that are paths"
        # every root but cgroup's is "/"
        assert_eq "" "$(grep -v ' - cgroup2\? ' <<<"$mi" | awk '$4 != "/"')" "mountinfo roots"
        assert_eq "$mi" "$(section pid1)" "/proc/1/mountinfo against /proc/self/mountinfo"

        # what is the container's: mount points in the kernel's order (but
        # /proc/sys, which sentry curates: sentry.sh tests it)
        local out_sentry=$out
        out=$none_out
        local want_points want_stats
        want_points=$(section mountinfo | awk '{print $5}' | no_proc_sys)
        want_stats=$(section mountstats | point_and_type | no_proc_sys)
        out=$out_sentry
        assert_eq "$want_points" "$(awk '{print $5}' <<<"$mi" | no_proc_sys)" "mountinfo's mount points against none's"
        assert_eq "$want_points" "$(awk '{print $2}' <<<"$m" | no_proc_sys)" "mounts' mount points against none's"
        assert_eq "$want_stats" "$(point_and_type <<<"$ms" | no_proc_sys)" "mountstats' mount points and types against none's"
        # the overlay keeps its options but lowerdir=
        assert_match "$(grep ' /ovl ' <<<"$m")" '^overlay /ovl overlay ro(,[a-z_]+(=[^/,]*)?)* 0 0$' "the overlay in mounts"
        # cgroup mounts keep their root, the kernel's: the cgroup path
        # /proc/self/cgroup shows (v1 hierarchies on this host:
        # /cocoon/<id>), as under none but for the container's id
        local none_cg sentry_cg none_roots
        out=$none_out
        none_cg=$(section cgroup | head -n 1 | cut -d: -f3-)
        none_roots=$(section mountinfo | grep ' - cgroup2\? ' | awk '{print $4}')
        out=$out_sentry
        sentry_cg=$(section cgroup | head -n 1 | cut -d: -f3-)
        [ -n "$none_roots" ] || fail "no cgroup mount under none"
        assert_eq "${none_roots//"$none_cg"/"$sentry_cg"}" "$(grep ' - cgroup2\? ' <<<"$mi" | awk '{print $4}')" \
                "cgroup mounts' roots against none's (cgroup $none_cg there, $sentry_cg here)"
}

# Every way to name a process's table gives the scrubbed one: another pid,
# a thread, thread-self, a relative path from cwd /proc/self, a descriptor
# of /proc/<pid> (as a dirfd, and through /proc/self/fd/N/), a cwd through
# /proc/thread-self/cwd/; a pid or thread that does not exist stays ENOENT, as do
# the files procfs does not have (self/task/thread-self, a thread's
# mountstats); writing is refused.  mountstats is its process's owner's
# (mode 0400), for another user EACCES as under none.
test_sentry_proc_mount_tables_by_any_path() {
        local B
        mounts_bundle 'sleep 100 & p=$!
                want=$(md5sum </proc/self/mountinfo)
                for f in /proc/$p/mountinfo /proc/thread-self/mountinfo /proc/$$/task/$$/mountinfo \
                        /proc/self/root/proc/$$/mountinfo /proc/self/../$p/mountinfo; do
                        [ "$(md5sum <$f)" = "$want" ] && echo "same $f" || echo "DIFFERENT $f"
                done
                # self/task/<its own tid>: the shell that opens it, by number
                [ "$(sh -c "exec md5sum </proc/self/task/\$\$/mountinfo")" = "$want" ] && echo "same self/task"
                [ "$(cd /proc/self && md5sum <mountinfo)" = "$want" ] && echo "same relative"
                # magic links the fold does not follow: a descriptor and a cwd in /proc
                exec 3</proc/self
                [ "$(md5sum </proc/self/fd/3/mountinfo)" = "$want" ] && echo "same fd link"
                [ "$(cd /proc/$p && md5sum </proc/thread-self/cwd/mountinfo)" = "$want" ] && echo "same cwd link"
                [ "$(head -n 1 /proc/self/fd/3/../meminfo)" = "$(head -n 1 /proc/meminfo)" ] && echo "same meminfo"
                [ "$(/procfs_probe openat /proc/$p mountinfo)" = "$(head -n 1 /proc/self/mountinfo)" ] && echo "same openat"
                [ "$(md5sum </proc/$p/mounts)" = "$(md5sum </proc/mounts)" ] && echo "same mounts"
                cat /proc/99999/mountinfo /proc/$$/task/99999/mountinfo /proc/self/task/thread-self/mountinfo \
                        /proc/$$/task/$$/mountstats 2>&1
                echo x >/proc/self/mountinfo || echo write-refused
                su -s /bin/sh daemon -c "head -n 1 /proc/self/mountstats; cat /proc/1/mountstats" 2>&1
                echo ==tables; cat /proc/$p/mountinfo /proc/thread-self/mounts /proc/1/task/1/mountinfo
                kill $p'
        cp "$(procfs_probe_bin)" "$B/rootfs/procfs_probe"
        docker_caps "$B" # su's setgroups and setuid
        # a limit, so that the synthesized MemTotal is not the host's
        edit_config "$B" "c['linux'].setdefault('resources', {})['memory']={'limit': 256 * 1024 * 1024}"
        run_bundle_ok "$B"
        assert_not_contains "$out" DIFFERENT
        assert_eq 5 "$(grep -c '^same /proc/' <<<"$out")" "the paths giving the same table"
        assert_contains "$out" "same self/task"
        assert_contains "$out" "same relative"
        assert_contains "$out" "same fd link"
        assert_contains "$out" "same cwd link"
        assert_contains "$out" "same meminfo"
        assert_contains "$out" "same openat"
        assert_contains "$out" "same mounts"
        assert_contains "$out" "cat: can't open '/proc/99999/mountinfo': No such file or directory"
        # (the shell is pid 1)
        assert_contains "$out" "cat: can't open '/proc/1/task/99999/mountinfo': No such file or directory"
        assert_contains "$out" "cat: can't open '/proc/self/task/thread-self/mountinfo': No such file or directory"
        assert_contains "$out" "cat: can't open '/proc/1/task/1/mountstats': No such file or directory"
        assert_contains "$out" write-refused
        assert_contains "$err" "Read-only file system"
        # another user's own mountstats: its root's line, scrubbed
        assert_match "$out" $'\ndevice [^/][^ ]* mounted on / with fstype [^ ]+\n' "mountstats as uid 1"
        assert_contains "$out" "cat: can't open '/proc/1/mountstats': Permission denied"
        assert_not_contains "$out" "$HOSTMARK"
        assert_contains "$(sed -n '/^==tables/,$p' <<<"$out")" " /vol " "the tables printed"
}

# The kernel's release and version in /proc/sys/kernel are those uname
# shows (the configured release, never the host's), /proc/cmdline names a
# kernel image of that release; a masked /proc/sys/kernel stays masked.
# Under none all three are the host's.
test_sentry_proc_kernel_release_and_cmdline() {
        local B=$T/b host
        host=$(uname -r)
        make_bundle "$B" /bin/sh -c 'cat /proc/sys/kernel/osrelease; uname -r
                cat /proc/sys/kernel/version; uname -v; cat /proc/cmdline'
        run_bundle_ok "$B"
        assert_eq "6.1.0-cocoon
6.1.0-cocoon" "$(sed -n 1,2p <<<"$out")" "osrelease, uname -r"
        assert_eq "$(sed -n 4p <<<"$out")" "$(sed -n 3p <<<"$out")" "/proc/sys/kernel/version against uname -v"
        assert_eq "BOOT_IMAGE=/vmlinuz-6.1.0-cocoon quiet" "$(sed -n 5p <<<"$out")" "/proc/cmdline"
        assert_not_contains "$out" "$host" "the host's release"
        CC_GLOBAL="$CC_GLOBAL --sentry-release 5.15.0-flag"
        run_bundle_ok "$B"
        assert_eq "5.15.0-flag" "$(sed -n 1p <<<"$out")" "osrelease with --sentry-release"
        assert_eq "BOOT_IMAGE=/vmlinuz-5.15.0-flag quiet" "$(sed -n 5p <<<"$out")" "/proc/cmdline with --sentry-release"

        none_run_ok "$B"
        assert_eq "$host" "$(sed -n 1p <<<"$out")" "osrelease under none (the host's)"
        assert_eq "$(cat /proc/cmdline)" "$(sed -n 5p <<<"$out")" "/proc/cmdline under none (the host's)"

        edit_config "$B" "c['linux']['maskedPaths'].append('/proc/sys/kernel')"
        set_args "$B" /bin/sh -c 'cat /proc/sys/kernel/osrelease || echo masked'
        run_bundle_ok "$B"
        assert_eq masked "$out" "osrelease below a masked /proc/sys/kernel"
}
