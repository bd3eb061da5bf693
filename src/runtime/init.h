/* SPDX-License-Identifier: MIT */
/*
 * The last steps before the user's program: what runs inside the new
 * namespaces as stage 2 of spawn_process(), for a container's init
 * (init_container) and for an exec'd process (init_exec).
 */
#pragma once

#include <stdbool.h>

#include "oci/spec.h"

struct init_args {
        const struct oci_spec *spec;
        const struct oci_process *process;
        const char *bundle;
        const char *rootfs;
        bool no_pivot;
        bool no_new_keyring;
        bool in_userns;      /* a new user namespace was created */
        bool new_netns;      /* bring up loopback */
        int listen_fds;      /* $LISTEN_FDS passed on */
        int preserve_fds;    /* --preserve-fds */
        int exec_listen_fd;  /* create: wait here for `start` */
        int console_fd;      /* connected console socket, or -1 */
        int root_fd;         /* exec: O_PATH of the container's root, to chroot into */
        const int *idmap_fds; /* create: id-mapped mount trees (see linux/idmap.h), or NULL */
        /* Sandbox sentry (docs/architecture.md, "Process model (sandbox
         * sentry)"): the init stops after its mount tree is complete
         * (SYNC_TREE_READY, until SYNC_GO) for the Gofer to copy it, then
         * makes its own view read-only; init and exec load the Sentry's
         * boundary filter after the OCI one and send its listener fd as
         * SYNC_SECCOMP_FD. */
        bool sentry;
        bool sentry_net_raw; /* the boundary allows raw/packet sockets (CAP_NET_RAW) */
};

int init_container(void *arg, int sync_fd);
int init_exec(void *arg, int sync_fd);
