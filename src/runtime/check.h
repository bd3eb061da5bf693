/* SPDX-License-Identifier: MIT */
/*
 * `cocoon check`: is this host ready to run each sandbox?  Every probe does
 * the real thing where it can (creates a seccomp listener and has it install
 * an fd, creates a user namespace, makes and removes a cgroup) and prints one
 * line: OK, WARN (works, but something is slower or missing for one use) or
 * FAIL (a sandbox cannot run here), with the fix.  Modelled on
 * `kata-runtime check`.
 */
#pragma once

#include <stdio.h>

enum check_level {
        CHECK_OK,
        CHECK_WARN,
        CHECK_FAIL,
};

/* The sandboxes a probe matters for: a FAIL under a scope makes the
 * summary line of each sandbox in it a FAIL too. */
enum {
        CHECK_NONE = 1 << 0,
        CHECK_SENTRY = 1 << 1,
        CHECK_VM = 1 << 2,
};

struct check_report {
        FILE *out;
        unsigned counts[3];
        unsigned scope;      /* CHECK_* bits of the probe running now */
        char failed[3][160]; /* per sandbox: the probes that failed, ", "-separated */
};

/* One line: "LEVEL what: detail" and, unless OK, "; fix: ..." (fix may be NULL);
 * a FAIL is charged to the sandboxes of rep->scope. */
void check_line(struct check_report *rep, enum check_level level, const char *what, const char *fix,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The kernel probes (check_probes.c). */
void check_seccomp_notify(struct check_report *rep);
void check_user_namespace(struct check_report *rep);
void check_namespaces(struct check_report *rep);
void check_sentry_syscalls(struct check_report *rep);
void check_cgroups(struct check_report *rep);

/* Every probe, in report order; returns the number of FAIL lines. */
unsigned cocoon_check(FILE *out);
