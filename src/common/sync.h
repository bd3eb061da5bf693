/* SPDX-License-Identifier: MIT */
/*
 * The parent <-> child handshake used while a container (or an exec'd
 * process) is being set up.  A SOCK_SEQPACKET socketpair keeps message
 * boundaries, so every message is one fixed-size record; a closed peer reads
 * as EOF, which the other side treats as "the child died".
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "log.h"

enum sync_type {
        SYNC_GO = 1,         /* parent -> child: continue */
        SYNC_USERMAP,        /* child -> parent: write my uid/gid maps now */
        SYNC_PID,            /* stage 1 -> parent: value = pid of the process that will exec */
        SYNC_READY,          /* child -> parent: set-up complete, waiting for start */
        SYNC_ERROR,          /* child -> parent: value = -errno, msg = the one error line */
        SYNC_WARNING,        /* child -> parent: msg to log as a warning; set-up goes on */
        SYNC_HOOKS,          /* init -> parent: namespaces ready, run prestart/createRuntime hooks now */
        SYNC_SECCOMP_FD,     /* child -> parent: carries the seccomp listener fd (SCM_RIGHTS) */
        SYNC_STATE,          /* parent -> init: value = length of the OCI state JSON that follows; continue */
        SYNC_TREE_READY,     /* init -> parent (sandbox sentry): mount tree complete, waiting for SYNC_GO */
};

struct sync_msg {
        int32_t type;
        int32_t value;
        char msg[LOG_FORWARD_MAX];
};

int sync_send(int fd, enum sync_type type, int32_t value);
/* Receive one message; -EPIPE when the peer is gone. */
int sync_recv(int fd, struct sync_msg *m);
/* Receive and require `type`; a SYNC_ERROR from the child is logged and its errno returned. */
int sync_expect(int fd, enum sync_type type, int32_t *value);
/* Same, for a message of type `a` or `b`; *ret_type says which. */
int sync_expect_either(int fd, enum sync_type a, enum sync_type b, enum sync_type *ret_type, int32_t *value);
/* A message carrying one fd with SCM_RIGHTS, and its receiving side (like
 * sync_expect; *ret_fd is close-on-exec). */
int sync_send_fd(int fd, enum sync_type type, int passfd);
int sync_expect_fd(int fd, enum sync_type type, int *ret_fd);
void sync_send_error(int fd, int err, const char *msg);
/* A payload that does not fit a sync_msg: a `type` header whose value is the
 * length, then the bytes as one packet (SOCK_SEQPACKET keeps it whole). */
int sync_send_data(int fd, enum sync_type type, const char *data, size_t len);
/* The packet after a header received with sync_expect(); NUL-terminated. */
int sync_recv_data(int fd, int32_t len, char **ret);
void sync_send_warning(int fd, const char *msg);
