/* SPDX-License-Identifier: MIT */
/*
 * The notification engine.
 *
 * Every listener fd (the init's, and one per `exec`) has a pool of worker
 * threads blocked in SECCOMP_IOCTL_NOTIF_RECV; the kernel hands each
 * notification to exactly one of them, so calls of different workload
 * threads are handled in parallel and one slow call (a FIFO open waiting for
 * its peer in the Gofer) never stalls the others.  Only one worker of a
 * listener waits in NOTIF_RECV at a time, the others park on a condition
 * variable: the kernel wakes every waiter of the listener for each
 * notification, on the caller's CPU (SYNC_WAKE_UP), and each extra waiter
 * ran there before the caller, found nothing and slept again (two context
 * switches per call, 15% of the round trips of a python start).  A worker
 * that is about to call the Gofer hands NOTIF_RECV to a parked worker, or
 * starts one when none is parked, up to workers_max; calls the Sentry
 * answers itself are over in microseconds and keep it.  A worker that finds
 * enough others idle after its call exits.  Each worker owns one Gofer
 * connection, made on first use.
 *
 * The main thread (sentry_serve) only waits: for listeners to report
 * POLLHUP (no process of theirs is left), for `exec` to bring new listeners
 * on the control socket, and for a worker to report that the Gofer is gone,
 * which is fatal: the Sentry stops and the sandbox kills the container.
 *
 * The shared state is reference-counted (the main thread and each worker):
 * a worker can be stuck in a Gofer call that only its peer can end (a FIFO
 * open by a process that was killed meanwhile), and sentry_serve must be
 * able to return without it.  Workers blocked in NOTIF_RECV are woken for a
 * stop with a signal whose handler does nothing (SENTRY_WAKE_SIGNAL,
 * installed without SA_RESTART so the ioctl returns EINTR).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>

#include "cleanup.h"
#include "log.h"
#include "sentry/boundary.h"
#include "sentry/call.h"
#include "sync.h"

#define SENTRY_WAKE_SIGNAL (SIGRTMIN + 5)
#define WORKERS_MIN_DEFAULT 2
#define WORKERS_MAX_DEFAULT 64
/* How long sentry_serve waits for workers to leave before it returns
 * without the ones stuck in a Gofer call. */
#define STOP_GRACE_MS 2000
#define CONTROL_TIMEOUT_S 2

struct listener {
        int fd;
        unsigned workers; /* alive, guarded by sentry.lock */
        unsigned busy;    /* handling a notification */
        unsigned in_gofer; /* of which in a Gofer call, which may block for long */
        bool receiving;   /* a worker is in (or about to enter) NOTIF_RECV */
        unsigned parked;  /* workers waiting on `spare` to take NOTIF_RECV over */
        pthread_cond_t spare;
        bool dead;        /* POLLHUP seen */
        struct listener *next;
};

struct sentry_worker {
        struct sentry *s;
        struct listener *l;
        pthread_t thread;
        bool in_recv;  /* blocked (or about to block) in NOTIF_RECV; guarded by lock */
        bool in_gofer; /* counted in listener.in_gofer */
        struct gofer_client *gofer;
        struct sentry_dcache *dcache; /* dcache.c: one per worker, no locks */
        struct sentry_worker *next;
};

struct sentry {
        pthread_mutex_t lock;
        pthread_cond_t exited; /* a worker left */
        unsigned refs;         /* the main thread + every worker */
        struct sentry_config cfg; /* fds dup'ed: ours to close */
        struct sentry_cred_cache *creds;
        struct sentry_procfs *procfs; /* sys_procfs.c's cache */
        char release[65], nodename[65], domainname[65];
        int wake_fd; /* eventfd: tells the main thread to look at `fatal` and the listeners */
        bool stopping;
        int fatal;
        struct listener *listeners;
        struct sentry_worker *workers;
        unsigned n_workers;
        size_t notif_size, resp_size;
        int root_fd; /* the container root in the Gofer's tree (fastpath.c) */
        int own_fd_dir; /* our own /proc/self/fd (O_PATH): see sentry_own_fd_dir */
        struct sentry_dcache_shared dshared;
        _Atomic uint64_t notifications, continued, gofer_calls, fast_path, fds_installed;
        atomic_bool persona_changed; /* a personality() call other than PER_LINUX went through */
        unsigned listeners_served, workers_peak, workers_started;
};

