/* SPDX-License-Identifier: MIT */
/*
 * The host <-> agent protocol of the vm sandbox (docs/agent-protocol.md),
 * shared by the host's monitor and the in-guest agent.  Frames travel over
 * one virtio-serial port, a byte stream: a fixed 12-byte little-endian
 * header (magic, version, type, stream, length) and `length` payload bytes.
 * The decoder never trusts the peer: a bad magic, version, type or length,
 * or a payload of the wrong size for its type, is -EBADMSG and the
 * connection is dropped, never a crash.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VM_PROTO_MAGIC 0x4376u /* "vC" on the wire */
#define VM_PROTO_VERSION 4
#define VM_FRAME_HEADER 12
#define VM_FRAME_MAX_PAYLOAD (64u * 1024u)

/* The stream of a frame: the process it is about (0 = the container's init,
 * others = processes the host's EXEC started, numbered by the host). */
#define VM_STREAM_INIT 0

enum vm_frame_type {
        /* agent -> host */
        VM_HELLO = 1, /* u32 version, then the guest's kernel release */
        VM_CREATED,   /* the container exists, its process waits for VM_START */
        VM_STARTED,   /* the process exec'd the user's program */
        VM_ERROR,     /* i32 -errno, then one error line: the last request failed */
        VM_STDOUT,    /* bytes */
        VM_STDERR,    /* bytes */
        VM_EXIT,      /* i32 wait status; sent after every byte of output */
        VM_OK,        /* the last request (signal, stdin close) succeeded */
        /* agent -> host, version 3: answers to the queries below, on their stream */
        VM_STATS_REPLY = 16, /* JSON: the "data" of a runc stats event, from the guest's cgroup */
        VM_PS_REPLY,         /* JSON: {"pids": [guest pids], "table": "ps -ef lines"} */
        /* host -> agent */
        VM_CREATE = 32, /* u32 flags, NUL-terminated id, then config.json */
        VM_START,       /* empty */
        VM_STDIN,       /* bytes */
        VM_STDIN_CLOSE, /* empty: EOF on the workload's stdin */
        VM_SIGNAL,      /* u32 signal, u32 flags (VM_SIGNAL_ALL) */
        VM_SHUTDOWN,    /* empty: the agent powers the guest off */
        VM_RESIZE,      /* u32 rows, u32 columns: the terminal's new size */
        VM_EXEC,        /* target, process.json (text): run it in the container, on a new stream */
        VM_ADD,         /* version 4: u32 flags, NUL-terminated id, config.json: one more container
                         * in the guest (a Kubernetes pod's), on a stream of its own */
        /* host -> agent, version 3: queries about the container, each on a
         * stream of its own (never the init's), answered there once */
        VM_STATS = 48, /* target: STATS_REPLY */
        VM_PS,         /* target: PS_REPLY */
        VM_UPDATE,     /* target, linux.resources (JSON): OK or ERROR */
        VM_PAUSE,      /* target: freeze the container's cgroup in the guest; OK or ERROR */
        VM_RESUME,     /* target: thaw it; OK or ERROR */
};

/* Version 4: EXEC and the queries begin with their target, the id of the
 * container they are about and a NUL ("" = the container the VM was booted
 * for; another id names a container ADD made).  The decoder checks the NUL;
 * this splits the payload into the target and what follows it. */
static inline const char *vm_target(const uint8_t *payload, uint32_t len, const uint8_t **ret_rest,
                                    uint32_t *ret_len) {
        const char *id = (const char *) payload;
        size_t n = strnlen(id, len);
        *ret_rest = payload + n + 1;
        *ret_len = len - (uint32_t) n - 1;
        return id;
}

#define VM_SIGNAL_ALL 1u
#define VM_CREATE_TERMINAL 1u /* CREATE's flags: process.terminal (output is STDOUT only) */

struct vm_frame {
        uint8_t type;
        uint32_t stream;
        uint32_t len;
        const uint8_t *payload; /* points into the decoder's buffer */
};

/* Encode a header into out[VM_FRAME_HEADER]. */
void vm_frame_header(uint8_t out[VM_FRAME_HEADER], enum vm_frame_type type, uint32_t stream, uint32_t len);
/*
 * Decode one frame from buf[0..n): 1 and *ret_used bytes consumed when a
 * whole valid frame is there, 0 when more bytes are needed, -EBADMSG when
 * the bytes can never become a valid frame.
 */
int vm_frame_parse(const uint8_t *buf, size_t n, struct vm_frame *f, size_t *ret_used);
const char *vm_frame_type_name(unsigned type);

/* Write one frame (header and payload) in full; -errno. */
int vm_frame_send(int fd, enum vm_frame_type type, uint32_t stream, const void *payload, size_t len);
int vm_send_u32s(int fd, enum vm_frame_type type, uint32_t stream, uint32_t a, uint32_t b, size_t n);
int vm_send_error(int fd, uint32_t stream, int err, const char *msg);

/* Buffered reading of frames from a stream fd. */
struct vm_reader {
        uint8_t buf[VM_FRAME_HEADER + VM_FRAME_MAX_PAYLOAD];
        size_t len;  /* bytes held */
        size_t used; /* bytes of the frame returned last, dropped on the next call */
};
/*
 * The next frame: 1 with *f (valid until the next call), 0 on a clean EOF
 * between frames, -EAGAIN when a non-blocking fd has no whole frame yet,
 * -EBADMSG on a malformed frame or EOF inside one, -errno on read errors.
 */
int vm_reader_next(struct vm_reader *r, int fd, struct vm_frame *f);
/* Whether the bytes already read hold another whole frame (or a malformed
 * one): poll() on the fd says nothing about them. */
bool vm_reader_buffered(const struct vm_reader *r);

/* Little-endian helpers for payloads. */
static inline uint32_t vm_get_u32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}
static inline void vm_put_u32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
        p[2] = (uint8_t) (v >> 16);
        p[3] = (uint8_t) (v >> 24);
}
