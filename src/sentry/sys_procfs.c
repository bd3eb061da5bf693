/* SPDX-License-Identifier: MIT */
/*
 * /proc files that tell the truth about the container, not the host:
 * meminfo, cpuinfo, stat, uptime, loadavg and version, rendered by the
 * Sentry from the container's cgroup at every open (usage changes), and
 * sched_getaffinity, which agrees with them; sys/kernel/osrelease,
 * sys/kernel/version and cmdline from the release uname shows; and every
 * process's mount tables (mounts, mountinfo, mountstats) without the host's
 * paths.  The rest of /proc stays the workload's own procfs, which the
 * kernel serves (sentry_path_kernel_view).
 *
 * An open of one of these files gets a sealed memfd with the content,
 * reopened read-only and installed with ADDFD+SEND, so the workload reads,
 * seeks and preads it as a file and can never change it.  The paths are
 * recognised after procfs's own links and ".." are followed
 * (sentry_path_procfs_fold), so /proc/self/../meminfo, a relative path from
 * cwd /proc and openat(<fd of /proc>, "meminfo") all get the same content.
 * stat by path still reaches the kernel's procfs (mode 0444, size 0); an
 * fstat of the descriptor shows the memfd (regular file, its real size).
 *
 * The numbers, as LXCFS takes them:
 *   memory   MemTotal = the smallest of the cgroup's limit, the configured
 *            limit and the host's RAM; MemFree = MemTotal - usage;
 *            MemAvailable adds the page cache and reclaimable slab the
 *            cgroup could give back; the rest from memory.stat.  Swap from
 *            the cgroup's swap limit (memsw on v1), at most the host's.
 *   CPUs     ceil(quota / period), at most the cpuset's CPUs (the Sentry is
 *            in the container's cpuset, so its own affinity is that set), at
 *            least one: the container's CPUs are the first that many of the
 *            cpuset, with their real numbers, so cpuinfo, stat, getcpu() and
 *            sched_getaffinity agree.
 *   time     uptime since the container was created; idle = uptime x CPUs
 *            minus the CPU time the cgroup used.
 *   tasks    the threads of the cgroup's processes but the Sentry's and
 *            the Gofer's (they are in the container's cgroup, and their
 *            memory is in its usage, as the kernel charges it).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <linux/capability.h>
#include <linux/openat2.h>

#include "cleanup.h"
#include "util.h"
#include "log.h"
#include "sentry/call.h"

#define ARG(i) (c->req->data.args[i])
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U /* Linux 6.3 */
#endif
#define USER_HZ 100
#define CG_READ_MAX 16384
/* cgroup.procs: a pid and a newline per process, up to pid_max's 4194304 */
#define CG_PROCS_MAX (1 << 20)

/* In SENTRY_PROCFS_* order: the whole files below /proc (one generator
 * each), then the mount tables (mount_table_of) */
static const char *const procfs_names[] = {"meminfo", "cpuinfo", "stat", "uptime", "loadavg", "version",
                                           "sys/kernel/osrelease", "sys/kernel/version", "cmdline", "mounts"};

const char *sentry_procfs_name(unsigned bit) {
        for (size_t i = 0; i < ELEMENTSOF(procfs_names); i++)
                if (bit == 1U << i)
                        return procfs_names[i];
        return NULL;
}

/* ---- reading the cgroup ---------------------------------------------------------------- */

/* A whole small file below dirfd, NUL-terminated: its length or -errno. */
static int read_small(int dirfd, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t len = read_full(fd, buf, size - 1);
        if (len < 0)
                return (int) len;
        if ((size_t) len == size - 1)
                return -EFBIG; /* full: maybe more to come */
        buf[len] = 0;
        return (int) len;
}

struct cpu_block {
        int cpu;
        size_t off, len;
};

/* A cgroup file kept open: a pread at offset 0 renders it afresh, and
 * saves the open and close that cost two thirds of a read here (about 30
 * us for a one-line cgroup file on this VM). */
struct cg_file {
        const struct sentry_cgroup_dir *dir;
        const char *name; /* a literal */
        int fd;           /* or -errno of the open: absent files stay absent */
};
#define CG_FILES_MAX 16

struct sentry_procfs {
        pthread_mutex_t lock;
        struct cg_file files[CG_FILES_MAX];
        size_t n_files;
        char *cpuinfo; /* the host's, read once: its CPUs do not change under a container */
        struct cpu_block *blocks;
        size_t n_blocks;
};

int sentry_procfs_new(struct sentry_procfs **ret) {
        struct sentry_procfs *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        pthread_mutex_init(&p->lock, NULL);
        *ret = p;
        return 0;
}

void sentry_procfs_free(struct sentry_procfs *p) {
        if (!p)
                return;
        pthread_mutex_destroy(&p->lock);
        for (size_t i = 0; i < p->n_files; i++)
                if (p->files[i].fd >= 0)
                        close(p->files[i].fd);
        free(p->cpuinfo);
        free(p->blocks);
        free(p);
}

/* The cached descriptor of a cgroup file, or -errno (-ENOENT: absent). */
static int cg_fd(struct sentry_call *c, const struct sentry_cgroup_dir *d, const char *name) {
        struct sentry_procfs *p = sentry_procfs_cache(c);
        int fd = -ENOENT;
        pthread_mutex_lock(&p->lock);
        size_t i = 0;
        while (i < p->n_files && !(p->files[i].dir == d && strcmp(p->files[i].name, name) == 0))
                i++;
        if (i < p->n_files)
                fd = p->files[i].fd;
        else {
                fd = d->fd < 0 ? -EBADF : openat(d->fd, name, O_RDONLY | O_CLOEXEC);
                if (fd < 0 && d->fd >= 0)
                        fd = -errno;
                /* only an answer about the file itself is kept */
                if (i < CG_FILES_MAX && (fd >= 0 || fd == -ENOENT))
                        p->files[p->n_files++] = (struct cg_file){d, name, fd};
        }
        pthread_mutex_unlock(&p->lock);
        return fd;
}

