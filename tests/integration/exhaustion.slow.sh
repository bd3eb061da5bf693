# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# Resource exhaustion from inside a container (issue 8, item 2), under the
# sandboxes `none` and `sentry`: a fork bomb under pids.limit, a memory bomb
# under a memory limit, a full tmpfs, fd exhaustion under RLIMIT_NOFILE and a
# CPU spinner under a CFS quota.  Each time the limit is enforced on the
# attacker, and the container survives as it would under runc: its init
# still runs, the Sentry (the state's pid), the workload's init and the Gofer
# are the same processes as before, and a later `cocoon exec` works.
# The neighbour's latency during an attack is measured in bench/neighbour.sh
# (a timing has no place in a timed test).
# test-timeout: 150

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
        local sb=$1 bundle=$2 w s g
        id=$(new_id "$sb")
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

# ex_kill_attackers: SIGKILL every process of the container's cgroup but the
# init and the sandbox's own, until none is left (a fork bomb refills).
ex_kill_attackers() {
        local dir keep victims
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
        ex_start "$sb" "$B"
        dir=$(ex_cgdir memory)
        # shellcheck disable=SC2016  # expanded by the container's shell
        capture timeout 60 "$COCOON" --root "$ROOT" exec "$id" /bin/sh -c \
                'x=$(head -c 256000000 /dev/zero | tr "\0" a); echo survived ${#x}'
        assert_not_contains "$out" survived "output of the memory bomb"
        assert_eq 137 "$rc" "exit status of the memory bomb (SIGKILL by the OOM killer)"
        if [ -e "$dir/memory.oom_control" ]; then
                assert_match "$(cat "$dir/memory.oom_control")" 'oom_kill [1-9]' "memory.oom_control"
        else
                assert_match "$(cat "$dir/memory.events")" 'oom_kill [1-9]' "memory.events"
        fi
        ex_kill_attackers # the pipeline's other half, if the OOM killer took only one
        ex_survived
        destroy "$id"
}

test_memory_bomb_none() { ex_memory_bomb none; }
test_memory_bomb_sentry() { ex_memory_bomb sentry; }

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

# ---------------------------------------------------------------- CPU spinner

# A quota of 0.2 CPU (20 ms per 100 ms period): a busy loop is throttled to
# it, and the container (under sentry: the Sentry shares that quota) still
# runs a new process.
ex_cpu_spinner() {
        local sb=$1 B=$T/b dir u0 u1 used thr
        ex_bundle "$B" "{'cpu': {'quota': 20000, 'period': 100000}}"
        ex_start "$sb" "$B"
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
