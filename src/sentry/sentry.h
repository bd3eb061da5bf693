/* SPDX-License-Identifier: MIT */
/*
 * The Sentry: answers the workload's system calls that the boundary
 * (syscalls.def) sends to it through seccomp user notification.  One Sentry
 * per container; it holds the listener fd of every process of the
 * container (the init's, and one per `exec`), a connection per thread to
 * the Gofer, and nothing of the host's filesystem.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct sentry_config {
        int notify_fd;       /* the init's seccomp listener */
        int gofer_ctl_fd;    /* the Gofer's control socket (gofer_client_new) */
        int control_fd;      /* listening unix socket: `exec` sends further listener fds here (SCM_RIGHTS) */
        int proc_fd;         /* O_PATH fd of a procfs that shows the workload's processes (host /proc) */
        const char *release; /* uname release shown to the workload */
        bool strace;         /* one log line per handled syscall (--strace) */
        bool net_raw;        /* the container holds CAP_NET_RAW */
};

/* Serve notifications on worker threads until every listener is dead (all
 * processes of the container are gone: the kernel reports POLLHUP).  Returns
 * 0, or -errno on a fatal failure (the Gofer died): the caller then kills the
 * container. */
int sentry_serve(const struct sentry_config *c);
