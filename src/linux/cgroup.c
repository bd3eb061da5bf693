/* SPDX-License-Identifier: MIT */
#include "linux/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cleanup.h"
#include "linux/cgroup_systemd.h"
#include "log.h"
#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

const char *cgroup_layout_name(enum cgroup_layout l) {
        switch (l) {
        case CGROUP_LAYOUT_V1:
                return "v1";
        case CGROUP_LAYOUT_HYBRID:
                return "hybrid";
        case CGROUP_LAYOUT_V2:
                return "v2";
        }
        return "unknown";
}

int cgroup_detect_layout(enum cgroup_layout *ret) {
        struct statfs fs;
        if (statfs(CGROUP_ROOT, &fs) < 0)
                return log_error_errno(-errno, "statfs %s", CGROUP_ROOT);
        if (fs.f_type == CGROUP2_SUPER_MAGIC) {
                *ret = CGROUP_LAYOUT_V2;
                return 0;
        }
        if (statfs(CGROUP_ROOT "/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                *ret = CGROUP_LAYOUT_HYBRID;
        else
                *ret = CGROUP_LAYOUT_V1;
        return 0;
}

void cgroup_free(struct cgroup *cg) {
        if (!cg)
                return;
        for (size_t i = 0; i < cg->n_dirs; i++) {
                free(cg->dirs[i].mount);
                free(cg->dirs[i].controllers);
                free(cg->dirs[i].path);
                free(cg->dirs[i].created);
        }
        free(cg->dirs);
        free(cg->systemd_unit);
        free(cg);
}

/* Our own cgroup in the hierarchy with these controllers, from /proc/self/cgroup. */
static int own_cgroup(const char *controllers, bool v2, char **ret) {
        _cleanup_free_ char *buf = NULL;
        int r = read_file_at(AT_FDCWD, "/proc/self/cgroup", &buf, NULL);
        if (r < 0)
                return r;
        char *save = NULL;
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *c1 = strchr(line, ':');
                if (!c1)
                        continue;
                char *c2 = strchr(c1 + 1, ':');
                if (!c2)
                        continue;
                *c2 = 0;
                const char *ctl = c1 + 1;
                if ((v2 && !*ctl && !strncmp(line, "0", 1)) || (!v2 && !strcmp(ctl, controllers))) {
                        *ret = strdup(c2 + 1);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        *ret = strdup("/");
        return *ret ? 0 : -ENOMEM;
}

/* Enumerate the cgroup hierarchies mounted on this host (deduplicated by superblock). */
static int list_hierarchies(struct cgroup *cg) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return log_error_errno(-errno, "open /proc/self/mountinfo");
        char *line = NULL;
        size_t cap = 0;
        char seen[64][32];
        size_t n_seen = 0;
        while (getline(&line, &cap, f) > 0) {
                char devno[32], root[PATH_MAX], mnt[PATH_MAX];
                if (sscanf(line, "%*d %*d %31s %4095s %4095s", devno, root, mnt) != 3)
                        continue;
                char *sep = strstr(line, " - ");
                if (!sep)
                        continue;
                char fstype[32], source[256], opts[1024] = "";
                if (sscanf(sep + 3, "%31s %255s %1023s", fstype, source, opts) < 2)
                        continue;
                bool v2 = !strcmp(fstype, "cgroup2");
                if (!v2 && strcmp(fstype, "cgroup"))
                        continue;
                /* Only hierarchies under the canonical root; bind mounts elsewhere are duplicates. */
                if (!str_startswith(mnt, CGROUP_ROOT))
                        continue;
                bool dup = false;
                for (size_t i = 0; i < n_seen; i++)
                        if (!strcmp(seen[i], devno))
                                dup = true;
                if (dup || n_seen == ELEMENTSOF(seen))
                        continue;
                snprintf(seen[n_seen++], sizeof seen[0], "%s", devno);

                char ctl[1024] = "";
                if (!v2) {
                        /* keep the controller options (and name=), drop rw/relatime/... */
                        char *save = NULL;
                        for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                                if (!strcmp(o, "rw") || !strcmp(o, "ro") || !strcmp(o, "relatime") ||
                                    !strcmp(o, "noatime") || !strcmp(o, "nosuid") || !strcmp(o, "nodev") ||
                                    !strcmp(o, "noexec") || str_startswith(o, "release_agent") ||
                                    !strcmp(o, "clone_children") || !strcmp(o, "noprefix") ||
                                    !strcmp(o, "xattr") || !strcmp(o, "cpuset_v2_mode"))
                                        continue;
                                if (*ctl)
                                        strncat(ctl, ",", sizeof ctl - strlen(ctl) - 1);
                                strncat(ctl, o, sizeof ctl - strlen(ctl) - 1);
                        }
                }
                struct cgroup_dir *n = realloc(cg->dirs, (cg->n_dirs + 1) * sizeof *n);
                if (!n) {
                        free(line);
                        return -ENOMEM;
                }
                cg->dirs = n;
                cg->dirs[cg->n_dirs++] = (struct cgroup_dir){
                        .mount = strdup(mnt),
                        .controllers = strdup(ctl),
                        .v2 = v2,
                };
        }
        free(line);
        if (cg->n_dirs == 0)
                return log_error_errno(-ENOENT, "no cgroup hierarchy is mounted under %s", CGROUP_ROOT);
        return 0;
}

static bool path_is_sane(const char *p) {
        /* ".." would let a config place the container outside the intended subtree */
        for (const char *s = p; (s = strstr(s, "..")); s += 2)
                if ((s == p || s[-1] == '/') && (s[2] == 0 || s[2] == '/'))
                        return false;
        return true;
}

/* A new v1 cpuset starts with empty cpus and mems, and nothing can join it:
 * inherit the parent's, as runc does. */
static int cpuset_inherit(const char *dir) {
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char path[PATH_MAX + 32], parent[PATH_MAX + 64];
                snprintf(path, sizeof path, "%s/%s", dir, files[i]);
                _cleanup_free_ char *cur = NULL;
                if (read_file_at(AT_FDCWD, path, &cur, NULL) < 0)
                        continue;
                if (cur[0] && cur[0] != '\n')
                        continue;
                snprintf(parent, sizeof parent, "%s", dir);
                char *slash = strrchr(parent, '/');
                if (!slash)
                        continue;
                snprintf(slash, sizeof parent - (size_t) (slash - parent), "/%s", files[i]);
                _cleanup_free_ char *val = NULL;
                int r = read_file_at(AT_FDCWD, parent, &val, NULL);
                if (r < 0)
                        return log_error_errno(r, "read %s", parent);
                r = write_string(path, val);
                if (r < 0)
                        return log_error_errno(r, "write %s", path);
        }
        return 0;
}

