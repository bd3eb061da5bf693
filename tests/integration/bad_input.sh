# shellcheck shell=bash disable=SC2154,SC2016  # $out $err $rc are set by capture() in lib/common.sh
# test-timeout: 150
# Bad input, one table: every row must fail with one clear line on stderr
# naming the problem, a non-zero exit, and leave nothing behind (no state
# directory, no cgroup, under vm no QEMU or monitor; the runner checks
# processes and mounts), under every sandbox. Malformed config fields, malformed JSON, missing config / rootfs
# / executable, bad cwd / mounts / namespace paths are errors.sh's; unknown
# commands and flags, missing arguments cli.sh's; unknown and invalid ids
# lifecycle.sh's (test_unknown_id, test_invalid_ids); malformed seccomp
# profiles seccomp.sh's; non-namespaced sysctls spec_linux.sh's. This table
# holds the rest: wrong paths and permissions around the runtime, options,
# commands on an existing container, configs the sentry and vm sandboxes
# must refuse, and configs that try to reach outside the container.
#
# Row: NAME|SANDBOXES|PREP|ARGS|WANT
#   SANDBOXES  "all" (none, sentry, vm), or a comma list ("sentry,vm")
#   PREP       shell run first ($B: a fresh bundle running `sleep 1000`,
#              $id: the id, $T: the test's directory); may edit $B/config.json
#   ARGS       cocoon's arguments after --sandbox (eval'd; --root is in them)
#   WANT       a string the error line must contain (eval'd)
# Rows whose ARGS act on "$id" of an existing container get one from PREP
# (`existing`), which must still be intact (same pid, running) afterwards;
# under vm one container (one VM boot) serves them all.
BAD_INPUT=(
        # --- the state root, the bundle, files cocoon writes
        'root-is-a-file|all|echo x >$T/rootfile|--root $T/rootfile create --bundle $B $id|$T/rootfile'
        'root-read-only|all|ro_mount $T/ro|--root $T/ro/root create --bundle $B $id|Read-only file system'
        'root-parent-read-only|all|ro_mount $T/ro|--root $T/ro create --bundle $B $id|Read-only file system'
        'bundle-is-a-file|all|echo x >$T/bfile|--root $ROOT create --bundle $T/bfile $id|$T/bfile'
        'config-is-a-directory|all|rm $B/config.json; mkdir $B/config.json|--root $ROOT create --bundle $B $id|config.json'
        'pid-file-dir-missing|all||--root $ROOT create --bundle $B --pid-file $T/nodir/pid $id|$T/nodir/pid'
        'pid-file-read-only|all|ro_mount $T/ro|--root $ROOT create --bundle $B --pid-file $T/ro/pid $id|$T/ro/pid'
        'console-socket-missing|all|edit_config $B "c[\"process\"][\"terminal\"]=True"|--root $ROOT create --bundle $B --console-socket $T/nosock $id|$T/nosock'
        'console-socket-not-a-socket|all|edit_config $B "c[\"process\"][\"terminal\"]=True"; echo x >$T/notsock|--root $ROOT create --bundle $B --console-socket $T/notsock $id|$T/notsock'
        'terminal-without-console-socket|all|edit_config $B "c[\"process\"][\"terminal\"]=True"|--root $ROOT create --bundle $B $id|console'
        'preserve-fds-negative|all||--root $ROOT create --bundle $B --preserve-fds -1 $id|preserve-fds'
        'hook-missing-binary|all|edit_config $B "c[\"hooks\"]={\"createRuntime\":[{\"path\":\"$T/no-hook\"}]}"|--root $ROOT create --bundle $B $id|$T/no-hook'
        'program-not-executable-for-the-user|all|chmod 700 $B/rootfs/bin; edit_config $B "c[\"process\"][\"user\"]={\"uid\":1000,\"gid\":1000}"|--root $ROOT run --bundle $B $id|permission denied'
        # --- configs that try to reach outside the container
        'cgroups-path-dotdot|all|edit_config $B "c[\"linux\"][\"cgroupsPath\"]=\"/../../../../..$T/cg-escape\""|--root $ROOT create --bundle $B $id|cgroupsPath'
        'unmapped-user|all|edit_config $B "c[\"linux\"][\"namespaces\"].append({\"type\":\"user\"})" "c[\"linux\"][\"uidMappings\"]=[{\"containerID\":0,\"hostID\":200000,\"size\":1000}]" "c[\"linux\"][\"gidMappings\"]=[{\"containerID\":0,\"hostID\":200000,\"size\":1000}]" "c[\"process\"][\"user\"]={\"uid\":5000,\"gid\":5000}"|--root $ROOT create --bundle $B $id|5000'
        # --- the sentry sandbox refuses what would weaken it (docs/architecture.md)
        'sentry-no-pivot|sentry,vm||--root $ROOT create --no-pivot --bundle $B $id|no-pivot'
        'sentry-notify-profile|sentry|edit_config $B "c[\"linux\"][\"seccomp\"]={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$T/agent.sock\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"|--root $ROOT create --bundle $B $id|SCMP_ACT_NOTIFY'
        'sentry-joined-mount-ns|sentry|edit_config $B "c[\"linux\"][\"namespaces\"]=[n for n in c[\"linux\"][\"namespaces\"] if n[\"type\"]!=\"mount\"]+[{\"type\":\"mount\",\"path\":\"/proc/self/ns/mnt\"}]"|--root $ROOT create --bundle $B $id|mount namespace'
        # --- the vm sandbox refuses what it cannot carry into the guest (docs/vm.md, "Not supported yet";
        #     vm.slow.sh's test_vm_refuses_what_it_cannot_carry has the host's network namespace and startContainer)
        'vm-create-container-hook|vm|edit_config $B "c[\"hooks\"]={\"createContainer\":[{\"path\":\"/bin/true\"}]}"|--root $ROOT create --bundle $B $id|hooks.createContainer'
        'vm-joined-ipc-ns|vm|edit_config $B "c[\"linux\"][\"namespaces\"]=[n for n in c[\"linux\"][\"namespaces\"] if n[\"type\"]!=\"ipc\"]+[{\"type\":\"ipc\",\"path\":\"/proc/self/ns/ipc\"}]"|--root $ROOT create --bundle $B $id|cannot be joined'
        'vm-seccomp-listener|vm|edit_config $B "c[\"linux\"][\"seccomp\"]={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"$T/agent.sock\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}"|--root $ROOT create --bundle $B $id|listenerPath'
        'vm-preserve-fds|vm||--root $ROOT create --bundle $B --preserve-fds 1 $id|preserve-fds'
        'vm-idmapped-mount|vm|mkdir -p $T/src; edit_config $B "c[\"mounts\"].append({\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"$T/src\",\"options\":[\"rbind\"],\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":1000}],\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":1000}]})"|--root $ROOT create --bundle $B $id|idmapped'
        'vm-too-many-bind-mounts|vm|mkdir -p $T/src; edit_config $B "c[\"mounts\"]+=[{\"destination\":\"/mnt/%d\" % i,\"type\":\"bind\",\"source\":\"$T/src\",\"options\":[\"rbind\"]} for i in range(17)]"|--root $ROOT create --bundle $B $id|more than 16 bind mounts'
        # --- commands on an existing container (which must survive them)
        'kill-unknown-signal|all|existing|--root $ROOT kill $id SIGNOPE|SIGNOPE'
        'kill-signal-out-of-range|all|existing|--root $ROOT kill $id 99|99'
        'exec-process-file-missing|all|existing|--root $ROOT exec --process $T/no-process.json $id|$T/no-process.json'
        'exec-relative-cwd|all|existing|--root $ROOT exec --cwd relative $id /bin/true|relative'
        'exec-cwd-missing|all|existing|--root $ROOT exec --cwd /no-such-dir $id /bin/true|/no-such-dir'
        'exec-bad-user|all|existing|--root $ROOT exec --user abc:def $id /bin/true|abc'
        'update-bad-memory|all|existing|--root $ROOT update --memory lots $id|lots'
        'update-resources-missing|all|existing|--root $ROOT update --resources $T/no-resources.json $id|$T/no-resources.json'
        'ps-bad-format|all|existing|--root $ROOT ps --format yaml $id|yaml'
        'create-over-existing-state|all|existing|--root $ROOT create --bundle $B $id|already exists'
        'vm-exec-preserve-fds|vm|existing|--root $ROOT exec --preserve-fds 1 $id /bin/true|preserve-fds'
        'vm-ps-options|vm|existing|--root $ROOT ps $id -o pid|ps options'
        'vm-update-memory-above-ram|vm|existing|--root $ROOT update --memory 1073741824 $id|cannot grow'
)

