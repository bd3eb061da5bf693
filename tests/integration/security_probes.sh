# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# test-timeout: 120
# Escape probes (tests/security/probe.c) under each sandbox and under runc
# 1.1.5, compared with the table in docs/security.md (tests/security/table.py).
# Every column gets the same Docker-like config: Docker's default
# capabilities, runc's default masked/read-only paths, a volume /vol holding
# absolute symlinks; `none` and runc add Docker's default seccomp profile (as
# the Docker daemon would), `sentry` has its boundary filter only (with the
# profile on top the strictest action would win and hide the boundary), and
# `none-bare` shows what namespaces and capabilities alone give.
#
# SECURITY_TABLE_WRITE=1 tests/run.sh security_probes  rewrites the outcome
# cells of docs/security.md from what the probes saw (review the diff).

SEC_DOC=$TESTS_DIR/../docs/security.md
DOCKER_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'

# probe_bin: the probe, built once per source change into build/security/.
probe_bin() {
        local src=$TESTS_DIR/security/probe.c dir=$TESTS_DIR/../build/security
        mkdir -p "$dir"
        (
                flock 9
                if [ ! -x "$dir/probe" ] || [ "$src" -nt "$dir/probe" ]; then
                        gcc -static -O1 -Wall -Wextra -Werror -Wno-format-truncation \
                                -o "$dir/probe.tmp" "$src" >&2 && mv "$dir/probe.tmp" "$dir/probe"
                fi
        ) 9>"$dir/.lock" || fail "could not build tests/security/probe.c"
        echo "$dir/probe"
}

# probe_bundle B PROFILE: $B runs `/probe all` with the inputs the probes
# need; PROFILE=docker adds Docker's default seccomp profile.
probe_bundle() {
        local b=$1 profile=$2 probe
        have_cmd gcc || skip "no gcc to build the probes"
        probe=$(probe_bin)
        make_bundle "$b" /probe all
        cp "$probe" "$b/rootfs/probe"
        mkdir -p "$b/rootfs/mnt" "$T/outside" "$T/vol"
        echo "probe-secret-$TOKEN" >"$T/outside/marker"
        ln -sfn / "$T/vol/to-root"
        ln -sfn "$T/outside/marker" "$T/vol/to-marker"
        local cpu
        cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*: //')
        edit_config "$b" \
                "for k in ('bounding','effective','permitted'): c['process']['capabilities'][k] = $DOCKER_CAPS" \
                "c['process']['noNewPrivileges'] = False" \
                "c['process']['env'] += ['PROBE_MARKER=$T/outside/marker', 'PROBE_SECRET=probe-secret-$TOKEN', 'PROBE_HOST_RELEASE=$(uname -r)', 'PROBE_HOST_CPU=$cpu', 'PROBE_HOST_PATH=$T', 'PROBE_ABSTRACT=cocoon-probe-$TOKEN']" \
                "c['mounts'].append({'destination':'/vol','type':'bind','source':'$T/vol','options':['rbind','rw']})"
        if [ "$profile" = docker ]; then
                python3 "$TESTS_DIR/helpers/render_docker_seccomp.py" "$TESTS_DIR/data/docker-default-seccomp.json" \
                        "$b/config.json" >"$T/profile.json"
                edit_config "$b" "c['linux']['seccomp']=json.load(open('$T/profile.json'))"
        fi
}

# probe_column COLUMN: runs the probes under COLUMN (none, sentry, runc,
# none-bare) and checks the outcomes against docs/security.md.
probe_column() {
        local col=$1 B=$T/b id victim s
        case $col in
        none | runc | vm) probe_bundle "$B" docker ;;
        *) probe_bundle "$B" none ;;
        esac
        # a host process outside every container, the target of ptrace & co,
        # listening on an abstract unix socket
        python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind("\0" + sys.argv[1])
