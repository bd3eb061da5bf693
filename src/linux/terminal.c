/* SPDX-License-Identifier: MIT */
#include "linux/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <termios.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

/* runc's utils.MaxNameLen: the receiver accepts any name shorter than this. */
#define FD_NAME_MAX 4096
/* Room for a few fds so that a peer sending too many is detected, not truncated. */
#define FD_RECV_MAX 8

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int fd_send(int sock, int fd, const char *name) {
        /* A stream socket carries no ancillary data without at least one byte
         * of payload; Go sends one NUL byte for an empty name, and so do we. */
        const char *payload = name && *name ? name : "";
        size_t len = *payload ? strlen(payload) : 1;
        if (len >= FD_NAME_MAX)
                return log_error_errno(-ENAMETOOLONG, "send fd: name too long (%zu bytes)", len);

        ssize_t n = send_with_fd(sock, payload, len, fd);
        if (n < 0)
                return log_error_errno((int) n, "send fd %d (%s)", fd, payload);
        if ((size_t) n != len)
                return log_error_errno(-EPIPE, "send fd %d (%s): short write", fd, payload);
        return 0;
}

int fd_recv(int sock, int *ret_fd) {
        char name[FD_NAME_MAX + 1];
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * FD_RECV_MAX)];
        } control;
        struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof control.buf,
        };
        ssize_t n;
        do
                n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return log_error_errno(-errno, "receive fd: recvmsg");

        /* Collect every fd the kernel installed, so that none leaks whatever
         * else is wrong with the message. */
        int fds[FD_RECV_MAX] = {-1};
        size_t nfds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k && nfds < FD_RECV_MAX; i++)
                        memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        }

        int err = 0;
        if (n == 0 && nfds == 0)
                err = -EPIPE; /* not an error for callers that only may get an fd */
        else if (msg.msg_flags & MSG_CTRUNC)
                err = log_error_errno(-EPROTO, "receive fd: too many fds (control data truncated)");
        else if ((size_t) n > FD_NAME_MAX - 1 || (msg.msg_flags & MSG_TRUNC))
                err = log_error_errno(-EPROTO, "receive fd: name longer than %d bytes", FD_NAME_MAX - 1);
        else if (nfds != 1)
                err = log_error_errno(-EPROTO, "receive fd: expected 1 fd, got %zu", nfds);
        if (err < 0) {
                for (size_t i = 0; i < nfds; i++)
                        close(fds[i]);
                return err;
        }
        *ret_fd = fds[0];
        return 0;
}

/* /dev/console must name the container's terminal, as on a real system.
 * Create the mount point only on a tmpfs /dev (the one the runtime mounted):
 * a /dev that is part of the tenant's image on disk is not ours to write. */
static int mount_console(const char *slave_path) {
        struct stat st;
        if (lstat("/dev/console", &st) < 0) {
                if (errno != ENOENT)
                        return log_error_errno(-errno, "stat /dev/console");
                struct statfs sfs;
                if (statfs("/dev", &sfs) < 0 || sfs.f_type != TMPFS_MAGIC) {
                        log_debug("no /dev/console and /dev is not a tmpfs: console not bound");
                        return 0;
                }
                /* O_EXCL|O_NOFOLLOW: nothing may be sitting there by now. */
                _cleanup_close_ int fd =
                        open("/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0)
                        return log_error_errno(-errno, "create /dev/console");
        } else if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) {
                /* mount(2) would follow a link planted by the image. */
                return log_error_errno(-EINVAL, "/dev/console is a %s, refusing to mount the console on it",
                                       S_ISLNK(st.st_mode) ? "symlink" : "directory");
        }
        if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0)
                return log_error_errno(-errno, "bind %s onto /dev/console", slave_path);
        return 0;
}

/* With stdio closed, the pty fds land on 0-2, where the dup2() onto stdio
 * would close the master (hanging the terminal up) or keep O_CLOEXEC on the
 * slave.  Takes ownership of fd. */
static int fd_above_stdio(int fd, const char *what) {
        if (fd > STDERR_FILENO)
                return fd;
        int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        int err = -errno;
        close(fd);
        if (moved < 0)
                return log_error_errno(err, "move %s above stdio", what);
        return moved;
}

