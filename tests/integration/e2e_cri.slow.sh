# shellcheck shell=bash disable=SC2154,SC2086,SC2016  # $out $err $rc are set by capture(); $CRI / $PODMAN are commands split on purpose (as in the docs)
# Kubernetes' CRI path without a kubelet: Debian's containerd with its CRI
# plugin on a private socket, cocoon's handlers from
# deploy/containerd/config.toml, and tests/e2e/cri/cri.py doing what the
# kubelet does for a Pod with a runtimeClassName (docs/quickstart-kubernetes.md:
# the cri.py commands there are the ones below).
#
# The pod network is a CNI bridge with host-local addresses that the test
# writes under $T (no masquerade, no iptables rules); the test removes the
# bridge, the pods' network namespaces and cgroups after.
# test-timeout: 240

PAUSE_IMAGE=docker.io/library/cocoon-pause:e2e
NS=k8s.io # the CRI's containerd namespace
source "$TESTS_DIR/e2e/containerd_lib.sh"
CTD_CGROUP_PARENT=cocoon-e2e-$TOKEN
DOC=$TESTS_DIR/../docs/quickstart-kubernetes.md
BRIDGE=cc-${TOKEN: -8}
IMAGE=docker.io/library/cocoon-busybox:e2e

# cri_start: containerd with the CRI plugin, its CNI network and the images.
cri_start() {
        need_engine containerd ctr /usr/bin/python3
        /usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || fail "python3-grpcio and python3-grpc-tools are needed (bash scripts/deps.sh e2e)"
        ls /var/run/netns 2>/dev/null | sort >"$T/netns.before"
        ctd_start cri
        trap cri_cleanup EXIT
        mkdir -p "$CTD/cni/net.d" "$CTD/cni/bin"
        ln -s /usr/lib/cni/bridge /usr/lib/cni/host-local /usr/lib/cni/loopback "$CTD/cni/bin/"
        local subnet="10.213.$((RANDOM % 250)).0/24"
        cat >"$CTD/cni/net.d/10-cocoon-e2e.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "cocoon-e2e", "plugins": [
  {"type": "bridge", "bridge": "$BRIDGE", "isGateway": false, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$subnet"}]], "dataDir": "$CTD/cni/ipam"}}]}
EOF
        cd "$T" || exit
        ctd_image "$PAUSE_IMAGE" pause.tar --entrypoint '["/bin/sleep", "2147483647"]' --cmd '[]'
        ctd_image "$IMAGE" cocoon-busybox.tar
        assert_ok ctr_ images import pause.tar
        assert_ok ctr_ images import cocoon-busybox.tar
        export CONTAINER_RUNTIME_ENDPOINT=unix://$SOCK
        CRI="/usr/bin/python3 $TESTS_DIR/e2e/cri/cri.py"
        # the CRI learns about imported images from containerd's events
        local i=0
        until $CRI image "$IMAGE" >/dev/null 2>&1; do
                i=$((i + 1))
                [ "$i" -lt 100 ] || fail "the CRI does not see $IMAGE"
                sleep 0.1
        done
}

# After the test, whatever happened: the pods through the CRI, then the
# daemon, the bridge and the pods' network namespaces.
cri_cleanup() {
        local p
        if [ -S "$SOCK" ]; then
                for p in $($CRI pods 2>/dev/null | json_get '" ".join(i["id"] for i in d.get("items", []))' 2>/dev/null); do
                        $CRI stopp "$p" >/dev/null 2>&1 || true
                        $CRI rmp "$p" >/dev/null 2>&1 || true
                done
        fi
        ctd_cleanup_tasks
        ctd_stop
        ip link delete "$BRIDGE" 2>/dev/null || true
        # (the CRI deletes a pod's namespace with the pod: one left is a leak)
        local leaked=0
        for p in $(ls /var/run/netns 2>/dev/null | sort | comm -13 "$T/netns.before" - | grep '^cni-'); do
                echo "leaked network namespace: $p" >&2
                ip netns delete "$p" 2>/dev/null || true
                leaked=1
        done
        [ "$leaked" = 0 ] || exit 1
}

# pod_config NAME: the PodSandboxConfig the kubelet would send (pid
# namespace per container, as the kubelet's default; pod network).
pod_config() {
        cat <<EOF
{"metadata": {"name": "$1", "uid": "$1-$TOKEN", "namespace": "default"},
 "hostname": "$1",
 "log_directory": "$T/logs/$1",
 "linux": {"cgroup_parent": "/$CTD_CGROUP_PARENT",
           "security_context": {"namespace_options": {"pid": "CONTAINER"}}}}
EOF
}

# container_config NAME COMMAND: a ContainerConfig running sh -c COMMAND
# (with the kubelet's default namespaces: its own pid namespace, the pod's
# network, IPC and UTS).
container_config() {
        /usr/bin/python3 -c 'import json, sys
print(json.dumps({"metadata": {"name": sys.argv[1]}, "image": {"image": sys.argv[3]},
                  "command": ["sh", "-c", sys.argv[2]], "log_path": sys.argv[1] + ".log",
                  "linux": {"security_context": {"namespace_options": {"pid": "CONTAINER"}}}}, indent=1))' "$1" "$2" "$IMAGE"
}

# cri_ok CMD...: the cri.py command must succeed; its stdout in $out.
cri_ok() {
        capture $CRI "$@"
        [ "$rc" = 0 ] || fail "cri.py $* failed (rc=$rc): $err"
}

# container_state ID: CONTAINER_RUNNING, CONTAINER_EXITED, ...
container_state() { $CRI inspect "$1" | json_get 'd.get("state", "CONTAINER_CREATED")'; }

# pod_lifecycle HANDLER SANDBOX: a Pod with runtimeClassName → HANDLER, the
# kubelet's calls in the kubelet's order; the containers run in SANDBOX.
pod_lifecycle() {
        local handler=$1 sandbox=$2 POD JOB APP ip
        cri_start
        pod_config hello >pod.json
        container_config job 'echo hello from $(hostname); echo to stderr >&2; exit 3' >job.json
        container_config app 'trap "echo stopping; exit 0" TERM; echo ready; while :; do sleep 1 & wait $!; done' >app.json

        # RunPodSandbox with the handler
        capture $CRI runp pod.json "$handler"
        [ "$rc" = 0 ] || fail "RunPodSandbox with handler $handler failed: $err"
        POD=$out
        cri_ok inspectp "$POD"
        assert_eq SANDBOX_READY "$(json_get 'd.get("state", "SANDBOX_READY")' <<<"$out")" "pod state"
        assert_eq "$handler" "$(json_get 'd["runtime_handler"]' <<<"$out")" "pod's runtime handler"
        ip=$(json_get 'd["network"]["ip"]' <<<"$out")
        assert_match "$ip" '^10\.213\.' "pod IP"
        # the pause container runs in the handler's sandbox
        assert_eq "$sandbox" "$(json_get 'd["sandbox"]' "$CTD/runc/$NS/$POD/state.json")" "sandbox of the pod's pause container"
        # (with cocoon-vm the pod is one VM, Kata's model: the pause container
        # boots it, the pod's containers are made inside it; docs/vm.md, "Pods")
        [ "$sandbox" != vm ] || [ -d "$CTD/runc/$NS/$POD/pod" ] || fail "no pod share in the pause container's state"

        # a container that exits: its logs and exit status
        JOB=$($CRI create "$POD" job.json pod.json) || fail "CreateContainer (job) failed"
        cri_ok start "$JOB"
        cri_ok wait "$JOB" 60
        assert_eq 3 "$out" "exit code of the job container"
        cri_ok logs "$JOB"
        assert_eq "hello from hello" "$out" "stdout in the job's log"
        assert_eq "to stderr" "$err" "stderr in the job's log"

        # a long-running container: exec into it, then stop it
        APP=$($CRI create "$POD" app.json pod.json) || fail "CreateContainer (app) failed"
        cri_ok start "$APP"
        assert_eq CONTAINER_RUNNING "$(container_state "$APP")" "app state after StartContainer"
        # (the runtime's container exists from StartContainer on)
        assert_eq "$sandbox" "$(json_get 'd["sandbox"]' "$CTD/runc/$NS/$APP/state.json")" "sandbox of the app container"
        # (cocoon-vm: in the pod's VM, no QEMU of its own; its rootfs reaches
        # the guest through the pod's share)
        if [ "$sandbox" = vm ]; then
                [ ! -e "$CTD/runc/$NS/$APP/qemu.pid" ] || fail "the app has a VM of its own"
                grep -q " $CTD/runc/$NS/$POD/pod/$APP/rootfs " /proc/self/mountinfo || fail "the app's rootfs is not in the pod's share"
        fi
        capture $CRI exec "$APP" sh -c 'echo exec in $(hostname); exit 5'
        assert_eq 5 "$rc" "ExecSync exit code (stderr: $err)"
        assert_eq "exec in hello" "$out" "ExecSync stdout"
        # a probe that times out: the CRI fails it and kills the process
        capture $CRI exec --timeout 1 "$APP" sleep 30
        assert_ne 0 "$rc" "ExecSync past its timeout"
        assert_contains "$err" "timeout 1s exceeded" "ExecSync's error past its timeout"
        cri_ok exec "$APP" ps -o args
        assert_not_contains "$out" "sleep 30" "processes after a timed-out ExecSync"
        # the pod's containers share the pod's network namespace
        cri_ok exec "$APP" ip -4 -o addr show eth0
        assert_contains "$out" "inet $ip/" "the app container's eth0"
        # in-place resize: the shim runs `cocoon update --resources -`
        echo '{"memory_limit_in_bytes": 100663296, "cpu_period": 100000, "cpu_quota": 50000}' >resources.json
        cri_ok update "$APP" resources.json
        # (cgroup v1 files, else v2's: the container's own at the mount's root
        # in a cgroup namespace, else below it, at its path in /proc/self/cgroup,
        # as in cocoon-vm's guest, a cgroup v2 one, when the host's v1 had the
        # CRI give no cgroup namespace)
        local v2own='/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)'
        cri_ok exec "$APP" sh -c "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max 2>/dev/null || cat $v2own/memory.max"
        assert_eq 100663296 "$out" "the app's memory limit after UpdateContainerResources"
        cri_ok exec "$APP" sh -c "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat $v2own/cpu.max"
        assert_match "$out" '^50000( 100000)?$' "the app's CPU quota after UpdateContainerResources"
        # the kubelet's metrics (kubectl top): the shim reads the container's cgroup
        cri_ok stats "$APP"
        [ "$(json_get 'int(d["memory"]["working_set_bytes"]["value"])' <<<"$out")" -gt 0 ] || fail "no memory in ContainerStats: $out"
        [ "$(json_get 'int(d["cpu"]["usage_core_nano_seconds"]["value"])' <<<"$out")" -gt 0 ] || fail "no CPU time in ContainerStats: $out"
        cri_ok stop "$APP" 10
        assert_eq CONTAINER_EXITED "$(container_state "$APP")" "app state after StopContainer"
        assert_eq 0 "$($CRI inspect "$APP" | json_get 'd.get("exit_code", 0)')" "exit code of the stopped app (its TERM trap exits 0)"
        cri_ok logs "$APP"
        assert_eq "ready
stopping" "$out" "the app's log"

        cri_ok rm "$JOB"
        cri_ok rm "$APP"
        cri_ok stopp "$POD"
        cri_ok inspectp "$POD"
        assert_eq SANDBOX_NOTREADY "$(json_get 'd.get("state", "SANDBOX_READY")' <<<"$out")" "pod state after StopPodSandbox"
        cri_ok rmp "$POD"
        cri_ok pods
        assert_eq "[]" "$(json_get 'd.get("items", [])' <<<"$out")" "pods after RemovePodSandbox"
        local left
        left=$(ls "$CTD/runc/$NS" 2>/dev/null || true)
        assert_eq "" "$left" "cocoon's containers left in the shim's root"
        ! grep -q " $CTD/runc/" /proc/self/mountinfo || fail "mounts left in the shim's root: $(grep " $CTD/runc/" /proc/self/mountinfo)"
}

test_cri_pod_lifecycle_cocoon_none() { pod_lifecycle cocoon-none none; }

test_cri_pod_lifecycle_cocoon() { pod_lifecycle cocoon sentry; }

test_cri_pod_lifecycle_cocoon_vm() { pod_lifecycle cocoon-vm vm; }

# A container's securityContext and resources, as the kubelet maps them:
# runAsUser, readOnlyRootFilesystem, allowPrivilegeEscalation: false, a
# memory limit.
security_context_pod() {
        local handler=$1 POD C
        cri_start
        pod_config sec >pod.json
        cat >app.json <<EOF
{"metadata": {"name": "app"}, "image": {"image": "$IMAGE"}, "command": ["sleep", "300"], "log_path": "app.log",
 "linux": {"resources": {"memory_limit_in_bytes": 67108864},
           "security_context": {"namespace_options": {"pid": "CONTAINER"}, "run_as_user": {"value": 1000},
                                "readonly_rootfs": true, "no_new_privs": true}}}
EOF
        POD=$($CRI runp pod.json "$handler") || fail "RunPodSandbox with handler $handler failed"
        C=$($CRI create "$POD" app.json pod.json) || fail "CreateContainer failed"
        cri_ok start "$C"
        cri_ok exec "$C" id -u
        assert_eq 1000 "$out" "uid of an ExecSync process (runAsUser)"
        capture $CRI exec "$C" touch /newfile
        assert_ne 0 "$rc" "writing to a read-only root"
        assert_contains "$err" "Read-only file system" "error writing to a read-only root"
        cri_ok exec "$C" grep NoNewPrivs /proc/self/status
        assert_match "$out" 'NoNewPrivs:[[:space:]]+1' "no_new_privs of an ExecSync process"
        cri_ok exec "$C" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
        assert_eq 67108864 "$out" "memory limit seen in the container"
        cri_ok stopp "$POD"
        cri_ok rmp "$POD"
}

test_cri_security_context_cocoon_none() { security_context_pod cocoon-none; }

test_cri_security_context_cocoon() { security_context_pod cocoon; }

# A hostNetwork Pod: the kubelet sends the node network mode and no
# hostname (runc, too, refuses a hostname without a UTS namespace).
host_network_pod() {
        local handler=$1 POD C dev
        cri_start
        cat >pod.json <<EOF
{"metadata": {"name": "hostnet", "uid": "hostnet-$TOKEN", "namespace": "default"},
 "log_directory": "$T/logs/hostnet",
 "linux": {"cgroup_parent": "/$CTD_CGROUP_PARENT",
           "security_context": {"namespace_options": {"network": "NODE", "pid": "CONTAINER"}}}}
EOF
        container_config app 'sleep 300' >app.json
        POD=$($CRI runp pod.json "$handler") || fail "RunPodSandbox (hostNetwork) with handler $handler failed"
        C=$($CRI create "$POD" app.json pod.json) || fail "CreateContainer in the hostNetwork pod failed"
        cri_ok start "$C"
        # the node's interfaces, e.g. the one of its default route
        dev=$(ip route show default | awk '{print $5; exit}')
        [ -n "$dev" ] || dev=lo
        cri_ok exec "$C" ip -o link show
        assert_contains "$out" " $dev:" "links seen by a hostNetwork container"
        cri_ok exec "$C" hostname
        assert_eq "$(hostname)" "$out" "hostname in a hostNetwork pod"
        cri_ok stopp "$POD"
        cri_ok rmp "$POD"
}

test_cri_host_network_pod_cocoon_none() { host_network_pod cocoon-none; }

test_cri_host_network_pod_cocoon() { host_network_pod cocoon; }

# shareProcessNamespace: the pod's containers join the pause container's pid
# namespace (/proc/<sandbox pid>/ns/pid).  Under cocoon-none they see each
# other.  Under cocoon that pid is the Sentry's supervisor, in the host's pid
# namespace: cocoon refuses (fail closed) rather than run the workload there.
share_pid_pod() {
        local handler=$1 POD C
        cri_start
        cat >pod.json <<EOF
{"metadata": {"name": "sharepid", "uid": "sharepid-$TOKEN", "namespace": "default"},
 "hostname": "sharepid", "log_directory": "$T/logs/sharepid",
 "linux": {"cgroup_parent": "/$CTD_CGROUP_PARENT",
           "security_context": {"namespace_options": {"pid": "POD"}}}}
EOF
        /usr/bin/python3 -c 'import json, sys
print(json.dumps({"metadata": {"name": "app"}, "image": {"image": sys.argv[1]}, "command": ["sleep", "300"],
                  "log_path": "app.log", "linux": {"security_context": {"namespace_options": {"pid": "POD"}}}}))' "$IMAGE" >app.json
        POD=$($CRI runp pod.json "$handler") || fail "RunPodSandbox with handler $handler failed"
        C=$($CRI create "$POD" app.json pod.json) || fail "CreateContainer failed"
        capture $CRI start "$C"
        if [ "$handler" = cocoon ]; then
                assert_ne 0 "$rc" "StartContainer with a shared pid namespace under cocoon"
                assert_contains "$err" '--sandbox=sentry needs a new pid namespace' "StartContainer's error"
        else
                assert_eq 0 "$rc" "StartContainer (stderr: $err)"
                cri_ok exec "$C" ps -o comm
                assert_contains "$out" "sleep" "processes seen with a shared pid namespace"
                assert_eq 2 "$(grep -c '^sleep' <<<"$out")" "the pause process and the app's, seen from the app"
        fi
        cri_ok stopp "$POD"
        cri_ok rmp "$POD"
}

test_cri_share_process_namespace_cocoon_none() { share_pid_pod cocoon-none; }

test_cri_share_process_namespace_cocoon_refused() { share_pid_pod cocoon; }

# Every cri.py command of the quick start is one this file runs.
test_quickstart_commands_are_tested() {
        local line n=0 self=$TESTS_DIR/integration/e2e_cri.slow.sh
        while IFS= read -r line; do
                n=$((n + 1))
                grep -qF -- "$line" "$self" || fail "docs/quickstart-kubernetes.md runs a command this test does not: $line"
        done < <(awk '/^```sh$/ {on=1; next} /^```$/ {on=0} on && /\$CRI / {sub(/ +#.*$/, ""); sub(/^.*\$CRI /, ""); sub(/\)$/, ""); print}' "$DOC")
        [ "$n" -ge 10 ] || fail "found only $n cri.py commands in $DOC"
}

# The RuntimeClasses name exactly the CRI handlers of the containerd config,
# and each handler's binary names its sandbox.
test_runtimeclasses_match_the_containerd_handlers() {
        capture /usr/bin/python3 - "$TESTS_DIR/../deploy/kubernetes/runtimeclasses.yaml" "$TESTS_DIR/../deploy/containerd/config.toml" <<'PY'
import sys, tomllib, yaml
classes = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
cfg = tomllib.load(open(sys.argv[2], "rb"))
runtimes = cfg["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
want = {"cocoon": "sentry", "cocoon-none": "none", "cocoon-vm": "vm"}
for c in classes:
    assert c["apiVersion"] == "node.k8s.io/v1" and c["kind"] == "RuntimeClass", c
    h = c["handler"]
    assert h in runtimes, f"RuntimeClass {c['metadata']['name']}: no containerd runtime {h}"
    r = runtimes[h]
    assert r["runtime_type"] == "io.containerd.runc.v2", h
    assert r["options"]["BinaryName"] == "/usr/local/bin/cocoon-" + want[h], h
mem = {c["handler"]: c.get("overhead", {}).get("podFixed", {}).get("memory") for c in classes}
assert sorted(mem) == sorted(want), mem
assert mem["cocoon"] and mem["cocoon"].endswith("Mi"), mem
assert mem["cocoon-vm"] and mem["cocoon-vm"].endswith("Mi") and int(mem["cocoon-vm"][:-2]) > 64, mem  # one VM per Pod
assert sorted(k for k in runtimes if k != "runc") == sorted(want), list(runtimes)
assert cfg["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["default_runtime_name"] == "runc"
print("ok")
PY
        [ "$rc" = 0 ] || fail "deploy/ manifests disagree: $err"
        assert_eq ok "$out"
}
