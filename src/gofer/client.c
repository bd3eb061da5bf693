/* SPDX-License-Identifier: MIT */
#include "gofer/client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "gofer/protocol.h"
#include "log.h"
#include "util.h"

struct gofer_client {
        int fd;
        /* Set by the first transport failure: the Gofer is gone or speaks
         * nonsense, every later call fails the same way without a log line. */
        bool broken;
        uint8_t buf[GOFER_MSG_MAX];
};

/* 0 or -errno: a packet socket sends all or nothing */
static int send_packet(int sock, const void *buf, size_t len, int fd) {
        ssize_t n = send_with_fd(sock, buf, len, fd);
        return n < 0 ? (int) n : 0;
}

int gofer_client_new(int ctl_fd, struct gofer_client **ret) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return log_error_errno(-errno, "gofer client: socketpair");
        _cleanup_close_ int mine = sv[0], theirs = sv[1];
        struct gofer_hello hello = {.magic = GOFER_MAGIC, .version = GOFER_VERSION};
        int r = send_packet(ctl_fd, &hello, sizeof hello, theirs);
        if (r < 0)
                return log_error_errno(r, "gofer client: sending a connection to the Gofer");
        struct gofer_client *c = malloc(sizeof *c);
        if (!c)
                return log_error_errno(-ENOMEM, "gofer client");
        c->fd = TAKE_FD(mine);
        c->broken = false;
        *ret = c;
        return 0;
}

void gofer_client_free(struct gofer_client *c) {
        if (!c)
                return;
        if (c->fd >= 0)
                close(c->fd);
        free(c);
}

/* A transport failure: logged once per client, then the same answer for
 * every call.  -EPIPE / -ECONNRESET are what client.h promises the Sentry
 * (fatal for the container). */
static int transport_failed(struct gofer_client *c, int err, const char *what) {
        if (!c->broken)
                log_error_errno(err, "gofer client: %s", what);
        c->broken = true;
        return err == -EPIPE ? -EPIPE : -ECONNRESET;
}

struct reply {
        void *payload; /* where to copy the payload, or NULL for none */
        size_t cap;
        size_t len;
        int *ret_fd; /* where an fd goes, or NULL for none */
};

static int call(struct gofer_client *c, const struct gofer_req *q, int send_fd, struct reply *rep) {
        if (c->broken)
                return -ECONNRESET;
        int n = gofer_req_encode(q, c->buf, sizeof c->buf);
        if (n < 0)
                return n; /* an argument the kernel would refuse for its size */
        int r = send_packet(c->fd, c->buf, (size_t) n, send_fd);
        if (r < 0)
                return transport_failed(c, r, "sending a request");

        union {
                char buf[CMSG_SPACE(sizeof(int) * 2)];
                struct cmsghdr align;
        } cbuf;
        struct iovec iov = {.iov_base = c->buf, .iov_len = sizeof c->buf};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf, .msg_controllen = sizeof cbuf.buf};
        ssize_t got;
        do
                got = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
        while (got < 0 && errno == EINTR);
        if (got < 0)
                return transport_failed(c, -errno, "receiving a reply");
        if (got == 0)
                return transport_failed(c, -ECONNRESET, "the Gofer closed the connection");

        _cleanup_close_ int fd = -1;
        bool extra = (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < nfds; i++) {
                        int f;
                        memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof f);
                        if (fd < 0)
                                fd = f;
                        else {
                                close(f);
                                extra = true;
                        }
                }
        }

        int32_t result;
        uint32_t nfds;
        const void *payload;
        size_t plen;
        r = gofer_reply_decode(c->buf, (size_t) got, q->op, &result, &nfds, &payload, &plen);
        if (r < 0 || extra || nfds != (fd >= 0 ? 1u : 0u) || plen > (rep ? rep->cap : 0) ||
            (fd >= 0 && (result < 0 || !rep || !rep->ret_fd)) || result < -4095)
                return transport_failed(c, -EPROTO, "malformed reply");
        if (result < 0)
                return result;
        if (plen)
                memcpy(rep->payload, payload, plen);
        if (rep) {
                rep->len = plen;
                if (rep->ret_fd)
                        *rep->ret_fd = TAKE_FD(fd);
        }
        return result;
}

