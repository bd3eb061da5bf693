#!/bin/bash
# `make demo`: run one sandboxed container from the bundled busybox rootfs and
# show what the workload sees.  Usage: demo.sh BUILD_DIR
#
# The bundle is BUILD_DIR/demo-bundle: config.json from `cocoon spec`, a copy
# of BUILD_DIR/rootfs.  The container runs in the foreground with
# `cocoon run`; this script exits with the container's status and removes the
# bundle (and the container, should `run` leave it) on the way out.
#
# Environment: COCOON_FLAGS  extra global flags, e.g. "--sandbox=none"
set -euo pipefail
build=${1:-build}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=$(realpath "$build")
cocoon=$build/cocoon
rootfs=$build/rootfs
bundle=$build/demo-bundle
id=demo-$$
read -r -a flags <<<"${COCOON_FLAGS:-}"

[ -x "$cocoon" ] || { echo "demo: $cocoon missing (run make)" >&2; exit 1; }
[ -x "$rootfs/bin/busybox" ] || { echo "demo: $rootfs missing (run make rootfs)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "demo: run as root (sudo make demo)" >&2; exit 1; }

# The state root: cocoon's default.  Remove it afterwards if we created it.
state_root=/run/cocoon
had_root=0
[ -d "$state_root" ] && had_root=1
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
        set +e
        # `run` deletes the container when it ends; this is for ^C and failures.
        "$cocoon" "${flags[@]}" delete --force "$id" >/dev/null 2>&1
        rm -rf "$bundle"
        [ "$had_root" = 1 ] || rmdir "$state_root" 2>/dev/null
        return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$bundle"
mkdir -p "$bundle"
mkdir "$bundle/rootfs"
cp -a "$rootfs/." "$bundle/rootfs/"
(cd "$bundle" && "$cocoon" spec)

# What the workload prints: who and where it thinks it is.
read -r -d '' script <<'SH' || true
echo "hello from cocoon"
echo "hostname:  $(hostname)"
echo "id:        $(id)"
map=$(cat /proc/self/uid_map 2>/dev/null | tr -s ' ' | sed 's/^ //')
case "$map" in "0 0 4294967295") map="$map (no user namespace)" ;; esac
echo "uid_map:   $map"
grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status 2>/dev/null | tr '\t' ' ' | sed 's/^/status:    /'
echo "network:   $(ip -o link 2>/dev/null | awk -F': ' '{printf "%s ", $2}')"
echo "processes (its own pid namespace):"
ps -o pid,user,comm
echo "its / (the busybox rootfs):"
ls /
SH

printf '%s\n' "$script" >"$bundle/rootfs/demo.sh"

# Edit config.json: args, terminal off (we are not attached to a tty), hostname.
cfg=$bundle/config.json
if command -v python3 >/dev/null; then
        python3 - "$cfg" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["args"] = ["sh", "/demo.sh"]
c["process"]["terminal"] = False
c["hostname"] = "cocoon-demo"
json.dump(c, open(path, "w"), indent=2)
PY
elif command -v jq >/dev/null; then
        jq '.process.args = ["sh", "/demo.sh"] | .process.terminal = false |
                .hostname = "cocoon-demo"' "$cfg" >"$cfg.new"
        mv "$cfg.new" "$cfg"
else
        # No JSON tool: keep the default args (["sh"]) and feed it the script on stdin.
        sed -i -e 's/"terminal": *true/"terminal": false/' \
               -e 's/"hostname": *"[^"]*"/"hostname": "cocoon-demo"/' "$cfg"
        stdin_script=1
fi

echo "demo: $cocoon ${flags[*]} run --bundle $bundle $id"
echo "------------------------------------------------------------------"
rc=0
if [ -n "${stdin_script:-}" ]; then
        "$cocoon" "${flags[@]}" run --bundle "$bundle" "$id" <<<"$script" || rc=$?
else
        "$cocoon" "${flags[@]}" run --bundle "$bundle" "$id" </dev/null || rc=$?
fi
echo "------------------------------------------------------------------"
echo "demo: cocoon run exited with status $rc (the container's own status when it ran)"
exit "$rc"
