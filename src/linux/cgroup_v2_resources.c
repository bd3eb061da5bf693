/* SPDX-License-Identifier: MIT */
/*
 * linux.resources on cgroup v2: one directory, the file names and value
 * conversions of runc's libcontainer/cgroups/fs2 (OCI values are v1 values:
 * shares become a weight, memory+swap becomes swap alone).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup_resources.h"
#include "log.h"
#include "util.h"

#define W "linux.resources"

static int fail_write(int r, const char *dir, const char *file, const char *field, const char *value) {
        if (r == -ENOENT)
                return log_fail(-EOPNOTSUPP, W ".%s: %s/%s does not exist (controller not enabled, or not supported "
                                                "by this kernel)", field, dir, file);
        return log_error_errno(r, W ".%s: write \"%s\" to %s/%s", field, value, dir, file);
}

static int put(const char *dir, const char *file, const char *value, const char *field) {
        int r = rc_write(dir, file, value);
        return r < 0 ? fail_write(r, dir, file, field, value) : 0;
}

static int put_i64(const char *dir, const char *file, int64_t v, const char *field) {
        char buf[32];
        snprintf(buf, sizeof buf, "%" PRId64, v);
        return put(dir, file, buf, field);
}

/* -1 is "max" in v2 files */
static void limit_str(int64_t v, char *buf, size_t len) {
        if (v < 0)
                snprintf(buf, len, "max");
        else
                snprintf(buf, len, "%" PRId64, v);
}

/* OCI swap is memory+swap (the v1 memsw value); v2 limits swap alone. */
static int swap_value(const struct cgroup_resources *res, bool *set, int64_t *ret) {
        struct rc_i64 limit = res->memory.limit, swap = res->memory.swap;
        *set = false;
        if (limit.set && limit.v == -1 && !swap.set) {
                *set = true, *ret = -1;
                return 0;
        }
        if (!swap.set)
                return 0;
        *set = true;
        if (swap.v == -1) {
                *ret = -1;
                return 0;
        }
        if (!limit.set || limit.v == -1)
                return log_fail(-EINVAL, W ".memory.swap: a swap limit needs a memory limit on cgroup v2");
        if (swap.v < limit.v)
                return log_fail(-EINVAL, W ".memory.swap: %" PRId64 " is below memory.limit %" PRId64
                                          " (swap is memory+swap)", swap.v, limit.v);
        *ret = swap.v - limit.v;
        return 0;
}

static int memory(const char *dir, const struct cgroup_resources *res) {
        char buf[32];
        bool swap_set;
        int64_t swap = 0;
        int r = swap_value(res, &swap_set, &swap);
        if (r < 0)
                return r;
        if (res->memory.check_before_update && res->memory.limit.set && res->memory.limit.v >= 0) {
                uint64_t usage;
                if ((r = rc_read_u64(dir, "memory.current", &usage)) < 0)
                        return log_error_errno(r, W ".memory.checkBeforeUpdate: read %s/memory.current", dir);
                if (usage > (uint64_t) res->memory.limit.v)
                        return log_fail(-EBUSY, W ".memory.limit: %" PRId64 " is below the current usage %" PRIu64
                                                  " (checkBeforeUpdate)", res->memory.limit.v, usage);
        }
        if (swap_set) {
                limit_str(swap, buf, sizeof buf);
                r = rc_write(dir, "memory.swap.max", buf);
                /* Without swap accounting there is no swap to allow or forbid
                 * (runc's rule).  A kernel built without swap at all (no
                 * /proc/swaps: the vm sandbox's minimal guest kernel) never
                 * swaps, so memory+swap is memory and any swap limit, already
                 * checked to be at least the memory limit, holds. */
                if (r < 0 && !(r == -ENOENT && (swap <= 0 || access("/proc/swaps", F_OK) < 0)))
                        return fail_write(r, dir, "memory.swap.max", "memory.swap", buf);
        }
        if (res->memory.limit.set) {
                limit_str(res->memory.limit.v, buf, sizeof buf);
                if ((r = put(dir, "memory.max", buf, "memory.limit")) < 0)
                        return r;
        }
        if (res->memory.reservation.set) {
                limit_str(res->memory.reservation.v, buf, sizeof buf);
                if ((r = put(dir, "memory.low", buf, "memory.reservation")) < 0)
                        return r;
        }
        /* v2 has no per-cgroup swappiness and no way to turn the OOM killer off;
         * runc ignores both there */
        if (res->memory.swappiness.set)
                log_warn(W ".memory.swappiness is ignored: cgroup v2 has no per-cgroup swappiness");
        if (res->memory.disable_oom_killer.set && res->memory.disable_oom_killer.v)
                log_warn(W ".memory.disableOOMKiller is ignored: cgroup v2 cannot disable the OOM killer");
        if (res->memory.use_hierarchy.set && !res->memory.use_hierarchy.v)
                return log_fail(-EOPNOTSUPP, W ".memory.useHierarchy: false is not supported on cgroup v2 "
                                               "(always hierarchical)");
        return 0;
}

