/* SPDX-License-Identifier: MIT */
/*
 * The spec's "mounts", each resolved inside the rootfs and mounted through
 * "/proc/self/fd/N" (see mounts.h for why), with runc's per-type rules.
 */
#include "linux/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "linux/lsm.h"

/* Flags that live on the mount (vfsmount), not on the superblock: the only
 * ones an MS_BIND|MS_REMOUNT can change. */
#define MNT_ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)
#define MNT_LOCK_FLAGS (MS_RDONLY | MS_NODEV | MS_NOEXEC | MS_NOSUID | MS_NODIRATIME | MNT_ATIME_FLAGS)
/* What is not a flag of the mount itself in oci_mount.flags. */
#define MNT_NOT_MOUNT_FLAGS (MS_BIND | MS_REC | MS_REMOUNT)

/* A kernel path walk gives up after 40 symlinks; so does ours. */
#define MAX_SYMLINKS 40

static bool streq(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

const char *procfd_path(char buf[static PROCFD_PATH_MAX], int fd) {
        snprintf(buf, PROCFD_PATH_MAX, "/proc/self/fd/%d", fd);
        return buf;
}

static int openat2_in_root(int rootfd, const char *path, int flags, unsigned long long extra_resolve) {
        struct open_how how = {
                .flags = (unsigned long long) (flags | O_CLOEXEC),
                /* No magic links: a /proc mounted earlier in the rootfs must not
                 * become a way out (/proc/self/root, /proc/1/cwd, ...). */
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve,
        };
        /* EAGAIN: a concurrent rename raced with ".." resolution; the kernel
         * asks us to retry rather than risk a wrong answer. */
        for (int i = 0; i < 32; i++) {
                int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof how);
                if (fd >= 0)
                        return fd;
                if (errno != EAGAIN)
                        return -errno;
        }
        return -EAGAIN;
}

/*
 * Create what is missing of `path`, one component at a time.  Each step
 * resolves the whole prefix again from the root, so symlinks (absolute ones
 * and "..") keep the rootfs as "/".  A dangling symlink is followed by
 * splicing its target into the rest of the path, as securejoin does, so
 * "/var/run -> /run" creates /run inside the rootfs, never on the host.
 */
static int mkpath_in_root(int rootfd, const char *path, enum mnt_create create, unsigned long long extra_resolve,
                          int *ret_fd) {
        char todo[PATH_MAX], done[PATH_MAX] = "", cand[PATH_MAX], spliced[PATH_MAX], target[PATH_MAX];
        int links = 0, steps = 0;

        if (snprintf(todo, sizeof todo, "%s", path) >= (int) sizeof todo)
                return -ENAMETOOLONG;

        const char *p = todo;
        for (;;) {
                /* A tenant deleting what we create as we create it must not keep us here. */
                if (++steps > 4096)
                        return -ELOOP;
                p += strspn(p, "/");
                if (!*p)
                        break;
                const char *end = strchrnul(p, '/');
                size_t len = (size_t) (end - p);
                bool last = end[strspn(end, "/")] == '\0';

                if (snprintf(cand, sizeof cand, "%s/%.*s", done, (int) len, p) >= (int) sizeof cand)
                        return -ENAMETOOLONG;
                int fd = openat2_in_root(rootfd, cand, O_PATH, extra_resolve);
                if (fd >= 0) {
                        close(fd);
                        memcpy(done, cand, strlen(cand) + 1);
                        p = end;
                        continue;
                }
                if (fd != -ENOENT)
                        return fd;

                _cleanup_close_ int parent = openat2_in_root(rootfd, done[0] ? done : "/", O_PATH | O_DIRECTORY,
                                                             extra_resolve);
                if (parent < 0)
                        return parent;
                const char *name = cand + strlen(done) + 1;
                int r;
                if (last && create == MNT_CREATE_FILE) {
                        r = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                        if (r >= 0)
                                close(r);
                } else
                        r = mkdirat(parent, name, 0755);
                if (r >= 0)
                        continue; /* created: the next iteration opens it */
                if (errno != EEXIST)
                        return -errno;

                /* It exists but did not resolve: a dangling symlink (or a race,
                 * which the next iteration sorts out). */
                ssize_t n = readlinkat(parent, name, target, sizeof target);
                if (n < 0) {
                        if (errno == EINVAL) /* not a symlink */
                                continue;
                        return -errno;
                }
                if ((size_t) n >= sizeof target)
                        return -ENAMETOOLONG;
                target[n] = '\0';
                if (extra_resolve & RESOLVE_NO_SYMLINKS)
                        return -ELOOP;
                if (++links > MAX_SYMLINKS)
                        return -ELOOP;
                /* An absolute target restarts at the rootfs; a relative one is
                 * resolved from the directory holding the link. */
                if (snprintf(spliced, sizeof spliced, "%s/%s/%s", target[0] == '/' ? "" : done, target, end) >=
                    (int) sizeof spliced)
                        return -ENAMETOOLONG;
                memcpy(todo, spliced, strlen(spliced) + 1);
                done[0] = '\0';
                p = todo;
        }

        int fd = openat2_in_root(rootfd, done[0] ? done : "/", O_PATH, extra_resolve);
        if (fd < 0)
                return fd;
        *ret_fd = fd;
        return 0;
}

