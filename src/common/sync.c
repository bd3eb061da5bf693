/* SPDX-License-Identifier: MIT */
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* -errno of a failed send or recv, where ECONNRESET (the peer died with
 * our message unread, a race with its death) is EPIPE like every other
 * way the peer's death shows: callers log "died during set-up" for EPIPE,
 * and an ECONNRESET made create fail without a line. */
static int peer_errno(void) {
        return errno == ECONNRESET ? -EPIPE : -errno;
}

int sync_send(int fd, enum sync_type type, int32_t value) {
        struct sync_msg m = {.type = type, .value = value};
        ssize_t n;
        do
                n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return peer_errno();
        return n == sizeof m ? 0 : -EPIPE;
}

int sync_recv(int fd, struct sync_msg *m) {
        ssize_t n;
        do
                n = recv(fd, m, sizeof *m, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return peer_errno();
        if (n != sizeof *m)
                return -EPIPE;
        m->msg[sizeof m->msg - 1] = 0;
        return 0;
}

/* The child's one error line, logged; its errno, except that callers read
 * EPIPE and EPROTO from here as "the child died" and "the child is confused"
 * and would add a second line for the same failure. */
static int child_error(const struct sync_msg *m) {
        int r = log_error_raw(m->value, m->msg);
        return r == -EPIPE || r == -EPROTO ? -EIO : r;
}

int sync_expect(int fd, enum sync_type type, int32_t *value) {
        struct sync_msg m;
        for (;;) {
                int r = sync_recv(fd, &m);
                if (r < 0)
                        return r;
                if (m.type == SYNC_WARNING) {
                        log_warn("%s", m.msg);
                        continue;
                }
                break;
        }
        if (m.type == SYNC_ERROR)
                return child_error(&m);
        if (m.type != (int32_t) type)
                return -EPROTO;
        if (value)
                *value = m.value;
        return 0;
}

int sync_expect_either(int fd, enum sync_type a, enum sync_type b, enum sync_type *ret_type, int32_t *value) {
        struct sync_msg m;
        for (;;) {
                int r = sync_recv(fd, &m);
                if (r < 0)
                        return r;
                if (m.type != SYNC_WARNING)
                        break;
                log_warn("%s", m.msg);
        }
        if (m.type == SYNC_ERROR)
                return child_error(&m);
        if (m.type != (int32_t) a && m.type != (int32_t) b)
                return -EPROTO;
        *ret_type = (enum sync_type) m.type;
        if (value)
                *value = m.value;
        return 0;
}

int sync_send_fd(int fd, enum sync_type type, int passfd) {
        struct sync_msg m = {.type = type};
        ssize_t n = send_with_fd(fd, &m, sizeof m, passfd);
        if (n < 0)
                return (int) n;
        return n == sizeof m ? 0 : -EPIPE;
}

/* One message and the fds that came with it (at most a few; extras are closed). */
static int recv_with_fd(int fd, struct sync_msg *m, int *ret_fd) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * 4)];
        } control;
        struct iovec iov = {.iov_base = m, .iov_len = sizeof *m};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof control.buf};
        ssize_t n;
        do
                n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return peer_errno();
        *ret_fd = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
                        int got;
                        memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (*ret_fd < 0)
                                *ret_fd = got;
                        else
                                close(got);
                }
        }
        if (n != sizeof *m) {
                if (*ret_fd >= 0)
                        close(*ret_fd);
                *ret_fd = -1;
                return -EPIPE;
        }
        m->msg[sizeof m->msg - 1] = 0;
        return 0;
}

int sync_expect_fd(int fd, enum sync_type type, int *ret_fd) {
        struct sync_msg m;
        int got = -1;
        for (;;) {
                int r = recv_with_fd(fd, &m, &got);
                if (r < 0)
                        return r;
                if (m.type != SYNC_WARNING)
                        break;
                log_warn("%s", m.msg);
                if (got >= 0)
                        close(got);
        }
        if (m.type == (int32_t) type && got >= 0) {
                *ret_fd = got;
                return 0;
        }
        if (got >= 0)
                close(got);
        if (m.type == SYNC_ERROR)
                return child_error(&m);
        return -EPROTO;
}

static void send_text(int fd, enum sync_type type, int err, const char *msg) {
        struct sync_msg m = {.type = type, .value = err};
        strncpy(m.msg, msg, sizeof m.msg - 1);
        ssize_t n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
        (void) n;
}

void sync_send_error(int fd, int err, const char *msg) {
        send_text(fd, SYNC_ERROR, err, msg);
}

void sync_send_warning(int fd, const char *msg) {
        send_text(fd, SYNC_WARNING, 0, msg);
}

/* Bounds what a confused or hostile peer can make us allocate. */
#define SYNC_DATA_MAX (1 << 20)

int sync_send_data(int fd, enum sync_type type, const char *data, size_t len) {
        if (len > SYNC_DATA_MAX)
                return -E2BIG;
        int r = sync_send(fd, type, (int32_t) len);
        if (r < 0)
                return r;
        ssize_t n;
        do
                n = send(fd, data, len, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return peer_errno();
        return (size_t) n == len ? 0 : -EPIPE;
}

int sync_recv_data(int fd, int32_t len, char **ret) {
        if (len < 0 || len > SYNC_DATA_MAX)
                return -EPROTO;
        char *buf = malloc((size_t) len + 1);
        if (!buf)
                return -ENOMEM;
        ssize_t n;
        do
                n = recv(fd, buf, (size_t) len + 1, 0);
        while (n < 0 && errno == EINTR);
        if (n != len) {
                int r = n < 0 ? peer_errno() : -EPIPE;
                free(buf);
                return r;
        }
        buf[len] = 0;
        *ret = buf;
        return 0;
}
