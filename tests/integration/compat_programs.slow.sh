# shellcheck shell=bash disable=SC2154,SC2016  # $out $err $rc are set by capture() in lib/common.sh; the scripts run in the container
# test-timeout: 600
# Real programs from Debian in a container that bind-mounts the host's /usr
# read-only, under `none` and under `sentry`: gcc and make building a small
# project, busybox httpd and redis-server serving requests, stress-ng's os,
# filesystem and memory stressors.  Each test runs one script under both
# sandboxes and compares what it printed (docs/compatibility.md lists what
# runs and every difference found).

# shellcheck source=tests/lib/host_usr.sh
source "$TESTS_DIR/lib/host_usr.sh"

PROG_DOC=$TESTS_DIR/../docs/compatibility.md

# prog_bundle B: as compat_python.slow.sh's py_bundle: a root of symlinks
# into /usr (Debian's merged /usr), /usr from the host read-only, /tmp a
# tmpfs, Docker's default capabilities; the working directories the tests
# write to (/work, /data, /src) are on the root filesystem, so their files
# go through the Gofer under `sentry`.
prog_bundle() {
        host_usr_bundle "$1" work data src
}

# prog_need CMD...: skip unless every host command is installed
# (scripts/deps.sh test installs them).
prog_need() {
        local c
        for c in "$@"; do
                [ -x "/usr/bin/$c" ] || skip "no /usr/bin/$c (scripts/deps.sh test installs it)"
        done
}

# prog_no_error_logged SANDBOX: a container that exited 0 logged no error
# (its script sends its own stderr to stdout; $err is cocoon's).  The
# Sentry's supervisor once logged the Gofer's end as a lost connection when
# a stressor's call was still blocked in the Gofer at the workload's exit.
prog_no_error_logged() {
        if grep -qE 'level=error|^cocoon: ' <<<"$err"; then
                fail "$what under $1: exit 0, but cocoon logged:
$err"
        fi
}

# prog_same WHAT SCRIPT: `sh -c SCRIPT` prints the same lines and exits 0
# under none (in $T/b) and then under sentry (in a copy of it, $T/bs);
# $out is the output under sentry.  One after the other, not at once as
# compat_python.slow.sh's halves: run at once, stress-ng's ramfs stressor
# exited 2 under sentry in one CI run (cause not found; each alone exits 0).
prog_same() {
        local what=$1 script=$2 want none_ms
        set_args "$T/b" /bin/sh -c "$script 2>&1"
        rm -rf "$T/bs"
        cp -a "$T/b" "$T/bs"
        bundle_run_bg none "$T/b"
        bundle_collect "$T/b"
        [ "$rc" = 0 ] || fail "$what under none: exit $rc
$out"
        prog_no_error_logged none
        want=$out none_ms=$ms
        bundle_run_bg sentry "$T/bs"
        bundle_collect "$T/bs"
        if [ "$rc" != 0 ] || [ "$out" != "$want" ]; then
                fail "$what: under sentry (exit $rc) the output differs from none's:
$(diff <(echo "$want") <(echo "$out") | head -n 40)"
        fi
        prog_no_error_logged sentry
        note "$what: the same output ($(wc -l <<<"$out") lines); none $none_ms ms, sentry $ms ms"
}

# ------------------------------------------------------------------ gcc

