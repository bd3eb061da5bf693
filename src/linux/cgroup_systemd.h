/* SPDX-License-Identifier: MIT */
/*
 * --systemd-cgroup: runc's systemd cgroup driver.  linux.cgroupsPath is
 * "slice:prefix:name"; the container gets a transient scope unit
 * "prefix-name.scope" in that slice, created by systemd (over D-Bus, through
 * busctl) with Delegate=yes, and everything else uses the scope's cgroup
 * directories as if they were an absolute cgroupsPath.
 */
#pragma once

#include <sys/types.h>

struct systemd_scope {
        char *slice;  /* "system.slice" */
        char *unit;   /* "prefix-name.scope" */
        char *path;   /* the scope's cgroup: "/system.slice/prefix-name.scope" */
        pid_t holder; /* the scope's first process until the init has joined, or 0 */
};

/* systemd's slice naming: "a-b.slice" is /a.slice/a-b.slice, "-.slice" is /. */
int systemd_slice_expand(const char *slice, char **ret);

/* Parse and check `cgroups_path` (NULL or "": system.slice, prefix "cocoon",
 * name `id`).  Errors name the field. */
int systemd_scope_parse(const char *cgroups_path, const char *id, struct systemd_scope **ret);
/* systemd_scope_parse(), and check that systemd runs here.  Starts nothing. */
int systemd_scope_prepare(const char *cgroups_path, const char *id, struct systemd_scope **ret);

/* Start the scope; its cgroup exists when this returns.  The scope is kept
 * alive by a placeholder process until systemd_scope_free(), so free it only
 * after the container's init has joined the cgroup. */
int systemd_scope_start(struct systemd_scope *s, const char *id);

/* Stop a scope started before (systemd kills what is left and removes its cgroups). */
int systemd_unit_stop(const char *unit);

void systemd_scope_free(struct systemd_scope *s);
static inline void systemd_scope_freep(struct systemd_scope **s) {
        systemd_scope_free(*s);
}
