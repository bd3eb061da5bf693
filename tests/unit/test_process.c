/* SPDX-License-Identifier: MIT */
/*
 * process.c, caps.c and terminal.c.  Everything that changes process state
 * (credentials, limits, mounts, sessions) runs in a forked child, so the
 * test process itself and the host are left as they were: the terminal
 * test mounts its own devpts over /dev only inside a private mount
 * namespace.  Tests that need root print "skip" (and count as passed)
 * without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/magic.h>

#include "cleanup.h"
#include "linux/caps.h"
#include "linux/process.h"
#include "linux/terminal.h"
#include "log.h"
#include "log_capture.h"
#include "sync.h"

static int n_passed, n_failed;
static int report_fd = STDERR_FILENO; /* where failed checks are described */

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        dprintf(report_fd, "    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
                        return 1;                                                                  \
                }                                                                                  \
        } while (0)

#define CHECK_STR(a, b)                                                                            \
        do {                                                                                       \
                const char *_a = (a), *_b = (b);                                                   \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                           \
                        dprintf(report_fd, "    %s:%d: \"%s\" != \"%s\" (%s)\n", __FILE__, __LINE__, \
                                _a ? _a : "(null)", _b ? _b : "(null)", #a);                       \
                        return 1;                                                                  \
                }                                                                                  \
        } while (0)

#define RUN(fn)                                                                                    \
        do {                                                                                       \
                fflush(NULL);                                                                      \
                int _r = fn();                                                                     \
                printf("%s %s\n", _r == 0 ? "ok  " : _r == SKIP ? "skip" : "FAIL", #fn);           \
                if (_r == 0 || _r == SKIP)                                                         \
                        n_passed++;                                                                \
                else                                                                               \
                        n_failed++;                                                                \
        } while (0)

#define BIT(n) (UINT64_C(1) << (n))

/* A test that cannot run here (no root, no suitable filesystem); counted as passed. */
#define SKIP 77

static bool is_root(void) {
        return geteuid() == 0;
}

/* Run fn in a forked child; 0 when it returned 0 and exited normally.
 * _exit: the child must not run the sanitizers' exit-time leak scan after
 * it has dropped the privileges that scan needs. */
static int in_child(int (*fn)(void *), void *arg) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                _exit(fn(arg) == 0 ? 0 : 1);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (WIFSIGNALED(st)) {
                dprintf(report_fd, "    child killed by signal %d\n", WTERMSIG(st));
                return 1;
        }
        return WEXITSTATUS(st);
}

/* One line of /proc/self/status, value only ("Uid" -> "1000\t1000\t..."). */
static int status_field(const char *text, const char *field, char *out, size_t len) {
        size_t fl = strlen(field);
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (strncmp(l, field, fl) == 0 && l[fl] == ':') {
                        const char *v = l + fl + 1;
                        while (*v == '\t' || *v == ' ')
                                v++;
                        size_t n = strcspn(v, "\n");
                        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                                n--; /* "Groups:\t10 20 " has a trailing space */
                        snprintf(out, len, "%.*s", (int) n, v);
                        return 0;
                }
        }
        out[0] = 0;
        return -ENOENT;
}

static int read_all(int fd, char *buf, size_t len) {
        size_t off = 0;
        for (;;) {
                ssize_t n = read(fd, buf + off, len - 1 - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                off += (size_t) n;
                if (off == len - 1)
                        break;
        }
        buf[off] = 0;
        return (int) off;
}

static int read_self_status(char *buf, size_t len) {
        int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        read_all(fd, buf, len);
        close(fd);
        return 0;
}

static int self_field(const char *field, char *out, size_t len) {
        char status[8192];
        if (read_self_status(status, sizeof status) < 0)
                return -1;
        return status_field(status, field, out, len);
}

/* ---- process_find_executable ------------------------------------------ */

static char tmpdir[64];

static int make_file(const char *name, mode_t mode) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", tmpdir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        close(fd);
        return chmod(p, mode) < 0 ? -errno : 0;
}

