/* SPDX-License-Identifier: MIT */
/*
 * Path-based file syscalls.  Each copies its path arguments once, computes
 * the container path (path.c), and either has the Gofer perform the
 * operation with the caller's credentials, answers a read-only one itself
 * where the caller may read anything the Sentry may (fastpath.c), or CONTINUEs where the path is in
 * the kernel's own views (/proc, /sys, /dev: sentry_path_kernel_view) or the
 * call only names a descriptor (glibc's fstat).  Argument checks that Linux
 * makes before it looks at a path are made here too, in the same order, so
 * that the errno a program sees does not depend on the sandbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <utime.h>

#include <linux/capability.h>
#include <linux/limits.h>
#include <linux/openat2.h>

#include "cleanup.h"
#include "linux/statx_stat.h"
#include "sentry/call.h"

#define ARG(i) (c->req->data.args[i])
#define ARG_INT(i) ((int) ARG(i))

enum { VIA_GOFER, VIA_KERNEL };

/* /proc/self/fd/N or /proc/thread-self/fd/N: N, else -1. */
static int own_fd_link(const char *abs) {
        const char *rest = NULL;
        if (strncmp(abs, "/proc/self/fd/", 14) == 0)
                rest = abs + 14;
        else if (strncmp(abs, "/proc/thread-self/fd/", 21) == 0)
                rest = abs + 21;
        if (!rest || *rest < '0' || *rest > '9')
                return -1;
        char *end;
        long n = strtol(rest, &end, 10);
        return *end || n > INT_MAX ? -1 : (int) n;
}

/* Copy and place a path argument; VIA_KERNEL when the kernel may run the call. */
static int resolve_path(struct sentry_call *c, int dirfd, uint64_t addr, int at_flags, bool follow_fd_links,
                        struct sentry_path *p) {
        int r = sentry_path_arg(c, dirfd, addr, at_flags, p);
        if (r == -EOPNOTSUPP && p->empty)
                return VIA_KERNEL; /* "" names a pipe, socket or anon inode the caller holds */
        if (r < 0)
                return r;
        if (!sentry_path_kernel_view(p->abs))
                return VIA_GOFER;
        /* The caller's own descriptor named through /proc (glibc's
         * fchmodat(AT_SYMLINK_NOFOLLOW) chmods /proc/self/fd/N of an O_PATH
         * descriptor, which the kernel opened in the read-only view): the
         * file's path, for the Gofer.  A pipe or socket stays the kernel's. */
        int fd = follow_fd_links && !(at_flags & AT_SYMLINK_NOFOLLOW) ? own_fd_link(p->abs) : -1;
        char target[PATH_MAX];
        if (fd < 0 || sentry_fd_path(c, fd, target, sizeof target) < 0 || sentry_path_kernel_view(target))
                return VIA_KERNEL;
        memcpy(p->abs, target, strlen(target) + 1);
        return VIA_GOFER;
}

static int resolve(struct sentry_call *c, int dirfd, uint64_t addr, int at_flags, struct sentry_path *p) {
        return resolve_path(c, dirfd, addr, at_flags, true, p);
}

/* ---- open --------------------------------------------------------------------------------- */

static long do_open(struct sentry_call *c, int dirfd, uint64_t path, int flags, mode_t mode, uint64_t resolve_flags) {
        struct sentry_path p;
        /* an open of /proc/self/fd/N stays the kernel's: it reopens the very
         * file, deleted or renamed, on the mount its descriptor is on */
        int r = resolve_path(c, dirfd, path, 0, false, &p);
        if (r >= 0) {
                /* /proc/meminfo and the like: the container's, not the kernel's */
                long s = sentry_procfs_open(c, &p, flags, resolve_flags);
                /* /sys/devices/system/cpu/online and the other CPU lists */
                if (s == SENTRY_FAST_MISS)
                        s = sentry_sysfs_open(c, &p, flags, resolve_flags);
                if (s != SENTRY_FAST_MISS)
                        return s;
        }
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        /* An O_PATH descriptor cannot be installed (SECCOMP_IOCTL_NOTIF_ADDFD
         * takes its source with fget(), which refuses O_PATH files: EBADF),
         * so the kernel opens it in the workload's own, read-only view of
         * the same tree.  It reads and writes nothing; what it names is the
         * same file; a later call through it (fstat, a dirfd, fchdir) finds
         * the same path, and writes through it (chmod of /proc/self/fd/N)
         * meet the read-only view (docs/sentry.md). */
        if (flags & O_PATH)
                return SENTRY_CONTINUE;
        int fd = -1;
        if (!resolve_flags) {
                r = sentry_fast_open(c, p.abs, flags, &fd);
                if (r == 0)
                        return sentry_install_fd(c, fd, flags & O_CLOEXEC);
                if (r != SENTRY_FAST_MISS)
                        return r;
        }
        if (!(flags & (O_CREAT | O_TMPFILE)))
                mode = 0;
        else
                c->need_umask = true;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        r = gofer_open(g, &c->cred, p.abs, flags, mode & 07777, resolve_flags, &fd);
        if (r < 0)
                return r;
        return sentry_install_fd(c, fd, flags & O_CLOEXEC);
}

