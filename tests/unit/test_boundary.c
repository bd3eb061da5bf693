/* SPDX-License-Identifier: MIT */
/*
 * The Sentry boundary table (src/sentry/syscalls.def) and the seccomp filter
 * built from it: one entry per number, the host budget, no path-walking
 * syscall on the host, completeness against the running kernel's syscall
 * entry points, docs/syscalls.md up to date, and the filter's behaviour in
 * forked children (host calls run, denials return their errno, Sentry calls
 * fail with ENOSYS when nobody listens, x32 and int 0x80 kill).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netinet/in.h>

#include "cleanup.h"
#include "sentry/boundary.h"
#include "unit.h"

#define HOST_BUDGET 120

static bool in_list(const char *name, const char *const *list) {
        for (; *list; list++)
                if (strcmp(name, *list) == 0)
                        return true;
        return false;
}

static void test_one_entry_per_number(void) {
        unsigned named = 0, unassigned = 0;
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++) {
                const struct boundary_entry *e = sentry_boundary_lookup(nr);
                if (!e || !e->reason || !*e->reason || e->verdict.action == BOUNDARY_MISSING) {
                        UNIT_FAIL_("syscall %d has no entry in syscalls.def", nr);
                        continue;
                }
                UNIT_PASS_();
                if (!e->name) {
                        unassigned++;
                        CHECK(e->verdict.action == BOUNDARY_DENY && e->verdict.err == ENOSYS);
                        continue;
                }
                named++;
                /* names are unique, so lookup by name finds this very number */
                CHECK_INT_EQ(sentry_boundary_nr(e->name), nr);
                CHECK(e->family != BOUNDARY_FAMILY_NONE);
                if (e->verdict.action == BOUNDARY_DENY)
                        CHECK(e->verdict.err == EPERM || e->verdict.err == ENOSYS);
        }
        CHECK_INT_EQ(named + unassigned, BOUNDARY_NR_MAX + 1);
        CHECK(sentry_boundary_lookup(-1) == NULL);
        CHECK(sentry_boundary_lookup(BOUNDARY_NR_MAX + 1) == NULL);
        CHECK_INT_EQ(sentry_boundary_nr("no_such_syscall"), -ENOENT);
}

/* libseccomp 2.5.4 knows names up to 456; it must agree with every number it knows. */
static void test_names_match_libseccomp(void) {
        static const int newer_than_libseccomp[] = {335, 336, 457, 458, 459, 460, 461, 462,
                                                     463, 464, 465, 466, 467, 468, 469};
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++) {
                const struct boundary_entry *e = sentry_boundary_lookup(nr);
                _cleanup_free_ char *known = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
                bool newer = false;
                for (size_t i = 0; i < ELEMENTSOF(newer_than_libseccomp); i++)
                        newer = newer || newer_than_libseccomp[i] == nr;
                if (!e->name)
                        CHECK(!known);
                else if (known)
                        CHECK_STR_EQ(e->name, known);
                else if (!newer)
                        UNIT_FAIL_("libseccomp knows no syscall %d, the table calls it %s", nr, e->name);
        }
}

static void test_counts(void) {
        unsigned host, sentry, denied, killed, unassigned = 0;
        sentry_boundary_counts(&host, &sentry, &denied, &killed);
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++)
                unassigned += !sentry_boundary_lookup(nr)->name;
        CHECK(host <= HOST_BUDGET);
        CHECK(sentry > 0 && denied > 0);
        CHECK_INT_EQ(host + sentry + denied + killed + unassigned, BOUNDARY_NR_MAX + 1);
}

/* Every syscall that takes a path name (or a socket address that can be one,
 * for bind and connect, which create or reach a filesystem object). */
static const char *const path_syscalls[] = {
        "open", "stat", "lstat", "access", "truncate", "chdir", "rename", "mkdir", "rmdir", "creat",
        "link", "unlink", "symlink", "readlink", "chmod", "chown", "lchown", "utime", "mknod", "uselib",
        "statfs", "pivot_root", "chroot", "acct", "mount", "umount2", "swapon", "swapoff", "quotactl",
        "setxattr", "lsetxattr", "getxattr", "lgetxattr", "listxattr", "llistxattr", "removexattr",
        "lremovexattr", "utimes", "inotify_add_watch", "openat", "mkdirat", "mknodat", "fchownat",
        "futimesat", "newfstatat", "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat",
        "faccessat", "utimensat", "fanotify_mark", "name_to_handle_at", "execve", "execveat", "renameat2",
        "statx", "open_tree", "move_mount", "fsconfig", "fspick", "openat2", "faccessat2", "mount_setattr",
        "fchmodat2", "setxattrat", "getxattrat", "listxattrat", "removexattrat", "open_tree_attr",
        "file_getattr", "file_setattr", "mq_open", "mq_unlink", "bind", "connect", NULL,
};

