/* SPDX-License-Identifier: MIT */
/*
 * The /sys files whose content is the container's CPU limit: the cpu lists
 * online, possible, present of /sys/devices/system/cpu and node0's cpulist,
 * rendered at every open from the container's cgroup (container_cpus(), as
 * /proc/cpuinfo and sched_getaffinity count them), so that a quota changed
 * by `update` shows at once.  The rest of the sandbox's /sys is the
 * read-only skeleton made at create (src/linux/sysfs_skeleton.c), which the
 * kernel serves: the Sentry CONTINUEs every other /sys path
 * (sentry_path_kernel_view).
 *
 * As the synthesized /proc files: a sealed memfd with the content, reopened
 * read-only and installed with ADDFD+SEND.  stat by path is the skeleton's
 * (a 0444 regular file whose size is the content at create).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "sentry/call.h"
#include "util.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U /* Linux 6.3 */
#endif

static const char *const sysfs_paths[] = {
        "/sys/devices/system/cpu/online",
        "/sys/devices/system/cpu/possible",
        "/sys/devices/system/cpu/present",
        "/sys/devices/system/node/node0/cpulist",
};

const char *sentry_sysfs_path(unsigned bit) {
        for (size_t i = 0; i < ELEMENTSOF(sysfs_paths); i++)
                if (bit == 1U << i)
                        return sysfs_paths[i];
        return NULL;
}

/* The SENTRY_SYSFS_* bit of the file p names, or 0.  Paths with ".." went
 * to the Gofer (sentry_path_kernel_view), which sees the skeleton. */
static unsigned synthesized(struct sentry_call *c, const struct sentry_path *p, uint64_t resolve_flags) {
        if (!c->cfg->sysfs_files)
                return 0;
        /* RESOLVE_* would judge the walk, which only a single component
         * below a directory descriptor passes as it is */
        if (resolve_flags && strchr(p->user, '/'))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(sysfs_paths); i++)
                if (strcmp(p->abs, sysfs_paths[i]) == 0)
                        return c->cfg->sysfs_files & (1U << i);
        return 0;
}

/* text in a sealed memfd, reopened read-only (flags: O_NONBLOCK, O_PATH). */
static int sealed_file(struct sentry_call *c, const char *name, const char *text, int flags) {
        /* not executable (mode 0666); kernels before 6.3 know no such flag */
        _cleanup_close_ int mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
        if (mfd < 0 && errno == EINVAL)
                mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return log_error_errno(-errno, "sentry: memfd_create");
        ssize_t n = write_full(mfd, text, strlen(text));
        if (n < 0)
                return log_error_errno((int) n, "sentry: writing %s", name);
        if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
                return log_error_errno(-errno, "sentry: sealing %s", name);
        /* a new read-only file description of the same inode, at offset 0 */
        char link[64];
        snprintf(link, sizeof link, "thread-self/fd/%d", mfd);
        int fd = openat(c->cfg->proc_fd, link, (flags & (O_NONBLOCK | O_PATH)) | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "sentry: reopening %s read-only", name);
        return fd;
}

long sentry_sysfs_open(struct sentry_call *c, const struct sentry_path *p, int flags, uint64_t resolve_flags) {
        unsigned bit = synthesized(c, p, resolve_flags);
        if (!bit)
                return SENTRY_FAST_MISS;
        /* As the skeleton in the workload's view, which is read-only: the
         * file exists, is no directory, and cannot be written. */
        if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
                return -EEXIST;
        if (flags & O_DIRECTORY)
                return -ENOTDIR;
        if (!(flags & O_PATH) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
                return -EROFS;
        cpu_set_t set;
        unsigned n;
        int r = container_cpus(c, &set, &n);
        if (r < 0)
                return r;
        char list[4096], text[sizeof list + 2];
        r = cpu_list_format(&set, list, sizeof list);
        if (r < 0)
                return log_error_errno(r, "sentry: the container's CPUs as a list");
        snprintf(text, sizeof text, "%s\n", list);
        const char *base = strrchr(sentry_sysfs_path(bit), '/') + 1;
        char name[32];
        snprintf(name, sizeof name, "cocoon-%s", base);
        int fd = sealed_file(c, name, text, flags);
        if (fd < 0)
                return fd;
        return sentry_install_fd(c, fd, flags & O_CLOEXEC);
}
