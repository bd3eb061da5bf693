/* SPDX-License-Identifier: MIT */
/*
 * Stage 2: the container's init (or an exec'd process) applying the OCI
 * config to itself before execve.  Order follows runc, which the kernel's
 * rules mostly dictate: mounts need CAP_SYS_ADMIN, so they come before the
 * capability drop; the pty comes after /dev/pts exists; rlimits and
 * oom_score_adj while still privileged; identity last but for
 * no_new_privs and the seccomp filter (before the identity switch when
 * there is no no_new_privs, as runc).
 *
 * Every error is forwarded to the parent (log_forward_to) and this process
 * exits; the parent prints the single error line and cleans up.
 */
#include "runtime/init.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/lsm.h"
#include "linux/process.h"
#include "linux/rootfs.h"
#include "linux/sched.h"
#include "linux/seccomp.h"
#include "linux/sysctl.h"
#include "linux/terminal.h"
#include "log.h"
#include "runtime/hooks.h"
#include "sentry/boundary.h"
#include "sync.h"
#include "util.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

static int loopback_up(void) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(-errno, "socket for loopback set-up");
        struct ifreq ifr = {0};
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return log_error_errno(-errno, "get flags of lo");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return log_error_errno(-errno, "bring lo up");
        return 0;
}

/* HOME from the container's own /etc/passwd (we are inside its root now), "/" if unknown. */
static char *home_of(uid_t uid) {
        _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
        char *line = NULL, *home = NULL;
        size_t cap = 0;
        while (f && !home && getline(&line, &cap, f) > 0) {
                char *fields[7] = {0}, *s = line;
                int n = 0;
                /* strsep keeps empty fields, which passwd lines have */
                while (n < 7 && (fields[n] = strsep(&s, ":\n")))
                        n++;
                uint32_t u;
                if (n >= 6 && fields[2] && parse_uint32(fields[2], &u) == 0 && u == uid && fields[5] && *fields[5])
                        home = strdup(fields[5]);
        }
        free(line);
        return home ? home : strdup("/");
}

/* The process's environment plus what runc adds: HOME when unset, and the
 * socket-activation variables. */
static char **build_env(const struct oci_process *p, int listen_fds) {
        size_t n = 0;
        bool has_home = false;
        while (p->env && p->env[n])
                has_home |= str_startswith(p->env[n++], "HOME=");
        char **env = calloc(n + 4, sizeof *env);
        if (!env)
                return NULL;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (listen_fds > 0 && (str_startswith(p->env[i], "LISTEN_FDS=") ||
                                       str_startswith(p->env[i], "LISTEN_PID=")))
                        continue;
                env[k++] = p->env[i];
        }
        if (!has_home) {
                _cleanup_free_ char *home = home_of(p->user.uid);
                env[k++] = strdup_printf("HOME=%s", home ? home : "/");
        }
        if (listen_fds > 0) {
                /* the program will be pid 1 in its namespace, as runc assumes too */
                env[k++] = strdup_printf("LISTEN_FDS=%d", listen_fds);
                env[k++] = strdup("LISTEN_PID=1");
        }
        return env;
}

/*
 * Sandbox sentry, init only: stop while the Sentry's supervisor starts the
 * Gofer in a copy of our finished mount tree, then make our own view
 * read-only.  The Gofer's copy stays writable: from now on the workload
 * writes files only through the Sentry and the Gofer, and what the Sentry
 * lets the kernel do itself (execve, /proc, /sys and /dev paths) meets a
 * read-only tree.  Two mounts the Sentry leaves to the kernel stay as the
 * config made them (writable unless it said "ro"): /dev/pts, because
 * allocating a pty (`exec -t`, `script`) changes the owner of its node, and
 * /dev/shm, where shm_open and sem_open create their files (Python's
 * multiprocessing, PostgreSQL).  Both are the container's own instances (or
 * what the config shares on purpose, as a pod's /dev/shm), and a raced path
 * that leaves them meets the read-only tree.  Device nodes, fifos and
 * sockets stay usable on a read-only mount, which is why /dev/null and
 * friends need no exception.
 */
static const char *const sentry_kernel_writable[] = {"/dev/pts", "/dev/shm"};

