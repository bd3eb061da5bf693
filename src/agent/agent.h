/* SPDX-License-Identifier: MIT */
/* cocoon's in-guest agent (PID 1 of a vm sandbox's guest). */
#pragma once

#include <jansson.h>
#include <sys/types.h>
#include "runtime/container.h"
#include "vm/protocol.h"

#define AGENT_PORT_NAME "cocoon.agent"
#define AGENT_ROOTFS_TAG "rootfs"
#define AGENT_ROOTFS "/run/rootfs"
#define AGENT_STATE_ROOT "/run/cocoon"
#define AGENT_BUNDLE "/run/bundle"
/* The containers of a pod that ADD makes (docs/vm.md, "Pods"): their
 * rootfs and bind mounts under AGENT_POD_DIR/<id>/ (the host's per-pod
 * share, tagged AGENT_POD_TAG), their bundles under AGENT_POD_BUNDLES/<id>. */
#define AGENT_POD_TAG "pod"
#define AGENT_POD_DIR "/run/pod"
#define AGENT_POD_BUNDLES "/run/bundles"

/* boot.c: kernel filesystems, modules, a tmpfs root, the shared rootfs */
int agent_boot(void);
int agent_open_port(int *ret);
/* serve.c: the protocol loop; returns when the host is gone */
int agent_serve(int port);
/* net.c: the guest's loopback up (at boot); the interfaces the host wired
 * (CREATE's config, key "cocoon.vm.network", src/vm/net.c) moved into the
 * network namespace of the container whose init is `pid`, configured there */
int agent_net_loopback(void);
int agent_net_setup(const json_t *net, pid_t pid);
/* query.c: STATS, PS, UPDATE, PAUSE or RESUME about container `id` (NULL:
 * none yet); *ret_json is the payload of STATS_REPLY or PS_REPLY, NULL when
 * the answer is OK.  Errors are logged (the ERROR frame's line). */
int agent_query(struct cocoon_ctx *ctx, const char *id, const struct vm_frame *f, char **ret_json);
