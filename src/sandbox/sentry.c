/* SPDX-License-Identifier: MIT */
/*
 * The `sentry` sandbox, as the cocoon commands see it.
 *
 * `create` forks the supervisor (sentry_supervisor.c), which starts the
 * workload's init and the Gofer, confines itself and runs the Sentry; the
 * supervisor is the container's pid (pid file, state), and its exit status
 * is the workload's.  `exec` starts its process like the `none` sandbox,
 * with the boundary filter, and hands the filter's listener to the Sentry
 * over <root>/<id>/sentry.sock.  docs/architecture.md has the picture.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/seccomp.h>

#include "cleanup.h"
#include "linux/intelrdt.h"
#include "linux/seccomp.h"
#include "linux/spawn.h"
#include "log.h"
#include "runtime/init.h"
#include "runtime/sandbox.h"
#include "sandbox/sentry_sandbox.h"
#include "sentry/sentry.h"
#include "sync.h"
#include "util.h"

#define SENTRY_SOCK "sentry.sock"

static int cmp_int(const void *a, const void *b) {
        return *(const int *) a - *(const int *) b;
}

int sentry_close_fds_except(int from, const int *keep_in, size_t n) {
        int keep[16] = {0};
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (keep_in[i] >= from) {
                        if (k == ELEMENTSOF(keep))
                                return -E2BIG;
                        keep[k++] = keep_in[i];
                }
        qsort(keep, k, sizeof *keep, cmp_int);
        unsigned lo = (unsigned) from;
        for (size_t i = 0; i < k; i++) {
                if ((unsigned) keep[i] > lo && syscall(SYS_close_range, lo, keep[i] - 1, 0) < 0)
                        return -errno;
                lo = (unsigned) keep[i] + 1;
        }
        return syscall(SYS_close_range, lo, ~0U, 0) < 0 ? -errno : 0;
}

bool sentry_net_raw(const struct oci_process *p) {
        uint64_t bit = UINT64_C(1) << CAP_NET_RAW;
        return p->has_caps && ((p->caps.bounding | p->caps.effective) & bit);
}

int sentry_setup_passthrough(int sync_fd, int listener) {
        for (;;) {
                struct pollfd pf[2] = {{.fd = sync_fd, .events = POLLIN}, {.fd = listener, .events = POLLIN}};
                if (poll(pf, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(-errno, "poll");
                }
                /* The sync socket first: once SYNC_READY is there, what is
                 * pending on the listener belongs to the Sentry. */
                if (pf[0].revents) {
                        struct sync_msg m;
                        int r = sync_recv(sync_fd, &m);
                        if (r < 0)
                                return r;
                        if (m.type == SYNC_WARNING) {
                                log_warn("%s", m.msg);
                                continue;
                        }
                        if (m.type == SYNC_ERROR)
                                return log_error_raw(m.value, m.msg);
                        return m.type == SYNC_READY ? 0 : -EPROTO;
                }
                if (!(pf[1].revents & POLLIN)) {
                        if (pf[1].revents)
                                return -EPIPE; /* the process is gone: its sync socket says so next */
                        continue;
                }
                struct seccomp_notif req;
                memset(&req, 0, sizeof req); /* the kernel wants it zeroed */
                if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
                        if (errno == EINTR || errno == ENOENT) /* ENOENT: the caller died meanwhile */
                                continue;
                        return log_error_errno(-errno, "receive a seccomp notification");
                }
                struct seccomp_notif_resp resp = {.id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
                if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
                        return log_error_errno(-errno, "answer a seccomp notification");
        }
}

/* The release uname shows: the container's annotation, else
 * --sentry-release, else NULL (the Sentry's default). */
const char *sentry_release_of(const struct sandbox_create *sc) {
        const char *v = json_string_value(json_object_get(sc->spec->annotations, SENTRY_RELEASE_ANNOTATION));
        return v ? v : sc->ctx->sentry_release;
}

/* The sandbox's own tasks at their usual peak (6 to 8) and a few for the
 * workload. */
#define SENTRY_MIN_PIDS_LIMIT 12

