/* SPDX-License-Identifier: MIT */
/*
 * OCI linux.seccomp, compiled with libseccomp the way runc does it: one
 * filter with the profile's default action, its architectures and flags,
 * and one rule per syscall name.  Names this libseccomp does not know are
 * skipped (that is how Docker's profile can list newer syscalls); anything
 * malformed is an error naming its JSON path.
 *
 * `create` and `exec` check the profile before anything is spawned; the
 * container process compiles it again and loads it (seccomp_apply) as late
 * as the kernel lets it (see docs/seccomp.md).  When a rule uses
 * SCMP_ACT_NOTIFY the process hands the listener fd to its parent over the
 * sync socket, and the parent passes it on to linux.seccomp.listenerPath
 * with the container process state (seccomp_forward_listener).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* Compile without loading: every error is one line naming the JSON path. */
int seccomp_check(const json_t *profile);

/* Whether loading `profile` (already checked) yields a listener fd. */
bool seccomp_uses_notify(const json_t *profile);

/* In the container process: compile and load the filter, then send the
 * listener fd (if any) to the parent on sync_fd as SYNC_SECCOMP_FD. */
int seccomp_apply(const json_t *profile, int sync_fd);

/* In the parent, before waiting for SYNC_READY: when the profile notifies,
 * receive the listener fd from sync_fd and send it to listenerPath with
 * the OCI container process state for process `pid` (`state` is the
 * container's OCI state document).  No-op otherwise. */
int seccomp_forward_listener(const json_t *profile, int sync_fd, pid_t pid, json_t *state);

/* `cocoon features`' linux.seccomp object: what the compiler above accepts. */
json_t *seccomp_features(void);
