# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh; $S $W $Q by container_pids
# test-timeout: 600
# Fault injection under --sandbox vm (faults.sh explains the method and the
# after-fault checks): cocoon killed in create, start, exec and delete; QEMU,
# the monitor and the workload killed at each step; the guest's kernel
# crashing (the path a dying agent takes: the guest panics when its PID 1
# exits, and panic=-1 with -no-reboot turns that into QEMU's exit); a full
# --root; a damaged state.json.  After each: `state` tells the truth and
# `delete --force` leaves nothing: no monitor, no QEMU (assert_gone looks for
# one by its `-name cocoon-ID`), no cgroup, no state, no descriptor on the
# state or the rootfs, and where a network namespace was given by path, its
# links and qdiscs as they were (no tap, no redirect).
#
# Where a step can be stopped: prestart and createRuntime hooks run on the
# host with the monitor's pid before QEMU starts, poststart and poststop on
# the host as with the other sandboxes (docs/vm.md); the others are refused.
# The boot is reached by waiting for <state>/qemu.pid, written as soon as
# QEMU is forked.  Each boot is 7 s on a quiet host and 20-40 s on a loaded
# one, so each test does several checks on the guests it boots.

# shellcheck source=tests/lib/faults.sh
source "$TESTS_DIR/lib/faults.sh"
SB=vm

# wait_long SECS CMD...: wait_for with a deadline fit for booting guests.
wait_long() {
        local secs=$1 i=0
        shift
        until "$@" >/dev/null 2>&1; do
                i=$((i + 1))
                [ "$i" -ge $((secs * 20)) ] && fail "timed out after ${secs}s waiting for: $*"
                sleep 0.05
        done
}

# a guest that does not run, or the assets missing, fails the test (no skip)
vm_assets() {
        if [ ! -s "$TESTS_DIR/../build/guest/vmlinux" ] || [ ! -s "$TESTS_DIR/../build/guest/initramfs.cpio" ]; then
                fail "no guest assets in build/guest: run make"
        fi
}

pid_gone() { ! pid_alive "$1"; }

# ------------------------------------------------------------ network

# with_netns: a network namespace NS (named after the test: the runner
# removes a leaked one) with a veth whose inside end is eth0, given to $B
# by path as CNI gives it; NET0 is what its links and qdiscs look like.
with_netns() {
        local n=$((RANDOM % 200 + 20))
        NS=cocoon-$TOKEN HV=cf$((RANDOM))
        # (errexit holds in the trap: deleting the namespace may have taken the veth already)
        trap 'ip netns del "$NS" 2>/dev/null || true; ip link del "$HV" 2>/dev/null || true' EXIT
        ip netns add "$NS"
        ip link add "$HV" type veth peer name eth0 netns "$NS"
        ip addr add "10.202.$n.1/24" dev "$HV"
        ip link set "$HV" up
        ip -n "$NS" link set lo up
        ip -n "$NS" link set eth0 up
        ip -n "$NS" addr add "10.202.$n.2/24" dev eth0
        NET0=$(net_view)
        net_config "$B"
}

net_config() {
        edit_config "$1" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"] + [{"type": "network", "path": "/run/netns/'"$NS"'"}]'
}

net_view() {
        ip -n "$NS" -o link | sed 's/@[^:]*//; s/ qdisc [^ ]*//'
        tc -n "$NS" qdisc show
}

# wired: the guest's tap and redirect are in place (the monitor wired eth0)
wired() { ip -n "$NS" -o link | grep -q cocoon-tap0; }

# assert_net_as_before WHAT: no tap, no ingress qdisc (and with it no filter) left
assert_net_as_before() {
        assert_eq "$NET0" "$(net_view)" "the network namespace's links and qdiscs $1"
}

# ------------------------------------------------------------ create

