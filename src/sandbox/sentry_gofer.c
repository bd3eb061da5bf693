/* SPDX-License-Identifier: MIT */
/*
 * The Gofer's set-up (the file server itself is gofer/gofer.h).
 *
 * G is a child of the supervisor, started while the workload's init W waits
 * with its mount tree complete.  G joins W's user namespace (if W has its
 * own), then W's network and mount namespaces, and unshares a mount
 * namespace of its own: a copy of W's tree whose root is the container's
 * root, with the writability the config asked for.  W then makes its own
 * view read-only; the copy is not affected (mount attributes do not
 * propagate), so G is the only process that can write the container's
 * files.  G stays outside W's pid namespace: the workload can neither see
 * nor signal it.
 *
 * Privileges, bubblewrap style: G keeps exactly what file operations on
 * behalf of the workload need, and never more than the container itself
 * may have (its bounding set):
 *   CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
 *   CAP_FSETID, CAP_MKNOD   ∩ the container's bounding set
 *   CAP_SETUID, CAP_SETGID   always: each operation runs with the calling
 *                            thread's fsuid/fsgid/groups (setfsuid & co)
 *   CAP_KILL                 always, for one call its seccomp filter
 *                            allows: pidfd_send_signal on a pidfd of W
 * and no_new_privs, a parent-death signal, no fds but its sockets, the log
 * and that pidfd, and no stdio.  In a user namespace these are capabilities
 * of that namespace only, and G becomes its root (uid/gid 0 inside).
 *
 * Fail closed when the supervisor dies: W keeps a parent-death signal, but
 * the kernel clears it when W's init changes its credentials (an entrypoint
 * such as gosu or su-exec).  So G's own parent-death signal is not SIGKILL
 * but SIGUSR1, whose handler kills W's init through the pidfd (which names
 * that process and no other, even after it is gone) and then G itself: the
 * kernel then ends every process of W's pid namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "cleanup.h"
#include "gofer/gofer.h"
#include "linux/caps.h"
#include "log.h"
#include "sandbox/sentry_sandbox.h"
#include "sync.h"
#include "util.h"

#define BIT(c) (UINT64_C(1) << (c))

static const uint64_t gofer_file_caps = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH) |
                                        BIT(CAP_FOWNER) | BIT(CAP_FSETID) | BIT(CAP_MKNOD);
static const uint64_t gofer_id_caps = BIT(CAP_SETUID) | BIT(CAP_SETGID) | BIT(CAP_KILL);

/* Read by the signal handler; set once before it is installed. */
static int workload_pidfd = -1;

static void on_parent_death(int sig) {
        (void) sig;
        syscall(SYS_pidfd_send_signal, workload_pidfd, SIGKILL, NULL, 0);
        _exit(1);
}

/* The namespace of `pid` named `name`, if it is not ours; -1 otherwise. */
static int ns_if_other(pid_t pid, const char *name, int *ret) {
        char theirs[64], ours[64];
        snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", pid, name);
        snprintf(ours, sizeof ours, "/proc/self/ns/%s", name);
        struct stat a, b;
        if (stat(theirs, &a) < 0)
                return log_error_errno(-errno, "stat %s", theirs);
        if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
                *ret = -1;
                return 0;
        }
        *ret = open(theirs, O_RDONLY | O_CLOEXEC);
        if (*ret < 0)
                return log_error_errno(-errno, "open %s", theirs);
        return 0;
}

struct gofer_child {
        pid_t supervisor;
        int sync_fd, ctl_fd, null_fd, log_fd;
        int user_fd, net_fd, mnt_fd;
        int workload_pidfd;
        uint64_t bounding;
};

static int enter_and_drop(const struct gofer_child *g) {
        int r;
        /* the user namespace first: it grants what joining the others needs */
        if (g->user_fd >= 0 && setns(g->user_fd, CLONE_NEWUSER) < 0)
                return log_error_errno(-errno, "gofer: join the container's user namespace");
        /* Its network namespace: the Gofer binds and connects the workload's
         * unix sockets, and must not reach the host's abstract sockets. */
        if (g->net_fd >= 0 && setns(g->net_fd, CLONE_NEWNET) < 0)
                return log_error_errno(-errno, "gofer: join the container's network namespace");
        if (setns(g->mnt_fd, CLONE_NEWNS) < 0)
                return log_error_errno(-errno, "gofer: join the container's mount namespace");
        /* setns(mnt) put our root and cwd at the namespace's root, which is the
         * container's root (pivot_root; --no-pivot is refused); unshare copies
         * the tree and moves both onto the copy. */
        if (unshare(CLONE_NEWNS) < 0)
                return log_error_errno(-errno, "gofer: copy the container's mount tree");
        if (chdir("/") < 0)
                return log_error_errno(-errno, "gofer: chdir /");
        close(g->user_fd);
        close(g->net_fd);
        close(g->mnt_fd);

        /* Leaving host root for the namespace's root would clear the
         * permitted set without keep-caps. */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return log_error_errno(-errno, "gofer: prctl(PR_SET_KEEPCAPS)");
        if (g->user_fd >= 0) {
                if (setgroups(0, NULL) < 0 && errno != EPERM)
                        return log_error_errno(-errno, "gofer: setgroups");
                if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                        return log_error_errno(-errno, "gofer: become root of the container's user namespace");
        } else if (setgroups(0, NULL) < 0)
                return log_error_errno(-errno, "gofer: setgroups");
        uint64_t keep = (gofer_file_caps & g->bounding) | gofer_id_caps;
        keep &= caps_kernel_mask();
        r = caps_drop_bounding(keep);
        if (r < 0)
                return r;
        r = caps_set(keep, keep, 0);
        if (r < 0)
                return r;
        r = caps_set_ambient(0);
        if (r < 0)
                return r;
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return log_error_errno(-errno, "gofer: prctl(PR_SET_KEEPCAPS, 0)");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return log_error_errno(-errno, "gofer: prctl(PR_SET_NO_NEW_PRIVS)");
        /* Credential changes cleared it: set again (SIGUSR1: the workload
         * dies with us, see the top), then make sure the supervisor did not
         * die before (we are not in a new pid namespace, so getppid tells). */
        workload_pidfd = g->workload_pidfd;
        struct sigaction sa = {.sa_handler = on_parent_death};
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGUSR1, &sa, NULL) < 0)
                return log_error_errno(-errno, "gofer: SIGUSR1 handler");
        prctl(PR_SET_PDEATHSIG, SIGUSR1);
        if (getppid() != g->supervisor)
                on_parent_death(SIGUSR1);
        return 0;
}

