/* SPDX-License-Identifier: MIT */
/*
 * The caller's memory: one process_vm_readv / process_vm_writev per
 * argument, then SECCOMP_IOCTL_NOTIF_ID_VALID.  The check after the copy is
 * what makes the copy trustworthy: while the notification is pending its
 * thread is blocked in the syscall, so if the id is still valid after the
 * read, the pid still named that thread when it was read (and not a process
 * that reused the pid after the caller was killed).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "sentry/call.h"

#define PAGE 4096UL

int sentry_valid(struct sentry_call *c) {
        uint64_t id = c->req->id;
        if (ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
                return -ENOENT;
        return 0;
}

int sentry_take_fd(struct sentry_call *c, int fd) {
        _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, c->req->pid, PIDFD_THREAD);
        if (pidfd < 0 && errno == EINVAL) /* before Linux 6.9: thread-group leaders only */
                pidfd = (int) syscall(SYS_pidfd_open, c->req->pid, 0);
        if (pidfd < 0)
                return errno == ESRCH ? -ENOENT : -errno;
        /* the pidfd names the caller only if the notification is still pending */
        int r = sentry_valid(c);
        if (r < 0)
                return r;
        int got = (int) syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        return got >= 0 ? got : -errno;
}

int sentry_read(struct sentry_call *c, uint64_t addr, void *buf, size_t len) {
        if (len == 0)
                return 0;
        struct iovec local = {.iov_base = buf, .iov_len = len};
        struct iovec remote = {.iov_base = (void *) (uintptr_t) addr, .iov_len = len};
        ssize_t n = process_vm_readv((pid_t) c->req->pid, &local, 1, &remote, 1, 0);
        if (n < 0 && errno != EFAULT)
                return errno == ESRCH ? -ENOENT : -errno;
        if (n != (ssize_t) len)
                return -EFAULT;
        return sentry_valid(c);
}

/*
 * One syscall for the whole string: the remote side is split at page
 * boundaries, so the kernel copies page by page and stops at the first
 * unmapped one, which tells a string that ends just before a hole (fine)
 * from one that runs into it (EFAULT), as the kernel's strncpy_from_user.
 */
int sentry_read_str(struct sentry_call *c, uint64_t addr, char *buf, size_t size) {
        if (size == 0 || size > PATH_MAX)
                return -ENAMETOOLONG;
        if (addr == 0)
                return -EFAULT;
        struct iovec local = {.iov_base = buf, .iov_len = size};
        struct iovec remote[PATH_MAX / PAGE + 1];
        size_t n_remote = 0, want = 0;
        while (want < size) {
                uint64_t at = addr + want;
                size_t chunk = PAGE - (size_t) (at & (PAGE - 1));
                if (chunk > size - want)
                        chunk = size - want;
                remote[n_remote++] = (struct iovec){.iov_base = (void *) (uintptr_t) at, .iov_len = chunk};
                want += chunk;
        }
        local.iov_len = want;
        ssize_t n = process_vm_readv((pid_t) c->req->pid, &local, 1, remote, n_remote, 0);
        if (n < 0) {
                if (errno == EFAULT)
                        return -EFAULT;
                return errno == ESRCH ? -ENOENT : -errno;
        }
        int r = sentry_valid(c);
        if (r < 0)
                return r;
        char *nul = memchr(buf, 0, (size_t) n);
        if (nul)
                return (int) (nul - buf);
        if ((size_t) n < want)
                return -EFAULT;
        buf[size - 1] = 0;
        return -ENAMETOOLONG;
}

int sentry_write(struct sentry_call *c, uint64_t addr, const void *buf, size_t len) {
        if (len == 0)
                return 0;
        struct iovec local = {.iov_base = (void *) buf, .iov_len = len};
        struct iovec remote = {.iov_base = (void *) (uintptr_t) addr, .iov_len = len};
        ssize_t n = process_vm_writev((pid_t) c->req->pid, &local, 1, &remote, 1, 0);
        if (n < 0 && errno != EFAULT)
                return errno == ESRCH ? -ENOENT : -errno;
        if (n != (ssize_t) len)
                return -EFAULT;
        return sentry_valid(c);
}
