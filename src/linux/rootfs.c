/* SPDX-License-Identifier: MIT */
/*
 * rootfs_prepare(): propagation, the rootfs bind, spec mounts, /dev, and the
 * switch of root; rootfs_finalize(): readonly and masked paths, read-only /.
 * The order is runc's, and so are the reasons for it (given inline).
 */
#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "linux/mounts.h"

static unsigned long root_propagation(const struct oci_spec *s) {
        unsigned long p = s->has_linux ? s->linux.rootfs_propagation : 0;
        /* Default rslave: the host's later mounts still reach us, ours never
         * reach the host. */
        return p ? p : MS_SLAVE;
}

/*
 * The rootfs bind below must not propagate anywhere, and pivot_root(2) and
 * MS_MOVE refuse a new root whose parent mount is shared.  With the default
 * rslave nothing is shared any more, but rootfsPropagation "shared"/
 * "rshared" leaves the mount holding the rootfs in the host's peer group.
 * So, like runc, make that one mount private when it is shared.
 */
static int make_rootfs_parent_private(const char *rootfs) {
        _cleanup_close_ int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "rootfs \"%s\"", rootfs);
        /* Climb to the root of the mount that contains the rootfs. */
        struct statx stx;
        for (int depth = 0;; depth++) {
                if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
                        return log_error_errno(-errno, "rootfs \"%s\": statx", rootfs);
                if ((stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) || depth > PATH_MAX / 2)
                        break;
                int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (up < 0)
                        return log_error_errno(-errno, "rootfs \"%s\": open parent", rootfs);
                close(fd);
                fd = up;
        }

        _cleanup_mountinfo_ struct mountinfo mi = {0};
        int k = mountinfo_read(&mi);
        if (k < 0)
                return log_error_errno(k, "read /proc/self/mountinfo");
        for (size_t i = 0; i < mi.n; i++)
                if ((unsigned long long) mi.entries[i].id == stx.stx_mnt_id && mi.entries[i].shared) {
                        char p[PROCFD_PATH_MAX];
                        if (mount(NULL, procfd_path(p, fd), NULL, MS_PRIVATE, NULL) < 0)
                                return log_error_errno(-errno, "make the mount holding the rootfs (%s) private",
                                                       mi.entries[i].mountpoint);
                }
        return 0;
}

/*
 * pivot_root(".", ".") stacks the old root on top of the new one at "/",
 * so no directory for it is needed in the (tenant's) rootfs; it is then
 * detached from where it sits.  rslave first, so that the unmount cannot
 * propagate back to the host (runc: rprivate would race with host tools
 * still holding references).
 */
static int pivot_to(const char *rootfs) {
        _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (oldroot < 0)
                return log_error_errno(-errno, "pivot_root: open \"/\"");
        _cleanup_close_ int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (newroot < 0)
                return log_error_errno(-errno, "pivot_root: open \"%s\"", rootfs);
        if (fchdir(newroot) < 0)
                return log_error_errno(-errno, "pivot_root: chdir \"%s\"", rootfs);
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return log_error_errno(-errno, "pivot_root \"%s\"", rootfs);
        /* "." is the old root now, but the kernel does not promise it. */
        if (fchdir(oldroot) < 0)
                return log_error_errno(-errno, "pivot_root: chdir to the old root");
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return log_error_errno(-errno, "pivot_root: make the old root rslave");
        if (umount2(".", MNT_DETACH) < 0)
                return log_error_errno(-errno, "pivot_root: detach the old root");
        if (chdir("/") < 0)
                return log_error_errno(-errno, "pivot_root: chdir \"/\"");
        return 0;
}

/*
 * --no-pivot (for a rootfs on a ramfs/initramfs, where pivot_root is not
 * possible): move the rootfs over "/" and chroot into it.  The host's mounts
 * stay in this mount namespace underneath; a chroot is escapable by anyone
 * with CAP_SYS_CHROOT, so this is weaker than pivot_root, as in runc.  One
 * hole runc plugs and so do we: the kernel allows a new procfs/sysfs mount
 * only if a fully visible one exists in the namespace (mount_too_revealing),
 * and the host's unmasked /proc and /sys would be that one.  So detach them
 * (rslave first, so nothing propagates to the host) or, where the user
 * namespace forbids unmounting a locked mount, cover them with a tmpfs.
 */
