/* SPDX-License-Identifier: MIT */
/*
 * `update`: runc's flags and --resources (a linux.resources JSON file, or "-"
 * for stdin) become one linux.resources object; a flag overrides the same
 * field of the file.  Memory sizes take runc's human sizes ("64m", "1.5GiB",
 * binary multiples) or -1 for unlimited.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli/cli.h"
#include "units.h"
#include "util.h"

enum kind { K_FILE, K_UINT, K_INT, K_STR, K_SIZE, K_RDT };

static const struct cli_opt opts[] = {
        {"resources", 'r', true, "FILE", "linux.resources JSON to apply ('-': stdin); flags override its fields"},
        {"blkio-weight", 0, true, "N", "block IO weight (10-1000)"},
        {"cpu-period", 0, true, "USECS", "CPU CFS period (0: leave unchanged)"},
        {"cpu-quota", 0, true, "USECS", "CPU CFS quota per period"},
        {"cpu-share", 0, true, "N", "CPU shares (relative weight)"},
        {"cpu-shares", 0, true, "N", "same as --cpu-share"},
        {"cpu-rt-period", 0, true, "USECS", "CPU realtime period"},
        {"cpu-rt-runtime", 0, true, "USECS", "CPU realtime runtime per period"},
        {"cpuset-cpus", 0, true, "LIST", "CPUs to use (e.g. 0-1)"},
        {"cpuset-mems", 0, true, "LIST", "memory nodes to use"},
        {"kernel-memory", 0, true, "SIZE", "deprecated and ignored (warns)"},
        {"kernel-memory-tcp", 0, true, "SIZE", "deprecated and ignored (warns)"},
        {"memory", 0, true, "SIZE", "memory limit, e.g. 64m (-1: unlimited)"},
        {"memory-reservation", 0, true, "SIZE", "memory soft limit"},
        {"memory-swap", 0, true, "SIZE", "memory + swap limit (-1: unlimited swap)"},
        {"pids-limit", 0, true, "N", "maximum number of pids (-1: unlimited)"},
        {"l3-cache-schema", 0, true, "SCHEMA", "Intel RDT L3 cache schema (not supported)"},
        {"mem-bw-schema", 0, true, "SCHEMA", "Intel RDT memory bandwidth schema (not supported)"},
        {0},
};

/* where each option (same order as opts) goes in linux.resources */
static const struct {
        enum kind kind;
        const char *group, *field;
} fields[] = {
        {K_FILE, NULL, NULL},
        {K_UINT, "blockIO", "weight"},
        {K_UINT, "cpu", "period"},
        {K_INT, "cpu", "quota"},
        {K_UINT, "cpu", "shares"},
        {K_UINT, "cpu", "shares"},
        {K_UINT, "cpu", "realtimePeriod"},
        {K_INT, "cpu", "realtimeRuntime"},
        {K_STR, "cpu", "cpus"},
        {K_STR, "cpu", "mems"},
        {K_SIZE, "memory", "kernel"},
        {K_SIZE, "memory", "kernelTCP"},
        {K_SIZE, "memory", "limit"},
        {K_SIZE, "memory", "reservation"},
        {K_SIZE, "memory", "swap"},
        {K_INT, "pids", "limit"},
        {K_RDT, NULL, NULL},
        {K_RDT, NULL, NULL},
};
_Static_assert(ELEMENTSOF(fields) == ELEMENTSOF(opts) - 1, "one field per option");

static int on_opt(int idx, const char *arg, void *ud) {
        ((const char **) ud)[idx] = arg;
        return 0;
}

static int parse_value(const char *opt, enum kind kind, const char *s, json_t **ret) {
        char *end;
        errno = 0;
        switch (kind) {
        case K_STR:
                *ret = json_string(s);
                break;
        case K_UINT: {
                unsigned long long v = strtoull(s, &end, 10);
                if (errno || end == s || *end || s[0] == '-' || v > INT64_MAX)
                        return log_fail(-EINVAL, "update: --%s: \"%s\" is not an unsigned integer", opt, s);
                *ret = json_integer((json_int_t) v);
                break;
        }
        case K_INT: {
                long long v = strtoll(s, &end, 10);
                if (errno || end == s || *end)
                        return log_fail(-EINVAL, "update: --%s: \"%s\" is not an integer", opt, s);
                *ret = json_integer(v);
                break;
        }
        case K_SIZE: {
                int64_t v;
                if (parse_ram_bytes(s, &v) < 0)
                        return log_fail(-EINVAL, "update: --%s: invalid size \"%s\" (e.g. 64m, 1g, or -1)", opt, s);
                *ret = json_integer(v);
                break;
        }
        default:
                return -EINVAL;
        }
        return *ret ? 0 : -ENOMEM;
}

static int load_resources(const char *path, json_t **ret) {
        json_error_t err;
        json_t *j = !strcmp(path, "-") ? json_loadf(stdin, 0, &err) : json_load_file(path, 0, &err);
        if (!j)
                return log_fail(-EINVAL, "update: --resources %s: %s (line %d)", path, err.text, err.line);
        if (!json_is_object(j)) {
                json_decref(j);
                return log_fail(-EINVAL, "update: --resources %s: expected a JSON object (linux.resources)", path);
        }
        *ret = j;
        return 0;
}

static int set_field(json_t *res, const char *group, const char *field, json_t *v) {
        json_t *g = json_object_get(res, group);
        if (!json_is_object(g)) {
                g = json_object();
                if (!g || json_object_set_new(res, group, g) < 0) {
                        json_decref(v);
                        return -ENOMEM;
                }
        }
        return json_object_set_new(g, field, v) < 0 ? -ENOMEM : 0;
}

static int run_update(struct cocoon_ctx *ctx, int argc, char **argv) {
        const char *vals[ELEMENTSOF(fields)] = {0};
        int first;
        int r = cli_parse(&cmd_update, argc, argv, on_opt, vals, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first != argc - 1)
                return cli_usage_error(&cmd_update, "expects exactly one container id");
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (fields[i].kind == K_RDT && vals[i] && *vals[i])
                        return log_fail(-EOPNOTSUPP, "update: --%s: Intel RDT is not supported by this build of cocoon",
                                        opts[i].name);

        json_t *res = NULL;
        if (vals[0])
                r = load_resources(vals[0], &res);
        else if (!(res = json_object()))
                r = -ENOMEM;
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(fields) && r >= 0; i++) {
                if (fields[i].kind == K_FILE || fields[i].kind == K_RDT || !vals[i] || !*vals[i])
                        continue; /* an empty value is no value (runc) */
                json_t *v = NULL;
                r = parse_value(opts[i].name, fields[i].kind, vals[i], &v);
                if (r >= 0)
                        r = set_field(res, fields[i].group, fields[i].field, v);
        }
        if (r >= 0)
                r = container_update(ctx, argv[first], res);
        json_decref(res);
        return r;
}

const struct cli_command cmd_update = {
        .name = "update",
        .args = "[command options] <container-id>",
        .summary = "update the resource limits of a running container",
        .opts = opts,
        .run = run_update,
};
