/* SPDX-License-Identifier: MIT */
/*
 * The Sentry: its dispatch table against the boundary table, its path
 * helpers and --strace lines, and the whole engine end to end.  A Gofer
 * child serves a temporary tree; a workload child enters the same tree as
 * its root (its own mount namespace, not read-only here), loads the
 * boundary filter and sends its listener to the test, which runs
 * sentry_serve on a thread while the workload makes its calls and reports
 * on a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>
#include <linux/capability.h>
#include <netinet/in.h>

#include "cleanup.h"
#include "gofer/gofer.h"
#include "log.h"
#include "sentry/boundary.h"
#include "sentry/call.h"
#include "sentry/sentry.h"
#include "sync.h"
#include "unit.h"
#include "util.h"

#define RELEASE "9.9.9-test"
#define HOSTNAME "sentry-test"
#define MEMORY_LIMIT (64ULL << 20)

/* ---- tables and helpers --------------------------------------------------------------------- */

static void test_every_sentry_call_has_a_handler(void) {
        unsigned handled = 0;
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++) {
                const struct boundary_entry *e = sentry_boundary_lookup(nr);
                const struct sentry_handler *h = sentry_handler_lookup(nr);
                bool to_sentry = e->verdict.action == BOUNDARY_SENTRY ||
                                 (e->cond && e->otherwise.action == BOUNDARY_SENTRY);
                if (to_sentry && !h)
                        UNIT_FAIL_("syscall %d (%s) reaches the Sentry but has no handler", nr, e->name);
                else if (!to_sentry && h)
                        UNIT_FAIL_("syscall %d (%s) has a handler but never reaches the Sentry", nr, e->name);
                else
                        UNIT_PASS_();
                if (h) {
                        handled++;
                        CHECK_STR_EQ(h->name, e->name);
                        CHECK(strlen(h->args) <= 6);
                }
        }
        unsigned host, sentry, denied, killed;
        sentry_boundary_counts(&host, &sentry, &denied, &killed);
        CHECK(handled >= sentry);
        CHECK(sentry_handler_lookup(-1) == NULL);
        CHECK(sentry_handler_lookup(BOUNDARY_NR_MAX + 1) == NULL);
}

static void check_join(const char *base, const char *rel, const char *want) {
        char out[PATH_MAX];
        int r = sentry_path_join(base, rel, out, sizeof out);
        CHECK_INT_EQ(r, 0);
        if (r == 0)
                CHECK_STR_EQ(out, want);
}

static void test_path_join(void) {
        check_join("/", "etc/passwd", "/etc/passwd");
        check_join("/sub", "file", "/sub/file");
        check_join("/sub", "/etc//passwd", "/etc/passwd");
        check_join("/a/b", "./c/./d", "/a/b/c/d");
        check_join("/a/b", "../c", "/a/b/../c");   /* ".." is the Gofer's */
        check_join("/a", "dir/", "/a/dir/");       /* still a directory lookup */
        check_join("/a", "dir/.", "/a/dir/.");     /* rmdir("dir/.") must stay EINVAL */
        check_join("/a", "", "/a");
        check_join("", "/", "/");
        check_join("/", ".", "/.");
        check_join("/", "//", "/");
        char small[8];
        CHECK_INT_EQ(sentry_path_join("/", "abcdefgh", small, sizeof small), -ENAMETOOLONG);
}

static void test_kernel_view(void) {
        CHECK(sentry_path_kernel_view("/proc"));
        CHECK(sentry_path_kernel_view("/proc/self/status"));
        CHECK(sentry_path_kernel_view("/sys/fs/cgroup"));
        CHECK(sentry_path_kernel_view("/dev/null"));
        CHECK(!sentry_path_kernel_view("/devices"));
        CHECK(!sentry_path_kernel_view("/procfs"));
        CHECK(!sentry_path_kernel_view("/etc/passwd"));
        CHECK(!sentry_path_kernel_view("/proc/../etc/shadow"));
        CHECK(!sentry_path_kernel_view("/dev/.."));
        CHECK(sentry_path_kernel_view("/dev/..x"));
        /* ".." out of procfs's own directories stays in procfs */
        CHECK(sentry_path_kernel_view("/proc/self/../meminfo"));
        CHECK(sentry_path_kernel_view("/proc/thread-self/../../../stat"));
        CHECK(sentry_path_kernel_view("/proc/1/task/1/.."));
        CHECK(!sentry_path_kernel_view("/proc/self/cwd/../etc"));
        CHECK(!sentry_path_kernel_view("/proc/self/fd/3/.."));
        CHECK(!sentry_path_kernel_view("/proc/self/../../etc/shadow"));
        CHECK(!sentry_path_kernel_view("/proc/meminfo/.."));
        CHECK(!sentry_path_kernel_view("/proc/self/root/../etc"));
        CHECK(!sentry_path_kernel_view("/sys/class/.."));
}

static void check_fold(const char *abs, int want_r, const char *want) {
        char out[PATH_MAX];
        int r = sentry_path_procfs_fold(abs, out, sizeof out);
        CHECK_INT_EQ(r, want_r);
        if (r == 0 && want && strcmp(out, want) != 0)
                UNIT_FAIL_("fold(%s) = %s, want %s", abs, out, want);
}

