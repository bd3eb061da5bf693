# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# --sandbox sentry end to end: the supervisor, the Sentry, the Gofer
# (docs/architecture.md, "Process model (sandbox sentry)").

# shellcheck source=tests/lib/sentry.sh
. "$TESTS_DIR/lib/sentry.sh"

# sv_pid ID / wl_pid ID: the supervisor (state's pid) and the workload's init.
sv_pid() { pid_of "$1"; }
wl_pid() { json_get 'd["workload_pid"]' "$ROOT/$1/state.json"; }
gofer_pid() { pgrep -P "$(sv_pid "$1")" -x cocoon-gofer; }

# A script that exercises the shell, pipes, redirects, jobs and common tools;
# its output must not depend on the sandbox.
SCRIPT='set -e
cd /etc
echo "words: $(cat passwd group | wc -l)"
grep -c root passwd
sort -r passwd | head -n 2 | cut -d: -f1
printf "%s-%d\n" abc 42 > /tmp/out.txt
echo appended >> /tmp/out.txt
cat < /tmp/out.txt | tr a-z A-Z
ls -la / | awk "{print \$NF}" | sort | tr "\n" " "; echo
find /etc -type f | sort | head -n 5
(sleep 0.1; echo from-subshell) &
wait
i=0; while [ $i -lt 5 ]; do i=$((i + 1)); done; echo "loop $i"
mkdir -p /tmp/d/e && touch /tmp/d/e/f && ls -R /tmp/d
rm -r /tmp/d && test ! -e /tmp/d && echo removed
ln -s /etc/hostname /tmp/link && readlink /tmp/link
stat -c "%a %U %G" /tmp/out.txt
echo done'

test_sentry_script_same_output_as_none() {
        local B=$T/b
        make_bundle "$B" /bin/sh -c "$SCRIPT"
        none_run "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
        local want=$out
        rm -f "$B/rootfs/tmp/out.txt" "$B/rootfs/tmp/link"
        run_ok "$B" /bin/sh -c "$SCRIPT"
        assert_eq "$want" "$out" "output under sentry vs none"
        assert_contains "$out" "from-subshell"
        assert_contains "$out" "ABC-42"
        # the file was written through the Gofer and landed in the bundle's rootfs
        assert_eq "abc-42
appended" "$(cat "$B/rootfs/tmp/out.txt")" "file on the host"
}

test_sentry_files_are_owned_by_the_caller() {
        local B=$T/b
        make_bundle "$B" /bin/sh -c 'echo data > /tmp/mine; mkdir /tmp/dir; id -u; stat -c "%u:%g" /tmp/mine'
        edit_config "$B" 'c["process"]["user"]={"uid":1000,"gid":1001}'
        run_bundle_ok "$B"
        assert_eq "1000
1000:1001" "$out" "ids inside"
        assert_eq "1000:1001" "$(stat -c %u:%g "$B/rootfs/tmp/mine")" "owner of the file on the host"
        assert_eq "1000:1001" "$(stat -c %u:%g "$B/rootfs/tmp/dir")" "owner of the directory on the host"
        # the workload's umask (022) applied by the Gofer
        assert_eq 644 "$(stat -c %a "$B/rootfs/tmp/mine")" "mode of the file"
        # not allowed to write where uid 1000 may not
        make_bundle "$T/b2" /bin/sh -c 'echo x > /etc/denied'
        edit_config "$T/b2" 'c["process"]["user"]={"uid":1000,"gid":1000}'
        run_bundle "$T/b2"
        [ "$rc" != 0 ] || fail "uid 1000 wrote /etc"
        assert_contains "$err" "Permission denied"
        [ ! -e "$T/b2/rootfs/etc/denied" ] || fail "/etc/denied exists on the host"
}

test_sentry_exit_codes_and_signals() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'exit 3'
        run_bundle "$B"
        assert_eq 3 "$rc" "exit 3"
        # a child killed by SIGKILL, as the shell reports it (same as none)
        run_ok "$B" /bin/sh -c 'sh -c "kill -9 \$\$"; echo "child: $?"'
        assert_eq "child: 137" "$out"
        # background job + trap + signal from inside
        run_ok "$B" /bin/sh -c 'trap "echo trapped; exit 0" USR1; sleep 5 & kill -USR1 $$; wait'
        assert_eq "trapped" "$out"
        # the init killed by SIGKILL from outside: the supervisor dies the same way
        B=$T/b2
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        "$COCOON" $CC_GLOBAL run --bundle "$B" "$id" >/dev/null 2>&1 &
        local runner=$!
        wait_status "$id" running
        assert_ok cocoon kill "$id" KILL
        local st=0
        wait "$runner" || st=$?
        assert_eq 137 "$st" "status of run after kill KILL"
        # SIGTERM caught by the init's trap
        B=$T/b3
        make_bundle "$B" /bin/sh -c 'trap "exit 7" TERM; while :; do sleep 0.05; done'
        id=$(new_id)
        "$COCOON" $CC_GLOBAL run --bundle "$B" "$id" >/dev/null 2>&1 &
        runner=$!
        wait_status "$id" running
        sleep 0.2
        assert_ok cocoon kill "$id" TERM
        st=0
        wait "$runner" || st=$?
        assert_eq 7 "$st" "status of run after kill TERM (trap exits 7)"
}

test_sentry_state_pid_is_the_supervisor() {
        local B=$T/b id s w
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        create_ctr "$B" "$id" --pid-file "$T/pid"
        s=$(sv_pid "$id")
        w=$(wl_pid "$id")
        track_pid "$w"
        assert_eq "$s" "$(cat "$T/pid")" "pid file = supervisor"
        assert_eq cocoon-sentry "$(cat /proc/"$s"/comm)" "comm of the state's pid"
        assert_eq "$s" "$(awk '/^PPid:/ {print $2}' /proc/"$w"/status)" "the init's parent"
        track_pid "$(gofer_pid "$id")"
        assert_eq created "$(status_of "$id")"
        assert_ok cocoon start "$id"
        assert_eq running "$(status_of "$id")"
        assert_contains "$(tr '\0' ' ' </proc/"$w"/cmdline)" "sleep 1000"
        # the supervisor and the Gofer are not visible to the workload
        assert_ok cocoon exec "$id" /bin/ps -o pid,comm
        assert_not_contains "$out" cocoon
        assert_eq 3 "$(printf '%s\n' "$out" | wc -l)" "lines of ps inside (header, sleep, ps)"
        destroy "$id"
        wait_pid_gone "$s"
        wait_pid_gone "$w"
}

test_sentry_ps_lists_the_workload_only() {
        local B=$T/b id g
        make_bundle "$B" /bin/sh -c 'sleep 1000 & sleep 1000 & wait'
        id=$(new_id)
        start_ctr "$B" "$id"
        wait_for test "$(cocoon ps --format json "$id" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 3
        local pids
        pids=$(cocoon ps --format json "$id")
        g=$(gofer_pid "$id")
        assert_contains "$pids" "$(wl_pid "$id")"
        assert_not_contains "$pids" "$(sv_pid "$id")," "ps (supervisor)"
        assert_not_contains "$pids" "$g" "ps (gofer)"
        # kill --all with a catchable signal reaches the workload, not the sandbox
        assert_ok cocoon kill --all "$id" TERM
        wait_status "$id" stopped
        destroy "$id"
}

