# shellcheck shell=bash
# A private containerd for one e2e test: its own config, socket, root and
# state under $CTD (in the test's $T), started and stopped by the test.
# Sourced by tests/integration/e2e_containerd.slow.sh and e2e_cri.slow.sh.
#
#   ctd_start [cri]   write $CTD/config.toml and start containerd; with "cri",
#                     the CRI plugin is on with cocoon's handlers
#                     (deploy/containerd/config.toml, paths made private)
#   ctd_stop          stop it and remove what it leaves outside $T
#   ctr_ ARGS...      ctr on the private socket and namespace
#   ctd_image NAME TAR [oci_image.py options]   an OCI archive of $ROOTFS

CTD=$T/ctd
SOCK=$CTD/containerd.sock
NS=${NS:-e2e-$TOKEN}
BIN=$T/bin # cocoon-none, cocoon-sentry, cocoon-vm: symlinks to $COCOON
E2E_DIR=$TESTS_DIR/e2e

need_engine() {
        local c
        for c in "$@"; do
                have_cmd "$c" || fail "$c is not installed (bash scripts/deps.sh e2e)"
        done
}

cocoon_links() {
        mkdir -p "$BIN"
        local s
        for s in none sentry vm; do
                ln -sf "$COCOON" "$BIN/cocoon-$s"
        done
}

ctr_() { ctr -a "$SOCK" -n "$NS" "$@"; }

ctd_image() {
        local name=$1 tar=$2
        shift 2
        /usr/bin/python3 "$E2E_DIR/oci_image.py" "$ROOTFS" "$tar" "$name" "$@" || fail "building image $name failed"
}

# The system-wide directories containerd and its runc shim use whatever the
# config says (shim sockets, the runc root of `ctr run --runc-binary`);
# ctd_stop removes them again when they did not exist before.
CTD_SYSTEM_DIRS=(/run/containerd/s /run/containerd/fifo "/run/containerd/runc/$NS" /run/containerd/runc /run/containerd)

# has_cap N: capability number N is in our effective set
has_cap() {
        local eff
        eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
        (((0x$eff >> $1) & 1))
}

ctd_start() {
        need_engine containerd ctr
        cocoon_links
        mkdir -p "$CTD"
        local d
        : >"$CTD/created-dirs"
        for d in "${CTD_SYSTEM_DIRS[@]}"; do
                [ -e "$d" ] || echo "$d" >>"$CTD/created-dirs"
        done
        {
                cat <<EOF
version = 2
root = "$CTD/root"
state = "$CTD/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = "$CTD/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD/opt"
EOF
                if [ "${1:-}" = cri ]; then
                        # The CRI gives pause containers oom_score_adj -998; lowering
                        # it needs CAP_SYS_RESOURCE, which root lacks on some hosts
                        # (in containers; on this CI machine).  containerd's answer
                        # for that is restrict_oom_score_adj (as when rootless); runc
                        # fails the same way without it.
                        local oom='s|^$|&|'
                        has_cap 24 || oom='s|^\( *\)sandbox_image = .*|&\n\1restrict_oom_score_adj = true|'
                        # the handlers of deploy/containerd/config.toml, with
                        # the binary and the runc state made private
                        sed -n '/^\[plugins\."io\.containerd\.grpc\.v1\.cri"/,$p' "$TESTS_DIR/../deploy/containerd/config.toml" |
                                sed -e "s|/usr/local/bin/cocoon-|$BIN/cocoon-|" \
                                        -e "s|^\( *Root = \).*|\1\"$CTD/runc\"|" \
                                        -e "s|^\( *\)# sandbox_image = .*|\1sandbox_image = \"$PAUSE_IMAGE\"|" \
                                        -e "$oom"
                        cat <<EOF
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "$CTD/cni/bin"
  conf_dir = "$CTD/cni/net.d"
EOF
                else
                        echo 'disabled_plugins = ["io.containerd.grpc.v1.cri"]'
                fi
        } >"$CTD/config.toml"
        containerd --config "$CTD/config.toml" >"$CTD/containerd.log" 2>&1 &
        CTD_PID=$!
        echo "$CTD_PID" >"$CTD/pid"
        track_pid "$CTD_PID"
        local i=0
        until ctr -a "$SOCK" version >/dev/null 2>&1; do
                pid_alive "$CTD_PID" || fail "containerd exited: $(tail -n 5 "$CTD/containerd.log")"
                i=$((i + 1))
                [ "$i" -lt 600 ] || fail "containerd did not answer on $SOCK within 60 s"
                sleep 0.1
        done
}

ctd_stop() {
        local pid=${CTD_PID:-}
        [ -n "$pid" ] || pid=$(cat "$CTD/pid" 2>/dev/null) || return 0
        kill "$pid" 2>/dev/null || true
        local i=0
        while pid_alive "$pid" && [ "$i" -lt 200 ]; do
                sleep 0.05
                i=$((i + 1))
        done
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
        rm -f "$CTD/pid"
        CTD_PID=
        # the shims of deleted tasks exit on their own, removing their sockets
        # under /run/containerd/s: wait for them before removing that directory
        i=0
        while pgrep -f -- "-address $SOCK" >/dev/null && [ "$i" -lt 100 ]; do
                sleep 0.1
                i=$((i + 1))
        done
        local d
        while read -r d; do
                rmdir "$d" 2>/dev/null || true
        done <"$CTD/created-dirs"
        # the parent cgroup of the containers (ctr: the namespace, CRI: the
        # pods' cgroup_parent); rmdir fails, and the runner reports it, if a
        # container's own cgroup is still in it
        for d in /sys/fs/cgroup/*/"${CTD_CGROUP_PARENT:-$NS}" /sys/fs/cgroup/"${CTD_CGROUP_PARENT:-$NS}"; do
                [ ! -d "$d" ] || rmdir "$d" 2>/dev/null || true
        done
        # what the shims unmount when containers are deleted; left only after a failure
        local m
        for m in $(awk -v d="$CTD/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
                umount -l "$m" 2>/dev/null || true
        done
}

# on_exit_stop_containerd: stop the daemon however the test ends
on_exit_stop_containerd() {
        trap 'ctd_cleanup_tasks; ctd_stop' EXIT
}

# every task and container of our namespace, killed and deleted (after a failure)
ctd_cleanup_tasks() {
        [ -S "$SOCK" ] || return 0
        local c
        for c in $(ctr_ containers ls -q 2>/dev/null); do
                ctr_ tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
                ctr_ tasks delete --force "$c" >/dev/null 2>&1 || true
                ctr_ containers delete "$c" >/dev/null 2>&1 || true
        done
}