static int find(const char *arg0, char *const *env, char **ret, char *msg, size_t msglen) {
        struct capture c;
        if (capture_begin(&c) < 0)
                return -EIO;
        *ret = NULL;
        int r = process_find_executable(arg0, env, ret);
        snprintf(msg, msglen, "%s", capture_end(&c));
        return r;
}

static int test_find_executable(void) {
        char path_env[128], exe[128], noexec[128], buf[256], msg[LOG_FORWARD_MAX];
        _cleanup_free_ char *ret = NULL;
        snprintf(path_env, sizeof path_env, "PATH=/nonexistent::%s/", tmpdir);
        snprintf(exe, sizeof exe, "%s/exe", tmpdir);
        snprintf(noexec, sizeof noexec, "%s/noexec", tmpdir);
        char *env[] = {"HOME=/", "PATH=/also-nonexistent", path_env, NULL};

        CHECK(make_file("exe", 0755) == 0);
        CHECK(make_file("noexec", 0644) == 0);
        snprintf(buf, sizeof buf, "%s/sub", tmpdir);
        CHECK(mkdir(buf, 0755) == 0);

        /* Found through PATH; the last PATH in env wins, the trailing '/' of
         * the entry is not doubled, and the empty entry (the cwd) has no "exe". */
        CHECK(find("exe", env, &ret, msg, sizeof msg) == 0);
        CHECK_STR(ret, exe);
        CHECK_STR(msg, "");
        free(TAKE_PTR(ret));

        /* Non-executable and directory entries do not count as found. */
        CHECK(find("noexec", env, &ret, msg, sizeof msg) == -ENOENT);
        CHECK(ret == NULL);
        CHECK_STR(msg, "exec: \"noexec\": executable file not found in $PATH");
        CHECK(find("sub", env, &ret, msg, sizeof msg) == -ENOENT);
        CHECK(find("missing", env, &ret, msg, sizeof msg) == -ENOENT);
        CHECK_STR(msg, "exec: \"missing\": executable file not found in $PATH");
        CHECK(find("", env, &ret, msg, sizeof msg) == -ENOENT);

        /* With a slash: used as is, or the error says why. */
        CHECK(find(exe, env, &ret, msg, sizeof msg) == 0);
        CHECK_STR(ret, exe);
        free(TAKE_PTR(ret));
        CHECK(find("/bin/nope", env, &ret, msg, sizeof msg) == -ENOENT);
        CHECK_STR(msg, "exec: \"/bin/nope\": stat /bin/nope: no such file or directory");
        CHECK(find(noexec, env, &ret, msg, sizeof msg) == -EACCES);
        snprintf(buf, sizeof buf, "exec: \"%s\": permission denied", noexec);
        CHECK_STR(msg, buf);
        snprintf(buf, sizeof buf, "%s/sub", tmpdir);
        CHECK(find(buf, env, &ret, msg, sizeof msg) == -EACCES);

        /* No PATH in env: runc's default list. */
        char *noenv[] = {"HOME=/", NULL};
        CHECK(find("sh", noenv, &ret, msg, sizeof msg) == 0);
        CHECK(ret && ret[0] == '/' && strstr(ret, "/sh"));
        free(TAKE_PTR(ret));
        CHECK(find("sh", NULL, &ret, msg, sizeof msg) == 0);
        free(TAKE_PTR(ret));

        /* A hit through a relative entry is refused, as Go >= 1.19 does. */
        char *relenv[] = {"PATH=.", NULL};
        char cwd[256];
        CHECK(getcwd(cwd, sizeof cwd));
        CHECK(chdir(tmpdir) == 0);
        int r = find("exe", relenv, &ret, msg, sizeof msg);
        CHECK(chdir(cwd) == 0);
        CHECK(r == -EACCES);
        CHECK_STR(msg, "exec: \"exe\": cannot run executable found relative to current directory");
        return 0;
}

