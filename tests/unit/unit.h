/* SPDX-License-Identifier: MIT */
/*
 * A minimal unit-test harness: one header, no registration, no framework.
 *
 *   int main(void) {
 *           test_something();           // plain functions full of CHECK*()
 *           return unit_summary();      // "N passed, N failed"; exit status 1 on failure
 *   }
 *
 * Every failed check prints one line "FAIL file:line: what" on stdout, so
 * the output of a passing binary is just the summary line.  stdout is used
 * because tests often capture stderr (unit_capture_begin()) to check the
 * library's one-line error messages.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int unit_passed_, unit_failed_;

__attribute__((format(printf, 3, 4), unused)) static void unit_fail_(const char *file, int line, const char *fmt,
                                                                      ...) {
        va_list ap;
        unit_failed_++;
        printf("FAIL %s:%d: ", file, line);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

#define UNIT_PASS_() (unit_passed_++)
#define UNIT_FAIL_(...) unit_fail_(__FILE__, __LINE__, __VA_ARGS__)

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (cond)                                                                          \
                        UNIT_PASS_();                                                              \
                else                                                                               \
                        UNIT_FAIL_("%s", #cond);                                                   \
        } while (0)

#define CHECK_INT_EQ(a, b)                                                                         \
        do {                                                                                       \
                long long a_ = (long long) (a), b_ = (long long) (b);                              \
                if (a_ == b_)                                                                      \
                        UNIT_PASS_();                                                              \
                else                                                                               \
                        UNIT_FAIL_("%s == %s (%lld != %lld)", #a, #b, a_, b_);                     \
        } while (0)

#define CHECK_UINT_EQ(a, b)                                                                        \
        do {                                                                                       \
                unsigned long long a_ = (unsigned long long) (a), b_ = (unsigned long long) (b);   \
                if (a_ == b_)                                                                      \
                        UNIT_PASS_();                                                              \
                else                                                                               \
                        UNIT_FAIL_("%s == %s (%#llx != %#llx)", #a, #b, a_, b_);                   \
        } while (0)

/* NULL-safe: two NULLs are equal. */
#define CHECK_STR_EQ(a, b)                                                                         \
        do {                                                                                       \
                const char *a_ = (a), *b_ = (b);                                                   \
                if ((!a_ && !b_) || (a_ && b_ && strcmp(a_, b_) == 0))                             \
                        UNIT_PASS_();                                                              \
                else                                                                               \
                        UNIT_FAIL_("%s == %s (\"%s\" != \"%s\")", #a, #b, a_ ? a_ : "(null)",      \
                                   b_ ? b_ : "(null)");                                            \
        } while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                                            \
        do {                                                                                       \
                const char *h_ = (hay), *n_ = (needle);                                            \
                if (h_ && n_ && strstr(h_, n_))                                                    \
                        UNIT_PASS_();                                                              \
                else                                                                               \
                        UNIT_FAIL_("%s contains %s (\"%s\" lacks \"%s\")", #hay, #needle,          \
                                   h_ ? h_ : "(null)", n_ ? n_ : "(null)");                        \
        } while (0)

