/* SPDX-License-Identifier: MIT */
/*
 * The Gofer: the only process of a sentry sandbox that can write to the
 * container's files.  It lives in its own copy of the container's mount
 * tree (root = container root, writable as the config says) and performs
 * file operations for the Sentry, one component at a time inside that root,
 * with the credentials of the workload thread that asked.
 *
 * Wire protocol: docs/gofer-protocol.md.  Client side: gofer/client.h.
 */
#pragma once

/* Serve until `ctl_fd` reaches EOF (the Sentry is gone): every fd received
 * on it (SCM_RIGHTS) is a SOCK_SEQPACKET connection served by a thread of
 * its own.  The caller has already made the process's root the container
 * root (gofer_enter_root or the sandbox's set-up) and dropped what it does
 * not need.  Returns 0 on orderly EOF, -errno on failure; connection
 * threads still running then (one blocked opening a fifo, say) are left to
 * the process's exit, which should follow.
 *
 * EOF comes only when every copy of the Sentry's end is closed: that end
 * must not leak into other processes (forks made after it was created). */
int gofer_serve(int ctl_fd);
/* gofer_serve() with an explicit root: every path resolves inside
 * `root_fd`, whatever the process's own root is.  The tests run it without
 * pivot_root to show that resolution alone keeps paths inside; production
 * has both walls.  root_fd stays the caller's (threads use dups). */
int gofer_serve_root(int ctl_fd, int root_fd);

/* For tests and the sandbox: a private mount namespace whose root is `dir`
 * (unshare(CLONE_NEWNS), make it private, bind `dir` onto itself, pivot_root,
 * detach the old root). */
int gofer_enter_root(const char *dir);
