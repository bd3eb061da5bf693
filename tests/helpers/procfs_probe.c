// SPDX-License-Identifier: MIT
// The calls behind the synthesized /proc files that a shell cannot make,
// run inside a container by tests/integration/sentry.sh:
//
//   procfs_probe openat DIR NAME   first line of NAME opened relative to a descriptor of DIR
//   procfs_probe write PATH        "rdwr ERR wronly ERR trunc ERR" (ERR: ok or the errno's name)
//   procfs_probe fstat PATH        "size N reads N": fstat's size of the open file, bytes read
//   procfs_probe affinity          CPUs in sched_getaffinity(0)
//   procfs_probe pread PATH        "same" when two preads at offset 0 agree
//   procfs_probe bench PATH N      microseconds per open + read to the end + close, N times
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *err_name(int e) {
        switch (e) {
        case 0: return "ok";
        case EROFS: return "EROFS";
        case EACCES: return "EACCES";
        case EPERM: return "EPERM";
        case ENOENT: return "ENOENT";
        case EIO: return "EIO";
        default: return strerror(e);
        }
}

static int first_line(int fd) {
        char buf[256];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n < 0) {
                perror("read");
                return 1;
        }
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        puts(buf);
        return 0;
}

static int try_open(const char *path, int flags) {
        int fd = open(path, flags);
        if (fd < 0)
                return errno;
        close(fd);
        return 0;
}

int main(int argc, char **argv) {
        if (argc == 4 && strcmp(argv[1], "openat") == 0) {
                int dir = open(argv[2], O_RDONLY | O_DIRECTORY);
                int fd = dir < 0 ? -1 : openat(dir, argv[3], O_RDONLY);
                if (fd < 0) {
                        perror("openat");
                        return 1;
                }
                return first_line(fd);
        }
        if (argc == 3 && strcmp(argv[1], "write") == 0) {
                printf("rdwr %s wronly %s trunc %s\n", err_name(try_open(argv[2], O_RDWR)),
                       err_name(try_open(argv[2], O_WRONLY)), err_name(try_open(argv[2], O_RDONLY | O_TRUNC)));
                return 0;
        }
        if (argc == 3 && strcmp(argv[1], "fstat") == 0) {
                int fd = open(argv[2], O_RDONLY);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0) {
                        perror(argv[2]);
                        return 1;
                }
                char buf[65536];
                ssize_t n, total = 0;
                while ((n = read(fd, buf, sizeof buf)) > 0)
                        total += n;
                printf("size %lld reads %zd\n", (long long) st.st_size, total);
                return 0;
        }
        if (argc == 2 && strcmp(argv[1], "affinity") == 0) {
                cpu_set_t set;
                if (sched_getaffinity(0, sizeof set, &set) < 0) {
                        perror("sched_getaffinity");
                        return 1;
                }
                printf("%d\n", CPU_COUNT(&set));
                return 0;
        }
        if (argc == 3 && strcmp(argv[1], "pread") == 0) {
                int fd = open(argv[2], O_RDONLY);
                char a[4096], b[4096];
                ssize_t na = fd < 0 ? -1 : pread(fd, a, sizeof a, 0), nb = fd < 0 ? -1 : pread(fd, b, sizeof b, 0);
                if (na <= 0 || na != nb || memcmp(a, b, (size_t) na) != 0) {
                        printf("differ %zd %zd\n", na, nb);
                        return 1;
                }
                puts("same");
                return 0;
        }
        if (argc == 4 && strcmp(argv[1], "bench") == 0) {
                long n = atol(argv[3]);
                char buf[65536];
                struct timespec a, b;
                clock_gettime(CLOCK_MONOTONIC, &a);
                for (long i = 0; i < n; i++) {
                        int fd = open(argv[2], O_RDONLY);
                        if (fd < 0) {
                                perror(argv[2]);
                                return 1;
                        }
                        while (read(fd, buf, sizeof buf) > 0)
                                ;
                        close(fd);
                }
                clock_gettime(CLOCK_MONOTONIC, &b);
                double us = ((double) (b.tv_sec - a.tv_sec) * 1e9 + (double) (b.tv_nsec - a.tv_nsec)) / 1e3;
                printf("%s %.1f us\n", argv[2], n > 0 ? us / (double) n : 0);
                return 0;
        }
        fprintf(stderr, "usage: procfs_probe openat DIR NAME | write PATH | fstat PATH | affinity | pread PATH | bench PATH N\n");
        return 2;
}
