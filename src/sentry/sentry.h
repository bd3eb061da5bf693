/* SPDX-License-Identifier: MIT */
/*
 * The Sentry: answers the workload's system calls that the boundary
 * (syscalls.def) sends to it through seccomp user notification.  One Sentry
 * per container; it holds the listener fd of every process of the
 * container (the init's, and one per `exec`), a connection per thread to
 * the Gofer, and nothing of the host's filesystem.
 *
 * docs/sentry.md describes the engine and what each call gets.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* uname's release when the configuration gives none: a plausible LTS
 * kernel, not the host's (whose exact version would tell an attacker which
 * kernel bugs are reachable). */
#define SENTRY_DEFAULT_RELEASE "6.1.0-cocoon"
/* The config.json annotation that sets it per container (Kubernetes pod
 * annotations reach it through containerd), over --sentry-release. */
#define SENTRY_RELEASE_ANNOTATION "io.github.cocoon.sentry.release"

/* A release uname may show: 1 to 64 printable ASCII characters, no blanks
 * (utsname's field is 65 bytes).  0, or -EINVAL logged naming `where`. */
int sentry_release_check(const char *release, const char *where);

/* The /proc files the Sentry synthesizes (sys_procfs.c), one bit each in
 * sentry_config.procfs_files: from the container's cgroup, from its
 * configured release, and the mount tables with the host's paths taken out. */
enum {
        SENTRY_PROCFS_MEMINFO = 1 << 0,
        SENTRY_PROCFS_CPUINFO = 1 << 1,
        SENTRY_PROCFS_STAT = 1 << 2,
        SENTRY_PROCFS_UPTIME = 1 << 3,
        SENTRY_PROCFS_LOADAVG = 1 << 4,
        SENTRY_PROCFS_VERSION = 1 << 5,
        SENTRY_PROCFS_OSRELEASE = 1 << 6, /* sys/kernel/osrelease */
        SENTRY_PROCFS_KVERSION = 1 << 7,  /* sys/kernel/version */
        SENTRY_PROCFS_CMDLINE = 1 << 8,
        /* mounts, mountinfo and mountstats of every process (/proc/mounts,
         * /proc/<pid>/..., /proc/<pid>/task/<tid>/...) */
        SENTRY_PROCFS_MOUNTS = 1 << 9,
        SENTRY_PROCFS_ALL = (1 << 10) - 1,
};
/* The file's path below /proc ("meminfo", "sys/kernel/osrelease";
 * "mounts" for SENTRY_PROCFS_MOUNTS); NULL for anything else. */
const char *sentry_procfs_name(unsigned bit);

/* The /sys files the Sentry synthesizes from the container's cgroup
 * (sys_sysfs.c), one bit each in sentry_config.sysfs_files: the lists of
 * the container's CPUs in the sandbox's read-only /sys skeleton. */
enum {
        SENTRY_SYSFS_CPU_ONLINE = 1 << 0,
        SENTRY_SYSFS_CPU_POSSIBLE = 1 << 1,
        SENTRY_SYSFS_CPU_PRESENT = 1 << 2,
        SENTRY_SYSFS_NODE0_CPULIST = 1 << 3,
        SENTRY_SYSFS_ALL = (1 << 4) - 1,
};
/* "/sys/devices/system/cpu/online" for SENTRY_SYSFS_CPU_ONLINE...; NULL for anything else. */
const char *sentry_sysfs_path(unsigned bit);

/* One directory of the container's cgroup (O_PATH), and whether it is cgroup2. */
struct sentry_cgroup_dir {
        int fd;
        bool v2;
};

/* What one sentry_serve() did, for tests and `--debug` (filled on return). */
struct sentry_stats {
        uint64_t notifications; /* notifications received */
        uint64_t continued;     /* answered with SECCOMP_USER_NOTIF_FLAG_CONTINUE */
        uint64_t gofer_calls;   /* notifications that needed the Gofer */
        uint64_t fast_path;     /* path calls the Sentry answered itself (fastpath.c) */
        uint64_t fds_installed; /* SECCOMP_IOCTL_NOTIF_ADDFD + SEND */
        unsigned listeners;     /* listener fds served (the init's + one per exec) */
        unsigned workers_peak;  /* most worker threads alive at once */
        unsigned workers_started; /* threads started in all (growth when all were busy) */
};

