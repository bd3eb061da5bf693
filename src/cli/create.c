/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/create_opts.h"

int cli_create_opt(int idx, const char *arg, void *ud) {
        struct create_opts *o = ud;
        switch (idx) {
        case CREATE_OPT_BUNDLE:
                o->bundle = arg;
                return 0;
        case CREATE_OPT_CONSOLE_SOCKET:
                o->console_socket = arg;
                return 0;
        case CREATE_OPT_PID_FILE:
                o->pid_file = arg;
                return 0;
        case CREATE_OPT_NO_PIVOT:
                o->no_pivot = true;
                return 0;
        case CREATE_OPT_NO_NEW_KEYRING:
                o->no_new_keyring = true;
                return 0;
        case CREATE_OPT_PRESERVE_FDS:
                return cli_parse_nonneg("preserve-fds", arg, &o->preserve_fds);
        }
        return -EINVAL;
}

static int run_create(struct cocoon_ctx *ctx, int argc, char **argv) {
        struct create_opts o = {.console_fd = -1};
        int first;
        int r = cli_parse(&cmd_create, argc, argv, cli_create_opt, &o, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first != argc - 1)
                return cli_usage_error(&cmd_create, "expects exactly one container id");
        o.listen_fds = cli_listen_fds();
        pid_t pid;
        return container_create(ctx, argv[first], &o, &pid);
}

const struct cli_command cmd_create = {
        .name = "create",
        .args = "[command options] <container-id>",
        .summary = "create a container (its process waits for `start`)",
        .opts = cli_create_options,
        .run = run_create,
};
