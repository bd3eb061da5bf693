/* SPDX-License-Identifier: MIT */
/*
 * Opening, locking and inspecting containers; kill, delete, state, list.
 *
 * Locking: every command that acts on a container holds flock(LOCK_EX) on
 * the container's state directory for its whole duration, so commands on
 * one container serialize and commands on different containers never wait
 * for each other.  `list` reads without locking: state.json is replaced
 * atomically, so it sees either the old or the new record.
 */
#include "runtime/container.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "linux/intelrdt.h"
#include "runtime/hooks.h"
#include "runtime/sandbox.h"
#include "util.h"

const char *container_status_name(enum container_status s) {
        switch (s) {
        case STATUS_CREATING:
                return "creating";
        case STATUS_CREATED:
                return "created";
        case STATUS_RUNNING:
                return "running";
        case STATUS_PAUSED:
                return "paused";
        case STATUS_STOPPED:
                return "stopped";
        }
        return "unknown";
}

bool container_id_valid(const char *id) {
        if (!id || !*id || !strcmp(id, ".") || !strcmp(id, "..") || strlen(id) > 1024)
                return false;
        for (const char *p = id; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("_+-.", *p))
                        return false;
        return true;
}

void container_close(struct container *c) {
        if (!c)
                return;
        if (c->dirfd >= 0)
                close(c->dirfd); /* releases the flock */
        state_free(c->state);
        free(c->id);
        free(c);
}

void container_closep(struct container **c) {
        container_close(*c);
}

/* The state directory of id, locked; -ENOENT (logged) when there is none. */
static int open_state_dir(struct cocoon_ctx *ctx, const char *id, int *ret) {
        if (!container_id_valid(id))
                return log_fail(-EINVAL, "invalid container id \"%s\"", id ? id : "");
        _cleanup_free_ char *path = strdup_printf("%s/%s", ctx->root, id);
        if (!path)
                return -ENOMEM;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return log_fail(-ENOENT, "container \"%s\" does not exist", id);
                return log_error_errno(-errno, "open %s", path);
        }
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return log_error_errno(-errno, "lock %s", path);
        /* A concurrent delete may have removed the directory while we waited. */
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_nlink == 0)
                return log_fail(-ENOENT, "container \"%s\" does not exist", id);
        *ret = TAKE_FD(fd);
        return 0;
}

/* A container of the locked directory fd (taken) and its state (taken). */
static int container_new(int fd, const char *id, struct cocoon_state *s, struct container **ret) {
        struct container *c = calloc(1, sizeof *c);
        if (!c || !(c->id = strdup(id))) {
                free(c);
                close(fd);
                state_free(s);
                return -ENOMEM;
        }
        c->dirfd = fd;
        c->state = s;
        *ret = c;
        return 0;
}

int container_open(struct cocoon_ctx *ctx, const char *id, struct container **ret) {
        int fd = -1;
        int r = open_state_dir(ctx, id, &fd);
        if (r < 0)
                return r;
        struct cocoon_state *s = NULL;
        r = state_load(fd, id, &s);
        if (r < 0) {
                close(fd);
                return r;
        }
        return container_new(fd, id, s, ret);
}

/* A frozen cgroup is "paused" whether the init was created or running (runc). */
static bool is_frozen(const struct cocoon_state *s) {
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        bool frozen = false;
        if (!s->cgroup || cgroup_from_json(s->cgroup, &cg) < 0 || cgroup_frozen(cg, &frozen) < 0)
                return false;
        return frozen;
}

/* locked: the caller holds the directory's lock, which create holds from its
 * mkdir to its end. */
