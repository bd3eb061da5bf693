/* SPDX-License-Identifier: MIT */
/*
 * The device allow-list (linux.resources.devices plus the devices every
 * container needs plus linux.devices): the rule that keeps CAP_MKNOD from
 * turning into raw access to host disks.  v1 writes devices.deny/allow;
 * v2 has no devices file and takes an eBPF program (BPF_CGROUP_DEVICE)
 * built from the same rule list.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "linux/cgroup.h"

struct device_rule {
        bool allow;
        char type;       /* 'a' (all), 'c' or 'b' */
        int64_t major;   /* -1: any */
        int64_t minor;   /* -1: any */
        char access[4];  /* subset of "rwm", NUL-terminated */
};

/* The effective rule list, in order: deny everything, then the config's
 * rules, then the defaults, then one allow per linux.devices node.  Later
 * rules override earlier ones.  Config errors are logged with their JSON path. */
int device_rules_build(json_t *rules, const struct oci_device *devs, size_t n_devs, struct device_rule **ret,
                       size_t *ret_n);

/* Apply the list on every hierarchy that controls devices (v1 devices, or
 * eBPF on a pure v2 host); on v2 it replaces the program applied before. */
int cgroup_devices_apply(const struct cgroup *cg, json_t *rules, const struct oci_device *devs, size_t n_devs);

/* The same, with `extra` after every other rule: devices the runtime's own
 * processes in the cgroup need (the vm sandbox's QEMU and /dev/kvm). */
int cgroup_devices_apply_extra(const struct cgroup *cg, json_t *rules, const struct oci_device *devs, size_t n_devs,
                               const struct device_rule *extra, size_t n_extra);
