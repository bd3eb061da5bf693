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
        assert_eq "$(cat "$TESTS_DIR/../build/guest/kernel.release")" "$guest" "the guest's kernel release"
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
        assert_contains "$err" "a host namespace cannot be joined from inside a VM"
        [ ! -e "$ROOT/$id" ] || fail "left $ROOT/$id"
}

test_vm_memory_limit_enforced_in_the_guest() {
        vm_ready
        local B=$T/b
        # 32 MiB: 8 MiB fits, 64 MiB is OOM-killed by the guest's cgroup (not
        # QEMU by the host's: that one is sized for the guest's RAM plus QEMU)
        make_bundle "$B" sh -c 'dd if=/dev/zero of=/dev/null bs=8M count=1 2>/dev/null; echo "small=$?"
                                dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo "big=$?"'
        edit_config "$B" 'c["linux"].setdefault("resources", {})["memory"] = {"limit": 33554432}'
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
                                i=0; while [ $i -lt 12 ]; do sleep 2 & i=$((i + 1)); done; wait; echo forked'
        edit_config "$B" 'c["root"]["readonly"] = True' \
                'c["linux"].setdefault("resources", {})["pids"] = {"limit": 8}'
        capture cocoon run --bundle "$B" "$(new_id)"
        assert_eq 2 "$rc" "exit code (stderr: $err)"
        assert_contains "$out" "touch=1" "a write to the read-only root"
        assert_contains "$err" "can't fork" "forks beyond pids.limit in the guest"
        assert_not_contains "$err" "QEMU of container" "the monitor's view"
}

test_vm_terminal_console_socket() {
        vm_ready
        local B=$T/b id
        make_bundle "$B" sh -c 'test -t 0 && test -t 1 && test -t 2 && echo ALL-TTY; stty size; read line; echo "got:$line"'
        edit_config "$B" 'c["process"]["terminal"]=True' 'c["process"]["consoleSize"]={"height":33,"width":101}'
        id=$(new_id)
        console_receiver "$T/c.sock" "$T/c.out" 'some-input\n'
        create_ctr "$B" "$id" --console-socket "$T/c.sock"
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
