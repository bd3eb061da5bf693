/* SPDX-License-Identifier: MIT */
/*
 * What the system says about itself: uname, sysinfo, the host name, and the
 * clock's tuning (adjtimex).  Answered by the Sentry, never CONTINUEd: the
 * host's answers would tell the workload the host's kernel version, name and
 * memory.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/sysinfo.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "sentry/call.h"

#define ARG(i) (c->req->data.args[i])
#define UTS_LEN 65
#ifndef SI_LOAD_SHIFT
#define SI_LOAD_SHIFT 16
#endif
#define CAP_SYS_ADMIN_BIT 21

/* /proc/<tid>/personality (hex); 0 when it cannot be read. */
static unsigned long read_personality(struct sentry_call *c) {
        char path[40], buf[32];
        snprintf(path, sizeof path, "%u/personality", c->req->pid);
        _cleanup_close_ int fd = openat(c->cfg->proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        return strtoul(buf, NULL, 16);
}

/* UNAME26: "2.6.<60 + minor>" and the rest of the release, as the kernel's
 * override_release() makes it, for programs that only know 2.6. */
static void uname26(const char *release, char *out, size_t size) {
        unsigned minor = 0;
        const char *p = release;
        int dots = 0;
        while (*p && (isdigit((unsigned char) *p) || *p == '.')) {
                if (*p == '.' && ++dots == 1)
                        minor = (unsigned) strtoul(p + 1, NULL, 10);
                if (*p == '.' && dots >= 3)
                        break;
                p++;
        }
        snprintf(out, size, "2.6.%u%s", minor + 60, p);
}

long sys_uname(struct sentry_call *c) {
        struct utsname u;
        memset(&u, 0, sizeof u);
        /* reading /proc costs as much as the notification: only when
         * some process may have another persona */
        unsigned long persona = sentry_persona_default(c) ? 0 : read_personality(c);
        snprintf(u.sysname, sizeof u.sysname, "Linux");
        sentry_uts_get(c, u.nodename, u.domainname);
        if (persona & UNAME26)
                uname26(sentry_release(c), u.release, sizeof u.release);
        else
                snprintf(u.release, sizeof u.release, "%s", sentry_release(c));
        snprintf(u.version, sizeof u.version, "%s", SENTRY_UTS_VERSION);
        snprintf(u.machine, sizeof u.machine, "%s", (persona & PER_MASK) == PER_LINUX32 ? "i686" : "x86_64");
        int r = sentry_write(c, ARG(0), &u, sizeof u);
        return r < 0 ? r : 0;
}

/*
 * The container's numbers, the same as its /proc/meminfo, /proc/uptime and
 * /proc/loadavg (sys_procfs.c), so that free(1) (which mixes sysinfo and
 * meminfo) adds up.  Without the container's cgroup (a Sentry configured
 * without synthesized /proc files) the host's, with memory capped by the
 * configured limit.
 */
long sys_sysinfo(struct sentry_call *c) {
        struct sysinfo si;
        if (sysinfo(&si) < 0)
                return -errno;
        unsigned unit = si.mem_unit ? si.mem_unit : 1;
        if (c->cfg->procfs_files) {
                struct sentry_mem m;
                struct sentry_tasks t;
                int r = sentry_container_memory(c, &m);
                if (r >= 0)
                        r = sentry_container_tasks(c, &t);
                if (r < 0)
                        return r;
                si.totalram = (unsigned long) (m.total / unit);
                si.freeram = (unsigned long) (m.free / unit);
                si.sharedram = (unsigned long) (m.shmem / unit);
                si.bufferram = 0;
                si.totalswap = (unsigned long) (m.swap_total / unit);
                si.freeswap = (unsigned long) (m.swap_free / unit);
                si.uptime = (long) sentry_container_uptime(c);
                for (int i = 0; i < 3; i++)
                        si.loads[i] = (unsigned long) t.running << SI_LOAD_SHIFT;
                si.procs = (unsigned short) (t.total > 0xffff ? 0xffff : t.total);
        } else {
                uint64_t limit = c->cfg->memory_limit;
                if (limit && limit / unit < si.totalram) {
                        unsigned long total = (unsigned long) (limit / unit);
                        si.totalram = total;
                        if (si.freeram > total)
                                si.freeram = total;
                        if (si.sharedram > total)
                                si.sharedram = total;
                        if (si.bufferram > total)
                                si.bufferram = total;
                }
        }
        int r = sentry_write(c, ARG(0), &si, sizeof si);
        return r < 0 ? r : 0;
}

/* sethostname/setdomainname: as in a UTS namespace of its own, EPERM
 * without CAP_SYS_ADMIN; with it the name uname reports changes for the
 * whole container. */
static long set_uts_name(struct sentry_call *c, bool domain) {
        int r = sentry_cred(c);
        if (r < 0)
                return r;
        if (!(c->cred.cap_effective & (UINT64_C(1) << CAP_SYS_ADMIN_BIT)))
                return -EPERM;
        long len = (long) ARG(1);
        if (len < 0 || len > UTS_LEN - 1)
                return -EINVAL;
        char name[UTS_LEN];
        r = sentry_read(c, ARG(0), name, (size_t) len);
        if (r < 0)
                return r;
        name[len] = 0;
        sentry_strace_str(c, name);
        sentry_uts_set(c, domain, name, (size_t) len);
        return 0;
}

long sys_sethostname(struct sentry_call *c) {
        return set_uts_name(c, false);
}

long sys_setdomainname(struct sentry_call *c) {
        return set_uts_name(c, true);
}

/*
 * adjtimex/clock_adjtime: the modes are in memory, so the Sentry performs
 * a read itself (anyone may read the clock's state) and refuses any change
 * with EPERM, as without CAP_SYS_TIME; nothing raced can reach the kernel.
 */
static long do_adjtime(struct sentry_call *c, long clock, uint64_t addr) {
        struct timex tx;
        int r = sentry_read(c, addr, &tx, sizeof tx);
        if (r < 0)
                return r;
        if (tx.modes != 0 && tx.modes != ADJ_OFFSET_SS_READ)
                return -EPERM;
        int state = clock < 0 ? adjtimex(&tx) : clock_adjtime((clockid_t) clock, &tx);
        if (state < 0)
                return -errno;
        r = sentry_write(c, addr, &tx, sizeof tx);
        return r < 0 ? r : state;
}

long sys_adjtimex(struct sentry_call *c) {
        return do_adjtime(c, -1, ARG(0));
}

long sys_clock_adjtime(struct sentry_call *c) {
        int clock = (int) ARG(0);
        /* negative ids name a descriptor or a process CPU clock, which would
         * be the Sentry's own here */
        if (clock < 0)
                return -EINVAL;
        return do_adjtime(c, clock, ARG(1));
}

int sentry_release_check(const char *release, const char *where) {
        size_t n = strlen(release);
        bool ok = n >= 1 && n <= 64;
        for (size_t i = 0; ok && i < n; i++)
                ok = release[i] > ' ' && release[i] < 0x7f;
        if (!ok)
                return log_fail(-EINVAL, "%s: \"%s\" is not a kernel release uname can show (1 to 64 printable "
                                         "characters, no blanks)", where, release);
        return 0;
}
