# shellcheck shell=bash
# The wording of exec errors, which engines parse: Docker 20.10 turns an OCI
# runtime error into exit status 127 when it contains the command and
# "executable file not found" or "no such file or directory", and into 126
# when it contains "permission denied" -- case-sensitively, in Go's (runc's)
# lower-case wording of the errno.  Otherwise `docker run` exits 125.

test_exec_error_missing_path() {
        local s
        for s in none sentry; do
                make_bundle "$T/b-$s" /nonexistent
                capture "$COCOON" --root "$ROOT" --sandbox="$s" run --bundle "$T/b-$s" "$(new_id "$s")"
                assert_ne 0 "$rc" "[$s] status"
                assert_one_line "$err" "[$s] stderr"
                assert_contains "$err" 'exec: "/nonexistent": stat /nonexistent: no such file or directory' "[$s] error"
        done
}

test_exec_error_not_executable() {
        local s
        for s in none sentry; do
                make_bundle "$T/b-$s" /etc/passwd
                capture "$COCOON" --root "$ROOT" --sandbox="$s" run --bundle "$T/b-$s" "$(new_id "$s")"
                assert_ne 0 "$rc" "[$s] status"
                assert_one_line "$err" "[$s] stderr"
                assert_contains "$err" 'exec: "/etc/passwd": permission denied' "[$s] error"
        done
}

# an exec'd process: the same wording from `cocoon exec`
test_exec_error_in_exec() {
        make_bundle "$T/b" sleep 100
        local id
        id=$(new_id)
        start_ctr "$T/b" "$id"
        assert_fail cocoon exec "$id" /nonexistent
        assert_contains "$err" 'exec: "/nonexistent": stat /nonexistent: no such file or directory'
        assert_fail cocoon exec "$id" /etc/passwd
        assert_contains "$err" 'exec: "/etc/passwd": permission denied'
        destroy "$id"
}