/* runc's conversion of v1 shares [2, 262144] to a v2 weight [1, 10000] */
static uint64_t shares_to_weight(uint64_t shares) {
        if (shares < 2)
                shares = 2;
        return 1 + ((shares - 2) * 9999) / 262142;
}

static int cpu(const char *dir, const struct cgroup_resources *res) {
        int r;
        if (res->cpu.rt_runtime.set || res->cpu.rt_period.set)
                return log_fail(-EOPNOTSUPP, W ".cpu.%s: realtime scheduling limits are not supported on cgroup v2",
                                res->cpu.rt_runtime.set ? "realtimeRuntime" : "realtimePeriod");
        if (res->cpu.shares.set && (r = put_i64(dir, "cpu.weight", (int64_t) shares_to_weight(
                                                                          (uint64_t) res->cpu.shares.v),
                                                "cpu.shares")) < 0)
                return r;
        if (res->cpu.idle.set && (r = put_i64(dir, "cpu.idle", res->cpu.idle.v, "cpu.idle")) < 0)
                return r;
        /* burst must not exceed the quota: if the kernel refuses it before the
         * new quota is in place, write it again after */
        bool burst_again = false;
        if (res->cpu.burst.set) {
                r = rc_write_fmt(dir, "cpu.max.burst", "%" PRId64, res->cpu.burst.v);
                if (r == -EINVAL && res->cpu.quota.set)
                        burst_again = true;
                else if (r < 0)
                        return fail_write(r, dir, "cpu.max.burst", "cpu.burst", "");
        }
        if (res->cpu.quota.set || res->cpu.period.set) {
                char buf[64];
                int n = res->cpu.quota.set && res->cpu.quota.v > 0
                                ? snprintf(buf, sizeof buf, "%" PRId64, res->cpu.quota.v)
                                : snprintf(buf, sizeof buf, "max");
                if (res->cpu.period.set)
                        snprintf(buf + n, sizeof buf - (size_t) n, " %" PRId64, res->cpu.period.v);
                if ((r = put(dir, "cpu.max", buf, res->cpu.quota.set ? "cpu.quota" : "cpu.period")) < 0)
                        return r;
        }
        if (burst_again && (r = put_i64(dir, "cpu.max.burst", res->cpu.burst.v, "cpu.burst")) < 0)
                return r;
        return 0;
}

static int cpuset(const char *dir, const struct cgroup_resources *res) {
        int r;
        if (res->cpu.cpus.set && (r = put(dir, "cpuset.cpus", res->cpu.cpus.v, "cpu.cpus")) < 0)
                return r;
        if (res->cpu.mems.set && (r = put(dir, "cpuset.mems", res->cpu.mems.v, "cpu.mems")) < 0)
                return r;
        return 0;
}

static int pids(const char *dir, const struct cgroup_resources *res) {
        char buf[32];
        limit_str(res->pids_limit.v > 0 ? res->pids_limit.v : -1, buf, sizeof buf);
        return put(dir, "pids.max", buf, "pids.limit");
}

/* runc's conversion of a v1 blkio weight [10, 1000] to io.weight [1, 10000] */
static uint64_t blkio_to_io_weight(uint64_t w) {
        if (w < 10)
                w = 10;
        return 1 + (w - 10) * 9999 / 990;
}

static int io(const char *dir, const struct cgroup_resources *res) {
        static const char *const keys[_RC_THROTTLE_MAX] = {
                [RC_READ_BPS] = "rbps", [RC_WRITE_BPS] = "wbps", [RC_READ_IOPS] = "riops", [RC_WRITE_IOPS] = "wiops"};
        char buf[96];
        int r;
        if (res->blkio.leaf_weight.set)
                return log_fail(-EOPNOTSUPP, W ".blockIO.leafWeight is not supported on cgroup v2");
        /* BFQ takes the v1 weight range as is; io.weight (the cost model) has its own */
        bool bfq = rc_exists(dir, "io.bfq.weight");
        if (res->blkio.weight.set) {
                if (bfq)
                        r = put_i64(dir, "io.bfq.weight", res->blkio.weight.v, "blockIO.weight");
                else
                        r = put_i64(dir, "io.weight", (int64_t) blkio_to_io_weight((uint64_t) res->blkio.weight.v),
                                    "blockIO.weight");
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < res->blkio.n_weight_device; i++) {
                const struct rc_weight_device *d = &res->blkio.weight_device[i];
                if (d->leaf_weight.set)
                        return log_fail(-EOPNOTSUPP, W ".blockIO.weightDevice[%zu].leafWeight is not supported on "
                                                       "cgroup v2", i);
                if (!d->weight.set)
                        continue;
                uint64_t w = bfq ? (uint64_t) d->weight.v : blkio_to_io_weight((uint64_t) d->weight.v);
                snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, w);
                if ((r = put(dir, bfq ? "io.bfq.weight" : "io.weight", buf, "blockIO.weightDevice")) < 0)
                        return r;
        }
        for (size_t k = 0; k < _RC_THROTTLE_MAX; k++)
                for (size_t i = 0; i < res->blkio.throttle[k].n; i++) {
                        const struct rc_throttle_device *d = &res->blkio.throttle[k].v[i];
                        snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d->major, d->minor, keys[k],
                                 d->rate);
                        if ((r = put(dir, "io.max", buf, "blockIO.throttle*Device")) < 0)
                                return r;
                }
        return 0;
}

