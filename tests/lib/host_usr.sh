# shellcheck shell=bash
# host_usr_bundle B [DIR...]: a bundle whose root is a few symlinks into /usr
# (Debian's merged /usr) and the files of /etc that programs read, with the
# host's /usr bind-mounted read-only, /tmp a tmpfs and Docker's default
# capabilities: real programs from Debian without building an image.  Each
# DIR is made in the root filesystem (so what the tests write there goes
# through the Gofer under `sentry`).  Used by compat_python.slow.sh and
# compat_programs.slow.sh.
host_usr_bundle() {
        local b=$1 l d
        shift
        mkdir -p "$b/rootfs"/{usr,etc,tmp,proc,dev,sys,root,run,var/tmp}
        for d in "$@"; do mkdir -p "$b/rootfs/$d"; done
        chmod 755 "$b/rootfs"
        chmod 1777 "$b/rootfs/tmp" "$b/rootfs/var/tmp"
        for l in bin sbin lib lib64; do ln -s "usr/$l" "$b/rootfs/$l"; done
        printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$b/rootfs/etc/passwd"
        printf 'root:x:0:\nnogroup:x:65534:\n' >"$b/rootfs/etc/group"
        printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$b/rootfs/etc/hosts"
        for l in services protocols; do
                if [ -f "/etc/$l" ]; then cp "/etc/$l" "$b/rootfs/etc/$l"; fi
        done
        (cd "$b" && "$COCOON" spec) || fail "cocoon spec failed"
        edit_config "$b" 'c["process"]["terminal"]=False' 'c["root"]["readonly"]=False' \
                'c["process"]["env"]=["PATH=/usr/bin:/bin","HOME=/root","LANG=C.UTF-8"]' \
                'c["mounts"].append({"destination":"/usr","type":"bind","source":"/usr","options":["rbind","ro"]})' \
                'c["mounts"].append({"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","mode=1777"]})'
        docker_caps "$b"
}

# bundle_run_bg SANDBOX BUNDLE: runs BUNDLE's configured process in a fresh
# container of SANDBOX in the background; its stdout goes to BUNDLE.out,
# its stderr (and cocoon's) to BUNDLE.err.  bundle_collect BUNDLE waits for
# it, deletes the container and sets $out, $err, $rc and $ms (its wall
# time).  compat_python.slow.sh runs the
# `none` and `sentry` halves of a comparison at once, each in a bundle of its
# own (their roots are writable): each half waits on its own timers, sleeps
# and children most of the time, and one after the other they were a sixth
# of the whole suite's time.
bundle_run_bg() {
        local sb=$1 b=$2 id
        id=$(new_id "h$sb")
        echo "$id" >"$b.id"
        (
                local t0 r=0
                t0=$(date +%s%N)
                "$COCOON" --root "$ROOT" --sandbox "$sb" run --bundle "$b" "$id" >"$b.out" 2>"$b.err" </dev/null || r=$?
                echo "$r $((($(date +%s%N) - t0) / 1000000))" >"$b.rc"
        ) &
        echo "$!" >"$b.pid"
}

# shellcheck disable=SC2034  # $out $err $rc $ms are the caller's
bundle_collect() {
        local b=$1
        wait "$(cat "$b.pid")" || true
        "$COCOON" --root "$ROOT" delete --force "$(cat "$b.id")" >/dev/null 2>&1 || true
        out=$(cat "$b.out")
        err=$(cat "$b.err")
        read -r rc ms <"$b.rc" || fail "no exit status for the container of $b"
}