static int sentry_tree_step(int sync_fd) {
        if (sync_send(sync_fd, SYNC_TREE_READY, 0) < 0 || sync_expect(sync_fd, SYNC_GO, NULL) < 0)
                _exit(1); /* the supervisor failed (and said why) or is gone */
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY}, rw = {.attr_clr = MOUNT_ATTR_RDONLY};
        int keep[ELEMENTSOF(sentry_kernel_writable)];
        for (size_t i = 0; i < ELEMENTSOF(keep); i++) {
                struct statfs st;
                keep[i] = open(sentry_kernel_writable[i], O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
                if (keep[i] >= 0 && (fstatfs(keep[i], &st) < 0 || (st.f_flags & ST_RDONLY))) {
                        close(keep[i]);
                        keep[i] = -1;
                }
        }
        int r = 0;
        if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof ro) < 0)
                r = log_error_errno(-errno, "make the container's view of its root read-only");
        for (size_t i = 0; i < ELEMENTSOF(keep); i++) {
                if (keep[i] < 0)
                        continue;
                if (r == 0 && syscall(SYS_mount_setattr, keep[i], "", AT_EMPTY_PATH, &rw, sizeof rw) < 0 &&
                    errno != EINVAL /* not a mount point: it stays read-only with /dev */)
                        r = log_error_errno(-errno, "keep %s writable", sentry_kernel_writable[i]);
                close(keep[i]);
        }
        return r;
}

/*
 * Sandbox sentry: the boundary filter (sentry/boundary.h), just before the
 * OCI one.  Not after it: a profile need not allow seccomp() (runc needs
 * nothing once its filter is in), and the order changes no verdict (the
 * kernel runs every filter and the strictest action wins; between two
 * errnos the filter loaded last, the user's, decides, as under runc).  Its
 * listener goes to the parent, which answers the set-up calls we still make
 * (CONTINUE: they are cocoon's own, the OCI filter's seccomp() among them)
 * until SYNC_READY and then hands it to the Sentry.
 */
static int load_boundary(const struct init_args *a, int sync_fd) {
        scmp_filter_ctx ctx = NULL;
        int r = sentry_boundary_filter(&(struct boundary_opts){.net_raw = a->sentry_net_raw}, &ctx);
        if (r < 0)
                return r;
        /* no_new_privs stays the config's (process_apply_no_new_privs), as
         * for the OCI filter: sentry_boundary_load does not set it */
        int fd = sentry_boundary_load(ctx);
        seccomp_release(ctx);
        if (fd < 0)
                return fd;
        r = sync_send_fd(sync_fd, SYNC_SECCOMP_FD, fd);
        close(fd); /* the workload must not hold the Sentry's end */
        if (r < 0)
                return log_error_errno(r, "send the Sentry's seccomp listener fd to cocoon");
        return 0;
}

/* Credentials, limits and cwd: shared by init_container and init_exec. */
static int finish_process(const struct init_args *a, const struct oci_process *p, int sync_fd, char **ret_path) {
        bool is_exec = a->root_fd >= 0;
        int r = process_apply_rlimits(p);
        if (r < 0)
                return r;
        /* sentry exec: our /proc is the init's read-only one; `cocoon exec`
         * writes the value from the host instead (sandbox/sentry.c) */
        if (!(a->sentry && is_exec) && (r = process_set_oom_score_adj(p)) < 0)
                return r;
        r = sched_apply(p);
        if (r < 0)
                return r;
        /* Still root and before no_new_privs, as runc applies the AppArmor
         * profile; both labels take effect at our execve. */
        r = lsm_apply_exec_labels(p);
        if (r < 0)
                return r;
        /* the last writes through our own view (/proc/self/...) are done */
        if (a->sentry && !is_exec && (r = sentry_tree_step(sync_fd)) < 0)
                return r;
        /* Look the program up while we can still read everything, as runc does,
         * so that a missing binary fails `create`, not silently at `start`. */
        r = process_find_executable(p->args[0], p->env, ret_path);
        if (r < 0)
                return r;
        /* chdir before switching user (a cwd only root can reach works, as in
         * runc); if root is refused (root_squash, userns), retry as the user. */
        bool chdir_later = false;
        if (chdir(p->cwd) < 0) {
                if (errno != EACCES && errno != EPERM)
                        return process_chdir(p);
                chdir_later = true;
        }
        r = process_close_fds_from(3 + a->listen_fds + a->preserve_fds);
        if (r < 0)
                return r;
        /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
         * before the capabilities go (as runc), else as late as we can so
         * that few of our own syscalls meet it (docs/seccomp.md).  The
         * Sentry's boundary follows the same rule, just before the OCI one. */
        const json_t *seccomp = a->spec->has_linux ? a->spec->linux.seccomp : NULL;
        if (!p->no_new_privileges) {
                if (a->sentry && (r = load_boundary(a, sync_fd)) < 0)
                        return r;
                if (seccomp && (r = seccomp_apply(seccomp, sync_fd)) < 0)
                        return r;
        }
        r = process_apply_identity(p);
        if (r < 0)
                return r;
        if (chdir_later) {
                r = process_chdir(p);
                if (r < 0)
                        return r;
        }
        r = process_apply_no_new_privs(p);
        if (r < 0)
                return r;
        if (p->no_new_privileges) {
                if (a->sentry && (r = load_boundary(a, sync_fd)) < 0)
                        return r;
                if (seccomp && (r = seccomp_apply(seccomp, sync_fd)) < 0)
                        return r;
        }
        return 0;
}

