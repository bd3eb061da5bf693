# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# The runtime's own attack surface while it sets a container up.

# CVE-2019-5736: until it execs the user's program, the init is a fork of
# cocoon.  Its /proc/PID/exe must be a sealed in-memory copy, not the host's
# binary, or a container root could rewrite cocoon through it.
test_init_runs_from_sealed_copy() {
        local B=$T/b id p exe before
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        create_ctr "$B" "$id"
        p=$(pid_of "$id")
        exe=$(readlink "/proc/$p/exe")
        assert_contains "$exe" "memfd:cocoon" "exe of the created (not yet started) init"
        before=$(sha256sum "$COCOON" | cut -d' ' -f1)
        # root on the host cannot write through it either: the copy is sealed
        if printf 'overwritten' 2>/dev/null >"/proc/$p/exe"; then
                fail "writing through /proc/$p/exe succeeded"
        fi
        assert_eq "$before" "$(sha256sum "$COCOON" | cut -d' ' -f1)" "host binary unchanged"
        assert_ok cocoon delete --force "$id"
}

# A program that re-executes its interpreter "/proc/self/exe" inside the
# container gets cocoon's sealed copy, which changes nothing on the host.
test_shebang_proc_self_exe() {
        local B=$T/b id before
        make_bundle "$B" /evil
        printf '#!/proc/self/exe\n' >"$B/rootfs/evil"
        chmod 755 "$B/rootfs/evil"
        before=$(sha256sum "$COCOON" | cut -d' ' -f1)
        id=$(new_id)
        capture cocoon run -b "$B" "$id"
        # the interpreter (cocoon's copy) rejects its arguments; nothing else happens
        [ "$rc" -ne 0 ] || fail "the shebang program exited 0"
        assert_eq "$before" "$(sha256sum "$COCOON" | cut -d' ' -f1)" "host binary unchanged"
        cocoon delete --force "$id" >/dev/null 2>&1 || true
}
