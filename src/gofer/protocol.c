/* SPDX-License-Identifier: MIT */
#include "gofer/protocol.h"

#include <errno.h>
#include <string.h>

/* The one layout table: docs/gofer-protocol.md's op table is this, in prose. */
const uint8_t gofer_op_fields[GOFER_OP_MAX_][GOFER_MAX_FIELDS] = {
        [GOFER_OP_OPEN] = {GF_PATH, GF_FLAGS, GF_MODE, GF_RESOLVE},
        [GOFER_OP_STATX] = {GF_PATH, GF_FLAGS, GF_MASK},
        [GOFER_OP_ACCESS] = {GF_PATH, GF_MODE, GF_FLAGS},
        [GOFER_OP_READLINK] = {GF_PATH, GF_SIZE},
        [GOFER_OP_MKDIR] = {GF_PATH, GF_MODE},
        [GOFER_OP_MKNOD] = {GF_PATH, GF_MODE, GF_DEV},
        [GOFER_OP_UNLINK] = {GF_PATH, GF_FLAGS},
        [GOFER_OP_RENAME] = {GF_PATH, GF_PATH2, GF_FLAGS},
        [GOFER_OP_LINK] = {GF_PATH, GF_PATH2, GF_FLAGS},
        [GOFER_OP_SYMLINK] = {GF_PATH2, GF_PATH},
        [GOFER_OP_CHMOD] = {GF_PATH, GF_MODE, GF_FLAGS},
        [GOFER_OP_CHOWN] = {GF_PATH, GF_UID, GF_GID, GF_FLAGS},
        [GOFER_OP_TRUNCATE] = {GF_PATH, GF_LENGTH},
        [GOFER_OP_UTIMENS] = {GF_PATH, GF_TIMES, GF_FLAGS},
        [GOFER_OP_STATFS] = {GF_PATH},
        [GOFER_OP_GETXATTR] = {GF_PATH, GF_NAME, GF_SIZE, GF_FLAGS},
        [GOFER_OP_SETXATTR] = {GF_PATH, GF_NAME, GF_VALUE, GF_XFLAGS, GF_FLAGS},
        [GOFER_OP_LISTXATTR] = {GF_PATH, GF_SIZE, GF_FLAGS},
        [GOFER_OP_REMOVEXATTR] = {GF_PATH, GF_NAME, GF_FLAGS},
        [GOFER_OP_UNIX_BIND] = {GF_PATH},
        [GOFER_OP_UNIX_CONNECT] = {GF_PATH},
};

static const char *const op_names[GOFER_OP_MAX_] = {
        [GOFER_OP_OPEN] = "open",           [GOFER_OP_STATX] = "statx",
        [GOFER_OP_ACCESS] = "access",       [GOFER_OP_READLINK] = "readlink",
        [GOFER_OP_MKDIR] = "mkdir",         [GOFER_OP_MKNOD] = "mknod",
        [GOFER_OP_UNLINK] = "unlink",       [GOFER_OP_RENAME] = "rename",
        [GOFER_OP_LINK] = "link",           [GOFER_OP_SYMLINK] = "symlink",
        [GOFER_OP_CHMOD] = "chmod",         [GOFER_OP_CHOWN] = "chown",
        [GOFER_OP_TRUNCATE] = "truncate",   [GOFER_OP_UTIMENS] = "utimens",
        [GOFER_OP_STATFS] = "statfs",       [GOFER_OP_GETXATTR] = "getxattr",
        [GOFER_OP_SETXATTR] = "setxattr",   [GOFER_OP_LISTXATTR] = "listxattr",
        [GOFER_OP_REMOVEXATTR] = "removexattr", [GOFER_OP_UNIX_BIND] = "unix_bind",
        [GOFER_OP_UNIX_CONNECT] = "unix_connect",
};

const char *gofer_op_name(uint32_t op) {
        return op > 0 && op < GOFER_OP_MAX_ ? op_names[op] : "?";
}

