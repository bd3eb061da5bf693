# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# --sandbox vm end to end: QEMU, the guest kernel, cocoon's agent (docs/vm.md).
# Every test boots a guest; under TCG on a shared 2-core host that is 10 to
# 30 s, so the set is small and each test does several checks.
# test-timeout: 300

# shellcheck disable=SC2034  # read by cocoon() in lib/common.sh
CC_GLOBAL="--root $ROOT --sandbox vm"

# the guest assets come from `make guest` (part of `make`)
vm_ready() {
        if [ ! -s "$TESTS_DIR/../build/guest/vmlinux" ] || [ ! -s "$TESTS_DIR/../build/guest/initramfs.cpio" ]; then
                fail "no guest assets in build/guest: run make"
        fi
}

# the `uname -r` the guests should report: the minimal kernel's when it was
# built (`make guest-kernel`), unless COCOON_VM_KERNEL=debian (docs/vm.md)
guest_release() {
        local g=$TESTS_DIR/../build/guest
        if [ "${COCOON_VM_KERNEL:-}" != debian ] && [ -s "$g/vmlinux-min" ] && [ -s "$g/initramfs-min.cpio" ]; then
                cat "$g/kernel-min.release"
        else
                cat "$g/kernel.release"
        fi
}

# the QEMU of container ID, as the monitor recorded it
qemu_pid() { cut -d' ' -f1 "$ROOT/$1/qemu.pid"; }

test_vm_exit_code_output_and_guest_kernel() {
        vm_ready
        local B=$T/b
        make_bundle "$B" sh -c 'echo "kernel $(uname -r)"; echo to-stderr >&2; exit 7'
        capture cocoon run --bundle "$B" "$(new_id)"
        assert_eq 7 "$rc" "exit code"
        local guest
        guest=$(sed -n 's/^kernel //p' <<<"$out")
        [ -n "$guest" ] || fail "no kernel line in [$out]"
        assert_ne "$(uname -r)" "$guest" "the guest's kernel release (the host's is $(uname -r))"
        assert_eq "$(guest_release)" "$guest" "the guest's kernel release"
        assert_contains "$err" "to-stderr" "stderr"
        assert_not_contains "$out" "to-stderr" "stdout"
}

test_vm_stdin_piped_to_eof() {
        vm_ready
        local B=$T/b
        # cat ends only at EOF: the caller's EOF must reach the workload
        make_bundle "$B" sh -c 'cat; echo "eof seen"'
        local input
        input=$(seq 1 2000)
        capture_in "$input" cocoon run --bundle "$B" "$(new_id)"
        assert_eq 0 "$rc" "exit code (stderr: $err)"
        assert_eq "$input
eof seen" "$out" "stdout"
}

test_vm_kill_signals_reach_the_workload() {
        vm_ready
        local B=$T/b id
        make_bundle "$B" sh -c 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done'
        id=$(new_id)
        cocoon create --bundle "$B" "$id" >"$T/out" 2>"$T/err" </dev/null || fail "create: $(cat "$T/err")"
        local mon
        mon=$(pid_of "$id")
        track_pid "$mon"
        assert_eq created "$(status_of "$id")" "status after create"
        assert_ok cocoon start "$id"
        assert_eq running "$(status_of "$id")" "status after start"
        wait_for grep -q ready "$T/out"
        assert_ok cocoon kill "$id" TERM
        wait_status "$id" stopped 60
        assert_contains "$(cat "$T/out")" "got-term" "the trap's output"
        assert_ok cocoon delete "$id"
        [ ! -e "$ROOT/$id" ] || fail "delete left $ROOT/$id"

        # kill --all with SIGKILL ends the VM: 137 as with runc
        make_bundle "$T/b2" sleep 1000
        id=$(new_id)
        (
                r=0
                cocoon run --bundle "$T/b2" "$id" </dev/null >/dev/null 2>"$T/err2" || r=$?
                echo "$r" >"$T/rc"
        ) &
        wait_for test -s "$ROOT/$id/qemu.pid"
        wait_status "$id" running 120
        assert_ok cocoon kill --all "$id" KILL
        wait_for test -s "$T/rc"
        assert_eq 137 "$(cat "$T/rc")" "run's exit status after kill -9"
}

test_vm_qemu_crash_leaves_stopped_and_delete_clean() {
        vm_ready
        local B=$T/b id qemu
        make_bundle "$B" sleep 1000
        id=$(new_id)
        cocoon create --bundle "$B" "$id" </dev/null >/dev/null 2>"$T/err" || fail "create: $(cat "$T/err")"
        track_pid "$(pid_of "$id")"
        assert_ok cocoon start "$id"
        qemu=$(qemu_pid "$id")
        if [ -z "$qemu" ] || ! kill -0 "$qemu"; then fail "no QEMU process recorded"; fi
        assert_contains "$(tr '\0' ' ' <"/proc/$qemu/cmdline")" "cocoon-$id" "QEMU's command line"
        kill -9 "$qemu"
        wait_status "$id" stopped 30
        assert_contains "$(cat "$T/err")" "QEMU of container \"$id\" killed by signal 9" "the monitor's line"
        assert_ok cocoon delete "$id"
        [ ! -e "$ROOT/$id" ] || fail "delete left $ROOT/$id"
}

test_vm_refuses_what_it_cannot_carry() {
        # no guest is booted: each is refused before anything exists
        local B=$T/b id
        make_bundle "$B" /bin/true
        edit_config "$B" 'c["mounts"].append({"destination":"/mnt","type":"bind","source":"/nonexistent-'"$TOKEN"'","options":["rbind"]})'
        id=$(new_id)
        assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "nonexistent-$TOKEN"
        [ ! -e "$ROOT/$id" ] || fail "left $ROOT/$id"
        make_bundle "$T/b2" /bin/true
        edit_config "$T/b2" 'c["linux"]["namespaces"].append({"type": "network", "path": "/proc/self/ns/net"})' \
                'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network" or "path" in n]'
        id=$(new_id)
        assert_fail cocoon run --bundle "$T/b2" "$id"
        assert_error_line
        assert_contains "$err" "/proc/self/ns/net is the host's own: its interfaces cannot be wired into a VM"
        [ ! -e "$ROOT/$id" ] || fail "left $ROOT/$id"
        # hooks that run in the container's namespaces would have to run in the guest
        make_bundle "$T/b3" /bin/true
        edit_config "$T/b3" 'c["hooks"]={"startContainer":[{"path":"/bin/true"}]}'
        id=$(new_id)
        assert_fail cocoon run --bundle "$T/b3" "$id"
        assert_error_line
        assert_contains "$err" "hooks.startContainer: these run in the container's namespaces, which are inside the VM"
        [ ! -e "$ROOT/$id" ] || fail "left $ROOT/$id"
}

