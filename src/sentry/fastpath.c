/* SPDX-License-Identifier: MIT */
/*
 * The fast file path: read-only path calls (the stat family, open for
 * reading, readlink) answered by the Sentry itself, without the Gofer round trip that
 * costs as much as the notification (20 - 100 us here, see docs/sentry.md).
 *
 * The Gofer hands the Sentry, once, an O_PATH descriptor of the container
 * root in its own mount tree, the root mount of the Gofer's namespace
 * (gofer_enter_root), so even ".." from it cannot climb out.  The Sentry
 * resolves from it with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS),
 * exactly as the Gofer's walk.c does, so symlinks, absolute links and ".."
 * stay inside the container, and the descriptor it installs is on the same
 * (writable) mount as one the Gofer would have opened: fchmod and the like
 * on it behave the same.
 *
 * The Sentry runs as uid 65534 without capabilities, so it may see less
 * than its caller.  It answers only for a caller that holds
 * CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH in the Sentry's own user namespace
 * (root under Docker's, Podman's or Kubernetes' default capabilities, without
 * a user namespace), who may read and search anything the Sentry may.  For
 * such a caller the Sentry's success, and the errors that do not depend on
 * who asks (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG; EINVAL for readlink of
 * what is no symlink), are the caller's answer; anything else (EACCES on a
 * 0700 directory, a FIFO, a device node) goes to the Gofer, which decides
 * with the caller's own credentials.  Opening as the Sentry also means the
 * open file's credentials are the Sentry's: for reading a regular file or a
 * directory nothing looks at them.
 *
 * Directories are looked up once (dcache.c): a path whose directory is
 * in the cache costs one *at call on the last component, with
 * AT_SYMLINK_NOFOLLOW / O_NOFOLLOW, so that a symlink there is followed by
 * the full RESOLVE_IN_ROOT walk and never from the Sentry's own root.
 * Attributes are never cached: every answer looks at the file as it is, so
 * what was written a moment ago, through the Gofer or a descriptor, or by
 * another container into a shared volume, is seen at once.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/openat2.h>

#include "cleanup.h"
#include "sentry/call.h"

/* Whether the fast path may answer at all, for a caller with caps. */
static bool overrides_dac(struct sentry_call *c, uint64_t caps) {
        /* capabilities in a user namespace of its own reach only inodes
         * whose owner it maps: not worth deciding here */
        if (c->cfg->n_uid_map || c->cfg->n_gid_map || sentry_root_fd(c) < 0)
                return false;
        uint64_t dac = UINT64_C(1) << CAP_DAC_OVERRIDE | UINT64_C(1) << CAP_DAC_READ_SEARCH;
        return (caps & dac) != 0;
}

static bool caller_overrides_dac(struct sentry_call *c) {
        /* the capabilities alone (no uids: the Sentry answers as itself),
         * checked by the sentry_write or ADDFD that delivers the answer */
        uint64_t eff;
        return sentry_cred_caps(c, &eff) == 0 && overrides_dac(c, eff);
}

/* Whether err is the answer whoever asks (with search permission everywhere). */
static bool answer_for_anyone(int err) {
        return err == ENOENT || err == ENOTDIR || err == ELOOP || err == ENAMETOOLONG;
}

/* A descriptor, or -errno. */
static int fast_openat2(struct sentry_call *c, const char *abs, uint64_t flags) {
        struct open_how how = {
                .flags = flags | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, sentry_root_fd(c), abs, &how, sizeof how);
        return fd >= 0 ? fd : -errno;
}

/* Whether the first len bytes of the absolute path abs have a "." or ".."
 * component: the cache keys directories by name, and ".." climbs out of
 * what a name says. */
static bool has_dot_component(const char *abs, size_t len) {
        for (size_t i = 0; i < len;) {
                size_t j = i + 1;
                while (j < len && abs[j] != '/')
                        j++;
                size_t n = j - i - 1; /* the component after the '/' at i */
                if ((n == 1 && abs[i + 1] == '.') || (n == 2 && abs[i + 1] == '.' && abs[i + 2] == '.'))
                        return true;
                i = j;
        }
        return false;
}

/* The directory of abs, from the cache, with *base its last component:
 * only for a plain last component and a directory without "." or "..";
 * -1 otherwise or when the cache cannot say (a mount on the way, a rename
 * in flight). */
static int cached_parent(struct sentry_call *c, const char *abs, const char **base) {
        const char *slash = strrchr(abs, '/');
        if (abs[0] != '/' || !slash)
                return -1;
        const char *name = slash + 1;
        if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return -1;
        size_t len = (size_t) (slash - abs);
        if (has_dot_component(abs, len))
                return -1;
        *base = name;
        return len == 0 ? sentry_root_fd(c) : sentry_dcache_dir(c, sentry_root_fd(c), abs, len);
}

static int final_or_miss(struct sentry_call *c, int r) {
        if (!answer_for_anyone(-r))
                return SENTRY_FAST_MISS;
        c->used_fast = true;
        return r;
}

/* statx as the Sentry, for a caller the callers below found may search
 * whatever the Sentry may */
static int fast_statx(struct sentry_call *c, const char *abs, int at_flags, unsigned mask, struct statx *ret) {
        const char *base;
        int dir = cached_parent(c, abs, &base);
        if (dir >= 0) {
                int flags = AT_SYMLINK_NOFOLLOW | (at_flags & AT_STATX_SYNC_TYPE);
                if (statx(dir, base, flags, mask | STATX_TYPE, ret) < 0)
                        return final_or_miss(c, -errno);
                if (!S_ISLNK(ret->stx_mode) || at_flags & AT_SYMLINK_NOFOLLOW) {
                        c->used_fast = true;
                        return 0;
                }
                /* a symlink to follow: the full walk, inside the root */
        }
        /* O_PATH needs no permission on the file itself, only search on
         * the way, as stat() */
        _cleanup_close_ int fd =
                fast_openat2(c, abs, O_PATH | (at_flags & AT_SYMLINK_NOFOLLOW ? O_NOFOLLOW : 0));
        if (fd < 0)
                return final_or_miss(c, fd);
        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | (at_flags & AT_STATX_SYNC_TYPE), mask, ret) < 0)
                return SENTRY_FAST_MISS;
        c->used_fast = true;
        return 0;
}