static enum container_status status_of(int dirfd, const struct cocoon_state *s, bool locked) {
        unsigned long long st;
        char pstate;
        if (s->pid == 0) {
                /* create has not finished; unless nobody holds the lock, then
                 * it was killed half-way ("delete --force" cleans up) */
                if (!locked && flock(dirfd, LOCK_SH | LOCK_NB) < 0)
                        return STATUS_CREATING;
                if (!locked)
                        flock(dirfd, LOCK_UN);
                return STATUS_STOPPED;
        }
        if (s->pid < 0 || proc_stat(s->pid, &st, &pstate) < 0)
                return STATUS_STOPPED;
        if (st != s->start_time || pstate == 'Z' || pstate == 'X')
                return STATUS_STOPPED;
        if (is_frozen(s) || faccessat(dirfd, CONTAINER_PAUSED_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return STATUS_PAUSED;
        if (faccessat(dirfd, "exec.sock", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return STATUS_CREATED;
        return STATUS_RUNNING;
}

enum container_status container_status(const struct container *c) {
        return status_of(c->dirfd, c->state, true);
}

int container_load_spec(const struct container *c, struct oci_spec **ret) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file_at(c->dirfd, "config.json", &text, &len);
        if (r < 0)
                return log_error_errno(r, "read saved config of container \"%s\"", c->id);
        return oci_spec_parse(text, len, "config.json", ret);
}

int container_state(struct cocoon_ctx *ctx, const char *id, json_t **ret) {
        _cleanup_(container_closep) struct container *c = NULL;
        int r = container_open(ctx, id, &c);
        if (r < 0)
                return r;
        *ret = state_to_oci(c->state, container_status_name(container_status(c)));
        return 0;
}

int container_list(struct cocoon_ctx *ctx, json_t **ret) {
        json_t *a = json_array();
        _cleanup_closedir_ DIR *d = opendir(ctx->root);
        if (!d) {
                if (errno == ENOENT) {
                        *ret = a;
                        return 0;
                }
                json_decref(a);
                return log_error_errno(-errno, "open %s", ctx->root);
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || !container_id_valid(de->d_name))
                        continue;
                _cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                _cleanup_free_ char *text = NULL;
                if (read_file_at(fd, "state.json", &text, NULL) < 0)
                        continue; /* still being created, or being deleted */
                struct cocoon_state *s = NULL;
                /* a corrupt record is reported (by state_load) and skipped */
                if (state_load(fd, de->d_name, &s) < 0)
                        continue;
                json_array_append_new(a, state_to_oci(s, container_status_name(status_of(fd, s, false))));
                state_free(s);
        }
        *ret = a;
        return 0;
}

/* Where signals go: the workload's init.  Sandbox sentry records it apart
 * from the supervisor (the pid `state` and the pid file report, whose exit
 * mirrors the workload's); the other sandboxes have one process for both. */
static void signal_target(const struct cocoon_state *s, pid_t *pid, unsigned long long *start_time) {
        if (s->workload_pid > 0) {
                *pid = s->workload_pid;
                *start_time = s->workload_start_time;
        } else {
                *pid = s->pid;
                *start_time = s->start_time;
        }
}

/* Signal the init unless its pid was recycled: a pidfd pins the process we checked. */
static int signal_init(const struct container *c, int sig) {
        pid_t pid;
        unsigned long long want;
        signal_target(c->state, &pid, &want);
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return -ESRCH;
        unsigned long long st;
        char ps;
        if (proc_stat(pid, &st, &ps) < 0 || st != want) {
                close(pidfd);
                return -ESRCH;
        }
        int r = (int) syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
        r = r < 0 ? -errno : 0;
        close(pidfd);
        return r;
}

/* Sandbox sentry: the supervisor and the Gofer share the container's cgroup
 * (the tenant pays for its sandbox, as with runsc) but are not the
 * container's processes: keep only those in the workload's pid namespace. */
static int workload_only(const struct cocoon_state *s, pid_t *pids, size_t *n) {
        if (s->workload_pid <= 0)
                return 0;
        char path[64];
        struct stat want, st;
        snprintf(path, sizeof path, "/proc/%d/ns/pid", s->workload_pid);
        if (stat(path, &want) < 0) {
                *n = 0; /* the workload is gone, and with it its pid namespace */
                return 0;
        }
        size_t k = 0;
        for (size_t i = 0; i < *n; i++) {
                snprintf(path, sizeof path, "/proc/%d/ns/pid", pids[i]);
                if (stat(path, &st) == 0 && st.st_ino == want.st_ino && st.st_dev == want.st_dev)
                        pids[k++] = pids[i];
        }
        *n = k;
        return 0;
}

static int signal_workload(const struct container *c, const struct cgroup *cg, int sig) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = cgroup_pids(cg, &pids, &n);
        if (r < 0)
                return r == -ENOENT ? 0 : log_error_errno(r, "list processes of container \"%s\"", c->id);
        workload_only(c->state, pids, &n);
        for (size_t i = 0; i < n; i++)
                if (kill(pids[i], sig) < 0 && errno != ESRCH)
                        return log_error_errno(-errno, "kill %d", pids[i]);
        return 0;
}

/* The cgroup record create writes apart (CGROUP_FILE): 0 with *ret NULL
 * when there is none, -EUCLEAN when it cannot be read. */
static int read_cgroup_record(int dirfd, struct cgroup **ret) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        *ret = NULL;
        if (read_file_at(dirfd, CGROUP_FILE, &text, &len) < 0)
                return 0;
        json_t *j = json_loadb(text, len, 0, NULL);
        int r = j && cgroup_from_json(j, ret) == 0 ? 0 : -EUCLEAN;
        json_decref(j);
        return r;
}

