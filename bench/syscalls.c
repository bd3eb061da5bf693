/* SPDX-License-Identifier: MIT */
/*
 * Syscall microbenchmark, run inside a container (and natively, chrooted
 * into the same rootfs) by bench/syscalls.sh.  Built with gcc -static -O2 so
 * that it needs nothing from the rootfs and dynamic loading costs nothing.
 *
 *   syscalls [-b BATCHES] [-s SCALE] [-d DIR] [-o OP,OP...]
 *
 *   -b BATCHES  measured batches per op (default 5); one shorter warm-up
 *               batch runs first and is discarded
 *   -s SCALE    multiply every iteration count (default 1; QUICK uses 0.01)
 *   -d DIR      where the fixtures are (default /bench): DIR/data, a file of
 *               at least 4 KiB, and DIR/true, a tiny static program that
 *               exits 0 (bench/true.c)
 *   -o OPS      only these ops (comma-separated names, as printed)
 *
 * The batches of all ops are interleaved (batch 1 of every op, then batch 2
 * of every op, ...) so that a burst of load from the other processes on the
 * machine spreads over all ops instead of spoiling one; a batch's value is
 * its mean ns per op and an op's result is the median of its batches.
 *
 * Output (stdout), for bench/syscalls.sh to pool across runs:
 *   batch OP NS        one line per measured batch (mean ns per op)
 *   error OP MESSAGE   the op failed (it is not run again)
 * followed by a human summary whose lines start with '#'.  Exit status 0
 * when every op ran, 1 when one failed, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCHES 64
#define MAP_LEN (64 * 1024)
#define READ_LEN 4096

static char data_path[4096], true_path[4096];
static int data_fd = -1;
static char read_buf[READ_LEN];
/* An exec failure in a forked child is reported through this shared page:
 * the child's exit status alone cannot carry errno. */
static volatile int *child_errno;

/* Each op runs `n` iterations; it returns 0 or a negative errno and, for
 * failures that are not an errno, fills `why`. */
typedef int (*op_fn)(long n, char *why, size_t why_len);

static int op_getppid(long n, char *why, size_t why_len) {
        (void)why, (void)why_len;
        for (long i = 0; i < n; i++)
                /* the raw syscall: no libc may ever cache it */
                syscall(SYS_getppid);
        return 0;
}

static int op_open_close(long n, char *why, size_t why_len) {
        (void)why, (void)why_len;
        for (long i = 0; i < n; i++) {
                int fd = open(data_path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                close(fd);
        }
        return 0;
}

static int op_stat(long n, char *why, size_t why_len) {
        (void)why, (void)why_len;
        struct stat st;
        for (long i = 0; i < n; i++)
                if (stat(data_path, &st) < 0)
                        return -errno;
        return 0;
}

static int op_pread(long n, char *why, size_t why_len) {
        for (long i = 0; i < n; i++) {
                ssize_t r = pread(data_fd, read_buf, READ_LEN, 0);
                if (r < 0)
                        return -errno;
                if (r != READ_LEN) {
                        snprintf(why, why_len, "short read: %zd of %d bytes", r, READ_LEN);
                        return -EIO;
                }
        }
        return 0;
}

static int op_mmap(long n, char *why, size_t why_len) {
        (void)why, (void)why_len;
        for (long i = 0; i < n; i++) {
                /* untouched: the cost of the two calls, not of page faults */
                void *p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                        return -errno;
                if (munmap(p, MAP_LEN) < 0)
                        return -errno;
        }
        return 0;
}

/* waitpid for `pid`; 0 when it exited 0, else a message in `why`. */
static int reap(pid_t pid, const char *what, char *why, size_t why_len) {
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && *child_errno)
                snprintf(why, why_len, "%s: exec %s: %s", what, true_path, strerror(*child_errno));
        else if (WIFEXITED(st))
                snprintf(why, why_len, "%s: child exited %d", what, WEXITSTATUS(st));
        else
                snprintf(why, why_len, "%s: child killed by signal %d", what, WTERMSIG(st));
        return -ECHILD;
}

