/* SPDX-License-Identifier: MIT */
/*
 * --systemd-cgroup.  The scope is created by calling systemd's
 * StartTransientUnit through busctl (systemd's own D-Bus client, present
 * wherever systemd is), not a D-Bus library: one call at create, one at delete.
 *
 * NOT EXERCISED: the machine this was written on runs no systemd, so only
 * the parsing, the slice expansion and the "systemd is not running" refusal
 * are tested; the busctl calls below have never run against a live systemd.
 */
#include "linux/cgroup_systemd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

/* What systemd accepts in a unit name (unit_name_is_valid()), ':' excepted:
 * it separates the fields here. */
#define UNIT_NAME_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.\\"
#define UNIT_NAME_MAX 255

int systemd_slice_expand(const char *slice, char **ret) {
        static const char suffix[] = ".slice";
        size_t l = strlen(slice), sl = strlen(suffix);
        if (l <= sl || strcmp(slice + l - sl, suffix) || strchr(slice, '/'))
                return log_fail(-EINVAL, "--systemd-cgroup: slice \"%s\": expected NAME.slice", slice);
        if (!strcmp(slice, "-.slice")) {
                *ret = strdup("/");
                return *ret ? 0 : -ENOMEM;
        }
        /* "a-b-c.slice" is nested: /a.slice/a-b.slice/a-b-c.slice */
        size_t base = l - sl;
        _cleanup_free_ char *path = calloc(1, base * (base + sl + 1) + 1);
        if (!path)
                return -ENOMEM;
        char *p = path;
        for (size_t i = 0; i <= base; i++) {
                if (i < base && slice[i] != '-')
                        continue;
                /* "a--b.slice", "-a.slice", "a-.slice": empty components */
                if (i == 0 || slice[i - 1] == '-')
                        return log_fail(-EINVAL, "--systemd-cgroup: slice \"%s\": empty name component", slice);
                p += sprintf(p, "/%.*s%s", (int) i, slice, suffix);
        }
        *ret = TAKE_PTR(path);
        return 0;
}

static int check_unit_part(const char *what, const char *v, const char *cgroups_path) {
        if (strspn(v, UNIT_NAME_CHARS) != strlen(v))
                return log_fail(-EINVAL,
                                "--systemd-cgroup: linux.cgroupsPath \"%s\": %s \"%s\" has a character systemd does "
                                "not allow in unit names",
                                cgroups_path, what, v);
        return 0;
}

void systemd_scope_free(struct systemd_scope *s) {
        if (!s)
                return;
        if (s->holder > 0) {
                kill(s->holder, SIGKILL);
                waitpid(s->holder, NULL, 0);
        }
        free(s->slice);
        free(s->unit);
        free(s->path);
        free(s);
}

