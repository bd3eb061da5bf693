/* SPDX-License-Identifier: MIT */
/*
 * The `none` sandbox: namespaces, cgroups and seccomp, as runc.
 * The workload talks to the host kernel directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "linux/idmap.h"
#include "linux/intelrdt.h"
#include "linux/seccomp.h"
#include "linux/spawn.h"
#include "oci/state.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "runtime/sandbox.h"
#include "sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static void close_joins(struct spawn_config *cfg) {
        for (size_t i = 0; i < cfg->n_join; i++)
                close(cfg->join[i].fd);
        cfg->n_join = 0;
}

/* A profile with SCMP_ACT_NOTIFY rules: the process sends its listener fd
 * before SYNC_READY, for the agent at listenerPath. */
static int forward_seccomp_listener(const struct oci_spec *spec, int sync_fd, pid_t pid,
                                    const struct cocoon_state *s, const char *status) {
        if (!spec->has_linux || !spec->linux.seccomp)
                return 0;
        json_t *state = state_to_oci(s, status);
        if (!state)
                return log_error_errno(-ENOMEM, "container state");
        int r = seccomp_forward_listener(spec->linux.seccomp, sync_fd, pid, state);
        json_decref(state);
        return r;
}

/* The init waits after its mounts, before pivot_root (SYNC_HOOKS): run the
 * runtime-namespace hooks, then hand it the state for its own hooks. */
static int namespaces_ready_step(const struct sandbox_create *sc, pid_t pid, int sync_fd) {
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

static int none_create(const struct sandbox_create *sc, pid_t *ret_pid) {
        const struct oci_spec *spec = sc->spec;
        char rdt[PATH_MAX];
        struct spawn_config cfg = {
                .cgroup = sc->cgroup,
                .resctrl_group = intelrdt_group(spec->linux.intel_rdt, sc->id, rdt, sizeof rdt),
                .close_fds = {sc->lock_fds[0], sc->lock_fds[1]},
                .n_close_fds = 2,
        };
        int r;

        for (size_t i = 0; i < spec->linux.n_namespaces; i++) {
                const struct oci_namespace *ns = &spec->linux.namespaces[i];
                if (!ns->path) {
                        cfg.new_flags |= ns->type;
                        continue;
                }
                int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        r = log_error_errno(-errno, "config.json: linux.namespaces[%zu].path: open %s", i, ns->path);
                        close_joins(&cfg);
                        return r;
                }
                cfg.join[cfg.n_join++] = (struct spawn_join){.type = ns->type, .fd = fd};
        }
        cfg.uid_map = spec->linux.uid_mappings;
        cfg.n_uid_map = spec->linux.n_uid_mappings;
        cfg.gid_map = spec->linux.gid_mappings;
        cfg.n_gid_map = spec->linux.n_gid_mappings;
        if (spec->linux.has_time_offsets && (cfg.new_flags & CLONE_NEWTIME)) {
                cfg.time_offsets = true;
                cfg.monotonic_secs = spec->linux.monotonic_secs;
                cfg.monotonic_nsecs = spec->linux.monotonic_nsecs;
                cfg.boottime_secs = spec->linux.boottime_secs;
                cfg.boottime_nsecs = spec->linux.boottime_nsecs;
        }
        struct init_args a = {
                .spec = spec,
                .process = spec->process,
                .bundle = sc->bundle,
                .rootfs = sc->rootfs,
                .no_pivot = sc->opts->no_pivot,
                .no_new_keyring = sc->opts->no_new_keyring,
                .in_userns = (cfg.new_flags & CLONE_NEWUSER) != 0,
                .new_netns = (cfg.new_flags & CLONE_NEWNET) != 0,
                .listen_fds = sc->opts->listen_fds,
                .preserve_fds = sc->opts->preserve_fds,
                .exec_listen_fd = sc->exec_listen_fd,
                .console_fd = sc->console_fd,
                .root_fd = -1,
        };
        /* On the host, before any container process exists (see idmap.h);
         * the trees reach the init by inheritance. */
        int *idmap_fds = NULL;
        r = idmap_mounts_prepare(spec, sc->bundle, &idmap_fds);
        if (r < 0) {
                close_joins(&cfg);
                return r;
        }
        a.idmap_fds = idmap_fds;
        cfg.stage2 = init_container;
        cfg.arg = &a;
        pid_t pid;
        int sync_fd;
        r = spawn_process(&cfg, &pid, &sync_fd);
        close_joins(&cfg);
        if (r < 0) {
                idmap_mounts_free(idmap_fds, spec->n_mounts);
                return r;
        }
        if (hooks_need_create_step(spec))
                r = namespaces_ready_step(sc, pid, sync_fd);
        if (r == 0)
                r = forward_seccomp_listener(spec, sync_fd, pid, &(struct cocoon_state){
                        .id = (char *) sc->id, .pid = pid, .bundle = (char *) sc->bundle, .rootfs = (char *) sc->rootfs,
                        .annotations = spec->annotations}, "creating");
        if (r == 0)
                r = sync_expect(sync_fd, SYNC_READY, NULL);
        idmap_mounts_free(idmap_fds, spec->n_mounts);
        close(sync_fd);
        if (r < 0) {
                if (r == -EPIPE)
                        r = log_error_errno(r, "container init died during set-up");
                else if (r == -EPROTO)
                        r = log_fail(r, "container init: unexpected message during set-up");
                spawn_abort(pid);
                return r;
        }
        *ret_pid = pid;
        return 0;
}

static int none_exec(const struct sandbox_exec *se, pid_t *ret_pid) {
        char rdt[PATH_MAX];
        struct spawn_config cfg = {
                .cgroup = se->cgroup,
                .resctrl_group = intelrdt_group(se->spec->linux.intel_rdt, se->c->id, rdt, sizeof rdt),
                .close_fds = {se->c->dirfd},
                .n_close_fds = 1,
        };
        pid_t init = se->c->state->pid;
        int r = spawn_join_namespaces_of(init, &cfg);
        if (r < 0) {
                close_joins(&cfg);
                return r;
        }
        char root[64];
        snprintf(root, sizeof root, "/proc/%d/root", init);
        int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                r = log_error_errno(-errno, "open %s", root);
                close_joins(&cfg);
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
        };
        cfg.stage2 = init_exec;
        cfg.arg = &a;
        pid_t pid;
        int sync_fd;
        r = spawn_process(&cfg, &pid, &sync_fd);
        close_joins(&cfg);
        close(root_fd);
        if (r < 0)
                return r;
        r = forward_seccomp_listener(se->spec, sync_fd, pid, se->c->state,
                                     container_status_name(container_status(se->c)));
        if (r == 0)
                r = sync_expect(sync_fd, SYNC_READY, NULL);
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

const struct sandbox_ops sandbox_none_ops = {
        .name = "none",
        .create = none_create,
        .exec = none_exec,
        .destroy = NULL,
};
