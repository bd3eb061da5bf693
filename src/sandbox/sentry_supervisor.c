/* SPDX-License-Identifier: MIT */
/*
 * The supervisor S of a sentry sandbox: the container's pid (pid file,
 * state.json), a child of `cocoon create`, so that the engine's subreaper
 * inherits it as it inherits the init of the `none` sandbox.
 *
 *   1. still privileged, it spawns the workload's init W (spawn_process:
 *      W is our child) and waits until W's mount tree is complete;
 *   2. spawns the Gofer G (sentry_gofer.c) in a copy of that tree, then
 *      lets W make its own view read-only and load the boundary filter,
 *      answering W's last set-up calls itself (sentry_setup_passthrough);
 *   3. confines itself (sentry_confine.c), reports READY to create, and
 *      runs the Sentry on a thread while the main thread waits for W and G;
 *   4. exits as W exited (its code, or the same signal), so the engine sees
 *      the workload's status.  If G dies or the Sentry fails, it kills W and
 *      dies of SIGKILL; W, pid 1 of its pid namespace, dies with S
 *      (parent-death signal), so the workload never runs without its Sentry.
 *
 * Until READY every error goes to `cocoon create` (log_forward_to) and S
 * exits; W and G follow it through their parent-death signal.  Afterwards
 * S logs to --log (stderr of create without --log).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/idmap.h"
#include "log.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "sandbox/sentry_sandbox.h"
#include "sentry/sentry.h"
#include "sync.h"
#include "util.h"

/* Signals sent to the supervisor go on to the workload's init, as if the
 * engine had signalled the init itself. */
static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};

struct supervisor {
        const struct sandbox_create *sc;
        int report_fd;
        pid_t workload, gofer;
        int listener;  /* the boundary filter's, from W */
        int gofer_ctl; /* the Gofer's control socket */
        int control_fd;
        int proc_fd;
        int workload_proc_fd; /* W's own /proc */
        struct sentry_cgroup_dir cg_memory, cg_cpu, cg_cpuacct; /* for the synthesized /proc and /sys files */
        int signal_fd, event_fd;
        struct sentry_config cfg;
        int serve_result; /* written by the Sentry's thread before it signals event_fd */
};

/* Steps 1 and 2: W and G exist, W's set-up is done; errors are logged (forwarded). */
static int start_workload(struct supervisor *sv) {
        const struct sandbox_create *sc = sv->sc;
        const struct oci_spec *spec = sc->spec;
        char rdt[PATH_MAX];
        struct spawn_config cfg;
        struct init_args a;
        int r = sandbox_init_config(sc, &cfg, &a, rdt, sizeof rdt);
        if (r < 0)
                return r;
        /* the lock fds are closed already (their numbers may have been reused) */
        cfg.close_fds[0] = sv->report_fd;
        cfg.close_fds[1] = sv->control_fd;
        cfg.n_close_fds = 2;
        a.sentry = true;
        a.sentry_net_raw = sentry_net_raw(spec->process);
        int *idmap_fds = NULL;
        r = idmap_mounts_prepare(spec, sc->bundle, &idmap_fds);
        if (r < 0) {
                sandbox_close_joins(&cfg);
                return r;
        }
        a.idmap_fds = idmap_fds;
        cfg.stage2 = init_container;
        cfg.arg = &a;
        _cleanup_close_ int sync_fd = -1;
        r = spawn_process(&cfg, &sv->workload, &sync_fd);
        sandbox_close_joins(&cfg);
        /* the init has its own copies of these */
        if (sc->console_fd >= 0)
                close(sc->console_fd);
        close(sc->exec_listen_fd);
        for (int fd = 3; fd < 3 + sc->opts->listen_fds + sc->opts->preserve_fds; fd++)
                close(fd);
        if (r < 0) {
                idmap_mounts_free(idmap_fds, spec->n_mounts);
                return r;
        }
        if (hooks_need_create_step(spec))
                r = sandbox_hooks_step(sc, sv->workload, sync_fd);
        if (r == 0)
                r = sync_expect(sync_fd, SYNC_TREE_READY, NULL);
        idmap_mounts_free(idmap_fds, spec->n_mounts);
        if (r == 0)
                r = sentry_gofer_spawn(sv->workload, spec->process, &sv->gofer, &sv->gofer_ctl);
        if (r == 0 && (r = sync_send(sync_fd, SYNC_GO, 0)) < 0)
                r = log_error_errno(r, "resume the container's init");
        if (r == 0)
                r = sync_expect_fd(sync_fd, SYNC_SECCOMP_FD, &sv->listener);
        if (r == 0)
                r = sentry_setup_passthrough(sync_fd, sv->listener);
        if (r == -EPIPE)
                r = log_fail(r, "container init died during set-up");
        else if (r == -EPROTO)
                r = log_fail(r, "container init: unexpected message during set-up");
        return r;
}

