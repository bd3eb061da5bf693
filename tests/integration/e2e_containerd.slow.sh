# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# containerd end to end: Debian's containerd, started by the test on a private
# socket, root and state; `ctr run` with cocoon as the runc binary of the runc
# shim, for the sandboxes none, sentry and vm (docs/quickstart-containerd.md:
# the ctr commands there are the ones below).
# test-timeout: 600

source "$TESTS_DIR/e2e/containerd_lib.sh"

DOC=$TESTS_DIR/../docs/quickstart-containerd.md

# with_tty CMD...: CMD with a terminal on its stdin/stdout (ctr -t needs one).
with_tty() {
        script -qec "$(printf '%q ' "$@")" /dev/null </dev/null
}

# ctr_lifecycle SANDBOX: the quick start's commands, with this test's ids.
ctr_lifecycle() {
        SANDBOX=$1
        local IMAGE=docker.io/library/cocoon-busybox:e2e ID
        ctd_start
        on_exit_stop_containerd
        cd "$T" || exit
        ctd_image "$IMAGE" cocoon-busybox.tar
        assert_ok ctr -a "$SOCK" -n "$NS" images import cocoon-busybox.tar

        # run: stdout and the exit status of the workload
        ID=$(new_id "run-$SANDBOX")
        capture ctr -a "$SOCK" -n "$NS" run --rm --runtime io.containerd.runc.v2 --runc-binary "$BIN/cocoon-$SANDBOX" "$IMAGE" "$ID" sh -c 'echo hello from cocoon; exit 3'
        assert_eq 3 "$rc" "exit status of ctr run (stderr: $err)"
        assert_eq "hello from cocoon" "$out" "stdout of ctr run"
        assert_eq "" "$(ctr_ containers ls -q)" "containers left by ctr run --rm"

        # with a terminal: the shim hands cocoon a console socket
        ID=$(new_id "tty-$SANDBOX")
        capture with_tty ctr -a "$SOCK" -n "$NS" run -t --rm --runtime io.containerd.runc.v2 --runc-binary "$BIN/cocoon-$SANDBOX" "$IMAGE" "$ID" sh -c 'tty; exit 6'
        assert_eq 6 "$rc" "exit status of ctr run -t (stderr: $err)"
        assert_contains "$out" "/dev/pts/" "tty in ctr run -t"

        # a detached container: the sandbox is the one the binary's name chose
        ID=$(new_id "task-$SANDBOX")
        assert_ok ctr -a "$SOCK" -n "$NS" run -d --runtime io.containerd.runc.v2 --runc-binary "$BIN/cocoon-$SANDBOX" "$IMAGE" "$ID" sleep 300
        assert_eq "$SANDBOX" "$(json_get 'd["sandbox"]' "/run/containerd/runc/$NS/$ID/state.json")" "sandbox in cocoon's state"
        assert_match "$(ctr_ tasks ls | awk -v id="$ID" '$1 == id {print $3}')" '^RUNNING$' "task status"
        capture ctr -a "$SOCK" -n "$NS" tasks exec --exec-id e1 "$ID" sh -c 'echo inside; exit 4'
        assert_eq 4 "$rc" "exit status of ctr tasks exec (stderr: $err)"
        assert_eq "inside" "$out" "stdout of ctr tasks exec"
        capture with_tty ctr -a "$SOCK" -n "$NS" tasks exec -t --exec-id e2 "$ID" sh -c 'tty; exit 5'
        assert_eq 5 "$rc" "exit status of ctr tasks exec -t (stderr: $err)"
        assert_contains "$out" "/dev/pts/" "tty in ctr tasks exec -t"
        # the exec'd processes are gone: only the init is left in the container
        # (vm: the shim's `ps --format json` gives host pids, the monitor's and
        # QEMU's, as Kata's shim gives the hypervisor's: docs/vm.md)
        local want=1
        [ "$SANDBOX" != vm ] || want=2
        assert_eq "$want" "$(ctr_ tasks ps "$ID" | tail -n +2 | wc -l)" "processes after the exec"

        assert_ok ctr -a "$SOCK" -n "$NS" tasks kill -s SIGKILL "$ID"
        local i=0
        until [ "$(ctr_ tasks ls | awk -v id="$ID" '$1 == id {print $3}')" = STOPPED ]; do
                i=$((i + 1))
                [ "$i" -lt 200 ] || fail "task $ID did not stop after SIGKILL"
                sleep 0.1
        done
        capture ctr -a "$SOCK" -n "$NS" tasks delete "$ID"
        assert_eq 0 "$rc" "ctr tasks delete (stderr: $err)"
        assert_contains "$err" "exit code 137" "ctr tasks delete's report of the exit status"
        assert_ok ctr -a "$SOCK" -n "$NS" containers delete "$ID"
        [ ! -e "/run/containerd/runc/$NS/$ID" ] || fail "cocoon's state of $ID is left after delete"
}

test_ctr_run_exec_kill_none() { ctr_lifecycle none; }

test_ctr_run_exec_kill_sentry() { ctr_lifecycle sentry; }

test_ctr_run_exec_kill_vm() { ctr_lifecycle vm; }

# An unknown sandbox in the binary's name fails the
# container's creation with cocoon's error, not with another sandbox.
test_ctr_run_unknown_sandbox_name_fails() {
        local IMAGE=docker.io/library/cocoon-busybox:e2e ID
        ctd_start
        on_exit_stop_containerd
        cd "$T" || exit
        ctd_image "$IMAGE" cocoon-busybox.tar
        assert_ok ctr_ images import cocoon-busybox.tar
        ln -sf "$COCOON" "$BIN/cocoon-sentri"
        ID=$(new_id typo)
        assert_fail ctr_ run --rm --runtime io.containerd.runc.v2 --runc-binary "$BIN/cocoon-sentri" "$IMAGE" "$ID" true
        assert_contains "$err" 'unknown sandbox "sentri"' "ctr's error"
        ctr_ containers delete "$ID" >/dev/null 2>&1 || true
}

# Every ctr command of the quick start is one this file runs.
test_quickstart_commands_are_tested() {
        local line n=0 self=$TESTS_DIR/integration/e2e_containerd.slow.sh
        while IFS= read -r line; do
                n=$((n + 1))
                grep -qF -- "$line" "$self" || fail "docs/quickstart-containerd.md runs a command this test does not: $line"
        done < <(awk '/^```sh$/ {on=1; next} /^```$/ {on=0} on && /^ctr / {sub(/ +#.*$/, ""); print}' "$DOC")
        [ "$n" -ge 6 ] || fail "found only $n ctr commands in $DOC"
}
