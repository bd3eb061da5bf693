#!/bin/bash
# Measure what a cocoon sandbox costs besides its workload, per sandbox: the
# numbers behind overhead.podFixed in runtimeclasses.yaml.
#
#   deploy/kubernetes/measure-overhead.sh [COCOON] [ROOTFS] [N]
#   SANDBOXES="none sentry vm" deploy/kubernetes/measure-overhead.sh   (default: none sentry)
#
# For each sandbox, N idle containers (`sleep`) are started with cocoon
# directly.  The sandbox's own processes are those of the container's cgroup
# that are not in the workload's pid namespace (sentry: the supervisor with
# the Sentry, and the Gofer; none: nothing, the workload is the container's
# only process; vm: every host process of the container, its monitor and
# QEMU, whose guest RAM holds the workload).  Printed per container: their PSS (from
# /proc/PID/smaps_rollup, so pages shared between containers count once
# overall) and the container's memory cgroup charge (memory.usage_in_bytes on
# cgroup v1, memory.current on v2: user and kernel memory), which includes
# the workload; compare sandboxes on it.
set -euo pipefail
COCOON=$(realpath -e "${1:-build/cocoon}" 2>/dev/null) || { echo "measure-overhead: no cocoon binary at ${1:-build/cocoon} (make)" >&2; exit 1; }
ROOTFS=${2:-build/rootfs}
N=${3:-3}
[ -x "$COCOON" ] || { echo "measure-overhead: no cocoon binary at $COCOON (make)" >&2; exit 1; }
[ -x "$ROOTFS/bin/busybox" ] || { echo "measure-overhead: no rootfs at $ROOTFS (make rootfs)" >&2; exit 1; }
W=$(mktemp -d /tmp/cocoon-overhead.XXXXXX)
ids=()
cleanup() {
        local id
        for id in "${ids[@]}"; do "$COCOON" --root "$W/root" delete --force "$id" >/dev/null 2>&1 || true; done
        rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/b/rootfs"
cp -a "$ROOTFS/." "$W/b/rootfs/"
(cd "$W/b" && "$COCOON" spec)
python3 - "$W/b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = ["sleep", "600"]
json.dump(c, open(sys.argv[1], "w"))
PY

field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))' "$@"; }

# cgroup_dir PID: the memory cgroup directory of PID (v1 memory, else v2)
cgroup_dir() {
        local l
        l=$(grep -E '^[0-9]+:memory:' "/proc/$1/cgroup" | cut -d: -f3) || true
        if [ -n "$l" ]; then echo "/sys/fs/cgroup/memory$l"; return; fi
        l=$(grep -E '^0::' "/proc/$1/cgroup" | cut -d: -f3)
        if [ -d /sys/fs/cgroup/unified ]; then echo "/sys/fs/cgroup/unified$l"; else echo "/sys/fs/cgroup$l"; fi
}

printf '%-8s %-10s %12s %14s  %s\n' sandbox container "PSS (KiB)" "cgroup (KiB)" "sandbox processes"
for sb in ${SANDBOXES:-none sentry}; do
        for i in $(seq 1 "$N"); do
                id=overhead-$sb-$i-$$
                ids+=("$id")
                "$COCOON" --root "$W/root" --sandbox "$sb" run -d --bundle "$W/b" "$id" >/dev/null
        done
        sleep 5 # past the set-up: what stays
        for i in $(seq 1 "$N"); do
                id=overhead-$sb-$i-$$
                st=$W/root/$id/state.json
                pid=$(field "$st" pid)
                wl=$(field "$st" workload_pid)
                [ "$wl" != 0 ] || wl=$pid
                wns=$(readlink "/proc/$wl/ns/pid")
                [ "$sb" != vm ] || wns=none # the workload is in the guest: every host process is the sandbox's
                cg=$(cgroup_dir "$wl")
                pss=0 names=""
                for p in $(cat "$cg/cgroup.procs"); do
                        [ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$wns" ] && continue
                        v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
                        pss=$((pss + v))
                        names+="$(cat "/proc/$p/comm") "
                done
                if [ -f "$cg/memory.usage_in_bytes" ]; then use=$(cat "$cg/memory.usage_in_bytes"); else use=$(cat "$cg/memory.current"); fi
                printf '%-8s %-10s %12d %14d  %s\n' "$sb" "$i" "$pss" $((use / 1024)) "${names:--}"
        done
done
