/* SPDX-License-Identifier: MIT */
#include "gofer/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "gofer/walk.h"

/* Newer than the build host's headers (Debian 12: Linux 6.1). */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#define SYS_getxattrat 464
#define SYS_listxattrat 465
#define SYS_removexattrat 466
#endif

/* struct xattr_args of Linux 6.13's *xattrat calls. */
struct gofer_xattr_args {
        uint64_t value;
        uint32_t size;
        uint32_t flags;
};

/* The kernel's VALID_OPEN_FLAGS and O_PATH_FLAGS, in its own values:
 * glibc defines O_LARGEFILE as 0 on 64-bit. */
#define K_O_LARGEFILE 0100000
#define VALID_OPEN_FLAGS                                                                                   \
        (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC |   \
         FASYNC | O_DIRECT | K_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH |   \
         O_TMPFILE)
#define O_PATH_FLAGS (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)
#define RESOLVE_ALL                                                                                        \
        (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT | \
         RESOLVE_CACHED)

static int ret_errno(long r) {
        return r < 0 ? -errno : (int) r;
}

static int op_open(struct gofer_conn *c, const struct gofer_req *q, struct gofer_out *out) {
        if (q->resolve & ~(uint64_t) RESOLVE_ALL)
                return -EINVAL;
        /* What open(2) does with its arguments before openat2's checks:
         * unknown flags dropped, O_PATH masking the rest, a mode only where
         * something is created.  The Sentry applies openat2's stricter
         * rules itself when the workload called openat2. */
        int flags = (int) q->flags & VALID_OPEN_FLAGS;
        if (flags & O_PATH)
                flags &= O_PATH_FLAGS;
        else
                flags |= O_NOCTTY; /* a container's tty must never become the Gofer's */
        mode_t mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t) (q->mode & 07777) : 0;
        /* RESOLVE_BENEATH / RESOLVE_IN_ROOT are relative to the workload's
         * dirfd, which the Sentry turned into a container path: it
         * enforces them; here the container root bounds every walk. */
        uint64_t resolve = q->resolve & ~(uint64_t) (RESOLVE_BENEATH | RESOLVE_IN_ROOT);
        int fd = gofer_walk_open(c->root_fd, q->path, flags, mode, resolve);
        if (fd < 0)
                return fd;
        out->fd = fd;
        return 0;
}

static int op_statx(struct gofer_conn *c, const struct gofer_req *q, struct gofer_out *out) {
        if (q->flags & ~(uint32_t) (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
                return -EINVAL;
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = q->flags & AT_SYMLINK_NOFOLLOW ? gofer_walk_nofollow(c->root_fd, q->path, &w)
                                               : gofer_walk_follow(c->root_fd, q->path, &w);
        if (r < 0)
                return r;
        struct statx stx;
        int flags = w.at_flags | (int) (q->flags & ~(uint32_t) AT_SYMLINK_NOFOLLOW);
        if (statx(w.dirfd, w.name, flags, q->mask, &stx) < 0)
                return -errno;
        memcpy(out->payload, &stx, sizeof stx);
        out->len = sizeof stx;
        return 0;
}

static int op_access(struct gofer_conn *c, const struct gofer_req *q) {
        if (q->flags & ~(uint32_t) (AT_EACCESS | AT_SYMLINK_NOFOLLOW))
                return -EINVAL;
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = q->flags & AT_SYMLINK_NOFOLLOW ? gofer_walk_nofollow(c->root_fd, q->path, &w)
                                               : gofer_walk_follow(c->root_fd, q->path, &w);
        if (r < 0)
                return r;
        /* AT_EACCESS: the check uses the thread's fs ids and capabilities,
         * which are the caller's (the Sentry sends the real ids for a plain
         * access(2)). */
        return ret_errno(syscall(SYS_faccessat2, w.dirfd, w.name, (int) q->mode, w.at_flags | AT_EACCESS));
}

static int op_readlink(struct gofer_conn *c, const struct gofer_req *q, struct gofer_out *out) {
        if (q->size == 0)
                return -EINVAL;
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = gofer_walk_nofollow(c->root_fd, q->path, &w);
        if (r < 0)
                return r;
        size_t size = q->size < PATH_MAX ? q->size : PATH_MAX;
        ssize_t n = readlinkat(w.dirfd, w.name, (char *) out->payload, size);
        if (n < 0)
                return -errno;
        out->len = (size_t) n;
        return (int) n;
}

static int op_mkdir(struct gofer_conn *c, const struct gofer_req *q) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = gofer_walk_parent(c->root_fd, q->path, &w);
        if (r < 0)
                return r;
        return ret_errno(mkdirat(w.dirfd, w.name, (mode_t) q->mode));
}

static int op_mknod(struct gofer_conn *c, const struct gofer_req *q) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = gofer_walk_parent(c->root_fd, q->path, &w);
        if (r < 0)
                return r;
        /* Devices need CAP_MKNOD in the caller's set (the thread's effective
         * set is the caller's) and pass the Gofer's devices cgroup. */
        return ret_errno(mknodat(w.dirfd, w.name, (mode_t) q->mode, (dev_t) q->dev));
}

