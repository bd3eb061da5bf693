/* SPDX-License-Identifier: MIT */
/* units.c: runc's size and duration syntax; util.c's cpu lists and
 * quota CPUs; how
 * sync.c reports a peer that died. */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sync.h"

#include "units.h"
#include "util.h"
#include "unit.h"

/* cpus: the CPU numbers, ended by -1 */
static void check_cpu_list(const int *cpus, const char *want) {
        cpu_set_t set;
        CPU_ZERO(&set);
        for (; *cpus >= 0; cpus++)
                CPU_SET(*cpus, &set);
        char buf[64];
        CHECK_INT_EQ(cpu_list_format(&set, buf, sizeof buf), 0);
        CHECK_STR_EQ(buf, want);
}

/* cpus: the cpuset, ended by -1; want: the list of the quota's CPUs */
static void check_quota_cpus(const int *cpus, uint64_t quota, uint64_t period, const char *want) {
        cpu_set_t set, got;
        CPU_ZERO(&set);
        for (; *cpus >= 0; cpus++)
                CPU_SET(*cpus, &set);
        char buf[64];
        unsigned n = cpu_set_for_quota(&set, quota, period, &got);
        CHECK_INT_EQ((int) n, CPU_COUNT(&got));
        CHECK_INT_EQ(cpu_list_format(&got, buf, sizeof buf), 0);
        CHECK_STR_EQ(buf, want);
}

static void check_size(const char *s, int64_t want) {
        int64_t v = 0;
        int r = parse_ram_bytes(s, &v);
        if (r == 0 && v == want)
                UNIT_PASS_();
        else
                UNIT_FAIL_("parse_ram_bytes(\"%s\"): r=%d v=%lld, want %lld", s, r, (long long) v, (long long) want);
}

static void check_bad_size(const char *s) {
        int64_t v;
        if (parse_ram_bytes(s, &v) < 0)
                UNIT_PASS_();
        else
                UNIT_FAIL_("parse_ram_bytes(\"%s\") accepted: %lld", s, (long long) v);
}

static void check_dur(const char *s, unsigned long long want) {
        unsigned long long v = 0;
        int r = parse_duration_ms(s, &v);
        if (r == 0 && v == want)
                UNIT_PASS_();
        else
                UNIT_FAIL_("parse_duration_ms(\"%s\"): r=%d v=%llu, want %llu", s, r, v, want);
}

static void check_bad_dur(const char *s) {
        unsigned long long v;
        if (parse_duration_ms(s, &v) < 0)
                UNIT_PASS_();
        else
                UNIT_FAIL_("parse_duration_ms(\"%s\") accepted: %llu", s, v);
}

/* A set-up child that died with our message unread: its socket says
 * ECONNRESET to a recv, EPIPE to a send; both are EPIPE to sync's callers
 * ("died during set-up"; an ECONNRESET made create fail without a line). */
static void check_dead_peer(void) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                UNIT_FAIL_("socketpair: %d", errno);
                return;
        }
        CHECK_INT_EQ(sync_send(sv[0], SYNC_GO, 0), 0);
        close(sv[1]);
        struct sync_msg m;
        CHECK_INT_EQ(sync_recv(sv[0], &m), -EPIPE);
        CHECK_INT_EQ(sync_send(sv[0], SYNC_GO, 0), -EPIPE);
        close(sv[0]);
}

int main(void) {
        check_dead_peer();
        check_cpu_list((const int[]){-1}, "");
        check_cpu_list((const int[]){0, -1}, "0");
        check_cpu_list((const int[]){3, -1}, "3");
        check_cpu_list((const int[]){0, 1, -1}, "0-1");
        check_cpu_list((const int[]){0, 1, 2, 3, 6, 8, 9, -1}, "0-3,6,8-9");
        check_cpu_list((const int[]){1, 3, 5, -1}, "1,3,5");
        check_cpu_list((const int[]){CPU_SETSIZE - 2, CPU_SETSIZE - 1, -1}, "1022-1023");
        {
                cpu_set_t all;
                CPU_ZERO(&all);
                for (int i = 0; i < CPU_SETSIZE; i += 2)
                        CPU_SET(i, &all);
                char small[16];
                CHECK_INT_EQ(cpu_list_format(&all, small, sizeof small), -ENAMETOOLONG);
        }
        check_quota_cpus((const int[]){0, 1, 2, 3, -1}, UINT64_MAX, 100000, "0-3");
        check_quota_cpus((const int[]){0, 1, 2, 3, -1}, 100000, 0, "0-3");
        check_quota_cpus((const int[]){0, 1, 2, 3, -1}, 100000, 100000, "0");
        check_quota_cpus((const int[]){0, 1, 2, 3, -1}, 150000, 100000, "0-1");
        check_quota_cpus((const int[]){0, 1, 2, 3, -1}, 1000, 100000, "0");
        check_quota_cpus((const int[]){1, 3, 5, -1}, 200000, 100000, "1,3");
        check_quota_cpus((const int[]){2, -1}, 800000, 100000, "2");
        check_size("0", 0);
        check_size("4096", 4096);
        check_size("-1", -1);
        check_size("100b", 100);
        check_size("1k", 1024);
        check_size("64m", 64ll << 20);
        check_size("64M", 64ll << 20);
        check_size("64MB", 64ll << 20);
        check_size("64MiB", 64ll << 20);
        check_size("64 mb", 64ll << 20);
        check_size("1.5g", 3ll << 29);
        check_size("2t", 2ll << 40);
        check_size("1p", 1ll << 50);
        check_bad_size("");
        check_bad_size("m");
        check_bad_size("-5");
        check_bad_size("12x");
        check_bad_size("1.2.3");
        check_bad_size("1.");
        check_bad_size("64mbb");
        check_bad_size("64  m");
        check_bad_size("99999999999p");

        check_dur("5s", 5000);
        check_dur("500ms", 500);
        check_dur("200ms", 200);
        check_dur("1m30s", 90000);
        check_dur("1.5s", 1500);
        check_dur("1h", 3600000);
        check_dur("10us", 1);
        check_dur("1500000ns", 2);
        check_dur("0s", 0);
        check_bad_dur("");
        check_bad_dur("5");
        check_bad_dur("-1s");
        check_bad_dur("1x");
        check_bad_dur("s");
        check_bad_dur("1s5");
        return unit_summary();
}
