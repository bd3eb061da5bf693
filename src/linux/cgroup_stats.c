/* SPDX-License-Identifier: MIT */
/*
 * `events` statistics in runc's shape (runc 1.1 types.Stats): the same keys,
 * and the same "omitempty" fields left out when zero, so tools written for
 * `runc events` read ours.  Each controller is read where it lives (v1
 * hierarchy, else cgroup2); a controller the host does not have yields its
 * zero value, as in runc.  JSON integers are signed 64-bit here, so v2's
 * "max" (runc: 2^64-1) is reported as 2^63-1.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "linux/cgroup_knob.h"
#include "log.h"
#include "util.h"

static json_t *num(uint64_t v) {
        return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t) v);
}

/* Go's omitempty for numbers */
static void set_nz(json_t *o, const char *k, uint64_t v) {
        if (v)
                json_object_set_new(o, k, num(v));
}

static uint64_t read_u64(const struct cgroup_dir *d, const char *file) {
        uint64_t v = 0;
        if (d && cgroup_knob_read_u64(d, file, &v) < 0)
                v = 0;
        return v;
}

/* The value of `key` in a "key value" per line file (cpu.stat, memory.stat, ...). */
static uint64_t kv(const char *text, const char *key) {
        size_t n = strlen(key);
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (!strncmp(p, key, n) && p[n] == ' ')
                        return strtoull(p + n + 1, NULL, 10);
        return 0;
}

static char *read_text(const struct cgroup_dir *d, const char *file) {
        char *s = NULL;
        if (!d || cgroup_knob_read(d, file, &s) < 0)
                return NULL;
        return s;
}

/* "12 34 56\n" -> [12,34,56] */
static json_t *num_list(const char *s) {
        json_t *a = json_array();
        for (char *end; s && *s;) {
                uint64_t v = strtoull(s, &end, 10);
                if (end == s)
                        break;
                json_array_append_new(a, num(v));
                s = end;
        }
        return a;
}

/* "0-2,4" -> [0,1,2,4] */
static json_t *range_list(const char *s) {
        json_t *a = json_array();
        for (char *end; s && *s && *s != '\n';) {
                unsigned long lo = strtoul(s, &end, 10), hi = lo;
                if (end == s)
                        break;
                if (*end == '-') {
                        s = end + 1;
                        hi = strtoul(s, &end, 10);
                }
                for (unsigned long i = lo; i <= hi && i - lo < 65536; i++)
                        json_array_append_new(a, json_integer((json_int_t) i));
                s = *end == ',' ? end + 1 : end;
        }
        return a;
}

static void set_array(json_t *o, const char *k, json_t *a) {
        if (json_array_size(a))
                json_object_set_new(o, k, a);
        else
                json_decref(a);
}

static json_t *stats_cpu(const struct cgroup *cg) {
        json_t *percpu = json_array(), *pk = json_array(), *pu = json_array();
        uint64_t total = 0, kernel = 0, user = 0;
        bool v2;
        const struct cgroup_dir *acct = cgroup_knob_dir(cg, "cpuacct", &v2);
        if (acct && !v2) {
                total = read_u64(acct, "cpuacct.usage");
                _cleanup_free_ char *s = read_text(acct, "cpuacct.usage_percpu");
                json_decref(percpu);
                percpu = num_list(s);
                /* "cpu user system" header, then one line per cpu */
                _cleanup_free_ char *all = read_text(acct, "cpuacct.usage_all");
                const char *line = all ? strchr(all, '\n') : NULL;
                while (line && *++line) {
                        unsigned long long c, u, k;
                        if (sscanf(line, "%llu %llu %llu", &c, &u, &k) != 3)
                                break;
                        json_array_append_new(pu, num(u));
                        json_array_append_new(pk, num(k));
                        line = strchr(line, '\n');
                }
                /* cpuacct.stat counts USER_HZ ticks */
                _cleanup_free_ char *st = read_text(acct, "cpuacct.stat");
                long hz = sysconf(_SC_CLK_TCK);
                if (st && hz > 0) {
                        user = kv(st, "user") * (1000000000ull / (uint64_t) hz);
                        kernel = kv(st, "system") * (1000000000ull / (uint64_t) hz);
                }
        }
        json_t *thr = json_object();
        const struct cgroup_dir *cpu = cgroup_knob_dir(cg, "cpu", &v2);
        _cleanup_free_ char *st = read_text(cpu, "cpu.stat");
        if (st && v2) {
                total = kv(st, "usage_usec") * 1000;
                user = kv(st, "user_usec") * 1000;
                kernel = kv(st, "system_usec") * 1000;
        }
        if (st) {
                set_nz(thr, "periods", kv(st, "nr_periods"));
                set_nz(thr, "throttledPeriods", kv(st, "nr_throttled"));
                set_nz(thr, "throttledTime", v2 ? kv(st, "throttled_usec") * 1000 : kv(st, "throttled_time"));
        }
        json_t *usage = json_object();
        set_nz(usage, "total", total);
        set_array(usage, "percpu", percpu);
        set_array(usage, "percpu_kernel", pk);
        set_array(usage, "percpu_user", pu);
        json_object_set_new(usage, "kernel", num(kernel));
        json_object_set_new(usage, "user", num(user));
        return json_pack("{s:o, s:o}", "usage", usage, "throttling", thr);
}

