/* SPDX-License-Identifier: MIT */
/*
 * /sys under the sentry sandbox: in place of an OCI "sysfs" mount (and of
 * the bind of the host's /sys that replaces it in a user namespace, or that
 * a rootless config carries: oci_mount_is_sysfs), a
 * small read-only tmpfs with what programs read to size themselves, and
 * none of the host's devices.  runsc shows much the same tree.  Each entry
 * and why (docs/sentry.md, "/sys"):
 *
 *   block/ bus/ class/ dev/block/ dev/char/ firmware/ module/ power/
 *        empty, as under runsc: the host's disks, network interfaces,
 *        PCI devices and modules are none of the container's business
 *   devices/system/cpu/{online,possible,present}
 *        the container's CPUs as a cpu list ("0-1", "3"): glibc reads
 *        online for get_nprocs() (sysconf(_SC_NPROCESSORS_ONLN), Python's
 *        os.cpu_count()), possible for get_nprocs_conf() (_SC_NPROCESSORS_CONF,
 *        `nproc --all`).  The Sentry renders them again at every open from
 *        the cgroup (sys_sysfs.c); the content written here, as at create,
 *        is what a path the Sentry never sees (a magic link) reads
 *   devices/system/cpu/cpuN/
 *        one empty directory per container CPU: older glibc (2.34 and
 *        before) counts them for _SC_NPROCESSORS_CONF, busybox's
 *        `nproc --all` too
 *   devices/system/node/{online,possible}, node/node0/cpulist
 *        one NUMA node holding the container's CPUs (libnuma, hwloc)
 *   fs/cgroup/
 *        the mount point of the config's cgroup mount (Docker's, Podman's)
 *   kernel/mm/transparent_hugepage/{enabled,defrag,hpage_pmd_size,shmem_enabled}
 *        the host's settings, copied when it has them: they are how the
 *        host kernel treats the container's memory.  The Go runtime reads
 *        hpage_pmd_size, the JVM enabled and hpage_pmd_size
 *
 * The tree is built on a detached mount (fsopen/fsmount), made read-only,
 * and only then attached: the container never sees it writable.  It lives
 * in the container's mount namespace and goes with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "linux/mounts.h"
#include "log.h"
#include "util.h"

static const char *const skeleton_dirs[] = {
        "block",   "bus",     "class",   "dev",       "dev/block", "dev/char", "devices", "devices/system",
        "devices/system/cpu", "devices/system/node", "devices/system/node/node0", "firmware", "fs", "fs/cgroup",
        "kernel",  "module",  "power",
};

static const char *const thp_files[] = {"enabled", "defrag", "hpage_pmd_size", "shmem_enabled"};
#define THP_DIR "kernel/mm/transparent_hugepage"
#define HOST_THP_DIR "/sys/" THP_DIR

/*
 * The container's CPUs as the Sentry counts them (sys_procfs.c's
 * container_cpus): the first ceil(quota / period) CPUs of our affinity,
 * which is the container's cpuset (we are in its cgroup already), at least
 * one.  The quota is the config's: it is what `create` wrote to the cgroup.
 */
static int container_cpus(const struct oci_spec *spec, cpu_set_t *set) {
        cpu_set_t own;
        if (sched_getaffinity(0, sizeof own, &own) < 0)
                return log_error_errno(-errno, "sysfs: sched_getaffinity");
        json_t *cpu = json_object_get(spec->linux.resources, "cpu");
        json_t *quota = json_object_get(cpu, "quota"), *period = json_object_get(cpu, "period");
        uint64_t q = json_is_integer(quota) && json_integer_value(quota) > 0 ? (uint64_t) json_integer_value(quota)
                                                                              : UINT64_MAX;
        /* cpu.max's period stays the kernel's default when none is given */
        uint64_t p = json_is_integer(period) && json_integer_value(period) > 0 ? (uint64_t) json_integer_value(period)
                                                                                : 100000;
        (void) cpu_set_for_quota(&own, q, p, set);
        return 0;
}

