/* SPDX-License-Identifier: MIT */
/*
 * linux.resources.  The device allow-list is applied (cgroup_devices.c).
 * Every other resource is refused with a
 * clear error when the config asks for a real limit: an ignored memory or
 * pids limit would silently void what the user relies on.  Zero values, as
 * engines write for "no limit", are accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "linux/cgroup_devices.h"
#include "log.h"
#include "util.h"

static bool is_meaningful(json_t *v) {
        switch (json_typeof(v)) {
        case JSON_NULL:
        case JSON_FALSE:
                return false;
        case JSON_INTEGER:
                return json_integer_value(v) != 0;
        case JSON_REAL:
                return json_real_value(v) != 0;
        case JSON_STRING:
                return *json_string_value(v) != 0;
        case JSON_ARRAY:
                return json_array_size(v) > 0;
        case JSON_OBJECT: {
                const char *k;
                json_t *x;
                json_object_foreach(v, k, x) if (is_meaningful(x)) return true;
                return false;
        }
        default:
                return true;
        }
}

int cgroup_apply_resources(const struct cgroup *cg, const struct oci_spec *spec) {
        json_t *res = spec->linux.resources;
        json_t *rules = res ? json_object_get(res, "devices") : NULL;
        if (rules && !json_is_array(rules))
                return log_fail(-EINVAL, "config.json: linux.resources.devices: expected an array");
        if (res) {
                const char *k;
                json_t *v;
                json_object_foreach(res, k, v) {
                        if (!strcmp(k, "devices") || !is_meaningful(v))
                                continue;
                        return log_fail(-EOPNOTSUPP,
                                               "config.json: linux.resources.%s: resource limits are not supported yet "
                                               "by this build of cocoon",
                                               k);
                }
        }
        return cgroup_devices_apply(cg, rules, spec->linux.devices, spec->linux.n_devices);
}

int cgroup_update_resources(const struct cgroup *cg, json_t *res) {
        (void) cg, (void) res;
        return log_fail(-EOPNOTSUPP, "update: resource limits are not supported yet by this build of cocoon");
}
