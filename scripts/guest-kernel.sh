#!/bin/bash
# The vm sandbox's minimal guest kernel (`make guest-kernel`, docs/vm.md):
# Debian's linux-source (6.1) configured with `make tinyconfig` plus the
# fragment guest/kernel.config, built out of tree, no modules.
#   WORK/linux-source-*   the unpacked source (once per linux-source version)
#   WORK/obj              the build tree (O=): a warm tree pays nothing
#   OUT/vmlinux-min       the ELF QEMU boots through its PVH entry
#   OUT/kernel-min.release its `uname -r`
# Usage: guest-kernel.sh OUT WORK CONFIG
# The compile runs under `nice -n 19` with make's -j from JOBS (default: the
# number of CPUs), printing a progress line every 100 build steps (a cold
# build is ~1500 of them).
set -euo pipefail
mkdir -p "$1" "$2"
# absolute: the kernel's make runs with -C in the source tree
out=$(realpath "$1")
work=$(realpath "$2")
fragment=$(realpath "$3")
say() { echo "  KERNEL  $*" >&2; }
die() { echo "cocoon: guest-kernel: $*" >&2; exit 1; }

tarball=$(find /usr/src -maxdepth 1 -name 'linux-source-*.tar.xz' 2>/dev/null | sort -V | tail -1)
[ -n "$tarball" ] || die "no /usr/src/linux-source-*.tar.xz (Debian: apt-get install linux-source; scripts/deps.sh guest-kernel)"
version=$(dpkg-query -W -f='${Version}' linux-source 2>/dev/null || stat -c %Y "$tarball")
name=$(basename "$tarball" .tar.xz)
src="$work/$name"
mkdir -p "$work" "$out"
if [ ! -f "$src/Makefile" ] || [ "$(cat "$work/source.version" 2>/dev/null)" != "$version" ]; then
        say "unpack $(basename "$tarball") ($version, ~140 MB, once)"
        rm -rf "$src" "$work/obj"
        tar -xf "$tarball" -C "$work"
        echo "$version" >"$work/source.version"
fi

obj="$work/obj"
mkdir -p "$obj"
kmake() { nice -n 19 make -s -C "$src" O="$obj" ARCH=x86_64 "$@"; }
# a changed fragment (or source) reconfigures; the objects are kept, make
# rebuilds what the new configuration touches
if [ ! -s "$obj/.config" ] || [ "$fragment" -nt "$obj/.config" ] || [ "$work/source.version" -nt "$obj/.config" ]; then
        say "configure: tinyconfig + $(basename "$fragment")"
        # (its "override ... changes choice state" warnings are tiny.config's own)
        kmake tinyconfig >/dev/null 2>&1 || die "make tinyconfig failed in $obj"
        KCONFIG_CONFIG="$obj/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" >/dev/null ||
                die "merge_config.sh $fragment failed in $obj"
        kmake olddefconfig >/dev/null 2>&1 || die "make olddefconfig failed in $obj"
        # every option the fragment sets must have survived: a missing
        # dependency would otherwise give a kernel without it, silently
        bad=()
        while IFS= read -r line; do
                case "$line" in
                CONFIG_*=n) opt=${line%%=*}; grep -qx "$opt=y" "$obj/.config" && bad+=("$line (is y)") ;;
                CONFIG_*=*) grep -qxF "$line" "$obj/.config" || bad+=("$line (is $(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config" || echo unset))") ;;
                esac
        done < <(grep -E '^CONFIG_' "$fragment")
        if [ ${#bad[@]} -gt 0 ]; then
                rm -f "$obj/.config"
                die "$(basename "$fragment"): not applied: ${bad[*]}"
        fi
fi

# warm: the configuration and the source are older than the kernel built
# from them (kbuild's own walk of a built tree still takes ~20 s here)
if [ -s "$out/vmlinux-min" ] && [ -s "$obj/vmlinux" ] && [ ! "$obj/.config" -nt "$out/vmlinux-min" ] &&
        [ ! "$0" -nt "$out/vmlinux-min" ]; then
        exit 0
fi

jobs=${JOBS:-$(nproc)}
say "build vmlinux (make -j$jobs under nice -n 19 in $obj; minutes when cold)"
start=$(date +%s)
# kbuild's quiet output is one line per object: counted, not shown
set +e
nice -n 19 make -C "$src" O="$obj" ARCH=x86_64 -j"$jobs" vmlinux 2>&1 |
        awk -v t0="$start" '
                /^  [A-Z0-9_]+ / { n++; if (n % 100 == 0) { printf "  KERNEL  %d build steps, %d s\n", n, systime() - t0 > "/dev/stderr"; fflush("/dev/stderr") } next }
                /^make(\[[0-9]+\])?: (Entering|Leaving)/ { next }
                { print > "/dev/stderr" }
                END { if (n) printf "  KERNEL  %d steps in %d s\n", n, systime() - t0 > "/dev/stderr" }'
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || die "make vmlinux failed (exit $rc); the output is above"
release=$(kmake kernelrelease)
# without its symbols, as the kernel strips the vmlinux inside a bzImage:
# QEMU's ELF loader would otherwise keep a copy of the symbol table
objcopy -R .comment -S "$obj/vmlinux" "$out/vmlinux-min.tmp"
echo "$release" >"$out/kernel-min.release"
mv "$out/vmlinux-min.tmp" "$out/vmlinux-min"
say "$out/vmlinux-min: $release, $(( $(stat -c %s "$out/vmlinux-min") / 1024 )) KiB"
