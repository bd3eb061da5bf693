/* SPDX-License-Identifier: MIT */
/*
 * The host's queries about the guest's container (protocol version 3):
 * STATS, PS, UPDATE, PAUSE, RESUME.  Each is answered by the library code
 * the `none` sandbox runs on a host (cgroup_stats, container_pids,
 * container_update, container_pause), here on the guest's cgroup: the
 * workload's own numbers and limits, not the VMM's.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "cleanup.h"
#include "linux/cgroup.h"
#include "util.h"

static int stats(struct cocoon_ctx *ctx, const char *id, json_t **ret) {
        _cleanup_(container_closep) struct container *c = NULL;
        int r = container_open(ctx, id, &c);
        if (r < 0)
                return r;
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        r = container_load_cgroup(c, &cg);
        if (r < 0)
                return r;
        if (!cg)
                return log_fail(-EOPNOTSUPP, "container \"%s\" has no cgroup in the guest", id);
        return cgroup_stats(cg, ret);
}

/*
 * The user name of `uid` in the container's /etc/passwd, as ps would print
 * it there; else the number.  The file is the workload's: resolved inside
 * the process's root (its symlinks cannot reach the agent's files), and
 * read only when it is a regular file (a FIFO would block the agent).
 */
static void user_name(pid_t pid, unsigned uid, char *buf, size_t len) {
        snprintf(buf, len, "%u", uid);
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/root", pid);
        _cleanup_close_ int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct open_how how = {.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
        int fd = root < 0 ? -1 : (int) syscall(SYS_openat2, root, "etc/passwd", &how, sizeof how);
        struct stat st;
        if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
                close(fd);
                fd = -1;
        }
        _cleanup_fclose_ FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
        if (fd >= 0 && !f)
                close(fd);
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
                char *save = NULL, *name = strtok_r(line, ":", &save);
                char *pw = name ? strtok_r(NULL, ":", &save) : NULL;
                char *u = pw ? strtok_r(NULL, ":", &save) : NULL;
                if (u && strtoul(u, NULL, 10) == uid && *u >= '0' && *u <= '9') {
                        snprintf(buf, len, "%s", name);
                        return;
                }
        }
}

static void tty_name(unsigned long long nr, char *buf, size_t len) {
        unsigned major = (unsigned) ((nr >> 8) & 0xfff), minor = (unsigned) ((nr & 0xff) | ((nr >> 12) & 0xfff00));
        if (major >= 136 && major <= 143)
                snprintf(buf, len, "pts/%u", minor + (major - 136) * 256);
        else if (major == 4 && minor < 64)
                snprintf(buf, len, "tty%u", minor);
        else
                snprintf(buf, len, "?");
}

/*
 * One `ps -ef` line (UID PID PPID C STIME TTY TIME CMD) for a guest pid,
 * from /proc: the guest has no ps of its own, and the container's may be
 * missing.  -ESRCH when the process went away meanwhile.
 */
static int ps_line(pid_t pid, long ticks, time_t boot, char *out, size_t len) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        _cleanup_free_ char *st = NULL;
        if (read_file_at(AT_FDCWD, path, &st, NULL) < 0)
                return -ESRCH;
        /* the command name may hold anything, ')' included: the fields start after the last one */
        char *p = strrchr(st, ')');
        char *lp = strchr(st, '(');
        if (!p || !lp || p < lp)
                return -EBADMSG;
        char comm[64];
        snprintf(comm, sizeof comm, "%.*s", (int) (p - lp - 1), lp + 1);
        char state;
        int ppid;
        unsigned long long tty, utime, stime, start;
        if (sscanf(p + 2, "%c %d %*d %*d %llu %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
                   &state, &ppid, &tty, &utime, &stime, &start) != 6)
                return -EBADMSG;
        unsigned uid = 0;
        snprintf(path, sizeof path, "/proc/%d/status", pid);
        _cleanup_free_ char *status = NULL;
        if (read_file_at(AT_FDCWD, path, &status, NULL) == 0) {
                const char *u = strstr(status, "\nUid:");
                /* ps -ef shows the effective user: the second number */
                if (u)
                        sscanf(u + 5, "%*u %u", &uid);
        }
        char user[32], ttyn[16], stime_s[16], cpu_s[32], cmd[512];
        user_name(pid, uid, user, sizeof user);
        tty_name(tty, ttyn, sizeof ttyn);
        time_t started = boot + (time_t) (start / (unsigned long long) ticks), now = time(NULL);
        struct tm a, b;
        gmtime_r(&started, &a);
        gmtime_r(&now, &b);
        /* as ps: the time of day when it started today, else the date */
        strftime(stime_s, sizeof stime_s, a.tm_yday == b.tm_yday && a.tm_year == b.tm_year ? "%H:%M" : "%b%d", &a);
        unsigned long long cpu = (utime + stime) / (unsigned long long) ticks;
        snprintf(cpu_s, sizeof cpu_s, "%02llu:%02llu:%02llu", cpu / 3600, cpu / 60 % 60, cpu % 60);
        long long elapsed = now > started ? (long long) (now - started) : 0;
        int c = elapsed > 0 ? (int) (cpu * 100 / (unsigned long long) elapsed) : 0;
        snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
        _cleanup_free_ char *argv = NULL;
        size_t alen = 0;
        if (read_file_at(AT_FDCWD, path, &argv, &alen) == 0 && alen > 0) {
                for (size_t i = 0; i + 1 < alen; i++)
                        if (argv[i] == 0)
                                argv[i] = ' ';
                snprintf(cmd, sizeof cmd, "%s", argv);
        } else
                snprintf(cmd, sizeof cmd, "[%s]", comm); /* a zombie or a kernel thread, as ps shows it */
        /* the workload chose these bytes: no newline may fake a line, no
         * escape sequence may reach the terminal of whoever runs ps */
        for (char *q = cmd; *q; q++)
                if ((unsigned char) *q < 0x20 || *q == 0x7f)
                        *q = '?';
        for (char *q = user; *q; q++)
                if ((unsigned char) *q < 0x20 || *q == 0x7f)
                        *q = '?';
        snprintf(out, len, "%-8s %7d %7d %2d %5s %-8s %8s %s\n", user, pid, ppid, c > 99 ? 99 : c, stime_s, ttyn, cpu_s,
                 cmd);
        return 0;
}