static bool cg_has(struct sentry_call *c, const struct sentry_cgroup_dir *d, const char *name) {
        return cg_fd(c, d, name) >= 0;
}

/* A whole cgroup file, NUL-terminated: its length, or -errno (logged). */
static int cg_read(struct sentry_call *c, const struct sentry_cgroup_dir *d, const char *name, char *buf,
                   size_t size) {
        int fd = cg_fd(c, d, name);
        size_t len = 0;
        while (fd >= 0) {
                ssize_t n = pread(fd, buf + len, size - 1 - len, (off_t) len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        fd = -errno;
                else if (n == 0)
                        break;
                else if ((len += (size_t) n) == size - 1)
                        fd = -EFBIG;
        }
        if (fd < 0)
                return log_error_errno(fd, "sentry: reading the container's %s", name);
        buf[len] = 0;
        return (int) len;
}

/* A number, or "max" (cgroup2) as UINT64_MAX. */
static int cg_read_u64(struct sentry_call *c, const struct sentry_cgroup_dir *d, const char *name, uint64_t *ret) {
        char buf[64];
        int r = cg_read(c, d, name, buf, sizeof buf);
        if (r < 0)
                return r;
        if (strncmp(buf, "max", 3) == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        char *end;
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        if (errno || end == buf)
                return log_fail(-EINVAL, "sentry: the container's %s: \"%.20s\" is no number", name, buf);
        *ret = v < 0 ? UINT64_MAX : (uint64_t) v; /* v1's -1: no limit */
        return 0;
}

/* The value of "key value" in a flat keyed file (memory.stat, cpu.stat); 0 when absent. */
static uint64_t keyed(const char *text, const char *key) {
        size_t n = strlen(key);
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, n) == 0 && p[n] == ' ')
                        return strtoull(p + n + 1, NULL, 10);
        return 0;
}

static bool has_key(const char *text, const char *key) {
        size_t n = strlen(key);
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, n) == 0 && p[n] == ' ')
                        return true;
        return false;
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
        return a < b ? a : b;
}

static uint64_t sub_or_0(uint64_t a, uint64_t b) {
        return a > b ? a - b : 0;
}

int sentry_container_memory(struct sentry_call *c, struct sentry_mem *m) {
        const struct sentry_cgroup_dir *d = &c->cfg->cg_memory;
        bool v2 = d->v2;
        struct sysinfo si;
        if (sysinfo(&si) < 0)
                return log_error_errno(-errno, "sentry: sysinfo");
        uint64_t unit = si.mem_unit ? si.mem_unit : 1;
        uint64_t host_ram = (uint64_t) si.totalram * unit, host_swap = (uint64_t) si.totalswap * unit;

        uint64_t limit, usage;
        int r = cg_read_u64(c, d, v2 ? "memory.max" : "memory.limit_in_bytes", &limit);
        if (r >= 0)
                r = cg_read_u64(c, d, v2 ? "memory.current" : "memory.usage_in_bytes", &usage);
        if (r < 0)
                return r;
        _cleanup_free_ char *stat = malloc(CG_READ_MAX);
        if (!stat)
                return -ENOMEM;
        r = cg_read(c, d, "memory.stat", stat, CG_READ_MAX);
        if (r < 0)
                return r;
        *m = (struct sentry_mem){0};
        /* v1 knows the limits of the parents too; the configured one is
         * there for a cgroup that cannot show it */
        if (!v2 && has_key(stat, "hierarchical_memory_limit"))
                limit = min_u64(limit, keyed(stat, "hierarchical_memory_limit"));
        if (c->cfg->memory_limit)
                limit = min_u64(limit, c->cfg->memory_limit);
        m->total = min_u64(limit, host_ram);
        m->usage = min_u64(usage, m->total);
        m->free = m->total - m->usage;
        if (v2) {
                m->cached = keyed(stat, "file");
                m->shmem = keyed(stat, "shmem");
                m->anon = keyed(stat, "anon");
                m->mapped = keyed(stat, "file_mapped");
                m->active_anon = keyed(stat, "active_anon");
                m->inactive_anon = keyed(stat, "inactive_anon");
                m->active_file = keyed(stat, "active_file");
                m->inactive_file = keyed(stat, "inactive_file");
                m->unevictable = keyed(stat, "unevictable");
                m->dirty = keyed(stat, "file_dirty");
                m->writeback = keyed(stat, "file_writeback");
                m->has_slab = true;
                m->slab_reclaimable = keyed(stat, "slab_reclaimable");
                m->slab_unreclaimable = keyed(stat, "slab_unreclaimable");
        } else {
                m->cached = keyed(stat, "total_cache");
                m->shmem = keyed(stat, "total_shmem");
                m->anon = keyed(stat, "total_rss");
                m->mapped = keyed(stat, "total_mapped_file");
                m->active_anon = keyed(stat, "total_active_anon");
                m->inactive_anon = keyed(stat, "total_inactive_anon");
                m->active_file = keyed(stat, "total_active_file");
                m->inactive_file = keyed(stat, "total_inactive_file");
                m->unevictable = keyed(stat, "total_unevictable");
                m->dirty = keyed(stat, "total_dirty");
                m->writeback = keyed(stat, "total_writeback");
        }
        /* what the cgroup's usage holds is at most its usage */
        m->cached = min_u64(m->cached, m->usage);
        m->available = min_u64(m->total, m->free + m->active_file + m->inactive_file + m->slab_reclaimable);

        /* swap: the cgroup's allowance, never more than the host has */
        uint64_t swap_limit = 0, swap_usage = 0;
        if (host_swap == 0) {
                r = 0; /* nothing to share out */
        } else if (v2) {
                /* absent without swap accounting */
                r = cg_has(c, d, "memory.swap.max") ? 0 : -1;
                if (r == 0)
                        r = cg_read_u64(c, d, "memory.swap.max", &swap_limit);
                if (r == 0)
                        r = cg_read_u64(c, d, "memory.swap.current", &swap_usage);
        } else {
                uint64_t memsw_limit = 0, memsw_usage = 0;
                /* absent without swap accounting (swapaccount=0) */
                r = cg_has(c, d, "memory.memsw.limit_in_bytes") ? 0 : -1;
                if (r == 0)
                        r = cg_read_u64(c, d, "memory.memsw.limit_in_bytes", &memsw_limit);
                if (r == 0)
                        r = cg_read_u64(c, d, "memory.memsw.usage_in_bytes", &memsw_usage);
                swap_limit = r == 0 ? sub_or_0(memsw_limit, limit) : 0;
                swap_usage = r == 0 ? sub_or_0(memsw_usage, usage) : 0;
        }
        if (r == 0) {
                m->swap_total = min_u64(swap_limit, host_swap);
                m->swap_free = sub_or_0(m->swap_total, swap_usage);
        } else {
                /* no swap accounting: the container may use the host's swap as any process */
                m->swap_total = host_swap;
                m->swap_free = (uint64_t) si.freeswap * unit;
        }
        return 0;
}

