/* SPDX-License-Identifier: MIT */
/*
 * Path resolution inside the container root.
 *
 * Every walk is done by the kernel with openat2(root_fd, path,
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): "/" and absolute symlinks mean
 * root_fd, ".." stops at root_fd, a rename racing with ".." makes the
 * kernel answer EAGAIN (retried) rather than a wrong directory, and a
 * /proc/<pid>/root style link is refused with ELOOP.  What openat2 cannot
 * express (acting on the last component itself: unlink, mkdir, lstat, ...)
 * is done with the *at() call on the parent directory that openat2 resolved
 * and the last component's name, which the kernel looks up in that
 * directory only.  A name is only handed to such a call when the call
 * cannot follow it out of that directory: a plain name that the call does
 * not follow, ".", or a name the call rejects before looking it up (".."
 * and "." for the calls that create or remove).  No walk ever depends on
 * the process's own root or cwd, so resolution stays inside root_fd even
 * when the Gofer runs without pivot_root (which the tests rely on).
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"

enum gofer_last {
        GOFER_LAST_NORM,   /* a plain name */
        GOFER_LAST_DOT,    /* "." */
        GOFER_LAST_DOTDOT, /* ".." */
        GOFER_LAST_ROOT,   /* the path is "/" (or only slashes) */
};

/* An object named as (dirfd, name, at_flags), ready for an *at() call. */
struct gofer_walk {
        int dirfd;
        bool own_dirfd;
        const char *name;
        int at_flags; /* AT_SYMLINK_NOFOLLOW, or AT_EMPTY_PATH with name "" */
        enum gofer_last last;
        bool trailing_slash;
        char name_buf[PATH_MAX];
};

/* Every gofer_walk starts as this, so that the cleanup is safe on any
 * early return. */
#define GOFER_WALK_INIT {.dirfd = -1}
void gofer_walk_done(struct gofer_walk *w);
#define _cleanup_walk_ _cleanup_(gofer_walk_done)

/* openat2 inside the root (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
 * `resolve`, O_CLOEXEC added).  Returns the fd or -errno. */
int gofer_walk_open(int root_fd, const char *path, int flags, mode_t mode, uint64_t resolve);

/* For the calls that create, remove or rename the last component: its
 * parent directory and its name verbatim (trailing slashes, "." and ".."
 * included: those calls never follow the last component and reject "."
 * and ".." before any lookup, with Linux's own errno).  "/" becomes
 * (root, ".", GOFER_LAST_ROOT); rmdir must answer EBUSY for it itself. */
int gofer_walk_parent(int root_fd, const char *path, struct gofer_walk *w);

/* The object itself, a final symlink not followed (lstat, readlink,
 * lchown, l*xattr, ...): (parent, name, AT_SYMLINK_NOFOLLOW).  When Linux
 * resolves the last component anyway (".", "..", "/", a trailing slash,
 * which all name a directory) the directory is resolved whole and named
 * (dir, ".", AT_SYMLINK_NOFOLLOW). */
int gofer_walk_nofollow(int root_fd, const char *path, struct gofer_walk *w);

/* The object after following every symlink, as an O_PATH fd:
 * (fd, "", AT_EMPTY_PATH). */
int gofer_walk_follow(int root_fd, const char *path, struct gofer_walk *w);

/* Following symlinks like gofer_walk_follow, but named through its parent
 * as gofer_walk_nofollow names it, for calls that refuse O_PATH fds
 * (*xattrat) or need a name (linkat, connect).  Final symlinks are read and
 * their targets resolved again inside the root, up to 40 as the kernel
 * does; the name returned was not a symlink when looked at (a racing
 * rename can make it one: the call then acts on the link itself, never
 * through it). */
int gofer_walk_follow_named(int root_fd, const char *path, struct gofer_walk *w);