static void test_procfs_fold(void) {
        check_fold("/proc/meminfo", 0, "/proc/meminfo");
        check_fold("/proc/self/../meminfo", 0, "/proc/meminfo");
        check_fold("/proc/42/../meminfo", 0, "/proc/meminfo");
        check_fold("/proc/thread-self/../../../meminfo", 0, "/proc/meminfo");
        check_fold("/proc/thread-self/..", 0, "/proc/self/task");
        check_fold("/proc/self/task/7/../../../cpuinfo", 0, "/proc/cpuinfo");
        check_fold("/proc/self/root/proc/meminfo", 0, "/proc/meminfo");
        check_fold("/proc/1/task/1/root/etc/passwd", 0, "/etc/passwd");
        check_fold("/proc/self/root/..", 0, "/");
        check_fold("/proc/..", 0, "/");
        check_fold("/proc/../proc/stat", 0, "/proc/stat");
        check_fold("/proc/net/../meminfo", -EOPNOTSUPP, NULL); /* self/net/.. is self */
        check_fold("/proc/mounts/..", -EOPNOTSUPP, NULL);
        check_fold("/proc/self/cwd/../meminfo", -EOPNOTSUPP, NULL);
        check_fold("/proc/self/fd/3/../meminfo", -EOPNOTSUPP, NULL);
        check_fold("/proc/meminfo/../meminfo", -EOPNOTSUPP, NULL); /* ENOTDIR for the kernel */
        check_fold("/proc/self/root/etc/../proc/meminfo", -EOPNOTSUPP, NULL); /* etc may be a symlink */
        check_fold("/proc/meminfo/", 0, "/proc/meminfo/");
        check_fold("/procfs/meminfo", -EOPNOTSUPP, NULL);
        check_fold("/etc/passwd", -EOPNOTSUPP, NULL);
        char small[8];
        CHECK_INT_EQ(sentry_path_procfs_fold("/proc/meminfo", small, sizeof small), -ENAMETOOLONG);
}

static void test_strace_line(void) {
        _cleanup_fclose_ FILE *f = tmpfile();
        if (!f) {
                UNIT_FAIL_("tmpfile: %s", strerror(errno));
                return;
        }
        struct log_config lc = {.fd = fileno(f), .format = LOG_FORMAT_TEXT, .forward_fd = -1};
        log_setup(&lc);
        struct seccomp_notif req = {.pid = 42};
        req.data.nr = SYS_openat;
        req.data.args[0] = (uint64_t) (int64_t) AT_FDCWD;
        req.data.args[1] = 0x1000;
        req.data.args[2] = O_RDONLY | O_CLOEXEC;
        struct sentry_call c = {.req = &req, .strace = true};
        sentry_strace_str(&c, "/etc/passwd");
        sentry_strace_line(&c, sentry_handler_lookup(SYS_openat), 3, 25);
        req.data.nr = SYS_stat;
        struct sentry_call c2 = {.req = &req, .strace = true};
        req.data.args[0] = 0x1000;
        req.data.args[1] = 0x2000;
        sentry_strace_str(&c2, "/no\"pe");
        sentry_strace_line(&c2, sentry_handler_lookup(SYS_stat), -ENOENT, 7);
        req.data.nr = SYS_socket;
        req.data.args[0] = AF_INET;
        req.data.args[1] = SOCK_STREAM | SOCK_CLOEXEC;
        req.data.args[2] = 132;
        struct sentry_call c3 = {.req = &req, .strace = true};
        sentry_strace_line(&c3, sentry_handler_lookup(SYS_socket), SENTRY_CONTINUE, 1);
        log_setup(NULL);

        fflush(f);
        rewind(f);
        char buf[4096] = "";
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        CHECK_STR_CONTAINS(buf, "[42] openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3 <25us>");
        CHECK_STR_CONTAINS(buf, "[42] stat(\"/no\\\"pe\", 0x2000) = -1 ENOENT (No such file or directory) <7us>");
        CHECK_STR_CONTAINS(buf, "[42] socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 132) = ? continued <1us>");
}

/* ---- the workload ----------------------------------------------------------------------------- */

#define WCHECK(t, cond) CHILD_CHECK(t, "in the workload", cond)

static bool file_is(const char *path, const char *want) {
        char buf[256];
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n < 0)
                return false;
        buf[n] = 0;
        return strcmp(buf, want) == 0;
}

static void w_open(struct child_tally *t) {
        WCHECK(t, file_is("etc/passwd", "root:x:0:0\n")); /* relative to cwd "/" */
        WCHECK(t, file_is("/etc/passwd", "root:x:0:0\n"));
        _cleanup_close_ int dir = open("/sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        WCHECK(t, dir >= 0);
        _cleanup_close_ int fd = openat(dir, "file", O_RDONLY);
        WCHECK(t, fd >= 0);
        WCHECK(t, fd >= 0 && !(fcntl(fd, F_GETFD) & FD_CLOEXEC));
        _cleanup_close_ int fd2 = openat(dir, "file", O_RDONLY | O_CLOEXEC);
        WCHECK(t, fd2 >= 0 && (fcntl(fd2, F_GETFD) & FD_CLOEXEC));
        /* a descriptor that is not a directory */
        WCHECK(t, FAILS_WITH(openat(fd2, "x", O_RDONLY), ENOTDIR));
        WCHECK(t, FAILS_WITH(openat(12345, "x", O_RDONLY), EBADF));
        WCHECK(t, FAILS_WITH(open("/nope", O_RDONLY), ENOENT));
        /* openat2 with a struct from a newer libc (zero tail) */
        struct {
                struct open_how how;
                uint64_t future;
        } how2 = {{.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS}, 0};
        int fd3 = (int) syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how2, sizeof how2);
        WCHECK(t, fd3 >= 0);
        if (fd3 >= 0)
                close(fd3);
        how2.future = 1;
        WCHECK(t, FAILS_WITH(syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how2, sizeof how2), E2BIG));
        /* the kernel's view: CONTINUE, opened by the kernel in the workload's own view */
        WCHECK(t, file_is("/proc/marker", "kernel view\n"));
}