test_vm_guest_kernel_selection() {
        vm_ready
        # refusals first (no guest is booted): an unknown kernel, and the
        # minimal kernel asked for in a guest directory without it
        local B=$T/b id g=$T/guest
        make_bundle "$B" sh -c 'uname -r'
        id=$(new_id)
        COCOON_VM_KERNEL=tiny assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "COCOON_VM_KERNEL=tiny: unknown guest kernel"
        [ ! -e "$ROOT/$id" ] || fail "left $ROOT/$id"
        mkdir -p "$g"
        ln -s "$(realpath "$TESTS_DIR/../build/guest/vmlinux")" "$g/vmlinux"
        ln -s "$(realpath "$TESTS_DIR/../build/guest/initramfs.cpio")" "$g/initramfs.cpio"
        id=$(new_id)
        COCOON_GUEST_DIR=$g COCOON_VM_KERNEL=minimal assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "no vmlinux-min and initramfs-min.cpio in $g (build them with \`make guest-kernel\`)"
        [ ! -e "$ROOT/$id" ] || fail "left $ROOT/$id"
        # with the minimal kernel built, Debian's is still there when asked for
        [ -s "$TESTS_DIR/../build/guest/vmlinux-min" ] || return 0
        COCOON_VM_KERNEL=debian capture cocoon run --bundle "$B" "$(new_id)"
        assert_eq 0 "$rc" "run with Debian's kernel: $err"
        assert_eq "$(cat "$TESTS_DIR/../build/guest/kernel.release")" "$out" "COCOON_VM_KERNEL=debian: the guest's kernel release"
}

test_vm_memory_limit_enforced_in_the_guest() {
        vm_ready
        local B=$T/b
        # 32 MiB: 8 MiB fits, 64 MiB is OOM-killed by the guest's cgroup (not
        # QEMU by the host's: that one is sized for the guest's RAM plus QEMU)
        make_bundle "$B" sh -c 'dd if=/dev/zero of=/dev/null bs=8M count=1 2>/dev/null; echo "small=$?"
                                dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo "big=$?"'
        # memory+swap twice the limit, as `docker run --memory` asks: the
        # minimal guest kernel has no swap at all (no memory.swap.max), and
        # that must not refuse the container
        edit_config "$B" 'c["linux"].setdefault("resources", {})["memory"] = {"limit": 33554432, "swap": 67108864}'
        capture cocoon run --bundle "$B" "$(new_id)"
        assert_eq 0 "$rc" "exit code (stderr: $err)"
        assert_eq "small=0
big=137" "$out" "the workload's view"
}

test_vm_readonly_root_and_pids_limit() {
        vm_ready
        local B=$T/b
        # pids.limit 8 holds in the guest (busybox sh gives up at its failed
        # fork: exit 2), and QEMU's threads, on the host, got room on top
        make_bundle "$B" sh -c 'touch /x 2>/dev/null; echo "touch=$?"
                                cat /data/deep/in /etc/extra.conf /link/sub/in
                                i=0; while [ $i -lt 12 ]; do sleep 2 & i=$((i + 1)); done; wait; echo forked'
        # bind mounts whose destinations are missing from the read-only root
        # (docker run --read-only -v): the monitor makes them on the host,
        # inside the rootfs (a symlink to a host path stays in it), before
        # QEMU shares the root read-only; /dev/pts, below /dev's tmpfs, is
        # made in the guest
        mkdir -p "$T/vol"
        echo from-volume >"$T/vol/in"
        echo from-file >"$T/extra"
        ln -s "$T/outside" "$B/rootfs/link"
        edit_config "$B" 'c["root"]["readonly"] = True' \
                'c["linux"].setdefault("resources", {})["pids"] = {"limit": 8}' \
                "c['mounts'] += [{'destination': '/data/deep', 'type': 'bind', 'source': '$T/vol', 'options': ['rbind', 'ro']},
                                 {'destination': '/etc/extra.conf', 'type': 'bind', 'source': '$T/extra', 'options': ['rbind']},
                                 {'destination': '/link/sub', 'type': 'bind', 'source': '$T/vol', 'options': ['rbind']}]"
        capture cocoon run --bundle "$B" "$(new_id)"
        assert_eq 2 "$rc" "exit code (stderr: $err)"
        assert_contains "$out" "touch=1" "a write to the read-only root"
        assert_contains "$out" "from-volume
from-file
from-volume" "bind mounts on mount points missing from the read-only root"
        [ -d "$B/rootfs/data/deep" ] && [ -f "$B/rootfs/etc/extra.conf" ] && [ ! -s "$B/rootfs/etc/extra.conf" ] ||
                fail "the mount points in the rootfs: $(ls -la "$B/rootfs/data" "$B/rootfs/etc")"
        [ -d "$B/rootfs$T/outside/sub" ] && [ ! -e "$T/outside" ] ||
                fail "a mount point through a symlink to $T/outside was made outside the rootfs"
        [ ! -e "$B/rootfs/dev/pts" ] || fail "/dev/pts was made in the rootfs, not in the guest's /dev"
        assert_contains "$err" "can't fork" "forks beyond pids.limit in the guest"
        assert_not_contains "$err" "QEMU of container" "the monitor's view"
}

