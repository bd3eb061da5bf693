/* SPDX-License-Identifier: MIT */
/*
 * Lifecycle benchmark driver: create + start + wait + delete of one
 * container, timed per phase, for several OCI runtimes side by side.
 *
 *   lifecycle BUNDLE RUNS WARMUP NAME=BINARY=ROOT [NAME=BINARY=ROOT ...]
 *
 * Extra global flags for a runtime come from the environment variable
 * BENCH_FLAGS_<NAME> (split on spaces), e.g. BENCH_FLAGS_cocoon="--debug";
 * pid files are written to $BENCH_PIDDIR (default: a fresh /tmp directory).
 * A runtime named in $BENCH_RETRY (space-separated names) may fail a run:
 * the run is done again, up to 3 times per sample, and the failures are
 * counted in its result line; any other failure ends the benchmark.
 *
 * Each iteration, for each runtime (the order alternates every iteration so
 * neither runtime always runs on a cold or warm cache):
 *   create  RT --root ROOT create --bundle BUNDLE --pid-file F ID   (wait4: rusage)
 *   start   RT --root ROOT start ID
 *   wait    the pid from F has exited.  The driver is a child subreaper, so
 *           the container process is re-parented to it when `create` exits;
 *           a pidfd (poll) tells when it exits whoever its parent is, and
 *           waitid(P_PIDFD) reaps it and checks its status when it is ours.
 *   delete  RT --root ROOT delete ID
 * The measured time is the sum of the four phases; the only work outside
 * the clock is reading /proc/PID/status of the created (not yet started)
 * container process for its resident size.
 *
 * On any failure the driver prints the failing command's output, runs
 * `delete --force` and exits 1; on SIGINT/SIGTERM it lets the command in
 * flight finish (so no runtime process is orphaned), deletes the container
 * and exits 128+signal.  Output: one "result" line per runtime,
 * key=value, parsed by lifecycle.sh, plus a human table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

enum { PH_CREATE, PH_START, PH_WAIT, PH_DELETE, PH_N };

struct runtime {
        const char *name, *bin, *root;
        char **flags; /* global flags before the subcommand */
        size_t n_flags;
        double *total, *phase[PH_N]; /* ms per measured run */
        long *create_rss_kb;         /* ru_maxrss of the create process */
        long *init_rss_kb;           /* VmRSS of the created container process */
        long *create_cpu_us;         /* user+sys of create (and its reaped children) */
        unsigned unreaped;           /* container processes that were not our children */
        bool retry;                  /* named in $BENCH_RETRY */
        unsigned failed;             /* runs failed and done again */
};

static volatile sig_atomic_t got_signal;
/* the container process between create and the wait phase, which reaps it */
static pid_t keep_pid;
static void on_signal(int sig) {
        got_signal = sig;
}

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void dump_output(int fd) {
        char buf[4096];
        ssize_t n;
        if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return;
        while ((n = read(fd, buf, sizeof buf)) > 0)
                fwrite(buf, 1, n, stderr);
}

/* Run RT [flags] --root ROOT ARGS...; stdout+stderr go to a memfd so that the
 * container (which inherits create's stdio) never blocks on a pipe.
 * Returns the exit status (0..255, 128+sig), or -1; *out_fd keeps the output. */