static int op_unlink(struct gofer_conn *c, const struct gofer_req *q) {
        if (q->flags & ~(uint32_t) AT_REMOVEDIR)
                return -EINVAL;
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = gofer_walk_parent(c->root_fd, q->path, &w);
        if (r < 0)
                return r;
        if (w.last == GOFER_LAST_ROOT && (q->flags & AT_REMOVEDIR))
                return -EBUSY; /* rmdir("/"); "." would say EINVAL */
        return ret_errno(unlinkat(w.dirfd, w.name, (int) q->flags));
}

static int op_rename(struct gofer_conn *c, const struct gofer_req *q) {
        _cleanup_walk_ struct gofer_walk from = GOFER_WALK_INIT, to = GOFER_WALK_INIT;
        int r = gofer_walk_parent(c->root_fd, q->path, &from);
        if (r < 0)
                return r;
        if ((r = gofer_walk_parent(c->root_fd, q->path2, &to)) < 0)
                return r;
        return ret_errno(renameat2(from.dirfd, from.name, to.dirfd, to.name, q->flags));
}

static int op_link(struct gofer_conn *c, const struct gofer_req *q) {
        if (q->flags & ~(uint32_t) AT_SYMLINK_FOLLOW)
                return -EINVAL;
        _cleanup_walk_ struct gofer_walk from = GOFER_WALK_INIT, to = GOFER_WALK_INIT;
        /* linkat(AT_EMPTY_PATH) would need CAP_DAC_READ_SEARCH: name the
         * old file through its parent instead, final links followed by us. */
        int r = q->flags & AT_SYMLINK_FOLLOW ? gofer_walk_follow_named(c->root_fd, q->path, &from)
                                             : gofer_walk_nofollow(c->root_fd, q->path, &from);
        if (r < 0)
                return r;
        if ((r = gofer_walk_parent(c->root_fd, q->path2, &to)) < 0)
                return r;
        return ret_errno(linkat(from.dirfd, from.name, to.dirfd, to.name, 0));
}

static int op_symlink(struct gofer_conn *c, const struct gofer_req *q) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = gofer_walk_parent(c->root_fd, q->path, &w);
        if (r < 0)
                return r;
        /* The target is stored, not resolved: every later walk through it
         * is inside the root again. */
        return ret_errno(symlinkat(q->path2, w.dirfd, w.name));
}

static int walk_for(struct gofer_conn *c, const struct gofer_req *q, uint32_t allowed, struct gofer_walk *w) {
        if (q->flags & ~allowed)
                return -EINVAL;
        return q->flags & AT_SYMLINK_NOFOLLOW ? gofer_walk_nofollow(c->root_fd, q->path, w)
                                              : gofer_walk_follow(c->root_fd, q->path, w);
}

static int op_chmod(struct gofer_conn *c, const struct gofer_req *q) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = walk_for(c, q, AT_SYMLINK_NOFOLLOW, &w);
        if (r < 0)
                return r;
        return ret_errno(syscall(SYS_fchmodat2, w.dirfd, w.name, (mode_t) q->mode, w.at_flags));
}

static int op_chown(struct gofer_conn *c, const struct gofer_req *q) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = walk_for(c, q, AT_SYMLINK_NOFOLLOW, &w);
        if (r < 0)
                return r;
        return ret_errno(fchownat(w.dirfd, w.name, (uid_t) q->uid, (gid_t) q->gid, w.at_flags));
}