static void test_no_path_syscall_on_host(void) {
        for (const char *const *p = path_syscalls; *p; p++) {
                int nr = sentry_boundary_nr(*p);
                if (nr < 0) {
                        UNIT_FAIL_("%s is not in the table", *p);
                        continue;
                }
                const struct boundary_entry *e = sentry_boundary_lookup(nr);
                if (e->verdict.action == BOUNDARY_HOST)
                        UNIT_FAIL_("%s takes a path but runs on the host", *p);
                else
                        UNIT_PASS_();
        }
}

static unsigned active_alts(const struct boundary_cond *c, bool net_raw) {
        unsigned n = 0;
        for (unsigned i = 0; i < c->n_alt; i++)
                n += c->alt[i].option == BOUNDARY_OPT_NONE || (c->alt[i].option == BOUNDARY_OPT_NET_RAW && net_raw);
        return n;
}

static void test_conditions(void) {
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++) {
                const struct boundary_entry *e = sentry_boundary_lookup(nr);
                if (!e->cond) {
                        CHECK(e->otherwise.action == BOUNDARY_MISSING);
                        continue;
                }
                CHECK(e->verdict.action == BOUNDARY_HOST);
                CHECK(e->otherwise.action == BOUNDARY_SENTRY || e->otherwise.action == BOUNDARY_DENY);
                if (e->otherwise.action != BOUNDARY_SENTRY) {
                        /* the builder can only negate a single alternative */
                        CHECK(active_alts(e->cond, false) <= 1);
                        CHECK(active_alts(e->cond, true) <= 1);
                }
                for (unsigned i = 0; i < e->cond->n_alt; i++) {
                        const struct boundary_alt *a = &e->cond->alt[i];
                        CHECK(a->n_cmp >= 1 && a->n_cmp <= BOUNDARY_ALT_MAX);
                        for (unsigned j = 0; j < a->n_cmp; j++) {
                                CHECK(a->cmp[j].arg < 6);
                                CHECK(a->cmp[j].op == SCMP_CMP_EQ || a->cmp[j].op == SCMP_CMP_MASKED_EQ);
                                CHECK(a->cmp[j].text && *a->cmp[j].text);
                                for (unsigned k = 0; k < j; k++)
                                        CHECK(a->cmp[k].arg != a->cmp[j].arg); /* libseccomp: one per argument */
                        }
                }
        }
        /* the X-macro counted the comparisons of a three-way alternative */
        const struct boundary_entry *sock = sentry_boundary_lookup(SYS_socket);
        CHECK(sock->cond && sock->cond->n_alt > 1 && sock->cond->alt[1].n_cmp == 3);
        if (!sock->cond || sock->cond->n_alt < 2)
                return;
        CHECK_UINT_EQ(sock->cond->alt[1].cmp[1].a, 0xf);
        CHECK_STR_EQ(sock->cond->alt[1].cmp[1].text, "(arg1 & 0xf) == SOCK_STREAM");
}

/*
 * Names in /proc/kallsyms's __x64_sys_* entry points that are not x86_64
 * syscall names: every architecture's compat and legacy entry points are
 * built into an x86_64 kernel too.  A name missing from this list and from
 * the table is a syscall the table does not know yet, and fails the test.
 */