static int run(const struct runtime *rt, char *const *args, struct rusage *ru, int *out_fd) {
        char *argv[64];
        size_t n = 0;
        argv[n++] = (char *)rt->bin;
        for (size_t i = 0; i < rt->n_flags && n < 40; i++)
                argv[n++] = rt->flags[i];
        argv[n++] = "--root";
        argv[n++] = (char *)rt->root;
        for (size_t i = 0; args[i] && n < 62; i++)
                argv[n++] = args[i];
        argv[n] = NULL;

        int out = memfd_create("bench-out", MFD_CLOEXEC);
        if (out < 0) {
                perror("memfd_create");
                return -1;
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out, 1);
        posix_spawn_file_actions_adddup2(&fa, out, 2);
        pid_t pid;
        int r = posix_spawn(&pid, rt->bin, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0) {
                fprintf(stderr, "lifecycle: spawn %s: %s\n", rt->bin, strerror(r));
                close(out);
                return -1;
        }
        /* Reap the runtime's helpers that exit while the command runs (we
         * are their subreaper): runsc's delete waits for its Gofer to be
         * gone, and a zombie is not gone. */
        for (;;) {
                siginfo_t si = { 0 };
                if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (si.si_pid == pid || si.si_pid == keep_pid)
                        break; /* the command, or the container the wait phase reaps */
                waitpid(si.si_pid, NULL, 0);
        }
        int status;
        struct rusage ignored;
        while (wait4(pid, &status, 0, ru ? ru : &ignored) < 0)
                if (errno != EINTR) {
                        perror("wait4");
                        close(out);
                        return -1;
                }
        if (out_fd)
                *out_fd = out;
        else
                close(out);
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

static void fail_cmd(const struct runtime *rt, const char *what, const char *id, int status, int out) {
        fprintf(stderr, "lifecycle: %s: `%s %s %s` failed (status %d); its output:\n", rt->name, rt->bin,
                what, id, status);
        dump_output(out);
        fprintf(stderr, "--- end of output\n");
}

static void force_delete(const struct runtime *rt, const char *id) {
        char *args[] = { "delete", "--force", (char *)id, NULL };
        run(rt, args, NULL, NULL);
}

static void reap_strays(void) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
}

static long read_pid(const char *path) {
        FILE *f = fopen(path, "re");
        long pid = -1;
        if (!f)
                return -1;
        if (fscanf(f, "%ld", &pid) != 1)
                pid = -1;
        fclose(f);
        return pid;
}

static long vm_rss_kb(long pid) {
        char path[64], line[256];
        long kb = -1;
        snprintf(path, sizeof path, "/proc/%ld/status", pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof line, f))
                if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
                        break;
        fclose(f);
        return kb;
}

/* One lifecycle; on success stores the sample at index `slot` (or nothing if slot < 0). */
static int one_run(struct runtime *rt, const char *bundle, const char *piddir, unsigned iter, int slot) {
        char id[96], pidfile[512];
        snprintf(id, sizeof id, "bench-%s-%d-%u", rt->name, (int)getpid(), iter);
        snprintf(pidfile, sizeof pidfile, "%s/%s.pid", piddir, id);
        unlink(pidfile);

        double ph[PH_N];
        int out = -1, st, pidfd = -1;
        struct rusage ru;

        double t = now_ms();
        char *create[] = { "create", "--bundle", (char *)bundle, "--pid-file", pidfile, id, NULL };
        st = run(rt, create, &ru, &out);
        ph[PH_CREATE] = now_ms() - t;
        if (st != 0) {
                fail_cmd(rt, "create", id, st, out);
                goto fail;
        }
        close(out);
        out = -1;

        /* Outside the clock: the container process and its size while created. */
        long cpid = read_pid(pidfile);
        if (cpid <= 0) {
                fprintf(stderr, "lifecycle: %s: create succeeded but %s holds no pid\n", rt->name, pidfile);
                goto fail;
        }
        pidfd = (int)syscall(SYS_pidfd_open, (pid_t)cpid, 0);
        if (pidfd < 0) {
                fprintf(stderr, "lifecycle: %s: pidfd_open(%ld): %s\n", rt->name, cpid, strerror(errno));
                goto fail;
        }
        long init_rss = vm_rss_kb(cpid);
        keep_pid = (pid_t)cpid;

        t = now_ms();
        char *start[] = { "start", id, NULL };
        st = run(rt, start, NULL, &out);
        ph[PH_START] = now_ms() - t;
        if (st != 0) {
                fail_cmd(rt, "start", id, st, out);
                goto fail;
        }
        close(out);
        out = -1;

        t = now_ms();
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
        for (;;) {
                int r = poll(&pfd, 1, 10000);
                if (r > 0)
                        break;
                if (r == 0) {
                        fprintf(stderr, "lifecycle: %s: container process %ld still running 10 s after start\n",
                                rt->name, cpid);
                        goto fail;
                }
                if (errno != EINTR) {
                        perror("poll");
                        goto fail;
                }
                if (got_signal)
                        goto fail;
        }
        siginfo_t si = { 0 };
        if (waitid(P_PIDFD, pidfd, &si, WEXITED) == 0) {
                if (si.si_code != CLD_EXITED || si.si_status != 0) {
                        fprintf(stderr, "lifecycle: %s: /bin/true in the container ended with %s %d\n", rt->name,
                                si.si_code == CLD_EXITED ? "status" : "signal", si.si_status);
                        goto fail;
                }
        } else {
                rt->unreaped++; /* not our child: its own monitor reaps it */
        }
        ph[PH_WAIT] = now_ms() - t;
        keep_pid = 0;
        close(pidfd);
        pidfd = -1;

        t = now_ms();
        char *del[] = { "delete", id, NULL };
        st = run(rt, del, NULL, &out);
        ph[PH_DELETE] = now_ms() - t;
        if (st != 0) {
                fail_cmd(rt, "delete", id, st, out);
                goto fail;
        }
        close(out);
        reap_strays();
        unlink(pidfile);

        if (slot >= 0) {
                double sum = 0;
                for (int p = 0; p < PH_N; p++) {
                        rt->phase[p][slot] = ph[p];
                        sum += ph[p];
                }
                rt->total[slot] = sum;
                rt->create_rss_kb[slot] = ru.ru_maxrss;
                rt->init_rss_kb[slot] = init_rss;
                rt->create_cpu_us[slot] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L +
                                          ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
        }
        return 0;

fail:
        keep_pid = 0;
        if (out >= 0)
                close(out);
        if (pidfd >= 0)
                close(pidfd);
        force_delete(rt, id);
        reap_strays();
        unlink(pidfile);
        return -1;
}

