# shellcheck shell=bash
# Helpers shared by the benchmarks in bench/.  Source it; it defines functions
# and variables only (no side effects besides `REPO`).

# shellcheck disable=SC2034  # used by the scripts that source this file
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_die() { echo "bench: $*" >&2; exit 1; }
bench_note() { echo "bench: $*" >&2; }

# bench_make_bundle DIR ROOTFS ARG...
# A bundle in DIR whose config.json is `runc spec`'s default (the config both
# runtimes are compared on) with process.args = ARG..., terminal false and
# root.path = ROOTFS (absolute, shared read-only by all runs).
bench_make_bundle() {
        local dir=$1 rootfs=$2; shift 2
        local runc=${RUNC:-/usr/sbin/runc}
        mkdir -p "$dir"
        rm -f "$dir/config.json"
        (cd "$dir" && "$runc" spec) || bench_die "'$runc spec' failed"
        local args="" a
        for a in "$@"; do args+="${args:+, }\"$a\""; done
        if command -v jq >/dev/null; then
                local argsjson="[$args]"
                jq --argjson a "$argsjson" --arg r "$rootfs" \
                   '.process.args = $a | .process.terminal = false | .root.path = $r' \
                   "$dir/config.json" >"$dir/config.json.new"
        else
                # runc spec's layout is fixed: "terminal": true, "args": [ "sh" ], "path": "rootfs"
                sed -e 's/"terminal": true/"terminal": false/' \
                    -e "s|^\([[:space:]]*\)\"sh\"\$|\1$args|" \
                    -e "s|\"path\": \"rootfs\"|\"path\": \"$rootfs\"|" \
                    "$dir/config.json" >"$dir/config.json.new"
        fi
        mv "$dir/config.json.new" "$dir/config.json"
        if ! grep -q '"terminal": false' "$dir/config.json" ||
                ! grep -qF "\"$rootfs\"" "$dir/config.json"; then
                bench_die "could not edit $dir/config.json"
        fi
}

# bench_rmdir_cgroups GLOB: remove the cgroup directories named GLOB right
# under each hierarchy's root, first killing what is left in them.  runsc
# leaves its container's cgroup (/ID) behind when its sandbox dies before
# `delete`, and when several `runsc run --detach` start at once some
# sandboxes run on without a state directory its `delete` could find.  GLOB
# must name only this run's containers (its ids carry the bench's pid).
bench_rmdir_cgroups() {
        local d p
        # shellcheck disable=SC2231  # GLOB is a pattern on purpose
        for d in /sys/fs/cgroup/pids/$1; do
                [ -f "$d/cgroup.procs" ] || continue
                while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$d/cgroup.procs"
        done
        # shellcheck disable=SC2231  # GLOB is a pattern on purpose
        for d in /sys/fs/cgroup/*/$1 /sys/fs/cgroup/$1; do
                [ -d "$d" ] || continue
                # (killed tasks leave their cgroup a moment after SIGKILL)
                for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$d" 2>/dev/null && break; sleep 0.1; done
        done
}

# bench_cleanup_root RUNTIME ROOT: force-delete every container a runtime
# still has under ROOT (by `list -q` and by state directory name, so it works
# even when `list` does not), then remove ROOT.
bench_cleanup_root() {
        local rt=$1 root=$2 id
        [ -d "$root" ] || return 0
        {
                "$rt" --root "$root" list -q 2>/dev/null || true
                for id in "$root"/*/; do if [ -d "$id" ]; then basename "$id"; fi; done
        } | sort -u | while read -r id; do
                [ -n "$id" ] || continue
                "$rt" --root "$root" delete --force "$id" >/dev/null 2>&1 ||
                        bench_note "could not delete container $id of $rt"
        done
        rm -rf "$root" || bench_note "could not remove $root"
}

# bench_compile SRC OUT: build a helper with the host gcc.
bench_compile() {
        "${CC:-gcc}" -O2 -Wall -Wextra -Werror -o "$2" "$1" || bench_die "compiling $1 failed"
}

# bench_need_built PROGRAM: a built $COCOON and a $ROOTFS with PROGRAM (made
# when missing), both made absolute.
bench_need_built() {
        [ -x "$COCOON" ] || bench_die "$COCOON not found: build it first (make)"
        [ -x "$ROOTFS/$1" ] || bash scripts/mkrootfs.sh "$ROOTFS"
        COCOON=$(realpath "$COCOON")
        ROOTFS=$(realpath "$ROOTFS")
}

# bench_multi_setup NAME PROGRAM: the start the benches that drive several
# runtimes share (idle, load, neighbour): a built $COCOON, a $ROOTFS with
# PROGRAM, both made absolute, and $work, a temporary directory removed on
# exit together with every container left under $work/root-RT for each RT
# of $RUNTIMES (runc's with $RUNC, runsc's with $RUNSC, the others with cocoon).
bench_multi_setup() {
        local name=$1 prog=$2
        bench_need_built "$prog"
        work=$(mktemp -d "${TMPDIR:-/tmp}/cocoon-$name.XXXXXX")
        trap bench_multi_cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
}

bench_multi_cleanup() {
        set +e
        local rt
        for rt in $RUNTIMES; do
                case $rt in
                runc) bench_cleanup_root "$RUNC" "$work/root-$rt" ;;
                runsc)
                        bench_cleanup_root "$RUNSC" "$work/root-$rt"
                        bench_rmdir_cgroups "$PREFIX-runsc-*"
                        ;;
                *) bench_cleanup_root "$COCOON" "$work/root-$rt" ;;
                esac
        done
        rm -rf "$work"
}
