/* SPDX-License-Identifier: MIT */
/*
 * The `vm` sandbox, as the cocoon commands see it: the container runs in
 * its own QEMU guest, where cocoon's agent makes it with the same library
 * code as the `none` sandbox.  `create` forks the monitor (src/vm/monitor.c),
 * the container's pid; `start`, signals and `exec` reach the agent through it.
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
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/cgroup_devices.h"
#include "linux/cgroup_knob.h"
#include "linux/mounts.h"
#include "linux/terminal.h"
#include "log.h"
#include "runtime/sandbox.h"
#include "sandbox/sentry_sandbox.h"
#include "sandbox/vm_sandbox.h"
#include "sync.h"
#include "util.h"
#include "vm/protocol.h"
#include "vm/vm.h"

/* What this first version cannot carry into the guest: refused with one
 * line before anything exists, never silently dropped. */
static int validate(const struct sandbox_create *sc, bool pod_member) {
        const struct oci_spec *spec = sc->spec;
        /* the others run on the host (the monitor's pid and network
         * namespace stand for the container's, docs/vm.md) */
        static const enum oci_hook_kind in_guest[] = {OCI_HOOK_CREATE_CONTAINER, OCI_HOOK_START_CONTAINER};
        for (size_t k = 0; k < ELEMENTSOF(in_guest); k++)
                if (spec->n_hooks[in_guest[k]])
                        return log_fail(-EOPNOTSUPP,
                                        "config.json: hooks.%s: these run in the container's namespaces, which are "
                                        "inside the VM: not supported with --sandbox=vm",
                                        oci_hook_kind_name(in_guest[k]));
        /* a network namespace is wired into the guest (src/vm/net.c); a pod's
         * container joins its pod's namespaces inside the VM (vm_pod.c) */
        for (size_t i = 0; i < spec->linux.n_namespaces && !pod_member; i++)
                if (spec->linux.namespaces[i].path && spec->linux.namespaces[i].type != CLONE_NEWNET)
                        return log_fail(-EOPNOTSUPP,
                                        "config.json: linux.namespaces[%zu].path: a host namespace cannot be joined "
                                        "from inside a VM (--sandbox=vm)",
                                        i);
        const struct oci_namespace *net = oci_spec_namespace(spec, CLONE_NEWNET);
        if (net && net->path && !pod_member) {
                /* its interfaces are taken away from it into the guest: never the host's own */
                struct stat ns, self;
                if (stat(net->path, &ns) < 0)
                        return log_error_errno(-errno, "config.json: linux.namespaces: network namespace %s", net->path);
                if (stat("/proc/self/ns/net", &self) == 0 && ns.st_dev == self.st_dev && ns.st_ino == self.st_ino)
                        return log_fail(-EINVAL,
                                        "config.json: linux.namespaces: network namespace %s is the host's own: its "
                                        "interfaces cannot be wired into a VM (--sandbox=vm)",
                                        net->path);
        }
        if (sc->opts->preserve_fds || sc->opts->listen_fds)
                return log_fail(-EOPNOTSUPP, "--preserve-fds and LISTEN_FDS are not supported with --sandbox=vm yet");
        if (sc->opts->no_pivot)
                return log_fail(-EOPNOTSUPP, "--no-pivot is not supported with --sandbox=vm");
        if (spec->has_linux && spec->linux.seccomp && json_is_string(json_object_get(spec->linux.seccomp, "listenerPath")))
                return log_fail(-EOPNOTSUPP, "config.json: linux.seccomp.listenerPath: a host socket cannot be "
                                             "reached from inside a VM (--sandbox=vm)");
        return 0;
}

int vm_host_knob(const struct cgroup *cg, const char *controller, const char *v2_file, const char *v1_file,
                 const char *v) {
        bool v2;
        const struct cgroup_dir *d = cgroup_knob_dir(cg, controller, &v2);
        if (!d)
                return 0;
        int r = 0;
        /* v1 memsw must never be below the limit: raised first where it
         * exists, or lowered after it (EINVAL: the limit is above it now) */
        if (!v2 && !strcmp(controller, "memory")) {
                r = cgroup_knob_write(d, "memory.memsw.limit_in_bytes", v);
                if (r == -EINVAL) {
                        const char *f = v1_file;
                        r = cgroup_knob_write(d, f, v);
                        if (r == 0) {
                                f = "memory.memsw.limit_in_bytes";
                                r = cgroup_knob_write(d, f, v);
                        }
                        return r < 0 ? log_error_errno(r, "set %s of the VM's host cgroup to %s", f, v) : 0;
                }
        }
        if (r == 0 || r == -ENOENT)
                r = cgroup_knob_write(d, v2 ? v2_file : v1_file, v);
        if (r < 0)
                return log_error_errno(r, "set %s of the VM's host cgroup to %s", v2 ? v2_file : v1_file, v);
        return 0;
}

