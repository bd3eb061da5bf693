/* SPDX-License-Identifier: MIT */
/*
 * The Gofer's server: a control socket on which the Sentry sends one
 * SOCK_SEQPACKET connection per Sentry thread, and one thread per
 * connection, so that an operation that blocks (opening a fifo, connecting
 * to a full socket backlog) holds up only the Sentry thread that asked.
 */
#include "gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "gofer/ops.h"
#include "gofer/protocol.h"
#include "log.h"
#include "util.h"

/* Room for a few fds, so that a sender attaching more than one is noticed
 * (and every one of them closed) rather than silently truncated. */
#define MAX_RX_FDS 4

struct rx {
        ssize_t len;
        int fd;          /* the first fd received, or -1 */
        bool extra;      /* more than one fd, or truncated control data */
        bool truncated;  /* the packet was larger than the buffer */
};

/* One packet and its fds (close-on-exec).  0 is EOF. */
static ssize_t recv_packet(int sock, void *buf, size_t cap, struct rx *rx) {
        union {
                char buf[CMSG_SPACE(sizeof(int) * MAX_RX_FDS)];
                struct cmsghdr align;
        } cbuf;
        struct iovec iov = {.iov_base = buf, .iov_len = cap};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf, .msg_controllen = sizeof cbuf.buf};
        *rx = (struct rx){.fd = -1};
        ssize_t n;
        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
                        rx->extra = true;
                        continue;
                }
                size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < nfds; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                        if (rx->fd < 0)
                                rx->fd = fd;
                        else {
                                close(fd);
                                rx->extra = true;
                        }
                }
        }
        rx->extra |= (mh.msg_flags & MSG_CTRUNC) != 0;
        rx->truncated = (mh.msg_flags & MSG_TRUNC) != 0;
        rx->len = n;
        return n;
}

/* 0 or -errno: a packet socket sends all or nothing */
static int send_packet(int sock, const void *buf, size_t len, int fd) {
        ssize_t n = send_with_fd(sock, buf, len, fd);
        return n < 0 ? (int) n : 0;
}

struct conn_buffers {
        uint8_t in[GOFER_MSG_MAX + 1]; /* one more: an oversized packet shows as MSG_TRUNC */
        uint8_t out[GOFER_MSG_MAX];
        uint8_t payload[GOFER_XATTR_SIZE_MAX];
};

static void free_buffers(struct conn_buffers **b) {
        free(*b);
}

/* Run where the caller runs: its next request then wakes us on a CPU that
 * is busy anyway.  A CPU the container may not use (cpuset) is refused by
 * the kernel and the thread stays where it is. */
static void follow_cpu(struct gofer_conn *conn, uint32_t hint) {
        if (hint == 0 || hint == conn->cpu_hint || hint > CPU_SETSIZE)
                return;
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(hint - 1, &set);
        if (sched_setaffinity(0, sizeof set, &set) == 0)
                conn->cpu_hint = hint;
}

/* One request: decode, check its fd, switch credentials, run, reply.
 * Returns < 0 when the connection must end (the peer is gone, or does not
 * speak this protocol). */
static int serve_one(int sock, struct gofer_conn *conn, struct conn_buffers *b, const struct rx *rx) {
        _cleanup_close_ int in_fd = rx->fd;
        struct gofer_req q = {0};
        struct gofer_out out = {.fd = -1, .payload = b->payload};
        bool fatal = false;
        int r;

        if (rx->truncated)
                r = -EPROTO; /* larger than any valid request */
        else
                r = gofer_req_decode(b->in, (size_t) rx->len, &q);
        if (r < 0) {
                /* A peer that does not even get the header right is not a
                 * Sentry of this version: answer once, then hang up. */
                struct gofer_hdr h;
                fatal = (size_t) rx->len < sizeof h;
                if (!fatal) {
                        memcpy(&h, b->in, sizeof h);
                        fatal = h.magic != GOFER_MAGIC || h.version != GOFER_VERSION;
                }
                log_debug("gofer: malformed request (%zd bytes, op %u): %s", rx->len, q.op, strerror(-r));
        } else if (rx->extra)
                r = -EPROTO;
        else if (gofer_op_takes_fd(q.op) != (in_fd >= 0))
                r = in_fd >= 0 ? -EPROTO : -EBADF;
        else if (follow_cpu(conn, q.cred.cpu_hint), (r = gofer_creds_switch(&conn->creds, &q.cred)) == 0)
                r = gofer_do_op(conn, &q, in_fd, &out);

        _cleanup_close_ int out_fd = out.fd;
        if (r < 0)
                out.len = 0;
        size_t n = gofer_reply_encode(b->out, q.op, r, out_fd >= 0 ? 1 : 0, out.payload, out.len);
        int k = send_packet(sock, b->out, n, out_fd);
        if (k < 0)
                return k;
        return fatal ? -EPROTO : 0;
}

