/* SPDX-License-Identifier: MIT */
/*
 * linux.resources JSON -> struct cgroup_resources, validated once, every
 * rejection naming its JSON path.  JSON null counts as absent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "linux/cgroup_resources.h"
#include "log.h"

struct jpath {
        char s[256];
};

/* A path too long for the buffer (a hostile key) is shown cut, marked "...". */
static void mark_cut(struct jpath *p, int n) {
        if (n < 0 || (size_t) n >= sizeof p->s)
                memcpy(p->s + sizeof p->s - 4, "...", 4);
}

static struct jpath jp(const char *base, const char *key) {
        struct jpath p;
        mark_cut(&p, snprintf(p.s, sizeof p.s, "%s.%s", base, key));
        return p;
}

static struct jpath jp_index(const char *base, size_t i) {
        struct jpath p;
        mark_cut(&p, snprintf(p.s, sizeof p.s, "%s[%zu]", base, i));
        return p;
}

static json_t *member(json_t *obj, const char *key) {
        json_t *v = obj ? json_object_get(obj, key) : NULL;
        return json_is_null(v) ? NULL : v;
}

static int get_object(json_t *obj, const char *key, const char *path, json_t **ret) {
        json_t *v = member(obj, key);
        if (v && !json_is_object(v))
                return log_fail(-EINVAL, "%s: expected an object", jp(path, key).s);
        *ret = v;
        return 0;
}

static int get_array(json_t *obj, const char *key, const char *path, json_t **ret) {
        json_t *v = member(obj, key);
        if (v && !json_is_array(v))
                return log_fail(-EINVAL, "%s: expected an array", jp(path, key).s);
        *ret = v;
        return 0;
}

/* An integer in [min, max].  `zero_unset`: 0 means "not set", as in runc,
 * whose configs hold these values as plain Go integers. */
static int get_int(json_t *obj, const char *key, const char *path, int64_t min, int64_t max, bool zero_unset,
                   struct rc_i64 *ret) {
        json_t *v = member(obj, key);
        if (!v)
                return 0;
        if (!json_is_integer(v))
                return log_fail(-EINVAL, "%s: expected an integer", jp(path, key).s);
        int64_t x = json_integer_value(v);
        if (x < min || x > max)
                return log_fail(-EINVAL, "%s: %lld is out of range [%lld, %lld]", jp(path, key).s, (long long) x,
                                (long long) min, (long long) max);
        if (zero_unset && x == 0)
                return 0;
        *ret = (struct rc_i64){.set = true, .v = x};
        return 0;
}

static int get_bool(json_t *obj, const char *key, const char *path, struct rc_i64 *ret) {
        json_t *v = member(obj, key);
        if (!v)
                return 0;
        if (!json_is_boolean(v))
                return log_fail(-EINVAL, "%s: expected a boolean", jp(path, key).s);
        *ret = (struct rc_i64){.set = true, .v = json_is_true(v)};
        return 0;
}

static int get_string(json_t *obj, const char *key, const char *path, bool empty_unset, struct rc_str *ret) {
        json_t *v = member(obj, key);
        if (!v)
                return 0;
        if (!json_is_string(v))
                return log_fail(-EINVAL, "%s: expected a string", jp(path, key).s);
        const char *s = json_string_value(v);
        if (empty_unset && !*s)
                return 0;
        *ret = (struct rc_str){.set = true, .v = s};
        return 0;
}

/* Device numbers: -1 would make "-1:0" which the kernel reads as garbage. */
static int get_device(json_t *e, const char *path, int64_t *major, int64_t *minor) {
        struct rc_i64 ma = {0}, mi = {0};
        int r;
        if ((r = get_int(e, "major", path, 0, UINT32_MAX, false, &ma)) < 0 ||
            (r = get_int(e, "minor", path, 0, UINT32_MAX, false, &mi)) < 0)
                return r;
        if (!ma.set || !mi.set)
                return log_fail(-EINVAL, "%s: \"major\" and \"minor\" are required", path);
        *major = ma.v;
        *minor = mi.v;
        return 0;
}