static int op_truncate(struct gofer_conn *c, const struct gofer_req *q) {
        if (q->length < 0)
                return -EINVAL;
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = gofer_walk_follow(c->root_fd, q->path, &w);
        if (r < 0)
                return r;
        /* truncate(2)'s type checks come before any open: opening a fifo or
         * a device for writing would block or have effects of its own. */
        struct stat st;
        if (fstat(w.dirfd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        /* There is no truncateat(); an O_PATH fd cannot be reopened without
         * /proc; opening the path again for writing performs the same
         * permission, read-only and busy-text checks as truncate. */
        _cleanup_close_ int fd = gofer_walk_open(c->root_fd, q->path, O_WRONLY | O_NONBLOCK | O_NOCTTY, 0, 0);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode)) /* swapped meanwhile */
                return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        return ret_errno(ftruncate(fd, (off_t) q->length));
}

static int op_utimens(struct gofer_conn *c, const struct gofer_req *q) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = walk_for(c, q, AT_SYMLINK_NOFOLLOW, &w);
        if (r < 0)
                return r;
        return ret_errno(utimensat(w.dirfd, w.name, q->has_times ? q->times : NULL, w.at_flags));
}

static int op_statfs(struct gofer_conn *c, const struct gofer_req *q, struct gofer_out *out) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = gofer_walk_follow(c->root_fd, q->path, &w);
        if (r < 0)
                return r;
        struct statfs sfs;
        if (fstatfs(w.dirfd, &sfs) < 0)
                return -errno;
        memcpy(out->payload, &sfs, sizeof sfs);
        out->len = sizeof sfs;
        return 0;
}

/* The *xattrat calls refuse O_PATH fds (EBADF): objects are named through
 * their parent, or as (dir, ".") for a directory. */
static int walk_xattr(struct gofer_conn *c, const struct gofer_req *q, struct gofer_walk *w) {
        if (q->flags & ~(uint32_t) AT_SYMLINK_NOFOLLOW)
                return -EINVAL;
        return q->flags & AT_SYMLINK_NOFOLLOW ? gofer_walk_nofollow(c->root_fd, q->path, w)
                                              : gofer_walk_follow_named(c->root_fd, q->path, w);
}

static int op_getxattr(struct gofer_conn *c, const struct gofer_req *q, struct gofer_out *out) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = walk_xattr(c, q, &w);
        if (r < 0)
                return r;
        uint32_t size = q->size < GOFER_XATTR_SIZE_MAX ? q->size : GOFER_XATTR_SIZE_MAX;
        struct gofer_xattr_args a = {.value = (uintptr_t) out->payload, .size = size};
        long n = syscall(SYS_getxattrat, w.dirfd, w.name, w.at_flags, q->name, &a, sizeof a);
        if (n < 0)
                return -errno;
        out->len = size ? (size_t) n : 0;
        return (int) n;
}

static int op_setxattr(struct gofer_conn *c, const struct gofer_req *q) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = walk_xattr(c, q, &w);
        if (r < 0)
                return r;
        struct gofer_xattr_args a = {.value = (uintptr_t) q->value, .size = q->value_len, .flags = q->xflags};
        return ret_errno(syscall(SYS_setxattrat, w.dirfd, w.name, w.at_flags, q->name, &a, sizeof a));
}

static int op_listxattr(struct gofer_conn *c, const struct gofer_req *q, struct gofer_out *out) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = walk_xattr(c, q, &w);
        if (r < 0)
                return r;
        uint32_t size = q->size < GOFER_XATTR_SIZE_MAX ? q->size : GOFER_XATTR_SIZE_MAX;
        long n = syscall(SYS_listxattrat, w.dirfd, w.name, w.at_flags, size ? (char *) out->payload : NULL,
                         (size_t) size);
        if (n < 0)
                return -errno;
        out->len = size ? (size_t) n : 0;
        return (int) n;
}

static int op_removexattr(struct gofer_conn *c, const struct gofer_req *q) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = walk_xattr(c, q, &w);
        if (r < 0)
                return r;
        return ret_errno(syscall(SYS_removexattrat, w.dirfd, w.name, w.at_flags, q->name));
}

/* bind()/connect() take a path and resolve it against the thread's root and
 * cwd: the cwd (this thread's own, see gofer_creds_init) becomes the
 * resolved parent, and the path just the last name. */
static int unix_addr(const char *name, struct sockaddr_un *sa, socklen_t *len) {
        size_t n = strlen(name);
        if (n >= sizeof sa->sun_path)
                return -ENAMETOOLONG;
        *sa = (struct sockaddr_un){.sun_family = AF_UNIX};
        memcpy(sa->sun_path, name, n + 1);
        *len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1);
        return 0;
}

/* Whether the container root is this process's "/" (gofer_enter_root made
 * it so; a Gofer serving a directory of the host, as the unit tests run it,
 * is not): only then does an absolute name resolve inside the container. */
