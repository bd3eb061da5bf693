/* SPDX-License-Identifier: MIT */
/*
 * The Gofer (src/gofer/): every operation of client.h, compared with the
 * same system call made natively on an identical tree.
 *
 * Layout, under one temporary directory BASE that plays "the host":
 *   BASE/etc/passwd, BASE/outside   decoys a walk that escaped would reach
 *   BASE/A  served by a Gofer that pivot_root()ed into it (production set-up)
 *   BASE/C  served by a Gofer that did not: its process root is the host, so
 *           only the resolution code keeps paths inside
 *   BASE/B, BASE/D  identical twins of A and C, where the test makes each
 *           call natively (a forked child chroot()ed into the twin, with
 *           the same fsuid/fsgid/groups/capabilities/umask)
 * Each tree has a read-only bind mount (/ro), a tmpfs (/tmp) and proc
 * (/proc), mounted in the Gofer's own mount namespace and, for the twins, in
 * the test's private one: nothing reaches the host's mount table.
 *
 * Then: symlink races against the walk (a host file watched with inotify
 * must never be touched), a read-only root, a fifo blocking one connection
 * while another is served, malformed packets, and the statx round-trip
 * rate.  Needs root; skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "gofer/client.h"
#include "gofer/gofer.h"
#include "gofer/protocol.h"
#include "unit.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* ---- fixture ---------------------------------------------------------------------------- */

static char base[128];      /* BASE (realpath) */
static char base_rel[128];  /* BASE without its leading "/" */
static char tree[4][160];   /* A, B, C, D */
enum { TA, TB, TC, TD };

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void rm_rf(const char *path) {
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int put_file(const char *dir, const char *rel, const char *text, mode_t mode, uid_t uid, gid_t gid) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, rel);
        _cleanup_close_ int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text) || fchmod(fd, mode) < 0 ||
            fchown(fd, uid, gid) < 0)
                return -errno;
        return 0;
}

static int put_dir(const char *dir, const char *rel, mode_t mode, uid_t uid, gid_t gid) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, rel);
        if (mkdir(p, mode) < 0 || chmod(p, mode) < 0 || chown(p, uid, gid) < 0)
                return -errno;
        return 0;
}

static int put_link(const char *dir, const char *rel, const char *target) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, rel);
        return symlink(target, p) < 0 ? -errno : 0;
}

/* mkdir -p of BASE_REL under dir/race*, with the decoy at its end. */
static int put_race_decoy(const char *dir, const char *race) {
        char p[PATH_MAX];
        int n = snprintf(p, sizeof p, "%s/%s/", dir, race);
        for (const char *s = base_rel;; s++) {
                if (*s == '/' || !*s) {
                        p[n] = 0;
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        if (!*s)
                                break;
                }
                p[n++] = *s;
        }
        return put_file(p, "outside", "decoy-race\n", 0644, 0, 0);
}

static int make_tree(const char *t) {
        int r = 0;
#define DO(x)                                                                                      \
        do {                                                                                       \
                if ((r = (x)) < 0) {                                                               \
                        printf("FAIL fixture %s: %s: %s\n", t, #x, strerror(-r));                  \
                        return r;                                                                  \
                }                                                                                  \
        } while (0)
        if (mkdir(t, 0755) < 0 || chmod(t, 0755) < 0)
                return -errno;
        DO(put_dir(t, "etc", 0755, 0, 0));
        DO(put_file(t, "etc/passwd", "decoy\n", 0644, 0, 0));
        DO(put_file(t, "secret", "top secret\n", 0600, 0, 0));
        DO(put_file(t, "grpfile", "group\n", 0640, 0, 2000));
        DO(put_dir(t, "dir", 0755, 0, 0));
        DO(put_file(t, "dir/file", "hello\n", 0644, 0, 0));
        DO(put_dir(t, "dir/sub", 0755, 0, 0));
        DO(put_file(t, "dir/sub/deep", "deep\n", 0644, 0, 0));
        DO(put_dir(t, "pub", 01777, 0, 0));
        DO(put_file(t, "pub/rootfile", "root's\n", 0644, 0, 0));
        DO(put_dir(t, "udir", 0755, 1000, 1000));
        DO(put_dir(t, "priv", 0700, 0, 0));
        DO(put_file(t, "priv/f", "private\n", 0644, 0, 0));
        DO(put_dir(t, "ro", 0755, 0, 0));
        DO(put_file(t, "ro/f", "ro\n", 0644, 0, 0));
        DO(put_dir(t, "ro/d", 0755, 0, 0));
        DO(put_dir(t, "tmp", 01777, 0, 0));
        DO(put_dir(t, "proc", 0555, 0, 0));
        DO(put_link(t, "abs_root", "/"));
        DO(put_link(t, "up", "../../.."));
        DO(put_link(t, "updir", ".."));
        DO(put_link(t, "abs_passwd", "/etc/passwd"));
        DO(put_link(t, "dir/up3", "../../../../etc/passwd"));
        DO(put_link(t, "loop1", "loop2"));
        DO(put_link(t, "loop2", "loop1"));
        DO(put_link(t, "dangling", "/nonexistent"));
        DO(put_link(t, "dangling2", "/nonexistent2"));
        DO(put_link(t, "dirlink", "dir"));
        DO(put_link(t, "filelink", "dir/file"));
        DO(put_link(t, "proclink", "/proc/self/root"));
        DO(put_link(t, "lsocklink", "/abs_root/pub/lsock"));
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/fifo", t);
        if (mkfifo(p, 0644) < 0)
                return -errno;
        snprintf(p, sizeof p, "%s/dir/file", t);
        if (setxattr(p, "user.existing", "v1", 2, 0) < 0)
                return -errno;
        /* The race pair: "race" alternates between this directory and a
         * link to "/" (or far above it) while the Gofer walks through it. */
        DO(put_dir(t, "race", 0755, 0, 0));
        DO(put_race_decoy(t, "race"));
        DO(put_link(t, "race_link", "/"));
        DO(put_dir(t, "race2", 0755, 0, 0));
        DO(put_race_decoy(t, "race2"));
        DO(put_link(t, "race2_link", "../../../../../../../../../.."));
        return 0;
#undef DO
}

/* The read-only bind, the tmpfs and proc of a tree rooted at `root` ("" for
 * "/" after pivot_root). */
static int mount_extras(const char *root) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/ro", root);
        if (mount(p, p, NULL, MS_BIND, NULL) < 0 || mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                return -errno;
        snprintf(p, sizeof p, "%s/tmp", root);
        if (mount("tmpfs", p, "tmpfs", 0, "mode=1777") < 0)
                return -errno;
        int r = put_file(p, "x", "tmpfs\n", 0644, 0, 0);
        if (r < 0)
                return r;
        snprintf(p, sizeof p, "%s/proc", root);
        if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return -errno;
        return 0;
}

static int unix_listen_at(const char *t, const char *rel, mode_t mode) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", t, rel) >= (int) sizeof sa.sun_path)
                return -ENAMETOOLONG;
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0 || bind(s, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(s, 64) < 0 ||
            chmod(sa.sun_path, mode) < 0)
                return -errno;
        return s;
}

/* ---- credentials -------------------------------------------------------------------------- */

#define CAP(c) (1ULL << (c))
static const struct gofer_cred R = {.fsuid = 0, .fsgid = 0, .umask = 022, .cap_effective = ~0ULL};
static const struct gofer_cred U = {.fsuid = 1000, .fsgid = 1000, .umask = 022, .n_groups = 1, .groups = {1000}};
static const struct gofer_cred U77 = {.fsuid = 1000, .fsgid = 1000, .umask = 077, .n_groups = 1, .groups = {1000}};
static const struct gofer_cred UD = {.fsuid = 1000,
                                     .fsgid = 1000,
                                     .umask = 022,
                                     .n_groups = 1,
                                     .groups = {1000},
                                     .cap_effective = CAP(CAP_DAC_OVERRIDE)};
static const struct gofer_cred UM = {
        .fsuid = 1000, .fsgid = 1000, .umask = 022, .n_groups = 1, .groups = {1000}, .cap_effective = CAP(CAP_MKNOD)};
static const struct gofer_cred UC = {
        .fsuid = 1000, .fsgid = 1000, .umask = 022, .n_groups = 1, .groups = {1000}, .cap_effective = CAP(CAP_CHOWN)};
static const struct gofer_cred G = {.fsuid = 1001, .fsgid = 1001, .umask = 022, .n_groups = 2, .groups = {1001, 2000}};

/* What a native caller with `cr` is: a single-threaded child, so glibc's
 * wrappers are per-process and per-thread alike. */
static int native_creds(const struct gofer_cred *cr) {
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2];
        if (setgroups(cr->n_groups, cr->groups) < 0 || syscall(SYS_capget, &h, d) < 0)
                return -errno;
        setfsgid(cr->fsgid);
        setfsuid(cr->fsuid);
        d[0].effective = (uint32_t) cr->cap_effective & d[0].permitted;
        d[1].effective = (uint32_t) (cr->cap_effective >> 32) & d[1].permitted;
        if (syscall(SYS_capset, &h, d) < 0)
                return -errno;
        umask(cr->umask);
        return 0;
}

/* ---- one operation, two ways -------------------------------------------------------------- */

enum kind {
        K_OPEN = 1, K_STATX, K_ACCESS, K_READLINK, K_MKDIR, K_MKNOD, K_UNLINK, K_RENAME, K_LINK, K_SYMLINK,
        K_CHMOD, K_CHOWN, K_TRUNCATE, K_UTIMENS, K_STATFS, K_GETXATTR, K_SETXATTR, K_LISTXATTR, K_REMOVEXATTR,
        K_BIND, K_CONNECT,
};
static const char *const kind_names[] = {
        "", "open", "statx", "access", "readlink", "mkdir", "mknod", "unlink", "rename", "link", "symlink",
        "chmod", "chown", "truncate", "utimens", "statfs", "getxattr", "setxattr", "listxattr", "removexattr",
        "bind", "connect",
};

#define ANY INT_MIN                 /* no expectation: only gofer == native */
#define PERM(m) (0x100000 | (m))    /* expected permission bits afterwards */

struct op {
        enum kind k;
        const struct gofer_cred *cr;
        const char *path;
        const char *path2;  /* rename/link destination, symlink target, xattr name */
        int flags;
        unsigned mode;      /* mode, access mode, statx-less: size for readlink/xattr */
        uint64_t arg;       /* resolve (open), dev (mknod), length (truncate), uid<<32|gid (chown) */
        const char *value;  /* setxattr value */
        bool times;         /* utimens: explicit times (else now) */
        int want;           /* expected result, ANY for none */
        const char *want_data;
        int want_perm;      /* PERM(), checked on the post-op stat */
        int want_uid;       /* 1 + uid, checked on the post-op stat */
        const char *post;   /* path to lstat afterwards, both sides (default: per kind) */
        int line;
};

