/* SPDX-License-Identifier: MIT */
/*
 * Capability primitives used by process.c.  Sets are bitmasks of CAP_*
 * numbers (bit n == capability n), as in struct oci_caps.  Each function
 * logs its own failure, naming the capability involved.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Highest capability number the running kernel knows (CAP_LAST_CAP). */
int caps_last_cap(void);
/* Mask of every capability the running kernel knows. */
uint64_t caps_kernel_mask(void);

/* "CAP_KILL", or "CAP_<n>" for a number libcap has no name for. */
const char *caps_name(int cap, char *buf, size_t len);

/* Drop from the bounding set every capability not in `keep`. */
int caps_drop_bounding(uint64_t keep);
/* capset() the effective, permitted and inheritable sets, for this thread. */
int caps_set(uint64_t effective, uint64_t permitted, uint64_t inheritable);
/* Clear the ambient set, then raise each capability of `ambient`. */
int caps_set_ambient(uint64_t ambient);
