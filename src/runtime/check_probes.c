/* SPDX-License-Identifier: MIT */
/*
 * The kernel probes of `cocoon check`.  Each one exercises the mechanism the
 * sandboxes use, in a child process where it changes the caller (a seccomp
 * filter, a new user namespace), so that a kernel that advertises a feature
 * but refuses it in practice is caught here rather than at `create`.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "linux/seccomp_abi.h"
#include "runtime/check.h"
#include "sync.h"
#include "util.h"


#define CGROUP_ROOT "/sys/fs/cgroup"
#define SENTRY_FIX_KERNEL "a kernel of 5.14 or later (the sentry sandbox needs it; none does not)"

/* The child's side of the seccomp probe: a filter that sends getppid to a
 * listener, the listener handed to the parent, then one getppid whose answer
 * must be a new fd (a pipe) installed by the parent.  Exit codes say where it
 * stopped. */
enum { SC_OK, SC_FILTER, SC_LOAD, SC_LISTENER, SC_SEND, SC_CALL, SC_NOT_INSTALLED };

static int seccomp_child(int sock) {
        alarm(10);
        scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
        if (!c || seccomp_rule_add(c, SCMP_ACT_NOTIFY, SCMP_SYS(getppid), 0) < 0)
                return SC_FILTER;
        if (seccomp_load(c) < 0)
                return SC_LOAD;
        int fd = seccomp_notify_fd(c);
        if (fd < 0)
                return SC_LISTENER;
        if (sync_send_fd(sock, SYNC_SECCOMP_FD, fd) < 0)
                return SC_SEND;
        close(fd);
        long r = syscall(SYS_getppid);
        if (r < 0)
                return SC_CALL;
        struct stat st;
        if (fstat((int) r, &st) < 0 || !S_ISFIFO(st.st_mode))
                return SC_NOT_INSTALLED;
        return SC_OK;
}

static const char *seccomp_child_error(int status) {
        if (!WIFEXITED(status))
                return "the probe process was killed";
        switch (WEXITSTATUS(status)) {
        case SC_FILTER:
                return "libseccomp could not build a SCMP_ACT_NOTIFY filter";
        case SC_LOAD:
                return "loading a filter with a user-notification listener failed";
        case SC_LISTENER:
                return "no listener fd";
        case SC_SEND:
                return "the listener fd could not be passed on";
        case SC_CALL:
                return "the notified system call failed";
        case SC_NOT_INSTALLED:
                return "the fd installed with ADDFD is not there";
        }
        return "unexpected exit of the probe process";
}

/* The supervisor's side: receive, install a pipe's read end with ADDFD.
 * *send says whether SECCOMP_ADDFD_FLAG_SEND (install and answer in one
 * step, which the Sentry relies on) worked; without it the answer is sent
 * separately so the child still finishes. */
static int seccomp_supervise(int listener, bool *send, const char **what) {
        struct seccomp_notif_sizes sizes = {0};
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
                *what = "SECCOMP_GET_NOTIF_SIZES";
                return -errno;
        }
        size_t sz = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif
                                                                          : sizeof(struct seccomp_notif);
        _cleanup_free_ struct seccomp_notif *n = calloc(1, sz);
        if (!n)
                return -ENOMEM;
        struct pollfd p = {.fd = listener, .events = POLLIN};
        int r = poll(&p, 1, 5000);
        if (r <= 0) {
                *what = "waiting for the notification";
                return r == 0 ? -ETIMEDOUT : -errno;
        }
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n) < 0) {
                *what = "SECCOMP_IOCTL_NOTIF_RECV";
                return -errno;
        }
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        struct seccomp_notif_addfd add = {.id = n->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (uint32_t) pfd[0]};
        int fd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
        *send = fd >= 0;
        if (fd < 0 && errno == EINVAL) {
                add.flags = 0;
                fd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
                if (fd >= 0) {
                        struct seccomp_notif_resp resp = {.id = n->id, .val = fd};
                        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
                                fd = -1;
                }
        }
        r = fd < 0 ? -errno : 0;
        close(pfd[0]);
        close(pfd[1]);
        if (r < 0)
                *what = "SECCOMP_IOCTL_NOTIF_ADDFD";
        return r;
}