static bool root_is_slash(int root_fd) {
        struct stat a, b;
        return fstat(root_fd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int op_unix_bind(struct gofer_conn *c, const struct gofer_req *q, int sock) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = gofer_walk_parent(c->root_fd, q->path, &w);
        if (r < 0)
                return r;
        /* The kernel keeps the name a socket was bound with, and
         * getsockname() (then a peer's getpeername(), and a connect() to
         * what getsockname said) uses it: the container path when it fits,
         * resolved from this thread's root, the container root (what the
         * walk checked; a parent swapped since can only lead to another
         * directory inside it).  Else the last name, from the walked parent. */
        bool whole = q->path[0] == '/' && strlen(q->path) < sizeof(((struct sockaddr_un *) 0)->sun_path) &&
                     root_is_slash(c->root_fd);
        struct sockaddr_un sa;
        socklen_t len;
        if ((r = unix_addr(whole ? q->path : w.name, &sa, &len)) < 0)
                return r;
        if (fchdir(whole ? c->root_fd : w.dirfd) < 0)
                return -errno;
        /* bind creates the name and never follows it. */
        r = ret_errno(bind(sock, (struct sockaddr *) &sa, len));
        /* Not pinning the directory (and its mount) as our cwd. */
        if (fchdir(c->root_fd) < 0 && r == 0)
                r = -errno;
        return r;
}

static int op_unix_connect(struct gofer_conn *c, const struct gofer_req *q, int sock) {
        _cleanup_walk_ struct gofer_walk w = GOFER_WALK_INIT;
        int r = gofer_walk_follow_named(c->root_fd, q->path, &w);
        if (r < 0)
                return r;
        struct sockaddr_un sa;
        socklen_t len;
        if ((r = unix_addr(w.name, &sa, &len)) < 0)
                return r;
        if (fchdir(w.dirfd) < 0)
                return -errno;
        /* connect() follows a final symlink itself, with the process's root
         * as "/": the name was checked not to be one, and a link renamed in
         * since can only reach what that root shows, which the Gofer's
         * pivot_root made the container root.  The connecting thread's
         * effective ids become the socket's peer credentials (SO_PEERCRED):
         * they must be the caller's, not root's. */
        r = gofer_creds_set_effective_ids(&c->creds, &q->cred);
        if (r == 0)
                r = ret_errno(connect(sock, (struct sockaddr *) &sa, len));
        int k = gofer_creds_restore(&c->creds);
        if (fchdir(c->root_fd) < 0 && r == 0)
                r = -errno;
        return r ?: k;
}

int gofer_do_op(struct gofer_conn *c, const struct gofer_req *q, int in_fd, struct gofer_out *out) {
        switch (q->op) {
        case GOFER_OP_OPEN:
                return op_open(c, q, out);
        case GOFER_OP_STATX:
                return op_statx(c, q, out);
        case GOFER_OP_ACCESS:
                return op_access(c, q);
        case GOFER_OP_READLINK:
                return op_readlink(c, q, out);
        case GOFER_OP_MKDIR:
                return op_mkdir(c, q);
        case GOFER_OP_MKNOD:
                return op_mknod(c, q);
        case GOFER_OP_UNLINK:
                return op_unlink(c, q);
        case GOFER_OP_RENAME:
                return op_rename(c, q);
        case GOFER_OP_LINK:
                return op_link(c, q);
        case GOFER_OP_SYMLINK:
                return op_symlink(c, q);
        case GOFER_OP_CHMOD:
                return op_chmod(c, q);
        case GOFER_OP_CHOWN:
                return op_chown(c, q);
        case GOFER_OP_TRUNCATE:
                return op_truncate(c, q);
        case GOFER_OP_UTIMENS:
                return op_utimens(c, q);
        case GOFER_OP_STATFS:
                return op_statfs(c, q, out);
        case GOFER_OP_GETXATTR:
                return op_getxattr(c, q, out);
        case GOFER_OP_SETXATTR:
                return op_setxattr(c, q);
        case GOFER_OP_LISTXATTR:
                return op_listxattr(c, q, out);
        case GOFER_OP_REMOVEXATTR:
                return op_removexattr(c, q);
        case GOFER_OP_UNIX_BIND:
                return op_unix_bind(c, q, in_fd);
        case GOFER_OP_UNIX_CONNECT:
                return op_unix_connect(c, q, in_fd);
        default:
                return -EINVAL;
        }
}
