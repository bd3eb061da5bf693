/* SPDX-License-Identifier: MIT */
/*
 * The host side of the vm sandbox: QEMU (launch.c) and the monitor process
 * that is the container's pid (monitor.c).  docs/vm.md has the picture.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/spec.h"

struct sandbox_create;

/* A bind mount's source, shared with the guest on its own virtio-9p device
 * (tag "m<index in config.json's mounts>").  A file is shared through its
 * directory and bound from there in the guest. */
#define VM_MAX_SHARES 16
#define VM_SHARE_DIR "/run/share"
struct vm_share {
        size_t mount; /* index in spec->mounts */
        char *host;   /* the directory QEMU shares */
        char *guest;  /* the mount's source in the guest: VM_SHARE_DIR/m<i>[/<file>] */
        bool ro;
};

/* A tap device QEMU gets as a virtio-net device (net.c). */
#define VM_MAX_NICS 8
struct vm_tap {
        int fd;
        uint8_t mac[6];
};

/* The guest kernel: Debian's (linux-image-amd64, its modules in the
 * initramfs) or the minimal one `make guest-kernel` builds (docs/vm.md). */
enum vm_kernel { VM_KERNEL_DEBIAN, VM_KERNEL_MINIMAL };

/* What QEMU is started with; vm_plan fills it from the config. */
struct vm_plan {
        char guest_dir[4096]; /* vmlinux, initramfs.cpio (and the minimal kernel's) */
        enum vm_kernel kernel;
        bool kvm;             /* /dev/kvm usable; TCG otherwise */
        unsigned mem_mib;
        unsigned vcpus;
        struct vm_share shares[VM_MAX_SHARES];
        size_t n_shares;
        /* the container's interfaces (the monitor fills them in, net.c) */
        struct vm_tap taps[VM_MAX_NICS];
        size_t n_taps;
        /* a pod's sandbox container: the directory shared as tag "pod", where
         * the pod's other containers' rootfs and volumes appear (docs/vm.md, "Pods") */
        char *pod_dir;
};

/* The directory of the guest assets (vmlinux, initramfs.cpio), first of:
 * $COCOON_GUEST_DIR, the build tree this binary was built in, a build tree
 * next to the binary, PREFIX/lib/cocoon/guest for PREFIX/bin/cocoon (where
 * `make install` puts them), /usr/lib/cocoon/guest.  false (ret: where they
 * should be) when none holds a kernel and its initramfs. */
bool vm_guest_dir(char ret[4096]);

/* Which kernel of `dir` guests boot: $COCOON_VM_KERNEL (minimal or debian)
 * when set, else the minimal kernel when it was built, else Debian's.
 * -ENOENT/-EINVAL with the reason in `why` when the one asked for (or any)
 * is missing: a minimal kernel asked for is never replaced by Debian's. */
int vm_guest_kernel(const char *dir, enum vm_kernel *ret, char *why, size_t why_len);
const char *vm_kernel_name(enum vm_kernel k);
const char *vm_kernel_file(enum vm_kernel k);         /* e.g. "vmlinux-min" */
const char *vm_kernel_release_file(enum vm_kernel k); /* its `uname -r`, e.g. "kernel-min.release" */

/* The guest assets' directory (vm_guest_dir), the kernel (vm_guest_kernel), KVM or not (warns once when
 * not), RAM and vCPUs from linux.resources. */
int vm_plan(const struct oci_spec *spec, struct vm_plan *ret);
void vm_plan_free(struct vm_plan *p);

/* With root.readonly the rootfs is shared read-only, so the guest cannot
 * make a mount point that is missing (`docker run --read-only -v
 * /host:/data`, a pod's /etc/resolv.conf): they are made here, on the host,
 * as runc makes them before it remounts the root read-only, resolved inside
 * the rootfs (linux/mounts.h).  A destination below an earlier mount's
 * (/dev/pts below /dev) is left to the guest, where it lands in that mount.
 * Logged. */
int vm_make_mountpoints(const struct oci_spec *spec, const char *rootfs);

/* Start QEMU as a child of the caller: `agent_fd` becomes its end of the
 * agent's virtio-serial port, `console_fd` its stdout/stderr and the guest's
 * serial console; the container rootfs is shared read-only when `ro`.
 * QEMU dies with the caller (parent-death signal). */
