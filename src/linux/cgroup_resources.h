/* SPDX-License-Identifier: MIT */
/*
 * linux.resources as typed values, and the two writers that put them into
 * cgroup files: v1 (one directory per controller) and v2 (one directory for
 * all).  The parser validates once and names the JSON path of every bad
 * value; the writers only translate (runc's file names and conversions) and
 * report the file they could not write.
 *
 * Every field carries "set": `update` changes only what its JSON names, and a
 * value that runc reads as "unset" (Go's zero value: 0 for memory limits,
 * shares, quota, period, realtime, block I/O weights) is not set either, so
 * engines that write 0 for "no limit" get no limit.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rc_i64 {
        bool set;
        int64_t v;
};

struct rc_str {
        bool set;
        const char *v; /* borrowed from the JSON document */
};

struct rc_weight_device {
        int64_t major, minor;
        struct rc_i64 weight, leaf_weight;
};

struct rc_throttle_device {
        int64_t major, minor;
        uint64_t rate;
};

struct rc_throttle_list {
        struct rc_throttle_device *v;
        size_t n;
};

enum rc_throttle_kind {
        RC_READ_BPS,
        RC_WRITE_BPS,
        RC_READ_IOPS,
        RC_WRITE_IOPS,
        _RC_THROTTLE_MAX,
};

struct rc_hugepage {
        const char *page_size; /* "2MB", "1GB" as the OCI spec writes them */
        uint64_t limit;
};

struct rc_ifprio {
        const char *name;
        uint32_t priority;
};

struct rc_rdma {
        const char *device;
        struct rc_i64 handles, objects;
};

struct cgroup_resources {
        struct {
                struct rc_i64 limit, reservation, swap, swappiness, disable_oom_killer, use_hierarchy;
                bool check_before_update;
        } memory;
        struct {
                struct rc_i64 shares, quota, period, burst, rt_runtime, rt_period, idle;
                struct rc_str cpus, mems;
        } cpu;
        struct rc_i64 pids_limit;
        struct {
                struct rc_i64 weight, leaf_weight;
                struct rc_weight_device *weight_device;
                size_t n_weight_device;
                struct rc_throttle_list throttle[_RC_THROTTLE_MAX];
        } blkio;
        struct rc_hugepage *hugepages;
        size_t n_hugepages;
        struct {
                struct rc_i64 class_id;
                struct rc_ifprio *priorities;
                size_t n_priorities;
        } network;
        struct rc_rdma *rdma;
        size_t n_rdma;
        json_t *unified; /* borrowed object of string values, or NULL */
        json_t *devices; /* borrowed array, or NULL when absent */
};

/* The controllers a resource set needs, named as v1 mounts them. */
/* Listed in the order runc applies its subsystems, so that the two runtimes
 * fail on the same field when a config asks for several impossible things. */
enum rc_controller {
        RC_CPUSET,
        RC_MEMORY,
        RC_CPU,
        RC_PIDS,
        RC_BLKIO,
        RC_HUGETLB,
        RC_NET_CLS,
        RC_NET_PRIO,
        RC_RDMA,
        _RC_CONTROLLER_MAX,
};

/* v1 name of the controller ("blkio"); v2 name ("io"), or NULL when v2 has none. */
const char *rc_controller_v1_name(enum rc_controller c);
const char *rc_controller_v2_name(enum rc_controller c);

/* Parse `res` (a linux.resources object); `where` prefixes error messages,
 * e.g. "config.json: linux.resources".  Pointers borrow from `res`. */
int cgroup_resources_parse(json_t *res, const char *where, struct cgroup_resources *ret);
void cgroup_resources_done(struct cgroup_resources *r);

/* Does `r` ask anything of controller `c`? */
bool cgroup_resources_wants(const struct cgroup_resources *r, enum rc_controller c);
/* The JSON name of the first resource that needs `c` (for error messages). */
const char *cgroup_resources_field(const struct cgroup_resources *r, enum rc_controller c);

/* Write what `r` asks of controller `c` into the v1 directory `dir`. */
int cgroup_v1_resources_write(const char *dir, enum rc_controller c, const struct cgroup_resources *r);

/* Write what `r` asks of the controllers in `mask` (bits of enum rc_controller),
 * plus the unified map, into the v2 directory `dir`. */
int cgroup_v2_resources_write(const char *dir, unsigned mask, const struct cgroup_resources *r);
/* Enable the controllers in `mask` in cgroup.subtree_control of every
 * directory from `mount` down to the parent of mount+path; a controller the
 * hierarchy does not offer is an error naming the resource that needs it. */
int cgroup_v2_enable_controllers(const char *mount, const char *path, unsigned mask,
                                 const struct cgroup_resources *r);

/* Small helpers shared by the writers (cgroup_resources_util.c). */
int rc_write(const char *dir, const char *file, const char *value);
int rc_write_fmt(const char *dir, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool rc_exists(const char *dir, const char *file);
int rc_read_u64(const char *dir, const char *file, uint64_t *ret);
/* "mlx5_0 hca_handle=2 hca_object=2000": the rdma.max line (same on v1 and v2) */
int rc_rdma_line(const struct rc_rdma *d, char *buf, size_t len);
