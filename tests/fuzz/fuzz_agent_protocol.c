/* SPDX-License-Identifier: MIT */
/*
 * The vm sandbox's host <-> agent frames (src/vm/protocol.c) from arbitrary
 * bytes, as either side reads them off the virtio-serial stream: frames are
 * decoded one after another until the decoder wants more bytes or refuses.
 * Invariants:
 *  - a decoded frame lies inside the input: its payload starts right after
 *    its 12-byte header and `used` is header + payload, never past the end;
 *  - the header re-encoded with vm_frame_header() is the input's header;
 *  - no strict prefix of a frame the decoder accepts is refused (a reader
 *    that has part of a valid frame must wait, not drop the connection);
 *  - after a refusal (-EBADMSG) nothing else is returned;
 *  - a targeted frame's target (EXEC, the queries) and a CREATE's or ADD's
 *    id end with a NUL inside the payload.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "vm/protocol.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_logs();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t off = 0;
        for (;;) {
                struct vm_frame f;
                size_t used = 0;
                int r = vm_frame_parse(data + off, size - off, &f, &used);
                FUZZ_CHECK(r == 1 || r == 0 || r == -EBADMSG);
                if (r != 1)
                        break;
                FUZZ_CHECK(used == VM_FRAME_HEADER + (size_t) f.len);
                FUZZ_CHECK(used <= size - off);
                FUZZ_CHECK(f.payload == data + off + VM_FRAME_HEADER);
                FUZZ_CHECK(f.len <= VM_FRAME_MAX_PAYLOAD);
                uint8_t h[VM_FRAME_HEADER];
                vm_frame_header(h, (enum vm_frame_type) f.type, f.stream, f.len);
                FUZZ_CHECK(memcmp(h, data + off, VM_FRAME_HEADER) == 0);
                FUZZ_CHECK(vm_frame_type_name(f.type) != NULL);
                /* a targeted frame (version 4): its target ends inside the payload */
                if (f.type == VM_EXEC || (f.type >= VM_STATS && f.type <= VM_RESUME)) {
                        const uint8_t *rest;
                        uint32_t rest_len;
                        const char *t = vm_target(f.payload, f.len, &rest, &rest_len);
                        FUZZ_CHECK(strnlen(t, f.len) < f.len);
                        FUZZ_CHECK(rest + rest_len == f.payload + f.len);
                }
                /* CREATE and ADD: the id's NUL inside the payload, after the flags */
                if (f.type == VM_CREATE || f.type == VM_ADD)
                        FUZZ_CHECK(f.len > 4 && memchr(f.payload + 4, 0, f.len - 4) != NULL);
                /* every strict prefix: wait for more, never refuse */
                for (size_t k = 0; k < used; k += 1 + used / 64) {
                        struct vm_frame g;
                        size_t u = 0;
                        FUZZ_CHECK(vm_frame_parse(data + off, k, &g, &u) == 0);
                }
                off += used;
        }
        return 0;
}
