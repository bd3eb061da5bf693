/* SPDX-License-Identifier: MIT */
/*
 * execve, execveat: checked, then CONTINUEd.
 *
 * Why the kernel may run them although the path is in memory the workload
 * can change: the kernel resolves the path again, but in the workload's own
 * mount namespace, whose view of the rootfs is read-only (the sandbox
 * remounts it recursively), with the workload's own credentials and its
 * no_new_privs.  A racing thread can therefore only make it execute another
 * file of its own view, which it could have named in the first place.  The
 * Gofer is not involved: the file is mapped by the kernel from the
 * read-only view, never written through it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sentry/call.h"

#define ARG(i) (c->req->data.args[i])

/* The first arguments as one string, for --strace only. */
static void strace_argv(struct sentry_call *c, uint64_t argv) {
        if (!c->strace || !argv)
                return;
        uint64_t ptrs[8];
        unsigned n = 0;
        for (; n < 8; n++)
                if (sentry_read(c, argv + n * sizeof(uint64_t), &ptrs[n], sizeof ptrs[n]) < 0 || !ptrs[n])
                        break;
        char out[SENTRY_STRACE_STR_MAX];
        size_t len = 0;
        out[0] = 0;
        for (unsigned i = 0; i < n && len + 4 < sizeof out; i++) {
                char arg[64];
                int r = sentry_read_str(c, ptrs[i], arg, sizeof arg);
                if (r == -ENAMETOOLONG)
                        snprintf(arg + sizeof arg - 4, 4, "...");
                else if (r < 0)
                        snprintf(arg, sizeof arg, "?");
                int k = snprintf(out + len, sizeof out - len, "%s%s", i ? " " : "", arg);
                if (k < 0)
                        break;
                len += (size_t) k < sizeof out - len ? (size_t) k : sizeof out - len - 1;
        }
        if (n == 8 && len + 4 < sizeof out)
                snprintf(out + len, sizeof out - len, " ...");
        sentry_strace_str(c, out);
}

static long do_exec(struct sentry_call *c, uint64_t path, uint64_t argv, int flags) {
        if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
                return -EINVAL;
        /* The copy gives the errno Linux gives for a bad path (EFAULT,
         * ENAMETOOLONG, ENOENT for "") and names the file in --strace; the
         * kernel resolves it (and the dirfd) itself. */
        char file[PATH_MAX];
        int r = sentry_read_str(c, path, file, sizeof file);
        if (r < 0)
                return r;
        sentry_strace_str(c, file);
        if (file[0] == 0 && !(flags & AT_EMPTY_PATH))
                return -ENOENT;
        strace_argv(c, argv);
        return SENTRY_CONTINUE;
}

long sys_execve(struct sentry_call *c) {
        return do_exec(c, ARG(0), ARG(1), 0);
}

long sys_execveat(struct sentry_call *c) {
        return do_exec(c, ARG(1), ARG(2), (int) ARG(4));
}
