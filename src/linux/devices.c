/* SPDX-License-Identifier: MIT */
/*
 * Device nodes and the conventional symlinks in the container's /dev.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/log.h"
#include "linux/mounts.h"

/* What every container gets unless the spec lists the same path (runc's
 * AllowedDevices; the device cgroup is configured elsewhere). */
static const struct oci_device default_devices[] = {
        {.path = (char *) "/dev/null", .type = 'c', .major = 1, .minor = 3},
        {.path = (char *) "/dev/zero", .type = 'c', .major = 1, .minor = 5},
        {.path = (char *) "/dev/full", .type = 'c', .major = 1, .minor = 7},
        {.path = (char *) "/dev/tty", .type = 'c', .major = 5, .minor = 0},
        {.path = (char *) "/dev/random", .type = 'c', .major = 1, .minor = 8},
        {.path = (char *) "/dev/urandom", .type = 'c', .major = 1, .minor = 9},
};

bool devices_needed(const struct oci_spec *spec) {
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct oci_mount *m = &spec->mounts[i];
                bool bind = m->bind || (m->type && strcmp(m->type, "bind") == 0);
                if (bind && m->destination && mnt_path_equal(m->destination, "/dev"))
                        return false;
        }
        return true;
}

/*
 * A user namespace may not mknod (the kernel only lets the initial user
 * namespace create device nodes), so the host's node is bind-mounted onto an
 * empty file instead; access is still decided by the host node's mode and
 * the device cgroup.  runc does exactly this.
 */
static int bind_device(int parent, const char *name, const struct oci_device *d, const char *what) {
        _cleanup_close_ int fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
        if (fd < 0 && errno == EEXIST) {
                /* Already there (the rootfs has one, or mknod lost a race):
                 * cover it, but only if it is a plain file or a node: never a
                 * symlink or a directory that would move the mount elsewhere. */
                fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (fd >= 0 && fstat(fd, &st) == 0 && (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)))
                        return log_error_errno(-EEXIST, "%s: \"%s\" exists and is not a file", what, d->path);
        }
        if (fd < 0)
                return log_error_errno(-errno, "%s: create \"%s\"", what, d->path);
        char p[PROCFD_PATH_MAX];
        /* d->path is still the host's device: we have not pivoted yet. */
        if (mount(d->path, procfd_path(p, fd), NULL, MS_BIND, NULL) < 0)
                return log_error_errno(-errno, "%s: bind-mount host device \"%s\"", what, d->path);
        return 0;
}