int sentry_fast_statx(struct sentry_call *c, const char *abs, int at_flags, unsigned mask, struct statx *ret) {
        if (!caller_overrides_dac(c))
                return SENTRY_FAST_MISS;
        return fast_statx(c, abs, at_flags, mask, ret);
}

/*
 * access() checks with the real ids unless AT_EACCESS, and the kernel then
 * gives root its permitted capabilities and others none
 * (access_override_creds); with a DAC override in that set, a file that
 * exists may be read (R_OK) and F_OK is existence.  W_OK (a read-only
 * mount says EROFS) and X_OK (execute bits, a noexec mount) go to the
 * Gofer.  Every dynamically linked program asks access("/etc/ld.so.preload",
 * R_OK) at start: 30 us here against 400 through the Gofer.
 */
int sentry_fast_access(struct sentry_call *c, const char *abs, int mode, int at_flags) {
        uint64_t caps;
        if (mode & (W_OK | X_OK) || sentry_cred_access_caps(c, at_flags & AT_EACCESS, &caps) < 0 ||
            !overrides_dac(c, caps))
                return SENTRY_FAST_MISS;
        struct statx x;
        int r = fast_statx(c, abs, at_flags & AT_SYMLINK_NOFOLLOW, STATX_TYPE, &x);
        return r == SENTRY_FAST_MISS || r < 0 ? r : 0;
}

int sentry_fast_open(struct sentry_call *c, const char *abs, int flags, int *ret_fd) {
        /* only what reads: no creating, truncating, writing; O_NOATIME
         * asks for ownership, which the Sentry's uid never has */
        if ((flags & O_ACCMODE) != O_RDONLY || flags & (O_CREAT | O_TMPFILE | O_TRUNC | O_NOATIME))
                return SENTRY_FAST_MISS;
        if (!caller_overrides_dac(c))
                return SENTRY_FAST_MISS;
        /* Look before opening: even a non-blocking open of a FIFO would
         * pair with a writer waiting in the Gofer, and a device's open has
         * effects of its own.  Both go to the Gofer. */
        _cleanup_close_ int path_fd = -1;
        struct stat st;
        const char *base;
        int dir = cached_parent(c, abs, &base);
        if (dir >= 0) {
                path_fd = openat(dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (path_fd < 0)
                        return final_or_miss(c, -errno);
                if (fstat(path_fd, &st) < 0)
                        return SENTRY_FAST_MISS;
                if (S_ISLNK(st.st_mode) && !(flags & O_NOFOLLOW)) {
                        /* to follow: the full walk, inside the root */
                        close(path_fd);
                        path_fd = -1;
                } else if (flags & O_DIRECTORY && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
                        return final_or_miss(c, -ENOTDIR);
        }
        if (path_fd < 0) {
                path_fd = fast_openat2(c, abs, O_PATH | (flags & (O_NOFOLLOW | O_DIRECTORY)));
                if (path_fd < 0)
                        return final_or_miss(c, path_fd);
                if (fstat(path_fd, &st) < 0)
                        return SENTRY_FAST_MISS;
        }
        if (!(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
                return SENTRY_FAST_MISS;
        /* Reopen that very inode through its magic link (no second lookup
         * a rename could redirect); the kernel checks the Sentry's
         * permission to read it.  Bits open() ignores and open of a magic
         * link refuses come back as a miss: the Gofer applies open()'s
         * own mask. */
        char link[16];
        snprintf(link, sizeof link, "%d", path_fd);
        int fd = openat(sentry_own_fd_dir(c), link, (flags & ~(O_NOFOLLOW | O_CLOEXEC)) | O_CLOEXEC);
        if (fd < 0)
                return SENTRY_FAST_MISS;
        *ret_fd = fd;
        c->used_fast = true;
        return 0;
}

int sentry_fast_readlink(struct sentry_call *c, const char *abs, char *buf, size_t len) {
        if (!caller_overrides_dac(c))
                return SENTRY_FAST_MISS;
        const char *base;
        int dir = cached_parent(c, abs, &base);
        if (dir >= 0) {
                ssize_t n = readlinkat(dir, base, buf, len);
                if (n >= 0) {
                        c->used_fast = true;
                        return (int) n;
                }
                /* EINVAL: no symlink, as Linux says */
                return errno == EINVAL ? (c->used_fast = true, -EINVAL) : final_or_miss(c, -errno);
        }
        _cleanup_close_ int fd = fast_openat2(c, abs, O_PATH | O_NOFOLLOW);
        if (fd < 0)
                return final_or_miss(c, fd);
        /* "" names the symlink itself.  On anything else the kernel says
         * ENOENT for the empty name (fs/stat.c), where readlink of the
         * path says EINVAL: taking that ENOENT for a miss sent every
         * readlink of a directory in a volume (gcc canonicalises each
         * include directory) to the Gofer, 150 us instead of 25. */
        ssize_t n = readlinkat(fd, "", buf, len);
        if (n < 0)
                return errno == EINVAL || errno == ENOENT ? (c->used_fast = true, -EINVAL) : SENTRY_FAST_MISS;
        c->used_fast = true;
        return (int) n;
}