static int cmp_d(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}
static int cmp_l(const void *a, const void *b) {
        long x = *(const long *)a, y = *(const long *)b;
        return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double pct_d(const double *v, int n, double p) {
        int k = (int)(p * n + 0.999999) - 1;
        if (k < 0)
                k = 0;
        if (k >= n)
                k = n - 1;
        return v[k];
}
static double median_d(double *v, int n) {
        qsort(v, n, sizeof *v, cmp_d);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
static long median_l(long *v, int n) {
        qsort(v, n, sizeof *v, cmp_l);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void split_flags(struct runtime *rt) {
        char var[128];
        snprintf(var, sizeof var, "BENCH_FLAGS_%s", rt->name);
        const char *env = getenv(var);
        if (!env || !*env)
                return;
        char *copy = strdup(env), *save = NULL;
        rt->flags = calloc(32, sizeof *rt->flags);
        for (char *tok = strtok_r(copy, " ", &save); tok && rt->n_flags < 32; tok = strtok_r(NULL, " ", &save))
                rt->flags[rt->n_flags++] = tok;
}

int main(int argc, char **argv) {
        if (argc < 5) {
                fprintf(stderr, "usage: %s BUNDLE RUNS WARMUP NAME=BINARY=ROOT...\n", argv[0]);
                return 2;
        }
        const char *bundle = argv[1];
        int runs = atoi(argv[2]), warm = atoi(argv[3]);
        int nrt = argc - 4;
        if (runs < 1 || warm < 0) {
                fprintf(stderr, "lifecycle: bad RUNS/WARMUP\n");
                return 2;
        }
        struct runtime *rts = calloc(nrt, sizeof *rts);
        for (int i = 0; i < nrt; i++) {
                char *s = strdup(argv[4 + i]);
                char *a = strchr(s, '='), *b = a ? strchr(a + 1, '=') : NULL;
                if (!a || !b) {
                        fprintf(stderr, "lifecycle: bad runtime spec %s (NAME=BINARY=ROOT)\n", argv[4 + i]);
                        return 2;
                }
                *a = *b = '\0';
                rts[i].name = s;
                rts[i].bin = a + 1;
                rts[i].root = b + 1;
                split_flags(&rts[i]);
                const char *retry = getenv("BENCH_RETRY");
                for (const char *p = retry ? strstr(retry, s) : NULL; p; p = strstr(p + 1, s)) {
                        size_t l = strlen(s);
                        if ((p == retry || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\0'))
                                rts[i].retry = true;
                }
                rts[i].total = calloc(runs, sizeof(double));
                for (int p = 0; p < PH_N; p++)
                        rts[i].phase[p] = calloc(runs, sizeof(double));
                rts[i].create_rss_kb = calloc(runs, sizeof(long));
                rts[i].init_rss_kb = calloc(runs, sizeof(long));
                rts[i].create_cpu_us = calloc(runs, sizeof(long));
        }

        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
                perror("prctl(PR_SET_CHILD_SUBREAPER)");
                return 1;
        }
        /* Pid files go to $BENCH_PIDDIR (lifecycle.sh's work dir, removed by
         * its cleanup), else to a directory of our own. */
        char tmpl[] = "/tmp/cocoon-bench-pid.XXXXXX";
        const char *piddir = getenv("BENCH_PIDDIR");
        bool own_piddir = !piddir || !*piddir;
        if (own_piddir && !(piddir = mkdtemp(tmpl))) {
                perror("mkdtemp");
                return 1;
        }
        /* SIGINT/SIGTERM: finish the command in flight, delete the container, exit. */
        struct sigaction sa = { .sa_handler = on_signal };
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);

        int rc = 0;
        for (int it = 0; it < warm + runs && rc == 0; it++) {
                for (int k = 0; k < nrt && rc == 0; k++) {
                        if (got_signal) {
                                fprintf(stderr, "lifecycle: interrupted\n");
                                rc = 128 + got_signal;
                                break;
                        }
                        int i = (it % 2) ? nrt - 1 - k : k;
                        int r = -1;
                        for (unsigned attempt = 0; attempt < 4 && r < 0 && !got_signal; attempt++) {
                                r = one_run(&rts[i], bundle, piddir, (unsigned)it * 4 + attempt,
                                            it < warm ? -1 : it - warm);
                                if (r < 0 && !rts[i].retry)
                                        break;
                                if (r < 0) {
                                        rts[i].failed++;
                                        fprintf(stderr, "lifecycle: %s: run failed, done again (BENCH_RETRY)\n",
                                                rts[i].name);
                                }
                        }
                        if (r < 0) {
                                rc = 1;
                                break;
                        }
                }
        }
        if (own_piddir)
                rmdir(piddir);
        /* Give late helpers (monitors that exit after delete) a moment, then reap. */
        usleep(50000);
        reap_strays();
        if (rc)
                return rc;

        printf("%-8s %9s %9s %9s %9s | %7s %7s %7s %7s | %10s %10s %9s\n", "runtime", "median", "p90", "min",
               "max", "create", "start", "wait", "delete", "createRSS", "initRSS", "createCPU");
        for (int i = 0; i < nrt; i++) {
                struct runtime *rt = &rts[i];
                double med_ph[PH_N];
                for (int p = 0; p < PH_N; p++)
                        med_ph[p] = median_d(rt->phase[p], runs);
                double med = median_d(rt->total, runs); /* sorts total */
                double p90 = pct_d(rt->total, runs, 0.90);
                long rss = median_l(rt->create_rss_kb, runs);
                long irss = median_l(rt->init_rss_kb, runs);
                long cpu = median_l(rt->create_cpu_us, runs);
                printf("%-8s %6.2f ms %6.2f ms %6.2f ms %6.2f ms | %7.2f %7.2f %7.2f %7.2f | %7.1f MiB %7.1f MiB %6.2f ms\n",
                       rt->name, med, p90, rt->total[0], rt->total[runs - 1], med_ph[PH_CREATE], med_ph[PH_START],
                       med_ph[PH_WAIT], med_ph[PH_DELETE], rss / 1024.0, irss / 1024.0, cpu / 1000.0);
        }
        for (int i = 0; i < nrt; i++) {
                struct runtime *rt = &rts[i];
                /* arrays are sorted now */
                printf("result name=%s median_ms=%.3f p90_ms=%.3f create_rss_kb=%ld init_rss_kb=%ld unreaped=%u failed=%u\n",
                       rt->name, median_d(rt->total, runs), pct_d(rt->total, runs, 0.90),
                       median_l(rt->create_rss_kb, runs), median_l(rt->init_rss_kb, runs), rt->unreaped,
                       rt->failed);
        }
        return 0;
}
