/* SPDX-License-Identifier: MIT */
/*
 * `create`: everything up to a container whose init waits for `start`.
 *
 * The state directory is created first (mkdir is the atomic "this id is
 * ours" step) and locked; every later failure unwinds in reverse order, so
 * a failed create leaves no directory, cgroup, process or mount behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "linux/cgroup_systemd.h"
#include "linux/intelrdt.h"
#include "linux/seccomp.h"
#include "linux/spawn.h"
#include "linux/sysctl.h"
#include "linux/terminal.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/sandbox.h"
#include "util.h"

/* Rules that runc enforces before doing anything (the parser has already
 * checked what depends on config.json alone, e.g. hostname needs a uts
 * namespace). */
static int validate(const struct oci_spec *spec, const struct create_opts *o) {
        if (!spec->process)
                return log_fail(-EINVAL, "config.json: process: required to create a container");
        const struct oci_namespace *user = oci_spec_namespace(spec, CLONE_NEWUSER);
        if (user && !user->path && (!spec->linux.n_uid_mappings || !spec->linux.n_gid_mappings))
                return log_fail(-EINVAL, "config.json: linux.uidMappings: a new user namespace needs uid and gid mappings");
        int r = sysctl_validate(spec);
        if (r < 0)
                return r;
        r = intelrdt_validate(spec);
        if (r < 0)
                return r;
        if (spec->linux.seccomp && (r = seccomp_check(spec->linux.seccomp)) < 0)
                return r;
        if (spec->process->terminal && !o->console_socket && o->console_fd < 0)
                return log_fail(-EINVAL, "process.terminal is true: --console-socket is required (cocoon will detach)");
        if (!spec->process->terminal && o->console_socket)
                return log_fail(-EINVAL, "--console-socket given but process.terminal is false in config.json");
        return 0;
}

static int write_pid_file(const char *path, pid_t pid) {
        char abs[PATH_MAX], buf[32];
        snprintf(buf, sizeof buf, "%d", pid);
        /* tmp + rename in the target's directory: a reader never sees an empty pid file */
        _cleanup_free_ char *dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        const char *name = path;
        _cleanup_close_ int dfd = -1;
        if (slash) {
                *slash = 0;
                name = slash + 1;
                dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        } else
                dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return log_error_errno(-errno, "--pid-file %s", path);
        int r = write_file_atomic_at(dfd, name, buf, strlen(buf), 0644);
        if (r < 0)
                return log_error_errno(r, "write --pid-file %s", realpath(path, abs) ? abs : path);
        return 0;
}

int sandbox_namespaces_ready(const struct sandbox_create *sc, pid_t pid, char **ret_state) {
        struct cocoon_state s = *sc->state;
        s.pid = pid;
        _cleanup_free_ char *state = hooks_state_json(&s, "creating");
        if (!state)
                return log_error_errno(-ENOMEM, "state of container \"%s\" for its hooks", sc->id);
        /* prestart is the deprecated name of the same point (runc runs both, in this order) */
        int r = hooks_run(sc->spec, OCI_HOOK_PRESTART, state);
        if (r < 0)
                return r;
        r = hooks_run(sc->spec, OCI_HOOK_CREATE_RUNTIME, state);
        if (r < 0)
                return r;
        *ret_state = TAKE_PTR(state);
        return 0;
}

/* The spec's lifecycle continues at "delete" when create fails once the
 * container exists (runtime.md): poststop hooks undo what earlier hooks set up. */
static void poststop_after_failure(const struct oci_spec *spec, const struct cocoon_state *s) {
        if (!spec->n_hooks[OCI_HOOK_POSTSTOP])
                return;
        _cleanup_free_ char *state = hooks_state_json(s, "stopped");
        if (state)
                hooks_run_warn(spec, OCI_HOOK_POSTSTOP, state);
}