int mnt_open_in_root(int rootfd, const char *path, enum mnt_create create, unsigned long long extra_resolve,
                     int *ret_fd) {
        int fd = openat2_in_root(rootfd, path, O_PATH, extra_resolve);
        if (fd >= 0) {
                *ret_fd = fd;
                return 0;
        }
        if (fd != -ENOENT || create == MNT_NO_CREATE)
                return fd;
        return mkpath_in_root(rootfd, path, create, extra_resolve, ret_fd);
}

/* Next component of a path, skipping "" and "." (no ".." folding: lexical only). */
static const char *next_component(const char *p, size_t *len) {
        for (;;) {
                p += strspn(p, "/");
                *len = strcspn(p, "/");
                if (*len == 1 && p[0] == '.') {
                        p++;
                        continue;
                }
                return p;
        }
}

bool mnt_path_equal(const char *a, const char *b) {
        for (;;) {
                size_t la, lb;
                a = next_component(a, &la);
                b = next_component(b, &lb);
                if (la != lb || memcmp(a, b, la) != 0)
                        return false;
                if (la == 0)
                        return true;
                a += la;
                b += lb;
        }
}

/* `path` relative to `dir` ("" when equal, "/x/y" when below), or NULL. */
static const char *path_below(const char *path, const char *dir) {
        size_t n = strlen(dir);
        while (n > 0 && dir[n - 1] == '/')
                n--;
        if (strncmp(path, dir, n) != 0)
                return NULL;
        if (path[n] != '\0' && path[n] != '/')
                return NULL;
        return path + n;
}

static unsigned long statfs_to_mount_flags(unsigned long f) {
        unsigned long r = 0;
        if (f & ST_RDONLY)
                r |= MS_RDONLY;
        if (f & ST_NOSUID)
                r |= MS_NOSUID;
        if (f & ST_NODEV)
                r |= MS_NODEV;
        if (f & ST_NOEXEC)
                r |= MS_NOEXEC;
        if (f & ST_NOATIME)
                r |= MS_NOATIME;
        if (f & ST_NODIRATIME)
                r |= MS_NODIRATIME;
        if (f & ST_RELATIME)
                r |= MS_RELATIME;
        /* statfs has no bit for strictatime: it is what is left. */
        if (!(r & (MS_NOATIME | MS_RELATIME)))
                r |= MS_STRICTATIME;
        return r;
}

int mnt_current_flags(int fd, unsigned long *ret) {
        struct statfs st;
        if (fstatfs(fd, &st) < 0)
                return -errno;
        *ret = statfs_to_mount_flags((unsigned long) st.f_flags);
        return 0;
}

int mnt_remount_keep(int fd, const char *target, unsigned long flags, const char *what) {
        unsigned long cur;
        int r = mnt_current_flags(fd, &cur);
        if (r < 0)
                return log_error_errno(r, "%s: statfs", what);
        flags |= cur & MNT_LOCK_FLAGS;
        if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
                return log_error_errno(-errno, "%s: remount", what);
        return 0;
}

/* ---- /proc/self/mountinfo ---- */