int container_load_cgroup(const struct container *c, struct cgroup **ret) {
        if (!c->state->cgroup) {
                /* create may have died between writing the cgroup's own
                 * record and the state that names it */
                if (read_cgroup_record(c->dirfd, ret) < 0)
                        return log_fail(-EUCLEAN, "container \"%s\": %s is corrupt", c->id, CGROUP_FILE);
                return 0;
        }
        int r = cgroup_from_json(c->state->cgroup, ret);
        if (r < 0)
                return log_error_errno(r, "state of container \"%s\": bad cgroup record", c->id);
        return 0;
}

int container_kill(struct cocoon_ctx *ctx, const char *id, int sig, bool all) {
        _cleanup_(container_closep) struct container *c = NULL;
        int r = container_open(ctx, id, &c);
        if (r < 0)
                return r;
        enum container_status st = container_status(c);
        /* runc's words: containerd's shim recognises "container not running"
         * in a failed kill's error and treats the process as already gone
         * (anything else fails StopContainer and StopPodSandbox) */
        if (st == STATUS_STOPPED)
                return log_fail(-ESRCH, "container \"%s\": container not running", id);
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        r = container_load_cgroup(c, &cg);
        if (r < 0)
                return r;
        enum sandbox_kind kind;
        const struct sandbox_ops *ops = NULL;
        if (sandbox_from_name(c->state->sandbox, &kind) < 0 || sandbox_lookup(kind, &ops) < 0)
                ops = NULL;
        if (ops && ops->kill) {
                r = ops->kill(c, sig, all);
                if (r == -ESRCH)
                        return log_fail(r, "container \"%s\" is not running", id);
                if (r < 0)
                        return log_error_errno(r, "send signal %d to container \"%s\"", sig, id);
        }
        /* SIGKILL may take the sandbox's own processes along: the workload dies either way */
        else if (all && cg && c->state->workload_pid > 0 && sig != SIGKILL)
                r = signal_workload(c, cg, sig);
        else if (all && cg)
                r = cgroup_signal_all(cg, sig);
        else {
                r = signal_init(c, sig);
                if (r == -ESRCH)
                        return log_fail(r, "container \"%s\": container not running", id);
                if (r < 0)
                        return log_error_errno(r, "send signal %d to container \"%s\"", sig, id);
        }
        /* A frozen task does not act on SIGKILL until it is thawed (v1 freezer),
         * so KILL thaws a paused container as runc does; other signals stay
         * pending until `resume`. */
        if (r == 0 && sig == SIGKILL && st == STATUS_PAUSED && cg)
                r = cgroup_freeze(cg, false);
        return r;
}

static void wait_pidfd(int pidfd) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        while (poll(&p, 1, 10000) < 0 && errno == EINTR)
                ;
        close(pidfd);
}

/* Wait (bounded) for the init to disappear after SIGKILL; it may not be our child. */
static void wait_gone(const struct container *c) {
        int pidfd = (int) syscall(SYS_pidfd_open, c->state->pid, 0);
        if (pidfd >= 0)
                wait_pidfd(pidfd);
}

