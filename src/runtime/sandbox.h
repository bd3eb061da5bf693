/* SPDX-License-Identifier: MIT */
/*
 * One interface, three sandboxes (none, sentry, vm).  The lifecycle code in
 * runtime/ is shared; what differs is how the container's first process and
 * exec'd processes come to life and what must be torn down afterwards.
 */
#pragma once

#include <sys/types.h>

#include "linux/cgroup.h"
#include "linux/spawn.h"
#include "oci/spec.h"
#include "runtime/container.h"
#include "runtime/init.h"

/* Everything `create` has prepared before the sandbox starts the init. */
struct sandbox_create {
        struct cocoon_ctx *ctx;
        const char *id;
        const struct oci_spec *spec;
        const struct create_opts *opts;
        const char *bundle; /* absolute */
        const char *rootfs; /* absolute, resolved */
        const struct cgroup *cgroup;
        int exec_listen_fd; /* the init accepts on it; `start` connects */
        int console_fd;     /* connected --console-socket, or -1 */
        int lock_fds[2];    /* the state directory (locked) and --root: not for the init */
        const struct cocoon_state *state; /* as saved so far (pid 0): for the hooks' state JSON */
        /* out: the workload's init when it is not the pid create returns
         * (sandbox sentry: that one is the supervisor); left 0 otherwise */
        pid_t *ret_workload_pid;
};

/*
 * Hooks at create (docs/hooks.md), for every sandbox: when
 * hooks_need_create_step(spec), the sandbox calls this once the container's
 * namespaces exist and before its root is switched, with the init waiting.
 * It runs the prestart and createRuntime hooks in the runtime namespace and
 * returns the OCI state JSON (status "creating", pid = `pid` as the host sees
 * it), which the sandbox hands to the container for its createContainer and
 * startContainer hooks.  Implemented in runtime/create.c.
 */
int sandbox_namespaces_ready(const struct sandbox_create *sc, pid_t pid, char **ret_state);

/* Shared by the sandboxes that start the init with spawn_process (none,
 * sentry), in sandbox.c. */
/* The spawn configuration and init arguments of the container's init:
 * opens the namespace paths (undone by sandbox_close_joins); `rdt` holds
 * the resctrl group name cfg points at. */
int sandbox_init_config(const struct sandbox_create *sc, struct spawn_config *cfg, struct init_args *a,
                        char *rdt, size_t rdt_len);
void sandbox_close_joins(struct spawn_config *cfg);
/* The init waits after its mounts, before pivot_root (SYNC_HOOKS): run the
 * runtime-namespace hooks, then hand it the state for its own hooks. */
int sandbox_hooks_step(const struct sandbox_create *sc, pid_t pid, int sync_fd);
/* The end of an exec: `r` is the set-up's result so far.  On success, wait
 * for the exec'd process's execve (EOF on the sync socket, or its one error
 * line); then close sync_fd, and on any failure kill the process. */
int sandbox_exec_finish(int r, int sync_fd, pid_t pid, pid_t *ret_pid);

/*
 * The process that stays with a container of a sandbox that keeps one (the
 * sentry's supervisor, the vm's monitor; `what` names it in errors):
 * forked with a report socket, dying with `cocoon create` until it reports
 * READY (parent-death signal), its errors forwarded to create, put in the
 * container's cgroup before it starts anything (the tenant pays for its
 * sandbox), released with SYNC_GO, then waited for until SYNC_READY, whose
 * value goes to *ret_value.  Before READY it may send SYNC_HOOKS (the vm's
 * monitor, whose pid holds the container's network namespace): the
 * prestart and createRuntime hooks run then, with its pid in the state, and
 * SYNC_GO answers.  keeper_main(report_fd, arg) runs in the child and never
 * returns.  On failure the child is killed and reaped.
 */
typedef void (*sandbox_keeper_fn)(int report_fd, void *arg);
int sandbox_keeper_spawn(const struct sandbox_create *sc, const char *what, sandbox_keeper_fn keeper_main, void *arg,
                         pid_t *ret_pid, int32_t *ret_value);

struct sandbox_exec {
        struct cocoon_ctx *ctx;
        const struct container *c;
        const struct oci_spec *spec; /* the container's */
        const struct oci_process *process;
        const struct exec_opts *opts;
        const struct cgroup *cgroup;
        int console_fd;
};

struct sandbox_ops {
        const char *name;
        /* Start the init, stopped before the user's program; returns its pid. */
        int (*create)(const struct sandbox_create *sc, pid_t *ret_pid);
        /* Start an additional process; returns its pid (a child of the caller). */
        int (*exec)(const struct sandbox_exec *se, pid_t *ret_pid);
        /* Optional: signal the container (`kill`, `kill --all`) when the
         * sandbox carries signals itself (vm: through its monitor); -ESRCH
         * when it is not running.  NULL: the host's processes are signalled. */
        int (*kill)(const struct container *c, int sig, bool all);
        /* Release sandbox resources after the container's processes are gone. */
        int (*destroy)(struct cocoon_ctx *ctx, const struct container *c);
        /* Optional: release what the sandbox recorded in the state directory
         * `dirfd` apart from state.json (vm: the redirects of a network
         * namespace given by path), once the container's processes are gone,
         * for a create that failed and for `delete --force` of a container
         * whose state.json is missing or corrupt.  A directory without such
         * records is left alone. */
        void (*remains)(int dirfd);
        /*
         * Optional, for a sandbox whose workload is not among the host's
         * processes (vm: it is in the guest, reached through the monitor).
         * NULL: the container's host cgroup and processes are the workload's.
         */
        /* `events`: the "data" of a runc stats event.  `dirfd` is the state
         * directory, not locked: a stream outlives the container's lock. */
        int (*stats)(int dirfd, const char *id, json_t **ret);
        /* `ps`: the pids, and in *ret_table what `ps -ef` prints for them */
        int (*ps)(const struct container *c, pid_t **ret_pids, size_t *n, char **ret_table);
        /* `update`: linux.resources as update.c normalised it (not changed) */
        int (*update)(const struct container *c, json_t *res);
        /* `pause` / `resume`: the container is "paused" while
         * CONTAINER_PAUSED_FILE exists (written by pause.c on success) */
        int (*freeze)(const struct container *c, bool frozen);
};

int sandbox_lookup(enum sandbox_kind kind, const struct sandbox_ops **ret);
/* The sandbox container `c` was created with. */
int sandbox_of(const struct container *c, const struct sandbox_ops **ret);
int sandbox_from_name(const char *name, enum sandbox_kind *ret);
const char *sandbox_name(enum sandbox_kind kind);
/* The sandbox the program name selects: "cocoon-NAME" (any directory) is
 * `--sandbox NAME`, so that engines which cannot pass options per runtime
 * (containerd's runc shim: BinaryName only) pick one through a symlink
 * (docs/sandbox-selection.md).  1 and *ret set when the name selects one, 0
 * when it is not of that form, -EINVAL (logged) for an unknown NAME. */
int sandbox_from_argv0(const char *argv0, enum sandbox_kind *ret);

extern const struct sandbox_ops sandbox_none_ops;
extern const struct sandbox_ops sandbox_sentry_ops;
extern const struct sandbox_ops sandbox_vm_ops;
