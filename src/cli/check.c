/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"
#include "runtime/check.h"

static int run_check(struct cocoon_ctx *ctx, int argc, char **argv) {
        (void) ctx;
        int first;
        int r = cli_parse(&cmd_check, argc, argv, NULL, NULL, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first < argc)
                return cli_usage_error(&cmd_check, "unexpected argument \"%s\"", argv[first]);
        /* the exit status is non-zero exactly when a line says FAIL */
        return cocoon_check(stdout) > 0 ? 1 : 0;
}

static const struct cli_opt opts[] = {{0}};

const struct cli_command cmd_check = {
        .name = "check",
        .args = "",
        .summary = "report whether this host can run each sandbox (OK / WARN / FAIL, with the fix)",
        .opts = opts,
        .run = run_check,
};
