/* SPDX-License-Identifier: MIT */
/*
 * Path resolution from arbitrary bytes.  The first byte picks what runs:
 *
 *  - sentry_path_join() (src/sentry/path.c), the Sentry's lexical folding
 *    of a caller's path onto its cwd, against a reference model written
 *    here component by component: "//" and inner "." go, a last "." and a
 *    trailing slash stay, ".." is kept for the Gofer; -ENAMETOOLONG exactly
 *    when the result does not fit.  Folding is idempotent, and
 *    sentry_path_kernel_view() only claims paths under /proc, /sys or /dev
 *    that have no ".." component.
 *
 *  - the Gofer's walks (src/gofer/walk.c) inside a temporary root made once
 *    per process (fuzz_root.h), full of symlinks that point up, out, at "/"
 *    and at each other: whatever the path, every fd a walk returns, and every name it
 *    hands to an *at() call, is an inode of that root (checked by dev/ino
 *    against the set collected when the root was made, and by the fd's
 *    /proc/self/fd link).  A next to the root, outside, are files the walks
 *    must never reach.  gofer_walk_follow_named() names no symlink and the
 *    same object as gofer_walk_follow() whenever both succeed.
 *
 * The tree is never modified: the walks only open O_PATH descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_root.h"
#include "gofer/walk.h"
#include "sentry/call.h"

/* ------------------------------------------------------------ lexical */

struct model {
        char out[2 * PATH_MAX + 8];
        size_t len;
};

static void model_add(struct model *m, const char *c, size_t n) {
        if (m->len > 1)
                m->out[m->len++] = '/';
        else
                m->len = 1;
        memcpy(m->out + m->len, c, n);
        m->len += n;
        m->out[m->len] = 0;
}

static void model_fold(struct model *m, const char *p, bool keep_last_dot) {
        size_t i = 0, n = strlen(p);
        while (i < n) {
                while (i < n && p[i] == '/')
                        i++;
                if (i == n)
                        break;
                size_t j = i;
                while (j < n && p[j] != '/')
                        j++;
                size_t k = j;
                while (k < n && p[k] == '/')
                        k++;
                bool last = k == n;
                bool dot = j - i == 1 && p[i] == '.';
                if (!dot || (last && keep_last_dot))
                        model_add(m, p + i, j - i);
                i = j;
        }
}

static void check_kernel_view(const char *abs) {
        if (!sentry_path_kernel_view(abs))
                return;
        bool under = false;
        for (const char *v = "/proc\0/sys\0/dev\0"; *v; v += strlen(v) + 1) {
                size_t n = strlen(v);
                if (strncmp(abs, v, n) == 0 && (abs[n] == 0 || abs[n] == '/'))
                        under = true;
        }
        FUZZ_CHECK(under);
        /* ".." is let through only where it climbs procfs's own directories
         * (/proc/self/../meminfo): folded, the path must stay below /proc
         * and keep no ".." */
        bool dotdot = false;
        for (const char *c = abs; *c;) {
                while (*c == '/')
                        c++;
                size_t n = strcspn(c, "/");
                dotdot |= n == 2 && c[0] == '.' && c[1] == '.';
                c += n;
        }
        if (!dotdot)
                return;
        char folded[PATH_MAX];
        FUZZ_CHECK(sentry_path_procfs_fold(abs, folded, sizeof folded) == 0);
        FUZZ_CHECK(strncmp(folded, "/proc", 5) == 0 && (folded[5] == 0 || folded[5] == '/'));
        for (const char *c = folded; *c;) {
                while (*c == '/')
                        c++;
                size_t n = strcspn(c, "/");
                FUZZ_CHECK(!(n == 2 && c[0] == '.' && c[1] == '.'));
                c += n;
        }
}