test_sentry_df_find_tar_round_trip() {
        local B=$T/b
        make_bundle "$B" /bin/sh -c 'set -e
df / | tail -n 1 | awk "{print \$NF}"
find / -xdev -type l | wc -l > /tmp/count
test "$(cat /tmp/count)" -gt 100
find / -xdev -type f -name passwd
mkdir -p /tmp/src/sub && echo one > /tmp/src/a && echo two > /tmp/src/sub/b && ln -s a /tmp/src/l
chmod 600 /tmp/src/sub/b
cd /tmp && tar -cf /tmp/t.tar src && mkdir x && tar -xf /tmp/t.tar -C x
diff -r /tmp/src /tmp/x/src && echo same
stat -c %a /tmp/x/src/sub/b
readlink /tmp/x/src/l
tar -tf /tmp/t.tar | sort | tr "\n" " "'
        run_bundle_ok "$B"
        assert_eq "/
/etc/passwd
same
600
a
src/ src/a src/l src/sub/ src/sub/b " "$out"
        [ -f "$B/rootfs/tmp/x/src/sub/b" ] || fail "extracted tree not on the host"
}

test_sentry_exec() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        assert_ok cocoon exec "$id" /bin/sh -c 'echo from-exec > /tmp/e; cat /tmp/e; cat /proc/1/cmdline | tr "\0" " "'
        assert_eq "from-exec
/bin/sleep 1000 " "$out" "exec output (its file ops go through the Sentry)"
        assert_eq from-exec "$(cat "$B/rootfs/tmp/e")" "file written by exec, on the host"
        assert_rc 5 cocoon exec "$id" /bin/sh -c 'exit 5'
        assert_fail cocoon exec "$id" /nonexistent
        assert_error_line
        # as another user: the Gofer creates the file with that user's ids
        assert_ok cocoon exec --user 1000 "$id" /bin/sh -c 'id -u; touch /tmp/u1000; stat -c %u /tmp/u1000'
        assert_eq "1000
1000" "$out"
        destroy "$id"
}

test_sentry_root_view_is_read_only() {
        local B=$T/b
        make_bundle "$B" /bin/sh -c '
mount -o remount,rw / 2>&1 && echo remounted
echo written > /etc/x && cat /etc/x
grep " / " /proc/self/mounts | grep -c "ro,"'
        run_bundle_ok "$B"
        assert_match "$out" "(Operation not permitted|permission denied)" "remount"
        assert_not_contains "$out" remounted
        assert_contains "$out" written
        assert_eq written "$(cat "$B/rootfs/etc/x")" "write through the Gofer on the host"
        # a read-only root in the config stays read-only in the Gofer too
        make_bundle "$T/ro" /bin/sh -c 'echo y > /etc/y'
        edit_config "$T/ro" 'c["root"]["readonly"]=True'
        run_bundle "$T/ro"
        [ "$rc" != 0 ] || fail "wrote to a readonly root"
        assert_contains "$err" "Read-only file system"
        [ ! -e "$T/ro/rootfs/etc/y" ] || fail "file appeared on the host"
}

test_sentry_path_escapes_stay_inside() {
        local B=$T/b secret=sentry-secret-$TOKEN
        # a marker on the host, outside the rootfs
        mkdir -p "$T/outside"
        echo "$secret" >"$T/outside/marker"
        # a volume holding absolute symlinks (to / and to the marker's host path)
        mkdir -p "$T/vol"
        ln -s / "$T/vol/to-root"
        ln -s "$T/outside/marker" "$T/vol/to-marker"
        make_bundle "$B" /bin/sh -c "
ln -s / /tmp/up
cat /tmp/up/../../..$T/outside/marker
cat /tmp/up/..$T/outside/marker
cat ../../../../../..$T/outside/marker
cat /proc/self/root/../..$T/outside/marker
cat /proc/1/root/../../..$T/outside/marker
cat /vol/to-marker
cat /vol/to-root$T/outside/marker
cat /vol/../../..$T/outside/marker
ls /vol/to-root/ | tr '\n' ' '
echo end"
        edit_config "$B" "c['mounts'].append({'destination':'/vol','type':'bind','source':'$T/vol','options':['rbind','rw']})"
        run_bundle "$B"
        assert_not_contains "$out" "$secret" "stdout"
        assert_not_contains "$err" "$secret" "stderr"
        assert_contains "$out" "end"
        # /vol/to-root is the container's root
        assert_contains "$out" "bin dev etc"
}

# A static probe for the calls busybox cannot make: each line "name errno".
PROBE_C='#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/if_ether.h>
static void show(const char *n, long r) { printf("%s %s\n", n, r < 0 ? strerrorname_np(errno) : "ok"); }
int main(void) {
        show("bpf", syscall(SYS_bpf, 0, 0, 0));
        show("perf_event_open", syscall(SYS_perf_event_open, 0, 0, -1, -1, 0));
        show("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
        show("unshare_user", unshare(CLONE_NEWUSER));
        show("unshare_net", unshare(CLONE_NEWNET));
        show("packet_socket", socket(AF_PACKET, SOCK_RAW, 0));
        show("mount", syscall(SYS_mount, "none", "/mnt", "tmpfs", 0, 0));
        show("setns", syscall(SYS_setns, 0, 0));
        show("clone3", syscall(SYS_clone3, 0, 0));
        show("getpid", getpid() == 1 ? 0 : -1);
        return 0;
}'

test_sentry_denied_syscalls() {
        have_cmd gcc || skip "no gcc to build the probe"
        local B=$T/b
        make_bundle "$B" /probe
        printf '%s\n' "$PROBE_C" >"$T/probe.c"
        gcc -static -O1 -o "$B/rootfs/probe" "$T/probe.c" || fail "could not build the probe"
        # the default config holds CAP_NET_RAW: drop it so packet sockets are refused
        edit_config "$B" 'for k in c["process"]["capabilities"]: c["process"]["capabilities"][k] = [x for x in c["process"]["capabilities"][k] if x != "CAP_NET_RAW"]'
        run_bundle_ok "$B"
        assert_eq "bpf EPERM
perf_event_open EPERM
keyctl ENOSYS
unshare_user EPERM
unshare_net EPERM
packet_socket EPERM
mount EPERM
setns EPERM
clone3 ENOSYS
getpid ok" "$out" "errors of the denied calls (docs/syscalls.md)"
        # busybox's own view of the same
        run_in "$B" /bin/sh -c 'unshare -U true; mount -t tmpfs none /mnt'
        assert_contains "$err" "Operation not permitted"
}

# kill_supervisor ID: SIGKILL the supervisor; the workload and the Gofer
# must follow and the container be stopped.
kill_supervisor() {
        local id=$1 w g
        w=$(wl_pid "$id")
        g=$(gofer_pid "$id")
        track_pid "$w"
        track_pid "$g"
        kill -KILL "$(sv_pid "$id")"
        wait_pid_gone "$w"
        wait_pid_gone "$g"
        wait_status "$id" stopped
}

test_sentry_killed_supervisor_ends_the_container() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'sleep 1000 & sleep 1000'
        id=$(new_id)
        start_ctr "$B" "$id"
        kill_supervisor "$id"
        assert_ok cocoon delete "$id"
        [ ! -e "$ROOT/$id" ] || fail "state left after delete"
        [ -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null)" ] || fail "cgroup left"
}

