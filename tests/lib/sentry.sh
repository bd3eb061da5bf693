# shellcheck shell=bash disable=SC2154,SC2034  # $out $err $rc are set by capture() in lib/common.sh; CC_GLOBAL is read by cocoon() there
# What the sentry test files (sentry.sh, sentry_proc.sh, sentry_sys.sh)
# share: every cocoon call of theirs runs with the sentry sandbox (the other
# commands read the sandbox from the container's state anyway), and the
# same bundle runs under `none` to compare.

CC_GLOBAL="--root $ROOT --sandbox sentry"

# none_run BUNDLE ID: the same bundle under the `none` sandbox.
none_run() {
        capture "$COCOON" --root "$ROOT" --sandbox none run --bundle "$1" "$2"
}

# none_run_ok BUNDLE: none_run with an id of its own, requiring exit 0.
none_run_ok() {
        none_run "$1" "$(new_id n)"
        [ "$rc" = 0 ] || fail "under none (rc=$rc): $err"
}

# run_bundle BUNDLE: `cocoon run` the bundle as its config says; sets $out $err $rc.
run_bundle() {
        capture cocoon run --bundle "$1" "$(new_id r)"
}

# run_bundle_ok BUNDLE: run_bundle, requiring exit 0.
run_bundle_ok() {
        run_bundle "$1"
        [ "$rc" = 0 ] || fail "container command failed (rc=$rc)
--- stdout:
$out
--- stderr:
$err"
}
