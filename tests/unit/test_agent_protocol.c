/* SPDX-License-Identifier: MIT */
/* The vm sandbox's host <-> agent frames (src/vm/protocol.c): round trips,
 * partial input, and malformed frames refused without reading past them. */
#include <sys/socket.h>

#include "unit.h"
#include "cleanup.h"
#include "vm/protocol.h"

static size_t frame(uint8_t *out, unsigned type, uint32_t stream, const void *p, uint32_t len) {
        vm_frame_header(out, (enum vm_frame_type) type, stream, len);
        if (len)
                memcpy(out + VM_FRAME_HEADER, p, len);
        return VM_FRAME_HEADER + len;
}

static void test_round_trip(void) {
        uint8_t buf[64];
        size_t n = frame(buf, VM_STDOUT, 7, "hello", 5);
        struct vm_frame f;
        size_t used = 0;
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), 1);
        CHECK_INT_EQ(used, n);
        CHECK_INT_EQ(f.type, VM_STDOUT);
        CHECK_INT_EQ(f.stream, 7);
        CHECK_INT_EQ(f.len, 5);
        CHECK(!memcmp(f.payload, "hello", 5));
        /* every prefix is "need more", never an error */
        for (size_t k = 0; k < n; k++)
                CHECK_INT_EQ(vm_frame_parse(buf, k, &f, &used), 0);
}

static void test_malformed(void) {
        uint8_t buf[64];
        struct vm_frame f;
        size_t used;
        size_t n = frame(buf, VM_START, 0, NULL, 0);
        buf[0] ^= 0xff; /* magic */
        CHECK_INT_EQ(vm_frame_parse(buf, 1, &f, &used), -EBADMSG);
        n = frame(buf, VM_START, 0, NULL, 0);
        buf[2] = VM_PROTO_VERSION + 1;
        CHECK_INT_EQ(vm_frame_parse(buf, 3, &f, &used), -EBADMSG);
        n = frame(buf, VM_START, 0, NULL, 0);
        buf[3] = 200; /* unknown type */
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        buf[3] = 0;
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        /* a payload where none belongs, and a fixed-size one of the wrong size */
        n = frame(buf, VM_START, 0, "x", 1);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        n = frame(buf, VM_SIGNAL, 0, "1234", 4);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        n = frame(buf, VM_EXIT, 0, "12345", 5);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        n = frame(buf, VM_RESIZE, 0, "1234", 4);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        n = frame(buf, VM_RESIZE, 0, "12345678", 8);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), 1);
        /* a length beyond the maximum is refused from the header alone */
        vm_frame_header(buf, VM_STDIN, 0, VM_FRAME_MAX_PAYLOAD + 1);
        CHECK_INT_EQ(vm_frame_parse(buf, VM_FRAME_HEADER, &f, &used), -EBADMSG);
        vm_frame_header(buf, VM_STDIN, 0, UINT32_MAX);
        CHECK_INT_EQ(vm_frame_parse(buf, VM_FRAME_HEADER, &f, &used), -EBADMSG);
        /* CREATE's id must be NUL-terminated inside the payload */
        n = frame(buf, VM_CREATE, 0, "\0\0\0\0abcdef", 10);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        n = frame(buf, VM_CREATE, 0, "\0\0\0\0a\0{}", 8);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), 1);
        /* EXEC: its target's NUL and a process object at least, on a stream
         * of its own (not the init's) */
        n = frame(buf, VM_EXEC, 0, "\0{}", 3);
        CHECK_INT_EQ(vm_frame_parse(buf, VM_FRAME_HEADER, &f, &used), -EBADMSG);
        n = frame(buf, VM_EXEC, 3, "\0{", 2);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        n = frame(buf, VM_EXEC, 3, "{}}", 3); /* no target */
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        n = frame(buf, VM_EXEC, 3, "\0{}", 3);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), 1);
        CHECK(f.type == VM_EXEC && f.stream == 3 && used == n);
        CHECK_INT_EQ(vm_frame_parse(buf, n - 1, &f, &used), 0);
        n = frame(buf, VM_EXEC, 3, "c2\0{}", 5);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), 1);
        const uint8_t *rest;
        uint32_t rest_len;
        CHECK(!strcmp(vm_target(f.payload, f.len, &rest, &rest_len), "c2") && rest_len == 2 && !memcmp(rest, "{}", 2));
        /* ADD (version 4): as CREATE, on a stream of its own */
        n = frame(buf, VM_ADD, 4, "\0\0\0\0c2\0{}", 9);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), 1);
        CHECK(f.type == VM_ADD && f.stream == 4 && used == n);
        CHECK(!strcmp(vm_frame_type_name(VM_ADD), "ADD"));
        n = frame(buf, VM_ADD, 0, "\0\0\0\0c2\0{}", 9);
        CHECK_INT_EQ(vm_frame_parse(buf, VM_FRAME_HEADER, &f, &used), -EBADMSG);
        n = frame(buf, VM_ADD, 4, "\0\0\0\0abcdef", 10);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        n = frame(buf, VM_ADD, 4, "\0\0\0\0a", 5);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        /* every byte value in every header position: no crash, and only
         * complete valid frames are accepted */
        for (int pos = 0; pos < VM_FRAME_HEADER; pos++)
                for (int v = 0; v < 256; v++) {
                        n = frame(buf, VM_EXIT, 0, "\0\0\0\0", 4);
                        buf[pos] = (uint8_t) v;
                        int k = vm_frame_parse(buf, n, &f, &used);
                        CHECK(k == -EBADMSG || k == 0 || (k == 1 && used <= n));
                }
}

