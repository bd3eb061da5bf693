/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static int run_state(struct cocoon_ctx *ctx, int argc, char **argv) {
        const char *id;
        int r = cli_parse_id_only(&cmd_state, argc, argv, &id);
        if (r != 0)
                return r > 0 ? 0 : r;
        json_t *s;
        r = container_state(ctx, id, &s);
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