long sys_open(struct sentry_call *c) {
        return do_open(c, AT_FDCWD, ARG(0), ARG_INT(1) | O_LARGEFILE, (mode_t) ARG(2), 0);
}

long sys_creat(struct sentry_call *c) {
        return do_open(c, AT_FDCWD, ARG(0), O_CREAT | O_WRONLY | O_TRUNC | O_LARGEFILE, (mode_t) ARG(1), 0);
}

long sys_openat(struct sentry_call *c) {
        return do_open(c, ARG_INT(0), ARG(1), ARG_INT(2) | O_LARGEFILE, (mode_t) ARG(3), 0);
}

#define RESOLVE_ALL                                                                                \
        (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT | \
         RESOLVE_CACHED)

long sys_openat2(struct sentry_call *c) {
        size_t usize = ARG(3);
        if (usize < sizeof(struct open_how))
                return -EINVAL;
        if (usize > 4096)
                return -E2BIG;
        /* a larger struct from a newer libc is fine while its extra bytes are 0 */
        uint8_t raw[4096];
        int r = sentry_read(c, ARG(2), raw, usize);
        if (r < 0)
                return r;
        for (size_t i = sizeof(struct open_how); i < usize; i++)
                if (raw[i])
                        return -E2BIG;
        struct open_how how;
        memcpy(&how, raw, sizeof how);
        if (how.flags >> 32 || how.resolve & ~(uint64_t) RESOLVE_ALL || how.mode & ~(uint64_t) 07777)
                return -EINVAL;
        if (how.mode && !(how.flags & (O_CREAT | O_TMPFILE)))
                return -EINVAL;
        if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT))
                return -EINVAL;
        /* the Gofer never waits for I/O to look up a path, so "cached only"
         * cannot be promised: the caller retries without it, as documented */
        if ((how.resolve & RESOLVE_CACHED) && (how.flags & (O_TRUNC | O_CREAT | O_TMPFILE)))
                return -EAGAIN;
        return do_open(c, ARG_INT(0), ARG(1), (int) how.flags, (mode_t) how.mode, how.resolve);
}

/* ---- stat ----------------------------------------------------------------------------------- */

/*
 * glibc's fstat(fd) is newfstatat(fd, "", buf, AT_EMPTY_PATH), and statx
 * callers do the same: when the copied path is empty (or NULL, which Linux
 * 6.11 accepts with AT_EMPTY_PATH) the kernel may run it.  A racing thread
 * could swap in a path, but the kernel would then resolve it in the
 * workload's own view with its own credentials, which reveals nothing the
 * Gofer would not: metadata only.
 */
static bool empty_path_arg(struct sentry_call *c, uint64_t addr, int at_flags) {
        if (!(at_flags & AT_EMPTY_PATH))
                return false;
        if (addr == 0)
                return true;
        char first;
        if (sentry_read(c, addr, &first, 1) < 0 || first != 0)
                return false;
        sentry_strace_str(c, "");
        return true;
}