bool gofer_op_takes_fd(uint32_t op) {
        return op == GOFER_OP_UNIX_BIND || op == GOFER_OP_UNIX_CONNECT;
}

bool gofer_op_returns_fd(uint32_t op) {
        return op == GOFER_OP_OPEN;
}

/* ---- primitive writer / reader ---- */

void gofer_put(struct gofer_wbuf *w, const void *data, size_t n) {
        if (w->overflow || n > w->cap - w->len) {
                w->overflow = true;
                return;
        }
        if (n)
                memcpy(w->p + w->len, data, n);
        w->len += n;
}

void gofer_put_u32(struct gofer_wbuf *w, uint32_t v) {
        gofer_put(w, &v, sizeof v);
}

void gofer_put_u64(struct gofer_wbuf *w, uint64_t v) {
        gofer_put(w, &v, sizeof v);
}

int gofer_get(struct gofer_rbuf *r, void *out, size_t n) {
        if (n > r->len - r->off)
                return -EPROTO;
        memcpy(out, r->p + r->off, n);
        r->off += n;
        return 0;
}

int gofer_get_u32(struct gofer_rbuf *r, uint32_t *v) {
        return gofer_get(r, v, sizeof *v);
}

int gofer_get_u64(struct gofer_rbuf *r, uint64_t *v) {
        return gofer_get(r, v, sizeof *v);
}

/* A string field: the bytes stay in the packet; `max` counts the bytes
 * before the NUL.  `too_long` is what the kernel answers for an oversized
 * argument of this kind. */
static int get_str(struct gofer_rbuf *r, const char **out, size_t max, int too_long) {
        uint32_t n;
        int k = gofer_get_u32(r, &n);
        if (k < 0)
                return k;
        if (n == 0 || n > r->len - r->off)
                return -EPROTO;
        const char *s = (const char *) r->p + r->off;
        if (s[n - 1] != '\0' || memchr(s, '\0', n - 1))
                return -EPROTO;
        if (n - 1 > max)
                return too_long;
        r->off += n;
        *out = s;
        return 0;
}

static void put_str(struct gofer_wbuf *w, const char *s) {
        size_t n = strlen(s) + 1;
        gofer_put_u32(w, (uint32_t) n);
        gofer_put(w, s, n);
}

/* ---- credentials ---- */

static void put_cred(struct gofer_wbuf *w, const struct gofer_cred *c) {
        gofer_put_u32(w, c->fsuid);
        gofer_put_u32(w, c->fsgid);
        gofer_put_u32(w, c->umask);
        gofer_put_u64(w, c->cap_effective);
        gofer_put_u32(w, c->n_groups);
        gofer_put(w, c->groups, (size_t) c->n_groups * sizeof c->groups[0]);
}

static int get_cred(struct gofer_rbuf *r, struct gofer_cred *c) {
        int k;
        if ((k = gofer_get_u32(r, &c->fsuid)) < 0 || (k = gofer_get_u32(r, &c->fsgid)) < 0 ||
            (k = gofer_get_u32(r, &c->umask)) < 0 || (k = gofer_get_u64(r, &c->cap_effective)) < 0 ||
            (k = gofer_get_u32(r, &c->n_groups)) < 0)
                return k;
        if (c->n_groups > GOFER_MAX_GROUPS)
                return -EINVAL;
        return gofer_get(r, c->groups, (size_t) c->n_groups * sizeof c->groups[0]);
}

/* ---- requests ---- */

static bool too_long(const char *s, size_t max) {
        return s && strnlen(s, max + 1) > max;
}

