/* SPDX-License-Identifier: MIT */
/*
 * --strace: one line per Sentry-handled syscall, in strace's shape,
 *
 *   [42] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3 <31us>
 *   [42] stat("/nope", 0x7ffd5c1e0a40) = -1 ENOENT (No such file or directory) <27us>
 *   [42] execve("/bin/ls", "ls -l", 0x7ffd5c1e0b10) = ? continued <6us>
 *
 * logged at info level (the sandbox decides where info lines go).  Strings
 * are the ones the handler copied from the workload (never read again for
 * the log), so the line shows what the Sentry acted on.  The time is the
 * Sentry's own, from the notification to the answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "cleanup.h"
#include "log.h"
#include "sentry/boundary.h"
#include "sentry/call.h"

#define LINE_MAX_LEN 900

struct out {
        char *buf;
        size_t size, len;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...) {
        if (o->len >= o->size)
                return;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
        va_end(ap);
        if (n > 0)
                o->len = o->len + (size_t) n < o->size ? o->len + (size_t) n : o->size - 1;
}

void sentry_strace_str(struct sentry_call *c, const char *s) {
        if (!c->strace || c->n_strs >= SENTRY_STRACE_STRS)
                return;
        char *dst = c->strs[c->n_strs++];
        size_t n = strlen(s);
        if (n < SENTRY_STRACE_STR_MAX) {
                memcpy(dst, s, n + 1);
                return;
        }
        memcpy(dst, s, SENTRY_STRACE_STR_MAX - 4);
        memcpy(dst + SENTRY_STRACE_STR_MAX - 4, "...", 4);
}

static void put_quoted(struct out *o, const char *s) {
        put(o, "\"");
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        put(o, "\\%c", *p);
                else if (*p == '\n')
                        put(o, "\\n");
                else if (*p == '\t')
                        put(o, "\\t");
                else if (*p < 0x20 || *p >= 0x7f)
                        put(o, "\\x%02x", *p);
                else
                        put(o, "%c", *p);
        }
        put(o, "\"");
}

struct flag_name {
        uint64_t bit;
        const char *name;
};

/* Names of the set bits, the unknown rest in hex; "0" when none. */
static void put_flags(struct out *o, uint64_t v, const struct flag_name *names, size_t n, bool any) {
        for (size_t i = 0; i < n; i++)
                if (names[i].bit && (v & names[i].bit) == names[i].bit) {
                        put(o, "%s%s", any ? "|" : "", names[i].name);
                        v &= ~names[i].bit;
                        any = true;
                }
        if (v || !any)
                put(o, "%s%#" PRIx64, any ? "|" : "", v);
}

#define F(x) {(uint64_t) (x), #x}

static void put_open_flags(struct out *o, uint64_t v) {
        static const struct flag_name names[] = {
                F(O_CREAT),     F(O_EXCL),      F(O_NOCTTY),  F(O_TRUNC),    F(O_APPEND),    F(O_NONBLOCK),
                F(O_SYNC),      F(O_DSYNC),     F(O_ASYNC),   F(O_DIRECT),   F(O_LARGEFILE), F(O_TMPFILE),
                F(O_DIRECTORY), F(O_NOFOLLOW),  F(O_NOATIME), F(O_CLOEXEC),  F(O_PATH),
        };
        static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
        put(o, "%s", acc[v & O_ACCMODE]);
        put_flags(o, v & ~(uint64_t) O_ACCMODE, names, ELEMENTSOF(names), true);
}

static void put_at_flags(struct out *o, uint64_t v, long nr) {
        static const struct flag_name names[] = {
                F(AT_SYMLINK_NOFOLLOW), F(AT_SYMLINK_FOLLOW), F(AT_NO_AUTOMOUNT), F(AT_EMPTY_PATH),
                F(AT_STATX_FORCE_SYNC), F(AT_STATX_DONT_SYNC),
        };
        bool any = false;
        /* one bit, two names */
        if (v & AT_REMOVEDIR) {
                put(o, "%s", nr == SYS_unlinkat ? "AT_REMOVEDIR" : "AT_EACCESS");
                v &= ~(uint64_t) AT_REMOVEDIR;
                any = true;
        }
        put_flags(o, v, names, ELEMENTSOF(names), any);
}

