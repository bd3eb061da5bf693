/* SPDX-License-Identifier: MIT */
/*
 * OOM notification for `events`.  v1: an eventfd registered through
 * cgroup.event_control on memory.oom_control (the kernel signals it on every
 * OOM in the cgroup, and once more when the cgroup is removed).  v2: inotify
 * on memory.events, whose oom_kill counter grows with every OOM kill.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "linux/cgroup_knob.h"
#include "util.h"

struct cgroup_oom {
        bool v2;
        int fd;            /* v1: the eventfd; v2: inotify */
        int control_fd;    /* v1: memory.oom_control, open for as long as the registration */
        char *probe;       /* v1: cgroup.event_control (gone = cgroup gone); v2: memory.events */
        uint64_t kills;    /* v2: oom_kill seen so far */
};

void cgroup_oom_free(struct cgroup_oom *o) {
        if (!o)
                return;
        if (o->fd >= 0)
                close(o->fd);
        if (o->control_fd >= 0)
                close(o->control_fd);
        free(o->probe);
        free(o);
}

static int oom_kills(const char *events, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        int r = read_file_at(AT_FDCWD, events, &s, NULL);
        if (r < 0)
                return r;
        const char *p = strstr(s, "oom_kill ");
        *ret = p ? strtoull(p + 9, NULL, 10) : 0;
        return 0;
}

int cgroup_oom_open(const struct cgroup *cg, struct cgroup_oom **ret) {
        bool v2;
        const struct cgroup_dir *d = cgroup_knob_dir(cg, "memory", &v2);
        if (!d)
                return -EOPNOTSUPP;
        _cleanup_(cgroup_oom_freep) struct cgroup_oom *o = calloc(1, sizeof *o);
        if (!o)
                return -ENOMEM;
        o->v2 = v2;
        o->fd = o->control_fd = -1;
        if (v2) {
                if (!(o->probe = cgroup_knob_path(d, "memory.events")))
                        return -ENOMEM;
                int r = oom_kills(o->probe, &o->kills);
                if (r < 0)
                        return r; /* no memory controller in this cgroup2 directory */
                o->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
                if (o->fd < 0 || inotify_add_watch(o->fd, o->probe, IN_MODIFY) < 0)
                        return -errno;
        } else {
                _cleanup_free_ char *control = cgroup_knob_path(d, "memory.oom_control");
                if (!control || !(o->probe = cgroup_knob_path(d, "cgroup.event_control")))
                        return -ENOMEM;
                o->control_fd = open(control, O_RDONLY | O_CLOEXEC);
                if (o->control_fd < 0)
                        return -errno;
                o->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
                if (o->fd < 0)
                        return -errno;
                char buf[64];
                snprintf(buf, sizeof buf, "%d %d", o->fd, o->control_fd);
                int r = write_string(o->probe, buf);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int cgroup_oom_fd(const struct cgroup_oom *o) {
        return o->fd;
}

int cgroup_oom_check(struct cgroup_oom *o, unsigned *ret_new) {
        *ret_new = 0;
        if (o->v2) {
                char buf[4096];
                while (read(o->fd, buf, sizeof buf) > 0)
                        ;
                uint64_t kills;
                int r = oom_kills(o->probe, &kills);
                if (r < 0)
                        return r; /* the cgroup is gone */
                if (kills > o->kills)
                        *ret_new = (unsigned) (kills - o->kills);
                o->kills = kills;
                return 0;
        }
        uint64_t n = 0;
        if (read(o->fd, &n, sizeof n) != (ssize_t) sizeof n)
                return errno == EAGAIN ? 0 : -errno;
        /* the removal of the cgroup signals the eventfd too: that is no OOM */
        if (access(o->probe, F_OK) < 0)
                return -ENOENT;
        *ret_new = (unsigned) n;
        return 0;
}