/* The mask survives execve: the workload starts with none blocked, whatever
 * its runtime blocked (the vm agent blocks SIGCHLD for its signalfd, and a
 * shell with SIGCHLD blocked never returns from `wait`). */
static void unblock_signals(void) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Everything after the filesystem, then tell the parent we are ready. */
static int finish_and_report(const struct init_args *a, const struct oci_process *p, int sync_fd, char **ret_path,
                             char ***ret_env) {
        /* before the seccomp filter, which need not allow rt_sigprocmask */
        unblock_signals();
        /* the environment first: the seccomp filter is loaded at the end of finish_process */
        *ret_env = build_env(p, a->listen_fds);
        if (!*ret_env)
                return log_error_errno(-ENOMEM, "environment");
        int r = finish_process(a, p, sync_fd, ret_path);
        if (r < 0)
                return r;
        if (a->sentry && a->root_fd < 0) {
                /* Sandbox sentry: the init must never outlive its supervisor (fail
                 * closed; as pid 1 it takes the whole container with it).  Set
                 * again: changing our credentials above cleared it.  If the
                 * supervisor is already gone, the send below fails. */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
        } else {
                /* From here on we belong to the container, not to the cocoon that made us. */
                prctl(PR_SET_PDEATHSIG, 0);
        }
        if (sync_send(sync_fd, SYNC_READY, 0) < 0)
                _exit(1);
        return 0;
}

/* The pty for a process with terminal: true; only the init binds /dev/console. */
static int setup_terminal(const struct init_args *a, const struct oci_process *p, bool bind_console) {
        if (!p->terminal)
                return 0;
        int r = terminal_setup(a->console_fd, p->user.uid, (gid_t) -1, p->console_height, p->console_width,
                               bind_console);
        close(a->console_fd);
        return r;
}

struct create_step {
        const struct init_args *a;
        int sync_fd;
        char *state; /* from the parent: the OCI state, with our pid as the host sees it */
};

/* After the mounts, before pivot_root (runc's point): the parent runs the
 * prestart and createRuntime hooks while we wait, then sends the state for
 * ours.  createContainer hooks run here, in the container's namespaces, from
 * the rootfs directory, with their path resolved before the switch of root. */
static int namespaces_ready(void *arg) {
        struct create_step *cs = arg;
        int32_t len;
        if (sync_send(cs->sync_fd, SYNC_HOOKS, 0) < 0 || sync_expect(cs->sync_fd, SYNC_STATE, &len) < 0 ||
            sync_recv_data(cs->sync_fd, len, &cs->state) < 0)
                _exit(1); /* the parent failed (and said why) or is gone */
        if (chdir(cs->a->rootfs) < 0)
                return log_error_errno(-errno, "chdir %s", cs->a->rootfs);
        return hooks_run(cs->a->spec, OCI_HOOK_CREATE_CONTAINER, cs->state);
}

