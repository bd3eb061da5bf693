/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

static int noop(int idx, const char *arg, void *ud) {
        (void) idx, (void) arg, (void) ud;
        return 0;
}

static int run_start(struct cocoon_ctx *ctx, int argc, char **argv) {
        int first;
        int r = cli_parse(&cmd_start, argc, argv, noop, NULL, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first != argc - 1)
                return cli_usage_error(&cmd_start, "expects exactly one container id");
        return container_start(ctx, argv[first]);
}

static const struct cli_opt opts[] = {{0}};

const struct cli_command cmd_start = {
        .name = "start",
        .args = "<container-id>",
        .summary = "run the user's program in a created container",
        .opts = opts,
        .run = run_start,
};