# cocoon create killed, QEMU killed and the monitor killed at each step of
# create, the boot included, and create failing after the boot; with a
# network namespace given by path, whose interface the monitor redirects to
# QEMU's tap before QEMU starts.
test_vm_fault_create() {
        vm_assets
        local id c m kind
        fault_bundle /bin/sleep 1000
        with_netns

        # in a create-time hook (on the host, before QEMU): cocoon killed,
        # then the monitor killed (create fails with one line)
        for kind in createRuntime prestart; do
                with_hook "$kind"
                id=$(new_id "h$kind")
                bg c cc create --bundle "$B" "$id"
                wait_long 60 test -e "$HD/hook.reached"
                m=$(json_get 'd["pid"]' "$HD/hook.json")
                track_pid "$m"
                assert_eq cocoon-vm "$(cat "/proc/$m/comm")" "the pid the $kind hook sees"
                if [ "$kind" = createRuntime ]; then
                        kill -KILL "$c"
                        reap "$c"
                        assert_eq 137 "$bgrc" "status of the killed create"
                        # the monitor follows create (parent-death signal)
                        wait_pid_gone "$m"
                        release_hook
                        if ! half_state "$id" "create killed in $kind" "$m"; then
                                assert_state_truthful "$id"
                                delete_clean "$id" "$m"
                        fi
                else
                        kill -KILL "$m"
                        release_hook
                        reap "$c"
                        [ "$bgrc" != 0 ] || fail "create succeeded although its monitor was killed"
                        assert_failed_setup_lines
                        assert_state_truthful "$id"
                        [ ! -e "$ROOT/$id" ] || fail "a failed create left $ROOT/$id"
                        delete_clean "$id" "$m"
                fi
                assert_net_as_before "after a fault in $kind"
        done
        edit_config "$B" 'del c["hooks"]'

        # during the boot (QEMU forked, the tap wired): cocoon, QEMU, the monitor
        local what q
        for what in cocoon qemu monitor; do
                id=$(new_id "b$what")
                bg c cc create --bundle "$B" "$id"
                # the firmware's banner: the QEMU that boots (not one that
                # tried KVM and exited) is recorded and running
                wait_long 120 grep -q SeaBIOS "$ROOT/$id/console.log"
                q=$(qemu_of "$id")
                track_pid "$q"
                m=$(awk '/^PPid:/ {print $2}' "/proc/$q/status")
                track_pid "$m"
                assert_eq cocoon-vm "$(cat "/proc/$m/comm")" "QEMU's parent"
                wired || fail "no tap in the namespace during the boot: $(ip -n "$NS" -o link)"
                case $what in
                cocoon) kill -KILL "$c" ;;
                qemu) kill -KILL "$q" ;;
                monitor) kill -KILL "$m" ;;
                esac
                reap "$c"
                case $what in
                cocoon)
                        assert_eq 137 "$bgrc" "status of the killed create"
                        wait_pid_gone "$m"
                        wait_pid_gone "$q"
                        ;;
                qemu)
                        [ "$bgrc" != 0 ] || fail "create succeeded although QEMU was killed"
                        assert_one_line "$(errors "$T/bg.err")" "stderr of create"
                        assert_contains "$(cat "$T/bg.err")" "QEMU of container \"$id\" killed by signal 9"
                        ;;
                monitor)
                        [ "$bgrc" != 0 ] || fail "create succeeded although its monitor was killed"
                        assert_failed_setup_lines
                        ;;
                esac
                note "$what killed during the boot: create exited $bgrc: $(cat "$T/bg.err")"
                if ! half_state "$id" "create killed during the boot" "$m" "$q"; then
                        assert_state_truthful "$id"
                        delete_clean "$id" "$m" "$q"
                fi
                assert_net_as_before "after $what was killed during the boot"
        done

        # create failing once the guest is up (its --pid-file cannot be
        # written): create kills the monitor, which undoes nothing itself
        id=$(new_id p)
        local rc=0
        cc create --bundle "$B" --pid-file "$T/missing/pid" "$id" </dev/null >/dev/null 2>"$T/p.err" || rc=$?
        [ "$rc" != 0 ] || fail "create succeeded with a pid file in a missing directory"
        assert_one_line "$(errors "$T/p.err")" "stderr of create"
        assert_contains "$(cat "$T/p.err")" "$T/missing/pid"
        assert_gone "$id"
        assert_net_as_before "after a create that failed once the guest was up"
}

# ------------------------------------------------------------ created, running