static long do_stat(struct sentry_call *c, int dirfd, uint64_t path, int at_flags, unsigned mask, struct statx *x) {
        struct sentry_path p;
        int r = resolve(c, dirfd, path, at_flags, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        r = sentry_fast_statx(c, p.abs, at_flags, mask, x);
        if (r != SENTRY_FAST_MISS)
                return r;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        return gofer_statx(g, &c->cred, p.abs, at_flags & AT_SYMLINK_NOFOLLOW, mask, x);
}

static long stat_common(struct sentry_call *c, int dirfd, uint64_t path, uint64_t buf, int at_flags) {
        if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
                return -EINVAL;
        if (empty_path_arg(c, path, at_flags))
                return SENTRY_CONTINUE;
        struct statx x;
        long r = do_stat(c, dirfd, path, at_flags, STATX_BASIC_STATS, &x);
        if (r < 0 || r == SENTRY_CONTINUE)
                return r;
        struct stat st;
        statx_to_stat(&x, &st);
        r = sentry_write(c, buf, &st, sizeof st);
        return r < 0 ? r : 0;
}

long sys_stat(struct sentry_call *c) {
        return stat_common(c, AT_FDCWD, ARG(0), ARG(1), 0);
}

long sys_lstat(struct sentry_call *c) {
        return stat_common(c, AT_FDCWD, ARG(0), ARG(1), AT_SYMLINK_NOFOLLOW);
}

long sys_newfstatat(struct sentry_call *c) {
        return stat_common(c, ARG_INT(0), ARG(1), ARG(2), ARG_INT(3));
}

long sys_statx(struct sentry_call *c) {
        int at_flags = ARG_INT(2);
        unsigned mask = (unsigned) ARG(3);
        if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE) ||
            (at_flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || mask & STATX__RESERVED)
                return -EINVAL;
        if (empty_path_arg(c, ARG(1), at_flags))
                return SENTRY_CONTINUE;
        struct statx x;
        long r = do_stat(c, ARG_INT(0), ARG(1), at_flags, mask, &x);
        if (r < 0 || r == SENTRY_CONTINUE)
                return r;
        r = sentry_write(c, ARG(4), &x, sizeof x);
        return r < 0 ? r : 0;
}

/* ---- access ------------------------------------------------------------------------------- */