/* ---- CPUs ---------------------------------------------------------------------------------- */

/* The container's CPUs: the first ceil(quota/period) CPUs of its cpuset. */
int container_cpus(struct sentry_call *c, cpu_set_t *set, unsigned *ret_n) {
        cpu_set_t cpuset;
        /* the Sentry runs in the container's cpuset cgroup */
        if (sched_getaffinity(0, sizeof cpuset, &cpuset) < 0)
                return log_error_errno(-errno, "sentry: sched_getaffinity");
        const struct sentry_cgroup_dir *d = &c->cfg->cg_cpu;
        uint64_t quota, period;
        if (d->v2) {
                char buf[64];
                /* absent where the cpu controller is not enabled: no quota */
                if (!cg_has(c, d, "cpu.max"))
                        snprintf(buf, sizeof buf, "max");
                else {
                        int r = cg_read(c, d, "cpu.max", buf, sizeof buf);
                        if (r < 0)
                                return r;
                }
                quota = strncmp(buf, "max", 3) == 0 ? UINT64_MAX : strtoull(buf, NULL, 10);
                char *sp = strchr(buf, ' ');
                period = sp ? strtoull(sp + 1, NULL, 10) : 0;
        } else {
                int r = cg_read_u64(c, d, "cpu.cfs_quota_us", &quota);
                if (r >= 0)
                        r = cg_read_u64(c, d, "cpu.cfs_period_us", &period);
                if (r < 0)
                        return r;
        }
        *ret_n = cpu_set_for_quota(&cpuset, quota, period, set);
        return 0;
}

/* CPU time the cgroup used, in USER_HZ ticks. */
static int container_cpu_time(struct sentry_call *c, uint64_t *user, uint64_t *system) {
        const struct sentry_cgroup_dir *d = &c->cfg->cg_cpuacct;
        char buf[1024];
        int r = cg_read(c, d, d->v2 ? "cpu.stat" : "cpuacct.stat", buf, sizeof buf);
        if (r < 0)
                return r;
        if (d->v2) {
                *user = keyed(buf, "user_usec") / (1000000 / USER_HZ);
                *system = keyed(buf, "system_usec") / (1000000 / USER_HZ);
        } else {
                *user = keyed(buf, "user");
                *system = keyed(buf, "system");
        }
        return 0;
}

double sentry_container_uptime(struct sentry_call *c) {
        struct timespec ts;
        clock_gettime(CLOCK_BOOTTIME, &ts);
        int64_t up = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec - c->cfg->uptime_base_ns;
        return up > 0 ? (double) up / 1e9 : 0;
}

/* ---- tasks ------------------------------------------------------------------------------- */

/* The state letter of /proc/<pid>/task/<tid>/stat, or 0 (gone). */
static char task_state(struct sentry_call *c, unsigned pid, unsigned tid) {
        char path[80], buf[1024];
        snprintf(path, sizeof path, "%u/task/%u/stat", pid, tid);
        if (read_small(c->cfg->proc_fd, path, buf, sizeof buf) < 0)
                return 0;
        const char *p = strrchr(buf, ')'); /* the name may hold anything but ends at the last ')' */
        return p && p[1] == ' ' ? p[2] : 0;
}

/* The number a status file's line ("NSpid", "NStgid") gives in the
 * innermost pid namespace (its last field), or 0. */
static unsigned status_ns_number(const char *status, const char *key) {
        char line[16];
        snprintf(line, sizeof line, "\n%s:", key);
        const char *p = strstr(status, line);
        if (!p)
                return 0;
        const char *end = strchrnul(p + 1, '\n');
        const char *last = end;
        while (last > p && (last[-1] >= '0' && last[-1] <= '9'))
                last--;
        return (unsigned) strtoul(last, NULL, 10);
}

/* The pid of the task in the innermost pid namespace, or 0. */
static unsigned ns_pid(struct sentry_call *c, unsigned pid, unsigned tid) {
        char path[80], buf[16384];
        snprintf(path, sizeof path, "%u/task/%u/status", pid, tid);
        if (read_small(c->cfg->proc_fd, path, buf, sizeof buf) < 0)
                return 0;
        return status_ns_number(buf, "NSpid");
}

