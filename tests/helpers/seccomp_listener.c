/* SPDX-License-Identifier: MIT */
/*
 * A seccomp agent for the tests: listens on SOCKET, receives what a runtime
 * sends to linux.seccomp.listenerPath (the container process state JSON and
 * the listener fd), writes the JSON to OUT, then answers notifications until
 * every process using the filter is gone:
 *   mkdir/mkdirat  answered per ANSWER without being performed:
 *                  "ok" (return 0) or "errno:N" (fail with N)
 *   anything else  let through (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
 * One line per notification goes to OUT.log ("mkdir", "mkdirat" or the
 * number).  The socket is removed once the runtime has connected, so that
 * another agent can listen on the same path for the next process.
 *
 *   seccomp_listener SOCKET OUT ANSWER
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what) {
        perror(what);
        exit(1);
}

static int receive(const char *sock_path, const char *out_path) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
        if (s < 0 || bind(s, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(s, 1) < 0)
                die("listen");
        struct pollfd p = {.fd = s, .events = POLLIN};
        if (poll(&p, 1, 40000) != 1)
                die("no connection within 40 s");
        int c = accept(s, NULL, NULL);
        if (c < 0)
                die("accept");
        /* the next agent (for an exec) may bind the same path */
        unlink(sock_path);
        static char buf[1 << 16];
        char control[CMSG_SPACE(sizeof(int) * 4)];
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = sizeof control};
        ssize_t n = recvmsg(c, &msg, 0);
        if (n < 0)
                die("recvmsg");
        int fd = -1, nfds = 0;
        for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h))
                if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
                        nfds += (int) ((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                        memcpy(&fd, CMSG_DATA(h), sizeof fd);
                }
        /* the rest of a long state, if the sender split it */
        ssize_t more;
        while ((size_t) n < sizeof buf - 1 && (more = recv(c, buf + n, sizeof buf - 1 - (size_t) n, MSG_DONTWAIT)) > 0)
                n += more;
        FILE *f = fopen(out_path, "w");
        if (!f)
                die(out_path);
        fwrite(buf, 1, (size_t) n, f);
        fclose(f);
        if (nfds != 1)
                fprintf(stderr, "expected 1 fd, got %d\n", nfds), exit(1);
        close(c);
        close(s);
        return fd;
}

int main(int argc, char **argv) {
        if (argc != 4)
                fprintf(stderr, "usage: %s SOCKET OUT ANSWER\n", argv[0]), exit(2);
        int err = 0;
        if (!strncmp(argv[3], "errno:", 6))
                err = atoi(argv[3] + 6);
        else if (strcmp(argv[3], "ok"))
                fprintf(stderr, "ANSWER: ok or errno:N\n"), exit(2);

        int fd = receive(argv[1], argv[2]);
        char log_path[4096];
        snprintf(log_path, sizeof log_path, "%s.log", argv[2]);
        FILE *log = fopen(log_path, "w");
        if (!log)
                die(log_path);
        setvbuf(log, NULL, _IOLBF, 0);

        struct seccomp_notif_sizes sz;
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
                die("SECCOMP_GET_NOTIF_SIZES");
        struct seccomp_notif *req = calloc(1, sz.seccomp_notif);
        struct seccomp_notif_resp *resp = calloc(1, sz.seccomp_notif_resp);
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int r = poll(&p, 1, 40000);
                if (r == 0)
                        fprintf(stderr, "no notification within 40 s\n"), exit(1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (p.revents & POLLHUP)
                        return 0; /* every process using the filter is gone */
                memset(req, 0, sz.seccomp_notif);
                if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
                        if (errno == EINTR || errno == ENOENT)
                                continue;
                        die("SECCOMP_IOCTL_NOTIF_RECV");
                }
                memset(resp, 0, sz.seccomp_notif_resp);
                resp->id = req->id;
                if (req->data.nr == SYS_mkdir || req->data.nr == SYS_mkdirat) {
                        fprintf(log, "%s\n", req->data.nr == SYS_mkdir ? "mkdir" : "mkdirat");
                        resp->error = -err;
                } else {
                        fprintf(log, "%d\n", req->data.nr);
                        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                }
                /* ENOENT: the caller died or was interrupted meanwhile */
                if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
                        die("SECCOMP_IOCTL_NOTIF_SEND");
        }
}