# A user namespace in the guest: the container's init, root mapped to
# 200000, chdirs to the agent's copy of the bundle (relative bind sources),
# which must be searchable by that uid (it was 0700: every user-namespaced
# container failed with "chdir /run/bundle: Permission denied").
test_vm_user_namespace() {
        vm_ready
        local B=$T/b
        make_bundle "$B" sh -c 'echo "uid=$(id -u)"; cat /proc/self/uid_map'
        edit_config "$B" 'c["linux"]["namespaces"].append({"type": "user"})' \
                'c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]' \
                'c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
        capture cocoon run --bundle "$B" "$(new_id)"
        assert_eq 0 "$rc" "exit code (stderr: $err)"
        assert_contains "$out" "uid=0" "the workload's uid"
        assert_match "$out" '0 +200000 +65536' "the guest's uid_map"
}

# The agent blocks SIGCHLD (its signalfd); the mask survives fork and
# execve, and a workload started with SIGCHLD blocked hangs in a shell's
# `wait` (a fork bomb's shells stalled that way): the init and an exec'd
# process start with nothing blocked.
test_vm_workload_signal_mask() {
        vm_ready
        local B=$T/b id
        make_bundle "$B" sh -c 'grep -E "^SigBlk" /proc/self/status; sleep 100'
        id=$(new_id)
        cocoon create --bundle "$B" "$id" >"$T/init.out" || fail "create"
        assert_ok cocoon start "$id"
        wait_for grep -q SigBlk "$T/init.out"
        assert_eq "SigBlk:	0000000000000000" "$(cat "$T/init.out")" "the init's blocked signals"
        capture cocoon exec "$id" /bin/grep -E '^SigBlk' /proc/self/status
        assert_eq "SigBlk:	0000000000000000" "$out" "an exec'd process's blocked signals"
        cocoon delete --force "$id"
}

test_vm_terminal_console_socket() {
        vm_ready
        local B=$T/b id
        make_bundle "$B" sh -c 'test -t 0 && test -t 1 && test -t 2 && echo ALL-TTY; stty size; read line; echo "got:$line"'
        edit_config "$B" 'c["process"]["terminal"]=True' 'c["process"]["consoleSize"]={"height":33,"width":101}'
        id=$(new_id)
        console_receiver "$T/c.sock" "$T/c.out" 'some-input\n'
        # create's stdout and stderr a pipe read to EOF, as containerd's shim
        # reads them (go-runc) before it counts create as done: with a
        # terminal the monitor must not keep them (`docker run -t` hung)
        local st=0
        # shellcheck disable=SC2016,SC2086
        timeout 120 bash -c '"$@" 2>&1 | cat >"$0"' "$T/create.out" \
                "$COCOON" $CC_GLOBAL create --bundle "$B" --console-socket "$T/c.sock" "$id" || st=$?
        [ -z "$(pid_of "$id" 2>/dev/null)" ] || track_pid "$(pid_of "$id")"
        assert_eq 0 "$st" "create with its output a pipe read to EOF (124: it never ended): $(cat "$T/create.out")"
        assert_eq created "$(status_of "$id")" "status after create"
        assert_ok cocoon start "$id"
        wait_status "$id" stopped 60
        wait_pid_gone "$console_pid"
        local o
        o=$(tr -d '\r' <"$T/c.out")
        assert_contains "$o" ALL-TTY "console output"
        assert_contains "$o" "33 101" "stty size in the guest"
        assert_contains "$o" "got:some-input" "console input"
        assert_ok cocoon delete "$id"
}

test_vm_bind_mounts_shared_into_the_guest() {
        vm_ready
        local B=$T/b
        mkdir -p "$T/data"
        echo from-host >"$T/data/in"
        echo file-content >"$T/file"
        # a writable directory and a read-only file, each on its own 9p share
        make_bundle "$B" sh -c 'cat /data/in; echo from-guest >/data/out; cat /etc/f; echo x >>/etc/f 2>/dev/null; echo "ro=$?"'
        edit_config "$B" \
                'c["mounts"].append({"destination":"/data","type":"bind","source":"'"$T/data"'","options":["rbind","rw"]})' \
                'c["mounts"].append({"destination":"/etc/f","type":"bind","source":"'"$T/file"'","options":["bind","ro"]})'
        capture cocoon run --bundle "$B" "$(new_id)"
        assert_eq 0 "$rc" "exit code (stderr: $err)"
        assert_eq "from-host
file-content
ro=1" "$out" "the workload's view"
        assert_eq from-guest "$(cat "$T/data/out")" "the file the guest wrote, on the host"
        assert_eq file-content "$(cat "$T/file")" "the read-only file"
}

# pid-file stand-in of a detached exec: run `cocoon exec -d --pid-file PF ...`
# as an engine's shim does (a child subreaper, which inherits the stand-in),
# optionally signal the stand-in once the process printed its first line to
# OUT, and print how it ended as Python's waitstatus_to_exitcode (-N: signal N).
exec_detached_status() {
        local pf=$1 outf=$2 sig=$3
        shift 3
        # shellcheck disable=SC2086
        python3 - "$pf" "$outf" "$sig" "$COCOON" $CC_GLOBAL "$@" <<'PY'
import ctypes, os, sys, time, subprocess
pf, outf, sig, cmd = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
with open(outf, "wb") as o:
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=o, stderr=subprocess.STDOUT)
if r.returncode != 0:
    print("exec -d failed: %d" % r.returncode)
    sys.exit(0)
pid = int(open(pf).read())
if sig:
    deadline = time.time() + 60
    while time.time() < deadline and os.path.getsize(outf) == 0:
        time.sleep(0.05)
    os.kill(pid, sig)
_, st = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(st))
PY
}