static const char *const not_x86_64[] = {
        /* 32-bit time_t variants (i386 and x32 compat) */
        "adjtimex_time32", "clock_adjtime32", "clock_getres_time32", "clock_gettime32",
        "clock_nanosleep_time32", "clock_settime32", "futex_time32", "futimesat_time32",
        "io_getevents_time32", "io_pgetevents_time32", "mq_timedreceive_time32", "mq_timedsend_time32",
        "nanosleep_time32", "ppoll_time32", "pselect6_time32", "recvmmsg_time32", "rt_sigtimedwait_time32",
        "sched_rr_get_interval_time32", "semtimedop_time32", "stime32", "time32", "timer_gettime32",
        "timer_settime32", "timerfd_gettime32", "timerfd_settime32", "utime32", "utimensat_time32",
        "utimes_time32",
        /* 16-bit uid/gid variants (i386) */
        "chown16", "fchown16", "getegid16", "geteuid16", "getgid16", "getgroups16", "getresgid16",
        "getresuid16", "getuid16", "lchown16", "setfsgid16", "setfsuid16", "setgid16", "setgroups16",
        "setregid16", "setresgid16", "setresuid16", "setreuid16", "setuid16",
        /* i386 entry points that reassemble 64-bit arguments from register pairs */
        "ia32_fadvise64", "ia32_fadvise64_64", "ia32_fallocate", "ia32_ftruncate64", "ia32_pread64",
        "ia32_pwrite64", "ia32_readahead", "ia32_sync_file_range", "ia32_truncate64",
        /* i386-only legacy calls and multiplexers */
        "fadvise64_64", "fstatfs64", "statfs64", "ipc", "socketcall", "recv", "send", "old_msgctl",
        "old_semctl", "old_shmctl", "llseek", "mmap_pgoff", "nice", "old_getrlimit", "old_readdir",
        "oldumount", "olduname", "sgetmask", "ssetmask", "signal", "sigpending", "sigprocmask",
        "sigsuspend", "stime", "vm86", "vm86old", "waitpid",
        /* other architectures' calls, built as stubs (COND_SYSCALL) */
        "gethostname", "pciconfig_iobase", "pciconfig_read", "pciconfig_write", "rtas", "s390_ipc",
        "s390_pci_mmio_read", "s390_pci_mmio_write", "spu_create", "spu_run", "subpage_prot",
        "sync_file_range2",
        /* the stub behind every unimplemented number */
        "ni_syscall", NULL,
};

/* x86_64 syscalls whose entry point is named differently (syscall_64.tbl). */
static const char *const entry_point_alias[][2] = {
        {"newstat", "stat"},   {"newfstat", "fstat"},       {"newlstat", "lstat"},
        {"newuname", "uname"}, {"sendfile64", "sendfile"}, {"umount", "umount2"},
};

static void test_complete_for_running_kernel(void) {
        _cleanup_fclose_ FILE *f = fopen("/proc/kallsyms", "re");
        if (!f) {
                printf("skip: /proc/kallsyms: %s\n", strerror(errno));
                return;
        }
        char line[512];
        unsigned seen = 0;
        while (fgets(line, sizeof line, f)) {
                char *sym = strstr(line, " __x64_sys_");
                if (!sym)
                        continue;
                char *name = sym + strlen(" __x64_sys_");
                name[strcspn(name, ". \t\n")] = 0; /* .cold, .isra.0, module suffix */
                seen++;
                if (in_list(name, not_x86_64))
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(entry_point_alias); i++)
                        if (strcmp(name, entry_point_alias[i][0]) == 0)
                                name = (char *) entry_point_alias[i][1];
                if (sentry_boundary_nr(name) >= 0)
                        UNIT_PASS_();
                else
                        UNIT_FAIL_("the running kernel has syscall %s, syscalls.def has no entry for it", name);
        }
        /* kallsyms without names (a restricted /proc) would make this vacuous */
        CHECK(seen > 300);
}

static void test_filter_builds(void) {
        scmp_filter_ctx ctx = NULL;
        CHECK_OK(sentry_boundary_filter(NULL, &ctx));
        if (ctx)
                seccomp_release(ctx);
        ctx = NULL;
        CHECK_OK(sentry_boundary_filter(&(struct boundary_opts){.net_raw = true}, &ctx));
        if (ctx)
                seccomp_release(ctx);
}

/* ---- the filter in a child ----------------------------------------------------------------- */

#define CCHECK(res, cond) CHILD_CHECK(res, "in the filtered child", cond)

static long sys_socket(long family, long type, long proto) {
        long fd = syscall(SYS_socket, family, type, proto);
        if (fd >= 0)
                close((int) fd);
        return fd;
}

