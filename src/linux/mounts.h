/* SPDX-License-Identifier: MIT */
/*
 * Private to the rootfs module (rootfs.c, mounts.c, devices.c), and to the
 * vm sandbox, which makes a read-only root's missing mount points on the
 * host with mnt_open_in_root (src/sandbox/vm.c).
 *
 * The rootfs is tenant-controlled: any directory in it may be a symlink, and
 * a process outside the container that shares a volume with it may swap one
 * at any time.  So no helper here ever passes a rootfs path string to a
 * syscall.  A path is resolved once, with openat2(RESOLVE_IN_ROOT) from an
 * O_PATH fd of the rootfs, and every operation then goes through the fd
 * ("*at" calls, or "/proc/self/fd/N" for mount(2)), as runc does with
 * securejoin + procfd.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/cleanup.h"
#include "linux/rootfs.h"

/* ---- resolution inside the rootfs ---- */

enum mnt_create {
        MNT_NO_CREATE,
        MNT_CREATE_DIR,  /* missing components become directories (0755) */
        MNT_CREATE_FILE, /* ... except the last one, an empty regular file */
};

/* Open `path` (a container path; "/" is the rootfs) as O_PATH below
 * `rootfd`, with symlinks and ".." kept inside the rootfs and magic links
 * refused.  `extra_resolve` adds RESOLVE_* flags (e.g. RESOLVE_NO_SYMLINKS).
 * Returns 0 and the fd in *ret_fd, or a negative errno without logging: the
 * caller knows what the path was for and names it in its message. */
int mnt_open_in_root(int rootfd, const char *path, enum mnt_create create, unsigned long long extra_resolve,
                     int *ret_fd);

/* "/proc/self/fd/N": how mount(2) is pointed at an fd. */
#define PROCFD_PATH_MAX 32
const char *procfd_path(char buf[static PROCFD_PATH_MAX], int fd);

/* Lexical comparison of container paths ("/dev/", "//dev" and "/dev" are equal). */
bool mnt_path_equal(const char *a, const char *b);

/* The mount's per-mount flags (MS_RDONLY, MS_NOSUID, ..., atime) from fstatfs(fd). */
int mnt_current_flags(int fd, unsigned long *ret);

/* MS_BIND|MS_REMOUNT the mount whose root is `fd` with `flags` (per-mount
 * flags only) plus the lockable flags it already has, so that a remount that
 * only means to add MS_RDONLY never clears nosuid/nodev/noexec nor trips
 * over flags locked in a user namespace.  `target` is the path mount(2)
 * gets for it (normally procfd_path(fd)); `what` names the request in the
 * error ("linux.readonlyPaths[2]: \"/proc/sys\""). */
int mnt_remount_keep(int fd, const char *target, unsigned long flags, const char *what);

/* ---- /proc/self/mountinfo ---- */

struct mountinfo_entry {
        int id, parent;
        bool shared; /* a "shared:N" optional field */
        char *root, *mountpoint, *fstype, *source, *super_options;
};

struct mountinfo {
        char *buf; /* the file; entries point into it */
        struct mountinfo_entry *entries;
        size_t n;
};

int mountinfo_read(struct mountinfo *mi);
void mountinfo_done(struct mountinfo *mi);
static inline void mountinfo_donep(struct mountinfo *mi) {
        mountinfo_done(mi);
}
#define _cleanup_mountinfo_ _cleanup_(mountinfo_donep)

/* ---- the steps of rootfs_prepare() ---- */

/* Every spec mount, in order, below rootfd (an O_PATH fd of the rootfs bind). */
int mounts_apply(int rootfd, const struct rootfs_config *c);

/* The sentry sandbox's /sys (sysfs_skeleton.c): a detached, read-only tmpfs
 * mount (its fd in *ret_fd) with the entries programs read, the CPUs those
 * of the container.  label: the SELinux context of its files, or NULL. */
int sysfs_skeleton_make(const struct oci_spec *spec, const char *label, int *ret_fd);

/* Whether rootfs_prepare() populates /dev: runc leaves a /dev that is
 * bind-mounted from elsewhere (e.g. the host's /dev) alone. */
bool devices_needed(const struct oci_spec *spec);
/* Default devices and linux.devices, then the /dev symlinks. */
int devices_create(int rootfd, const struct rootfs_config *c);
int devices_create_symlinks(int rootfd);