static long do_access(struct sentry_call *c, int dirfd, uint64_t path, int mode, int at_flags) {
        if (mode & ~(R_OK | W_OK | X_OK))
                return -EINVAL;
        if (at_flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
                return -EINVAL;
        struct sentry_path p;
        int r = resolve(c, dirfd, path, at_flags, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        r = sentry_fast_access(c, p.abs, mode, at_flags);
        if (r != SENTRY_FAST_MISS)
                return r;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        if (!(at_flags & AT_EACCESS)) {
                /* access() asks about the real ids; the kernel also gives
                 * root its permitted capabilities and others none
                 * (access_override_creds) */
                c->cred.fsuid = c->ruid;
                c->cred.fsgid = c->rgid;
                (void) sentry_cred_access_caps(c, false, &c->cred.cap_effective);
        }
        return gofer_access(g, &c->cred, p.abs, mode, at_flags & (AT_EACCESS | AT_SYMLINK_NOFOLLOW));
}

long sys_access(struct sentry_call *c) {
        return do_access(c, AT_FDCWD, ARG(0), ARG_INT(1), 0);
}

long sys_faccessat(struct sentry_call *c) {
        return do_access(c, ARG_INT(0), ARG(1), ARG_INT(2), 0);
}

long sys_faccessat2(struct sentry_call *c) {
        return do_access(c, ARG_INT(0), ARG(1), ARG_INT(2), ARG_INT(3));
}

/* ---- readlink ----------------------------------------------------------------------------- */

static long do_readlink(struct sentry_call *c, int dirfd, uint64_t path, uint64_t buf, int size, int at_flags) {
        if (size <= 0)
                return -EINVAL;
        struct sentry_path p;
        int r = resolve(c, dirfd, path, at_flags, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        char target[PATH_MAX];
        size_t len = (size_t) size < sizeof target ? (size_t) size : sizeof target;
        r = sentry_fast_readlink(c, p.abs, target, len);
        if (r == SENTRY_FAST_MISS) {
                struct gofer_client *g;
                r = sentry_gofer(c, &g);
                if (r < 0)
                        return r;
                r = gofer_readlink(g, &c->cred, p.abs, target, len);
        }
        if (r < 0)
                return r;
        int w = sentry_write(c, buf, target, (size_t) r);
        return w < 0 ? w : r;
}

long sys_readlink(struct sentry_call *c) {
        return do_readlink(c, AT_FDCWD, ARG(0), ARG(1), ARG_INT(2), 0);
}

long sys_readlinkat(struct sentry_call *c) {
        /* "" reads the symlink an O_PATH|O_NOFOLLOW descriptor names */
        return do_readlink(c, ARG_INT(0), ARG(1), ARG(2), ARG_INT(3), AT_EMPTY_PATH);
}

/* ---- mkdir, mknod ------------------------------------------------------------------------- */

static long do_mkdir(struct sentry_call *c, int dirfd, uint64_t path, mode_t mode) {
        struct sentry_path p;
        int r = resolve(c, dirfd, path, 0, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        struct gofer_client *g;
        c->need_umask = true;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        return gofer_mkdir(g, &c->cred, p.abs, mode & 07777);
}

long sys_mkdir(struct sentry_call *c) {
        return do_mkdir(c, AT_FDCWD, ARG(0), (mode_t) ARG(1));
}

long sys_mkdirat(struct sentry_call *c) {
        return do_mkdir(c, ARG_INT(0), ARG(1), (mode_t) ARG(2));
}

static long do_mknod(struct sentry_call *c, int dirfd, uint64_t path, mode_t mode, unsigned dev) {
        struct sentry_path p;
        int r = resolve(c, dirfd, path, 0, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        switch (mode & S_IFMT) {
        case 0:
                mode |= S_IFREG;
                break;
        case S_IFREG:
        case S_IFIFO:
        case S_IFSOCK:
                break;
        case S_IFCHR:
        case S_IFBLK:
                /* As Linux: CAP_MKNOD decides (the Gofer runs the call with
                 * the caller's capabilities).  Opening the node later goes
                 * through the Gofer, which lives in the container's cgroup:
                 * the device rules (devices.allow, the v2 BPF program) stop
                 * it exactly where they would stop the workload. */
                r = sentry_cred(c);
                if (r < 0)
                        return r;
                if (!(c->cred.cap_effective & (UINT64_C(1) << CAP_MKNOD)))
                        return -EPERM;
                break;
        case S_IFDIR:
                return -EPERM;
        default:
                return -EINVAL;
        }
        struct gofer_client *g;
        c->need_umask = true;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        return gofer_mknod(g, &c->cred, p.abs, mode & (S_IFMT | 07777), (dev_t) dev);
}

long sys_mknod(struct sentry_call *c) {
        return do_mknod(c, AT_FDCWD, ARG(0), (mode_t) ARG(1), (unsigned) ARG(2));
}

long sys_mknodat(struct sentry_call *c) {
        return do_mknod(c, ARG_INT(0), ARG(1), (mode_t) ARG(2), (unsigned) ARG(3));
}

/* ---- unlink, rmdir ---------------------------------------------------------------------- */

static long do_unlink(struct sentry_call *c, int dirfd, uint64_t path, int flags) {
        if (flags & ~AT_REMOVEDIR)
                return -EINVAL;
        struct sentry_path p;
        int r = resolve(c, dirfd, path, 0, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        /* a removed directory or symlink may be on the way of cached paths */
        sentry_dcache_mutation_begin(c);
        r = gofer_unlink(g, &c->cred, p.abs, flags);
        sentry_dcache_mutation_end(c);
        return r;
}

long sys_unlink(struct sentry_call *c) {
        return do_unlink(c, AT_FDCWD, ARG(0), 0);
}

long sys_unlinkat(struct sentry_call *c) {
        return do_unlink(c, ARG_INT(0), ARG(1), ARG_INT(2));
}

long sys_rmdir(struct sentry_call *c) {
        return do_unlink(c, AT_FDCWD, ARG(0), AT_REMOVEDIR);
}

/* ---- two paths: rename, link ------------------------------------------------------------ */

/* Both paths; VIA_KERNEL only when both are in the kernel's views, EXDEV
 * when one is (they are different mounts). */
static int resolve2(struct sentry_call *c, int fd1, uint64_t a1, int fl1, struct sentry_path *p1, int fd2,
                    uint64_t a2, struct sentry_path *p2) {
        int r1 = resolve(c, fd1, a1, fl1, p1);
        if (r1 < 0)
                return r1;
        int r2 = resolve(c, fd2, a2, 0, p2);
        if (r2 < 0)
                return r2;
        if (r1 != r2)
                return -EXDEV;
        return r1;
}

static long do_rename(struct sentry_call *c, int olddir, uint64_t oldpath, int newdir, uint64_t newpath,
                      unsigned flags) {
        if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) ||
            ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) ||
            ((flags & RENAME_WHITEOUT) && (flags & RENAME_EXCHANGE)))
                return -EINVAL;
        _cleanup_free_ struct sentry_path *p = malloc(2 * sizeof *p);
        if (!p)
                return -ENOMEM;
        int r = resolve2(c, olddir, oldpath, 0, &p[0], newdir, newpath, &p[1]);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        sentry_dcache_mutation_begin(c); /* as unlink */
        r = gofer_rename(g, &c->cred, p[0].abs, p[1].abs, flags);
        sentry_dcache_mutation_end(c);
        return r;
}

long sys_rename(struct sentry_call *c) {
        return do_rename(c, AT_FDCWD, ARG(0), AT_FDCWD, ARG(1), 0);
}

long sys_renameat(struct sentry_call *c) {
        return do_rename(c, ARG_INT(0), ARG(1), ARG_INT(2), ARG(3), 0);
}

long sys_renameat2(struct sentry_call *c) {
        return do_rename(c, ARG_INT(0), ARG(1), ARG_INT(2), ARG(3), (unsigned) ARG(4));
}

static long do_link(struct sentry_call *c, int olddir, uint64_t oldpath, int newdir, uint64_t newpath, int flags) {
        if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
                return -EINVAL;
        _cleanup_free_ struct sentry_path *p = malloc(2 * sizeof *p);
        if (!p)
                return -ENOMEM;
        int r = resolve2(c, olddir, oldpath, flags & AT_EMPTY_PATH, &p[0], newdir, newpath, &p[1]);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        /* linking a descriptor's file by its path: what the path names now
         * (an O_TMPFILE file has none: ENOENT, see docs/sentry.md) */
        if (p[0].empty)
                flags = AT_SYMLINK_FOLLOW;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        return gofer_link(g, &c->cred, p[0].abs, p[1].abs, flags & AT_SYMLINK_FOLLOW);
}

long sys_link(struct sentry_call *c) {
        return do_link(c, AT_FDCWD, ARG(0), AT_FDCWD, ARG(1), 0);
}

long sys_linkat(struct sentry_call *c) {
        return do_link(c, ARG_INT(0), ARG(1), ARG_INT(2), ARG(3), ARG_INT(4));
}

static long do_symlink(struct sentry_call *c, uint64_t target_addr, int newdir, uint64_t newpath) {
        /* the target is stored as it is, never resolved here */
        char target[PATH_MAX];
        int r = sentry_read_str(c, target_addr, target, sizeof target);
        if (r < 0)
                return r;
        sentry_strace_str(c, target);
        if (target[0] == 0)
                return -ENOENT;
        struct sentry_path p;
        r = resolve(c, newdir, newpath, 0, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        return gofer_symlink(g, &c->cred, target, p.abs);
}

long sys_symlink(struct sentry_call *c) {
        return do_symlink(c, ARG(0), AT_FDCWD, ARG(1));
}

long sys_symlinkat(struct sentry_call *c) {
        return do_symlink(c, ARG(0), ARG_INT(1), ARG(2));
}

/* ---- attributes: chmod, chown, truncate, times -------------------------------------------- */

static long do_chmod(struct sentry_call *c, int dirfd, uint64_t path, mode_t mode, int at_flags) {
        if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
                return -EINVAL;
        struct sentry_path p;
        int r = resolve(c, dirfd, path, at_flags, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        return gofer_chmod(g, &c->cred, p.abs, mode & 07777, at_flags & AT_SYMLINK_NOFOLLOW);
}

long sys_chmod(struct sentry_call *c) {
        return do_chmod(c, AT_FDCWD, ARG(0), (mode_t) ARG(1), 0);
}

long sys_fchmodat(struct sentry_call *c) {
        return do_chmod(c, ARG_INT(0), ARG(1), (mode_t) ARG(2), 0);
}

long sys_fchmodat2(struct sentry_call *c) {
        return do_chmod(c, ARG_INT(0), ARG(1), (mode_t) ARG(2), ARG_INT(3));
}

static long do_chown(struct sentry_call *c, int dirfd, uint64_t path, uid_t uid, gid_t gid, int at_flags) {
        if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
                return -EINVAL;
        struct sentry_path p;
        int r = resolve(c, dirfd, path, at_flags, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        return gofer_chown(g, &c->cred, p.abs, uid, gid, at_flags & AT_SYMLINK_NOFOLLOW);
}

long sys_chown(struct sentry_call *c) {
        return do_chown(c, AT_FDCWD, ARG(0), (uid_t) ARG(1), (gid_t) ARG(2), 0);
}

long sys_lchown(struct sentry_call *c) {
        return do_chown(c, AT_FDCWD, ARG(0), (uid_t) ARG(1), (gid_t) ARG(2), AT_SYMLINK_NOFOLLOW);
}

long sys_fchownat(struct sentry_call *c) {
        return do_chown(c, ARG_INT(0), ARG(1), (uid_t) ARG(2), (gid_t) ARG(3), ARG_INT(4));
}

long sys_truncate(struct sentry_call *c) {
        struct sentry_path p;
        int r = resolve(c, AT_FDCWD, ARG(0), 0, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        off_t length = (off_t) ARG(1);
        if (length < 0)
                return -EINVAL;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        return gofer_truncate(g, &c->cred, p.abs, length);
}

static bool valid_nsec(long nsec) {
        return (nsec >= 0 && nsec < 1000000000) || nsec == UTIME_NOW || nsec == UTIME_OMIT;
}

/* times NULL: now. */
static long do_utimens(struct sentry_call *c, int dirfd, uint64_t path, const struct timespec *times, int at_flags) {
        if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
                return -EINVAL;
        if (times && (!valid_nsec(times[0].tv_nsec) || !valid_nsec(times[1].tv_nsec)))
                return -EINVAL;
        struct sentry_path p;
        int r = resolve(c, dirfd, path, at_flags, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        if (times && times[0].tv_nsec == UTIME_OMIT && times[1].tv_nsec == UTIME_OMIT)
                return 0;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        return gofer_utimens(g, &c->cred, p.abs, times, at_flags & AT_SYMLINK_NOFOLLOW);
}

long sys_utimensat(struct sentry_call *c) {
        /* NULL path: glibc's futimens(fd), the descriptor's own file */
        if (ARG(1) == 0)
                return SENTRY_CONTINUE;
        struct timespec ts[2];
        if (ARG(2)) {
                int r = sentry_read(c, ARG(2), ts, sizeof ts);
                if (r < 0)
                        return r;
        }
        return do_utimens(c, ARG_INT(0), ARG(1), ARG(2) ? ts : NULL, ARG_INT(3));
}

static long utimes_common(struct sentry_call *c, int dirfd, uint64_t path, uint64_t tv_addr) {
        struct timespec ts[2];
        if (tv_addr) {
                struct timeval tv[2];
                int r = sentry_read(c, tv_addr, tv, sizeof tv);
                if (r < 0)
                        return r;
                for (int i = 0; i < 2; i++) {
                        if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
                                return -EINVAL;
                        ts[i] = (struct timespec){tv[i].tv_sec, tv[i].tv_usec * 1000};
                }
        }
        return do_utimens(c, dirfd, path, tv_addr ? ts : NULL, 0);
}

long sys_utimes(struct sentry_call *c) {
        return utimes_common(c, AT_FDCWD, ARG(0), ARG(1));
}

long sys_futimesat(struct sentry_call *c) {
        return utimes_common(c, ARG_INT(0), ARG(1), ARG(2));
}

long sys_utime(struct sentry_call *c) {
        struct timespec ts[2];
        if (ARG(1)) {
                struct utimbuf u;
                int r = sentry_read(c, ARG(1), &u, sizeof u);
                if (r < 0)
                        return r;
                ts[0] = (struct timespec){u.actime, 0};
                ts[1] = (struct timespec){u.modtime, 0};
        }
        return do_utimens(c, AT_FDCWD, ARG(0), ARG(1) ? ts : NULL, 0);
}

long sys_statfs(struct sentry_call *c) {
        struct sentry_path p;
        int r = resolve(c, AT_FDCWD, ARG(0), 0, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        struct statfs sf;
        r = gofer_statfs(g, &c->cred, p.abs, &sf);
        if (r < 0)
                return r;
        r = sentry_write(c, ARG(1), &sf, sizeof sf);
        return r < 0 ? r : 0;
}

/* ---- extended attributes ---------------------------------------------------------------- */

static int xattr_name(struct sentry_call *c, uint64_t addr, char name[XATTR_NAME_MAX + 1]) {
        int r = sentry_read_str(c, addr, name, XATTR_NAME_MAX + 1);
        if (r == -ENAMETOOLONG || r == 0)
                return -ERANGE;
        if (r < 0)
                return r;
        sentry_strace_str(c, name);
        return 0;
}

static long do_setxattr(struct sentry_call *c, int dirfd, uint64_t path, int at_flags, uint64_t name_addr,
                        uint64_t value_addr, size_t size, int flags) {
        if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
                return -EINVAL;
        struct sentry_path p;
        int r = resolve(c, dirfd, path, at_flags, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
                return -EINVAL;
        char name[XATTR_NAME_MAX + 1];
        r = xattr_name(c, name_addr, name);
        if (r < 0)
                return r;
        if (size > XATTR_SIZE_MAX)
                return -E2BIG;
        _cleanup_free_ char *value = size ? malloc(size) : NULL;
        if (size && !value)
                return -ENOMEM;
        r = sentry_read(c, value_addr, value, size);
        if (r < 0)
                return r;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        return gofer_setxattr(g, &c->cred, p.abs, name, value, size, flags, at_flags & AT_SYMLINK_NOFOLLOW);
}

static long do_getxattr(struct sentry_call *c, int dirfd, uint64_t path, int at_flags, uint64_t name_addr,
                        uint64_t value_addr, size_t size) {
        if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
                return -EINVAL;
        struct sentry_path p;
        int r = resolve(c, dirfd, path, at_flags, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        char name[XATTR_NAME_MAX + 1];
        r = xattr_name(c, name_addr, name);
        if (r < 0)
                return r;
        if (size > XATTR_SIZE_MAX)
                size = XATTR_SIZE_MAX;
        _cleanup_free_ char *value = size ? malloc(size) : NULL;
        if (size && !value)
                return -ENOMEM;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        r = gofer_getxattr(g, &c->cred, p.abs, name, value, size, at_flags & AT_SYMLINK_NOFOLLOW);
        if (r < 0 || size == 0)
                return r;
        int w = sentry_write(c, value_addr, value, (size_t) r);
        return w < 0 ? w : r;
}

static long do_listxattr(struct sentry_call *c, int dirfd, uint64_t path, int at_flags, uint64_t list_addr,
                         size_t size) {
        if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
                return -EINVAL;
        struct sentry_path p;
        int r = resolve(c, dirfd, path, at_flags, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        if (size > XATTR_LIST_MAX)
                size = XATTR_LIST_MAX;
        _cleanup_free_ char *list = size ? malloc(size) : NULL;
        if (size && !list)
                return -ENOMEM;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        r = gofer_listxattr(g, &c->cred, p.abs, list, size, at_flags & AT_SYMLINK_NOFOLLOW);
        if (r < 0 || size == 0)
                return r;
        int w = sentry_write(c, list_addr, list, (size_t) r);
        return w < 0 ? w : r;
}

static long do_removexattr(struct sentry_call *c, int dirfd, uint64_t path, int at_flags, uint64_t name_addr) {
        if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
                return -EINVAL;
        struct sentry_path p;
        int r = resolve(c, dirfd, path, at_flags, &p);
        if (r != VIA_GOFER)
                return r == VIA_KERNEL ? SENTRY_CONTINUE : r;
        char name[XATTR_NAME_MAX + 1];
        r = xattr_name(c, name_addr, name);
        if (r < 0)
                return r;
        struct gofer_client *g;
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        return gofer_removexattr(g, &c->cred, p.abs, name, at_flags & AT_SYMLINK_NOFOLLOW);
}

long sys_setxattr(struct sentry_call *c) {
        return do_setxattr(c, AT_FDCWD, ARG(0), 0, ARG(1), ARG(2), ARG(3), ARG_INT(4));
}

long sys_lsetxattr(struct sentry_call *c) {
        return do_setxattr(c, AT_FDCWD, ARG(0), AT_SYMLINK_NOFOLLOW, ARG(1), ARG(2), ARG(3), ARG_INT(4));
}

long sys_getxattr(struct sentry_call *c) {
        return do_getxattr(c, AT_FDCWD, ARG(0), 0, ARG(1), ARG(2), ARG(3));
}

long sys_lgetxattr(struct sentry_call *c) {
        return do_getxattr(c, AT_FDCWD, ARG(0), AT_SYMLINK_NOFOLLOW, ARG(1), ARG(2), ARG(3));
}

long sys_listxattr(struct sentry_call *c) {
        return do_listxattr(c, AT_FDCWD, ARG(0), 0, ARG(1), ARG(2));
}

long sys_llistxattr(struct sentry_call *c) {
        return do_listxattr(c, AT_FDCWD, ARG(0), AT_SYMLINK_NOFOLLOW, ARG(1), ARG(2));
}

long sys_removexattr(struct sentry_call *c) {
        return do_removexattr(c, AT_FDCWD, ARG(0), 0, ARG(1));
}

long sys_lremovexattr(struct sentry_call *c) {
        return do_removexattr(c, AT_FDCWD, ARG(0), AT_SYMLINK_NOFOLLOW, ARG(1));
}

/* Linux 6.13's *xattrat: value, size and flags in a struct xattr_args. */
struct xattr_args_v0 {
        uint64_t value;
        uint32_t size;
        uint32_t flags;
};

static int read_xattr_args(struct sentry_call *c, uint64_t addr, size_t usize, struct xattr_args_v0 *a) {
        if (usize < sizeof *a)
                return -EINVAL;
        if (usize > 4096)
                return -E2BIG;
        uint8_t raw[4096];
        int r = sentry_read(c, addr, raw, usize);
        if (r < 0)
                return r;
        for (size_t i = sizeof *a; i < usize; i++)
                if (raw[i])
                        return -E2BIG;
        memcpy(a, raw, sizeof *a);
        return 0;
}

long sys_setxattrat(struct sentry_call *c) {
        struct xattr_args_v0 a;
        int r = read_xattr_args(c, ARG(4), ARG(5), &a);
        if (r < 0)
                return r;
        return do_setxattr(c, ARG_INT(0), ARG(1), ARG_INT(2), ARG(3), a.value, a.size, (int) a.flags);
}

long sys_getxattrat(struct sentry_call *c) {
        struct xattr_args_v0 a;
        int r = read_xattr_args(c, ARG(4), ARG(5), &a);
        if (r < 0)
                return r;
        if (a.flags)
                return -EINVAL;
        return do_getxattr(c, ARG_INT(0), ARG(1), ARG_INT(2), ARG(3), a.value, a.size);
}

long sys_listxattrat(struct sentry_call *c) {
        return do_listxattr(c, ARG_INT(0), ARG(1), ARG_INT(2), ARG(3), ARG(4));
}

long sys_removexattrat(struct sentry_call *c) {
        return do_removexattr(c, ARG_INT(0), ARG(1), ARG_INT(2), ARG(3));
}

/* The Gofer protocol has no fsxattr operation yet: as a kernel before 6.17,
 * so chattr-like tools use FS_IOC_FSGETXATTR on a descriptor instead. */
long sys_file_getattr(struct sentry_call *c) {
        (void) c;
        return -ENOSYS;
}

long sys_file_setattr(struct sentry_call *c) {
        (void) c;
        return -ENOSYS;
}

/* ---- working directory, root, notifications, sync --------------------------------------- */

/* The copied path, for --strace only; the kernel reads it again. */
static void strace_path(struct sentry_call *c, uint64_t addr) {
        if (!c->strace)
                return;
        char path[PATH_MAX];
        if (sentry_read_str(c, addr, path, sizeof path) >= 0)
                sentry_strace_str(c, path);
}

/*
 * chdir: CONTINUE.  The kernel resolves the path in the workload's own
 * read-only view of its rootfs (the same files the Gofer serves, mounted
 * read-only), so a raced path can only move the caller's own cwd within its
 * own view; path.c reads the result back from /proc/<tid>/cwd.
 */
long sys_chdir(struct sentry_call *c) {
        strace_path(c, ARG(0));
        return SENTRY_CONTINUE;
}

/* The Sentry computes paths from the mount namespace's root, not the
 * caller's root, so a chroot would be ignored by every Gofer call: refused,
 * as without CAP_SYS_CHROOT, until the Sentry keeps a root per process. */
long sys_chroot(struct sentry_call *c) {
        strace_path(c, ARG(0));
        return -EPERM;
}

/* inotify_add_watch: CONTINUE.  The watch is placed on the file the path
 * names in the workload's own view (reading needs no write access), and
 * the Gofer's writes to the same inode raise its events. */
long sys_inotify_add_watch(struct sentry_call *c) {
        strace_path(c, ARG(1));
        return SENTRY_CONTINUE;
}

/* Flushing is per file (fsync, fdatasync and sync_file_range run on the
 * host); a host-wide or filesystem-wide flush is not the workload's to
 * ask: both succeed without flushing until the Gofer can syncfs the
 * container's own filesystems. */
long sys_sync(struct sentry_call *c) {
        (void) c;
        return 0;
}

/* syncfs still names a descriptor: one that is not open (or an O_PATH one,
 * which the kernel's fdget refuses) is EBADF, as under Linux (stress-ng's
 * io stressor checks it). */
long sys_syncfs(struct sentry_call *c) {
        int fd = (int) ARG(0);
        if (fd < 0)
                return -EBADF;
        _cleanup_close_ int own = sentry_take_fd(c, fd);
        if (own < 0)
                return own;
        int fl = fcntl(own, F_GETFL);
        if (fl < 0 || (fl & O_PATH))
                return -EBADF;
        return 0;
}