/* Refused before anything exists, each with one line. */
static int validate(const struct sandbox_create *sc) {
        const struct oci_spec *spec = sc->spec;
        const char *release = sentry_release_of(sc);
        if (release && sentry_release_check(release, "config.json: annotations: " SENTRY_RELEASE_ANNOTATION) < 0)
                return -EINVAL;
        static const struct {
                int type;
                const char *name;
        } own[] = {{CLONE_NEWPID, "pid"}, {CLONE_NEWNS, "mount"}};
        for (size_t i = 0; i < ELEMENTSOF(own); i++) {
                const struct oci_namespace *ns = oci_spec_namespace(spec, own[i].type);
                /* The Sentry and the Gofer must be invisible to the workload,
                 * and W's read-only view of the tree must be its own. */
                if (!ns || ns->path)
                        return log_fail(-EINVAL,
                                        "--sandbox=sentry needs a new %s namespace: config.json: linux.namespaces "
                                        "must have {\"type\": \"%s\"} without a path",
                                        own[i].name, own[i].name);
        }
        /* The tenant pays for its sandbox: the supervisor, its Sentry
         * threads (two waiting workers per process, more while calls block)
         * and the Gofer (a thread per worker) count against pids.limit. */
        json_t *limit = json_object_get(json_object_get(spec->linux.resources, "pids"), "limit");
        if (json_is_integer(limit) && json_integer_value(limit) > 0 &&
            json_integer_value(limit) < SENTRY_MIN_PIDS_LIMIT)
                return log_fail(-EINVAL,
                                "config.json: linux.resources.pids.limit %lld is too small for --sandbox=sentry, "
                                "whose supervisor, Sentry and Gofer run in the container's cgroup (at least %d)",
                                (long long) json_integer_value(limit), SENTRY_MIN_PIDS_LIMIT);
        if (sc->opts->no_pivot)
                return log_fail(-EINVAL, "--no-pivot cannot be used with --sandbox=sentry (the Gofer needs the "
                                         "container's root to be the root of its mount namespace)");
        /* The kernel allows one listener per filter chain (EBUSY). */
        if (spec->has_linux && spec->linux.seccomp && seccomp_uses_notify(spec->linux.seccomp))
                return log_fail(-EINVAL, "config.json: linux.seccomp: SCMP_ACT_NOTIFY cannot be used with "
                                         "--sandbox=sentry (the Sentry holds the process's only seccomp listener)");
        return 0;
}

/* A listening socket at <dir>/name, bound through /proc/self/fd (--root may be long). */
static int listen_at(int dirfd, const char *name, int *ret) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dirfd, name);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(fd, 16) < 0)
                return -errno;
        *ret = TAKE_FD(fd);
        return 0;
}

struct supervise_arg {
        const struct sandbox_create *sc;
        int control_fd;
};

static void supervise_main(int report_fd, void *arg) {
        const struct supervise_arg *a = arg;
        sentry_supervise(&(struct sentry_supervisor_args){
                .sc = a->sc, .report_fd = report_fd, .control_fd = a->control_fd});
}

static int sentry_create(const struct sandbox_create *sc, pid_t *ret_pid) {
        int r = validate(sc);
        if (r < 0)
                return r;
        _cleanup_close_ int control = -1;
        r = listen_at(sc->lock_fds[0], SENTRY_SOCK, &control);
        if (r < 0)
                return log_error_errno(r, "create the Sentry's control socket of container \"%s\"", sc->id);
        /* The tenant pays for its sandbox (as with runsc): the supervisor,
         * and with it the Gofer, live in the container's cgroup. */
        struct supervise_arg sa = {.sc = sc, .control_fd = control};
        pid_t pid = -1;
        int32_t workload = 0;
        r = sandbox_keeper_spawn(sc, "the Sentry's supervisor", supervise_main, &sa, &pid, &workload);
        closep(&control);
        if (r < 0)
                return r; /* the init and the Gofer die with it (parent-death signal) */
        if (workload <= 0) {
                r = log_fail(-EPROTO, "the Sentry's supervisor reported no workload pid");
                goto fail;
        }
        log_debug("sentry sandbox of \"%s\": supervisor %d, workload init %d", sc->id, pid, workload);
        if (sc->ret_workload_pid)
                *sc->ret_workload_pid = workload;
        *ret_pid = pid;
        return 0;
fail:
        /* the init and the Gofer die with it (parent-death signal); create
         * empties the cgroup of whatever is left */
        spawn_abort(pid);
        return r;
}

