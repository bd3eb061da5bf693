#!/bin/bash
# Install the Debian packages cocoon needs, only those missing, so a warm
# machine pays nothing.  Usage: deps.sh build|test|bench|fuzz
set -euo pipefail
what=${1:-build}
pkgs=(gcc make pkg-config libjansson-dev libseccomp-dev libcap-dev busybox-static)
case "$what" in
test)  pkgs+=(runc python3 iproute2 procps util-linux cppcheck) ;;
bench) pkgs+=(runc) ;;
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
