/* SPDX-License-Identifier: MIT */
/*
 * Inside the Sentry: one notification being handled (struct sentry_call) and
 * the helpers every handler uses.
 *
 * A handler (sys_<name>, declared from handlers.def) returns what the
 * workload's syscall returns: a value >= 0 or a negative errno, or
 * SENTRY_CONTINUE to let the kernel run the call (only where the reason in
 * syscalls.def says a raced argument cannot reach anything outside the
 * workload's own objects).  A handler that installs a descriptor answers the
 * notification itself (sentry_install_fd) and returns the new fd number.
 *
 * Argument memory is read once per argument (sentry_read*, which re-validate
 * the notification id after reading, so a recycled pid is never mistaken for
 * the caller) and results are written back with sentry_write.
 */
#pragma once

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/seccomp.h>

#include "gofer/client.h"
#include "linux/seccomp_abi.h"
#include "sentry/sentry.h"

/* Let the kernel run the call (SECCOMP_USER_NOTIF_FLAG_CONTINUE). */
#define SENTRY_CONTINUE LONG_MIN


/* Strings a handler copied, kept (shortened) for the --strace line. */
#define SENTRY_STRACE_STRS 3
#define SENTRY_STRACE_STR_MAX 160

struct sentry_worker;
struct sentry_cred_cache;
struct sentry_dcache;
/* What the workers' directory caches share (dcache.c). */
struct sentry_dcache_shared {
        _Atomic uint64_t gen; /* bumped after every rename or removal */
        _Atomic unsigned busy; /* renames and removals in flight */
};

struct sentry_call {
        const struct seccomp_notif *req;
        const struct sentry_config *cfg; /* the Sentry's copy: fds are its own */
        struct sentry_worker *worker;    /* engine side (notify.c) */
        int listener;                    /* the listener fd the notification came from */

        /* set by the helpers */
        bool answered;   /* sentry_install_fd answered the notification */
        bool used_gofer; /* a Gofer call was made: -EPIPE/-ECONNRESET then mean the Gofer died */
        bool used_fast;  /* answered by the fast path (fastpath.c) */
        struct sentry_cred_cache *creds; /* shared by the workers (cred.c) */
        struct sentry_dcache **dcache;        /* the worker's own (dcache.c) */
        struct sentry_dcache_shared *dshared; /* shared by the workers */
        bool need_umask; /* the call creates files: its credentials must carry the umask */
        bool cred_valid;
        struct gofer_cred cred; /* the caller's (sentry_cred) */
        uint32_t ruid, rgid;    /* real ids (access() checks with them) */
        uint64_t cap_permitted;

        /* --strace */
        bool strace;
        unsigned n_strs;
        char strs[SENTRY_STRACE_STRS][SENTRY_STRACE_STR_MAX];
};

/* ---- handlers (handlers.def) ----------------------------------------------------------- */

typedef long (*sentry_handler_fn)(struct sentry_call *c);

struct sentry_handler {
        const char *name;
        sentry_handler_fn fn;
        const char *args; /* --strace argument format, one letter per argument (strace.c) */
};

/* The handler of syscall nr, or NULL when the Sentry has none (the call is
 * then answered from the boundary table: ENOSYS for unknown numbers). */
const struct sentry_handler *sentry_handler_lookup(long nr);

#define HANDLER(name, args) long sys_##name(struct sentry_call *c);
#define HANDLER_CONTINUE(name, args)
#define HANDLER_CRED(name, args)
#include "sentry/handlers.def"
#undef HANDLER
#undef HANDLER_CONTINUE
#undef HANDLER_CRED
long sys_continue(struct sentry_call *c);
long sys_cred_change(struct sentry_call *c);

/* ---- memory of the caller (mem.c) ----------------------------------------------------- */

