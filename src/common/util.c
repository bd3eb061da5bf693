/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        if (cap > (64u << 20))
                                return -EFBIG;
                        cap *= 2;
                        char *n = realloc(buf, cap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                }
                ssize_t r = read(fd, buf + len, cap - len);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        break;
                len += (size_t) r;
        }
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

ssize_t read_full(int fd, void *buf, size_t len) {
        size_t done = 0;
        while (done < len) {
                ssize_t r = read(fd, (char *) buf + done, len - done);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        break;
                done += (size_t) r;
        }
        return (ssize_t) done;
}

ssize_t write_full(int fd, const void *buf, size_t len) {
        size_t done = 0;
        while (done < len) {
                ssize_t r = write(fd, (const char *) buf + done, len - done);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) r;
        }
        return (ssize_t) done;
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags) {
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | flags, 0644);
        if (fd < 0)
                return -errno;
        ssize_t r = write_full(fd, data, len);
        return r < 0 ? (int) r : 0;
}

int write_string(const char *path, const char *s) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Kernel knobs take the value in a single write. */
        ssize_t r = write(fd, s, strlen(s));
        if (r < 0)
                return -errno;
        return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode) {
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, ".%s.tmp.%d", name, getpid());
        _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        ssize_t r = write_full(fd, data, len);
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return (int) r;
        }
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                int e = -errno;
                unlinkat(dirfd, tmp, 0);
                return e;
        }
        return 0;
}

unsigned cpu_set_for_quota(const cpu_set_t *cpuset, uint64_t quota, uint64_t period, cpu_set_t *ret) {
        unsigned n = (unsigned) CPU_COUNT(cpuset);
        if (quota != UINT64_MAX && period > 0) {
                uint64_t q = quota / period + (quota % period != 0);
                if (q < n)
                        n = q ? (unsigned) q : 1;
        }
        CPU_ZERO(ret);
        unsigned k = 0;
        for (int cpu = 0; cpu < CPU_SETSIZE && k < n; cpu++)
                if (CPU_ISSET(cpu, cpuset)) {
                        CPU_SET(cpu, ret);
                        k++;
                }
        return k;
}

int cpu_list_format(const cpu_set_t *set, char *buf, size_t size) {
        size_t at = 0;
        if (size == 0)
                return -ENAMETOOLONG;
        buf[0] = 0;
        for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
                if (!CPU_ISSET(cpu, set))
                        continue;
                int last = cpu;
                while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set))
                        last++;
                int n = last == cpu ? snprintf(buf + at, size - at, "%s%d", at ? "," : "", cpu)
                                    : snprintf(buf + at, size - at, "%s%d-%d", at ? "," : "", cpu, last);
                if (n < 0 || (size_t) n >= size - at)
                        return -ENAMETOOLONG;
                at += (size_t) n;
                cpu = last;
        }
        return 0;
}

int mkdir_p(const char *path, mode_t mode) {
        char buf[PATH_MAX];
        if (strlen(path) >= sizeof buf)
                return -ENAMETOOLONG;
        strcpy(buf, path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int rm_rf_children(int fd, dev_t dev) {
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        int ret = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        if (st.st_dev != dev) { /* never descend into a mount */
                                ret = -EBUSY;
                                continue;
                        }
                        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0) {
                                int r = rm_rf_children(sub, dev);
                                if (r < 0)
                                        ret = r;
                        }
                        if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                                ret = -errno;
                } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
                        ret = -errno;
        }
        closedir(d);
        return ret;
}

int rm_rf_at(int dirfd, const char *name) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        struct stat st;
        if (fstat(fd, &st) < 0) {
                close(fd);
                return -errno;
        }
        int r = rm_rf_children(fd, st.st_dev);
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return r;
}

char *strdup_printf(const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

bool str_startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

int parse_int(const char *s, int *ret) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < INT_MIN || v > INT_MAX)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

int parse_uint32(const char *s, uint32_t *ret) {
        char *end;
        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v > UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

void format_rfc3339(char *buf, size_t len, const struct timespec *ts) {
        struct tm tm;
        gmtime_r(&ts->tv_sec, &tm);
        size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, len - n, ".%09ldZ", ts->tv_nsec);
}

