#!/usr/bin/python3
"""cri.py: a small CRI client that does what the kubelet does for one Pod.

Commands are named after crictl's, so the steps read the same in
docs/quickstart-kubernetes.md and on a node that has crictl:

  cri.py version
  cri.py image NAME                      image status (JSON), exit 1 if absent
  cri.py runp POD.json HANDLER           RunPodSandbox with runtime_handler; prints the pod id
  cri.py inspectp POD                    PodSandboxStatus (JSON)
  cri.py create POD CONTAINER.json POD.json   CreateContainer; prints the container id
  cri.py start ID                        StartContainer
  cri.py inspect ID                      ContainerStatus (JSON)
  cri.py wait ID [SECONDS]               until the container has exited; prints its exit code
  cri.py logs ID                         the container's log, as the kubelet reads it
  cri.py update ID RESOURCES.json        UpdateContainerResources (LinuxContainerResources)
  cri.py stats ID                        ContainerStats (JSON): CPU and memory, as `kubectl top` gets them
  cri.py exec [--timeout S] ID CMD...    ExecSync: its stdout/stderr, and its exit code as ours
  cri.py stop ID [TIMEOUT]               StopContainer
  cri.py rm ID                           RemoveContainer
  cri.py stopp POD / rmp POD             StopPodSandbox / RemovePodSandbox
  cri.py pods / ps                       ListPodSandbox / ListContainers (JSON)

The endpoint is --endpoint or $CONTAINER_RUNTIME_ENDPOINT (crictl's
variable), e.g. unix:///run/containerd/containerd.sock.  JSON files use the
proto3 JSON mapping of the CRI messages (field names as in api.proto).

The Python stubs are generated from api.proto with Debian's
python3-grpc-tools on first use, into $CRI_STUBS_DIR (default:
build/cri-stubs of the source tree); nothing generated is committed.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "api.proto")
DEFAULT_STUBS = os.path.join(HERE, "..", "..", "..", "build", "cri-stubs")
RPC_TIMEOUT = 120  # seconds: sandboxes start slowly on a loaded 2-core machine


def die(msg):
    print("cri.py: " + msg, file=sys.stderr)
    sys.exit(1)


def load_stubs():
    stubs = os.path.abspath(os.environ.get("CRI_STUBS_DIR", DEFAULT_STUBS))
    pb2 = os.path.join(stubs, "api_pb2.py")
    if not os.path.exists(pb2) or os.path.getmtime(pb2) < os.path.getmtime(PROTO):
        os.makedirs(os.path.dirname(stubs), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".cri-stubs.", dir=os.path.dirname(stubs))
        r = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + HERE,
                            "--python_out=" + tmp, "--grpc_python_out=" + tmp, PROTO],
                           capture_output=True, text=True)
        if r.returncode != 0:
            die("generating the CRI stubs failed (is python3-grpc-tools installed?): " + r.stderr.strip())
        os.makedirs(stubs, exist_ok=True)
        for f in ("api_pb2.py", "api_pb2_grpc.py"):
            os.replace(os.path.join(tmp, f), os.path.join(stubs, f))
        os.rmdir(tmp)
    sys.path.insert(0, stubs)
    import api_pb2  # noqa: E402
    import api_pb2_grpc  # noqa: E402
    return api_pb2, api_pb2_grpc


def main(argv):
    endpoint = os.environ.get("CONTAINER_RUNTIME_ENDPOINT", "")
    if len(argv) >= 2 and argv[0] == "--endpoint":
        endpoint, argv = argv[1], argv[2:]
    if not argv:
        die("usage: cri.py [--endpoint unix:///SOCK] COMMAND ARGS... (see the top of this file)")
    if not endpoint:
        die("no endpoint: give --endpoint unix:///SOCK or set CONTAINER_RUNTIME_ENDPOINT")

    import grpc
    from google.protobuf import json_format
    pb, pb_grpc = load_stubs()
    channel = grpc.insecure_channel(endpoint)
    rt = pb_grpc.RuntimeServiceStub(channel)
    img = pb_grpc.ImageServiceStub(channel)

    def call(method, request):
        try:
            return method(request, timeout=RPC_TIMEOUT)
        except grpc.RpcError as e:
            die(f"{type(request).__name__[:-len('Request')]}: {e.code().name}: {e.details()}")

    def dump(msg):
        print(json.dumps(json_format.MessageToDict(msg, preserving_proto_field_name=True), indent=2, sort_keys=True))

    def read_json(path, message):
        try:
            with open(path) as f:
                return json_format.ParseDict(json.load(f), message)
        except (OSError, ValueError, json_format.ParseError) as e:
            die(f"{path}: {e}")

    def status(cid):
        return call(rt.ContainerStatus, pb.ContainerStatusRequest(container_id=cid)).status

    cmd, args = argv[0], argv[1:]

    def need(n, usage):
        if len(args) < n:
            die("usage: cri.py " + cmd + " " + usage)

    if cmd == "version":
        dump(call(rt.Version, pb.VersionRequest(version="v1")))
    elif cmd == "image":
        need(1, "NAME")
        r = call(img.ImageStatus, pb.ImageStatusRequest(image=pb.ImageSpec(image=args[0])))
        if not r.image.id:
            die(f"image {args[0]} not found")
        dump(r.image)
    elif cmd == "runp":
        need(2, "POD.json HANDLER")
        config = read_json(args[0], pb.PodSandboxConfig())
        r = call(rt.RunPodSandbox, pb.RunPodSandboxRequest(config=config, runtime_handler=args[1]))
        print(r.pod_sandbox_id)
    elif cmd == "inspectp":
        need(1, "POD")
        dump(call(rt.PodSandboxStatus, pb.PodSandboxStatusRequest(pod_sandbox_id=args[0])).status)
    elif cmd == "create":
        need(3, "POD CONTAINER.json POD.json")
        r = call(rt.CreateContainer, pb.CreateContainerRequest(
            pod_sandbox_id=args[0], config=read_json(args[1], pb.ContainerConfig()),
            sandbox_config=read_json(args[2], pb.PodSandboxConfig())))
        print(r.container_id)
    elif cmd == "start":
        need(1, "ID")
        call(rt.StartContainer, pb.StartContainerRequest(container_id=args[0]))
    elif cmd == "inspect":
        need(1, "ID")
        dump(status(args[0]))
    elif cmd == "wait":
        need(1, "ID [SECONDS]")
        deadline = time.time() + (float(args[1]) if len(args) > 1 else 60)
        while True:
            s = status(args[0])
            if s.state == pb.CONTAINER_EXITED:
                print(s.exit_code)
                break
            if time.time() > deadline:
                die(f"container {args[0]} still {pb.ContainerState.Name(s.state)}")
            time.sleep(0.2)
    elif cmd == "logs":
        need(1, "ID")
        # the CRI log format: "TIMESTAMP STREAM P|F MESSAGE"; P is a partial
        # line continued by the next entry, F ends it
        path = status(args[0]).log_path
        try:
            with open(path, "rb") as f:
                for line in f:
                    parts = line.rstrip(b"\n").split(b" ", 3)
                    if len(parts) < 3:
                        die(f"{path}: not a CRI log line: {line!r}")
                    text = parts[3] if len(parts) == 4 else b""
                    out = sys.stdout if parts[1] == b"stdout" else sys.stderr
                    out.buffer.write(text + (b"\n" if parts[2] == b"F" else b""))
        except OSError as e:
            die(f"log of container {args[0]}: {e}")
    elif cmd == "update":
        need(2, "ID RESOURCES.json")
        call(rt.UpdateContainerResources, pb.UpdateContainerResourcesRequest(
            container_id=args[0], linux=read_json(args[1], pb.LinuxContainerResources())))
    elif cmd == "stats":
        need(1, "ID")
        dump(call(rt.ContainerStats, pb.ContainerStatsRequest(container_id=args[0])).stats)
    elif cmd == "exec":
        timeout = 0
        if len(args) >= 2 and args[0] == "--timeout":
            timeout, args = int(args[1]), args[2:]
        need(2, "[--timeout S] ID CMD...")
        r = call(rt.ExecSync, pb.ExecSyncRequest(container_id=args[0], cmd=args[1:], timeout=timeout))
        sys.stdout.buffer.write(r.stdout)
        sys.stderr.buffer.write(r.stderr)
        sys.stdout.flush()
        sys.exit(r.exit_code)
    elif cmd == "stop":
        need(1, "ID [TIMEOUT]")
        call(rt.StopContainer, pb.StopContainerRequest(container_id=args[0],
                                                       timeout=int(args[1]) if len(args) > 1 else 10))
    elif cmd == "rm":
        need(1, "ID")
        call(rt.RemoveContainer, pb.RemoveContainerRequest(container_id=args[0]))
    elif cmd == "stopp":
        need(1, "POD")
        call(rt.StopPodSandbox, pb.StopPodSandboxRequest(pod_sandbox_id=args[0]))
    elif cmd == "rmp":
        need(1, "POD")
        call(rt.RemovePodSandbox, pb.RemovePodSandboxRequest(pod_sandbox_id=args[0]))
    elif cmd == "pods":
        dump(call(rt.ListPodSandbox, pb.ListPodSandboxRequest()))
    elif cmd == "ps":
        dump(call(rt.ListContainers, pb.ListContainersRequest()))
    else:
        die(f"unknown command {cmd} (see the top of {__file__})")


if __name__ == "__main__":
    main(sys.argv[1:])
