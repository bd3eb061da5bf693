/* SPDX-License-Identifier: MIT */
#include "gofer/walk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's limit on symlinks followed in one resolution. */
#define GOFER_MAX_SYMLINKS 40

void gofer_walk_done(struct gofer_walk *w) {
        if (w->own_dirfd && w->dirfd >= 0)
                close(w->dirfd);
        w->dirfd = -1;
        w->own_dirfd = false;
}

int gofer_walk_open(int root_fd, const char *path, int flags, mode_t mode, uint64_t resolve) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .mode = mode,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
        };
        /* EAGAIN: a rename raced with ".." resolution and the kernel would
         * rather be asked again than risk an answer outside the root.  With
         * RESOLVE_CACHED it means "not cached", the caller's answer. */
        for (int i = 0; i < 64; i++) {
                int fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof how);
                if (fd >= 0)
                        return fd;
                if (errno != EAGAIN || (resolve & RESOLVE_CACHED))
                        return -errno;
        }
        return -EAGAIN;
}

/* Where the last component of `path` starts and ends (before trailing
 * slashes), and what it is.  Pure string work. */
struct last_split {
        size_t start, end;
        enum gofer_last last;
        bool trailing_slash;
};

static int split_last(const char *path, struct last_split *s) {
        size_t len = strlen(path);
        if (len == 0) /* as the kernel answers "" without AT_EMPTY_PATH */
                return -ENOENT;
        if (len >= PATH_MAX)
                return -ENAMETOOLONG;
        size_t end = len;
        while (end > 0 && path[end - 1] == '/')
                end--;
        *s = (struct last_split){.end = end, .trailing_slash = end < len};
        if (end == 0) {
                s->last = GOFER_LAST_ROOT;
                s->trailing_slash = false;
                return 0;
        }
        size_t start = end;
        while (start > 0 && path[start - 1] != '/')
                start--;
        s->start = start;
        size_t n = end - start;
        s->last = n == 1 && path[start] == '.'                           ? GOFER_LAST_DOT
                  : n == 2 && path[start] == '.' && path[start + 1] == '.' ? GOFER_LAST_DOTDOT
                                                                           : GOFER_LAST_NORM;
        return 0;
}

/* The directory holding the last component: path[0, start) resolved. */
static int open_parent(int root_fd, const char *path, size_t start, struct gofer_walk *w) {
        if (strspn(path, "/") >= start) { /* "name", "/name", "//name": the root itself */
                w->dirfd = root_fd;
                w->own_dirfd = false;
                return 0;
        }
        char prefix[PATH_MAX];
        memcpy(prefix, path, start);
        prefix[start] = '\0';
        int fd = gofer_walk_open(root_fd, prefix, O_PATH | O_DIRECTORY, 0, 0);
        if (fd < 0)
                return fd;
        w->dirfd = fd;
        w->own_dirfd = true;
        return 0;
}

static void init_walk(struct gofer_walk *w) {
        w->dirfd = -1;
        w->own_dirfd = false;
        w->name = "";
        w->name_buf[0] = '\0';
        w->at_flags = 0;
        w->last = GOFER_LAST_NORM;
        w->trailing_slash = false;
}

int gofer_walk_parent(int root_fd, const char *path, struct gofer_walk *w) {
        struct last_split s;
        init_walk(w);
        int r = split_last(path, &s);
        if (r < 0)
                return r;
        w->last = s.last;
        w->trailing_slash = s.trailing_slash;
        w->at_flags = AT_SYMLINK_NOFOLLOW;
        if (s.last == GOFER_LAST_ROOT) {
                /* "." is rejected before lookup by every creating/removing
                 * call with the errno "/" gets, but for rmdir. */
                w->dirfd = root_fd;
                w->name = ".";
                return 0;
        }
        /* Verbatim, trailing slashes included: the kernel applies its own
         * "must be a directory" rules to them. */
        memcpy(w->name_buf, path + s.start, strlen(path + s.start) + 1);
        w->name = w->name_buf;
        return open_parent(root_fd, path, s.start, w);
}

/* The whole path resolved to a directory named (dir, "."): for ".", "..",
 * "/" and trailing slashes, which can only name directories. */
static int resolve_dir(int root_fd, const char *path, struct gofer_walk *w) {
        int fd = gofer_walk_open(root_fd, path, O_PATH | O_DIRECTORY, 0, 0);
        if (fd < 0)
                return fd;
        w->dirfd = fd;
        w->own_dirfd = true;
        w->name = ".";
        w->at_flags = AT_SYMLINK_NOFOLLOW;
        return 0;
}

int gofer_walk_nofollow(int root_fd, const char *path, struct gofer_walk *w) {
        struct last_split s;
        init_walk(w);
        int r = split_last(path, &s);
        if (r < 0)
                return r;
        w->last = s.last;
        w->trailing_slash = s.trailing_slash;
        /* Linux follows a final symlink when a slash follows it; ".." of the
         * root must stay at the root: both are openat2's to resolve. */
        if (s.last != GOFER_LAST_NORM || s.trailing_slash)
                return resolve_dir(root_fd, path, w);
        memcpy(w->name_buf, path + s.start, s.end - s.start);
        w->name_buf[s.end - s.start] = '\0';
        w->name = w->name_buf;
        w->at_flags = AT_SYMLINK_NOFOLLOW;
        return open_parent(root_fd, path, s.start, w);
}

int gofer_walk_follow(int root_fd, const char *path, struct gofer_walk *w) {
        init_walk(w);
        if (!*path)
                return -ENOENT;
        int fd = gofer_walk_open(root_fd, path, O_PATH, 0, 0);
        if (fd < 0)
                return fd;
        w->dirfd = fd;
        w->own_dirfd = true;
        w->name = "";
        w->at_flags = AT_EMPTY_PATH;
        return 0;
}

int gofer_walk_follow_named(int root_fd, const char *path, struct gofer_walk *w) {
        char cur[PATH_MAX], next[PATH_MAX], target[PATH_MAX];
        size_t len = strlen(path);
        if (len >= sizeof cur)
                return -ENAMETOOLONG;
        memcpy(cur, path, len + 1);

        for (int links = 0;; links++) {
                int r = gofer_walk_nofollow(root_fd, cur, w);
                if (r < 0)
                        return r;
                if (w->last != GOFER_LAST_NORM || w->trailing_slash)
                        return 0; /* a directory, resolved whole */
                ssize_t n = readlinkat(w->dirfd, w->name, target, sizeof target);
                if (n < 0) {
                        /* Not a link, or missing: the caller's call gives
                         * the answer for the object as it is. */
                        if (errno == EINVAL || errno == ENOENT)
                                return 0;
                        r = -errno;
                        gofer_walk_done(w);
                        return r;
                }
                gofer_walk_done(w);
                if ((size_t) n >= sizeof target)
                        return -ENAMETOOLONG;
                if (n == 0)
                        return -ENOENT;
                if (links + 1 > GOFER_MAX_SYMLINKS)
                        return -ELOOP;
                target[n] = '\0';
                /* An absolute target restarts at the root (openat2 makes "/"
                 * the root); a relative one continues from the link's
                 * directory, which the unresolved prefix still names. */
                size_t start = (size_t) (strrchr(cur, '/') ? strrchr(cur, '/') - cur + 1 : 0);
                int m = target[0] == '/' ? snprintf(next, sizeof next, "%s", target)
                                         : snprintf(next, sizeof next, "%.*s%s", (int) start, cur, target);
                if (m < 0 || (size_t) m >= sizeof next)
                        return -ENAMETOOLONG;
                memcpy(cur, next, (size_t) m + 1);
        }
}
