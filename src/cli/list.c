/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

struct list_opts {
        const char *format;
        bool quiet;
};

static int on_opt(int idx, const char *arg, void *ud) {
        struct list_opts *o = ud;
        if (idx == 0)
                o->format = arg;
        else
                o->quiet = true;
        return 0;
}

static const char *field(json_t *s, const char *k) {
        const char *v = json_string_value(json_object_get(s, k));
        return v ? v : "";
}

static int run_list(struct cocoon_ctx *ctx, int argc, char **argv) {
        struct list_opts o = {.format = "table"};
        int first;
        int r = cli_parse(&cmd_list, argc, argv, on_opt, &o, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first != argc)
                return cli_usage_error(&cmd_list, "takes no arguments");
        if (strcmp(o.format, "table") && strcmp(o.format, "json"))
                return cli_usage_error(&cmd_list, "unknown --format \"%s\" (table or json)", o.format);
        json_t *all;
        r = container_list(ctx, &all);
        if (r < 0)
                return r;
        size_t i;
        json_t *s;
        if (o.quiet) {
                json_array_foreach(all, i, s) printf("%s\n", field(s, "id"));
        } else if (!strcmp(o.format, "json")) {
                char *text = json_dumps(all, JSON_COMPACT | JSON_PRESERVE_ORDER);
                printf("%s\n", text ? text : "[]");
                free(text);
        } else {
                /* column widths like runc's tabwriter */
                int w_id = 2, w_st = 6, w_b = 6;
                json_array_foreach(all, i, s) {
                        int l = (int) strlen(field(s, "id"));
                        w_id = l > w_id ? l : w_id;
                        l = (int) strlen(field(s, "status"));
                        w_st = l > w_st ? l : w_st;
                        l = (int) strlen(field(s, "bundle"));
                        w_b = l > w_b ? l : w_b;
                }
                printf("%-*s   %-10s   %-*s   %-*s   %-30s   %s\n", w_id, "ID", "PID", w_st, "STATUS", w_b,
                       "BUNDLE", "CREATED", "OWNER");
                json_array_foreach(all, i, s) {
                        printf("%-*s   %-10lld   %-*s   %-*s   %-30s   %s\n", w_id, field(s, "id"),
                               (long long) json_integer_value(json_object_get(s, "pid")), w_st, field(s, "status"),
                               w_b, field(s, "bundle"), field(s, "created"),
                               *field(s, "owner") ? field(s, "owner") : "root");
                }
        }
        json_decref(all);
        return 0;
}

static const struct cli_opt opts[] = {
        {"format", 'f', true, "table|json", "output format (default: table)"},
        {"quiet", 'q', false, NULL, "print only the container ids"},
        {0},
};

const struct cli_command cmd_list = {
        .name = "list",
        .args = "[command options]",
        .summary = "list the containers under --root",
        .opts = opts,
        .run = run_list,
};
