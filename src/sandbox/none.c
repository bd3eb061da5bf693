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

static int none_create(const struct sandbox_create *sc, pid_t *ret_pid) {
        const struct oci_spec *spec = sc->spec;
        char rdt[PATH_MAX];
        struct spawn_config cfg;
        struct init_args a;
        int r = sandbox_init_config(sc, &cfg, &a, rdt, sizeof rdt);
        if (r < 0)
                return r;
        /* On the host, before any container process exists (see idmap.h);
         * the trees reach the init by inheritance. */
        int *idmap_fds = NULL;
        r = idmap_mounts_prepare(spec, sc->bundle, &idmap_fds);
        if (r < 0) {
                sandbox_close_joins(&cfg);
                return r;
        }
        a.idmap_fds = idmap_fds;
        cfg.stage2 = init_container;
        cfg.arg = &a;
        pid_t pid;
        int sync_fd;
        r = spawn_process(&cfg, &pid, &sync_fd);
        sandbox_close_joins(&cfg);
        if (r < 0) {
                idmap_mounts_free(idmap_fds, spec->n_mounts);
                return r;
        }
        if (hooks_need_create_step(spec))
                r = sandbox_hooks_step(sc, pid, sync_fd);
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
                sandbox_close_joins(&cfg);
                return r;
        }
        char root[64];
        snprintf(root, sizeof root, "/proc/%d/root", init);
        int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
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
        };
        cfg.stage2 = init_exec;
        cfg.arg = &a;
        pid_t pid;
        int sync_fd;
        r = spawn_process(&cfg, &pid, &sync_fd);
        sandbox_close_joins(&cfg);
        close(root_fd);
        if (r < 0)
                return r;
        r = forward_seccomp_listener(se->spec, sync_fd, pid, se->c->state,
                                     container_status_name(container_status(se->c)));
        if (r == 0)
                r = sync_expect(sync_fd, SYNC_READY, NULL);
        return sandbox_exec_finish(r, sync_fd, pid, ret_pid);
}

const struct sandbox_ops sandbox_none_ops = {
        .name = "none",
        .create = none_create,
        .exec = none_exec,
        .destroy = NULL,
};