static uint64_t memory_limit(const struct oci_spec *spec) {
        json_t *limit = json_object_get(json_object_get(spec->linux.resources, "memory"), "limit");
        return json_is_integer(limit) && json_integer_value(limit) > 0 ? (uint64_t) json_integer_value(limit) : 0;
}

/* Whether `dest` (a mount destination or masked path) is `path` or one of
 * its directories below `top` (trailing slashes ignored): the mount on
 * `top` itself (the procfs on /proc, the sysfs on /sys) covers nothing. */
static bool covers(const char *dest, const char *path, const char *top) {
        size_t n = strlen(dest), t = strlen(top);
        while (n > 1 && dest[n - 1] == '/')
                n--;
        if (n <= t || strncmp(dest, top, t) != 0 || dest[t] != '/')
                return false;
        return strncmp(path, dest, n) == 0 && (path[n] == '/' || path[n] == 0);
}

/* The /proc files the Sentry synthesizes: all of them when the container
 * mounts a procfs on /proc, but those a mount of the config or
 * linux.maskedPaths covers (an LXCFS bind mount, a masked file or
 * directory such as /proc/sys), which the container gets as configured. */
static unsigned procfs_files(const struct oci_spec *spec) {
        bool proc = false;
        for (size_t i = 0; i < spec->n_mounts; i++)
                if (spec->mounts[i].destination && strcmp(spec->mounts[i].destination, "/proc") == 0)
                        proc = spec->mounts[i].type && strcmp(spec->mounts[i].type, "proc") == 0;
        if (!proc)
                return 0;
        unsigned files = SENTRY_PROCFS_ALL;
        for (unsigned bit = 1; bit & SENTRY_PROCFS_ALL; bit <<= 1) {
                char path[64];
                snprintf(path, sizeof path, "/proc/%s", sentry_procfs_name(bit));
                for (size_t i = 0; i < spec->n_mounts; i++) {
                        const char *dest = spec->mounts[i].destination;
                        if (dest && covers(dest, path, "/proc"))
                                files &= ~bit;
                }
                for (char **m = spec->has_linux ? spec->linux.masked_paths : NULL; m && *m; m++)
                        if (covers(*m, path, "/proc"))
                                files &= ~bit;
        }
        return files;
}

/* The /sys files the Sentry synthesizes: the CPU lists, when the container's
 * mount on /sys is the sandbox's skeleton (a sysfs mount or the host's /sys
 * bound there: oci_mount_is_sysfs, src/linux/sysfs_skeleton.c),
 * but those a mount of the config or linux.maskedPaths covers (LXCFS binds
 * its own /sys/devices/system/cpu/online), which the container gets as
 * configured. */
