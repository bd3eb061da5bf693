/* SPDX-License-Identifier: MIT */
/*
 * `exec`: like runc, the new process starts from the container's own
 * process config (env, user, capabilities, rlimits, ...) with the command
 * line's overrides, or entirely from --process FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli/cli.h"
#include "linux/terminal.h"
#include "util.h"

enum {
        OPT_CONSOLE_SOCKET,
        OPT_CWD,
        OPT_ENV,
        OPT_TTY,
        OPT_USER,
        OPT_ADDITIONAL_GIDS,
        OPT_PROCESS,
        OPT_DETACH,
        OPT_PID_FILE,
        OPT_PROCESS_LABEL,
        OPT_APPARMOR,
        OPT_NO_NEW_PRIVS,
        OPT_CAP,
        OPT_PRESERVE_FDS,
        OPT_CGROUP,
        OPT_IGNORE_PAUSED,
};

#define MAX_REPEAT 256

struct exec_cli {
        struct exec_opts o;
        const char *cwd, *user, *process_file, *label, *apparmor;
        const char *env[MAX_REPEAT];
        size_t n_env;
        const char *gids[MAX_REPEAT];
        size_t n_gids;
        const char *caps[MAX_REPEAT];
        size_t n_caps;
        bool tty, no_new_privs;
};

static int push(const char **v, size_t *n, const char *s) {
        if (*n == MAX_REPEAT)
                return log_error_errno(-E2BIG, "too many repeated options");
        v[(*n)++] = s;
        return 0;
}

static int on_opt(int idx, const char *arg, void *ud) {
        struct exec_cli *e = ud;
        switch (idx) {
        case OPT_CONSOLE_SOCKET:
                e->o.console_socket = arg;
                return 0;
        case OPT_CWD:
                e->cwd = arg;
                return 0;
        case OPT_ENV:
                return push(e->env, &e->n_env, arg);
        case OPT_TTY:
                e->tty = true;
                return 0;
        case OPT_USER:
                e->user = arg;
                return 0;
        case OPT_ADDITIONAL_GIDS:
                return push(e->gids, &e->n_gids, arg);
        case OPT_PROCESS:
                e->process_file = arg;
                return 0;
        case OPT_DETACH:
                e->o.detach = true;
                return 0;
        case OPT_PID_FILE:
                e->o.pid_file = arg;
                return 0;
        case OPT_PROCESS_LABEL:
                e->label = arg;
                return 0;
        case OPT_APPARMOR:
                e->apparmor = arg;
                return 0;
        case OPT_NO_NEW_PRIVS:
                e->no_new_privs = true;
                return 0;
        case OPT_CAP:
                return push(e->caps, &e->n_caps, arg);
        case OPT_PRESERVE_FDS:
                return cli_parse_nonneg("preserve-fds", arg, &e->o.preserve_fds);
        case OPT_CGROUP:
                return log_fail(-EOPNOTSUPP, "exec --cgroup (joining a sub-cgroup) is not supported yet");
        case OPT_IGNORE_PAUSED:
                return 0;
        }
        return -EINVAL;
}

static char **strv_append(char **v, const char *const *add, size_t n_add) {
        size_t n = 0;
        while (v && v[n])
                n++;
        char **r = realloc(v, (n + n_add + 1) * sizeof *r);
        if (!r)
                return NULL;
        for (size_t i = 0; i < n_add; i++)
                r[n + i] = strdup(add[i]);
        r[n + n_add] = NULL;
        return r;
}

/* Build the process from the container's config plus the command line. */
static int build_process(struct cocoon_ctx *ctx, const char *id, struct exec_cli *e, int argc, char **argv,
                         struct oci_process **ret) {
        int r;
        if (e->process_file) {
                if (argc > 0)
                        return cli_usage_error(&cmd_exec, "a command cannot be combined with --process");
                return oci_process_load(e->process_file, ret);
        }
        if (argc == 0)
                return cli_usage_error(&cmd_exec, "a command is required (or --process FILE)");

        /* runc starts from the container's process config */
        _cleanup_(container_closep) struct container *c = NULL;
        r = container_open(ctx, id, &c);
        if (r < 0)
                return r;
        _cleanup_(oci_spec_freep) struct oci_spec *spec = NULL;
        r = container_load_spec(c, &spec);
        if (r < 0)
                return r;
        _cleanup_(oci_process_freep) struct oci_process *p = oci_process_dup(spec->process);
        if (!p)
                return -ENOMEM;
        _cleanup_strv_free_ char **args = calloc((size_t) argc + 1, sizeof *args);
        if (!args)
                return -ENOMEM;
        for (int i = 0; i < argc; i++)
                args[i] = strdup(argv[i]);
        for (char **a = p->args; a && *a; a++)
                free(*a);
        free(p->args);
        p->args = TAKE_PTR(args);
        if (e->n_env && !(p->env = strv_append(p->env, e->env, e->n_env)))
                return -ENOMEM;
        p->terminal = e->tty;
        if (e->cwd) {
                free(p->cwd);
                p->cwd = strdup(e->cwd);
        }
        if (e->user) {
                _cleanup_free_ char *u = strdup(e->user);
                char *colon = strchr(u, ':');
                if (colon)
                        *colon = 0;
                if (parse_uint32(u, &p->user.uid) < 0 || (colon && parse_uint32(colon + 1, &p->user.gid) < 0))
                        return log_fail(-EINVAL, "--user \"%s\": expected UID[:GID] (numbers)", e->user);
                if (!colon)
                        p->user.gid = 0;
        }
        if (e->n_gids) {
                free(p->user.additional_gids);
                p->user.additional_gids = calloc(e->n_gids, sizeof(uint32_t));
                if (!p->user.additional_gids)
                        return -ENOMEM;
                p->user.n_additional_gids = e->n_gids;
                for (size_t i = 0; i < e->n_gids; i++)
                        if (parse_uint32(e->gids[i], &p->user.additional_gids[i]) < 0)
                                return log_fail(-EINVAL, "--additional-gids \"%s\": not a number", e->gids[i]);
        }
        for (size_t i = 0; i < e->n_caps; i++) {
                int cap = oci_cap_from_name(e->caps[i]);
                if (cap < 0)
                        return log_fail(-EINVAL, "--cap \"%s\": unknown capability", e->caps[i]);
                uint64_t bit = 1ULL << cap;
                p->has_caps = true;
                p->caps.bounding |= bit;
                p->caps.effective |= bit;
                p->caps.permitted |= bit;
                /* as runc: ambient only where the spec already grants inheritable ones */
                if (p->caps.inheritable)
                        p->caps.ambient |= bit;
        }
        if (e->no_new_privs)
                p->no_new_privileges = true;
        if (e->apparmor) {
                free(p->apparmor_profile);
                p->apparmor_profile = strdup(e->apparmor);
        }
        if (e->label) {
                free(p->selinux_label);
                p->selinux_label = strdup(e->label);
        }
        *ret = TAKE_PTR(p);
        return 0;
}

