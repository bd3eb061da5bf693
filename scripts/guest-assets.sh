#!/bin/bash
# The vm sandbox's guest assets, from Debian packages, cached in the build tree:
#   OUT/vmlinuz          Debian's linux-image-amd64 kernel (downloaded, not installed)
#   OUT/vmlinux          the same kernel uncompressed (the ELF QEMU boots, PVH entry)
#   OUT/initramfs.cpio   newc cpio: /init = cocoon's agent, /modules/*.ko and
#                        /modules/load.list (dependency order) for the few
#                        modules the guest needs (virtio transports, console, 9p)
#   OUT/kernel.release   the guest kernel's `uname -r`
#   OUT/initramfs-min.cpio the same without modules, for the minimal kernel
#                        (OUT/vmlinux-min, `make guest-kernel`) when it was built
# Usage: guest-assets.sh OUT AGENT_BINARY
# A warm tree pays nothing: the kernel step is skipped while OUT/vmlinuz and
# the module set exist, the initramfs is rebuilt only when the agent changed.
set -euo pipefail
out=$1
agent=$2
say() { echo "  GUEST   $*" >&2; }

# Modules the guest loads (their dependencies are added from modules.dep):
# the virtio-pci transport (QEMU q35, see src/vm/launch.c), the agent's
# virtio-serial port, the rootfs on virtio-9p, the container's network
# interfaces on virtio-net (src/vm/net.c).
# Whatever the kernel has built in is skipped (modules.builtin).
want=(virtio_pci virtio_console 9pnet_virtio 9p virtio_net)

mkdir -p "$out"
# (a changed module list redoes the kernel step too)
if [ ! -s "$out/vmlinuz" ] || [ ! -s "$out/vmlinux" ] || [ ! -s "$out/modules/load.list" ] ||
        [ "$(cat "$out/modules/want" 2>/dev/null)" != "${want[*]}" ]; then
        dl="$out/dl"
        rm -rf "$dl" "$out/modules" "$out/kernel"
        mkdir -p "$dl"
        if ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
                say "apt-get update (no package lists yet)"
                apt-get update -qq >/dev/null
        fi
        # the meta package depends on the real image package of the current ABI
        image() { apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
        real=$(image)
        [ -n "$real" ] || { echo "cocoon: guest-assets: cannot find the image package linux-image-amd64 depends on" >&2; exit 1; }
        say "download linux-image-amd64 → $real (Debian, ~70 MB, once)"
        if ! (cd "$dl" && apt-get download -q linux-image-amd64 "$real" 2>&1 | sed 's/^/          /' >&2; exit "${PIPESTATUS[0]}"); then
                # stale package lists name a version the archive dropped
                say "apt-get update, then download again"
                apt-get update -qq >/dev/null
                real=$(image)
                (cd "$dl" && apt-get download -q linux-image-amd64 "$real" 2>&1 | sed 's/^/          /' >&2; exit "${PIPESTATUS[0]}")
        fi
        debs=("$dl"/"$real"_*.deb)
        deb=${debs[0]}
        say "extract $(basename "$deb")"
        mkdir -p "$out/kernel"
        # only the kernel and the module tree's metadata + the few directories we use
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$out/kernel" --wildcards \
                './boot/vmlinuz-*' './lib/modules/*/modules.builtin' './lib/modules/*/modules.builtin.modinfo' './lib/modules/*/modules.order' \
                './lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/drivers/char/*' \
                './lib/modules/*/kernel/net/9p/*' './lib/modules/*/kernel/fs/9p/*' \
                './lib/modules/*/kernel/fs/netfs/*' './lib/modules/*/kernel/fs/fscache/*' \
                './lib/modules/*/kernel/drivers/net/virtio_net.ko' './lib/modules/*/kernel/drivers/net/net_failover.ko' \
                './lib/modules/*/kernel/net/core/*' 2>/dev/null || true
        releases=("$out"/kernel/lib/modules/*)
        release=$(basename "${releases[0]}")
        [ -d "$out/kernel/lib/modules/$release" ] || { echo "cocoon: guest-assets: $deb has no module tree" >&2; exit 1; }
        # the package leaves modules.dep to the installer's depmod; the
        # directories above hold every dependency of the modules we want
        PATH=$PATH:/usr/sbin:/sbin depmod -b "$out/kernel" "$release"
        moddir="$out/kernel/lib/modules/$release"
        # the modules and their dependencies, dependencies first
        declare -A done_=()
        order=()
        add() {
                local name=$1 path deps d
                [ -n "${done_[$name]:-}" ] && return 0
                done_[$name]=1
                path=$(awk -F: -v n="$name" '{ f=$1; sub(".*/", "", f); sub("\\.ko.*$", "", f); gsub("-", "_", f);
                                              if (f == n) { print $1; exit } }' "$moddir/modules.dep")
                if [ -z "$path" ]; then
                        if grep -Eq "/${name//_/[-_]}\.ko" "$moddir/modules.builtin"; then return 0; fi
                        echo "cocoon: guest-assets: module $name is neither in modules.dep nor built in" >&2
                        exit 1
                fi
                deps=$(awk -F: -v p="$path" '$1 == p { print $2; exit }' "$moddir/modules.dep")
                for d in $deps; do
                        d=${d##*/}; d=${d%%.ko*}; d=${d//-/_}
                        add "$d"
                done
                order+=("$path")
        }
        for m in "${want[@]}"; do add "$m"; done
        mkdir -p "$out/modules"
        : >"$out/modules/load.list.tmp"
        for p in "${order[@]}"; do
                f=${p##*/}
                case "$f" in
                *.ko.xz)  xz -dc "$moddir/$p" >"$out/modules/${f%.xz}"; f=${f%.xz} ;;
                *.ko.zst) zstd -qdc "$moddir/$p" >"$out/modules/${f%.zst}"; f=${f%.zst} ;;
                *.ko)     cp "$moddir/$p" "$out/modules/$f" ;;
                *)        echo "cocoon: guest-assets: unknown module format $p" >&2; exit 1 ;;
                esac
                echo "$f" >>"$out/modules/load.list.tmp"
        done
        say "modules: $(tr '\n' ' ' <"$out/modules/load.list.tmp")"
        cp "$out"/kernel/boot/vmlinuz-* "$out/vmlinuz.tmp"
        # The uncompressed kernel too: QEMU boots its ELF through the PVH entry,
        # which saves the guest decompressing 8 MB of xz under TCG (~4 s of a
        # 10 s boot here).  The payload starts at the xz magic, as
        # scripts/extract-vmlinux in the kernel's tree finds it.
        pos=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$out/vmlinuz.tmp" | head -1 | cut -d: -f1)
        [ -n "$pos" ] || { echo "cocoon: guest-assets: no xz payload in the kernel image" >&2; exit 1; }
        say "decompress the kernel (vmlinux for a PVH boot)"
        tail -c "+$((pos + 1))" "$out/vmlinuz.tmp" | xz -dc >"$out/vmlinux.tmp" 2>/dev/null || true
        [ "$(head -c 4 "$out/vmlinux.tmp" | od -A n -t x1 | tr -d ' ')" = 7f454c46 ] ||
                { echo "cocoon: guest-assets: the kernel's payload is not an ELF image" >&2; exit 1; }
        echo "$release" >"$out/kernel.release"
        mv "$out/vmlinux.tmp" "$out/vmlinux"
        mv "$out/vmlinuz.tmp" "$out/vmlinuz"
        mv "$out/modules/load.list.tmp" "$out/modules/load.list"
        echo "${want[*]}" >"$out/modules/want"
        # the kernel tree and the .debs are not needed any more
        rm -rf "$dl" "$out/kernel"