int sentry_container_tasks(struct sentry_call *c, struct sentry_tasks *t) {
        *t = (struct sentry_tasks){0};
        _cleanup_free_ char *procs = malloc(CG_PROCS_MAX);
        if (!procs)
                return -ENOMEM;
        int r = cg_read(c, &c->cfg->cg_memory, "cgroup.procs", procs, CG_PROCS_MAX);
        if (r < 0)
                return r;
        unsigned self = (unsigned) getpid(), newest_pid = 0, newest_tid = 0;
        for (char *p = procs, *end; *p; p = end) {
                unsigned pid = (unsigned) strtoul(p, &end, 10);
                if (end == p)
                        break;
                while (*end == '\n')
                        end++;
                if (pid == self || pid == (unsigned) c->cfg->gofer_pid)
                        continue;
                char dir[32];
                snprintf(dir, sizeof dir, "%u/task", pid);
                int fd = openat(c->cfg->proc_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue; /* exited meanwhile */
                _cleanup_closedir_ DIR *tasks = fdopendir(fd);
                if (!tasks) {
                        close(fd);
                        return log_error_errno(-errno, "sentry: listing the threads of %u", pid);
                }
                for (struct dirent *e; (e = readdir(tasks));) {
                        if (e->d_name[0] < '0' || e->d_name[0] > '9')
                                continue;
                        unsigned tid = (unsigned) strtoul(e->d_name, NULL, 10);
                        /* the caller runs: it is only waiting for this answer */
                        char state = tid == c->req->pid ? 'R' : task_state(c, pid, tid);
                        if (!state)
                                continue;
                        t->total++;
                        if (state == 'R')
                                t->running++;
                        else if (state == 'D')
                                t->blocked++;
                        if (tid > newest_tid) {
                                newest_tid = tid;
                                newest_pid = pid;
                        }
                }
        }
        /* Pids grow in both namespaces alike (until they wrap): the task the
         * host numbered last is the one the container numbered last. */
        if (newest_tid)
                t->last_pid = ns_pid(c, newest_pid, newest_tid);
        return 0;
}

/* ---- the files --------------------------------------------------------------------------- */

#define KB(x) ((x) / 1024)

static int gen_meminfo(struct sentry_call *c, FILE *f) {
        struct sentry_mem m;
        int r = sentry_container_memory(c, &m);
        if (r < 0)
                return r;
        fprintf(f, "MemTotal:       %8" PRIu64 " kB\n", KB(m.total));
        fprintf(f, "MemFree:        %8" PRIu64 " kB\n", KB(m.free));
        fprintf(f, "MemAvailable:   %8" PRIu64 " kB\n", KB(m.available));
        /* cgroups account buffers as file pages: they are in Cached */
        fprintf(f, "Buffers:        %8" PRIu64 " kB\n", (uint64_t) 0);
        fprintf(f, "Cached:         %8" PRIu64 " kB\n", KB(m.cached));
        fprintf(f, "SwapCached:     %8" PRIu64 " kB\n", (uint64_t) 0);
        fprintf(f, "Active:         %8" PRIu64 " kB\n", KB(m.active_anon + m.active_file));
        fprintf(f, "Inactive:       %8" PRIu64 " kB\n", KB(m.inactive_anon + m.inactive_file));
        fprintf(f, "Active(anon):   %8" PRIu64 " kB\n", KB(m.active_anon));
        fprintf(f, "Inactive(anon): %8" PRIu64 " kB\n", KB(m.inactive_anon));
        fprintf(f, "Active(file):   %8" PRIu64 " kB\n", KB(m.active_file));
        fprintf(f, "Inactive(file): %8" PRIu64 " kB\n", KB(m.inactive_file));
        fprintf(f, "Unevictable:    %8" PRIu64 " kB\n", KB(m.unevictable));
        fprintf(f, "SwapTotal:      %8" PRIu64 " kB\n", KB(m.swap_total));
        fprintf(f, "SwapFree:       %8" PRIu64 " kB\n", KB(m.swap_free));
        fprintf(f, "Dirty:          %8" PRIu64 " kB\n", KB(m.dirty));
        fprintf(f, "Writeback:      %8" PRIu64 " kB\n", KB(m.writeback));
        fprintf(f, "AnonPages:      %8" PRIu64 " kB\n", KB(m.anon));
        fprintf(f, "Mapped:         %8" PRIu64 " kB\n", KB(m.mapped));
        fprintf(f, "Shmem:          %8" PRIu64 " kB\n", KB(m.shmem));
        if (m.has_slab) {
                fprintf(f, "Slab:           %8" PRIu64 " kB\n", KB(m.slab_reclaimable + m.slab_unreclaimable));
                fprintf(f, "SReclaimable:   %8" PRIu64 " kB\n", KB(m.slab_reclaimable));
                fprintf(f, "SUnreclaim:     %8" PRIu64 " kB\n", KB(m.slab_unreclaimable));
        }
        return 0;
}

/* The host's /proc/cpuinfo split into one block per "processor" (lock held). */
static int load_cpuinfo(struct sentry_call *c, struct sentry_procfs *p) {
        if (p->cpuinfo)
                return 0;
        size_t size = 1 << 20;
        _cleanup_free_ char *text = malloc(size);
        if (!text)
                return -ENOMEM;
        int len = read_small(c->cfg->proc_fd, "cpuinfo", text, size);
        if (len < 0)
                return log_error_errno(len, "sentry: reading the host's /proc/cpuinfo");
        size_t cap = 0;
        for (char *b = strstr(text, "processor"); b; b = strstr(b + 1, "\nprocessor")) {
                if (*b == '\n')
                        b++;
                const char *colon = strchr(b, ':');
                char *end = strstr(b, "\n\n");
                size_t blen = end ? (size_t) (end - b) + 2 : strlen(b);
                if (p->n_blocks == cap) {
                        cap = cap ? 2 * cap : 16;
                        struct cpu_block *nb = realloc(p->blocks, cap * sizeof *nb);
                        if (!nb)
                                return -ENOMEM;
                        p->blocks = nb;
                }
                p->blocks[p->n_blocks++] =
                        (struct cpu_block){colon ? atoi(colon + 1) : -1, (size_t) (b - text), blen};
        }
        if (p->n_blocks == 0)
                return log_fail(-EINVAL, "sentry: the host's /proc/cpuinfo has no processor");
        p->cpuinfo = TAKE_PTR(text);
        return 0;
}

static int gen_cpuinfo(struct sentry_call *c, FILE *f) {
        cpu_set_t set;
        unsigned n;
        int r = container_cpus(c, &set, &n);
        if (r < 0)
                return r;
        struct sentry_procfs *p = sentry_procfs_cache(c);
        pthread_mutex_lock(&p->lock);
        r = load_cpuinfo(c, p);
        for (size_t i = 0; r >= 0 && i < p->n_blocks; i++) {
                int cpu = p->blocks[i].cpu;
                if (cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set))
                        fwrite(p->cpuinfo + p->blocks[i].off, 1, p->blocks[i].len, f);
        }
        pthread_mutex_unlock(&p->lock);
        return r;
}

