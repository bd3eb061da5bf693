/* SPDX-License-Identifier: MIT */
/*
 * pause / resume: the freezer.  v1 (freezer.state) when the host mounts the
 * v1 freezer, as runc does on hybrid hosts; else cgroup v2's cgroup.freeze.
 * Freezing is asynchronous in both: the command returns only once the kernel
 * reports every task frozen, so "paused" means the processes really stopped.
 *
 * A task in a killable (not interruptible) sleep cannot be frozen until the
 * sleep ends, and under the sentry sandbox a workload waiting for the
 * Sentry's answer to a call the Sentry has received sleeps so
 * (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), while the Sentry and the Gofer,
 * in the same cgroup, freeze: the answer would never come.  So a freeze that
 * is not complete after FREEZE_ATTEMPT_MS is undone, which lets such a call
 * finish, and tried again, until FREEZE_TIMEOUT_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "linux/cgroup_knob.h"
#include "log.h"
#include "util.h"

#define FREEZE_TIMEOUT_MS 5000
#define FREEZE_ATTEMPT_MS 200

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
}

static int freeze_v1(const struct cgroup_dir *d, bool frozen) {
        const char *want = frozen ? "FROZEN" : "THAWED";
        int r = cgroup_knob_write(d, "freezer.state", want);
        if (r < 0)
                return log_error_errno(r, "write %s to %s%s/freezer.state", want, d->mount, d->path);
        long long deadline = now_ms() + FREEZE_TIMEOUT_MS, attempt = now_ms() + FREEZE_ATTEMPT_MS;
        for (unsigned i = 1;; i++) {
                _cleanup_free_ char *state = NULL;
                r = cgroup_knob_read(d, "freezer.state", &state);
                if (r < 0)
                        return log_error_errno(r, "read %s%s/freezer.state", d->mount, d->path);
                if (!strncmp(state, want, strlen(want)))
                        return 0;
                if (now_ms() > deadline)
                        break;
                if (frozen && now_ms() > attempt) {
                        /* stalled (see the top): thaw, let the calls in flight end, again */
                        (void) cgroup_knob_write(d, "freezer.state", "THAWED");
                        sleep_ms(5);
                        (void) cgroup_knob_write(d, "freezer.state", want);
                        attempt = now_ms() + FREEZE_ATTEMPT_MS;
                } else if (frozen && i % 10 == 0) {
                        /* writing FROZEN again retries the tasks not frozen yet */
                        (void) cgroup_knob_write(d, "freezer.state", want);
                }
                sleep_ms(1);
        }
        if (frozen)
                (void) cgroup_knob_write(d, "freezer.state", "THAWED"); /* do not leave it half frozen */
        return log_fail(-EBUSY, "cgroup %s%s did not become %s within %d s", d->mount, d->path, want,
                        FREEZE_TIMEOUT_MS / 1000);
}

/* cgroup.events has "frozen 0|1"; 1 only once every task is stopped. */
static int events_frozen(int fd, bool *ret) {
        char buf[512];
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        const char *p = strstr(buf, "frozen ");
        if (!p)
                return -EINVAL;
        *ret = p[7] == '1';
        return 0;
}

static int freeze_v2(const struct cgroup_dir *d, bool frozen) {
        _cleanup_free_ char *events = cgroup_knob_path(d, "cgroup.events");
        if (!events)
                return -ENOMEM;
        _cleanup_close_ int fd = open(events, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "open %s", events);
        int r = cgroup_knob_write(d, "cgroup.freeze", frozen ? "1" : "0");
        if (r < 0)
                return log_error_errno(r, "write %s%s/cgroup.freeze", d->mount, d->path);
        long long deadline = now_ms() + FREEZE_TIMEOUT_MS, attempt = now_ms() + FREEZE_ATTEMPT_MS;
        for (;;) {
                bool cur;
                r = events_frozen(fd, &cur);
                if (r < 0)
                        return log_error_errno(r, "read %s", events);
                if (cur == frozen)
                        return 0;
                long long left = deadline - now_ms();
                if (left <= 0)
                        break;
                if (frozen && now_ms() > attempt) {
                        /* stalled (see the top): thaw, let the calls in flight end, again */
                        (void) cgroup_knob_write(d, "cgroup.freeze", "0");
                        sleep_ms(5);
                        (void) cgroup_knob_write(d, "cgroup.freeze", "1");
                        attempt = now_ms() + FREEZE_ATTEMPT_MS;
                        continue;
                }
                /* kernfs signals a change of cgroup.events as POLLPRI */
                struct pollfd p = {.fd = fd, .events = POLLPRI};
                if (poll(&p, 1, (int) (left < 100 ? left : 100)) < 0 && errno != EINTR)
                        return log_error_errno(-errno, "poll %s", events);
        }
        if (frozen)
                (void) cgroup_knob_write(d, "cgroup.freeze", "0");
        return log_fail(-EBUSY, "cgroup %s%s did not become %s within %d s", d->mount, d->path,
                        frozen ? "frozen" : "thawed", FREEZE_TIMEOUT_MS / 1000);
}

int cgroup_freeze(const struct cgroup *cg, bool frozen) {
        bool v2;
        const struct cgroup_dir *d = cgroup_knob_dir(cg, "freezer", &v2);
        if (!d)
                return log_fail(-EOPNOTSUPP, "cannot %s: no v1 freezer hierarchy and no cgroup2 mount on this host",
                                frozen ? "freeze" : "thaw");
        return v2 ? freeze_v2(d, frozen) : freeze_v1(d, frozen);
}

int cgroup_frozen(const struct cgroup *cg, bool *ret) {
        bool v2;
        const struct cgroup_dir *d = cgroup_knob_dir(cg, "freezer", &v2);
        if (!d)
                return -EOPNOTSUPP;
        _cleanup_free_ char *s = NULL;
        if (v2) {
                int r = cgroup_knob_read(d, "cgroup.freeze", &s);
                if (r < 0)
                        return r;
                *ret = s[0] == '1';
                return 0;
        }
        for (int i = 0; i < 100; i++) {
                free(s);
                s = NULL;
                int r = cgroup_knob_read(d, "freezer.state", &s);
                if (r < 0)
                        return r;
                if (!str_startswith(s, "FREEZING"))
                        break;
                sleep_ms(1); /* a pause in progress: wait for a stable answer, as runc does */
        }
        if (!str_startswith(s, "FROZEN")) {
                *ret = false;
                return 0;
        }
        /* FROZEN because an ancestor is frozen is not "paused" (runc's rule) */
        _cleanup_free_ char *self = NULL;
        int r = cgroup_knob_read(d, "freezer.self_freezing", &self);
        if (r < 0)
                return r;
        *ret = self[0] == '1';
        return 0;
}