/* Exactly len bytes, else -EFAULT. */
int sentry_read(struct sentry_call *c, uint64_t addr, void *buf, size_t len);
/* A NUL-terminated string of at most size-1 bytes: its length, -EFAULT, or
 * -ENAMETOOLONG when no NUL is found within size bytes (callers map it to
 * their syscall's errno). */
int sentry_read_str(struct sentry_call *c, uint64_t addr, char *buf, size_t size);
/* Exactly len bytes, else -EFAULT. */
int sentry_write(struct sentry_call *c, uint64_t addr, const void *buf, size_t len);
/* 0 while the notification is still pending, else -ENOENT (the caller was
 * interrupted or killed; its pid may already name another process). */
int sentry_valid(struct sentry_call *c);
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9 */
#endif
/* The caller's descriptor fd, duplicated into the Sentry (pidfd_getfd), or
 * -errno (-EBADF: not open). */
int sentry_take_fd(struct sentry_call *c, int fd);

/* ---- paths (path.c) -------------------------------------------------------------------- */

struct sentry_path {
        char user[PATH_MAX]; /* as the workload wrote it */
        char abs[PATH_MAX];  /* the container path: absolute, "//" and "." folded, ".." kept */
        bool empty;          /* "" with AT_EMPTY_PATH: abs is the path of the dirfd itself */
};

/* Copy the path argument at addr and compute its container path from the
 * caller's cwd or dirfd.  at_flags: AT_EMPTY_PATH allows "" (the file of
 * dirfd itself).  Errors as the kernel's: EFAULT, ENAMETOOLONG, ENOENT (""),
 * EBADF, ENOTDIR. */
int sentry_path_arg(struct sentry_call *c, int dirfd, uint64_t addr, int at_flags, struct sentry_path *p);
/* The same for a path already in p->user (an AF_UNIX socket address). */
int sentry_path_resolve(struct sentry_call *c, int dirfd, int at_flags, struct sentry_path *p);
/* The container path of the caller's descriptor fd (-EBADF when it has none,
 * -ENOENT for a deleted file, -EOPNOTSUPP for a pipe, socket, anon inode). */
int sentry_fd_path(struct sentry_call *c, int fd, char *out, size_t size);
/* Join base and a relative path, folding "//" and "." (never ".."). */
int sentry_path_join(const char *base, const char *rel, char *out, size_t size);
/*
 * The one rule for the kernel's own views: /proc, /sys and /dev in the
 * workload's mount namespace are its own namespaced procfs, sysfs and
 * devtmpfs (read-only or synthesized by the Sentry), so a call on a path
 * below them is CONTINUEd: whatever a racing thread writes into the path,
 * the kernel resolves it in the workload's own read-only view.  Paths with a
 * ".." component never count (they may lead back into the rootfs, whose
 * writable copy only the Gofer has).
 */
bool sentry_path_kernel_view(const char *abs);
/*
 * A path below /proc with procfs's own links and ".." followed as procfs
 * would: "self" and "thread-self" (kept as "self/..."), "net" and "mounts"
 * (self/net, self/mounts), ".." out of the directories procfs always has
 * (/proc, pid, task, tid), and <pid>/root (the container root: every process
 * of the container has it, chroot being refused).  "/proc/self/../meminfo"
 * becomes "/proc/meminfo", "/proc/self/root/proc/stat" "/proc/stat".
 * -EOPNOTSUPP when only the kernel can tell (".." out of anything else) or
 * the path is not below /proc; -ENAMETOOLONG.
 */
int sentry_path_procfs_fold(const char *abs, char *out, size_t size);

/* ---- credentials and the Gofer (cred.c, notify.c) ------------------------------------- */

/* The caller's credentials (fsuid, fsgid, groups, effective capabilities;
 * the umask when c->need_umask), once per call; cred.c says from where. */
int sentry_cred(struct sentry_call *c);
/* Only the caller's effective capabilities, with one capget and nothing
 * validated: for a decision whose answer reaches the caller only through a
 * later sentry_write, ADDFD or SEND, each of which fails if the thread died
 * (and its tid was reused) since the notification. */