# ro_mount DIR: a read-only tmpfs at DIR (unmounted by the test).
ro_mount() {
        mkdir -p "$1"
        mount -t tmpfs -o ro,size=64k "tmpfs-$TOKEN" "$1"
        RO_MOUNTS+=("$1")
}

# bad_row ROW SB: one row under one sandbox; failures go to $T/failures.
bad_row() {
        local row=$1 SB=$2 name sbs prep args want id B=$T/b p0=""
        IFS='|' read -r name sbs prep args want <<<"$row"
        RO_MOUNTS=()
        rm -rf "$B" "$T/ro"
        # a hard-linked copy: rows change directories and config.json (replaced, not written in place)
        cp -al "$T/pristine" "$B"
        id=$(new_id "${name:0:20}")
        if [ "$prep" = existing ] && [ -n "$SHARED" ]; then
                id=$SHARED
                p0=$(pid_of "$id")
        elif [ "$prep" = existing ]; then
                assert_ok "$COCOON" --root "$ROOT" --sandbox "$SB" run -d --bundle "$B" "$id"
                p0=$(pid_of "$id")
                track_pid "$p0"
        else
                eval "$prep"
        fi
        local -a argv
        eval "argv=($args)"
        want=$(eval "echo \"$want\"")
        # (a row that boots a VM takes 10 to 40 s under TCG on a loaded host,
        # and the guest's own timeout is 180 s)
        local tmo=20
        [ "$SB" != vm ] || tmo=240
        capture timeout "$tmo" "$COCOON" --sandbox "$SB" "${argv[@]}"
        local m
        for m in "${RO_MOUNTS[@]}"; do umount "$m"; done
        [ "$rc" != 124 ] || fail "hung"
        if [ "$rc" = 0 ]; then
                [ -z "$p0" ] && "$COCOON" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
                fail "succeeded (stdout: $out)"
        fi
        # this host's /dev/kvm is unusable: every boot warns that it falls
        # back to TCG (docs/vm.md), a fact about the host, not about the row
        [ "$SB" != vm ] || err=$(grep -v '^cocoon: warning: --sandbox=vm: QEMU could not run the guest with KVM\|^cocoon: warning: --sandbox=vm: /dev/kvm is not usable' <<<"$err" || true)
        note "err: $err"
        assert_one_line "$err" "stderr"
        assert_contains "$err" "$want" "the error line"
        # one context per line: a prefix relayed from the guest was once doubled
        [ "$(grep -o "container \"$id\"" <<<"$err" | wc -l)" -le 1 ] || fail "the line names the container twice"
        if [ -n "$p0" ]; then
                # the container the command was aimed at is untouched
                assert_eq "$p0" "$(pid_of "$id")" "pid of the existing container"
                assert_eq running "$(status_of "$id")" "status of the existing container"
                [ -n "$SHARED" ] || assert_ok "$COCOON" --root "$ROOT" delete --force "$id"
                [ -z "$SHARED" ] || return 0
        fi
        [ ! -e "$ROOT/$id" ] || fail "left $ROOT/$id"
        # no monitor, no QEMU (their command lines name the container)
        [ -z "$(pgrep -f -- "$id")" ] || fail "left processes: $(pgrep -a -f -- "$id")"
        [ -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null)" ] || fail "left a cgroup named $id"
        [ ! -e "$T/cg-escape" ] || fail "made $T/cg-escape outside the cgroup hierarchy"
}

