/* SPDX-License-Identifier: MIT */
/*
 * Device allow-list: one rule list built from the config, applied to the v1
 * devices controller as written rules, or on a pure cgroup v2 host as an
 * eBPF program built from the same list (bpf_devices.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "linux/bpf_devices.h"
#include "linux/cgroup_devices.h"
#include "log.h"
#include "util.h"

/* Devices every container needs: runc's AllowedDevices, exactly.  No
 * /dev/console (c 5:1): the container's console is a pty slave (c 136:N). */
static const struct device_rule default_allow[] = {
        /* mknod of any node is harmless: opening it is what the rules guard */
        {true, 'c', -1, -1, "m"},
        {true, 'b', -1, -1, "m"},
        {true, 'c', 1, 3, "rwm"},    /* null */
        {true, 'c', 1, 5, "rwm"},    /* zero */
        {true, 'c', 1, 7, "rwm"},    /* full */
        {true, 'c', 5, 0, "rwm"},    /* tty */
        {true, 'c', 1, 8, "rwm"},    /* random */
        {true, 'c', 1, 9, "rwm"},    /* urandom */
        {true, 'c', 136, -1, "rwm"}, /* pts/N */
        {true, 'c', 5, 2, "rwm"},    /* ptmx */
        {true, 'c', 10, 200, "rwm"}, /* net/tun */
};

static int rule_from_json(json_t *rule, size_t i, struct device_rule *out) {
        json_t *a = json_object_get(rule, "allow");
        if (!json_is_boolean(a))
                return log_fail(-EINVAL, "config.json: linux.resources.devices[%zu].allow: expected a boolean", i);
        const char *type = json_string_value(json_object_get(rule, "type"));
        const char *access = json_string_value(json_object_get(rule, "access"));
        json_t *maj = json_object_get(rule, "major"), *min = json_object_get(rule, "minor");
        if (!type || !*type)
                type = "a";
        if (strcmp(type, "a") && strcmp(type, "c") && strcmp(type, "b"))
                return log_fail(-EINVAL, "config.json: linux.resources.devices[%zu].type: \"%s\" (a, c or b)", i, type);
        if (!access || !*access)
                access = "rwm";
        if (strspn(access, "rwm") != strlen(access) || strlen(access) > 3)
                return log_fail(-EINVAL, "config.json: linux.resources.devices[%zu].access: \"%s\" (r, w, m)", i, access);
        *out = (struct device_rule){
                .allow = json_is_true(a),
                .type = type[0],
                .major = json_is_integer(maj) && json_integer_value(maj) >= 0 ? json_integer_value(maj) : -1,
                .minor = json_is_integer(min) && json_integer_value(min) >= 0 ? json_integer_value(min) : -1,
        };
        snprintf(out->access, sizeof out->access, "%s", access);
        return 0;
}

int device_rules_build(json_t *rules, const struct oci_device *devs, size_t n_devs, struct device_rule **ret,
                       size_t *ret_n) {
        if (rules && !json_is_array(rules))
                return log_fail(-EINVAL, "config.json: linux.resources.devices: expected an array");
        size_t max = 1 + json_array_size(rules) + ELEMENTSOF(default_allow) + n_devs, n = 0;
        _cleanup_free_ struct device_rule *v = calloc(max, sizeof *v);
        if (!v)
                return -ENOMEM;
        /* start from nothing, so only what is listed below is reachable */
        v[n++] = (struct device_rule){.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"};
        size_t i;
        json_t *rule;
        json_array_foreach(rules, i, rule) {
                int r = rule_from_json(rule, i, &v[n++]);
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < ELEMENTSOF(default_allow); k++)
                v[n++] = default_allow[k];
        /* devices the config creates in the container are usable there */
        for (size_t k = 0; k < n_devs; k++) {
                if (devs[k].type == 'p')
                        continue;
                v[n++] = (struct device_rule){.allow = true, .type = devs[k].type == 'b' ? 'b' : 'c',
                                              .major = devs[k].major, .minor = devs[k].minor, .access = "rwm"};
        }
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

static void rule_format(const struct device_rule *d, char *buf, size_t len) {
        char smaj[24] = "*", smin[24] = "*";
        if (d->type == 'a') {
                snprintf(buf, len, "a");
                return;
        }
        if (d->major >= 0)
                snprintf(smaj, sizeof smaj, "%lld", (long long) d->major);
        if (d->minor >= 0)
                snprintf(smin, sizeof smin, "%lld", (long long) d->minor);
        snprintf(buf, len, "%c %s:%s %s", d->type, smaj, smin, d->access);
}

static int devices_v1(const struct cgroup_dir *d, const struct device_rule *v, size_t n) {
        _cleanup_free_ char *allow = strdup_printf("%s%s/devices.allow", d->mount, d->path);
        _cleanup_free_ char *deny = strdup_printf("%s%s/devices.deny", d->mount, d->path);
        if (!allow || !deny)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char buf[96];
                rule_format(&v[i], buf, sizeof buf);
                int r = write_string(v[i].allow ? allow : deny, buf);
                if (r < 0)
                        return log_error_errno(r, "devices rule \"%s\": write %s", buf, v[i].allow ? allow : deny);
        }
        return 0;
}

int cgroup_devices_apply(const struct cgroup *cg, json_t *rules, const struct oci_device *devs, size_t n_devs) {
        return cgroup_devices_apply_extra(cg, rules, devs, n_devs, NULL, 0);
}

int cgroup_devices_apply_extra(const struct cgroup *cg, json_t *rules, const struct oci_device *devs, size_t n_devs,
                               const struct device_rule *extra, size_t n_extra) {
        _cleanup_free_ struct device_rule *v = NULL;
        size_t n = 0;
        int r = device_rules_build(rules, devs, n_devs, &v, &n);
        if (r < 0)
                return r;
        if (n_extra > 0) {
                struct device_rule *w = reallocarray(v, n + n_extra, sizeof *v);
                if (!w)
                        return -ENOMEM;
                v = w;
                memcpy(v + n, extra, n_extra * sizeof *v);
                n += n_extra;
        }
        for (size_t i = 0; i < cg->n_dirs; i++) {
                const struct cgroup_dir *d = &cg->dirs[i];
                if (d->v2) {
                        /* On a hybrid host the v1 devices controller already
                         * enforces the list, as with runc there; a second
                         * policy in the unified hierarchy would only be one
                         * more thing for `update` to keep in step.  Only a
                         * pure v2 host has no other device policy. */
                        if (cg->layout != CGROUP_LAYOUT_V2)
                                continue;
                        _cleanup_free_ char *dir = strdup_printf("%s%s", d->mount, d->path);
                        if (!dir)
                                return -ENOMEM;
                        r = bpf_devices_apply(dir, v, n);
                } else if (strstr(d->controllers, "devices"))
                        r = devices_v1(d, v, n);
                if (r < 0)
                        return r;
        }
        return 0;
}
