/* SPDX-License-Identifier: MIT */
/*
 * The supervisor confines itself before it runs the Sentry (DESIGN §3: the
 * Sentry is untrusted by design).  What a Sentry taken over by the workload
 * would still hold, and what takes it away:
 *
 *   the host's filesystem    a private mount namespace whose only mount is
 *                            an empty read-only tmpfs (pivot_root, old root
 *                            detached); what remains is the O_PATH fd on the
 *                            host's /proc, see below
 *   host root's privileges   uid/gid nobody (65534, as runsc), no groups,
 *                            every capability gone but CAP_SYS_PTRACE
 *                            (reading and writing the memory of workload
 *                            threads that run as other users, pidfd_getfd,
 *                            /proc/<pid>/{cwd,fd} of the workload) and
 *                            CAP_KILL (the workload's init and the Gofer run
 *                            as other users), an emptied bounding set,
 *                            no_new_privs
 *   the host's network       seccomp: no socket(), connect() or bind();
 *                            socketpair(AF_UNIX) only
 *   the host's processes     seccomp: kill() only of the workload's init and
 *                            the Gofer, tgkill() only of our own threads
 *   the rest of the kernel   the seccomp allow-list below; anything else
 *                            raises SIGSYS, whose handler logs the call and
 *                            kills the container (fail closed)
 *
 * What is left, and why: CAP_SYS_PTRACE passes the ptrace check of every
 * process, so /proc/<host pid>/root/... leads out of the empty root, with
 * the rights of uid nobody: world-readable host files are readable by a
 * Sentry the workload took over.  Landlock would close that, but a process
 * in a Landlock domain may not ptrace (nor process_vm_readv, pidfd_getfd)
 * processes outside it, and the workload must stay outside.  Holding
 * CAP_SYS_PTRACE only in the container's user namespace would close it for
 * containers that have one (future work, docs/architecture.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/seccomp.h>

#include "linux/caps.h"
#include "linux/seccomp_abi.h"
#include "log.h"
#include "sandbox/sentry_sandbox.h"
#include "sentry/boundary.h"
#include "cleanup.h"
#include "util.h"


/* ---- the allow-list ---------------------------------------------------------------------- */

enum rule {
        R_ALLOW,
        R_ENOSYS,       /* so glibc falls back to a call the list allows */
        R_KILL_OURS,    /* kill(): the workload's init or the Gofer only */
        R_TGKILL_SELF,  /* tgkill(): threads of our own process only */
        R_AF_UNIX,      /* socket/socketpair(AF_UNIX, ...) */
        R_CLONE_THREAD, /* clone(): threads only */
        R_NOTIF_IOCTL,  /* ioctl(): the seccomp notification requests */
        R_PRCTL_NAME,   /* prctl(): thread names, our own parent-death signal, not dumpable */
        R_NOTIF_SIZES,  /* seccomp(): SECCOMP_GET_NOTIF_SIZES only */
        R_SOL_SOCKET,   /* setsockopt(): socket-level options only */
        R_UNSHARE_FS,   /* unshare(): CLONE_FS only (a thread's own umask) */
        R_SELF_ARG0,    /* the call's first argument is 0: the calling thread */
        R_WORKLOAD_PIDFD, /* pidfd_send_signal(): the workload's init's pidfd only */
};

struct own_rule {
        const char *name;
        enum rule rule;
        const char *condition;
};