static void w_create(struct child_tally *t) {
        umask(027);
        _cleanup_close_ int fd = open("/new", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
        WCHECK(t, fd >= 0);
        WCHECK(t, write(fd, "hello", 5) == 5);
        struct stat st;
        WCHECK(t, fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0640 && st.st_size == 5);
        WCHECK(t, FAILS_WITH(open("/new", O_CREAT | O_EXCL | O_WRONLY, 0666), EEXIST));
        int c = creat("/created", 0600);
        WCHECK(t, c >= 0);
        if (c >= 0)
                close(c);
        WCHECK(t, mkdir("/d", 0777) == 0);
        WCHECK(t, stat("/d", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750);
        WCHECK(t, FAILS_WITH(mkdir("/d", 0777), EEXIST));
        WCHECK(t, rmdir("/d") == 0);
        WCHECK(t, FAILS_WITH(stat("/d", &st), ENOENT));
        WCHECK(t, mkfifo("/fifo2", 0600) == 0 && stat("/fifo2", &st) == 0 && S_ISFIFO(st.st_mode));
        /* a device node with CAP_MKNOD, as Linux (the Gofer makes it) */
        WCHECK(t, mknod("/dev-null", S_IFCHR | 0600, makedev(1, 3)) == 0);
        WCHECK(t, stat("/dev-null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
        WCHECK(t, unlink("/dev-null") == 0);
        umask(022);
}

static void w_stat(struct child_tally *t) {
        struct stat st, lst;
        WCHECK(t, stat("/new", &st) == 0 && st.st_size == 5 && S_ISREG(st.st_mode));
        WCHECK(t, symlink("etc/passwd", "/lnk") == 0);
        WCHECK(t, lstat("/lnk", &lst) == 0 && S_ISLNK(lst.st_mode));
        WCHECK(t, stat("/lnk", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 11);
        struct statx sx;
        WCHECK(t, statx(AT_FDCWD, "/etc/passwd", 0, STATX_BASIC_STATS, &sx) == 0 && sx.stx_size == 11 &&
                          (sx.stx_mask & STATX_SIZE));
        WCHECK(t, fstatat(AT_FDCWD, "lnk", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode));
        WCHECK(t, FAILS_WITH(fstatat(AT_FDCWD, "/new", &st, 0x40000000), EINVAL));
        /* glibc's fstat: newfstatat(fd, "", AT_EMPTY_PATH), CONTINUEd */
        _cleanup_close_ int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
        WCHECK(t, fstat(fd, &st) == 0 && st.st_size == 11);
        WCHECK(t, fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 && st.st_size == 11);
        WCHECK(t, FAILS_WITH(fstatat(fd, "", &st, 0), ENOENT));
        char target[64] = "";
        ssize_t n = readlink("/lnk", target, sizeof target);
        WCHECK(t, n == 10 && memcmp(target, "etc/passwd", 10) == 0);
        WCHECK(t, readlink("/lnk", target, 3) == 3);
        WCHECK(t, FAILS_WITH(readlink("/new", target, sizeof target), EINVAL));
        WCHECK(t, access("/etc/passwd", R_OK) == 0);
        WCHECK(t, FAILS_WITH(access("/nope", F_OK), ENOENT));
        WCHECK(t, faccessat(AT_FDCWD, "etc/passwd", R_OK | W_OK, AT_EACCESS) == 0);
        struct statfs sf;
        WCHECK(t, statfs("/", &sf) == 0 && sf.f_bsize > 0);
        /* bad arguments */
        char huge[5000];
        memset(huge, 'a', sizeof huge - 1);
        huge[sizeof huge - 1] = 0;
        WCHECK(t, FAILS_WITH(open(huge, O_RDONLY), ENAMETOOLONG));
        WCHECK(t, FAILS_WITH(stat(huge, &st), ENAMETOOLONG));
        WCHECK(t, FAILS_WITH(syscall(SYS_open, (char *) 1, O_RDONLY), EFAULT));
        WCHECK(t, FAILS_WITH(syscall(SYS_stat, "/etc/passwd", (void *) 8), EFAULT));
        /* a path running into an unmapped page */
        char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page != MAP_FAILED) {
                munmap(page + 4096, 4096);
                memset(page, 'b', 4096);
                /* runs into the hole within PATH_MAX bytes: EFAULT; 4096
                 * bytes without a NUL: ENAMETOOLONG, as strncpy_from_user */
                WCHECK(t, FAILS_WITH(syscall(SYS_open, page + 100, O_RDONLY), EFAULT));
                WCHECK(t, FAILS_WITH(syscall(SYS_open, page, O_RDONLY), ENAMETOOLONG));
                memcpy(page + 4096 - 12, "/etc/passwd", 12); /* ends just before the hole */
                int ok = (int) syscall(SYS_open, page + 4096 - 12, O_RDONLY | O_CLOEXEC);
                WCHECK(t, ok >= 0);
                if (ok >= 0)
                        close(ok);
                munmap(page, 4096);
        }
}

static void w_modify(struct child_tally *t) {
        struct stat st;
        WCHECK(t, rename("/new", "/renamed") == 0);
        WCHECK(t, FAILS_WITH(stat("/new", &st), ENOENT));
        WCHECK(t, stat("/renamed", &st) == 0 && st.st_size == 5);
        WCHECK(t, syscall(SYS_renameat2, AT_FDCWD, "/created", AT_FDCWD, "/renamed", RENAME_NOREPLACE) == -1 &&
                          errno == EEXIST);
        WCHECK(t, link("/renamed", "/hard") == 0);
        WCHECK(t, stat("/renamed", &st) == 0 && st.st_nlink == 2);
        WCHECK(t, unlink("/hard") == 0);
        WCHECK(t, stat("/renamed", &st) == 0 && st.st_nlink == 1);
        WCHECK(t, chmod("/renamed", 0604) == 0);
        WCHECK(t, stat("/renamed", &st) == 0 && (st.st_mode & 07777) == 0604);
        WCHECK(t, chown("/renamed", 1000, 1001) == 0);
        WCHECK(t, stat("/renamed", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001);
        WCHECK(t, lchown("/lnk", 1002, 1003) == 0);
        WCHECK(t, lstat("/lnk", &st) == 0 && st.st_uid == 1002);
        WCHECK(t, truncate("/renamed", 3) == 0);
        WCHECK(t, stat("/renamed", &st) == 0 && st.st_size == 3);
        WCHECK(t, FAILS_WITH(truncate("/renamed", -1), EINVAL));
        struct timespec ts[2] = {{1000, 0}, {2000, 500}};
        WCHECK(t, utimensat(AT_FDCWD, "/renamed", ts, 0) == 0);
        WCHECK(t, stat("/renamed", &st) == 0 && st.st_atim.tv_sec == 1000 && st.st_mtim.tv_sec == 2000 &&
                          st.st_mtim.tv_nsec == 500);
        struct timeval tv[2] = {{3000, 0}, {4000, 7}};
        WCHECK(t, utimes("/renamed", tv) == 0);
        WCHECK(t, stat("/renamed", &st) == 0 && st.st_mtim.tv_sec == 4000 && st.st_mtim.tv_nsec == 7000);
        ts[0].tv_nsec = 2000000000;
        WCHECK(t, FAILS_WITH(utimensat(AT_FDCWD, "/renamed", ts, 0), EINVAL));
        /* futimens: NULL path, CONTINUEd */
        _cleanup_close_ int fd = open("/renamed", O_WRONLY | O_CLOEXEC);
        WCHECK(t, fd >= 0 && futimens(fd, NULL) == 0);
        WCHECK(t, unlink("/created") == 0);
        WCHECK(t, FAILS_WITH(unlinkat(AT_FDCWD, "/renamed", 0x1), EINVAL));
}

static void w_xattr(struct child_tally *t) {
        int r = setxattr("/renamed", "user.k", "v1", 2, 0);
        if (r < 0 && errno == ENOTSUP) {
                child_say("# the test tree's filesystem has no user xattrs: skipped\n");
                return;
        }
        WCHECK(t, r == 0);
        char buf[64] = "";
        WCHECK(t, getxattr("/renamed", "user.k", NULL, 0) == 2);
        WCHECK(t, getxattr("/renamed", "user.k", buf, sizeof buf) == 2 && memcmp(buf, "v1", 2) == 0);
        WCHECK(t, FAILS_WITH(getxattr("/renamed", "user.k", buf, 1), ERANGE));
        ssize_t n = listxattr("/renamed", buf, sizeof buf);
        WCHECK(t, n > 0 && memmem(buf, (size_t) n, "user.k", 7) != NULL);
        WCHECK(t, FAILS_WITH(setxattr("/renamed", "user.k", "v2", 2, XATTR_CREATE), EEXIST));
        WCHECK(t, lsetxattr("/renamed", "user.k", "v2", 2, XATTR_REPLACE) == 0);
        WCHECK(t, lgetxattr("/renamed", "user.k", buf, sizeof buf) == 2 && memcmp(buf, "v2", 2) == 0);
        WCHECK(t, removexattr("/renamed", "user.k") == 0);
        WCHECK(t, FAILS_WITH(getxattr("/renamed", "user.k", buf, sizeof buf), ENODATA));
        char longname[300];
        memset(longname, 'n', sizeof longname - 1);
        longname[sizeof longname - 1] = 0;
        memcpy(longname, "user.", 5);
        WCHECK(t, FAILS_WITH(getxattr("/renamed", longname, buf, sizeof buf), ERANGE));
}

static void w_cwd(struct child_tally *t) {
        char cwd[PATH_MAX];
        WCHECK(t, chdir("/sub") == 0);
        WCHECK(t, getcwd(cwd, sizeof cwd) && strcmp(cwd, "/sub") == 0);
        WCHECK(t, file_is("file", "sub file\n"));
        WCHECK(t, file_is("../etc/passwd", "root:x:0:0\n"));
        _cleanup_close_ int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        WCHECK(t, fchdir(root) == 0);
        WCHECK(t, file_is("sub/file", "sub file\n"));
        WCHECK(t, chdir("/") == 0);
        WCHECK(t, FAILS_WITH(chroot("/sub"), EPERM));
        /* a deleted working directory */
        WCHECK(t, mkdir("/gone", 0755) == 0 && chdir("/gone") == 0 && rmdir("/gone") == 0);
        WCHECK(t, FAILS_WITH(open("x", O_CREAT | O_WRONLY, 0644), ENOENT));
        WCHECK(t, chdir("/") == 0);
}

static void w_info(struct child_tally *t) {
        struct utsname u;
        WCHECK(t, uname(&u) == 0);
        WCHECK(t, strcmp(u.release, RELEASE) == 0);
        WCHECK(t, strcmp(u.nodename, HOSTNAME) == 0);
        WCHECK(t, strcmp(u.sysname, "Linux") == 0 && strcmp(u.machine, "x86_64") == 0);
        WCHECK(t, FAILS_WITH(syscall(SYS_uname, (void *) 8), EFAULT));
        int old = personality(0xffffffff);
        WCHECK(t, personality(PER_LINUX | UNAME26) >= 0);
        WCHECK(t, uname(&u) == 0 && strcmp(u.release, "2.6.69-test") == 0);
        WCHECK(t, personality(PER_LINUX32) >= 0);
        WCHECK(t, uname(&u) == 0 && strcmp(u.machine, "i686") == 0);
        personality((unsigned long) old);
        WCHECK(t, sethostname("other", 5) == 0); /* root in the test: CAP_SYS_ADMIN */
        WCHECK(t, uname(&u) == 0 && strcmp(u.nodename, "other") == 0);
        char longname[100];
        memset(longname, 'x', sizeof longname);
        WCHECK(t, FAILS_WITH(sethostname(longname, sizeof longname), EINVAL));
        struct sysinfo si;
        WCHECK(t, sysinfo(&si) == 0 && (uint64_t) si.totalram * si.mem_unit <= MEMORY_LIMIT &&
                          (uint64_t) si.totalram * si.mem_unit > MEMORY_LIMIT / 2 && si.freeram <= si.totalram);
        struct timex tx = {0};
        WCHECK(t, adjtimex(&tx) >= 0);
        tx.modes = ADJ_FREQUENCY;
        WCHECK(t, FAILS_WITH(adjtimex(&tx), EPERM));
}

static void w_policy(struct child_tally *t) {
        WCHECK(t, FAILS_WITH(socket(AF_PACKET, SOCK_RAW, 0), EPERM));
        WCHECK(t, FAILS_WITH(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM));
        WCHECK(t, FAILS_WITH(socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP), EPROTONOSUPPORT));
        WCHECK(t, FAILS_WITH(socket(AF_VSOCK, SOCK_STREAM, 0), EAFNOSUPPORT));
        WCHECK(t, FAILS_WITH(socket(AF_INET, SOCK_STREAM | 0x1000, 0), EINVAL));
        int sv[2];
        WCHECK(t, FAILS_WITH(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP));
        WCHECK(t, FAILS_WITH(socketpair(AF_INET, SOCK_STREAM, IPPROTO_SCTP, sv), EPROTONOSUPPORT));
        WCHECK(t, FAILS_WITH(socketpair(AF_PACKET, SOCK_RAW, 0, sv), EPERM));
        WCHECK(t, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        WCHECK(t, FAILS_WITH(ioctl(sv[0], TIOCSTI, "x"), EPERM));
        WCHECK(t, FAILS_WITH(ioctl(sv[0], _IO('Z', 99), 0), ENOTTY));
        int owner = -1;
        WCHECK(t, ioctl(sv[0], FIOGETOWN, &owner) == 0);
        close(sv[0]);
        close(sv[1]);
        WCHECK(t, FAILS_WITH(personality(ADDR_NO_RANDOMIZE), EPERM));
        WCHECK(t, FAILS_WITH(unshare(CLONE_NEWNS), EPERM));
        WCHECK(t, FAILS_WITH(unshare(CLONE_NEWUSER), EPERM));
        WCHECK(t, unshare(CLONE_FS) == 0);
        WCHECK(t, FAILS_WITH(prctl(PR_SET_MM, PR_SET_MM_START_CODE, 0, 0, 0), EPERM));
        WCHECK(t, prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) >= 0);
        WCHECK(t, FAILS_WITH(prctl(1000, 0, 0, 0, 0), EINVAL));
        struct sched_param sp = {.sched_priority = 1};
        WCHECK(t, FAILS_WITH(sched_setscheduler(0, SCHED_FIFO, &sp), EPERM));
        WCHECK(t, getuid() == 0 && geteuid() == 0); /* host */
        /* denied by the filter, by the Sentry, and numbers newer than the table */
        WCHECK(t, FAILS_WITH(syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL), EPERM));
        WCHECK(t, FAILS_WITH(syscall(SYS_bpf, 0, NULL, 0), EPERM));
        WCHECK(t, FAILS_WITH(syscall(BOUNDARY_NR_MAX + 30), ENOSYS));
}

static void w_unix_socket(struct child_tally *t) {
        _cleanup_close_ int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "sub/sock");
        WCHECK(t, srv >= 0 && bind(srv, (struct sockaddr *) &a, sizeof a) == 0);
        struct stat st;
        WCHECK(t, stat("/sub/sock", &st) == 0 && S_ISSOCK(st.st_mode));
        WCHECK(t, listen(srv, 4) == 0);
        _cleanup_close_ int cli = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        snprintf(a.sun_path, sizeof a.sun_path, "/sub/sock");
        WCHECK(t, cli >= 0 && connect(cli, (struct sockaddr *) &a, sizeof a) == 0);
        _cleanup_close_ int acc = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
        char ch = 0;
        WCHECK(t, acc >= 0 && write(cli, "u", 1) == 1 && read(acc, &ch, 1) == 1 && ch == 'u');
        snprintf(a.sun_path, sizeof a.sun_path, "/sub/nosock");
        _cleanup_close_ int cli2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        WCHECK(t, FAILS_WITH(connect(cli2, (struct sockaddr *) &a, sizeof a), ENOENT));
        /* abstract names: CONTINUEd into the workload's own network namespace */
        struct sockaddr_un ab = {.sun_family = AF_UNIX};
        memcpy(ab.sun_path, "\0cocoon-test", 12);
        _cleanup_close_ int abs_srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        WCHECK(t, bind(abs_srv, (struct sockaddr *) &ab, offsetof(struct sockaddr_un, sun_path) + 12) == 0);
        WCHECK(t, FAILS_WITH(connect(12345, (struct sockaddr *) &a, sizeof a), EBADF));
        WCHECK(t, FAILS_WITH(bind(srv, (struct sockaddr *) &a, 200), EINVAL));
        unlink("/sub/sock");
}

/* Another user: a forked child with other credentials (read per call). */
static void w_other_user(struct child_tally *t) {
        pid_t pid = fork();
        if (pid == 0) {
                if (setresgid(1000, 1000, 1000) < 0 || setgroups(0, NULL) < 0 || setresuid(1000, 1000, 1000) < 0)
                        _exit(10);
                if (access("/secret", R_OK) == 0 || errno != EACCES)
                        _exit(11);
                if (open("/secret", O_RDONLY) >= 0 || errno != EACCES)
                        _exit(12);
                if (mkdir("/sub/x", 0777) == 0 || errno != EACCES)
                        _exit(13);
                /* no CAP_MKNOD: EPERM, wherever it may write */
                if (mknod("/tmp-dev", S_IFCHR | 0600, makedev(1, 3)) == 0 || errno != EPERM)
                        _exit(14);
                _exit(0);
        }
        int st = 0;
        WCHECK(t, pid > 0 && waitpid(pid, &st, 0) == pid);
        WCHECK(t, WIFEXITED(st) && WEXITSTATUS(st) == 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st))
                child_say("# other user: exit status %d\n", WEXITSTATUS(st));
}

/* The same thread drops a group: the Sentry must not answer from what it
 * cached before (cred.c invalidates on every credential setter). */
static void w_groups_change(struct child_tally *t) {
        pid_t pid = fork();
        if (pid == 0) {
                gid_t g = 1234;
                if (syscall(SYS_setgroups, 1, &g) < 0 || syscall(SYS_setresgid, 5, 5, 5) < 0)
                        _exit(10);
                /* uid 0 without the DAC overrides: only the group opens /grp */
                struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
                struct __user_cap_data_struct d[2];
                if (syscall(SYS_capget, &h, d) < 0)
                        _exit(11);
                d[0].effective &= ~((1U << CAP_DAC_OVERRIDE) | (1U << CAP_DAC_READ_SEARCH));
                if (syscall(SYS_capset, &h, d) < 0)
                        _exit(12);
                /* AT_EACCESS: access() alone would ask as the real uid 0,
                 * which gets its permitted capabilities back */
                if (faccessat(AT_FDCWD, "/grp", R_OK, AT_EACCESS) < 0)
                        _exit(13);
                if (faccessat(AT_FDCWD, "/grp", R_OK, AT_EACCESS) < 0) /* from the cache */
                        _exit(14);
                if (syscall(SYS_setgroups, 0, NULL) < 0)
                        _exit(15);
                if (faccessat(AT_FDCWD, "/grp", R_OK, AT_EACCESS) == 0 || errno != EACCES)
                        _exit(16);
                if (open("/grp", O_RDONLY) >= 0 || errno != EACCES)
                        _exit(17);
                _exit(0);
        }
        int st = 0;
        WCHECK(t, pid > 0 && waitpid(pid, &st, 0) == pid);
        WCHECK(t, WIFEXITED(st) && WEXITSTATUS(st) == 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st))
                child_say("# groups change: exit status %d\n", WEXITSTATUS(st));
}

