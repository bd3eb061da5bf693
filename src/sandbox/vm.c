/* SPDX-License-Identifier: MIT */
/*
 * The `vm` sandbox, as the cocoon commands see it: the container runs in
 * its own QEMU guest, where cocoon's agent makes it with the same library
 * code as the `none` sandbox.  `create` forks the monitor (src/vm/monitor.c),
 * the container's pid; `start` and signals reach the agent through it.
 * docs/vm.md has the picture and what is not supported yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup_knob.h"
#include "log.h"
#include "runtime/sandbox.h"
#include "sync.h"
#include "util.h"
#include "vm/vm.h"

/* What this first version cannot carry into the guest: refused with one
 * line before anything exists, never silently dropped. */
static int validate(const struct sandbox_create *sc) {
        const struct oci_spec *spec = sc->spec;
        for (int k = 0; k < OCI_HOOK_KIND_MAX; k++)
                if (spec->n_hooks[k])
                        return log_fail(-EOPNOTSUPP, "config.json: hooks: not supported with --sandbox=vm yet");
        for (size_t i = 0; i < spec->linux.n_namespaces; i++)
                if (spec->linux.namespaces[i].path)
                        return log_fail(-EOPNOTSUPP,
                                        "config.json: linux.namespaces[%zu].path: a host namespace cannot be joined "
                                        "from inside a VM (--sandbox=vm)",
                                        i);
        if (sc->opts->preserve_fds || sc->opts->listen_fds)
                return log_fail(-EOPNOTSUPP, "--preserve-fds and LISTEN_FDS are not supported with --sandbox=vm yet");
        if (sc->opts->no_pivot)
                return log_fail(-EOPNOTSUPP, "--no-pivot is not supported with --sandbox=vm");
        if (spec->has_linux && spec->linux.seccomp && json_is_string(json_object_get(spec->linux.seccomp, "listenerPath")))
                return log_fail(-EOPNOTSUPP, "config.json: linux.seccomp.listenerPath: a host socket cannot be "
                                             "reached from inside a VM (--sandbox=vm)");
        return 0;
}

/* QEMU's own memory beside the guest's RAM: TCG's translation cache, device
 * state, its heap and libraries (measured: ~90 MiB under TCG, bench/vm.sh). */
#define VMM_OVERHEAD_MIB 192

/* QEMU's threads: the main loop, RCU, one per vCPU and up to 64 workers of
 * its thread pool (9p I/O), with the monitor. */
#define VMM_TASKS 80

static int knob(const struct cgroup *cg, const char *controller, const char *v2_file, const char *v1_file,
                unsigned long long value) {
        bool v2;
        const struct cgroup_dir *d = cgroup_knob_dir(cg, controller, &v2);
        if (!d)
                return 0;
        char v[32];
        snprintf(v, sizeof v, "%llu", value);
        int r = 0;
        /* v1 memsw must never be below the limit: raised first where it exists */
        if (!v2 && !strcmp(controller, "memory"))
                r = cgroup_knob_write(d, "memory.memsw.limit_in_bytes", v);
        if (r == 0 || r == -ENOENT)
                r = cgroup_knob_write(d, v2 ? v2_file : v1_file, v);
        if (r < 0)
                return log_error_errno(r, "set %s of the VM's host cgroup to %s", v2 ? v2_file : v1_file, v);
        return 0;
}

/*
 * The host cgroup holds the VMM, not the workload: the container's limits
 * are enforced by the guest's own cgroup (the agent applies the config) and
 * size the guest.  Left as create wrote them, the host's memory limit would
 * have the host OOM-kill QEMU, and its pids limit would starve QEMU of
 * threads.  So on the host they become the guest's RAM plus QEMU's overhead,
 * and the pids limit plus QEMU's threads.
 */
static int host_limits(const struct sandbox_create *sc, const struct vm_plan *p) {
        json_t *res = sc->spec->has_linux ? sc->spec->linux.resources : NULL;
        if (!sc->cgroup || !res)
                return 0;
        int r = 0;
        if (json_is_integer(json_object_get(json_object_get(res, "memory"), "limit")))
                r = knob(sc->cgroup, "memory", "memory.max", "memory.limit_in_bytes",
                         ((unsigned long long) p->mem_mib + VMM_OVERHEAD_MIB) << 20);
        json_t *pids = json_object_get(json_object_get(res, "pids"), "limit");
        if (r == 0 && json_is_integer(pids) && json_integer_value(pids) > 0)
                r = knob(sc->cgroup, "pids", "pids.max", "pids.max",
                         (unsigned long long) json_integer_value(pids) + VMM_TASKS + p->vcpus);
        return r;
}