static int test_chdir(void) {
        struct capture c;
        struct oci_process p = {.cwd = "/nope"};
        CHECK(capture_begin(&c) == 0);
        int r = process_chdir(&p);
        CHECK(r == -ENOENT);
        CHECK_STR(capture_end(&c), "chdir to cwd (\"/nope\") set in config.json failed: No such file or directory");
        return 0;
}

/* ---- rlimits, oom_score_adj, no_new_privs ------------------------------ */

static rlim_t cap_at_hard(int resource, rlim_t v) {
        struct rlimit rl;
        getrlimit((__rlimit_resource_t) resource, &rl);
        return v < rl.rlim_max ? v : rl.rlim_max;
}

static int child_rlimits(void *arg) {
        (void) arg;
        /* Only lower limits: raising a hard limit needs CAP_SYS_RESOURCE,
         * which the test environment may lack. */
        rlim_t nofile_soft = cap_at_hard(RLIMIT_NOFILE, 100), nofile_hard = cap_at_hard(RLIMIT_NOFILE, 200);
        rlim_t cpu_hard = cap_at_hard(RLIMIT_CPU, 7200);
        struct oci_rlimit l[] = {
                {.resource = RLIMIT_NOFILE, .soft = nofile_soft, .hard = nofile_hard},
                {.resource = RLIMIT_CORE, .soft = 0, .hard = 0},
                {.resource = RLIMIT_CPU, .soft = cpu_hard / 2, .hard = cpu_hard},
        };
        struct oci_process p = {.rlimits = l, .n_rlimits = ELEMENTSOF(l)};
        CHECK(process_apply_rlimits(&p) == 0);
        struct rlimit rl;
        CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
        CHECK(rl.rlim_cur == nofile_soft && rl.rlim_max == nofile_hard);
        CHECK(getrlimit(RLIMIT_CORE, &rl) == 0);
        CHECK(rl.rlim_cur == 0 && rl.rlim_max == 0);
        CHECK(getrlimit(RLIMIT_CPU, &rl) == 0);
        CHECK(rl.rlim_cur == cpu_hard / 2 && rl.rlim_max == cpu_hard);

        /* soft > hard: the error names the limit. */
        struct oci_rlimit bad = {.resource = RLIMIT_NOFILE, .soft = 50, .hard = 10};
        struct oci_process q = {.rlimits = &bad, .n_rlimits = 1};
        struct capture c;
        CHECK(capture_begin(&c) == 0);
        CHECK(process_apply_rlimits(&q) == -EINVAL);
        CHECK(strstr(capture_end(&c), "RLIMIT_NOFILE"));
        return 0;
}

static int test_rlimits(void) {
        return in_child(child_rlimits, NULL);
}

static int child_oom(void *arg) {
        (void) arg;
        struct oci_process p = {.has_oom_score_adj = false, .oom_score_adj = 999};
        char buf[32];
        CHECK(process_set_oom_score_adj(&p) == 0);
        p.has_oom_score_adj = true;
        p.oom_score_adj = 500;
        CHECK(process_set_oom_score_adj(&p) == 0);
        int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        read_all(fd, buf, sizeof buf);
        close(fd);
        CHECK_STR(buf, "500\n");
        return 0;
}

static int test_oom_score_adj(void) {
        return in_child(child_oom, NULL);
}

static int child_nnp(void *arg) {
        (void) arg;
        char v[32];
        struct oci_process p = {0};
        CHECK(process_apply_no_new_privs(&p) == 0);
        CHECK(self_field("NoNewPrivs", v, sizeof v) == 0);
        CHECK_STR(v, "0");
        p.no_new_privileges = true;
        CHECK(process_apply_no_new_privs(&p) == 0);
        CHECK(self_field("NoNewPrivs", v, sizeof v) == 0);
        CHECK_STR(v, "1");
        return 0;
}