/* What glibc and our own threads need in both processes. */
static const struct own_rule common_own[] = {
        /* memory */
        {"brk", R_ALLOW, NULL},
        {"mmap", R_ALLOW, NULL},
        {"munmap", R_ALLOW, NULL},
        {"mprotect", R_ALLOW, NULL},
        {"mremap", R_ALLOW, NULL},
        {"madvise", R_ALLOW, NULL},
        /* threads */
        {"clone", R_CLONE_THREAD, "flags include CLONE_THREAD"},
        {"clone3", R_ENOSYS, "ENOSYS: glibc then uses clone, whose flags BPF can read"},
        {"set_robust_list", R_ALLOW, NULL},
        {"rseq", R_ALLOW, NULL},
        {"futex", R_ALLOW, NULL},
        {"exit", R_ALLOW, NULL},
        {"exit_group", R_ALLOW, NULL},
        {"gettid", R_ALLOW, NULL},
        {"getpid", R_ALLOW, NULL},
        {"sched_yield", R_ALLOW, NULL},
        {"sched_getaffinity", R_ALLOW, NULL},
        {"prctl", R_PRCTL_NAME, "PR_SET_NAME, PR_GET_NAME, PR_SET_PDEATHSIG or PR_SET_DUMPABLE 0"},
        /* signals */
        {"rt_sigaction", R_ALLOW, NULL},
        {"rt_sigprocmask", R_ALLOW, NULL},
        {"rt_sigreturn", R_ALLOW, NULL},
        {"sigaltstack", R_ALLOW, NULL},
        {"restart_syscall", R_ALLOW, NULL},
        {"tgkill", R_TGKILL_SELF, "tgid is the process itself"},
        /* descriptors it holds */
        {"read", R_ALLOW, NULL},
        {"write", R_ALLOW, NULL},
        {"readv", R_ALLOW, NULL},
        {"writev", R_ALLOW, NULL},
        {"lseek", R_ALLOW, NULL},
        {"close", R_ALLOW, NULL},
        {"dup", R_ALLOW, NULL},
        {"dup3", R_ALLOW, NULL},
        {"fcntl", R_ALLOW, NULL},
        {"fstat", R_ALLOW, NULL},
        {"newfstatat", R_ALLOW, NULL},
        {"statx", R_ALLOW, NULL},
        {"poll", R_ALLOW, NULL},
        {"ppoll", R_ALLOW, NULL},
        /* unix sockets: the Sentry's connections to the Gofer */
        {"sendmsg", R_ALLOW, NULL},
        {"recvmsg", R_ALLOW, NULL},
        {"sendto", R_ALLOW, NULL},
        {"recvfrom", R_ALLOW, NULL},
        {"shutdown", R_ALLOW, NULL},
        {"getsockopt", R_ALLOW, NULL},
        /* paths below a descriptor: /proc for the Sentry, the tree for the
         * Gofer; openat2 RESOLVE_IN_ROOT below the Gofer's root, whose mount
         * has no parent to climb to (src/sentry/fastpath.c, gofer/walk.c) */
        {"openat", R_ALLOW, NULL},
        {"openat2", R_ALLOW, NULL},
        {"readlinkat", R_ALLOW, NULL},
        {"getdents64", R_ALLOW, NULL},
        {"capget", R_ALLOW, NULL},
        /* the rest of libc */
        {"getrandom", R_ALLOW, NULL},
        {"clock_gettime", R_ALLOW, NULL},
        {"clock_nanosleep", R_ALLOW, NULL},
        {"nanosleep", R_ALLOW, NULL},
        {"getuid", R_ALLOW, NULL},
        {"geteuid", R_ALLOW, NULL},
        {"getgid", R_ALLOW, NULL},
        {"getegid", R_ALLOW, NULL},
};