static json_t *stats_cpuset(const struct cgroup *cg) {
        static const char *const flags[] = {
                "cpu_exclusive",      "mem_hardwall",    "mem_exclusive",      "memory_migrate",
                "memory_spread_page", "memory_spread_slab", "memory_pressure", "sched_load_balance",
        };
        json_t *o = json_object();
        bool v2;
        const struct cgroup_dir *d = cgroup_knob_dir(cg, "cpuset", &v2);
        _cleanup_free_ char *cpus = read_text(d, v2 ? "cpuset.cpus.effective" : "cpuset.cpus");
        _cleanup_free_ char *mems = read_text(d, v2 ? "cpuset.mems.effective" : "cpuset.mems");
        set_array(o, "cpus", range_list(cpus));
        json_object_set_new(o, flags[0], num(v2 ? 0 : read_u64(d, "cpuset.cpu_exclusive")));
        set_array(o, "mems", range_list(mems));
        for (size_t i = 1; i < ELEMENTSOF(flags); i++) {
                char f[64];
                snprintf(f, sizeof f, "cpuset.%s", flags[i]);
                json_object_set_new(o, flags[i], num(v2 ? 0 : read_u64(d, f)));
        }
        long long level = 0;
        _cleanup_free_ char *lv = v2 ? NULL : read_text(d, "cpuset.sched_relax_domain_level");
        if (lv)
                level = strtoll(lv, NULL, 10);
        json_object_set_new(o, "sched_relax_domain_level", json_integer(level));
        return o;
}

static json_t *mem_entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt) {
        json_t *o = json_object();
        json_object_set_new(o, "limit", num(limit));
        set_nz(o, "usage", usage);
        set_nz(o, "max", max);
        json_object_set_new(o, "failcnt", num(failcnt));
        return o;
}

static json_t *v1_mem_entry(const struct cgroup_dir *d, const char *prefix) {
        char f[4][96];
        static const char *const suffix[] = {"limit_in_bytes", "usage_in_bytes", "max_usage_in_bytes", "failcnt"};
        for (size_t i = 0; i < 4; i++)
                snprintf(f[i], sizeof f[i], "%s%s", prefix, suffix[i]);
        return mem_entry(read_u64(d, f[0]), read_u64(d, f[1]), read_u64(d, f[2]), read_u64(d, f[3]));
}