/* ---- shared state ------------------------------------------------------------------------- */

static void close_fd(int *fd) {
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void sentry_free(struct sentry *s) {
        for (struct listener *l = s->listeners, *next; l; l = next) {
                next = l->next;
                close_fd(&l->fd);
                pthread_cond_destroy(&l->spare);
                free(l);
        }
        sentry_cred_cache_free(s->creds);
        sentry_procfs_free(s->procfs);
        close_fd(&s->cfg.cg_memory.fd);
        close_fd(&s->cfg.cg_cpu.fd);
        close_fd(&s->cfg.cg_cpuacct.fd);
        close_fd(&s->wake_fd);
        close_fd(&s->root_fd);
        close_fd(&s->own_fd_dir);
        close_fd(&s->cfg.gofer_ctl_fd);
        close_fd(&s->cfg.proc_fd);
        close_fd(&s->cfg.workload_proc_fd);
        close_fd(&s->cfg.control_fd);
        pthread_cond_destroy(&s->exited);
        pthread_mutex_destroy(&s->lock);
        free(s);
}

/* Drop a reference; called with the lock held, returns with it released. */
static void sentry_unref_unlock(struct sentry *s) {
        bool last = --s->refs == 0;
        pthread_mutex_unlock(&s->lock);
        if (last)
                sentry_free(s);
}

static void wake_main(struct sentry *s) {
        uint64_t one = 1;
        ssize_t n = write(s->wake_fd, &one, sizeof one);
        (void) n; /* a full counter already wakes it */
}

static void gofer_lost(struct sentry *s, int err) {
        pthread_mutex_lock(&s->lock);
        bool first = s->fatal == 0;
        if (first)
                s->fatal = err;
        pthread_mutex_unlock(&s->lock);
        if (first)
                log_error_errno(err, "sentry: lost the connection to the Gofer");
        wake_main(s);
}

/* A connection broke while the Gofer's control socket is still open: the
 * Gofer lives but could not start a thread for this connection (it logged
 * why: the container's pids.max is reached, by a fork bomb for instance).
 * Under Linux the call would need no new task, so only this call fails
 * (EAGAIN) and the container lives on.  A Gofer that died has closed its
 * control socket too, and the supervisor sees it exit either way. */
static bool gofer_refused_connection(const struct sentry *s) {
        struct pollfd p = {.fd = s->cfg.gofer_ctl_fd};
        return poll(&p, 1, 0) == 0;
}

void sentry_uts_get(struct sentry_call *c, char *nodename, char *domainname) {
        struct sentry *s = c->worker->s;
        pthread_mutex_lock(&s->lock);
        memcpy(nodename, s->nodename, sizeof s->nodename);
        memcpy(domainname, s->domainname, sizeof s->domainname);
        pthread_mutex_unlock(&s->lock);
}

void sentry_uts_set(struct sentry_call *c, bool domain, const char *name, size_t len) {
        struct sentry *s = c->worker->s;
        pthread_mutex_lock(&s->lock);
        char *dst = domain ? s->domainname : s->nodename;
        memcpy(dst, name, len);
        dst[len] = 0;
        pthread_mutex_unlock(&s->lock);
}

const char *sentry_release(struct sentry_call *c) {
        return c->worker->s->release;
}

void sentry_persona_changed(struct sentry_call *c) {
        atomic_store(&c->worker->s->persona_changed, true);
}

bool sentry_persona_default(struct sentry_call *c) {
        return c->cfg->personality == 0 && !atomic_load(&c->worker->s->persona_changed);
}

/* ---- workers ------------------------------------------------------------------------------ */

static int spawn_worker_locked(struct sentry *s, struct listener *l);

/* Before a call that may keep this worker away from NOTIF_RECV for longer
 * than the caller's next notification: a parked worker receives instead.
 * Whether one was woken (or one receives already). */
static bool hand_over_recv_locked(struct sentry *s, struct listener *l) {
        if (s->stopping || l->receiving)
                return true;
        if (l->parked == 0)
                return false;
        pthread_cond_signal(&l->spare);
        return true;
}

int sentry_gofer(struct sentry_call *c, struct gofer_client **ret) {
        struct sentry_worker *w = c->worker;
        struct sentry *s = w->s;
        c->used_gofer = true;
        int r = sentry_cred(c);
        if (r < 0)
                return r;
        /* The call may block for as long as the file wants (a FIFO, a slow
         * disk): the next notification must not wait for it.  A parked
         * worker takes NOTIF_RECV over, or a new one when none is parked and
         * every worker is in such a call.  (Workers busy with anything else
         * are back in NOTIF_RECV within microseconds.) */
        pthread_mutex_lock(&s->lock);
        struct listener *l = w->l;
        if (!w->in_gofer) {
                w->in_gofer = true;
                l->in_gofer++;
        }
        if (!hand_over_recv_locked(s, l) && l->workers == l->in_gofer && l->workers < s->cfg.workers_max)
                (void) spawn_worker_locked(s, l);
        pthread_mutex_unlock(&s->lock);
        if (!w->gofer) {
                r = gofer_client_new(s->cfg.gofer_ctl_fd, &w->gofer);
                if (r < 0) {
                        w->gofer = NULL;
                        /* the Gofer is gone; anything else is this call's failure */
                        if (r == -ECONNREFUSED || r == -ENOTCONN || r == -EPIPE || r == -ECONNRESET)
                                return -EPIPE;
                        return r;
                }
        }
        int cpu = sched_getcpu();
        c->cred.cpu_hint = cpu >= 0 ? (uint32_t) cpu + 1 : 0;
        *ret = w->gofer;
        return 0;
}

/* The Gofer part of the call is over; said before the answer, since the
 * caller's next call may reach another worker at once. */
static void gofer_done(struct sentry_worker *w) {
        if (!w->in_gofer)
                return;
        pthread_mutex_lock(&w->s->lock);
        w->l->in_gofer--;
        w->in_gofer = false;
        pthread_mutex_unlock(&w->s->lock);
}

long sentry_install_fd(struct sentry_call *c, int fd, bool cloexec) {
        gofer_done(c->worker);
        /* ADDFD returns only after the caller ran to take the descriptor,
         * and the caller's next call comes at once: it must find a worker
         * in NOTIF_RECV rather than wait for this one to be woken again */
        struct sentry *s = c->worker->s;
        pthread_mutex_lock(&s->lock);
        (void) hand_over_recv_locked(s, c->worker->l);
        pthread_mutex_unlock(&s->lock);
        struct seccomp_notif_addfd add = {
                .id = c->req->id,
                .flags = SECCOMP_ADDFD_FLAG_SEND,
                .srcfd = (uint32_t) fd,
                .newfd_flags = cloexec ? O_CLOEXEC : 0,
        };
        int r = ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
        int err = errno;
        close(fd);
        if (r < 0) {
                if (err == ENOENT)
                        c->answered = true; /* the caller is gone: nothing to answer */
                return -err;
        }
        c->answered = true;
        atomic_fetch_add_explicit(&c->worker->s->fds_installed, 1, memory_order_relaxed);
        return r;
}

/* What a number without a handler gets: the table's verdict.  Only numbers
 * above the table (newer syscalls) or a table/filter mismatch end up here. */
static long no_handler(long nr) {
        const struct boundary_entry *e = sentry_boundary_lookup(nr);
        if (!e)
                return -ENOSYS;
        switch (e->verdict.action) {
        case BOUNDARY_DENY:
                return -e->verdict.err;
        case BOUNDARY_HOST:
                if (!e->cond)
                        return SENTRY_CONTINUE; /* the filter allows it anyway */
                return e->otherwise.action == BOUNDARY_DENY ? -e->otherwise.err : -ENOSYS;
        default:
                return -ENOSYS;
        }
}

static uint64_t now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void respond(struct sentry_call *c, struct seccomp_notif_resp *resp, size_t resp_size, long ret) {
        memset(resp, 0, resp_size);
        resp->id = c->req->id;
        if (ret == SENTRY_CONTINUE)
                resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        else if (ret < 0 && ret >= -4095)
                resp->error = (int32_t) ret;
        else
                resp->val = ret;
        if (ioctl(c->listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
                log_debug("sentry: answering syscall %d of %u: %m", c->req->data.nr, c->req->pid);
}

static void handle(struct sentry_worker *w, const struct seccomp_notif *req, struct seccomp_notif_resp *resp) {
        struct sentry *s = w->s;
        struct sentry_call c = {
                .req = req,
                .cfg = &s->cfg,
                .worker = w,
                .listener = w->l->fd,
                .creds = s->creds,
                .dcache = &w->dcache,
                .dshared = &s->dshared,
                .strace = s->cfg.strace,
        };
        uint64_t t0 = c.strace ? now_us() : 0;
        const struct sentry_handler *h = sentry_handler_lookup(req->data.nr);
        long ret;
        if (req->data.arch != AUDIT_ARCH_X86_64 || req->pid == 0)
                ret = -ENOSYS; /* the filter kills foreign architectures; pid 0: not our namespace */
        else if (h)
                ret = h->fn(&c);
        else
                ret = no_handler(req->data.nr);

        if (c.used_fast)
                atomic_fetch_add_explicit(&s->fast_path, 1, memory_order_relaxed);
        if (c.used_gofer) {
                atomic_fetch_add_explicit(&s->gofer_calls, 1, memory_order_relaxed);
                if (ret == -EPIPE || ret == -ECONNRESET) {
                        bool refused = gofer_refused_connection(s);
                        if (!refused)
                                gofer_lost(s, (int) ret);
                        gofer_client_free(w->gofer);
                        w->gofer = NULL;
                        ret = refused ? -EAGAIN : -EIO;
                }
        }
        gofer_done(w);
        if (!c.answered)
                respond(&c, resp, s->resp_size, ret);
        if (ret == SENTRY_CONTINUE)
                atomic_fetch_add_explicit(&s->continued, 1, memory_order_relaxed);
        if (c.strace)
                sentry_strace_line(&c, h, ret, now_us() - t0);
}

static void wake_handler(int sig) {
        (void) sig;
}

/* The listener has no process left (the kernel reports POLLHUP). */
static bool listener_hup(int fd) {
        struct pollfd p = {.fd = fd};
        return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static void *worker_main(void *arg) {
        struct sentry_worker *w = arg;
        struct sentry *s = w->s;
        struct listener *l = w->l;

        /* Signals for the Sentry process go to the main thread; the workers
         * only take the stop signal, and SIGSYS: the supervisor's own
         * seccomp filter traps a call outside its list, and its handler
         * says which before the container dies (a blocked SIGSYS would kill
         * the process without a word). */
        sigset_t mask;
        sigfillset(&mask);
        sigdelset(&mask, SENTRY_WAKE_SIGNAL);
        sigdelset(&mask, SIGSYS);
        pthread_sigmask(SIG_SETMASK, &mask, NULL);

        struct seccomp_notif *req = calloc(1, s->notif_size);
        struct seccomp_notif_resp *resp = calloc(1, s->resp_size);
        pthread_mutex_lock(&s->lock);
        while (req && resp && !s->stopping && !l->dead) {
                if (l->receiving) {
                        /* another worker waits in NOTIF_RECV: a second
                         * waiter there would be woken for nothing */
                        l->parked++;
                        pthread_cond_wait(&l->spare, &s->lock);
                        l->parked--;
                        continue;
                }
                l->receiving = true;
                w->in_recv = true;
                pthread_mutex_unlock(&s->lock);

                memset(req, 0, s->notif_size); /* the kernel refuses a dirty buffer */
                int r = ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, req);
                int err = errno;

                pthread_mutex_lock(&s->lock);
                w->in_recv = false;
                l->receiving = false;
                if (r < 0) {
                        if (err == EINTR)
                                continue;
                        if (err == ENOENT) {
                                /* the caller died before we got it, or no
                                 * process is left: only POLLHUP tells */
                                if (listener_hup(l->fd)) {
                                        l->dead = true;
                                        pthread_cond_broadcast(&l->spare);
                                }
                                continue;
                        }
                        /* a listener that cannot be served would leave its
                         * processes blocked: fail closed */
                        bool first = s->fatal == 0;
                        if (first)
                                s->fatal = -err;
                        pthread_mutex_unlock(&s->lock);
                        if (first)
                                log_error_errno(-err, "sentry: SECCOMP_IOCTL_NOTIF_RECV");
                        wake_main(s);
                        pthread_mutex_lock(&s->lock);
                        break;
                }
                l->busy++;
                pthread_mutex_unlock(&s->lock);

                atomic_fetch_add_explicit(&s->notifications, 1, memory_order_relaxed);
                handle(w, req, resp);

                pthread_mutex_lock(&s->lock);
                l->busy--;
                /* enough others wait: this one is surplus */
                unsigned waiting_others = l->workers - l->busy - 1;
                if (l->workers > s->cfg.workers_min && waiting_others >= s->cfg.workers_min)
                        break;
        }
        /* leave: lock held; a parked worker receives in our place */
        if (!l->receiving && l->parked > 0)
                pthread_cond_signal(&l->spare);
        for (struct sentry_worker **p = &s->workers; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        l->workers--;
        s->n_workers--;
        pthread_cond_broadcast(&s->exited);
        pthread_mutex_unlock(&s->lock);

        if (w->gofer)
                gofer_client_free(w->gofer);
        sentry_dcache_free(w->dcache);
        free(req);
        free(resp);
        free(w);
        wake_main(s); /* a dead listener may now be freed */
        pthread_mutex_lock(&s->lock);
        sentry_unref_unlock(s);
        return NULL;
}

static int spawn_worker_locked(struct sentry *s, struct listener *l) {
        struct sentry_worker *w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->s = s;
        w->l = l;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* counted before the thread runs, so a worker that exits at once
         * cannot drop the last reference under us */
        s->refs++;
        l->workers++;
        s->n_workers++;
        w->next = s->workers;
        s->workers = w;
        int r = pthread_create(&w->thread, &attr, worker_main, w);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                s->workers = w->next;
                s->n_workers--;
                l->workers--;
                s->refs--;
                free(w);
                return log_error_errno(-r, "sentry: starting a worker thread");
        }
        s->workers_started++;
        if (s->n_workers > s->workers_peak)
                s->workers_peak = s->n_workers;
        return 0;
}

/* ---- listeners ---------------------------------------------------------------------------- */

/* Takes fd. */
static int add_listener(struct sentry *s, int fd) {
        /* id 0 is never valid: a listener says ENOENT, anything else ENOTTY */
        uint64_t none = 0;
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &none) == 0 || errno != ENOENT) {
                close(fd);
                return log_fail(-EINVAL, "sentry: the fd received is not a seccomp listener");
        }
        /* The kernel then wakes the worker on the notifying thread's CPU and
         * switches to it at once: about 23 instead of 37 us per round trip
         * here (DESIGN.md section 3).  Kernels before 6.6 lack it. */
        uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) < 0)
                log_debug("sentry: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: %m");

        struct listener *l = calloc(1, sizeof *l);
        if (!l) {
                close(fd);
                return log_error_errno(-ENOMEM, "sentry: listener");
        }
        l->fd = fd;
        pthread_cond_init(&l->spare, NULL);
        pthread_mutex_lock(&s->lock);
        l->next = s->listeners;
        s->listeners = l;
        s->listeners_served++;
        int r = 0;
        for (unsigned i = 0; i < s->cfg.workers_min && r >= 0; i++)
                r = spawn_worker_locked(s, l);
        if (r < 0 && l->workers > 0)
                r = 0; /* fewer workers than wished, but served */
        pthread_mutex_unlock(&s->lock);
        return r;
}

