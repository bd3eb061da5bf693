/* SPDX-License-Identifier: MIT */
/*
 * The container's cgroup on every hierarchy the host mounts: pure v1, pure
 * v2, and the hybrid layout (v1 controllers plus a cgroup2 "unified" mount)
 * that crun refuses and runc accepts.  A container joins one directory per
 * hierarchy; relative cgroupsPath values are resolved against the caller's
 * own cgroup in each hierarchy (they differ per hierarchy on v1), so the
 * resolved absolute paths are recorded at create time and reused by every
 * later command.
 *
 * Resource limits are applied by part 2 on top of this structure.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "oci/spec.h"

enum cgroup_layout {
        CGROUP_LAYOUT_V1,
        CGROUP_LAYOUT_HYBRID,
        CGROUP_LAYOUT_V2,
};

struct cgroup_dir {
        char *mount;       /* hierarchy mount point, e.g. /sys/fs/cgroup/memory */
        char *controllers; /* comma-separated ("cpu,cpuacct", "name=systemd"), "" for v2 */
        bool v2;
        char *path;        /* absolute within the hierarchy, e.g. /cocoon/ID */
        char *created;     /* topmost directory we created (removed on destroy), or NULL */
};

struct cgroup {
        enum cgroup_layout layout;
        struct cgroup_dir *dirs;
        size_t n_dirs;
        char *systemd_unit; /* --systemd-cgroup: the scope systemd made for it, stopped on destroy */
};

int cgroup_detect_layout(enum cgroup_layout *ret);
const char *cgroup_layout_name(enum cgroup_layout l);

/* Resolve `cgroups_path` (NULL: /cocoon/<id>) on every hierarchy and create the directories. */
int cgroup_setup(const char *cgroups_path, const char *id, struct cgroup **ret);
/* cgroup_setup in two steps, for a caller that records the plan (with the
 * directories it will create) before anything exists: cgroup_make creates
 * them, updates what it really created, and on failure removes them again. */
int cgroup_plan(const char *cgroups_path, const char *id, struct cgroup **ret);
int cgroup_make(struct cgroup *cg);
/* Move `pid` (all its threads) into the container's cgroup on every hierarchy. */
int cgroup_enter(const struct cgroup *cg, pid_t pid);
/* The pids in the container's cgroup (from the first hierarchy that lists them). */
int cgroup_pids(const struct cgroup *cg, pid_t **ret, size_t *n);
/* Signal every process in the cgroup; -ESRCH races are ignored. */
int cgroup_signal_all(const struct cgroup *cg, int sig);
/* SIGKILL everything left, wait for it to go, remove the directories we made. */
int cgroup_destroy(const struct cgroup *cg);

struct oci_spec;
/* linux.resources onto the container's directories (before any process joins). */
int cgroup_apply_resources(const struct cgroup *cg, const struct oci_spec *spec);
/* `update`: apply a linux.resources object to a running container; only the
 * fields present in `res` change (runc update semantics). */
int cgroup_update_resources(const struct cgroup *cg, json_t *res);

json_t *cgroup_to_json(const struct cgroup *cg);
int cgroup_from_json(json_t *j, struct cgroup **ret);
void cgroup_free(struct cgroup *cg);
static inline void cgroup_freep(struct cgroup **cg) {
        cgroup_free(*cg);
}

/* pause / resume (cgroup_freezer.c): freeze or thaw every task, returning once
 * the kernel reports the new state.  cgroup_frozen() does not log. */
int cgroup_freeze(const struct cgroup *cg, bool frozen);
int cgroup_frozen(const struct cgroup *cg, bool *ret);
/* `events --stats` (cgroup_stats.c): the "data" object of a runc stats event. */
int cgroup_stats(const struct cgroup *cg, json_t **ret);
/* OOM notification (cgroup_oom.c): a pollable fd that becomes readable when a
 * task of the cgroup is OOM-killed; cgroup_oom_check() counts the new kills. */
struct cgroup_oom;
int cgroup_oom_open(const struct cgroup *cg, struct cgroup_oom **ret);
int cgroup_oom_fd(const struct cgroup_oom *o);
int cgroup_oom_check(struct cgroup_oom *o, unsigned *ret_new);
void cgroup_oom_free(struct cgroup_oom *o);
static inline void cgroup_oom_freep(struct cgroup_oom **o) {
        cgroup_oom_free(*o);
}