static unsigned sysfs_files(const struct oci_spec *spec) {
        bool sys = false;
        for (size_t i = 0; i < spec->n_mounts; i++)
                if (spec->mounts[i].destination && strcmp(spec->mounts[i].destination, "/sys") == 0)
                        sys = oci_mount_is_sysfs(&spec->mounts[i]);
        if (!sys)
                return 0;
        unsigned files = SENTRY_SYSFS_ALL;
        for (unsigned bit = 1; bit & SENTRY_SYSFS_ALL; bit <<= 1) {
                const char *path = sentry_sysfs_path(bit);
                for (size_t i = 0; i < spec->n_mounts; i++)
                        if (spec->mounts[i].destination && covers(spec->mounts[i].destination, path, "/sys"))
                                files &= ~bit;
                for (char **m = spec->has_linux ? spec->linux.masked_paths : NULL; m && *m; m++)
                        if (covers(*m, path, "/sys"))
                                files &= ~bit;
        }
        return files;
}

/*
 * Where the container's uptime starts: now, while `create` runs, unless the
 * workload has a time namespace of its own, whose boot clock the config set
 * (linux.timeOffsets) or that was joined: then the host's boot plus its
 * offset, as the kernel's /proc/uptime shows it there.
 */
static int uptime_base(pid_t workload, int64_t *ret) {
        struct timespec boot;
        clock_gettime(CLOCK_BOOTTIME, &boot);
        *ret = (int64_t) boot.tv_sec * 1000000000 + boot.tv_nsec;
        char theirs[64];
        struct stat a, b;
        snprintf(theirs, sizeof theirs, "/proc/%d/ns/time_for_children", workload);
        if (stat(theirs, &a) < 0 || stat("/proc/self/ns/time", &b) < 0) {
                if (errno == ENOENT)
                        return 0; /* a kernel without time namespaces */
                return log_error_errno(-errno, "stat %s", theirs);
        }
        if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
                return 0;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/timens_offsets", workload);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return log_error_errno(-errno, "open %s", path);
        char clock[32];
        long long secs;
        long nsecs;
        while (fscanf(f, "%31s %lld %ld", clock, &secs, &nsecs) == 3)
                if (strcmp(clock, "boottime") == 0 || strcmp(clock, "7") == 0 /* CLOCK_BOOTTIME */) {
                        *ret = -(secs * 1000000000 + nsecs);
                        return 0;
                }
        return log_fail(-EINVAL, "%s: no boottime offset", path);
}

static bool has_controller(const char *list, const char *name) {
        size_t n = strlen(name);
        for (const char *p = list; p && *p;) {
                const char *end = strchrnul(p, ',');
                if ((size_t) (end - p) == n && strncmp(p, name, n) == 0)
                        return true;
                p = *end ? end + 1 : end;
        }
        return false;
}

/* The container's directory of the hierarchy with `controller` (v1), else
 * its cgroup2 directory on a pure v2 host, opened O_PATH for the Sentry. */
static int open_cgroup_dir(const struct cgroup *cg, const char *controller, struct sentry_cgroup_dir *ret) {
        const struct cgroup_dir *found = NULL;
        for (size_t i = 0; i < cg->n_dirs && !found; i++)
                if (!cg->dirs[i].v2 && has_controller(cg->dirs[i].controllers, controller))
                        found = &cg->dirs[i];
        for (size_t i = 0; i < cg->n_dirs && !found; i++)
                if (cg->dirs[i].v2 && cg->layout == CGROUP_LAYOUT_V2)
                        found = &cg->dirs[i];
        /* hybrid: CPU time is in every cgroup2 directory's cpu.stat */
        for (size_t i = 0; i < cg->n_dirs && !found && strcmp(controller, "cpuacct") == 0; i++)
                if (cg->dirs[i].v2)
                        found = &cg->dirs[i];
        if (!found)
                return log_fail(-ENOENT, "no cgroup hierarchy with the %s controller for the Sentry's /proc files",
                                controller);
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", found->mount, found->path);
        ret->fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (ret->fd < 0)
                return log_error_errno(-errno, "open %s", path);
        ret->v2 = found->v2;
        return 0;
}

