/* SPDX-License-Identifier: MIT */
#pragma once

#include "oci/spec.h"

/* Refuse linux.sysctl keys that are not namespaced by the container's own
 * namespaces (they would change the host), as runc's validator does. */
int sysctl_validate(const struct oci_spec *spec);
/* Write linux.sysctl under /proc/sys; runs in the container after /proc is mounted. */
int sysctl_apply(const struct oci_spec *spec);