static int test_no_new_privs(void) {
        return in_child(child_nnp, NULL);
}

/* ---- identity ---------------------------------------------------------- */

static const char *hex(uint64_t v, char *buf) {
        sprintf(buf, "%016llx", (unsigned long long) v);
        return buf;
}

#define CHECK_CAP(status, field, want)                                                             \
        do {                                                                                       \
                char _v[64], _h[20];                                                               \
                CHECK(status_field(status, field, _v, sizeof _v) == 0);                            \
                CHECK_STR(_v, hex(want, _h));                                                      \
        } while (0)

static int child_identity(void *arg) {
        (void) arg;
        uint32_t groups[] = {10, 20};
        struct oci_process p = {
                .user = {.uid = 1000, .gid = 1000, .additional_gids = groups, .n_additional_gids = 2,
                         .has_umask = true, .umask = 027},
                .has_caps = true,
                .caps = {.bounding = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL),
                         .effective = BIT(CAP_KILL),
                         .permitted = BIT(CAP_KILL)},
        };
        CHECK(process_apply_identity(&p) == 0);
        char s[8192], v[128];
        CHECK(read_self_status(s, sizeof s) == 0);
        CHECK(status_field(s, "Uid", v, sizeof v) == 0);
        CHECK_STR(v, "1000\t1000\t1000\t1000");
        CHECK(status_field(s, "Gid", v, sizeof v) == 0);
        CHECK_STR(v, "1000\t1000\t1000\t1000");
        CHECK(status_field(s, "Groups", v, sizeof v) == 0);
        CHECK_STR(v, "10 20");
        CHECK(status_field(s, "Umask", v, sizeof v) == 0);
        CHECK_STR(v, "0027");
        CHECK_CAP(s, "CapBnd", BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL));
        CHECK_CAP(s, "CapEff", BIT(CAP_KILL));
        CHECK_CAP(s, "CapPrm", BIT(CAP_KILL));
        CHECK_CAP(s, "CapInh", 0);
        CHECK_CAP(s, "CapAmb", 0);
        /* keep-caps must not leak into the workload */
        CHECK(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0);
        return 0;
}

static int test_identity(void) {
        if (!is_root())
                return SKIP;
        return in_child(child_identity, NULL);
}

/* No capabilities object at all: root keeps its uid but nothing else, and
 * caps the kernel does not know are ignored.  Umask defaults to 0022. */
static int child_identity_root_nocaps(void *arg) {
        (void) arg;
        umask(0);
        struct oci_process p = {.has_caps = false, .caps = {.bounding = ~UINT64_C(0)}};
        CHECK(process_apply_identity(&p) == 0);
        char s[8192], v[128];
        CHECK(read_self_status(s, sizeof s) == 0);
        CHECK(status_field(s, "Uid", v, sizeof v) == 0);
        CHECK_STR(v, "0\t0\t0\t0");
        CHECK(status_field(s, "Groups", v, sizeof v) == 0);
        CHECK_STR(v, "");
        CHECK(status_field(s, "Umask", v, sizeof v) == 0);
        CHECK_STR(v, "0022");
        CHECK_CAP(s, "CapBnd", 0);
        CHECK_CAP(s, "CapEff", 0);
        CHECK_CAP(s, "CapPrm", 0);
        return 0;
}

static int child_identity_unknown_caps(void *arg) {
        (void) arg;
        struct oci_process p = {
                .has_caps = true,
                .caps = {.bounding = BIT(63) | BIT(CAP_KILL), .effective = BIT(63) | BIT(CAP_KILL),
                         .permitted = BIT(63) | BIT(CAP_KILL)},
        };
        CHECK(process_apply_identity(&p) == 0);
        char s[8192];
        CHECK(read_self_status(s, sizeof s) == 0);
        CHECK_CAP(s, "CapBnd", BIT(CAP_KILL));
        CHECK_CAP(s, "CapEff", BIT(CAP_KILL));
        return 0;
}

