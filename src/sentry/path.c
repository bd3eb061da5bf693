/* SPDX-License-Identifier: MIT */
/*
 * Container paths of the caller's arguments.  A relative path starts at the
 * caller's cwd or dirfd, whose container path procfs gives us: readlink of
 * /proc/<tid>/cwd or /proc/<tid>/fd/<n> walks up the file's mounts to the
 * root of the mount namespace it lives in, and the workload's namespace (and
 * the Gofer's, for descriptors the Gofer opened) has the container root
 * there.  The string is only folded lexically ("//", "."); ".." and symlinks
 * are left for the Gofer, which resolves them one component at a time inside
 * the container root, so a stale or raced string can at worst name another
 * file of the container.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "sentry/call.h"

#define DELETED_SUFFIX " (deleted)"

static bool has_deleted_suffix(const char *s, size_t n) {
        size_t k = strlen(DELETED_SUFFIX);
        return n >= k && memcmp(s + n - k, DELETED_SUFFIX, k) == 0;
}

/* The path of a file procfs links to (link, in directory dir), NUL-terminated, with the " (deleted)"
 * suffix checked against the file itself (a live file may have that name). */
static int link_target(int dir, const char *link, char *out, size_t size, const struct stat *st) {
        ssize_t n = readlinkat(dir, link, out, size);
        if (n < 0)
                return errno == ENOENT ? -EBADF : -errno;
        if ((size_t) n >= size)
                return -ENAMETOOLONG;
        out[n] = 0;
        if (out[0] != '/')
                return -EOPNOTSUPP; /* pipe:[..], socket:[..], anon_inode:[..] */
        if (has_deleted_suffix(out, (size_t) n)) {
                struct stat own;
                if (!st) {
                        if (fstatat(dir, link, &own, 0) < 0)
                                return errno == ENOENT ? -EBADF : -errno;
                        st = &own;
                }
                if (st->st_nlink == 0)
                        return -ENOENT;
        }
        return 0;
}

/*
 * The caller's descriptor, taken into the Sentry first: /proc/<tid>/fd/<n>
 * is in a directory only its owner may search (proc_fd_permission), and the
 * Sentry is uid nobody without CAP_DAC_READ_SEARCH, so a root workload's
 * would be EACCES.  Our own /proc/self/fd is ours to read; procfs
 * computes the same path from it.
 */
static int fd_link(struct sentry_call *c, int fd, char *out, size_t size, struct stat *st) {
        if (fd < 0)
                return -EBADF;
        _cleanup_close_ int own = sentry_take_fd(c, fd);
        if (own < 0)
                return own;
        if (st && fstat(own, st) < 0)
                return -errno;
        char link[16];
        snprintf(link, sizeof link, "%d", own);
        return link_target(sentry_own_fd_dir(c), link, out, size, st);
}

int sentry_fd_path(struct sentry_call *c, int fd, char *out, size_t size) {
        return fd_link(c, fd, out, size, NULL);
}

/* The start of a relative path: cwd, or a directory descriptor. */
static int base_dir(struct sentry_call *c, int dirfd, char *out, size_t size) {
        if (dirfd == AT_FDCWD) {
                /* a cwd is a directory: only " (deleted)" needs a stat.
                 * The cwd link is behind a ptrace check only, which the
                 * Sentry's CAP_SYS_PTRACE passes. */
                char link[32];
                snprintf(link, sizeof link, "%u/cwd", c->req->pid);
                int r = link_target(c->cfg->proc_fd, link, out, size, NULL);
                return r == -EBADF ? -ENOENT : r;
        }
        struct stat st;
        int r = fd_link(c, dirfd, out, size, &st);
        if (r == -EOPNOTSUPP || (r == 0 && !S_ISDIR(st.st_mode)))
                return -ENOTDIR;
        return r;
}

static int append(char *out, size_t size, size_t *len, const char *s, size_t n) {
        if (*len + n >= size)
                return -ENAMETOOLONG;
        memcpy(out + *len, s, n);
        *len += n;
        out[*len] = 0;
        return 0;
}