# A project of three files and a header built by make (gcc's driver, cc1,
# as, collect2 and ld; cc1's assembler output goes to a temporary file in
# /tmp), run, rebuilt after a change: make compares modification times, so
# a stale stat answer would rebuild too much or too little.  The objects
# and the program must be byte for byte the same under both sandboxes.
test_prog_gcc() {
        prog_need gcc make sha256sum
        prog_bundle "$T/b"
        local s=$T/b/rootfs/src
        cat >"$s/calc.h" <<'EOF'
#pragma once
long fib(int n);
unsigned fnv(const char *s);
EOF
        cat >"$s/fib.c" <<'EOF'
#include "calc.h"
long fib(int n) { long a = 0, b = 1; while (n-- > 0) { long t = a + b; a = b; b = t; } return a; }
EOF
        cat >"$s/fnv.c" <<'EOF'
#include "calc.h"
unsigned fnv(const char *s) { unsigned h = 2166136261u; while (*s) h = (h ^ (unsigned char) *s++) * 16777619u; return h; }
EOF
        cat >"$s/main.c" <<'EOF'
#include <stdio.h>
#include "calc.h"
int main(int argc, char **argv) {
        for (int i = 1; i < argc; i++)
                printf("%s %08x\n", argv[i], fnv(argv[i]));
        printf("fib(90) = %ld\n", fib(90));
        return 0;
}
EOF
        printf 'prog: main.o fib.o fnv.o\n\t$(CC) -o $@ $^\n%%.o: %%.c calc.h\n\t$(CC) -O2 -Wall -Werror -c $<\n' >"$s/Makefile"
        prog_same "gcc and make" '
                set -e
                cd /src && rm -f -- *.o prog
                touch -d "2020-01-01 00:00" -- *.c *.h Makefile
                make CC=gcc
                ./prog alpha beta
                make CC=gcc
                rm fnv.o
                make CC=gcc
                touch calc.h
                make CC=gcc
                sha256sum -- *.o prog
                gcc -O2 -o /tmp/one main.c fib.c fnv.c && /tmp/one gamma'
        assert_contains "$out" "fib(90) = 2880067194370816120" "the program's output"
        assert_contains "$out" "make: 'prog' is up to date." "make's second run"
}

# ------------------------------------------------------------------ httpd

# busybox httpd serving a page, a 300 KB file (checksummed), a CGI script
# (the server forks and execs it) and a 404, to busybox wget in the same
# container over loopback.
test_prog_httpd() {
        prog_need busybox sha256sum
        busybox --list | grep -qx httpd || skip "host busybox has no httpd applet"
        prog_bundle "$T/b"
        local w=$T/b/rootfs/data/www
        mkdir -p "$w/cgi-bin"
        echo '<h1>cocoon</h1>' >"$w/index.html"
        head -c 300000 /dev/urandom >"$w/big.bin"
        printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "cgi $REQUEST_METHOD $QUERY_STRING"\n' >"$w/cgi-bin/q"
        chmod +x "$w/cgi-bin/q"
        local sum
        sum=$(sha256sum <"$w/big.bin")
        prog_same "busybox httpd" '
                busybox httpd -p 127.0.0.1:8080 -h /data/www || exit 1
                for i in $(seq 100); do busybox wget -q -O /dev/null http://127.0.0.1:8080/ && break; sleep 0.1; done
                busybox wget -q -O - http://127.0.0.1:8080/index.html
                busybox wget -q -O - http://127.0.0.1:8080/big.bin | sha256sum
                busybox wget -q -O - "http://127.0.0.1:8080/cgi-bin/q?x=1&y=2"
                busybox wget -q -O - http://127.0.0.1:8080/nope || echo "wget exit $?"
                busybox wget -S -O /dev/null http://127.0.0.1:8080/nope 2>&1 | grep -o "HTTP/1.[01] [0-9]* .*"'
        assert_contains "$out" "$sum" "the large file's checksum"
        assert_contains "$out" "cgi GET x=1&y=2" "the CGI's output"
        assert_contains "$out" "404 Not Found" "the missing page's status"
}

# ------------------------------------------------------------------ redis

# redis-server (Debian's redis-tools ships it as redis-check-rdb, which
# acts as the server under any other name: the bundle links it as
# /redis-server) with redis-cli and redis-benchmark in the same container
# over loopback; SAVE writes dump.rdb (a temporary file renamed through the
# Gofer), redis-check-rdb checks it and a second server loads it.
test_prog_redis() {
        prog_need redis-check-rdb redis-cli redis-benchmark
        prog_bundle "$T/b"
        ln -s /usr/bin/redis-check-rdb "$T/b/rootfs/redis-server"
        prog_same "redis" '
                srv() { /redis-server --port 6379 --bind 127.0.0.1 --dir /data --save "" --logfile /data/redis.log & }
                up() { for i in $(seq 100); do redis-cli ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done; echo "no server"; exit 1; }
                cd /data && rm -f dump.rdb redis.log
                srv; up
                redis-cli set k1 v1; redis-cli get k1; redis-cli incrby n 41; redis-cli incr n
                redis-cli rpush l a b c; redis-cli lrange l 0 -1; redis-cli hset h f1 x f2 y; redis-cli hgetall h
                redis-benchmark -q -n 2000 -c 4 -t set,get,incr,lpush,lpop 2>&1 | tr "\r" "\n" |
                        grep -o "^[A-Z]*: [0-9.]* requests per second" | sed "s/[0-9.]* req/N req/"
                redis-cli dbsize; redis-cli save; ls /data/dump.rdb
                redis-check-rdb /data/dump.rdb | grep -o "RDB looks OK"
                redis-cli shutdown nosave; wait
                srv; up
                redis-cli get k1; redis-cli get n; redis-cli lrange l 0 -1; redis-cli dbsize
                redis-cli shutdown nosave; wait'
        assert_contains "$out" "LPOP: N requests per second" "redis-benchmark's last test"
        assert_contains "$out" "RDB looks OK" "redis-check-rdb"
        assert_match "$out" $'v1\n42\na\nb\nc\n6$' "the reloaded data set"
}