int sentry_cred_caps(struct sentry_call *c, uint64_t *ret);
/* The capabilities access() checks with (the kernel's access_override_creds):
 * the effective set with AT_EACCESS (eaccess), else the permitted set of a
 * real uid 0 and none for another; without the status file sentry_cred
 * reads for a thread the cache does not know yet. */
int sentry_cred_access_caps(struct sentry_call *c, bool eaccess, uint64_t *ret);
/* A uid (gid) as the Sentry sees it, as the workload's user namespace sees
 * it; false when that namespace does not map it (c->cred holds inside ids). */
bool sentry_id_inside(const struct sentry_call *c, bool gid, uint32_t id, uint32_t *ret);
int sentry_cred_cache_new(struct sentry_cred_cache **ret);
void sentry_cred_cache_free(struct sentry_cred_cache *cc);
/* A credential setter is about to run: forget what is cached. */
void sentry_cred_changed(struct sentry_call *c);
/* The worker's Gofer client with the caller's credentials loaded into
 * c->cred; may start another worker first, since the Gofer call can block
 * (a FIFO open waits for its peer). */
int sentry_gofer(struct sentry_call *c, struct gofer_client **ret);

/* ---- the fast file path (fastpath.c) -------------------------------------------------- */

/* The fast path cannot answer this call: ask the Gofer. */
#define SENTRY_FAST_MISS 1
/* The container root in the Gofer's tree (O_PATH), which the Gofer hands
 * the Sentry when it starts (notify.c). */
int sentry_root_fd(const struct sentry_call *c);
/* The Sentry's own /proc/self/fd (O_PATH, opened once): "N" in it reopens or
 * names descriptor N of ours in one lookup, where "thread-self/fd/N" from
 * the procfs root took four (open+close of the reopened file: 6.3 -> 4.9 us
 * here). */
int sentry_own_fd_dir(const struct sentry_call *c);
/* statx of a container path, open for reading, readlink, by the Sentry itself
 * for a caller who may read anything the Sentry may: 0 (open: *ret_fd set),
 * an -errno that is the caller's answer, or SENTRY_FAST_MISS. */
int sentry_fast_statx(struct sentry_call *c, const char *abs, int at_flags, unsigned mask, struct statx *ret);
int sentry_fast_access(struct sentry_call *c, const char *abs, int mode, int at_flags);
int sentry_fast_open(struct sentry_call *c, const char *abs, int flags, int *ret_fd);
/* readlink: the target's length (not NUL-terminated, cut at len), -errno,
 * or SENTRY_FAST_MISS. */
int sentry_fast_readlink(struct sentry_call *c, const char *abs, char *buf, size_t len);
/* The directory cache (dcache.c): an O_PATH descriptor of the container
 * directory dir (len bytes, absolute, no ".." component) in the Gofer's tree,
 * found from root_fd, borrowed until the worker's next call; -1 when the
 * cache may not answer (a mount on the way, a rename in flight, ...). */
int sentry_dcache_dir(struct sentry_call *c, int root_fd, const char *dir, size_t len);
void sentry_dcache_free(struct sentry_dcache *d);
/* Around every Gofer call that may change what a path names (rename,
 * unlink, rmdir). */
void sentry_dcache_mutation_begin(struct sentry_call *c);
void sentry_dcache_mutation_end(struct sentry_call *c);

/* ---- synthesized /proc files (sys_procfs.c) ------------------------------------------- */

/* uname's version, also in /proc/version. */
#define SENTRY_UTS_VERSION "#1 SMP PREEMPT_DYNAMIC cocoon"

/* What is cached across calls (the host's /proc/cpuinfo); notify.c keeps one. */
struct sentry_procfs;
int sentry_procfs_new(struct sentry_procfs **ret);
void sentry_procfs_free(struct sentry_procfs *p);
struct sentry_procfs *sentry_procfs_cache(struct sentry_call *c);
/* open of p: when it names a file the Sentry synthesizes, the answer (the
 * installed descriptor's number, or -errno); else SENTRY_FAST_MISS. */