static int parse_memory(json_t *res, const char *where, struct cgroup_resources *r) {
        json_t *m;
        struct jpath p = jp(where, "memory");
        int e = get_object(res, "memory", where, &m);
        if (e < 0 || !m)
                return e;
        struct rc_i64 kernel = {0}, kernel_tcp = {0}, check = {0};
        if ((e = get_int(m, "limit", p.s, -1, INT64_MAX, true, &r->memory.limit)) < 0 ||
            (e = get_int(m, "reservation", p.s, -1, INT64_MAX, true, &r->memory.reservation)) < 0 ||
            (e = get_int(m, "swap", p.s, -1, INT64_MAX, true, &r->memory.swap)) < 0 ||
            (e = get_int(m, "kernel", p.s, -1, INT64_MAX, true, &kernel)) < 0 ||
            (e = get_int(m, "kernelTCP", p.s, -1, INT64_MAX, true, &kernel_tcp)) < 0 ||
            (e = get_int(m, "swappiness", p.s, -1, 100, false, &r->memory.swappiness)) < 0 ||
            (e = get_bool(m, "disableOOMKiller", p.s, &r->memory.disable_oom_killer)) < 0 ||
            (e = get_bool(m, "useHierarchy", p.s, &r->memory.use_hierarchy)) < 0 ||
            (e = get_bool(m, "checkBeforeUpdate", p.s, &check)) < 0)
                return e;
        /* -1 is Docker's "unset" swappiness */
        if (r->memory.swappiness.set && r->memory.swappiness.v < 0)
                r->memory.swappiness.set = false;
        r->memory.check_before_update = check.set && check.v;
        /* Kernel memory accounting limits are gone from cgroup v2 and deprecated
         * in v1 since Linux 5.4; runc ignores them too. */
        if (kernel.set)
                log_warn("%s.kernel is deprecated and ignored", p.s);
        if (kernel_tcp.set)
                log_warn("%s.kernelTCP is deprecated and ignored", p.s);
        return 0;
}

static int parse_cpu(json_t *res, const char *where, struct cgroup_resources *r) {
        json_t *c;
        struct jpath p = jp(where, "cpu");
        int e = get_object(res, "cpu", where, &c);
        if (e < 0 || !c)
                return e;
        if ((e = get_int(c, "shares", p.s, 0, UINT32_MAX, true, &r->cpu.shares)) < 0 ||
            (e = get_int(c, "quota", p.s, -1, INT64_MAX, true, &r->cpu.quota)) < 0 ||
            (e = get_int(c, "period", p.s, 0, INT64_MAX, true, &r->cpu.period)) < 0 ||
            (e = get_int(c, "burst", p.s, 0, INT64_MAX, false, &r->cpu.burst)) < 0 ||
            (e = get_int(c, "realtimeRuntime", p.s, -1, INT64_MAX, true, &r->cpu.rt_runtime)) < 0 ||
            (e = get_int(c, "realtimePeriod", p.s, 0, INT64_MAX, true, &r->cpu.rt_period)) < 0 ||
            (e = get_int(c, "idle", p.s, 0, 1, false, &r->cpu.idle)) < 0 ||
            (e = get_string(c, "cpus", p.s, true, &r->cpu.cpus)) < 0 ||
            (e = get_string(c, "mems", p.s, true, &r->cpu.mems)) < 0)
                return e;
        return 0;
}

static int parse_throttle(json_t *b, const char *key, const char *path, struct rc_throttle_list *ret) {
        json_t *a;
        int e = get_array(b, key, path, &a);
        if (e < 0 || !a)
                return e;
        ret->v = calloc(json_array_size(a) + 1, sizeof *ret->v);
        if (!ret->v)
                return -ENOMEM;
        size_t i;
        json_t *x;
        struct jpath ap = jp(path, key);
        json_array_foreach(a, i, x) {
                struct jpath ep = jp_index(ap.s, i);
                struct rc_throttle_device *d = &ret->v[ret->n++];
                struct rc_i64 rate = {0};
                if (!json_is_object(x))
                        return log_fail(-EINVAL, "%s: expected an object", ep.s);
                if ((e = get_device(x, ep.s, &d->major, &d->minor)) < 0 ||
                    (e = get_int(x, "rate", ep.s, 0, INT64_MAX, false, &rate)) < 0)
                        return e;
                if (!rate.set)
                        return log_fail(-EINVAL, "%s.rate: required", ep.s);
                d->rate = (uint64_t) rate.v;
        }
        return 0;
}

