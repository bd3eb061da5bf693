# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# --preserve-fds and systemd socket activation (LISTEN_FDS).

test_preserve_fds_one() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'cat <&3'
        echo "through fd 3" >"$T/f3"
        id=$(new_id)
        capture eval 'cocoon run --preserve-fds 1 --bundle "$B" "$id" 3<"$T/f3"'
        assert_eq 0 "$rc" "exit ($err)"
        assert_eq "through fd 3" "$out"
}

test_preserve_fds_two_and_create() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'cat <&3; cat <&4; echo w >&5'
        echo three >"$T/f3"
        echo four >"$T/f4"
        id=$(new_id)
        capture eval 'cocoon run --preserve-fds=3 --bundle "$B" "$id" 3<"$T/f3" 4<"$T/f4" 5>"$T/f5"'
        assert_eq 0 "$rc" "exit ($err)"
        assert_eq "three
four" "$out"
        assert_eq w "$(cat "$T/f5")" "written through fd 5"
        # with create/start the fds are those of create
        id=$(new_id)
        set_args "$B" /bin/sh -c 'cat <&3 >/got'
        eval 'cocoon create --preserve-fds 1 --bundle "$B" "$id" 3<"$T/f3"' || fail "create"
        assert_ok cocoon start "$id"
        wait_status "$id" stopped
        assert_eq three "$(cat "$B/rootfs/got")"
        assert_ok cocoon delete "$id"
}

test_fds_not_preserved_by_default() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'for f in /proc/1/fd/*; do readlink $f; done; true'
        echo x >"$T/leakme-$TOKEN"
        id=$(new_id)
        capture eval 'cocoon run --bundle "$B" "$id" 3<"$T/leakme-$TOKEN" 7<"$T/leakme-$TOKEN"'
        assert_eq 0 "$rc" "exit ($err)"
        assert_not_contains "$out" "leakme" "fds of the container"
        # and with --preserve-fds 1, fd 7 still does not get in
        id=$(new_id)
        capture eval 'cocoon run --preserve-fds 1 --bundle "$B" "$id" 3<"$T/leakme-$TOKEN" 7<"$T/leakme-$TOKEN"'
        assert_eq 0 "$rc" "exit ($err)"
        assert_eq 1 "$(grep -c leakme <<<"$out")" "leakme fds with --preserve-fds 1"
}

test_listen_fds() {
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'echo "LISTEN_FDS=$LISTEN_FDS LISTEN_PID=$LISTEN_PID"; cat <&3'
        echo "socket-activated" >"$T/f3"
        id=$(new_id)
        # LISTEN_PID must name the runtime itself (sd_listen_fds semantics)
        capture bash -c 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$COCOON" --root "$ROOT" run --bundle "$1" "$2" 3<"$3"' \
                _ "$B" "$id" "$T/f3"
        assert_eq 0 "$rc" "exit ($err)"
        assert_eq "LISTEN_FDS=1 LISTEN_PID=1
socket-activated" "$out"
}

test_exec_preserve_fds() {
        local B=$T/b id
        make_bundle "$B" /bin/sleep 1000
        id=$(new_id)
        start_ctr "$B" "$id"
        echo "exec fd 3" >"$T/f3"
        capture eval 'cocoon exec --preserve-fds 1 "$id" sh -c "cat <&3" 3<"$T/f3"'
        assert_eq 0 "$rc" "exit ($err)"
        assert_eq "exec fd 3" "$out"
        # and not without the flag
        capture eval 'cocoon exec "$id" sh -c "cat <&3" 3<"$T/f3"'
        [ "$rc" != 0 ] || fail "fd 3 reached the exec without --preserve-fds: $out"
        destroy "$id"
}

test_listen_fds_and_preserve_fds() {
        # runc: the LISTEN_FDS come first (fd 3...), then --preserve-fds ones
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'echo "LISTEN_FDS=$LISTEN_FDS"; cat <&3; cat <&4'
        echo "listen" >"$T/f3"
        echo "extra" >"$T/f4"
        id=$(new_id)
        capture bash -c 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$COCOON" --root "$ROOT" run --preserve-fds 1 --bundle "$1" "$2" 3<"$3" 4<"$4"' \
                _ "$B" "$id" "$T/f3" "$T/f4"
        assert_eq 0 "$rc" "exit ($err)"
        assert_eq "LISTEN_FDS=1
listen
extra" "$out"
}

test_listen_fds_for_another_pid_ignored() {
        # LISTEN_PID names some other process: not ours, nothing is passed
        local B=$T/b id
        make_bundle "$B" /bin/sh -c 'echo "LISTEN_FDS=$LISTEN_FDS"; cat <&3 2>/dev/null || echo no-fd3'
        echo "listen" >"$T/f3"
        id=$(new_id)
        capture bash -c 'export LISTEN_FDS=1 LISTEN_PID=1; exec "$COCOON" --root "$ROOT" run --bundle "$1" "$2" 3<"$3"' \
                _ "$B" "$id" "$T/f3"
        assert_eq 0 "$rc" "exit ($err)"
        assert_eq "LISTEN_FDS=
no-fd3" "$out"
}