static int knob(const struct cgroup *cg, const char *controller, const char *v2_file, const char *v1_file,
                unsigned long long value) {
        char v[32];
        snprintf(v, sizeof v, "%llu", value);
        return vm_host_knob(cg, controller, v2_file, v1_file, v);
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
        if (!sc->cgroup)
                return 0;
        /* The config's device rules are the workload's, and the agent applies
         * them in the guest.  On the host the cgroup holds QEMU, which needs
         * /dev/kvm: with the container's list (which never names it) every
         * VM fell back to TCG on a KVM host.  The defaults stay (QEMU's and
         * the monitor's null, urandom, pty, tun); host disks stay out.  Only
         * where create could open /dev/kvm itself: a caller whose own device
         * cgroup denies it (cocoon in a container) has a parent cgroup that
         * would refuse the rule. */
        static const struct device_rule vmm_devices[] = {{true, 'c', 10, 232, "rwm"}}; /* /dev/kvm */
        int r = cgroup_devices_apply_extra(sc->cgroup, NULL, NULL, 0, vmm_devices, p->kvm ? ELEMENTSOF(vmm_devices) : 0);
        if (r < 0 || !res)
                return r;
        if (json_is_integer(json_object_get(json_object_get(res, "memory"), "limit")))
                r = knob(sc->cgroup, "memory", "memory.max", "memory.limit_in_bytes",
                         ((unsigned long long) p->mem_mib + VMM_OVERHEAD_MIB) << 20);
        json_t *pids = json_object_get(json_object_get(res, "pids"), "limit");
        if (r == 0 && json_is_integer(pids) && json_integer_value(pids) > 0)
                r = knob(sc->cgroup, "pids", "pids.max", "pids.max",
                         (unsigned long long) json_integer_value(pids) + VMM_TASKS + p->vcpus);
        return r;
}

