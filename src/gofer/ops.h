/* SPDX-License-Identifier: MIT */
/* The Gofer's operations, run on a connection thread (server.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "gofer/creds.h"
#include "gofer/protocol.h"

struct gofer_conn {
        int root_fd;              /* the container root: every path starts here */
        struct gofer_creds creds; /* this thread's */
};

/* What an operation hands back besides its result. */
struct gofer_out {
        int fd;           /* >= 0: sent with SCM_RIGHTS, then closed */
        uint8_t *payload; /* buffer of GOFER_XATTR_SIZE_MAX bytes */
        size_t len;
};

/* Run one decoded request with the caller's credentials already applied.
 * `in_fd` is the fd the request carried (or -1); it stays the caller's.
 * Returns the syscall's result (>= 0) or the workload's -errno, silently:
 * a failing operation is an answer, not an error of the Gofer. */
int gofer_do_op(struct gofer_conn *conn, const struct gofer_req *q, int in_fd, struct gofer_out *out);
