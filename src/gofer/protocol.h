/* SPDX-License-Identifier: MIT */
/*
 * The Sentry <-> Gofer wire format (docs/gofer-protocol.md is the prose
 * version; keep both in step).  One request and one reply are each exactly
 * one SOCK_SEQPACKET packet, so framing can never drift: a malformed packet
 * costs one error reply, never the connection's sync.
 *
 * Both ends run on the same host, so integers travel in native byte order.
 * Fields are packed without padding and read with memcpy, so a packet of any
 * length and alignment is safe to decode.
 *
 *   request : header | credentials | the op's fields (gofer_op_fields)
 *   reply   : header | i32 result | u32 nfds | payload
 *
 * The request's fields come from one table, gofer_op_fields[], shared by the
 * encoder (client) and the decoder (server), so the two sides cannot
 * disagree on a layout.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gofer/client.h"

#define GOFER_MAGIC 0x464f4743u /* "CGOF" in memory on little-endian */
#define GOFER_VERSION 1u

/* Largest packet either side accepts: a setxattr with a full path, a
 * 255-byte name and a 64 KiB value, plus headroom for the fixed parts. */
#define GOFER_XATTR_SIZE_MAX 65536u /* XATTR_SIZE_MAX, XATTR_LIST_MAX */
#define GOFER_XATTR_NAME_MAX 255u   /* XATTR_NAME_MAX */
#define GOFER_MSG_MAX (80u * 1024u)

enum gofer_op {
        GOFER_OP_OPEN = 1,
        GOFER_OP_STATX,
        GOFER_OP_ACCESS,
        GOFER_OP_READLINK,
        GOFER_OP_MKDIR,
        GOFER_OP_MKNOD,
        GOFER_OP_UNLINK,
        GOFER_OP_RENAME,
        GOFER_OP_LINK,
        GOFER_OP_SYMLINK,
        GOFER_OP_CHMOD,
        GOFER_OP_CHOWN,
        GOFER_OP_TRUNCATE,
        GOFER_OP_UTIMENS,
        GOFER_OP_STATFS,
        GOFER_OP_GETXATTR,
        GOFER_OP_SETXATTR,
        GOFER_OP_LISTXATTR,
        GOFER_OP_REMOVEXATTR,
        GOFER_OP_UNIX_BIND,
        GOFER_OP_UNIX_CONNECT,
        GOFER_OP_MAX_,
};

struct gofer_hdr {
        uint32_t magic;
        uint32_t version;
        uint32_t op;
        uint32_t len; /* of the whole packet, header included */
};

/* The first and only message on the control socket per connection: it
 * carries the connection's socket with SCM_RIGHTS.  A non-empty payload
 * tells the fd message apart from EOF. */
struct gofer_hello {
        uint32_t magic;
        uint32_t version;
};

/* Request fields, in wire order.  STR: u32 length including the NUL, then
 * the bytes ending in exactly one NUL.  BLOB: u32 length, then the bytes.
 * TIMES: u32 "times given" (0: now), then 4 x i64 (atime sec/nsec, mtime
 * sec/nsec). */
enum gofer_field {
        GF_END = 0,
        GF_PATH,    /* STR, < PATH_MAX */
        GF_PATH2,   /* STR, < PATH_MAX: rename/link target path, symlink target */
        GF_NAME,    /* STR, xattr name, 1..255 bytes */
        GF_VALUE,   /* BLOB, xattr value, <= 64 KiB */
        GF_FLAGS,   /* u32 */
        GF_MODE,    /* u32 */
        GF_UID,     /* u32 */
        GF_GID,     /* u32 */
        GF_MASK,    /* u32: statx mask */
        GF_SIZE,    /* u32: buffer size the caller offers (readlink, get/listxattr) */
        GF_XFLAGS,  /* u32: XATTR_CREATE / XATTR_REPLACE */
        GF_RESOLVE, /* u64: RESOLVE_* */
        GF_DEV,     /* u64 */
        GF_LENGTH,  /* i64 */
        GF_TIMES,   /* TIMES */
};

#define GOFER_MAX_FIELDS 6
extern const uint8_t gofer_op_fields[GOFER_OP_MAX_][GOFER_MAX_FIELDS];
/* Ops whose request carries one fd (SCM_RIGHTS), and ops whose successful
 * reply does. */
bool gofer_op_takes_fd(uint32_t op);
bool gofer_op_returns_fd(uint32_t op);
const char *gofer_op_name(uint32_t op);

/* A decoded request.  Strings and the value point into the packet buffer
 * (the decoder checked that each string ends in its one NUL). */
struct gofer_req {
        uint32_t op;
        struct gofer_cred cred;
        const char *path, *path2, *name;
        const void *value;
        uint32_t value_len;
        uint32_t flags, mode, mask, uid, gid, size, xflags;
        uint64_t resolve, dev;
        int64_t length;
        bool has_times;
        struct timespec times[2];
};

/* Growable-free writer over a fixed buffer: an overflow is remembered and
 * reported once at the end. */
struct gofer_wbuf {
        uint8_t *p;
        size_t len, cap;
        bool overflow;
};

struct gofer_rbuf {
        const uint8_t *p;
        size_t len, off;
};

void gofer_put(struct gofer_wbuf *w, const void *data, size_t n);
void gofer_put_u32(struct gofer_wbuf *w, uint32_t v);
void gofer_put_u64(struct gofer_wbuf *w, uint64_t v);

int gofer_get(struct gofer_rbuf *r, void *out, size_t n);
int gofer_get_u32(struct gofer_rbuf *r, uint32_t *v);
int gofer_get_u64(struct gofer_rbuf *r, uint64_t *v);

/* Request header + credentials + fields: the whole packet.  Returns its
 * length, -ENAMETOOLONG / -ERANGE / -E2BIG for arguments the kernel would
 * refuse for their size, -EMSGSIZE if it does not fit. */
int gofer_req_encode(const struct gofer_req *req, void *buf, size_t cap);
/* Decode and validate one request packet of `len` bytes.  -EPROTO for a
 * malformed packet (short, bad magic or version, length mismatch, bad
 * string, trailing bytes), -EINVAL for an unknown op or too many groups,
 * -ENAMETOOLONG / -ERANGE / -E2BIG as the kernel answers oversized
 * arguments.  req->op is the header's op whenever the header was complete
 * (0 otherwise), valid or not, so that the reply can echo it. */
int gofer_req_decode(const void *pkt, size_t len, struct gofer_req *req);

/* Reply: header, result, nfds, payload. */
#define GOFER_REPLY_FIXED (sizeof(struct gofer_hdr) + 8)
size_t gofer_reply_encode(void *buf, uint32_t op, int32_t result, uint32_t nfds, const void *payload,
                          size_t payload_len);
/* Validate a reply to `op`; *payload points into pkt. */
int gofer_reply_decode(const void *pkt, size_t len, uint32_t op, int32_t *result, uint32_t *nfds,
                       const void **payload, size_t *payload_len);