struct fifo_reader {
        atomic_int opened;
        int fd;
        char got;
};

static void *fifo_reader_main(void *arg) {
        struct fifo_reader *r = arg;
        r->fd = open("/fifo", O_RDONLY | O_CLOEXEC);
        atomic_store(&r->opened, 1);
        if (r->fd >= 0 && read(r->fd, &r->got, 1) != 1)
                r->got = 0;
        return NULL;
}

/* One thread blocks opening a FIFO (in the Gofer); the other keeps getting answers. */
static void w_fifo_threads(struct child_tally *t) {
        struct fifo_reader r = {.fd = -1};
        pthread_t th;
        WCHECK(t, pthread_create(&th, NULL, fifo_reader_main, &r) == 0);
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
        int answered = 0;
        for (int i = 0; i < 20; i++) {
                struct stat st;
                if (stat("/etc/passwd", &st) == 0 && !atomic_load(&r.opened))
                        answered++;
        }
        WCHECK(t, answered == 20);
        int w = open("/fifo", O_WRONLY | O_CLOEXEC);
        WCHECK(t, w >= 0 && write(w, "f", 1) == 1);
        pthread_join(th, NULL);
        WCHECK(t, r.fd >= 0 && r.got == 'f');
        if (w >= 0)
                close(w);
        if (r.fd >= 0)
                close(r.fd);
}