static int test_identity_root_nocaps(void) {
        if (!is_root())
                return SKIP;
        CHECK(caps_last_cap() >= CAP_KILL && caps_last_cap() < 63);
        CHECK(in_child(child_identity_root_nocaps, NULL) == 0);
        return in_child(child_identity_unknown_caps, NULL);
}

/* What the workload ends up with is decided at execve: check it there.  The
 * child applies the identity and execs cat on its own status. */
struct exec_status_arg {
        const struct oci_process *p;
        int out;
};

static int child_exec_status(void *arg) {
        struct exec_status_arg *a = arg;
        if (process_apply_identity(a->p) < 0)
                return 1;
        if (dup2(a->out, STDOUT_FILENO) < 0)
                return 1;
        execl("/bin/cat", "cat", "/proc/self/status", (char *) NULL);
        return 1;
}

static int exec_status(const struct oci_process *p, char *buf, size_t len) {
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        struct exec_status_arg a = {.p = p, .out = pfd[1]};
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
                _exit(child_exec_status(&a));
        close(pfd[1]);
        read_all(pfd[0], buf, len);
        close(pfd[0]);
        int st;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int test_identity_ambient_exec(void) {
        if (!is_root())
                return SKIP;
        char s[8192];
        struct oci_process p = {
                .user = {.uid = 1000, .gid = 1000},
                .has_caps = true,
                .caps = {.bounding = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL),
                         .effective = BIT(CAP_KILL),
                         .permitted = BIT(CAP_KILL),
                         .inheritable = BIT(CAP_KILL),
                         .ambient = BIT(CAP_KILL)},
        };
        /* Ambient: the cap survives execve of a plain binary as non-root. */
        CHECK(exec_status(&p, s, sizeof s) == 0);
        CHECK_CAP(s, "CapAmb", BIT(CAP_KILL));
        CHECK_CAP(s, "CapEff", BIT(CAP_KILL));
        CHECK_CAP(s, "CapPrm", BIT(CAP_KILL));
        CHECK_CAP(s, "CapInh", BIT(CAP_KILL));
        CHECK_CAP(s, "CapBnd", BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL));

        /* Without ambient, a non-root workload loses it at execve (as under runc). */
        p.caps.ambient = 0;
        CHECK(exec_status(&p, s, sizeof s) == 0);
        CHECK_CAP(s, "CapEff", 0);
        CHECK_CAP(s, "CapPrm", 0);
        CHECK_CAP(s, "CapInh", BIT(CAP_KILL));
        return 0;
}

static int child_identity_bad_ambient(void *arg) {
        (void) arg;
        struct oci_process p = {
                .user = {.uid = 1000, .gid = 1000},
                .has_caps = true,
                .caps = {.bounding = BIT(CAP_KILL), .effective = BIT(CAP_KILL), .permitted = BIT(CAP_KILL),
                         .ambient = BIT(CAP_KILL)},
        };
        /* runc's default spec asks for ambient caps without inheritable ones;
         * like runc we skip them rather than refuse the container. */
        CHECK(process_apply_identity(&p) == 0);
        CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) == 0);
        return 0;
}

static int child_identity_bad_effective(void *arg) {
        (void) arg;
        struct oci_process p = {
                .has_caps = true,
                .caps = {.bounding = BIT(CAP_KILL) | BIT(CAP_CHOWN), .effective = BIT(CAP_CHOWN),
                         .permitted = BIT(CAP_KILL)},
        };
        struct capture c;
        CHECK(capture_begin(&c) == 0);
        CHECK(process_apply_identity(&p) == -EPERM);
        CHECK_STR(capture_end(&c), "capability CAP_CHOWN is in the effective set but not in the permitted set: "
                                   "Operation not permitted");
        return 0;
}

