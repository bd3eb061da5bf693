/* SPDX-License-Identifier: MIT */
/*
 * docs/syscalls.md, rendered from the boundary table (`make docs`; the unit
 * test fails when the committed file differs from this output).
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "sentry/boundary.h"

/* Table cells: a literal '|' would end the cell. */
static void cell(FILE *f, const char *s) {
        for (; *s; s++) {
                if (*s == '|')
                        fputc('\\', f);
                fputc(*s, f);
        }
}

static const char *errno_name(int err) {
        const char *n = strerrorname_np(err);
        return n ? n : "?";
}

static void verdict_text(FILE *f, const struct boundary_verdict *v) {
        switch (v->action) {
        case BOUNDARY_HOST:
                fputs("host", f);
                break;
        case BOUNDARY_SENTRY:
                fputs("Sentry", f);
                break;
        case BOUNDARY_DENY:
                fputs(errno_name(v->err), f);
                break;
        case BOUNDARY_KILL:
                fputs("kill", f);
                break;
        case BOUNDARY_MISSING:
                fputs("?", f);
                break;
        }
}

static void write_conds(FILE *f) {
        fputs("## Register tests of conditional host entries\n\n"
              "A call runs on the host when any listed alternative holds (all comparisons of an\n"
              "alternative must hold); every other call takes the entry's `else` action.\n"
              "Arguments are the raw 64-bit registers, so a value with stray upper bits fails\n"
              "the test and goes the safe way.\n",
              f);
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++) {
                const struct boundary_entry *e = sentry_boundary_lookup(nr);
                if (!e->cond)
                        continue;
                bool first_use = true;
                for (int before = 0; before < nr; before++)
                        first_use = first_use && sentry_boundary_lookup(before)->cond != e->cond;
                if (!first_use)
                        continue;
                const struct boundary_cond *c = e->cond;
                fprintf(f, "\n### `%s`\n\n%s.\n\n", c->name, c->summary);
                for (unsigned i = 0; i < c->n_alt; i++) {
                        const struct boundary_alt *alt = &c->alt[i];
                        fputs("- ", f);
                        for (unsigned j = 0; j < alt->n_cmp; j++)
                                fprintf(f, "%s`%s`", j ? " and " : "", alt->cmp[j].text);
                        const char *opt = sentry_boundary_option_name(alt->option);
                        if (opt)
                                fprintf(f, " (only with %s)", opt);
                        fputc('\n', f);
                }
                fputs("\nUsed by:", f);
                for (int other = nr; other <= BOUNDARY_NR_MAX; other++) {
                        const struct boundary_entry *o = sentry_boundary_lookup(other);
                        if (o->cond != c)
                                continue;
                        fprintf(f, " `%s` (else ", o->name);
                        verdict_text(f, &o->otherwise);
                        fputc(')', f);
                }
                fputc('\n', f);
        }
}

static void write_section(FILE *f, enum boundary_action action, const char *title, const char *intro,
                          const char *reason_header) {
        unsigned n = 0;
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++) {
                const struct boundary_entry *e = sentry_boundary_lookup(nr);
                n += e->name && e->verdict.action == action;
        }
        fprintf(f, "\n## %s (%u)\n\n%s\n", title, n, intro);
        if (n == 0) {
                fputs("\nNone.\n", f);
                return;
        }
        bool host = action == BOUNDARY_HOST, deny = action == BOUNDARY_DENY;
        fprintf(f, "\n| nr | name | family |%s %s |\n|---:|---|---|%s---|\n", host ? " test |" : deny ? " errno |" : "",
                reason_header, host || deny ? "---|" : "");
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++) {
                const struct boundary_entry *e = sentry_boundary_lookup(nr);
                if (!e->name || e->verdict.action != action)
                        continue;
                fprintf(f, "| %d | `%s` | %s |", nr, e->name, sentry_boundary_family_name(e->family));
                if (host && e->cond) {
                        fprintf(f, " `%s`, else ", e->cond->name);
                        verdict_text(f, &e->otherwise);
                        fputs(" |", f);
                } else if (host) {
                        fputs(" |", f);
                } else if (deny) {
                        fprintf(f, " %s |", errno_name(e->verdict.err));
                }
                fputc(' ', f);
                cell(f, e->reason);
                fputs(" |\n", f);
        }
}