static uint64_t mono_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static void w_timing(struct child_tally *t) {
        enum { N = 400 };
        struct stat st;
        struct utsname u;
        uint64_t t0 = mono_ns();
        for (int i = 0; i < N; i++)
                syscall(SYS_getppid);
        uint64_t t1 = mono_ns();
        uid_t ru, eu, su;
        for (int i = 0; i < N; i++)
                syscall(SYS_getresuid, &ru, &eu, &su); /* CONTINUE */
        uint64_t t2 = mono_ns();
        for (int i = 0; i < N; i++)
                uname(&u); /* answered by the Sentry */
        uint64_t t3 = mono_ns();
        for (int i = 0; i < N; i++)
                fstat(0, &st); /* newfstatat(""): CONTINUE after one read */
        uint64_t t4 = mono_ns();
        int ok = 0;
        for (int i = 0; i < N; i++)
                ok += stat("/etc/passwd", &st) == 0; /* the fast path (root with every capability) */
        uint64_t t5 = mono_ns();
        for (int i = 0; i < N; i++) {
                int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC); /* the fast path + ADDFD */
                if (fd >= 0)
                        close(fd);
        }
        uint64_t t6 = mono_ns();
        WCHECK(t, ok == N);
        child_say("TIME getppid(host) %.1f us, getresuid(continue) %.1f us, uname(sentry) %.1f us, "
            "fstat(continue) %.1f us, stat(fast path) %.1f us, open(fast path+addfd) %.1f us\n",
            (double) (t1 - t0) / N / 1000, (double) (t2 - t1) / N / 1000, (double) (t3 - t2) / N / 1000,
            (double) (t4 - t3) / N / 1000, (double) (t5 - t4) / N / 1000, (double) (t6 - t5) / N / 1000);
}