/* Hand an exec'd process's listener to the Sentry and wait until it serves it. */
static int pass_listener(const struct container *c, int listener) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(-errno, "socket");
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", c->dirfd, SENTRY_SOCK);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return log_error_errno(-errno, "connect to the Sentry of container \"%s\"", c->id);
        int r = sentry_send_listener(fd, listener);
        if (r == -ECONNRESET) /* (the other transport errors are logged there) */
                r = log_fail(r, "the Sentry of container \"%s\" is gone", c->id);
        return r;
}

/* Our /proc view of the process, not its read-only one. */
static int set_oom_score_adj(pid_t pid, const struct oci_process *p) {
        if (!p->has_oom_score_adj)
                return 0;
        char path[64], buf[16];
        snprintf(path, sizeof path, "/proc/%d/oom_score_adj", pid);
        int n = snprintf(buf, sizeof buf, "%d", p->oom_score_adj);
        int r = write_file_at(AT_FDCWD, path, buf, (size_t) n, 0);
        if (r < 0)
                return log_error_errno(r, "set oom_score_adj of the exec'd process to %d", p->oom_score_adj);
        return 0;
}

static int sentry_exec(const struct sandbox_exec *se, pid_t *ret_pid) {
        const struct container *c = se->c;
        pid_t init = c->state->workload_pid;
        if (init <= 0)
                return log_fail(-EUCLEAN, "state of container \"%s\" names no workload process", c->id);
        char rdt[PATH_MAX];
        struct spawn_config cfg = {
                .cgroup = se->cgroup,
                .resctrl_group = intelrdt_group(se->spec->linux.intel_rdt, c->id, rdt, sizeof rdt),
                .close_fds = {c->dirfd},
                .n_close_fds = 1,
        };
        int r = spawn_join_namespaces_of(init, &cfg);
        if (r < 0) {
                sandbox_close_joins(&cfg);
                return r;
        }
        char root[64];
        snprintf(root, sizeof root, "/proc/%d/root", init);
        _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                r = log_error_errno(-errno, "open %s", root);
                sandbox_close_joins(&cfg);
                return r;
        }
        struct init_args a = {
                .spec = se->spec,
                .process = se->process,
                .listen_fds = se->opts->listen_fds,
                .preserve_fds = se->opts->preserve_fds,
                .exec_listen_fd = -1,
                .console_fd = se->console_fd,
                .root_fd = root_fd,
                .sentry = true,
                .sentry_net_raw = sentry_net_raw(se->process),
        };
        cfg.stage2 = init_exec;
        cfg.arg = &a;
        pid_t pid;
        int sync_fd;
        r = spawn_process(&cfg, &pid, &sync_fd);
        sandbox_close_joins(&cfg);
        if (r < 0)
                return r;
        _cleanup_close_ int listener = -1;
        r = sync_expect_fd(sync_fd, SYNC_SECCOMP_FD, &listener);
        if (r == 0)
                r = sentry_setup_passthrough(sync_fd, listener);
        if (r == -EPIPE)
                r = log_fail(r, "the exec'd process died during set-up");
        else if (r == -EPROTO)
                r = log_fail(r, "the exec'd process: unexpected message during set-up");
        if (r == 0)
                r = set_oom_score_adj(pid, se->process);
        if (r == 0)
                r = pass_listener(c, listener);
        /* the process waits for this before its execve, the first call the Sentry answers */
        if (r == 0 && (r = sync_send(sync_fd, SYNC_GO, 0)) < 0)
                r = log_error_errno(r, "release the exec'd process");
        return sandbox_exec_finish(r, sync_fd, pid, ret_pid);
}

const struct sandbox_ops sandbox_sentry_ops = {
        .name = "sentry",
        .create = sentry_create,
        .exec = sentry_exec,
        .destroy = NULL, /* sentry.sock goes with the state directory */
};