/* One `exec`: a listener fd, answered with SYNC_READY once it is served. */
static void control_accept(struct sentry *s) {
        _cleanup_close_ int conn = accept4(s->cfg.control_fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0) {
                if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                        return;
                /* not a listening socket, or worse: stop polling it rather
                 * than spin (exec then fails; the container keeps running) */
                log_warn("sentry: accept on the control socket: %m; exec will not be served");
                close_fd(&s->cfg.control_fd);
                return;
        }
        /* a client that connects and says nothing must not stall the Sentry */
        struct timeval tv = {.tv_sec = CONTROL_TIMEOUT_S};
        (void) setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        (void) setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int fd = -1;
        int r = sync_expect_fd(conn, SYNC_SECCOMP_FD, &fd);
        if (r < 0) {
                log_warn("sentry: control socket: no listener received: %s", strerror(-r));
                return;
        }
        r = add_listener(s, fd);
        if (r < 0)
                sync_send_error(conn, r, "the Sentry cannot serve the listener");
        else
                (void) sync_send(conn, SYNC_READY, 0);
}

int sentry_send_listener(int sock, int listener) {
        int r = sync_send_fd(sock, SYNC_SECCOMP_FD, listener);
        if (r < 0)
                return log_error_errno(r, "sending the seccomp listener to the Sentry");
        r = sync_expect(sock, SYNC_READY, NULL);
        if (r == -EPIPE || r == -EPROTO)
                return log_error_errno(r, "the Sentry did not take the seccomp listener");
        return r;
}