enum role {
        ROLE_FULL,        /* every check */
        ROLE_GOFER_DIES,  /* one call, READY, waits, one call after the Gofer was killed */
        ROLE_WAIT,        /* one call, READY, waits for go, exits */
        ROLE_EXEC,        /* as `cocoon exec`: sends its listener over the control socket */
};

static void role_exec(struct child_tally *t) {
        struct utsname u;
        struct stat st;
        WCHECK(t, uname(&u) == 0 && strcmp(u.nodename, HOSTNAME) == 0);
        WCHECK(t, stat("/etc/passwd", &st) == 0 && st.st_size == 11);
        WCHECK(t, file_is("sub/file", "sub file\n"));
}

/* sock: ROLE_EXEC: connected to the control socket; else the listener's way to the test */
static void workload_main(const char *root, int report_fd, int sock, int go_fd, enum role role) {
        if (dup2(report_fd, STDOUT_FILENO) < 0)
                _exit(2);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int r = gofer_enter_root(root);
        if (r < 0 || chdir("/") < 0) {
                child_say("FAIL workload: entering the tree: %s\n", strerror(-r));
                _exit(2);
        }
        scmp_filter_ctx ctx = NULL;
        r = sentry_boundary_filter(NULL, &ctx);
        if (r >= 0)
                r = seccomp_load(ctx);
        int listener = r >= 0 ? seccomp_notify_fd(ctx) : -1;
        if (r >= 0 && listener >= 0)
                r = role == ROLE_EXEC ? sentry_send_listener(sock, listener)
                                      : sync_send_fd(sock, SYNC_SECCOMP_FD, listener);
        if (r < 0 || listener < 0) {
                child_say("FAIL workload: loading the filter or sending the listener: %s\n", strerror(-r));
                _exit(3);
        }
        close(listener);
        close(sock);
        seccomp_release(ctx);

        struct child_tally t = {0};
        struct stat st;
        char go;
        switch (role) {
        case ROLE_GOFER_DIES:
                WCHECK(&t, stat("/etc/passwd", &st) == 0);
                child_say("READY\n");
                if (read(go_fd, &go, 1) != 1)
                        _exit(4);
                /* the Gofer is dead: the Sentry fails the call and stops
                 * (a call only the Gofer can do: stat may take the fast path) */
                WCHECK(&t, FAILS_WITH(mkdir("/after-the-gofer", 0755), EIO) || errno == ENOSYS);
                break;
        case ROLE_WAIT:
                WCHECK(&t, stat("/etc/passwd", &st) == 0);
                child_say("READY\n");
                if (read(go_fd, &go, 1) != 1)
                        _exit(4);
                break;
        case ROLE_EXEC:
                role_exec(&t);
                break;
        case ROLE_FULL:
                w_timing(&t); /* first: before w_info sets a persona (uname then reads /proc) */
                w_open(&t);
                w_create(&t);
                w_stat(&t);
                w_modify(&t);
                w_xattr(&t);
                w_cwd(&t);
                w_info(&t);
                w_policy(&t);
                w_unix_socket(&t);
                w_other_user(&t);
                w_groups_change(&t);
                w_fifo_threads(&t);
                break;
        }
        child_say("DONE %d %d\n", t.passed, t.failed);
        _exit(0);
}

