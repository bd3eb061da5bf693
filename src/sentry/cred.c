/* SPDX-License-Identifier: MIT */
/*
 * The credentials a Gofer operation runs with: those of the calling thread
 * (the notification's pid is its thread id).
 *
 * The whole set is in /proc/<tid>/status, which costs about 20 us to render
 * here, as much as the notification itself.  So the Sentry keeps, per
 * thread, only what no cheap source gives (the supplementary groups), and
 * reads the rest fresh on every call:
 *   - uids and gids with PIDFD_GET_INFO (Linux 6.13) on a pidfd of the
 *     thread, which also proves that the thread id still names the thread
 *     the entry was made for (a dead thread's pidfd answers ESRCH, and a
 *     live thread's id cannot be reused);
 *   - capabilities with capget(tid).
 * The groups change only through setgroups(), which the thread itself must
 * call (glibc makes every thread call it) and which reaches the Sentry
 * first: every credential setter bumps a generation that invalidates all
 * entries before the kernel runs the change.  An entry is stored only if the
 * notification it was read for was still pending after the read (so the
 * thread could not have changed anything meanwhile) and carries the
 * generation seen before the read, so a concurrent bump always wins.
 * The umask is shared by the threads of a process and changes without the
 * others' involvement: calls that create files read status fresh.
 * Without PIDFD_THREAD (Linux 6.9) or PIDFD_GET_INFO every call reads status.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "cleanup.h"
#include "sentry/call.h"


/* Linux 6.13's pidfd_info, version 0 (64 bytes; the kernel takes the size
 * from the request number and fills what both know). */
struct pidfd_info_v0 {
        uint64_t mask;
        uint64_t cgroupid;
        uint32_t pid, tgid, ppid;
        uint32_t ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t exit_code;
        uint32_t coredump_mask;
        uint32_t spare;
};
#define PIDFD_INFO_CREDS_BIT (1ULL << 1)
#define PIDFD_GET_INFO_V0 _IOWR(0xFF, 11, struct pidfd_info_v0)

#define CRED_CACHE_SLOTS 256

struct cred_slot {
        uint32_t tid; /* 0: empty */
        int pidfd;
        uint64_t gen;
        uint32_t n_groups;
        uint32_t groups[GOFER_MAX_GROUPS];
};

struct sentry_cred_cache {
        pthread_mutex_t lock;
        uint64_t gen;
        atomic_bool disabled; /* the kernel lacks PIDFD_THREAD or PIDFD_GET_INFO */
        struct cred_slot slot[CRED_CACHE_SLOTS];
};

int sentry_cred_cache_new(struct sentry_cred_cache **ret) {
        struct sentry_cred_cache *cc = calloc(1, sizeof *cc);
        if (!cc)
                return -ENOMEM;
        pthread_mutex_init(&cc->lock, NULL);
        for (size_t i = 0; i < CRED_CACHE_SLOTS; i++)
                cc->slot[i].pidfd = -1;
        *ret = cc;
        return 0;
}

void sentry_cred_cache_free(struct sentry_cred_cache *cc) {
        if (!cc)
                return;
        for (size_t i = 0; i < CRED_CACHE_SLOTS; i++)
                if (cc->slot[i].pidfd >= 0)
                        close(cc->slot[i].pidfd);
        pthread_mutex_destroy(&cc->lock);
        free(cc);
}

void sentry_cred_changed(struct sentry_call *c) {
        struct sentry_cred_cache *cc = c->creds;
        if (!cc)
                return;
        pthread_mutex_lock(&cc->lock);
        cc->gen++;
        pthread_mutex_unlock(&cc->lock);
}

/* ---- /proc/<tid>/status --------------------------------------------------------------------- */

/* "Uid:\t0\t0\t0\t0": real, effective, saved, filesystem */
static int parse_ids(const char *v, uint32_t ids[4]) {
        char *end;
        for (int i = 0; i < 4; i++) {
                unsigned long x = strtoul(v, &end, 10);
                if (end == v || x > UINT32_MAX)
                        return -EINVAL;
                ids[i] = (uint32_t) x;
                v = end;
        }
        return 0;
}

static int parse_groups(const char *v, struct gofer_cred *cr) {
        cr->n_groups = 0;
        for (;;) {
                while (*v == ' ' || *v == '\t')
                        v++;
                if (*v == '\n' || *v == 0)
                        return 0;
                char *end;
                unsigned long g = strtoul(v, &end, 10);
                if (end == v || g > UINT32_MAX)
                        return -EINVAL;
                /* the protocol carries GOFER_MAX_GROUPS: a thread in more
                 * groups is checked as a member of the first ones */
                if (cr->n_groups < GOFER_MAX_GROUPS)
                        cr->groups[cr->n_groups++] = (uint32_t) g;
                v = end;
        }
}

