/* SPDX-License-Identifier: MIT */
#include "linux/cgroup_knob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "util.h"

static bool has_controller(const char *list, const char *name) {
        size_t n = strlen(name);
        for (const char *p = list; p && *p;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t) (comma - p) : strlen(p);
                if (len == n && !strncmp(p, name, n))
                        return true;
                p = comma ? comma + 1 : NULL;
        }
        return false;
}

const struct cgroup_dir *cgroup_knob_dir(const struct cgroup *cg, const char *controller, bool *v2) {
        for (size_t i = 0; i < cg->n_dirs; i++)
                if (!cg->dirs[i].v2 && has_controller(cg->dirs[i].controllers, controller)) {
                        *v2 = false;
                        return &cg->dirs[i];
                }
        for (size_t i = 0; i < cg->n_dirs; i++)
                if (cg->dirs[i].v2) {
                        *v2 = true;
                        return &cg->dirs[i];
                }
        return NULL;
}

char *cgroup_knob_path(const struct cgroup_dir *d, const char *file) {
        return strdup_printf("%s%s/%s", d->mount, d->path, file);
}

int cgroup_knob_read(const struct cgroup_dir *d, const char *file, char **ret) {
        _cleanup_free_ char *p = cgroup_knob_path(d, file);
        if (!p)
                return -ENOMEM;
        return read_file_at(AT_FDCWD, p, ret, NULL);
}

int cgroup_knob_read_u64(const struct cgroup_dir *d, const char *file, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        int r = cgroup_knob_read(d, file, &s);
        if (r < 0)
                return r;
        if (!strncmp(s, "max", 3)) {
                *ret = UINT64_MAX;
                return 0;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || (*end && *end != '\n'))
                return -EINVAL;
        *ret = v;
        return 0;
}

int cgroup_knob_write(const struct cgroup_dir *d, const char *file, const char *value) {
        _cleanup_free_ char *p = cgroup_knob_path(d, file);
        if (!p)
                return -ENOMEM;
        return write_string(p, value);
}
