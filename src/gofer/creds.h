/* SPDX-License-Identifier: MIT */
/*
 * Per-thread credentials of a Gofer connection thread, switched to the
 * caller's for each operation the way virtiofsd does it: raw setfsuid /
 * setfsgid / setgroups / capset system calls, which change the calling
 * thread only (glibc's wrappers of setgroups and the set*id family
 * broadcast the change to every thread of the process, which would leak one
 * caller's identity into another connection's operation).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gofer/client.h"

struct gofer_creds {
        /* The thread's own identity, restored between callers. */
        uint64_t own_effective, own_permitted, own_inheritable;
        uid_t own_uid, own_euid; /* fs and effective */
        gid_t own_gid, own_egid;
        int n_own_groups;
        gid_t own_groups[GOFER_MAX_GROUPS];
        /* What is applied now: `applied` false means the thread's own. */
        bool applied;
        struct gofer_cred cur;
        mode_t cur_umask;
};

/* Call first on every connection thread: gives the thread its own umask
 * and cwd (unshare(CLONE_FS)) and records its own credentials. */
int gofer_creds_init(struct gofer_creds *st);
/* Make `cr` the thread's fsuid, fsgid, groups, effective capabilities
 * (cr->cap_effective intersected with the thread's own) and umask.  Cheap
 * when `cr` is what is already applied. */
int gofer_creds_switch(struct gofer_creds *st, const struct gofer_cred *cr);
/* Back to the thread's own identity (also after a failed switch). */
int gofer_creds_restore(struct gofer_creds *st);
/* For connect(): the socket's peer credentials are the connecting thread's
 * effective ids, not its fs ids, so they become the caller's for the call.
 * Leaves the thread in a state only gofer_creds_switch/restore may follow. */
int gofer_creds_set_effective_ids(struct gofer_creds *st, const struct gofer_cred *cr);