static void filtered_checks(struct child_tally *res, pid_t parent, bool net_raw) {
        /* host */
        CCHECK(res, syscall(SYS_getppid) == parent);
        int p[2];
        CCHECK(res, syscall(SYS_pipe2, p, O_CLOEXEC) == 0);
        CCHECK(res, syscall(SYS_write, p[1], "x", 1) == 1);
        int queued = 0;
        CCHECK(res, syscall(SYS_ioctl, p[0], FIONREAD, &queued) == 0 && queued == 1);

        /* HOST_IF complement to the Sentry: nobody listens, so ENOSYS */
        CCHECK(res, FAILS_WITH(syscall(SYS_ioctl, p[0], TIOCSTI, "x"), ENOSYS));
        CCHECK(res, FAILS_WITH(syscall(SYS_personality, ADDR_NO_RANDOMIZE), ENOSYS));
        CCHECK(res, syscall(SYS_personality, 0xffffffffUL) >= 0);
        char comm[16];
        CCHECK(res, syscall(SYS_prctl, PR_GET_NAME, comm, 0, 0, 0) == 0);
        CCHECK(res, FAILS_WITH(syscall(SYS_prctl, PR_GET_KEEPCAPS, 0, 0, 0, 0), ENOSYS));

        /* sentry */
        struct utsname u;
        CCHECK(res, FAILS_WITH(syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY), ENOSYS));
        CCHECK(res, FAILS_WITH(syscall(SYS_uname, &u), ENOSYS));
        CCHECK(res, FAILS_WITH(syscall(SYS_getresuid, NULL, NULL, NULL), ENOSYS));
        CCHECK(res, syscall(SYS_getuid) == (long) getuid()); /* host */

        /* deny */
        CCHECK(res, FAILS_WITH(syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL), EPERM));
        CCHECK(res, FAILS_WITH(syscall(SYS_bpf, 0, NULL, 0), EPERM));
        CCHECK(res, FAILS_WITH(syscall(SYS_ptrace, 0, 0, 0, 0), EPERM));
        CCHECK(res, FAILS_WITH(syscall(SYS_clone3, NULL, 0), ENOSYS));
        CCHECK(res, FAILS_WITH(syscall(SYS_keyctl, 0, 0, 0, 0, 0), ENOSYS));

        /* unassigned, and above the table (to the Sentry) */
        CCHECK(res, FAILS_WITH(syscall(400), ENOSYS));
        CCHECK(res, FAILS_WITH(syscall(BOUNDARY_NR_MAX + 100), ENOSYS));

        /* clone: fork-like flags run on the host, any namespace flag is EPERM */
        long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
        if (pid == 0)
                _exit(7);
        int st = 0;
        CCHECK(res, pid > 0 && syscall(SYS_wait4, pid, &st, 0, NULL) == pid && WIFEXITED(st) &&
                            WEXITSTATUS(st) == 7);
        static const unsigned long ns_flags[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                                 CLONE_NEWUSER, CLONE_NEWPID,   CLONE_NEWNET};
        for (size_t i = 0; i < ELEMENTSOF(ns_flags); i++) {
                pid = syscall(SYS_clone, ns_flags[i] | SIGCHLD, 0, 0, 0, 0);
                int err = errno;
                if (pid == 0)
                        _exit(0); /* the filter let it through: the parent reports it */
                if (pid > 0)
                        syscall(SYS_wait4, pid, &st, 0, NULL);
                CCHECK(res, pid == -1 && err == EPERM);
        }

        /* socket families */
        CCHECK(res, sys_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) >= 0);
        CCHECK(res, sys_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) >= 0);
        CCHECK(res, sys_socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP) >= 0);
        CCHECK(res, sys_socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) >= 0);
        CCHECK(res, FAILS_WITH(sys_socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT), ENOSYS));
        CCHECK(res, FAILS_WITH(sys_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP), ENOSYS));
        CCHECK(res, FAILS_WITH(sys_socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0), ENOSYS));
        if (net_raw) {
                /* reaches the host kernel, which decides by our capabilities */
                long r = sys_socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
                CCHECK(res, r >= 0 || errno == EPERM);
                r = sys_socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
                CCHECK(res, r >= 0 || errno == EPERM);
        } else {
                CCHECK(res, FAILS_WITH(sys_socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), ENOSYS));
                CCHECK(res, FAILS_WITH(sys_socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP), ENOSYS));
        }
}

enum child_end {
        END_X32,      /* an x32 syscall number */
        END_INT80,    /* an i386 syscall through int 0x80 */
};