test_vm_exec() {
        vm_ready
        local B=$T/b id mon
        make_bundle "$B" sh -c 'trap "echo got-term; exit 42" TERM; echo ready; sleep 1000 & wait'
        edit_config "$B" 'c["hostname"] = "vm-guest"'
        echo "rootfs-$TOKEN" >"$B/rootfs/marker"
        id=$(new_id)
        cocoon create --bundle "$B" "$id" >"$T/init.out" 2>"$T/init.err" </dev/null || fail "create: $(cat "$T/init.err")"
        mon=$(pid_of "$id")
        track_pid "$mon"
        assert_ok cocoon start "$id"
        wait_for grep -q ready "$T/init.out"

        # exit code passed through, stdout and stderr apart, the container's hostname and rootfs
        capture cocoon exec "$id" sh -c 'hostname; cat /marker; echo to-stderr >&2; exit 7'
        assert_eq 7 "$rc" "exec's exit code (stderr: $err)"
        assert_eq "vm-guest
rootfs-$TOKEN" "$out" "exec's stdout"
        assert_eq to-stderr "$err" "exec's stderr"

        # stdin piped to EOF, and every byte of output before the exit
        local input
        input=$(seq 1 3000)
        capture_in "$input" cocoon exec "$id" sh -c 'cat; echo "eof seen"'
        assert_eq 0 "$rc" "exit code (stderr: $err)"
        assert_eq "$input
eof seen" "$out" "stdin copied back"

        # env, cwd and user from the command line, and from --process
        capture cocoon exec -e FOO=bar --cwd /etc -u 1000:1001 "$id" sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g)"'
        assert_eq "bar /etc 1000:1001" "$out" "env, cwd, user (stderr: $err)"
        cat >"$T/p.json" <<'JSON'
{"args": ["sh", "-c", "echo \"$X in $(pwd)\"; kill -TERM $$"], "cwd": "/tmp", "env": ["X=from-process-json", "PATH=/bin:/usr/bin"], "user": {"uid": 0, "gid": 0}}
JSON
        capture cocoon exec --process "$T/p.json" "$id"
        assert_eq 143 "$rc" "a process killed by SIGTERM (stderr: $err)"
        assert_eq "from-process-json in /tmp" "$out" "--process"

        # --detach --pid-file: the stand-in exits with the process's code, after its output;
        # a signal sent to the stand-in reaches the process, and the stand-in dies of it
        assert_eq 9 "$(exec_detached_status "$T/pf1" "$T/d1.out" 0 exec -d --pid-file "$T/pf1" "$id" \
                sh -c 'sleep 1; echo detached-out; exit 9')" "the detached stand-in's status"
        assert_eq detached-out "$(cat "$T/d1.out")" "the detached process's output"
        assert_eq -15 "$(exec_detached_status "$T/pf2" "$T/d2.out" 15 exec -d --pid-file "$T/pf2" "$id" \
                sh -c 'echo up; exec sleep 300')" "the stand-in after SIGTERM (output: $(cat "$T/d2.out"))"
        assert_eq -9 "$(exec_detached_status "$T/pf3" "$T/d3.out" 9 exec -d --pid-file "$T/pf3" "$id" \
                sh -c 'echo up; exec sleep 300')" "the stand-in after SIGKILL"

        # -t: a pty, its master on --console-socket
        console_receiver "$T/c.sock" "$T/c.out" 'tty-input\n'
        capture cocoon exec -t --console-socket "$T/c.sock" "$id" \
                sh -c 'test -t 0 && test -t 1 && test -t 2 && echo ALL-TTY; read line; echo "got:$line"; exit 4'
        assert_eq 4 "$rc" "exec -t's exit code (stderr: $err)"
        wait_pid_gone "$console_pid"
        local o
        o=$(tr -d '\r' <"$T/c.out")
        assert_contains "$o" ALL-TTY "console output"
        assert_contains "$o" "got:tty-input" "console input"

        # bad input: one line, non-zero, nothing left behind
        capture cocoon exec "$id" "/nonexistent-$TOKEN"
        [ "$rc" != 0 ] || fail "exec of a missing binary succeeded"
        assert_error_line
        assert_contains "$err" "nonexistent-$TOKEN" "the error line"
        echo '{"args": ["true"], "cwd": 5}' >"$T/bad.json"
        assert_fail cocoon exec --process "$T/bad.json" "$id"
        assert_error_line
        assert_contains "$err" "cwd" "the error line"
        # the container holds its init (sh and its sleep) and this ps only: the
        # killed and failed ones are gone
        capture cocoon exec "$id" ps -o pid,args
        assert_eq 0 "$rc" "ps (stderr: $err)"
        assert_eq 4 "$(wc -l <<<"$out")" "lines of ps in the container: [$out]"
        assert_contains "$out" "sleep 1000" "ps"

        # kill still reaches the init with an exec'd process running; that process
        # ends with the VM, its stand-in as killed by SIGKILL
        cocoon exec -d --pid-file "$T/pf4" "$id" sleep 300 </dev/null >/dev/null 2>"$T/d4.err" || fail "exec -d: $(cat "$T/d4.err")"
        local standin
        standin=$(cat "$T/pf4")
        track_pid "$standin"
        assert_ok cocoon kill "$id" TERM
        wait_status "$id" stopped 60
        assert_contains "$(cat "$T/init.out")" got-term "the init's trap"
        wait_pid_gone "$standin"
        capture cocoon exec "$id" true
        [ "$rc" != 0 ] || fail "exec into a stopped container succeeded"
        assert_error_line
        assert_contains "$err" stopped "the error line"
        assert_ok cocoon delete "$id"
        [ ! -e "$ROOT/$id" ] || fail "delete left $ROOT/$id"
}

# net_clean: the network namespace and the veth test_vm_network made
net_clean() {
        ip netns del "$NS" 2>/dev/null || true
        ip link del "$HV" 2>/dev/null || true
}