static int put_file(int root, const char *path, const char *content, mode_t mode) {
        _cleanup_close_ int fd = openat(root, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return log_error_errno(-errno, "sysfs: create %s", path);
        ssize_t n = write_full(fd, content, strlen(content));
        if (n < 0)
                return log_error_errno((int) n, "sysfs: write %s", path);
        /* whatever the umask */
        if (fchmod(fd, mode) < 0)
                return log_error_errno(-errno, "sysfs: chmod %s", path);
        return 0;
}

static int put_dir(int root, const char *path) {
        if (mkdirat(root, path, 0755) < 0 || fchmodat(root, path, 0755, 0) < 0 /* whatever the umask */)
                return log_error_errno(-errno, "sysfs: create %s/", path);
        return 0;
}

/* The host's transparent hugepage settings, those it has. */
static int copy_thp(int root) {
        _cleanup_close_ int host = open(HOST_THP_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (host < 0)
                return 0; /* a kernel without THP: programs read that as "never" */
        int r = put_dir(root, "kernel/mm");
        if (r >= 0)
                r = put_dir(root, THP_DIR);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(thp_files); i++) {
                _cleanup_free_ char *text = NULL;
                size_t len;
                struct stat st;
                if (read_file_at(host, thp_files[i], &text, &len) < 0 ||
                    fstatat(host, thp_files[i], &st, 0) < 0)
                        continue;
                char path[128];
                snprintf(path, sizeof path, THP_DIR "/%s", thp_files[i]);
                /* its mode too (0644 for the settings): a write fails as there, with EROFS */
                r = put_file(root, path, text, st.st_mode & 0777);
        }
        return r;
}

static int populate(int root, const struct oci_spec *spec) {
        int r = 0;
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(skeleton_dirs); i++)
                r = put_dir(root, skeleton_dirs[i]);
        if (r < 0)
                return r;
        cpu_set_t cpus;
        char list[4096], text[sizeof list + 2];
        r = container_cpus(spec, &cpus);
        if (r >= 0 && (r = cpu_list_format(&cpus, list, sizeof list)) < 0)
                r = log_error_errno(r, "sysfs: the container's CPUs");
        if (r < 0)
                return r;
        snprintf(text, sizeof text, "%s\n", list);
        static const char *const lists[] = {"devices/system/cpu/online", "devices/system/cpu/possible",
                                            "devices/system/cpu/present", "devices/system/node/node0/cpulist"};
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(lists); i++)
                r = put_file(root, lists[i], text, 0444);
        for (int cpu = 0; r >= 0 && cpu < CPU_SETSIZE; cpu++) {
                char dir[64];
                snprintf(dir, sizeof dir, "devices/system/cpu/cpu%d", cpu);
                if (CPU_ISSET(cpu, &cpus))
                        r = put_dir(root, dir);
        }
        if (r >= 0)
                r = put_file(root, "devices/system/node/online", "0\n", 0444);
        if (r >= 0)
                r = put_file(root, "devices/system/node/possible", "0\n", 0444);
        if (r >= 0)
                r = copy_thp(root);
        return r;
}

int sysfs_skeleton_make(const struct oci_spec *spec, const char *label, int *ret_fd) {
        _cleanup_close_ int fs = (int) syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0)
                return log_error_errno(-errno, "sysfs: fsopen tmpfs");
        /* a few KiB of directories and short files; the mode of sysfs's root */
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "755", 0) < 0 ||
            syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "1m", 0) < 0 ||
            (label && syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "context", label, 0) < 0) ||
            syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return log_error_errno(-errno, "sysfs: configure its tmpfs");
        _cleanup_close_ int mnt = (int) syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                                                MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (mnt < 0)
                return log_error_errno(-errno, "sysfs: fsmount its tmpfs");
        int r = populate(mnt, spec);
        if (r < 0)
                return r;
        /* The superblock read-only as well as the mount: a write then fails
         * with EROFS before any permission check, as on a sysfs mounted
         * "ro" (whose superblock is read-only), whoever the caller is. */
        _cleanup_close_ int re = (int) syscall(SYS_fspick, mnt, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC);
        if (re < 0 || syscall(SYS_fsconfig, re, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
            syscall(SYS_fsconfig, re, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0)
                return log_error_errno(-errno, "sysfs: make its tmpfs read-only");
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
        if (syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH, &ro, sizeof ro) < 0)
                return log_error_errno(-errno, "sysfs: make its mount read-only");
        *ret_fd = TAKE_FD(mnt);
        return 0;
}