static json_t *stats_memory(const struct cgroup *cg) {
        json_t *o = json_object();
        bool v2;
        const struct cgroup_dir *d = cgroup_knob_dir(cg, "memory", &v2);
        _cleanup_free_ char *stat = read_text(d, "memory.stat");
        json_t *raw = json_object();
        for (const char *p = stat; p && *p;) {
                char key[128];
                unsigned long long v;
                if (sscanf(p, "%127s %llu", key, &v) == 2)
                        json_object_set_new(raw, key, num(v));
                p = strchr(p, '\n');
                p = p ? p + 1 : NULL;
        }
        if (!v2) {
                set_nz(o, "cache", stat ? kv(stat, "cache") : 0);
                json_object_set_new(o, "usage", v1_mem_entry(d, "memory."));
                json_object_set_new(o, "swap", v1_mem_entry(d, "memory.memsw."));
                json_object_set_new(o, "kernel", v1_mem_entry(d, "memory.kmem."));
                json_object_set_new(o, "kernelTCP", v1_mem_entry(d, "memory.kmem.tcp."));
        } else {
                set_nz(o, "cache", stat ? kv(stat, "file") : 0);
                _cleanup_free_ char *events = read_text(d, "memory.events");
                uint64_t cur = read_u64(d, "memory.current"), max = read_u64(d, "memory.max");
                json_object_set_new(o, "usage", mem_entry(max, cur, read_u64(d, "memory.peak"),
                                                          events ? kv(events, "max") : 0));
                /* runc reports swap as memory+swap, the v1 memsw meaning */
                uint64_t swap_max = read_u64(d, "memory.swap.max");
                uint64_t swap_limit = swap_max == UINT64_MAX || max == UINT64_MAX ? UINT64_MAX : swap_max + max;
                json_object_set_new(o, "swap", mem_entry(swap_limit, read_u64(d, "memory.swap.current") + cur, 0, 0));
                json_object_set_new(o, "kernel", mem_entry(0, 0, 0, 0));
                json_object_set_new(o, "kernelTCP", mem_entry(0, 0, 0, 0));
        }
        if (json_object_size(raw))
                json_object_set_new(o, "raw", raw);
        else
                json_decref(raw);
        return o;
}

static json_t *stats_pids(const struct cgroup *cg) {
        json_t *o = json_object();
        bool v2;
        const struct cgroup_dir *d = cgroup_knob_dir(cg, "pids", &v2);
        set_nz(o, "current", read_u64(d, "pids.current"));
        uint64_t max = read_u64(d, "pids.max");
        set_nz(o, "limit", max == UINT64_MAX ? 0 : max); /* "max": unlimited, reported as 0 (runc) */
        return o;
}

static json_t *blkio_entry(uint64_t major, uint64_t minor, const char *op, uint64_t value) {
        json_t *e = json_object();
        set_nz(e, "major", major);
        set_nz(e, "minor", minor);
        if (op && *op)
                json_object_set_new(e, "op", json_string(op));
        set_nz(e, "value", value);
        return e;
}

/* v1 "MAJ:MIN Op value" lines; the "Total" line is left out (runc). */
static json_t *v1_blkio_list(const struct cgroup_dir *d, const char *const *files) {
        json_t *a = json_array();
        for (; *files; files++) {
                _cleanup_free_ char *s = read_text(d, *files);
                if (!s || !*s || !strncmp(s, "Total", 5))
                        continue;
                for (const char *p = s; p && *p;) {
                        unsigned long long maj, min, v;
                        char op[32];
                        if (sscanf(p, "%llu:%llu %31s %llu", &maj, &min, op, &v) == 4)
                                json_array_append_new(a, blkio_entry(maj, min, op, v));
                        else if (sscanf(p, "%llu:%llu %llu", &maj, &min, &v) == 3)
                                json_array_append_new(a, blkio_entry(maj, min, NULL, v));
                        p = strchr(p, '\n');
                        p = p ? p + 1 : NULL;
                }
                break; /* the first source with data wins: bfq, cfq, then throttle */
        }
        return a;
}