/* ---- the test's side ------------------------------------------------------------------------- */

struct world {
        char root[PATH_MAX];
        pid_t gofer, workload;
        int gofer_ctl;
        int proc_fd;
        int listener;
        int report; /* read end */
        int go;     /* write end */
        struct sentry_stats stats;
        struct sentry_config cfg;
        int serve_result;
};

static int make_tree(const char *root) {
        char p[PATH_MAX + 64];
        int r = 0;
#define MK(fmt, call)                                                                              \
        do {                                                                                       \
                snprintf(p, sizeof p, "%s/" fmt, root);                                            \
                if (r >= 0 && (call) < 0)                                                          \
                        r = -errno;                                                                \
        } while (0)
        MK("etc", mkdir(p, 0755));
        MK("sub", mkdir(p, 0755));
        MK("proc", mkdir(p, 0755));
        MK("fifo", mkfifo(p, 0666));
        MK("etc/passwd", write_file_at(AT_FDCWD, p, "root:x:0:0\n", 11, O_CREAT | O_TRUNC));
        MK("sub/file", write_file_at(AT_FDCWD, p, "sub file\n", 9, O_CREAT | O_TRUNC));
        MK("proc/marker", write_file_at(AT_FDCWD, p, "kernel view\n", 12, O_CREAT | O_TRUNC));
        MK("secret", write_file_at(AT_FDCWD, p, "s\n", 2, O_CREAT | O_TRUNC));
        MK("secret", chmod(p, 0600));
        MK("sub", chmod(p, 0755));
        MK("grp", write_file_at(AT_FDCWD, p, "g\n", 2, O_CREAT | O_TRUNC));
        MK("grp", chown(p, 1, 1234));
        MK("grp", chmod(p, 0040));
#undef MK
        return r;
}

static void *serve_thread(void *arg) {
        struct world *w = arg;
        w->serve_result = sentry_serve(&w->cfg);
        return NULL;
}

static int start_world(struct world *w, enum role role) {
        memset(w, 0, sizeof *w);
        w->gofer = w->workload = -1;
        w->gofer_ctl = w->proc_fd = w->listener = w->report = w->go = -1;
        const char *tmp = getenv("TMPDIR");
        snprintf(w->root, sizeof w->root, "%s/cocoon-sentry.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(w->root) || chmod(w->root, 0755) < 0 || make_tree(w->root) < 0)
                return -errno;

        /* the Gofer first, so that it holds none of the workload's pipes */
        int ctl[2], lsock[2], rep[2], go[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
                return -errno;
        fflush(stdout);
        fflush(stderr);
        w->gofer = fork();
        if (w->gofer == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(ctl[0]);
                if (gofer_enter_root(w->root) < 0)
                        _exit(2);
                _exit(gofer_serve(ctl[1]) < 0 ? 3 : 0);
        }
        close(ctl[1]);
        w->gofer_ctl = ctl[0];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, lsock) < 0 || pipe2(rep, O_CLOEXEC) < 0 ||
            pipe2(go, O_CLOEXEC) < 0)
                return -errno;
        w->workload = fork();
        if (w->workload == 0) {
                close(w->gofer_ctl);
                close(rep[0]);
                close(go[1]);
                close(lsock[0]);
                workload_main(w->root, rep[1], lsock[1], go[0], role);
        }
        close(rep[1]);
        close(go[0]);
        close(lsock[1]);
        w->report = rep[0];
        w->go = go[1];
        int r = sync_expect_fd(lsock[0], SYNC_SECCOMP_FD, &w->listener);
        close(lsock[0]);
        if (r < 0)
                return r;
        w->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (w->proc_fd < 0)
                return -errno;
        w->cfg = (struct sentry_config){
                .notify_fd = w->listener,
                .gofer_ctl_fd = w->gofer_ctl,
                .control_fd = -1,
                .proc_fd = w->proc_fd,
                .release = RELEASE,
                .hostname = HOSTNAME,
                .memory_limit = MEMORY_LIMIT,
                .stats = &w->stats,
        };
        return 0;
}

/* Everything a workload said until it closed fd; FAIL lines count as
 * failures here. */