static int gen_stat(struct sentry_call *c, FILE *f) {
        cpu_set_t set;
        unsigned n;
        uint64_t user, system;
        struct sentry_tasks t;
        int r = container_cpus(c, &set, &n);
        if (r >= 0)
                r = container_cpu_time(c, &user, &system);
        if (r >= 0)
                r = sentry_container_tasks(c, &t);
        if (r < 0)
                return r;
        double up = sentry_container_uptime(c);
        uint64_t idle = sub_or_0((uint64_t) (up * USER_HZ) * n, user + system);
        fprintf(f, "cpu  %" PRIu64 " 0 %" PRIu64 " %" PRIu64 " 0 0 0 0 0 0\n", user, system, idle);
        /* the cgroup does not account per CPU: each has an equal share */
        for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
                if (CPU_ISSET(cpu, &set))
                        fprintf(f, "cpu%d %" PRIu64 " 0 %" PRIu64 " %" PRIu64 " 0 0 0 0 0 0\n", cpu, user / n,
                                system / n, idle / n);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        /* interrupts and context switches are not accounted per container */
        fprintf(f, "intr 0\nctxt 0\nbtime %" PRIu64 "\n", (uint64_t) ((double) now.tv_sec - up));
        fprintf(f, "processes %u\nprocs_running %u\nprocs_blocked %u\nsoftirq 0\n", t.last_pid, t.running,
                t.blocked);
        return 0;
}

static int gen_uptime(struct sentry_call *c, FILE *f) {
        cpu_set_t set;
        unsigned n;
        uint64_t user, system;
        int r = container_cpus(c, &set, &n);
        if (r >= 0)
                r = container_cpu_time(c, &user, &system);
        if (r < 0)
                return r;
        double up = sentry_container_uptime(c);
        double idle = up * n - (double) (user + system) / USER_HZ;
        fprintf(f, "%.2f %.2f\n", up, idle > 0 ? idle : 0);
        return 0;
}

/* The Sentry keeps no history, so the three averages are the runnable
 * threads now (the caller among them, as the kernel counts its reader). */
static int gen_loadavg(struct sentry_call *c, FILE *f) {
        struct sentry_tasks t;
        int r = sentry_container_tasks(c, &t);
        if (r < 0)
                return r;
        fprintf(f, "%u.00 %u.00 %u.00 %u/%u %u\n", t.running, t.running, t.running, t.running, t.total,
                t.last_pid);
        return 0;
}

static int gen_version(struct sentry_call *c, FILE *f) {
        fprintf(f, "Linux version %s (cocoon@sentry) (cocoon) %s\n", sentry_release(c), SENTRY_UTS_VERSION);
        return 0;
}

/* /proc/sys/kernel/osrelease and version: what uname says (without
 * UNAME26, which only uname applies, as the kernel's override_release) */
static int gen_osrelease(struct sentry_call *c, FILE *f) {
        fprintf(f, "%s\n", sentry_release(c));
        return 0;
}

static int gen_kversion(struct sentry_call *c, FILE *f) {
        (void) c;
        fprintf(f, "%s\n", SENTRY_UTS_VERSION);
        return 0;
}

/* The host's would name its kernel image, release and boot options; this
 * is a Debian-style line for the configured release (gVisor's is
 * "BOOT_IMAGE=/vmlinuz-<release>-gvisor quiet"). */
static int gen_cmdline(struct sentry_call *c, FILE *f) {
        fprintf(f, "BOOT_IMAGE=/vmlinuz-%s quiet\n", sentry_release(c));
        return 0;
}

static int (*const generators[])(struct sentry_call *, FILE *) = {
        gen_meminfo, gen_cpuinfo,   gen_stat,     gen_uptime,  gen_loadavg,
        gen_version, gen_osrelease, gen_kversion, gen_cmdline,
};
_Static_assert(ELEMENTSOF(generators) + 1 == ELEMENTSOF(procfs_names), "a generator per whole file");
_Static_assert(1U << ELEMENTSOF(generators) == SENTRY_PROCFS_MOUNTS, "the mount tables come last");

/* ---- the mount tables ---------------------------------------------------------------------- */

/*
 * mounts, mountinfo and mountstats of a process are the kernel's, read by
 * the Sentry from a procfs that knows the process, with what they tell of
 * the host taken out:
 *   - a mount's root within its filesystem (mountinfo's 4th field) is "/":
 *     a bind mount's would be the host directory (the rootfs's, the
 *     bundle's path).  cgroup and cgroup2 mounts keep theirs, the cgroup
 *     path that /proc/<pid>/cgroup shows too (JVMs match the two);
 *   - a source that is a path (/dev/vda) is "none";
 *   - a filesystem option whose value holds a '/' (overlay's lowerdir=,
 *     upperdir=, workdir=) is left out.
 * Mount points, ids, parents, device numbers, types and the other options
 * are the container's own and stay.
 */
enum { MT_MOUNTS, MT_MOUNTINFO, MT_MOUNTSTATS };
static const char *const mount_tables[] = {"mounts", "mountinfo", "mountstats"};
#define MOUNT_TABLE_MAX (64 << 20)
#define MOUNT_FIELDS_MAX 32

/* Where the kernel's table of the process a path names is. */
struct mount_table {
        int table;    /* MT_* */
        int dirfd;    /* the procfs to read it from */
        char dir[64]; /* the process's directory below dirfd */
};

struct comp {
        const char *s;
        size_t n;
};

static bool comp_is(struct comp c, const char *name) {
        return strlen(name) == c.n && memcmp(c.s, name, c.n) == 0;
}

/* A number procfs might know (a longer one is the kernel's ENOENT). */
static bool comp_number(struct comp c) {
        if (c.n == 0 || c.n > 10)
                return false;
        for (size_t i = 0; i < c.n; i++)
                if (c.s[i] < '0' || c.s[i] > '9')
                        return false;
        return true;
}

