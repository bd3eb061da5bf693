/* SPDX-License-Identifier: MIT */
/* `exec`: a new process in a live container's namespaces and cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "linux/terminal.h"
#include "runtime/container.h"
#include "runtime/sandbox.h"
#include "util.h"

int container_exec(struct cocoon_ctx *ctx, const char *id, const struct oci_process *p, const struct exec_opts *o,
                   pid_t *ret_pid) {
        _cleanup_(container_closep) struct container *c = NULL;
        int r = container_open(ctx, id, &c);
        if (r < 0)
                return r;
        enum container_status st = container_status(c);
        if (st == STATUS_STOPPED)
                return log_fail(-ESRCH, "cannot exec in container \"%s\": it is stopped", id);
        if (st == STATUS_PAUSED)
                return log_fail(-EBUSY, "cannot exec in container \"%s\": it is paused", id);
        if (p->terminal && !o->console_socket && o->console_fd < 0)
                return log_fail(-EINVAL, "--tty requires --console-socket when detached");
        if (!p->terminal && o->console_socket)
                return log_fail(-EINVAL, "--console-socket requires --tty (process.terminal)");

        _cleanup_(oci_spec_freep) struct oci_spec *spec = NULL;
        r = container_load_spec(c, &spec);
        if (r < 0)
                return r;
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        r = container_load_cgroup(c, &cg);
        if (r < 0)
                return r;
        enum sandbox_kind kind;
        const struct sandbox_ops *ops;
        r = sandbox_from_name(c->state->sandbox, &kind);
        if (r < 0)
                return log_error_errno(r, "state of container \"%s\": unknown sandbox \"%s\"", id, c->state->sandbox);
        r = sandbox_lookup(kind, &ops);
        if (r < 0)
                return r;

        _cleanup_close_ int console_fd = -1;
        r = console_open(o->console_fd, o->console_socket, &console_fd);
        if (r < 0)
                return r;

        struct sandbox_exec se = {
                .ctx = ctx,
                .c = c,
                .spec = spec,
                .process = p,
                .opts = o,
                .cgroup = cg,
                .console_fd = console_fd,
        };
        pid_t pid;
        r = ops->exec(&se, &pid);
        if (r < 0)
                return r;
        if (o->pid_file) {
                char buf[32];
                snprintf(buf, sizeof buf, "%d", pid);
                r = write_file_at(AT_FDCWD, o->pid_file, buf, strlen(buf), O_CREAT | O_TRUNC);
                if (r < 0)
                        return log_error_errno(r, "write --pid-file %s", o->pid_file);
        }
        log_debug("exec in container \"%s\": pid %d (%s)", id, pid, p->args[0]);
        *ret_pid = pid;
        return 0;
}
