/* SPDX-License-Identifier: MIT */
#pragma once

#include "oci/spec.h"

/* process.scheduler (sched_setattr) and process.ioPriority (ioprio_set), for init and exec. */
int sched_apply(const struct oci_process *p);
/* linux.personality: the execution domain the program starts in. */
int personality_apply(const struct oci_spec *spec);