/*
 * Sandbox sentry: the supervisor (the state's pid) can be gone while the
 * workload's init still tears down its pid namespace (pid 1 exits only once
 * every process of the namespace is reaped, some by a parent outside it).
 * Kill it if needed and wait (bounded) until it is a zombie at least, so
 * that nothing of the container runs once delete returns, as with `none`.
 */
static void kill_workload_and_wait(const struct container *c) {
        const struct cocoon_state *s = c->state;
        if (s->workload_pid <= 0)
                return;
        int pidfd = (int) syscall(SYS_pidfd_open, s->workload_pid, 0);
        if (pidfd < 0)
                return;
        unsigned long long st;
        if (proc_stat(s->workload_pid, &st, NULL) < 0 || st != s->workload_start_time) {
                close(pidfd);
                return; /* recycled */
        }
        (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        wait_pidfd(pidfd);
}

/* The saved config's linux.intelRdt group, read without parsing the whole
 * config again (which would repeat its warnings). */
static int destroy_intelrdt(int dirfd, const char *id) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (read_file_at(dirfd, "config.json", &text, &len) < 0)
                return 0;
        json_t *doc = json_loadb(text, len, 0, NULL);
        json_t *rdt = json_object_get(json_object_get(doc, "linux"), "intelRdt");
        int r = json_is_object(rdt) ? intelrdt_destroy(rdt, id) : 0;
        json_decref(doc);
        return r;
}

