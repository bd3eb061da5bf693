/* SPDX-License-Identifier: MIT */
/* cocoon's in-guest agent (PID 1 of a vm sandbox's guest). */
#pragma once

#include <jansson.h>
#include <sys/types.h>

#define AGENT_PORT_NAME "cocoon.agent"
#define AGENT_ROOTFS_TAG "rootfs"
#define AGENT_ROOTFS "/run/rootfs"
#define AGENT_STATE_ROOT "/run/cocoon"
#define AGENT_BUNDLE "/run/bundle"

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
