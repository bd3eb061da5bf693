/* SPDX-License-Identifier: MIT */
/*
 * The device allow-list on cgroup v2: v2 has no devices.allow file, the
 * kernel asks a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup
 * instead.  The program is generated from the same rule list the v1 path
 * writes (cgroup_devices.h), as raw instructions, so no libbpf is needed.
 */
#pragma once

#include <linux/bpf.h>
#include <stddef.h>

#include "linux/cgroup_devices.h"

/* The program for the list: a request is allowed when, for every access bit
 * it asks for, the last rule that matches the device and names that bit is
 * an allow rule.  That is "later rules override earlier ones", bit by bit,
 * the semantics the v1 writes have. */
int bpf_devices_program(const struct device_rule *v, size_t n, struct bpf_insn **ret, size_t *ret_n);

/* Load the program for the list and make it the cgroup v2 directory's device
 * policy: attach it, then detach whatever device programs were attached
 * before (runc's order, so the directory is never without a policy). */
int bpf_devices_apply(const char *cgroup_dir, const struct device_rule *v, size_t n);

/* The ids of the device programs attached directly to the directory. */
int bpf_devices_query(const char *cgroup_dir, unsigned **ret_ids, size_t *ret_n);
