/* SPDX-License-Identifier: MIT */
/*
 * linux.resources onto the container's hierarchies.  Each controller's
 * values go to the v1 hierarchy that mounts it; failing that, to the v2
 * hierarchy when it offers the controller (pure v2, or a hybrid host that
 * moved some controllers to the unified mount).  A value whose controller
 * exists nowhere is an error, never silently dropped: an ignored memory or
 * pids limit voids what the user relies on.  Every controller is checked
 * before the first write, so a refused config changes nothing.
 *
 * create and update share this path: create passes linux.resources of the
 * config, update the object it was given; only the fields present are
 * written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "linux/cgroup_devices.h"
#include "linux/cgroup_resources.h"
#include "log.h"
#include "util.h"

static bool has_controller(const char *list, const char *name) {
        size_t n = strlen(name);
        for (const char *p = list; (p = strstr(p, name)); p += n)
                if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
                        return true;
        return false;
}

static const struct cgroup_dir *v1_dir(const struct cgroup *cg, const char *controller) {
        for (size_t i = 0; i < cg->n_dirs; i++)
                if (!cg->dirs[i].v2 && has_controller(cg->dirs[i].controllers, controller))
                        return &cg->dirs[i];
        return NULL;
}

static const struct cgroup_dir *v2_dir(const struct cgroup *cg) {
        for (size_t i = 0; i < cg->n_dirs; i++)
                if (cg->dirs[i].v2)
                        return &cg->dirs[i];
        return NULL;
}

static bool v2_offers(const struct cgroup_dir *d, const char *controller) {
        _cleanup_free_ char *p = strdup_printf("%s/cgroup.controllers", d->mount);
        _cleanup_free_ char *list = NULL;
        if (!p || read_file_at(AT_FDCWD, p, &list, NULL) < 0)
                return false;
        for (char *save = NULL, *w = strtok_r(list, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
                if (!strcmp(w, controller))
                        return true;
        return false;
}

static int apply(const struct cgroup *cg, const struct cgroup_resources *r) {
        const struct cgroup_dir *v2 = v2_dir(cg);
        unsigned v2_mask = 0;

        for (unsigned c = 0; c < _RC_CONTROLLER_MAX; c++) {
                if (!cgroup_resources_wants(r, c) || v1_dir(cg, rc_controller_v1_name(c)))
                        continue;
                const char *v2_name = rc_controller_v2_name(c);
                if (v2 && v2_name && v2_offers(v2, v2_name)) {
                        v2_mask |= 1u << c;
                        continue;
                }
                return log_fail(-EOPNOTSUPP,
                                "linux.resources.%s: needs the %s controller, which this host does not have (%s)",
                                cgroup_resources_field(r, c), rc_controller_v1_name(c),
                                cg->layout == CGROUP_LAYOUT_V2 ? "not offered by cgroup v2"
                                : !v2_name                     ? "not mounted on cgroup v1; cgroup v2 has no such controller"
                                                               : "neither mounted on cgroup v1 nor offered by cgroup v2");
        }
        if (r->unified && !v2)
                return log_fail(-EOPNOTSUPP, "linux.resources.unified: needs cgroup v2, and this host mounts only "
                                             "cgroup v1");

        for (unsigned c = 0; c < _RC_CONTROLLER_MAX; c++) {
                if (v2_mask & (1u << c))
                        continue;
                const struct cgroup_dir *d = v1_dir(cg, rc_controller_v1_name(c));
                if (!d || !cgroup_resources_wants(r, c))
                        continue;
                _cleanup_free_ char *dir = strdup_printf("%s%s", d->mount, d->path);
                if (!dir)
                        return -ENOMEM;
                int e = cgroup_v1_resources_write(dir, c, r);
                if (e < 0)
                        return e;
        }
        if (v2 && (v2_mask || r->unified)) {
                _cleanup_free_ char *dir = strdup_printf("%s%s", v2->mount, v2->path);
                if (!dir)
                        return -ENOMEM;
                int e = cgroup_v2_enable_controllers(v2->mount, v2->path, v2_mask, r);
                if (e < 0)
                        return e;
                e = cgroup_v2_resources_write(dir, v2_mask, r);
                if (e < 0)
                        return e;
        }
        return 0;
}

int cgroup_apply_resources(const struct cgroup *cg, const struct oci_spec *spec) {
        struct cgroup_resources r;
        int e = cgroup_resources_parse(spec->linux.resources, "config.json: linux.resources", &r);
        if (e < 0)
                return e;
        e = apply(cg, &r);
        /* the device allow-list applies even when the config lists no rules */
        if (e >= 0)
                e = cgroup_devices_apply(cg, r.devices, spec->linux.devices, spec->linux.n_devices);
        cgroup_resources_done(&r);
        return e;
}

int cgroup_update_resources(const struct cgroup *cg, json_t *res) {
        struct cgroup_resources r;
        int e = cgroup_resources_parse(res, "linux.resources", &r);
        if (e < 0)
                return e;
        e = apply(cg, &r);
        /* The rule list is rebuilt from the rules given here and the defaults;
         * the allow entries create added for linux.devices are not known here. */
        if (e >= 0 && r.devices)
                e = cgroup_devices_apply(cg, r.devices, NULL, 0);
        cgroup_resources_done(&r);
        return e;
}
