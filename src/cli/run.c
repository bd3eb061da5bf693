/* SPDX-License-Identifier: MIT */
/* `run` = create + start, then (unless --detach) wait and delete, exiting with the container's status. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli/cli.h"
#include "cli/create_opts.h"
#include "linux/terminal.h"

enum { RUN_OPT_DETACH = CREATE_OPT_MAX, RUN_OPT_KEEP };

struct run_opts {
        struct create_opts c;
        bool detach, keep;
};

static int on_opt(int idx, const char *arg, void *ud) {
        struct run_opts *o = ud;
        if (idx == RUN_OPT_DETACH)
                o->detach = true;
        else if (idx == RUN_OPT_KEEP)
                o->keep = true;
        else
                return cli_create_opt(idx, arg, &o->c);
        return 0;
}

static int run_run(struct cocoon_ctx *ctx, int argc, char **argv) {
        struct run_opts o = {.c = {.console_fd = -1}};
        int first;
        int r = cli_parse(&cmd_run, argc, argv, on_opt, &o, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first != argc - 1)
                return cli_usage_error(&cmd_run, "expects exactly one container id");
        const char *id = argv[first];
        o.c.listen_fds = cli_listen_fds();

        /* In the foreground with terminal: true and no --console-socket, we
         * are the console: receive the master over a socketpair and relay. */
        _cleanup_close_ int mine = -1, theirs = -1, master = -1;
        if (!o.detach && !o.c.console_socket) {
                int sv[2];
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                        return log_error_errno(-errno, "socketpair");
                mine = sv[0];
                theirs = sv[1];
                o.c.console_fd = theirs;
        }
        pid_t pid;
        r = container_create(ctx, id, &o.c, &pid);
        if (r < 0)
                return r;
        closep(&theirs);
        r = container_start(ctx, id);
        if (r < 0) {
                container_delete(ctx, id, true);
                return r;
        }
        if (o.detach)
                return 0;
        /* The master arrives only when terminal is true; otherwise the socket just closes. */
        if (fd_recv(mine, &master) < 0)
                master = -1;
        int status = container_wait_child(pid, master);
        if (!o.keep)
                container_delete(ctx, id, true);
        return status;
}

static const struct cli_opt opts[] = {
        CREATE_OPTIONS,
        {"detach", 'd', false, NULL, "detach from the container's process"},
        {"keep", 0, false, NULL, "do not delete the container after it exits"},
        {0},
};

const struct cli_command cmd_run = {
        .name = "run",
        .args = "[command options] <container-id>",
        .summary = "create and start a container; wait for it unless --detach",
        .opts = opts,
        .run = run_run,
};
