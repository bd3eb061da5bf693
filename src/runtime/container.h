/* SPDX-License-Identifier: MIT */
/*
 * The container lifecycle as the CLI sees it.  Each entry point takes the
 * top-level context, locks the one container it acts on, and dispatches the
 * sandbox-specific part to the sandbox the container was created with.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "log.h"
#include "oci/spec.h"
#include "oci/state.h"

enum sandbox_kind {
        SANDBOX_NONE,
        SANDBOX_SENTRY,
        SANDBOX_VM,
};

/* The process's top-level context: the only mutable state not on a stack. */
struct cocoon_ctx {
        const char *root; /* --root */
        struct log_config log;
        bool systemd_cgroup;
        enum sandbox_kind sandbox;
        bool strace; /* --strace: the Sentry logs every syscall it handles */
        const char *sentry_release; /* --sentry-release: uname's release in the sentry sandbox */
};

enum container_status {
        STATUS_CREATING,
        STATUS_CREATED,
        STATUS_RUNNING,
        STATUS_PAUSED,
        STATUS_STOPPED,
};
const char *container_status_name(enum container_status s);
/* In the state directory while a sandbox that pauses without freezing the
 * host cgroup (vm: the guest's cgroup is frozen) has the container paused. */
#define CONTAINER_PAUSED_FILE "paused"


/* An opened, locked container. */
struct container {
        char *id;
        int dirfd; /* <root>/<id>, flock()ed exclusively while open */
        struct cocoon_state *state;
};

int container_open(struct cocoon_ctx *ctx, const char *id, struct container **ret);
void container_close(struct container *c);
void container_closep(struct container **c);
enum container_status container_status(const struct container *c);
struct cgroup;
/* The cgroup recorded at create time (*ret NULL if none). */
int container_load_cgroup(const struct container *c, struct cgroup **ret);
/* SIGKILL the init (if it is still the container's) and wait, bounded, until it is gone. */
void container_kill_and_wait(const struct container *c);
/* The config.json saved at create time. */
int container_load_spec(const struct container *c, struct oci_spec **ret);

struct create_opts {
        const char *bundle;
        const char *pid_file;
        const char *console_socket;
        int console_fd;   /* >= 0: already-connected console socket (run with a tty) */
        bool no_pivot;
        bool no_new_keyring;
        int listen_fds;   /* $LISTEN_FDS inherited from our caller */
        int preserve_fds; /* --preserve-fds */
};

int container_create(struct cocoon_ctx *ctx, const char *id, const struct create_opts *o, pid_t *ret_pid);
int container_start(struct cocoon_ctx *ctx, const char *id);
int container_kill(struct cocoon_ctx *ctx, const char *id, int sig, bool all);
int container_delete(struct cocoon_ctx *ctx, const char *id, bool force);
int container_state(struct cocoon_ctx *ctx, const char *id, json_t **ret);
/* Every container under --root, as OCI state documents. */
int container_list(struct cocoon_ctx *ctx, json_t **ret);
/* The container's processes; *ret_table is NULL, or for a sandbox whose
 * processes are not the host's (vm) the lines `ps -ef` prints for them. */
int container_pids(struct cocoon_ctx *ctx, const char *id, pid_t **ret, size_t *n, char **ret_table);
/* The container's processes as host pids: the workload's, or for a
 * sandbox whose processes are not the host's (vm) the host processes that
 * run it (its cgroup: the monitor and QEMU), as Kata's shim gives the
 * hypervisor's pid.  What `ps --format json` prints, for engines that look
 * the pids up on the host (`docker top`). */
int container_host_pids(struct cocoon_ctx *ctx, const char *id, pid_t **ret, size_t *n);

struct exec_opts {
        const char *pid_file;
        const char *console_socket;
        int console_fd;
        bool detach;
        int listen_fds;
        int preserve_fds;
};
/* Start `p` inside the container; the new process is a child of the caller. */
int container_exec(struct cocoon_ctx *ctx, const char *id, const struct oci_process *p, const struct exec_opts *o,
                   pid_t *ret_pid);

/* Wait for a child, forwarding signals; returns the exit status as a shell reports it (128+sig). */
int container_wait_child(pid_t pid, int console_master);

/* Valid container ids: what runc accepts ([A-Za-z0-9_+.-], not "." or ".."). */
bool container_id_valid(const char *id);

/* pause.c: freeze / thaw every process of the container (runc pause/resume). */
int container_pause(struct cocoon_ctx *ctx, const char *id);
int container_resume(struct cocoon_ctx *ctx, const char *id);

/* update.c: apply a linux.resources object (only the fields it holds change;
 * runc's "0 = unchanged" fields are dropped first) and record it in the saved
 * config.json. */
int container_update(struct cocoon_ctx *ctx, const char *id, json_t *res);

/* events.c */
struct events_opts {
        bool stats_once;          /* --stats: one stats event, then exit */
        unsigned long long interval_ms;
};
/* Print runc-style JSON events on stdout: stats every interval and an "oom"
 * event per OOM kill, until the container stops. */
int container_events(struct cocoon_ctx *ctx, const char *id, const struct events_opts *o);