struct monitor_arg {
        const struct sandbox_create *sc;
        const struct vm_plan *plan;
};

static void monitor_main(int report_fd, void *arg) {
        const struct monitor_arg *a = arg;
        vm_monitor(&(struct vm_monitor_args){.sc = a->sc, .plan = a->plan, .report_fd = report_fd});
}

static int vm_create(const struct sandbox_create *sc, pid_t *ret_pid) {
        int r = validate(sc);
        if (r < 0)
                return r;
        struct vm_plan plan;
        r = vm_plan(sc->spec, &plan);
        if (r < 0)
                return r;
        r = host_limits(sc, &plan);
        if (r < 0) {
                vm_plan_free(&plan);
                return r;
        }
        /* The tenant pays for its sandbox: the monitor, and QEMU with it,
         * live in the container's cgroup (joined before QEMU exists); QEMU
         * dies with the monitor (parent-death signal). */
        struct monitor_arg ma = {.sc = sc, .plan = &plan};
        pid_t pid = -1;
        r = sandbox_keeper_spawn(sc, "the VM's monitor", monitor_main, &ma, &pid, NULL);
        if (r < 0) {
                vm_plan_free(&plan);
                return r;
        }
        log_debug("vm sandbox of \"%s\": monitor %d", sc->id, pid);
        vm_plan_free(&plan);
        *ret_pid = pid;
        return 0;
}

static int vm_exec(const struct sandbox_exec *se, pid_t *ret_pid) {
        (void) ret_pid;
        return log_fail(-EOPNOTSUPP, "exec into container \"%s\": not supported with --sandbox=vm yet", se->c->id);
}

/* kill goes to the monitor, which relays it to the agent; --all rides on
 * sigqueue()'s value.  SIGKILL (and SIGSTOP) cannot be relayed: they hit
 * the monitor itself, and with it the VM (QEMU has its parent-death signal). */
static int vm_kill(const struct container *c, int sig, bool all) {
        int pidfd = (int) syscall(SYS_pidfd_open, c->state->pid, 0);
        if (pidfd < 0)
                return -ESRCH;
        unsigned long long st;
        int r = 0;
        if (proc_stat(c->state->pid, &st, NULL) < 0 || st != c->state->start_time)
                r = -ESRCH;
        else if (all && sig != SIGKILL && sig != SIGSTOP) {
                siginfo_t si = {.si_signo = sig, .si_code = SI_QUEUE};
                si.si_pid = getpid();
                si.si_uid = getuid();
                si.si_int = VM_SIGVAL_ALL;
                r = syscall(SYS_pidfd_send_signal, pidfd, sig, &si, 0) < 0 ? -errno : 0;
        } else
                r = syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
        close(pidfd);
        return r;
}

/* QEMU follows the monitor through its parent-death signal; should it
 * still be there (the signal is asynchronous), it is killed and waited for
 * here.  The record names its start time: a recycled pid is left alone. */
static int vm_destroy(struct cocoon_ctx *ctx, const struct container *c) {
        (void) ctx;
        _cleanup_free_ char *rec = NULL;
        size_t len;
        if (read_file_at(c->dirfd, VM_QEMU_PID_FILE, &rec, &len) < 0)
                return 0;
        int pid = 0;
        unsigned long long want = 0, st = 0;
        if (sscanf(rec, "%d %llu", &pid, &want) != 2 || pid <= 0)
                return 0;
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return 0;
        if (proc_stat(pid, &st, NULL) == 0 && st == want) {
                (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                while (poll(&p, 1, 10000) < 0 && errno == EINTR)
                        ;
        }
        close(pidfd);
        return 0;
}

const struct sandbox_ops sandbox_vm_ops = {
        .name = "vm",
        .create = vm_create,
        .exec = vm_exec,
        .kill = vm_kill,
        .destroy = vm_destroy,
};
