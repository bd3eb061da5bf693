/* SPDX-License-Identifier: MIT */
/*
 * linux.resources on cgroup v1: one directory per controller, the file names
 * and write orders of runc's libcontainer/cgroups/fs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "linux/cgroup_resources.h"
#include "log.h"

#define W "linux.resources"

static int fail_write(int r, const char *dir, const char *file, const char *field) {
        if (r == -ENOENT)
                return log_fail(-EOPNOTSUPP, W ".%s: %s/%s does not exist (not supported by this kernel)", field, dir,
                                file);
        return log_error_errno(r, W ".%s: write %s/%s", field, dir, file);
}

static int write_i64(const char *dir, const char *file, int64_t v, const char *field) {
        int r = rc_write_fmt(dir, file, "%" PRId64, v);
        return r < 0 ? fail_write(r, dir, file, field) : 0;
}

static int set_limit(const char *dir, const char *file, int64_t v, const char *field) {
        int r = rc_write_fmt(dir, file, "%" PRId64, v);
        if (r == -EBUSY) {
                uint64_t usage = 0;
                (void) rc_read_u64(dir, "memory.usage_in_bytes", &usage);
                return log_fail(r, W ".%s: cannot set %s to %" PRId64 ": current usage is %" PRIu64, field, file, v,
                                usage);
        }
        return r < 0 ? fail_write(r, dir, file, field) : 0;
}

static int check_usage(const char *dir, const char *file, const struct cgroup_resources *res) {
        uint64_t usage;
        if (!res->memory.check_before_update || !res->memory.limit.set || res->memory.limit.v < 0)
                return 0;
        int r = rc_read_u64(dir, file, &usage);
        if (r < 0)
                return log_error_errno(r, W ".memory.checkBeforeUpdate: read %s/%s", dir, file);
        if (usage > (uint64_t) res->memory.limit.v)
                return log_fail(-EBUSY, W ".memory.limit: %" PRId64 " is below the current usage %" PRIu64
                                          " (checkBeforeUpdate)", res->memory.limit.v, usage);
        return 0;
}

static int memory(const char *dir, const struct cgroup_resources *res) {
        struct rc_i64 limit = res->memory.limit, swap = res->memory.swap;
        int r = check_usage(dir, "memory.usage_in_bytes", res);
        if (r < 0)
                return r;
        /* "unlimited memory" with swap unspecified means unlimited swap too */
        if (limit.set && limit.v == -1 && !swap.set && rc_exists(dir, "memory.memsw.limit_in_bytes"))
                swap = (struct rc_i64){.set = true, .v = -1};
        /* memsw must stay >= the memory limit at every step: when the new
         * swap value is above the current limit, raise it first */
        bool swap_first = false;
        if (limit.set && swap.set) {
                uint64_t cur;
                r = rc_read_u64(dir, "memory.limit_in_bytes", &cur);
                if (r < 0)
                        return log_error_errno(r, W ".memory: read %s/memory.limit_in_bytes", dir);
                swap_first = swap.v == -1 || cur < (uint64_t) swap.v;
        }
        if (swap_first && (r = set_limit(dir, "memory.memsw.limit_in_bytes", swap.v, "memory.swap")) < 0)
                return r;
        if (limit.set && (r = set_limit(dir, "memory.limit_in_bytes", limit.v, "memory.limit")) < 0)
                return r;
        if (swap.set && !swap_first &&
            (r = set_limit(dir, "memory.memsw.limit_in_bytes", swap.v, "memory.swap")) < 0)
                return r;
        if (res->memory.reservation.set &&
            (r = write_i64(dir, "memory.soft_limit_in_bytes", res->memory.reservation.v, "memory.reservation")) < 0)
                return r;
        if (res->memory.disable_oom_killer.set &&
            (r = write_i64(dir, "memory.oom_control", res->memory.disable_oom_killer.v, "memory.disableOOMKiller")) <
                    0)
                return r;
        if (res->memory.swappiness.set &&
            (r = write_i64(dir, "memory.swappiness", res->memory.swappiness.v, "memory.swappiness")) < 0)
                return r;
        if (res->memory.use_hierarchy.set) {
                r = rc_write_fmt(dir, "memory.use_hierarchy", "%" PRId64, res->memory.use_hierarchy.v);
                /* since Linux 5.16 memory cgroups are always hierarchical */
                if (r == -EINVAL && !res->memory.use_hierarchy.v)
                        return log_fail(-EOPNOTSUPP, W ".memory.useHierarchy: false is not supported by this kernel "
                                                       "(memory cgroups are always hierarchical)");
                if (r < 0)
                        return fail_write(r, dir, "memory.use_hierarchy", "memory.useHierarchy");
        }
        return 0;
}

/* Write `a`; if the kernel refuses it only because `b` must change first
 * (EINVAL) and `b` is about to be written, try `a` again after `b`. */