int vm_launch(const struct vm_plan *p, const char *id, const char *rootfs, bool ro, int agent_fd, int console_fd,
              pid_t *ret_pid);

/*
 * net.c: the container's network namespace (the caller's, when called)
 * wired into the guest.  For each Ethernet interface in it (veth, macvlan,
 * ...): a tap device VM_TAP_PREFIX<i>, tc redirects both ways between the
 * two, and what the agent needs to give the guest's interface the same
 * name, MAC, MTU, addresses and routes (`guest`, sent in CREATE).
 */
#define VM_TAP_PREFIX "cocoon-tap"
struct vm_nic {
        char name[16]; /* IFNAMSIZ */
        int ifindex;
        uint8_t mac[6];
        unsigned mtu;
        json_t *addresses; /* ["10.0.0.2/24", ...] */
        char tap[16];
        int tap_ifindex;
        int tap_fd; /* QEMU's (the tap goes away with its last fd) */
        bool wired; /* the ingress qdisc on the interface is ours */
};
struct vm_net {
        struct vm_nic nics[VM_MAX_NICS];
        size_t n;
        json_t *guest; /* {"interfaces": [{name, mac, mtu, addresses}], "routes": [{dst, gateway?, dev}]} */
};
int vm_net_wire(struct vm_net *net);
/* The ingress qdiscs off the interfaces (their filters with them), the taps' fds closed. */
void vm_net_unwire(struct vm_net *net);
/* The fds and memory only: the wiring stays (QEMU holds the taps). */
void vm_net_release(struct vm_net *net);
void vm_net_mac_text(const uint8_t mac[6], char buf[18]);
/* In the monitor, before QEMU: the container's network namespace joined
 * (linux.namespaces' path) or made (none given), the prestart and
 * createRuntime hooks run by create with our pid (SYNC_HOOKS), then the
 * namespace wired (vm_net_wire); a namespace given by path is recorded for
 * delete.  No network namespace in the config: nothing (the guest's own). */
int vm_net_prepare(const struct sandbox_create *sc, int report_fd, int dirfd, struct vm_net *net);
/* The config the guest gets: no hooks, no namespace path, and under
 * VM_NET_CONFIG_KEY what the agent configures (net->guest). */
#define VM_NET_CONFIG_KEY "cocoon.vm.network"
void vm_net_guest_config(json_t *doc, const struct vm_net *net);
/* For delete: the record VM_NET_FILE ("NETNS-PATH\nDEV:INODE\nIFNAME\n..."):
 * the ingress qdiscs off those interfaces, when that namespace is still there. */
#define VM_NET_FILE "net"
int vm_net_unwire_recorded(const char *record);

/* The monitor: the process `create` forks; never returns. */
struct vm_monitor_args {
        const struct sandbox_create *sc;
        const struct vm_plan *plan;
        int report_fd;
};
_Noreturn void vm_monitor(const struct vm_monitor_args *args);

/* The state directory's record of QEMU ("PID STARTTIME"), for delete. */
#define VM_QEMU_PID_FILE "qemu.pid"
#define VM_CONSOLE_LOG "console.log"
/* kill --all through the monitor: sigqueue()'s value on a signal */
#define VM_SIGVAL_ALL 0x766d616c /* "vmal" */

/*
 * `cocoon exec` reaches the monitor on this SOCK_SEQPACKET socket in the
 * state directory; every packet is one frame of the agent protocol
 * (protocol.h) with the stream VM_STREAM_UNASSIGNED, the monitor numbers the
 * process's stream on the agent's port.  The caller sends EXEC (the process
 * JSON) with three fds (SCM_RIGHTS): the process's stdin, stdout and stderr
 * (the caller's own, or the slave of a pty whose master went to
 * --console-socket); the monitor answers STARTED or ERROR, then EXIT once
 * every byte of output was written.  Meanwhile the caller sends SIGNAL and
 * RESIZE.  A caller that goes away gets its process killed (SIGKILL).
 * `events`, `ps`, `update`, `pause` and `resume` send one query instead
 * (STATS, PS, UPDATE, PAUSE, RESUME, no fds) and get the agent's one answer
 * (STATS_REPLY, PS_REPLY, OK or ERROR).
 */
#define VM_EXEC_SOCK "vmexec.sock"
#define VM_STREAM_UNASSIGNED 0xffffffffu