static int open_slave(int master, const char *path) {
        /* TIOCGPTPEER (4.13) opens the peer of this very master, whatever the
         * path names; the path is the fallback and must be checked. */
        int fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 && errno != EINVAL && errno != ENOTTY)
                return log_error_errno(-errno, "open the pty peer of /dev/ptmx");
        if (fd < 0) {
                fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (fd < 0)
                        return log_error_errno(-errno, "open %s", path);
        }
        /* The path is what /dev/console gets bound to: it must be this pty,
         * which holds only when /dev/ptmx belongs to the /dev/pts instance. */
        struct stat a, b;
        if (fstat(fd, &a) < 0 || stat(path, &b) < 0 || a.st_rdev != b.st_rdev || !S_ISCHR(b.st_mode)) {
                close(fd);
                return log_error_errno(-ENXIO, "%s is not the pty opened from /dev/ptmx "
                                               "(is /dev/ptmx a link to pts/ptmx?)", path);
        }
        return fd_above_stdio(fd, path);
}

int terminal_setup(int sock, uid_t uid, gid_t gid, unsigned rows, unsigned cols, bool bind_console) {
        int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "open /dev/ptmx");
        _cleanup_close_ int master = fd_above_stdio(fd, "/dev/ptmx");
        if (master < 0)
                return master;
        if (unlockpt(master) < 0)
                return log_error_errno(-errno, "unlockpt");
        char path[PATH_MAX];
        int r = ptsname_r(master, path, sizeof path);
        if (r != 0)
                return log_error_errno(-r, "ptsname");

        _cleanup_close_ int slave = open_slave(master, path);
        if (slave < 0)
                return slave;

        /* The workload must own its terminal to use it (runc's
         * fixStdioPermissions).  The group stays whatever devpts gave it
         * (gid=5 "tty" in the default spec) unless the caller names one. */
        struct stat st;
        if (fstat(slave, &st) < 0)
                return log_error_errno(-errno, "stat %s", path);
        if ((st.st_uid != uid || (gid != (gid_t) -1 && st.st_gid != gid)) && fchown(slave, uid, gid) < 0) {
                /* EINVAL: id not mapped in this user namespace; EPERM: the pty's
                 * owner is not; EROFS: read-only /dev.  runc leaves the tty alone
                 * in these cases rather than failing the container. */
                if (errno != EINVAL && errno != EPERM && errno != EROFS)
                        return log_error_errno(-errno, "chown %s to %u", path, uid);
                log_debug("chown %s to %u: %s (left as is)", path, uid, strerror(errno));
        }

        /* runc resizes only when both are given: a 0 dimension is "unset". */
        if (rows && cols) {
                struct winsize ws = {.ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols};
                if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
                        return log_error_errno(-errno, "set the size of %s to %ux%u", path, cols, rows);
        }

        if (bind_console) {
                r = mount_console(path);
                if (r < 0)
                        return r;
        }

        /* A controlling terminal can only be taken by a session leader without
         * one; the runtime may already have made us a leader. */
        if (getsid(0) != getpid() && setsid() < 0)
                return log_error_errno(-errno, "setsid");
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                return log_error_errno(-errno, "make %s the controlling terminal", path);

        for (int i = STDIN_FILENO; i <= STDERR_FILENO; i++)
                if (dup2(slave, i) < 0)
                        return log_error_errno(-errno, "dup %s onto fd %d", path, i);

        /* Last, so that the caller only ever receives the master of a
         * terminal that is completely set up. */
        return fd_send(sock, master, path);
}

int console_open(int given, const char *path, int *ret) {
        *ret = -1;
        if (given >= 0) {
                *ret = fcntl(given, F_DUPFD_CLOEXEC, 3);
                return *ret < 0 ? log_error_errno(-errno, "dup console socket") : 0;
        }
        if (!path)
                return 0;
        *ret = console_connect(path);
        return *ret < 0 ? *ret : 0;
}

int console_connect(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof sa.sun_path)
                return log_error_errno(-ENAMETOOLONG, "--console-socket %s", path);
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(-errno, "socket");
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                int e = -errno;
                close(fd);
                return log_error_errno(e, "connect to --console-socket %s", path);
        }
        return fd;
}
