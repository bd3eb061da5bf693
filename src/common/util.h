/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sched.h>
#include <stdint.h>
#include <sys/types.h>

/* Whole-file I/O; return 0 or -errno and do not log (callers add context). */
int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len);
int write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags);
/* write to tmp + fsync-free rename: readers see the old or the new file, never a torn one */
int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode);
/* write a short string to an existing file (cgroup and /proc knobs) */
int write_string(const char *path, const char *s);

int mkdir_p(const char *path, mode_t mode);
/* Remove a directory tree below dirfd/name, not crossing mount points. */
int rm_rf_at(int dirfd, const char *name);

char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool str_startswith(const char *s, const char *prefix);
int parse_int(const char *s, int *ret);
int parse_uint32(const char *s, uint32_t *ret);

/* RFC 3339 with nanoseconds, UTC ("2006-01-02T15:04:05.999999999Z" as runc prints). */
void format_rfc3339(char *buf, size_t len, const struct timespec *ts);

/* The start time of a process in clock ticks (field 22 of /proc/PID/stat),
 * and its state letter; used to recognise a recycled pid. */
int proc_stat(pid_t pid, unsigned long long *start_time, char *state);

/* A CPU set as the kernel's cpu lists print it ("0-3,6", "" for none):
 * /sys/devices/system/cpu/online and friends.  -ENAMETOOLONG when it does
 * not fit in size bytes. */
int cpu_list_format(const cpu_set_t *set, char *buf, size_t size);

/* The CPUs a container with that CFS quota may keep busy, as /proc/cpuinfo,
 * /sys's CPU lists and sched_getaffinity under the Sentry count them: the
 * first ceil(quota / period) CPUs of cpuset, at least one; all of them
 * when quota is UINT64_MAX (no quota) or period 0.  Returns their number. */
unsigned cpu_set_for_quota(const cpu_set_t *cpuset, uint64_t quota, uint64_t period, cpu_set_t *ret);

/* signal name ("TERM", "SIGTERM", "15") -> number */
int signal_from_string(const char *s);

/* Loop on EINTR. */
ssize_t read_full(int fd, void *buf, size_t len);
ssize_t write_full(int fd, const void *buf, size_t len);

/* One sendmsg() of buf with `fd` attached (SCM_RIGHTS; none when fd < 0),
 * retried on EINTR, without SIGPIPE.  Returns the bytes sent or -errno;
 * does not log. */
ssize_t send_with_fd(int sock, const void *buf, size_t len, int fd);
/* sendmsg of iov with up to SEND_FDS_MAX descriptors (SCM_RIGHTS), EINTR
 * retried, no SIGPIPE: the bytes sent or -errno. */
#define SEND_FDS_MAX 8
struct iovec;
ssize_t send_iov_with_fds(int sock, const struct iovec *iov, size_t n_iov, const int *fds, size_t n_fds);

/* A wait status in words: "exited with status N", "killed by signal N (Name)". */
void wait_status_describe(int status, char *buf, size_t len);
/* Exit as a wait status says a process ended: its code, or by the same
 * signal (without a core dump of ours), so that our parent sees the same;
 * 128 + N for a signal whose default is not to terminate. */
_Noreturn void exit_like_status(int status);