test_sentry_killed_gofer_ends_the_container() {
        local B=$T/b id s w g
        make_bundle "$B" /bin/sh -c 'sleep 1000 & sleep 1000'
        id=$(new_id)
        # in the foreground: run's status is the supervisor's
        "$COCOON" $CC_GLOBAL run --bundle "$B" "$id" >/dev/null 2>"$T/err" &
        local runner=$!
        wait_status "$id" running
        s=$(sv_pid "$id")
        w=$(wl_pid "$id")
        g=$(gofer_pid "$id")
        track_pid "$w"
        kill -KILL "$g"
        local st=0
        wait "$runner" || st=$?
        assert_eq 137 "$st" "status of the container after its Gofer died"
        wait_pid_gone "$w"
        wait_pid_gone "$s"
        assert_contains "$(cat "$T/err")" "the gofer of container"
        [ ! -e "$ROOT/$id" ] || fail "state left after run"
}

test_sentry_killed_gofer_is_logged() {
        local B=$T/b id g
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        assert_ok cocoon --log "$T/log" --log-format json create --bundle "$B" "$id"
        track_pid "$(sv_pid "$id")"
        assert_ok cocoon start "$id"
        g=$(gofer_pid "$id")
        kill -KILL "$g"
        wait_status "$id" stopped
        wait_for grep -q "gofer of container" "$T/log"
        local line
        line=$(grep "gofer of container" "$T/log")
        assert_one_line "$line" "log line"
        assert_contains "$line" "\"level\":\"error\""
        assert_contains "$line" "sentry: the gofer of container \\\"$id\\\" died: killed by signal 9"
        assert_contains "$line" "killing the container"
        assert_ok cocoon delete "$id"
}

test_sentry_strace_lines() {
        local B=$T/b
        make_bundle "$B" /bin/cat /etc/passwd
        CC_GLOBAL="$CC_GLOBAL --strace --log $T/log"
        run_bundle_ok "$B"
        assert_contains "$out" "root:x:0:0"
        local line
        line=$(grep -m1 'open.*"/etc/passwd"' "$T/log") || fail "no strace line for /etc/passwd in the log: $(head -c 2000 "$T/log")"
        assert_match "$line" 'open(at)?\(.*"/etc/passwd".*\) = [0-9]+' "strace line"
}

test_sentry_needs_its_own_namespaces() {
        local B=$T/b
        make_bundle "$B" /bin/true
        edit_config "$B" 'c["linux"]["namespaces"]=[n for n in c["linux"]["namespaces"] if n["type"]!="pid"]'
        assert_fail cocoon create --bundle "$B" "$(new_id)"
        assert_error_line
        assert_contains "$err" "needs a new pid namespace"
        [ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || fail "state left behind: $(ls "$ROOT")"
        edit_config "$B" 'c["linux"]["namespaces"]=[n for n in c["linux"]["namespaces"] if n["type"]!="mount"]+[{"type":"pid"}]'
        assert_fail cocoon create --bundle "$B" "$(new_id)"
        assert_error_line
        assert_contains "$err" "needs a new mount namespace"
}

# What only the none sandbox can do is refused with one line, before anything
# is created (tests pinned to --sandbox=none rely on these being refusals).
test_sentry_refuses_what_it_cannot_run() {
        local B=$T/b id
        make_bundle "$B" /bin/true
        id=$(new_id)
        assert_fail cocoon run --no-pivot --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "--no-pivot cannot be used with --sandbox=sentry"
        [ ! -e "$ROOT/$id" ] || fail "--no-pivot left $ROOT/$id"
        edit_config "$B" 'c["linux"]["seccomp"]={"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"'"$T"'/agent.sock",
                "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}'
        id=$(new_id)
        assert_fail cocoon create --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "SCMP_ACT_NOTIFY cannot be used with --sandbox=sentry"
        [ ! -e "$ROOT/$id" ] || fail "SCMP_ACT_NOTIFY left $ROOT/$id"
}

# The boundary filter is one filter more than the OCI profile alone; the
# profile still decides (seccomp.sh compares the none sandbox with runc).
test_sentry_boundary_filter_below_the_oci_profile() {
        local B=$T/b
        make_bundle "$B" /bin/sh -c 'mkdir /tmp/x 2>&1; echo mkdir=$?; grep -E "^Seccomp(_filters)?:" /proc/self/status'
        edit_config "$B" 'c["linux"]["seccomp"]={"defaultAction":"SCMP_ACT_ALLOW",
                "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":28}]}'
        none_run "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
        assert_contains "$out" "Seccomp_filters:	1" "filters under none"
        run_bundle_ok "$B"
        assert_contains "$out" "No space left on device" "mkdir refused by the profile"
        assert_contains "$out" "mkdir=1"
        assert_contains "$out" "Seccomp:	2"
        assert_contains "$out" "Seccomp_filters:	2" "filters under sentry (boundary + profile)"
}

test_sentry_user_namespace() {
        local B=$T/b
        make_bundle "$B" /bin/sh -c 'id -u; echo u > /tmp/u; stat -c %u /tmp/u'
        chmod 1777 "$B/rootfs/tmp"
        edit_config "$B" 'c["linux"]["namespaces"].append({"type":"user"})' \
                'c["linux"]["uidMappings"]=[{"containerID":0,"hostID":200000,"size":65536}]' \
                'c["linux"]["gidMappings"]=[{"containerID":0,"hostID":200000,"size":65536}]'
        run_bundle_ok "$B"
        assert_eq "0
0" "$out"
        assert_eq 200000 "$(stat -c %u "$B/rootfs/tmp/u")" "owner on the host (mapped root)"
}

test_sentry_features_list_the_sentry_syscalls() {
        assert_ok cocoon features
        local own
        own=$(json_get 'd["annotations"]["io.github.cocoon.sentry.own-syscalls"]' <<<"$out")
        assert_contains "$own" "process_vm_readv"
        assert_contains "$own" "ioctl"
        assert_not_contains "$own" "execve"
        assert_eq "none,sentry,vm" "$(json_get 'd["annotations"]["io.github.cocoon.sandboxes"]' <<<"$out")" "the sandboxes features lists"
}