# A created container whose QEMU or monitor is killed: stopped, start fails
# with one line, delete cleans up.  A running one whose monitor is killed:
# QEMU follows it (parent-death signal), stopped, delete cleans up, the
# namespace's interface is given back.
test_vm_fault_created_and_running() {
        vm_assets
        local what id
        for what in qemu monitor; do
                fault_bundle /bin/sleep 1000
                id=$(new_id "c$what")
                assert_ok cc create --bundle "$B" "$id"
                container_pids "$id"
                if [ -z "$Q" ] || ! pid_alive "$Q"; then fail "no QEMU recorded for a created container"; fi
                case $what in
                qemu) kill -KILL "$Q" ;;
                monitor) kill -KILL "$S" ;;
                esac
                wait_status "$id" stopped 30
                wait_pid_gone "$S"
                wait_pid_gone "$Q"
                assert_state_truthful "$id"
                assert_fail cc start "$id"
                assert_error_line
                delete_clean "$id" "$S" "$Q"
        done

        fault_bundle /bin/sleep 1000
        with_netns
        id=$(new_id r)
        assert_ok cc run -d --bundle "$B" "$id"
        container_pids "$id"
        wired || fail "no tap in the namespace of a running container"
        kill -KILL "$S"
        wait_status "$id" stopped 30
        wait_pid_gone "$Q"
        assert_state_truthful "$id"
        # the redirect outlives the monitor (the tap went with QEMU): delete removes it
        delete_clean "$id" "$S" "$Q"
        assert_net_as_before "after delete of a container whose monitor was killed"
}

# ------------------------------------------------------------ start, exec

# lacks_guest_proc / has_guest_proc ID PATTERN: the guest's `ps` (through
# the agent) has no line / a line matching PATTERN
lacks_guest_proc() { ! cc ps "$1" | grep -q -- "$2"; }
has_guest_proc() { cc ps "$1" | grep -q -- "$2"; }

# cocoon start killed in its poststart hook; cocoon exec killed at several
# points, the stand-in killed, the exec'd process killed (each leaves no
# process in the guest); QEMU killed while an exec runs: the exec ends as
# its process did (killed), the container is stopped.
test_vm_fault_start_exec() {
        vm_assets
        local id c delay
        fault_bundle /bin/sleep 1000
        with_hook poststart once
        id=$(new_id)
        assert_ok cc create --bundle "$B" "$id"
        container_pids "$id"
        bg c cc start "$id"
        wait_long 60 test -e "$HD/hook.reached"
        kill -KILL "$c"
        reap "$c"
        assert_eq 137 "$bgrc" "status of the killed start"
        release_hook
        wait_status "$id" running
        assert_state_truthful "$id"

        # cocoon exec killed before, while and after the guest started the
        # process.  Once started, the process lives on with its stand-in (as
        # the none sandbox's exec'd process outlives a killed `cocoon exec`):
        # then the stand-in is killed, which has the agent kill the process.
        # Either way no process is left in the guest that nothing waits for.
        local i=0 standin
        for delay in 0 0.05 0.3 3; do
                i=$((i + 1))
                bg c cc exec "$id" /bin/sleep "90$i"
                sleep "$delay"
                kill -KILL "$c"
                reap "$c"
                assert_eq 137 "$bgrc" "status of exec killed after ${delay}s"
                assert_eq running "$(cc state "$id" | json_get 'd["status"]')" "state after a killed exec"
                standin=$(pgrep -f -- " exec $id /bin/sleep 90$i\$" || true)
                if [ -n "$standin" ]; then
                        track_pid "$standin"
                        assert_eq cocoon-vm-exec "$(cat "/proc/$standin/comm")" "what is left of exec killed after ${delay}s"
                        assert_contains "$(cc ps "$id")" "sleep 90$i" "the guest's processes"
                        kill -KILL "$standin"
                        note "exec killed after ${delay}s: its stand-in was left, then killed"
                else
                        note "exec killed after ${delay}s: no stand-in, the process never ran or was killed"
                fi
                wait_long 60 lacks_guest_proc "$id" "sleep 90$i"
        done
        [ -n "$standin" ] || fail "exec killed 3 s after it began left no stand-in: was the process started?"
        # the stand-in of exec -d (its pid file) killed: its process goes too
        assert_ok cc exec -d --pid-file "$T/standin" "$id" /bin/sleep 2000
        standin=$(cat "$T/standin")
        track_pid "$standin"
        assert_contains "$(cc ps "$id")" "sleep 2000" "the guest's processes"
        kill -KILL "$standin"
        wait_long 60 lacks_guest_proc "$id" "sleep 2000"
        # the exec'd process killed: exec reports it as runc does
        bg c cc exec "$id" /bin/sh -c 'kill -9 $$'
        reap "$c"
        assert_eq 137 "$bgrc" "status of exec whose process was killed"
        assert_state_truthful "$id"
        assert_ok cc exec "$id" /bin/echo still-here
        assert_eq still-here "$out"

        # QEMU killed while an exec runs
        bg c cc exec "$id" /bin/sleep 3000
        wait_long 60 has_guest_proc "$id" "sleep 3000"
        kill -KILL "$Q"
        reap "$c"
        assert_eq 137 "$bgrc" "status of an exec whose VM was killed"
        assert_one_line "$(errors "$T/bg.err")" "stderr of that exec"
        assert_contains "$(cat "$T/bg.err")" "stopped before its exec'd process exited"
        wait_status "$id" stopped 30
        assert_state_truthful "$id"
        delete_clean "$id" "$S" "$Q"
}