static void put_family(struct out *o, uint64_t v) {
        static const struct flag_name names[] = {F(AF_UNIX), F(AF_INET), F(AF_INET6), F(AF_NETLINK), F(AF_PACKET)};
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (names[i].bit == v) {
                        put(o, "%s", names[i].name);
                        return;
                }
        put(o, "%" PRIu64, v);
}

static void put_sock_type(struct out *o, uint64_t v) {
        static const char *const types[] = {"0", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET",
                                            "SOCK_DCCP", "7", "8", "9", "SOCK_PACKET"};
        static const struct flag_name names[] = {F(SOCK_CLOEXEC), F(SOCK_NONBLOCK)};
        if ((v & 0xf) < ELEMENTSOF(types))
                put(o, "%s", types[v & 0xf]);
        else
                put(o, "%" PRIu64, v & 0xf);
        put_flags(o, v & ~(uint64_t) 0xf, names, ELEMENTSOF(names), true);
}

const char *sentry_errno_name(int err) {
        return strerrorname_np(err);
}

static void put_result(struct out *o, long ret) {
        if (ret == SENTRY_CONTINUE) {
                put(o, "? continued");
                return;
        }
        if (ret < 0 && ret >= -4095) {
                const char *name = sentry_errno_name((int) -ret);
                if (name)
                        put(o, "-1 %s (%s)", name, strerror((int) -ret));
                else
                        put(o, "-1 errno %ld", -ret);
                return;
        }
        if (ret > 0xffff)
                put(o, "%#lx", ret);
        else
                put(o, "%ld", ret);
}

void sentry_strace_line(struct sentry_call *c, const struct sentry_handler *h, long ret, uint64_t usec) {
        char buf[LINE_MAX_LEN];
        struct out o = {.buf = buf, .size = sizeof buf};
        buf[0] = 0;
        long nr = c->req->data.nr;
        const char *name = h ? h->name : NULL;
        const char *args = h ? h->args : "xxxxxx";
        if (!name) {
                const struct boundary_entry *e = sentry_boundary_lookup(nr);
                name = e ? e->name : NULL;
        }
        if (name)
                put(&o, "[%u] %s(", c->req->pid, name);
        else
                put(&o, "[%u] syscall_%ld(", c->req->pid, nr);

        unsigned next_str = 0;
        for (unsigned i = 0; i < 6 && args[i]; i++) {
                uint64_t v = c->req->data.args[i];
                if (i)
                        put(&o, ", ");
                switch (args[i]) {
                case 'D':
                        if ((int) v == AT_FDCWD)
                                put(&o, "AT_FDCWD");
                        else
                                put(&o, "%d", (int) v);
                        break;
                case 'P':
                case 'V':
                        if (next_str < c->n_strs) {
                                if (args[i] == 'P')
                                        put_quoted(&o, c->strs[next_str]);
                                else
                                        put(&o, "[%s]", c->strs[next_str]);
                                next_str++;
                        } else
                                put(&o, v ? "%#" PRIx64 : "NULL", v);
                        break;
                case 'O':
                        put_open_flags(&o, v);
                        break;
                case 'A':
                        put_at_flags(&o, v, nr);
                        break;
                case 'm':
                        put(&o, "%#o", (unsigned) v);
                        break;
                case 'M': /* the mode of an open: shown when the flags create */
                        if (i > 0 && args[i - 1] == 'O' && !(c->req->data.args[i - 1] & (O_CREAT | __O_TMPFILE))) {
                                o.len -= 2; /* the ", " */
                                o.buf[o.len] = 0;
                        } else
                                put(&o, "%#o", (unsigned) v);
                        break;
                case 'd':
                        put(&o, "%d", (int) v);
                        break;
                case 'l':
                        put(&o, "%" PRId64, (int64_t) v);
                        break;
                case 'u':
                        put(&o, "%" PRIu64, v);
                        break;
                case 'F':
                        put_family(&o, v);
                        break;
                case 'T':
                        put_sock_type(&o, v);
                        break;
                case 'I': {
                        const char *req = sentry_ioctl_name((uint32_t) v);
                        if (req)
                                put(&o, "%s", req);
                        else
                                put(&o, "%#" PRIx64, v);
                        break;
                }
                case 'p':
                        put(&o, v ? "%#" PRIx64 : "NULL", v);
                        break;
                default:
                        put(&o, "%#" PRIx64, v);
                        break;
                }
        }
        put(&o, ") = ");
        put_result(&o, ret);
        put(&o, " <%" PRIu64 "us>", usec);
        log_info("%s", buf);
}