void check_seccomp_notify(struct check_report *rep) {
        const char *what = "seccomp user notification";
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                check_line(rep, CHECK_FAIL, what, NULL, "socketpair: %m");
                return;
        }
        pid_t pid = fork();
        if (pid < 0) {
                check_line(rep, CHECK_FAIL, what, NULL, "fork: %m");
                close(sv[0]);
                close(sv[1]);
                return;
        }
        if (pid == 0) {
                close(sv[0]);
                _exit(seccomp_child(sv[1]));
        }
        close(sv[1]);
        _cleanup_close_ int sock = sv[0];
        _cleanup_close_ int listener = -1;
        int r = sync_expect_fd(sock, SYNC_SECCOMP_FD, &listener);
        bool send = false, sync_wake = false;
        const char *step = NULL;
        if (r >= 0) {
                /* SYNC_WAKE_UP: the Sentry's round trip is ~23 us with it, ~37 without */
                sync_wake = ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
                r = seccomp_supervise(listener, &send, &step);
        }
        if (r < 0)
                kill(pid, SIGKILL);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        bool child_ok = WIFEXITED(status) && WEXITSTATUS(status) == SC_OK;
        if (!step && !child_ok) {
                check_line(rep, CHECK_FAIL, what, SENTRY_FIX_KERNEL, "%s", seccomp_child_error(status));
                return;
        }
        if (step) {
                errno = -r;
                check_line(rep, CHECK_FAIL, what, SENTRY_FIX_KERNEL, "%s: %m", step);
                return;
        }
        check_line(rep, CHECK_OK, what, NULL, "a listener received a notification and answered it");
        if (send)
                check_line(rep, CHECK_OK, "seccomp ADDFD", NULL,
                           "installed an fd in the caller and answered in one step (SECCOMP_ADDFD_FLAG_SEND)");
        else
                check_line(rep, CHECK_FAIL, "seccomp ADDFD", SENTRY_FIX_KERNEL,
                           "SECCOMP_ADDFD_FLAG_SEND is not supported; the Sentry installs fds with it");
        if (sync_wake)
                check_line(rep, CHECK_OK, "seccomp sync wake-up", NULL,
                           "SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (faster Sentry round trips)");
        else
                check_line(rep, CHECK_WARN, "seccomp sync wake-up", "a kernel of 6.6 or later",
                           "SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP is not supported: each Sentry round trip costs "
                           "about 60%% more");
}

void check_user_namespace(struct check_report *rep) {
        const char *what = "user namespaces";
        const char *fix = "sysctl -w user.max_user_namespaces=15000 (only containers that map ids need it)";
        pid_t pid = fork();
        if (pid < 0) {
                check_line(rep, CHECK_WARN, what, fix, "fork: %m");
                return;
        }
        if (pid == 0)
                _exit(unshare(CLONE_NEWUSER) < 0 ? errno : 0);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        _cleanup_free_ char *max = NULL;
        if (read_file_at(AT_FDCWD, "/proc/sys/user/max_user_namespaces", &max, NULL) >= 0)
                max[strcspn(max, "\n")] = 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                check_line(rep, CHECK_OK, what, NULL, "created one (user.max_user_namespaces = %s)",
                           max ? max : "?");
                return;
        }
        errno = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
        check_line(rep, CHECK_WARN, what, fix, "unshare(CLONE_NEWUSER): %m (user.max_user_namespaces = %s)",
                   max ? max : "?");
}

void check_namespaces(struct check_report *rep) {
        static const char *const needed[] = {"mnt", "pid", "net", "ipc", "uts", "cgroup"};
        char missing[128] = "";
        for (size_t i = 0; i < sizeof needed / sizeof *needed; i++) {
                char p[64];
                snprintf(p, sizeof p, "/proc/self/ns/%s", needed[i]);
                if (access(p, F_OK) < 0)
                        snprintf(missing + strlen(missing), sizeof missing - strlen(missing), " %s", needed[i]);
        }
        if (*missing)
                check_line(rep, CHECK_FAIL, "namespaces", "a kernel built with CONFIG_NAMESPACES and each *_NS",
                           "missing:%s", missing);
        else
                check_line(rep, CHECK_OK, "namespaces", NULL, "mnt pid net ipc uts cgroup");
        if (access("/proc/self/ns/time", F_OK) < 0)
                check_line(rep, CHECK_WARN, "time namespace", "a kernel of 5.6 or later with CONFIG_TIME_NS",
                           "missing: linux.timeOffsets is refused");
        else
                check_line(rep, CHECK_OK, "time namespace", NULL, "linux.timeOffsets can be honoured");
}

/* The system calls the Gofer and the Sentry build on, tried on ourselves. */
void check_sentry_syscalls(struct check_report *rep) {
        rep->scope = CHECK_NONE | CHECK_SENTRY; /* mounts use openat2 in every sandbox */
        struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
        int fd = (int) syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
        if (fd < 0)
                check_line(rep, CHECK_FAIL, "openat2 RESOLVE_IN_ROOT", "a kernel of 5.6 or later",
                           "%m: mounts and the Gofer resolve every path with it");
        else {
                close(fd);
                check_line(rep, CHECK_OK, "openat2 RESOLVE_IN_ROOT", NULL, "paths can be confined to a root");
        }

        rep->scope = CHECK_SENTRY;
        _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, getpid(), 0);
        int dup = pidfd >= 0 ? (int) syscall(SYS_pidfd_getfd, pidfd, pidfd, 0) : -1;
        if (dup < 0)
                check_line(rep, CHECK_FAIL, "pidfd_getfd", SENTRY_FIX_KERNEL,
                           "%s: %m: the Sentry takes the workload's fds with it",
                           pidfd < 0 ? "pidfd_open" : "pidfd_getfd");
        else {
                close(dup);
                check_line(rep, CHECK_OK, "pidfd_getfd", NULL, "the Sentry can take a caller's fd");
        }

        char src[8] = "cocoon", dst[8] = "";
        struct iovec l = {dst, sizeof dst}, rm = {src, sizeof src};
        if (syscall(SYS_process_vm_readv, getpid(), &l, 1, &rm, 1, 0) != (long) sizeof src || strcmp(dst, src))
                check_line(rep, CHECK_FAIL, "process_vm_readv", "a kernel built with CONFIG_CROSS_MEMORY_ATTACH",
                           "%m: the Sentry reads system call arguments with it");
        else
                check_line(rep, CHECK_OK, "process_vm_readv", NULL, "the Sentry can read a caller's memory");
}