static void test_reader(void) {
        int sv[2];
        CHECK_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        CHECK_INT_EQ(vm_frame_send(sv[0], VM_STDERR, 1, "ab", 2), 0);
        CHECK_INT_EQ(vm_send_u32s(sv[0], VM_SIGNAL, 0, 15, VM_SIGNAL_ALL, 2), 0);
        CHECK_INT_EQ(vm_send_error(sv[0], 0, -ENOENT, "no such thing"), 0);
        static struct vm_reader r;
        struct vm_frame f;
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_STDERR && f.stream == 1 && f.len == 2 && !memcmp(f.payload, "ab", 2));
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_SIGNAL && vm_get_u32(f.payload) == 15 && vm_get_u32(f.payload + 4) == VM_SIGNAL_ALL);
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_ERROR && (int32_t) vm_get_u32(f.payload) == -ENOENT);
        CHECK(f.len == 4 + 13 && !memcmp(f.payload + 4, "no such thing", 13));
        /* a truncated frame then EOF is malformed, a clean EOF is 0 */
        uint8_t h[VM_FRAME_HEADER];
        vm_frame_header(h, VM_STDOUT, 0, 10);
        CHECK_INT_EQ(write(sv[0], h, sizeof h), (ssize_t) sizeof h);
        CHECK_INT_EQ(write(sv[0], "abc", 3), 3);
        close(sv[0]);
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), -EBADMSG);
        close(sv[1]);
        static struct vm_reader r2;
        CHECK_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        close(sv[0]);
        CHECK_INT_EQ(vm_reader_next(&r2, sv[1], &f), 0);
        close(sv[1]);
        /* garbage is refused at once */
        static struct vm_reader r3;
        CHECK_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        CHECK_INT_EQ(write(sv[0], "GET / HTTP/1.1\r\n", 16), 16);
        CHECK_INT_EQ(vm_reader_next(&r3, sv[1], &f), -EBADMSG);
        close(sv[0]);
        close(sv[1]);
}

/* A life with an exec'd process: its frames carry their own stream. */
static void test_exec_streams(void) {
        int sv[2];
        CHECK_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        static const char proc[] = "c1\0{\"args\":[\"sh\"],\"cwd\":\"/\"}";
        CHECK_INT_EQ(vm_frame_send(sv[0], VM_EXEC, 1, proc, sizeof proc - 1), 0);
        CHECK_INT_EQ(vm_frame_send(sv[0], VM_STARTED, 1, NULL, 0), 0);
        CHECK_INT_EQ(vm_frame_send(sv[0], VM_STDOUT, 0, "init", 4), 0);
        CHECK_INT_EQ(vm_frame_send(sv[0], VM_STDOUT, 1, "exec", 4), 0);
        CHECK_INT_EQ(vm_send_u32s(sv[0], VM_EXIT, 1, 0x0300, 0, 1), 0);
        close(sv[0]);
        static struct vm_reader r;
        struct vm_frame f;
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_EXEC && f.stream == 1 && f.len == sizeof proc - 1 && !memcmp(f.payload, proc, f.len));
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_STARTED && f.stream == 1);
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_STDOUT && f.stream == 0 && !memcmp(f.payload, "init", 4));
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_STDOUT && f.stream == 1 && !memcmp(f.payload, "exec", 4));
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_EXIT && f.stream == 1 && vm_get_u32(f.payload) == 0x0300);
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 0);
        close(sv[1]);
        CHECK(!strcmp(vm_frame_type_name(VM_EXEC), "EXEC"));
}

