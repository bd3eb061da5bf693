/* SPDX-License-Identifier: MIT */
/*
 * The credentials a Gofer operation runs with: those of the calling thread
 * (the notification's pid is its thread id), read from /proc/<tid>/status
 * on every call that needs them.  Nothing is cached across calls: setuid()
 * and friends run in the kernel (CONTINUE), a setuid execve changes them
 * without any setter, and a thread id can be reused by a process with other
 * credentials, so a cache would need invalidation the Sentry cannot see.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "sentry/call.h"

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
                /* more than the protocol carries: the first ones, as NGROUPS
                 * checks only look for membership, a missing group can only
                 * deny, never grant */
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

/* A host id as the workload's user namespace sees it (cfg's maps). */
static uint32_t to_inside(const struct sentry_id_map *map, unsigned n, uint32_t id) {
        if (n == 0)
                return id;
        for (unsigned i = 0; i < n; i++)
                if (id >= map[i].outside && id - map[i].outside < map[i].count)
                        return map[i].inside + (id - map[i].outside);
        return 65534; /* the kernel's overflow id */
}

static void cred_to_inside(struct sentry_call *c) {
        const struct sentry_config *cfg = c->cfg;
        c->cred.fsuid = to_inside(cfg->uid_map, cfg->n_uid_map, c->cred.fsuid);
        c->ruid = to_inside(cfg->uid_map, cfg->n_uid_map, c->ruid);
        c->cred.fsgid = to_inside(cfg->gid_map, cfg->n_gid_map, c->cred.fsgid);
        c->rgid = to_inside(cfg->gid_map, cfg->n_gid_map, c->rgid);
        for (uint32_t i = 0; i < c->cred.n_groups; i++)
                c->cred.groups[i] = to_inside(cfg->gid_map, cfg->n_gid_map, c->cred.groups[i]);
}

int sentry_cred(struct sentry_call *c) {
        if (c->cred_valid)
                return 0;
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
        cred_to_inside(c);
        c->cred_valid = true;
        return 0;
}
