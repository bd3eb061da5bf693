#!/usr/bin/python3
"""Write an OCI image archive (image layout in a tar) from a root filesystem.

There is no registry here: the e2e tests build their images from the local
busybox rootfs and import them (`ctr images import`).  One uncompressed layer,
a config, a manifest and an index whose manifest carries the image name the
way containerd reads it on import (io.containerd.image.name) and the way the
OCI layout names it (org.opencontainers.image.ref.name).

usage: oci_image.py ROOTFS OUT.tar NAME [--entrypoint JSON] [--cmd JSON]
  NAME        full reference, e.g. docker.io/library/cocoon-busybox:e2e
  --entrypoint, --cmd   JSON arrays for the image config
"""
import argparse
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(tar, data, media_type):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo("blobs/sha256/" + digest[7:])
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def layer_of(rootfs):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for entry in sorted(os.listdir(rootfs)):
            t.add(os.path.join(rootfs, entry), arcname=entry, filter=numeric_owner)
    return buf.getvalue()


def numeric_owner(info):
    info.uname = info.gname = ""
    return info


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rootfs")
    p.add_argument("out")
    p.add_argument("name")
    p.add_argument("--entrypoint", type=json.loads, default=None)
    p.add_argument("--cmd", type=json.loads, default=["/bin/sh"])
    a = p.parse_args()
    if not os.path.isfile(os.path.join(a.rootfs, "bin", "sh")):
        sys.exit(f"oci_image.py: {a.rootfs} has no bin/sh: not a rootfs (make rootfs)")
    tag = a.name.rsplit(":", 1)[1] if ":" in a.name.rsplit("/", 1)[-1] else "latest"

    layer = layer_of(a.rootfs)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": a.cmd, "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
    }
    if a.entrypoint is not None:
        config["config"]["Entrypoint"] = a.entrypoint
    tmp = a.out + ".tmp"
    with tarfile.open(tmp, "w") as tar:
        layer_desc = blob(tar, layer, "application/vnd.oci.image.layer.v1.tar")
        config_desc = blob(tar, json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json")
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": config_desc, "layers": [layer_desc]}
        mdesc = blob(tar, json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
        mdesc["annotations"] = {"io.containerd.image.name": a.name, "org.opencontainers.image.ref.name": tag}
        mdesc["platform"] = {"architecture": "amd64", "os": "linux"}
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [mdesc]}
        for name, data in (("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
                           ("index.json", json.dumps(index).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    os.rename(tmp, a.out)


if __name__ == "__main__":
    main()
