/* SPDX-License-Identifier: MIT */
#include "linux/process.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/caps.h"
#include "log.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Where runc (and Go's os/exec) look when the container sets no PATH. */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The umask runc leaves in place when the spec sets none. */
#define DEFAULT_UMASK 0022

static const char *const rlimit_names[] = {
        [RLIMIT_CPU] = "RLIMIT_CPU",       [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
        [RLIMIT_DATA] = "RLIMIT_DATA",     [RLIMIT_STACK] = "RLIMIT_STACK",
        [RLIMIT_CORE] = "RLIMIT_CORE",     [RLIMIT_RSS] = "RLIMIT_RSS",
        [RLIMIT_NPROC] = "RLIMIT_NPROC",   [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
        [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK", [RLIMIT_AS] = "RLIMIT_AS",
        [RLIMIT_LOCKS] = "RLIMIT_LOCKS",   [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
        [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
        [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO", [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

static const char *rlimit_name(int resource, char *buf, size_t len) {
        if (resource >= 0 && (size_t) resource < ELEMENTSOF(rlimit_names) && rlimit_names[resource])
                return rlimit_names[resource];
        snprintf(buf, len, "rlimit %d", resource);
        return buf;
}

int process_apply_rlimits(const struct oci_process *p) {
        for (size_t i = 0; i < p->n_rlimits; i++) {
                const struct oci_rlimit *l = &p->rlimits[i];
                /* rlim_t is 64-bit and RLIM_INFINITY is ~0, the same encoding the
                 * spec uses for "unlimited", so the values pass through unchanged. */
                struct rlimit rl = {.rlim_cur = (rlim_t) l->soft, .rlim_max = (rlim_t) l->hard};
                if (setrlimit((__rlimit_resource_t) l->resource, &rl) < 0) {
                        char buf[32];
                        return log_error_errno(-errno, "setrlimit(%s, soft=%llu, hard=%llu)",
                                               rlimit_name(l->resource, buf, sizeof buf),
                                               (unsigned long long) l->soft, (unsigned long long) l->hard);
                }
        }
        return 0;
}

int process_set_oom_score_adj(const struct oci_process *p) {
        if (!p->has_oom_score_adj)
                return 0;
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%d", p->oom_score_adj);
        _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "open /proc/self/oom_score_adj");
        /* Lowering the score below the current one needs CAP_SYS_RESOURCE,
         * which is why this runs before the capability sets are applied. */
        if (write(fd, buf, (size_t) n) != n)
                return log_error_errno(-errno, "set oom_score_adj to %d", p->oom_score_adj);
        return 0;
}

/* setgroups(2) is refused in a user namespace whose setgroups file says
 * "deny" (the only way an unprivileged parent may write a gid_map). */
static bool setgroups_denied(void) {
        _cleanup_close_ int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        char buf[16];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return false;
        buf[n] = 0;
        return strncmp(buf, "deny", 4) == 0;
}

static int apply_groups(const struct oci_user *u) {
        _Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits");
        if (setgroups(u->n_additional_gids, (const gid_t *) u->additional_gids) == 0)
                return 0;
        int err = -errno;
        /* An empty list only asks us to drop the groups inherited from the
         * runtime; where the kernel forbids setgroups those groups cannot
         * matter (the namespace has no gid_map entry for them), so carry on,
         * like runc does for rootless containers. */
        if (err == -EPERM && setgroups_denied()) {
                if (u->n_additional_gids == 0)
                        return 0;
                return log_error_errno(err, "setgroups: additionalGids cannot be set in a user namespace "
                                            "where setgroups is denied");
        }
        return log_error_errno(err, "setgroups(%zu additional gids)", u->n_additional_gids);
}

int process_apply_identity(const struct oci_process *p) {
        struct oci_caps c = {0};
        if (p->has_caps) {
                /* Caps newer than the running kernel cannot be granted or dropped;
                 * runc silently leaves them out, and so do we. */
                uint64_t known = caps_kernel_mask();
                c.bounding = p->caps.bounding & known;
                c.effective = p->caps.effective & known;
                c.permitted = p->caps.permitted & known;
                c.inheritable = p->caps.inheritable & known;
                c.ambient = p->caps.ambient & known;
        }

        /* The bounding set first: dropping needs CAP_SETPCAP, which the target
         * user may not keep. */
        int r = caps_drop_bounding(c.bounding);
        if (r < 0)
                return r;

        /* Leaving uid 0 would otherwise clear the permitted set, and we still
         * need CAP_SETGID/CAP_SETUID for the next calls and the permitted caps
         * for capset() below. */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return log_error_errno(-errno, "prctl(PR_SET_KEEPCAPS, 1)");

        /* Groups and gid before uid: after setresuid the CAP_SETGID we need
         * for them is gone from the effective set. */
        r = apply_groups(&p->user);
        if (r < 0)
                return r;
        gid_t gid = p->user.gid;
        uid_t uid = p->user.uid;
        if (setresgid(gid, gid, gid) < 0)
                return log_error_errno(-errno, "setresgid(%u)", gid);
        if (setresuid(uid, uid, uid) < 0)
                return log_error_errno(-errno, "setresuid(%u)", uid);

        /* Keep-caps must not survive into the workload: a later setuid() of
         * its own would then keep capabilities it expects to lose. */
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return log_error_errno(-errno, "prctl(PR_SET_KEEPCAPS, 0)");

        /* setresuid() to non-root emptied the effective set (keep-caps only
         * preserves the permitted one); capset() installs the spec's sets. */
        r = caps_set(c.effective, c.permitted, c.inheritable);
        if (r < 0)
                return r;
        r = caps_set_ambient(c.ambient);
        if (r < 0)
                return r;

        umask(p->user.has_umask ? (mode_t) p->user.umask : DEFAULT_UMASK);
        return 0;
}

int process_apply_no_new_privs(const struct oci_process *p) {
        if (!p->no_new_privileges)
                return 0;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return log_error_errno(-errno, "prctl(PR_SET_NO_NEW_PRIVS)");
        return 0;
}

/* Go's findExecutable, which runc uses, plus the effective-id access check
 * the kernel will apply at execve. */
static int check_executable(const char *path, struct stat *st) {
        if (stat(path, st) < 0)
                return -errno;
        if (S_ISDIR(st->st_mode) || !(st->st_mode & 0111))
                return -EACCES;
        if (!S_ISREG(st->st_mode))
                return -EACCES;
        if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
                return -errno;
        return 0;
}

static const char *env_path(char *const *env) {
        const char *path = NULL;
        /* The last PATH wins: runc applies the env list with setenv in order. */
        for (char *const *e = env; e && *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        path = *e + 5;
        return path ? path : DEFAULT_PATH;
}

int process_exec_error(int err, const char *fmt, ...) {
        char msg[LOG_FORWARD_MAX];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t) n < sizeof msg - 4) {
                snprintf(msg + n, sizeof msg - (size_t) n, ": %s", strerror(abs(err)));
                msg[n + 2] = (char) tolower((unsigned char) msg[n + 2]);
        }
        return log_error_raw(err, msg);
}

int process_find_executable(const char *arg0, char *const *env, char **ret) {
        struct stat st;
        char msg[LOG_FORWARD_MAX];

        if (strchr(arg0, '/')) {
                int r = check_executable(arg0, &st);
                if (r == -EACCES)
                        return process_exec_error(r, "exec: \"%s\"", arg0);
                if (r < 0)
                        return process_exec_error(r, "exec: \"%s\": stat %s", arg0, arg0);
                char *s = strdup(arg0);
                if (!s)
                        return log_error_errno(-ENOMEM, "exec: \"%s\"", arg0);
                *ret = s;
                return 0;
        }

        const char *path = env_path(env);
        for (const char *dir = path; *arg0;) {
                size_t len = strcspn(dir, ":");
                _cleanup_free_ char *candidate = NULL;
                /* An empty element means the current directory (shell semantics). */
                if (asprintf(&candidate, "%.*s%s%s", (int) (len ? len : 1), len ? dir : ".",
                             len && dir[len - 1] == '/' ? "" : "/", arg0) < 0)
                        return log_error_errno(-ENOMEM, "exec: \"%s\"", arg0);
                if (check_executable(candidate, &st) == 0) {
                        /* Go >= 1.19 (and so runc) refuses a hit found through a
                         * relative PATH entry: what runs would depend on the cwd. */
                        if (candidate[0] != '/') {
                                snprintf(msg, sizeof msg,
                                         "exec: \"%s\": cannot run executable found relative to current directory",
                                         arg0);
                                return log_error_raw(-EACCES, msg);
                        }
                        *ret = TAKE_PTR(candidate);
                        return 0;
                }
                if (!dir[len])
                        break;
                dir += len + 1;
        }
        snprintf(msg, sizeof msg, "exec: \"%s\": executable file not found in $PATH", arg0);
        return log_error_raw(-ENOENT, msg);
}

int process_chdir(const struct oci_process *p) {
        if (chdir(p->cwd) < 0)
                return log_error_errno(-errno, "chdir to cwd (\"%s\") set in config.json failed", p->cwd);
        return 0;
}

static int cloexec_from_procfs(int first) {
        _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
        if (!d)
                return log_error_errno(-errno, "open /proc/self/fd to mark fds close-on-exec");
        struct dirent *de;
        while ((errno = 0, de = readdir(d))) {
                char *end;
                long fd = strtol(de->d_name, &end, 10);
                if (*end || end == de->d_name || fd < first || fd == dirfd(d))
                        continue;
                int flags = fcntl((int) fd, F_GETFD);
                /* EBADF: the fd was the one opendir() used before, now gone. */
                if (flags < 0 || (flags & FD_CLOEXEC))
                        continue;
                if (fcntl((int) fd, F_SETFD, flags | FD_CLOEXEC) < 0)
                        return log_error_errno(-errno, "mark fd %ld close-on-exec", fd);
        }
        if (errno)
                return log_error_errno(-errno, "read /proc/self/fd");
        return 0;
}

int process_close_fds_from(int first) {
        if (first < 0)
                return log_error_errno(-EINVAL, "close fds from %d", first);
        /* Close-on-exec rather than close: the fds still in use until execve
         * (the sync socket, a seccomp listener...) keep working. */
        if (syscall(SYS_close_range, (unsigned) first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
                return 0;
        /* ENOSYS before 5.9, EINVAL for the flag before 5.11. */
        if (errno != ENOSYS && errno != EINVAL)
                return log_error_errno(-errno, "close_range(%d, ~0, CLOSE_RANGE_CLOEXEC)", first);
        return cloexec_from_procfs(first);
}
