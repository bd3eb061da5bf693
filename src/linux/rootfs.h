/* SPDX-License-Identifier: MIT */
/*
 * The container's filesystem view: spec mounts, /dev, pivot_root, and the
 * final hardening (masked and read-only paths, read-only root).
 *
 * Runs in the container's init process, inside its new mount namespace,
 * before capabilities are dropped.  Every mount destination is resolved
 * inside the rootfs (never following a symlink out of it), because the
 * rootfs belongs to the tenant.
 */
#pragma once

#include <stdbool.h>

#include "oci/spec.h"

struct rootfs_config {
        const struct oci_spec *spec;
        const char *rootfs;   /* absolute, symlinks resolved */
        bool no_pivot;        /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
        bool in_userns;       /* new user namespace: devices are bind-mounted, not mknod'ed */
        /* idmap_mounts_prepare()'s trees, indexed like spec->mounts; NULL when none */
        const int *idmap_fds;
        /* linux.mountLabel when SELinux applies it (lsm_mount_label()), else NULL */
        const char *mount_label;
        /* Sandbox sentry: /proc/sys shows only the keys of proc_sys_keys
         * (rootfs.c), not every knob of the host kernel, and the host
         * kernel's own files (proc_host_files) are masked */
        bool curate_proc;
        /* Sandbox sentry: the "sysfs" mount is a small read-only tmpfs
         * (sysfs_skeleton.c), never the host's sysfs. */
        bool minimal_sysfs;
        /* Called after the mounts, before the switch of root (where the OCI
         * hooks of `create` run); may be NULL. */
        int (*before_pivot)(void *arg);
        void *before_pivot_arg;
};

/* Propagation of /, the rootfs bind, every spec mount, default devices and
 * /dev symlinks, then pivot_root (or move+chroot).  On return the process's
 * root and cwd are the container's "/". */
int rootfs_prepare(const struct rootfs_config *c);

/* After the console is set up: readonlyPaths, maskedPaths, read-only root. */
int rootfs_finalize(const struct rootfs_config *c);
