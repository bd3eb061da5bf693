/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli/cli.h"
#include "util.h"

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

/* Go's time.ParseDuration, which runc's --interval uses: "5s", "500ms",
 * "1m30s", "1.5s"; units ns, us, µs, ms, s, m, h.  Rounded up to whole ms. */
static int parse_duration_ms(const char *s, unsigned long long *ret) {
        static const struct {
                const char *unit;
                double ns;
        } units[] = {{"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3}, {"ms", 1e6},
                     {"s", 1e9}, {"m", 60e9},  {"h", 3600e9}};
        double total = 0;
        const char *p = s;
        if (!*p)
                return -EINVAL;
        while (*p) {
                if (!isdigit((unsigned char) *p) && *p != '.')
                        return -EINVAL;
                char *end;
                double v = strtod(p, &end);
                if (end == p)
                        return -EINVAL;
                p = end;
                size_t best = 0, best_len = 0;
                for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                        size_t l = strlen(units[i].unit);
                        /* longest match: "ms" before "m" */
                        if (!strncmp(p, units[i].unit, l) && l > best_len) {
                                best = i;
                                best_len = l;
                        }
                }
                if (!best_len)
                        return -EINVAL; /* Go: "missing unit" */
                total += v * units[best].ns;
                p += best_len;
        }
        if (total > 1e18)
                return -ERANGE;
        unsigned long long ns = (unsigned long long) total;
        *ret = (ns + 999999) / 1000000;
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