/* After `start` released us, before execve, as the container's user (runc's point). */
static int start_container_hooks(const struct create_step *cs) {
        if (!cs->a->spec->n_hooks[OCI_HOOK_START_CONTAINER])
                return 0;
        _cleanup_free_ char *state = hooks_state_with_status(cs->state, "created");
        if (!state)
                return log_error_errno(-ENOMEM, "state for the startContainer hooks");
        return hooks_run(cs->a->spec, OCI_HOOK_START_CONTAINER, state);
}

int init_container(void *arg, int sync_fd) {
        const struct init_args *a = arg;
        const struct oci_spec *spec = a->spec;
        const struct oci_process *p = a->process;
        int r;

        if (!a->no_new_keyring) {
                /* Kernel keyrings are not namespaced: give the container its own session keyring
                 * so it cannot read the caller's keys. */
                if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
                        return log_error_errno(-errno, "create a session keyring");
        }
        if (a->new_netns && (r = loopback_up()) < 0)
                return r;
        if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
                return log_error_errno(-errno, "set hostname \"%s\"", spec->hostname);
        if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
                return log_error_errno(-errno, "set domainname \"%s\"", spec->domainname);

        /* relative bind sources are relative to the bundle */
        if (chdir(a->bundle) < 0)
                return log_error_errno(-errno, "chdir %s", a->bundle);
        _cleanup_free_ char *state = NULL;
        struct create_step cs = {.a = a, .sync_fd = sync_fd};
        struct rootfs_config rc = {
                .spec = spec,
                .rootfs = a->rootfs,
                .no_pivot = a->no_pivot,
                .in_userns = a->in_userns,
                .idmap_fds = a->idmap_fds,
                .mount_label = lsm_mount_label(spec),
                .curate_proc = a->sentry,
                .minimal_sysfs = a->sentry,
                .before_pivot = hooks_need_create_step(spec) ? namespaces_ready : NULL,
                .before_pivot_arg = &cs,
        };
        r = rootfs_prepare(&rc);
        state = cs.state;
        if (r < 0)
                return r;
        /* /proc/sys becomes read-only in rootfs_finalize: sysctls go first */
        r = sysctl_apply(spec);
        if (r < 0)
                return r;
        /* runc creates a missing cwd (as root, inside the container's root) */
        if (p->cwd && (r = mkdir_p(p->cwd, 0755)) < 0)
                return log_error_errno(r, "create cwd \"%s\" set in config.json", p->cwd);
        if ((r = setup_terminal(a, p, true)) < 0)
                return r;
        r = rootfs_finalize(&rc);
        if (r < 0)
                return r;

        r = personality_apply(spec);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = NULL;
        char **env = NULL;
        r = finish_and_report(a, p, sync_fd, &path, &env);
        if (r < 0)
                return r;
        int conn;
        do
                conn = accept4(a->exec_listen_fd, NULL, NULL, SOCK_CLOEXEC);
        while (conn < 0 && errno == EINTR);
        if (conn < 0)
                _exit(127);
        close(a->exec_listen_fd);
        /* `start` waits on the connection: errors from here on go to it (EOF = execve succeeded) */
        log_forward_to(conn);
        if (start_container_hooks(&cs) < 0)
                _exit(127);
        execve(path, p->args, env);
        process_exec_error(-errno, "exec: \"%s\"", path);
        _exit(127);
}

int init_exec(void *arg, int sync_fd) {
        const struct init_args *a = arg;
        const struct oci_process *p = a->process;
        int r;

        /* setns(mnt) left us at the namespace's root mount, which is not the
         * container's root after pivot_root or --no-pivot: use the init's root. */
        if (fchdir(a->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
                return log_error_errno(-errno, "enter the container's root");
        close(a->root_fd);
        if ((r = setup_terminal(a, p, false)) < 0)
                return r;
        _cleanup_free_ char *path = NULL;
        char **env = NULL;
        r = finish_and_report(a, p, sync_fd, &path, &env);
        if (r < 0)
                return r;
        /* sandbox sentry: our execve is the Sentry's first call to answer;
         * wait until `cocoon exec` has handed it our listener */
        if (a->sentry && sync_expect(sync_fd, SYNC_GO, NULL) < 0)
                _exit(1);
        /* sync_fd is close-on-exec: the parent reads EOF when execve succeeds */
        execve(path, p->args, env);
        process_exec_error(-errno, "exec: \"%s\"", path);
        _exit(127);
}
