/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>

#include "cli/cli.h"
#include "util.h"

static int on_opt(int idx, const char *arg, void *ud) {
        (void) arg;
        if (idx == 0)
                *(bool *) ud = true;
        return 0;
}

static int run_kill(struct cocoon_ctx *ctx, int argc, char **argv) {
        bool all = false;
        int first;
        int r = cli_parse(&cmd_kill, argc, argv, on_opt, &all, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first >= argc || argc - first > 2)
                return cli_usage_error(&cmd_kill, "expects a container id and an optional signal");
        int sig = SIGTERM;
        if (argc - first == 2) {
                sig = signal_from_string(argv[first + 1]);
                if (sig < 0)
                        return log_fail(-EINVAL, "kill: unknown signal \"%s\"", argv[first + 1]);
        }
        return container_kill(ctx, argv[first], sig, all);
}

static const struct cli_opt opts[] = {
        {"all", 'a', false, NULL, "send the signal to every process in the container"},
        {0},
};

const struct cli_command cmd_kill = {
        .name = "kill",
        .args = "[command options] <container-id> [signal]",
        .summary = "send a signal (default: SIGTERM) to the container's init process",
        .opts = opts,
        .run = run_kill,
};