/* Each directory of d's path below its mount, top down: step(d, full,
 * base) with full NUL-terminated at that directory (full + base is its path
 * in the hierarchy).  A step's non-zero return ends the walk with it. */
static int walk_dirs(struct cgroup_dir *d, int (*step)(struct cgroup_dir *d, const char *full, size_t base)) {
        char full[PATH_MAX];
        int n = snprintf(full, sizeof full, "%s%s", d->mount, d->path);
        if (n < 0 || (size_t) n >= sizeof full)
                return -ENAMETOOLONG;
        size_t base = strlen(d->mount);
        for (char *p = full + base + 1;; p++) {
                if (*p != '/' && *p != 0)
                        continue;
                char saved = *p;
                *p = 0;
                int r = step(d, full, base);
                if (r != 0 || !saved)
                        return r < 0 ? r : 0;
                *p = saved;
        }
}

/* The topmost directory that does not exist yet, as make_dirs would record
 * it: known before anything is made, so that create can write it down first
 * and a create killed halfway leaves a record of what to remove. */
static int plan_step(struct cgroup_dir *d, const char *full, size_t base) {
        if (access(full, F_OK) == 0)
                return 0;
        if (errno != ENOENT)
                return log_error_errno(-errno, "look at cgroup %s", full);
        return (d->created = strdup(full + base)) ? 1 : -ENOMEM;
}

/* mkdir -p, remembering the first directory we had to create. */
static int make_step(struct cgroup_dir *d, const char *full, size_t base) {
        if (mkdir(full, 0755) < 0)
                return errno == EEXIST ? 0 : log_error_errno(-errno, "create cgroup %s", full);
        if (!d->created && !(d->created = strdup(full + base)))
                return -ENOMEM;
        return !d->v2 && strstr(d->controllers, "cpuset") ? cpuset_inherit(full) : 0;
}

static int make_dirs(struct cgroup_dir *d) {
        /* what we really make: someone else may have made part of the path
         * since cgroup_plan looked */
        free(d->created);
        d->created = NULL;
        return walk_dirs(d, make_step);
}

