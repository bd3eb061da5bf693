/* SPDX-License-Identifier: MIT */
/*
 * `start`: release a created container's init.
 *
 * The init blocks in accept() on <state>/exec.sock.  Connecting releases it;
 * the accepted socket is close-on-exec, so EOF on our end means execve()
 * succeeded, and anything the init writes first is the reason it failed.
 * Unlike runc's exec fifo this needs no /proc inside the container.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/container.h"
#include "util.h"

int container_start(struct cocoon_ctx *ctx, const char *id) {
        _cleanup_(container_closep) struct container *c = NULL;
        int r = container_open(ctx, id, &c);
        if (r < 0)
                return r;
        enum container_status st = container_status(c);
        if (st != STATUS_CREATED)
                return log_fail(-EINVAL, "cannot start container \"%s\": it is %s, not created", id,
                                       container_status_name(st));

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(-errno, "socket");
        /* Through our directory fd: sun_path is short and --root may be long. */
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/exec.sock", c->dirfd);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return log_error_errno(-errno, "start container \"%s\": its init is gone", id);
        /* From here the container is running (or failed to exec): the socket goes either way. */
        unlinkat(c->dirfd, "exec.sock", 0);
        log_debug("start container \"%s\": released init %d", id, c->state->pid);

        char msg[1024];
        ssize_t n = read_full(fd, msg, sizeof msg - 1);
        if (n < 0)
                return log_error_errno((int) n, "start container \"%s\"", id);
        if (n > 0) {
                msg[n] = 0;
                char line[1200];
                snprintf(line, sizeof line, "start container \"%s\": %s", id, msg);
                return log_error_raw(-ENOEXEC, line);
        }
        return 0;
}