/* ---- sentry_serve ------------------------------------------------------------------------- */

static int dup_fd(int fd, int *ret) {
        *ret = -1;
        if (fd < 0)
                return 0;
        *ret = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return *ret < 0 ? -errno : 0;
}

static void copy_name(char dst[65], const char *src, const char *fallback) {
        snprintf(dst, 65, "%s", src ? src : fallback);
}

/* The Gofer's root, for the fast path.  The Gofer answers before the
 * workload runs its first instruction, so a Gofer that cannot is one that
 * would fail every file call: the container does not start. */
static int fetch_root(struct sentry *s) {
        struct gofer_client *g = NULL;
        int r = gofer_client_new(s->cfg.gofer_ctl_fd, &g);
        if (r < 0)
                return r;
        struct gofer_cred root = {.cap_effective = UINT64_MAX};
        r = gofer_open(g, &root, "/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, &s->root_fd);
        gofer_client_free(g);
        if (r < 0)
                return log_error_errno(r, "sentry: the container root from the Gofer");
        return 0;
}

struct sentry_procfs *sentry_procfs_cache(struct sentry_call *c) {
        return c->worker->s->procfs;
}

int sentry_root_fd(const struct sentry_call *c) {
        return c->worker->s->root_fd;
}

int sentry_own_fd_dir(const struct sentry_call *c) {
        return c->worker->s->own_fd_dir;
}

static int sentry_new(const struct sentry_config *cfg, struct sentry **ret) {
        struct sentry *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        pthread_mutex_init(&s->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&s->exited, &ca);
        pthread_condattr_destroy(&ca);
        s->refs = 1;
        s->cfg = *cfg;
        s->cfg.gofer_ctl_fd = s->cfg.proc_fd = s->cfg.workload_proc_fd = s->cfg.control_fd = s->wake_fd =
                s->root_fd = s->own_fd_dir = -1;
        s->cfg.notify_fd = -1;
        s->cfg.cg_memory.fd = s->cfg.cg_cpu.fd = s->cfg.cg_cpuacct.fd = -1;
        s->cfg.stats = NULL;
        if (!s->cfg.workers_min)
                s->cfg.workers_min = WORKERS_MIN_DEFAULT;
        if (!s->cfg.workers_max)
                s->cfg.workers_max = WORKERS_MAX_DEFAULT;
        if (s->cfg.workers_max < s->cfg.workers_min)
                s->cfg.workers_max = s->cfg.workers_min;
        struct utsname own;
        if (uname(&own) < 0)
                memset(&own, 0, sizeof own);
        copy_name(s->release, cfg->release, SENTRY_DEFAULT_RELEASE);
        copy_name(s->nodename, cfg->hostname, own.nodename);
        copy_name(s->domainname, cfg->domainname, own.domainname[0] ? own.domainname : "(none)");
        s->cfg.release = s->cfg.hostname = s->cfg.domainname = NULL; /* ours are above */

        int r = dup_fd(cfg->gofer_ctl_fd, &s->cfg.gofer_ctl_fd);
        if (r >= 0)
                r = dup_fd(cfg->proc_fd, &s->cfg.proc_fd);
        if (r >= 0)
                r = dup_fd(cfg->control_fd, &s->cfg.control_fd);
        if (r >= 0)
                r = sentry_cred_cache_new(&s->creds);
        if (r >= 0)
                r = sentry_procfs_new(&s->procfs);
        /* fds of a configuration without synthesized files are not looked at
         * (0 may be stdin in a zeroed struct) */
        if (r >= 0 && (cfg->procfs_files || cfg->sysfs_files))
                r = dup_fd(cfg->cg_memory.fd, &s->cfg.cg_memory.fd);
        if (r >= 0 && (cfg->procfs_files || cfg->sysfs_files))
                r = dup_fd(cfg->cg_cpu.fd, &s->cfg.cg_cpu.fd);
        if (r >= 0 && (cfg->procfs_files || cfg->sysfs_files))
                r = dup_fd(cfg->cg_cpuacct.fd, &s->cfg.cg_cpuacct.fd);
        if (r >= 0 && (cfg->procfs_files & SENTRY_PROCFS_MOUNTS))
                r = dup_fd(cfg->workload_proc_fd, &s->cfg.workload_proc_fd);
        if (r >= 0) {
                s->own_fd_dir = openat(s->cfg.proc_fd, "self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (s->own_fd_dir < 0)
                        r = log_error_errno(-errno, "sentry: open our own fd directory");
        }
        if (r >= 0)
                r = fetch_root(s);
        if (r >= 0) {
                s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (s->wake_fd < 0)
                        r = -errno;
        }
        if (r < 0) {
                sentry_free(s);
                return r;
        }

        /* The kernel's structs may grow; RECV and SEND take the kernel's sizes. */
        struct seccomp_notif_sizes sizes = {0};
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
                memset(&sizes, 0, sizeof sizes);
        s->notif_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif
                                                                            : sizeof(struct seccomp_notif);
        s->resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp)
                               ? sizes.seccomp_notif_resp
                               : sizeof(struct seccomp_notif_resp);
        *ret = s;
        return 0;
}

/* Free listeners that are dead and have no worker left; true when none is alive. */
static bool reap_listeners(struct sentry *s) {
        bool any_alive = false;
        pthread_mutex_lock(&s->lock);
        for (struct listener **p = &s->listeners; *p;) {
                struct listener *l = *p;
                if (!l->dead) {
                        any_alive = true;
                        p = &l->next;
                        continue;
                }
                if (l->workers == 0) {
                        *p = l->next;
                        close_fd(&l->fd);
                        free(l);
                        continue;
                }
                p = &l->next;
        }
        pthread_mutex_unlock(&s->lock);
        return any_alive;
}

static int serve_loop(struct sentry *s) {
        _cleanup_free_ struct pollfd *pfd = NULL;
        _cleanup_free_ struct listener **owner = NULL;
        size_t cap = 0;
        for (;;) {
                if (!reap_listeners(s))
                        return 0;
                pthread_mutex_lock(&s->lock);
                int fatal = s->fatal;
                size_t n = 0, want = 2;
                for (struct listener *l = s->listeners; l; l = l->next)
                        want++;
                if (want > cap) {
                        struct pollfd *np = realloc(pfd, want * sizeof *pfd);
                        if (np)
                                pfd = np;
                        struct listener **no = realloc(owner, want * sizeof *owner);
                        if (no)
                                owner = no;
                        if (!np || !no) {
                                pthread_mutex_unlock(&s->lock);
                                return log_error_errno(-ENOMEM, "sentry");
                        }
                        cap = want;
                }
                pfd[n] = (struct pollfd){.fd = s->wake_fd, .events = POLLIN};
                owner[n++] = NULL;
                if (s->cfg.control_fd >= 0) {
                        pfd[n] = (struct pollfd){.fd = s->cfg.control_fd, .events = POLLIN};
                        owner[n++] = NULL;
                }
                /* events 0: only POLLHUP (no process left) wakes us, not
                 * every notification */
                for (struct listener *l = s->listeners; l; l = l->next)
                        if (!l->dead) {
                                pfd[n] = (struct pollfd){.fd = l->fd};
                                owner[n++] = l;
                        }
                pthread_mutex_unlock(&s->lock);
                if (fatal)
                        return fatal;

                if (poll(pfd, (nfds_t) n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(-errno, "sentry: poll");
                }
                for (size_t i = 0; i < n; i++) {
                        if (!pfd[i].revents)
                                continue;
                        if (pfd[i].fd == s->wake_fd) {
                                uint64_t v;
                                ssize_t k = read(s->wake_fd, &v, sizeof v);
                                (void) k;
                        } else if (!owner[i]) {
                                control_accept(s);
                        } else if (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
                                pthread_mutex_lock(&s->lock);
                                owner[i]->dead = true;
                                pthread_cond_broadcast(&owner[i]->spare);
                                pthread_mutex_unlock(&s->lock);
                        }
                }
        }
}

/* Wake every worker blocked in NOTIF_RECV until all have left, or give up
 * after STOP_GRACE_MS on those stuck in a Gofer call. */
static void stop_workers(struct sentry *s) {
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += STOP_GRACE_MS / 1000;
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        while (s->n_workers > 0) {
                /* repeated: a signal that lands just before the ioctl is lost */
                for (struct sentry_worker *w = s->workers; w; w = w->next)
                        if (w->in_recv)
                                pthread_kill(w->thread, SENTRY_WAKE_SIGNAL);
                for (struct listener *l = s->listeners; l; l = l->next)
                        pthread_cond_broadcast(&l->spare);
                struct timespec now, wait;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec > deadline.tv_sec ||
                    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec))
                        break;
                wait = now;
                wait.tv_nsec += 20 * 1000 * 1000;
                if (wait.tv_nsec >= 1000000000) {
                        wait.tv_sec++;
                        wait.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&s->exited, &s->lock, &wait);
        }
        if (s->n_workers > 0)
                log_warn("sentry: %u worker thread(s) still blocked in Gofer calls; leaving them behind",
                         s->n_workers);
        pthread_mutex_unlock(&s->lock);
}

