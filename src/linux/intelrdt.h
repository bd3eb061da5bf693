/* SPDX-License-Identifier: MIT */
/*
 * linux.intelRdt (cache allocation and memory bandwidth), as runc does it:
 * a resctrl group (linux.intelRdt.closID, or the container's id), its
 * "schemata" written from l3CacheSchema / memBwSchema, every container
 * process in its "tasks".  A group named by closID may be shared and
 * managed by others, so delete removes only the group named after the
 * container.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "oci/spec.h"

#define RESCTRL_ROOT "/sys/fs/resctrl"

/* Refuses intelRdt on a host without a mounted resctrl, and schemata the
 * host's resctrl has no resource for. */
int intelrdt_validate(const struct oci_spec *spec);

/* The group's directory for the linux.intelRdt object `rdt` (may be NULL:
 * then NULL is returned). */
const char *intelrdt_group(json_t *rdt, const char *id, char *buf, size_t len);

/* Create the group (if missing) and write its schemata. */
int intelrdt_setup(const struct oci_spec *spec, const char *id);

/* Move `pid` into the group (its later children follow). */
int intelrdt_join(const char *group, pid_t pid);

/* Remove the group if it is the container's own (no closID); quiet when
 * absent.  Takes the saved config's linux.intelRdt (or NULL), not a parsed
 * spec, so that delete need not parse (and warn about) the config again. */
int intelrdt_destroy(json_t *rdt, const char *id);