/* Whether `ctrl` is mounted as a v1 hierarchy or enabled at the v2 root. */
static bool have_controller(const struct cgroup *cg, const char *ctrl, const char *v2_controllers) {
        size_t n = strlen(ctrl);
        for (size_t i = 0; i < cg->n_dirs; i++) {
                const char *c = cg->dirs[i].controllers;
                for (const char *p = c; p && (p = strstr(p, ctrl)); p += n)
                        if ((p == c || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
                                return true;
        }
        for (const char *p = v2_controllers; p && (p = strstr(p, ctrl)); p += n)
                if ((p == v2_controllers || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
                        return true;
        return false;
}

void check_cgroups(struct check_report *rep) {
        enum cgroup_layout layout;
        if (cgroup_detect_layout(&layout) < 0) {
                check_line(rep, CHECK_FAIL, "cgroups", "mount cgroup2 on /sys/fs/cgroup", "no cgroup file system at %s",
                           CGROUP_ROOT);
                return;
        }
        check_line(rep, CHECK_OK, "cgroup layout", NULL, "%s%s", cgroup_layout_name(layout),
                   layout == CGROUP_LAYOUT_HYBRID  ? " (v1 controllers, cgroup2 at " CGROUP_ROOT "/unified)"
                   : layout == CGROUP_LAYOUT_V1 ? " (v1 controllers only)"
                                                   : " (unified)");
        /* Make and remove a real container cgroup, as `create` does. */
        char id[64];
        snprintf(id, sizeof id, "cocoon-check-%d", (int) getpid());
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        int r = cgroup_setup(NULL, id, &cg);
        if (r < 0) {
                errno = -r;
                check_line(rep, CHECK_FAIL, "cgroup creation", "run as root with a writable " CGROUP_ROOT,
                           "/cocoon/%s: %m", id);
                return;
        }
        _cleanup_free_ char *v2 = NULL;
        for (size_t i = 0; i < cg->n_dirs; i++)
                if (cg->dirs[i].v2 && !v2) {
                        _cleanup_free_ char *p = strdup_printf("%s/cgroup.controllers", cg->dirs[i].mount);
                        if (p)
                                (void) read_file_at(AT_FDCWD, p, &v2, NULL);
                }
        static const char *const ctrls[] = {"cpu", "cpuset", "memory", "pids", "io", "blkio", "freezer", "devices"};
        char missing[128] = "", have[128] = "";
        for (size_t i = 0; i < sizeof ctrls / sizeof *ctrls; i++) {
                bool ok = have_controller(cg, ctrls[i], v2);
                /* io is v2's blkio and freezer is built into v2 (cgroup.freeze),
                 * devices is an eBPF program there: only one of each pair counts. */
                if (!ok && !strcmp(ctrls[i], "io"))
                        continue;
                if (!ok && !strcmp(ctrls[i], "blkio") && have_controller(cg, "io", v2))
                        continue;
                if (!ok && layout == CGROUP_LAYOUT_V2 && (!strcmp(ctrls[i], "freezer") || !strcmp(ctrls[i], "devices")))
                        continue;
                char *buf = ok ? have : missing;
                snprintf(buf + strlen(buf), 128 - strlen(buf), " %s", ctrls[i]);
        }
        r = cgroup_destroy(cg);
        if (r < 0) {
                errno = -r;
                check_line(rep, CHECK_FAIL, "cgroup creation", NULL, "made /cocoon/%s but could not remove it: %m", id);
        } else
                check_line(rep, CHECK_OK, "cgroup creation", NULL, "made and removed /cocoon/%s on %zu hierarchies", id,
                           cg->n_dirs);
        if (*missing)
                check_line(rep, CHECK_WARN, "cgroup controllers", "enable them (cgroup_enable= on the kernel command line)",
                           "have%s; missing%s: the matching linux.resources fields are refused", have, missing);
        else
                check_line(rep, CHECK_OK, "cgroup controllers", NULL, "%s", have + 1);
}