static json_t *stats_blkio(const struct cgroup *cg) {
        json_t *o = json_object();
        bool v2;
        const struct cgroup_dir *d = cgroup_knob_dir(cg, "blkio", &v2);
        if (!v2) {
                static const char *const bytes[] = {"blkio.bfq.io_service_bytes_recursive",
                                                    "blkio.io_service_bytes_recursive",
                                                    "blkio.throttle.io_service_bytes_recursive", NULL};
                static const char *const ios[] = {"blkio.bfq.io_serviced_recursive", "blkio.io_serviced_recursive",
                                                  "blkio.throttle.io_serviced_recursive", NULL};
                set_array(o, "ioServiceBytesRecursive", v1_blkio_list(d, bytes));
                set_array(o, "ioServicedRecursive", v1_blkio_list(d, ios));
                return o;
        }
        _cleanup_free_ char *s = read_text(d, "io.stat");
        json_t *bytes = json_array(), *ios = json_array();
        for (const char *p = s; p && *p;) {
                unsigned long long maj, min;
                if (sscanf(p, "%llu:%llu", &maj, &min) == 2) {
                        _cleanup_free_ char *line = strndup(p, strcspn(p, "\n"));
                        static const struct {
                                const char *key, *op;
                                bool bytes;
                        } m[] = {{"rbytes=", "Read", true}, {"wbytes=", "Write", true}, {"dbytes=", "Discard", true},
                                 {"rios=", "Read", false},  {"wios=", "Write", false},  {"dios=", "Discard", false}};
                        for (size_t i = 0; line && i < ELEMENTSOF(m); i++) {
                                const char *k = strstr(line, m[i].key);
                                if (k)
                                        json_array_append_new(m[i].bytes ? bytes : ios,
                                                              blkio_entry(maj, min, m[i].op,
                                                                          strtoull(k + strlen(m[i].key), NULL, 10)));
                        }
                }
                p = strchr(p, '\n');
                p = p ? p + 1 : NULL;
        }
        set_array(o, "ioServiceBytesRecursive", bytes);
        set_array(o, "ioServicedRecursive", ios);
        return o;
}

/* "hugepages-2048kB" -> "2MB", as runc names the sizes. */
static void hugepage_name(const char *dirname, char *buf, size_t len) {
        static const char *const units[] = {"KB", "MB", "GB", "TB"};
        unsigned long long kb = strtoull(dirname + strlen("hugepages-"), NULL, 10);
        size_t u = 0;
        while (kb >= 1024 && kb % 1024 == 0 && u + 1 < ELEMENTSOF(units)) {
                kb /= 1024;
                u++;
        }
        snprintf(buf, len, "%llu%s", kb, units[u]);
}

static json_t *stats_hugetlb(const struct cgroup *cg) {
        json_t *o = json_object();
        bool v2;
        const struct cgroup_dir *d = cgroup_knob_dir(cg, "hugetlb", &v2);
        _cleanup_closedir_ DIR *dir = d ? opendir("/sys/kernel/mm/hugepages") : NULL;
        struct dirent *de;
        while (dir && (de = readdir(dir))) {
                if (!str_startswith(de->d_name, "hugepages-"))
                        continue;
                char name[32], f[96];
                hugepage_name(de->d_name, name, sizeof name);
                snprintf(f, sizeof f, v2 ? "hugetlb.%s.current" : "hugetlb.%s.usage_in_bytes", name);
                uint64_t usage;
                if (cgroup_knob_read_u64(d, f, &usage) < 0)
                        continue; /* the controller is not enabled here */
                json_t *e = json_object();
                set_nz(e, "usage", usage);
                uint64_t failcnt = 0;
                if (v2) {
                        snprintf(f, sizeof f, "hugetlb.%s.events", name);
                        _cleanup_free_ char *ev = read_text(d, f);
                        failcnt = ev ? kv(ev, "max") : 0;
                } else {
                        snprintf(f, sizeof f, "hugetlb.%s.max_usage_in_bytes", name);
                        set_nz(e, "max", read_u64(d, f));
                        snprintf(f, sizeof f, "hugetlb.%s.failcnt", name);
                        failcnt = read_u64(d, f);
                }
                json_object_set_new(e, "failcnt", num(failcnt));
                json_object_set_new(o, name, e);
        }
        return o;
}

int cgroup_stats(const struct cgroup *cg, json_t **ret) {
        json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:n}", "cpu", stats_cpu(cg), "cpuset",
                              stats_cpuset(cg), "memory", stats_memory(cg), "pids", stats_pids(cg), "blkio",
                              stats_blkio(cg), "hugetlb", stats_hugetlb(cg), "intel_rdt", json_object(),
                              "network_interfaces");
        if (!o)
                return log_error_errno(-ENOMEM, "collect cgroup statistics");
        *ret = o;
        return 0;
}
