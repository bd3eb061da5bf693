/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

static int noop(int idx, const char *arg, void *ud) {
        (void) idx, (void) arg, (void) ud;
        return 0;
}

static int run_pause(struct cocoon_ctx *ctx, int argc, char **argv) {
        int first;
        int r = cli_parse(&cmd_pause, argc, argv, noop, NULL, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first != argc - 1)
                return cli_usage_error(&cmd_pause, "expects exactly one container id");
        return container_pause(ctx, argv[first]);
}

static const struct cli_opt opts[] = {{0}};

const struct cli_command cmd_pause = {
        .name = "pause",
        .args = "<container-id>",
        .summary = "suspend every process in the container (cgroup freezer)",
        .opts = opts,
        .run = run_pause,
};