static const char *field(const char *buf, const char *name) {
        size_t n = strlen(name);
        for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, name, n) == 0 && p[n] == ':')
                        return p + n + 1;
        return NULL;
}

/* A host id as the workload's user namespace sees it (cfg's maps):
 * /proc/<tid>/status and pidfd info show ids as the Sentry sees them,
 * while the Gofer runs inside that namespace. */
static bool map_inside(const struct sentry_id_map *map, unsigned n, uint32_t id, uint32_t *ret) {
        *ret = id;
        if (n == 0)
                return true;
        for (unsigned i = 0; i < n; i++)
                if (id >= map[i].outside && id - map[i].outside < map[i].count) {
                        *ret = map[i].inside + (id - map[i].outside);
                        return true;
                }
        return false;
}

static uint32_t to_inside(const struct sentry_id_map *map, unsigned n, uint32_t id) {
        uint32_t inside;
        return map_inside(map, n, id, &inside) ? inside : 65534; /* the kernel's overflow id */
}

bool sentry_id_inside(const struct sentry_call *c, bool gid, uint32_t id, uint32_t *ret) {
        const struct sentry_config *cfg = c->cfg;
        return gid ? map_inside(cfg->gid_map, cfg->n_gid_map, id, ret) : map_inside(cfg->uid_map, cfg->n_uid_map, id, ret);
}

static void ids_to_inside(struct sentry_call *c) {
        const struct sentry_config *cfg = c->cfg;
        c->cred.fsuid = to_inside(cfg->uid_map, cfg->n_uid_map, c->cred.fsuid);
        c->ruid = to_inside(cfg->uid_map, cfg->n_uid_map, c->ruid);
        c->cred.fsgid = to_inside(cfg->gid_map, cfg->n_gid_map, c->cred.fsgid);
        c->rgid = to_inside(cfg->gid_map, cfg->n_gid_map, c->rgid);
}

static void groups_to_inside(struct sentry_call *c) {
        const struct sentry_config *cfg = c->cfg;
        for (uint32_t i = 0; i < c->cred.n_groups; i++)
                c->cred.groups[i] = to_inside(cfg->gid_map, cfg->n_gid_map, c->cred.groups[i]);
}

static int read_status(struct sentry_call *c) {
        char path[32];
        snprintf(path, sizeof path, "%u/status", c->req->pid);
        _cleanup_close_ int fd = openat(c->cfg->proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ENOENT : -errno;
        /* status of a thread with many groups can exceed a page */
        char buf[8192];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        int r = sentry_valid(c);
        if (r < 0)
                return r;

        uint32_t uid[4], gid[4];
        const char *u = field(buf, "Uid"), *g = field(buf, "Gid"), *groups = field(buf, "Groups");
        const char *eff = field(buf, "CapEff"), *prm = field(buf, "CapPrm"), *umask = field(buf, "Umask");
        if (!u || !g || !groups || !eff || !prm || !umask || parse_ids(u, uid) < 0 || parse_ids(g, gid) < 0 ||
            parse_groups(groups, &c->cred) < 0)
                return -EIO;
        c->cred.fsuid = uid[3];
        c->cred.fsgid = gid[3];
        c->ruid = uid[0];
        c->rgid = gid[0];
        c->cred.cap_effective = strtoull(eff, NULL, 16);
        c->cap_permitted = strtoull(prm, NULL, 16);
        c->cred.umask = (uint32_t) strtoul(umask, NULL, 8) & 0777;
        return 0;
}

/* ---- the cache ------------------------------------------------------------------------------ */

static int capget_tid(uint32_t tid, uint64_t *eff, uint64_t *prm) {
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = (int) tid};
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &h, d) < 0)
                return -errno;
        *eff = (uint64_t) d[1].effective << 32 | d[0].effective;
        *prm = (uint64_t) d[1].permitted << 32 | d[0].permitted;
        return 0;
}

static bool cache_lookup(struct sentry_call *c, struct sentry_cred_cache *cc) {
        uint32_t tid = c->req->pid;
        struct pidfd_info_v0 info = {.mask = PIDFD_INFO_CREDS_BIT};
        pthread_mutex_lock(&cc->lock);
        struct cred_slot *s = &cc->slot[tid % CRED_CACHE_SLOTS];
        bool hit = s->tid == tid && s->gen == cc->gen && s->pidfd >= 0 &&
                   ioctl(s->pidfd, PIDFD_GET_INFO_V0, &info) == 0;
        if (hit) {
                c->cred.n_groups = s->n_groups;
                memcpy(c->cred.groups, s->groups, s->n_groups * sizeof s->groups[0]);
        }
        pthread_mutex_unlock(&cc->lock);
        if (!hit)
                return false;
        /* the pidfd is alive, so tid is still that thread: its caps are
         * read by number, and the pending notification proves it again */
        if (capget_tid(tid, &c->cred.cap_effective, &c->cap_permitted) < 0 || sentry_valid(c) < 0)
                return false;
        c->cred.fsuid = info.fsuid;
        c->cred.fsgid = info.fsgid;
        c->ruid = info.ruid;
        c->rgid = info.rgid;
        ids_to_inside(c); /* the cached groups are translated already */
        c->cred.umask = 0; /* not known here: creating calls read status */
        return true;
}

