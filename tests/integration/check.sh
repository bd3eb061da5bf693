# shellcheck shell=bash
# test-timeout: 300
# `cocoon check`: the host readiness report.  Every line is OK, WARN or FAIL;
# the probes do the real thing (a seccomp listener that installs an fd, a
# user namespace, a cgroup made and removed); the exit status is non-zero
# exactly when a line says FAIL.

# check_lines_well_formed: every line of $out is "LEVEL  what: detail", and
# WARN / FAIL lines carry a fix.
check_lines_well_formed() {
        local line n=0
        while IFS= read -r line; do
                n=$((n + 1))
                assert_match "$line" '^(OK|WARN|FAIL) +[^:]+: .+' "check line $n"
                case "$line" in
                WARN* | FAIL*) assert_contains "$line" "; fix: " "check line $n" ;;
                esac
        done <<<"$out"
        [ "$n" -ge 15 ] || fail "only $n lines in the report"
}

# vm_refused: this build refuses --sandbox=vm (asked of `create` itself).
vm_refused() {
        local e
        e=$("$COCOON" --root "$ROOT" --sandbox=vm create --bundle "$T/no-such-bundle" "vm-probe-$TOKEN" 2>&1) && return 1
        [[ "$e" == *"--sandbox=vm is not available yet"* ]]
}

test_check_report() {
        capture "$COCOON" check
        check_lines_well_formed
        # non-zero exactly when something failed
        if grep -q '^FAIL' <<<"$out"; then
                assert_ne 0 "$rc" "exit status with a FAIL line"
        else
                assert_eq 0 "$rc" "exit status without FAIL lines (stderr: $err)"
        fi
        local what
        for what in "namespaces" "user namespaces" "cgroup layout" "cgroup creation" "cgroup controllers" \
                "openat2 RESOLVE_IN_ROOT" "pidfd_getfd" "process_vm_readv" "seccomp user notification" \
                "seccomp ADDFD" "seccomp sync wake-up" "/dev/kvm" "QEMU" "guest assets" \
                "engine Docker" "engine containerd" "engine Podman" "sandbox none" "sandbox sentry" "sandbox vm"; do
                grep -qE "^(OK|WARN|FAIL) +$what: " <<<"$out" || fail "no line for [$what] in: $out"
        done
        # this host (kernel 6.x, root): the sentry's kernel features are there
        local major minor
        IFS=. read -r major minor _ <<<"$(uname -r)"
        if [ "$major" -gt 6 ] || { [ "$major" = 6 ] && [ "$minor" -ge 6 ]; }; then
                assert_match "$out" $'(^|\n)OK +seccomp user notification: ' "seccomp probe on kernel $(uname -r)"
                assert_match "$out" $'(^|\n)OK +seccomp ADDFD: ' "ADDFD probe on kernel $(uname -r)"
                assert_match "$out" $'(^|\n)OK +seccomp sync wake-up: ' "sync wake-up probe on kernel $(uname -r)"
        fi
        # the layout matches what `features` reports
        local layout
        layout=$("$COCOON" features | json_get 'd["annotations"]["io.github.cocoon.cgroup-layout"]')
        assert_match "$out" $'(^|\n)OK +cgroup layout: '"$layout"'( |$)' "cgroup layout line"
        # one verdict per sandbox, last; a build without the vm sandbox says
        # so (sandbox_lookup's own line), but not as a FAIL
        assert_match "$out" $'\n[A-Z]+ +sandbox none: [^\n]*\n[A-Z]+ +sandbox sentry: [^\n]*\n[A-Z]+ +sandbox vm: [^\n]*$' \
                "the sandbox lines"
        if ! vm_refused; then
                assert_match "$out" $'\n(OK|FAIL) +sandbox vm: ' "sandbox vm in a build that has it"
        else
                assert_match "$out" $'\nWARN +sandbox vm: --sandbox=vm is not available yet in this build of cocoon' \
                        "sandbox vm in a build without it"
        fi
        assert_eq "" "$err" "stderr of cocoon check as root"
        if grep -qE '^FAIL +(namespaces|cgroup creation|openat2 RESOLVE_IN_ROOT):' <<<"$out"; then
                assert_match "$out" $'\nFAIL +sandbox none: cannot run' "sandbox none after a FAIL it needs"
        else
                assert_match "$out" $'\nOK +sandbox none: ready' "sandbox none"
        fi
        if grep -qE '^FAIL ' <<<"$(grep -vE '^FAIL +sandbox ' <<<"$out")"; then
                assert_match "$out" $'\nFAIL +sandbox sentry: cannot run' "sandbox sentry after a FAIL"
        else
                assert_match "$out" $'\nOK +sandbox sentry: ready' "sandbox sentry"
        fi
        # the probe cgroup is gone again
        local left
        left=$(find /sys/fs/cgroup -maxdepth 3 -name 'cocoon-check-*' 2>/dev/null)
        assert_eq "" "$left" "probe cgroups left behind"
}

