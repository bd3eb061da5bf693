/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli/cli.h"
#include "util.h"

struct spec_opts {
        const char *bundle;
        bool rootless;
};

static int on_opt(int idx, const char *arg, void *ud) {
        struct spec_opts *o = ud;
        if (idx == 0)
                o->bundle = arg;
        else
                o->rootless = true;
        return 0;
}

static int run_spec(struct cocoon_ctx *ctx, int argc, char **argv) {
        (void) ctx;
        struct spec_opts o = {0};
        int first;
        int r = cli_parse(&cmd_spec, argc, argv, on_opt, &o, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first != argc)
                return cli_usage_error(&cmd_spec, "takes no arguments");
        const char *dir = o.bundle ? o.bundle : ".";
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return log_error_errno(-errno, "spec: bundle %s", dir);
        _cleanup_free_ char *text = oci_spec_template(o.rootless);
        if (!text)
                return log_error_errno(-ENOMEM, "spec: generate config.json");
        r = write_file_at(dfd, "config.json", text, strlen(text), O_CREAT | O_EXCL);
        if (r == -EEXIST)
                return log_fail(r, "spec: %s/config.json already exists; remove it first", dir);
        if (r < 0)
                return log_error_errno(r, "spec: write %s/config.json", dir);
        return 0;
}

static const struct cli_opt opts[] = {
        {"bundle", 'b', true, "dir", "write config.json into this directory (default: current directory)"},
        {"rootless", 0, false, NULL, "a config for a container run by an unprivileged user"},
        {0},
};

const struct cli_command cmd_spec = {
        .name = "spec",
        .args = "[command options]",
        .summary = "write a default config.json (like runc spec)",
        .opts = opts,
        .run = run_spec,
};
