/* SPDX-License-Identifier: MIT */
/* cocoon: global options and subcommand dispatch. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "linux/cloned_binary.h"
#include "log.h"
#include "runtime/sandbox.h"
#include "sentry/sentry.h"

static const struct cli_command *const commands[] = {
        &cmd_check, &cmd_create, &cmd_delete, &cmd_events, &cmd_exec,  &cmd_features, &cmd_kill,  &cmd_list,
        &cmd_pause, &cmd_ps,     &cmd_resume, &cmd_run,    &cmd_spec,  &cmd_start,    &cmd_state, &cmd_update,
};

static void print_version(void) {
        const struct scmp_version *v = seccomp_version();
        printf("cocoon version %s\ncommit: %s\nspec: %s\nlibseccomp: %u.%u.%u\n", COCOON_VERSION, COCOON_COMMIT,
               OCI_VERSION, v->major, v->minor, v->micro);
}

static void print_help(void) {
        printf("NAME:\n   cocoon - a sandboxed OCI container runtime\n\n"
               "USAGE:\n   cocoon [global options] command [command options] [arguments...]\n\n"
               "COMMANDS:\n");
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
                printf("   %-10s %s\n", commands[i]->name, commands[i]->summary);
        printf("\nGLOBAL OPTIONS:\n"
               "   --root value          root directory for container state (default: \"/run/cocoon\")\n"
               "   --log value           log file (default: stderr only)\n"
               "   --log-format value    log format: text or json (default: \"text\")\n"
               "   --debug               enable debug logging\n"
               "   --systemd-cgroup      cgroupsPath is \"slice:prefix:name\": a systemd scope per container\n"
               "   --sandbox value       sentry, none or vm (default: \"sentry\"; none: namespaces and cgroups only,\n"
               "                         as runc; vm: a QEMU guest per container, see docs/vm.md)\n"
               "   --strace              sandbox sentry: log every syscall the Sentry handles (to --log, else stderr)\n"
               "   --sentry-release value  sandbox sentry: the kernel release uname shows (default: \"" SENTRY_DEFAULT_RELEASE "\";\n"
               "                         the annotation " SENTRY_RELEASE_ANNOTATION " sets it per container)\n"
               "   --help, -h            show help\n"
               "   --version, -v         print the version\n");
}

/* Global option value: "--opt value" or "--opt=value". */
static const char *take_value(int argc, char **argv, int *i, const char *name) {
        size_t n = strlen(name);
        const char *a = argv[*i];
        if (a[n] == '=')
                return a + n + 1;
        if (*i + 1 >= argc) {
                log_fail(-EINVAL, "global option %s needs a value", name);
                return NULL;
        }
        return argv[++*i];
}

static bool is_opt(const char *a, const char *name) {
        size_t n = strlen(name);
        /* accept both "--root" and runc-style "-root" */
        if (a[0] == '-' && a[1] != '-' && !strncmp(a + 1, name + 2, n - 2) && (a[n - 1] == 0 || a[n - 1] == '='))
                return true;
        return !strncmp(a, name, n) && (a[n] == 0 || a[n] == '=');
}

int main(int argc, char **argv) {
        struct cocoon_ctx ctx = {
                .root = "/run/cocoon",
                .log = {.fd = -1, .format = LOG_FORMAT_TEXT, .forward_fd = -1},
                .sandbox = SANDBOX_SENTRY,
        };
        log_setup(&ctx.log);
        const char *log_path = NULL, *log_format = NULL;
        bool sandbox_given = false;
        int i;
        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i], *v;
                if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                        print_help();
                        return 0;
                }
                if (!strcmp(a, "--version") || !strcmp(a, "-v")) {
                        print_version();
                        return 0;
                }
                if (is_opt(a, "--debug"))
                        ctx.log.debug = true;
                else if (is_opt(a, "--systemd-cgroup"))
                        ctx.systemd_cgroup = true;
                else if (is_opt(a, "--strace"))
                        ctx.strace = true;
                else if (is_opt(a, "--sentry-release")) {
                        if (!(v = take_value(argc, argv, &i, "--sentry-release")))
                                return 1;
                        if (sentry_release_check(v, "--sentry-release") < 0)
                                return 1;
                        ctx.sentry_release = v;
                }
                else if (is_opt(a, "--root")) {
                        if (!(v = take_value(argc, argv, &i, "--root")))
                                return 1;
                        ctx.root = v;
                } else if (is_opt(a, "--log")) {
                        if (!(log_path = take_value(argc, argv, &i, "--log")))
                                return 1;
                } else if (is_opt(a, "--log-format")) {
                        if (!(log_format = take_value(argc, argv, &i, "--log-format")))
                                return 1;
                } else if (is_opt(a, "--sandbox")) {
                        if (!(v = take_value(argc, argv, &i, "--sandbox")))
                                return 1;
                        sandbox_given = true;
                        if (sandbox_from_name(v, &ctx.sandbox) < 0) {
                                log_fail(-EINVAL, "--sandbox: unknown sandbox \"%s\" (none, sentry or vm)", v);
                                return 1;
                        }
                } else if (is_opt(a, "--criu") || is_opt(a, "--rootless")) {
                        /* runc options that containerd may pass; accepted and unused */
                        if (strchr(a, '=') == NULL && i + 1 < argc && argv[i + 1][0] != '-')
                                i++;
                } else {
                        log_fail(-EINVAL, "unknown global option %s (see 'cocoon --help')", a);
                        return 1;
                }
        }
        if (log_format) {
                if (!strcmp(log_format, "json"))
                        ctx.log.format = LOG_FORMAT_JSON;
                else if (strcmp(log_format, "text")) {
                        log_fail(-EINVAL, "--log-format: unknown format \"%s\" (text or json)", log_format);
                        return 1;
                }
        }
        if (log_path) {
                ctx.log.fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
                if (ctx.log.fd < 0) {
                        log_error_errno(-errno, "--log %s", log_path);
                        return 1;
                }
        }
        /* the program name's sandbox (cocoon-sentry, ...) unless --sandbox
         * says otherwise; after --log, so that an engine reading the log
         * (containerd's shim) sees the error */
        if (!sandbox_given && sandbox_from_argv0(argv[0], &ctx.sandbox) < 0)
                return 1;
        if (i >= argc) {
                print_help();
                return 1;
        }
        const char *name = argv[i];
        if (!strcmp(name, "help")) {
                if (i + 1 < argc)
                        for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
                                if (!strcmp(commands[k]->name, argv[i + 1])) {
                                        cli_help(commands[k]);
                                        return 0;
                                }
                print_help();
                return 0;
        }
        /* Only the commands that start processes inside a container need the
         * sealed copy of our binary (see cloned_binary.h). */
        if (!strcmp(name, "create") || !strcmp(name, "run") || !strcmp(name, "exec")) {
                if (cloned_binary_reexec(argv) < 0)
                        return 1;
        }
        for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
                if (!strcmp(commands[k]->name, name)) {
                        int r = commands[k]->run(&ctx, argc - i, argv + i);
                        /* >0 is an exit status passed through (run, exec); <0 an error already logged */
                        return r < 0 ? 1 : r;
                }
        log_fail(-EINVAL, "unknown command \"%s\" (see 'cocoon --help')", name);
        return 1;
}
