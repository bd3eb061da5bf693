/* SPDX-License-Identifier: MIT */
/*
 * The Sentry's side of the Gofer protocol (docs/gofer-protocol.md).
 *
 * Every path is a container path: absolute ("/etc/passwd"), as the Sentry
 * computed it from the workload's cwd or dirfd (readlink of
 * /proc/<pid>/{cwd,fd/N}, which shows paths in the workload's own mount
 * namespace, whose root is the container root).  The Gofer resolves it
 * inside the container root, so no path, symlink or `..` can leave it.
 *
 * Every call performs one operation with the caller's credentials and
 * returns what the syscall would: >= 0, or -errno (the workload's errno, not
 * a transport error).  A transport failure (the Gofer died) is -EPIPE or
 * -ECONNRESET; the Sentry treats it as fatal for the container.
 *
 * One client per Sentry thread: calls on one client are serialized by the
 * caller, calls on different clients run in parallel in the Gofer.
 */
#pragma once

#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>

#define GOFER_MAX_GROUPS 64

/* The credentials an operation runs with (taken by the Sentry from the
 * calling thread: fsuid/fsgid, supplementary groups, effective capabilities,
 * umask). */
struct gofer_cred {
        uint32_t fsuid, fsgid;
        uint32_t umask;
        uint32_t n_groups;
        uint32_t groups[GOFER_MAX_GROUPS];
        uint64_t cap_effective; /* bit n == capability n */
        /* Scheduling hint, not a credential: 1 + the CPU the caller runs
         * on, 0 for none.  The Gofer thread moves to that CPU, so that the
         * request and its reply need no wake-up of another, idle CPU (tens
         * of microseconds on a VM; the Sentry itself follows the workload,
         * see SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP). */
        uint32_t cpu_hint;
};

struct gofer_client;

/* A new connection: a socketpair whose one end is sent to the Gofer over
 * its control socket `ctl_fd` (SCM_RIGHTS); the Gofer serves it on a thread
 * of its own. */
int gofer_client_new(int ctl_fd, struct gofer_client **ret);
void gofer_client_free(struct gofer_client *c);

/* open/openat/openat2/creat: the new fd (close-on-exec in the caller,
 * whatever `flags` says: the Sentry installs it with the workload's flags).
 * resolve: RESOLVE_* bits of openat2 the workload asked for (0 otherwise). */
int gofer_open(struct gofer_client *c, const struct gofer_cred *cr, const char *path, int flags, mode_t mode,
               uint64_t resolve, int *ret_fd);
/* stat family: flags AT_SYMLINK_NOFOLLOW; mask as statx takes it. */
int gofer_statx(struct gofer_client *c, const struct gofer_cred *cr, const char *path, int flags, unsigned mask,
                struct statx *ret);
/* access/faccessat/faccessat2: mode F_OK/R_OK/W_OK/X_OK; flags AT_EACCESS, AT_SYMLINK_NOFOLLOW. */
int gofer_access(struct gofer_client *c, const struct gofer_cred *cr, const char *path, int mode, int flags);
/* Returns the length copied into buf (not NUL-terminated), as readlink. */
int gofer_readlink(struct gofer_client *c, const struct gofer_cred *cr, const char *path, char *buf, size_t len);
int gofer_mkdir(struct gofer_client *c, const struct gofer_cred *cr, const char *path, mode_t mode);
int gofer_mknod(struct gofer_client *c, const struct gofer_cred *cr, const char *path, mode_t mode, dev_t dev);
/* unlink/unlinkat/rmdir: flags AT_REMOVEDIR. */
int gofer_unlink(struct gofer_client *c, const struct gofer_cred *cr, const char *path, int flags);
/* rename/renameat/renameat2: flags RENAME_NOREPLACE/EXCHANGE/WHITEOUT. */
int gofer_rename(struct gofer_client *c, const struct gofer_cred *cr, const char *from, const char *to,
                 unsigned flags);
/* link/linkat: flags AT_SYMLINK_FOLLOW. */
int gofer_link(struct gofer_client *c, const struct gofer_cred *cr, const char *from, const char *to, int flags);
int gofer_symlink(struct gofer_client *c, const struct gofer_cred *cr, const char *target, const char *path);
/* chmod/fchmodat/fchmodat2, chown/lchown/fchownat: flags AT_SYMLINK_NOFOLLOW. */
int gofer_chmod(struct gofer_client *c, const struct gofer_cred *cr, const char *path, mode_t mode, int flags);
int gofer_chown(struct gofer_client *c, const struct gofer_cred *cr, const char *path, uid_t uid, gid_t gid,
                int flags);
int gofer_truncate(struct gofer_client *c, const struct gofer_cred *cr, const char *path, off_t length);
/* utime/utimes/futimesat/utimensat: times NULL means now; flags AT_SYMLINK_NOFOLLOW. */
int gofer_utimens(struct gofer_client *c, const struct gofer_cred *cr, const char *path,
                  const struct timespec times[2], int flags);
int gofer_statfs(struct gofer_client *c, const struct gofer_cred *cr, const char *path, struct statfs *ret);
/* Path xattr calls; flags AT_SYMLINK_NOFOLLOW (the l* variants).  get/list
 * return the size, as the syscalls do (size 0 asks for the size). */
int gofer_getxattr(struct gofer_client *c, const struct gofer_cred *cr, const char *path, const char *name,
                   void *buf, size_t size, int flags);
int gofer_setxattr(struct gofer_client *c, const struct gofer_cred *cr, const char *path, const char *name,
                   const void *value, size_t size, int xattr_flags, int flags);
int gofer_listxattr(struct gofer_client *c, const struct gofer_cred *cr, const char *path, char *buf, size_t size,
                    int flags);
int gofer_removexattr(struct gofer_client *c, const struct gofer_cred *cr, const char *path, const char *name,
                      int flags);
/* bind/connect of an AF_UNIX socket to a path: the Gofer binds or connects
 * `sock` (the workload's socket, taken with pidfd_getfd) in the writable tree. */
int gofer_unix_bind(struct gofer_client *c, const struct gofer_cred *cr, int sock, const char *path);
int gofer_unix_connect(struct gofer_client *c, const struct gofer_cred *cr, int sock, const char *path);