/* One line of a user namespace's uid_map or gid_map. */
struct sentry_id_map {
        uint32_t inside, outside, count;
};
#define SENTRY_ID_MAP_MAX 16

struct sentry_config {
        int notify_fd;       /* the init's seccomp listener */
        int gofer_ctl_fd;    /* the Gofer's control socket (gofer_client_new) */
        int control_fd;      /* listening unix socket: `exec` sends further listener fds here
                              * (SCM_RIGHTS, see sentry_send_listener), or -1 */
        int proc_fd;         /* O_PATH fd of a procfs that shows the workload's processes (host /proc) */
        /* O_PATH fd of the workload's own procfs (its /proc), where pids are
         * the workload's: needed with SENTRY_PROCFS_MOUNTS, else -1 */
        int workload_proc_fd;
        const char *release; /* uname release shown to the workload (NULL: SENTRY_DEFAULT_RELEASE) */
        const char *hostname;   /* uname nodename (NULL: the Sentry's own, i.e. its UTS namespace's) */
        const char *domainname; /* uname domainname (NULL: the Sentry's own) */
        uint64_t memory_limit;  /* the container's memory limit in bytes (0: none): caps sysinfo */
        unsigned long personality; /* the init's persona (OCI linux.personality), 0: PER_LINUX */
        bool strace;         /* one log line per handled syscall (--strace) */
        bool net_raw;        /* the container holds CAP_NET_RAW */
        unsigned workers_min; /* worker threads per listener kept waiting (0: 2) */
        unsigned workers_max; /* cap per listener (0: 64) */
        struct sentry_stats *stats; /* optional: filled when sentry_serve returns */
        /* Synthesized /proc files (SENTRY_PROCFS_*; 0: none, the kernel's
         * are shown).  With any bit set, the container's cgroup directories
         * below must be open (the Sentry dups them): memory (limit, usage,
         * memory.stat, cgroup.procs), cpu (quota) and cpuacct (usage). */
        unsigned procfs_files;
        /* Synthesized /sys files (SENTRY_SYSFS_*; 0: none).  With any bit
         * set, the cgroup directories below must be open as well. */
        unsigned sysfs_files;
        struct sentry_cgroup_dir cg_memory, cg_cpu, cg_cpuacct;
        /* uptime = the Sentry's CLOCK_BOOTTIME - this: the time the container
         * was created, or minus the boottime offset of its own time namespace */
        int64_t uptime_base_ns;
        pid_t gofer_pid;            /* not one of the workload's tasks (nor is the Sentry's process) */
        /* The workload's user namespace, when it is not the Sentry's: its
         * maps (outside = as the Sentry sees ids).  /proc/<tid>/status shows
         * the Sentry host ids, while the Gofer runs inside that namespace:
         * the caller's credentials are translated before they reach it
         * (an id without a mapping becomes the overflow id, 65534). */
        struct sentry_id_map uid_map[SENTRY_ID_MAP_MAX], gid_map[SENTRY_ID_MAP_MAX];
        unsigned n_uid_map, n_gid_map;
};

/* Serve notifications on worker threads until every listener is dead (all
 * processes of the container are gone: the kernel reports POLLHUP).  Returns
 * 0, or -errno on a fatal failure (the Gofer died): the caller then kills the
 * container.  The Sentry dups the fds it is given; the caller keeps its own.
 * It installs a do-nothing handler for SIGRTMIN+5 (process-wide), the
 * signal that wakes its workers to stop. */
int sentry_serve(const struct sentry_config *c);

/* The `exec` side of the control socket: send `listener` over `sock` (a
 * SOCK_SEQPACKET or SOCK_STREAM connection to cfg->control_fd) and wait
 * until the Sentry serves it, so that a lost listener fails `exec` instead of
 * leaving its process blocked forever.  Returns 0 or -errno (logged). */
int sentry_send_listener(int sock, int listener);