/* Into W's network, IPC and UTS namespaces: `state`'s pid is ours, and
 * what finds the container's namespaces through it must not land in the
 * host's: tools (nsenter -t PID -n, as with runsc's sandbox process) and
 * engines (containerd's CRI makes a pod's containers join
 * /proc/<sandbox pid>/ns/{net,ipc,uts}).  We need none of them ourselves. */
static int join_workload_namespaces(pid_t workload) {
        static const struct {
                const char *name;
                int type;
        } nss[] = {{"net", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}};
        for (size_t i = 0; i < sizeof nss / sizeof *nss; i++) {
                char theirs[64], ours[64];
                snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", workload, nss[i].name);
                snprintf(ours, sizeof ours, "/proc/self/ns/%s", nss[i].name);
                struct stat a, b;
                if (stat(theirs, &a) < 0)
                        return log_error_errno(-errno, "stat %s", theirs);
                if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
                        continue;
                _cleanup_close_ int fd = open(theirs, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, nss[i].type) < 0)
                        return log_error_errno(-errno, "join the container's %s namespace", nss[i].name);
        }
        return 0;
}

/* The maps of W's user namespace as we see them; none when it is ours. */
static int read_id_map(pid_t workload, const char *name, struct sentry_id_map *map, unsigned *n) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", workload, name);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return log_error_errno(-errno, "open %s", path);
        *n = 0;
        unsigned long in, out, count;
        while (fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3) {
                if (*n == SENTRY_ID_MAP_MAX)
                        return log_fail(-E2BIG, "%s: more than %d lines", path, SENTRY_ID_MAP_MAX);
                map[(*n)++] = (struct sentry_id_map){(uint32_t) in, (uint32_t) out, (uint32_t) count};
        }
        /* the initial namespace's identity map: nothing to translate */
        if (*n == 1 && map[0].inside == 0 && map[0].outside == 0 && map[0].count == UINT32_MAX)
                *n = 0;
        return 0;
}