int systemd_scope_parse(const char *cgroups_path, const char *id, struct systemd_scope **ret) {
        _cleanup_(systemd_scope_freep) struct systemd_scope *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        _cleanup_free_ char *copy = strdup(cgroups_path ? cgroups_path : "");
        if (!copy)
                return -ENOMEM;
        const char *slice = "", *prefix = "cocoon", *name = id;
        if (*copy) {
                char *c1 = strchr(copy, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || strchr(c2 + 1, ':'))
                        return log_fail(-EINVAL,
                                        "--systemd-cgroup: linux.cgroupsPath \"%s\": expected \"slice:prefix:name\"",
                                        cgroups_path);
                *c1 = *c2 = 0;
                slice = copy, prefix = c1 + 1, name = c2 + 1;
        }
        if (!*name)
                return log_fail(-EINVAL, "--systemd-cgroup: linux.cgroupsPath \"%s\": name is empty", cgroups_path);
        size_t nl = strlen(name);
        if (nl >= 6 && !strcmp(name + nl - 6, ".slice"))
                return log_fail(-EOPNOTSUPP,
                                "--systemd-cgroup: linux.cgroupsPath \"%s\": name \"%s\": a slice unit per container "
                                "is not supported (use a scope name)",
                                cgroups_path, name);
        int r = check_unit_part("prefix", prefix, cgroups_path);
        if (r < 0)
                return r;
        if ((r = check_unit_part("name", name, cgroups_path)) < 0)
                return r;
        s->slice = strdup(*slice ? slice : "system.slice");
        /* an empty prefix gives "name.scope" (crun), not runc's "-name.scope" */
        s->unit = *prefix ? strdup_printf("%s-%s.scope", prefix, name) : strdup_printf("%s.scope", name);
        if (!s->slice || !s->unit)
                return -ENOMEM;
        if (strlen(s->unit) > UNIT_NAME_MAX)
                return log_fail(-ENAMETOOLONG, "--systemd-cgroup: unit name \"%s\" is longer than %d characters",
                                s->unit, UNIT_NAME_MAX);
        _cleanup_free_ char *dir = NULL;
        if ((r = systemd_slice_expand(s->slice, &dir)) < 0)
                return r;
        s->path = strdup_printf("%s/%s", strcmp(dir, "/") ? dir : "", s->unit);
        if (!s->path)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

int systemd_scope_prepare(const char *cgroups_path, const char *id, struct systemd_scope **ret) {
        _cleanup_(systemd_scope_freep) struct systemd_scope *s = NULL;
        int r = systemd_scope_parse(cgroups_path, id, &s);
        if (r < 0)
                return r;
        /* sd_booted()'s test */
        struct stat st;
        if (lstat("/run/systemd/system", &st) < 0 || !S_ISDIR(st.st_mode))
                return log_fail(-EOPNOTSUPP,
                                "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); "
                                "run without --systemd-cgroup to let cocoon manage cgroupfs directly");
        *ret = TAKE_PTR(s);
        return 0;
}

/* busctl ARGS...: 0, or the first line busctl wrote to stderr logged with `what`. */
static int busctl(const char *what, const char *const *args) {
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return log_error_errno(-errno, "pipe");
        pid_t pid = fork();
        if (pid < 0) {
                close(pfd[0]);
                close(pfd[1]);
                return log_error_errno(-errno, "fork");
        }
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDWR);
                if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(pfd[1], 2) < 0)
                        _exit(127);
                execvp("busctl", (char *const *) args);
                dprintf(2, "cannot run busctl: %s\n", strerror(errno));
                _exit(127);
        }
        close(pfd[1]);
        char msg[512] = "";
        ssize_t n = read_full(pfd[0], msg, sizeof msg - 1);
        close(pfd[0]);
        msg[n > 0 ? n : 0] = 0;
        msg[strcspn(msg, "\n")] = 0;
        int status = 0;
        if (waitpid(pid, &status, 0) < 0)
                return log_error_errno(-errno, "wait for busctl");
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        return log_fail(-EIO, "--systemd-cgroup: %s: %s", what, *msg ? msg : "busctl failed");
}

/* Is `pid` in the cgroup `path` on some hierarchy (v2, or v1 name=systemd)? */
static bool in_cgroup(pid_t pid, const char *path) {
        char f[64];
        snprintf(f, sizeof f, "/proc/%d/cgroup", pid);
        _cleanup_free_ char *buf = NULL;
        if (read_file_at(AT_FDCWD, f, &buf, NULL) < 0)
                return false;
        char *save = NULL;
        for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *p = strchr(l, ':');
                p = p ? strchr(p + 1, ':') : NULL;
                if (p && !strcmp(p + 1, path))
                        return true;
        }
        return false;
}

int systemd_scope_start(struct systemd_scope *s, const char *id) {
        /* A scope is made of running processes and systemd refuses an empty
         * one; the init does not exist yet, so a placeholder child starts it
         * and stays until systemd_scope_free(). */
        pid_t pid = fork();
        if (pid < 0)
                return log_error_errno(-errno, "fork");
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;)
                        pause();
        }
        s->holder = pid;
        char spid[16];
        _cleanup_free_ char *desc = strdup_printf("cocoon container %s", id);
        if (!desc)
                return -ENOMEM;
        snprintf(spid, sizeof spid, "%d", pid);
        const char *const args[] = {
                "busctl", "call", "--quiet", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))", s->unit, "fail",
                "5", "Description", "s", desc, "Slice", "s", s->slice, "Delegate", "b", "true",
                "DefaultDependencies", "b", "false", "PIDs", "au", "1", spid, "0", NULL,
        };
        _cleanup_free_ char *what = strdup_printf("start scope %s in %s", s->unit, s->slice);
        if (!what)
                return -ENOMEM;
        int r = busctl(what, args);
        if (r < 0)
                return r;
        /* StartTransientUnit returns when the job is queued, not done */
        for (int i = 0; i < 500; i++) {
                if (in_cgroup(pid, s->path))
                        return 0;
                nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        }
        systemd_unit_stop(s->unit);
        return log_fail(-ETIMEDOUT, "--systemd-cgroup: scope %s: systemd did not place it in %s within 5 s",
                        s->unit, s->path);
}

int systemd_unit_stop(const char *unit) {
        const char *const args[] = {
                "busctl", "call", "--quiet", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "StopUnit", "ss", unit, "replace", NULL,
        };
        _cleanup_free_ char *what = strdup_printf("stop scope %s", unit);
        if (!what)
                return -ENOMEM;
        return busctl(what, args);
}