/* expr returns 0 / a negative errno. */
#define CHECK_OK(expr)                                                                             \
        do {                                                                                       \
                int r_ = (expr);                                                                   \
                if (r_ == 0)                                                                       \
                        UNIT_PASS_();                                                              \
                else                                                                               \
                        UNIT_FAIL_("%s returned %d (%s)", #expr, r_, strerror(r_ < 0 ? -r_ : r_)); \
        } while (0)

#define CHECK_ERR(expr, err)                                                                       \
        do {                                                                                       \
                int r_ = (expr), e_ = (err);                                                       \
                if (r_ == e_)                                                                      \
                        UNIT_PASS_();                                                              \
                else                                                                               \
                        UNIT_FAIL_("%s returned %d, expected %d", #expr, r_, e_);                  \
        } while (0)

/* Print the summary line and return the exit status for main(). */
__attribute__((unused)) static int unit_summary(void) {
        printf("%d passed, %d failed\n", unit_passed_, unit_failed_);
        fflush(stdout);
        return unit_failed_ ? 1 : 0;
}

/* ---- capturing stderr ---------------------------------------------------------------------- */

struct unit_capture {
        int saved_fd;
        FILE *tmp;
};

/* Redirect fd 2 into a temporary file until unit_capture_end(). */
__attribute__((unused)) static void unit_capture_begin(struct unit_capture *c) {
        fflush(stderr);
        c->tmp = tmpfile();
        c->saved_fd = dup(STDERR_FILENO);
        if (!c->tmp || c->saved_fd < 0 || dup2(fileno(c->tmp), STDERR_FILENO) < 0) {
                perror("unit_capture_begin");
                exit(2);
        }
}

/* Restore fd 2; returns everything written meanwhile (malloc'ed, never NULL). */
__attribute__((unused)) static char *unit_capture_end(struct unit_capture *c) {
        fflush(stderr);
        dup2(c->saved_fd, STDERR_FILENO);
        close(c->saved_fd);
        long n = ftell(c->tmp);
        char *buf = calloc(1, n > 0 ? (size_t) n + 1 : 1);
        if (!buf)
                exit(2);
        rewind(c->tmp);
        if (n > 0 && fread(buf, 1, (size_t) n, c->tmp) != (size_t) n)
                buf[0] = 0;
        fclose(c->tmp);
        return buf;
}

/* ---- fixture files ------------------------------------------------------------------------- */

/* Directory of tests/unit/data: $UNIT_DATA_DIR, else found from the current
 * directory or upwards from the test binary (build/unit/, build/asan/unit/). */
__attribute__((unused)) static const char *unit_data_dir(void) {
        static char dir[PATH_MAX];
        if (dir[0])
                return dir;
        const char *env = getenv("UNIT_DATA_DIR");
        if (env && *env) {
                snprintf(dir, sizeof dir, "%s", env);
                return dir;
        }
        if (access("tests/unit/data", F_OK) == 0) {
                snprintf(dir, sizeof dir, "tests/unit/data");
                return dir;
        }
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
                exe[n] = 0;
                for (int up = 0; up < 6; up++) {
                        char *slash = strrchr(exe, '/');
                        if (!slash)
                                break;
                        *slash = 0;
                        char cand[PATH_MAX + 32];
                        snprintf(cand, sizeof cand, "%s/tests/unit/data", exe);
                        if (strlen(cand) < sizeof dir && access(cand, F_OK) == 0) {
                                memcpy(dir, cand, strlen(cand) + 1);
                                return dir;
                        }
                }
        }
        snprintf(dir, sizeof dir, "tests/unit/data");
        return dir;
}

/* Whole file from the data directory (malloc'ed, NUL-terminated); exits if missing. */
__attribute__((unused)) static char *unit_read_data(const char *name, size_t *len) {
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", unit_data_dir(), name);
        FILE *f = fopen(path, "re");
        if (!f) {
                printf("FAIL cannot open fixture %s: %s\n", path, strerror(errno));
                exit(2);
        }
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap);
        for (size_t got; buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
                n += got;
                if (n + 1 == cap) {
                        char *nb = realloc(buf, cap *= 2);
                        if (!nb)
                                free(buf);
                        buf = nb;
                }
        }
        fclose(f);
        if (!buf)
                exit(2);
        buf[n] = 0;
        if (len)
                *len = n;
        return buf;
}

/* ---- checks inside a child that cannot use stdio ------------------------------------------ */

/* Counts of a child's own checks (a filtered child, a workload under test). */
struct child_tally {
        int passed, failed;
};

/* A child under a seccomp filter may only make host calls, and a child may
 * _exit with stdio buffers unflushed: report with snprintf + write. */
__attribute__((format(printf, 1, 2), unused)) static void child_say(const char *fmt, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (n > 0 && write(STDOUT_FILENO, buf, (size_t) n < sizeof buf ? (size_t) n : sizeof buf - 1) < 0)
                return;
}

/* CHILD_CHECK(tally, "in the workload", cond) */
#define CHILD_CHECK(t, where, cond)                                                                \
        do {                                                                                       \
                if (cond) {                                                                        \
                        (t)->passed++;                                                             \
                } else {                                                                           \
                        int e_ = errno;                                                            \
                        (t)->failed++;                                                             \
                        child_say("FAIL %s:%d: (%s) %s [errno %d %s]\n", __FILE__, __LINE__, where,  \
                                  #cond, e_, strerrorname_np(e_) ?: "?");                          \
                }                                                                                  \
        } while (0)

#define FAILS_WITH(call, err) ((call) == -1 && errno == (err))
