/* SPDX-License-Identifier: MIT */
/*
 * File access for the resource writers.  Errors are returned, not logged:
 * the writer knows which resource a failed file belongs to.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup_resources.h"
#include "log.h"
#include "util.h"

static int join(const char *dir, const char *file, char *buf, size_t len) {
        int n = snprintf(buf, len, "%s/%s", dir, file);
        return n < 0 || (size_t) n >= len ? -ENAMETOOLONG : 0;
}

int rc_write(const char *dir, const char *file, const char *value) {
        char p[PATH_MAX];
        int r = join(dir, file, p, sizeof p);
        if (r < 0)
                return r;
        log_debug("cgroup: %s <- \"%s\"", p, value);
        /* O_TRUNC keeps the unit test's regular files holding only the last value;
         * cgroupfs ignores it */
        _cleanup_close_ int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* a cgroup knob takes its value in a single write */
        size_t len = strlen(value);
        ssize_t w = write(fd, value, len);
        if (w < 0)
                return -errno;
        return (size_t) w == len ? 0 : -EIO;
}

int rc_write_fmt(const char *dir, const char *file, const char *fmt, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= sizeof buf)
                return -EINVAL;
        return rc_write(dir, file, buf);
}

bool rc_exists(const char *dir, const char *file) {
        char p[PATH_MAX];
        return join(dir, file, p, sizeof p) == 0 && access(p, F_OK) == 0;
}

int rc_read_u64(const char *dir, const char *file, uint64_t *ret) {
        char p[PATH_MAX];
        int r = join(dir, file, p, sizeof p);
        if (r < 0)
                return r;
        _cleanup_free_ char *buf = NULL;
        r = read_file_at(AT_FDCWD, p, &buf, NULL);
        if (r < 0)
                return r;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(buf, &end, 10);
        if (errno || end == buf)
                return -EINVAL;
        *ret = v;
        return 0;
}

int rc_rdma_line(const struct rc_rdma *d, char *buf, size_t len) {
        int n = snprintf(buf, len, "%s", d->device);
        if (d->handles.set && n >= 0 && (size_t) n < len)
                n += snprintf(buf + n, len - (size_t) n, " hca_handle=%" PRId64, d->handles.v);
        if (d->objects.set && n >= 0 && (size_t) n < len)
                n += snprintf(buf + n, len - (size_t) n, " hca_object=%" PRId64, d->objects.v);
        return n < 0 || (size_t) n >= len ? -ENAMETOOLONG : 0;
}