static void collect_report(int fd) {
        char buf[65536];
        size_t n = 0;
        ssize_t k;
        while (n < sizeof buf - 1 && (k = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
                n += (size_t) k;
        buf[n] = 0;
        bool done = false;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                int p, f;
                if (strncmp(line, "FAIL", 4) == 0) {
                        UNIT_FAIL_("%s", line);
                } else if (sscanf(line, "DONE %d %d", &p, &f) == 2) {
                        done = true;
                        for (int i = 0; i < p; i++)
                                UNIT_PASS_();
                } else if (strncmp(line, "TIME", 4) == 0 || line[0] == '#') {
                        fprintf(stderr, "%s\n", line);
                }
        }
        if (!done)
                UNIT_FAIL_("the workload did not finish its checks");
}

static void stop_world(struct world *w) {
        if (w->workload > 0) {
                kill(w->workload, SIGKILL);
                waitpid(w->workload, NULL, 0);
        }
        if (w->gofer_ctl >= 0)
                close(w->gofer_ctl);
        if (w->gofer > 0) {
                int st = 0;
                waitpid(w->gofer, &st, 0);
        }
        int *fds[] = {&w->proc_fd, &w->listener, &w->report, &w->go};
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (*fds[i] >= 0)
                        close(*fds[i]);
        if (w->root[0])
                (void) rm_rf_at(AT_FDCWD, w->root);
}

static void test_end_to_end(void) {
        struct world w;
        int r = start_world(&w, ROLE_FULL);
        CHECK_OK(r);
        if (r < 0) {
                stop_world(&w);
                return;
        }
        pthread_t th;
        CHECK(pthread_create(&th, NULL, serve_thread, &w) == 0);
        collect_report(w.report); /* until the workload (and its children) closed the pipe */
        int st = 0;
        CHECK(waitpid(w.workload, &st, 0) == w.workload && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        w.workload = -1;
        /* the listener has no process left: sentry_serve returns */
        pthread_join(th, NULL);
        CHECK_INT_EQ(w.serve_result, 0);
        CHECK(w.stats.notifications > 100);
        CHECK(w.stats.continued > 0);
        CHECK(w.stats.gofer_calls > 0);
        CHECK(w.stats.fast_path > 0);
        CHECK(w.stats.fds_installed > 0);
        CHECK(w.stats.workers_peak >= 3); /* the FIFO open made it grow */
        fprintf(stderr, "# sentry: %" PRIu64 " notifications, %" PRIu64 " continued, %" PRIu64
                        " Gofer calls, %" PRIu64 " on the fast path, %" PRIu64 " fds, %u workers at most, %u started\n",
                w.stats.notifications, w.stats.continued, w.stats.gofer_calls, w.stats.fast_path, w.stats.fds_installed,
                w.stats.workers_peak, w.stats.workers_started);
        stop_world(&w);
}

static void test_gofer_dies(void) {
        struct world w;
        int r = start_world(&w, ROLE_GOFER_DIES);
        CHECK_OK(r);
        if (r < 0) {
                stop_world(&w);
                return;
        }
        pthread_t th;
        CHECK(pthread_create(&th, NULL, serve_thread, &w) == 0);
        char line[64] = "";
        ssize_t n = read(w.report, line, sizeof line - 1);
        CHECK(n > 0 && strstr(line, "READY"));
        kill(w.gofer, SIGKILL);
        waitpid(w.gofer, NULL, 0);
        w.gofer = -1;
        struct unit_capture cap;
        unit_capture_begin(&cap);
        CHECK(write(w.go, "g", 1) == 1);
        pthread_join(th, NULL);
        _cleanup_free_ char *err = unit_capture_end(&cap);
        if (w.serve_result != -EPIPE && w.serve_result != -ECONNRESET)
                UNIT_FAIL_("sentry_serve returned %d, not the Gofer's loss (%s)", w.serve_result, err);
        else
                UNIT_PASS_();
        CHECK_STR_CONTAINS(err, "lost the connection to the Gofer");
        stop_world(&w);
}

/* A second process sends its listener over the control socket, as `cocoon
 * exec` does; the Sentry serves both and returns when both are gone.  With
 * --strace on, each call leaves its line. */
static void test_exec_listener(void) {
        struct world w;
        int r = start_world(&w, ROLE_WAIT);
        CHECK_OK(r);
        _cleanup_close_ int ctl = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int alen = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "cocoon-sentry-test-%d", getpid()) + 1;
        socklen_t len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + (size_t) alen);
        if (r < 0 || ctl < 0 || bind(ctl, (struct sockaddr *) &a, len) < 0 || listen(ctl, 4) < 0) {
                UNIT_FAIL_("set-up: %s", strerror(r < 0 ? -r : errno));
                stop_world(&w);
                return;
        }
        _cleanup_fclose_ FILE *log = tmpfile();
        struct log_config lc = {.fd = log ? fileno(log) : -1, .format = LOG_FORMAT_TEXT, .forward_fd = -1};
        log_setup(&lc);
        w.cfg.control_fd = ctl;
        w.cfg.strace = true;
        pthread_t th;
        CHECK(pthread_create(&th, NULL, serve_thread, &w) == 0);
        char line[16] = "";
        CHECK(read(w.report, line, 6) == 6 && strncmp(line, "READY", 5) == 0);

        /* not a listener: refused, and the sender hears it */
        int notlistener[2];
        _cleanup_close_ int bad = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        CHECK(pipe2(notlistener, O_CLOEXEC) == 0);
        CHECK(bad >= 0 && connect(bad, (struct sockaddr *) &a, len) == 0);
        struct unit_capture cap;
        unit_capture_begin(&cap);
        r = sentry_send_listener(bad, notlistener[0]);
        _cleanup_free_ char *err = unit_capture_end(&cap);
        CHECK_INT_EQ(r, -EINVAL);
        CHECK_STR_CONTAINS(err, "the Sentry cannot serve the listener");
        close(notlistener[0]);
        close(notlistener[1]);

        int rep[2];
        CHECK(pipe2(rep, O_CLOEXEC) == 0);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                close(rep[0]);
                int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
                if (sock < 0 || connect(sock, (struct sockaddr *) &a, len) < 0)
                        _exit(5);
                workload_main(w.root, rep[1], sock, -1, ROLE_EXEC);
        }
        close(rep[1]);
        collect_report(rep[0]);
        close(rep[0]);
        int st = 0;
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);

        CHECK(write(w.go, "g", 1) == 1);
        collect_report(w.report);
        CHECK(waitpid(w.workload, &st, 0) == w.workload && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        w.workload = -1;
        pthread_join(th, NULL);
        log_setup(NULL);
        CHECK_INT_EQ(w.serve_result, 0);
        CHECK_INT_EQ(w.stats.listeners, 2);

        char buf[16384] = "";
        if (log) {
                fflush(log);
                rewind(log);
                size_t n = fread(buf, 1, sizeof buf - 1, log);
                buf[n] = 0;
        }
        char want[128];
        snprintf(want, sizeof want, "[%d] uname(", pid);
        CHECK_STR_CONTAINS(buf, want);
        CHECK_STR_CONTAINS(buf, "newfstatat(AT_FDCWD, \"/etc/passwd\", 0x");
        CHECK_STR_CONTAINS(buf, "openat(AT_FDCWD, \"sub/file\", O_RDONLY|O_CLOEXEC) = ");
        stop_world(&w);
}

int main(void) {
        test_every_sentry_call_has_a_handler();
        test_path_join();
        test_kernel_view();
        test_procfs_fold();
        test_strace_line();
        if (geteuid() != 0) {
                printf("# not root: the end-to-end tests need mount namespaces; skipped\n");
                return unit_summary();
        }
        test_end_to_end();
        test_gofer_dies();
        test_exec_listener();
        return unit_summary();
}
