/* SPDX-License-Identifier: MIT */
#include "linux/intelrdt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define RDTGROUP_SUPER_MAGIC 0x7655821

static const char *field(json_t *rdt, const char *key) {
        return json_string_value(json_object_get(rdt, key));
}

int intelrdt_validate(const struct oci_spec *spec) {
        if (!spec->has_linux || !spec->linux.intel_rdt)
                return 0;
        static const char *const keys[] = {"closID", "l3CacheSchema", "memBwSchema"};
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                json_t *v = json_object_get(spec->linux.intel_rdt, keys[i]);
                if (v && !json_is_null(v) && !json_is_string(v))
                        return log_fail(-EINVAL, "config.json: linux.intelRdt.%s: expected a string", keys[i]);
        }
        struct statfs st;
        if (statfs(RESCTRL_ROOT, &st) < 0 || st.f_type != RDTGROUP_SUPER_MAGIC ||
            access(RESCTRL_ROOT "/info", F_OK) < 0)
                return log_fail(-EOPNOTSUPP, "config.json: linux.intelRdt: Intel RDT is not available on this host "
                                             "(resctrl is not mounted)");
        json_t *rdt = spec->linux.intel_rdt;
        const char *clos = field(rdt, "closID");
        if (clos && (!*clos || strchr(clos, '/') || !strcmp(clos, ".") || !strcmp(clos, "..") ||
                     !strcmp(clos, "info") || !strcmp(clos, "mon_groups") || !strcmp(clos, "mon_data")))
                return log_fail(-EINVAL, "config.json: linux.intelRdt.closID: invalid group name \"%s\"", clos);
        const char *l3 = field(rdt, "l3CacheSchema"), *mb = field(rdt, "memBwSchema");
        if (l3 && *l3 && access(RESCTRL_ROOT "/info/L3", F_OK) < 0)
                return log_fail(-EOPNOTSUPP, "config.json: linux.intelRdt.l3CacheSchema: this host has no Intel "
                                             "RDT cache allocation (L3 CAT)");
        if (mb && *mb && access(RESCTRL_ROOT "/info/MB", F_OK) < 0)
                return log_fail(-EOPNOTSUPP, "config.json: linux.intelRdt.memBwSchema: this host has no Intel RDT "
                                             "memory bandwidth allocation (MBA)");
        return 0;
}

const char *intelrdt_group(json_t *rdt, const char *id, char *buf, size_t len) {
        if (!rdt)
                return NULL;
        const char *clos = field(rdt, "closID");
        snprintf(buf, len, RESCTRL_ROOT "/%s", clos && *clos ? clos : id);
        return buf;
}

static int write_to(const char *dir, const char *file, const char *text) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t n = strlen(text);
        if (fd < 0 || write(fd, text, n) != (ssize_t) n)
                return log_error_errno(-errno, "linux.intelRdt: write \"%s\" to %s", text, path);
        return 0;
}

int intelrdt_setup(const struct oci_spec *spec, const char *id) {
        char group[PATH_MAX];
        json_t *rdt = spec->has_linux ? spec->linux.intel_rdt : NULL;
        if (!intelrdt_group(rdt, id, group, sizeof group))
                return 0;
        if (mkdir(group, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "linux.intelRdt: create resctrl group %s", group);
        /* one schemata line per resource, each written on its own as runc does */
        static const char *const keys[] = {"l3CacheSchema", "memBwSchema"};
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *v = field(rdt, keys[i]);
                int r = v && *v ? write_to(group, "schemata", v) : 0;
                if (r < 0) {
                        intelrdt_destroy(rdt, id);
                        return r;
                }
        }
        return 0;
}

int intelrdt_join(const char *group, pid_t pid) {
        char buf[32];
        snprintf(buf, sizeof buf, "%d", pid);
        return write_to(group, "tasks", buf);
}

int intelrdt_destroy(json_t *rdt, const char *id) {
        char group[PATH_MAX];
        const char *clos = field(rdt, "closID");
        if (!intelrdt_group(rdt, id, group, sizeof group) || (clos && *clos))
                return 0;
        /* resctrl groups are removed with rmdir even though they hold files */
        if (rmdir(group) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "linux.intelRdt: remove resctrl group %s", group);
        return 0;
}