/* CGROUP_FILE, rewritten only when the record changed since *last. */
static int save_cgroup_record(int dirfd, const char *id, const struct cgroup *cg, char **last) {
        json_t *j = cgroup_to_json(cg);
        _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!text)
                return -ENOMEM;
        if (*last && strcmp(*last, text) == 0)
                return 0;
        int r = write_file_atomic_at(dirfd, CGROUP_FILE, text, strlen(text), 0600);
        if (r < 0)
                return log_error_errno(r, "save the cgroup of container \"%s\"", id);
        free(*last);
        *last = TAKE_PTR(text);
        return 0;
}

int container_create(struct cocoon_ctx *ctx, const char *id, const struct create_opts *o, pid_t *ret_pid) {
        int r;
        if (!container_id_valid(id))
                return log_fail(-EINVAL, "invalid container id \"%s\" (allowed: letters, digits, _ + - .)", id);
        const struct sandbox_ops *ops;
        r = sandbox_lookup(ctx->sandbox, &ops);
        if (r < 0)
                return r;

        char bundle[PATH_MAX];
        if (!realpath(o->bundle ? o->bundle : ".", bundle))
                return log_error_errno(-errno, "bundle %s", o->bundle ? o->bundle : ".");
        _cleanup_(oci_spec_freep) struct oci_spec *spec = NULL;
        r = oci_spec_load(bundle, &spec);
        if (r < 0)
                return r;
        r = validate(spec, o);
        if (r < 0)
                return r;
        /* before the id is claimed: a bad path or a host without systemd leaves nothing */
        _cleanup_(systemd_scope_freep) struct systemd_scope *scope = NULL;
        if (ctx->systemd_cgroup && (r = systemd_scope_prepare(spec->linux.cgroups_path, id, &scope)) < 0)
                return r;
        _cleanup_free_ char *root_in = spec->root_path[0] == '/' ? strdup(spec->root_path)
                                                                 : strdup_printf("%s/%s", bundle, spec->root_path);
        char rootfs[PATH_MAX];
        if (!root_in)
                return -ENOMEM;
        if (!realpath(root_in, rootfs))
                return log_fail(-errno, "config.json: root.path: rootfs %s", root_in);
        struct stat st;
        if (stat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
                return log_fail(-ENOTDIR, "config.json: root.path: rootfs %s", rootfs);

        /* --- claim the id --- */
        r = mkdir_p(ctx->root, 0711);
        if (r < 0)
                return log_error_errno(r, "create state root %s", ctx->root);
        _cleanup_close_ int rootfd = open(ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return log_error_errno(-errno, "open %s", ctx->root);
        if (mkdirat(rootfd, id, 0711) < 0) {
                if (errno == EEXIST)
                        return log_fail(-EEXIST, "container \"%s\" already exists", id);
                return log_error_errno(-errno, "create state directory %s/%s", ctx->root, id);
        }
        _cleanup_close_ int dirfd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0 || flock(dirfd, LOCK_EX) < 0) {
                r = log_error_errno(-errno, "lock state directory %s/%s", ctx->root, id);
                unlinkat(rootfd, id, AT_REMOVEDIR);
                return r;
        }

        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        _cleanup_close_ int listen_fd = -1, console_fd = -1;
        /* every cleanup variable is declared before the first `goto fail` */
        _cleanup_free_ char *text = NULL, *cg_text = NULL;
        pid_t pid = -1, workload_pid = 0;
        bool spawned = false;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        char created[64];
        format_rfc3339(created, sizeof created, &now);
        /* Saved with pid 0 first: `list` shows the container as "creating",
         * and if this process is killed half-way, `delete` still finds the
         * cgroup it must remove. */
        struct cocoon_state s = {
                .id = (char *) id,
                .bundle = bundle,
                .rootfs = rootfs,
                .created = created,
                .owner = (char *) "",
                .annotations = spec->annotations,
                .sandbox = (char *) ops->name,
                .config_saved = true,
        };
        r = state_save(dirfd, &s);
        if (r < 0)
                goto fail;

        /* the saved config is what exec uses later: the bundle may change */
        text = json_dumps(spec->json, JSON_COMPACT);
        if (!text) {
                r = -ENOMEM;
                goto fail;
        }
        r = write_file_atomic_at(dirfd, "config.json", text, strlen(text), 0600);
        if (r < 0) {
                r = log_error_errno(r, "save config of container \"%s\"", id);
                goto fail;
        }

        if (scope && (r = systemd_scope_start(scope, id)) < 0)
                goto fail;
        /* The record goes down before the first mkdir: a create killed in
         * between leaves directories that `delete --force` finds through it. */
        r = cgroup_plan(scope ? scope->path : spec->linux.cgroups_path, id, &cg);
        if (r >= 0)
                r = save_cgroup_record(dirfd, id, cg, &cg_text);
        if (r >= 0 && (r = cgroup_make(cg)) < 0)
                cgroup_free(TAKE_PTR(cg)); /* cgroup_make removed what it made */
        if (r < 0) {
                if (scope)
                        systemd_unit_stop(scope->unit);
                goto fail;
        }
        if (scope && !(cg->systemd_unit = strdup(scope->unit))) {
                r = -ENOMEM;
                goto fail;
        }
        /* again if what was made differs from the plan (a parent appeared meanwhile) or a unit was added */
        r = save_cgroup_record(dirfd, id, cg, &cg_text);
        if (r < 0)
                goto fail;
        s.cgroup = cgroup_to_json(cg);
        r = state_save(dirfd, &s);
        if (r < 0)
                goto fail;
        r = cgroup_apply_resources(cg, spec);
        if (r < 0)
                goto fail;
        r = intelrdt_setup(spec, id);
        if (r < 0)
                goto fail;

        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/exec.sock", dirfd);
        if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(listen_fd, 1) < 0) {
                r = log_error_errno(-errno, "create the start socket of container \"%s\"", id);
                goto fail;
        }
        r = console_open(o->console_fd, o->console_socket, &console_fd);
        if (r < 0)
                goto fail;

        struct sandbox_create sc = {
                .ctx = ctx,
                .id = id,
                .spec = spec,
                .opts = o,
                .bundle = bundle,
                .rootfs = rootfs,
                .cgroup = cg,
                .exec_listen_fd = listen_fd,
                .console_fd = console_fd,
                .lock_fds = {dirfd, rootfd},
                .state = &s,
                .ret_workload_pid = &workload_pid,
        };
        spawned = true;
        r = ops->create(&sc, &pid);
        if (r < 0)
                goto fail;

        s.pid = pid;
        r = proc_stat(pid, &s.start_time, NULL);
        if (r < 0) {
                r = log_error_errno(r, "container \"%s\" init exited during create", id);
                goto fail;
        }
        if (workload_pid > 0) {
                s.workload_pid = workload_pid;
                r = proc_stat(workload_pid, &s.workload_start_time, NULL);
                if (r < 0) {
                        r = log_error_errno(r, "container \"%s\": its workload exited during create", id);
                        goto fail;
                }
        }
        r = state_save(dirfd, &s);
        if (r < 0)
                goto fail;
        if (o->pid_file && (r = write_pid_file(o->pid_file, pid)) < 0)
                goto fail;
        json_decref(s.cgroup);
        log_debug("created container \"%s\": init pid %d, bundle %s", id, pid, bundle);
        *ret_pid = pid;
        return 0;

fail:
        spawn_abort(pid);
        if (cg)
                cgroup_destroy(cg);
        intelrdt_destroy(spec->linux.intel_rdt, id);
        /* what a keeper made and recorded, it had no chance to undo (killed above, or before) */
        if (spawned && ops->remains)
                ops->remains(dirfd);
        if (spawned)
                poststop_after_failure(spec, &s);
        json_decref(s.cgroup);
        rm_rf_at(rootfd, id);
        return r;
}
