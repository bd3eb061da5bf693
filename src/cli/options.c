/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "log.h"
#include "util.h"

void cli_help(const struct cli_command *cmd) {
        printf("NAME:\n   cocoon %s - %s\n\nUSAGE:\n   cocoon %s %s\n", cmd->name, cmd->summary, cmd->name, cmd->args);
        if (cmd->opts && cmd->opts[0].name) {
                printf("\nOPTIONS:\n");
                for (const struct cli_opt *o = cmd->opts; o->name; o++) {
                        char left[96];
                        int n = snprintf(left, sizeof left, "--%s%s%s", o->name, o->has_arg ? " " : "",
                                         o->has_arg ? (o->arg_name ? o->arg_name : "value") : "");
                        if (o->short_name && n > 0)
                                snprintf(left + n, sizeof left - (size_t) n, ", -%c", o->short_name);
                        printf("   %-34s %s\n", left, o->help);
                }
        }
        printf("   %-34s %s\n", "--help, -h", "show help");
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return log_fail(-EINVAL, "%s: %s (see 'cocoon %s --help')", cmd->name, msg, cmd->name);
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, cli_opt_cb cb, void *ud, int *ret_first) {
        int i;
        for (i = 1; i < argc; i++) {
                char *a = argv[i];
                if (!strcmp(a, "--")) {
                        i++;
                        break;
                }
                if (a[0] != '-' || a[1] == 0)
                        break;
                if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                        cli_help(cmd);
                        return 1;
                }
                const struct cli_opt *found = NULL;
                const char *val = NULL;
                if (a[1] == '-') {
                        const char *name = a + 2;
                        const char *eq = strchr(name, '=');
                        size_t len = eq ? (size_t) (eq - name) : strlen(name);
                        for (const struct cli_opt *o = cmd->opts; o && o->name; o++)
                                if (strlen(o->name) == len && !strncmp(o->name, name, len))
                                        found = o;
                        if (found && eq) {
                                if (!found->has_arg) {
                                        /* booleans accept --flag=true|false as urfave/cli does */
                                        if (strcmp(eq + 1, "true") && strcmp(eq + 1, "false"))
                                                return cli_usage_error(cmd, "option --%s takes no value", found->name);
                                        if (!strcmp(eq + 1, "false"))
                                                continue;
                                } else
                                        val = eq + 1;
                        }
                } else if (a[2] == 0 || a[2] == '=') {
                        /* single dash: -x, or a long name with one dash as urfave/cli allows */
                        for (const struct cli_opt *o = cmd->opts; o && o->name; o++)
                                if (o->short_name == a[1])
                                        found = o;
                        if (found && a[2] == '=')
                                val = a + 3;
                } else {
                        const char *name = a + 1;
                        const char *eq = strchr(name, '=');
                        size_t len = eq ? (size_t) (eq - name) : strlen(name);
                        for (const struct cli_opt *o = cmd->opts; o && o->name; o++)
                                if (strlen(o->name) == len && !strncmp(o->name, name, len))
                                        found = o;
                        if (found && eq)
                                val = eq + 1;
                }
                if (!found)
                        return cli_usage_error(cmd, "unknown option %s", a);
                if (found->has_arg && !val) {
                        if (i + 1 >= argc)
                                return cli_usage_error(cmd, "option --%s needs a value", found->name);
                        val = argv[++i];
                }
                int r = cb((int) (found - cmd->opts), val, ud);
                if (r < 0)
                        return r;
        }
        *ret_first = i;
        return 0;
}

int cli_parse_nonneg(const char *opt, const char *s, int *ret) {
        int v;
        if (parse_int(s, &v) < 0 || v < 0)
                return log_fail(-EINVAL, "--%s: \"%s\" is not a non-negative number", opt, s);
        *ret = v;
        return 0;
}

int cli_listen_fds(void) {
        const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
        int n, p;
        if (!fds || !pid || parse_int(fds, &n) < 0 || parse_int(pid, &p) < 0 || p != getpid() || n < 0)
                return 0;
        return n;
}

int cli_parse_id_only(const struct cli_command *cmd, int argc, char **argv, const char **ret_id) {
        int first;
        /* no options: the callback is never called */
        int r = cli_parse(cmd, argc, argv, NULL, NULL, &first);
        if (r != 0)
                return r;
        if (first != argc - 1)
                return cli_usage_error(cmd, "expects exactly one container id");
        *ret_id = argv[first];
        return 0;
}
