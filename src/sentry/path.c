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
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "sentry/call.h"

#define DELETED_SUFFIX " (deleted)"

static bool has_deleted_suffix(const char *s, size_t n) {
        size_t k = strlen(DELETED_SUFFIX);
        return n >= k && memcmp(s + n - k, DELETED_SUFFIX, k) == 0;
}

/* readlink of LINK below proc_fd, NUL-terminated, with the " (deleted)"
 * suffix checked against the file itself (a live file may have that name). */
static int read_link(struct sentry_call *c, const char *link, char *out, size_t size, struct stat *st) {
        if (st && fstatat(c->cfg->proc_fd, link, st, 0) < 0)
                return errno == ENOENT ? -EBADF : -errno;
        ssize_t n = readlinkat(c->cfg->proc_fd, link, out, size);
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
                        if (fstatat(c->cfg->proc_fd, link, &own, 0) < 0)
                                return errno == ENOENT ? -EBADF : -errno;
                        st = &own;
                }
                if (st->st_nlink == 0)
                        return -ENOENT;
        }
        return 0;
}

/* The caller's cwd: /proc/<tid>/cwd passes the ptrace check (CAP_SYS_PTRACE). */
static int cwd_link(struct sentry_call *c, char *out, size_t size) {
        char link[64];
        snprintf(link, sizeof link, "%u/cwd", c->req->pid);
        return read_link(c, link, out, size, NULL);
}

/* One of the caller's descriptors, through a copy of it in the Sentry: the
 * caller's /proc/<tid>/fd is a directory of mode 0500 owned by the caller,
 * which the Sentry (uid nobody without CAP_DAC_*, so that /proc/<host
 * pid>/root leads it to no more than world-readable files) may not search.
 * The copy's own link names the file as the caller's does: both print the
 * path from the root of the mount namespace the file is in. */
static int fd_link(struct sentry_call *c, int fd, char *out, size_t size, struct stat *st) {
        _cleanup_close_ int own = sentry_take_fd(c, fd);
        if (own < 0)
                return own;
        char link[64];
        snprintf(link, sizeof link, "thread-self/fd/%d", own);
        return read_link(c, link, out, size, st);
}

int sentry_fd_path(struct sentry_call *c, int fd, char *out, size_t size) {
        if (fd < 0)
                return -EBADF;
        return fd_link(c, fd, out, size, NULL);
}

/* The start of a relative path: cwd, or a directory descriptor. */
static int base_dir(struct sentry_call *c, int dirfd, char *out, size_t size) {
        if (dirfd == AT_FDCWD) {
                /* a cwd is a directory: only " (deleted)" needs a stat */
                int r = cwd_link(c, out, size);
                return r == -EBADF ? -ENOENT : r;
        }
        if (dirfd < 0)
                return -EBADF;
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

bool sentry_path_kernel_view(const char *abs) {
        static const char *const views[] = {"/proc", "/sys", "/dev"};
        bool below = false;
        for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
                size_t n = strlen(views[i]);
                if (strncmp(abs, views[i], n) == 0 && (abs[n] == 0 || abs[n] == '/'))
                        below = true;
        }
        if (!below)
                return false;
        for (const char *p = abs; (p = strstr(p, "/..")); p += 3)
                if (p[3] == 0 || p[3] == '/')
                        return false;
        return true;
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