struct summary {
        bool valid;
        unsigned mode, uid, gid, nlink;
        long long size, mtime;
        long long fstype;
};

struct res {
        int r;
        struct summary s;
        size_t len;
        char data[PATH_MAX];
};

static const struct timespec fixed_times[2] = {{1000000, 5}, {2000000, 7}};

static void sum_statx(const struct statx *x, struct summary *s) {
        *s = (struct summary){.valid = true,
                              .mode = x->stx_mode,
                              .uid = x->stx_uid,
                              .gid = x->stx_gid,
                              .nlink = S_ISDIR(x->stx_mode) ? 0 : x->stx_nlink,
                              .size = S_ISREG(x->stx_mode) || S_ISLNK(x->stx_mode) ? (long long) x->stx_size : 0,
                              .mtime = S_ISDIR(x->stx_mode) ? 0 : x->stx_mtime.tv_sec};
}

static void describe_fd(int fd, int flags, struct res *res) {
        struct statx x = {0};
        if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &x) == 0)
                sum_statx(&x, &res->s);
        if (!(flags & O_PATH) && (flags & O_ACCMODE) != O_WRONLY && S_ISREG(x.stx_mode)) {
                ssize_t n = pread(fd, res->data, 64, 0);
                res->len = n > 0 ? (size_t) n : 0;
        }
}

static void run_gofer(struct gofer_client *c, const struct op *o, struct res *res) {
        memset(res, 0, sizeof *res);
        const struct gofer_cred *cr = o->cr;
        struct statx x;
        struct statfs sfs;
        int fd = -1, s;
        switch (o->k) {
        case K_OPEN:
                res->r = gofer_open(c, cr, o->path, o->flags, o->mode, o->arg, &fd);
                if (res->r == 0) {
                        describe_fd(fd, o->flags, res);
                        close(fd);
                }
                break;
        case K_STATX:
                res->r = gofer_statx(c, cr, o->path, o->flags, STATX_BASIC_STATS, &x);
                if (res->r == 0)
                        sum_statx(&x, &res->s);
                break;
        case K_ACCESS:
                res->r = gofer_access(c, cr, o->path, (int) o->mode, o->flags);
                break;
        case K_READLINK:
                res->r = gofer_readlink(c, cr, o->path, res->data, o->mode);
                res->len = res->r > 0 ? (size_t) res->r : 0;
                break;
        case K_MKDIR:
                res->r = gofer_mkdir(c, cr, o->path, o->mode);
                break;
        case K_MKNOD:
                res->r = gofer_mknod(c, cr, o->path, o->mode, (dev_t) o->arg);
                break;
        case K_UNLINK:
                res->r = gofer_unlink(c, cr, o->path, o->flags);
                break;
        case K_RENAME:
                res->r = gofer_rename(c, cr, o->path, o->path2, (unsigned) o->flags);
                break;
        case K_LINK:
                res->r = gofer_link(c, cr, o->path, o->path2, o->flags);
                break;
        case K_SYMLINK:
                res->r = gofer_symlink(c, cr, o->path2, o->path);
                break;
        case K_CHMOD:
                res->r = gofer_chmod(c, cr, o->path, o->mode, o->flags);
                break;
        case K_CHOWN:
                res->r = gofer_chown(c, cr, o->path, (uid_t) (o->arg >> 32), (gid_t) o->arg, o->flags);
                break;
        case K_TRUNCATE:
                res->r = gofer_truncate(c, cr, o->path, (off_t) o->arg);
                break;
        case K_UTIMENS:
                res->r = gofer_utimens(c, cr, o->path, o->times ? fixed_times : NULL, o->flags);
                break;
        case K_STATFS:
                res->r = gofer_statfs(c, cr, o->path, &sfs);
                if (res->r == 0)
                        res->s = (struct summary){.valid = true, .fstype = sfs.f_type};
                break;
        case K_GETXATTR:
                res->r = gofer_getxattr(c, cr, o->path, o->path2, res->data, o->mode, o->flags);
                res->len = res->r > 0 && o->mode ? (size_t) res->r : 0;
                break;
        case K_SETXATTR:
                res->r = gofer_setxattr(c, cr, o->path, o->path2, o->value, strlen(o->value), (int) o->mode,
                                        o->flags);
                break;
        case K_LISTXATTR:
                res->r = gofer_listxattr(c, cr, o->path, res->data, o->mode, o->flags);
                res->len = res->r > 0 && o->mode ? (size_t) res->r : 0;
                break;
        case K_REMOVEXATTR:
                res->r = gofer_removexattr(c, cr, o->path, o->path2, o->flags);
                break;
        case K_BIND:
        case K_CONNECT:
                s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                res->r = o->k == K_BIND ? gofer_unix_bind(c, cr, s, o->path) : gofer_unix_connect(c, cr, s, o->path);
                close(s);
                break;
        }
}

static int ret(long r) {
        return r < 0 ? -errno : (int) r;
}

static int native_op(const struct op *o, struct res *res) {
        const char *p = o->path;
        struct statx x;
        struct statfs sfs;
        int fd, s;
        switch (o->k) {
        case K_OPEN:
                if (o->arg) {
                        struct open_how how = {.flags = (uint64_t) o->flags | O_CLOEXEC,
                                               .mode = o->flags & O_CREAT ? o->mode : 0,
                                               .resolve = o->arg | RESOLVE_NO_MAGICLINKS};
                        fd = (int) syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof how);
                } else
                        fd = open(p, o->flags | O_CLOEXEC, o->mode);
                if (fd < 0)
                        return -errno;
                describe_fd(fd, o->flags, res);
                return 0;
        case K_STATX:
                if (statx(AT_FDCWD, p, o->flags, STATX_BASIC_STATS, &x) < 0)
                        return -errno;
                sum_statx(&x, &res->s);
                return 0;
        case K_ACCESS:
                return ret(syscall(SYS_faccessat2, AT_FDCWD, p, (int) o->mode, o->flags | AT_EACCESS));
        case K_READLINK:
                s = ret(readlink(p, res->data, o->mode));
                res->len = s > 0 ? (size_t) s : 0;
                return s;
        case K_MKDIR:
                return ret(mkdir(p, o->mode));
        case K_MKNOD:
                return ret(mknod(p, o->mode, (dev_t) o->arg));
        case K_UNLINK:
                return ret(unlinkat(AT_FDCWD, p, o->flags));
        case K_RENAME:
                return ret(renameat2(AT_FDCWD, p, AT_FDCWD, o->path2, (unsigned) o->flags));
        case K_LINK:
                return ret(linkat(AT_FDCWD, p, AT_FDCWD, o->path2, o->flags));
        case K_SYMLINK:
                return ret(symlink(o->path2, p));
        case K_CHMOD:
                return ret(syscall(SYS_fchmodat2, AT_FDCWD, p, o->mode, o->flags));
        case K_CHOWN:
                return ret(fchownat(AT_FDCWD, p, (uid_t) (o->arg >> 32), (gid_t) o->arg, o->flags));
        case K_TRUNCATE:
                return ret(truncate(p, (off_t) o->arg));
        case K_UTIMENS:
                return ret(utimensat(AT_FDCWD, p, o->times ? fixed_times : NULL, o->flags));
        case K_STATFS:
                if (statfs(p, &sfs) < 0)
                        return -errno;
                res->s = (struct summary){.valid = true, .fstype = sfs.f_type};
                return 0;
        case K_GETXATTR:
                s = ret(o->flags ? lgetxattr(p, o->path2, res->data, o->mode) : getxattr(p, o->path2, res->data, o->mode));
                res->len = s > 0 && o->mode ? (size_t) s : 0;
                return s;
        case K_SETXATTR:
                return ret(o->flags ? lsetxattr(p, o->path2, o->value, strlen(o->value), (int) o->mode)
                                    : setxattr(p, o->path2, o->value, strlen(o->value), (int) o->mode));
        case K_LISTXATTR:
                s = ret(o->flags ? llistxattr(p, res->data, o->mode) : listxattr(p, res->data, o->mode));
                res->len = s > 0 && o->mode ? (size_t) s : 0;
                return s;
        case K_REMOVEXATTR:
                return ret(o->flags ? lremovexattr(p, o->path2) : removexattr(p, o->path2));
        case K_BIND:
        case K_CONNECT: {
                struct sockaddr_un sa = {.sun_family = AF_UNIX};
                if (strlen(p) >= sizeof sa.sun_path)
                        return -ENAMETOOLONG;
                strcpy(sa.sun_path, p);
                s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                return ret(o->k == K_BIND ? bind(s, (struct sockaddr *) &sa, sizeof sa)
                                          : connect(s, (struct sockaddr *) &sa, sizeof sa));
        }
        }
        return -ENOSYS;
}

/* The op natively: a child chroot()ed into `root` with the op's
 * credentials; the result comes back through shared memory. */
