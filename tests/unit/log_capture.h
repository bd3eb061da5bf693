/* SPDX-License-Identifier: MIT */
/*
 * Capture the one error line the library logs, as the parent of a container
 * set-up child receives it: log_forward_to() a socket instead of stderr, so a
 * test can check the exact text of an expected failure.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sync.h"

struct capture {
        int fds[2];
        char msg[LOG_FORWARD_MAX];
};

__attribute__((unused)) static int capture_begin(struct capture *c) {
        c->msg[0] = 0;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->fds) < 0)
                return -errno;
        log_forward_to(c->fds[1]);
        return 0;
}

/* The captured line ("" when none was logged). */
__attribute__((unused)) static const char *capture_end(struct capture *c) {
        log_forward_to(-1);
        struct sync_msg m;
        ssize_t n = recv(c->fds[0], &m, sizeof m, MSG_DONTWAIT);
        if (n == (ssize_t) sizeof m && m.type == SYNC_ERROR)
                snprintf(c->msg, sizeof c->msg, "%s", m.msg);
        close(c->fds[0]);
        close(c->fds[1]);
        return c->msg;
}