static int op_fork_wait(long n, char *why, size_t why_len) {
        for (long i = 0; i < n; i++) {
                pid_t pid = fork();
                if (pid < 0)
                        return -errno;
                if (pid == 0)
                        _exit(0);
                int r = reap(pid, "fork+wait", why, why_len);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int op_fork_exec(long n, char *why, size_t why_len) {
        char *argv[] = {"true", NULL}, *envp[] = {NULL};
        for (long i = 0; i < n; i++) {
                pid_t pid = fork();
                if (pid < 0)
                        return -errno;
                if (pid == 0) {
                        execve(true_path, argv, envp);
                        *child_errno = errno;
                        _exit(127);
                }
                int r = reap(pid, "fork+exec", why, why_len);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One round trip: the parent writes a byte to the child, the child writes it
 * back.  The child is forked outside the clock, once per batch. */
static int op_pipe(long n, char *why, size_t why_len) {
        int to_child[2], to_parent[2];
        if (pipe2(to_child, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(to_parent, O_CLOEXEC) < 0) {
                int e = errno;
                close(to_child[0]), close(to_child[1]);
                return -e;
        }
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(to_child[0]), close(to_child[1]), close(to_parent[0]), close(to_parent[1]);
                return -e;
        }
        if (pid == 0) {
                char c;
                close(to_child[1]), close(to_parent[0]);
                for (;;) {
                        ssize_t r = read(to_child[0], &c, 1);
                        if (r == 0)
                                _exit(0);
                        if (r < 0 && errno == EINTR)
                                continue;
                        if (r < 0 || write(to_parent[1], &c, 1) != 1)
                                _exit(1);
                }
        }
        close(to_child[0]), close(to_parent[1]);
        int ret = 0;
        char c = 'x';
        for (long i = 0; i < n && ret == 0; i++) {
                if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1) {
                        ret = errno ? -errno : -EPIPE;
                        snprintf(why, why_len, "pipe ping-pong: round trip %ld failed", i);
                }
        }
        close(to_child[1]); /* EOF ends the child */
        close(to_parent[0]);
        int r = reap(pid, "pipe ping-pong child", why, why_len);
        return ret < 0 ? ret : r;
}

struct op {
        const char *name;
        op_fn fn;
        long iters; /* per batch, before -s */
        bool selected, failed;
        long n;
        double ns[MAX_BATCHES];
        int done;
};

/* The counts keep one native batch around 5-50 ms; a runtime that traps
 * every syscall (runsc: ~44 us each) takes about a second per batch. */
static struct op ops[] = {
        {.name = "getppid", .fn = op_getppid, .iters = 20000},
        {.name = "open+close", .fn = op_open_close, .iters = 5000},
        {.name = "stat", .fn = op_stat, .iters = 5000},
        {.name = "pread-4k", .fn = op_pread, .iters = 20000},
        {.name = "mmap+munmap-64k", .fn = op_mmap, .iters = 5000},
        {.name = "fork+wait", .fn = op_fork_wait, .iters = 500},
        {.name = "fork+exec", .fn = op_fork_exec, .iters = 200},
        {.name = "pipe-pingpong", .fn = op_pipe, .iters = 10000},
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

/* Run one batch of `op`; returns its mean ns per iteration, or < 0 after
 * printing the error line. */
static double run_batch(struct op *op, long n) {
        char why[512] = "";
        errno = 0;
        uint64_t t0 = now_ns();
        int r = op->fn(n, why, sizeof(why));
        uint64_t t1 = now_ns();
        if (r < 0) {
                if (why[0])
                        printf("error %s %s\n", op->name, why);
                else
                        printf("error %s %s (errno %d)\n", op->name, strerror(-r), -r);
                op->failed = true;
                return -1;
        }
        return (double)(t1 - t0) / (double)n;
}

/* As pid 1 of a container the program would ignore ^C (a signal without a
 * handler does not reach a pid namespace's init), so handle it: the run ends
 * at once and the ping-pong child sees EOF and exits. */
static void on_signal(int sig) {
        _exit(128 + sig);
}

static void usage(void) {
        fprintf(stderr, "usage: syscalls [-b BATCHES] [-s SCALE] [-d DIR] [-o OP,OP...]\n");
        exit(2);
}

int main(int argc, char **argv) {
        int batches = 5;
        double scale = 1;
        const char *dir = "/bench", *only = NULL;
        int c;
        while ((c = getopt(argc, argv, "b:s:d:o:")) != -1) {
                switch (c) {
                case 'b':
                        batches = atoi(optarg);
                        if (batches < 1 || batches > MAX_BATCHES)
                                usage();
                        break;
                case 's':
                        scale = strtod(optarg, NULL);
                        if (!(scale > 0))
                                usage();
                        break;
                case 'd':
                        dir = optarg;
                        break;
                case 'o':
                        only = optarg;
                        break;
                default:
                        usage();
                }
        }
        if (optind != argc)
                usage();
        snprintf(data_path, sizeof(data_path), "%s/data", dir);
        snprintf(true_path, sizeof(true_path), "%s/true", dir);

        for (size_t i = 0; i < N_OPS; i++) {
                struct op *op = &ops[i];
                op->selected = true;
                if (only) {
                        /* exact match of one comma-separated name */
                        size_t len = strlen(op->name);
                        const char *p = only;
                        op->selected = false;
                        while ((p = strstr(p, op->name))) {
                                if ((p == only || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
                                        op->selected = true;
                                p += len;
                        }
                }
                op->n = (long)((double)op->iters * scale);
                if (op->n < 3)
                        op->n = 3;
        }

        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        child_errno = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (child_errno == MAP_FAILED) {
                perror("syscalls: mmap");
                return 1;
        }
        data_fd = open(data_path, O_RDONLY | O_CLOEXEC);
        if (data_fd < 0)
                printf("error pread-4k open %s: %s\n", data_path, strerror(errno));

        /* warm-up (a fifth of a batch: page cache, dentry cache, the Sentry's
         * caches), then the measured batches, interleaved across ops */
        for (int b = -1; b < batches; b++) {
                for (size_t i = 0; i < N_OPS; i++) {
                        struct op *op = &ops[i];
                        if (!op->selected || op->failed)
                                continue;
                        if (op->fn == op_pread && data_fd < 0) {
                                op->failed = true;
                                continue;
                        }
                        long n = b < 0 ? (op->n + 4) / 5 : op->n;
                        double ns = run_batch(op, n);
                        if (ns < 0 || b < 0)
                                continue;
                        op->ns[op->done++] = ns;
                        printf("batch %s %.1f\n", op->name, ns);
                }
                fflush(stdout);
        }

        int ret = 0;
        printf("# %-16s %8s %7s %12s %12s %12s\n", "op", "iters", "batches", "median_ns", "min_ns", "max_ns");
        for (size_t i = 0; i < N_OPS; i++) {
                struct op *op = &ops[i];
                if (!op->selected)
                        continue;
                if (op->failed || op->done == 0) {
                        printf("# %-16s %8ld %7s %12s\n", op->name, op->n, "-", "failed");
                        ret = 1;
                        continue;
                }
                double s[MAX_BATCHES];
                memcpy(s, op->ns, sizeof(double) * (size_t)op->done);
                qsort(s, (size_t)op->done, sizeof(double), cmp_double);
                double med = op->done % 2 ? s[op->done / 2] : (s[op->done / 2 - 1] + s[op->done / 2]) / 2;
                printf("# %-16s %8ld %7d %12.1f %12.1f %12.1f\n", op->name, op->n, op->done, med, s[0],
                       s[op->done - 1]);
        }
        return ret;
}