# ------------------------------------------------------------------ signals

# Creating and removing names on the root filesystem (Gofer calls under
# sentry) under a 200 us timer signal whose handler has SA_RESTART: no call
# may fail.  Before the boundary filter had WAIT_KILLABLE_RECV, the signal
# ended the wait for calls the Sentry had already performed and the kernel
# ran them again: about 7900 of the 12000 calls failed EEXIST or ENOENT.
test_prog_signal_restart() {
        prog_need gcc
        prog_bundle "$T/b"
        gcc -O2 -Wall -Wextra -Werror -o "$T/b/rootfs/signal_restart" "$TESTS_DIR/helpers/signal_restart.c" ||
                fail "could not build tests/helpers/signal_restart.c"
        prog_same "signal_restart" 'rm -rf /work/d* /work/f*; /signal_restart /work'
        assert_eq "3000 rounds, 0 failed calls" "$out" "signal_restart"
}

# ------------------------------------------------------------------ stress-ng

# Stressors left out of the comparison, each with its reason in
# docs/compatibility.md ("stress-ng"): refused by design under sentry, or
# too slow to run in CI.
SN_EXCLUDE_SENTRY="chroot io-uring netlink-task vm-segv link pci"
SN_EXCLUDE_ALL="mmapfork"

# sn_list CLASS: the class's stressors, less the exclusions and (for os)
# those the filesystem and memory tests run.
sn_class() { stress-ng --class "$1?" 2>&1 | sed 's/.*stressors: //'; }
sn_list() {
        local s others=""
        [ "$1" = os ] && others=" $(sn_class filesystem) $(sn_class memory) "
        for s in $(sn_class "$1"); do
                case " $SN_EXCLUDE_SENTRY $SN_EXCLUDE_ALL $others " in *" $s "*) continue ;; esac
                echo "$s"
        done
}

# sn_same CLASS: every stressor of the class, one at a time (one instance,
# 10 bogo operations or 1 s, in /work on the root filesystem), exits with
# the same status under both sandboxes: one "NAME STATUS" line each.
# stress-ng's --sequential mode ignores the per-stressor operation counts,
# which would make every stressor run for its whole timeout.
sn_same() {
        prog_need stress-ng
        prog_bundle "$T/b"
        local list
        list=$(sn_list "$1" | tr '\n' ' ')
        [ -n "$list" ] || fail "stress-ng lists no stressor of class $1"
        prog_same "stress-ng class $1" '
                cd /work || exit 1
                for s in '"$list"'; do
                        o="--$s-ops 10"
                        [ "$s" = binderfs ] && o=""
                        stress-ng --$s 1 $o --timeout 1s --temp-path /work >/tmp/log 2>&1
                        echo "$s $?"
                done
                rm -rf /work/tmp-stress-ng-*'
        note "stress-ng class $1: $(awk '$2 == 0' <<<"$out" | wc -l) of $(wc -l <<<"$out") stressors exit 0 under both"
}

test_prog_stress_filesystem() { sn_same filesystem; }
test_prog_stress_memory() { sn_same memory; }
test_prog_stress_os() { sn_same os; }

# The document names every stressor this file leaves out.
test_prog_stress_exclusions_documented() {
        local s
        [ -f "$PROG_DOC" ] || fail "no $PROG_DOC"
        for s in $SN_EXCLUDE_SENTRY $SN_EXCLUDE_ALL; do
                grep -q "\`$s\`" "$PROG_DOC" || fail "stressor $s is left out but not in docs/compatibility.md"
        done
}