# The fast file path (src/sentry/fastpath.c): a root workload's stat and
# read-only open answered by the Sentry, uid 65534 without capabilities, must
# give what the Gofer (and `none`) gives: files only root may read, a 0700
# directory, a FIFO, symlinks, missing paths; and an fd it opened is on the
# writable tree (fchmod works), not on the workload's read-only view.
test_sentry_fast_path_matches_the_gofer() {
        local B=$T/b
        make_bundle "$B" /bin/true
        docker_caps "$B" # the fast path is for callers with CAP_DAC_OVERRIDE
        local R=$B/rootfs
        printf 'only root\n' >"$R/secret" && chmod 600 "$R/secret"
        mkdir -m 700 "$R/locked" && printf 'inside\n' >"$R/locked/f"
        mkfifo "$R/fifo"
        ln -s /etc/hostname "$R/abs-link"
        ln -s ../../../../../../secret "$R/etc/up-link"
        ln -s loop "$R/loop"
        gcc -static -O2 -o "$R/fchmod-ro" -x c - <<'C' || fail "compiling the fchmod probe"
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
int main(int argc, char **argv) {
        int fd = open(argv[1], O_RDONLY);
        if (fd < 0) { perror("open"); return 1; }
        if (fchmod(fd, 0640) < 0) { perror("fchmod"); return 1; }
        puts("fchmod ok");
        return 0;
}
C
        local script='cat /secret; cat /locked/f; ls /locked; stat -c "%s %a" /locked/f /secret /abs-link
                stat -L -c %s /abs-link; cat /etc/up-link; stat /missing 2>&1; cat /locked/none 2>&1
                cat /loop 2>&1; stat -c %F /fifo; (echo through-fifo > /fifo &); cat /fifo
                cat /secret/x 2>&1; readlink /abs-link /etc/up-link; readlink /secret || echo not-a-link
                ls / | wc -l; /fchmod-ro /locked/f; stat -c %a /locked/f; echo end'
        edit_config "$B" "c['process']['args']=['/bin/sh','-c','''$script''']"
        none_run "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
        local want=$out
        chmod 644 "$R/locked/f" # as before the none run
        CC_GLOBAL="$CC_GLOBAL --debug --log $T/log"
        run_bundle_ok "$B"
        assert_eq "$want" "$out" "output under sentry vs none"
        assert_contains "$out" "only root"
        assert_contains "$out" "through-fifo"
        assert_contains "$out" "fchmod ok"
        assert_eq 640 "$(stat -c %a "$R/locked/f")" "mode set through the fd, on the host"
        local n
        n=$(sed -n 's/.* \([0-9][0-9]*\) on the fast path.*/\1/p' "$T/log" | tail -n 1)
        [ -n "$n" ] && [ "$n" -gt 0 ] || fail "no call took the fast path: $(grep -m1 'on the fast path' "$T/log")"
        # another user still meets the Gofer's permission checks
        edit_config "$B" "c['process']['user']={'uid':1000,'gid':1000}; c['process']['args']=['/bin/sh','-c','cat /secret; cat /locked/f; stat /locked/f']"
        run_bundle "$B"
        [ "$rc" != 0 ] || fail "uid 1000 read root's files: $out"
        assert_not_contains "$out" "only root"
        assert_not_contains "$out" "inside"
        assert_contains "$err" "Permission denied"
}

# access() on the fast path (sentry_fast_access): F_OK and R_OK of a caller
# whose checking credentials override DAC are the Sentry's answer, everything
# else the Gofer's.  Every mode and flag, as root and as uid 1000, over
# files only root may read, a 0700 directory, a FIFO, links and missing
# paths, gives what `none` gives; and root's F_OK/R_OK calls never reach the
# Gofer.
test_sentry_fast_access_matches_none() {
        local B=$T/b
        make_bundle "$B" /bin/true
        docker_caps "$B"
        local R=$B/rootfs
        printf 'only root\n' >"$R/secret" && chmod 600 "$R/secret"
        printf '#!/bin/sh\n' >"$R/script" && chmod 700 "$R/script"
        mkdir -m 700 "$R/locked" && printf 'inside\n' >"$R/locked/f"
        mkfifo "$R/fifo"
        ln -s /secret "$R/link"
        ln -s missing "$R/dangling"
        gcc -static -O2 -o "$R/access-probe" -x c - <<'C' || fail "compiling the access probe"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
        static const char *paths[] = {"/secret", "/script", "/locked", "/locked/f", "/locked/none", "/fifo",
                                      "/link", "/dangling", "/missing", "/secret/x", "/etc/hostname", "/"};
        static const int modes[] = {F_OK, R_OK, W_OK, X_OK, R_OK | X_OK};
        static const int flags[] = {0, AT_EACCESS, AT_SYMLINK_NOFOLLOW};
        int n_modes = argc > 1 ? 2 : 5; /* "quick": F_OK and R_OK only */
        for (unsigned p = 0; p < sizeof paths / sizeof *paths; p++)
                for (int m = 0; m < n_modes; m++)
                        for (unsigned f = 0; f < sizeof flags / sizeof *flags; f++) {
                                int r = faccessat(AT_FDCWD, paths[p], modes[m], flags[f]);
                                printf("%s %d %d %s\n", paths[p], modes[m], flags[f], r == 0 ? "ok" : strerror(errno));
                        }
        printf("access %s\n", access("/secret", R_OK) == 0 ? "ok" : strerror(errno));
        return 0;
}
C
        local user
        for user in root 1000; do
                if [ "$user" = 1000 ]; then
                        edit_config "$B" "c['process']['user']={'uid':1000,'gid':1000}"
                fi
                edit_config "$B" "c['process']['args']=['/access-probe']"
                none_run_ok "$B"
                local want=$out
                run_bundle_ok "$B"
                assert_eq "$want" "$out" "access() as $user under sentry vs none"
        done
        assert_contains "$want" "/secret 4 0 Permission denied"
        # root's F_OK and R_OK: on the fast path, but below the 0700
        # directory, which the Sentry (uid 65534) cannot search: /locked/f
        # and /locked/none, 2 modes x 3 flags
        edit_config "$B" "c['process']['user']={'uid':0,'gid':0}" "c['process']['args']=['/access-probe','quick']"
        CC_GLOBAL="$CC_GLOBAL --debug --log $T/log"
        run_bundle_ok "$B"
        assert_contains "$out" "/secret 4 0 ok"
        assert_contains "$out" "/missing 0 0 No such file or directory"
        grep -q ' 12 Gofer calls' "$T/log" || fail "root's F_OK/R_OK calls reached the Gofer: $(grep -m1 'Gofer calls' "$T/log")"
}

