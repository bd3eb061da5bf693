#!/usr/bin/env python3
"""Render Docker's seccomp profile format into the OCI linux.seccomp object.

Docker's profile (tests/data/docker-default-seccomp.json, as in moby's
profiles/seccomp/default.json) carries archMap/includes/excludes, which the
Docker daemon resolves before it writes config.json; this does the same for
one architecture, one capability set and one kernel version, following
moby's profiles/seccomp/seccomp_linux.go.

usage: render_docker_seccomp.py PROFILE CONFIG_JSON
  prints the OCI object for CONFIG_JSON's bounding capabilities, amd64 and
  the running kernel.
"""
import json
import os
import sys

GOARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
NATIVE = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64"}[GOARCH]


def kernel_at_least(v):
    want = [int(x) for x in v.split(".")]
    have = [int(x) for x in os.uname().release.split("-")[0].split(".")[:len(want)]]
    return have >= want


def render(profile, caps):
    out = {"defaultAction": profile["defaultAction"]}
    if profile.get("defaultErrnoRet") is not None:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    arches = []
    for m in profile.get("archMap") or []:
        if m["architecture"] == NATIVE:
            arches = [m["architecture"]] + (m.get("subArchitectures") or [])
    out["architectures"] = arches
    out["syscalls"] = []
    for s in profile["syscalls"]:
        inc, exc = s.get("includes") or {}, s.get("excludes") or {}
        if inc.get("arches") and GOARCH not in inc["arches"]:
            continue
        if inc.get("caps") and not all(c in caps for c in inc["caps"]):
            continue
        if inc.get("minKernel") and not kernel_at_least(inc["minKernel"]):
            continue
        if exc.get("arches") and GOARCH in exc["arches"]:
            continue
        if exc.get("caps") and any(c in caps for c in exc["caps"]):
            continue
        r = {"names": s.get("names") or [s["name"]], "action": s["action"]}
        for k in ("errnoRet", "args"):
            if s.get(k) is not None:
                r[k] = s[k]
        out["syscalls"].append(r)
    return out


if __name__ == "__main__":
    profile = json.load(open(sys.argv[1]))
    config = json.load(open(sys.argv[2]))
    caps = set(config["process"].get("capabilities", {}).get("bounding") or [])
    json.dump(render(profile, caps), sys.stdout, indent=1)