# bad_table SB: every row for SB; all failures reported together.
bad_table() {
        local row sbs n=0
        : >"$T/failures"
        make_bundle "$T/pristine" /bin/sleep 1000
        SHARED=""
        if [ "$1" = vm ]; then
                [ -s "$TESTS_DIR/../build/guest/vmlinux" ] || fail "no guest assets in build/guest: run make"
                cp -al "$T/pristine" "$T/shared"
                SHARED=$(new_id existing)
                assert_ok "$COCOON" --root "$ROOT" --sandbox vm run -d --bundle "$T/shared" "$SHARED"
                track_pid "$(pid_of "$SHARED")"
        fi
        for row in "${BAD_INPUT[@]}"; do
                sbs=$(cut -d'|' -f2 <<<"$row")
                [ "$sbs" = all ] || [[ ",$sbs," == *",$1,"* ]] || continue
                n=$((n + 1))
                note "${row%%|*}"
                (bad_row "$row" "$1") >"$T/row.log" 2>&1 ||
                        { echo "${row%%|*}: $(grep -E 'ASSERTION|ERROR' "$T/row.log" | head -n 3)" >>"$T/failures"; }
                sed -n 's/^# err: /#   /p' "$T/row.log" >&2
                # what a failed row left (reported above) must not spoil the next
                local d
                for d in "$ROOT"/*; do
                        [ "${d##*/}" != "$SHARED" ] || continue
                        [ -e "$d" ] && "$COCOON" --root "$ROOT" delete --force "${d##*/}" >/dev/null 2>&1
                done
                mountpoint -q "$T/ro" && umount "$T/ro"
                true
        done
        if [ -n "$SHARED" ]; then
                assert_eq running "$(status_of "$SHARED")" "the shared container after every row"
                assert_ok "$COCOON" --root "$ROOT" delete --force "$SHARED"
        fi
        note "$n rows under $1"
        [ ! -s "$T/failures" ] || fail "bad input not refused cleanly under $1:
$(cat "$T/failures")"
}

test_bad_input_none() { bad_table none; }
test_bad_input_sentry() { bad_table sentry; }
