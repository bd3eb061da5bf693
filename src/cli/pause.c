/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

static int run_pause(struct cocoon_ctx *ctx, int argc, char **argv) {
        const char *id;
        int r = cli_parse_id_only(&cmd_pause, argc, argv, &id);
        if (r != 0)
                return r > 0 ? 0 : r;
        return container_pause(ctx, id);
}

static const struct cli_opt opts[] = {{0}};

const struct cli_command cmd_pause = {
        .name = "pause",
        .args = "<container-id>",
        .summary = "suspend every process in the container (cgroup freezer)",
        .opts = opts,
        .run = run_pause,
};