fi

# initramfs CPIO [MODULE_DIR]: the agent as /init, and the modules of
# MODULE_DIR with their load.list (an empty list without MODULE_DIR)
initramfs() {
        local cpio=$1 mods=${2:-} stage
        if [ -s "$out/$cpio" ] && [ ! "$agent" -nt "$out/$cpio" ] && [ ! "$0" -nt "$out/$cpio" ] &&
                { [ -z "$mods" ] || [ ! "$mods/load.list" -nt "$out/$cpio" ]; }; then
                return 0
        fi
        say "$cpio (agent $(basename "$agent") as /init${mods:+, modules})"
        stage="$out/initramfs.d"
        rm -rf "$stage"
        mkdir -p "$stage"/{dev,proc,sys,run,modules,mnt}
        # without its debug information (build/guest/cocoon-agent keeps it):
        # every byte is in guest RAM twice during boot and mapped by QEMU
        strip -o "$stage/init" "$agent"
        if [ -n "$mods" ]; then
                cp "$mods"/*.ko "$mods/load.list" "$stage/modules/"
        else
                : >"$stage/modules/load.list"
        fi
        # the kernel opens /dev/console for /init's stdio before anything is mounted
        mknod -m 600 "$stage/dev/console" c 5 1
        # uncompressed: unpacking is faster than gunzip under TCG, and it is small
        (cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out/$cpio.tmp"
        mv "$out/$cpio.tmp" "$out/$cpio"
        rm -rf "$stage"
}

initramfs initramfs.cpio "$out/modules"
# the minimal kernel (scripts/guest-kernel.sh) has everything built in
if [ -s "$out/vmlinux-min" ]; then
        initramfs initramfs-min.cpio
fi
