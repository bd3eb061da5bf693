/* SPDX-License-Identifier: MIT */
/*
 * The fast path's directory cache: container directory paths -> O_PATH
 * descriptors of those directories in the Gofer's tree, so that a stat, an
 * open or a readlink of "/usr/lib/python3.11/os.py" resolves one component
 * ("os.py", with an *at call on the held descriptor) instead of walking the
 * whole path from the root every time.  gVisor's Sentry keeps a dentry tree
 * for the same reason.
 *
 * Only names are cached, never attributes: every answer still comes from a
 * statx, open or readlink of the last component as it is now, so what the
 * workload wrote through a descriptor (sizes, times, modes) is always seen.
 *
 * What a cached path resolves to changes only when a directory or a symlink
 * on the way is renamed or removed, and in the container's root filesystem
 * only the Gofer can do that, at the Sentry's request (the workload's own
 * view is read-only).  So every Gofer call that renames or removes is
 * bracketed: before it starts, sentry_dcache_mutation_begin() makes every
 * lookup bypass the cache; after it, sentry_dcache_mutation_end() bumps a
 * generation that empties every cache at its next use.  A lookup that
 * started before a mutation may still use the old entry, as a concurrent
 * stat may come before a rename in Linux.
 *
 * Directories behind a mount point (volumes, tmpfs, /dev/shm) are never
 * cached: the lookup that fills the cache uses RESOLVE_NO_XDEV, so any path
 * crossing a mount fails it and goes the uncached way.  Files there may be
 * changed by the host or by another container, which the Sentry never hears
 * of.  The root filesystem is assumed to be this container's alone, as
 * runsc's default (--file-access=exclusive) assumes: a host process that
 * renames directories in a running container's rootfs may make the Sentry
 * answer for the old names until the container next renames or removes
 * something.
 *
 * One cache per worker thread, so that a descriptor is never closed while
 * another thread uses it, and no lock is taken on the hot path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "sentry/call.h"

/* Per worker: the directories a workload's hot files live in are a few
 * dozen (a python startup reads from ~30); each entry holds a descriptor of
 * the Sentry's, which shares its RLIMIT_NOFILE with the workers' Gofer
 * sockets and the descriptors in flight. */
#define DCACHE_SLOTS 64
#define DCACHE_PATH_MAX 512

struct dentry_slot {
        int fd; /* -1: empty */
        uint32_t hash;
        uint16_t len;
        char path[DCACHE_PATH_MAX];
};

struct sentry_dcache {
        uint64_t gen;
        struct dentry_slot slot[DCACHE_SLOTS];
};

static void flush(struct sentry_dcache *d) {
        for (size_t i = 0; i < DCACHE_SLOTS; i++)
                if (d->slot[i].fd >= 0) {
                        close(d->slot[i].fd);
                        d->slot[i].fd = -1;
                }
}

void sentry_dcache_free(struct sentry_dcache *d) {
        if (!d)
                return;
        flush(d);
        free(d);
}

static uint32_t hash_of(const char *s, size_t len) {
        uint32_t h = 2166136261u; /* FNV-1a */
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char) s[i]) * 16777619u;
        return h;
}

void sentry_dcache_mutation_begin(struct sentry_call *c) {
        atomic_fetch_add(&c->dshared->busy, 1);
}

void sentry_dcache_mutation_end(struct sentry_call *c) {
        /* the generation first: a lookup that sees busy back at 0 then
         * sees the new generation too */
        atomic_fetch_add(&c->dshared->gen, 1);
        atomic_fetch_sub(&c->dshared->busy, 1);
}

int sentry_dcache_dir(struct sentry_call *c, int root_fd, const char *dir, size_t len) {
        struct sentry_dcache_shared *sh = c->dshared;
        if (!sh || !c->dcache || len == 0 || len >= DCACHE_PATH_MAX)
                return -1;
        /* busy before gen: a mutation that ends between the two loads
         * shows as a new generation */
        if (atomic_load(&sh->busy))
                return -1;
        uint64_t gen = atomic_load(&sh->gen);
        struct sentry_dcache *d = *c->dcache;
        if (!d) {
                d = calloc(1, sizeof *d);
                if (!d)
                        return -1;
                for (size_t i = 0; i < DCACHE_SLOTS; i++)
                        d->slot[i].fd = -1;
                d->gen = gen;
                *c->dcache = d;
        }
        if (d->gen != gen) {
                flush(d);
                d->gen = gen;
        }
        uint32_t h = hash_of(dir, len);
        size_t home = h % DCACHE_SLOTS;
        for (size_t i = 0; i < DCACHE_SLOTS; i++) {
                struct dentry_slot *e = &d->slot[(home + i) % DCACHE_SLOTS];
                if (e->fd < 0)
                        break;
                if (e->hash == h && e->len == len && memcmp(e->path, dir, len) == 0)
                        return e->fd;
        }

        char path[DCACHE_PATH_MAX];
        memcpy(path, dir, len);
        path[len] = 0;
        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        int fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof how);
        if (fd < 0)
                return -1; /* behind a mount (EXDEV), missing, not searchable: the full walk decides */
        /* a rename or removal that began meanwhile may have redirected the walk */
        if (atomic_load(&sh->busy) || atomic_load(&sh->gen) != gen) {
                close(fd);
                return -1;
        }
        /* linear probing: a slot is filled here and emptied only by a flush
         * of the whole table, so no probe chain is ever cut */
        struct dentry_slot *e = NULL;
        for (size_t i = 0; i < DCACHE_SLOTS && !e; i++)
                if (d->slot[(home + i) % DCACHE_SLOTS].fd < 0)
                        e = &d->slot[(home + i) % DCACHE_SLOTS];
        if (!e) {
                /* full: start afresh (evicting one entry would cut the
                 * probe chains through it) */
                flush(d);
                e = &d->slot[home];
        }
        e->fd = fd;
        e->hash = h;
        e->len = (uint16_t) len;
        memcpy(e->path, dir, len);
        return fd;
}