# The fast path's directory cache (src/sentry/dcache.c) never answers for
# a name that has changed: directories renamed, removed and made again, a
# symlink on the way replaced, a file grown through a descriptor (attributes
# are never cached), stat, cat and readlink through each; the same output as
# under none.  Then a volume, whose directories the host renames while the
# container runs: paths behind a mount are never cached.
test_sentry_dir_cache_follows_renames() {
        local B=$T/b
        make_bundle "$B" /bin/true
        docker_caps "$B"
        local script='mkdir -p /d/sub; echo one > /d/sub/f
                stat -c %s /d/sub/f; cat /d/sub/f; readlink /d/sub/f || echo no-link
                mv /d/sub /d/old; stat -c %s /d/sub/f 2>&1; cat /d/old/f
                mkdir /d/sub; echo two-two > /d/sub/f; stat -c %s /d/sub/f; cat /d/sub/f
                rm -r /d/sub; stat /d/sub/f 2>&1; cat /d/sub/f 2>&1
                ln -s old /d/sub; cat /d/sub/f; stat -c %s /d/sub/f; ln -s f /d/old/l; readlink /d/sub/l
                rm /d/sub; ln -s /etc /d/sub; stat -c %F /d/sub/passwd
                mv /d/old /d/sub2; readlink /d/sub2/l; cat /d/sub2/l
                echo 123456789 >> /d/sub2/f; stat -c %s /d/sub2/f; stat -c %s /d/sub2/l
                mkdir /d/a; touch /d/a/x; stat -c %s /d/a/x; mv /d/sub2 /d/a/y; stat -c %s /d/a/y/f; rm -r /d/a
                stat /d/a/y/f 2>&1; echo end'
        edit_config "$B" "c['process']['args']=['/bin/sh','-c','''$script''']"
        none_run "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
        local want=$out
        rm -rf "$B/rootfs/d"
        CC_GLOBAL="$CC_GLOBAL --debug --log $T/log"
        run_bundle_ok "$B"
        assert_eq "$want" "$out" "output under sentry vs none"
        assert_contains "$out" "two-two"
        local n
        n=$(sed -n 's/.* \([0-9][0-9]*\) on the fast path.*/\1/p' "$T/log" | tail -n 1)
        [ -n "$n" ] && [ "$n" -gt 0 ] || fail "no call took the fast path: $(grep -m1 'on the fast path' "$T/log")"

        # a volume: the host renames its directory while the container runs
        mkdir -p "$T/vol/a"
        echo 12 >"$T/vol/a/f"
        mkfifo "$T/vol/go" "$T/vol/ready"
        edit_config "$B" "c['mounts'].append({'destination':'/vol','type':'bind','source':'$T/vol','options':['rbind','rw']})" \
                "c['process']['args']=['/bin/sh','-c','stat -c %s /vol/a/f; stat -c %s /vol/a/f; echo > /vol/ready; read x < /vol/go; stat -c %s /vol/a/f 2>&1; stat -c %s /vol/b/f; echo end']"
        cocoon run --bundle "$B" "$(new_id v)" >"$T/vol.out" 2>"$T/vol.err" &
        local c=$!
        track_pid "$c"
        # (a FIFO's open waits for its other end)
        timeout 60 cat "$T/vol/ready" >/dev/null || fail "the container did not reach its first stats: $(cat "$T/vol.err")"
        mv "$T/vol/a" "$T/vol/b"
        echo 1234567 >"$T/vol/b/f"
        echo go >"$T/vol/go"
        local vrc=0
        wait "$c" || vrc=$?
        assert_eq 0 "$vrc" "exit status ($(cat "$T/vol.err"))"
        assert_eq "3
3
stat: can't stat '/vol/a/f': No such file or directory
8
end" "$(cat "$T/vol.out")" "stats of a volume the host changed"
}

# Calls relative to a directory descriptor (openat, fstatat, mkdirat,
# renameat, ... as fts, fwalk and `rm -r` make them): the Sentry finds the
# directory through a copy of the caller's descriptor, as it may not search
# the caller's /proc/<tid>/fd (mode 0500, the caller's). The same output as
# under none, as root and as another user.
test_sentry_dirfd_relative_calls() {
        local B=$T/b
        make_bundle "$B" /dirfd /tmp/w
        docker_caps "$B"
        chmod 1777 "$B/rootfs/tmp"
        gcc -static -O2 -o "$B/rootfs/dirfd" -x c - <<'C' || fail "compiling the dirfd probe"
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define TRY(what, call) do { if ((call) < 0) printf("%s: %s\n", what, strerror(errno)); else printf("%s: ok\n", what); } while (0)
int main(int argc, char **argv) {
        mkdir(argv[1], 0755);
        int d = open(argv[1], O_RDONLY | O_DIRECTORY);
        if (d < 0) { perror("open dir"); return 1; }
        int fd = openat(d, "f", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        printf("openat create: %s\n", fd >= 0 ? "ok" : strerror(errno));
        if (fd >= 0) { write(fd, "data\n", 5); close(fd); }
        struct stat st;
        TRY("fstatat", fstatat(d, "f", &st, 0));
        printf("size %lld\n", (long long) st.st_size);
        TRY("mkdirat", mkdirat(d, "sub", 0700));
        TRY("symlinkat", symlinkat("f", d, "l"));
        char buf[64] = "";
        TRY("readlinkat", (int) readlinkat(d, "l", buf, sizeof buf - 1));
        printf("link %s\n", buf);
        TRY("renameat", renameat(d, "f", d, "sub/g"));
        TRY("faccessat", faccessat(d, "sub/g", R_OK, 0));
        TRY("fchmodat", fchmodat(d, "sub/g", 0600, 0));
        TRY("fstatat missing", fstatat(d, "f", &st, 0));
        int sub = openat(d, "sub", O_RDONLY | O_DIRECTORY);
        TRY("openat dir", sub);
        TRY("fchdir", fchdir(sub));
        TRY("stat cwd-relative", stat("g", &st));
        TRY("unlinkat", unlinkat(sub, "g", 0));
        TRY("unlinkat link", unlinkat(d, "l", 0));
        TRY("unlinkat dir", unlinkat(d, "sub", AT_REMOVEDIR));
        TRY("fstatat closed fd", fstatat(99, "x", &st, 0));
        TRY("fstatat file as dirfd", fstatat(1, "x", &st, 0));
        /* O_PATH descriptors (which SECCOMP_IOCTL_NOTIF_ADDFD cannot install) */
        fd = openat(d, "p", O_WRONLY | O_CREAT, 0644);
        close(fd);
        TRY("symlinkat p", symlinkat("p", d, "pl"));
        int pd = open(argv[1], O_PATH | O_DIRECTORY);
        TRY("open O_PATH dir", pd);
        TRY("fstatat via O_PATH dirfd", fstatat(pd, "p", &st, 0));
        int pl = openat(d, "pl", O_PATH | O_NOFOLLOW);
        TRY("open O_PATH|O_NOFOLLOW symlink", pl);
        TRY("fstat of it", fstat(pl, &st));
        printf("is a symlink: %d\n", S_ISLNK(st.st_mode));
        TRY("readlinkat of it", (int) readlinkat(pl, "", buf, sizeof buf - 1));
        TRY("fchmodat nofollow file", fchmodat(d, "p", 0600, AT_SYMLINK_NOFOLLOW));
        TRY("fchmodat nofollow symlink", fchmodat(d, "pl", 0600, AT_SYMLINK_NOFOLLOW));
        TRY("fstatat p", fstatat(d, "p", &st, 0));
        printf("mode %o\n", st.st_mode & 07777);
        TRY("unlinkat p", unlinkat(d, "p", 0));
        TRY("unlinkat pl", unlinkat(d, "pl", 0));
        /* a unix socket's name is what it was bound with: a client may
         * connect to what getsockname() says (the Gofer binds it) */
        int srv = socket(AF_UNIX, SOCK_STREAM, 0), cli = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX}, got = {0};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s/sock", argv[1]);
        TRY("bind", bind(srv, (struct sockaddr *) &sa, sizeof sa));
        TRY("listen", listen(srv, 1));
        socklen_t gl = sizeof got;
        TRY("getsockname", getsockname(srv, (struct sockaddr *) &got, &gl));
        printf("name %s\n", got.sun_path);
        TRY("connect to it", connect(cli, (struct sockaddr *) &got, gl));
        TRY("unlink sock", unlinkat(d, "sock", 0));
        return 0;
}
C
        none_run "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
        local want=$out
        assert_contains "$want" "fstatat: ok"
        rm -rf "$B/rootfs/tmp/w"
        run_bundle_ok "$B"
        assert_eq "$want" "$out" "output under sentry vs none (root)"
        rm -rf "$B/rootfs/tmp/w"
        edit_config "$B" "c['process']['user']={'uid':1000,'gid':1000}"
        none_run "$B" "$(new_id n)"
        want=$out
        rm -rf "$B/rootfs/tmp/w"
        run_bundle_ok "$B"
        assert_eq "$want" "$out" "output under sentry vs none (uid 1000)"
}

