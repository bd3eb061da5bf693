/* SPDX-License-Identifier: MIT */
#include "gofer/creds.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

/* Every call below is the raw system call on purpose: each changes the
 * calling thread's credentials only (see creds.h). */

static int capset_thread(uint64_t eff, uint64_t perm, uint64_t inh) {
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[2] = {
                {(uint32_t) eff, (uint32_t) perm, (uint32_t) inh},
                {(uint32_t) (eff >> 32), (uint32_t) (perm >> 32), (uint32_t) (inh >> 32)},
        };
        return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

static int capget_thread(uint64_t *eff, uint64_t *perm, uint64_t *inh) {
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[2];
        if (syscall(SYS_capget, &hdr, data) < 0)
                return -errno;
        *eff = data[0].effective | (uint64_t) data[1].effective << 32;
        *perm = data[0].permitted | (uint64_t) data[1].permitted << 32;
        *inh = data[0].inheritable | (uint64_t) data[1].inheritable << 32;
        return 0;
}

/* setfsuid/setfsgid return the previous id whether or not they succeeded;
 * asking again with an invalid id (-1) reads the current one back. */
static int set_fsuid(uid_t uid) {
        syscall(SYS_setfsuid, uid);
        return (uid_t) syscall(SYS_setfsuid, (uid_t) -1) == uid ? 0 : -EPERM;
}

static int set_fsgid(gid_t gid) {
        syscall(SYS_setfsgid, gid);
        return (gid_t) syscall(SYS_setfsgid, (gid_t) -1) == gid ? 0 : -EPERM;
}

static int set_groups(size_t n, const gid_t *groups) {
        return syscall(SYS_setgroups, n, groups) < 0 ? -errno : 0;
}

int gofer_creds_init(struct gofer_creds *st) {
        *st = (struct gofer_creds){0};
        /* umask and cwd live in the fs_struct the process's threads share;
         * a private copy lets this thread apply the caller's umask and
         * fchdir() for unix socket paths without disturbing the others. */
        if (unshare(CLONE_FS) < 0)
                return log_error_errno(-errno, "gofer: unshare(CLONE_FS)");
        int r = capget_thread(&st->own_effective, &st->own_permitted, &st->own_inheritable);
        if (r < 0)
                return log_error_errno(r, "gofer: capget");
        st->own_uid = (uid_t) syscall(SYS_setfsuid, (uid_t) -1);
        st->own_gid = (gid_t) syscall(SYS_setfsgid, (gid_t) -1);
        st->own_euid = geteuid();
        st->own_egid = getegid();
        int n = getgroups(GOFER_MAX_GROUPS, st->own_groups);
        if (n < 0)
                return log_error_errno(-errno, "gofer: getgroups");
        st->n_own_groups = n;
        st->cur_umask = umask(0);
        umask(st->cur_umask);
        return 0;
}

static bool same_ids(const struct gofer_cred *a, const struct gofer_cred *b) {
        return a->fsuid == b->fsuid && a->fsgid == b->fsgid && a->cap_effective == b->cap_effective &&
               a->n_groups == b->n_groups && memcmp(a->groups, b->groups, a->n_groups * sizeof a->groups[0]) == 0;
}

int gofer_creds_restore(struct gofer_creds *st) {
        int r = 0, k;
        /* Own capabilities first: the id changes below need CAP_SETUID and
         * CAP_SETGID. */
        if ((k = capset_thread(st->own_effective, st->own_permitted, st->own_inheritable)) < 0)
                r = r ?: log_error_errno(k, "gofer: capset (restore)");
        if (syscall(SYS_setresgid, (gid_t) -1, st->own_egid, (gid_t) -1) < 0)
                r = r ?: log_error_errno(-errno, "gofer: setresgid (restore)");
        if (syscall(SYS_setresuid, (uid_t) -1, st->own_euid, (uid_t) -1) < 0)
                r = r ?: log_error_errno(-errno, "gofer: setresuid (restore)");
        if ((k = set_groups((size_t) st->n_own_groups, st->own_groups)) < 0)
                r = r ?: log_error_errno(k, "gofer: setgroups (restore)");
        if ((k = set_fsgid(st->own_gid)) < 0)
                r = r ?: log_error_errno(k, "gofer: setfsgid(%u) (restore)", (unsigned) st->own_gid);
        if ((k = set_fsuid(st->own_uid)) < 0)
                r = r ?: log_error_errno(k, "gofer: setfsuid(%u) (restore)", (unsigned) st->own_uid);
        /* An fsuid returning to 0 raised the file capabilities again. */
        if ((k = capset_thread(st->own_effective, st->own_permitted, st->own_inheritable)) < 0)
                r = r ?: log_error_errno(k, "gofer: capset (restore)");
        st->applied = false;
        return r;
}

int gofer_creds_switch(struct gofer_creds *st, const struct gofer_cred *cr) {
        int k;
        if (cr->n_groups > GOFER_MAX_GROUPS)
                return -EINVAL;
        if (!st->applied || !same_ids(&st->cur, cr)) {
                /* Changing ids needs the thread's own capabilities back. */
                if (st->applied && (k = capset_thread(st->own_effective, st->own_permitted,
                                                      st->own_inheritable)) < 0) {
                        log_error_errno(k, "gofer: capset");
                        goto fail;
                }
                st->applied = true; /* from here on, a failure must restore */
                if ((k = set_groups(cr->n_groups, cr->groups)) < 0) {
                        log_error_errno(k, "gofer: setgroups(%u groups)", cr->n_groups);
                        goto fail;
                }
                if ((k = set_fsgid(cr->fsgid)) < 0) {
                        log_error_errno(k, "gofer: setfsgid(%u)", cr->fsgid);
                        goto fail;
                }
                if ((k = set_fsuid(cr->fsuid)) < 0) {
                        log_error_errno(k, "gofer: setfsuid(%u)", cr->fsuid);
                        goto fail;
                }
                /* After setfsuid: leaving fsuid 0 dropped the file
                 * capabilities, reaching it raised them; either way the
                 * caller's set is what must remain. */
                if ((k = capset_thread(cr->cap_effective & st->own_effective, st->own_permitted,
                                       st->own_inheritable)) < 0) {
                        log_error_errno(k, "gofer: capset");
                        goto fail;
                }
                st->cur = *cr;
        }
        mode_t want = (mode_t) (cr->umask & 0777);
        if (want != st->cur_umask) {
                umask(want);
                st->cur_umask = want;
        }
        return 0;
fail:
        gofer_creds_restore(st);
        return k;
}

int gofer_creds_set_effective_ids(struct gofer_creds *st, const struct gofer_cred *cr) {
        int k;
        if ((k = capset_thread(st->own_effective, st->own_permitted, st->own_inheritable)) < 0)
                goto fail;
        st->applied = false; /* the cached state no longer describes the thread */
        if (syscall(SYS_setresgid, (gid_t) -1, (gid_t) cr->fsgid, (gid_t) -1) < 0 ||
            syscall(SYS_setresuid, (uid_t) -1, (uid_t) cr->fsuid, (uid_t) -1) < 0) {
                k = -errno;
                goto fail;
        }
        /* setresuid set the fsuid to the new euid, and leaving euid 0
         * cleared the effective set: both are the caller's again. */
        if ((k = set_fsgid(cr->fsgid)) < 0 || (k = set_fsuid(cr->fsuid)) < 0 ||
            (k = capset_thread(cr->cap_effective & st->own_effective, st->own_permitted, st->own_inheritable)) < 0)
                goto fail;
        return 0;
fail:
        log_error_errno(k, "gofer: switching effective ids to %u:%u", cr->fsuid, cr->fsgid);
        gofer_creds_restore(st);
        return k;
}