static int save_guest_size(const struct sandbox_create *sc, const struct vm_plan *p) {
        char rec[64];
        int n = snprintf(rec, sizeof rec, "%u %u\n", p->mem_mib, p->vcpus);
        int r = write_file_atomic_at(sc->lock_fds[0], VM_GUEST_FILE, rec, (size_t) n, 0600);
        return r < 0 ? log_error_errno(r, "write %s of container \"%s\"", VM_GUEST_FILE, sc->id) : 0;
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
        const char *pod = vm_pod_sandbox_of(sc->spec);
        int r = validate(sc, pod != NULL);
        /* (a pod's container has no monitor of its own to make them) */
        if (r == 0 && pod && sc->spec->root_readonly)
                r = vm_make_mountpoints(sc->spec, sc->rootfs);
        if (r < 0)
                return r;
        if (pod)
                return vm_pod_create(sc, pod, ret_pid);
        struct vm_plan plan;
        r = vm_plan(sc->spec, &plan);
        if (r < 0)
                return r;
        r = host_limits(sc, &plan);
        if (r == 0)
                r = save_guest_size(sc, &plan);
        if (r == 0 && vm_pod_is_sandbox(sc->spec))
                r = vm_pod_share(sc, &plan);
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

/*
 * The stand-in: the pid `cocoon exec` returns (--pid-file, the engine's
 * wait), for a process that lives in the guest.  Signals sent to it go to
 * that process; it exits as the process did, once the monitor wrote every
 * byte of its output.  With a terminal it holds the pty's slave as its
 * controlling terminal, so a resize of the master reaches it as SIGWINCH.
 * Its signals were blocked before the fork: none is lost before the signalfd.
 */
static _Noreturn void standin(int conn, int slave, const char *id) {
        prctl(PR_SET_NAME, "cocoon-vm-exec");
        /* not ours to keep, the container's lock above all (flock is shared by its holders) */
        int keep[] = {conn, slave, log_get_fd()};
        if (sentry_close_fds_except(3, keep, ELEMENTSOF(keep)) < 0)
                _exit(255);
        sigset_t all;
        sigfillset(&all);
        /* ours, as with the monitor: a write to a monitor that went away */
        sigdelset(&all, SIGPIPE);
        signal(SIGPIPE, SIG_IGN);
        int sigfd = signalfd(-1, &all, SFD_CLOEXEC);
        if (sigfd < 0)
                _exit(255);
        if (slave >= 0 && (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0))
                log_warn("vm: the exec'd process's terminal: %s; resizes will not reach it", strerror(errno));
        for (bool resize = slave >= 0;;) {
                if (resize) {
                        struct winsize ws;
                        if (ioctl(slave, TIOCGWINSZ, &ws) == 0)
                                (void) vm_send_u32s(conn, VM_RESIZE, VM_STREAM_UNASSIGNED, ws.ws_row, ws.ws_col, 2);
                        resize = false;
                }
                struct pollfd pf[2] = {{.fd = conn, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
                if (poll(pf, 2, -1) < 0)
                        continue;
                struct signalfd_siginfo si;
                if (pf[1].revents && read(sigfd, &si, sizeof si) == (ssize_t) sizeof si) {
                        if (si.ssi_signo == SIGWINCH && slave >= 0)
                                resize = true;
                        else if (si.ssi_signo != SIGCHLD)
                                /* the process may be on its way out: its EXIT comes anyway */
                                (void) vm_send_u32s(conn, VM_SIGNAL, VM_STREAM_UNASSIGNED, si.ssi_signo, 0, 2);
                }
                if (!pf[0].revents)
                        continue;
                uint8_t buf[VM_FRAME_HEADER + 64];
                ssize_t n = recv(conn, buf, sizeof buf, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                struct vm_frame f;
                size_t used;
                if (n > 0 && vm_frame_parse(buf, (size_t) n, &f, &used) == 1 && f.type == VM_EXIT)
                        exit_like_status((int) vm_get_u32(f.payload));
                if (n > 0)
                        continue;
                /* the monitor is gone, and the VM with it: so is the process, as an
                 * exec'd process dies with the init of its pid namespace */
                log_fail(-EPIPE, "vm: container \"%s\" stopped before its exec'd process exited", id);
                exit_like_status(SIGKILL); /* as a wait status: killed by SIGKILL (137) */
        }
}

/* process.terminal: a pty of ours, its master to --console-socket as from
 * any runtime, its raw slave the process's stdio on the host; the process
 * has a pty of its own in the guest (line discipline, echo happen there). */
int vm_host_pty(const struct oci_process *p, int console_fd, const char *id, int *ret_slave) {
        _cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        char name[64];
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof name))
                return log_error_errno(-errno, "open a pty for a process of container \"%s\"", id);
        _cleanup_close_ int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return log_error_errno(-errno, "open %s", name);
        struct termios t;
        if (tcgetattr(slave, &t) == 0) {
                cfmakeraw(&t);
                tcsetattr(slave, TCSANOW, &t);
        }
        if (p->console_height || p->console_width) {
                struct winsize ws = {.ws_row = (unsigned short) p->console_height,
                                     .ws_col = (unsigned short) p->console_width};
                ioctl(master, TIOCSWINSZ, &ws);
        }
        int r = fd_send(console_fd, master, name);
        if (r < 0)
                return log_error_errno(r, "send the pty of a process of container \"%s\" to the console socket", id);
        *ret_slave = TAKE_FD(slave);
        return 0;
}

/* The EXEC request with the process's stdio, and the monitor's answer. */
static int exec_request(const struct sandbox_exec *se, int conn, const char *text, int slave) {
        /* the target (protocol.h): this container, by id */
        size_t idlen = strlen(se->c->id) + 1, len = strlen(text);
        uint8_t h[VM_FRAME_HEADER];
        vm_frame_header(h, VM_EXEC, VM_STREAM_UNASSIGNED, (uint32_t) (idlen + len));
        int fds[3] = {0, 1, 2};
        if (slave >= 0)
                fds[0] = fds[1] = fds[2] = slave;
        struct iovec iov[3] = {{h, sizeof h}, {(void *) se->c->id, idlen}, {(void *) text, len}};
        ssize_t n = send_iov_with_fds(conn, iov, 3, fds, 3);
        if (n < 0)
                return log_error_errno((int) n, "send the exec request to the monitor of container \"%s\"", se->c->id);
        /* the answer comes once the guest exec'd the program (or failed to) */
        static uint8_t buf[VM_FRAME_HEADER + 4 + LOG_FORWARD_MAX];
        while ((n = recv(conn, buf, sizeof buf, 0)) < 0 && errno == EINTR)
                ;
        if (n < 0)
                return log_error_errno(-errno, "receive from the monitor of container \"%s\"", se->c->id);
        struct vm_frame f;
        size_t used;
        if (n == 0)
                return log_fail(-ESRCH, "cannot exec in container \"%s\": it stopped", se->c->id);
        if (vm_frame_parse(buf, (size_t) n, &f, &used) != 1 || (f.type != VM_STARTED && f.type != VM_ERROR))
                return log_fail(-EPROTO, "exec in container \"%s\": unexpected answer from its monitor", se->c->id);
        if (f.type == VM_STARTED)
                return 0;
        int err = (int32_t) vm_get_u32(f.payload);
        if (err >= 0 || err < -4095)
                err = -EIO;
        return log_fail(err, "%.*s", (int) (f.len - 4), (const char *) f.payload + 4);
}

/* exec: the monitor (the container's pid) starts the process in the guest
 * through the agent, on a stream of its own; the pid we return is the
 * stand-in (above), a child of ours as the none sandbox's exec'd process is. */
static int vm_exec(const struct sandbox_exec *se, pid_t *ret_pid) {
        const struct container *c = se->c;
        if (se->opts->preserve_fds || se->opts->listen_fds)
                return log_fail(-EOPNOTSUPP, "exec --preserve-fds and LISTEN_FDS are not supported with --sandbox=vm yet");
        _cleanup_(json_decrefp) json_t *doc = oci_process_to_json(se->process);
        _cleanup_free_ char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        if (!text)
                return log_error_errno(-ENOMEM, "process.json for the guest");
        if (strlen(c->id) + 1 + strlen(text) > VM_FRAME_MAX_PAYLOAD)
                return log_fail(-E2BIG, "exec in container \"%s\": the process is larger than %u bytes as JSON", c->id,
                                VM_FRAME_MAX_PAYLOAD);
        _cleanup_close_ int conn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (conn < 0)
                return log_error_errno(-errno, "socket");
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", c->dirfd, VM_EXEC_SOCK);
        if (connect(conn, (struct sockaddr *) &sa, sizeof sa) < 0) {
                if (errno == ECONNREFUSED || errno == ENOENT)
                        return log_fail(-ESRCH, "cannot exec in container \"%s\": it is not running", c->id);
                return log_error_errno(-errno, "connect to the monitor of container \"%s\"", c->id);
        }
        _cleanup_close_ int slave = -1;
        int r = se->process->terminal ? vm_host_pty(se->process, se->console_fd, c->id, &slave) : 0;
        if (r == 0)
                r = exec_request(se, conn, text, slave);
        if (r < 0)
                return r;
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        pid_t pid = fork();
        if (pid == 0)
                standin(conn, slave, c->id);
        int e = errno;
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (pid < 0)
                /* closing conn has the monitor kill the process */
                return log_error_errno(-e, "fork the stand-in of the exec'd process");
        *ret_pid = pid;
        return 0;
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

/* The interfaces of a namespace given by path lose our redirects (the
 * taps go with QEMU's fds; a namespace of the monitor's own went with it).
 * The record outlives a monitor killed before it could undo them itself
 * (create kills it when it fails, even during the monitor's own unwinding). */
static void vm_remains(int dirfd) {
        _cleanup_free_ char *net = NULL;
        size_t len;
        if (read_file_at(dirfd, VM_NET_FILE, &net, &len) == 0)
                (void) vm_net_unwire_recorded(net);
}

/* QEMU follows the monitor through its parent-death signal; should it
 * still be there (the signal is asynchronous), it is killed and waited for
 * here.  The record names its start time: a recycled pid is left alone. */
static int kill_qemu(const struct container *c) {
        vm_remains(c->dirfd);
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

static int vm_destroy(struct cocoon_ctx *ctx, const struct container *c) {
        (void) ctx;
        /* a pod's container: its mounts under the pod's share */
        vm_pod_member_remove(c->dirfd, c->id);
        int r = kill_qemu(c);
        /* a pod's sandbox: whatever is left under its share, once QEMU is gone */
        vm_pod_share_remove(c->dirfd);
        return r;
}

const struct sandbox_ops sandbox_vm_ops = {
        .name = "vm",
        .create = vm_create,
        .exec = vm_exec,
        .kill = vm_kill,
        .destroy = vm_destroy,
        .remains = vm_remains,
        .stats = vm_stats,
        .ps = vm_ps,
        .update = vm_update,
        .freeze = vm_freeze,
};
