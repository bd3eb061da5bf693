# shellcheck shell=bash disable=SC2154,SC2086,SC2016  # $out $err $rc are set by capture(); $CRI / $PODMAN are commands split on purpose (as in the docs)
# Podman end to end: Debian's podman with `--runtime` pointing at cocoon,
# private --root/--runroot/--tmpdir under $T, the cgroupfs manager, no
# network; an image imported from the busybox rootfs (`podman import`).
# The $PODMAN commands of docs/quickstart-podman.md are the ones below.
# test-timeout: 600

DOC=$TESTS_DIR/../docs/quickstart-podman.md
BIN=$T/bin
IMAGE=localhost/cocoon-busybox:e2e
PARENT=/cocoon-e2e-$TOKEN # the containers' cgroups (and conmon's) go under it

# pm_start SANDBOX: $PODMAN for the sandbox, and the image.
pm_start() {
        have_cmd podman || fail "podman is not installed (bash scripts/deps.sh e2e)"
        SANDBOX=$1
        mkdir -p "$BIN"
        ln -sf "$COCOON" "$BIN/cocoon-$SANDBOX"
        # Podman (4.3) gives containers RLIMIT_NOFILE and RLIMIT_NPROC of
        # 1048576, more than root may set without CAP_SYS_RESOURCE (which
        # root lacks on some hosts: in containers, on this CI machine); runc
        # fails the same way.  There, default to the limits podman itself
        # runs with (it lowers its own NPROC to 32768 when it cannot raise it).
        : >"$T/containers.conf"
        if ! has_cap 24; then
                local nofile nproc
                nofile=$(ulimit -Hn)
                nproc=$(ulimit -Hu)
                [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
                printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' \
                        "$nofile" "$nofile" "$nproc" "$nproc" >"$T/containers.conf"
        fi
        export CONTAINERS_CONF=$T/containers.conf
        PODMAN="podman --root $T/pm/root --runroot $T/pm/run --tmpdir $T/pm/tmp --events-backend=file --runtime $BIN/cocoon-$SANDBOX --cgroup-manager=cgroupfs"
        trap pm_cleanup EXIT
        cd "$T" || exit
        tar -C "$ROOTFS" -cf cocoon-busybox.tar .
        assert_ok $PODMAN import cocoon-busybox.tar "$IMAGE"
}

has_cap() {
        local eff
        eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
        (((0x$eff >> $1) & 1))
}

pm_cleanup() {
        $PODMAN rm --all --force --time 0 >/dev/null 2>&1 || true
        # podman leaves conmon's cgroup behind, and `rm` can return while
        # conmon is still exiting in it: wait (10 s at most) until each is
        # empty, or the rmdir fails with EBUSY and the cgroups leak
        local d i
        for d in /sys/fs/cgroup/*"$PARENT"/conmon /sys/fs/cgroup/*"$PARENT"; do
                [ -d "$d" ] || continue
                for ((i = 0; i < 100; i++)); do
                        [ -n "$(cat "$d/cgroup.procs" 2>/dev/null)" ] || break
                        sleep 0.1
                done
                rmdir "$d" 2>/dev/null || true
        done
        # the image store's own mounts, if podman left any
        for d in $(awk -v d="$T/pm/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
                umount -l "$d" 2>/dev/null || true
        done
}

podman_lifecycle() {
        pm_start "$1"
        local NAME ID
        # run: stdout and the exit status
        capture $PODMAN run --rm --network none --cgroup-parent "$PARENT" "$IMAGE" sh -c 'echo hello from cocoon; exit 3'
        assert_eq 3 "$rc" "exit status of podman run (stderr: $err)"
        assert_eq "hello from cocoon" "$out" "stdout of podman run"

        # with a terminal (conmon's console socket)
        capture $PODMAN run --rm -t --network none --cgroup-parent "$PARENT" "$IMAGE" sh -c 'tty; exit 7'
        assert_eq 7 "$rc" "exit status of podman run -t (stderr: $err)"
        assert_match "$out" '^/dev/pts/[0-9]+' "tty in podman run -t"

        # a detached container: exec, stop (its TERM trap exits 0)
        NAME=$(new_id web)
        capture $PODMAN run -d --name "$NAME" --network none --cgroup-parent "$PARENT" "$IMAGE" sh -c 'trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'
        assert_eq 0 "$rc" "podman run -d (stderr: $err)"
        ID=$out
        # podman 4.3 passes --runtime-flag options to every command but
        # `delete`, so cocoon keeps its default root (/run/cocoon) here
        assert_eq "$SANDBOX" "$(json_get 'd["sandbox"]' "/run/cocoon/$ID/state.json")" "sandbox in cocoon's state"
        capture $PODMAN exec "$NAME" sh -c 'echo inside; exit 4'
        assert_eq 4 "$rc" "exit status of podman exec (stderr: $err)"
        assert_eq "inside" "$out" "stdout of podman exec"
        assert_ok $PODMAN stop -t 10 "$NAME"
        capture $PODMAN inspect "$NAME" --format '{{.State.ExitCode}}'
        assert_eq 0 "$out" "exit code after podman stop"
        # SIGKILL: 137, as with runc
        capture $PODMAN start "$NAME"
        assert_eq 0 "$rc" "podman start (stderr: $err)"
        assert_ok $PODMAN kill "$NAME"
        capture $PODMAN wait "$NAME"
        assert_eq 137 "$out" "exit code after podman kill"
        assert_ok $PODMAN rm "$NAME"
        [ ! -e "/run/cocoon/$ID" ] || fail "cocoon's state of $ID is left after podman rm"
}

test_podman_run_exec_stop_none() { podman_lifecycle none; }

# --runtime-flag sandbox=NAME wins over the binary's name
test_podman_runtime_flag_selects_the_sandbox() {
        pm_start sentry
        local NAME ID
        NAME=$(new_id flag)
        capture $PODMAN --runtime-flag sandbox=none run -d --name "$NAME" --network none --cgroup-parent "$PARENT" "$IMAGE" sleep 300
        assert_eq 0 "$rc" "podman run -d (stderr: $err)"
        ID=$out
        assert_eq none "$(json_get 'd["sandbox"]' "/run/cocoon/$ID/state.json")" "sandbox with --runtime-flag sandbox=none"
        assert_ok $PODMAN rm --force --time 0 "$NAME"
        [ ! -e "/run/cocoon/$ID" ] || fail "cocoon's state of $ID is left after podman rm"
}

test_podman_run_exec_stop_sentry() { podman_lifecycle sentry; }

test_podman_run_exec_stop_vm() { podman_lifecycle vm; }

# Every $PODMAN command of the quick start is one this file runs.
test_quickstart_commands_are_tested() {
        local line n=0 self=$TESTS_DIR/integration/e2e_podman.slow.sh
        while IFS= read -r line; do
                n=$((n + 1))
                grep -qF -- "$line" "$self" || fail "docs/quickstart-podman.md runs a command this test does not: $line"
        done < <(awk '/^```sh$/ {on=1; next} /^```$/ {on=0} on && /^\$PODMAN / {sub(/ +#.*$/, ""); print}' "$DOC")
        [ "$n" -ge 8 ] || fail "found only $n podman commands in $DOC"
}
