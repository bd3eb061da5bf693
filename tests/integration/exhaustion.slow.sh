# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# Resource exhaustion from inside a container (issue 8, item 2), under the
# sandboxes `none`, `sentry` and `vm`: a fork bomb under pids.limit, a memory bomb
# under a memory limit, a full tmpfs, fd exhaustion under RLIMIT_NOFILE and a
# CPU spinner under a CFS quota.  Each time the limit is enforced on the
# attacker, and the container survives as it would under runc: its init
# still runs, the Sentry (the state's pid), the workload's init and the Gofer
# are the same processes as before, and a later `cocoon exec` works.
# Under vm the workload's limits are the guest's (docs/vm.md, "Cgroup"): the
# guest's counters are read with `cocoon events --stats`, the host cgroup
# (the monitor and QEMU) must not hit its own limits, and the monitor and
# QEMU are the processes that must survive.
# The neighbour's latency during an attack is measured in bench/neighbour.sh
# (a timing has no place in a timed test).
# test-timeout: 300

# ex_cocoon SANDBOX ARGS...: cocoon with the given sandbox (later commands
# read the sandbox from the state anyway).
ex_cocoon() {
        local sb=$1
        shift
        "$COCOON" --root "$ROOT" --sandbox "$sb" "$@"
}

# ex_bundle DIR RESOURCES-PYTHON-DICT: a bundle with linux.resources set,
# whose init is a minimal reaper (what `docker run --init` gives): it waits
# for any child, so attackers killed from outside do not stay behind as
# zombies (which count against pids.max), and it never forks (a shell loop
# as init would itself die of "can't fork" under a fork bomb, under runc
# as well).
ex_bundle() {
        have_cmd gcc || skip "gcc not installed (builds the container's init)"
        if [ ! -x "$T/reaper" ]; then
                printf '%s\n' '#include <sys/wait.h>' '#include <unistd.h>' \
                        'int main(void) { for (;;) if (wait(NULL) < 0) sleep(1); }' >"$T/reaper.c"
                gcc -static -O2 -o "$T/reaper" "$T/reaper.c" || fail "building the reaper"
        fi
        make_bundle "$1" /reaper
        cp "$T/reaper" "$1/rootfs/reaper"
        edit_config "$1" "c['linux']['resources'] = $2"
}

# ex_start SANDBOX BUNDLE: create + start; sets $id and $procs ("pid:starttime"
# of the init, and for sentry of the supervisor and the Gofer).
ex_start() {
        local sb=$1 bundle=$2 w s g q
        id=$(new_id "$sb")
        ex_sb=$sb
        if [ "$sb" = vm ]; then
                [ -s "$TESTS_DIR/../build/guest/vmlinux" ] || fail "no guest assets in build/guest: run make"
        fi
        assert_ok ex_cocoon "$sb" create --bundle "$bundle" "$id"
        assert_ok ex_cocoon "$sb" start "$id"
        s=$(pid_of "$id")
        track_pid "$s"
        if [ "$sb" = sentry ]; then
                w=$(json_get 'd["workload_pid"]' "$ROOT/$id/state.json")
                g=$(pgrep -P "$s" -x cocoon-gofer) || fail "no cocoon-gofer child of the supervisor $s"
                track_pid "$w"
                track_pid "$g"
                assert_eq cocoon-sentry "$(cat "/proc/$s/comm")" "comm of the supervisor"
                procs="init:$w:$(ex_start_time "$w") sentry:$s:$(ex_start_time "$s") gofer:$g:$(ex_start_time "$g")"
        elif [ "$sb" = vm ]; then
                # the guest's init is out of the host's reach: the monitor
                # and QEMU stand for the container (its init's death ends both)
                q=$(cut -d' ' -f1 "$ROOT/$id/qemu.pid")
                track_pid "$q"
                procs="monitor:$s:$(ex_start_time "$s") qemu:$q:$(ex_start_time "$q")"
        else
                procs="init:$s:$(ex_start_time "$s")"
        fi
        return 0
}

