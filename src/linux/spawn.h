/* SPDX-License-Identifier: MIT */
/*
 * Starting a process inside a set of namespaces, the way runc's nsexec does:
 *
 *   cocoon ──fork──> stage 1: joins the cgroup (via the parent), setns() into
 *                    namespaces given by path, unshares a new user namespace
 *                    and waits for the parent to write its id maps, then
 *                    unshares the remaining new namespaces.
 *            stage 1 ──clone(CLONE_PARENT)──> stage 2: pid 1 of the new pid
 *                    namespace (if any), and a child of cocoon itself, so that
 *                    `run` and `exec` can wait for it and a subreaper above us
 *                    (containerd's shim) inherits it when we exit.
 *
 * Two stages are needed because setns/unshare of pid and time namespaces
 * only affect children, and because the cgroup must be joined before the
 * cgroup namespace is created so that it becomes the namespace's root.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "linux/cgroup.h"
#include "oci/spec.h"

struct spawn_join {
        int type; /* CLONE_NEW* */
        int fd;   /* opened by the caller: errors about bad paths happen before forking */
};

struct spawn_config {
        int new_flags; /* CLONE_NEW* to create */
        struct spawn_join join[8];
        size_t n_join;
        const struct oci_id_mapping *uid_map, *gid_map;
        size_t n_uid_map, n_gid_map;
        bool time_offsets;
        int64_t monotonic_secs, boottime_secs;
        uint32_t monotonic_nsecs, boottime_nsecs;
        const struct cgroup *cgroup; /* joined before any namespace is created; may be NULL */
        const char *resctrl_group;   /* linux.intelRdt group joined likewise, or NULL */
        /* Closed first thing in stage 1: fds that must not outlive the caller
         * in a long-lived child, above all the container's lock (flock is
         * shared by every process holding the open file). */
        int close_fds[4];
        size_t n_close_fds;
        /* Runs in stage 2 with errors forwarded over sync_fd; returns only on failure. */
        int (*stage2)(void *arg, int sync_fd);
        void *arg;
};

/* Returns the stage-2 pid (as seen by the caller) and the parent's end of the
 * sync socket, on which stage 2 sends SYNC_READY or SYNC_ERROR.  On failure
 * nothing is left running. */
int spawn_process(const struct spawn_config *c, pid_t *ret_pid, int *ret_sync_fd);

/* Kill and reap a child that never got going. */
void spawn_abort(pid_t pid);

/* Open /proc/PID/ns/NAME of every namespace of `pid` that differs from ours,
 * user namespace first, for exec to join. */
int spawn_join_namespaces_of(pid_t pid, struct spawn_config *c);
