#!/bin/bash
# Install the Debian packages cocoon needs, only those missing, so a warm
# machine pays nothing.  Usage: deps.sh build|test|bench|e2e|vm|guest-kernel|fuzz
set -euo pipefail
what=${1:-build}
pkgs=(gcc make pkg-config libjansson-dev libseccomp-dev libcap-dev busybox-static)
case "$what" in
# libpython3.11-testsuite: CPython's regression modules (compat_python.slow.sh);
# redis-tools (the server binary too, without redis-server's service that
# would start on the host) and stress-ng: compat_programs.slow.sh
test)  pkgs+=(runc python3 iproute2 procps util-linux cppcheck libpython3.11-testsuite redis-tools stress-ng) ;;
# runsc: Debian's gVisor (0.0~20221219, ptrace platform), the other side of every ratio
bench) pkgs+=(runc runsc) ;;
# the engines of tests/integration/e2e_*.slow.sh; python3-grpc-tools
# generates the CRI client's stubs (tests/e2e/cri) for python3-grpcio
e2e)   pkgs+=(runc python3 iproute2 procps util-linux docker.io iptables containerd podman python3-grpcio
              python3-grpc-tools) ;;
# the vm sandbox: QEMU (KVM where /dev/kvm is usable, TCG otherwise) and the
# tools scripts/guest-assets.sh builds the guest kernel and initramfs with
vm)    pkgs+=(qemu-system-x86 cpio kmod zstd xz-utils) ;;
# the minimal guest kernel (scripts/guest-kernel.sh): Debian's kernel source
# and what building it takes
guest-kernel) pkgs+=(linux-source flex bison bc libelf-dev libssl-dev) ;;
# libFuzzer and the sanitizer runtimes come with Debian's clang (tests/fuzz/)
fuzz)  pkgs+=(clang libclang-rt-14-dev) ;;
esac
missing=()
for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
        echo "cocoon: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
        exit 1
fi
echo "cocoon: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
