# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# test-timeout: 600
# CPython's own regression modules (Debian's libpython3.11-testsuite) in a
# container that bind-mounts the host's /usr read-only, under `none` and under
# `sentry`: the same tests must run with the same result (docs/compatibility.md
# lists the modules and every difference found).  Each module is one test:
# `python3 -m test -v MODULE` under each sandbox, its "Ran N tests" and final
# result line compared.

# shellcheck source=tests/lib/host_usr.sh
source "$TESTS_DIR/lib/host_usr.sh"

PY_MODULES_DOC=$TESTS_DIR/../docs/compatibility.md

# py_bundle B: a root of symlinks into /usr (Debian's merged /usr), the few
# files of /etc that the modules read, /usr from the host read-only, /tmp a
# tmpfs, Docker's default capabilities.
py_bundle() {
        [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
        [ -d /usr/lib/python3.11/test ] || skip "no CPython test suite (apt-get install libpython3.11-testsuite)"
        host_usr_bundle "$1"
}

# py_start SANDBOX MODULE [REGRTEST-ARGS...]: starts the module under
# SANDBOX in the background, in a bundle of its own (bundle_run_bg).
py_start() {
        local sb=$1 mod=$2
        shift 2
        py_bundle "$T/$sb"
        set_args "$T/$sb" /usr/bin/python3 -m test -v --timeout 240 "$@" "$mod"
        bundle_run_bg "$sb" "$T/$sb"
}

# py_result SANDBOX MODULE: sets $out to the module's summary under SANDBOX
# (the "Ran N tests" line and the result line, OK / FAILED with counts) and
# $py_failed to its failing tests by name, for the message.
py_result() {
        local sb=$1 mod=$2 all
        bundle_collect "$T/$sb"
        all="$out
$err"
        out=$(grep -E '^(Ran [0-9]+ tests? in|OK|FAILED)' <<<"$all" | sed 's/ in [0-9.]*s$//' || true)
        if [ -z "$out" ]; then
                fail "$mod under $sb printed no result (rc=$rc): $(tail -n 20 <<<"$all")"
        fi
        py_failed=$(grep -E '^(FAIL|ERROR):' <<<"$all" | head -n 20 || true)
}

# py_same MODULE [REGRTEST-ARGS...]: the same tests and the same result
# under none and sentry.
py_same() {
        local mod=$1 want
        shift
        py_start none "$mod" "$@"
        py_start sentry "$mod" "$@"
        py_result none "$mod"
        want=$out
        assert_match "$want" $'Ran [0-9]+ tests' "$mod under none"
        py_result sentry "$mod"
        [ "$out" = "$want" ] || fail "$mod: under sentry
$out
$py_failed
--- under none:
$want"
        note "$mod: $(tr '\n' ' ' <<<"$out")(sentry $ms ms)"
}

test_py_os() { py_same test_os; }
test_py_posix() { py_same test_posix; }
test_py_subprocess() { py_same test_subprocess; }
test_py_signal() { py_same test_signal; }
test_py_threading() { py_same test_threading; }
test_py_select() { py_same test_select; }
test_py_tempfile() { py_same test_tempfile; }
test_py_shutil() { py_same test_shutil; }
test_py_io() { py_same test_io; }
test_py_mmap() { py_same test_mmap; }
test_py_pty() { py_same test_pty; }
test_py_epoll() { py_same test_epoll; }
test_py_fileio() { py_same test_fileio; }
test_py_stat() { py_same test_stat; }
# UDP-Lite is refused under sentry (docs/compatibility.md): its classes are left out
test_py_socket() { py_same test_socket -i '*UDPLITE*'; }

# The document lists each module this file runs.
test_py_modules_documented() {
        local fn mod
        [ -f "$PY_MODULES_DOC" ] || fail "no $PY_MODULES_DOC"
        for fn in $(declare -F | awk '$3 ~ /^test_py_/ && $3 != "test_py_modules_documented" { print $3 }'); do
                mod=test_${fn#test_py_}
                grep -q "\`$mod\`" "$PY_MODULES_DOC" || fail "$mod is not in docs/compatibility.md"
        done
}
