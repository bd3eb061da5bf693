/* SPDX-License-Identifier: MIT */
/*
 * OCI hooks (config.md "POSIX-platform Hooks"): each hook is a program run
 * with the container's OCI state JSON on stdin, its args and env exactly as
 * configured, and an optional timeout.  Where each kind runs (runtime
 * namespace or the container's) is decided by the callers; see docs/hooks.md.
 */
#pragma once

#include <stdbool.h>

#include "oci/spec.h"
#include "oci/state.h"

/* Does `create` need the namespaces-ready step (prestart, createRuntime,
 * createContainer or startContainer hooks)?  The sandbox and the init both
 * ask, so both sides agree on whether the step happens. */
bool hooks_need_create_step(const struct oci_spec *spec);

/* Run the hooks of `kind` in order; the first failure (exit status, signal,
 * timeout, exec error) is logged as one error line naming the kind, index
 * and path, with the hook's output, and returned. */
int hooks_run(const struct oci_spec *spec, enum oci_hook_kind kind, const char *state);

/* Same, but every hook runs and failures are warnings (poststop). */
void hooks_run_warn(const struct oci_spec *spec, enum oci_hook_kind kind, const char *state);

/* The OCI state document of `s` with `status`, as hooks read it (NULL: out of memory). */
char *hooks_state_json(const struct cocoon_state *s, const char *status);
/* `state` (a JSON document) with its status replaced (NULL: malformed or out of memory). */
char *hooks_state_with_status(const char *state, const char *status);