int cgroup_plan(const char *cgroups_path, const char *id, struct cgroup **ret) {
        _cleanup_(cgroup_freep) struct cgroup *cg = calloc(1, sizeof *cg);
        if (!cg)
                return -ENOMEM;
        int r = cgroup_detect_layout(&cg->layout);
        if (r < 0)
                return r;
        r = list_hierarchies(cg);
        if (r < 0)
                return r;
        if (cgroups_path && !path_is_sane(cgroups_path))
                return log_error_errno(-EINVAL, "linux.cgroupsPath \"%s\" must not contain \"..\"", cgroups_path);

        for (size_t i = 0; i < cg->n_dirs; i++) {
                struct cgroup_dir *d = &cg->dirs[i];
                if (!cgroups_path)
                        d->path = strdup_printf("/cocoon/%s", id);
                else if (cgroups_path[0] == '/')
                        d->path = strdup(cgroups_path);
                else {
                        _cleanup_free_ char *own = NULL;
                        r = own_cgroup(d->controllers, d->v2, &own);
                        if (r < 0)
                                return log_error_errno(r, "read /proc/self/cgroup");
                        d->path = strdup_printf("%s/%s", strcmp(own, "/") ? own : "", cgroups_path);
                }
                if (!d->path)
                        return -ENOMEM;
                /* collapse a trailing slash so mkdir and later rmdir agree */
                size_t l = strlen(d->path);
                while (l > 1 && d->path[l - 1] == '/')
                        d->path[--l] = 0;
                r = walk_dirs(d, plan_step);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(cg);
        return 0;
}

int cgroup_make(struct cgroup *cg) {
        for (size_t i = 0; i < cg->n_dirs; i++) {
                int r = make_dirs(&cg->dirs[i]);
                if (r < 0) {
                        cgroup_destroy(cg);
                        return r;
                }
        }
        return 0;
}

int cgroup_setup(const char *cgroups_path, const char *id, struct cgroup **ret) {
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        int r = cgroup_plan(cgroups_path, id, &cg);
        if (r < 0)
                return r;
        r = cgroup_make(cg);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(cg);
        return 0;
}

int cgroup_enter(const struct cgroup *cg, pid_t pid) {
        char buf[32];
        snprintf(buf, sizeof buf, "%d", pid);
        for (size_t i = 0; i < cg->n_dirs; i++) {
                const struct cgroup_dir *d = &cg->dirs[i];
                _cleanup_free_ char *p = strdup_printf("%s%s/cgroup.procs", d->mount, d->path);
                if (!p)
                        return -ENOMEM;
                int r = write_string(p, buf);
                if (r < 0)
                        return log_error_errno(r, "join cgroup %s%s", d->mount, d->path);
        }
        return 0;
}

static int read_pids(const struct cgroup_dir *d, pid_t **ret, size_t *n) {
        _cleanup_free_ char *p = strdup_printf("%s%s/cgroup.procs", d->mount, d->path);
        _cleanup_free_ char *buf = NULL;
        if (!p)
                return -ENOMEM;
        int r = read_file_at(AT_FDCWD, p, &buf, NULL);
        if (r < 0)
                return r;
        size_t cap = 16, cnt = 0;
        pid_t *v = malloc(cap * sizeof *v);
        if (!v)
                return -ENOMEM;
        for (char *s = buf; *s;) {
                char *end;
                long pid = strtol(s, &end, 10);
                if (end == s)
                        break;
                if (cnt == cap) {
                        pid_t *nv = realloc(v, (cap *= 2) * sizeof *v);
                        if (!nv) {
                                free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                }
                v[cnt++] = (pid_t) pid;
                s = end;
                while (*s == '\n')
                        s++;
        }
        *ret = v;
        *n = cnt;
        return 0;
}

/* v2 (or the unified hierarchy) lists every process; prefer it, else the first v1 one. */
static const struct cgroup_dir *pid_source(const struct cgroup *cg) {
        for (size_t i = 0; i < cg->n_dirs; i++)
                if (cg->dirs[i].v2)
                        return &cg->dirs[i];
        for (size_t i = 0; i < cg->n_dirs; i++)
                if (strstr(cg->dirs[i].controllers, "pids"))
                        return &cg->dirs[i];
        return cg->n_dirs ? &cg->dirs[0] : NULL;
}

int cgroup_pids(const struct cgroup *cg, pid_t **ret, size_t *n) {
        const struct cgroup_dir *d = pid_source(cg);
        if (!d)
                return -ENOENT;
        return read_pids(d, ret, n);
}

int cgroup_signal_all(const struct cgroup *cg, int sig) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = cgroup_pids(cg, &pids, &n);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        for (size_t i = 0; i < n; i++)
                if (kill(pids[i], sig) < 0 && errno != ESRCH)
                        return log_error_errno(-errno, "kill %d", pids[i]);
        return 0;
}

static int rmdir_retry(const char *path) {
        /* Exiting tasks linger for a moment after SIGKILL; rmdir fails with EBUSY until they are gone. */
        for (int i = 0; i < 200; i++) {
                if (rmdir(path) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        return -errno;
                struct timespec ts = {0, 5 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        return -EBUSY;
}

int cgroup_destroy(const struct cgroup *cg) {
        int ret = 0;
        /* Whatever is still inside (processes that escaped the pid namespace's
         * teardown, or containers sharing the host pid namespace) is killed:
         * the cgroup must go away with the container. */
        for (int round = 0; round < 100; round++) {
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;
                if (cgroup_pids(cg, &pids, &n) < 0 || n == 0)
                        break;
                for (size_t i = 0; i < n; i++)
                        kill(pids[i], SIGKILL);
                struct timespec ts = {0, 2 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        if (cg->systemd_unit) {
                /* systemd removes an emptied scope by itself; stop it only if it is still there */
                for (size_t i = 0; i < cg->n_dirs; i++) {
                        char full[PATH_MAX];
                        snprintf(full, sizeof full, "%s%s", cg->dirs[i].mount, cg->dirs[i].path);
                        if (!cg->dirs[i].created && access(full, F_OK) == 0) {
                                ret = systemd_unit_stop(cg->systemd_unit);
                                break;
                        }
                }
        }
        for (size_t i = 0; i < cg->n_dirs; i++) {
                const struct cgroup_dir *d = &cg->dirs[i];
                if (!d->created)
                        continue; /* never remove a directory someone else made */
                /* remove the leaf, then each parent up to the first one we created */
                char full[PATH_MAX];
                snprintf(full, sizeof full, "%s%s", d->mount, d->path);
                size_t stop = strlen(d->mount) + strlen(d->created);
                for (bool leaf = true;; leaf = false) {
                        /* A parent we made (/cocoon) is shared with the
                         * containers created under it since: while it has
                         * children, rmdir says EBUSY and the parent stays for
                         * the last of them to remove. */
                        if (!leaf) {
                                if (rmdir(full) < 0 && errno != ENOENT)
                                        break;
                        } else {
                                int r = rmdir_retry(full);
                                if (r < 0) {
                                        if (r != -ENOTEMPTY && r != -EEXIST)
                                                ret = log_error_errno(r, "remove cgroup %s", full);
                                        break;
                                }
                        }
                        if (strlen(full) <= stop)
                                break;
                        char *slash = strrchr(full, '/');
                        if (!slash || (size_t) (slash - full) < stop)
                                break;
                        *slash = 0;
                }
        }
        return ret;
}

json_t *cgroup_to_json(const struct cgroup *cg) {
        json_t *o = json_object();
        json_t *a = json_array();
        json_object_set_new(o, "layout", json_string(cgroup_layout_name(cg->layout)));
        for (size_t i = 0; i < cg->n_dirs; i++) {
                const struct cgroup_dir *d = &cg->dirs[i];
                json_t *e = json_object();
                json_object_set_new(e, "mount", json_string(d->mount));
                json_object_set_new(e, "controllers", json_string(d->controllers));
                json_object_set_new(e, "v2", json_boolean(d->v2));
                json_object_set_new(e, "path", json_string(d->path));
                json_object_set_new(e, "created", d->created ? json_string(d->created) : json_null());
                json_array_append_new(a, e);
        }
        json_object_set_new(o, "dirs", a);
        if (cg->systemd_unit)
                json_object_set_new(o, "systemd_unit", json_string(cg->systemd_unit));
        return o;
}

int cgroup_from_json(json_t *j, struct cgroup **ret) {
        json_t *a = json_object_get(j, "dirs");
        if (!json_is_array(a))
                return -EINVAL;
        _cleanup_(cgroup_freep) struct cgroup *cg = calloc(1, sizeof *cg);
        if (!cg)
                return -ENOMEM;
        const char *layout = json_string_value(json_object_get(j, "layout"));
        cg->layout = layout && !strcmp(layout, "v2") ? CGROUP_LAYOUT_V2
                     : layout && !strcmp(layout, "hybrid") ? CGROUP_LAYOUT_HYBRID
                                                           : CGROUP_LAYOUT_V1;
        const char *unit = json_string_value(json_object_get(j, "systemd_unit"));
        if (unit && !(cg->systemd_unit = strdup(unit)))
                return -ENOMEM;
        size_t n = json_array_size(a);
        cg->dirs = calloc(n ? n : 1, sizeof *cg->dirs);
        if (!cg->dirs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_t *e = json_array_get(a, i);
                const char *mount = json_string_value(json_object_get(e, "mount"));
                const char *path = json_string_value(json_object_get(e, "path"));
                const char *ctl = json_string_value(json_object_get(e, "controllers"));
                const char *created = json_string_value(json_object_get(e, "created"));
                if (!mount || !path)
                        return -EINVAL;
                cg->dirs[i] = (struct cgroup_dir){
                        .mount = strdup(mount),
                        .controllers = strdup(ctl ? ctl : ""),
                        .v2 = json_is_true(json_object_get(e, "v2")),
                        .path = strdup(path),
                        .created = created ? strdup(created) : NULL,
                };
                cg->n_dirs++;
        }
        *ret = TAKE_PTR(cg);
        return 0;
}