/* Step 3, up to READY: everything the Sentry needs, opened while we still can. */
static int prepare(struct supervisor *sv) {
        const struct sandbox_create *sc = sv->sc;
        struct cocoon_ctx *ctx = sc->ctx;
        int r = join_workload_namespaces(sv->workload);
        if (r < 0)
                return r;
        sv->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (sv->proc_fd < 0)
                return log_error_errno(-errno, "open /proc");
        /* The container's stdio belongs to the workload: holding it would
         * keep a reader from seeing EOF.  Our log lines go to --log, or to
         * stderr without one (documented: --strace lines included). */
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0)
                return log_error_errno(-errno, "open /dev/null");
        if (dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
            (ctx->log.fd >= 0 && dup2(null, STDERR_FILENO) < 0))
                return log_error_errno(-errno, "redirect the supervisor's stdio");
        if (ctx->log.fd < 0)
                log_set_fd(STDERR_FILENO);

        /* A closed log pipe must not kill the container with SIGPIPE.  After
         * W and G exist: they must not inherit this or the mask below. */
        signal(SIGPIPE, SIG_IGN);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaddset(&set, forwarded[i]);
        /* blocked before the Sentry's threads exist, so they inherit it */
        sigprocmask(SIG_BLOCK, &set, NULL);
        sv->signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
        sv->event_fd = eventfd(0, EFD_CLOEXEC);
        if (sv->signal_fd < 0 || sv->event_fd < 0)
                return log_error_errno(-errno, "signalfd/eventfd");

        sv->cfg = (struct sentry_config){
                .notify_fd = sv->listener,
                .gofer_ctl_fd = sv->gofer_ctl,
                .control_fd = sv->control_fd,
                .proc_fd = sv->proc_fd,
                .workload_proc_fd = -1,
                .release = sentry_release_of(sc), /* never the host's */
                .hostname = sc->spec->hostname,
                .domainname = sc->spec->domainname,
                .memory_limit = memory_limit(sc->spec),
                .strace = ctx->strace,
                .net_raw = sentry_net_raw(sc->spec->process),
                .gofer_pid = sv->gofer,
                .cg_memory = {.fd = -1},
                .cg_cpu = {.fd = -1},
                .cg_cpuacct = {.fd = -1},
        };
        if ((r = uptime_base(sv->workload, &sv->cfg.uptime_base_ns)) < 0)
                return r;
        sv->cfg.procfs_files = sc->cgroup ? procfs_files(sc->spec) : 0;
        sv->cfg.sysfs_files = sc->cgroup ? sysfs_files(sc->spec) : 0;
        if (sv->cfg.procfs_files || sv->cfg.sysfs_files) {
                if ((r = open_cgroup_dir(sc->cgroup, "memory", &sv->cg_memory)) < 0 ||
                    (r = open_cgroup_dir(sc->cgroup, "cpu", &sv->cg_cpu)) < 0 ||
                    (r = open_cgroup_dir(sc->cgroup, "cpuacct", &sv->cg_cpuacct)) < 0)
                        return r;
                sv->cfg.cg_memory = sv->cg_memory;
                sv->cfg.cg_cpu = sv->cg_cpu;
                sv->cfg.cg_cpuacct = sv->cg_cpuacct;
        }
        if (sv->cfg.procfs_files & SENTRY_PROCFS_MOUNTS) {
                /* W's /proc, where /proc/<pid> of the workload's mount tables
                 * is found as the workload names it.  Opened now, as root:
                 * the Sentry (uid nobody) could not search a rootfs whose
                 * root directory is 0700 on the way there. */
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/root/proc", sv->workload);
                sv->workload_proc_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (sv->workload_proc_fd < 0)
                        return log_error_errno(-errno, "open %s", path);
                sv->cfg.workload_proc_fd = sv->workload_proc_fd;
        }
        if ((r = read_id_map(sv->workload, "uid_map", sv->cfg.uid_map, &sv->cfg.n_uid_map)) < 0 ||
            (r = read_id_map(sv->workload, "gid_map", sv->cfg.gid_map, &sv->cfg.n_gid_map)) < 0)
                return r;
        return sentry_confine(&(struct sentry_confine_config){
                .workload = sv->workload, .gofer = sv->gofer, .proc_fd = sv->proc_fd, .workload_pidfd = -1});
}

static void *serve(void *arg) {
        struct supervisor *sv = arg;
        sv->serve_result = sentry_serve(&sv->cfg);
        uint64_t one = 1;
        ssize_t n = write(sv->event_fd, &one, sizeof one);
        (void) n;
        return NULL;
}

static void reap(pid_t pid) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

/* Fail closed: the container ends with its Sentry or Gofer. */
static _Noreturn __attribute__((format(printf, 3, 4))) void kill_container(struct supervisor *sv, bool gofer_alive,
                                                                          const char *fmt, ...) {
        char why[LOG_FORWARD_MAX - 64];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        log_fail(-ECANCELED, "sentry: %s; killing the container", why);
        kill(sv->workload, SIGKILL);
        reap(sv->workload);
        if (gofer_alive) {
                kill(sv->gofer, SIGKILL);
                reap(sv->gofer);
        }
        exit_like_status(SIGKILL); /* as a wait status: "killed by SIGKILL" (137 for the engine) */
}