# ------------------------------------------------------------ the workload, the agent

# without its own pid namespace the container shares the guest's, where the
# agent is PID 1 (and a process of the container is not its own pid
# namespace's init, so it can be killed by SIGKILL)
no_pid_ns() {
        edit_config "$B" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]'
}

# The workload killed (by SIGKILL, in the guest) while start waits in its
# poststart hook: the monitor exits as the workload did (137), the
# container is stopped.  A container process cannot kill the agent (the
# kernel protects PID 1); the guest's kernel crashing, the path the agent's
# death takes (the kernel panics when PID 1 exits), ends QEMU (panic=-1,
# -no-reboot): the monitor says so in one line and the container is stopped.
test_vm_fault_workload_and_agent() {
        vm_assets
        local id c
        fault_bundle /bin/sh -c 'kill -9 $$'
        no_pid_ns
        with_hook poststart
        id=$(new_id w)
        assert_ok cc create --bundle "$B" "$id"
        container_pids "$id"
        bg c cc start "$id"
        wait_long 60 test -e "$HD/hook.reached"
        # the workload killed itself: the monitor exits like it, taking QEMU
        wait_long 60 pid_gone "$S"
        wait_pid_gone "$Q"
        release_hook
        reap "$c"
        note "workload killed during poststart: start exited $bgrc: $(cat "$T/bg.err")"
        assert_eq stopped "$(cc state "$id" | json_get 'd["status"]')" "state after the workload was killed"
        assert_state_truthful "$id"
        delete_clean "$id" "$S" "$Q"

        # the crash: Debian's kernel has /proc/sysrq-trigger (the minimal one is
        # built without magic SysRq), which the container may write once it is
        # not read-only
        fault_bundle /bin/sleep 1000
        no_pid_ns
        edit_config "$B" 'c["linux"]["readonlyPaths"] = [p for p in c["linux"].get("readonlyPaths", []) if p != "/proc/sysrq-trigger"]' \
                'c["linux"]["maskedPaths"] = [p for p in c["linux"].get("maskedPaths", []) if p != "/proc/sysrq-trigger"]'
        id=$(new_id a)
        COCOON_VM_KERNEL=debian cc create --bundle "$B" "$id" </dev/null >/dev/null 2>"$T/create.err" ||
                fail "create: $(cat "$T/create.err")"
        container_pids "$id"
        assert_ok cc start "$id"
        capture cc exec "$id" sh -c 'cat /proc/1/comm; kill -9 1; echo "kill=$?"; sleep 0.5; cat /proc/1/comm'
        assert_eq 0 "$rc" "exec (stderr: $err)"
        assert_eq "init
kill=0
init" "$out" "PID 1 of the guest (the agent) before and after kill -9 1"
        assert_eq running "$(cc state "$id" | json_get 'd["status"]')" "state after kill -9 1 in the guest"
        capture cc exec "$id" sh -c 'test -w /proc/sysrq-trigger && echo c >/proc/sysrq-trigger'
        note "exec that crashed the guest's kernel exited $rc: $err"
        wait_status "$id" stopped 60
        wait_pid_gone "$Q"
        assert_state_truthful "$id"
        note "the monitor: $(errors "$T/create.err")"
        assert_one_line "$(errors "$T/create.err")" "the monitor's stderr"
        assert_contains "$(cat "$T/create.err")" "QEMU of container \"$id\" exited" "the monitor's line"
        assert_contains "$(cat "$ROOT/$id/console.log")" "Kernel panic" "the guest's console"
        delete_clean "$id" "$S" "$Q"
}

# ------------------------------------------------------------ delete