static int parse_blkio(json_t *res, const char *where, struct cgroup_resources *r) {
        static const char *const throttle_keys[_RC_THROTTLE_MAX] = {
                [RC_READ_BPS] = "throttleReadBpsDevice",
                [RC_WRITE_BPS] = "throttleWriteBpsDevice",
                [RC_READ_IOPS] = "throttleReadIOPSDevice",
                [RC_WRITE_IOPS] = "throttleWriteIOPSDevice",
        };
        json_t *b, *wd;
        struct jpath p = jp(where, "blockIO");
        int e = get_object(res, "blockIO", where, &b);
        if (e < 0 || !b)
                return e;
        if ((e = get_int(b, "weight", p.s, 0, UINT16_MAX, true, &r->blkio.weight)) < 0 ||
            (e = get_int(b, "leafWeight", p.s, 0, UINT16_MAX, true, &r->blkio.leaf_weight)) < 0 ||
            (e = get_array(b, "weightDevice", p.s, &wd)) < 0)
                return e;
        for (size_t k = 0; k < _RC_THROTTLE_MAX; k++)
                if ((e = parse_throttle(b, throttle_keys[k], p.s, &r->blkio.throttle[k])) < 0)
                        return e;
        if (!wd)
                return 0;
        r->blkio.weight_device = calloc(json_array_size(wd) + 1, sizeof *r->blkio.weight_device);
        if (!r->blkio.weight_device)
                return -ENOMEM;
        size_t i;
        json_t *x;
        struct jpath ap = jp(p.s, "weightDevice");
        json_array_foreach(wd, i, x) {
                struct jpath ep = jp_index(ap.s, i);
                struct rc_weight_device *d = &r->blkio.weight_device[r->blkio.n_weight_device++];
                if (!json_is_object(x))
                        return log_fail(-EINVAL, "%s: expected an object", ep.s);
                if ((e = get_device(x, ep.s, &d->major, &d->minor)) < 0 ||
                    (e = get_int(x, "weight", ep.s, 0, UINT16_MAX, true, &d->weight)) < 0 ||
                    (e = get_int(x, "leafWeight", ep.s, 0, UINT16_MAX, true, &d->leaf_weight)) < 0)
                        return e;
        }
        return 0;
}

/* "2MB", "1GB", "64KB": the unit names the kernel uses in hugetlb.<size>.* */
static bool page_size_ok(const char *s) {
        size_t n = strspn(s, "0123456789");
        return n > 0 && n < 12 && (!strcmp(s + n, "KB") || !strcmp(s + n, "MB") || !strcmp(s + n, "GB"));
}

static int parse_hugepages(json_t *res, const char *where, struct cgroup_resources *r) {
        json_t *a;
        int e = get_array(res, "hugepageLimits", where, &a);
        if (e < 0 || !a)
                return e;
        r->hugepages = calloc(json_array_size(a) + 1, sizeof *r->hugepages);
        if (!r->hugepages)
                return -ENOMEM;
        struct jpath ap = jp(where, "hugepageLimits");
        size_t i;
        json_t *x;
        json_array_foreach(a, i, x) {
                struct jpath ep = jp_index(ap.s, i);
                struct rc_str size = {0};
                struct rc_i64 limit = {0};
                if (!json_is_object(x))
                        return log_fail(-EINVAL, "%s: expected an object", ep.s);
                if ((e = get_string(x, "pageSize", ep.s, false, &size)) < 0 ||
                    (e = get_int(x, "limit", ep.s, 0, INT64_MAX, false, &limit)) < 0)
                        return e;
                if (!size.set || !limit.set)
                        return log_fail(-EINVAL, "%s: \"pageSize\" and \"limit\" are required", ep.s);
                if (!page_size_ok(size.v))
                        return log_fail(-EINVAL, "%s.pageSize: \"%s\" is not a page size such as \"2MB\" or \"1GB\"",
                                        ep.s, size.v);
                r->hugepages[r->n_hugepages++] = (struct rc_hugepage){.page_size = size.v, .limit = (uint64_t) limit.v};
        }
        return 0;
}

