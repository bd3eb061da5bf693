#!/bin/bash
# Assemble the bundled busybox rootfs from Debian's busybox-static:
# one static binary plus relative applet links, so nothing of the host is needed.
set -euo pipefail
dst=${1:-build/rootfs}
bb=/bin/busybox
[ -x "$bb" ] || { echo "cocoon: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
# Rebuild only when busybox changed.
if [ -x "$dst/bin/busybox" ] && cmp -s "$bb" "$dst/bin/busybox"; then exit 0; fi
tmp=$(mktemp -d "${dst%/*}/.rootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # mktemp makes it 0700; the container's users must traverse /
mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home,var,run}
chmod 1777 "$tmp/tmp"
cp "$bb" "$tmp/bin/busybox"
for applet in $("$bb" --list); do
        [ "$applet" = busybox ] && continue
        ln -sf busybox "$tmp/bin/$applet"
done
cat >"$tmp/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$tmp/etc/group" <<'G'
root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
G
echo "cocoon" >"$tmp/etc/hostname"
rm -rf "$dst"
mv "$tmp" "$dst"
trap - EXIT