static int test_identity_errors(void) {
        if (!is_root())
                return SKIP;
        CHECK(in_child(child_identity_bad_ambient, NULL) == 0);
        return in_child(child_identity_bad_effective, NULL);
}

/* In a user namespace whose setgroups is "deny", an empty group list is
 * not an error, a non-empty one is. */
static int write_proc(const char *path, const char *s) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, s, strlen(s));
        int err = n < 0 ? -errno : 0;
        close(fd);
        return err;
}

static int child_userns(void *arg) {
        (void) arg;
        /* Ids as seen from the parent namespace: only those may be mapped. */
        uid_t uid = geteuid();
        gid_t gid = getegid();
        CHECK(unshare(CLONE_NEWUSER) == 0);
        CHECK(write_proc("/proc/self/setgroups", "deny") == 0);
        char map[32];
        snprintf(map, sizeof map, "0 %u 1", (unsigned) uid);
        CHECK(write_proc("/proc/self/uid_map", map) == 0);
        snprintf(map, sizeof map, "0 %u 1", (unsigned) gid);
        CHECK(write_proc("/proc/self/gid_map", map) == 0);

        uint32_t groups[] = {0};
        struct oci_process p = {.user = {.additional_gids = groups, .n_additional_gids = 1}};
        struct capture c;
        CHECK(capture_begin(&c) == 0);
        CHECK(process_apply_identity(&p) == -EPERM);
        CHECK(strstr(capture_end(&c), "setgroups is denied"));

        p.user.n_additional_gids = 0;
        p.has_caps = true;
        p.caps = (struct oci_caps){.bounding = BIT(CAP_KILL), .effective = BIT(CAP_KILL),
                                   .permitted = BIT(CAP_KILL)};
        CHECK(process_apply_identity(&p) == 0);
        char s[8192];
        CHECK(read_self_status(s, sizeof s) == 0);
        CHECK_CAP(s, "CapEff", BIT(CAP_KILL));
        return 0;
}

static int test_identity_userns(void) {
        if (!is_root())
                return SKIP;
        return in_child(child_userns, NULL);
}

/* ---- process_close_fds_from -------------------------------------------- */

static int child_close_fds(void *arg) {
        (void) arg;
        int null = open("/dev/null", O_RDONLY);
        CHECK(null >= 0);
        for (int fd = 20; fd <= 24; fd++)
                CHECK(dup2(null, fd) == fd);
        CHECK(dup2(null, 1000) == 1000);
        CHECK(process_close_fds_from(22) == 0);
        CHECK(fcntl(20, F_GETFD) == 0);
        CHECK(fcntl(21, F_GETFD) == 0);
        CHECK(fcntl(22, F_GETFD) == FD_CLOEXEC);
        CHECK(fcntl(24, F_GETFD) == FD_CLOEXEC);
        CHECK(fcntl(1000, F_GETFD) == FD_CLOEXEC);
        CHECK(fcntl(0, F_GETFD) == 0);
        struct capture c;
        CHECK(capture_begin(&c) == 0);
        CHECK(process_close_fds_from(-1) == -EINVAL);
        capture_end(&c);
        return 0;
}

static int test_close_fds_from(void) {
        return in_child(child_close_fds, NULL);
}

/* ---- fd_send / fd_recv ------------------------------------------------- */