static struct gofer_req req(uint32_t op, const struct gofer_cred *cr, const char *path) {
        return (struct gofer_req){.op = op, .cred = *cr, .path = path};
}

int gofer_open(struct gofer_client *c, const struct gofer_cred *cr, const char *path, int flags, mode_t mode,
               uint64_t resolve, int *ret_fd) {
        struct gofer_req q = req(GOFER_OP_OPEN, cr, path);
        q.flags = (uint32_t) flags;
        q.mode = (uint32_t) mode;
        q.resolve = resolve;
        int fd = -1;
        struct reply rep = {.ret_fd = &fd};
        int r = call(c, &q, -1, &rep);
        if (r < 0)
                return r;
        if (fd < 0)
                return transport_failed(c, -EPROTO, "open succeeded without an fd");
        *ret_fd = fd;
        return 0;
}

int gofer_statx(struct gofer_client *c, const struct gofer_cred *cr, const char *path, int flags, unsigned mask,
                struct statx *ret) {
        struct gofer_req q = req(GOFER_OP_STATX, cr, path);
        q.flags = (uint32_t) flags;
        q.mask = mask;
        struct reply rep = {.payload = ret, .cap = sizeof *ret};
        int r = call(c, &q, -1, &rep);
        if (r < 0)
                return r;
        if (rep.len != sizeof *ret)
                return transport_failed(c, -EPROTO, "short statx reply");
        return 0;
}

int gofer_access(struct gofer_client *c, const struct gofer_cred *cr, const char *path, int mode, int flags) {
        struct gofer_req q = req(GOFER_OP_ACCESS, cr, path);
        q.mode = (uint32_t) mode;
        q.flags = (uint32_t) flags;
        return call(c, &q, -1, NULL);
}

static uint32_t clamp_u32(size_t n, uint32_t max) {
        return n > max ? max : (uint32_t) n;
}

int gofer_readlink(struct gofer_client *c, const struct gofer_cred *cr, const char *path, char *buf, size_t len) {
        struct gofer_req q = req(GOFER_OP_READLINK, cr, path);
        q.size = clamp_u32(len, PATH_MAX);
        struct reply rep = {.payload = buf, .cap = q.size};
        int r = call(c, &q, -1, &rep);
        if (r >= 0 && (size_t) r != rep.len)
                return transport_failed(c, -EPROTO, "readlink reply length");
        return r;
}

int gofer_mkdir(struct gofer_client *c, const struct gofer_cred *cr, const char *path, mode_t mode) {
        struct gofer_req q = req(GOFER_OP_MKDIR, cr, path);
        q.mode = (uint32_t) mode;
        return call(c, &q, -1, NULL);
}

int gofer_mknod(struct gofer_client *c, const struct gofer_cred *cr, const char *path, mode_t mode, dev_t dev) {
        struct gofer_req q = req(GOFER_OP_MKNOD, cr, path);
        q.mode = (uint32_t) mode;
        q.dev = (uint64_t) dev;
        return call(c, &q, -1, NULL);
}

int gofer_unlink(struct gofer_client *c, const struct gofer_cred *cr, const char *path, int flags) {
        struct gofer_req q = req(GOFER_OP_UNLINK, cr, path);
        q.flags = (uint32_t) flags;
        return call(c, &q, -1, NULL);
}

int gofer_rename(struct gofer_client *c, const struct gofer_cred *cr, const char *from, const char *to,
                 unsigned flags) {
        struct gofer_req q = req(GOFER_OP_RENAME, cr, from);
        q.path2 = to;
        q.flags = flags;
        return call(c, &q, -1, NULL);
}

int gofer_link(struct gofer_client *c, const struct gofer_cred *cr, const char *from, const char *to, int flags) {
        struct gofer_req q = req(GOFER_OP_LINK, cr, from);
        q.path2 = to;
        q.flags = (uint32_t) flags;
        return call(c, &q, -1, NULL);
}

int gofer_symlink(struct gofer_client *c, const struct gofer_cred *cr, const char *target, const char *path) {
        struct gofer_req q = req(GOFER_OP_SYMLINK, cr, path);
        q.path2 = target;
        return call(c, &q, -1, NULL);
}

int gofer_chmod(struct gofer_client *c, const struct gofer_cred *cr, const char *path, mode_t mode, int flags) {
        struct gofer_req q = req(GOFER_OP_CHMOD, cr, path);
        q.mode = (uint32_t) mode;
        q.flags = (uint32_t) flags;
        return call(c, &q, -1, NULL);
}

