/* SPDX-License-Identifier: MIT */
#include "vm/protocol.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

static const struct {
        const char *name;
        /* payload size: exactly `min` when fixed, else at least `min` */
        uint32_t min;
        bool fixed;
        bool to_host;
} types[] = {
        [VM_HELLO] = {"HELLO", 4, false, true},
        [VM_CREATED] = {"CREATED", 0, true, true},
        [VM_STARTED] = {"STARTED", 0, true, true},
        [VM_ERROR] = {"ERROR", 4, false, true},
        [VM_STDOUT] = {"STDOUT", 0, false, true},
        [VM_STDERR] = {"STDERR", 0, false, true},
        [VM_EXIT] = {"EXIT", 4, true, true},
        [VM_OK] = {"OK", 0, true, true},
        [VM_STATS_REPLY] = {"STATS_REPLY", 2, false, true}, /* "{}" */
        [VM_PS_REPLY] = {"PS_REPLY", 2, false, true},
        [VM_CREATE] = {"CREATE", 6, false, false}, /* flags, a one-letter id and its NUL, "{" */
        [VM_START] = {"START", 0, true, false},
        [VM_STDIN] = {"STDIN", 0, false, false},
        [VM_STDIN_CLOSE] = {"STDIN_CLOSE", 0, true, false},
        [VM_SIGNAL] = {"SIGNAL", 8, true, false},
        [VM_SHUTDOWN] = {"SHUTDOWN", 0, true, false},
        [VM_RESIZE] = {"RESIZE", 8, true, false},
        [VM_EXEC] = {"EXEC", 3, false, false}, /* the target's NUL, "{}" */
        [VM_ADD] = {"ADD", 6, false, false},   /* as CREATE */
        [VM_STATS] = {"STATS", 1, false, false}, /* the target's NUL */
        [VM_PS] = {"PS", 1, false, false},
        [VM_UPDATE] = {"UPDATE", 3, false, false},
        [VM_PAUSE] = {"PAUSE", 1, false, false},
        [VM_RESUME] = {"RESUME", 1, false, false},
};

/* The frames that start a process or belong to a query have streams of
 * their own: the init's stream carries neither. */
static bool own_stream(unsigned type) {
        return type == VM_EXEC || type == VM_ADD || (type >= VM_STATS_REPLY && type <= VM_PS_REPLY) ||
               (type >= VM_STATS && type <= VM_RESUME);
}

const char *vm_frame_type_name(unsigned type) {
        return type < ELEMENTSOF(types) && types[type].name ? types[type].name : "unknown";
}

void vm_frame_header(uint8_t out[VM_FRAME_HEADER], enum vm_frame_type type, uint32_t stream, uint32_t len) {
        out[0] = VM_PROTO_MAGIC & 0xff;
        out[1] = VM_PROTO_MAGIC >> 8;
        out[2] = VM_PROTO_VERSION;
        out[3] = (uint8_t) type;
        vm_put_u32(out + 4, stream);
        vm_put_u32(out + 8, len);
}

int vm_frame_parse(const uint8_t *buf, size_t n, struct vm_frame *f, size_t *ret_used) {
        /* check what is there already, so garbage is refused without waiting for more */
        if (n >= 1 && buf[0] != (VM_PROTO_MAGIC & 0xff))
                return -EBADMSG;
        if (n >= 2 && buf[1] != VM_PROTO_MAGIC >> 8)
                return -EBADMSG;
        if (n >= 3 && buf[2] != VM_PROTO_VERSION)
                return -EBADMSG;
        if (n >= 4 && (buf[3] >= ELEMENTSOF(types) || !types[buf[3]].name))
                return -EBADMSG;
        if (n < VM_FRAME_HEADER)
                return 0;
        uint32_t len = vm_get_u32(buf + 8);
        unsigned type = buf[3];
        if (len > VM_FRAME_MAX_PAYLOAD || len < types[type].min || (types[type].fixed && len != types[type].min))
                return -EBADMSG;
        if (own_stream(type) && vm_get_u32(buf + 4) == VM_STREAM_INIT)
                return -EBADMSG;
        if (n - VM_FRAME_HEADER < len)
                return 0;
        const uint8_t *p = buf + VM_FRAME_HEADER;
        /* CREATE: the id is NUL-terminated inside the payload */
        if ((type == VM_CREATE || type == VM_ADD) && !memchr(p + 4, 0, len - 4))
                return -EBADMSG;
        /* EXEC and the queries: their target is NUL-terminated inside the payload */
        if ((type == VM_EXEC || (type >= VM_STATS && type <= VM_RESUME)) && !memchr(p, 0, len))
                return -EBADMSG;
        *f = (struct vm_frame){.type = (uint8_t) type, .stream = vm_get_u32(buf + 4), .len = len, .payload = p};
        *ret_used = VM_FRAME_HEADER + len;
        return 1;
}

int vm_frame_send(int fd, enum vm_frame_type type, uint32_t stream, const void *payload, size_t len) {
        if (len > VM_FRAME_MAX_PAYLOAD)
                return -EMSGSIZE;
        uint8_t h[VM_FRAME_HEADER];
        vm_frame_header(h, type, stream, (uint32_t) len);
        struct iovec iov[2] = {{h, sizeof h}, {(void *) payload, len}};
        size_t total = sizeof h + len, done = 0;
        /* one writev in the common case keeps a frame in one virtio buffer */
        while (done < total) {
                ssize_t k = writev(fd, iov, 2);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) k;
                size_t skip = (size_t) k;
                for (int i = 0; i < 2; i++) {
                        size_t s = skip < iov[i].iov_len ? skip : iov[i].iov_len;
                        iov[i].iov_base = (uint8_t *) iov[i].iov_base + s;
                        iov[i].iov_len -= s;
                        skip -= s;
                }
        }
        return 0;
}

int vm_send_u32s(int fd, enum vm_frame_type type, uint32_t stream, uint32_t a, uint32_t b, size_t n) {
        uint8_t p[8];
        vm_put_u32(p, a);
        vm_put_u32(p + 4, b);
        return vm_frame_send(fd, type, stream, p, n * 4);
}

int vm_send_error(int fd, uint32_t stream, int err, const char *msg) {
        uint8_t p[4 + 1024];
        size_t m = strnlen(msg, sizeof p - 4);
        vm_put_u32(p, (uint32_t) err);
        memcpy(p + 4, msg, m);
        return vm_frame_send(fd, VM_ERROR, stream, p, 4 + m);
}

int vm_reader_next(struct vm_reader *r, int fd, struct vm_frame *f) {
        if (r->used) {
                memmove(r->buf, r->buf + r->used, r->len - r->used);
                r->len -= r->used;
                r->used = 0;
        }
        for (;;) {
                size_t used;
                int k = vm_frame_parse(r->buf, r->len, f, &used);
                if (k < 0)
                        return k;
                if (k > 0) {
                        r->used = used;
                        return 1;
                }
                ssize_t n = read(fd, r->buf + r->len, sizeof r->buf - r->len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return r->len ? -EBADMSG : 0;
                r->len += (size_t) n;
        }
}

bool vm_reader_buffered(const struct vm_reader *r) {
        struct vm_frame f;
        size_t used;
        return vm_frame_parse(r->buf + r->used, r->len - r->used, &f, &used) != 0;
}