struct deferred {
        const char *file, *field;
        int64_t v;
        bool pending;
};

static int write_or_defer(const char *dir, const char *file, int64_t v, const char *field, bool can_defer,
                          struct deferred *d) {
        int r = rc_write_fmt(dir, file, "%" PRId64, v);
        if (r == -EINVAL && can_defer) {
                *d = (struct deferred){.file = file, .field = field, .v = v, .pending = true};
                return 0;
        }
        return r < 0 ? fail_write(r, dir, file, field) : 0;
}

static int write_deferred(const char *dir, const struct deferred *d) {
        return d->pending ? write_i64(dir, d->file, d->v, d->field) : 0;
}

static int cpu(const char *dir, const struct cgroup_resources *res) {
        int r;
        if (res->cpu.shares.set) {
                uint64_t got;
                if ((r = write_i64(dir, "cpu.shares", res->cpu.shares.v, "cpu.shares")) < 0)
                        return r;
                /* the kernel clamps silently; say so, as runc does */
                if ((r = rc_read_u64(dir, "cpu.shares", &got)) < 0)
                        return log_error_errno(r, W ".cpu.shares: read back %s/cpu.shares", dir);
                if (got != (uint64_t) res->cpu.shares.v)
                        return log_fail(-EINVAL, W ".cpu.shares: %" PRId64 " is out of range (the kernel set %" PRIu64
                                                   ")", res->cpu.shares.v, got);
        }
        struct deferred period = {0}, burst = {0}, rt_period = {0};
        bool quota = res->cpu.quota.set;
        if (res->cpu.period.set &&
            (r = write_or_defer(dir, "cpu.cfs_period_us", res->cpu.period.v, "cpu.period", quota, &period)) < 0)
                return r;
        if (res->cpu.burst.set &&
            (r = write_or_defer(dir, "cpu.cfs_burst_us", res->cpu.burst.v, "cpu.burst", quota, &burst)) < 0)
                return r;
        if (quota && (r = write_i64(dir, "cpu.cfs_quota_us", res->cpu.quota.v, "cpu.quota")) < 0)
                return r;
        if ((r = write_deferred(dir, &period)) < 0 || (r = write_deferred(dir, &burst)) < 0)
                return r;
        if (res->cpu.rt_period.set &&
            (r = write_or_defer(dir, "cpu.rt_period_us", res->cpu.rt_period.v, "cpu.realtimePeriod",
                                res->cpu.rt_runtime.set, &rt_period)) < 0)
                return r;
        if (res->cpu.rt_runtime.set &&
            (r = write_i64(dir, "cpu.rt_runtime_us", res->cpu.rt_runtime.v, "cpu.realtimeRuntime")) < 0)
                return r;
        if ((r = write_deferred(dir, &rt_period)) < 0)
                return r;
        /* after shares: the kernel refuses shares for an idle group */
        if (res->cpu.idle.set && (r = write_i64(dir, "cpu.idle", res->cpu.idle.v, "cpu.idle")) < 0)
                return r;
        return 0;
}

static int cpuset(const char *dir, const struct cgroup_resources *res) {
        int r;
        if (res->cpu.cpus.set && (r = rc_write(dir, "cpuset.cpus", res->cpu.cpus.v)) < 0)
                return fail_write(r, dir, "cpuset.cpus", "cpu.cpus");
        if (res->cpu.mems.set && (r = rc_write(dir, "cpuset.mems", res->cpu.mems.v)) < 0)
                return fail_write(r, dir, "cpuset.mems", "cpu.mems");
        return 0;
}

static int pids(const char *dir, const struct cgroup_resources *res) {
        int r;
        if (res->pids_limit.v > 0)
                r = rc_write_fmt(dir, "pids.max", "%" PRId64, res->pids_limit.v);
        else
                r = rc_write(dir, "pids.max", "max");
        return r < 0 ? fail_write(r, dir, "pids.max", "pids.limit") : 0;
}

/* CFQ had blkio.weight; BFQ has blkio.bfq.weight; mq-deadline and none have neither. */
static int weight_files(const char *dir, const char **weight, const char **weight_device) {
        if (rc_exists(dir, "blkio.weight")) {
                *weight = "blkio.weight";
                *weight_device = "blkio.weight_device";
        } else if (rc_exists(dir, "blkio.bfq.weight")) {
                *weight = "blkio.bfq.weight";
                *weight_device = "blkio.bfq.weight_device";
        } else
                return log_fail(-EOPNOTSUPP, W ".blockIO: weights need blkio.weight or blkio.bfq.weight, and %s has "
                                                 "neither (no I/O scheduler with weights on this host)", dir);
        return 0;
}

