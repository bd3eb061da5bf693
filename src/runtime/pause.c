/* SPDX-License-Identifier: MIT */
/* `pause` / `resume`: freeze and thaw the container's cgroup (with
 * --sandbox=vm the guest's, through the sandbox's freeze hook). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "runtime/container.h"
#include "runtime/sandbox.h"
#include "util.h"

static int set_frozen(struct cocoon_ctx *ctx, const char *id, bool frozen) {
        _cleanup_(container_closep) struct container *c = NULL;
        int r = container_open(ctx, id, &c);
        if (r < 0)
                return r;
        enum container_status st = container_status(c);
        /* runc pauses created containers too; resume only undoes a pause */
        if (frozen && st != STATUS_RUNNING && st != STATUS_CREATED)
                return log_fail(-EINVAL, "cannot pause container \"%s\": it is %s, not running", id,
                                container_status_name(st));
        if (!frozen && st != STATUS_PAUSED)
                return log_fail(-EINVAL, "cannot resume container \"%s\": it is %s, not paused", id,
                                container_status_name(st));
        const struct sandbox_ops *ops;
        r = sandbox_of(c, &ops);
        if (r < 0)
                return r;
        if (ops->freeze) {
                r = ops->freeze(c, frozen);
                if (r < 0)
                        return r;
                /* the host cgroup is not frozen: this file says the container is paused */
                if (!frozen) {
                        if (unlinkat(c->dirfd, CONTAINER_PAUSED_FILE, 0) < 0 && errno != ENOENT)
                                return log_error_errno(-errno, "remove %s of container \"%s\"", CONTAINER_PAUSED_FILE, id);
                        return 0;
                }
                r = write_file_atomic_at(c->dirfd, CONTAINER_PAUSED_FILE, "", 0, 0600);
                if (r < 0) {
                        (void) ops->freeze(c, false);
                        return log_error_errno(r, "write %s of container \"%s\"", CONTAINER_PAUSED_FILE, id);
                }
                return 0;
        }
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        r = container_load_cgroup(c, &cg);
        if (r < 0)
                return r;
        if (!cg)
                return log_fail(-EOPNOTSUPP, "cannot %s container \"%s\": it has no cgroup", frozen ? "pause" : "resume",
                                id);
        return cgroup_freeze(cg, frozen);
}

int container_pause(struct cocoon_ctx *ctx, const char *id) {
        return set_frozen(ctx, id, true);
}

int container_resume(struct cocoon_ctx *ctx, const char *id) {
        return set_frozen(ctx, id, false);
}
