/* SPDX-License-Identifier: MIT */
/*
 * Per-process credentials and limits applied just before execve, in the
 * order runc uses (which is the order the kernel's rules force):
 *   rlimits and oom_score_adj while still privileged,
 *   bounding set dropped, then uid/gid/groups switched with keep-caps,
 *   then effective/permitted/inheritable/ambient sets, no_new_privs, umask.
 */
#pragma once

#include "oci/spec.h"

int process_apply_rlimits(const struct oci_process *p);
int process_set_oom_score_adj(const struct oci_process *p);

/* Bounding set, groups, gid, uid, capability sets (effective, permitted,
 * inheritable, ambient) and umask (0022 when the spec sets none, as runc).
 * Must run after all mounts.  has_caps == false means every set is empty;
 * capabilities above the running kernel's last one are ignored. */
int process_apply_identity(const struct oci_process *p);
int process_apply_no_new_privs(const struct oci_process *p);

/* Look args[0] up in the PATH of `env` (as seen from the current root) and
 * check it is an executable regular file; the malloc'ed result goes in *ret.
 * The error names what is missing, like runc: exec: "foo": executable file not found in $PATH */
int process_find_executable(const char *arg0, char *const *env, char **ret);

/* Log "<fmt>: <errno text>" with runc's (Go's) wording of the errno, a
 * lower-case first letter ("no such file or directory", "permission
 * denied"), and return err.  For the exec errors: Docker 20.10 reads them
 * case-sensitively to report 127 (command not found) or 126 (not
 * executable) instead of 125. */
int process_exec_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* chdir to cwd inside the container; missing cwd is an error naming it. */
int process_chdir(const struct oci_process *p);

/* Mark every fd >= first close-on-exec, so that execve passes exactly stdio
 * and the preserved fds below `first` (close_range(CLOSE_RANGE_CLOEXEC), or a
 * /proc/self/fd walk on kernels before 5.11). */
int process_close_fds_from(int first);