static int parse_network(json_t *res, const char *where, struct cgroup_resources *r) {
        json_t *n, *prios;
        struct jpath p = jp(where, "network");
        int e = get_object(res, "network", where, &n);
        if (e < 0 || !n)
                return e;
        if ((e = get_int(n, "classID", p.s, 0, UINT32_MAX, true, &r->network.class_id)) < 0 ||
            (e = get_array(n, "priorities", p.s, &prios)) < 0)
                return e;
        if (!prios)
                return 0;
        r->network.priorities = calloc(json_array_size(prios) + 1, sizeof *r->network.priorities);
        if (!r->network.priorities)
                return -ENOMEM;
        struct jpath ap = jp(p.s, "priorities");
        size_t i;
        json_t *x;
        json_array_foreach(prios, i, x) {
                struct jpath ep = jp_index(ap.s, i);
                struct rc_str name = {0};
                struct rc_i64 prio = {0};
                if (!json_is_object(x))
                        return log_fail(-EINVAL, "%s: expected an object", ep.s);
                if ((e = get_string(x, "name", ep.s, false, &name)) < 0 ||
                    (e = get_int(x, "priority", ep.s, 0, UINT32_MAX, false, &prio)) < 0)
                        return e;
                if (!name.set || !*name.v || strpbrk(name.v, " \n/"))
                        return log_fail(-EINVAL, "%s.name: expected an interface name", ep.s);
                r->network.priorities[r->network.n_priorities++] =
                        (struct rc_ifprio){.name = name.v, .priority = (uint32_t) prio.v};
        }
        return 0;
}

static int parse_rdma(json_t *res, const char *where, struct cgroup_resources *r) {
        json_t *o;
        int e = get_object(res, "rdma", where, &o);
        if (e < 0 || !o)
                return e;
        r->rdma = calloc(json_object_size(o) + 1, sizeof *r->rdma);
        if (!r->rdma)
                return -ENOMEM;
        struct jpath p = jp(where, "rdma");
        const char *dev;
        json_t *x;
        json_object_foreach(o, dev, x) {
                struct jpath ep = jp(p.s, dev);
                struct rc_rdma *d = &r->rdma[r->n_rdma++];
                d->device = dev;
                if (!*dev || strpbrk(dev, " \n"))
                        return log_fail(-EINVAL, "%s: not a device name", ep.s);
                if (!json_is_object(x))
                        return log_fail(-EINVAL, "%s: expected an object", ep.s);
                if ((e = get_int(x, "hcaHandles", ep.s, 0, UINT32_MAX, false, &d->handles)) < 0 ||
                    (e = get_int(x, "hcaObjects", ep.s, 0, UINT32_MAX, false, &d->objects)) < 0)
                        return e;
        }
        return 0;
}

static int parse_unified(json_t *res, const char *where, struct cgroup_resources *r) {
        json_t *u;
        int e = get_object(res, "unified", where, &u);
        if (e < 0 || !u || json_object_size(u) == 0)
                return e;
        struct jpath p = jp(where, "unified");
        const char *k;
        json_t *v;
        json_object_foreach(u, k, v) {
                /* a key is a file of the container's own directory, nothing else */
                if (strchr(k, '/') || !strcmp(k, ".") || !strcmp(k, ".."))
                        return log_fail(-EINVAL, "%s: \"%s\" must be a file name (no \"/\", not \"..\")", p.s, k);
                const char *dot = strchr(k, '.');
                if (!dot || dot == k || !dot[1])
                        return log_fail(-EINVAL, "%s: \"%s\" must be of the form CONTROLLER.PARAMETER", p.s, k);
                /* moving processes is not a resource limit */
                if (!strcmp(k, "cgroup.procs") || !strcmp(k, "cgroup.threads"))
                        return log_fail(-EINVAL, "%s: \"%s\" is not a resource", p.s, k);
                if (!json_is_string(v))
                        return log_fail(-EINVAL, "%s: expected a string", jp(p.s, k).s);
        }
        r->unified = u;
        return 0;
}

void cgroup_resources_done(struct cgroup_resources *r) {
        free(r->blkio.weight_device);
        for (size_t k = 0; k < _RC_THROTTLE_MAX; k++)
                free(r->blkio.throttle[k].v);
        free(r->hugepages);
        free(r->network.priorities);
        free(r->rdma);
        *r = (struct cgroup_resources){0};
}