/* The Sentry's (its supervisor's) own, beyond common_own. */
static const struct own_rule sentry_own[] = {
        {"kill", R_KILL_OURS, "pid is the workload's init or the Gofer"},
        {"pread64", R_ALLOW, NULL},
        {"pwrite64", R_ALLOW, NULL},
        {"epoll_create1", R_ALLOW, NULL},
        {"epoll_ctl", R_ALLOW, NULL},
        {"epoll_wait", R_ALLOW, NULL},
        {"epoll_pwait", R_ALLOW, NULL},
        {"eventfd2", R_ALLOW, NULL},
        {"pipe2", R_ALLOW, NULL},
        /* the Gofer's connections, sentry.sock */
        {"socketpair", R_AF_UNIX, "domain AF_UNIX"},
        {"accept4", R_ALLOW, NULL},
        {"setsockopt", R_SOL_SOCKET, "level SOL_SOCKET (timeouts on sentry.sock connections)"},
        /* /proc: the workload's threads' credentials, cwd and fds */
        {"readlink", R_ALLOW, NULL},
        /* the workload's processes */
        {"ioctl", R_NOTIF_IOCTL, "SECCOMP_IOCTL_NOTIF_RECV, _SEND, _ID_VALID, _ADDFD, _SET_FLAGS; PIDFD_GET_INFO"},
        {"process_vm_readv", R_ALLOW, NULL},
        {"process_vm_writev", R_ALLOW, NULL},
        {"pidfd_open", R_ALLOW, NULL},
        {"pidfd_getfd", R_ALLOW, NULL},
        {"wait4", R_ALLOW, NULL},
        {"waitid", R_ALLOW, NULL},
        /* answers the Sentry computes */
        {"seccomp", R_NOTIF_SIZES, "SECCOMP_GET_NOTIF_SIZES"},
        {"uname", R_ALLOW, NULL},
        {"memfd_create", R_ALLOW, NULL}, /* synthesized /proc files (src/sentry/sys_procfs.c) */
        {"sysinfo", R_ALLOW, NULL},
        {"clock_getres", R_ALLOW, NULL},
        {"adjtimex", R_ALLOW, NULL},      /* read-only without CAP_SYS_TIME */
        {"clock_adjtime", R_ALLOW, NULL}, /* likewise */
        {"gettimeofday", R_ALLOW, NULL},
        {"prlimit64", R_ALLOW, NULL},
};

/*
 * The Gofer's own, beyond common_own.  It holds the writable tree and the
 * file capabilities, so what it must never reach is everything else: no
 * socket of its own (it binds and connects only AF_UNIX sockets the Sentry
 * took from the workload), no process but its own threads and the
 * workload's init (through one pidfd), no mount, no new namespace but a
 * thread's own fs struct, no ptrace, no exec.
 */
static const struct own_rule gofer_own[] = {
        {"sched_setaffinity", R_SELF_ARG0, "pid 0: the calling thread (the caller's CPU hint)"},
        {"unshare", R_UNSHARE_FS, "CLONE_FS only: each thread's own umask"},
        {"pidfd_send_signal", R_WORKLOAD_PIDFD, "the pidfd of the workload's init (killed when the supervisor dies)"},
        {"bind", R_ALLOW, NULL},
        {"connect", R_ALLOW, NULL},
        /* the file operations (src/gofer/ops.c, walk.c) */
        {"fstatfs", R_ALLOW, NULL},
        {"statfs", R_ALLOW, NULL},
        {"faccessat", R_ALLOW, NULL},
        {"faccessat2", R_ALLOW, NULL},
        {"mkdirat", R_ALLOW, NULL},
        {"mknodat", R_ALLOW, NULL},
        {"unlinkat", R_ALLOW, NULL},
        {"renameat", R_ALLOW, NULL},
        {"renameat2", R_ALLOW, NULL},
        {"linkat", R_ALLOW, NULL},
        {"symlinkat", R_ALLOW, NULL},
        {"fchmod", R_ALLOW, NULL},
        {"fchmodat", R_ALLOW, NULL},
        {"fchmodat2", R_ALLOW, NULL},
        {"fchown", R_ALLOW, NULL},
        {"fchownat", R_ALLOW, NULL},
        {"ftruncate", R_ALLOW, NULL},
        {"utimensat", R_ALLOW, NULL},
        {"fchdir", R_ALLOW, NULL}, /* a thread's own cwd: unix socket paths are relative to it */
        {"fgetxattr", R_ALLOW, NULL},
        {"fsetxattr", R_ALLOW, NULL},
        {"flistxattr", R_ALLOW, NULL},
        {"fremovexattr", R_ALLOW, NULL},
        {"getxattrat", R_ALLOW, NULL},
        {"setxattrat", R_ALLOW, NULL},
        {"listxattrat", R_ALLOW, NULL},
        {"removexattrat", R_ALLOW, NULL},
        /* the caller's credentials, per thread (src/gofer/creds.c) */
        {"getgroups", R_ALLOW, NULL},
        {"setfsuid", R_ALLOW, NULL},
        {"setfsgid", R_ALLOW, NULL},
        {"setgroups", R_ALLOW, NULL},
        {"setresuid", R_ALLOW, NULL},
        {"setresgid", R_ALLOW, NULL},
        {"capset", R_ALLOW, NULL},
        {"umask", R_ALLOW, NULL},
};