static int remove_state_dir(struct cocoon_ctx *ctx, const char *id) {
        _cleanup_close_ int rootfd = open(ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return log_error_errno(-errno, "open %s", ctx->root);
        int r = rm_rf_at(rootfd, id);
        if (r < 0)
                return log_error_errno(r, "remove state of container \"%s\"", id);
        return 0;
}

/*
 * `delete --force` of a container whose state.json is missing (a create or
 * delete killed half-way) or corrupt: what it names cannot be read, but
 * create wrote the cgroup apart (cgroup.json) as soon as it existed, and
 * every process of every sandbox lives in it.  So: kill what is in the
 * cgroup, remove it, the Intel RDT group, and the directory.
 */
static int delete_remains(struct cocoon_ctx *ctx, const char *id, int dirfd, const char *why) {
        log_warn("container \"%s\": %s; removing its processes, cgroup and state", id, why);
        int ret = 0;
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        if (read_cgroup_record(dirfd, &cg) < 0)
                ret = log_fail(-EUCLEAN, "container \"%s\": %s is corrupt too: its cgroup is unknown", id, CGROUP_FILE);
        else if (cg) {
                (void) cgroup_freeze(cg, false); /* frozen tasks die only once thawed */
                ret = cgroup_destroy(cg);
        }
        int r = destroy_intelrdt(dirfd, id);
        if (r < 0 && ret == 0)
                ret = r;
        /* which sandbox made it is in the state that cannot be read */
        for (enum sandbox_kind k = SANDBOX_NONE; k <= SANDBOX_VM; k++) {
                const struct sandbox_ops *ops;
                if (sandbox_lookup(k, &ops) == 0 && ops->remains)
                        ops->remains(dirfd);
        }
        r = remove_state_dir(ctx, id);
        return r < 0 ? r : ret;
}

void container_kill_and_wait(const struct container *c) {
        if (signal_init(c, SIGKILL) == 0)
                wait_gone(c);
}

/* After the container's processes are gone, before its state goes (failures are only warnings, as runc). */
static void poststop(const struct container *c) {
        _cleanup_(oci_spec_freep) struct oci_spec *spec = NULL;
        if (!c->state->config_saved || container_load_spec(c, &spec) < 0 || !spec->n_hooks[OCI_HOOK_POSTSTOP])
                return;
        _cleanup_free_ char *state = hooks_state_json(c->state, "stopped");
        if (state)
                hooks_run_warn(spec, OCI_HOOK_POSTSTOP, state);
}

int container_delete(struct cocoon_ctx *ctx, const char *id, bool force) {
        _cleanup_(container_closep) struct container *c = NULL;
        /* runc: deleting a container that does not exist with --force succeeds */
        if (force && container_id_valid(id)) {
                _cleanup_free_ char *path = strdup_printf("%s/%s", ctx->root, id);
                if (path && access(path, F_OK) < 0 && errno == ENOENT)
                        return 0;
        }
        int r;
        if (force) {
                /* a state that cannot be read is no reason to leave the
                 * container running: its cgroup is recorded apart */
                int fd = -1;
                r = open_state_dir(ctx, id, &fd);
                if (r < 0)
                        return r;
                struct cocoon_state *s = NULL;
                char why[160];
                r = state_parse(fd, &s, why, sizeof why);
                if (r == -ENOENT || r == -EUCLEAN) {
                        char what[200];
                        snprintf(what, sizeof what, r == -ENOENT ? "its state is missing (an interrupted create or "
                                                                   "delete)" : "its state is corrupt (%s)", why);
                        r = delete_remains(ctx, id, fd, what);
                        close(fd);
                        return r;
                }
                if (r < 0) {
                        close(fd);
                        return log_error_errno(r, "read state of container \"%s\"", id);
                }
                r = container_new(fd, id, s, &c);
        } else
                r = container_open(ctx, id, &c);
        if (r < 0)
                return r;
        enum container_status st = container_status(c);
        log_debug("delete container \"%s\" (%s%s)", id, container_status_name(st), force ? ", forced" : "");
        if ((st == STATUS_RUNNING || st == STATUS_PAUSED) && !force)
                return log_fail(-EBUSY, "cannot delete container \"%s\" that is not stopped: %s (use --force)",
                                       id, container_status_name(st));
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        r = container_load_cgroup(c, &cg);
        if (r < 0)
                return r;
        if (st != STATUS_STOPPED) {
                /* A created container is deleted without --force, as runc does:
                 * its init never ran the user's program. */
                signal_init(c, SIGKILL);
                /* frozen tasks die only once thawed (see container_kill) */
                if (st == STATUS_PAUSED && cg)
                        (void) cgroup_freeze(cg, false);
                wait_gone(c);
        }
        kill_workload_and_wait(c);
        int ret = 0;
        if (cg)
                ret = cgroup_destroy(cg);
        r = c->state->config_saved ? destroy_intelrdt(c->dirfd, c->id) : 0;
        if (r < 0 && ret == 0)
                ret = r;
        enum sandbox_kind kind;
        const struct sandbox_ops *ops;
        if (sandbox_from_name(c->state->sandbox, &kind) == 0 && sandbox_lookup(kind, &ops) == 0 && ops->destroy) {
                r = ops->destroy(ctx, c);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        poststop(c);
        r = remove_state_dir(ctx, id);
        return r < 0 ? r : ret;
}

static int pids_of(struct cocoon_ctx *ctx, const char *id, pid_t **ret, size_t *n, char **ret_table) {
        _cleanup_(container_closep) struct container *c = NULL;
        int r = container_open(ctx, id, &c);
        if (r < 0)
                return r;
        const struct sandbox_ops *ops;
        r = sandbox_of(c, &ops);
        if (r < 0)
                return r;
        if (ops->ps && ret_table) {
                if (container_status(c) == STATUS_STOPPED) {
                        /* nothing runs: as the host's empty cgroup would say */
                        *ret = NULL;
                        *n = 0;
                        return 0;
                }
                return ops->ps(c, ret, n, ret_table);
        }
        struct cgroup *cg = NULL;
        r = container_load_cgroup(c, &cg);
        if (r < 0)
                return r;
        if (!cg) {
                *ret = NULL;
                *n = 0;
                return 0;
        }
        r = cgroup_pids(cg, ret, n);
        cgroup_free(cg);
        if (r < 0)
                return log_error_errno(r, "list processes of container \"%s\"", id);
        return workload_only(c->state, *ret, n);
}

int container_pids(struct cocoon_ctx *ctx, const char *id, pid_t **ret, size_t *n, char **ret_table) {
        *ret_table = NULL;
        return pids_of(ctx, id, ret, n, ret_table);
}

int container_host_pids(struct cocoon_ctx *ctx, const char *id, pid_t **ret, size_t *n) {
        return pids_of(ctx, id, ret, n, NULL);
}