static int read_all(const char *path, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t size = 0, cap = 0;
        _cleanup_free_ char *buf = NULL;
        for (;;) {
                if (cap - size < 4096) {
                        cap = cap ? cap * 2 : 16384;
                        char *nb = realloc(buf, cap);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                ssize_t n = read(fd, buf + size, cap - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s) {
        char *o = s;
        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
                    s[3] <= '7') {
                        *o++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else
                        *o++ = *s;
        }
        *o = '\0';
}

static bool parse_mountinfo_line(char *line, struct mountinfo_entry *e) {
        /* 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue */
        char *f[6];
        for (int i = 0; i < 6; i++)
                if (!(f[i] = strsep(&line, " ")))
                        return false;
        *e = (struct mountinfo_entry) {.id = atoi(f[0]), .parent = atoi(f[1]), .root = f[3], .mountpoint = f[4]};
        for (;;) {
                char *opt = strsep(&line, " ");
                if (!opt)
                        return false;
                if (streq(opt, "-"))
                        break;
                if (strncmp(opt, "shared:", 7) == 0)
                        e->shared = true;
        }
        if (!(e->fstype = strsep(&line, " ")) || !(e->source = strsep(&line, " ")))
                return false;
        e->super_options = line ? line : (char *) "";
        unescape_octal(e->root);
        unescape_octal(e->mountpoint);
        unescape_octal(e->source);
        return true;
}

int mountinfo_read(struct mountinfo *mi) {
        *mi = (struct mountinfo) {0};
        int r = read_all("/proc/self/mountinfo", &mi->buf);
        if (r < 0)
                return r;
        size_t lines = 1;
        for (const char *s = mi->buf; *s; s++)
                lines += *s == '\n';
        mi->entries = calloc(lines, sizeof *mi->entries);
        if (!mi->entries) {
                mountinfo_done(mi);
                return -ENOMEM;
        }
        char *rest = mi->buf, *line;
        while ((line = strsep(&rest, "\n")))
                if (*line && parse_mountinfo_line(line, &mi->entries[mi->n]))
                        mi->n++;
        return 0;
}

void mountinfo_done(struct mountinfo *mi) {
        free(mi->buf);
        free(mi->entries);
        *mi = (struct mountinfo) {0};
}

/* ---- one mount ---- */

struct mount_ctx {
        const struct rootfs_config *c;
        int rootfd;
        bool cgroupns; /* the container has its own cgroup namespace (already entered) */
};

struct mnt_req {
        const char *what; /* "mounts[3]" */
        const char *source, *dest, *type, *data;
        unsigned long flags, clear_flags, propagation;
        /* mount(2) failing with EPERM/EBUSY is returned as 1, unlogged: the caller has a fallback. */
        bool may_fall_back;
        /* A bind whose source was cloned and id-mapped on the host (idmap.c):
         * tree_fd is attached instead of binding `source`. */
        bool idmapped;
        int tree_fd;
};

static const char *req_source(const struct mnt_req *r) {
        return r->source ? r->source : r->type ? r->type : "none";
}

static int mount_error(const struct mnt_req *r, int err) {
        return log_error_errno(err, "%s: mount \"%s\" on \"%s\"", r->what, req_source(r), r->dest);
}

static int open_dest(const struct mount_ctx *ctx, const struct mnt_req *r, enum mnt_create create,
                     unsigned long long extra, int *fd) {
        int k = mnt_open_in_root(ctx->rootfd, r->dest, create, extra, fd);
        if (k == -ELOOP && (extra & RESOLVE_NO_SYMLINKS))
                return log_error_errno(k, "%s: \"%s\" must be mounted on an ordinary directory, \"%s\" is or "
                                          "goes through a symlink",
                                       r->what, r->type, r->dest);
        if (k < 0)
                return log_error_errno(k, "%s: destination \"%s\"", r->what, r->dest);
        return 0;
}

/*
 * runc's checkProcMount: over or inside the container's /proc only procfs
 * itself and the files lxcfs emulates may be mounted.  Anything else there
 * could shadow what maskedPaths and readonlyPaths are about to protect (a
 * writable /proc/sys, an unmasked /proc/kcore).  Judged on where the fd
 * really is, so a symlinked destination cannot dodge the check.
 */
static int check_proc_dest(const struct mount_ctx *ctx, const struct mnt_req *r, int fd, bool source_is_proc) {
        static const char *const lxcfs_files[] = {
                "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
                "/proc/swaps",   "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo",
                "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
        };
        char p[PROCFD_PATH_MAX], real[PATH_MAX];
        ssize_t n = readlink(procfd_path(p, fd), real, sizeof real - 1);
        if (n < 0)
                return log_error_errno(-errno, "%s: destination \"%s\"", r->what, r->dest);
        real[n] = '\0';
        const char *rel = streq(ctx->c->rootfs, "/") ? real : path_below(real, ctx->c->rootfs);
        if (!rel) /* cannot happen with RESOLVE_IN_ROOT; refuse rather than mount */
                return log_error_errno(-EXDEV, "%s: destination \"%s\" resolved outside the rootfs (%s)", r->what,
                                       r->dest, real);
        const char *in_proc = path_below(rel, "/proc");
        if (!in_proc)
                return 0;
        if (!*in_proc) {
                if (source_is_proc)
                        return 0;
                return log_error_errno(-EPERM, "%s: \"%s\" cannot be mounted because it is not of type proc",
                                       r->what, r->dest);
        }
        for (size_t i = 0; i < ELEMENTSOF(lxcfs_files); i++)
                if (streq(rel, lxcfs_files[i]))
                        return 0;
        return log_error_errno(-EPERM, "%s: \"%s\" cannot be mounted because it is inside /proc", r->what, r->dest);
}

/* Propagation is a separate mount(2) call per type, on the mount just made
 * (re-opened: the fd used to create it still names what is underneath). */
static int set_propagation(const struct mount_ctx *ctx, const struct mnt_req *r) {
        static const unsigned long types[] = {MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE};
        if (!(r->propagation & (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)))
                return 0;
        _cleanup_close_ int fd = -1;
        int k = open_dest(ctx, r, MNT_NO_CREATE, 0, &fd);
        if (k < 0)
                return k;
        char p[PROCFD_PATH_MAX];
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if ((r->propagation & types[i]) &&
                    mount(NULL, procfd_path(p, fd), NULL, types[i] | (r->propagation & MS_REC), NULL) < 0)
                        return log_error_errno(-errno, "%s: set propagation of \"%s\"", r->what, r->dest);
        return 0;
}

/*
 * MS_BIND ignores every flag but MS_REC, so the requested flags take a
 * second MS_BIND|MS_REMOUNT, which replaces all per-mount flags at once.
 * First try exactly what was asked (what "mount --bind -o ..." means).  In
 * a user namespace the kernel refuses (EPERM) to clear flags that were
 * locked on a mount inherited from the host (MNT_LOCK_RDONLY/NOSUID/NODEV/
 * NOEXEC/ATIME); then retry with the mount's current lockable flags added,
 * unless the spec explicitly asked to clear one of them ("rw", "suid", ...)
 * or for another atime mode, which we cannot honour and so report.  This is
 * runc's logic (1.2), including its reasons for the atime check.
 */
static int bind_remount(const struct mnt_req *r, int fd) {
        char p[PROCFD_PATH_MAX];
        unsigned long flags = MS_BIND | MS_REMOUNT | (r->flags & ~MNT_NOT_MOUNT_FLAGS);
        if (mount(NULL, procfd_path(p, fd), NULL, flags, NULL) == 0)
                return 0;
        int err = -errno;
        unsigned long cur = 0;
        if (err != -EPERM || mnt_current_flags(fd, &cur) < 0)
                goto fail;
        if (cur & r->clear_flags & MNT_LOCK_FLAGS)
                goto fail;
        if ((r->flags & MNT_ATIME_FLAGS) && (r->flags & MNT_ATIME_FLAGS) != (cur & MNT_ATIME_FLAGS))
                goto fail;
        if (mount(NULL, p, NULL, flags | (cur & MNT_LOCK_FLAGS), NULL) == 0)
                return 0;
        err = -errno;
fail:
        return log_error_errno(err, "%s: remount bind mount of \"%s\" on \"%s\" with its options", r->what,
                               req_source(r), r->dest);
}

static int mount_bind(const struct mount_ctx *ctx, const struct mnt_req *r) {
        struct stat st;
        if (!r->source)
                return log_error_errno(-EINVAL, "%s: bind mount on \"%s\" has no source", r->what, r->dest);
        /* Sources are host paths (relative ones: to the bundle, our cwd),
         * chosen by whoever wrote config.json, not by the tenant. */
        if ((r->idmapped ? fstat(r->tree_fd, &st) : stat(r->source, &st)) < 0)
                return log_error_errno(-errno, "%s: bind source \"%s\"", r->what, r->source);

        _cleanup_close_ int fd = -1;
        int k = open_dest(ctx, r, S_ISDIR(st.st_mode) ? MNT_CREATE_DIR : MNT_CREATE_FILE, 0, &fd);
        if (k < 0)
                return k;
        struct statfs sfs;
        bool source_is_proc = statfs(r->source, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
        k = check_proc_dest(ctx, r, fd, source_is_proc);
        if (k < 0)
                return k;

        char p[PROCFD_PATH_MAX];
        if (r->idmapped) {
                if (syscall(SYS_move_mount, r->tree_fd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return log_error_errno(-errno, "%s: attach the id-mapped \"%s\" on \"%s\"", r->what,
                                               r->source, r->dest);
        } else if (mount(r->source, procfd_path(p, fd), NULL, MS_BIND | (r->flags & MS_REC), NULL) < 0)
                return mount_error(r, -errno);

        /* Nothing asked beyond the bind itself: keep the source's flags. */
        if ((r->flags & ~MNT_NOT_MOUNT_FLAGS) || r->clear_flags) {
                close(TAKE_FD(fd));
                k = open_dest(ctx, r, MNT_NO_CREATE, 0, &fd);
                if (k < 0)
                        return k;
                k = bind_remount(r, fd);
                if (k < 0)
                        return k;
        }
        return set_propagation(ctx, r);
}

/* Whether mount data carries `key=` (a whole option, not "ptmxmode=" for "mode="). */
static bool data_has_key(const char *data, const char *key) {
        size_t n = strlen(key);
        for (const char *s = data; s && *s;) {
                if (strncmp(s, key, n) == 0 && s[n] == '=')
                        return true;
                s = strchr(s, ',');
                if (s)
                        s++;
        }
        return false;
}

/* Returns 1 (not logged) when r->may_fall_back and mount(2) said EPERM/EBUSY. */
static int mount_fs(const struct mount_ctx *ctx, const struct mnt_req *r) {
        bool is_proc = streq(r->type, "proc"), is_tmpfs = streq(r->type, "tmpfs");
        /* runc's rule since CVE-2019-19921: procfs and sysfs go on a real
         * directory, never through a symlink, so that later writes to
         * /proc/self/... by the runtime cannot be redirected. */
        unsigned long long extra = is_proc || streq(r->type, "sysfs") ? RESOLVE_NO_SYMLINKS : 0;

        _cleanup_close_ int fd = -1;
        int k = mnt_open_in_root(ctx->rootfd, r->dest, MNT_NO_CREATE, extra, &fd);
        bool existed = k == 0;
        if (k == -ENOENT)
                k = open_dest(ctx, r, MNT_CREATE_DIR, extra, &fd);
        else if (k < 0)
                k = open_dest(ctx, r, MNT_NO_CREATE, extra, &fd); /* logs it */
        if (k < 0)
                return k;
        struct stat before;
        if (fstat(fd, &before) < 0)
                return log_error_errno(-errno, "%s: destination \"%s\"", r->what, r->dest);
        if (!S_ISDIR(before.st_mode))
                return log_error_errno(-ENOTDIR, "%s: destination \"%s\" of a %s mount", r->what, r->dest, r->type);
        if (!is_proc) {
                k = check_proc_dest(ctx, r, fd, false);
                if (k < 0)
                        return k;
        }

        unsigned long flags = r->flags & ~MNT_NOT_MOUNT_FLAGS;
        /* A tmpfs is mounted writable, chmod'ed, then made read-only; /dev
         * stays writable until rootfs_finalize() since the devices are
         * created in it (runc does the same). */
        bool is_dev = mnt_path_equal(r->dest, "/dev");
        if (is_tmpfs || is_dev)
                flags &= ~(unsigned long) MS_RDONLY;

        char p[PROCFD_PATH_MAX];
        if (mount(req_source(r), procfd_path(p, fd), r->type, flags, r->data) < 0) {
                int err = -errno;
                if (r->may_fall_back && (err == -EPERM || err == -EBUSY))
                        return 1;
                return mount_error(r, err);
        }

        if (is_tmpfs) {
                close(TAKE_FD(fd));
                k = open_dest(ctx, r, MNT_NO_CREATE, 0, &fd);
                if (k < 0)
                        return k;
                /* A tmpfs over an existing directory keeps that directory's
                 * mode unless the spec chose one (runc 1.2). */
                if (existed && !data_has_key(r->data, "mode") && chmod(procfd_path(p, fd), before.st_mode & 07777) < 0)
                        return log_error_errno(-errno, "%s: chmod \"%s\"", r->what, r->dest);
                if ((r->flags & MS_RDONLY) && !is_dev) {
                        k = bind_remount(r, fd);
                        if (k < 0)
                                return k;
                }
        }
        return set_propagation(ctx, r);
}

/* Sandbox sentry: the skeleton of sysfs_skeleton.c in place of sysfs (or of
 * the bind of the host's /sys), on a real directory as sysfs itself (runc's
 * rule above). */
static int mount_sysfs_skeleton(const struct mount_ctx *ctx, const struct mnt_req *r) {
        _cleanup_close_ int fd = -1;
        int k = mnt_open_in_root(ctx->rootfd, r->dest, MNT_NO_CREATE, RESOLVE_NO_SYMLINKS, &fd);
        if (k == -ENOENT)
                k = open_dest(ctx, r, MNT_CREATE_DIR, RESOLVE_NO_SYMLINKS, &fd);
        else if (k < 0)
                k = open_dest(ctx, r, MNT_NO_CREATE, RESOLVE_NO_SYMLINKS, &fd); /* logs it */
        if (k < 0)
                return k;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return log_error_errno(-errno, "%s: destination \"%s\"", r->what, r->dest);
        if (!S_ISDIR(st.st_mode))
                return log_error_errno(-ENOTDIR, "%s: destination \"%s\" of the sysfs mount", r->what, r->dest);
        k = check_proc_dest(ctx, r, fd, false);
        if (k < 0)
                return k;
        const char *label = ctx->c->mount_label && lsm_mount_takes_label("tmpfs") ? ctx->c->mount_label : NULL;
        _cleanup_close_ int tree = -1;
        k = sysfs_skeleton_make(ctx->c->spec, label, &tree);
        if (k < 0)
                return k;
        if (syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return mount_error(r, -errno);
        return set_propagation(ctx, r);
}

/* The cgroup of this process in the v1 hierarchy mounted with `super_options`
 * ("rw,cpu,cpuacct"), or in the v2 one when super_options is NULL, from the
 * text of /proc/self/cgroup; *ret_controllers gets the hierarchy's
 * controller list ("cpu,cpuacct", "name=systemd").  Pointers into `text`. */
static bool own_cgroup(char *text, const char *super_options, const char **ret_path, const char **ret_controllers) {
        char *rest = text, *line;
        while ((line = strsep(&rest, "\n"))) {
                /* hierarchy-ID:controller-list:cgroup-path */
                char *id = strsep(&line, ":"), *ctrls = strsep(&line, ":");
                if (!id || !ctrls || !line)
                        continue;
                bool match = false;
                if (!super_options)
                        match = !*ctrls;
                else if (*ctrls) {
                        /* The hierarchy is the one whose controllers its mount names. */
                        size_t n = strcspn(ctrls, ",");
                        for (const char *o = super_options; o && *o && !match;) {
                                match = strncmp(o, ctrls, n) == 0 && (o[n] == ',' || o[n] == '\0');
                                o = strchr(o, ',');
                                if (o)
                                        o++;
                        }
                }
                if (match) {
                        *ret_path = line;
                        *ret_controllers = ctrls;
                        return true;
                }
        }
        return false;
}

/*
 * cgroup v1 or hybrid host, as runc does it: a tmpfs at the destination, and
 * in it one directory per v1 hierarchy holding only the container's own
 * cgroup, a bind of the host's when the container shares our cgroup
 * namespace, a fresh mount of the hierarchy when it has its own (which then
 * shows the namespace root).  Co-mounted controllers ("cpu,cpuacct") get
 * "cpu" and "cpuacct" symlinks.  The cgroup2 "unified" directory of a hybrid
 * host is not exposed, like runc 1.1.
 */
/* The empty tmpfs a cgroup mount builds on (v1), or hides the host's under (v2). */
static int mount_cgroup_tmpfs(const struct mount_ctx *ctx, const struct mnt_req *r, unsigned long propagation) {
        struct mnt_req tmpfs = {
                .what = r->what,
                .source = "tmpfs",
                .dest = r->dest,
                .type = "tmpfs",
                .data = "mode=755",
                .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC,
                .propagation = propagation,
        };
        return mount_fs(ctx, &tmpfs);
}

static int mount_cgroup_v1(const struct mount_ctx *ctx, const struct mnt_req *r) {
        int k = mount_cgroup_tmpfs(ctx, r, r->propagation);
        if (k < 0)
                return k;

        _cleanup_mountinfo_ struct mountinfo mi = {0};
        k = mountinfo_read(&mi);
        if (k < 0)
                return log_error_errno(k, "%s: read /proc/self/mountinfo", r->what);

        for (size_t i = 0; i < mi.n; i++) {
                const struct mountinfo_entry *e = &mi.entries[i];
                if (!streq(e->fstype, "cgroup"))
                        continue;
                const char *name = strrchr(e->mountpoint, '/');
                name = name ? name + 1 : e->mountpoint;
                bool dup = false; /* a hierarchy mounted twice on the host */
                for (size_t j = 0; j < i && !dup; j++) {
                        const char *other = strrchr(mi.entries[j].mountpoint, '/');
                        dup = streq(mi.entries[j].fstype, "cgroup") && other && streq(other + 1, name);
                }
                if (dup || !*name)
                        continue;

                _cleanup_free_ char *cgroups = NULL, *sub = NULL, *src = NULL;
                k = read_all("/proc/self/cgroup", &cgroups);
                if (k < 0)
                        return log_error_errno(k, "%s: read /proc/self/cgroup", r->what);
                const char *path, *controllers;
                if (!own_cgroup(cgroups, e->super_options, &path, &controllers))
                        continue; /* a hierarchy this process is not part of (e.g. an unused name=) */
                if (asprintf(&sub, "%s/%s", r->dest, name) < 0)
                        return log_error_errno(-ENOMEM, "%s", r->what);

                if (ctx->cgroupns) {
                        struct mnt_req m = {
                                .what = r->what,
                                .source = "cgroup",
                                .dest = sub,
                                .type = "cgroup",
                                .data = controllers,
                                .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (r->flags & MS_RDONLY),
                                .propagation = r->propagation,
                        };
                        k = mount_fs(ctx, &m);
                } else {
                        const char *rel = streq(e->root, "/") ? path : path_below(path, e->root);
                        if (!rel)
                                return log_error_errno(-ENOENT, "%s: cgroup \"%s\" is not below the root \"%s\" of "
                                                                "the host's %s mount",
                                                       r->what, path, e->root, e->mountpoint);
                        if (asprintf(&src, "%s%s", e->mountpoint, rel) < 0)
                                return log_error_errno(-ENOMEM, "%s", r->what);
                        struct mnt_req m = {
                                .what = r->what,
                                .source = src,
                                .dest = sub,
                                .flags = MS_BIND | MS_REC | r->flags,
                                .propagation = r->propagation,
                        };
                        k = mount_bind(ctx, &m);
                }
                if (k < 0)
                        return k;

                if (strchr(name, ',')) {
                        _cleanup_close_ int dfd = -1;
                        k = open_dest(ctx, r, MNT_NO_CREATE, 0, &dfd);
                        if (k < 0)
                                return k;
                        _cleanup_free_ char *list = strdup(name);
                        if (!list)
                                return log_error_errno(-ENOMEM, "%s", r->what);
                        char *rest = list, *ctrl;
                        while ((ctrl = strsep(&rest, ",")))
                                if (*ctrl && symlinkat(name, dfd, ctrl) < 0 && errno != EEXIST)
                                        return log_error_errno(-errno, "%s: symlink %s/%s -> %s", r->what, r->dest,
                                                               ctrl, name);
                }
        }

        if (r->flags & MS_RDONLY) {
                _cleanup_close_ int fd = -1;
                k = open_dest(ctx, r, MNT_NO_CREATE, 0, &fd);
                if (k < 0)
                        return k;
                char what[PATH_MAX], p[PROCFD_PATH_MAX];
                snprintf(what, sizeof what, "%s: \"%s\"", r->what, r->dest);
                return mnt_remount_keep(fd, procfd_path(p, fd), MS_RDONLY, what);
        }
        return 0;
}

/*
 * cgroup v2 host: a cgroup2 mount, which shows the container its own cgroup
 * when it has a cgroup namespace.  Without one, a user namespace may not
 * mount cgroup2 (EPERM/EBUSY): then, as runc, bind the container's own
 * cgroup directory instead.
 */
static int mount_cgroup_v2(const struct mount_ctx *ctx, const struct mnt_req *r) {
        struct mnt_req m = *r;
        m.type = "cgroup2";
        m.source = "cgroup2";
        m.may_fall_back = true;
        int k = mount_fs(ctx, &m);
        if (k <= 0)
                return k;

        if (ctx->cgroupns) {
                /*
                 * Our own cgroup namespace may mount cgroup2; the refusal is
                 * EBUSY because the destination already is the root of a
                 * cgroup2 mount of the same superblock (the host's, brought in
                 * by the rbind of /sys that replaces sysfs in a user
                 * namespace), which the kernel refuses to stack on itself.
                 * Cover it with an empty tmpfs and mount on that.  The bind
                 * fallback below is no option here: /proc/self/cgroup paths
                 * are relative to the namespace, not to the host's hierarchy.
                 */
                k = mount_cgroup_tmpfs(ctx, r, 0);
                if (k < 0)
                        return k;
                m.may_fall_back = false;
                return mount_fs(ctx, &m);
        }

        _cleanup_free_ char *cgroups = NULL, *src = NULL;
        k = read_all("/proc/self/cgroup", &cgroups);
        if (k < 0)
                return log_error_errno(k, "%s: read /proc/self/cgroup", r->what);
        const char *path, *controllers;
        if (!own_cgroup(cgroups, NULL, &path, &controllers))
                return log_error_errno(-ENOENT, "%s: no cgroup v2 entry in /proc/self/cgroup", r->what);
        if (asprintf(&src, "/sys/fs/cgroup%s", path) < 0)
                return log_error_errno(-ENOMEM, "%s", r->what);
        log_debug("%s: cgroup2 cannot be mounted here, binding %s instead", r->what, src);
        struct mnt_req b = {
                .what = r->what,
                .source = src,
                .dest = r->dest,
                .flags = MS_BIND | MS_REC | r->flags,
                .propagation = r->propagation,
        };
        return mount_bind(ctx, &b);
}

static int mount_cgroup(const struct mount_ctx *ctx, const struct mnt_req *r) {
        struct statfs st;
        if (statfs("/sys/fs/cgroup", &st) < 0)
                return log_error_errno(-errno, "%s: statfs /sys/fs/cgroup", r->what);
        if (st.f_type == CGROUP2_SUPER_MAGIC)
                return mount_cgroup_v2(ctx, r);
        return mount_cgroup_v1(ctx, r);
}

static int mount_one_plain(const struct mount_ctx *ctx, const struct oci_mount *om, const char *what, int tree_fd) {
        struct mnt_req r = {
                .what = what,
                .source = om->source,
                .dest = om->destination,
                .type = om->type,
                .data = om->data && *om->data ? om->data : NULL,
                .flags = om->flags,
                .clear_flags = om->clear_flags,
                .propagation = om->propagation,
                .idmapped = tree_fd >= 0,
                .tree_fd = tree_fd,
        };
        if (!om->destination || !*om->destination)
                return log_error_errno(-EINVAL, "%s: mount has no destination", what);
        /* runc still accepts (deprecated) relative destinations, relative to
         * "/"; resolution in the root treats them so anyway. */
        if (om->destination[0] != '/')
                log_warn("%s: destination \"%s\" is not absolute, taken relative to \"/\"", what,
                         om->destination);
        if (ctx->c->minimal_sysfs && oci_mount_is_sysfs(om))
                return mount_sysfs_skeleton(ctx, &r);
        if (om->bind || streq(om->type, "bind")) {
                r.flags |= MS_BIND;
                return mount_bind(ctx, &r);
        }
        if (!om->type || !*om->type)
                return log_error_errno(-EINVAL, "%s: mount on \"%s\" has no type", what, om->destination);
        if (streq(om->type, "cgroup"))
                return mount_cgroup(ctx, &r);

        if (streq(om->type, "sysfs"))
                r.may_fall_back = true;
        _cleanup_free_ char *labelled = NULL;
        if (ctx->c->mount_label && lsm_mount_takes_label(om->type)) {
                labelled = lsm_format_mount_label(r.data, ctx->c->mount_label);
                if (!labelled)
                        return log_error_errno(-ENOMEM, "%s: linux.mountLabel", what);
                r.data = labelled;
        }
        int k = mount_fs(ctx, &r);
        if (k <= 0)
                return k;
        /*
         * sysfs belongs to a network namespace (it shows its interfaces), and
         * the kernel lets only a process privileged over that netns mount
         * it: in a new user namespace that shares the host's network
         * namespace, mount("sysfs") is EPERM.  runc then binds the host's
         * /sys recursively with the requested flags (normally ro), which is
         * what that netns's sysfs would show anyway.  Submounts of the host
         * /sys keep their own flags; their files stay owned by the host's
         * root, which the container's root is not.
         */
        log_debug("%s: sysfs cannot be mounted here, binding /sys instead", what);
        struct mnt_req b = {
                .what = what,
                .source = "/sys",
                .dest = om->destination,
                .flags = MS_BIND | MS_REC | om->flags,
                .clear_flags = om->clear_flags,
                .propagation = om->propagation,
        };
        return mount_bind(ctx, &b);
}

/*
 * Recursive options ("rro", "rnosuid", ...) apply to the mount and every
 * submount at once, which only mount_setattr(AT_RECURSIVE) can do; a plain
 * remount would leave submounts of an rbind writable.
 */
static int mount_one(const struct mount_ctx *ctx, const struct oci_mount *om, const char *what, int tree_fd) {
        int k = mount_one_plain(ctx, om, what, tree_fd);
        if (k < 0 || !(om->rec_attr_set | om->rec_attr_clr))
                return k;
        struct mnt_req r = {.what = what, .dest = om->destination};
        _cleanup_close_ int fd = -1;
        k = open_dest(ctx, &r, MNT_NO_CREATE, 0, &fd);
        if (k < 0)
                return k;
        struct mount_attr attr = {.attr_set = om->rec_attr_set, .attr_clr = om->rec_attr_clr};
        if (om->rec_attr_set & MOUNT_ATTR__ATIME)
                attr.attr_clr |= MOUNT_ATTR__ATIME; /* the atime mode is a field, not a flag */
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
                return log_error_errno(-errno, "%s: apply recursive mount options to \"%s\"", what, om->destination);
        return 0;
}

int mounts_apply(int rootfd, const struct rootfs_config *c) {
        const struct oci_spec *s = c->spec;
        struct mount_ctx ctx = {.c = c, .rootfd = rootfd};
        if (s->has_linux)
                for (size_t i = 0; i < s->linux.n_namespaces; i++)
                        if (s->linux.namespaces[i].type == CLONE_NEWCGROUP)
                                ctx.cgroupns = true;

        for (size_t i = 0; i < s->n_mounts; i++) {
                char what[32];
                snprintf(what, sizeof what, "mounts[%zu]", i);
                int k = mount_one(&ctx, &s->mounts[i], what, c->idmap_fds ? c->idmap_fds[i] : -1);
                if (k < 0)
                        return k;
        }
        return 0;
}
