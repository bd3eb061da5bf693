/* SPDX-License-Identifier: MIT */
/*
 * `events`: runc's event stream.  `--stats` prints one stats event; without
 * it a stats event follows every interval (the first after one interval, as
 * runc's ticker) and an "oom" event every OOM kill, until the init exits.
 *
 * The container's lock is held only while its state is read: a stream can
 * run for the container's whole life and must not block kill or delete.  A
 * pidfd taken under the lock (after the start time check) pins the init we
 * saw, so a recycled pid cannot keep the stream alive.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "runtime/container.h"
#include "runtime/sandbox.h"
#include "util.h"

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* `data` is consumed (may be NULL: runc omits it for "oom"). */
static int emit(const char *type, const char *id, json_t *data) {
        json_t *e = json_pack("{s:s, s:s}", "type", type, "id", id);
        if (e && data)
                json_object_set_new(e, "data", data);
        else
                json_decref(data);
        char *text = e ? json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(e);
        if (!text)
                return log_error_errno(-ENOMEM, "format %s event", type);
        int r = printf("%s\n", text) < 0 || fflush(stdout) != 0 ? -errno : 0;
        free(text);
        if (r < 0)
                return log_error_errno(r, "write %s event", type);
        return 0;
}

/* From the host cgroup, or the sandbox's own (vm: the guest's cgroup). */
struct stats_source {
        const struct cgroup *cg;
        int (*stats)(int dirfd, const char *id, json_t **ret);
        int dirfd;
};

static int emit_stats(const char *id, const struct stats_source *src) {
        json_t *data;
        int r = src->stats ? src->stats(src->dirfd, id, &data) : cgroup_stats(src->cg, &data);
        if (r < 0)
                return r;
        return emit("stats", id, data);
}

static int open_init(const struct container *c) {
        int fd = (int) syscall(SYS_pidfd_open, c->state->pid, 0);
        if (fd < 0)
                return -errno;
        unsigned long long st;
        char ps;
        if (proc_stat(c->state->pid, &st, &ps) < 0 || st != c->state->start_time) {
                close(fd);
                return -ESRCH;
        }
        return fd;
}

/* Emit an "oom" event per new OOM kill; a vanished cgroup ends the watch. */
static int check_oom(const char *id, struct cgroup_oom **oom) {
        unsigned n = 0;
        if (cgroup_oom_check(*oom, &n) < 0) {
                cgroup_oom_free(*oom);
                *oom = NULL;
                return 0;
        }
        for (unsigned i = 0; i < n; i++) {
                int r = emit("oom", id, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

int container_events(struct cocoon_ctx *ctx, const char *id, const struct events_opts *o) {
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        _cleanup_close_ int pidfd = -1;
        _cleanup_(cgroup_oom_freep) struct cgroup_oom *oom = NULL;
        _cleanup_close_ int dirfd = -1;
        struct stats_source src = {.dirfd = -1};
        {
                _cleanup_(container_closep) struct container *c = NULL;
                int r = container_open(ctx, id, &c);
                if (r < 0)
                        return r;
                enum container_status st = container_status(c);
                if (st == STATUS_STOPPED || st == STATUS_CREATING)
                        return log_fail(-ESRCH, "container \"%s\" is not running", id);
                r = container_load_cgroup(c, &cg);
                if (r < 0)
                        return r;
                const struct sandbox_ops *ops;
                r = sandbox_of(c, &ops);
                if (r < 0)
                        return r;
                if (ops->stats) {
                        /* a file description of its own: the locked one goes with the lock */
                        dirfd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (dirfd < 0)
                                return log_error_errno(-errno, "open the state directory of container \"%s\"", id);
                }
                src = (struct stats_source){.cg = cg, .stats = ops->stats, .dirfd = dirfd};
                if (!cg && !ops->stats)
                        return log_fail(-EOPNOTSUPP, "container \"%s\" has no cgroup to report on", id);
                if (!o->stats_once) {
                        pidfd = open_init(c);
                        if (pidfd < 0)
                                return log_fail(-ESRCH, "container \"%s\" is not running", id);
                }
        } /* unlocked from here */
        if (o->stats_once)
                return emit_stats(id, &src);

        /* (vm: the host cgroup's OOM kills are QEMU's, which end the container) */
        int r = cg ? cgroup_oom_open(cg, &oom) : -ENOENT;
        if (r < 0)
                log_debug("events: no OOM notification for container \"%s\": %s", id, strerror(-r));
        long long next = now_ms() + (long long) o->interval_ms;
        for (;;) {
                struct pollfd p[2] = {
                        {.fd = pidfd, .events = POLLIN},
                        {.fd = oom ? cgroup_oom_fd(oom) : -1, .events = POLLIN},
                };
                long long left = next - now_ms();
                if (left < 0)
                        left = 0;
                if (poll(p, 2, left > INT_MAX ? INT_MAX : (int) left) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(-errno, "events: poll");
                }
                if (oom && (p[1].revents & POLLIN)) {
                        r = check_oom(id, &oom);
                        if (r < 0)
                                return r;
                }
                if (p[0].revents) {
                        /* an OOM kill of the init itself is reported before the stream ends */
                        return oom ? check_oom(id, &oom) : 0;
                }
                if (now_ms() < next)
                        continue;
                next += (long long) o->interval_ms;
                if (next < now_ms())
                        next = now_ms() + (long long) o->interval_ms; /* we were stopped: do not burst */
                r = emit_stats(id, &src);
                if (r < 0)
                        return r;
        }
}
