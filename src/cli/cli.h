/* SPDX-License-Identifier: MIT */
/*
 * Command-line front ends: each subcommand file only turns argv into a call
 * into runtime/, like crun's split of libcrun from its CLI.
 */
#pragma once

#include <stdbool.h>

#include "runtime/container.h"

struct cli_opt {
        const char *name; /* long name without "--" */
        char short_name;  /* 0: none */
        bool has_arg;
        const char *arg_name;
        const char *help;
};

struct cli_command {
        const char *name;
        const char *args;    /* usage after the name, e.g. "[options] <container-id>" */
        const char *summary;
        const struct cli_opt *opts;
        int (*run)(struct cocoon_ctx *ctx, int argc, char **argv);
};

/* Callback gets the index of the option in the table and its argument. */
typedef int (*cli_opt_cb)(int idx, const char *arg, void *ud);

/* Parse options of `cmd` from argv[1..]; stops at the first positional
 * argument (so `exec ID ps -ef` keeps -ef) or after "--".  --help/-h prints
 * the command's help and returns 1.  On return *ret_first is the index of
 * the first positional argument.  Errors are one line and -EINVAL. */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, cli_opt_cb cb, void *ud, int *ret_first);
void cli_help(const struct cli_command *cmd);
/* Commands that take no options and exactly one container id (start, state,
 * pause, resume): 0 with *ret_id set, 1 after --help, or -EINVAL. */
int cli_parse_id_only(const struct cli_command *cmd, int argc, char **argv, const char **ret_id);
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_parse_nonneg(const char *opt, const char *s, int *ret);
/* $LISTEN_FDS addressed to this process (LISTEN_PID matches), else 0. */
int cli_listen_fds(void);

extern const struct cli_command cmd_spec, cmd_create, cmd_start, cmd_run, cmd_exec, cmd_kill, cmd_delete,
        cmd_state, cmd_list, cmd_ps, cmd_features;
extern const struct cli_command cmd_pause, cmd_resume, cmd_update, cmd_events, cmd_check;