static int create_device(int rootfd, const struct oci_device *d, bool in_userns, const char *what) {
        mode_t type;
        switch (d->type) {
        case 'c':
        case 'u':
                type = S_IFCHR;
                break;
        case 'b':
                type = S_IFBLK;
                break;
        case 'p':
                type = S_IFIFO;
                break;
        default:
                return log_error_errno(-EINVAL, "%s: \"%s\": unknown device type '%c'", what, d->path, d->type);
        }

        /* Split into the parent directory (created inside the rootfs) and a
         * final name that the *at calls below never follow. */
        char dir[PATH_MAX];
        if (!d->path || snprintf(dir, sizeof dir, "%s", d->path) >= (int) sizeof dir)
                return log_error_errno(-EINVAL, "%s: invalid path", what);
        size_t n = strlen(dir);
        while (n > 1 && dir[n - 1] == '/')
                dir[--n] = '\0';
        char *slash = strrchr(dir, '/');
        if (!slash)
                return log_error_errno(-EINVAL, "%s: \"%s\" must be an absolute path", what, d->path);
        const char *name = slash + 1;
        if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return log_error_errno(-EINVAL, "%s: \"%s\" does not name a file", what, d->path);
        char parent_path[PATH_MAX];
        snprintf(parent_path, sizeof parent_path, "%.*s", (int) (slash - dir), dir);

        _cleanup_close_ int parent = -1;
        int k = mnt_open_in_root(rootfd, parent_path[0] ? parent_path : "/", MNT_CREATE_DIR, 0, &parent);
        if (k < 0)
                return log_error_errno(k, "%s: directory of \"%s\"", what, d->path);

        /* FIFOs need no privilege, even in a user namespace. */
        if (in_userns && type != S_IFIFO)
                return bind_device(parent, name, d, what);

        mode_t mode = (d->has_file_mode ? d->file_mode : 0666) & 07777;
        dev_t dev = type == S_IFIFO ? 0 : makedev((unsigned) d->major, (unsigned) d->minor);
        /* umask(0) rather than a chmod afterwards: a chmod would follow
         * whatever the name has become since mknod. */
        mode_t old = umask(0);
        int r = mknodat(parent, name, type | mode, dev);
        int err = errno;
        umask(old);
        if (r < 0) {
                /* Like runc: an existing node (the spec bound one there, or the
                 * rootfs ships one) is kept; EPERM (e.g. a user namespace we
                 * were not told about) falls back to the bind. */
                if (err == EEXIST)
                        return 0;
                if (err == EPERM)
                        return bind_device(parent, name, d, what);
                return log_error_errno(-err, "%s: mknod \"%s\"", what, d->path);
        }
        uid_t uid = d->has_uid ? d->uid : 0;
        gid_t gid = d->has_gid ? d->gid : 0;
        if ((uid || gid) && fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return log_error_errno(-errno, "%s: chown \"%s\"", what, d->path);
        return 0;
}

int devices_create(int rootfd, const struct rootfs_config *c) {
        const struct oci_spec *s = c->spec;
        size_t n = s->has_linux ? s->linux.n_devices : 0;
        char what[64];

        for (size_t i = 0; i < n; i++) {
                snprintf(what, sizeof what, "linux.devices[%zu]", i);
                int k = create_device(rootfd, &s->linux.devices[i], c->in_userns, what);
                if (k < 0)
                        return k;
        }
        for (size_t j = 0; j < ELEMENTSOF(default_devices); j++) {
                bool listed = false;
                for (size_t i = 0; i < n && !listed; i++)
                        listed = s->linux.devices[i].path &&
                                 mnt_path_equal(s->linux.devices[i].path, default_devices[j].path);
                if (listed)
                        continue;
                snprintf(what, sizeof what, "default device %s", default_devices[j].path);
                int k = create_device(rootfd, &default_devices[j], c->in_userns, what);
                if (k < 0)
                        return k;
        }
        return 0;
}

int devices_create_symlinks(int rootfd) {
        static const char *const links[][2] = {
                {"/proc/self/fd", "fd"},
                {"/proc/self/fd/0", "stdin"},
                {"/proc/self/fd/1", "stdout"},
                {"/proc/self/fd/2", "stderr"},
                {"/proc/kcore", "core"},
                {"pts/ptmx", "ptmx"},
        };
        _cleanup_close_ int dev = -1;
        int k = mnt_open_in_root(rootfd, "/dev", MNT_CREATE_DIR, 0, &dev);
        if (k < 0)
                return log_error_errno(k, "/dev symlinks: open \"/dev\"");

        /* The kernel may be built without /proc/kcore (this is still the
         * host's /proc: same kernel). */
        bool kcore = access("/proc/kcore", F_OK) == 0;
        /* /dev/ptmx must be the ptmx of the container's devpts instance, which
         * "pts/ptmx" is when one is mounted on /dev/pts; otherwise there is
         * nothing to point at. */
        bool devpts = false;
        _cleanup_close_ int pts = -1;
        struct statfs st;
        if (mnt_open_in_root(rootfd, "/dev/pts", MNT_NO_CREATE, 0, &pts) == 0 && fstatfs(pts, &st) == 0)
                devpts = st.f_type == DEVPTS_SUPER_MAGIC;

        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                if ((strcmp(links[i][1], "core") == 0 && !kcore) || (strcmp(links[i][1], "ptmx") == 0 && !devpts))
                        continue;
                /* Something already there was put there on purpose (a spec
                 * bind mount, or the image): keep it. */
                if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
                        return log_error_errno(-errno, "symlink /dev/%s -> %s", links[i][1], links[i][0]);
        }
        return 0;
}