static void write_unassigned(FILE *f) {
        fputs("\n## Unassigned numbers\n\n| numbers | action | note |\n|---|---|---|\n", f);
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++) {
                const struct boundary_entry *e = sentry_boundary_lookup(nr);
                if (e->name)
                        continue;
                int last = nr;
                while (last < BOUNDARY_NR_MAX && !sentry_boundary_lookup(last + 1)->name &&
                       sentry_boundary_lookup(last + 1)->reason == e->reason)
                        last++;
                fprintf(f, "| %d–%d | ", nr, last);
                verdict_text(f, &e->verdict);
                fputs(" | ", f);
                cell(f, e->reason);
                fputs(" |\n", f);
                nr = last;
        }
}

int sentry_boundary_write_doc(FILE *f) {
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++) {
                const struct boundary_entry *e = sentry_boundary_lookup(nr);
                if (!e->reason || e->verdict.action == BOUNDARY_MISSING)
                        return log_fail(-EINVAL, "syscalls.def: syscall %d has no entry", nr);
        }

        unsigned host, sentry, denied, killed, unassigned = 0;
        sentry_boundary_counts(&host, &sentry, &denied, &killed);
        for (int nr = 0; nr <= BOUNDARY_NR_MAX; nr++)
                unassigned += !sentry_boundary_lookup(nr)->name;

        fprintf(f,
                "# The Sentry's syscall boundary (x86_64)\n"
                "\n"
                "<!-- Generated from src/sentry/syscalls.def by `make docs`; do not edit. -->\n"
                "\n"
                "In the `sentry` sandbox every x86_64 syscall number 0–%d (Linux 6.18) has\n"
                "exactly one action in the workload's seccomp filter. The table in\n"
                "`src/sentry/syscalls.def` is the single source of the filter\n"
                "(`src/sentry/boundary.c`), of this page and of the counts `cocoon features`\n"
                "prints; a unit test fails when a syscall of the running kernel has no entry.\n"
                "\n"
                "| action | numbers | meaning |\n"
                "|---|---:|---|\n"
                "| host | %u | run by the host kernel directly, some only when a register test holds |\n"
                "| Sentry | %u | delivered to the Sentry by seccomp user notification |\n"
                "| deny | %u | a fixed errno, as Linux gives an unprivileged process |\n"
                "| kill | %u | SIGSYS, whole process |\n"
                "| unassigned | %u | no syscall has the number: ENOSYS |\n"
                "\n"
                "Outside the table:\n"
                "\n"
                "- numbers above %d (syscalls newer than the table) go to the Sentry, which\n"
                "  answers ENOSYS until the table learns them: nothing new reaches the host\n"
                "  unreviewed;\n"
                "- x32 numbers (`nr & 0x40000000`) and every other architecture (i386 through\n"
                "  `int 0x80` or `sysenter`) kill the process: only an attacker uses them.\n"
                "\n"
                "How entries are decided: host-direct calls take no path and touch only what the\n"
                "process already owns (its memory, descriptors, threads, signals, objects in its\n"
                "own namespaces), and are frequent enough to be worth a directly reachable kernel\n"
                "entry point; a Sentry round trip costs about 23 µs. Rare calls go to the Sentry\n"
                "even when they would be safe on the host, because every host-direct number is\n"
                "kernel attack surface (Docker's default profile lets over 300 through; the budget\n"
                "here is 120). Path-walking syscalls are never host-direct: paths are resolved by\n"
                "the Gofer inside the container root. \"CONTINUE\" means the Sentry lets the\n"
                "kernel run the call after its checks, which it does only when the arguments are\n"
                "registers or a raced argument can reach only the workload's own objects. Denials\n"
                "answer EPERM for what needs a privilege the workload never gets and ENOSYS for\n"
                "facilities the sandbox presents as absent, so that programs take their\n"
                "fallbacks.\n"
                "\n",
                BOUNDARY_NR_MAX, host, sentry, denied, killed, unassigned, BOUNDARY_NR_MAX);

        write_conds(f);
        write_section(f, BOUNDARY_HOST, "Host-direct",
                      "Each listed with the reason it is safe to run on the host kernel.", "why it is safe");
        write_section(f, BOUNDARY_SENTRY, "Sentry-handled", "What the Sentry does with each.", "what the Sentry does");
        write_section(f, BOUNDARY_DENY, "Denied", "Answered by the filter itself, without waking the Sentry.",
                      "why");
        write_section(f, BOUNDARY_KILL, "Killed",
                      "Besides x32 numbers and foreign architectures (see above):", "why");
        write_unassigned(f);
        return ferror(f) ? -EIO : 0;
}