static time_t boot_time(void) {
        _cleanup_free_ char *st = NULL;
        if (read_file_at(AT_FDCWD, "/proc/stat", &st, NULL) < 0)
                return 0;
        const char *b = strstr(st, "\nbtime ");
        return b ? (time_t) strtoll(b + 7, NULL, 10) : 0;
}

/* {"pids": [...], "table": "UID PID ... CMD\n..."}: guest pids, as Kata's ps shows them. */
static int ps(struct cocoon_ctx *ctx, const char *id, json_t **ret) {
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_free_ char *host_table = NULL; /* (the guest's container is a none one: never set) */
        size_t n = 0;
        int r = container_pids(ctx, id, &pids, &n, &host_table);
        if (r < 0)
                return r;
        long ticks = sysconf(_SC_CLK_TCK);
        if (ticks <= 0)
                ticks = 100;
        time_t boot = boot_time();
        _cleanup_(json_decrefp) json_t *list = json_array();
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *table = malloc(cap);
        if (!list || !table)
                return -ENOMEM;
        len = (size_t) snprintf(table, cap, "%-8s %7s %7s %2s %5s %-8s %8s %s\n", "UID", "PID", "PPID", "C", "STIME",
                                "TTY", "TIME", "CMD");
        for (size_t i = 0; i < n; i++) {
                char line[700];
                if (ps_line(pids[i], ticks, boot, line, sizeof line) < 0)
                        continue; /* gone meanwhile, as from ps */
                size_t l = strlen(line);
                if (len + l + 1 > cap) {
                        char *t = realloc(table, cap * 2 + l);
                        if (!t)
                                return -ENOMEM;
                        table = t;
                        cap = cap * 2 + l;
                }
                memcpy(table + len, line, l + 1);
                len += l;
                if (json_array_append_new(list, json_integer(pids[i])) < 0)
                        return -ENOMEM;
        }
        *ret = json_pack("{s:O, s:s}", "pids", list, "table", table);
        return *ret ? 0 : -ENOMEM;
}

static int update(struct cocoon_ctx *ctx, const char *id, const struct vm_frame *f) {
        json_error_t jerr;
        const uint8_t *text;
        uint32_t len;
        (void) vm_target(f->payload, f->len, &text, &len);
        _cleanup_(json_decrefp) json_t *res = json_loadb((const char *) text, len, 0, &jerr);
        if (!res)
                return log_fail(-EINVAL, "linux.resources from the host: %s", jerr.text);
        return container_update(ctx, id, res);
}

int agent_query(struct cocoon_ctx *ctx, const char *id, const struct vm_frame *f, char **ret_json) {
        *ret_json = NULL;
        if (!id)
                return log_fail(-ENOENT, "no container in the guest");
        _cleanup_(json_decrefp) json_t *answer = NULL;
        int r;
        switch (f->type) {
        case VM_STATS:
                r = stats(ctx, id, &answer);
                break;
        case VM_PS:
                r = ps(ctx, id, &answer);
                break;
        case VM_UPDATE:
                return update(ctx, id, f);
        case VM_PAUSE:
                return container_pause(ctx, id);
        case VM_RESUME:
                return container_resume(ctx, id);
        default:
                return log_fail(-EPROTO, "%s is not a query", vm_frame_type_name(f->type));
        }
        if (r < 0)
                return r;
        _cleanup_free_ char *text = json_dumps(answer, JSON_COMPACT);
        if (!text)
                return log_error_errno(-ENOMEM, "format the answer to %s", vm_frame_type_name(f->type));
        if (strlen(text) > VM_FRAME_MAX_PAYLOAD)
                return log_fail(-E2BIG, "the answer to %s is larger than %u bytes", vm_frame_type_name(f->type),
                                VM_FRAME_MAX_PAYLOAD);
        *ret_json = TAKE_PTR(text);
        return 0;
}