# ex_threads NAME: the thread count of a process of $procs.
ex_threads() {
        local p=${procs#*"$1":}
        awk '$1 == "Threads:" {print $2}' "/proc/${p%%:*}/status"
}

ex_start_time() { cut -d' ' -f22 "/proc/$1/stat"; }

# ex_keep_pids: the pids of $procs, one per line (the processes not to kill).
ex_keep_pids() {
        local p
        for p in $procs; do
                p=${p#*:}
                echo "${p%%:*}"
        done
}

# ex_cgdir CONTROLLER: the container's cgroup directory of a v1 controller,
# else the unified hierarchy's (from the init's /proc/PID/cgroup).
ex_cgdir() {
        local ctl=$1 pid line mnt
        pid=$(ex_keep_pids | head -n1)
        line=$(grep -E "^[0-9]+:([^:]*,)?$ctl(,[^:]*)?:" "/proc/$pid/cgroup" || true)
        if [ -n "$line" ]; then
                mnt=$(findmnt -n -o TARGET,OPTIONS -t cgroup |
                        awk -v c="$ctl" '{n=split($2,o,","); for(i=1;i<=n;i++) if(o[i]==c) {print $1; exit}}')
        else
                line=$(grep '^0::' "/proc/$pid/cgroup")
                mnt=$(findmnt -n -o TARGET -t cgroup2 | head -n1)
        fi
        if [ -z "$line" ] || [ -z "$mnt" ]; then fail "no $ctl cgroup for pid $pid"; fi
        echo "$mnt${line#*:*:}"
}

# ex_alive: every process of $procs is the same live process as at start.
ex_alive() {
        local p name pid st
        for p in $procs; do
                name=${p%%:*}
                pid=${p#*:}
                st=${pid#*:}
                pid=${pid%%:*}
                pid_alive "$pid" || fail "the $name ($pid) died"
                assert_eq "$st" "$(ex_start_time "$pid")" "start time of the $name ($pid)"
        done
}

# ex_survived: every process of $procs is the same live process as at start,
# the container is running, and a new process can run in it.
ex_survived() {
        ex_alive
        assert_eq running "$(status_of "$id")" "status after the attack"
        capture timeout 60 "$COCOON" --root "$ROOT" exec "$id" /bin/sh -c 'echo alive; cat /etc/hostname >/dev/null && echo files'
        [ "$rc" = 0 ] || fail "exec after the attack failed (rc=$rc): $err"
        assert_eq "alive
files" "$out" "output of exec after the attack"
}

# ex_guest_pids: pids.current of the workload's cgroup in the guest (vm),
# zombies and threads included; without a pids limit (no pids controller
# there) the number of its processes, from `ps`'s table (the guest's
# processes; `ps --format json` gives the host's pids, the monitor and QEMU,
# for engines: docs/vm.md).
ex_guest_pids() {
        local n
        n=$(timeout 60 "$COCOON" --root "$ROOT" events --stats "$id" | json_get 'd["data"]["pids"].get("current", "")') || return 1
        if [ -z "$n" ]; then
                n=$(timeout 60 "$COCOON" --root "$ROOT" ps "$id") || return 1
                n=$(($(wc -l <<<"$n") - 1))
        fi
        echo "$n"
}

# ex_guest_quiet N: wait until the guest's container holds at most N tasks.
ex_guest_quiet() {
        local cur
        for _ in $(seq 1 120); do
                cur=$(ex_guest_pids) && [ "$cur" -le "$1" ] && return 0
                sleep 0.5
        done
        fail "the guest's pids.current is still $cur (want <= $1)"
}

# ex_kill_attackers: SIGKILL every process of the container's cgroup but the
# init and the sandbox's own, until none is left (a fork bomb refills).
# Under vm the processes are the guest's: `kill -9 -1` from inside reaches
# every one but the container's init (a pid namespace's init ignores it)
# and the caller.
ex_kill_attackers() {
        local dir keep victims
        if [ "$ex_sb" = vm ]; then
                capture timeout 60 "$COCOON" --root "$ROOT" exec "$id" /bin/sh -c 'kill -KILL -1; exit 0'
                [ "$rc" = 0 ] || fail "exec of kill -1 in the guest failed (rc=$rc): $err"
                ex_guest_quiet 1
                return 0
        fi
        dir=$(ex_cgdir pids)
        keep=$(ex_keep_pids | tr '\n' ' ')
        for _ in $(seq 1 200); do
                victims=$(awk -v keep=" $keep" 'index(keep, " " $1 " ") == 0' "$dir/cgroup.procs")
                [ -z "$victims" ] && break
                # shellcheck disable=SC2086
                kill -KILL $victims 2>/dev/null || true
                sleep 0.05
        done
        [ -z "$victims" ] || fail "processes still in $dir after 10 s: $(tr '\n' ' ' <"$dir/cgroup.procs")"
        # A killed task leaves cgroup.procs at once but stays charged to
        # pids.current until the container's init has reaped it: wait for
        # room, or the next fork in the container is EAGAIN.
        local max cur
        max=$(cat "$dir/pids.max")
        [ "$max" = max ] && return 0
        for _ in $(seq 1 200); do
                cur=$(cat "$dir/pids.current")
                [ $((max - cur)) -ge 16 ] && return 0
                sleep 0.05
        done
        fail "pids.current still $cur of $max 10 s after the attackers were killed"
}

# ex_exec_bg SCRIPT: `cocoon exec` SCRIPT in the background; $attacker is the
# exec command's pid, its stderr goes to $T/attack.err, its status to
# $T/attack.rc.
ex_exec_bg() {
        rm -f "$T/attack.rc"
        ( r=0; "$COCOON" --root "$ROOT" exec "$id" /bin/sh -c "$1" >"$T/attack.out" 2>"$T/attack.err" || r=$?
          echo "$r" >"$T/attack.rc" ) &
        attacker=$!
        track_pid "$attacker"
}

# ---------------------------------------------------------------- fork bomb

# pids.limit 96: room for the sandbox (under sentry the supervisor's and the
# Gofer's threads count too) and a bomb that fills the rest.
ex_fork_bomb() {
        local sb=$1 B=$T/b dir cur max
        ex_bundle "$B" "{'pids': {'limit': 96}}"
        ex_start "$sb" "$B"
        dir=$(ex_cgdir pids)
        assert_eq 96 "$(cat "$dir/pids.max")" "pids.max"
        # every shell forks two more and waits, again and again: the tree
        # grows until fork fails (which ends the shell that tried), and
        # refills the places of those that ended
        ex_exec_bg 'b() { while :; do b & b & wait; sleep 0.2; done; }; b'
        for _ in $(seq 1 400); do
                cur=$(cat "$dir/pids.current")
                [ "$cur" -ge 96 ] && break
                sleep 0.05
        done
        assert_eq 96 "$cur" "pids.current under the bomb"
        # the kernel refused forks (pids.events: max N) and the shells said so
        sleep 1
        max=$(awk '$1 == "max" {print $2}' "$dir/pids.events")
        [ "${max:-0}" -gt 0 ] || fail "pids.events reports no refused fork: $(cat "$dir/pids.events")"
        assert_contains "$(head -c 4000 "$T/attack.err")" "can't fork" "stderr of the bomb"
        # still full: the bomb is at work while the sandbox is checked
        cur=$(cat "$dir/pids.current")
        if [ "$cur" -lt 64 ] || [ "$cur" -gt 96 ]; then fail "pids.current 1 s later: $cur"; fi
        ex_alive
        ex_kill_attackers
        wait "$attacker" || true
        ex_survived
        destroy "$id"
}

test_fork_bomb_none() { ex_fork_bomb none; }
test_fork_bomb_sentry() { ex_fork_bomb sentry; }

# ex_host_pids_untouched: the host cgroup of a vm container (the monitor and
# QEMU) never had a fork refused: the guest enforced the limit alone.
ex_host_pids_untouched() {
        local dir max
        dir=$(ex_cgdir pids)
        max=$(awk '$1 == "max" {print $2}' "$dir/pids.events")
        assert_eq 0 "${max:-0}" "refused forks in the host cgroup (pids.events; pids.max $(cat "$dir/pids.max"))"
}

# Under vm the bomb fills the guest's cgroup; the host's pids.max is the
# limit plus QEMU's threads (docs/vm.md) and must never be reached. The
# attackers cannot be killed from the host (their pids are the guest's) nor
# from inside while the bomb holds every pid (an exec needs a fork, which
# the bomb wins).

# ex_vm_bomb_full: wait until the bomb holds every pid of the guest's
# container. (It once froze a pid or two short, its shells hung in `wait`
# beside dead children: the agent's blocked SIGCHLD was inherited.)
ex_vm_bomb_full() {
        for _ in $(seq 1 240); do
                cur=$(ex_guest_pids) || fail "events --stats during the bomb"
                [ "$cur" -ge 96 ] && break
                sleep 0.5
        done
        assert_eq 96 "$cur" "the guest's pids.current under the bomb"
}

# ex_stop_bomb_vm BUNDLE: each shell of the bomb stops at the file
# /tmp/stop-bomb, written on the host into the rootfs the guest shares over
# 9p, and the bomb drains by itself (each shell ends once its children did).
ex_stop_bomb_vm() {
        touch "$1/rootfs/tmp/stop-bomb"
        ex_guest_quiet 1
        rm "$1/rootfs/tmp/stop-bomb"
}

test_fork_bomb_vm() {
        local B=$T/b cur
        ex_bundle "$B" "{'pids': {'limit': 96}}"
        ex_start vm "$B"
        ex_exec_bg 'b() { while [ ! -e /tmp/stop-bomb ]; do b & b & wait; sleep 0.2; done; }; b'
        ex_vm_bomb_full
        for _ in $(seq 1 100); do
                grep -q "can't fork" "$T/attack.err" && break
                sleep 0.1
        done
        assert_contains "$(head -c 4000 "$T/attack.err")" "can't fork" "stderr of the bomb"
        sleep 1
        cur=$(ex_guest_pids)
        if [ "$cur" -lt 64 ] || [ "$cur" -gt 96 ]; then fail "the guest's pids.current 1 s later: $cur"; fi
        ex_alive
        ex_host_pids_untouched
        note "host cgroup during the bomb: pids.current $(cat "$(ex_cgdir pids)/pids.current") of $(cat "$(ex_cgdir pids)/pids.max")"
        ex_stop_bomb_vm "$B"
        wait "$attacker" || true
        ex_host_pids_untouched
        ex_survived
        destroy "$id"
}

# While a fork bomb holds every pid of the container, a process that is
# already running creates, writes and reads files (shell builtins only: no
# fork).  Linux needs no new task for that; under sentry a Sentry worker's
# first Gofer call needs a new Gofer thread, which pids.max refuses: that
# call fails with EAGAIN, and the container must not be killed as if the
# Gofer had died (it was, before: "the gofer of container ... died").
ex_files_during_fork_bomb() {
        local sb=$1 B=$T/b dir cur a
        ex_bundle "$B" "{'pids': {'limit': 96}}"
        ex_start "$sb" "$B"
        dir=$(ex_cgdir pids)
        # The writer first makes its Sentry's worker pool grow: two FIFO
        # opens block in Gofer calls, so a third worker starts, which has no
        # Gofer connection yet (a worker connects on its first Gofer call).
        # Then it waits in a read from a pipe (a host-direct call) and goes
        # on once the bomb holds every pid.
        mkfifo "$B/rootfs/tmp/p1" "$B/rootfs/tmp/p2"
        mkfifo "$T/go"
        exec 8<>"$T/go"
        # shellcheck disable=SC2016
        capture timeout 10 "$COCOON" --root "$ROOT" exec -d --pid-file "$T/writer.pid" "$id" /bin/sh -c '
(exec 3</tmp/p1) &
(exec 3</tmp/p2) &
wait
read -r go
exec 2>/tmp/writer.err
i=0; ok=0
while [ $i -lt 100 ]; do
        if echo "$i" >/tmp/f$i && read -r x </tmp/f$i && [ "$x" = "$i" ]; then ok=$((ok + 1)); fi
        i=$((i + 1))
done
echo "ok $ok" >/tmp/writer.out' <&8
        [ "$rc" = 0 ] || fail "exec -d of the writer: $err"
        a=$(cat "$T/writer.pid")
        track_pid "$a"
        sleep 1 # both opens are blocked by now (or soon: the host's opens below wait for them)
        [ "$sb" != sentry ] || note "supervisor threads with both FIFO opens pending: $(ex_threads sentry)"
        exec 5>"$B/rootfs/tmp/p1" 6>"$B/rootfs/tmp/p2"
        exec 5>&- 6>&-
        wait_for grep -qE "^(pipe_read|poll_schedule_timeout.*)$" "/proc/$a/wchan"
        [ "$sb" != sentry ] || note "supervisor threads once the opens are done: $(ex_threads sentry)"
        # shellcheck disable=SC2016
        capture timeout 10 "$COCOON" --root "$ROOT" exec -d "$id" /bin/sh -c 'b() { while :; do b & b & wait; sleep 0.2; done; }; b'
        [ "$rc" = 0 ] || fail "exec -d of the bomb: $err"
        for _ in $(seq 1 200); do
                cur=$(cat "$dir/pids.current")
                [ "$cur" -ge 96 ] && break
                sleep 0.05
        done
        assert_eq 96 "$cur" "pids.current under the bomb"
        echo go >&8
        wait_pid_gone "$a"
        exec 8>&-
        ex_alive
        if [ "$sb" = none ]; then
                assert_eq "ok 100" "$(cat "$B/rootfs/tmp/writer.out")" "files written and read under the bomb"
        else
                # Some calls may have failed, as a resource shortage and
                # nothing else (the first file call, `exec 2>`, may be one).
                [ ! -s "$B/rootfs/tmp/writer.err" ] ||
                        assert_contains "$(cat "$B/rootfs/tmp/writer.err")" "Resource temporarily unavailable" "the writer's errors"
                note "under the bomb: $(cat "$B/rootfs/tmp/writer.out" 2>/dev/null || echo "no output") of 100 written and read;" \
                        "errors: $(head -c 300 "$B/rootfs/tmp/writer.err" 2>/dev/null)"
        fi
        ex_kill_attackers
        ex_survived
        destroy "$id"
}

test_files_during_fork_bomb_none() { ex_files_during_fork_bomb none; }
test_files_during_fork_bomb_sentry() { ex_files_during_fork_bomb sentry; }

# Under vm the files are the guest kernel's 9p client talking to QEMU's 9p
# server on the host, whose worker threads count in the host cgroup (room
# for them is what the host's pids.max adds): no file call may fail while
# the bomb holds every pid of the guest's container. The writer waits for
# /tmp/go (written on the host, seen over 9p) with shell builtins only.
test_files_during_fork_bomb_vm() {
        local B=$T/b cur
        ex_bundle "$B" "{'pids': {'limit': 96}}"
        ex_start vm "$B"
        mkfifo "$B/rootfs/tmp/tick" # (a pipe of the guest's: the writer's idle wait)
        # shellcheck disable=SC2016
        capture timeout 60 "$COCOON" --root "$ROOT" exec -d "$id" /bin/sh -c '
while [ ! -e /tmp/go ]; do read -r -t 1 x <>/tmp/tick; done
exec 2>/tmp/writer.err
i=0; ok=0
while [ $i -lt 100 ]; do
        if echo "$i" >/tmp/f$i && read -r x </tmp/f$i && [ "$x" = "$i" ]; then ok=$((ok + 1)); fi
        i=$((i + 1))
done
echo "ok $ok" >/tmp/writer.out'
        [ "$rc" = 0 ] || fail "exec -d of the writer: $err"
        ex_exec_bg 'b() { while [ ! -e /tmp/stop-bomb ]; do b & b & wait; sleep 0.2; done; }; b'
        ex_vm_bomb_full
        touch "$B/rootfs/tmp/go"
        for _ in $(seq 1 240); do
                [ -s "$B/rootfs/tmp/writer.out" ] && break
                sleep 0.5
        done
        cur=$(ex_guest_pids)
        # (the bomb refills as its shells die of failed forks, as on a host)
        [ "$cur" -ge 64 ] || fail "the bomb let go while the writer wrote (pids.current $cur): proves nothing"
        ex_alive
        assert_eq "ok 100" "$(cat "$B/rootfs/tmp/writer.out" 2>/dev/null)" "files written and read under the bomb (errors: $(head -c 300 "$B/rootfs/tmp/writer.err" 2>/dev/null))"
        ex_host_pids_untouched
        ex_stop_bomb_vm "$B"
        wait "$attacker" || true
        ex_survived
        destroy "$id"
}

# -------------------------------------------------------------- memory bomb

# 64 MiB of memory (and of memory+swap where the host accounts swap) against a
# shell that builds a 256 MB string: the kernel's OOM killer picks the hog
# (the largest process of the cgroup), not the init, the Sentry or the Gofer.
ex_memory_bomb() {
        local sb=$1 B=$T/b dir res
        res="{'memory': {'limit': 67108864}}"
        [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] &&
                res="{'memory': {'limit': 67108864, 'swap': 67108864}}"
        ex_bundle "$B" "$res"
        # The bomb touches 256 MiB, one MiB at a time.  In C, not a shell
        # string grown from `head | tr`: under TCG that pipeline moves the
        # 64 MiB a byte at a time (~20 s on an idle host, past 120 s on a
        # loaded one), which timed the emulator, not the OOM killer.
        gcc -static -O2 -o "$B/rootfs/bomb" -x c - <<'C' || fail "building the memory bomb"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
        for (int i = 0; i < 256; i++) {
                char *p = malloc(1 << 20);
                if (!p) { puts("malloc failed"); return 1; }
                memset(p, i | 1, 1 << 20);
        }
        puts("survived 256 MiB");
        return 0;
}
C
        ex_start "$sb" "$B"
        dir=$(ex_cgdir memory)
        capture timeout 120 "$COCOON" --root "$ROOT" exec "$id" /bomb
        assert_not_contains "$out" survived "output of the memory bomb"
        assert_eq 137 "$rc" "exit status of the memory bomb (SIGKILL by the OOM killer)"
        if [ "$sb" = vm ]; then
                # the guest's OOM killer, in the guest's cgroup; the host's
                # (QEMU's limit is the guest's RAM + 192 MiB) never fired
                # (no cgroup namespace: /sys/fs/cgroup is the guest's whole hierarchy)
                # shellcheck disable=SC2016
                assert_ok timeout 60 "$COCOON" --root "$ROOT" exec "$id" /bin/sh -c \
                        'cat "/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)/memory.events"'
                assert_match "$out" 'oom_kill [1-9]' "the guest's memory.events"
                local ev=$dir/memory.events
                [ -e "$dir/memory.oom_control" ] && ev=$dir/memory.oom_control # (v1)
                assert_eq 0 "$(awk '$1 == "oom_kill" {print $2}' "$ev")" "oom_kill of the host cgroup's ${ev##*/}"
        elif [ -e "$dir/memory.oom_control" ]; then
                assert_match "$(cat "$dir/memory.oom_control")" 'oom_kill [1-9]' "memory.oom_control"
        else
                assert_match "$(cat "$dir/memory.events")" 'oom_kill [1-9]' "memory.events"
        fi
        ex_kill_attackers # anything the bomb left
        ex_survived
        destroy "$id"
}

test_memory_bomb_none() { ex_memory_bomb none; }
test_memory_bomb_sentry() { ex_memory_bomb sentry; }
test_memory_bomb_vm() { ex_memory_bomb vm; }

# ---------------------------------------------------------------- tmpfs fill

# A 4 MiB tmpfs filled with 16 MiB: the writer gets ENOSPC, the files already
# there stay, and space freed by rm can be used again.
ex_tmpfs_fill() {
        local sb=$1 B=$T/b
        ex_bundle "$B" "{'memory': {'limit': 268435456}}"
        edit_config "$B" "c['mounts'].append({'destination': '/fill', 'type': 'tmpfs', 'source': 'tmpfs',
                'options': ['nosuid', 'nodev', 'size=4m']})"
        ex_start "$sb" "$B"
        capture timeout 60 "$COCOON" --root "$ROOT" exec "$id" /bin/sh -c \
                'echo keep >/fill/keep && dd if=/dev/zero of=/fill/big bs=1M count=16; echo "dd: $?"'
        assert_eq 0 "$rc" "exec of the filler"
        assert_contains "$err" "No space left on device" "stderr of dd"
        assert_contains "$out" "dd: 1" "status of dd"
        assert_ok timeout 60 "$COCOON" --root "$ROOT" exec "$id" /bin/sh -c \
                'df -k /fill | tail -n 1; cat /fill/keep; rm /fill/big && echo again >/fill/again && cat /fill/again'
        assert_match "$out" ' 4096 +4096 +0 ' "df of the full tmpfs"
        assert_contains "$out" "keep
again" "the tmpfs after rm"
        ex_survived
        destroy "$id"
}

test_tmpfs_fill_none() { ex_tmpfs_fill none; }
test_tmpfs_fill_sentry() { ex_tmpfs_fill sentry; }
test_tmpfs_fill_vm() { ex_tmpfs_fill vm; }

# ------------------------------------------------------------ fd exhaustion

# RLIMIT_NOFILE 256: a shell opens /etc/passwd until the kernel (or, under
# sentry, the Sentry's ADDFD into the caller's table) says EMFILE, and then
# holds every fd while another process of the container works.
ex_fd_exhaustion() {
        local sb=$1 B=$T/b
        ex_bundle "$B" "{'pids': {'limit': 512}}"
        edit_config "$B" "c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'hard': 256, 'soft': 256}]"
        ex_start "$sb" "$B"
        # (a failed redirection of `exec` ends a shell, so try each fd in a subshell first)
        # shellcheck disable=SC2016  # expanded by the container's shell
        ex_exec_bg 'i=3
while [ $i -lt 1000 ]; do
        (eval "exec $i</etc/passwd") 2>/dev/null || break
        eval "exec $i</etc/passwd"
        i=$((i + 1))
done
echo "opened up to $i"
cat /etc/hostname
echo "cat: $?"
touch /tmp/full
sleep 100000'
        for _ in $(seq 1 600); do
                grep -q "cat:" "$T/attack.out" 2>/dev/null && break
                [ -e "$T/attack.rc" ] && fail "the fd hog ended: $(cat "$T/attack.out" "$T/attack.err")"
                sleep 0.05
        done
        assert_contains "$(cat "$T/attack.out")" "opened up to 256" "the fd hog's output"
        assert_contains "$(cat "$T/attack.out")" "cat: 1" "cat with no fd left"
        assert_contains "$(cat "$T/attack.err")" "Too many open files" "the fd hog's errors"
        # the hog still holds its 253 fds while the container serves others
        ex_survived
        ex_kill_attackers
        wait "$attacker" || true
        ex_survived
        destroy "$id"
}

test_fd_exhaustion_none() { ex_fd_exhaustion none; }
test_fd_exhaustion_sentry() { ex_fd_exhaustion sentry; }
test_fd_exhaustion_vm() { ex_fd_exhaustion vm; }

# ---------------------------------------------------------------- CPU spinner

# A quota of 0.2 CPU (20 ms per 100 ms period): a busy loop is throttled to
# it, and the container (under sentry: the Sentry shares that quota) still
# runs a new process.
#
# Under vm the quota is the host cgroup's, where QEMU's vCPU thread runs
# (docs/vm.md): it bounds the whole VM, the guest's kernel and agent with
# the spinner. The VM boots with 1 CPU and gets 0.2 by `update` once it
# runs: the boot is charged to the quota too, and under TCG 0.2 CPU made
# an 8 s boot take 29 s (docs/security.md, "Exhaustion").
ex_cpu_spinner() {
        local sb=$1 B=$T/b dir u0 u1 used thr
        if [ "$sb" = vm ]; then
                ex_bundle "$B" "{'cpu': {'quota': 100000, 'period': 100000}}"
                ex_start "$sb" "$B"
                assert_ok timeout 60 "$COCOON" --root "$ROOT" update --cpu-quota 20000 --cpu-period 100000 "$id"
        else
                ex_bundle "$B" "{'cpu': {'quota': 20000, 'period': 100000}}"
                ex_start "$sb" "$B"
        fi
        dir=$(ex_cgdir cpuacct)
        # shellcheck disable=SC2016
        ex_exec_bg 'while :; do :; done'
        sleep 1
        if [ -e "$dir/cpuacct.usage" ]; then
                u0=$(cat "$dir/cpuacct.usage")
                sleep 3
                u1=$(cat "$dir/cpuacct.usage")
                used=$(((u1 - u0) / 1000000)) # ms of CPU in 3 s
        else
                u0=$(awk '$1 == "usage_usec" {print $2}' "$dir/cpu.stat")
                sleep 3
                u1=$(awk '$1 == "usage_usec" {print $2}' "$dir/cpu.stat")
                used=$(((u1 - u0) / 1000))
        fi
        note "CPU used in 3 s under a 0.2 CPU quota: $used ms"
        # 0.2 CPU for 3 s is 600 ms; a period boundary or two of slack
        [ "$used" -le 800 ] || fail "the spinner used $used ms of CPU in 3 s (quota: 600 ms)"
        [ "$used" -gt 0 ] || fail "the spinner did not run"
        dir=$(ex_cgdir cpu)
        thr=$(awk '$1 == "nr_throttled" {print $2}' "$dir/cpu.stat")
        [ "${thr:-0}" -gt 0 ] || fail "cpu.stat reports no throttling: $(cat "$dir/cpu.stat")"
        # while it spins
        ex_survived
        ex_kill_attackers
        wait "$attacker" || true
        ex_survived
        destroy "$id"
}

test_cpu_spinner_none() { ex_cpu_spinner none; }
test_cpu_spinner_sentry() { ex_cpu_spinner sentry; }
test_cpu_spinner_vm() { ex_cpu_spinner vm; }