int proc_stat(pid_t pid, unsigned long long *start_time, char *state) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        _cleanup_free_ char *buf = NULL;
        int r = read_file_at(AT_FDCWD, path, &buf, NULL);
        if (r < 0)
                return r;
        /* comm may contain spaces and parentheses: parse after the last ')'. */
        char *p = strrchr(buf, ')');
        if (!p || p[1] != ' ')
                return -EINVAL;
        p += 2;
        if (state)
                *state = *p;
        /* fields after comm start at 3 (state); starttime is field 22 */
        for (int field = 3; field < 22; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return -EINVAL;
                p++;
        }
        if (start_time)
                *start_time = strtoull(p, NULL, 10);
        return 0;
}

int signal_from_string(const char *s) {
        static const struct {
                const char *name;
                int sig;
        } table[] = {
                {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
                {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"IOT", SIGIOT},   {"BUS", SIGBUS},
                {"FPE", SIGFPE},   {"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
                {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},
                {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
                {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},
                {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
                {"WINCH", SIGWINCH}, {"IO", SIGIO},       {"POLL", SIGPOLL}, {"PWR", SIGPWR},
                {"SYS", SIGSYS},
        };
        int n;
        if (isdigit((unsigned char) *s)) {
                if (parse_int(s, &n) < 0 || n <= 0 || n > SIGRTMAX)
                        return -EINVAL;
                return n;
        }
        char up[32];
        size_t i;
        for (i = 0; i < sizeof up - 1 && s[i]; i++)
                up[i] = (char) toupper((unsigned char) s[i]);
        up[i] = 0;
        const char *name = str_startswith(up, "SIG") ? up + 3 : up;
        for (i = 0; i < ELEMENTSOF(table); i++)
                if (!strcmp(name, table[i].name))
                        return table[i].sig;
        if (str_startswith(name, "RTMIN")) {
                int off = 0;
                if (name[5] == '+' && parse_int(name + 6, &off) < 0)
                        return -EINVAL;
                if (SIGRTMIN + off > SIGRTMAX)
                        return -EINVAL;
                return SIGRTMIN + off;
        }
        if (str_startswith(name, "RTMAX")) {
                int off = 0;
                if (name[5] == '-' && parse_int(name + 6, &off) < 0)
                        return -EINVAL;
                if (SIGRTMAX - off < SIGRTMIN)
                        return -EINVAL;
                return SIGRTMAX - off;
        }
        return -EINVAL;
}

ssize_t send_iov_with_fds(int sock, const struct iovec *iov, size_t n_iov, const int *fds, size_t n_fds) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * SEND_FDS_MAX)];
        } control;
        if (n_fds > SEND_FDS_MAX)
                return -EINVAL;
        memset(&control, 0, sizeof control);
        struct msghdr msg = {.msg_iov = (struct iovec *) iov, .msg_iovlen = n_iov};
        if (n_fds) {
                msg.msg_control = control.buf;
                msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        ssize_t n;
        do
                n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : n;
}

ssize_t send_with_fd(int sock, const void *buf, size_t len, int fd) {
        struct iovec iov = {.iov_base = (void *) buf, .iov_len = len};
        return send_iov_with_fds(sock, &iov, 1, &fd, fd >= 0 ? 1 : 0);
}

_Noreturn void exit_like_status(int status) {
        if (WIFSIGNALED(status)) {
                int sig = WTERMSIG(status);
                signal(sig, SIG_DFL);
                sigset_t s;
                sigemptyset(&s);
                sigaddset(&s, sig);
                sigprocmask(SIG_UNBLOCK, &s, NULL);
                prctl(PR_SET_DUMPABLE, 0); /* no core dump of ours for the process's SIGSEGV */
                raise(sig);
                _exit(128 + sig);
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 255);
}

void wait_status_describe(int status, char *buf, size_t len) {
        if (WIFEXITED(status))
                snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
        else
                snprintf(buf, len, "status 0x%x", status);
}
