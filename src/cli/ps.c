/* SPDX-License-Identifier: MIT */
/* `ps`: the container's processes, as runc shows them (host ps filtered by
 * the container's cgroup); with --sandbox=vm the guest's, as the agent lists them
 * (--format json: the host pids that run the VM, for engines). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli/cli.h"
#include "util.h"

static int on_opt(int idx, const char *arg, void *ud) {
        if (idx == 0)
                *(const char **) ud = arg;
        return 0;
}

static bool has_pid(const pid_t *pids, size_t n, long pid) {
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

static int ps_table(const pid_t *pids, size_t n, int argc, char **argv) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return log_error_errno(-errno, "pipe");
        pid_t child = fork();
        if (child < 0)
                return log_error_errno(-errno, "fork");
        if (child == 0) {
                dup2(p[1], STDOUT_FILENO);
                char **args = calloc((size_t) argc + 3, sizeof *args);
                if (!args)
                        _exit(127);
                args[0] = (char *) "ps";
                int k = 1;
                if (argc == 0)
                        args[k++] = (char *) "-ef";
                for (int i = 0; i < argc; i++)
                        args[k++] = argv[i];
                args[k] = NULL;
                execvp("ps", args);
                _exit(127);
        }
        close(p[1]);
        _cleanup_fclose_ FILE *f = fdopen(p[0], "r");
        if (!f)
                return log_error_errno(-errno, "fdopen");
        char *line = NULL;
        size_t cap = 0;
        int pid_col = -1;
        while (getline(&line, &cap, f) > 0) {
                if (pid_col < 0) {
                        /* header: find the PID column */
                        char *copy = strdup(line), *save = NULL;
                        int col = 0;
                        for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
                                if (!strcmp(t, "PID"))
                                        pid_col = col;
                        free(copy);
                        fputs(line, stdout);
                        if (pid_col < 0) {
                                free(line);
                                waitpid(child, NULL, 0);
                                return log_error_errno(-EINVAL, "ps: no PID column in the output of ps");
                        }
                        continue;
                }
                char *copy = strdup(line), *save = NULL, *t = strtok_r(copy, " \t\n", &save);
                for (int col = 0; t && col < pid_col; col++)
                        t = strtok_r(NULL, " \t\n", &save);
                if (t && has_pid(pids, n, strtol(t, NULL, 10)))
                        fputs(line, stdout);
                free(copy);
        }
        free(line);
        int status;
        waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return log_error_errno(-EIO, "ps exited with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
        return 0;
}

static int run_ps(struct cocoon_ctx *ctx, int argc, char **argv) {
        const char *format = "table";
        int first;
        int r = cli_parse(&cmd_ps, argc, argv, on_opt, &format, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first >= argc)
                return cli_usage_error(&cmd_ps, "expects a container id");
        if (strcmp(format, "table") && strcmp(format, "json"))
                return cli_usage_error(&cmd_ps, "unknown --format \"%s\" (table or json)", format);
        if (!strcmp(format, "json") && argc - first > 1)
                return cli_usage_error(&cmd_ps, "ps arguments cannot be combined with --format json");
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_free_ char *table = NULL;
        size_t n = 0;
        /* json is for engines, which look the pids up on the host (docker
         * top runs the host's ps -ef and keeps those pids' lines): host
         * pids, so under vm the monitor's and QEMU's, never guest pids that
         * name unrelated host processes */
        if (!strcmp(format, "json"))
                r = container_host_pids(ctx, argv[first], &pids, &n);
        else
                r = container_pids(ctx, argv[first], &pids, &n, &table);
        if (r < 0)
                return r;
        if (!strcmp(format, "json")) {
                printf("[");
                for (size_t i = 0; i < n; i++)
                        printf("%s%d", i ? "," : "", pids[i]);
                printf("]\n");
                return 0;
        }
        if (table) {
                /* the processes are the guest's (--sandbox=vm): listed there, as ps -ef does */
                if (argc - first > 1)
                        return log_fail(-EOPNOTSUPP,
                                        "ps options are not supported for container \"%s\": its processes are in "
                                        "a VM, listed as ps -ef does (--sandbox=vm)",
                                        argv[first]);
                fputs(table, stdout);
                return fflush(stdout) == 0 ? 0 : log_error_errno(-errno, "write");
        }
        fflush(stdout);
        return ps_table(pids, n, argc - first - 1, argv + first + 1);
}

static const struct cli_opt opts[] = {
        {"format", 'f', true, "table|json", "output format (default: table)"},
        {0},
};

const struct cli_command cmd_ps = {
        .name = "ps",
        .args = "[command options] <container-id> [ps options]",
        .summary = "list the processes running inside a container",
        .opts = opts,
        .run = run_ps,
};
