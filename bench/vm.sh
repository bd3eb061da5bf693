#!/bin/bash
# vm sandbox benchmark: boot-to-workload time and host memory per idle
# container, beside Kata Containers' published figures (QEMU: 0.71 s
# boot-to-workload, ~120 MiB per pod).  Under KVM when /dev/kvm is usable,
# else under TCG (this is then an emulated guest: the time says what the
# emulation costs, not what the design costs).
#
#   bash bench/vm.sh
#
# Environment:
#   N=3                 measured boots (each is a full create/start/exit/delete)
#   IDLE=1              idle containers held for the memory figure
#   SETTLE=5            seconds an idle container settles before it is measured
#   COCOON=build/cocoon the cocoon binary; ROOTFS=build/rootfs
#   TARGET_MIB=64       the goal for host memory per idle VM container (reported)
#   DETAIL=0            1: also QEMU's largest mappings by PSS (where the memory is)
#   COCOON_VM_KERNEL    the guest kernel (minimal or debian; docs/vm.md), passed on
#
# boot-to-workload: from `cocoon create` until the workload's first output
# line reaches the caller (create + start; the workload is `echo`).
# host memory: PSS (/proc/PID/smaps_rollup) of every host process of the
# container: the monitor and QEMU (the processes of its cgroup), summed.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
N=${N:-3}
IDLE=${IDLE:-1}
SETTLE=${SETTLE:-5}
COCOON=$(realpath "${COCOON:-build/cocoon}")
ROOTFS=$(realpath "${ROOTFS:-build/rootfs}")
TARGET_MIB=${TARGET_MIB:-64}
DETAIL=${DETAIL:-0}

work=$(mktemp -d "${TMPDIR:-/tmp}/cocoon-bench-vm.XXXX")
ids=()
cleanup() {
        for id in "${ids[@]}"; do "$COCOON" --root "$work/root" delete --force "$id" >/dev/null 2>&1 || true; done
        rm -rf "$work"
}
trap cleanup EXIT INT TERM
cc() { "$COCOON" --root "$work/root" --sandbox vm "$@"; }

mkdir -p "$work/b/rootfs"
cp -a "$ROOTFS/." "$work/b/rootfs/"
(cd "$work/b" && "$COCOON" spec)
python3 - "$work/b/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "echo up; uname -r; exec sleep 100000"]
json.dump(c, open(p, "w"))
PY

echo "# vm sandbox: $(nproc) host cores, load $(cut -d' ' -f1-3 /proc/loadavg), QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}')"

times=()
for i in $(seq 1 "$N"); do
        id=bench-vm-$$-$i
        ids+=("$id")
        rm -f "$work/out"
        t0=$(date +%s%N)
        cc create --bundle "$work/b" "$id" </dev/null >"$work/out" 2>"$work/err"
        t1=$(date +%s%N)
        cc start "$id"
        until grep -q '^up$' "$work/out" 2>/dev/null; do sleep 0.005; done
        t2=$(date +%s%N)
        times+=("$(( (t2 - t0) / 1000000 ))")
        if [ "$i" = 1 ]; then
                for _ in $(seq 100); do [ -n "$(sed -n 2p "$work/out")" ] && break; sleep 0.05; done
                echo "guest kernel: $(sed -n 2p "$work/out") (COCOON_VM_KERNEL=${COCOON_VM_KERNEL:-unset})"
        fi
        echo "boot $i: create $(( (t1 - t0) / 1000000 )) ms, create+start to the workload's first line $(( (t2 - t0) / 1000000 )) ms"
        "$COCOON" --root "$work/root" delete --force "$id"
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(sed -n "$(( (N + 1) / 2 ))p" <<<"$sorted")
echo "boot-to-workload: median ${median} ms of $N (Kata Containers with QEMU, published: 710 ms, with KVM)"

total=0
for i in $(seq 1 "$IDLE"); do
        id=bench-vm-idle-$$-$i
        ids+=("$id")
        cc create --bundle "$work/b" "$id" </dev/null >"$work/out.$i" 2>/dev/null
        cc start "$id"
        until grep -q '^up$' "$work/out.$i" 2>/dev/null; do sleep 0.01; done
done
sleep "$SETTLE"
for i in $(seq 1 "$IDLE"); do
        id=bench-vm-idle-$$-$i
        mon=$("$COCOON" --root "$work/root" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
        qemu=$(cut -d' ' -f1 "$work/root/$id/qemu.pid")
        # what the monitor settled on (KVM is dropped, with a warning, when QEMU cannot use it)
        echo "  $id: QEMU $(tr '\0' ' ' <"/proc/$qemu/cmdline" | grep -o -- '-accel [a-z]*')"
        kib=0
        for p in "$mon" "$qemu"; do
                k=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")
                r=$(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup")
                echo "  $id: pid $p ($(cat "/proc/$p/comm")): PSS $((k / 1024)) MiB, RSS $((r / 1024)) MiB"
                kib=$((kib + k))
        done
        if [ "$DETAIL" = 1 ]; then
                # smaps: a mapping's header line, then its fields; the largest by PSS
                awk '/^[0-9a-f]+-[0-9a-f]+ / { m = $1 " " ($6 == "" ? "[anon]" : $6) } /^Pss:/ { print $2, m }' \
                        "/proc/$qemu/smaps" | sort -rn | head -8 | awk '{ printf "    QEMU mapping %s %s: PSS %d KiB\n", $2, $3, $1 }'
        fi
        total=$((total + kib))
done
per=$((total / IDLE / 1024))
echo "host memory per idle VM container (PSS of monitor + QEMU): ${per} MiB (target <= ${TARGET_MIB} MiB; Kata, published: ~120 MiB)"