/* Append the components of p to out (an absolute path without trailing slash). */
static int fold(char *out, size_t size, size_t *len, const char *p, bool keep_last_dot) {
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *end = strchrnul(p, '/');
                size_t n = (size_t) (end - p);
                bool last = *end == 0 || end[strspn(end, "/")] == 0;
                /* A trailing "." keeps its meaning ("must be a directory, and
                 * not the one being removed"), so only inner ones go. */
                if (!(n == 1 && p[0] == '.' && !(last && keep_last_dot))) {
                        if (*len > 1) {
                                int r = append(out, size, len, "/", 1);
                                if (r < 0)
                                        return r;
                        } else
                                *len = 1;
                        int r = append(out, size, len, p, n);
                        if (r < 0)
                                return r;
                }
                p = end;
        }
        return 0;
}

int sentry_path_join(const char *base, const char *rel, char *out, size_t size) {
        if (size < 2)
                return -ENAMETOOLONG;
        size_t len = 1;
        out[0] = '/';
        out[1] = 0;
        int r = 0;
        if (rel[0] != '/')
                r = fold(out, size, &len, base, false);
        if (r >= 0)
                r = fold(out, size, &len, rel, true);
        if (r < 0)
                return r;
        size_t n = strlen(rel);
        /* "dir/" must stay a directory lookup (ENOTDIR for a file) */
        if (n > 0 && rel[n - 1] == '/' && len > 1)
                r = append(out, size, &len, "/", 1);
        return r;
}

static bool below(const char *abs, const char *dir) {
        size_t n = strlen(dir);
        return strncmp(abs, dir, n) == 0 && (abs[n] == 0 || abs[n] == '/');
}

static bool has_dotdot(const char *abs) {
        for (const char *p = abs; (p = strstr(p, "/..")); p += 3)
                if (p[3] == 0 || p[3] == '/')
                        return true;
        return false;
}

/*
 * What each component of a /proc path is, as far as the fold knows.  Only
 * directories that procfs always has, reached without a symlink into the
 * rest of the tree, may be left with "..": anything else (a file, a magic
 * link such as cwd or fd/N, a directory the fold does not know) makes the
 * fold give up, since only the kernel can tell where ".." leads from there.
 */
enum proc_kind {
        K_ROOTFS, /* a component of the rootfs, outside /proc */
        K_PROC,   /* /proc itself */
        K_PID,    /* /proc/self, /proc/<n> */
        K_TASK,   /* <pid>/task */
        K_TID,    /* <pid>/task/<n> */
        K_OTHER,  /* anything else below /proc */
};

