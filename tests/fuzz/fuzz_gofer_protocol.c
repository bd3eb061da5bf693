/* SPDX-License-Identifier: MIT */
/*
 * The Gofer wire format from arbitrary bytes, through the decoders the two
 * ends use: gofer_req_decode() (the server's, on every packet a Sentry
 * thread sends: src/gofer/server.c serve_one) and gofer_reply_decode() (the
 * client's, on every reply: src/gofer/client.c call).  Each input is tried
 * as both.
 *
 * Invariants besides "no sanitizer report":
 *  - a request is either rejected with one of the documented errnos, or
 *    every string, the value and the groups it yields lie inside the packet
 *    and within the kernel's limits;
 *  - re-encoding an accepted request gives the same packet, byte for byte
 *    (the one table of fields drives both sides), except that the encoder
 *    writes zero times when "times given" is 0; decoding that packet again
 *    gives the same request;
 *  - an accepted reply re-encodes to the same bytes.
 *
 * An accepted request of an op that only reads (open made O_PATH, statx,
 * access, readlink, statfs, getxattr, listxattr) is then run, as the
 * server runs it (gofer_do_op), inside the temporary root of fuzz_root.h,
 * with the fuzzed flags, sizes and resolve bits.  Its answer must fit one
 * reply packet and what the caller offered (readlink's and the xattr
 * calls' size), the payload buffer is exactly the server's (an overrun is
 * an ASan report), and a returned fd must be an inode of the root.  Ops
 * that write are not run: a bug could then change the tree, or the host.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_root.h"
#include "gofer/ops.h"
#include "gofer/protocol.h"

static uint8_t enc[GOFER_MSG_MAX];
static uint8_t *op_payload; /* GOFER_XATTR_SIZE_MAX bytes on the heap, as the server's */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_logs();
        make_root();
        op_payload = malloc(GOFER_XATTR_SIZE_MAX);
        FUZZ_CHECK(op_payload);
        return 0;
}

static void run_read_only(const struct gofer_req *q) {
        struct gofer_req r = *q;
        switch (q->op) {
        case GOFER_OP_OPEN:
                r.flags |= O_PATH; /* op_open keeps only O_PATH's flags then: nothing is created */
                break;
        case GOFER_OP_STATX:
        case GOFER_OP_ACCESS:
        case GOFER_OP_READLINK:
        case GOFER_OP_STATFS:
        case GOFER_OP_GETXATTR:
        case GOFER_OP_LISTXATTR:
                break;
        default:
                return;
        }
        struct gofer_conn conn = {.root_fd = root_fd};
        struct gofer_out out = {.fd = -1, .payload = op_payload};
        int k = gofer_do_op(&conn, &r, -1, &out);
        FUZZ_CHECK(k >= -4095);
        if (out.fd >= 0) {
                FUZZ_CHECK(q->op == GOFER_OP_OPEN && k == 0);
                check_fd(out.fd);
                close(out.fd);
        }
        if (k < 0)
                return; /* the server sends no payload then */
        FUZZ_CHECK(out.len <= GOFER_XATTR_SIZE_MAX);
        if (q->op == GOFER_OP_READLINK)
                FUZZ_CHECK((size_t) k == out.len && out.len <= q->size);
        if ((q->op == GOFER_OP_GETXATTR || q->op == GOFER_OP_LISTXATTR) && q->size)
                FUZZ_CHECK((size_t) k == out.len && out.len <= q->size);
        FUZZ_CHECK(gofer_reply_encode(enc, q->op, k, out.fd >= 0, out.payload, out.len) > 0);
}

static bool op_has(uint32_t op, uint8_t field) {
        for (int i = 0; i < GOFER_MAX_FIELDS; i++)
                if (gofer_op_fields[op][i] == field)
                        return true;
        return false;
}

/* `s` is NULL, or a NUL-terminated string inside [p, p+len) of at most `max` bytes. */
static void check_str(const char *s, const uint8_t *p, size_t len, size_t max) {
        if (!s)
                return;
        const uint8_t *b = (const uint8_t *) s;
        FUZZ_CHECK(b >= p && b < p + len);
        size_t n = strnlen(s, (size_t) (p + len - b));
        FUZZ_CHECK(b + n < p + len); /* the NUL is inside too */
        FUZZ_CHECK(n <= max);
}

