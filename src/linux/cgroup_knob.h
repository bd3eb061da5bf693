/* SPDX-License-Identifier: MIT */
/*
 * The files of one controller in the container's cgroup, for the commands
 * that act on a live container (pause, events).  On a hybrid host a
 * controller lives in its v1 hierarchy when one is mounted (runc does the
 * same) and otherwise in the cgroup2 directory, where every enabled
 * controller shares one directory.
 *
 * None of these log: a missing file often only means "this controller is not
 * here", so the caller decides whether that is an error.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "linux/cgroup.h"

/* The directory with `controller`'s files: the v1 hierarchy mounted with
 * it, else the cgroup2 one; NULL if neither.  *v2 tells which it is. */
const struct cgroup_dir *cgroup_knob_dir(const struct cgroup *cg, const char *controller, bool *v2);
/* "<mount><path>/<file>", malloc()ed. */
char *cgroup_knob_path(const struct cgroup_dir *d, const char *file);
int cgroup_knob_read(const struct cgroup_dir *d, const char *file, char **ret);
/* A file holding one number; "max" reads as UINT64_MAX. */
int cgroup_knob_read_u64(const struct cgroup_dir *d, const char *file, uint64_t *ret);
int cgroup_knob_write(const struct cgroup_dir *d, const char *file, const char *value);
