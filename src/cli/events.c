/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "cli/cli.h"
#include "units.h"

struct args {
        struct events_opts o;
        const char *interval;
};

static int on_opt(int idx, const char *arg, void *ud) {
        struct args *a = ud;
        if (idx == 0)
                a->interval = arg;
        else
                a->o.stats_once = true;
        return 0;
}

static int run_events(struct cocoon_ctx *ctx, int argc, char **argv) {
        struct args a = {.o = {.interval_ms = 5000}};
        int first;
        int r = cli_parse(&cmd_events, argc, argv, on_opt, &a, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first != argc - 1)
                return cli_usage_error(&cmd_events, "expects exactly one container id");
        if (a.interval) {
                if (parse_duration_ms(a.interval, &a.o.interval_ms) < 0)
                        return log_fail(-EINVAL, "events: --interval: invalid duration \"%s\" (e.g. 5s, 500ms)",
                                        a.interval);
                if (a.o.interval_ms == 0)
                        return log_fail(-EINVAL, "events: --interval: the interval must be greater than 0");
        }
        return container_events(ctx, argv[first], &a.o);
}

static const struct cli_opt opts[] = {
        {"interval", 0, true, "DURATION", "stats interval (default: 5s)"},
        {"stats", 0, false, NULL, "print the container's statistics once and exit"},
        {0},
};

const struct cli_command cmd_events = {
        .name = "events",
        .args = "[command options] <container-id>",
        .summary = "print container events (stats, OOM kills) as JSON lines",
        .opts = opts,
        .run = run_events,
};