int cgroup_resources_parse(json_t *res, const char *where, struct cgroup_resources *ret) {
        *ret = (struct cgroup_resources){0};
        if (!res || json_is_null(res))
                return 0;
        if (!json_is_object(res))
                return log_fail(-EINVAL, "%s: expected an object", where);
        json_t *pids, *devices;
        int e;
        if ((e = parse_memory(res, where, ret)) < 0 || (e = parse_cpu(res, where, ret)) < 0 ||
            (e = parse_blkio(res, where, ret)) < 0 || (e = parse_hugepages(res, where, ret)) < 0 ||
            (e = parse_network(res, where, ret)) < 0 || (e = parse_rdma(res, where, ret)) < 0 ||
            (e = parse_unified(res, where, ret)) < 0 || (e = get_object(res, "pids", where, &pids)) < 0 ||
            (e = get_array(res, "devices", where, &devices)) < 0)
                goto fail;
        if (pids) {
                struct jpath p = jp(where, "pids");
                if ((e = get_int(pids, "limit", p.s, INT64_MIN, INT64_MAX, false, &ret->pids_limit)) < 0)
                        goto fail;
        }
        ret->devices = devices;
        return 0;
fail:
        cgroup_resources_done(ret);
        return e;
}

bool cgroup_resources_wants(const struct cgroup_resources *r, enum rc_controller c) {
        return cgroup_resources_field(r, c) != NULL;
}

const char *cgroup_resources_field(const struct cgroup_resources *r, enum rc_controller c) {
        switch (c) {
        case RC_CPUSET:
                return r->cpu.cpus.set ? "cpu.cpus" : r->cpu.mems.set ? "cpu.mems" : NULL;
        case RC_MEMORY: {
                const struct rc_i64 *f[] = {&r->memory.limit, &r->memory.reservation, &r->memory.swap,
                                            &r->memory.swappiness, &r->memory.disable_oom_killer,
                                            &r->memory.use_hierarchy};
                static const char *const names[] = {"memory.limit", "memory.reservation", "memory.swap",
                                                    "memory.swappiness", "memory.disableOOMKiller",
                                                    "memory.useHierarchy"};
                for (size_t i = 0; i < ELEMENTSOF(f); i++)
                        if (f[i]->set)
                                return names[i];
                return NULL;
        }
        case RC_CPU: {
                const struct rc_i64 *f[] = {&r->cpu.shares,     &r->cpu.quota,     &r->cpu.period, &r->cpu.burst,
                                            &r->cpu.rt_runtime, &r->cpu.rt_period, &r->cpu.idle};
                static const char *const names[] = {"cpu.shares",          "cpu.quota",          "cpu.period",
                                                    "cpu.burst",           "cpu.realtimeRuntime", "cpu.realtimePeriod",
                                                    "cpu.idle"};
                for (size_t i = 0; i < ELEMENTSOF(f); i++)
                        if (f[i]->set)
                                return names[i];
                return NULL;
        }
        case RC_PIDS:
                return r->pids_limit.set ? "pids.limit" : NULL;
        case RC_BLKIO:
                if (r->blkio.weight.set)
                        return "blockIO.weight";
                if (r->blkio.leaf_weight.set)
                        return "blockIO.leafWeight";
                if (r->blkio.n_weight_device)
                        return "blockIO.weightDevice";
                for (size_t k = 0; k < _RC_THROTTLE_MAX; k++)
                        if (r->blkio.throttle[k].n)
                                return "blockIO.throttle*Device";
                return NULL;
        case RC_HUGETLB:
                return r->n_hugepages ? "hugepageLimits" : NULL;
        case RC_NET_CLS:
                return r->network.class_id.set ? "network.classID" : NULL;
        case RC_NET_PRIO:
                return r->network.n_priorities ? "network.priorities" : NULL;
        case RC_RDMA:
                return r->n_rdma ? "rdma" : NULL;
        case _RC_CONTROLLER_MAX:
                break;
        }
        return NULL;
}

const char *rc_controller_v1_name(enum rc_controller c) {
        static const char *const names[_RC_CONTROLLER_MAX] = {
                [RC_CPUSET] = "cpuset", [RC_MEMORY] = "memory",   [RC_CPU] = "cpu",
                [RC_PIDS] = "pids",     [RC_BLKIO] = "blkio",     [RC_HUGETLB] = "hugetlb",
                [RC_NET_CLS] = "net_cls", [RC_NET_PRIO] = "net_prio", [RC_RDMA] = "rdma",
        };
        return (unsigned) c < _RC_CONTROLLER_MAX ? names[c] : "?";
}

const char *rc_controller_v2_name(enum rc_controller c) {
        switch (c) {
        case RC_BLKIO:
                return "io";
        case RC_NET_CLS:
        case RC_NET_PRIO:
                return NULL; /* cgroup v2 has no network controllers (eBPF replaces them) */
        default:
                return rc_controller_v1_name(c);
        }
}