int gofer_req_encode(const struct gofer_req *q, void *buf, size_t cap) {
        if (q->op == 0 || q->op >= GOFER_OP_MAX_)
                return -EINVAL;
        if (q->cred.n_groups > GOFER_MAX_GROUPS)
                return -EINVAL;
        struct gofer_wbuf w = {.p = buf, .cap = cap};
        struct gofer_hdr h = {.magic = GOFER_MAGIC, .version = GOFER_VERSION, .op = q->op};
        gofer_put(&w, &h, sizeof h);
        put_cred(&w, &q->cred);
        for (int i = 0; i < GOFER_MAX_FIELDS; i++) {
                switch (gofer_op_fields[q->op][i]) {
                case GF_END:
                        i = GOFER_MAX_FIELDS;
                        break;
                case GF_PATH:
                        if (too_long(q->path, PATH_MAX - 1))
                                return -ENAMETOOLONG;
                        put_str(&w, q->path ? q->path : "");
                        break;
                case GF_PATH2:
                        if (too_long(q->path2, PATH_MAX - 1))
                                return -ENAMETOOLONG;
                        put_str(&w, q->path2 ? q->path2 : "");
                        break;
                case GF_NAME:
                        if (too_long(q->name, GOFER_XATTR_NAME_MAX))
                                return -ERANGE;
                        put_str(&w, q->name ? q->name : "");
                        break;
                case GF_VALUE:
                        if (q->value_len > GOFER_XATTR_SIZE_MAX)
                                return -E2BIG;
                        gofer_put_u32(&w, q->value_len);
                        gofer_put(&w, q->value, q->value_len);
                        break;
                case GF_FLAGS:
                        gofer_put_u32(&w, q->flags);
                        break;
                case GF_MODE:
                        gofer_put_u32(&w, q->mode);
                        break;
                case GF_UID:
                        gofer_put_u32(&w, q->uid);
                        break;
                case GF_GID:
                        gofer_put_u32(&w, q->gid);
                        break;
                case GF_MASK:
                        gofer_put_u32(&w, q->mask);
                        break;
                case GF_SIZE:
                        gofer_put_u32(&w, q->size);
                        break;
                case GF_XFLAGS:
                        gofer_put_u32(&w, q->xflags);
                        break;
                case GF_RESOLVE:
                        gofer_put_u64(&w, q->resolve);
                        break;
                case GF_DEV:
                        gofer_put_u64(&w, q->dev);
                        break;
                case GF_LENGTH:
                        gofer_put_u64(&w, (uint64_t) q->length);
                        break;
                case GF_TIMES:
                        gofer_put_u32(&w, q->has_times);
                        for (int t = 0; t < 2; t++) {
                                gofer_put_u64(&w, (uint64_t) (q->has_times ? q->times[t].tv_sec : 0));
                                gofer_put_u64(&w, (uint64_t) (q->has_times ? q->times[t].tv_nsec : 0));
                        }
                        break;
                }
        }
        if (w.overflow)
                return -EMSGSIZE;
        uint32_t len = (uint32_t) w.len;
        memcpy((uint8_t *) buf + offsetof(struct gofer_hdr, len), &len, sizeof len);
        return (int) w.len;
}