int gofer_chown(struct gofer_client *c, const struct gofer_cred *cr, const char *path, uid_t uid, gid_t gid,
                int flags) {
        struct gofer_req q = req(GOFER_OP_CHOWN, cr, path);
        q.uid = uid;
        q.gid = gid;
        q.flags = (uint32_t) flags;
        return call(c, &q, -1, NULL);
}

int gofer_truncate(struct gofer_client *c, const struct gofer_cred *cr, const char *path, off_t length) {
        struct gofer_req q = req(GOFER_OP_TRUNCATE, cr, path);
        q.length = length;
        return call(c, &q, -1, NULL);
}

int gofer_utimens(struct gofer_client *c, const struct gofer_cred *cr, const char *path,
                  const struct timespec times[2], int flags) {
        struct gofer_req q = req(GOFER_OP_UTIMENS, cr, path);
        if (times) {
                q.has_times = true;
                q.times[0] = times[0];
                q.times[1] = times[1];
        }
        q.flags = (uint32_t) flags;
        return call(c, &q, -1, NULL);
}

int gofer_statfs(struct gofer_client *c, const struct gofer_cred *cr, const char *path, struct statfs *ret) {
        struct gofer_req q = req(GOFER_OP_STATFS, cr, path);
        struct reply rep = {.payload = ret, .cap = sizeof *ret};
        int r = call(c, &q, -1, &rep);
        if (r < 0)
                return r;
        if (rep.len != sizeof *ret)
                return transport_failed(c, -EPROTO, "short statfs reply");
        return 0;
}

/* get/listxattr: size 0 asks for the size and carries no payload; else
 * the payload is exactly the result's length. */
static int sized_call(struct gofer_client *c, struct gofer_req *q, void *buf, size_t size) {
        q->size = clamp_u32(size, GOFER_XATTR_SIZE_MAX);
        struct reply rep = {.payload = buf, .cap = q->size};
        int r = call(c, q, -1, &rep);
        if (r >= 0 && rep.len != (q->size ? (size_t) r : 0))
                return transport_failed(c, -EPROTO, "xattr reply length");
        return r;
}

int gofer_getxattr(struct gofer_client *c, const struct gofer_cred *cr, const char *path, const char *name,
                   void *buf, size_t size, int flags) {
        struct gofer_req q = req(GOFER_OP_GETXATTR, cr, path);
        q.name = name;
        q.flags = (uint32_t) flags;
        return sized_call(c, &q, buf, size);
}

int gofer_setxattr(struct gofer_client *c, const struct gofer_cred *cr, const char *path, const char *name,
                   const void *value, size_t size, int xattr_flags, int flags) {
        if (size > GOFER_XATTR_SIZE_MAX)
                return -E2BIG;
        struct gofer_req q = req(GOFER_OP_SETXATTR, cr, path);
        q.name = name;
        q.value = value;
        q.value_len = (uint32_t) size;
        q.xflags = (uint32_t) xattr_flags;
        q.flags = (uint32_t) flags;
        return call(c, &q, -1, NULL);
}

int gofer_listxattr(struct gofer_client *c, const struct gofer_cred *cr, const char *path, char *buf, size_t size,
                    int flags) {
        struct gofer_req q = req(GOFER_OP_LISTXATTR, cr, path);
        q.flags = (uint32_t) flags;
        return sized_call(c, &q, buf, size);
}

int gofer_removexattr(struct gofer_client *c, const struct gofer_cred *cr, const char *path, const char *name,
                      int flags) {
        struct gofer_req q = req(GOFER_OP_REMOVEXATTR, cr, path);
        q.name = name;
        q.flags = (uint32_t) flags;
        return call(c, &q, -1, NULL);
}

int gofer_unix_bind(struct gofer_client *c, const struct gofer_cred *cr, int sock, const char *path) {
        struct gofer_req q = req(GOFER_OP_UNIX_BIND, cr, path);
        return call(c, &q, sock, NULL);
}

int gofer_unix_connect(struct gofer_client *c, const struct gofer_cred *cr, int sock, const char *path) {
        struct gofer_req q = req(GOFER_OP_UNIX_CONNECT, cr, path);
        return call(c, &q, sock, NULL);
}