static _Noreturn void gofer_main(const struct gofer_child *g) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != g->supervisor)
                _exit(1);
        prctl(PR_SET_NAME, "cocoon-gofer");
        log_forward_to(g->sync_fd);
        /* No stdio of the container's (a reader would never see EOF), but
         * stderr when there is no --log: our errors go there, as the
         * supervisor's do. */
        if (dup2(g->null_fd, STDIN_FILENO) < 0 || dup2(g->null_fd, STDOUT_FILENO) < 0 ||
            (g->log_fd >= 0 && g->log_fd != STDERR_FILENO && dup2(g->null_fd, STDERR_FILENO) < 0)) {
                log_error_errno(-errno, "gofer: redirect stdio");
                _exit(1);
        }
        int keep[] = {g->sync_fd, g->ctl_fd, g->log_fd, g->user_fd, g->net_fd, g->mnt_fd, g->workload_pidfd};
        int r = sentry_close_fds_except(3, keep, ELEMENTSOF(keep));
        if (r < 0) {
                log_error_errno(r, "gofer: close inherited fds");
                _exit(1);
        }
        if (enter_and_drop(g) < 0 || sentry_gofer_confine(g->workload_pidfd) < 0)
                _exit(1);
        if (sync_send(g->sync_fd, SYNC_READY, 0) < 0)
                _exit(1);
        close(g->sync_fd);
        log_forward_to(-1);
        if (g->log_fd < 0)
                log_set_fd(STDERR_FILENO);
        r = gofer_serve(g->ctl_fd);
        /* It returns when the supervisor's end of the control socket is
         * gone, which happens (its fds close) before the kernel sends us
         * the parent-death signal: the Sentry is gone, so is the workload.
         * (While W lives, S ends G with SIGKILL.) */
        on_parent_death(SIGUSR1);
        _exit(r < 0 ? 1 : 0);
}

int sentry_gofer_spawn(pid_t workload, const struct oci_process *p, pid_t *ret_pid, int *ret_ctl_fd) {
        struct gofer_child g = {
                .supervisor = getpid(),
                .user_fd = -1,
                .net_fd = -1,
                .mnt_fd = -1,
                .workload_pidfd = -1,
                .log_fd = log_get_fd(),
                .bounding = p->has_caps ? p->caps.bounding : 0,
        };
        _cleanup_close_ int user = -1, net = -1, mnt = -1, null = -1, sync_mine = -1, sync_theirs = -1,
                            ctl_mine = -1, ctl_theirs = -1, wl_pidfd = -1;
        int r = ns_if_other(workload, "user", &user);
        if (r >= 0)
                r = ns_if_other(workload, "net", &net);
        if (r >= 0)
                r = ns_if_other(workload, "mnt", &mnt);
        if (r < 0)
                return r;
        if (mnt < 0)
                return log_fail(-EINVAL, "the container shares our mount namespace: no tree for the Gofer");
        /* W is our child and waits for SYNC_GO: its pid names it */
        wl_pidfd = (int) syscall(SYS_pidfd_open, workload, 0);
        if (wl_pidfd < 0)
                return log_error_errno(-errno, "pidfd_open of the workload %d", workload);
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0)
                return log_error_errno(-errno, "open /dev/null");
        int sv[2], cv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return log_error_errno(-errno, "socketpair");
        sync_mine = sv[0];
        sync_theirs = sv[1];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cv) < 0)
                return log_error_errno(-errno, "socketpair");
        ctl_mine = cv[0];
        ctl_theirs = cv[1];
        g.user_fd = user;
        g.net_fd = net;
        g.mnt_fd = mnt;
        g.null_fd = null;
        g.workload_pidfd = wl_pidfd;
        g.sync_fd = sync_theirs;
        g.ctl_fd = ctl_theirs;

        pid_t pid = fork();
        if (pid < 0)
                return log_error_errno(-errno, "fork the Gofer");
        if (pid == 0) {
                closep(&sync_mine);
                closep(&ctl_mine);
                gofer_main(&g);
        }
        closep(&sync_theirs);
        closep(&ctl_theirs);
        r = sync_expect(sync_mine, SYNC_READY, NULL);
        if (r < 0) {
                if (r == -EPIPE || r == -EPROTO)
                        r = log_fail(r, "the Gofer died during set-up");
                kill(pid, SIGKILL);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                return r;
        }
        log_debug("gofer of workload %d: pid %d", workload, pid);
        *ret_pid = pid;
        *ret_ctl_fd = TAKE_FD(ctl_mine);
        return 0;
}