static int count_fds(void) {
        int n = 0;
        for (int fd = 0; fd < 1024; fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                        n++;
        return n;
}

static int roundtrip(int type, const char *name) {
        int sv[2], pfd[2];
        CHECK(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == 0);
        CHECK(pipe2(pfd, O_CLOEXEC) == 0);
        CHECK(fd_send(sv[0], pfd[1], name) == 0);
        int got = -1;
        CHECK(fd_recv(sv[1], &got) == 0);
        CHECK(got >= 0 && got != pfd[1]);
        CHECK(fcntl(got, F_GETFD) == FD_CLOEXEC);
        CHECK(write(got, "x", 1) == 1);
        char c = 0;
        CHECK(read(pfd[0], &c, 1) == 1 && c == 'x');
        close(got);
        close(pfd[0]);
        close(pfd[1]);
        close(sv[0]);
        close(sv[1]);
        return 0;
}

static int test_fd_passing(void) {
        int before = count_fds();
        CHECK(roundtrip(SOCK_STREAM, "/dev/pts/7") == 0);
        CHECK(roundtrip(SOCK_SEQPACKET, "/dev/pts/7") == 0);
        CHECK(roundtrip(SOCK_STREAM, "") == 0);
        CHECK(roundtrip(SOCK_STREAM, NULL) == 0);

        static char longname[4097];
        memset(longname, 'a', 4095);
        longname[4095] = 0;
        CHECK(roundtrip(SOCK_STREAM, longname) == 0);
        CHECK(roundtrip(SOCK_DGRAM, longname) == 0);

        struct capture c;
        int sv[2];
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        memset(longname, 'a', 4096);
        CHECK(capture_begin(&c) == 0);
        CHECK(fd_send(sv[0], 0, longname) == -ENAMETOOLONG);
        capture_end(&c);

        /* Two fds in one message: refused, and neither leaks. */
        int two[2] = {0, 1};
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof two)];
        } ctl;
        memset(&ctl, 0, sizeof ctl);
        struct iovec iov = {.iov_base = "x", .iov_len = 1};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                           .msg_controllen = sizeof ctl.buf};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof two);
        memcpy(CMSG_DATA(cm), two, sizeof two);
        CHECK(sendmsg(sv[0], &m, 0) == 1);
        int got = -1;
        CHECK(capture_begin(&c) == 0);
        CHECK(fd_recv(sv[1], &got) == -EPROTO);
        CHECK(strstr(capture_end(&c), "expected 1 fd, got 2"));

        /* Payload without an fd. */
        CHECK(write(sv[0], "y", 1) == 1);
        CHECK(capture_begin(&c) == 0);
        CHECK(fd_recv(sv[1], &got) == -EPROTO);
        capture_end(&c);

        /* Peer gone: -EPIPE, and quietly (run/exec ask for a master that may never come). */
        close(sv[0]);
        CHECK(capture_begin(&c) == 0);
        CHECK(fd_recv(sv[1], &got) == -EPIPE);
        CHECK(strcmp(capture_end(&c), "") == 0);
        close(sv[1]);
        CHECK(count_fds() == before);
        return 0;
}

/* ---- terminal_setup ---------------------------------------------------- */

struct term_arg {
        int sock;
        int err;        /* a dup of the test's stderr: stdio becomes the pty */
        bool tmpfs_dev; /* /dev is a tmpfs (console created) or a plain dir (not) */
        bool close_stdio; /* start with 0-2 closed: the pty fds land there */
        char devdir[128];
};

static int child_terminal(void *arg) {
        struct term_arg *a = arg;
        report_fd = a->err;

        /* Everything below stays in this child's own mount namespace. */
        CHECK(unshare(CLONE_NEWNS) == 0);
        CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
        if (a->tmpfs_dev)
                CHECK(mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=0755") == 0);
        else
                CHECK(mount(a->devdir, "/dev", NULL, MS_BIND, NULL) == 0);
        CHECK(mkdir("/dev/pts", 0755) == 0 || errno == EEXIST);
        CHECK(mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                    "newinstance,ptmxmode=0666,mode=0620,gid=5") == 0);
        CHECK(symlink("pts/ptmx", "/dev/ptmx") == 0);

        if (a->close_stdio)
                for (int fd = 0; fd <= 2; fd++)
                        close(fd);
        CHECK(terminal_setup(a->sock, 1000, (gid_t) -1, 24, 80, true) == 0);
        close(a->sock);

        for (int fd = 0; fd <= 2; fd++) {
                CHECK(isatty(fd));
                CHECK(fcntl(fd, F_GETFD) == 0);
        }
        CHECK_STR(ttyname(0), "/dev/pts/0");
        CHECK(tcgetsid(0) == getpid());
        CHECK(getsid(0) == getpid());
        struct stat st, con;
        CHECK(fstat(0, &st) == 0);
        CHECK(st.st_uid == 1000 && st.st_gid == 5);
        if (a->tmpfs_dev) {
                CHECK(stat("/dev/console", &con) == 0);
                CHECK(S_ISCHR(con.st_mode) && con.st_rdev == st.st_rdev);
        } else
                CHECK(stat("/dev/console", &con) < 0 && errno == ENOENT);
        struct winsize ws;
        CHECK(ioctl(0, TIOCGWINSZ, &ws) == 0);
        CHECK(ws.ws_row == 24 && ws.ws_col == 80);
        CHECK(write(1, "hello-from-pty\n", 15) == 15);
        return 0;
}