static int hugetlb(const char *dir, const struct cgroup_resources *res) {
        for (size_t i = 0; i < res->n_hugepages; i++) {
                char file[64];
                snprintf(file, sizeof file, "hugetlb.%s.max", res->hugepages[i].page_size);
                int r = put_i64(dir, file, (int64_t) res->hugepages[i].limit, "hugepageLimits");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int rdma(const char *dir, const struct cgroup_resources *res) {
        for (size_t i = 0; i < res->n_rdma; i++) {
                char line[256];
                int r = rc_rdma_line(&res->rdma[i], line, sizeof line);
                if (r < 0 || (r = put(dir, "rdma.max", line, "rdma")) < 0)
                        return r;
        }
        return 0;
}

/* A value may hold several lines (io.max for two devices): the kernel takes one per write. */
static int unified(const char *dir, json_t *u) {
        const char *k;
        json_t *v;
        json_object_foreach(u, k, v) {
                _cleanup_free_ char *val = strdup(json_string_value(v));
                if (!val)
                        return -ENOMEM;
                char *save = NULL;
                for (char *line = strtok_r(val, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        int r = rc_write(dir, k, line);
                        if (r == -ENOENT)
                                return log_fail(-EOPNOTSUPP, W ".unified: %s/%s does not exist (controller not "
                                                                "enabled, or not supported by this kernel)", dir, k);
                        if (r < 0)
                                return log_error_errno(r, W ".unified.%s: write \"%s\" to %s/%s", k, line, dir, k);
                }
        }
        return 0;
}

int cgroup_v2_resources_write(const char *dir, unsigned mask, const struct cgroup_resources *res) {
        static int (*const writers[_RC_CONTROLLER_MAX])(const char *, const struct cgroup_resources *) = {
                [RC_CPUSET] = cpuset, [RC_MEMORY] = memory,   [RC_CPU] = cpu, [RC_PIDS] = pids,
                [RC_BLKIO] = io,      [RC_HUGETLB] = hugetlb, [RC_RDMA] = rdma,
        };
        for (unsigned c = 0; c < _RC_CONTROLLER_MAX; c++) {
                if (!(mask & (1u << c)) || !cgroup_resources_wants(res, c))
                        continue;
                if (!writers[c])
                        return log_fail(-EOPNOTSUPP, W ".%s: cgroup v2 has no %s controller",
                                        cgroup_resources_field(res, c), rc_controller_v1_name(c));
                int r = writers[c](dir, res);
                if (r < 0)
                        return r;
        }
        /* last, so that a raw value overrides the structured one, as in runc */
        return res->unified ? unified(dir, res->unified) : 0;
}

static bool has_word(const char *list, const char *word) {
        size_t n = strlen(word);
        for (const char *p = list; (p = strstr(p, word)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
                        return true;
        return false;
}

int cgroup_v2_enable_controllers(const char *mount, const char *path, unsigned mask,
                                 const struct cgroup_resources *res) {
        _cleanup_free_ char *offered = NULL;
        _cleanup_free_ char *root = strdup_printf("%s/cgroup.controllers", mount);
        if (!root)
                return -ENOMEM;
        int r = read_file_at(AT_FDCWD, root, &offered, NULL);
        if (r < 0)
                return log_error_errno(r, "read %s", root);
        for (unsigned c = 0; c < _RC_CONTROLLER_MAX; c++) {
                if (!(mask & (1u << c)))
                        continue;
                const char *name = rc_controller_v2_name(c);
                if (!name || !has_word(offered, name))
                        return log_fail(-EOPNOTSUPP, W ".%s: needs the %s controller, which this host does not offer",
                                        cgroup_resources_field(res, c), name ? name : rc_controller_v1_name(c));
        }
        char enable[256] = "";
        for (unsigned c = 0; c < _RC_CONTROLLER_MAX; c++)
                if (mask & (1u << c))
                        snprintf(enable + strlen(enable), sizeof enable - strlen(enable), "%s+%s", *enable ? " " : "",
                                 rc_controller_v2_name(c));
        if (!*enable)
                return 0;
        /* each directory above the container hands the controllers down to the next */
        char dir[PATH_MAX];
        int n = snprintf(dir, sizeof dir, "%s%s", mount, path);
        if (n < 0 || (size_t) n >= sizeof dir)
                return -ENAMETOOLONG;
        for (size_t i = strlen(mount); dir[i]; i++) {
                if (dir[i] != '/')
                        continue;
                dir[i] = 0;
                r = rc_write(dir, "cgroup.subtree_control", enable);
                if (r < 0)
                        return log_error_errno(r, "enable controllers \"%s\" in %s/cgroup.subtree_control", enable,
                                               dir);
                dir[i] = '/';
        }
        return 0;
}
