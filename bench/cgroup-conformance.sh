#!/bin/bash
# cgroup conformance: create the same container (every linux.resources field
# this host supports) with runc and with cocoon, read back each cgroup file of
# both, and print
#     resource | file | runc | cocoon | same?
# and a count.  Exit status 0 when every file agrees.
#
# Environment: COCOON (default build/cocoon), RUNC (default /usr/sbin/runc),
# ROOTFS (default build/rootfs), WORK (scratch directory, default a new one),
# TAG (in every container id and cgroup name; default conf<pid>).
set -u
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COCOON=${COCOON:-$REPO/build/cocoon}
RUNC=${RUNC:-/usr/sbin/runc}
ROOTFS=${ROOTFS:-$REPO/build/rootfs}
ROOTFS=$(cd "$ROOTFS" && pwd)
TAG=${TAG:-conf$$}
[ -x "$COCOON" ] || bench_die "no cocoon binary at $COCOON (make build/cocoon)"
[ -x "$RUNC" ] || bench_die "no runc at $RUNC"
[ -d "$ROOTFS" ] || bench_die "no rootfs at $ROOTFS (make rootfs)"
[ -d /sys/fs/cgroup/memory ] || bench_die "this script compares cgroup v1 files; /sys/fs/cgroup/memory is missing"
if [ -z "${WORK:-}" ]; then
        WORK=$(mktemp -d "${TMPDIR:-/tmp}/cgroup-conformance.XXXX")
        trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"

# a real block device for the throttle rules (the first disk that is not a loop device)
dev=""
for b in /sys/block/*; do
        case ${b##*/} in loop* | ram* | zram*) continue ;; esac
        dev=$(cat "$b/dev") && break
done
[ -n "$dev" ] || bench_die "no block device for blockIO throttling"
maj=${dev%:*} min=${dev#*:}

bench_make_bundle "$WORK/bundle" "$ROOTFS" sleep 1000
python3 - "$WORK/bundle/config.json" "$maj" "$min" <<'PY' || bench_die "could not edit the config"
import json, sys
path, maj, min_ = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = json.load(open(path))
dev = lambda rate: [{"major": maj, "minor": min_, "rate": rate}]
c["linux"]["resources"] = {
    "devices": [{"allow": False, "access": "rwm"}],
    "memory": {"limit": 67108864, "reservation": 33554432, "swap": 100663296,
               "swappiness": 30, "disableOOMKiller": True},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000,
            "realtimeRuntime": 10000, "realtimePeriod": 1000000, "cpus": "0", "mems": "0"},
    "pids": {"limit": 77},
    "blockIO": {"weight": 500, "throttleReadBpsDevice": dev(1048576), "throttleWriteBpsDevice": dev(2097152),
                "throttleReadIOPSDevice": dev(100), "throttleWriteIOPSDevice": dev(200)},
}
json.dump(c, open(path, "w"), indent=2)
PY

# resource|hierarchy/file
files="memory.limit|memory/memory.limit_in_bytes
memory.reservation|memory/memory.soft_limit_in_bytes
memory.swap|memory/memory.memsw.limit_in_bytes
memory.swappiness|memory/memory.swappiness
memory.disableOOMKiller|memory/memory.oom_control
cpu.shares|cpu/cpu.shares
cpu.quota|cpu/cpu.cfs_quota_us
cpu.period|cpu/cpu.cfs_period_us
cpu.realtimeRuntime|cpu/cpu.rt_runtime_us
cpu.realtimePeriod|cpu/cpu.rt_period_us
cpu.cpus|cpuset/cpuset.cpus
cpu.mems|cpuset/cpuset.mems
pids.limit|pids/pids.max
blockIO.weight|blkio/blkio.bfq.weight
blockIO.throttleReadBpsDevice|blkio/blkio.throttle.read_bps_device
blockIO.throttleWriteBpsDevice|blkio/blkio.throttle.write_bps_device
blockIO.throttleReadIOPSDevice|blkio/blkio.throttle.read_iops_device
blockIO.throttleWriteIOPSDevice|blkio/blkio.throttle.write_iops_device
devices (sorted)|devices/devices.list
(untouched) memory.use_hierarchy|memory/memory.use_hierarchy
(untouched) cpu.cfs_burst_us|cpu/cpu.cfs_burst_us
(untouched) cpu.idle|cpu/cpu.idle"

# value RUNTIME FILE: the file of RUNTIME's container, on one line
value() {
        local f=/sys/fs/cgroup/${2%%/*}/cct-$TAG-$1/${2#*/}
        [ -r "$f" ] || { echo "(missing)"; return; }
        case $2 in
        */memory.oom_control) grep '^oom_kill_disable' "$f" ;;
        */devices.list) sort "$f" | paste -sd, - ;;
        *) paste -sd, - <"$f" ;;
        esac
}

ok=1
for rt in runc cocoon; do
        mkdir -p "$WORK/$rt"
        cp "$WORK/bundle/config.json" "$WORK/$rt/config.json"
        python3 - "$WORK/$rt/config.json" "/cct-$TAG-$rt" "$ROOTFS" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["cgroupsPath"] = sys.argv[2]
c["root"]["path"] = sys.argv[3]
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
        bin=$RUNC
        [ "$rt" = cocoon ] && bin=$COCOON
        # the container keeps the stdio it is created with: not a pipe we wait on
        if ! "$bin" --root "$WORK/$rt-root" create --bundle "$WORK/$rt" "$TAG-$rt" \
                </dev/null >"$WORK/$rt.log" 2>&1; then
                bench_note "$rt create failed: $(cat "$WORK/$rt.log")"
                ok=0
        fi
done

same=0 total=0
printf '%-36s | %-40s | %-24s | %-24s | %s\n' resource file runc cocoon same?
while IFS='|' read -r res file; do
        a=$(value runc "$file")
        b=$(value cocoon "$file")
        s=no
        # a file neither runtime wrote is not agreement: it is a failed run
        if [ "$a" = "$b" ] && [ "$a" != "(missing)" ]; then
                s=yes
                same=$((same + 1))
        fi
        total=$((total + 1))
        printf '%-36s | %-40s | %-24s | %-24s | %s\n' "$res" "$file" "$a" "$b" "$s"
done <<<"$files"
echo "$same of $total cgroup files agree"

bench_cleanup_root "$RUNC" "$WORK/runc-root"
bench_cleanup_root "$COCOON" "$WORK/cocoon-root"
[ "$ok" = 1 ] && [ "$same" = "$total" ]
