/* SPDX-License-Identifier: MIT */
#include "linux/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

int idmap_write_map(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n, const char *where) {
        char buf[4096];
        size_t off = 0;
        for (size_t i = 0; i < n; i++) {
                int k = snprintf(buf + off, sizeof buf - off, "%u %u %u\n", m[i].container_id, m[i].host_id,
                                 m[i].size);
                if (k < 0 || (size_t) k >= sizeof buf - off)
                        return log_fail(-E2BIG, "config.json: %s: too many id mappings", where);
                off += (size_t) k;
        }
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "open %s", path);
        /* the kernel takes the whole map in one write, or rejects it */
        if (write(fd, buf, off) != (ssize_t) off)
                return log_error_errno(-errno, "config.json: %s: write %s", where, path);
        return 0;
}

int idmap_userns_fd(const struct oci_id_mapping *uid, size_t n_uid, const struct oci_id_mapping *gid, size_t n_gid,
                    const char *where, int *ret_fd) {
        int gate[2];
        if (pipe2(gate, O_CLOEXEC) < 0)
                return log_error_errno(-errno, "%s: pipe", where);
        /* The child only has to exist while we write its maps and open its
         * namespace: it blocks on the pipe and exits at EOF. */
        pid_t pid = (pid_t) syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0) {
                char b;
                close(gate[1]);
                while (read(gate[0], &b, 1) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        int r = pid < 0 ? log_error_errno(-errno, "%s: create a user namespace for the id mapping", where) : 0;
        close(gate[0]);
        char uw[64], gw[64], path[64];
        snprintf(uw, sizeof uw, "%s.uidMappings", where);
        snprintf(gw, sizeof gw, "%s.gidMappings", where);
        if (r == 0)
                r = idmap_write_map(pid, "uid_map", uid, n_uid, uw);
        if (r == 0)
                r = idmap_write_map(pid, "gid_map", gid, n_gid, gw);
        if (r == 0) {
                snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        r = log_error_errno(-errno, "%s: open %s", where, path);
                else
                        *ret_fd = fd;
        }
        close(gate[1]);
        if (pid > 0)
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        return r;
}

/* The user namespace whose maps the mount gets: its own mappings, else the
 * container's (a new user namespace's mappings, or one joined by path). */
static int mount_userns(const struct oci_spec *spec, const struct oci_mount *m, const char *where, int *ret_fd) {
        if (m->n_uid_mappings)
                return idmap_userns_fd(m->uid_mappings, m->n_uid_mappings, m->gid_mappings, m->n_gid_mappings, where,
                                       ret_fd);
        const struct oci_namespace *user = oci_spec_namespace(spec, CLONE_NEWUSER);
        if (user && user->path) {
                int fd = open(user->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return log_error_errno(-errno, "%s: open the container's user namespace %s", where,
                                               user->path);
                *ret_fd = fd;
                return 0;
        }
        if (!user || !spec->linux.n_uid_mappings)
                return log_fail(-EINVAL, "config.json: %s: an idmap mount without uidMappings/gidMappings needs "
                                         "the container's user namespace",
                                where);
        return idmap_userns_fd(spec->linux.uid_mappings, spec->linux.n_uid_mappings, spec->linux.gid_mappings,
                               spec->linux.n_gid_mappings, where, ret_fd);
}

static int prepare_one(const struct oci_spec *spec, const struct oci_mount *m, const char *bundle, const char *where,
                       int *ret_fd) {
        if (!m->bind)
                return log_fail(-EOPNOTSUPP, "config.json: %s: id-mapped mounts are only supported for bind mounts",
                                where);
        if (!m->source)
                return log_fail(-EINVAL, "config.json: %s: bind mount has no source", where);
        _cleanup_free_ char *src = NULL;
        if (m->source[0] != '/' && asprintf(&src, "%s/%s", bundle, m->source) < 0)
                return log_error_errno(-ENOMEM, "%s", where);
        const char *source = src ? src : m->source;

        _cleanup_close_ int userns = -1;
        int r = mount_userns(spec, m, where, &userns);
        if (r < 0)
                return r;
        /* "rbind" clones the submounts too; "ridmap" then maps them all, "idmap" only the top. */
        unsigned tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m->flags & MS_REC) ? AT_RECURSIVE : 0);
        _cleanup_close_ int tree = (int) syscall(SYS_open_tree, AT_FDCWD, source, tree_flags);
        if (tree < 0)
                return log_error_errno(-errno, "%s: bind source \"%s\"", where, source);
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns};
        unsigned at = AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0);
        if (syscall(SYS_mount_setattr, tree, "", at, &attr, sizeof attr) < 0) {
                if (errno == EINVAL)
                        return log_fail(-EINVAL, "%s: cannot id-map \"%s\": its filesystem%s does not support "
                                                 "idmapped mounts",
                                        where, source, m->idmap_recursive ? " (or one of a submount)" : "");
                return log_error_errno(-errno, "%s: id-map \"%s\"", where, source);
        }
        *ret_fd = TAKE_FD(tree);
        return 0;
}

int idmap_mounts_prepare(const struct oci_spec *spec, const char *bundle, int **ret) {
        size_t n = 0;
        *ret = NULL;
        for (size_t i = 0; i < spec->n_mounts; i++)
                n += spec->mounts[i].idmap;
        if (!n)
                return 0;
        int *fds = malloc(spec->n_mounts * sizeof *fds);
        if (!fds)
                return log_error_errno(-ENOMEM, "id-mapped mounts");
        for (size_t i = 0; i < spec->n_mounts; i++)
                fds[i] = -1;
        for (size_t i = 0; i < spec->n_mounts; i++) {
                if (!spec->mounts[i].idmap)
                        continue;
                char where[32];
                snprintf(where, sizeof where, "mounts[%zu]", i);
                int r = prepare_one(spec, &spec->mounts[i], bundle, where, &fds[i]);
                if (r < 0) {
                        idmap_mounts_free(fds, spec->n_mounts);
                        return r;
                }
        }
        *ret = fds;
        return 0;
}

void idmap_mounts_free(int *fds, size_t n) {
        if (!fds)
                return;
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        free(fds);
}
