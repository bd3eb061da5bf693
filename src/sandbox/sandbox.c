/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "linux/intelrdt.h"
#include "linux/spawn.h"
#include "log.h"
#include "runtime/sandbox.h"
#include "sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char *const names[] = {
        [SANDBOX_NONE] = "none",
        [SANDBOX_SENTRY] = "sentry",
        [SANDBOX_VM] = "vm",
};

const char *sandbox_name(enum sandbox_kind kind) {
        return kind <= SANDBOX_VM ? names[kind] : "unknown";
}

int sandbox_from_name(const char *name, enum sandbox_kind *ret) {
        for (enum sandbox_kind k = SANDBOX_NONE; k <= SANDBOX_VM; k++)
                if (name && !strcmp(name, names[k])) {
                        *ret = k;
                        return 0;
                }
        return -EINVAL;
}

int sandbox_from_argv0(const char *argv0, enum sandbox_kind *ret) {
        if (!argv0)
                return 0;
        const char *base = strrchr(argv0, '/');
        base = base ? base + 1 : argv0;
        if (strncmp(base, "cocoon-", 7))
                return 0;
        /* an unknown name is an error, not the default sandbox: a typo in a
         * symlink must not run a tenant's workload with less isolation */
        if (sandbox_from_name(base + 7, ret) < 0)
                return log_fail(-EINVAL, "program name \"%s\": unknown sandbox \"%s\" (cocoon-none, cocoon-sentry or cocoon-vm)",
                                base, base + 7);
        return 1;
}

int sandbox_lookup(enum sandbox_kind kind, const struct sandbox_ops **ret) {
        switch (kind) {
        case SANDBOX_NONE:
                *ret = &sandbox_none_ops;
                return 0;
        case SANDBOX_SENTRY:
                *ret = &sandbox_sentry_ops;
                return 0;
        case SANDBOX_VM:
                *ret = &sandbox_vm_ops;
                return 0;
        }
        return log_error_errno(-EINVAL, "unknown sandbox %d", kind);
}

int sandbox_of(const struct container *c, const struct sandbox_ops **ret) {
        enum sandbox_kind kind;
        if (sandbox_from_name(c->state->sandbox, &kind) < 0)
                return log_fail(-EINVAL, "container \"%s\": unknown sandbox \"%s\" in its state", c->id,
                                c->state->sandbox ? c->state->sandbox : "");
        return sandbox_lookup(kind, ret);
}

void sandbox_close_joins(struct spawn_config *cfg) {
        for (size_t i = 0; i < cfg->n_join; i++)
                close(cfg->join[i].fd);
        cfg->n_join = 0;
}

int sandbox_init_config(const struct sandbox_create *sc, struct spawn_config *cfg, struct init_args *a,
                        char *rdt, size_t rdt_len) {
        const struct oci_spec *spec = sc->spec;
        *cfg = (struct spawn_config){
                .cgroup = sc->cgroup,
                .resctrl_group = intelrdt_group(spec->linux.intel_rdt, sc->id, rdt, rdt_len),
                .close_fds = {sc->lock_fds[0], sc->lock_fds[1]},
                .n_close_fds = 2,
        };
        for (size_t i = 0; i < spec->linux.n_namespaces; i++) {
                const struct oci_namespace *ns = &spec->linux.namespaces[i];
                if (!ns->path) {
                        cfg->new_flags |= ns->type;
                        continue;
                }
                int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        int r = log_error_errno(-errno, "config.json: linux.namespaces[%zu].path: open %s", i, ns->path);
                        sandbox_close_joins(cfg);
                        return r;
                }
                cfg->join[cfg->n_join++] = (struct spawn_join){.type = ns->type, .fd = fd};
        }
        cfg->uid_map = spec->linux.uid_mappings;
        cfg->n_uid_map = spec->linux.n_uid_mappings;
        cfg->gid_map = spec->linux.gid_mappings;
        cfg->n_gid_map = spec->linux.n_gid_mappings;
        if (spec->linux.has_time_offsets && (cfg->new_flags & CLONE_NEWTIME)) {
                cfg->time_offsets = true;
                cfg->monotonic_secs = spec->linux.monotonic_secs;
                cfg->monotonic_nsecs = spec->linux.monotonic_nsecs;
                cfg->boottime_secs = spec->linux.boottime_secs;
                cfg->boottime_nsecs = spec->linux.boottime_nsecs;
        }
        *a = (struct init_args){
                .spec = spec,
                .process = spec->process,
                .bundle = sc->bundle,
                .rootfs = sc->rootfs,
                .no_pivot = sc->opts->no_pivot,
                .no_new_keyring = sc->opts->no_new_keyring,
                .in_userns = (cfg->new_flags & CLONE_NEWUSER) != 0,
                .new_netns = (cfg->new_flags & CLONE_NEWNET) != 0,
                .listen_fds = sc->opts->listen_fds,
                .preserve_fds = sc->opts->preserve_fds,
                .exec_listen_fd = sc->exec_listen_fd,
                .console_fd = sc->console_fd,
                .root_fd = -1,
        };
        return 0;
}

