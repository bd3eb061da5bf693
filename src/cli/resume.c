/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

static int run_resume(struct cocoon_ctx *ctx, int argc, char **argv) {
        const char *id;
        int r = cli_parse_id_only(&cmd_resume, argc, argv, &id);
        if (r != 0)
                return r > 0 ? 0 : r;
        return container_resume(ctx, id);
}

static const struct cli_opt opts[] = {{0}};

const struct cli_command cmd_resume = {
        .name = "resume",
        .args = "<container-id>",
        .summary = "resume every process of a paused container",
        .opts = opts,
        .run = run_resume,
};