/* common_own followed by the process's own list. */
static const struct sentry_own_syscall *list_of(const struct own_rule *rules, size_t n_rules,
                                                struct sentry_own_syscall *out, size_t *n) {
        size_t k = 0;
        for (size_t i = 0; i < ELEMENTSOF(common_own); i++)
                out[k++] = (struct sentry_own_syscall){common_own[i].name, common_own[i].condition};
        for (size_t i = 0; i < n_rules; i++)
                out[k++] = (struct sentry_own_syscall){rules[i].name, rules[i].condition};
        *n = k;
        return out;
}

const struct sentry_own_syscall *sentry_own_syscalls(size_t *n) {
        static struct sentry_own_syscall list[ELEMENTSOF(common_own) + ELEMENTSOF(sentry_own)];
        return list_of(sentry_own, ELEMENTSOF(sentry_own), list, n);
}

const struct sentry_own_syscall *sentry_gofer_own_syscalls(size_t *n) {
        static struct sentry_own_syscall list[ELEMENTSOF(common_own) + ELEMENTSOF(gofer_own)];
        return list_of(gofer_own, ELEMENTSOF(gofer_own), list, n);
}

static int add(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned n, const struct scmp_arg_cmp *cmp,
               const char *name) {
        int r = seccomp_rule_add_array(ctx, action, nr, n, cmp);
        if (r < 0)
                return log_error_errno(r, "seccomp rule for %s", name);
        return 0;
}

/* The rules of one entry; c names the processes R_KILL_OURS may signal. */
static int add_own_rule(scmp_filter_ctx ctx, const struct own_rule *rule, const struct sentry_confine_config *c) {
        /* the boundary table knows every x86_64 number, also those newer
         * than libseccomp (setxattrat, fchmodat2, ...) */
        int nr = sentry_boundary_nr(rule->name);
        if (nr < 0)
                return log_fail(-EINVAL, "own allow-list: no syscall %s", rule->name);
        int r = 0;
        switch (rule->rule) {
        case R_ALLOW:
                r = add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL, rule->name);
                break;
        case R_ENOSYS:
                r = add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0, NULL, rule->name);
                break;
        case R_KILL_OURS:
                r = add(ctx, SCMP_ACT_ALLOW, nr, 1, (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, c->workload)},
                        rule->name);
                if (r == 0)
                        r = add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, c->gofer)}, rule->name);
                break;
        case R_TGKILL_SELF:
                r = add(ctx, SCMP_ACT_ALLOW, nr, 1, (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, getpid())},
                        rule->name);
                break;
        case R_AF_UNIX:
                r = add(ctx, SCMP_ACT_ALLOW, nr, 1, (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, AF_UNIX)},
                        rule->name);
                break;
        case R_CLONE_THREAD:
                r = add(ctx, SCMP_ACT_ALLOW, nr, 1,
                        (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)},
                        rule->name);
                break;
        case R_NOTIF_IOCTL: {
                static const unsigned long reqs[] = {SECCOMP_IOCTL_NOTIF_RECV, SECCOMP_IOCTL_NOTIF_SEND,
                                                     SECCOMP_IOCTL_NOTIF_ID_VALID, SECCOMP_IOCTL_NOTIF_ADDFD,
                                                     SECCOMP_IOCTL_NOTIF_SET_FLAGS};
                for (size_t k = 0; k < ELEMENTSOF(reqs) && r == 0; k++)
                        r = add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                (struct scmp_arg_cmp[]){SCMP_A1(SCMP_CMP_EQ, reqs[k])}, rule->name);
                /* PIDFD_GET_INFO (the credentials of a workload thread), whatever
                 * struct size the request encodes: direction, type and number only */
                if (r == 0)
                        r = add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                (struct scmp_arg_cmp[]){SCMP_A1(SCMP_CMP_MASKED_EQ, ~(uint64_t) _IOC_SIZEMASK << _IOC_SIZESHIFT,
                                                                _IOC(_IOC_READ | _IOC_WRITE, 0xFF, 11, 0))},
                                rule->name);
                break;
        }
        case R_NOTIF_SIZES:
                r = add(ctx, SCMP_ACT_ALLOW, nr, 1,
                        (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, SECCOMP_GET_NOTIF_SIZES)}, rule->name);
                break;
        case R_SOL_SOCKET:
                r = add(ctx, SCMP_ACT_ALLOW, nr, 1, (struct scmp_arg_cmp[]){SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET)},
                        rule->name);
                break;
        case R_UNSHARE_FS:
                r = add(ctx, SCMP_ACT_ALLOW, nr, 1, (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, CLONE_FS)},
                        rule->name);
                break;
        case R_WORKLOAD_PIDFD:
                r = add(ctx, SCMP_ACT_ALLOW, nr, 1,
                        (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, (uint64_t) c->workload_pidfd)},
                        rule->name);
                break;
        case R_SELF_ARG0:
                r = add(ctx, SCMP_ACT_ALLOW, nr, 1, (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, 0)},
                        rule->name);
                break;
        case R_PRCTL_NAME:
                r = add(ctx, SCMP_ACT_ALLOW, nr, 1, (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)},
                        rule->name);
                if (r == 0)
                        r = add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME)}, rule->name);
                if (r == 0)
                        r = add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG)}, rule->name);
                /* exit_like_status: no core of ours for the workload's SIGSEGV */
                if (r == 0)
                        r = add(ctx, SCMP_ACT_ALLOW, nr, 2,
                                (struct scmp_arg_cmp[]){SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE),
                                                        SCMP_A1(SCMP_CMP_EQ, 0)},
                                rule->name);
                break;
        }
        return r;
}