static void fuzz_join(uint8_t sel, const char *in, size_t n) {
        /* base NUL rel; a small output buffer half of the time */
        char base[PATH_MAX], rel[PATH_MAX];
        size_t bl = strnlen(in, n);
        const char *r = bl < n ? in + bl + 1 : in + n;
        size_t rl = strnlen(r, (size_t) (in + n - r));
        if (bl >= sizeof base || rl >= sizeof rel)
                return;
        memcpy(base, in, bl);
        base[bl] = 0;
        memcpy(rel, r, rl);
        rel[rl] = 0;
        if (base[0] != '/') /* the Sentry's bases come from /proc links: absolute */
                return;
        size_t size = (sel & 0x10) ? (size_t) (sel >> 5) * 8 + 1 : PATH_MAX;

        struct model m = {.out = "/", .len = 1};
        if (rel[0] != '/')
                model_fold(&m, base, false);
        model_fold(&m, rel, true);
        if (rl > 0 && rel[rl - 1] == '/' && m.len > 1) {
                m.out[m.len++] = '/';
                m.out[m.len] = 0;
        }

        char out[PATH_MAX];
        int k = sentry_path_join(base, rel, out, size);
        if (m.len >= size) {
                FUZZ_CHECK(k == -ENAMETOOLONG);
                return;
        }
        FUZZ_CHECK(k == 0);
        FUZZ_CHECK(strcmp(out, m.out) == 0);
        FUZZ_CHECK(strstr(out, "//") == NULL);

        char again[PATH_MAX];
        FUZZ_CHECK(sentry_path_join("/", out, again, sizeof again) == 0);
        FUZZ_CHECK(strcmp(again, out) == 0);
        check_kernel_view(out);
}

/* ------------------------------------------------------------- walks */

/* The object an *at(dirfd, name, AT_SYMLINK_NOFOLLOW) call acts on, when it exists. */
static bool check_named(const struct gofer_walk *w, bool strip_slashes, struct stat *st) {
        FUZZ_CHECK(w->dirfd >= 0);
        check_fd(w->dirfd);
        char name[PATH_MAX];
        snprintf(name, sizeof name, "%s", w->name);
        size_t n = strlen(name);
        while (strip_slashes && n > 1 && name[n - 1] == '/')
                name[--n] = 0;
        FUZZ_CHECK(strchr(name, '/') == NULL || (w->last == GOFER_LAST_ROOT));
        /* "." is dirfd itself; ".." is refused by every call given one */
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == 0)
                return false;
        if (fstatat(w->dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
                return false;
        FUZZ_CHECK(inside(st));
        return true;
}

static void fuzz_walk(uint8_t sel, const char *in, size_t n) {
        char path[PATH_MAX + 64];
        size_t len = strnlen(in, n);
        if (len >= sizeof path)
                len = sizeof path - 1;
        memcpy(path, in, len);
        path[len] = 0;

        struct gofer_walk w = GOFER_WALK_INIT;
        switch (((sel >> 1) & 7) % 5) { /* bits 4-7: open's flags */
        case 0: { /* open, as GOFER_OP_OPEN with O_PATH */
                static const uint64_t res[] = {0, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV, RESOLVE_CACHED};
                int flags = O_PATH | ((sel & 0x10) ? O_DIRECTORY : 0) | ((sel & 0x20) ? O_NOFOLLOW : 0);
                int fd = gofer_walk_open(root_fd, path, flags, 0, res[sel >> 6]);
                if (fd >= 0) {
                        check_fd(fd);
                        close(fd);
                }
                break;
        }
        case 1: /* the object, symlinks followed */
                if (gofer_walk_follow(root_fd, path, &w) == 0) {
                        FUZZ_CHECK(w.name[0] == 0 && (w.at_flags & AT_EMPTY_PATH));
                        check_fd(w.dirfd);
                }
                break;
        case 2: { /* the object itself */
                struct stat st;
                if (gofer_walk_nofollow(root_fd, path, &w) == 0) {
                        FUZZ_CHECK(w.at_flags & AT_SYMLINK_NOFOLLOW);
                        check_named(&w, false, &st);
                }
                break;
        }
        case 3: { /* the parent, for the calls that create or remove */
                struct stat st;
                if (gofer_walk_parent(root_fd, path, &w) == 0)
                        check_named(&w, true, &st);
                break;
        }
        case 4: { /* followed, but named through its parent */
                struct stat st, fst;
                if (gofer_walk_follow_named(root_fd, path, &w) != 0)
                        break;
                bool exists = check_named(&w, false, &st);
                if (!exists)
                        break;
                FUZZ_CHECK(!S_ISLNK(st.st_mode));
                struct gofer_walk f = GOFER_WALK_INIT;
                if (gofer_walk_follow(root_fd, path, &f) == 0) {
                        FUZZ_CHECK(fstat(f.dirfd, &fst) == 0);
                        FUZZ_CHECK(fst.st_dev == st.st_dev && fst.st_ino == st.st_ino);
                        gofer_walk_done(&f);
                }
                break;
        }
        }
        gofer_walk_done(&w);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_logs();
        make_root();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        if (data[0] & 1)
                fuzz_join(data[0], (const char *) data + 1, size - 1);
        else
                fuzz_walk(data[0], (const char *) data + 1, size - 1);
        return 0;
}