int sandbox_hooks_step(const struct sandbox_create *sc, pid_t pid, int sync_fd) {
        int r = sync_expect(sync_fd, SYNC_HOOKS, NULL);
        if (r < 0)
                return r;
        _cleanup_free_ char *state = NULL;
        r = sandbox_namespaces_ready(sc, pid, &state);
        if (r < 0)
                return r;
        r = sync_send_data(sync_fd, SYNC_STATE, state, strlen(state));
        if (r < 0 && r != -EPIPE)
                return log_error_errno(r, "send the state of container \"%s\" to its init", sc->id);
        return r;
}

int sandbox_exec_finish(int r, int sync_fd, pid_t pid, pid_t *ret_pid) {
        if (r == 0) {
                /* EOF: execve succeeded and closed the child's end; an error message: it failed */
                struct sync_msg m;
                int e = sync_recv(sync_fd, &m);
                if (e == 0 && m.type == SYNC_ERROR)
                        r = log_error_raw(m.value, m.msg);
        }
        close(sync_fd);
        if (r < 0) {
                spawn_abort(pid);
                return r;
        }
        *ret_pid = pid;
        return 0;
}

/* A keeper whose own pid holds the container's namespaces (vm: the
 * monitor's network namespace) asks for the create-time hooks with
 * SYNC_HOOKS: they run here, in the runtime namespace, with its pid in the
 * state; SYNC_GO lets it go on to READY. */
static int keeper_hooks_step(const struct sandbox_create *sc, pid_t pid, int report, int32_t *ret_value) {
        _cleanup_free_ char *state = NULL;
        int r = sandbox_namespaces_ready(sc, pid, &state);
        if (r < 0)
                return r;
        r = sync_send(report, SYNC_GO, 0);
        return r < 0 ? r : sync_expect(report, SYNC_READY, ret_value);
}

int sandbox_keeper_spawn(const struct sandbox_create *sc, const char *what, sandbox_keeper_fn keeper_main, void *arg,
                         pid_t *ret_pid, int32_t *ret_value) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return log_error_errno(-errno, "socketpair");
        _cleanup_close_ int report = sv[0];
        pid_t me = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                close(sv[1]);
                return log_error_errno(-errno, "fork %s", what);
        }
        if (pid == 0) {
                close(sv[0]);
                /* Until READY a killed `cocoon create` leaves nothing
                 * running: what we start follows us through its own
                 * parent-death signal. */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != me)
                        _exit(1);
                log_forward_to(sv[1]);
                keeper_main(sv[1], arg);
                _exit(1);
        }
        close(sv[1]);
        int r = 0;
        if (sc->cgroup && (r = cgroup_enter(sc->cgroup, pid)) < 0)
                goto fail;
        r = sync_send(report, SYNC_GO, 0);
        if (r < 0) {
                r = log_error_errno(r, "start %s", what);
                goto fail;
        }
        enum sync_type got = SYNC_READY;
        r = sync_expect_either(report, SYNC_READY, SYNC_HOOKS, &got, ret_value);
        if (r == 0 && got == SYNC_HOOKS)
                r = keeper_hooks_step(sc, pid, report, ret_value);
        if (r == -EPIPE)
                r = log_fail(r, "%s of container \"%s\" died during set-up", what, sc->id);
        else if (r == -EPROTO)
                r = log_fail(r, "%s: unexpected message during set-up", what);
        if (r < 0)
                goto fail;
        *ret_pid = pid;
        return 0;
fail:
        spawn_abort(pid);
        return r;
}