/* Version 3's queries: each on a stream of its own, answered there once;
 * since version 4 each begins with its target (a container id and a NUL),
 * then JSON at least "{}" where there is something to carry. */
static void test_queries(void) {
        uint8_t buf[64];
        struct vm_frame f;
        size_t used, n;
        const unsigned empty[] = {VM_STATS, VM_PS, VM_PAUSE, VM_RESUME};
        for (size_t i = 0; i < ELEMENTSOF(empty); i++) {
                n = frame(buf, empty[i], 5, "\0", 1);
                CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), 1);
                CHECK(f.type == empty[i] && f.stream == 5 && used == n);
                n = frame(buf, empty[i], 5, "pod-c\0", 6);
                CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), 1);
                const uint8_t *rest;
                uint32_t rest_len;
                CHECK(!strcmp(vm_target(f.payload, f.len, &rest, &rest_len), "pod-c") && rest_len == 0);
                /* never on the init's stream, refused from the header */
                n = frame(buf, empty[i], 0, "\0", 1);
                CHECK_INT_EQ(vm_frame_parse(buf, VM_FRAME_HEADER, &f, &used), -EBADMSG);
                /* a target, NUL-terminated */
                n = frame(buf, empty[i], 5, NULL, 0);
                CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
                n = frame(buf, empty[i], 5, "x", 1);
                CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        }
        n = frame(buf, VM_UPDATE, 9, "\0{}", 3);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), 1);
        n = frame(buf, VM_UPDATE, 9, "{}}", 3);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        n = frame(buf, VM_UPDATE, 9, "\0{", 2);
        CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        const unsigned json[] = {VM_STATS_REPLY, VM_PS_REPLY};
        for (size_t i = 0; i < ELEMENTSOF(json); i++) {
                n = frame(buf, json[i], 9, "{}", 2);
                CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), 1);
                CHECK(f.type == json[i] && f.stream == 9 && f.len == 2);
                n = frame(buf, json[i], 9, "{", 1);
                CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
                n = frame(buf, json[i], 0, "{}", 2);
                CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
        }
        /* the types between the ranges stay unknown */
        const unsigned unknown[] = {VM_OK + 1, VM_PS_REPLY + 1, VM_ADD + 1, VM_RESUME + 1};
        for (size_t i = 0; i < ELEMENTSOF(unknown); i++) {
                n = frame(buf, unknown[i], 9, NULL, 0);
                CHECK_INT_EQ(vm_frame_parse(buf, n, &f, &used), -EBADMSG);
                CHECK(!strcmp(vm_frame_type_name(unknown[i]), "unknown"));
        }
        /* a whole exchange, as the monitor relays it */
        int sv[2];
        CHECK_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        static const char res[] = "\0{\"memory\":{\"limit\":67108864}}";
        const char *stats = "{\"memory\":{\"usage\":{\"usage\":4096}}}";
        CHECK_INT_EQ(vm_frame_send(sv[0], VM_UPDATE, 2, res, sizeof res - 1), 0);
        CHECK_INT_EQ(vm_frame_send(sv[0], VM_OK, 2, NULL, 0), 0);
        CHECK_INT_EQ(vm_frame_send(sv[0], VM_STATS, 3, "\0", 1), 0);
        CHECK_INT_EQ(vm_frame_send(sv[0], VM_STATS_REPLY, 3, stats, strlen(stats)), 0);
        close(sv[0]);
        static struct vm_reader r;
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_UPDATE && f.stream == 2 && f.len == sizeof res - 1 && !memcmp(f.payload, res, f.len));
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_OK && f.stream == 2);
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_STATS && f.stream == 3 && f.len == 1);
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 1);
        CHECK(f.type == VM_STATS_REPLY && f.len == strlen(stats) && !memcmp(f.payload, stats, f.len));
        CHECK_INT_EQ(vm_reader_next(&r, sv[1], &f), 0);
        close(sv[1]);
        CHECK(!strcmp(vm_frame_type_name(VM_STATS_REPLY), "STATS_REPLY"));
        CHECK(!strcmp(vm_frame_type_name(VM_RESUME), "RESUME"));
}

static void test_oversize_send(void) {
        static uint8_t big[VM_FRAME_MAX_PAYLOAD + 1];
        CHECK_INT_EQ(vm_frame_send(-1, VM_STDIN, 0, big, sizeof big), -EMSGSIZE);
}

int main(void) {
        test_round_trip();
        test_malformed();
        test_reader();
        test_exec_streams();
        test_queries();
        test_oversize_send();
        return unit_summary();
}