static int run_exec(struct cocoon_ctx *ctx, int argc, char **argv) {
        struct exec_cli e = {.o = {.console_fd = -1}};
        int first;
        int r = cli_parse(&cmd_exec, argc, argv, on_opt, &e, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        if (first >= argc)
                return cli_usage_error(&cmd_exec, "expects a container id");
        const char *id = argv[first];
        _cleanup_(oci_process_freep) struct oci_process *p = NULL;
        r = build_process(ctx, id, &e, argc - first - 1, argv + first + 1, &p);
        if (r < 0)
                return r;
        e.o.listen_fds = cli_listen_fds();

        _cleanup_close_ int mine = -1, theirs = -1, master = -1;
        if (p->terminal && !e.o.console_socket && !e.o.detach) {
                int sv[2];
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                        return log_error_errno(-errno, "socketpair");
                mine = sv[0];
                theirs = sv[1];
                e.o.console_fd = theirs;
        }
        pid_t pid;
        r = container_exec(ctx, id, p, &e.o, &pid);
        if (r < 0)
                return r;
        closep(&theirs);
        if (e.o.detach)
                return 0;
        if (mine >= 0 && fd_recv(mine, &master) < 0)
                master = -1;
        return container_wait_child(pid, master);
}

static const struct cli_opt opts[] = {
        [OPT_CONSOLE_SOCKET] = {"console-socket", 0, true, "path", "AF_UNIX socket that receives the pty master"},
        [OPT_CWD] = {"cwd", 0, true, "dir", "current working directory in the container"},
        [OPT_ENV] = {"env", 'e', true, "KEY=VALUE", "set an environment variable (repeatable)"},
        [OPT_TTY] = {"tty", 't', false, NULL, "allocate a pseudo-TTY"},
        [OPT_USER] = {"user", 'u', true, "UID[:GID]", "user to run as"},
        [OPT_ADDITIONAL_GIDS] = {"additional-gids", 'g', true, "GID", "additional group (repeatable)"},
        [OPT_PROCESS] = {"process", 'p', true, "file", "path to a process.json"},
        [OPT_DETACH] = {"detach", 'd', false, NULL, "detach from the process"},
        [OPT_PID_FILE] = {"pid-file", 0, true, "file", "write the process id to this file"},
        [OPT_PROCESS_LABEL] = {"process-label", 0, true, "label", "SELinux label for the process"},
        [OPT_APPARMOR] = {"apparmor", 0, true, "profile", "AppArmor profile for the process"},
        [OPT_NO_NEW_PRIVS] = {"no-new-privs", 0, false, NULL, "set no_new_privs for the process"},
        [OPT_CAP] = {"cap", 'c', true, "CAP", "add a capability (repeatable)"},
        [OPT_PRESERVE_FDS] = {"preserve-fds", 0, true, "N", "pass N additional fds to the process"},
        [OPT_CGROUP] = {"cgroup", 0, true, "path", "run in a sub-cgroup (not supported yet)"},
        [OPT_IGNORE_PAUSED] = {"ignore-paused", 0, false, NULL, "accepted for runc compatibility"},
        {0},
};

const struct cli_command cmd_exec = {
        .name = "exec",
        .args = "[command options] <container-id> <command> [args...] | -p process.json <container-id>",
        .summary = "run a new process inside a container",
        .opts = opts,
        .run = run_exec,
};
