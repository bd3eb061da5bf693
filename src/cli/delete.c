/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

static int on_opt(int idx, const char *arg, void *ud) {
        (void) arg;
        if (idx == 0)
                *(bool *) ud = true;
        return 0;
}

static int run_delete(struct cocoon_ctx *ctx, int argc, char **argv) {
        bool force = false;
        int first;
        int r = cli_parse(&cmd_delete, argc, argv, on_opt, &force, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first != argc - 1)
                return cli_usage_error(&cmd_delete, "expects exactly one container id");
        return container_delete(ctx, argv[first], force);
}

static const struct cli_opt opts[] = {
        {"force", 'f', false, NULL, "kill the container first if it is still running"},
        {0},
};

const struct cli_command cmd_delete = {
        .name = "delete",
        .args = "[command options] <container-id>",
        .summary = "delete a container and every resource it holds",
        .opts = opts,
        .run = run_delete,
};
