/* SPDX-License-Identifier: MIT */
/*
 * The boundary table (expanded from syscalls.def) and the workload's seccomp
 * filter built from it.
 *
 * The filter's default action is the Sentry (SCMP_ACT_NOTIFY), not an errno:
 * libseccomp cannot give one syscall an unconditional action plus
 * exceptions (an unconditional rule replaces the conditional ones, and
 * overlapping rules have no defined precedence), and it allows one
 * comparison per argument per rule, so the complement of an allow-list of
 * values cannot be written as rules.  With NOTIFY as the default, the
 * complement of every HOST_IF test reaches the Sentry without being
 * spelled out, and SENTRY entries need no rule at all (libseccomp even
 * refuses a rule whose action is the default).  Unassigned numbers get an
 * explicit ENOSYS rule; numbers above BOUNDARY_NR_MAX reach the Sentry,
 * which answers ENOSYS for numbers it does not know.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <asm/termbits.h> /* struct termios2, for TCGETS2 and friends */
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <netinet/in.h>

#include "cleanup.h"
#include "log.h"
#include "sentry/boundary.h"

/* ---- conditions -------------------------------------------------------------------------- */

#define EQ(i, v) {.arg = (i), .op = SCMP_CMP_EQ, .a = (uint64_t) (v), .text = "arg" #i " == " #v}
#define MASKED_EQ(i, m, v)                                                                         \
        {.arg = (i), .op = SCMP_CMP_MASKED_EQ, .a = (uint64_t) (m), .b = (uint64_t) (v),           \
         .text = "(arg" #i " & " #m ") == " #v}
#define ALT_IF(o, ...)                                                                             \
        {.option = BOUNDARY_OPT_##o,                                                               \
         .n_cmp = sizeof((struct boundary_cmp[]){__VA_ARGS__}) / sizeof(struct boundary_cmp),      \
         .cmp = {__VA_ARGS__}}
#define ALT(...) ALT_IF(NONE, __VA_ARGS__)
#define SYSCALL(...)
#define UNASSIGNED(...)

#define COND(name, summary, ...) static const struct boundary_alt cond_alts_##name[] = {__VA_ARGS__};
#include "sentry/syscalls.def"
#undef COND

enum {
#define COND(name, ...) BOUNDARY_COND_##name,
#include "sentry/syscalls.def"
#undef COND
};

static const struct boundary_cond conds[] = {
#define COND(name_, summary_, ...)                                                                 \
        [BOUNDARY_COND_##name_] = {.name = #name_,                                                 \
                                   .summary = (summary_),                                          \
                                   .alt = cond_alts_##name_,                                       \
                                   .n_alt = ELEMENTSOF(cond_alts_##name_)},
#include "sentry/syscalls.def"
#undef COND
};

#undef SYSCALL
#undef UNASSIGNED

/* ---- the table --------------------------------------------------------------------------- */

#define COND(...)
#define V_HOST {BOUNDARY_HOST, 0}
#define V_SENTRY {BOUNDARY_SENTRY, 0}
#define V_DENY(e) {BOUNDARY_DENY, (e)}
#define V_KILL {BOUNDARY_KILL, 0}
#define A_HOST .verdict = V_HOST
#define A_SENTRY .verdict = V_SENTRY
#define A_DENY(e) .verdict = V_DENY(e)
#define A_KILL .verdict = V_KILL
/* `otherwise` is pasted, not expanded, so DENY(E) becomes V_DENY(E). */
#define A_HOST_IF(c, otherwise_) .verdict = V_HOST, .cond = &conds[BOUNDARY_COND_##c], .otherwise = V_##otherwise_

/* Indexed by number: a number given twice fails the build (-Woverride-init,
 * part of -Wextra), a number above BOUNDARY_NR_MAX overflows the array, and a
 * number given none keeps reason == NULL, which the filter builder and the
 * unit test refuse. */
static const struct boundary_entry table[BOUNDARY_NR_MAX + 1] = {
#define SYSCALL(nr_, name_, family_, action_, reason_)                                             \
        [nr_] = {.name = #name_, .family = BOUNDARY_FAMILY_##family_, A_##action_, .reason = (reason_)},
#define UNASSIGNED(first, last, reason_)                                                           \
        [first ... last] = {.family = BOUNDARY_FAMILY_NONE, .verdict = V_DENY(ENOSYS), .reason = (reason_)},
#include "sentry/syscalls.def"
};

const struct boundary_entry *sentry_boundary_lookup(long nr) {
        if (nr < 0 || nr > BOUNDARY_NR_MAX)
                return NULL;
        return &table[nr];
}

int sentry_boundary_nr(const char *name) {
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++)
                if (table[nr].name && strcmp(table[nr].name, name) == 0)
                        return nr;
        return -ENOENT;
}

void sentry_boundary_counts(unsigned *host, unsigned *sentry, unsigned *denied, unsigned *killed) {
        unsigned n[BOUNDARY_KILL + 1] = {0};
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++)
                if (table[nr].name)
                        n[table[nr].verdict.action]++;
        *host = n[BOUNDARY_HOST];
        *sentry = n[BOUNDARY_SENTRY];
        *denied = n[BOUNDARY_DENY];
        *killed = n[BOUNDARY_KILL];
}

const char *sentry_boundary_family_name(enum boundary_family f) {
        static const char *const names[] = {
                [BOUNDARY_FAMILY_FILE] = "file",       [BOUNDARY_FAMILY_IO] = "io",
                [BOUNDARY_FAMILY_MEMORY] = "memory",   [BOUNDARY_FAMILY_PROCESS] = "process",
                [BOUNDARY_FAMILY_SIGNAL] = "signal",   [BOUNDARY_FAMILY_TIME] = "time",
                [BOUNDARY_FAMILY_NET] = "net",         [BOUNDARY_FAMILY_IPC] = "ipc",
                [BOUNDARY_FAMILY_SYNC] = "sync",       [BOUNDARY_FAMILY_SECURITY] = "security",
                [BOUNDARY_FAMILY_SYSTEM] = "system",   [BOUNDARY_FAMILY_NONE] = "-",
        };
        return (unsigned) f < ELEMENTSOF(names) ? names[f] : "?";
}

const char *sentry_boundary_option_name(enum boundary_option o) {
        switch (o) {
        case BOUNDARY_OPT_NONE:
                return NULL;
        case BOUNDARY_OPT_NET_RAW:
                return "CAP_NET_RAW";
        }
        return "?";
}

/* ---- the filter -------------------------------------------------------------------------- */

static bool option_enabled(const struct boundary_opts *o, enum boundary_option opt) {
        switch (opt) {
        case BOUNDARY_OPT_NONE:
                return true;
        case BOUNDARY_OPT_NET_RAW:
                return o->net_raw;
        }
        return false;
}

static bool cmp_holds(const struct boundary_cmp *c, const uint64_t args[6]) {
        uint64_t v = args[c->arg];
        if (c->op == SCMP_CMP_MASKED_EQ)
                return (v & c->a) == c->b;
        return v == c->a;
}

bool sentry_boundary_cond_holds(const struct boundary_cond *c, const struct boundary_opts *o, const uint64_t args[6]) {
        static const struct boundary_opts defaults = {0};
        if (!o)
                o = &defaults;
        for (unsigned i = 0; i < c->n_alt; i++) {
                const struct boundary_alt *alt = &c->alt[i];
                if (!option_enabled(o, alt->option))
                        continue;
                bool all = true;
                for (unsigned j = 0; j < alt->n_cmp && all; j++)
                        all = cmp_holds(&alt->cmp[j], args);
                if (all)
                        return true;
        }
        return false;
}

static uint32_t scmp_action(const struct boundary_verdict *v) {
        switch (v->action) {
        case BOUNDARY_HOST:
                return SCMP_ACT_ALLOW;
        case BOUNDARY_DENY:
                return SCMP_ACT_ERRNO((uint32_t) v->err);
        case BOUNDARY_KILL:
                return SCMP_ACT_KILL_PROCESS;
        case BOUNDARY_SENTRY:
        case BOUNDARY_MISSING:
                break;
        }
        return SCMP_ACT_NOTIFY;
}

static int add_rule(scmp_filter_ctx ctx, const char *name, int nr, uint32_t action, unsigned n,
                    const struct scmp_arg_cmp *cmp) {
        /* _exact: the rule goes in as written, never rewritten for another ABI. */
        int r = seccomp_rule_add_exact_array(ctx, action, nr, n, cmp);
        if (r < 0)
                return log_error_errno(r, "seccomp rule for syscall %d (%s)", nr, name);
        return 0;
}

static struct scmp_arg_cmp scmp_cmp(const struct boundary_cmp *c) {
        return (struct scmp_arg_cmp){.arg = c->arg, .op = c->op, .datum_a = c->a, .datum_b = c->b};
}

/*
 * Rules for the calls that fail the single alternative `alt`: some
 * comparison fails.  EQ negates to NE; (arg & m) == v fails when some bit of
 * m differs from v, one MASKED_EQ per bit, so the rules are exactly the
 * complement of the ALLOW rule and never overlap it.
 */
static int add_complement(scmp_filter_ctx ctx, const char *name, int nr, uint32_t action,
                          const struct boundary_alt *alt) {
        for (unsigned i = 0; i < alt->n_cmp; i++) {
                const struct boundary_cmp *c = &alt->cmp[i];
                int r;
                if (c->op == SCMP_CMP_EQ) {
                        struct scmp_arg_cmp ne = {.arg = c->arg, .op = SCMP_CMP_NE, .datum_a = c->a};
                        r = add_rule(ctx, name, nr, action, 1, &ne);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (c->op != SCMP_CMP_MASKED_EQ || (c->b & ~c->a) != 0)
                        return log_fail(-EINVAL, "syscalls.def: %s: cannot negate %s", name, c->text);
                for (unsigned bit = 0; bit < 64; bit++) {
                        uint64_t m = UINT64_C(1) << bit;
                        if (!(c->a & m))
                                continue;
                        struct scmp_arg_cmp differs = {
                                .arg = c->arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = m, .datum_b = ~c->b & m};
                        r = add_rule(ctx, name, nr, action, 1, &differs);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int add_host_if(scmp_filter_ctx ctx, const struct boundary_opts *o, int nr, const struct boundary_entry *e) {
        const struct boundary_alt *only = NULL;
        unsigned active = 0;
        for (unsigned i = 0; i < e->cond->n_alt; i++) {
                const struct boundary_alt *alt = &e->cond->alt[i];
                if (!option_enabled(o, alt->option))
                        continue;
                struct scmp_arg_cmp cmp[BOUNDARY_ALT_MAX];
                for (unsigned j = 0; j < alt->n_cmp; j++)
                        cmp[j] = scmp_cmp(&alt->cmp[j]);
                int r = add_rule(ctx, e->name, nr, SCMP_ACT_ALLOW, alt->n_cmp, cmp);
                if (r < 0)
                        return r;
                only = alt;
                active++;
        }
        if (e->otherwise.action == BOUNDARY_SENTRY)
                return 0; /* the default action */
        if (active == 0)
                return add_rule(ctx, e->name, nr, scmp_action(&e->otherwise), 0, NULL);
        if (active > 1)
                return log_fail(-EINVAL, "syscalls.def: %s: a DENY complement needs a condition with "
                                         "one alternative (%s has %u)", e->name, e->cond->name, active);
        return add_complement(ctx, e->name, nr, scmp_action(&e->otherwise), only);
}

int sentry_boundary_filter(const struct boundary_opts *o, scmp_filter_ctx *ret) {
        static const struct boundary_opts defaults = {0};
        if (!o)
                o = &defaults;

        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
        if (!ctx)
                return log_fail(-ENOMEM, "seccomp_init failed");

        /* x32 numbers and foreign architectures (int 0x80) take the bad-arch
         * action; a binary search tree keeps ~470 rules cheap per syscall. */
        int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r >= 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r < 0) {
                seccomp_release(ctx);
                return log_error_errno(r, "seccomp filter attributes");
        }

        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++) {
                const struct boundary_entry *e = &table[nr];
                const char *name = e->name ?: "unassigned";
                if (!e->reason || e->verdict.action == BOUNDARY_MISSING) {
                        r = log_fail(-EINVAL, "syscalls.def: syscall %d has no entry", nr);
                } else if (e->cond) {
                        r = add_host_if(ctx, o, nr, e);
                } else if (e->verdict.action == BOUNDARY_SENTRY) {
                        r = 0; /* the default action */
                } else {
                        r = add_rule(ctx, name, nr, scmp_action(&e->verdict), 0, NULL);
                }
                if (r < 0) {
                        seccomp_release(ctx);
                        return r;
                }
        }
        *ret = ctx;
        return 0;
}

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/*
 * Why not seccomp_load: a workload thread waits for the Sentry's answer in
 * the kernel, and without WAIT_KILLABLE_RECV any signal ends that wait with
 * -ERESTARTSYS: a handler without SA_RESTART sees EINTR from lstat or
 * unlink, which Linux never interrupts, and with SA_RESTART the call runs
 * again although the Sentry may have performed it already.  With the flag,
 * once the Sentry has received the call only a fatal signal ends the wait.
 * libseccomp 2.5 (Debian 12) cannot set it (2.6: SCMP_FLTATR_CTL_WAITKILL),
 * so the program is exported and loaded here, with the flags seccomp_load
 * would use (a listener; no_new_privs is the config's, not ours).
 */
int sentry_boundary_load(scmp_filter_ctx ctx) {
        _cleanup_close_ int mfd = memfd_create("cocoon-boundary", MFD_CLOEXEC);
        if (mfd < 0)
                return log_error_errno(-errno, "memfd for the Sentry's seccomp filter");
        int r = seccomp_export_bpf(ctx, mfd);
        if (r < 0)
                return log_error_errno(r, "export the Sentry's seccomp filter");
        struct stat st;
        if (fstat(mfd, &st) < 0)
                return log_error_errno(-errno, "export the Sentry's seccomp filter");
        size_t len = (size_t) st.st_size;
        if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return log_error_errno(-E2BIG, "the Sentry's seccomp filter has %zu bytes", len);
        _cleanup_free_ struct sock_filter *insns = malloc(len);
        if (!insns)
                return log_error_errno(-ENOMEM, "the Sentry's seccomp filter");
        if (pread(mfd, insns, len, 0) != (ssize_t) len)
                return log_error_errno(-EIO, "read back the Sentry's seccomp filter");
        struct sock_fprog prog = {.len = (unsigned short) (len / sizeof(struct sock_filter)), .filter = insns};
        long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                          SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
        if (fd < 0 && errno == EINVAL) /* before Linux 5.19: signals interrupt Sentry calls (docs/sentry.md) */
                fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (fd < 0)
                return log_error_errno(-errno, "load the Sentry's seccomp filter");
        return (int) fd;
}