static void run_native(const char *root, const struct op *o, struct res *shared, struct res *res) {
        memset(shared, 0, sizeof *shared);
        pid_t pid = fork();
        if (pid == 0) {
                int r = chroot(root) < 0 || chdir("/") < 0 ? -errno : native_creds(o->cr);
                if (r < 0) {
                        shared->r = INT_MIN + 1;
                        _exit(1);
                }
                shared->r = native_op(o, shared);
                _exit(0);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                shared->r = INT_MIN + 2;
        *res = *shared;
}

static const char *default_post(const struct op *o) {
        switch (o->k) {
        case K_OPEN:
                return o->flags & O_CREAT ? o->path : NULL;
        case K_MKDIR:
        case K_MKNOD:
        case K_SYMLINK:
        case K_CHMOD:
        case K_CHOWN:
        case K_TRUNCATE:
        case K_UTIMENS:
        case K_BIND:
        case K_UNLINK:
                return o->path;
        case K_RENAME:
        case K_LINK:
                return o->path2;
        default:
                return NULL;
        }
}

static void errstr(int r, char *buf, size_t len) {
        if (r < 0 && r > -4096)
                snprintf(buf, len, "%d %s", r, strerrorname_np(-r) ?: "?");
        else
                snprintf(buf, len, "%d", r);
}

static bool same_summary(const struct summary *a, const struct summary *b, bool mtime) {
        return a->valid == b->valid && a->mode == b->mode && a->uid == b->uid && a->gid == b->gid &&
               a->nlink == b->nlink && a->size == b->size && a->fstype == b->fstype && (!mtime || a->mtime == b->mtime);
}

#define OPFAIL(o, ...) unit_fail_(__FILE__, (o)->line, __VA_ARGS__)

static void check_op(struct gofer_client *c, const char *native_root, struct res *shared, const struct op *o) {
        struct res g, n;
        char ge[64], ne[64];
        run_gofer(c, o, &g);
        run_native(native_root, o, shared, &n);
        errstr(g.r, ge, sizeof ge);
        errstr(n.r, ne, sizeof ne);
        const char *what = kind_names[o->k];
        if (g.r != n.r)
                OPFAIL(o, "%s %s: gofer %s, native %s", what, o->path, ge, ne);
        else if (o->want != ANY && g.r != o->want) {
                char we[64];
                errstr(o->want, we, sizeof we);
                OPFAIL(o, "%s %s: %s (native too), expected %s", what, o->path, ge, we);
        } else if (!same_summary(&g.s, &n.s, false))
                OPFAIL(o, "%s %s: stat differs: gofer mode %o uid %u size %lld, native mode %o uid %u size %lld", what,
                       o->path, g.s.mode, g.s.uid, g.s.size, n.s.mode, n.s.uid, n.s.size);
        else if (g.len != n.len || memcmp(g.data, n.data, g.len) != 0)
                OPFAIL(o, "%s %s: data differs: gofer \"%.*s\", native \"%.*s\"", what, o->path, (int) g.len, g.data,
                       (int) n.len, n.data);
        else if (o->want_data && (g.len != strlen(o->want_data) || memcmp(g.data, o->want_data, g.len) != 0))
                OPFAIL(o, "%s %s: data \"%.*s\", expected \"%s\"", what, o->path, (int) g.len, g.data, o->want_data);
        else
                UNIT_PASS_();

        /* The state the op left behind, looked at as root on both sides. */
        const char *post = o->post ? o->post : default_post(o);
        if (!post || !*post)
                return;
        struct op st = {.k = K_STATX, .cr = &R, .path = post, .flags = AT_SYMLINK_NOFOLLOW, .line = o->line};
        run_gofer(c, &st, &g);
        run_native(native_root, &st, shared, &n);
        bool mtime = o->k == K_UTIMENS && o->times;
        if (g.r != n.r || !same_summary(&g.s, &n.s, mtime))
                OPFAIL(o, "after %s %s: lstat %s differs: gofer %d mode %o uid %u gid %u nlink %u size %lld, "
                          "native %d mode %o uid %u gid %u nlink %u size %lld",
                       what, o->path, post, g.r, g.s.mode, g.s.uid, g.s.gid, g.s.nlink, g.s.size, n.r, n.s.mode,
                       n.s.uid, n.s.gid, n.s.nlink, n.s.size);
        else if (o->want_perm && (g.s.mode & 07777) != (unsigned) (o->want_perm & 07777))
                OPFAIL(o, "after %s %s: mode %o, expected %o", what, o->path, g.s.mode & 07777, o->want_perm & 07777);
        else if (o->want_uid && (g.s.uid != (unsigned) o->want_uid - 1 || g.s.gid != (unsigned) o->want_uid - 1))
                OPFAIL(o, "after %s %s: owner %u:%u, expected %d", what, o->path, g.s.uid, g.s.gid, o->want_uid - 1);
        else if (mtime && g.s.mtime != fixed_times[1].tv_sec)
                OPFAIL(o, "after %s %s: mtime %lld", what, o->path, g.s.mtime);
        else
                UNIT_PASS_();
}

/* ---- the table ---------------------------------------------------------------------------- */

static char long_path[PATH_MAX + 64];  /* > PATH_MAX: ENAMETOOLONG before any walk */
static char max_path[PATH_MAX];        /* PATH_MAX - 1 bytes, valid */
static char long_name[300];            /* a 256-byte component */
static char long_xname[300];           /* a 256-byte xattr name */

static void make_long_paths(void) {
        size_t n = 0;
        long_path[n++] = '/';
        while (n < PATH_MAX + 8)
                n += (size_t) sprintf(long_path + n, "dir/../");
        const char *tail = "dir/file";
        n = 0;
        max_path[n++] = '/';
        while (n + strlen(tail) + 2 <= PATH_MAX - 1)
                n += (size_t) sprintf(max_path + n, "./");
        if (n + strlen(tail) < PATH_MAX - 1)
                max_path[n++] = '/';
        strcpy(max_path + n, tail);
        long_name[0] = '/';
        memset(long_name + 1, 'a', 256);
        memcpy(long_xname, "user.", 5);
        memset(long_xname + 5, 'x', 251);
}

#define L .line = __LINE__
#define NOFOL AT_SYMLINK_NOFOLLOW
#define UID(u) ((u) + 1)

static const struct op table[] = {
        /* resolution: absolute links, ".." above the root, decoys */
        {K_OPEN, &R, "/etc/passwd", .want_data = "decoy\n", L},
        {K_OPEN, &R, "/abs_passwd", .want_data = "decoy\n", L},
        {K_OPEN, &R, "/abs_root/etc/passwd", .want_data = "decoy\n", L},
        {K_OPEN, &R, "/abs_root/../../etc/passwd", .want_data = "decoy\n", L},
        {K_OPEN, &R, "/up/etc/passwd", .want_data = "decoy\n", L},
        {K_OPEN, &R, "/updir/updir/etc/passwd", .want_data = "decoy\n", L},
        {K_OPEN, &R, "/dir/up3", .want_data = "decoy\n", L},
        {K_OPEN, &R, "/../../../etc/passwd", .want_data = "decoy\n", L},
        {K_OPEN, &R, "/dir/sub/../../../../../etc/passwd", .want_data = "decoy\n", L},
        {K_OPEN, &R, "etc/passwd", .want_data = "decoy\n", L},
        {K_OPEN, &R, "//etc//./passwd", .want_data = "decoy\n", L},
        {K_OPEN, &R, max_path, .want_data = "hello\n", L},
        {K_OPEN, &R, long_path, .want = -ENAMETOOLONG, L},
        {K_OPEN, &R, long_name, .want = -ENAMETOOLONG, L},
        {K_OPEN, &R, "", .want = -ENOENT, L},
        {K_OPEN, &R, "/loop1", .want = -ELOOP, L},
        {K_OPEN, &R, "/dangling", .want = -ENOENT, L},
        {K_OPEN, &R, "/dangling2", .flags = O_CREAT | O_WRONLY, .mode = 0666, .post = "/nonexistent2",
         .want_perm = PERM(0644), L},
        {K_OPEN, &R, "/dir/file/", .want = -ENOTDIR, L},
        {K_OPEN, &R, "/dir/file/..", .want = -ENOTDIR, L},
        {K_OPEN, &R, "/dir", .flags = O_RDONLY | O_DIRECTORY, L},
        {K_OPEN, &R, "/dir/file", .flags = O_RDONLY | O_DIRECTORY, .want = -ENOTDIR, L},
        {K_OPEN, &R, "/dirlink", .flags = O_RDONLY | O_NOFOLLOW, .want = -ELOOP, L},
        {K_OPEN, &R, "/dirlink", .flags = O_PATH | O_NOFOLLOW, L},
        {K_OPEN, &R, "/dir/file", .flags = O_CREAT | O_EXCL | O_WRONLY, .mode = 0644, .want = -EEXIST, L},
        {K_OPEN, &R, "/proclink/etc/passwd", .arg = RESOLVE_NO_MAGICLINKS, .want = -ELOOP, L},
        {K_OPEN, &R, "/proc/self/root/etc/passwd", .arg = RESOLVE_NO_MAGICLINKS, .want = -ELOOP, L},
        {K_OPEN, &R, "/proc/self/cwd", .arg = RESOLVE_NO_MAGICLINKS, .want = -ELOOP, L},
        {K_OPEN, &R, "/proc/self/root", .flags = O_PATH, .arg = RESOLVE_NO_MAGICLINKS, .want = -ELOOP, L},
        {K_OPEN, &R, "/proc/self/fd/0", .arg = RESOLVE_NO_MAGICLINKS, .want = -ELOOP, L},
        {K_OPEN, &R, "/proc/self/exe", .arg = RESOLVE_NO_MAGICLINKS, .want = -ELOOP, L},
        {K_OPEN, &R, "/tmp/x", .want_data = "tmpfs\n", L},
        {K_OPEN, &R, "/tmp/x", .arg = RESOLVE_NO_XDEV, .want = -EXDEV, L},
        {K_OPEN, &R, "/abs_passwd", .arg = RESOLVE_NO_SYMLINKS, .want = -ELOOP, L},
        {K_OPEN, &R, "/fifo", .flags = O_RDONLY | O_NONBLOCK, L},
        {K_OPEN, &R, "/fifo", .flags = O_WRONLY | O_NONBLOCK, .want = -ENXIO, L},
        /* credentials */
        {K_OPEN, &U, "/secret", .want = -EACCES, L},
        {K_OPEN, &UD, "/secret", .want_data = "top secret\n", L},
        {K_OPEN, &U, "/priv/f", .want = -EACCES, L},
        {K_OPEN, &UD, "/priv/f", .want_data = "private\n", L},
        {K_OPEN, &G, "/grpfile", .want_data = "group\n", L},
        {K_OPEN, &U, "/grpfile", .want = -EACCES, L},
        {K_OPEN, &U, "/pub/ufile", .flags = O_CREAT | O_WRONLY, .mode = 0666, .want_perm = PERM(0644),
         .want_uid = UID(1000), L},
        {K_OPEN, &U77, "/pub/ufile77", .flags = O_CREAT | O_WRONLY, .mode = 0666, .want_perm = PERM(0600),
         .want_uid = UID(1000), L},
        {K_OPEN, &U, "/dir/x", .flags = O_CREAT | O_WRONLY, .mode = 0644, .want = -EACCES, L},
        {K_OPEN, &U, "/dir/file", .flags = O_WRONLY, .want = -EACCES, L},
        {K_OPEN, &R, "/udir/rootmade", .flags = O_CREAT | O_WRONLY, .mode = 0600, .want_uid = UID(0), L},
        /* read-only mount */
        {K_OPEN, &R, "/ro/f", .want_data = "ro\n", L},
        {K_OPEN, &R, "/ro/f", .flags = O_WRONLY, .want = -EROFS, L},
        {K_OPEN, &R, "/ro/new", .flags = O_CREAT | O_WRONLY, .mode = 0644, .want = -EROFS, L},

        /* statx: links followed or not, ".", "..", trailing slashes */
        {K_STATX, &R, "/dirlink", L},
        {K_STATX, &R, "/dirlink", .flags = NOFOL, L},
        {K_STATX, &R, "/dirlink/", .flags = NOFOL, L},
        {K_STATX, &R, "/", .flags = NOFOL, L},
        {K_STATX, &R, "/..", .flags = NOFOL, L},
        {K_STATX, &R, "/..", L},
        {K_STATX, &R, "/abs_root", L},
        {K_STATX, &R, "/abs_root/..", .flags = NOFOL, L},
        {K_STATX, &R, "/up", .flags = NOFOL, L},
        {K_STATX, &R, "/up", L},
        {K_STATX, &R, "/up/", .flags = NOFOL, L},
        {K_STATX, &R, "/updir/..", .flags = NOFOL, L},
        {K_STATX, &R, "/dir/..", .flags = NOFOL, L},
        {K_STATX, &R, "/dir/.", .flags = NOFOL, L},
        {K_STATX, &R, "/loop1", .want = -ELOOP, L},
        {K_STATX, &R, "/loop1", .flags = NOFOL, L},
        {K_STATX, &R, "/dangling", .want = -ENOENT, L},
        {K_STATX, &R, "/dangling", .flags = NOFOL, L},
        {K_STATX, &R, "/filelink/", .flags = NOFOL, .want = -ENOTDIR, L},
        {K_STATX, &U, "/priv/f", .want = -EACCES, L},
        {K_STATX, &U, "/priv/f", .flags = NOFOL, .want = -EACCES, L},
        {K_STATX, &R, "", .want = -ENOENT, L},
        {K_STATX, &R, long_name, .flags = NOFOL, .want = -ENAMETOOLONG, L},

        /* access (effective ids: AT_EACCESS on both sides) */
        {K_ACCESS, &U, "/secret", .mode = R_OK, .want = -EACCES, L},
        {K_ACCESS, &UD, "/secret", .mode = R_OK | W_OK, L},
        {K_ACCESS, &R, "/dir/file", .mode = X_OK, .want = -EACCES, L},
        {K_ACCESS, &R, "/dir", .mode = X_OK, L},
        {K_ACCESS, &R, "/ro/f", .mode = W_OK, .want = -EROFS, L},
        {K_ACCESS, &R, "/nonexist", .mode = F_OK, .want = -ENOENT, L},
        {K_ACCESS, &R, "/dangling", .mode = F_OK, .want = -ENOENT, L},
        {K_ACCESS, &R, "/dangling", .mode = F_OK, .flags = NOFOL, L},
        {K_ACCESS, &G, "/grpfile", .mode = R_OK, L},
        {K_ACCESS, &U, "/grpfile", .mode = R_OK, .want = -EACCES, L},
        {K_ACCESS, &U, "/udir", .mode = W_OK, L},
        {K_ACCESS, &U, "/dir/..", .mode = W_OK, .want = -EACCES, L},

        /* readlink */
        {K_READLINK, &R, "/abs_root", .mode = 4096, .want = 1, .want_data = "/", L},
        {K_READLINK, &R, "/abs_passwd", .mode = 4, .want = 4, .want_data = "/etc", L},
        {K_READLINK, &R, "/abs_root/abs_passwd", .mode = 100, .want = 11, .want_data = "/etc/passwd", L},
        {K_READLINK, &R, "/dirlink/", .mode = 100, .want = -EINVAL, L},
        {K_READLINK, &R, "/dir/file", .mode = 100, .want = -EINVAL, L},
        {K_READLINK, &R, "/", .mode = 100, .want = -EINVAL, L},
        {K_READLINK, &R, "/..", .mode = 100, .want = -EINVAL, L},
        {K_READLINK, &R, "/nonexist", .mode = 100, .want = -ENOENT, L},
        {K_READLINK, &R, "/dir/up3", .mode = 0, .want = -EINVAL, L},

        /* mkdir */
        {K_MKDIR, &R, "/newdir", .mode = 0777, .want_perm = PERM(0755), L},
        {K_MKDIR, &R, "/newdir", .mode = 0777, .want = -EEXIST, L},
        {K_MKDIR, &R, "/newdir2/", .mode = 0700, .want_perm = PERM(0700), L},
        {K_MKDIR, &R, "/dir/..", .mode = 0777, .want = -EEXIST, L},
        {K_MKDIR, &R, "/.", .mode = 0777, .want = -EEXIST, L},
        {K_MKDIR, &R, "/", .mode = 0777, .want = -EEXIST, L},
        {K_MKDIR, &R, "/dangling", .mode = 0777, .want = -EEXIST, L},
        {K_MKDIR, &R, "/nonexist/a", .mode = 0777, .want = -ENOENT, L},
        {K_MKDIR, &R, "/dir/file/x", .mode = 0777, .want = -ENOTDIR, L},
        {K_MKDIR, &R, "/ro/d2", .mode = 0777, .want = -EROFS, L},
        {K_MKDIR, &U, "/dir/ud", .mode = 0777, .want = -EACCES, L},
        {K_MKDIR, &U, "/pub/ud", .mode = 0777, .want_perm = PERM(0755), .want_uid = UID(1000), L},
        {K_MKDIR, &U77, "/pub/ud77", .mode = 0777, .want_perm = PERM(0700), .want_uid = UID(1000), L},
        {K_MKDIR, &R, "/abs_root/viaabs", .mode = 0755, .post = "/viaabs", L},
        {K_MKDIR, &R, "/up/viaup", .mode = 0755, .post = "/viaup", L},
        {K_MKDIR, &R, "/up/..", .mode = 0755, .want = -EEXIST, L},
        {K_MKDIR, &R, long_name, .mode = 0755, .want = -ENAMETOOLONG, L},

        /* mknod */
        {K_MKNOD, &R, "/pub/fifo2", .mode = S_IFIFO | 0666, .want_perm = PERM(0644), L},
        {K_MKNOD, &R, "/pub/sock2", .mode = S_IFSOCK | 0600, L},
        {K_MKNOD, &R, "/pub/reg", .mode = S_IFREG | 0644, L},
        {K_MKNOD, &R, "/pub/reg0", .mode = 0, L},
        {K_MKNOD, &U, "/pub/cdev", .mode = S_IFCHR | 0600, .arg = 0x103, .want = -EPERM, L},
        {K_MKNOD, &UM, "/pub/cdevu", .mode = S_IFCHR | 0600, .arg = 0x103, .want = ANY, L},
        {K_MKNOD, &R, "/pub/cdevr", .mode = S_IFCHR | 0600, .arg = 0x103, .want = ANY, L},
        {K_MKNOD, &R, "/ro/n", .mode = S_IFIFO | 0600, .want = -EROFS, L},
        {K_MKNOD, &R, "/pub/dirnode", .mode = S_IFDIR | 0600, .want = ANY, L},

        /* unlink, rmdir */
        {K_UNLINK, &R, "/dir", .want = -EISDIR, L},
        {K_UNLINK, &R, "/dir/..", .want = -EISDIR, L},
        {K_UNLINK, &R, "/", .want = -EISDIR, L},
        {K_UNLINK, &R, "/filelink/", .want = -ENOTDIR, L},
        {K_UNLINK, &R, "/dir/sub", .flags = AT_REMOVEDIR, .want = -ENOTEMPTY, L},
        {K_UNLINK, &R, "/newdir/..", .flags = AT_REMOVEDIR, .want = -ENOTEMPTY, L},
        {K_UNLINK, &R, "/newdir/.", .flags = AT_REMOVEDIR, .want = -EINVAL, L},
        {K_UNLINK, &R, "/..", .flags = AT_REMOVEDIR, .want = -ENOTEMPTY, L},
        {K_UNLINK, &R, "/", .flags = AT_REMOVEDIR, .want = -EBUSY, L},
        {K_UNLINK, &R, "/dirlink", .flags = AT_REMOVEDIR, .want = -ENOTDIR, L},
        {K_UNLINK, &R, "/dirlink/", .flags = AT_REMOVEDIR, .want = -ENOTDIR, L},
        {K_UNLINK, &R, "/newdir2/", .flags = AT_REMOVEDIR, L},
        {K_UNLINK, &U, "/pub/rootfile", .want = -EPERM, L},
        {K_UNLINK, &U, "/pub/ufile", L},
        {K_UNLINK, &R, "/ro/f", .want = -EROFS, L},
        {K_UNLINK, &R, "/ro/d", .flags = AT_REMOVEDIR, .want = -EROFS, L},
        {K_UNLINK, &R, "/nonexist", .want = -ENOENT, L},
        {K_UNLINK, &R, "/abs_root/pub/reg", .post = "/pub/reg", L},
        {K_UNLINK, &R, "", .want = -ENOENT, L},

        /* rename */
        {K_RENAME, &R, "/pub/reg0", "/pub/reg0b", L},
        {K_RENAME, &R, "/pub/reg0b", "/pub/fifo2", .flags = RENAME_NOREPLACE, .want = -EEXIST, L},
        {K_RENAME, &R, "/pub/reg0b", "/pub/fifo2", .flags = RENAME_EXCHANGE, L},
        {K_RENAME, &R, "/", "/x", .want = -EBUSY, L},
        {K_RENAME, &R, "/dir/..", "/x", .want = -EBUSY, L},
        {K_RENAME, &R, "/pub/reg0b", "/", .flags = RENAME_NOREPLACE, .want = -EEXIST, L},
        {K_RENAME, &R, "/pub/reg0b", "/dir/..", .want = -EBUSY, L},
        {K_RENAME, &R, "/tmp/x", "/tmpx", .want = -EXDEV, .post = "/tmpx", L},
        {K_RENAME, &R, "/pub/reg0b", "/ro/x", .want = ANY, .post = "/ro/x", L},
        {K_RENAME, &R, "/dir", "/dir/sub/dd", .want = -EINVAL, L},
        {K_RENAME, &R, "/dirlink/", "/dl2", .want = -ENOTDIR, L},
        {K_RENAME, &U, "/pub/rootfile", "/pub/mine", .want = -EPERM, L},
        {K_RENAME, &R, "/abs_root/pub/reg0b", "/up/pub/reg0c", L},
        {K_RENAME, &R, "/nonexist", "/pub/zz", .want = -ENOENT, L},

        /* link */
        {K_LINK, &R, "/dir/file", "/dir/hard", L},
        {K_LINK, &R, "/filelink", "/hl_nofollow", L},
        {K_LINK, &R, "/filelink", "/hl_follow", .flags = AT_SYMLINK_FOLLOW, L},
        {K_LINK, &R, "/abs_passwd", "/hl_passwd", .flags = AT_SYMLINK_FOLLOW, L},
        {K_LINK, &R, "/dir/up3", "/hl_up3", .flags = AT_SYMLINK_FOLLOW, L},
        {K_LINK, &R, "/dir", "/dirhard", .want = -EPERM, L},
        {K_LINK, &R, "/dirlink", "/dirhard2", .flags = AT_SYMLINK_FOLLOW, .want = -EPERM, L},
        {K_LINK, &R, "/dir/..", "/dirhard3", .want = -EPERM, L},
        {K_LINK, &R, "/dir/..", "/dir/file", .want = -EEXIST, L},
        {K_LINK, &R, "/tmp/x", "/tmpxlink", .want = -EXDEV, L},
        {K_LINK, &R, "/filelink/", "/x", .want = -ENOTDIR, L},
        {K_LINK, &R, "/loop1", "/x", .flags = AT_SYMLINK_FOLLOW, .want = -ELOOP, L},
        {K_LINK, &R, "/dangling", "/x", .flags = AT_SYMLINK_FOLLOW, .want = -ENOENT, L},
        {K_LINK, &R, "/dangling", "/hl_dangling", L},
        {K_LINK, &R, "/dir/file", "/ro/h", .want = -EROFS, L}, /* the new parent's mount is asked first */
        {K_LINK, &U, "/dir/file", "/dir/uh", .want = ANY, L}, /* EPERM with protected_hardlinks */

        /* symlink */
        {K_SYMLINK, &R, "/newlink", "/etc/passwd", L},
        {K_SYMLINK, &R, "/newlink", "/x", .want = -EEXIST, L},
        {K_SYMLINK, &R, "/ro/l", "x", .want = -EROFS, L},
        {K_SYMLINK, &R, "/emptyl", "", .want = -ENOENT, L},
        {K_SYMLINK, &U, "/dir/ul", "x", .want = -EACCES, L},
        {K_SYMLINK, &U, "/pub/ul", "x", .want_uid = UID(1000), L},
        {K_SYMLINK, &R, "/dir/..", "x", .want = -EEXIST, L},
        {K_SYMLINK, &R, "/abs_root/up/viasym", "/etc", .post = "/viasym", L},

        /* chmod */
        {K_CHMOD, &R, "/dir/file", .mode = 0600, .want_perm = PERM(0600), L},
        {K_CHMOD, &R, "/filelink", .mode = 0640, .post = "/dir/file", .want_perm = PERM(0640), L},
        {K_CHMOD, &R, "/filelink", .mode = 0600, .flags = NOFOL, .want = -EOPNOTSUPP, L},
        {K_CHMOD, &U, "/dir/file", .mode = 0777, .want = -EPERM, L},
        {K_CHMOD, &R, "/ro/f", .mode = 0600, .want = -EROFS, L},
        {K_CHMOD, &R, "/dir/..", .mode = 0755, .flags = NOFOL, .post = "/", L},
        {K_CHMOD, &R, "/abs_root", .mode = 0755, .post = "/", L},
        {K_CHMOD, &U, "/pub/ud", .mode = 0750, .want_perm = PERM(0750), L},
        {K_CHMOD, &U, "/pub/ud/", .mode = 0751, .flags = NOFOL, .want_perm = PERM(0751), L},
        {K_CHMOD, &R, "/dirlink/", .mode = 0711, .flags = NOFOL, .post = "/dir", .want_perm = PERM(0711), L},
        {K_CHMOD, &R, "/dir", .mode = 0755, L},

        /* chown */
        {K_CHOWN, &R, "/dir/file", .arg = 1000ULL << 32 | 1000, .want_uid = UID(1000), L},
        {K_CHOWN, &U, "/dir/file", .arg = 0, .want = -EPERM, L},
        {K_CHOWN, &UC, "/dir/file", .arg = 1001ULL << 32 | (uint32_t) -1, L},
        {K_CHOWN, &R, "/filelink", .arg = 2000ULL << 32 | 2000, .flags = NOFOL, L},
        {K_CHOWN, &R, "/ro/f", .arg = 0, .want = -EROFS, L},
        {K_CHOWN, &R, "/dir/file", .arg = 0, .want_uid = UID(0), L},

        /* truncate */
        {K_TRUNCATE, &R, "/dir/file", .arg = 3, L},
        {K_TRUNCATE, &R, "/filelink", .arg = 2, .post = "/dir/file", L},
        {K_TRUNCATE, &R, "/dir", .want = -EISDIR, L},
        {K_TRUNCATE, &R, "/fifo", .want = -EINVAL, L},
        {K_TRUNCATE, &U, "/secret", .want = -EACCES, L},
        {K_TRUNCATE, &R, "/ro/f", .want = -EROFS, L},
        {K_TRUNCATE, &R, "/dir/file", .arg = (uint64_t) -1, .want = -EINVAL, L},
        {K_TRUNCATE, &R, "/nonexist", .want = -ENOENT, L},
        {K_TRUNCATE, &R, "/pub/sock2", .want = -EINVAL, L},

        /* utimensat */
        {K_UTIMENS, &R, "/dir/file", .times = true, L},
        {K_UTIMENS, &R, "/filelink", .times = true, .flags = NOFOL, L},
        {K_UTIMENS, &R, "/abs_passwd", .times = true, .post = "/etc/passwd", L},
        {K_UTIMENS, &U, "/dir/file", .times = true, .want = -EPERM, L},
        {K_UTIMENS, &U, "/dir/file", .want = -EACCES, .post = "", L},
        {K_UTIMENS, &U, "/pub/ud", .post = "", L},
        {K_UTIMENS, &R, "/ro/f", .want = -EROFS, .post = "", L},
        {K_UTIMENS, &R, "/dangling", .want = -ENOENT, .post = "", L},

        /* statfs */
        {K_STATFS, &R, "/", L},
        {K_STATFS, &R, "/tmp", L},
        {K_STATFS, &R, "/proc", L},
        {K_STATFS, &R, "/abs_root/tmp/x", L},
        {K_STATFS, &R, "/nonexist", .want = -ENOENT, L},
        {K_STATFS, &U, "/priv/f", .want = -EACCES, L},

        /* xattrs */
        {K_GETXATTR, &R, "/dir/file", "user.existing", .mode = 64, .want = 2, .want_data = "v1", L},
        {K_GETXATTR, &R, "/dir/file", "user.existing", .mode = 0, .want = 2, L},
        {K_GETXATTR, &R, "/dir/file", "user.existing", .mode = 1, .want = -ERANGE, L},
        {K_GETXATTR, &R, "/dir/file", "user.none", .mode = 64, .want = -ENODATA, L},
        {K_GETXATTR, &R, "/filelink", "user.existing", .mode = 64, .want = 2, L},
        {K_GETXATTR, &R, "/filelink", "user.existing", .mode = 64, .flags = NOFOL, .want = -ENODATA, L},
        {K_GETXATTR, &R, "/abs_root/dir/file", "user.existing", .mode = 64, .want = 2, L},
        {K_GETXATTR, &R, "/dir/..", "user.existing", .mode = 64, .want = -ENODATA, L},
        {K_GETXATTR, &R, "/dir/file", "", .mode = 64, .want = -ERANGE, L},
        {K_GETXATTR, &R, "/dir/file", long_xname, .mode = 64, .want = -ERANGE, L},
        {K_SETXATTR, &R, "/dir/file", "user.new", .value = "val", L},
        {K_SETXATTR, &R, "/dir/file", "user.new", .value = "x", .mode = XATTR_CREATE, .want = -EEXIST, L},
        {K_SETXATTR, &R, "/dir/file", "user.nope", .value = "x", .mode = XATTR_REPLACE, .want = -ENODATA, L},
        {K_SETXATTR, &R, "/filelink", "user.l", .value = "x", .flags = NOFOL, .want = -EPERM, L},
        {K_SETXATTR, &R, "/ro/f", "user.x", .value = "x", .want = -EROFS, L},
        {K_SETXATTR, &U, "/dir/file", "user.u", .value = "x", .want = -EACCES, L},
        {K_SETXATTR, &R, "/dir/", "user.d", .value = "dv", L},
        {K_SETXATTR, &R, "/dirlink", "user.dl", .value = "viadirlink", L},
        {K_SETXATTR, &R, "/abs_passwd", "user.pw", .value = "pw", L},
        {K_GETXATTR, &R, "/dir", "user.d", .mode = 64, .want = 2, .want_data = "dv", L},
        {K_GETXATTR, &R, "/dir/.", "user.dl", .mode = 64, .flags = NOFOL, .want = 10, L},
        {K_GETXATTR, &R, "/etc/passwd", "user.pw", .mode = 64, .flags = NOFOL, .want = 2, L},
        {K_LISTXATTR, &R, "/dir/file", .mode = 256, .want = ANY, L},
        {K_LISTXATTR, &R, "/dir/file", .mode = 0, .want = ANY, L},
        {K_LISTXATTR, &R, "/dir/file", .mode = 1, .want = -ERANGE, L},
        {K_LISTXATTR, &R, "/filelink", .mode = 256, .flags = NOFOL, .want = 0, L},
        {K_REMOVEXATTR, &R, "/dir/file", "user.new", L},
        {K_REMOVEXATTR, &R, "/dir/file", "user.new", .want = -ENODATA, L},
        {K_REMOVEXATTR, &R, "/ro/f", "user.x", .want = -EROFS, L},
        {K_REMOVEXATTR, &R, "/abs_passwd", "user.pw", L},

        /* unix sockets (BASE/X/pub/lsock listens; /pub/lpriv is 0600 root) */
        {K_BIND, &R, "/pub/s1", L},
        {K_BIND, &R, "/pub/s1", .want = -EADDRINUSE, L},
        {K_BIND, &R, "/ro/s", .want = -EROFS, .post = "", L},
        {K_BIND, &U, "/dir/us", .want = -EACCES, .post = "", L},
        {K_BIND, &U77, "/pub/us77", .want_perm = PERM(0700), .want_uid = UID(1000), L},
        {K_BIND, &R, "/abs_root/pub/s2", .post = "/pub/s2", L},
        {K_BIND, &R, "/nonexist/s", .want = -ENOENT, .post = "", L},
        {K_BIND, &R, "/", .want = -EADDRINUSE, .post = "", L},
        {K_CONNECT, &R, "/pub/lsock", L},
        {K_CONNECT, &R, "/abs_root/pub/lsock", L},
        {K_CONNECT, &R, "/lsocklink", L},
        {K_CONNECT, &U, "/pub/lsock", L},
        {K_CONNECT, &U, "/pub/lpriv", .want = -EACCES, L},
        {K_CONNECT, &R, "/pub/s1", .want = -ECONNREFUSED, L},
        {K_CONNECT, &R, "/dir/file", .want = -ECONNREFUSED, L},
        {K_CONNECT, &R, "/dir", .want = -ECONNREFUSED, L},
        {K_CONNECT, &R, "/nonexist", .want = -ENOENT, L},
        {K_CONNECT, &R, "/loop1", .want = -ELOOP, L},
};

static void test_table(struct gofer_client *c, const char *native_root, struct res *shared) {
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                check_op(c, native_root, shared, &table[i]);
}

/* ---- Gofer processes ---------------------------------------------------------------------- */

struct gofer_proc {
        pid_t pid;
        int ctl;
};

enum gofer_mode {
        GOFER_PIVOT,      /* gofer_enter_root + gofer_serve, as the sandbox runs it */
        GOFER_PIVOT_RO,   /* the same with the root remounted read-only */
        GOFER_NO_PIVOT,   /* gofer_serve_root on the tree, process root = host */
};

static int start_gofer(const char *t, enum gofer_mode mode, struct gofer_proc *g) {
        int sv[2], ready[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(ready, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* Nothing of the test's: another Gofer's control socket
                 * held here would keep that Gofer from ever seeing EOF. */
                for (int fd = 3; fd < 1024; fd++)
                        if (fd != sv[1] && fd != ready[1])
                                close(fd);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                int r = 0;
                if (mode == GOFER_NO_PIVOT) {
                        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                                r = -errno;
                        if (r == 0)
                                r = mount_extras(t);
                } else {
                        r = gofer_enter_root(t);
                        if (r == 0)
                                r = mount_extras("");
                        if (r == 0 && mode == GOFER_PIVOT_RO &&
                            mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                                r = -errno;
                }
                if (write(ready[1], &r, sizeof r) != sizeof r || r < 0)
                        _exit(1);
                close(ready[1]);
                if (mode == GOFER_NO_PIVOT) {
                        int root = open(t, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        r = root < 0 ? -errno : gofer_serve_root(sv[1], root);
                } else
                        r = gofer_serve(sv[1]);
                _exit(r < 0 ? 1 : 0);
        }
        close(sv[1]);
        close(ready[1]);
        int r = -EIO;
        if (read(ready[0], &r, sizeof r) != sizeof r)
                r = -EIO;
        close(ready[0]);
        g->pid = pid;
        g->ctl = sv[0];
        return r;
}

/* EOF on the control socket ends gofer_serve() with 0. */
static void stop_gofer(struct gofer_proc *g) {
        close(g->ctl);
        int status = -1;
        waitpid(g->pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- escapes: races on the walk, watched from the host ------------------------------------ */

static int watch_host(void) {
        int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/etc", base);
        if (in < 0 || inotify_add_watch(in, base, IN_ALL_EVENTS) < 0 || inotify_add_watch(in, p, IN_ALL_EVENTS) < 0)
                return -1;
        return in;
}

/* Every event on BASE's own files (not on the trees A-D, which are
 * container roots) means something got out. */
static void check_host_untouched(int in) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        int bad = 0;
        for (;;) {
                ssize_t n = read(in, buf, sizeof buf);
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *e = (struct inotify_event *) p;
                        bool tree_root = e->len && strlen(e->name) == 1 && e->name[0] >= 'A' && e->name[0] <= 'D';
                        if (!tree_root) {
                                printf("FAIL host file touched: %s mask %#x\n", e->len ? e->name : "(dir)", e->mask);
                                bad++;
                        }
                        p += sizeof *e + e->len;
                }
        }
        CHECK_INT_EQ(bad, 0);
}

struct swapper {
        int dirfd;
        const char *a, *b;
        atomic_bool stop;
        long swaps;
};

static void *swap_main(void *arg) {
        struct swapper *s = arg;
        while (!atomic_load(&s->stop))
                if (renameat2(s->dirfd, s->a, s->dirfd, s->b, RENAME_EXCHANGE) == 0)
                        s->swaps++;
        return NULL;
}

static void race(struct gofer_client *c, const char *t, const char *dir, const char *link, int iterations) {
        char p[PATH_MAX], path[PATH_MAX];
        snprintf(p, sizeof p, "%s/outside", base);
        struct stat marker;
        CHECK(stat(p, &marker) == 0);
        snprintf(path, sizeof path, "/%s/%s/outside", dir, base_rel);

        struct swapper s = {.dirfd = open(t, O_PATH | O_DIRECTORY | O_CLOEXEC), .a = dir, .b = link};
        pthread_t tid;
        CHECK(s.dirfd >= 0 && pthread_create(&tid, NULL, swap_main, &s) == 0);
        int ok = 0, missing = 0, other = 0, escaped = 0, wrong = 0;
        for (int i = 0; i < iterations; i++) {
                int fd = -1;
                int r = gofer_open(c, &R, path, O_RDONLY, 0, 0, &fd);
                if (r == 0) {
                        struct stat st;
                        char buf[32] = "";
                        if (fstat(fd, &st) == 0 && st.st_dev == marker.st_dev && st.st_ino == marker.st_ino)
                                escaped++;
                        else if (pread(fd, buf, sizeof buf - 1, 0) != 11 || strcmp(buf, "decoy-race\n") != 0)
                                wrong++;
                        else
                                ok++;
                        close(fd);
                } else if (r == -ENOENT)
                        missing++;
                else
                        other++;
                /* Last-component calls through the same racing parent: a
                 * chmod, a truncate, an xattr and a hard link that reached
                 * the host file would show in its inode or in inotify. */
                gofer_chmod(c, &R, path, 0644, 0);
                gofer_truncate(c, &R, path, 11);
                gofer_setxattr(c, &R, path, "user.race", "x", 1, 0, 0);
                if (gofer_link(c, &R, path, "/racehl", AT_SYMLINK_FOLLOW) == 0) {
                        struct statx x;
                        if (gofer_statx(c, &R, "/racehl", AT_SYMLINK_NOFOLLOW, STATX_INO, &x) == 0 &&
                            x.stx_ino == marker.st_ino)
                                escaped++;
                        gofer_unlink(c, &R, "/racehl", 0);
                }
        }
        atomic_store(&s.stop, true);
        pthread_join(tid, NULL);
        /* Leave the pair as it was found. */
        struct stat st;
        if (fstatat(s.dirfd, dir, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                renameat2(s.dirfd, dir, s.dirfd, link, RENAME_EXCHANGE);
        close(s.dirfd);
        printf("# race %s/%s: %d opens inside, %d ENOENT, %d other, %ld swaps\n", t + strlen(base), dir, ok, missing,
               other, s.swaps);
        CHECK_INT_EQ(escaped, 0);
        CHECK_INT_EQ(wrong, 0);
        CHECK_INT_EQ(other, 0);
        CHECK(ok > 0);
        CHECK(missing > 0);
        struct stat after;
        CHECK(stat(p, &after) == 0 && after.st_mode == marker.st_mode && after.st_size == marker.st_size &&
              after.st_nlink == 1);
}

static void test_escapes(struct gofer_client *c, const char *t) {
        race(c, t, "race", "race_link", 2000);
        race(c, t, "race2", "race2_link", 2000);
        /* A host path spelled out is just a container path. */
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/outside", base);
        int fd = -1;
        CHECK_ERR(gofer_open(c, &R, p, O_RDONLY, 0, 0, &fd), -ENOENT);
        CHECK_ERR(gofer_open(c, &R, "/../etc/passwd", O_RDONLY, 0, 0, &fd), 0);
        char buf[16] = "";
        CHECK(fd >= 0 && read(fd, buf, sizeof buf - 1) == 6 && strcmp(buf, "decoy\n") == 0);
        if (fd >= 0)
                close(fd);
}

/* ---- credentials seen by a peer ----------------------------------------------------------- */

static void test_peer_creds(struct gofer_client *c, int listener) {
        _cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK_OK(gofer_unix_connect(c, &G, s, "/pub/lpeer"));
        _cleanup_close_ int peer = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        struct ucred uc = {0};
        socklen_t len = sizeof uc;
        CHECK(peer >= 0 && getsockopt(peer, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0);
        CHECK_INT_EQ(uc.uid, 1001);
        CHECK_INT_EQ(uc.gid, 1001);
        gid_t groups[8];
        len = sizeof groups;
        CHECK(getsockopt(peer, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0);
        CHECK_INT_EQ(len, 2 * sizeof(gid_t));
        CHECK(groups[0] == 1001 && groups[1] == 2000);
        /* ... and the thread is root again for the next caller. */
        struct statx x;
        CHECK_OK(gofer_statx(c, &R, "/secret", 0, STATX_BASIC_STATS, &x));
        int fd = -1;
        CHECK_OK(gofer_open(c, &R, "/secret", O_RDONLY, 0, 0, &fd));
        if (fd >= 0)
                close(fd);
}

/* A file created by one caller, then one by another on the same thread:
 * the cached credentials must not leak from one to the next. */
static void test_creds_switching(struct gofer_client *c) {
        struct statx x;
        for (int i = 0; i < 3; i++) {
                const struct gofer_cred *cr = i == 1 ? &U : i == 2 ? &UD : &R;
                char p[64];
                snprintf(p, sizeof p, "/pub/sw%d", i);
                int fd = -1;
                CHECK_OK(gofer_open(c, cr, p, O_CREAT | O_WRONLY, 0666, 0, &fd));
                if (fd >= 0)
                        close(fd);
                CHECK_OK(gofer_statx(c, &R, p, 0, STATX_BASIC_STATS, &x));
                CHECK_INT_EQ(x.stx_uid, cr->fsuid);
                CHECK_INT_EQ(x.stx_mode & 0777, 0644);
                CHECK_ERR(gofer_open(c, cr, "/secret", O_RDONLY, 0, 0, &fd), cr == &U ? -EACCES : 0);
                if (fd >= 0)
                        close(fd);
                fd = -1;
        }
}

/* ---- a read-only root ----------------------------------------------------------------------- */

static void test_readonly_root(const char *t) {
        struct gofer_proc g;
        CHECK_OK(start_gofer(t, GOFER_PIVOT_RO, &g));
        struct gofer_client *c = NULL;
        CHECK_OK(gofer_client_new(g.ctl, &c));
        if (!c)
                return;
        int fd = -1;
        CHECK_ERR(gofer_mkdir(c, &R, "/rodir", 0755), -EROFS);
        CHECK_ERR(gofer_open(c, &R, "/rofile", O_CREAT | O_WRONLY, 0644, 0, &fd), -EROFS);
        CHECK_ERR(gofer_open(c, &R, "/etc/passwd", O_WRONLY, 0, 0, &fd), -EROFS);
        CHECK_ERR(gofer_chmod(c, &R, "/etc/passwd", 0600, 0), -EROFS);
        CHECK_ERR(gofer_unlink(c, &R, "/secret", 0), -EROFS);
        CHECK_ERR(gofer_rename(c, &R, "/secret", "/secret2", 0), -EROFS);
        CHECK_ERR(gofer_symlink(c, &R, "x", "/rolink"), -EROFS);
        CHECK_ERR(gofer_setxattr(c, &R, "/secret", "user.x", "x", 1, 0, 0), -EROFS);
        CHECK_OK(gofer_open(c, &R, "/etc/passwd", O_RDONLY, 0, 0, &fd));
        if (fd >= 0)
                close(fd);
        /* A writable mount inside a read-only root stays writable. */
        CHECK_OK(gofer_mkdir(c, &R, "/tmp/rw", 0755));
        gofer_client_free(c);
        stop_gofer(&g);
}

/* ---- one connection blocked, another served ------------------------------------------------ */

struct blocked_open {
        struct gofer_client *c;
        int r, fd;
        atomic_bool done;
};

static void *blocked_main(void *arg) {
        struct blocked_open *b = arg;
        b->r = gofer_open(b->c, &R, "/fifo", O_RDONLY, 0, 0, &b->fd);
        atomic_store(&b->done, true);
        return NULL;
}

static void test_parallel(int ctl, const char *t) {
        struct blocked_open b = {.fd = -1};
        struct gofer_client *c2 = NULL;
        CHECK_OK(gofer_client_new(ctl, &b.c));
        CHECK_OK(gofer_client_new(ctl, &c2));
        if (!b.c || !c2)
                return;
        pthread_t tid;
        CHECK(pthread_create(&tid, NULL, blocked_main, &b) == 0);
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
        struct statx x;
        for (int i = 0; i < 100; i++)
                CHECK_OK(gofer_statx(c2, &R, "/etc/passwd", 0, STATX_BASIC_STATS, &x));
        CHECK(!atomic_load(&b.done)); /* still waiting for a writer */
        /* The writer: from the host side of the same tree. */
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/fifo", t);
        int w = -1;
        for (int i = 0; i < 200 && w < 0; i++) {
                w = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
                if (w < 0)
                        nanosleep(&pause, NULL);
        }
        CHECK(w >= 0);
        pthread_join(tid, NULL);
        CHECK_OK(b.r);
        if (w >= 0) {
                CHECK(write(w, "ping", 4) == 4);
                char buf[8] = "";
                CHECK(b.fd >= 0 && read(b.fd, buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0);
                close(w);
        }
        if (b.fd >= 0)
                close(b.fd);
        gofer_client_free(b.c);
        gofer_client_free(c2);
}

/* ---- malformed packets --------------------------------------------------------------------- */

static int send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds) {
        union {
                char buf[CMSG_SPACE(sizeof(int) * 4)];
                struct cmsghdr align;
        } cbuf;
        struct iovec iov = {.iov_base = (void *) buf, .iov_len = len};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (nfds) {
                mh.msg_control = cbuf.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t) nfds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t) nfds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t) nfds);
        }
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* A raw connection: the client end of a socketpair the Gofer serves. */
static int raw_connect(int ctl) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        struct gofer_hello h = {GOFER_MAGIC, GOFER_VERSION};
        int r = send_fds(ctl, &h, sizeof h, &sv[1], 1);
        close(sv[1]);
        if (r < 0) {
                close(sv[0]);
                return r;
        }
        return sv[0];
}

/* Send a packet; returns the reply's result, or 1 for "connection closed". */
static int raw_call(int s, const void *pkt, size_t len, const int *fds, int nfds) {
        if (send_fds(s, pkt, len, fds, nfds) < 0)
                return 1;
        uint8_t buf[GOFER_MSG_MAX];
        struct timeval tv = {5, 0};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n <= 0)
                return 1;
        struct gofer_hdr h;
        int32_t result;
        if ((size_t) n < sizeof h + sizeof result)
                return 2;
        memcpy(&h, buf, sizeof h);
        memcpy(&result, buf + sizeof h, sizeof result);
        return h.magic == GOFER_MAGIC && h.len == (uint32_t) n ? result : 3;
}

static bool closed_after(int s) {
        uint8_t b;
        struct timeval tv = {5, 0};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return recv(s, &b, 1, 0) == 0;
}

static size_t valid_statx(uint8_t *buf, size_t cap) {
        struct gofer_req q = {.op = GOFER_OP_STATX, .cred = R, .path = "/etc/passwd", .mask = STATX_BASIC_STATS};
        int n = gofer_req_encode(&q, buf, cap);
        return n > 0 ? (size_t) n : 0;
}

static void set_u32(uint8_t *buf, size_t off, uint32_t v) {
        memcpy(buf + off, &v, sizeof v);
}

static void test_malformed(int ctl) {
        static uint8_t pkt[GOFER_MSG_MAX + 256];
        size_t n = valid_statx(pkt, sizeof pkt);
        size_t cred_len = 4 * 4 + 8 + 4 * R.n_groups;
        size_t path_off = sizeof(struct gofer_hdr) + cred_len; /* the path's u32 length */
        CHECK(n > path_off);
        int s;

        /* Fatal: answered with EPROTO, then hung up. */
        struct {
                const char *what;
                size_t len;
                size_t off;
                uint32_t val;
        } fatal[] = {
                {"short", 3, 0, 0},
                {"bad magic", 0, offsetof(struct gofer_hdr, magic), 0xdeadbeef},
                {"bad version", 0, offsetof(struct gofer_hdr, version), 99},
        };
        for (size_t i = 0; i < ELEMENTSOF(fatal); i++) {
                n = valid_statx(pkt, sizeof pkt);
                if (!fatal[i].len)
                        set_u32(pkt, fatal[i].off, fatal[i].val);
                CHECK((s = raw_connect(ctl)) >= 0);
                int r = raw_call(s, pkt, fatal[i].len ? fatal[i].len : n, NULL, 0);
                if (r != 1 && r != -EPROTO)
                        printf("FAIL malformed %s: %d\n", fatal[i].what, r);
                CHECK(r == 1 || r == -EPROTO);
                CHECK(closed_after(s));
                close(s);
        }

        /* Per message: an error reply, and the connection still works. */
        CHECK((s = raw_connect(ctl)) >= 0);
        struct {
                const char *what;
                int want;
        } cases[] = {
                {"length mismatch", -EPROTO}, {"oversized", -EPROTO},  {"bad op", -EINVAL},
                {"op 0", -EINVAL},            {"string past end", -EPROTO}, {"no NUL", -EPROTO},
                {"embedded NUL", -EPROTO},    {"too many groups", -EINVAL}, {"trailing bytes", -EPROTO},
                {"path too long", -ENAMETOOLONG}, {"truncated cred", -EPROTO},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                n = valid_statx(pkt, sizeof pkt);
                uint32_t plen;
                memcpy(&plen, pkt + path_off, sizeof plen);
                switch (i) {
                case 0:
                        set_u32(pkt, offsetof(struct gofer_hdr, len), (uint32_t) n + 1);
                        break;
                case 1:
                        memset(pkt + n, 'x', GOFER_MSG_MAX + 100 - n);
                        n = GOFER_MSG_MAX + 100;
                        set_u32(pkt, offsetof(struct gofer_hdr, len), (uint32_t) n);
                        break;
                case 2:
                        set_u32(pkt, offsetof(struct gofer_hdr, op), 99);
                        break;
                case 3:
                        set_u32(pkt, offsetof(struct gofer_hdr, op), 0);
                        break;
                case 4:
                        set_u32(pkt, path_off, 100000);
                        break;
                case 5:
                        pkt[path_off + 4 + plen - 1] = 'x';
                        break;
                case 6:
                        pkt[path_off + 4 + 3] = 0;
                        break;
                case 7:
                        set_u32(pkt, sizeof(struct gofer_hdr) + 20, 1000);
                        break;
                case 8:
                        pkt[n++] = 0;
                        set_u32(pkt, offsetof(struct gofer_hdr, len), (uint32_t) n);
                        break;
                case 9: { /* a 5000-byte path: within the packet limit, over PATH_MAX */
                        size_t tail = n - (path_off + 4 + plen);
                        uint8_t save[64];
                        memcpy(save, pkt + path_off + 4 + plen, tail);
                        set_u32(pkt, path_off, 5001);
                        memset(pkt + path_off + 4, 'a', 5000);
                        pkt[path_off + 4 + 5000] = 0;
                        memcpy(pkt + path_off + 4 + 5001, save, tail);
                        n = path_off + 4 + 5001 + tail;
                        set_u32(pkt, offsetof(struct gofer_hdr, len), (uint32_t) n);
                        break;
                }
                case 10:
                        n = sizeof(struct gofer_hdr) + 6;
                        set_u32(pkt, offsetof(struct gofer_hdr, len), (uint32_t) n);
                        break;
                }
                int r = raw_call(s, pkt, n, NULL, 0);
                if (r != cases[i].want)
                        printf("FAIL malformed %s: %d, expected %d\n", cases[i].what, r, cases[i].want);
                CHECK_INT_EQ(r, cases[i].want);
        }
        /* fds where none belong, none where one does, too many */
        int p[2];
        CHECK(pipe2(p, O_CLOEXEC) == 0);
        n = valid_statx(pkt, sizeof pkt);
        CHECK_INT_EQ(raw_call(s, pkt, n, &p[1], 1), -EPROTO);
        close(p[1]);
        char b;
        CHECK(read(p[0], &b, 1) == 0); /* the Gofer closed its copy: EOF */
        close(p[0]);
        struct gofer_req bind = {.op = GOFER_OP_UNIX_BIND, .cred = R, .path = "/pub/rawsock"};
        int bn = gofer_req_encode(&bind, pkt, sizeof pkt);
        CHECK(bn > 0);
        CHECK_INT_EQ(raw_call(s, pkt, (size_t) bn, NULL, 0), -EBADF);
        int socks[2] = {socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
        CHECK_INT_EQ(raw_call(s, pkt, (size_t) bn, socks, 2), -EPROTO);
        CHECK_INT_EQ(raw_call(s, pkt, (size_t) bn, socks, 1), 0);
        close(socks[0]);
        close(socks[1]);
        /* ... and after all that, a good request on the same connection. */
        n = valid_statx(pkt, sizeof pkt);
        CHECK_INT_EQ(raw_call(s, pkt, n, NULL, 0), 0);
        /* An empty packet reads as EOF: the connection ends. */
        CHECK(send(s, "", 0, MSG_NOSIGNAL) == 0);
        CHECK(closed_after(s));
        close(s);

        /* Junk on the control socket: ignored. */
        struct gofer_hello bad = {0x1234, GOFER_VERSION};
        int sv[2];
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
        CHECK_OK(send_fds(ctl, &bad, sizeof bad, &sv[1], 1));
        CHECK_OK(send_fds(ctl, "xy", 2, NULL, 0));
        int stream[2];
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream) == 0);
        struct gofer_hello good = {GOFER_MAGIC, GOFER_VERSION};
        CHECK_OK(send_fds(ctl, &good, sizeof good, &stream[1], 1)); /* not SEQPACKET */
        close(sv[1]);
        close(stream[1]);
        CHECK(closed_after(sv[0]));
        CHECK(closed_after(stream[0]));
        close(sv[0]);
        close(stream[0]);

        /* The Gofer survived it all. */
        struct gofer_client *c = NULL;
        CHECK_OK(gofer_client_new(ctl, &c));
        struct statx x;
        if (c)
                CHECK_OK(gofer_statx(c, &R, "/etc/passwd", 0, STATX_BASIC_STATS, &x));
        gofer_client_free(c);
}

/* ---- round trips ---------------------------------------------------------------------------- */

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double rate(struct gofer_client *c, bool alternate, int n) {
        struct statx x;
        double t0 = now_s();
        for (int i = 0; i < n; i++)
                if (gofer_statx(c, alternate && (i & 1) ? &U : &R, "/etc/passwd", 0, STATX_BASIC_STATS, &x) < 0)
                        return 0;
        return (now_s() - t0) / n * 1e6;
}

static void test_round_trips(int ctl) {
        struct gofer_client *c = NULL;
        CHECK_OK(gofer_client_new(ctl, &c));
        if (!c)
                return;
        int n = 20000;
        rate(c, false, 1000); /* warm up */
        double same = rate(c, false, n), alt = rate(c, true, n);
        CHECK(same > 0 && alt > 0);
        printf("# gofer statx round trip: %.1f us (%.0f ops/s); switching credentials every call: %.1f us (%.0f "
               "ops/s)\n",
               same, same > 0 ? 1e6 / same : 0, alt, alt > 0 ? 1e6 / alt : 0);
        gofer_client_free(c);
}

/* ---- the codec, in process (no root needed) ----------------------------------------------- */

/* Every op's fields survive encode + decode. */
static void test_codec_round_trip(void) {
        static uint8_t buf[GOFER_MSG_MAX];
        const char value[] = "a\0binary\xff value";
        for (uint32_t op = 1; op < GOFER_OP_MAX_; op++) {
                struct gofer_req in = {.op = op, .cred = G, .path = "/some/path", .path2 = "../target",
                                       .name = "user.name", .value = value, .value_len = sizeof value,
                                       .flags = 0x1234, .mode = 0755, .mask = 0xfff, .uid = 1001, .gid = (uint32_t) -1,
                                       .size = 77, .xflags = 2, .resolve = 0x3f, .dev = 0x12345678abcULL,
                                       .length = -5, .has_times = true,
                                       .times = {{1, 2}, {3, UTIME_OMIT}}};
                int n = gofer_req_encode(&in, buf, sizeof buf);
                CHECK(n > 0);
                struct gofer_req out;
                CHECK_OK(gofer_req_decode(buf, (size_t) n, &out));
                CHECK_INT_EQ(out.op, op);
                CHECK(out.cred.fsuid == 1001 && out.cred.n_groups == 2 && out.cred.groups[1] == 2000 &&
                      out.cred.umask == 022);
                for (int i = 0; i < GOFER_MAX_FIELDS && gofer_op_fields[op][i]; i++) {
                        switch (gofer_op_fields[op][i]) {
                        case GF_PATH: CHECK_STR_EQ(out.path, in.path); break;
                        case GF_PATH2: CHECK_STR_EQ(out.path2, in.path2); break;
                        case GF_NAME: CHECK_STR_EQ(out.name, in.name); break;
                        case GF_VALUE:
                                CHECK(out.value_len == sizeof value && memcmp(out.value, value, sizeof value) == 0);
                                break;
                        case GF_FLAGS: CHECK_UINT_EQ(out.flags, in.flags); break;
                        case GF_MODE: CHECK_UINT_EQ(out.mode, in.mode); break;
                        case GF_MASK: CHECK_UINT_EQ(out.mask, in.mask); break;
                        case GF_UID: CHECK_UINT_EQ(out.uid, in.uid); break;
                        case GF_GID: CHECK_UINT_EQ(out.gid, in.gid); break;
                        case GF_SIZE: CHECK_UINT_EQ(out.size, in.size); break;
                        case GF_XFLAGS: CHECK_UINT_EQ(out.xflags, in.xflags); break;
                        case GF_RESOLVE: CHECK_UINT_EQ(out.resolve, in.resolve); break;
                        case GF_DEV: CHECK_UINT_EQ(out.dev, in.dev); break;
                        case GF_LENGTH: CHECK_INT_EQ(out.length, -5); break;
                        case GF_TIMES:
                                CHECK(out.has_times && out.times[0].tv_sec == 1 && out.times[0].tv_nsec == 2 &&
                                      out.times[1].tv_sec == 3 && out.times[1].tv_nsec == UTIME_OMIT);
                                break;
                        }
                }
                /* Every proper prefix is refused, none crashes. */
                int bad = 0;
                for (int len = 0; len < n; len++) {
                        uint32_t l = (uint32_t) len;
                        if (len >= (int) offsetof(struct gofer_hdr, len) + 4)
                                memcpy(buf + offsetof(struct gofer_hdr, len), &l, sizeof l);
                        bad += gofer_req_decode(buf, (size_t) len, &out) == 0;
                }
                CHECK_INT_EQ(bad, 0);
        }
        /* Sizes the kernel would refuse are refused before sending, with its errno. */
        char big[PATH_MAX + 1];
        memset(big, 'a', PATH_MAX);
        big[PATH_MAX] = 0;
        struct gofer_req q = {.op = GOFER_OP_MKDIR, .path = big};
        CHECK_ERR(gofer_req_encode(&q, buf, sizeof buf), -ENAMETOOLONG);
        big[PATH_MAX - 1] = 0;
        CHECK(gofer_req_encode(&q, buf, sizeof buf) > 0);
        q = (struct gofer_req){.op = GOFER_OP_GETXATTR, .path = "/", .name = big};
        CHECK_ERR(gofer_req_encode(&q, buf, sizeof buf), -ERANGE);
        q = (struct gofer_req){.op = GOFER_OP_SETXATTR, .path = "/", .name = "user.x", .value = big,
                               .value_len = GOFER_XATTR_SIZE_MAX + 1};
        CHECK_ERR(gofer_req_encode(&q, buf, sizeof buf), -E2BIG);
        q.cred.n_groups = GOFER_MAX_GROUPS + 1;
        CHECK_ERR(gofer_req_encode(&q, buf, sizeof buf), -EINVAL);
}

/* Random damage to valid packets of every op: decoded or refused, never a
 * crash or a read past the packet (the ASan build checks the latter; the
 * packet is copied to a buffer of exactly its length). */
static void test_codec_fuzz(void) {
        static uint8_t buf[GOFER_MSG_MAX];
        unsigned seed = 12345;
        int accepted = 0, refused = 0, odd = 0;
        for (int i = 0; i < 60000; i++) {
                uint32_t op = 1 + (uint32_t) i % (GOFER_OP_MAX_ - 1);
                struct gofer_req in = {.op = op, .cred = G, .path = "/a/b", .path2 = "c", .name = "user.n",
                                       .value = "vv", .value_len = 2, .has_times = true};
                int n = gofer_req_encode(&in, buf, sizeof buf);
                if (n <= 0)
                        continue;
                int flips = 1 + (int) (rand_r(&seed) % 4);
                for (int f = 0; f < flips; f++) {
                        size_t at = (size_t) rand_r(&seed) % (size_t) n;
                        buf[at] = (uint8_t) rand_r(&seed);
                }
                size_t len = rand_r(&seed) % 4 ? (size_t) n : (size_t) rand_r(&seed) % ((size_t) n + 8);
                uint8_t *copy = malloc(len ? len : 1);
                memcpy(copy, buf, len < (size_t) n ? len : (size_t) n);
                if (len > (size_t) n)
                        memset(copy + n, 0xa5, len - (size_t) n);
                struct gofer_req out;
                int r = gofer_req_decode(copy, len, &out);
                if (r == 0) {
                        accepted++;
                        /* What it accepted is self-consistent. */
                        if (out.path && strlen(out.path) >= PATH_MAX)
                                odd++;
                        if (out.cred.n_groups > GOFER_MAX_GROUPS)
                                odd++;
                } else if (r == -EPROTO || r == -EINVAL || r == -ENAMETOOLONG || r == -ERANGE || r == -E2BIG)
                        refused++;
                else
                        odd++;
                free(copy);
        }
        CHECK_INT_EQ(odd, 0);
        CHECK(accepted > 0 && refused > 0);
}

/* ---- main ------------------------------------------------------------------------------------- */

static int setup(void) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        char t[] = "/tmp/cocoon-unit-gofer-XXXXXX";
        if (!mkdtemp(t) || !realpath(t, base))
                return -errno;
        chmod(base, 0711);
        snprintf(base_rel, sizeof base_rel, "%s", base + 1);
        int r;
        if ((r = put_dir(base, "etc", 0755, 0, 0)) < 0 || (r = put_file(base, "etc/passwd", "ESCAPED\n", 0644, 0, 0)) < 0 ||
            (r = put_file(base, "outside", "ESCAPED\n", 0644, 0, 0)) < 0)
                return r;
        for (int i = 0; i < 4; i++) {
                snprintf(tree[i], sizeof tree[i], "%s/%c", base, 'A' + i);
                if ((r = make_tree(tree[i])) < 0)
                        return r;
        }
        /* The twins get their mounts in this (private) namespace. */
        if ((r = mount_extras(tree[TB])) < 0 || (r = mount_extras(tree[TD])) < 0)
                return r;
        return 0;
}

static void teardown(void) {
        const char *sub[] = {"ro", "tmp", "proc"};
        for (int i = 0; i < 4; i++)
                for (size_t j = 0; j < ELEMENTSOF(sub); j++) {
                        char p[PATH_MAX];
                        snprintf(p, sizeof p, "%s/%s", tree[i], sub[j]);
                        umount2(p, MNT_DETACH);
                }
        rm_rf(base);
}

int main(void) {
        test_codec_round_trip();
        test_codec_fuzz();
        if (geteuid() != 0) {
                printf("# skipped: the Gofer tests need root\n");
                return unit_summary();
        }
        signal(SIGPIPE, SIG_IGN);
        make_long_paths();
        int r = setup();
        if (r < 0) {
                printf("FAIL setup: %s\n", strerror(-r));
                teardown();
                return 1;
        }
        struct res *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        CHECK(shared != MAP_FAILED);

        /* The listeners CONNECT rows use, one per tree. */
        int lsock[4], lpriv[4], lpeer[4];
        for (int i = 0; i < 4; i++) {
                lsock[i] = unix_listen_at(tree[i], "pub/lsock", 0666);
                lpriv[i] = unix_listen_at(tree[i], "pub/lpriv", 0600);
                lpeer[i] = unix_listen_at(tree[i], "pub/lpeer", 0666);
                CHECK(lsock[i] >= 0 && lpriv[i] >= 0 && lpeer[i] >= 0);
        }

        struct gofer_proc ga, gc;
        CHECK_OK(start_gofer(tree[TA], GOFER_PIVOT, &ga));
        CHECK_OK(start_gofer(tree[TC], GOFER_NO_PIVOT, &gc));
        struct gofer_client *ca = NULL, *cc = NULL;
        CHECK_OK(gofer_client_new(ga.ctl, &ca));
        CHECK_OK(gofer_client_new(gc.ctl, &cc));
        if (!ca || !cc || shared == MAP_FAILED) {
                teardown();
                return unit_summary();
        }

        int in = watch_host();
        CHECK(in >= 0);

        test_table(ca, tree[TB], shared);
        test_table(cc, tree[TD], shared);
        test_escapes(ca, tree[TA]);
        test_escapes(cc, tree[TC]);
        test_peer_creds(ca, lpeer[TA]);
        test_peer_creds(cc, lpeer[TC]);
        test_creds_switching(ca);
        test_creds_switching(cc);
        test_parallel(ga.ctl, tree[TA]);
        test_malformed(ga.ctl);
        test_malformed(gc.ctl);

        check_host_untouched(in);
        close(in);

        test_readonly_root(tree[TA]);
        test_round_trips(ga.ctl);

        gofer_client_free(ca);
        gofer_client_free(cc);
        stop_gofer(&ga);
        stop_gofer(&gc);
        for (int i = 0; i < 4; i++) {
                close(lsock[i]);
                close(lpriv[i]);
                close(lpeer[i]);
        }
        munmap(shared, sizeof *shared);
        teardown();
        return unit_summary();
}