long sentry_procfs_open(struct sentry_call *c, const struct sentry_path *p, int flags, uint64_t resolve_flags);

/* The container's CPUs: the first ceil(quota/period) CPUs of its cpuset, at
 * least one, with their real numbers (cpuinfo, stat, sched_getaffinity and
 * the /sys cpu lists agree); *ret_n how many. */
int container_cpus(struct sentry_call *c, cpu_set_t *set, unsigned *ret_n);
/* The synthesized files (sys_procfs.c, sys_sysfs.c): the errors of a
 * read-only file for an open with `flags` (0: none), and `text` in a sealed
 * memfd reopened read-only, for sentry_install_fd. */
int sentry_synth_refuse_writes(int flags);
int sentry_sealed_file(struct sentry_call *c, const char *what, const char *text, size_t len, int flags);

/* ---- synthesized /sys files (sys_sysfs.c) --------------------------------------------- */

/* open of p: when it names a /sys file the Sentry synthesizes, the answer
 * (the installed descriptor's number, or -errno); else SENTRY_FAST_MISS. */
long sentry_sysfs_open(struct sentry_call *c, const struct sentry_path *p, int flags, uint64_t resolve_flags);

/* The container's memory as /proc/meminfo shows it, in bytes. */
struct sentry_mem {
        uint64_t total, free, available, usage;
        uint64_t cached, shmem, anon, mapped;
        uint64_t active_anon, inactive_anon, active_file, inactive_file, unevictable;
        uint64_t dirty, writeback, swap_total, swap_free;
        bool has_slab; /* cgroup2 accounts slab; v1's memory.stat does not */
        uint64_t slab_reclaimable, slab_unreclaimable;
};
int sentry_container_memory(struct sentry_call *c, struct sentry_mem *m);
/* Seconds since the container was created (CLOCK_BOOTTIME based). */
double sentry_container_uptime(struct sentry_call *c);
/* Threads of the workload: all, runnable now, and the highest pid of its pid namespace. */
struct sentry_tasks {
        unsigned total, running, blocked, last_pid;
};
int sentry_container_tasks(struct sentry_call *c, struct sentry_tasks *t);

/* The names uname reports (sethostname/setdomainname change them for the
 * whole container) and the release it presents. */
void sentry_uts_get(struct sentry_call *c, char *nodename, char *domainname); /* 65 bytes each */
void sentry_uts_set(struct sentry_call *c, bool domain, const char *name, size_t len);
const char *sentry_release(struct sentry_call *c);
/* Whether every process still has PER_LINUX: no persona was configured and
 * none set since (PER_LINUX itself is set on the host and needs no note). */
bool sentry_persona_default(struct sentry_call *c);
void sentry_persona_changed(struct sentry_call *c);

/* ---- answering ------------------------------------------------------------------------- */

/* Install fd (consumed) in the caller with SECCOMP_IOCTL_NOTIF_ADDFD +
 * SECCOMP_ADDFD_FLAG_SEND, which also answers the notification with the new
 * number.  Returns it, or -errno (not answered: the caller returns it). */
long sentry_install_fd(struct sentry_call *c, int fd, bool cloexec);

/* ---- --strace (strace.c) --------------------------------------------------------------- */

/* Keep a copied string argument for the strace line (no-op without --strace). */
void sentry_strace_str(struct sentry_call *c, const char *s);
void sentry_strace_line(struct sentry_call *c, const struct sentry_handler *h, long ret, uint64_t usec);
/* "ENOENT" for 2; NULL when unknown. */
const char *sentry_errno_name(int err);
/* The name of an ioctl request the Sentry knows (sys_ioctl.c), else NULL. */
const char *sentry_ioctl_name(uint32_t req);