s.listen(8)
time.sleep(1000)' "cocoon-probe-$TOKEN" &
        victim=$!
        track_pid "$victim"
        # (listening before the probe runs, or its refusal would prove nothing)
        wait_for grep -q "@cocoon-probe-$TOKEN" /proc/net/unix
        id=$(new_id p)
        local -a cli nbcli
        local limit=60
        case $col in
        runc) cli=(runc_ref) ;;
        sentry) cli=("$COCOON" --root "$ROOT" --sandbox sentry) ;;
        vm)
                cli=("$COCOON" --root "$ROOT" --sandbox vm)
                # the minimal kernel lacks keyrings and io_uring: the cells
                # are Debian's kernel's, which `make` always builds
                [ -s "$TESTS_DIR/../build/guest/vmlinux" ] || fail "no guest assets in build/guest: run make"
                export COCOON_VM_KERNEL=debian
                limit=240 # the probes' 49 forks under TCG on a loaded host
                ;;
        *) cli=("$COCOON" --root "$ROOT" --sandbox none) ;;
        esac
        # another tenant: a container of the same kind, created (its init
        # waits for start, a live process in its own namespaces); beside a
        # vm a `none` one (a second VM would double the boot for a pid the
        # guest cannot name anyway)
        nbcli=("${cli[@]}")
        [ "$col" != vm ] || nbcli=("$COCOON" --root "$ROOT" --sandbox none)
        local nb
        nb=$(new_id nb)
        "${nbcli[@]}" create --bundle "$B" "$nb" >/dev/null 2>"$T/nb.err" ||
                fail "$col: create of the neighbour failed: $(cat "$T/nb.err")"
        "${cli[@]}" create --bundle "$B" "$id" >"$T/probe.out" 2>"$T/probe.err" ||
                fail "$col: create failed: $(cat "$T/probe.err")"
        local -a own=()
        {
                echo "host $victim"
                echo "tenant $(json_get 'd["pid"]' <<<"$("${nbcli[@]}" state "$nb")")"
                if [ "$col" = sentry ]; then
                        s=$(pid_of "$id")
                        echo "sentry $s"
                        echo "gofer $(pgrep -P "$s" -x cocoon-gofer)"
                        echo "tenant-workload $(json_get 'd["workload_pid"]' "$ROOT/$nb/state.json")"
                fi
                if [ "$col" = vm ]; then
                        # the probing container's own host processes
                        own=("$(pid_of "$id")" "$(cut -d' ' -f1 "$ROOT/$id/qemu.pid")")
                        echo "monitor ${own[0]}"
                        echo "qemu ${own[1]}"
                fi
        } >"$B/rootfs/probe-pids"
        "${cli[@]}" start "$id" || fail "$col: start failed"
        local i=0
        until [ "$("${cli[@]}" state "$id" | json_get 'd["status"]')" = stopped ]; do
                i=$((i + 1))
                [ "$i" -lt $((limit * 20)) ] || fail "$col: the probes did not finish in $limit s: $(cat "$T/probe.out")"
                sleep 0.05
        done
        # kill(-1, SIGKILL) inside (the kill_all probe) reached none of these
        pid_alive "$victim" || fail "$col: the host process died during the probes"
        assert_eq created "$("${nbcli[@]}" state "$nb" | json_get 'd["status"]')" "$col: the other tenant after the probes"
        assert_contains "$(cat "$T/probe.out")" "mountinfo:" "$col: the probes ran to the end (the last probe)"
        # the VM ended as the probe did (the monitor and QEMU with it), not
        # of a crash: no line about QEMU or the agent dying
        [ "$col" != vm ] || assert_not_contains "$(cat "$T/probe.err")" "the container is stopped" "$col: create's stderr"
        "${cli[@]}" delete --force "$id" >/dev/null
        "${nbcli[@]}" delete --force "$nb" >/dev/null
        kill "$victim"
        note "$col:"
        sed 's/^/#   /' "$T/probe.out" >&2
        [ -s "$T/probe.err" ] && note "stderr: $(cat "$T/probe.err")"
        if [ -n "${SECURITY_TABLE_WRITE:-}" ]; then
                python3 "$TESTS_DIR/security/table.py" write "$SEC_DOC" "$col" "$T/probe.out"
        fi
        capture python3 "$TESTS_DIR/security/table.py" check "$SEC_DOC" "$col" "$T/probe.out"
        [ "$rc" = 0 ] || fail "probe outcomes under $col differ from docs/security.md:
$out$err"
}

test_probes_none() { probe_column none; }
test_probes_sentry() { probe_column sentry; }
test_probes_runc() {
        [ -x "$RUNC" ] || skip "no runc at $RUNC"
        probe_column runc
}
test_probes_none_bare() { probe_column none-bare; }

# CVE-2024-21626: process.cwd = /proc/self/fd/N, naming a descriptor the
# runtime may still hold on a host directory when it chdirs. Each N must be
# refused or leave the process inside the container.
cwd_attack() {
        local col=$1 B=$T/b n id
        probe_bundle "$B" none
        set_args "$B" /probe cwd leaked_fds
        local -a cli
        case $col in
        runc) cli=(runc_ref) ;;
        *) cli=("$COCOON" --root "$ROOT" --sandbox "$col") ;;
        esac
        for n in 3 4 5 6 7 8 9; do
                edit_config "$B" "c['process']['cwd']='/proc/self/fd/$n'"
                id=$(new_id "cwd$n")
                capture "${cli[@]}" run --bundle "$B" "$id"
                "${cli[@]}" delete --force "$id" >/dev/null 2>&1 || true
                assert_not_contains "$out" ESCAPED "cwd /proc/self/fd/$n under $col"
                if [ "$rc" = 0 ]; then
                        assert_contains "$out" "cwd: contained" "cwd /proc/self/fd/$n under $col"
                        note "fd $n: ran: $(tr '\n' ' ' <<<"$out")"
                else
                        note "fd $n: refused ($rc): $err"
                fi
        done
}
test_cwd_proc_self_fd_none() { cwd_attack none; }
test_cwd_proc_self_fd_sentry() { cwd_attack sentry; }
test_cwd_proc_self_fd_runc() {
        [ -x "$RUNC" ] || skip "no runc at $RUNC"
        cwd_attack runc
}

# The probe itself must be able to tell an escape: on the host (no container)
# the marker is readable, the host release is its own, core_pattern is
# writable, an inherited directory descriptor leads to the marker, and a
# host abstract socket answers.
test_probes_detect_escapes_on_the_host() {
        have_cmd gcc || skip "no gcc to build the probes"
        local probe l
        probe=$(probe_bin)
        echo "probe-secret-$TOKEN" >"$T/marker"
        python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind("\0" + sys.argv[1])
s.listen(8)
time.sleep(1000)' "cocoon-probe-$TOKEN" &
        l=$!
        track_pid "$l"
        wait_for grep -q "@cocoon-probe-$TOKEN" /proc/net/unix
        mkdir -p "$T/dir"
        capture env PROBE_MARKER="$T/marker" PROBE_SECRET="probe-secret-$TOKEN" PROBE_HOST_RELEASE="$(uname -r)" \
                PROBE_ABSTRACT="cocoon-probe-$TOKEN" "$probe" proc_root uname core_pattern leaked_fds abstract_socket 9<"$T/dir"
        kill "$l"
        assert_eq 1 "$rc" "exit status of the probe when something escapes"
        assert_contains "$out" "proc_root: ESCAPED"
        assert_contains "$out" "uname: leaked"
        assert_contains "$out" "core_pattern: ESCAPED (/proc/sys/kernel/core_pattern is writable)"
        assert_contains "$out" "leaked_fds: ESCAPED (read the marker relative to inherited fd 9)"
        assert_contains "$out" "abstract_socket: ESCAPED"
}