/* The caller's process id in its own (the workload's) pid namespace. */
static int caller_ns_tgid(struct sentry_call *c, unsigned *ret) {
        char path[32], buf[16384];
        snprintf(path, sizeof path, "%u/status", c->req->pid);
        int r = read_small(c->cfg->proc_fd, path, buf, sizeof buf);
        if (r < 0)
                return r;
        *ret = status_ns_number(buf, "NStgid");
        return *ret ? sentry_valid(c) : -ENOENT;
}

/*
 * Whether folded (a /proc path as sentry_path_procfs_fold gives it) names a
 * mount table: 1 with *t filled, 0 when not (the kernel's file, or the
 * kernel's error, which needs no Sentry), or -errno.
 *
 * A pid in the path is the workload's (its pid namespace), so it is looked
 * up in the workload's own procfs (workload_proc_fd).  self is the caller,
 * which the Sentry's procfs knows by the notification's thread id: the
 * Sentry is not in the workload's pid namespace, so "self" there would be
 * nobody.  A thread's table is its process's (the threads share one mount
 * namespace and root: unshare, setns and chroot are refused).
 */
static int mount_table_of(struct sentry_call *c, const char *folded, const char *abs, struct mount_table *t) {
        struct comp comp[4];
        size_t n = 0;
        for (const char *s = folded + strlen("/proc/");;) {
                const char *end = strchrnul(s, '/');
                if (n == ELEMENTSOF(comp) || end == s)
                        return 0; /* deeper, or a trailing '/' (ENOTDIR) */
                comp[n++] = (struct comp){s, (size_t) (end - s)};
                if (!*end)
                        break;
                s = end + 1;
        }
        int table = -1;
        for (size_t i = 0; i < ELEMENTSOF(mount_tables); i++)
                if (comp_is(comp[n - 1], mount_tables[i]))
                        table = (int) i;
        if (table < 0 || (n != 2 && n != 4))
                return 0;
        bool self = comp_is(comp[0], "self"), thread_self = false;
        if (!self && !comp_number(comp[0]))
                return 0;
        if (n == 4) {
                if (!comp_is(comp[1], "task"))
                        return 0;
                /* the fold writes /proc/thread-self as self/task/thread-self;
                 * a path that says so itself names no task (ENOENT) */
                thread_self = self && comp_is(comp[2], "thread-self") && !strstr(abs, "/task/thread-self");
                if (!thread_self && !comp_number(comp[2]))
                        return 0;
        }
        t->table = table;
        if (self && (n == 2 || thread_self)) {
                unsigned tid = c->req->pid;
                t->dirfd = c->cfg->proc_fd;
                if (n == 2)
                        snprintf(t->dir, sizeof t->dir, "%u", tid);
                else
                        snprintf(t->dir, sizeof t->dir, "%u/task/%u", tid, tid);
                return 1;
        }
        char pid[16];
        if (self) {
                unsigned tgid;
                int r = caller_ns_tgid(c, &tgid);
                if (r < 0)
                        return r;
                snprintf(pid, sizeof pid, "%u", tgid);
        } else
                snprintf(pid, sizeof pid, "%.*s", (int) comp[0].n, comp[0].s);
        t->dirfd = c->cfg->workload_proc_fd;
        if (n == 2)
                snprintf(t->dir, sizeof t->dir, "%s", pid);
        else
                snprintf(t->dir, sizeof t->dir, "%s/task/%.*s", pid, (int) comp[2].n, comp[2].s);
        return 1;
}

