/* SPDX-License-Identifier: MIT */
/*
 * The persisted record of one container: <root>/<id>/state.json.
 *
 * It holds what later commands need and cannot recompute: the init pid and
 * its start time (so a recycled pid is never mistaken for the container),
 * the bundle, the cgroup we created, the sandbox kind.  The OCI "status" is
 * not stored: it is derived from the live process each time it is asked for.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct cocoon_state {
        char *id;
        pid_t pid;
        unsigned long long start_time; /* clock ticks since boot, /proc/PID/stat field 22 */
        char *bundle;
        char *rootfs;
        char *created; /* RFC 3339 */
        char *owner;   /* "" unless rootless */
        json_t *annotations; /* owned, object */
        char *sandbox;       /* "none", "sentry", "vm" */
        json_t *cgroup;      /* owned; opaque here, written and read by linux/cgroup.c */
        bool config_saved;    /* a copy of config.json sits beside state.json */
        /* sandbox sentry: `pid` is the supervisor (the pid-file pid, whose
         * exit status is the container's); these name the workload's init,
         * which kill, exec and ps act on.  0 for the other sandboxes. */
        pid_t workload_pid;
        unsigned long long workload_start_time;
};

/* The container's cgroup record (cgroup_to_json) beside state.json, written
 * once when the cgroup is made: `delete --force` finds the cgroup through it
 * when state.json is missing or corrupt. */
#define CGROUP_FILE "cgroup.json"

int state_save(int dirfd, const struct cocoon_state *s);
/* The record in dirfd, logging one line when it is missing (-ENOENT) or
 * corrupt (-EUCLEAN). */
int state_load(int dirfd, const char *id, struct cocoon_state **ret);
/* The same without a word: why says what was wrong. */
int state_parse(int dirfd, struct cocoon_state **ret, char *why, size_t why_size);
void state_free(struct cocoon_state *s);

/* The OCI `state` document for `status`. */
json_t *state_to_oci(const struct cocoon_state *s, const char *status);
