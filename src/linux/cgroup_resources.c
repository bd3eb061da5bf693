/* SPDX-License-Identifier: MIT */
/*
 * linux.resources.  This part applies the device allow-list (the rule that
 * keeps CAP_MKNOD from turning into raw access to host disks) on hierarchies
 * with a v1 devices controller.  Every other resource is refused with a
 * clear error when the config asks for a real limit: an ignored memory or
 * pids limit would silently void what the user relies on.  Zero values, as
 * engines write for "no limit", are accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "log.h"
#include "util.h"

/* Devices every container needs (runc's AllowedDevices). */
static const char *const default_allow[] = {
        "c *:* m",     /* mknod of any node is harmless: opening it is what the rules guard */
        "b *:* m",
        "c 1:3 rwm",   /* null */
        "c 1:5 rwm",   /* zero */
        "c 1:7 rwm",   /* full */
        "c 5:0 rwm",   /* tty */
        "c 1:8 rwm",   /* random */
        "c 1:9 rwm",   /* urandom */
        "c 136:* rwm", /* pts/N */
        "c 5:2 rwm",   /* ptmx */
        "c 5:1 rwm",   /* console */
        "c 10:200 rwm", /* net/tun */
};

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

static int rule_string(json_t *rule, size_t i, char *buf, size_t len, bool *allow) {
        json_t *a = json_object_get(rule, "allow");
        if (!json_is_boolean(a))
                return log_fail(-EINVAL, "config.json: linux.resources.devices[%zu].allow: expected a boolean", i);
        *allow = json_is_true(a);
        const char *type = json_string_value(json_object_get(rule, "type"));
        const char *access = json_string_value(json_object_get(rule, "access"));
        json_t *maj = json_object_get(rule, "major"), *min = json_object_get(rule, "minor");
        if (!type || !*type)
                type = "a";
        if (strcmp(type, "a") && strcmp(type, "c") && strcmp(type, "b"))
                return log_fail(-EINVAL, "config.json: linux.resources.devices[%zu].type: \"%s\" (a, c or b)", i, type);
        if (!access || !*access)
                access = "rwm";
        if (strspn(access, "rwm") != strlen(access))
                return log_fail(-EINVAL, "config.json: linux.resources.devices[%zu].access: \"%s\" (r, w, m)", i, access);
        char smaj[24] = "*", smin[24] = "*";
        if (json_is_integer(maj) && json_integer_value(maj) >= 0)
                snprintf(smaj, sizeof smaj, "%lld", (long long) json_integer_value(maj));
        if (json_is_integer(min) && json_integer_value(min) >= 0)
                snprintf(smin, sizeof smin, "%lld", (long long) json_integer_value(min));
        if (!strcmp(type, "a"))
                snprintf(buf, len, "a");
        else
                snprintf(buf, len, "%s %s:%s %s", type, smaj, smin, access);
        return 0;
}

static int devices_v1(const struct cgroup_dir *d, json_t *rules, const struct oci_device *devs, size_t n_devs) {
        _cleanup_free_ char *allow = strdup_printf("%s%s/devices.allow", d->mount, d->path);
        _cleanup_free_ char *deny = strdup_printf("%s%s/devices.deny", d->mount, d->path);
        if (!allow || !deny)
                return -ENOMEM;
        /* start from nothing, so only what is listed below is reachable */
        int r = write_string(deny, "a");
        if (r < 0)
                return log_error_errno(r, "write %s", deny);
        size_t i;
        json_t *rule;
        json_array_foreach(rules, i, rule) {
                char buf[96];
                bool ok = false;
                r = rule_string(rule, i, buf, sizeof buf, &ok);
                if (r < 0)
                        return r;
                r = write_string(ok ? allow : deny, buf);
                if (r < 0)
                        return log_fail(r, "config.json: linux.resources.devices[%zu]: write \"%s\" to %s", i,
                                               buf, ok ? allow : deny);
        }
        for (size_t k = 0; k < ELEMENTSOF(default_allow); k++)
                if ((r = write_string(allow, default_allow[k])) < 0)
                        return log_error_errno(r, "write %s", allow);
        /* devices the config creates in the container are usable there */
        for (size_t k = 0; k < n_devs; k++) {
                if (devs[k].type == 'p')
                        continue;
                char buf[96];
                snprintf(buf, sizeof buf, "%c %lld:%lld rwm", devs[k].type == 'b' ? 'b' : 'c',
                         (long long) devs[k].major, (long long) devs[k].minor);
                if ((r = write_string(allow, buf)) < 0)
                        return log_fail(r, "config.json: linux.devices[%zu]: allow in %s", k, allow);
        }
        return 0;
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
        bool applied = false;
        for (size_t i = 0; i < cg->n_dirs; i++) {
                const struct cgroup_dir *d = &cg->dirs[i];
                if (d->v2 || !strstr(d->controllers, "devices"))
                        continue;
                /* no rules (NULL) is an empty list: jansson's array accessors accept NULL */
                int r = devices_v1(d, rules, spec->linux.devices, spec->linux.n_devices);
                if (r < 0)
                        return r;
                applied = true;
        }
        if (!applied && cg->layout == CGROUP_LAYOUT_V2 && rules && json_array_size(rules) > 0)
                return log_fail(-EOPNOTSUPP, "config.json: linux.resources.devices: device rules on cgroup v2 "
                                                    "(eBPF) are not supported yet by this build of cocoon");
        return 0;
}