int sentry_serve(const struct sentry_config *cfg) {
        if (!cfg || cfg->notify_fd < 0 || cfg->gofer_ctl_fd < 0 || cfg->proc_fd < 0)
                return log_error_errno(-EINVAL, "sentry: a listener, the Gofer's socket and a procfs are needed");
        if ((cfg->procfs_files & SENTRY_PROCFS_MOUNTS) && cfg->workload_proc_fd < 0)
                return log_error_errno(-EINVAL, "sentry: the mount tables need the workload's procfs");

        struct sigaction sa = {.sa_handler = wake_handler}; /* no SA_RESTART: NOTIF_RECV returns EINTR */
        sigemptyset(&sa.sa_mask);
        if (sigaction(SENTRY_WAKE_SIGNAL, &sa, NULL) < 0)
                return log_error_errno(-errno, "sentry: signal handler");

        struct sentry *s = NULL;
        int r = sentry_new(cfg, &s);
        if (r < 0)
                return log_error_errno(r, "sentry: set-up");
        int fd = fcntl(cfg->notify_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                r = log_error_errno(-errno, "sentry: listener");
        else
                r = add_listener(s, fd);
        if (r >= 0)
                r = serve_loop(s);
        stop_workers(s);

        pthread_mutex_lock(&s->lock);
        /* the Gofer may have died on the last call of the last process */
        if (r >= 0 && s->fatal)
                r = s->fatal;
        if (cfg->stats)
                *cfg->stats = (struct sentry_stats){
                        .notifications = atomic_load(&s->notifications),
                        .continued = atomic_load(&s->continued),
                        .gofer_calls = atomic_load(&s->gofer_calls),
                        .fast_path = atomic_load(&s->fast_path),
                        .fds_installed = atomic_load(&s->fds_installed),
                        .listeners = s->listeners_served,
                        .workers_peak = s->workers_peak,
                        .workers_started = s->workers_started,
                };
        log_debug("sentry: %" PRIu64 " notifications, %" PRIu64 " continued, %" PRIu64 " Gofer calls, %" PRIu64
                  " on the fast path, %" PRIu64 " fds installed, %u listeners, %u workers at most, %u started",
                  (uint64_t) atomic_load(&s->notifications), (uint64_t) atomic_load(&s->continued),
                  (uint64_t) atomic_load(&s->gofer_calls), (uint64_t) atomic_load(&s->fast_path),
                  (uint64_t) atomic_load(&s->fds_installed),
                  s->listeners_served, s->workers_peak, s->workers_started);
        sentry_unref_unlock(s);
        return r;
}