static int run_terminal(bool tmpfs_dev, const char *devdir, bool close_stdio) {
        struct term_arg a = {.tmpfs_dev = tmpfs_dev, .close_stdio = close_stdio};
        snprintf(a.devdir, sizeof a.devdir, "%s", devdir ? devdir : "");
        int sv[2];
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        a.sock = sv[1];
        a.err = dup(STDERR_FILENO);
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
                _exit(child_terminal(&a) == 0 ? 0 : 1);
        close(sv[1]);
        close(a.err);

        int master = -1, r = fd_recv(sv[0], &master);
        close(sv[0]);
        char out[256] = "";
        if (r == 0) {
                /* Until the child exits (EIO on the master when the last
                 * slave closes). */
                read_all(master, out, sizeof out);
                close(master);
        }
        int st;
        waitpid(pid, &st, 0);
        if (WIFSIGNALED(st))
                dprintf(report_fd, "    terminal child killed by signal %d\n", WTERMSIG(st));
        CHECK(r == 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK(strstr(out, "hello-from-pty\r\n"));
        return 0;
}

static int test_terminal_setup(void) {
        if (!is_root())
                return SKIP;
        CHECK(run_terminal(true, NULL, false) == 0);
        return run_terminal(true, NULL, true);
}

/* A /dev that is a plain directory (as shipped in an image): no console is
 * created in it, the terminal still works. */
static int test_terminal_setup_image_dev(void) {
        if (!is_root())
                return SKIP;
        char dir[128];
        snprintf(dir, sizeof dir, "%s/imgdev", tmpdir);
        struct statfs sfs;
        CHECK(mkdir(dir, 0755) == 0);
        CHECK(statfs(dir, &sfs) == 0);
        if (sfs.f_type == TMPFS_MAGIC) {
                return SKIP; /* the temporary directory is on a tmpfs */
        }
        return run_terminal(false, dir, false);
}

static void cleanup_tmpdir(void) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void) {
        /* Not /tmp: it may be a tmpfs, and one test needs a plain directory. */
        const char *base = access("/var/tmp", W_OK) == 0 ? "/var/tmp" : "/tmp";
        snprintf(tmpdir, sizeof tmpdir, "%s/cocoon-test-process-XXXXXX", base);
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }

        RUN(test_find_executable);
        RUN(test_chdir);
        RUN(test_rlimits);
        RUN(test_oom_score_adj);
        RUN(test_no_new_privs);
        RUN(test_identity);
        RUN(test_identity_root_nocaps);
        RUN(test_identity_ambient_exec);
        RUN(test_identity_errors);
        RUN(test_identity_userns);
        RUN(test_close_fds_from);
        RUN(test_fd_passing);
        RUN(test_terminal_setup);
        RUN(test_terminal_setup_image_dev);

        cleanup_tmpdir();
        printf("%d passed, %d failed\n", n_passed, n_failed);
        return n_failed ? 1 : 0;
}