static void run_child(scmp_filter_ctx ctx, int report_fd, pid_t parent, bool net_raw, enum child_end end) {
        struct child_tally res = {0};
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core); /* the SIGSYS at the end must not dump core */
        int r = seccomp_load(ctx);
        if (r < 0) {
                child_say("FAIL seccomp_load: %s\n", strerror(-r));
                _exit(3);
        }
        /* Without a listener a notification fails with ENOSYS (the kernel's
         * seccomp_do_user_notification), which tells SENTRY calls apart. */
        close(seccomp_notify_fd(ctx));
        if (end == END_X32)
                filtered_checks(&res, parent, net_raw);
        if (write(report_fd, &res, sizeof res) != sizeof res)
                _exit(4);
        if (end == END_X32) {
                syscall(0x40000000 | SYS_getpid);
        } else {
                long ret;
                __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L /* i386 getpid */) : "memory");
                (void) ret;
        }
        _exit(5); /* still alive: the parent reports it */
}

static void test_filter_in_child(bool net_raw, enum child_end end) {
        scmp_filter_ctx ctx = NULL;
        struct boundary_opts o = {.net_raw = net_raw};
        int r = sentry_boundary_filter(&o, &ctx);
        CHECK_OK(r);
        if (r < 0)
                return;
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                UNIT_FAIL_("pipe2: %s", strerror(errno));
                seccomp_release(ctx);
                return;
        }
        fflush(stdout);
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid == 0) {
                close(pipefd[0]);
                run_child(ctx, pipefd[1], parent, net_raw, end);
        }
        close(pipefd[1]);
        seccomp_release(ctx);
        CHECK(pid > 0);
        if (pid < 0) {
                close(pipefd[0]);
                return;
        }

        struct child_tally res = {0};
        struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
        if (poll(&pfd, 1, 30000) != 1) {
                UNIT_FAIL_("the filtered child did not report within 30 s (blocked on a notification?)");
                kill(pid, SIGKILL);
        } else if (read(pipefd[0], &res, sizeof res) != sizeof res) {
                UNIT_FAIL_("the filtered child died before reporting");
        }
        close(pipefd[0]);
        unit_passed_ += res.passed;
        unit_failed_ += res.failed;

        int st = 0;
        CHECK(waitpid(pid, &st, 0) == pid);
        if (end == END_INT80 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) {
                printf("skip: int 0x80 raised SIGSEGV (kernel without ia32 emulation)\n");
                return;
        }
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
                UNIT_PASS_();
        else if (WIFSIGNALED(st))
                UNIT_FAIL_("%s: child killed by signal %d, expected SIGSYS", end == END_X32 ? "x32" : "int 0x80",
                           WTERMSIG(st));
        else
                UNIT_FAIL_("%s: child exited with %d, expected SIGSYS", end == END_X32 ? "x32" : "int 0x80",
                           WEXITSTATUS(st));
}

/* ---- docs/syscalls.md ---------------------------------------------------------------------- */

static void test_doc_is_current(void) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/../../../docs/syscalls.md", unit_data_dir());
        _cleanup_fclose_ FILE *committed = fopen(path, "re");
        if (!committed) {
                UNIT_FAIL_("%s: %s", path, strerror(errno));
                return;
        }
        _cleanup_free_ char *want = NULL;
        size_t want_len = 0;
        FILE *mem = open_memstream(&want, &want_len);
        if (!mem) {
                UNIT_FAIL_("open_memstream: %s", strerror(errno));
                return;
        }
        CHECK_OK(sentry_boundary_write_doc(mem));
        fclose(mem);

        _cleanup_free_ char *have = calloc(1, want_len + 2);
        size_t have_len = have ? fread(have, 1, want_len + 1, committed) : 0;
        if (have && have_len == want_len && memcmp(have, want, want_len) == 0)
                UNIT_PASS_();
        else
                UNIT_FAIL_("docs/syscalls.md differs from the table: run `make docs` and commit it");
}

int main(void) {
        test_one_entry_per_number();
        test_names_match_libseccomp();
        test_counts();
        test_no_path_syscall_on_host();
        test_conditions();
        test_complete_for_running_kernel();
        test_filter_builds();
        test_filter_in_child(false, END_X32);
        test_filter_in_child(true, END_X32);
        test_filter_in_child(false, END_INT80);
        test_doc_is_current();
        return unit_summary();
}