static int get_field(struct gofer_rbuf *r, uint8_t field, struct gofer_req *q) {
        uint64_t v64;
        int k;
        switch (field) {
        case GF_PATH:
                return get_str(r, &q->path, PATH_MAX - 1, -ENAMETOOLONG);
        case GF_PATH2:
                return get_str(r, &q->path2, PATH_MAX - 1, -ENAMETOOLONG);
        case GF_NAME:
                return get_str(r, &q->name, GOFER_XATTR_NAME_MAX, -ERANGE);
        case GF_VALUE:
                if ((k = gofer_get_u32(r, &q->value_len)) < 0)
                        return k;
                if (q->value_len > r->len - r->off)
                        return -EPROTO;
                if (q->value_len > GOFER_XATTR_SIZE_MAX)
                        return -E2BIG;
                q->value = r->p + r->off;
                r->off += q->value_len;
                return 0;
        case GF_FLAGS:
                return gofer_get_u32(r, &q->flags);
        case GF_MODE:
                return gofer_get_u32(r, &q->mode);
        case GF_UID:
                return gofer_get_u32(r, &q->uid);
        case GF_GID:
                return gofer_get_u32(r, &q->gid);
        case GF_MASK:
                return gofer_get_u32(r, &q->mask);
        case GF_SIZE:
                return gofer_get_u32(r, &q->size);
        case GF_XFLAGS:
                return gofer_get_u32(r, &q->xflags);
        case GF_RESOLVE:
                return gofer_get_u64(r, &q->resolve);
        case GF_DEV:
                return gofer_get_u64(r, &q->dev);
        case GF_LENGTH:
                if ((k = gofer_get_u64(r, &v64)) < 0)
                        return k;
                q->length = (int64_t) v64;
                return 0;
        case GF_TIMES: {
                uint32_t has;
                if ((k = gofer_get_u32(r, &has)) < 0)
                        return k;
                if (has > 1)
                        return -EPROTO;
                q->has_times = has;
                for (int t = 0; t < 2; t++) {
                        uint64_t s, ns;
                        if ((k = gofer_get_u64(r, &s)) < 0 || (k = gofer_get_u64(r, &ns)) < 0)
                                return k;
                        q->times[t].tv_sec = (time_t) s;
                        q->times[t].tv_nsec = (long) ns;
                }
                return 0;
        }
        default:
                return -EPROTO;
        }
}

int gofer_req_decode(const void *pkt, size_t len, struct gofer_req *q) {
        *q = (struct gofer_req){0};
        struct gofer_rbuf r = {.p = pkt, .len = len};
        struct gofer_hdr h;
        if (gofer_get(&r, &h, sizeof h) < 0)
                return -EPROTO;
        q->op = h.op;
        if (h.magic != GOFER_MAGIC || h.version != GOFER_VERSION || h.len != len)
                return -EPROTO;
        if (h.op == 0 || h.op >= GOFER_OP_MAX_)
                return -EINVAL;
        int k = get_cred(&r, &q->cred);
        if (k < 0)
                return k;
        for (int i = 0; i < GOFER_MAX_FIELDS && gofer_op_fields[h.op][i] != GF_END; i++)
                if ((k = get_field(&r, gofer_op_fields[h.op][i], q)) < 0)
                        return k;
        return r.off == r.len ? 0 : -EPROTO;
}

/* ---- replies ---- */

size_t gofer_reply_encode(void *buf, uint32_t op, int32_t result, uint32_t nfds, const void *payload,
                          size_t payload_len) {
        struct gofer_wbuf w = {.p = buf, .cap = GOFER_MSG_MAX};
        struct gofer_hdr h = {.magic = GOFER_MAGIC,
                              .version = GOFER_VERSION,
                              .op = op,
                              .len = (uint32_t) (GOFER_REPLY_FIXED + payload_len)};
        gofer_put(&w, &h, sizeof h);
        gofer_put(&w, &result, sizeof result);
        gofer_put_u32(&w, nfds);
        gofer_put(&w, payload, payload_len);
        return w.overflow ? 0 : w.len;
}

int gofer_reply_decode(const void *pkt, size_t len, uint32_t op, int32_t *result, uint32_t *nfds,
                       const void **payload, size_t *payload_len) {
        struct gofer_rbuf r = {.p = pkt, .len = len};
        struct gofer_hdr h;
        if (gofer_get(&r, &h, sizeof h) < 0 || h.magic != GOFER_MAGIC || h.version != GOFER_VERSION ||
            h.len != len || h.op != op)
                return -EPROTO;
        if (gofer_get(&r, result, sizeof *result) < 0 || gofer_get_u32(&r, nfds) < 0 || *nfds > 1)
                return -EPROTO;
        *payload = r.p + r.off;
        *payload_len = r.len - r.off;
        return 0;
}