static int serve_connection(int sock, int root_fd) {
        struct gofer_conn conn = {.root_fd = root_fd};
        int r = gofer_creds_init(&conn.creds);
        if (r < 0)
                return r;
        _cleanup_(free_buffers) struct conn_buffers *b = malloc(sizeof *b);
        if (!b)
                return log_error_errno(-ENOMEM, "gofer: connection buffers");
        for (;;) {
                struct rx rx;
                ssize_t n = recv_packet(sock, b->in, sizeof b->in, &rx);
                if (n == 0) { /* the Sentry thread is gone; an empty packet reads the same */
                        if (rx.fd >= 0)
                                close(rx.fd);
                        return 0;
                }
                if (n < 0)
                        return n == -ECONNRESET ? 0 : log_error_errno((int) n, "gofer: receiving a request");
                if ((r = serve_one(sock, &conn, b, &rx)) < 0)
                        return r == -EPIPE || r == -ECONNRESET || r == -EPROTO ? 0 : log_error_errno(r, "gofer: replying");
        }
}

struct conn_thread {
        int sock;
        int root_fd; /* the thread's own: it may outlive gofer_serve_root() */
};

static void *conn_main(void *arg) {
        struct conn_thread t = *(struct conn_thread *) arg;
        free(arg);
        serve_connection(t.sock, t.root_fd);
        close(t.sock);
        close(t.root_fd);
        return NULL;
}

static int start_connection(int sock, int root_fd) {
        struct conn_thread *t = malloc(sizeof *t);
        if (!t)
                return -ENOMEM;
        t->sock = sock;
        t->root_fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        if (t->root_fd < 0) {
                int r = -errno;
                free(t);
                return r;
        }
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t tid;
        int r = pthread_create(&tid, &attr, conn_main, t);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                close(t->root_fd);
                free(t);
                return -r;
        }
        return 0;
}

int gofer_serve_root(int ctl_fd, int root_fd) {
        for (;;) {
                struct gofer_hello hello;
                struct rx rx;
                ssize_t n = recv_packet(ctl_fd, &hello, sizeof hello, &rx);
                if (n == 0) {
                        if (rx.fd >= 0)
                                close(rx.fd);
                        return 0;
                }
                if (n < 0)
                        return n == -ECONNRESET ? 0 : log_error_errno((int) n, "gofer: control socket");
                int type = 0;
                socklen_t tlen = sizeof type;
                if (rx.fd >= 0 && getsockopt(rx.fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0)
                        type = 0;
                if ((size_t) n != sizeof hello || rx.truncated || rx.extra || type != SOCK_SEQPACKET ||
                    hello.magic != GOFER_MAGIC || hello.version != GOFER_VERSION) {
                        log_warn("gofer: ignoring a malformed connection request");
                        if (rx.fd >= 0)
                                close(rx.fd);
                        continue;
                }
                int r = start_connection(rx.fd, root_fd);
                if (r < 0) {
                        /* The Sentry thread sees its connection closed. */
                        log_error_errno(r, "gofer: starting a connection thread");
                        close(rx.fd);
                }
        }
}

int gofer_serve(int ctl_fd) {
        _cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return log_error_errno(-errno, "gofer: open /");
        return gofer_serve_root(ctl_fd, root_fd);
}

int gofer_enter_root(const char *dir) {
        if (unshare(CLONE_NEWNS) < 0)
                return log_error_errno(-errno, "gofer: unshare(CLONE_NEWNS)");
        /* Nothing mounted here may propagate back to the host. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return log_error_errno(-errno, "gofer: making / private");
        /* pivot_root needs a mount point; MS_REC keeps the volumes and
         * tmpfs mounted inside the tree, read-only ones included. */
        if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
                return log_error_errno(-errno, "gofer: bind %s", dir);
        if (chdir(dir) < 0)
                return log_error_errno(-errno, "gofer: chdir %s", dir);
        /* pivot_root(".", "."): the old root ends up stacked on the new one
         * and is detached at once, so nothing of the host stays reachable,
         * not even by ".." from the root (it has no parent mount). */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return log_error_errno(-errno, "gofer: pivot_root %s", dir);
        if (umount2(".", MNT_DETACH) < 0)
                return log_error_errno(-errno, "gofer: detaching the old root");
        if (chdir("/") < 0)
                return log_error_errno(-errno, "gofer: chdir /");
        return 0;
}