# A network namespace given by path, as CNI (and containerd's CRI) give it:
# its veth wired into the guest (tap + tc redirects), the guest's interface
# with the same name, MAC, address, routes and MTU; a server in the guest
# reached from the host's end of the veth; a prestart hook run on the host
# with the monitor's pid, which holds the namespace; delete removes the tap
# and the qdiscs and leaves the namespace as it was.  A failing hook leaves
# nothing behind.
test_vm_network() {
        vm_ready
        local B=$T/b id n=$((RANDOM % 200 + 20))
        NS=cocoon-$TOKEN HV=cv$((RANDOM))
        trap net_clean EXIT
        ip netns add "$NS"
        ip link add "$HV" type veth peer name eth0 netns "$NS"
        ip addr add "10.201.$n.1/24" dev "$HV"
        ip link set "$HV" mtu 1400 up
        ip -n "$NS" link set lo up
        ip -n "$NS" link set eth0 mtu 1400 up
        ip -n "$NS" addr add "10.201.$n.2/24" dev eth0
        ip -n "$NS" route add 10.77.0.0/16 via "10.201.$n.1"
        ip -n "$NS" route add default via "10.201.$n.1"
        local mac before_link before_qdisc
        mac=$(ip -n "$NS" -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
        before_link=$(ip -n "$NS" -o link | sed 's/@[^:]*//')
        before_qdisc=$(tc -n "$NS" qdisc show)
        # the hook records the network namespace of the state's pid
        cat >"$T/hook.sh" <<'EOF'
#!/bin/sh
p=$(tr -d ' \n' | sed 's/.*"pid":\([0-9]*\).*/\1/')
readlink "/proc/$p/ns/net" >"$1"
EOF
        chmod +x "$T/hook.sh"
        make_bundle "$B" sh -c 'ip -o addr show eth0; ip -o link show eth0; ip route; echo "guest $(hostname)" >/tmp/index.html; exec httpd -f -p 8080 -h /tmp'
        edit_config "$B" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"] + [{"type": "network", "path": "/run/netns/'"$NS"'"}]' \
                'c["hostname"] = "vmnet"' \
                'c["hooks"] = {"prestart": [{"path": "'"$T"'/hook.sh", "args": ["hook.sh", "'"$T"'/hook-ns"]}]}'
        id=$(new_id)
        cocoon create --bundle "$B" "$id" >"$T/out" 2>"$T/err" </dev/null || fail "create: $(cat "$T/err")"
        track_pid "$(pid_of "$id")"
        assert_eq "$(ip netns exec "$NS" readlink /proc/self/ns/net)" \
                "$(cat "$T/hook-ns")" "the prestart hook saw the container's network namespace at the state's pid"
        assert_contains "$(ip -n "$NS" -o link)" "cocoon-tap0" "the tap next to the veth"
        assert_contains "$(tc -n "$NS" filter show dev eth0 ingress)" "Egress Redirect to device cocoon-tap0" "eth0 → tap"
        assert_ok cocoon start "$id"
        local i
        for i in $(seq 300); do
                wget -T 2 -qO- "http://10.201.$n.2:8080/" >"$T/page" 2>/dev/null && break
                sleep 0.2
        done
        assert_eq "guest vmnet" "$(cat "$T/page")" "the guest's httpd from the host's end of the veth"
        local out
        out=$(cat "$T/out")
        assert_contains "$out" "inet 10.201.$n.2/24" "the address in the guest"
        assert_contains "$out" "mtu 1400" "the MTU in the guest"
        assert_contains "$out" "link/ether $mac" "the MAC in the guest"
        assert_contains "$out" "default via 10.201.$n.1 dev eth0" "the default route in the guest"
        assert_contains "$out" "10.77.0.0/16 via 10.201.$n.1 dev eth0" "a route in the guest"
        assert_ok cocoon kill "$id" KILL
        wait_status "$id" stopped 60
        assert_ok cocoon delete "$id"
        assert_eq "$before_link" "$(ip -n "$NS" -o link | sed 's/@[^:]*//')" "the namespace's links after delete"
        assert_eq "$before_qdisc" "$(tc -n "$NS" qdisc show)" "the namespace's qdiscs after delete"
        assert_contains "$(ip -n "$NS" -o addr show eth0)" "10.201.$n.2/24" "the veth's address, left"

        # an interface that cannot be redirected (it has an ingress qdisc of
        # its own): one line, the tap made before is gone, nothing else changed
        tc -n "$NS" qdisc add dev eth0 ingress
        before_qdisc=$(tc -n "$NS" qdisc show)
        edit_config "$B" 'del c["hooks"]'
        id=$(new_id)
        assert_fail cocoon create --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "interface eth0 of the container's network namespace already has an ingress qdisc"
        [ ! -e "$ROOT/$id" ] || fail "left $ROOT/$id"
        assert_eq "$before_link" "$(ip -n "$NS" -o link | sed 's/@[^:]*//')" "the namespace's links after a failed create"
        assert_eq "$before_qdisc" "$(tc -n "$NS" qdisc show)" "the namespace's qdiscs after a failed create"
        tc -n "$NS" qdisc del dev eth0 ingress
        before_qdisc=$(tc -n "$NS" qdisc show)

        # a failing prestart hook: one line, and no tap or qdisc left
        edit_config "$B" 'c["hooks"] = {"prestart": [{"path": "/bin/false"}]}'
        id=$(new_id)
        assert_fail cocoon create --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "prestart"
        [ ! -e "$ROOT/$id" ] || fail "left $ROOT/$id"
        assert_eq "$before_link" "$(ip -n "$NS" -o link | sed 's/@[^:]*//')" "the namespace's links after a failed create"
        assert_eq "$before_qdisc" "$(tc -n "$NS" qdisc show)" "the namespace's qdiscs after a failed create"
}

# lines_at_least N PATTERN FILE: FILE has N lines matching PATTERN (for wait_for)
lines_at_least() { [ "$(grep -c -- "$2" "$3" || true)" -ge "$1" ]; }

# The commands that look into a container see the guest's, not the VMM's:
# events --stats, ps, update and pause/resume go through the monitor to the
# agent, which answers from the guest's cgroup (one boot for all of them).
test_vm_stats_ps_update_pause() {
        vm_ready
        local B=$T/b id mon
        make_bundle "$B" sh -c 'sleep 1000 & echo ready; while :; do echo tick; sleep 0.3; done'
        edit_config "$B" 'c["linux"].setdefault("resources", {})["memory"] = {"limit": 67108864}' \
                'c["linux"]["resources"]["pids"] = {"limit": 20}'
        id=$(new_id)
        cocoon create --bundle "$B" "$id" >"$T/out" 2>"$T/err" </dev/null || fail "create: $(cat "$T/err")"
        mon=$(pid_of "$id")
        track_pid "$mon"
        assert_ok cocoon start "$id"
        wait_for grep -q ready "$T/out"

        # stats: the workload's cgroup in the guest, with its configured limits
        assert_ok cocoon events --stats "$id"
        local stats=$out
        assert_eq stats "$(json_get 'd["type"]' <<<"$stats")" "event type"
        assert_eq 67108864 "$(json_get 'd["data"]["memory"]["usage"]["limit"]' <<<"$stats")" "memory limit in the stats"
        assert_eq 20 "$(json_get 'd["data"]["pids"]["limit"]' <<<"$stats")" "pids limit in the stats"
        local usage pids
        usage=$(json_get 'd["data"]["memory"]["usage"]["usage"]' <<<"$stats")
        [ "$usage" -gt 0 ] && [ "$usage" -lt 67108864 ] || fail "memory usage [$usage] in [$stats]"
        # sh, sleep 1000, and at times a sleep 0.3: not QEMU's threads
        pids=$(json_get 'd["data"]["pids"]["current"]' <<<"$stats")
        [ "$pids" -ge 2 ] && [ "$pids" -le 5 ] || fail "pids.current [$pids] in [$stats]"

        # the stream: a stats event per interval, from the guest as well
        # shellcheck disable=SC2086
        "$COCOON" $CC_GLOBAL events --interval 1s "$id" >"$T/events" 2>&1 &
        local ev=$!
        wait_for lines_at_least 2 '"type":"stats"' "$T/events"
        kill "$ev"
        wait "$ev" || true
        assert_eq 67108864 "$(head -1 "$T/events" | json_get 'd["data"]["memory"]["usage"]["limit"]')" \
                "memory limit in a streamed event"

        # ps: the guest's processes (guest pids), not the monitor and QEMU
        assert_ok cocoon ps "$id"
        local table=$out
        assert_contains "$table" "sleep 1000" "ps"
        assert_contains "$(head -1 <<<"$table")" "PID" "ps header"
        assert_not_contains "$table" "qemu" "ps"
        # --format json is for engines, which look the pids up on the host
        # (docker top): the host processes that run the VM, the monitor and
        # QEMU, as Kata's shim gives the hypervisor's pid; never guest pids,
        # which name unrelated host processes
        local sleep_pid qemu
        sleep_pid=$(awk '$8 == "sleep" && $9 == "1000" {print $2}' <<<"$table")
        qemu=$(qemu_pid "$id")
        assert_ok cocoon ps --format json "$id"
        assert_eq "$(printf '%s\n' "$mon" "$qemu" | sort -n | tr '\n' ' ')" \
                "$(json_get '" ".join(str(p) for p in sorted(d)) + " "' <<<"$out")" \
                "ps --format json: the monitor and QEMU (guest ps: $table; the guest's sleep is $sleep_pid)"

        # update: the guest's cgroup gets the new limit, the host's stays the VM's size
        # (256 MiB of RAM for a 64 MiB limit, + 192 MiB for QEMU)
        local guest_max='cat /sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)/memory.max'
        assert_ok cocoon update --memory 48m --pids-limit 30 "$id"
        capture cocoon exec "$id" sh -c "$guest_max"
        assert_eq 0 "$rc" "exec (stderr: $err)"
        assert_eq 50331648 "$out" "memory.max in the guest after update"
        assert_ok cocoon events --stats "$id"
        assert_eq 50331648 "$(json_get 'd["data"]["memory"]["usage"]["limit"]' <<<"$out")" "memory limit in the stats"
        assert_eq 30 "$(json_get 'd["data"]["pids"]["limit"]' <<<"$out")" "pids limit in the stats"
        local hostcg hostmax
        hostcg=$(sed -n 's/^[0-9]*:memory://p' "/proc/$mon/cgroup")
        if [ -n "$hostcg" ]; then
                hostmax=/sys/fs/cgroup/memory$hostcg/memory.limit_in_bytes
        else
                hostmax=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$mon/cgroup")/memory.max
        fi
        assert_eq $(((256 + 192) << 20)) "$(cat "$hostmax")" "the host cgroup's memory limit ($hostmax)"
        # the host cgroup's device list is QEMU's: /dev/kvm is in it (the
        # container's list, the guest's, never names it: QEMU got EPERM and
        # every VM ran under TCG on KVM hosts too)
        if [ -e /dev/kvm ]; then
                local hostdev
                hostdev=$(sed -n 's/^[0-9]*:devices://p' "/proc/$mon/cgroup")
                [ -z "$hostdev" ] || assert_match "$(cat "/sys/fs/cgroup/devices$hostdev/devices.list")" \
                        '(^|'$'\n'')c 10:232 rwm($|'$'\n'')' "the host cgroup's devices.list"
                assert_not_contains "$(cat "$ROOT/$id/console.log")" "Could not access KVM" "QEMU's console log"
        fi
        # a limit below the guest's RAM leaves the host's alone, and the workload goes on
        assert_ok cocoon update --memory 16m "$id"
        assert_eq $(((256 + 192) << 20)) "$(cat "$hostmax")" "the host cgroup's memory limit after a smaller one"
        assert_eq running "$(status_of "$id")" "status after a limit below the guest's RAM"
        assert_ok cocoon update --memory 48m "$id"
        # more than the guest's RAM cannot be honoured: one line, nothing changed
        capture cocoon update --memory 1g "$id"
        assert_ne 0 "$rc" "update beyond the guest's RAM"
        assert_eq 1 "$(wc -l <<<"$err")" "one error line [$err]"
        assert_contains "$err" "256 MiB of RAM" "the error line"
        capture cocoon exec "$id" sh -c "$guest_max"
        assert_eq 50331648 "$out" "memory.max in the guest after the refused update"

        # pause freezes the workload in the guest; resume lets it go on
        assert_ok cocoon pause "$id"
        assert_eq paused "$(status_of "$id")" "status after pause"
        local n1 n2
        sleep 1 # a tick on its way out of the guest
        n1=$(grep -c tick "$T/out" || true)
        sleep 3
        n2=$(grep -c tick "$T/out" || true)
        assert_eq "$n1" "$n2" "ticks while paused"
        capture cocoon exec "$id" true
        assert_ne 0 "$rc" "exec in a paused container"
        assert_ok cocoon resume "$id"
        assert_eq running "$(status_of "$id")" "status after resume"
        wait_for lines_at_least $((n2 + 2)) tick "$T/out"

        assert_ok cocoon kill "$id" KILL
        wait_status "$id" stopped 60
        assert_ok cocoon delete "$id"
}

# pod_member BUNDLE SANDBOX-ID SANDBOX-PID CMD...: a container of a pod, as
# containerd's CRI writes it (docs/vm.md, "Pods"): its annotations, and the
# pod's IPC, UTS and network namespaces by path (the sandbox's pid).
pod_member() {
        local b=$1 sb=$2 sp=$3
        shift 3
        make_bundle "$b" "$@"
        edit_config "$b" 'c.pop("hostname", None)' \
                'c.setdefault("annotations", {}).update({"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-id": "'"$sb"'"})' \
                'c["linux"]["namespaces"] = [dict(n, path="/proc/'"$sp"'/ns/" + {"ipc": "ipc", "uts": "uts", "network": "net"}[n["type"]]) if n["type"] in ("ipc", "uts", "network") else n for n in c["linux"]["namespaces"]]'
}

# ns_ids: the namespaces' ids of the shell that runs it
NS_IDS='for n in ipc uts net mnt; do readlink /proc/self/ns/$n; done'

# A Kubernetes pod with cocoon alone, Kata's model: the pod's sandbox
# container boots the VM, its other containers are made inside that VM
# (joining its IPC, UTS and network namespaces, on their own rootfs), each
# with a host pid of its own that exits as its init did.
test_vm_pod_containers_in_the_sandbox_vm() {
        vm_ready
        local S A B C sp qp
        S=$(new_id pod) A=$(new_id job) B=$(new_id app) C=$(new_id killed)
        echo "nameserver 10.0.0.53" >"$T/resolv.conf"
        # the pause container: a read-only root without /etc/resolv.conf, as the CRI's
        make_bundle "$T/pause" sh -c 'exec sleep 100000'
        edit_config "$T/pause" 'c["hostname"] = "podhost"' 'c["root"]["readonly"] = True' \
                'c.setdefault("annotations", {}).update({"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-id": "'"$S"'"})' \
                'c["mounts"].append({"destination":"/etc/resolv.conf","type":"bind","source":"'"$T/resolv.conf"'","options":["rbind","ro"]})'
        rm -f "$T/pause/rootfs/etc/resolv.conf"
        create_ctr "$T/pause" "$S"
        assert_ok cocoon start "$S"
        sp=$(pid_of "$S")
        qp=$(qemu_pid "$S")
        capture cocoon exec "$S" sh -c "$NS_IDS; cat /etc/resolv.conf"
        assert_eq 0 "$rc" "exec in the pod's sandbox (stderr: $err)"
        local pod_ns=$out
        [ "$(wc -l <<<"$pod_ns")" = 5 ] || fail "the sandbox's namespaces: [$pod_ns]"

        # a job: the pod's namespaces but its own mount namespace and rootfs,
        # a volume, its output and exit status
        mkdir -p "$T/data"
        echo from-host >"$T/data/in"
        pod_member "$T/job" "$S" "$sp" sh -c "$NS_IDS; hostname; cat /marker /data/in; echo from-job >/data/out; exit 5"
        echo job-root >"$T/job/rootfs/marker"
        edit_config "$T/job" 'c["mounts"].append({"destination":"/data","type":"bind","source":"'"$T/data"'","options":["rbind","rw"]})'
        capture cocoon run --bundle "$T/job" "$A"
        assert_eq 5 "$rc" "exit code of the pod's job (stderr: $err)"
        local job_ns
        job_ns=$(head -4 <<<"$out")
        assert_eq "$(head -3 <<<"$pod_ns")" "$(head -3 <<<"$job_ns")" "the job's IPC, UTS and network namespaces (the pod's)"
        assert_ne "$(sed -n 4p <<<"$pod_ns")" "$(sed -n 4p <<<"$job_ns")" "the job's mount namespace"
        assert_eq "podhost
job-root
from-host" "$(tail -n +5 <<<"$out")" "the job's hostname, rootfs and volume"
        assert_eq from-job "$(cat "$T/data/out")" "the file the job wrote to its volume"
        [ -z "$(ls "$ROOT/$S/pod")" ] || fail "the job's mounts are left in the pod's share: $(ls "$ROOT/$S/pod")"

        # a terminal (kubectl run -it): the master of a pty on the console
        # socket, the container's own pty in the guest
        local D o
        D=$(new_id tty)
        pod_member "$T/tty" "$S" "$sp" sh -c 'test -t 0 && test -t 1 && test -t 2 && echo ALL-TTY; stty size; hostname; read line; echo "got:$line"'
        edit_config "$T/tty" 'c["process"]["terminal"] = True' 'c["process"]["consoleSize"] = {"height": 33, "width": 101}'
        console_receiver "$T/c.sock" "$T/c.out" 'some-input\n'
        create_ctr "$T/tty" "$D" --console-socket "$T/c.sock"
        assert_ok cocoon start "$D"
        wait_status "$D" stopped 60
        wait_pid_gone "$console_pid"
        o=$(tr -d '\r' <"$T/c.out")
        assert_contains "$o" "ALL-TTY
33 101
podhost" "the pod container's terminal"
        assert_contains "$o" "got:some-input" "input on the pod container's terminal"
        assert_ok cocoon delete "$D"

        # a long-running container: exec in it, stats, ps, pause, kill --all, delete
        pod_member "$T/app" "$S" "$sp" sh -c 'trap "exit 0" TERM; echo ready; while :; do sleep 1 & wait $!; done'
        edit_config "$T/app" 'c["linux"].setdefault("resources", {}).update({"memory": {"limit": 67108864}, "pids": {"limit": 30}})'
        create_ctr "$T/app" "$B"
        assert_eq created "$(status_of "$B")" "the app's state after create"
        assert_ok cocoon start "$B"
        assert_eq running "$(status_of "$B")" "the app's state after start"
        capture cocoon exec "$B" sh -c 'hostname; test -e /marker; echo "marker=$?"; exit 3'
        assert_eq 3 "$rc" "exit code of an exec in the app (stderr: $err)"
        assert_eq "podhost
marker=1" "$out" "the exec'd process's view (the app's rootfs, the pod's hostname)"
        capture cocoon events --stats "$B"
        assert_eq 0 "$rc" "events --stats of the app (stderr: $err)"
        # (its own cgroup in the guest, with its own limits)
        assert_eq 67108864 "$(json_get 'd["data"]["memory"]["usage"]["limit"]' <<<"$out")" "the app's memory limit in its stats"
        assert_eq 30 "$(json_get 'd["data"]["pids"]["limit"]' <<<"$out")" "the app's pids limit in its stats"
        [ "$(json_get 'd["data"]["pids"]["current"]' <<<"$out")" -ge 2 ] || fail "the app's processes in its stats: $out"
        capture cocoon ps "$B"
        assert_eq 0 "$rc" "ps of the app (stderr: $err)"
        assert_contains "$out" "while :" "the app's processes (the guest's)"
        assert_not_contains "$out" "sleep 100000" "the app's processes (not the sandbox's)"
        assert_ok cocoon pause "$B"
        assert_eq paused "$(status_of "$B")" "the app's state after pause"
        assert_eq running "$(status_of "$S")" "the sandbox's state while the app is paused"
        assert_ok cocoon resume "$B"
        assert_eq running "$(status_of "$B")" "the app's state after resume"
        # kill --all: TERM to each of its processes, its trap exits 0
        assert_ok cocoon kill --all "$B" TERM
        wait_status "$B" stopped 60
        assert_ok cocoon delete "$B"
        [ ! -e "$ROOT/$B" ] || fail "the app's state is left"

        # shareProcessNamespace (the pod's pid namespace too): the sandbox
        # sees the member's process; SIGKILL to the member's host pid ends
        # it in the guest as well
        pod_member "$T/killed" "$S" "$sp" sh -c 'exec sleep 424242'
        edit_config "$T/killed" 'c["linux"]["namespaces"] = [dict(n, path="/proc/'"$sp"'/ns/pid") if n["type"] == "pid" else n for n in c["linux"]["namespaces"]]'
        create_ctr "$T/killed" "$C"
        assert_ok cocoon start "$C"
        capture cocoon exec "$S" ps -o args
        assert_contains "$out" "sleep 424242" "the member's process, seen from the pod's pid namespace"
        assert_ok cocoon kill "$C" KILL
        wait_status "$C" stopped 60
        assert_ok cocoon delete "$C"
        local i=0
        while capture cocoon exec "$S" ps -o args && [[ "$out" == *"sleep 424242"* ]]; do
                i=$((i + 1))
                [ "$i" -lt 20 ] || fail "the killed member's process lives on in the guest: $out"
                sleep 0.5
        done

        # a namespace that is not the pod's is refused, and leaves nothing
        pod_member "$T/bad" "$S" "$sp" true
        edit_config "$T/bad" 'c["linux"]["namespaces"] = [dict(n, path="/proc/self/ns/net") if n["type"] == "network" else n for n in c["linux"]["namespaces"]]'
        local bad
        bad=$(new_id bad)
        capture cocoon create --bundle "$T/bad" "$bad"
        assert_ne 0 "$rc" "create with another network namespace"
        assert_contains "$err" "is not a namespace of the pod's sandbox container" "the refusal"
        [ ! -e "$ROOT/$bad" ] && [ -z "$(ls "$ROOT/$S/pod")" ] || fail "a refused member left state or mounts"
        # so is a pod sandbox that is not there
        edit_config "$T/bad" 'c["annotations"]["io.kubernetes.cri.sandbox-id"] = "no-such-pod"'
        capture cocoon create --bundle "$T/bad" "$bad"
        assert_ne 0 "$rc" "create in a pod that is not there"
        assert_contains "$err" 'pod sandbox "no-such-pod", which is not a container of this --root' "the refusal"
        assert_eq 1 "$(grep -c . <<<"$err")" "lines of the refusal: [$err]"
        [ ! -e "$ROOT/$bad" ] || fail "a refused member left state"

        # the guest can write to the share: what it plants there (as a
        # symlink out of it, here made on the host as QEMU would) must not
        # steer the clean-up (no unmount, no removal through it)
        mkdir -p "$T/canary/mnt"
        echo keep >"$T/canary/file"
        mount -t tmpfs cocoon-canary "$T/canary/mnt"
        ln -s "$T/canary" "$ROOT/$S/pod/planted"
        mkdir "$ROOT/$S/pod/dir" && ln -s "$T/canary" "$ROOT/$S/pod/dir/link"

        # the pod goes: its VM, and nothing under its share
        assert_ok cocoon kill "$S" KILL
        wait_status "$S" stopped 60
        assert_ok cocoon delete "$S"
        wait_pid_gone "$qp"
        ! grep -q "$ROOT/$S" /proc/self/mountinfo || fail "mounts left: $(grep "$ROOT/$S" /proc/self/mountinfo)"
        [ ! -e "$ROOT/$S" ] || fail "the pod's state is left"
        mountpoint -q "$T/canary/mnt" || fail "the clean-up unmounted through a symlink the guest could plant"
        assert_eq keep "$(cat "$T/canary/file" 2>/dev/null)" "a file behind a planted symlink"
        umount "$T/canary/mnt"
}
