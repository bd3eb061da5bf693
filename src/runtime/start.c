/* SPDX-License-Identifier: MIT */
/*
 * `start`: release a created container's init.
 *
 * The init blocks in accept() on <state>/exec.sock.  Connecting releases it;
 * the accepted socket is close-on-exec, so EOF on our end means execve()
 * succeeded, and a sync record the init sends first is the reason it failed
 * (a startContainer hook or execve itself).
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
#include "runtime/hooks.h"
#include "sync.h"
#include "util.h"

/* runc 1.2: a failing poststart hook kills the container and fails `start`. */
static int poststart(const struct container *c, const struct oci_spec *spec) {
        if (!spec->n_hooks[OCI_HOOK_POSTSTART])
                return 0;
        /* the status as it is now (runc too): a short program may already be gone */
        _cleanup_free_ char *state = hooks_state_json(c->state, container_status_name(container_status(c)));
        int r = state ? hooks_run(spec, OCI_HOOK_POSTSTART, state)
                      : log_error_errno(-ENOMEM, "state of container \"%s\" for its hooks", c->id);
        if (r < 0)
                container_kill_and_wait(c);
        return r;
}

int container_start(struct cocoon_ctx *ctx, const char *id) {
        _cleanup_(container_closep) struct container *c = NULL;
        int r = container_open(ctx, id, &c);
        if (r < 0)
                return r;
        enum container_status st = container_status(c);
        if (st != STATUS_CREATED)
                return log_fail(-EINVAL, "cannot start container \"%s\": it is %s, not created", id,
                                       container_status_name(st));

        /* read before releasing the init: a bad saved config must not leave it half started */
        _cleanup_(oci_spec_freep) struct oci_spec *spec = NULL;
        r = container_load_spec(c, &spec);
        if (r < 0)
                return r;

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

        /* The init forwards its errors (startContainer hooks, execve) as sync records. */
        struct sync_msg m;
        ssize_t n;
        while ((n = read_full(fd, &m, sizeof m)) == (ssize_t) sizeof m) {
                m.msg[sizeof m.msg - 1] = 0;
                if (m.type == SYNC_WARNING) {
                        log_warn("%s", m.msg);
                        continue;
                }
                char line[LOG_FORWARD_MAX + 64];
                snprintf(line, sizeof line, "start container \"%s\": %s", id, m.msg);
                return log_error_raw(m.type == SYNC_ERROR ? m.value : -EPROTO, line);
        }
        if (n < 0)
                return log_error_errno((int) n, "start container \"%s\"", id);
        if (n > 0)
                return log_fail(-EPROTO, "start container \"%s\": truncated message from its init", id);
        return poststart(c, spec);
}