# The engine lines follow what is installed and configured on this host.
test_check_engines() {
        capture "$COCOON" check
        local line
        line=$(grep -E '^(OK|WARN) +engine Docker: ' <<<"$out")
        if [ -x /usr/sbin/dockerd ]; then
                assert_contains "$line" "/usr/sbin/dockerd" "Docker line"
                if grep -qs cocoon /etc/docker/daemon.json; then
                        assert_match "$line" '^OK' "Docker line with cocoon configured"
                else
                        assert_match "$line" '^WARN .*deploy/docker/daemon.json' "Docker line without cocoon configured"
                fi
        else
                assert_match "$line" '^OK .*not installed' "Docker line without dockerd"
        fi
}

# Without root the cgroup probe really fails: a FAIL line and exit status 1,
# and a WARN saying why.
test_check_unprivileged_fails() {
        have_cmd setpriv || skip "setpriv not installed"
        capture setpriv --reuid 65534 --regid 65534 --clear-groups env ASAN_OPTIONS=detect_leaks=0 "$COCOON" check
        assert_eq 1 "$rc" "exit status of an unprivileged check (stderr: $err)"
        check_lines_well_formed
        assert_match "$out" $'^WARN +privileges: not root' "first line"
        assert_match "$out" $'\nFAIL +cgroup creation: .*Permission denied' "cgroup line"
        assert_match "$out" $'\nFAIL +sandbox none: cannot run on this host: cgroup creation' "sandbox none line"
        assert_match "$out" $'\nFAIL +sandbox sentry: cannot run on this host: cgroup creation' "sandbox sentry line"
        assert_one_line "$err" "stderr"
}

test_check_rejects_arguments() {
        assert_fail "$COCOON" check extra
        assert_error_line
        assert_contains "$err" 'unexpected argument "extra"'
        assert_eq "" "$out" "stdout of a refused check"
}

# make install puts the binary, the man page and the guest assets where
# `cocoon check` (and the vm sandbox) look for them; absent assets are
# skipped with a message.  (`make install` builds build/cocoon first when it
# is out of date: hence this file's timeout.)
test_install_prefix() {
        local src
        src=$(cd "$TESTS_DIR/.." && pwd)
        capture make -s -C "$src" install PREFIX="$T/p1" GUEST_SRC="$T/none"
        assert_eq 0 "$rc" "make install without guest assets ($err)"
        assert_contains "$out" "SKIP    $T/none/vmlinux: not built"
        assert_contains "$out" "SKIP    $T/none/initramfs.cpio: not built"
        assert_contains "$out" "SKIP    $T/none/vmlinux-min: not built (make guest-kernel; optional"
        [ -x "$T/p1/bin/cocoon" ] || fail "no $T/p1/bin/cocoon"
        [ -s "$T/p1/share/man/man8/cocoon.8" ] || fail "no cocoon.8"
        [ ! -e "$T/p1/lib/cocoon/guest" ] || fail "a guest directory without assets"
        capture "$T/p1/bin/cocoon" check
        # the binary still finds the assets of the tree it was built in, if any
        if [ -s "$src/build/guest/vmlinux" ] && [ -s "$src/build/guest/initramfs.cpio" ]; then
                assert_match "$out" $'\nOK +guest assets: '"$src/build/guest"$'\n' "check before the assets (build tree)"
        else
                assert_match "$out" $'\nWARN +guest assets: no vmlinux and initramfs.cpio in '"$T/p1/lib/cocoon/guest" \
                        "check before the assets"
        fi

        mkdir -p "$T/g"
        echo kernel >"$T/g/vmlinux"
        echo initramfs >"$T/g/initramfs.cpio"
        capture make -s -C "$src" install PREFIX="$T/p2" GUEST_SRC="$T/g"
        assert_eq 0 "$rc" "make install with guest assets ($err)"
        assert_eq "kernel initramfs" "$(cat "$T/p2/lib/cocoon/guest/vmlinux" "$T/p2/lib/cocoon/guest/initramfs.cpio" | tr '\n' ' ' | sed 's/ $//')" \
                "installed guest assets"
        capture "$T/p2/bin/cocoon" check
        assert_match "$out" $'\nOK +guest assets: '"$T/p2/lib/cocoon/guest"$'\n' "check after make install"
        assert_contains "$out" "OK    guest kernel: debian (vmlinux)" "the guest kernel without the minimal one"

        # the minimal kernel (make guest-kernel) is installed too, and preferred
        echo kernel-min >"$T/g/vmlinux-min"
        echo initramfs-min >"$T/g/initramfs-min.cpio"
        echo 6.1.0-test >"$T/g/kernel-min.release"
        capture make -s -C "$src" install PREFIX="$T/p3" GUEST_SRC="$T/g"
        assert_eq 0 "$rc" "make install with the minimal kernel ($err)"
        capture "$T/p3/bin/cocoon" check
        assert_contains "$out" "OK    guest kernel: minimal (vmlinux-min, 6.1.0-test)" "the minimal kernel preferred"
        COCOON_VM_KERNEL=debian capture "$T/p3/bin/cocoon" check
        assert_contains "$out" "OK    guest kernel: debian (vmlinux)" "COCOON_VM_KERNEL=debian"
}