/* The filter of common_own plus one process's list. */
static int build_filter(const struct own_rule *rules, size_t n_rules, const struct sentry_confine_config *c,
                        scmp_filter_ctx *ret) {
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
        if (!ctx)
                return log_fail(-ENOMEM, "seccomp_init failed");
        /* a binary tree: ioctl and the other conditional calls, which the
         * kernel's per-syscall cache cannot answer, run on every
         * notification */
        int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r < 0)
                r = log_error_errno(r, "seccomp filter attributes");
        for (size_t i = 0; i < ELEMENTSOF(common_own) && r == 0; i++)
                r = add_own_rule(ctx, &common_own[i], c);
        for (size_t i = 0; i < n_rules && r == 0; i++)
                r = add_own_rule(ctx, &rules[i], c);
        if (r < 0) {
                seccomp_release(ctx);
                return r;
        }
        *ret = ctx;
        return 0;
}

/* A plain table read: safe in a signal handler. */
static const char *syscall_name(int nr) {
        const struct boundary_entry *e = sentry_boundary_lookup(nr);
        return e ? e->name : NULL;
}

/* ---- SIGSYS: a call outside the list ----------------------------------------------------- */

/* Read by the signal handler, which has no other way to reach them; set
 * once before the filter is loaded. */
static pid_t sigsys_workload = -1, sigsys_gofer = -1;

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
        (void) sig, (void) uc;
        const char *name = syscall_name(si->si_syscall);
        /* the container dies first: nothing below may fail it open */
        kill(sigsys_workload, SIGKILL);
        kill(sigsys_gofer, SIGKILL);
        log_fail(-EPERM, "sentry: syscall %d (%s) is not in the Sentry's allow-list; killing the container",
                 si->si_syscall, name ? name : "?");
        raise(SIGKILL);
        _exit(128 + SIGKILL);
}

/* ---- the empty root ---------------------------------------------------------------------- */