static int blkio(const char *dir, const struct cgroup_resources *res) {
        static const char *const throttle_files[_RC_THROTTLE_MAX] = {
                [RC_READ_BPS] = "blkio.throttle.read_bps_device",
                [RC_WRITE_BPS] = "blkio.throttle.write_bps_device",
                [RC_READ_IOPS] = "blkio.throttle.read_iops_device",
                [RC_WRITE_IOPS] = "blkio.throttle.write_iops_device",
        };
        static const char *const throttle_fields[_RC_THROTTLE_MAX] = {
                [RC_READ_BPS] = "blockIO.throttleReadBpsDevice",
                [RC_WRITE_BPS] = "blockIO.throttleWriteBpsDevice",
                [RC_READ_IOPS] = "blockIO.throttleReadIOPSDevice",
                [RC_WRITE_IOPS] = "blockIO.throttleWriteIOPSDevice",
        };
        const char *weight = NULL, *weight_device = NULL;
        bool any_weight = res->blkio.weight.set || res->blkio.n_weight_device;
        int r;
        if (any_weight && (r = weight_files(dir, &weight, &weight_device)) < 0)
                return r;
        if (res->blkio.weight.set && (r = write_i64(dir, weight, res->blkio.weight.v, "blockIO.weight")) < 0)
                return r;
        if (res->blkio.leaf_weight.set &&
            (r = write_i64(dir, "blkio.leaf_weight", res->blkio.leaf_weight.v, "blockIO.leafWeight")) < 0)
                return r;
        for (size_t i = 0; i < res->blkio.n_weight_device; i++) {
                const struct rc_weight_device *d = &res->blkio.weight_device[i];
                if (d->weight.set && (r = rc_write_fmt(dir, weight_device, "%" PRId64 ":%" PRId64 " %" PRId64,
                                                       d->major, d->minor, d->weight.v)) < 0)
                        return fail_write(r, dir, weight_device, "blockIO.weightDevice");
                if (d->leaf_weight.set && (r = rc_write_fmt(dir, "blkio.leaf_weight_device",
                                                            "%" PRId64 ":%" PRId64 " %" PRId64, d->major, d->minor,
                                                            d->leaf_weight.v)) < 0)
                        return fail_write(r, dir, "blkio.leaf_weight_device", "blockIO.weightDevice");
        }
        for (size_t k = 0; k < _RC_THROTTLE_MAX; k++)
                for (size_t i = 0; i < res->blkio.throttle[k].n; i++) {
                        const struct rc_throttle_device *d = &res->blkio.throttle[k].v[i];
                        r = rc_write_fmt(dir, throttle_files[k], "%" PRId64 ":%" PRId64 " %" PRIu64, d->major,
                                         d->minor, d->rate);
                        if (r < 0)
                                return fail_write(r, dir, throttle_files[k], throttle_fields[k]);
                }
        return 0;
}

static int hugetlb(const char *dir, const struct cgroup_resources *res) {
        for (size_t i = 0; i < res->n_hugepages; i++) {
                char file[64];
                snprintf(file, sizeof file, "hugetlb.%s.limit_in_bytes", res->hugepages[i].page_size);
                int r = rc_write_fmt(dir, file, "%" PRIu64, res->hugepages[i].limit);
                if (r < 0)
                        return fail_write(r, dir, file, "hugepageLimits");
        }
        return 0;
}

static int net_cls(const char *dir, const struct cgroup_resources *res) {
        return write_i64(dir, "net_cls.classid", res->network.class_id.v, "network.classID");
}

static int net_prio(const char *dir, const struct cgroup_resources *res) {
        for (size_t i = 0; i < res->network.n_priorities; i++) {
                int r = rc_write_fmt(dir, "net_prio.ifpriomap", "%s %" PRIu32, res->network.priorities[i].name,
                                     res->network.priorities[i].priority);
                if (r < 0)
                        return fail_write(r, dir, "net_prio.ifpriomap", "network.priorities");
        }
        return 0;
}

static int rdma(const char *dir, const struct cgroup_resources *res) {
        for (size_t i = 0; i < res->n_rdma; i++) {
                char line[256];
                int r = rc_rdma_line(&res->rdma[i], line, sizeof line);
                if (r >= 0)
                        r = rc_write(dir, "rdma.max", line);
                if (r < 0)
                        return fail_write(r, dir, "rdma.max", "rdma");
        }
        return 0;
}

int cgroup_v1_resources_write(const char *dir, enum rc_controller c, const struct cgroup_resources *res) {
        static int (*const writers[_RC_CONTROLLER_MAX])(const char *, const struct cgroup_resources *) = {
                [RC_CPUSET] = cpuset, [RC_MEMORY] = memory,     [RC_CPU] = cpu,           [RC_PIDS] = pids,
                [RC_BLKIO] = blkio,   [RC_HUGETLB] = hugetlb, [RC_NET_CLS] = net_cls, [RC_NET_PRIO] = net_prio,
                [RC_RDMA] = rdma,
        };
        if ((unsigned) c >= _RC_CONTROLLER_MAX || !cgroup_resources_wants(res, c))
                return 0;
        return writers[c](dir, res);
}