/* Step 3, after READY, and step 4. */
static _Noreturn void run(struct supervisor *sv) {
        pthread_t t;
        int r = pthread_create(&t, NULL, serve, sv);
        if (r != 0)
                kill_container(sv, true, "cannot start the Sentry of container \"%s\": %s", sv->sc->id, strerror(r));
        for (;;) {
                struct pollfd pf[2] = {{.fd = sv->signal_fd, .events = POLLIN}, {.fd = sv->event_fd, .events = POLLIN}};
                if (poll(pf, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        kill_container(sv, true, "the supervisor of container \"%s\": poll: %s", sv->sc->id,
                                       strerror(errno));
                }
                if (pf[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sv->signal_fd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD)
                                kill(sv->workload, (int) si.ssi_signo);
                        int status;
                        pid_t pid;
                        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                                if (pid == sv->workload) {
                                        /* its pid namespace is empty by now (the kernel
                                         * reaps pid 1 last); the Gofer has nothing left to serve.
                                         * A Sentry worker may still wait on it for a call of a
                                         * task that died with the namespace (a FIFO open blocked
                                         * in the Gofer: Gofer calls cannot be cancelled); killing
                                         * the Gofer breaks that call, which is no error of a
                                         * container that exited: from now on errors are debug lines. */
                                        log_demote_errors();
                                        kill(sv->gofer, SIGKILL);
                                        reap(sv->gofer);
                                        exit_like_status(status);
                                }
                                if (pid == sv->gofer) {
                                        char what[96];
                                        wait_status_describe(status, what, sizeof what);
                                        kill_container(sv, false, "the gofer of container \"%s\" died: %s", sv->sc->id,
                                                       what);
                                }
                        }
                }
                if (pf[1].revents & POLLIN) {
                        uint64_t v;
                        ssize_t n = read(sv->event_fd, &v, sizeof v);
                        (void) n;
                        int e = sv->serve_result;
                        if (e == -EPIPE || e == -ECONNRESET)
                                kill_container(sv, true, "the gofer of container \"%s\" died (its connection broke)",
                                               sv->sc->id);
                        if (e < 0)
                                kill_container(sv, true, "the Sentry of container \"%s\" failed: %s", sv->sc->id,
                                               strerror(-e));
                        /* 0: every listener is gone, so is the workload: its SIGCHLD follows */
                }
        }
}

_Noreturn void sentry_supervise(const struct sentry_supervisor_args *args) {
        const struct sandbox_create *sc = args->sc;
        struct supervisor sv = {
                .sc = sc,
                .report_fd = args->report_fd,
                .control_fd = args->control_fd,
                .listener = -1,
                .gofer_ctl = -1,
                .proc_fd = -1,
                .workload_proc_fd = -1,
                .cg_memory = {.fd = -1},
                .cg_cpu = {.fd = -1},
                .cg_cpuacct = {.fd = -1},
        };
        /* (sandbox_keeper_spawn: the parent-death signal is set and our
         * errors go to create) */
        /* Whatever `cocoon create` (or `run`) held is not ours to keep: above
         * all the container's lock (flock is shared by every holder), and
         * `run`'s console socketpair, whose EOF it waits for.  Kept: what
         * the init inherits (stdio, $LISTEN_FDS and --preserve-fds, its
         * sockets) and ours. */
        int keep[] = {sv.report_fd, sv.control_fd, sc->console_fd, sc->exec_listen_fd, log_get_fd()};
        int passed = 3 + sc->opts->listen_fds + sc->opts->preserve_fds;
        if (sentry_close_fds_except(passed, keep, ELEMENTSOF(keep)) < 0) {
                log_error_errno(-errno, "close the supervisor's inherited fds");
                _exit(1);
        }
        /* We hold host fds and privileges: nobody on the host but root may
         * ptrace us or open our /proc files (W and G inherit it). */
        prctl(PR_SET_DUMPABLE, 0);
        prctl(PR_SET_NAME, "cocoon-sentry");
        if (sync_expect(sv.report_fd, SYNC_GO, NULL) < 0)
                _exit(1);
        if (start_workload(&sv) < 0 || prepare(&sv) < 0)
                _exit(1);
        /* From here on we belong to the container, not to the cocoon that made us. */
        prctl(PR_SET_PDEATHSIG, 0);
        if (sync_send(sv.report_fd, SYNC_READY, sv.workload) < 0) {
                kill(sv.workload, SIGKILL);
                _exit(1);
        }
        close(sv.report_fd);
        log_forward_to(-1);
        run(&sv);
}