static void cache_store(struct sentry_call *c, struct sentry_cred_cache *cc, uint64_t gen) {
        uint32_t tid = c->req->pid;
        struct pidfd_info_v0 info = {.mask = PIDFD_INFO_CREDS_BIT};
        pthread_mutex_lock(&cc->lock);
        struct cred_slot *s = &cc->slot[tid % CRED_CACHE_SLOTS];
        /* the thread's entry with a live pidfd: only the groups are new */
        if (s->tid == tid && s->pidfd >= 0 && ioctl(s->pidfd, PIDFD_GET_INFO_V0, &info) == 0) {
                s->gen = gen;
                s->n_groups = c->cred.n_groups;
                memcpy(s->groups, c->cred.groups, c->cred.n_groups * sizeof c->cred.groups[0]);
                pthread_mutex_unlock(&cc->lock);
                return;
        }
        pthread_mutex_unlock(&cc->lock);

        int pidfd = (int) syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
        if (pidfd < 0) {
                if (errno == EINVAL)
                        cc->disabled = true; /* before Linux 6.9 */
                return;
        }
        if (ioctl(pidfd, PIDFD_GET_INFO_V0, &info) < 0) {
                if (errno == ENOTTY || errno == EINVAL)
                        cc->disabled = true; /* before Linux 6.13 */
                close(pidfd);
                return;
        }
        /* the pidfd names the caller only if it is still waiting for us */
        if (sentry_valid(c) < 0) {
                close(pidfd);
                return;
        }
        pthread_mutex_lock(&cc->lock);
        int old = s->pidfd;
        s->tid = tid;
        s->pidfd = pidfd;
        s->gen = gen;
        s->n_groups = c->cred.n_groups;
        memcpy(s->groups, c->cred.groups, c->cred.n_groups * sizeof c->cred.groups[0]);
        pthread_mutex_unlock(&cc->lock);
        if (old >= 0)
                close(old);
}

int sentry_cred_caps(struct sentry_call *c, uint64_t *ret) {
        if (c->cred_valid) {
                *ret = c->cred.cap_effective;
                return 0;
        }
        uint64_t prm;
        return capget_tid(c->req->pid, ret, &prm);
}

int sentry_cred_access_caps(struct sentry_call *c, bool eaccess, uint64_t *ret) {
        if (c->cred_valid) {
                *ret = eaccess ? c->cred.cap_effective : c->ruid == 0 ? c->cap_permitted : 0;
                return 0;
        }
        uint64_t eff, prm;
        int r = capget_tid(c->req->pid, &eff, &prm);
        if (r < 0)
                return r;
        if (eaccess || prm == 0) {
                *ret = eaccess ? eff : 0;
                return 0;
        }
        _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, c->req->pid, PIDFD_THREAD);
        if (pidfd < 0)
                return -errno;
        struct pidfd_info_v0 info = {.mask = PIDFD_INFO_CREDS_BIT};
        if (ioctl(pidfd, PIDFD_GET_INFO_V0, &info) < 0)
                return -errno;
        *ret = to_inside(c->cfg->uid_map, c->cfg->n_uid_map, info.ruid) == 0 ? prm : 0;
        return 0;
}

int sentry_cred(struct sentry_call *c) {
        if (c->cred_valid)
                return 0;
        struct sentry_cred_cache *cc = c->creds && !c->creds->disabled ? c->creds : NULL;
        if (cc && !c->need_umask && cache_lookup(c, cc)) {
                c->cred_valid = true;
                return 0;
        }
        uint64_t gen = 0;
        if (cc) {
                pthread_mutex_lock(&cc->lock);
                gen = cc->gen;
                pthread_mutex_unlock(&cc->lock);
        }
        int r = read_status(c);
        if (r < 0)
                return r;
        ids_to_inside(c);
        groups_to_inside(c);
        if (cc)
                cache_store(c, cc, gen);
        c->cred_valid = true;
        return 0;
}

/* A credential setter: the cached groups may be stale once the kernel has
 * run it, so they go before it runs. */
long sys_cred_change(struct sentry_call *c) {
        sentry_cred_changed(c);
        return SENTRY_CONTINUE;
}
