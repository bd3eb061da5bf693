/* SPDX-License-Identifier: MIT */
/*
 * Sockets.  The filter lets the allowed families, types and protocols
 * create sockets on the host (syscalls.def: socket_families); what reaches
 * the Sentry is the rest, refused with the errno Linux gives when the
 * protocol is not there or the privilege is missing, so that no rarely used
 * protocol module is ever loaded or reached.
 *
 * bind/connect of AF_UNIX sockets to a path are the only socket calls that
 * walk the filesystem: the Gofer performs them on the workload's own socket
 * (taken with pidfd_getfd) in the writable tree.  Every other address is
 * CONTINUEd: an inet address or an abstract unix name only reaches the
 * workload's own network namespace, and a racing thread can only change it
 * into another address of the same kind, since the socket's family is fixed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netinet/in.h>

#include "cleanup.h"
#include "sentry/boundary.h"
#include "sentry/call.h"

#define ARG(i) (c->req->data.args[i])

static long socket_policy(struct sentry_call *c, int family, int type, int protocol) {
        int base = type & 0xf;
        if (type & ~(0xf | SOCK_CLOEXEC | SOCK_NONBLOCK))
                return -EINVAL;
        if (family < 0 || family >= AF_MAX)
                return -EAFNOSUPPORT;
        if (base > SOCK_PACKET)
                return -EINVAL;
        switch (family) {
        case AF_UNIX:
                return SENTRY_CONTINUE; /* the filter lets them all through; here only by a table change */
        case AF_PACKET:
                return c->cfg->net_raw ? SENTRY_CONTINUE : -EPERM;
        case AF_INET:
        case AF_INET6:
                if (base == SOCK_RAW || base == SOCK_PACKET)
                        return c->cfg->net_raw ? SENTRY_CONTINUE : -EPERM;
                /* a known type with an unknown protocol, or a type no
                 * protocol provides (inet_create) */
                if (base == SOCK_STREAM || base == SOCK_DGRAM)
                        return -EPROTONOSUPPORT;
                return -ESOCKTNOSUPPORT;
        case AF_NETLINK:
                (void) protocol; /* only NETLINK_ROUTE is on the host */
                return -EPROTONOSUPPORT;
        default:
                return -EAFNOSUPPORT;
        }
}

long sys_socket(struct sentry_call *c) {
        return socket_policy(c, (int) ARG(0), (int) ARG(1), (int) ARG(2));
}

/* socketpair exists for AF_UNIX only.  Linux creates the first socket
 * before it finds that out, so a family socket() allows fails with
 * EOPNOTSUPP and any other with socket()'s errno; never CONTINUEd, since
 * that creation would reach the protocol's code (and module loading). */
long sys_socketpair(struct sentry_call *c) {
        int family = (int) ARG(0);
        if (family == AF_UNIX)
                return SENTRY_CONTINUE;
        const struct boundary_entry *e = sentry_boundary_lookup(SYS_socket);
        struct boundary_opts o = {.net_raw = c->cfg->net_raw};
        long r = socket_policy(c, family, (int) ARG(1), (int) ARG(2));
        if (r == SENTRY_CONTINUE || (e && e->cond && sentry_boundary_cond_holds(e->cond, &o, (const uint64_t *) c->req->data.args)))
                return (int) ARG(1) & ~(0xf | SOCK_CLOEXEC | SOCK_NONBLOCK) ? -EINVAL : -EOPNOTSUPP;
        return r;
}

enum unix_op { UNIX_BIND, UNIX_CONNECT };

static long unix_addr(struct sentry_call *c, enum unix_op op) {
        int fd = (int) ARG(0);
        int addrlen = (int) ARG(2);
        if (addrlen < 0 || (size_t) addrlen > sizeof(struct sockaddr_storage))
                return -EINVAL;
        if ((size_t) addrlen <= offsetof(struct sockaddr_un, sun_path))
                return SENTRY_CONTINUE; /* too short for a path: unnamed, autobind, or EINVAL */
        struct sockaddr_storage ss;
        int r = sentry_read(c, ARG(1), &ss, (size_t) addrlen);
        if (r < 0)
                return r;
        const struct sockaddr_un *un = (const struct sockaddr_un *) &ss;
        if (ss.ss_family != AF_UNIX || un->sun_path[0] == 0)
                return SENTRY_CONTINUE; /* inet, netlink, abstract: the workload's own namespaces */

        /* the path ends at the first NUL or at addrlen (unix_mkname_bsd) */
        size_t max = (size_t) addrlen - offsetof(struct sockaddr_un, sun_path);
        struct sentry_path p;
        size_t len = strnlen(un->sun_path, max);
        memcpy(p.user, un->sun_path, len);
        p.user[len] = 0;
        sentry_strace_str(c, p.user);

        _cleanup_close_ int sock = sentry_take_fd(c, fd);
        if (sock < 0)
                return sock;
        int domain = 0;
        socklen_t dl = sizeof domain;
        if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &dl) < 0)
                return -errno; /* ENOTSOCK */
        if (domain != AF_UNIX)
                return SENTRY_CONTINUE; /* the kernel refuses the family mismatch */

        r = sentry_path_resolve(c, AT_FDCWD, 0, &p);
        if (r < 0)
                return r;
        /* /dev/log and friends: sockets of the workload's own view */
        if (sentry_path_kernel_view(p.abs))
                return SENTRY_CONTINUE;
        struct gofer_client *g;
        c->need_umask = op == UNIX_BIND; /* the socket file's mode */
        r = sentry_gofer(c, &g);
        if (r < 0)
                return r;
        if (op == UNIX_BIND)
                return gofer_unix_bind(g, &c->cred, sock, p.abs);
        return gofer_unix_connect(g, &c->cred, sock, p.abs);
}

long sys_bind(struct sentry_call *c) {
        return unix_addr(c, UNIX_BIND);
}

long sys_connect(struct sentry_call *c) {
        return unix_addr(c, UNIX_CONNECT);
}
