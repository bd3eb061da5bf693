/* SPDX-License-Identifier: MIT */
/*
 * The Sentry's syscall boundary: one verdict per x86_64 syscall number,
 * declared in src/sentry/syscalls.def (the single source for the workload's
 * seccomp filter, docs/syscalls.md and the counts `cocoon features` prints).
 *
 *   host    the host kernel runs the call directly (optionally only when a
 *           register test holds: HOST_IF)
 *   sentry  the call is delivered to the Sentry (seccomp user notification)
 *   deny    a fixed errno, as Linux gives an unprivileged process
 *   kill    the whole process dies (also: x32 numbers and foreign
 *           architectures such as `int 0x80`, through the filter's arch check)
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <seccomp.h>

/* Highest syscall number the table knows (Linux 6.18: file_setattr). */
#define BOUNDARY_NR_MAX 469

enum boundary_action {
        BOUNDARY_MISSING, /* a number syscalls.def forgot: never a valid verdict */
        BOUNDARY_HOST,
        BOUNDARY_SENTRY,
        BOUNDARY_DENY,
        BOUNDARY_KILL,
};

enum boundary_family {
        BOUNDARY_FAMILY_FILE,
        BOUNDARY_FAMILY_IO,
        BOUNDARY_FAMILY_MEMORY,
        BOUNDARY_FAMILY_PROCESS,
        BOUNDARY_FAMILY_SIGNAL,
        BOUNDARY_FAMILY_TIME,
        BOUNDARY_FAMILY_NET,
        BOUNDARY_FAMILY_IPC,
        BOUNDARY_FAMILY_SYNC,
        BOUNDARY_FAMILY_SECURITY,
        BOUNDARY_FAMILY_SYSTEM,
        BOUNDARY_FAMILY_NONE, /* unassigned numbers */
};

/* Filter options that depend on the container's configuration. */
enum boundary_option {
        BOUNDARY_OPT_NONE,
        BOUNDARY_OPT_NET_RAW, /* the container holds CAP_NET_RAW */
};

struct boundary_opts {
        bool net_raw; /* allow raw and packet sockets host-direct */
};

struct boundary_verdict {
        enum boundary_action action;
        int err; /* BOUNDARY_DENY: the positive errno */
};

/* One register comparison, as libseccomp takes it. */
struct boundary_cmp {
        unsigned arg;
        enum scmp_compare op; /* SCMP_CMP_EQ or SCMP_CMP_MASKED_EQ */
        uint64_t a, b;        /* EQ: a; MASKED_EQ: (arg & a) == b */
        const char *text;     /* as written in syscalls.def */
};

#define BOUNDARY_ALT_MAX 3

/* All comparisons must hold; counts only when its option is enabled. */
struct boundary_alt {
        enum boundary_option option;
        unsigned n_cmp;
        struct boundary_cmp cmp[BOUNDARY_ALT_MAX];
};

/* The register test of a HOST_IF entry: any alternative may hold. */
struct boundary_cond {
        const char *name;
        const char *summary;
        const struct boundary_alt *alt;
        unsigned n_alt;
};

/* The entry of one number (its index in the table). */
struct boundary_entry {
        const char *name; /* NULL: unassigned number */
        enum boundary_family family;
        struct boundary_verdict verdict;
        const struct boundary_cond *cond;  /* HOST only when it holds, else: */
        struct boundary_verdict otherwise; /* SENTRY or DENY */
        const char *reason;
};

/* Entry for nr (unassigned numbers have one too), NULL outside 0..BOUNDARY_NR_MAX. */
const struct boundary_entry *sentry_boundary_lookup(long nr);
/* Number of the syscall called name, or -ENOENT. */
int sentry_boundary_nr(const char *name);

/* Assigned numbers per action (unassigned numbers are not syscalls and not counted). */
void sentry_boundary_counts(unsigned *host, unsigned *sentry, unsigned *denied, unsigned *killed);

const char *sentry_boundary_family_name(enum boundary_family f);
const char *sentry_boundary_option_name(enum boundary_option o);

/* Whether the register test c holds for these arguments, as the filter
 * built with o decides it (the Sentry asks for related calls: socketpair
 * with what socket() allows). */
bool sentry_boundary_cond_holds(const struct boundary_cond *c, const struct boundary_opts *o, const uint64_t args[6]);

/* The workload's filter.  Unmatched calls (SENTRY entries, the complement of
 * HOST_IF tests, numbers above BOUNDARY_NR_MAX) go to the listener. */
int sentry_boundary_filter(const struct boundary_opts *o, scmp_filter_ctx *ret);

/* Load ctx (built by sentry_boundary_filter) on the calling thread with
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV where the kernel has it (5.19),
 * no_new_privs untouched: the listener fd, or -errno. */
int sentry_boundary_load(scmp_filter_ctx ctx);

/* docs/syscalls.md */
int sentry_boundary_write_doc(FILE *f);
