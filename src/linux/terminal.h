/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Inside the container (after its devpts is mounted): open a new pty pair
 * from /dev/ptmx, make the slave the controlling terminal and stdio of the
 * calling process, bind it onto /dev/console when that exists, chown it to
 * uid/gid, apply the size, and hand the master out through `sock` (a
 * connected AF_UNIX socket) with SCM_RIGHTS, the slave's path as the name.
 * gid == (gid_t)-1 keeps the group devpts assigned (its gid= option, "tty"
 * in the default spec), which is what runc does.  Creates /dev/console only
 * on a tmpfs /dev; a /dev from the image without one gets no console bind.
 * Only the container's init binds /dev/console (bind_console); exec'd
 * processes get a terminal without touching the container's mounts. */
int terminal_setup(int sock, uid_t uid, gid_t gid, unsigned rows, unsigned cols, bool bind_console);

/* Send/receive one fd with SCM_RIGHTS; `name` travels as the payload, as in
 * runc's utils.SendFd/RecvFd and containerd's console socket (names up to
 * 4095 bytes).  The received fd is close-on-exec. */
int fd_send(int sock, int fd, const char *name);
int fd_recv(int sock, int *ret_fd);

/* Connect to a --console-socket path; returns the fd or -errno (logged). */
int console_connect(const char *path);
/* The console socket a new process reports its pty master to: our own copy
 * of `given` (run/exec relaying the terminal themselves), else a connection
 * to `path`, else none (*ret = -1). */
int console_open(int given, const char *path, int *ret);