static int empty_root(void) {
        if (unshare(CLONE_NEWNS) < 0)
                return log_error_errno(-errno, "unshare the Sentry's mount namespace");
        /* nothing we do here may reach the host's mounts */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return log_error_errno(-errno, "make the Sentry's mounts private");
        /* /proc is merely a directory that exists everywhere; the O_PATH fd
         * on the host's /proc opened before keeps pointing at that one */
        if (mount("cocoon-sentry", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,nr_inodes=1,mode=0555") <
                    0 ||
            chdir("/proc") < 0)
                return log_error_errno(-errno, "mount the Sentry's empty root");
        /* runc's trick: the old root ends up under the new one, then goes */
        if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
                return log_error_errno(-errno, "switch the Sentry to its empty root");
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return log_error_errno(-errno, "make the Sentry's root read-only");
        return 0;
}

/* nobody:nogroup, as runsc's sandbox: no host file is ours, and without
 * CAP_DAC_* only world-readable ones are readable at all */
#define SENTRY_UID 65534
#define SENTRY_GID 65534

static int drop_privileges(void) {
        uint64_t keep = (UINT64_C(1) << CAP_SYS_PTRACE) | (UINT64_C(1) << CAP_KILL);
        int r = caps_drop_bounding(keep);
        if (r < 0)
                return r;
        /* keep-caps: leaving uid 0 would otherwise empty the permitted set */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return log_error_errno(-errno, "prctl(PR_SET_KEEPCAPS)");
        if (setgroups(0, NULL) < 0 || setresgid(SENTRY_GID, SENTRY_GID, SENTRY_GID) < 0 ||
            setresuid(SENTRY_UID, SENTRY_UID, SENTRY_UID) < 0)
                return log_error_errno(-errno, "switch the Sentry to uid/gid %d", SENTRY_UID);
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return log_error_errno(-errno, "prctl(PR_SET_KEEPCAPS, 0)");
        r = caps_set(keep, keep, 0);
        if (r < 0)
                return r;
        return caps_set_ambient(0);
}

int sentry_confine(const struct sentry_confine_config *c) {
        scmp_filter_ctx filter = NULL;
        /* built first: libseccomp allocates, and wants nothing we drop below */
        int r = build_filter(sentry_own, ELEMENTSOF(sentry_own), c, &filter);
        if (r < 0)
                return r;
        r = empty_root();
        if (r == 0)
                r = drop_privileges();
        if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                r = log_error_errno(-errno, "prctl(PR_SET_NO_NEW_PRIVS)");
        if (r == 0) {
                sigsys_workload = c->workload;
                sigsys_gofer = c->gofer;
                struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
                sigemptyset(&sa.sa_mask);
                if (sigaction(SIGSYS, &sa, NULL) < 0)
                        r = log_error_errno(-errno, "SIGSYS handler");
        }
        if (r == 0 && (r = seccomp_load(filter)) < 0)
                r = log_error_errno(r, "load the Sentry's own seccomp filter");
        /* released after loading: munmap and free are on the list */
        seccomp_release(filter);
        return r;
}

/* ---- the Gofer ----------------------------------------------------------------------------- */

static int sigsys_workload_pidfd = -1;

static void on_gofer_sigsys(int sig, siginfo_t *si, void *uc) {
        (void) sig, (void) uc;
        syscall(SYS_pidfd_send_signal, sigsys_workload_pidfd, SIGKILL, NULL, 0);
        const char *name = syscall_name(si->si_syscall);
        /* The Gofer's death is the container's: the supervisor sees the
         * connection go and kills the workload. */
        log_fail(-EPERM, "gofer: syscall %d (%s) is not in the Gofer's allow-list; killing the container",
                 si->si_syscall, name ? name : "?");
        raise(SIGKILL);
        _exit(128 + SIGKILL);
}

int sentry_gofer_confine(int workload_pidfd) {
        scmp_filter_ctx filter = NULL;
        const struct sentry_confine_config cfg = {
                .workload = -1, .gofer = -1, .proc_fd = -1, .workload_pidfd = workload_pidfd};
        int r = build_filter(gofer_own, ELEMENTSOF(gofer_own), &cfg, &filter);
        if (r < 0)
                return r;
        sigsys_workload_pidfd = workload_pidfd;
        struct sigaction sa = {.sa_sigaction = on_gofer_sigsys, .sa_flags = SA_SIGINFO};
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGSYS, &sa, NULL) < 0)
                r = log_error_errno(-errno, "gofer: SIGSYS handler");
        if (r == 0 && (r = seccomp_load(filter)) < 0)
                r = log_error_errno(r, "gofer: load its own seccomp filter");
        seccomp_release(filter);
        return r;
}