static int hide_host_proc_sys(const char *rootfs) {
        _cleanup_mountinfo_ struct mountinfo mi = {0};
        int k = mountinfo_read(&mi);
        if (k < 0)
                return log_error_errno(k, "read /proc/self/mountinfo");
        size_t n = strlen(rootfs);
        for (size_t i = 0; i < mi.n; i++) {
                const struct mountinfo_entry *e = &mi.entries[i];
                if (strcmp(e->root, "/") != 0 || (strcmp(e->fstype, "proc") != 0 && strcmp(e->fstype, "sysfs") != 0))
                        continue;
                if (strncmp(e->mountpoint, rootfs, n) == 0 && (e->mountpoint[n] == '/' || e->mountpoint[n] == '\0'))
                        continue;
                if (mount(NULL, e->mountpoint, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
                        if (errno == ENOENT) /* went with an earlier, enclosing one */
                                continue;
                        return log_error_errno(-errno, "no-pivot: make \"%s\" rslave", e->mountpoint);
                }
                if (umount2(e->mountpoint, MNT_DETACH) == 0)
                        continue;
                if (errno != EINVAL && errno != EPERM)
                        return log_error_errno(-errno, "no-pivot: unmount \"%s\"", e->mountpoint);
                if (mount("tmpfs", e->mountpoint, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        return log_error_errno(-errno, "no-pivot: cover \"%s\"", e->mountpoint);
        }
        return 0;
}

static int move_root_to(const char *rootfs) {
        int k = hide_host_proc_sys(rootfs);
        if (k < 0)
                return k;
        if (chdir(rootfs) < 0)
                return log_error_errno(-errno, "chdir \"%s\"", rootfs);
        if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
                return log_error_errno(-errno, "move \"%s\" to \"/\"", rootfs);
        if (chroot(".") < 0)
                return log_error_errno(-errno, "chroot \"%s\"", rootfs);
        if (chdir("/") < 0)
                return log_error_errno(-errno, "chdir \"/\"");
        return 0;
}

int rootfs_prepare(const struct rootfs_config *c) {
        const struct oci_spec *s = c->spec;
        int k;

        for (size_t i = 0; i < s->n_mounts; i++)
                if (s->mounts[i].idmap && (!c->idmap_fds || c->idmap_fds[i] < 0))
                        return log_fail(-EINVAL, "mounts[%zu]: id-mapped mount was not prepared (idmap_mounts_prepare)", i);

        /* Recursive whatever the spec says (as crun): a non-recursive "shared"
         * or "private" would leave the other mounts of this namespace in the
         * host's peer groups, where our mounts under them would show up. */
        if (mount(NULL, "/", NULL, MS_REC | root_propagation(s), NULL) < 0)
                return log_error_errno(-errno, "set the propagation of \"/\" (linux.rootfsPropagation)");
        k = make_rootfs_parent_private(c->rootfs);
        if (k < 0)
                return k;
        /* A mount point of its own: pivot_root needs one, and the spec
         * mounts then all hang below it and move with it. */
        if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return log_error_errno(-errno, "bind-mount the rootfs \"%s\" onto itself", c->rootfs);

        /* Opened after the bind, so that lookups from it see the bind and
         * what gets mounted below it. */
        _cleanup_close_ int rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return log_error_errno(-errno, "open rootfs \"%s\"", c->rootfs);

        k = mounts_apply(rootfd, c);
        if (k < 0)
                return k;
        if (devices_needed(s)) {
                k = devices_create(rootfd, c);
                if (k < 0)
                        return k;
                k = devices_create_symlinks(rootfd);
                if (k < 0)
                        return k;
        }

        if (c->before_pivot && (k = c->before_pivot(c->before_pivot_arg)) < 0)
                return k;
        return c->no_pivot ? move_root_to(c->rootfs) : pivot_to(c->rootfs);
}

/* ---- after the switch of root: container paths ---- */

struct finalize_ctx {
        int rootfd;
        /* No procfs in the container: mount(2) gets the path itself, which
         * after the switch of root cannot lead out of the rootfs (magic links
         * need the procfs we do not have). */
        bool have_procfd;
};

static const char *target(const struct finalize_ctx *f, char buf[static PROCFD_PATH_MAX], int fd, const char *path) {
        return f->have_procfd ? procfd_path(buf, fd) : path;
}

/* readonlyPaths: bind onto itself, then remount read-only, keeping the
 * nosuid/nodev/noexec it had (runc).  MS_REC on the bind keeps submounts
 * visible; the remount, like runc's, only covers the top mount. */
static int readonly_path(const struct finalize_ctx *f, const char *path, const char *what) {
        _cleanup_close_ int fd = -1;
        int k = mnt_open_in_root(f->rootfd, path, MNT_NO_CREATE, 0, &fd);
        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return log_error_errno(k, "%s: \"%s\"", what, path);
        char p[PROCFD_PATH_MAX];
        const char *t = target(f, p, fd, path);
        if (mount(t, t, NULL, MS_BIND | MS_REC, NULL) < 0)
                return log_error_errno(-errno, "%s: bind \"%s\" onto itself", what, path);
        close(TAKE_FD(fd));
        k = mnt_open_in_root(f->rootfd, path, MNT_NO_CREATE, 0, &fd);
        if (k < 0)
                return log_error_errno(k, "%s: \"%s\"", what, path);
        char desc[PATH_MAX + 64];
        snprintf(desc, sizeof desc, "%s: \"%s\"", what, path);
        return mnt_remount_keep(fd, target(f, p, fd, path), MS_RDONLY, desc);
}

/*
 * maskedPaths: a directory gets an empty read-only tmpfs, anything else the
 * container's /dev/null.  That /dev/null is checked to be the null device:
 * on a rootfs whose /dev is not a fresh tmpfs the tenant could have made it
 * a symlink to the very file to unmask (runc CVE-2025-31133).
 */
static int masked_path(const struct finalize_ctx *f, int devnull, const char *path, const char *what) {
        _cleanup_close_ int fd = -1;
        int k = mnt_open_in_root(f->rootfd, path, MNT_NO_CREATE, 0, &fd);
        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return log_error_errno(k, "%s: \"%s\"", what, path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return log_error_errno(-errno, "%s: \"%s\"", what, path);
        char p[PROCFD_PATH_MAX], q[PROCFD_PATH_MAX];
        if (S_ISDIR(st.st_mode)) {
                if (mount("tmpfs", target(f, p, fd, path), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          NULL) < 0)
                        return log_error_errno(-errno, "%s: mount a read-only tmpfs on \"%s\"", what, path);
                return 0;
        }
        if (devnull < 0)
                return log_error_errno(-ENOENT, "%s: cannot mask \"%s\": the container has no /dev/null", what,
                                       path);
        if (mount(target(f, q, devnull, "/dev/null"), target(f, p, fd, path), NULL, MS_BIND, NULL) < 0)
                return log_error_errno(-errno, "%s: bind /dev/null onto \"%s\"", what, path);
        return 0;
}

/*
 * The keys of /proc/sys a sentry container sees (gVisor shows a few dozen
 * too): what libcs, language runtimes, databases and sysctl(8) read, each
 * the kernel's own file in the container's namespaces, bound onto an empty
 * tmpfs over /proc/sys.  A directory is bound whole.  Left out is
 * everything else: host-wide state (fs/dentry-state, fs/file-nr), the
 * host's configuration (kernel/core_pattern, kernel/modprobe,
 * kernel/tainted) and identity (kernel/random/boot_id, the same in every
 * container of the host, would tell tenants they share it).  A key this
 * kernel lacks is left out.  osrelease and version are there for their
 * names: the Sentry answers their opens with the configured release.
 */
static const char *const proc_sys_keys[] = {
        "kernel/ostype", "kernel/osrelease", "kernel/version", "kernel/hostname", "kernel/domainname",
        "kernel/pid_max", "kernel/threads-max", "kernel/ngroups_max", "kernel/cap_last_cap",
        "kernel/overflowuid", "kernel/overflowgid", "kernel/perf_event_paranoid", "kernel/yama",
        /* System V IPC: the container's IPC namespace */
        "kernel/shmmax", "kernel/shmall", "kernel/shmmni", "kernel/shm_rmid_forced", "kernel/msgmax",
        "kernel/msgmnb", "kernel/msgmni", "kernel/sem",
        "kernel/random/uuid", "kernel/random/entropy_avail", "kernel/random/poolsize",
        /* the JVM, redis, Elasticsearch */
        "vm/overcommit_memory", "vm/overcommit_ratio", "vm/max_map_count", "vm/mmap_min_addr",
        "fs/file-max", "fs/nr_open", "fs/pipe-max-size", "fs/inotify",
        /* the container's IPC and network namespaces */
        "fs/mqueue", "net",
};

/*
 * Files of the host kernel's procfs that tell what kernel the host runs
 * and what it holds, none of which a container needs: its build
 * configuration (its first lines name the release and the compiler), its
 * symbols and modules, and its swap devices and files by host path.  Under
 * sentry they read as empty (the container's /dev/null, as maskedPaths).
 */
static const char *const proc_host_files[] = {
        "/proc/config.gz", "/proc/kallsyms", "/proc/modules", "/proc/swaps", "/proc/version_signature",
};

static int curate_proc_sys(const struct finalize_ctx *f) {
        _cleanup_close_ int sys = -1;
        int k = mnt_open_in_root(f->rootfd, "/proc/sys", MNT_NO_CREATE, 0, &sys);
        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return log_error_errno(k, "/proc/sys");
        struct statfs sf;
        if (fstatfs(sys, &sf) < 0)
                return log_error_errno(-errno, "/proc/sys");
        /* no procfs there (none at /proc, or the config mounted its own
         * files over it, as LXCFS does): nothing of the host's to curate */
        if (sf.f_type != PROC_SUPER_MAGIC || !f->have_procfd)
                return 0;
        int src[ELEMENTSOF(proc_sys_keys)];
        for (size_t i = 0; i < ELEMENTSOF(src); i++)
                src[i] = openat(sys, proc_sys_keys[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        char p[PROCFD_PATH_MAX], q[PROCFD_PATH_MAX];
        int r = 0;
        if (mount("tmpfs", procfd_path(p, sys), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=555,size=64k") < 0)
                r = log_error_errno(-errno, "mount a tmpfs on /proc/sys");
        _cleanup_close_ int top = -1;
        if (r == 0 && (k = mnt_open_in_root(f->rootfd, "/proc/sys", MNT_NO_CREATE, 0, &top)) < 0)
                r = log_error_errno(k, "/proc/sys");
        for (size_t i = 0; i < ELEMENTSOF(src) && r == 0; i++) {
                if (src[i] < 0)
                        continue;
                struct stat st;
                char path[64];
                _cleanup_close_ int dst = -1;
                snprintf(path, sizeof path, "/%s", proc_sys_keys[i]);
                if (fstat(src[i], &st) < 0)
                        r = log_error_errno(-errno, "/proc/sys/%s", proc_sys_keys[i]);
                else if ((k = mnt_open_in_root(top, path, S_ISDIR(st.st_mode) ? MNT_CREATE_DIR : MNT_CREATE_FILE, 0,
                                               &dst)) < 0)
                        r = log_error_errno(k, "make /proc/sys/%s", proc_sys_keys[i]);
                else if (mount(procfd_path(p, src[i]), procfd_path(q, dst), NULL, MS_BIND | MS_REC, NULL) < 0)
                        r = log_error_errno(-errno, "bind /proc/sys/%s", proc_sys_keys[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(src); i++)
                if (src[i] >= 0)
                        close(src[i]);
        if (r < 0)
                return r;
        /* the tmpfs and every bind read-only: writes fail EROFS, as runc's
         * read-only /proc/sys (readonlyPaths) makes them */
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
        if (syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro, sizeof ro) < 0)
                return log_error_errno(-errno, "make /proc/sys read-only");
        return 0;
}

static int open_devnull(const struct finalize_ctx *f, int *ret) {
        _cleanup_close_ int fd = -1;
        int k = mnt_open_in_root(f->rootfd, "/dev/null", MNT_NO_CREATE, 0, &fd);
        if (k == -ENOENT) {
                *ret = -1;
                return 0;
        }
        struct stat st;
        if (k < 0 || fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
                return log_error_errno(k < 0 ? k : -EPERM,
                                       "linux.maskedPaths: the container's /dev/null is not the null device");
        *ret = TAKE_FD(fd);
        return 0;
}

int rootfs_finalize(const struct rootfs_config *c) {
        const struct oci_spec *s = c->spec;
        struct finalize_ctx f = {.rootfd = -1};
        _cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return log_error_errno(-errno, "open \"/\"");
        f.rootfd = rootfd;
        f.have_procfd = access("/proc/self/fd", F_OK) == 0;
        char what[64];
        int k;

        /* /dev was left writable for the devices (see mounts.c). */
        for (size_t i = s->n_mounts; i-- > 0;) {
                const struct oci_mount *m = &s->mounts[i];
                if (!m->destination || !mnt_path_equal(m->destination, "/dev"))
                        continue;
                if ((m->flags & MS_RDONLY) && !m->bind) {
                        _cleanup_close_ int fd = -1;
                        snprintf(what, sizeof what, "mounts[%zu]: \"/dev\"", i);
                        k = mnt_open_in_root(rootfd, "/dev", MNT_NO_CREATE, 0, &fd);
                        if (k < 0)
                                return log_error_errno(k, "%s", what);
                        char p[PROCFD_PATH_MAX];
                        k = mnt_remount_keep(fd, target(&f, p, fd, "/dev"), MS_RDONLY, what);
                        if (k < 0)
                                return k;
                }
                break;
        }

        if (c->curate_proc && (k = curate_proc_sys(&f)) < 0)
                return k;

        if (s->has_linux && s->linux.readonly_paths)
                for (size_t i = 0; s->linux.readonly_paths[i]; i++) {
                        /* a curated /proc/sys is read-only already: binding it
                         * onto itself would show each of its mounts twice */
                        if (c->curate_proc && mnt_path_equal(s->linux.readonly_paths[i], "/proc/sys"))
                                continue;
                        snprintf(what, sizeof what, "linux.readonlyPaths[%zu]", i);
                        k = readonly_path(&f, s->linux.readonly_paths[i], what);
                        if (k < 0)
                                return k;
                }

        bool masks = s->has_linux && s->linux.masked_paths && s->linux.masked_paths[0];
        if (masks || c->curate_proc) {
                _cleanup_close_ int devnull = -1;
                k = open_devnull(&f, &devnull);
                if (k < 0)
                        return k;
                for (size_t i = 0; masks && s->linux.masked_paths[i]; i++) {
                        snprintf(what, sizeof what, "linux.maskedPaths[%zu]", i);
                        k = masked_path(&f, devnull, s->linux.masked_paths[i], what);
                        if (k < 0)
                                return k;
                }
                for (size_t i = 0; c->curate_proc && devnull >= 0 && i < ELEMENTSOF(proc_host_files); i++) {
                        k = masked_path(&f, devnull, proc_host_files[i], "sandbox sentry");
                        if (k < 0)
                                return k;
                }
        }

        if (s->root_readonly) {
                char p[PROCFD_PATH_MAX];
                k = mnt_remount_keep(rootfd, target(&f, p, rootfd, "/"), MS_RDONLY, "root.readonly: \"/\"");
                if (k < 0)
                        return k;
        }
        return 0;
}
