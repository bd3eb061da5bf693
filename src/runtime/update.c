/* SPDX-License-Identifier: MIT */
/*
 * `update`: change a live container's linux.resources.
 *
 * runc's update reads a fixed structure in which 0 (or "") means "leave
 * unchanged"; those fields are dropped here so that the cgroup layer only
 * sees what really changes.  `devices` is not updated, as in runc: engines
 * (containerd's CRI plugin) send the container's whole resources object, and
 * rewriting a live device allow-list is not what they ask for.  Kernel memory
 * limits are deprecated and ignored with a warning, as runc does.
 *
 * The accepted fields are also merged into the saved config.json, so later
 * commands (exec, a second update) see the container's current limits.
 */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "linux/cgroup.h"
#include "runtime/container.h"
#include "runtime/sandbox.h"
#include "util.h"

static const struct {
        const char *group, *field;
        bool is_string;
} runc_fields[] = {
        {"memory", "limit", false},        {"memory", "reservation", false}, {"memory", "swap", false},
        {"memory", "kernel", false},       {"memory", "kernelTCP", false},   {"cpu", "shares", false},
        {"cpu", "quota", false},           {"cpu", "period", false},         {"cpu", "realtimeRuntime", false},
        {"cpu", "realtimePeriod", false},  {"cpu", "cpus", true},            {"cpu", "mems", true},
        {"blockIO", "weight", false},      {"pids", "limit", false},
};

static int normalize(json_t *res) {
        if (!json_is_object(res))
                return log_fail(-EINVAL, "update: resources: expected a JSON object");
        if (json_object_get(res, "devices")) {
                log_debug("update: linux.resources.devices is not changed by update (as in runc)");
                json_object_del(res, "devices");
        }
        for (size_t i = 0; i < ELEMENTSOF(runc_fields); i++) {
                json_t *g = json_object_get(res, runc_fields[i].group);
                if (!g || json_is_null(g))
                        continue;
                if (!json_is_object(g))
                        return log_fail(-EINVAL, "update: linux.resources.%s: expected an object",
                                        runc_fields[i].group);
                const char *f = runc_fields[i].field;
                json_t *v = json_object_get(g, f);
                if (!v)
                        continue;
                bool unchanged;
                if (json_is_null(v))
                        unchanged = true;
                else if (runc_fields[i].is_string) {
                        if (!json_is_string(v))
                                return log_fail(-EINVAL, "update: linux.resources.%s.%s: expected a string",
                                                runc_fields[i].group, f);
                        unchanged = !*json_string_value(v);
                } else {
                        if (!json_is_integer(v))
                                return log_fail(-EINVAL, "update: linux.resources.%s.%s: expected an integer",
                                                runc_fields[i].group, f);
                        unchanged = json_integer_value(v) == 0;
                }
                if (!unchanged && str_startswith(f, "kernel")) {
                        log_warn("update: linux.resources.memory.%s: kernel memory limits are deprecated and ignored",
                                 f);
                        unchanged = true;
                }
                if (unchanged)
                        json_object_del(g, f);
        }
        /* a group left empty changes nothing */
        for (size_t i = 0; i < ELEMENTSOF(runc_fields); i++) {
                json_t *g = json_object_get(res, runc_fields[i].group);
                if (g && (json_is_null(g) || (json_is_object(g) && json_object_size(g) == 0)))
                        json_object_del(res, runc_fields[i].group);
        }
        return 0;
}

static void merge(json_t *dst, json_t *src) {
        const char *k;
        json_t *v;
        json_object_foreach(src, k, v) {
                json_t *d = json_object_get(dst, k);
                if (json_is_object(d) && json_is_object(v))
                        merge(d, v);
                else
                        json_object_set(dst, k, v);
        }
}

static json_t *object_child(json_t *o, const char *key) {
        json_t *c = json_object_get(o, key);
        if (!json_is_object(c)) {
                c = json_object();
                if (!c || json_object_set_new(o, key, c) < 0)
                        return NULL;
        }
        return c;
}

/* The saved config with `res` merged into linux.resources. */
static int merged_config(const struct container *c, json_t *res, char **ret) {
        _cleanup_free_ char *text = NULL;
        int r = read_file_at(c->dirfd, "config.json", &text, NULL);
        if (r < 0)
                return log_error_errno(r, "read saved config of container \"%s\"", c->id);
        json_error_t err;
        json_t *cfg = json_loads(text, 0, &err);
        if (!cfg)
                return log_fail(-EINVAL, "saved config of container \"%s\": %s", c->id, err.text);
        json_t *l = object_child(cfg, "linux");
        json_t *resources = l ? object_child(l, "resources") : NULL;
        if (!resources) {
                json_decref(cfg);
                return -ENOMEM;
        }
        merge(resources, res);
        _cleanup_free_ char *out = json_dumps(cfg, JSON_COMPACT);
        json_decref(cfg);
        if (!out)
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        return 0;
}

int container_update(struct cocoon_ctx *ctx, const char *id, json_t *res) {
        _cleanup_(container_closep) struct container *c = NULL;
        int r = container_open(ctx, id, &c);
        if (r < 0)
                return r;
        enum container_status st = container_status(c);
        if (st == STATUS_STOPPED || st == STATUS_CREATING)
                return log_fail(-ESRCH, "cannot update container \"%s\": it is %s, not running", id,
                                container_status_name(st));
        r = normalize(res);
        if (r < 0)
                return r;
        if (json_object_size(res) == 0)
                return 0; /* nothing changes (runc accepts this too) */
        const struct sandbox_ops *ops;
        r = sandbox_of(c, &ops);
        if (r < 0)
                return r;
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        r = ops->update ? 0 : container_load_cgroup(c, &cg);
        if (r < 0)
                return r;
        if (!cg && !ops->update)
                return log_fail(-EOPNOTSUPP, "cannot update container \"%s\": it has no cgroup", id);
        _cleanup_free_ char *text = NULL;
        r = merged_config(c, res, &text);
        if (r < 0)
                return r;
        /* vm: the workload's limits are the guest's cgroup's, and the host's follow the VM's needs */
        r = ops->update ? ops->update(c, res) : cgroup_update_resources(cg, res);
        if (r < 0)
                return r;
        r = write_file_atomic_at(c->dirfd, "config.json", text, strlen(text), 0600);
        if (r < 0)
                return log_error_errno(r, "save config of container \"%s\"", id);
        return 0;
}
