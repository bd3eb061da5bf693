/* SPDX-License-Identifier: MIT */
/*
 * The sentry sandbox, in pieces (docs/architecture.md, "Process model
 * (sandbox sentry)"):
 *
 *   sentry.c            the cocoon commands' side: create forks the
 *                       supervisor, exec hands its process to the Sentry
 *   sentry_supervisor.c the supervisor S: spawns the workload's init W and
 *                       the Gofer G, confines itself, runs the Sentry, and
 *                       exits with W's status
 *   sentry_gofer.c      G's set-up: W's mount tree, copied, and few privileges
 *   sentry_confine.c    S's confinement: empty root, uid nobody with
 *                       CAP_SYS_PTRACE and CAP_KILL, its own seccomp allow-list
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci/spec.h"
#include "runtime/sandbox.h"

/* ---- sentry_supervisor.c ---- */

struct sentry_supervisor_args {
        const struct sandbox_create *sc;
        int report_fd;  /* to `cocoon create`: errors, then SYNC_READY with W's pid */
        int control_fd; /* listening <root>/<id>/sentry.sock, for `exec` */
};

/* The supervisor process (a child of `cocoon create`); never returns. */
_Noreturn void sentry_supervise(const struct sentry_supervisor_args *a);

/*
 * Answer every notification on `listener` with CONTINUE until the process
 * on `sync_fd` reports SYNC_READY (warnings are logged, an error is
 * returned as sync_expect does).  Between loading the boundary filter and
 * SYNC_READY the process runs cocoon's own set-up code (identity switch,
 * chdir, ...), not the workload's, so letting it through is right.  That
 * process is single-threaded and blocked while a call of its is pending, so
 * it cannot have sent SYNC_READY before any notification we answer here;
 * after SYNC_READY it makes no filtered call until its parent lets it
 * (`start`, or SYNC_GO for exec), so the Sentry sees every call after it.
 */
int sentry_setup_passthrough(int sync_fd, int listener);

/* Close every fd >= from but those in keep[] (at most 16); -errno. */
int sentry_close_fds_except(int from, const int *keep, size_t n);

/* Whether the workload may have CAP_NET_RAW (bounding or effective set):
 * the boundary then lets raw and packet sockets through. */
bool sentry_net_raw(const struct oci_process *p);
/* The kernel release the Sentry shows (sentry.c): the container's annotation
 * io.github.cocoon.sentry.release, else --sentry-release, else NULL. */
const char *sentry_release_of(const struct sandbox_create *sc);

/* ---- sentry_gofer.c ---- */

/* Start the Gofer for the workload init `workload` (a child of ours): it
 * joins W's user, mount and network namespaces, copies the mount tree
 * (unshare(CLONE_NEWNS)) and serves on the returned control socket.
 * Returns once it runs in its copy, so W may change its own view. */
int sentry_gofer_spawn(pid_t workload, const struct oci_process *p, pid_t *ret_pid, int *ret_ctl_fd);

/* ---- sentry_confine.c ---- */

struct sentry_confine_config {
        pid_t workload, gofer; /* the only processes the Sentry may signal */
        int proc_fd;           /* O_PATH /proc, kept */
        int workload_pidfd;    /* the Gofer's: pidfd of the workload's init */
};

/* Confine the calling (single-threaded) supervisor before it runs the
 * Sentry: private mount namespace whose only mount is an empty read-only
 * tmpfs, uid/gid nobody with CAP_SYS_PTRACE and CAP_KILL only,
 * no_new_privs, then the seccomp allow-list below.  On failure the caller
 * exits (the container dies). */
int sentry_confine(const struct sentry_confine_config *c);

/* The supervisor's own seccomp allow-list (for `cocoon features` and the
 * docs): syscall names, each with the register condition it carries or NULL. */
struct sentry_own_syscall {
        const char *name;
        const char *condition;
};
const struct sentry_own_syscall *sentry_own_syscalls(size_t *n);
/* The Gofer's, likewise. */
const struct sentry_own_syscall *sentry_gofer_own_syscalls(size_t *n);

/* The Gofer loads its own allow-list (sentry_confine.c) once it has dropped
 * its privileges and before it serves: a call outside it logs one line and
 * kills the workload's init (through workload_pidfd, the one descriptor it
 * may signal) and the Gofer, and with them the container. */
int sentry_gofer_confine(int workload_pidfd);