static bool all_digits(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

static bool comp_is(const char *s, size_t n, const char *name) {
        return strlen(name) == n && memcmp(s, name, n) == 0;
}

#define FOLD_MAX (PATH_MAX / 2)

int sentry_path_procfs_fold(const char *abs, char *out, size_t size) {
        if (!below(abs, "/proc"))
                return -EOPNOTSUPP;
        /* a stack of components: kind, and where its name is (in abs, or a
         * literal for the ones a symlink stands for) */
        static const char *const lit_self = "self", *const lit_task = "task";
        uint8_t kind[FOLD_MAX];
        const char *name[FOLD_MAX];
        uint16_t len[FOLD_MAX];
        size_t depth = 0;
#define PUSH(k, s, n)                                                                              \
        do {                                                                                       \
                if (depth == FOLD_MAX)                                                             \
                        return -ENAMETOOLONG;                                                      \
                kind[depth] = (k);                                                                 \
                name[depth] = (s);                                                                 \
                len[depth++] = (uint16_t) (n);                                                     \
        } while (0)
        for (const char *p = abs; *p;) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *end = strchrnul(p, '/');
                size_t n = (size_t) (end - p);
                enum proc_kind top = depth ? kind[depth - 1] : K_ROOTFS;
                if (comp_is(p, n, "..")) {
                        if (depth == 0)
                                ; /* ".." of "/" is "/" */
                        else if (top == K_PROC || top == K_PID || top == K_TASK || top == K_TID)
                                depth--;
                        else
                                return -EOPNOTSUPP;
                } else if (depth == 0) {
                        PUSH(comp_is(p, n, "proc") ? K_PROC : K_ROOTFS, p, n);
                } else if (top == K_PROC && comp_is(p, n, "self")) {
                        PUSH(K_PID, p, n);
                } else if (top == K_PROC && comp_is(p, n, "thread-self")) {
                        /* -> self/task/<tid> */
                        PUSH(K_PID, lit_self, 4);
                        PUSH(K_TASK, lit_task, 4);
                        PUSH(K_TID, p, n);
                } else if (top == K_PROC && (comp_is(p, n, "net") || comp_is(p, n, "mounts"))) {
                        /* -> self/net, self/mounts */
                        PUSH(K_PID, lit_self, 4);
                        PUSH(K_OTHER, p, n);
                } else if (top == K_PROC && all_digits(p, n)) {
                        PUSH(K_PID, p, n);
                } else if ((top == K_PID || top == K_TID) && comp_is(p, n, "root")) {
                        /* the magic link to the process's root: the
                         * container root for every process of it, since
                         * chroot is refused (sys_file.c) */
                        depth = 0;
                } else if (top == K_PID && comp_is(p, n, "task")) {
                        PUSH(K_TASK, p, n);
                } else if (top == K_TASK && all_digits(p, n)) {
                        PUSH(K_TID, p, n);
                } else {
                        PUSH(top == K_ROOTFS ? K_ROOTFS : K_OTHER, p, n);
                }
                p = end;
        }
#undef PUSH
        size_t at = 0;
        for (size_t i = 0; i < depth; i++) {
                if (at + 1 + len[i] >= size)
                        return -ENAMETOOLONG;
                out[at++] = '/';
                memcpy(out + at, name[i], len[i]);
                at += len[i];
        }
        if (at == 0) {
                if (size < 2)
                        return -ENAMETOOLONG;
                out[at++] = '/';
        } else if (abs[strlen(abs) - 1] == '/') {
                /* "dir/" stays a directory lookup */
                if (at + 1 >= size)
                        return -ENAMETOOLONG;
                out[at++] = '/';
        }
        out[at] = 0;
        return 0;
}

bool sentry_path_kernel_view(const char *abs) {
        if (!below(abs, "/proc") && !below(abs, "/sys") && !below(abs, "/dev"))
                return false;
        if (!has_dotdot(abs))
                return true;
        /* "/proc/self/../meminfo": procfs's own directories lead back into
         * procfs, and the kernel sees it the same way */
        char folded[PATH_MAX];
        return sentry_path_procfs_fold(abs, folded, sizeof folded) == 0 && below(folded, "/proc");
}

int sentry_path_resolve(struct sentry_call *c, int dirfd, int at_flags, struct sentry_path *p) {
        char base[PATH_MAX];
        int r = 0;
        p->empty = false;
        p->abs[0] = 0;
        if (p->user[0] == 0) {
                if (!(at_flags & AT_EMPTY_PATH))
                        return -ENOENT;
                p->empty = true;
                if (dirfd == AT_FDCWD)
                        r = base_dir(c, dirfd, base, sizeof base);
                else
                        r = sentry_fd_path(c, dirfd, base, sizeof base);
        } else if (p->user[0] != '/') {
                r = base_dir(c, dirfd, base, sizeof base);
        } else
                base[0] = 0;
        if (r < 0)
                return r;
        r = sentry_path_join(base, p->user, p->abs, sizeof p->abs);
        if (r < 0)
                return r;
        /* the /proc links were read after the notification: still the same caller? */
        return p->user[0] == '/' ? 0 : sentry_valid(c);
}

int sentry_path_arg(struct sentry_call *c, int dirfd, uint64_t addr, int at_flags, struct sentry_path *p) {
        p->empty = false;
        p->abs[0] = 0;
        int r = sentry_read_str(c, addr, p->user, sizeof p->user);
        if (r < 0)
                return r;
        sentry_strace_str(c, p->user);
        return sentry_path_resolve(c, dirfd, at_flags, p);
}