/* A whole file, NUL-terminated, in *ret (malloc'd). */
static int read_all(int fd, char **ret, size_t *ret_len) {
        size_t size = 16384, len = 0;
        _cleanup_free_ char *buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == size - 1) {
                        if (size >= MOUNT_TABLE_MAX)
                                return log_fail(-EFBIG, "sentry: a mount table of more than %d MiB",
                                                MOUNT_TABLE_MAX >> 20);
                        char *more = realloc(buf, size * 2);
                        if (!more)
                                return -ENOMEM;
                        buf = more;
                        size *= 2;
                }
                ssize_t n = read(fd, buf + len, size - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* The fields of a line, split at single spaces (an empty source is an
 * empty field): their number, 0 when there are too many. */
static size_t split_fields(char *line, char **field) {
        size_t n = 0;
        for (char *s = line;;) {
                if (n == MOUNT_FIELDS_MAX)
                        return 0;
                field[n++] = s;
                s = strchr(s, ' ');
                if (!s)
                        return n;
                *s++ = 0;
        }
}

static const char *scrub_source(const char *source) {
        return source[0] == '/' ? "none" : source;
}

/* Options but those whose value holds a path (the kernel escapes commas
 * within a value, so a comma always separates two). */
static void put_options(FILE *f, const char *opts) {
        bool first = true;
        for (const char *p = opts;;) {
                const char *end = strchrnul(p, ',');
                if (!memchr(p, '/', (size_t) (end - p))) {
                        if (!first)
                                fputc(',', f);
                        fwrite(p, 1, (size_t) (end - p), f);
                        first = false;
                }
                if (!*end)
                        break;
                p = end + 1;
        }
}

/* One mountinfo line, "36 35 98:0 /root /mnt rw,noatime master:1 - ext4
 * /dev/vda rw,errors=continue", as mountinfo or as a mountstats line;
 * false when it is not one (left out, as it cannot be scrubbed). */
static bool put_mountinfo_line(FILE *f, char *line, bool stats) {
        char *field[MOUNT_FIELDS_MAX];
        size_t n = split_fields(line, field), dash = 6;
        while (dash < n && strcmp(field[dash], "-") != 0)
                dash++;
        if (n < 10 || dash + 4 != n)
                return false;
        const char *type = field[dash + 1], *source = scrub_source(field[dash + 2]);
        if (stats) {
                /* NFS's statistics (show_stats) are not in mountinfo */
                fprintf(f, "device %s mounted on %s with fstype %s\n", source, field[4], type);
                return true;
        }
        bool cgroup = strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0;
        fprintf(f, "%s %s %s %s %s %s", field[0], field[1], field[2], cgroup ? field[3] : "/", field[4], field[5]);
        for (size_t i = 6; i < dash; i++)
                fprintf(f, " %s", field[i]);
        fprintf(f, " - %s %s ", type, source);
        put_options(f, field[dash + 3]);
        fputc('\n', f);
        return true;
}

/* One mounts line, "/dev/vda / ext4 rw,relatime 0 0". */
static bool put_mounts_line(FILE *f, char *line) {
        char *field[MOUNT_FIELDS_MAX];
        if (split_fields(line, field) != 6)
                return false;
        fprintf(f, "%s %s %s ", scrub_source(field[0]), field[1], field[2]);
        put_options(f, field[3]);
        fprintf(f, " %s %s\n", field[4], field[5]);
        return true;
}

static void scrub_table(FILE *f, int table, char *text) {
        for (char *line = text, *next; *line; line = next) {
                next = strchrnul(line, '\n');
                if (*next)
                        *next++ = 0;
                if (table == MT_MOUNTS)
                        put_mounts_line(f, line);
                else
                        put_mountinfo_line(f, line, table == MT_MOUNTSTATS);
        }
}

/* Whether the caller may read a file of this owner and mode, as the
 * kernel's generic_permission decides (procfs has no ACLs). */
static int may_read(struct sentry_call *c, const struct stat *st) {
        int r = sentry_cred(c);
        if (r < 0)
                return r;
        uint32_t uid, gid;
        bool uid_mapped = sentry_id_inside(c, false, st->st_uid, &uid);
        bool gid_mapped = sentry_id_inside(c, true, st->st_gid, &gid);
        bool in_group = gid_mapped && gid == c->cred.fsgid;
        for (uint32_t i = 0; gid_mapped && i < c->cred.n_groups; i++)
                in_group |= c->cred.groups[i] == gid;
        mode_t bit = uid_mapped && uid == c->cred.fsuid ? S_IRUSR : in_group ? S_IRGRP : S_IROTH;
        if (st->st_mode & bit)
                return 0;
        uint64_t dac = UINT64_C(1) << CAP_DAC_OVERRIDE | UINT64_C(1) << CAP_DAC_READ_SEARCH;
        return uid_mapped && gid_mapped && (c->cred.cap_effective & dac) ? 0 : -EACCES;
}

/* As procfs (and /sys's skeleton) in the workload's view, which is mounted
 * read-only: the file exists, is no directory, and cannot be written. */
int sentry_synth_refuse_writes(int flags) {
        if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
                return -EEXIST;
        if (flags & O_DIRECTORY)
                return -ENOTDIR;
        if (!(flags & O_PATH) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
                return -EROFS;
        return 0;
}

static long mount_table_open(struct sentry_call *c, const struct mount_table *t, int flags) {
        char path[96];
        struct stat st;
        /* mountstats is mode 0400, its process's owner's, which the Sentry
         * (uid nobody) is not: it is rendered from mountinfo, which lists
         * the same mounts, and its mode decides for the caller */
        if (t->table == MT_MOUNTSTATS) {
                snprintf(path, sizeof path, "%s/mountstats", t->dir);
                if (fstatat(t->dirfd, path, &st, 0) < 0)
                        return -errno;
        }
        snprintf(path, sizeof path, "%s/%s", t->dir, t->table == MT_MOUNTS ? "mounts" : "mountinfo");
        /* the kernel's errors are the caller's: no such process (ENOENT),
         * a zombie (EINVAL) */
        _cleanup_close_ int fd = openat(t->dirfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = sentry_synth_refuse_writes(flags);
        if (r == 0 && t->table == MT_MOUNTSTATS && !(flags & O_PATH))
                r = may_read(c, &st);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (r == 0)
                r = read_all(fd, &text, &len);
        /* the caller's thread id named its table: still the caller's? */
        if (r == 0 && t->dirfd == c->cfg->proc_fd)
                r = sentry_valid(c);
        if (r < 0)
                return r;
        _cleanup_free_ char *out = NULL;
        size_t out_len = 0;
        FILE *f = open_memstream(&out, &out_len);
        if (!f)
                return log_error_errno(-errno, "sentry: open_memstream");
        scrub_table(f, t->table, text);
        if (fclose(f) != 0)
                return log_error_errno(-ENOMEM, "sentry: rendering /proc/%s", mount_tables[t->table]);
        int mfd = sentry_sealed_file(c, mount_tables[t->table], out, out_len, flags);
        return mfd < 0 ? mfd : sentry_install_fd(c, mfd, flags & O_CLOEXEC);
}

/* ---- open ---------------------------------------------------------------------------------- */

/*
 * /proc/self/fd/<n>/<rest> and /proc/self/cwd/<rest> (and thread-self's):
 * the path the kernel would follow, the caller's own directory joined with
 * rest, in out; false for any other path or a link that is no directory's
 * (the kernel's then).  Magic links the fold cannot follow, so that a
 * descriptor or cwd of /proc/self is no way to the kernel's mount tables.
 */
static bool follow_own_link(struct sentry_call *c, const char *abs, char *out, size_t size) {
        const char *rest;
        if (strncmp(abs, "/proc/self/", 11) == 0)
                rest = abs + 11;
        else if (strncmp(abs, "/proc/thread-self/", 18) == 0)
                rest = abs + 18;
        else
                return false;
        struct sentry_path dir;
        if (strncmp(rest, "cwd/", 4) == 0) {
                /* resolved as a path relative to the cwd */
                snprintf(dir.user, sizeof dir.user, "%s", rest + 4);
                if (sentry_path_resolve(c, AT_FDCWD, 0, &dir) < 0)
                        return false;
                snprintf(out, size, "%s", dir.abs);
                return true;
        }
        if (strncmp(rest, "fd/", 3) != 0 || rest[3] < '0' || rest[3] > '9')
                return false;
        char *end;
        long fd = strtol(rest + 3, &end, 10);
        if (*end != '/' || fd > INT_MAX || sentry_fd_path(c, (int) fd, dir.abs, sizeof dir.abs) < 0)
                return false;
        return sentry_path_join(dir.abs, end + 1, out, size) == 0;
}

/* What p names: the SENTRY_PROCFS_* bit of a whole file, SENTRY_PROCFS_MOUNTS
 * with *t filled for a mount table, 0 for anything else; or -errno. */
static int synthesized(struct sentry_call *c, const struct sentry_path *p, uint64_t resolve_flags,
                       struct mount_table *t) {
        if (!c->cfg->procfs_files)
                return 0;
        char linked[PATH_MAX], folded[PATH_MAX];
        const char *abs = follow_own_link(c, p->abs, linked, sizeof linked) ? linked : p->abs;
        if (sentry_path_procfs_fold(abs, folded, sizeof folded) < 0 || strncmp(folded, "/proc/", 6) != 0)
                return 0;
        /* RESOLVE_* would judge the walk, which only a single component
         * below a /proc descriptor passes as it is: a longer one gets the
         * kernel's file */
        bool walk = resolve_flags && strchr(p->user, '/');
        for (size_t i = 0; i < ELEMENTSOF(generators) && !walk; i++)
                if (strcmp(folded + 6, procfs_names[i]) == 0)
                        return (int) (c->cfg->procfs_files & (1U << i));
        if (!(c->cfg->procfs_files & SENTRY_PROCFS_MOUNTS))
                return 0;
        /* A mount table is never the kernel's: with RESOLVE_* the walk is
         * taken as the fold sees it (docs/sentry.md), but for the one link
         * a single component meets, /proc/mounts -> self/mounts. */
        if (!walk && (resolve_flags & RESOLVE_NO_SYMLINKS) && strcmp(folded, "/proc/self/mounts") == 0 &&
            strcmp(p->user, "mounts") == 0)
                return -ELOOP;
        int r = mount_table_of(c, folded, abs, t);
        return r <= 0 ? r : SENTRY_PROCFS_MOUNTS;
}

/* text in a sealed memfd, reopened read-only (flags: O_NONBLOCK, O_PATH);
 * `what` names the file (its last component names the memfd). */
int sentry_sealed_file(struct sentry_call *c, const char *what, const char *text, size_t len, int flags) {
        const char *base = strrchr(what, '/');
        char name[32];
        snprintf(name, sizeof name, "cocoon-%s", base ? base + 1 : what);
        /* not executable (mode 0666), as the text it holds; kernels before
         * 6.3 know no such flag (EINVAL) and make it 0777 */
        _cleanup_close_ int mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
        if (mfd < 0 && errno == EINVAL)
                mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return log_error_errno(-errno, "sentry: memfd_create");
        ssize_t n = write_full(mfd, text, len);
        if (n < 0)
                return log_error_errno((int) n, "sentry: writing %s", what);
        if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
                return log_error_errno(-errno, "sentry: sealing %s", what);
        /* a new read-only file description of the same inode, at offset 0 */
        char link[16];
        snprintf(link, sizeof link, "%d", mfd);
        int fd = openat(sentry_own_fd_dir(c), link, (flags & (O_NONBLOCK | O_PATH)) | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "sentry: reopening %s read-only", what);
        return fd;
}

/* A whole file's content in a sealed memfd. */
static int render(struct sentry_call *c, unsigned bit, int flags) {
        int gen = __builtin_ctz(bit);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return log_error_errno(-errno, "sentry: open_memstream");
        int r = generators[gen](c, f);
        if (fclose(f) != 0 && r >= 0)
                r = log_error_errno(-ENOMEM, "sentry: rendering /proc/%s", procfs_names[gen]);
        if (r < 0)
                return r;
        return sentry_sealed_file(c, procfs_names[gen], text, len, flags);
}

long sentry_procfs_open(struct sentry_call *c, const struct sentry_path *p, int flags, uint64_t resolve_flags) {
        struct mount_table t;
        int what = synthesized(c, p, resolve_flags, &t);
        if (what == 0)
                return SENTRY_FAST_MISS;
        if (what < 0)
                return what;
        if (what == SENTRY_PROCFS_MOUNTS)
                return mount_table_open(c, &t, flags);
        int r = sentry_synth_refuse_writes(flags);
        if (r < 0)
                return r;
        int fd = render(c, (unsigned) what, flags);
        if (fd < 0)
                return fd;
        return sentry_install_fd(c, fd, flags & O_CLOEXEC);
}

/* ---- sched_getaffinity ---------------------------------------------------------------------- */

/*
 * The caller's own mask within the container's CPUs, so that nproc counts
 * what the quota allows.  Another thread's (pid != 0) is asked of the
 * kernel: its number is in the workload's pid namespace, which the Sentry
 * would have to translate.  A thread that pinned itself outside the
 * container's CPUs (sched_setaffinity is the kernel's) sees its own mask.
 */
long sys_sched_getaffinity(struct sentry_call *c) {
        if ((pid_t) ARG(0) != 0 || !c->cfg->procfs_files)
                return SENTRY_CONTINUE;
        size_t len = (size_t) ARG(1);
        if (len > 8192)
                len = 8192;
        uint8_t mask[8192];
        /* the kernel's own length checks (EINVAL) on the caller's length */
        long n = syscall(SYS_sched_getaffinity, (pid_t) c->req->pid, len, mask);
        if (n < 0)
                return -errno;
        int r = sentry_valid(c);
        if (r < 0)
                return r;
        cpu_set_t set;
        unsigned count;
        r = container_cpus(c, &set, &count);
        if (r < 0)
                return r;
        uint8_t within[8192];
        bool any = false;
        for (long i = 0; i < n; i++) {
                uint8_t ours = 0;
                for (int b = 0; b < 8; b++)
                        if (i * 8 + b < CPU_SETSIZE && CPU_ISSET(i * 8 + b, &set))
                                ours |= (uint8_t) (1 << b);
                within[i] = mask[i] & ours;
                any |= within[i] != 0;
        }
        r = sentry_write(c, ARG(2), any ? within : mask, (size_t) n);
        return r < 0 ? r : n;
}
