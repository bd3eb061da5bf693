/* SPDX-License-Identifier: MIT */
/* The vm sandbox as the cocoon commands see it: vm.c (create, exec, kill,
 * destroy) and vm_query.c (stats, ps, update, pause through the monitor). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "linux/cgroup.h"
#include "runtime/container.h"

/* QEMU's own memory beside the guest's RAM: TCG's translation cache, device
 * state, its heap and libraries (measured: ~90 MiB under TCG, bench/vm.sh). */
#define VMM_OVERHEAD_MIB 192

/* QEMU's threads: the main loop, RCU, one per vCPU and up to 64 workers of
 * its thread pool (9p I/O), with the monitor. */
#define VMM_TASKS 80

/* The VM's size as create made it, "MEM_MIB VCPUS" in the state directory:
 * later commands size the host cgroup from it (the saved config changes
 * with `update`, the VM does not). */
#define VM_GUEST_FILE "guest"

/* A limit of the host cgroup (a no-op without that controller); on v1 the
 * memsw limit is raised with the memory limit.  Logged. */
int vm_host_knob(const struct cgroup *cg, const char *controller, const char *v2_file, const char *v1_file,
                 const char *value);

/* process.terminal of a process in the guest: a pty of ours, its master
 * sent to the console socket, its raw slave (*ret_slave) the process's
 * stdio on the host, relayed to the pty it has in the guest. */
struct oci_process;
int vm_host_pty(const struct oci_process *p, int console_fd, const char *id, int *ret_slave);

int vm_stats(int dirfd, const char *id, json_t **ret);
int vm_ps(const struct container *c, pid_t **ret_pids, size_t *n, char **ret_table);
int vm_update(const struct container *c, json_t *res);
int vm_freeze(const struct container *c, bool frozen);

/*
 * vm_pod.c: a Kubernetes pod is one VM (docs/vm.md, "Pods").  The pod's
 * sandbox container (CRI annotation container-type "sandbox") shares
 * VM_POD_SHARE of its state directory with its guest; a container of the
 * pod ("container", with the sandbox's id) is made inside that VM, its
 * rootfs and volumes bind-mounted under VM_POD_SHARE/<id> (recorded in its
 * own state directory as VM_POD_MEMBER_FILE: the sandbox's state
 * directory, for delete).
 */
#define VM_POD_SHARE "pod"
#define VM_POD_MEMBER_FILE "pod-member"
struct oci_spec;
struct sandbox_create;
struct vm_plan;
bool vm_pod_is_sandbox(const struct oci_spec *spec);
/* The pod sandbox's id for a container of a pod, else NULL. */
const char *vm_pod_sandbox_of(const struct oci_spec *spec);
/* The sandbox container: its share made, into plan->pod_dir. */
int vm_pod_share(const struct sandbox_create *sc, struct vm_plan *plan);
/* A container of the pod: made inside the sandbox's VM; *ret_pid its stand-in. */
int vm_pod_create(const struct sandbox_create *sc, const char *sandbox_id, pid_t *ret_pid);
/* delete: the mounts under the share undone (the sandbox's: all of them;
 * a member's: its own), given the container's state directory. */
void vm_pod_share_remove(int dirfd);
void vm_pod_member_remove(int dirfd, const char *id);
