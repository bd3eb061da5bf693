/* SPDX-License-Identifier: MIT */
/*
 * Linux security module labels: process.apparmorProfile,
 * process.selinuxLabel and linux.mountLabel, applied as runc applies them
 * when the LSM is active on the host.  When it is not, each requested label
 * costs one warning and is not applied (runc ignores them silently); a
 * container never fails because the host has no LSM.
 */
#pragma once

#include <stdbool.h>

#include "oci/spec.h"

bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);

/* In the process about to execve: the AppArmor profile and SELinux label
 * its program will run under (both take effect at the next execve). */
int lsm_apply_exec_labels(const struct oci_process *p);

/* linux.mountLabel when SELinux can apply it, else NULL (after a warning
 * when one was given). */
const char *lsm_mount_label(const struct oci_spec *spec);

/* Mount data with the label as a context= option (runc's
 * label.FormatMountLabel): "context=\"L\"" or "DATA,context=\"L\"".
 * Malloc'ed; NULL on ENOMEM. */
char *lsm_format_mount_label(const char *data, const char *label);

/* Whether runc labels a mount of this filesystem type with context=
 * (not proc, sysfs, cgroup, mqueue, nor binds, whose source keeps its label). */
bool lsm_mount_takes_label(const char *type);
