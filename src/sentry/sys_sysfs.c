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

long sentry_sysfs_open(struct sentry_call *c, const struct sentry_path *p, int flags, uint64_t resolve_flags) {
        unsigned bit = synthesized(c, p, resolve_flags);
        if (!bit)
                return SENTRY_FAST_MISS;
        /* as the skeleton in the workload's view, which is read-only */
        int r = sentry_synth_refuse_writes(flags);
        if (r < 0)
                return r;
        cpu_set_t set;
        unsigned n;
        r = container_cpus(c, &set, &n);
        if (r < 0)
                return r;
        char list[4096], text[sizeof list + 2];
        r = cpu_list_format(&set, list, sizeof list);
        if (r < 0)
                return log_error_errno(r, "sentry: the container's CPUs as a list");
        snprintf(text, sizeof text, "%s\n", list);
        int fd = sentry_sealed_file(c, sentry_sysfs_path(bit), text, strlen(text), flags);
        if (fd < 0)
                return fd;
        return sentry_install_fd(c, fd, flags & O_CLOEXEC);
}
