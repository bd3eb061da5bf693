/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

static int run_start(struct cocoon_ctx *ctx, int argc, char **argv) {
        const char *id;
        int r = cli_parse_id_only(&cmd_start, argc, argv, &id);
        if (r != 0)
                return r > 0 ? 0 : r;
        return container_start(ctx, id);
}

static const struct cli_opt opts[] = {{0}};

const struct cli_command cmd_start = {
        .name = "start",
        .args = "<container-id>",
        .summary = "run the user's program in a created container",
        .opts = opts,
        .run = run_start,
};