static void check_same(const struct gofer_req *a, const struct gofer_req *b) {
        FUZZ_CHECK(a->op == b->op);
        FUZZ_CHECK(memcmp(&a->cred, &b->cred, sizeof a->cred) == 0);
        FUZZ_CHECK(!a->path == !b->path && (!a->path || strcmp(a->path, b->path) == 0));
        FUZZ_CHECK(!a->path2 == !b->path2 && (!a->path2 || strcmp(a->path2, b->path2) == 0));
        FUZZ_CHECK(!a->name == !b->name && (!a->name || strcmp(a->name, b->name) == 0));
        FUZZ_CHECK(a->value_len == b->value_len &&
                   (a->value_len == 0 || memcmp(a->value, b->value, a->value_len) == 0));
        FUZZ_CHECK(a->flags == b->flags && a->mode == b->mode && a->mask == b->mask && a->uid == b->uid &&
                   a->gid == b->gid && a->size == b->size && a->xflags == b->xflags);
        FUZZ_CHECK(a->resolve == b->resolve && a->dev == b->dev && a->length == b->length);
        FUZZ_CHECK(a->has_times == b->has_times);
        if (a->has_times)
                FUZZ_CHECK(memcmp(a->times, b->times, sizeof a->times) == 0);
}

static void fuzz_request(const uint8_t *data, size_t size) {
        struct gofer_req q;
        int r = gofer_req_decode(data, size, &q);
        if (size < sizeof(struct gofer_hdr))
                FUZZ_CHECK(q.op == 0);
        else {
                uint32_t op;
                memcpy(&op, data + offsetof(struct gofer_hdr, op), sizeof op);
                FUZZ_CHECK(q.op == op); /* the reply echoes it */
        }
        if (r < 0) {
                FUZZ_CHECK(r == -EPROTO || r == -EINVAL || r == -ENAMETOOLONG || r == -ERANGE || r == -E2BIG);
                return;
        }
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(q.op > 0 && q.op < GOFER_OP_MAX_);
        FUZZ_CHECK(q.cred.n_groups <= GOFER_MAX_GROUPS);
        FUZZ_CHECK(!op_has(q.op, GF_PATH) || q.path);
        FUZZ_CHECK(!op_has(q.op, GF_PATH2) || q.path2);
        FUZZ_CHECK(!op_has(q.op, GF_NAME) || q.name);
        check_str(q.path, data, size, PATH_MAX - 1);
        check_str(q.path2, data, size, PATH_MAX - 1);
        check_str(q.name, data, size, GOFER_XATTR_NAME_MAX);
        if (q.value_len) {
                const uint8_t *v = q.value;
                FUZZ_CHECK(v >= data && q.value_len <= size && v - data <= (ptrdiff_t) (size - q.value_len));
                FUZZ_CHECK(q.value_len <= GOFER_XATTR_SIZE_MAX);
        }

        /* A request the server accepts is one the client can send. */
        int n = gofer_req_encode(&q, enc, sizeof enc);
        FUZZ_CHECK(n > 0);
        if ((size_t) n != size || memcmp(enc, data, size) != 0) {
                /* The only non-canonical form: times present on the wire but not given. */
                FUZZ_CHECK(op_has(q.op, GF_TIMES) && !q.has_times && (size_t) n == size);
                struct gofer_req again;
                FUZZ_CHECK(gofer_req_decode(enc, (size_t) n, &again) == 0);
                check_same(&q, &again);
        }
        run_read_only(&q);
}

static void fuzz_reply(const uint8_t *data, size_t size) {
        uint32_t op = 0;
        if (size >= sizeof(struct gofer_hdr))
                memcpy(&op, data + offsetof(struct gofer_hdr, op), sizeof op);
        int32_t result;
        uint32_t nfds;
        const void *payload;
        size_t plen;
        int r = gofer_reply_decode(data, size, op, &result, &nfds, &payload, &plen);
        if (r < 0) {
                FUZZ_CHECK(r == -EPROTO);
                return;
        }
        FUZZ_CHECK(r == 0 && nfds <= 1);
        FUZZ_CHECK(size >= GOFER_REPLY_FIXED && plen == size - GOFER_REPLY_FIXED);
        FUZZ_CHECK((const uint8_t *) payload == data + GOFER_REPLY_FIXED);
        if (size > GOFER_MSG_MAX)
                return; /* larger than the client's buffer: never received whole */
        size_t n = gofer_reply_encode(enc, op, result, nfds, payload, plen);
        FUZZ_CHECK(n == size && memcmp(enc, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_request(data, size);
        fuzz_reply(data, size);
        return 0;
}