# The Gofer confines itself too: its own seccomp allow-list (no socket, no
# exec, no mount, no ptrace), no_new_privs, only the file capabilities.
test_sentry_gofer_is_confined() {
        assert_ok cocoon features
        local own
        own=$(json_get 'd["annotations"]["io.github.cocoon.gofer.own-syscalls"]' <<<"$out")
        assert_contains "$own" "openat2"
        assert_contains "$own" "renameat2"
        local forbidden
        for forbidden in socket execve mount ptrace process_vm_readv kill tkill rt_sigqueueinfo setns pivot_root; do
                [[ ",$own," != *",$forbidden,"* ]] || fail "the Gofer may call $forbidden"
        done
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'echo x > /tmp/f; cat /tmp/f; sleep 30'
        id=$(new_id g)
        assert_ok cocoon create --bundle "$B" "$id"
        assert_ok cocoon start "$id"
        local g
        g=$(gofer_pid "$id") || fail "no Gofer found"
        wait_file "$B/rootfs/tmp/f"
        local status
        status=$(cat "/proc/$g/status")
        assert_contains "$status" "Seccomp:	2"
        assert_contains "$status" "NoNewPrivs:	1"
        local capeff
        capeff=$(awk '/^CapEff:/ {print $2}' <<<"$status")
        # CAP_SYS_ADMIN (21), CAP_NET_ADMIN (12), CAP_SYS_PTRACE (19): none
        # (CAP_KILL it holds, for the one pidfd its filter lets it signal)
        local bit
        for bit in 21 12 19; do
                (( (16#$capeff >> bit) & 1 )) && fail "the Gofer holds capability $bit (CapEff $capeff)"
        done
        assert_ok cocoon kill "$id" KILL
        wait_status "$id" stopped
        assert_ok cocoon delete "$id"
}

# The workload's init drops to another user (as gosu and su-exec entrypoints
# do), which makes the kernel forget its parent-death signal; the Sentry's
# death must still end it: the Gofer, whose own parent-death signal fires,
# kills it through a pidfd.
test_sentry_killed_supervisor_ends_a_setuid_workload() {
        local B=$T/b id
        make_bundle "$B" /bin/su -s /bin/sh nobody -c 'sleep 1000 & exec sleep 1000'
        docker_caps "$B"
        id=$(new_id)
        start_ctr "$B" "$id"
        wait_for grep -q "^Uid:.*65534" "/proc/$(wl_pid "$id")/status"
        kill_supervisor "$id"
        assert_ok cocoon delete "$id"
}

# uname's release: the Sentry's default (never the host's), --sentry-release
# (daemon.json runtimeArgs), the container's annotation over both; a release
# uname could not show is refused with one line and nothing left.
test_sentry_uname_release_is_configurable() {
        local B=$T/b
        make_bundle "$B" /bin/uname -r
        run_bundle_ok "$B"
        assert_eq "6.1.0-cocoon" "$(head -n 1 <<<"$out")" "default release"
        [ "$(head -n 1 <<<"$out")" != "$(uname -r)" ] || fail "the host's release leaked"
        CC_GLOBAL="$CC_GLOBAL --sentry-release 5.15.0-flag"
        run_bundle_ok "$B"
        assert_eq "5.15.0-flag" "$(head -n 1 <<<"$out")" "release from --sentry-release"
        edit_config "$B" "c['annotations']={'io.github.cocoon.sentry.release': '4.19.0-annotation'}"
        run_bundle_ok "$B"
        assert_eq "4.19.0-annotation" "$(head -n 1 <<<"$out")" "the annotation over the flag"
        edit_config "$B" "c['annotations']={'io.github.cocoon.sentry.release': 'has blank'}"
        run_bundle "$B"
        [ "$rc" != 0 ] || fail "a release with a blank was accepted"
        assert_contains "$err" "io.github.cocoon.sentry.release"
        assert_eq 1 "$(grep -c . <<<"$err")" "error lines"
}

# mknod of device nodes as under Linux: CAP_MKNOD decides, and opening the
# node (through the Gofer, in the container's cgroup) meets the same device
# rules as under `none`: /dev/null's numbers work, a disk's are refused.
test_sentry_mknod_devices_as_none() {
        local B=$T/b
        make_bundle "$B" /bin/sh -c 'mknod /tmp/null c 1 3 && echo hi > /tmp/null && echo wrote-null
                mknod /tmp/disk b 8 0 && { head -c 1 /tmp/disk >/dev/null 2>&1 && echo READ-DISK || echo disk-refused; }
                stat -c "%F %t:%T" /tmp/null; rm -f /tmp/null /tmp/disk'
        docker_caps "$B"
        none_run "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
        local want=$out
        run_bundle_ok "$B"
        assert_eq "$want" "$out" "output under sentry vs none"
        assert_contains "$out" "wrote-null"
        assert_contains "$out" "disk-refused"
        # without CAP_MKNOD (runc spec's capabilities): EPERM, as Linux
        make_bundle "$T/b2" /bin/mknod /tmp/null c 1 3
        run_bundle "$T/b2"
        [ "$rc" != 0 ] || fail "mknod of a device without CAP_MKNOD worked"
        assert_contains "$err" "Operation not permitted"
}

# pids.limit counts the sandbox's own tasks (the tenant pays for its
# sandbox): a limit too small for them is refused with one line at create.
test_sentry_refuses_a_pids_limit_below_its_own_tasks() {
        local B=$T/b
        make_bundle "$B" /bin/true
        edit_config "$B" "c['linux'].setdefault('resources', {})['pids']={'limit': 4}"
        run_bundle "$B"
        [ "$rc" != 0 ] || fail "pids.limit 4 was accepted"
        assert_one_line "$err" "stderr"
        assert_contains "$err" "pids.limit 4 is too small for --sandbox=sentry"
        edit_config "$B" "c['linux']['resources']['pids']={'limit': 12}"
        run_bundle_ok "$B"
}

# ---- the /proc files the Sentry synthesizes (src/sentry/sys_procfs.c) -----------------------

# procfs_bundle B CMD: a bundle running `sh -c CMD` with /procfs_probe in its rootfs.
procfs_bundle() {
        local probe
        probe=$(procfs_probe_bin) || exit 1
        make_bundle "$1" /bin/sh -c "$2"
        cp "$probe" "$1/rootfs/procfs_probe"
}

# MemTotal is the memory limit, whichever way the path is written, and free
# adds up; `stat` by path is still procfs's.  Under `none` (as under runc)
# the kernel's /proc shows the host's memory.
test_sentry_proc_meminfo_is_the_memory_limit() {
        local B=$T/b
        procfs_bundle "$B" 'grep ^MemTotal: /proc/meminfo
                free | awk "/^Mem:/ {print \$2, \$3, \$4}"
                head -n 1 /proc/self/../meminfo; head -n 1 /proc/./meminfo
                head -n 1 /proc/thread-self/../../../meminfo; head -n 1 /proc/self/root/proc/meminfo
                (cd /proc && head -n 1 meminfo); /procfs_probe openat /proc meminfo
                stat -c "%s %a" /proc/meminfo /proc/self/../meminfo
                /procfs_probe fstat /proc/meminfo; /procfs_probe pread /proc/meminfo'
        edit_config "$B" "c['linux'].setdefault('resources', {})['memory']={'limit': 64 * 1024 * 1024}"
        run_bundle_ok "$B"
        local want="MemTotal:          65536 kB" total used free i
        assert_eq "$want" "$(sed -n 1p <<<"$out")" "MemTotal with a 64 MiB limit"
        read -r total used free <<<"$(sed -n 2p <<<"$out")"
        assert_eq 65536 "$total" "free's total"
        { [ "$used" -gt 0 ] && [ "$free" -gt 0 ] && [ $((used + free)) -le 65536 ]; } ||
                fail "free's used $used and free $free do not fit in 65536"
        for i in 3 4 5 6 7 8; do
                assert_eq "$want" "$(sed -n "${i}p" <<<"$out")" "line $i of [$out]"
        done
        assert_eq "0 444" "$(sed -n 9p <<<"$out")" "stat of /proc/meminfo"
        assert_eq "0 444" "$(sed -n 10p <<<"$out")" "stat of /proc/self/../meminfo"
        local size reads
        read -r _ size _ reads <<<"$(sed -n 11p <<<"$out")"
        { [ "$size" -gt 0 ] && [ "$size" = "$reads" ]; } || fail "fstat size $size, read $reads bytes"
        assert_eq same "$(sed -n 12p <<<"$out")" "pread"

        none_run "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
        assert_eq "$(grep ^MemTotal: /proc/meminfo)" "$(sed -n 1p <<<"$out")" "MemTotal under none (the host's)"
}

# The CPUs: ceil(quota / period), the same in nproc, cpuinfo, stat and
# sched_getaffinity.  Under `none` the host's.
test_sentry_proc_cpus_follow_the_cpu_quota() {
        local host
        host=$(nproc)
        [ "$host" -ge 2 ] || skip "needs a host with at least 2 CPUs"
        local B=$T/b
        procfs_bundle "$B" 'echo $(nproc) $(grep -c ^processor /proc/cpuinfo) $(grep -c "^cpu[0-9]" /proc/stat) $(/procfs_probe affinity)'
        edit_config "$B" "c['linux'].setdefault('resources', {})['cpu']={'quota': 100000, 'period': 100000}"
        run_bundle_ok "$B"
        assert_eq "1 1 1 1" "$out" "nproc, cpuinfo, stat, affinity with one CPU's quota"
        edit_config "$B" "c['linux']['resources']['cpu']={'quota': 150000, 'period': 100000}"
        run_bundle_ok "$B"
        assert_eq "2 2 2 2" "$out" "with 1.5 CPUs' quota (rounded up)"
        edit_config "$B" "c['linux']['resources']['cpu']={'quota': 100000, 'period': 100000}"
        none_run "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
        assert_eq "$host $host $host $host" "$out" "under none (the host's)"
}

# uptime since the container was created, loadavg of its own tasks, version
# with the release uname shows.  Under `none` the host's.
test_sentry_proc_uptime_loadavg_version() {
        local B=$T/b
        make_bundle "$B" /bin/sh -c 'cat /proc/uptime /proc/loadavg /proc/version'
        run_bundle_ok "$B"
        local up
        up=$(sed -n 1p <<<"$out" | cut -d' ' -f1)
        awk -v u="$up" 'BEGIN { exit !(u >= 0 && u < 30) }' || fail "uptime $up is not the container's"
        assert_match "$(sed -n 2p <<<"$out")" '^[0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [1-9][0-9]*/[1-9] [0-9]+$' \
                "loadavg (a few tasks of its own)"
        assert_contains "$(sed -n 3p <<<"$out")" "Linux version 6.1.0-cocoon " "version"
        assert_not_contains "$out" "$(uname -r)" "the host's release"
        CC_GLOBAL="$CC_GLOBAL --sentry-release 5.15.0-flag"
        run_bundle_ok "$B"
        assert_contains "$(sed -n 3p <<<"$out")" "Linux version 5.15.0-flag " "version with --sentry-release"

        none_run "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
        assert_contains "$(sed -n 3p <<<"$out")" "$(uname -r)" "version under none (the host's)"
        local host_up
        host_up=$(cut -d' ' -f1 /proc/uptime)
        if awk -v h="$host_up" 'BEGIN { exit !(h > 60) }'; then
                up=$(sed -n 1p <<<"$out" | cut -d' ' -f1)
                awk -v u="$up" 'BEGIN { exit !(u > 60) }' || fail "uptime under none $up is not the host's"
        fi
}

# Opening them for writing fails as procfs in the read-only view would.
test_sentry_proc_files_refuse_writes() {
        local B=$T/b
        procfs_bundle "$B" '/procfs_probe write /proc/meminfo; /procfs_probe write /proc/self/../stat
                echo x > /proc/cpuinfo || echo refused'
        run_bundle_ok "$B"
        assert_eq "rdwr EROFS wronly EROFS trunc EROFS" "$(sed -n 1p <<<"$out")" "meminfo"
        assert_eq "rdwr EROFS wronly EROFS trunc EROFS" "$(sed -n 2p <<<"$out")" "stat"
        assert_eq refused "$(sed -n 3p <<<"$out")" "shell redirection"
        assert_contains "$err" "Read-only file system"
}

# A file the config mounts over /proc/meminfo (as LXCFS's) is left alone.
test_sentry_proc_mounted_over_is_not_synthesized() {
        local B=$T/b
        make_bundle "$B" /bin/sh -c 'head -n 1 /proc/meminfo; cut -d" " -f1 /proc/uptime'
        echo "MemTotal: from the mount" >"$T/meminfo"
        edit_config "$B" "c['mounts'].append({'destination': '/proc/meminfo', 'type': 'bind', 'source': '$T/meminfo', 'options': ['bind', 'ro']})"
        run_bundle_ok "$B"
        assert_eq "MemTotal: from the mount" "$(sed -n 1p <<<"$out")" "the mounted file"
        local up
        up=$(sed -n 2p <<<"$out")
        awk -v u="$up" 'BEGIN { exit !(u >= 0 && u < 30) }' || fail "uptime $up: no longer the container's"
}

# openat relative to a directory descriptor: the Sentry takes the descriptor
# (pidfd_getfd) to learn its path, since /proc/<pid>/fd of a root workload
# is closed to the Sentry's uid nobody.  Without and with Docker's
# capabilities (the Gofer, the fast path).
test_sentry_openat_relative_to_a_dirfd() {
        local B=$T/b
        procfs_bundle "$B" '/procfs_probe openat /etc passwd; /procfs_probe openat /proc/self ../version'
        run_bundle_ok "$B"
        assert_eq "root:x:0:0:root:/root:/bin/sh" "$(sed -n 1p <<<"$out")" "openat(<fd of /etc>, passwd)"
        assert_contains "$(sed -n 2p <<<"$out")" "Linux version 6.1.0-cocoon " "openat(<fd of /proc/self>, ../version)"
        docker_caps "$B"
        run_bundle_ok "$B"
        assert_eq "root:x:0:0:root:/root:/bin/sh" "$(sed -n 1p <<<"$out")" "with Docker's capabilities"
}

# ---- the mounts the kernel writes itself (src/runtime/init.c) --------------------------------

# /dev/shm stays as the config mounted it when the workload's view turns
# read-only: writable (shm_open and sem_open create files there), or
# read-only when the config says "ro"; the rootfs reached through a symlink
# made there is still read-only.
test_sentry_dev_shm_as_configured() {
        local B=$T/b
        make_bundle "$B" /bin/sh -c 'echo x >/dev/shm/f && cat /dev/shm/f && ln -s / /dev/shm/r &&
                { echo y >>/dev/shm/r/etc/hostname; echo "rc $?"; }'
        run_bundle_ok "$B"
        assert_contains "$out" "x" "a file in /dev/shm"
        assert_match "$out" $'\nrc [1-9]' "writing the rootfs through /dev/shm"
        assert_contains "$err" "Read-only file system" "writing the rootfs through /dev/shm"
        edit_config "$B" '[m["options"].append("ro") for m in c["mounts"] if m["destination"] == "/dev/shm"]'
        set_args "$B" /bin/sh -c 'echo x >/dev/shm/f; echo "rc $?"'
        run_bundle "$B"
        assert_match "$out" '^rc [1-9]' "/dev/shm mounted ro"
        assert_contains "$err" "Read-only file system" "/dev/shm mounted ro"
}

# /proc/sys shows a curated set of keys (src/linux/rootfs.c proc_sys_keys),
# each the kernel's own file in the container's namespaces, read-only; the
# host's configuration and identity (core_pattern, random/boot_id) are not
# there.  A sysctl the config sets is seen through it.  Under none, as
# under runc, the whole /proc/sys is the kernel's (read-only).
test_sentry_proc_sys_is_curated() {
        local B=$T/b want
        make_bundle "$B" /bin/sh -c 'for k in kernel/ostype kernel/pid_max kernel/shmmni vm/overcommit_memory net/core/somaxconn net/ipv4/ip_forward fs/inotify/max_user_watches; do echo "$k $(cat /proc/sys/$k)"; done
                for k in kernel/core_pattern kernel/random/boot_id fs/dentry-state kernel/tainted; do [ -e /proc/sys/$k ] && echo "has $k"; done
                ls /proc/sys/kernel | grep -c .
                echo 0 >/proc/sys/kernel/shmmni || echo refused
                echo "mounts $(grep -c " /proc/sys" /proc/self/mountinfo)"'
        edit_config "$B" "c['linux']['sysctl'] = {'net.ipv4.ip_forward': '1', 'kernel.shmmni': '1234'}"
        capture "$COCOON" --root "$ROOT" --sandbox none run --bundle "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none: rc=$rc $err"
        want=$(sed -n 1,7p <<<"$out")
        assert_contains "$out" "has kernel/core_pattern" "none: the kernel's whole /proc/sys"
        assert_contains "$want" "net/ipv4/ip_forward 1" "none: the config's sysctl"
        assert_contains "$want" "kernel/shmmni 1234" "none: the config's sysctl"
        run_bundle_ok "$B"
        assert_eq "$want" "$(sed -n 1,7p <<<"$out")" "the curated keys read as under none"
        assert_not_contains "$out" "has " "keys of the host's configuration or identity"
        local n
        n=$(sed -n 8p <<<"$out")
        [ "$n" -ge 10 ] && [ "$n" -le 30 ] || fail "/proc/sys/kernel lists $n entries, not the curated set"
        assert_eq refused "$(sed -n 9p <<<"$out")" "a write"
        assert_contains "$err" "Read-only file system" "a write"
        n=$(sed -n 's/^mounts //p' <<<"$out")
        [ "$n" -le 40 ] || fail "$n mounts below /proc/sys: each key shown more than once"
}

# The host kernel's own files in /proc (its build configuration, symbols,
# modules, swap devices) read as empty under sentry (src/linux/rootfs.c
# proc_host_files); under none they are the kernel's, as under runc.
test_sentry_proc_host_kernel_files_are_empty() {
        local B=$T/b f sz
        make_bundle "$B" /bin/sh -c 'for f in /proc/config.gz /proc/kallsyms /proc/modules /proc/swaps; do [ -e $f ] && echo "$f $(wc -c <$f)"; done; true'
        capture "$COCOON" --root "$ROOT" --sandbox none run --bundle "$B" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none: rc=$rc $err"
        local none=$out
        [ -e /proc/kallsyms ] && assert_match "$none" '/proc/kallsyms [1-9]' "none: the kernel's symbols"
        run_bundle_ok "$B"
        for f in /proc/config.gz /proc/kallsyms /proc/modules /proc/swaps; do
                [ -e "$f" ] || continue
                sz=$(awk -v f="$f" '$1 == f { print $2 }' <<<"$out")
                assert_eq 0 "$sz" "$f under sentry"
        done
}