# cocoon delete killed in its poststop hook (the VM is gone, the state not
# yet); delete --force killed right away while QEMU is killed as well.
test_vm_fault_delete() {
        vm_assets
        local id c
        fault_bundle /bin/sleep 1000
        with_hook poststop once
        id=$(new_id)
        assert_ok cc create --bundle "$B" "$id"
        container_pids "$id"
        assert_ok cc start "$id"
        bg c cc delete --force "$id"
        wait_long 60 test -e "$HD/hook.reached"
        kill -KILL "$c"
        reap "$c"
        assert_eq 137 "$bgrc" "status of the killed delete"
        release_hook
        wait_pid_gone "$S"
        wait_pid_gone "$Q"
        assert_state_truthful "$id"
        assert_eq stopped "$(cc state "$id" | json_get 'd["status"]')" "state after a killed delete"
        delete_clean "$id" "$S" "$Q"

        fault_bundle /bin/sleep 1000
        id=$(new_id d)
        assert_ok cc run -d --bundle "$B" "$id"
        container_pids "$id"
        bg c cc delete --force "$id"
        kill -KILL "$Q"
        sleep 0.02
        kill -KILL "$c" 2>/dev/null || true # (it may have finished)
        reap "$c"
        note "delete --force killed with QEMU: exited $bgrc"
        # the monitor follows its QEMU (one line, then SIGKILL): settled, the state can tell
        wait_pid_gone "$Q"
        wait_long 30 pid_gone "$S"
        if ! half_state "$id" "delete killed" "$S" "$Q"; then
                assert_state_truthful "$id"
                delete_clean "$id" "$S" "$Q"
        fi
}

# ------------------------------------------------------------ --root full, state.json

# A --root on a full filesystem: create fails with one line before any guest
# boots and leaves nothing.  A container made while there was room starts,
# execs and is deleted once the filesystem is full (the guest's console
# output, written to the state directory, is lost).
test_vm_fault_full_root() {
        vm_assets
        local fs=$T/fs id
        mkdir -p "$fs"
        mount -t tmpfs -o size=256k,mode=0755 "tmpfs-$TOKEN" "$fs"
        fault_bundle /bin/sleep 1000
        mkdir "$fs/root"
        fill "$fs"
        id=$(new_id f)
        capture "$COCOON" --root "$fs/root" --sandbox vm create --bundle "$B" "$id"
        [ "$rc" != 0 ] || fail "create succeeded on a full --root"
        assert_error_line
        assert_contains "$err" "No space left on device"
        [ -z "$(ls -A "$fs/root")" ] || fail "left in the full root: $(ls -A "$fs/root")"
        [ -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id")" ] || fail "cgroup left by the failed create"
        [ -z "$(pgrep -f "cocoon-$id" || true)" ] || fail "a QEMU was started for a create that failed"
        umount "$fs"

        mount -t tmpfs -o size=1m,mode=0755 "tmpfs-$TOKEN" "$fs"
        ROOT=$fs/root
        id=$(new_id g)
        assert_ok cc create --bundle "$B" "$id"
        container_pids "$id"
        fill "$fs"
        assert_ok cc start "$id"
        assert_eq running "$(cc state "$id" | json_get 'd["status"]')"
        assert_ok cc exec "$id" /bin/echo exec-on-full-root
        assert_eq exec-on-full-root "$out"
        delete_clean "$id" "$S" "$Q"
        umount "$fs"
}

# fill DIR: write into DIR until its filesystem is full.
fill() {
        dd if=/dev/zero of="$1/fill" bs=4k >/dev/null 2>&1 || true
        sync
}

# A running container whose state.json is damaged (truncated; missing):
# `state` says so in one line, start is refused, `delete --force` still
# removes everything: the monitor and QEMU are in the cgroup, recorded
# apart, and the redirect of the namespace's interface is recorded apart too.
test_vm_fault_damaged_state() {
        vm_assets
        local how id
        fault_bundle /bin/sleep 1000
        with_netns
        for how in truncated missing; do
                id=$(new_id "$how")
                assert_ok cc run -d --bundle "$B" "$id"
                container_pids "$id"
                wired || fail "no tap in the namespace of a running container"
                case $how in
                truncated) head -c "$(($(stat -c %s "$ROOT/$id/state.json") / 2))" "$ROOT/$id/state.json" >"$T/st" &&
                        mv "$T/st" "$ROOT/$id/state.json" ;;
                missing) rm "$ROOT/$id/state.json" ;;
                esac
                assert_fail cc state "$id"
                assert_error_line
                if [ "$how" = missing ]; then
                        assert_contains "$err" "has no state (an interrupted create or delete)"
                else
                        assert_contains "$err" "is corrupt"
                fi
                assert_fail cc start "$id"
                assert_error_line
                delete_clean "$id" "$S" "$Q"
                assert_net_as_before "after delete --force of a container with a $how state.json"
        done
}
