/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static int noop(int idx, const char *arg, void *ud) {
        (void) idx, (void) arg, (void) ud;
        return 0;
}

static int run_state(struct cocoon_ctx *ctx, int argc, char **argv) {
        int first;
        int r = cli_parse(&cmd_state, argc, argv, noop, NULL, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first != argc - 1)
                return cli_usage_error(&cmd_state, "expects exactly one container id");
        json_t *s;
        r = container_state(ctx, argv[first], &s);
        if (r < 0)
                return r;
        char *text = json_dumps(s, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(s);
        if (!text)
                return -1;
        printf("%s\n", text);
        free(text);
        return 0;
}

static const struct cli_opt opts[] = {{0}};

const struct cli_command cmd_state = {
        .name = "state",
        .args = "<container-id>",
        .summary = "print the OCI state of a container as JSON",
        .opts = opts,
        .run = run_state,
};
