/* SPDX-License-Identifier: MIT */
/*
 * `cocoon check`: the report (check.h).  The kernel probes live in
 * check_probes.c; here are the host's programs and files: the vm sandbox's
 * KVM, QEMU and guest assets, and the engines that would run cocoon.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "runtime/check.h"
#include "vm/vm.h"
#include "runtime/sandbox.h"
#include "sync.h"
#include "util.h"

static const char *const level_names[] = {"OK", "WARN", "FAIL"};

void check_line(struct check_report *rep, enum check_level level, const char *what, const char *fix,
                const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(rep->out, "%-4s  %s: ", level_names[level], what);
        vfprintf(rep->out, fmt, ap);
        va_end(ap);
        if (level != CHECK_OK && fix)
                fprintf(rep->out, "; fix: %s", fix);
        fputc('\n', rep->out);
        fflush(rep->out);
        rep->counts[level]++;
        for (int i = 0; level == CHECK_FAIL && i < 3; i++)
                if (rep->scope & (1u << i)) {
                        char *f = rep->failed[i];
                        size_t n = strlen(f);
                        snprintf(f + n, sizeof rep->failed[i] - n, "%s%s", n ? ", " : "", what);
                }
}

/* The verdict for one sandbox, after every probe. */
static void check_sandbox(struct check_report *rep, int bit, const char *name) {
        char what[32];
        snprintf(what, sizeof what, "sandbox %s", name);
        rep->scope = 0;
        if (*rep->failed[bit])
                check_line(rep, CHECK_FAIL, what, "see the FAIL lines above", "cannot run on this host: %s",
                           rep->failed[bit]);
        else
                check_line(rep, CHECK_OK, what, NULL, "ready");
}

/* NAME in $PATH or the sbin directories root's PATH may lack: *ret (static). */
static bool find_program(const char *name, char ret[PATH_MAX]) {
        const char *env = getenv("PATH");
        _cleanup_free_ char *path = strdup_printf("%s:/usr/local/sbin:/usr/sbin:/sbin", env ? env : "/usr/bin:/bin");
        if (!path)
                return false;
        char *save = NULL;
        for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                if (!*d)
                        continue;
                snprintf(ret, PATH_MAX, "%s/%s", d, name);
                if (access(ret, X_OK) == 0)
                        return true;
        }
        return false;
}

/* Whether FILE mentions cocoon (a runtime entry pointing at it). */
static bool mentions_cocoon(const char *file) {
        _cleanup_free_ char *text = NULL;
        return read_file_at(AT_FDCWD, file, &text, NULL) >= 0 && strstr(text, "cocoon");
}

/* Whether this build has the sandbox.  sandbox_lookup says why not in an
 * error line; it is captured (over a socketpair, as a set-up child's errors
 * are) to become the report line's detail instead of being printed. */
static bool sandbox_built(enum sandbox_kind kind, char *why, size_t len) {
        int sv[2];
        *why = 0;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                snprintf(why, len, "socketpair: %m");
                return false;
        }
        const struct sandbox_ops *ops;
        log_forward_to(sv[1]);
        int r = sandbox_lookup(kind, &ops);
        log_forward_to(-1);
        close(sv[1]);
        struct sync_msg m;
        if (r < 0 && sync_recv(sv[0], &m) == 0 && m.type == SYNC_ERROR)
                snprintf(why, len, "%.*s", (int) sizeof m.msg, m.msg);
        close(sv[0]);
        return r >= 0;
}

/* Which kernel the guests boot (vm_guest_kernel) and its release. */
static void check_guest_kernel(struct check_report *rep, const char *dir) {
        enum vm_kernel k;
        char why[PATH_MAX + 128];
        if (vm_guest_kernel(dir, &k, why, sizeof why) < 0) {
                check_line(rep, CHECK_FAIL, "guest kernel", "make guest-kernel, or unset COCOON_VM_KERNEL", "%s", why);
                return;
        }
        char file[PATH_MAX];
        _cleanup_free_ char *release = NULL;
        size_t len = 0;
        snprintf(file, sizeof file, "%.*s/%s", PATH_MAX - 32, dir, vm_kernel_release_file(k));
        if (read_file_at(AT_FDCWD, file, &release, &len) < 0 || len == 0)
                check_line(rep, CHECK_OK, "guest kernel", NULL, "%s (%s)", vm_kernel_name(k), vm_kernel_file(k));
        else
                check_line(rep, CHECK_OK, "guest kernel", NULL, "%s (%s, %.*s)", vm_kernel_name(k), vm_kernel_file(k),
                           (int) strcspn(release, "\n"), release);
}

static void check_vm(struct check_report *rep, bool built) {
        /* Without the sandbox in this build, what it would need is advice. */
        enum check_level missing = built ? CHECK_FAIL : CHECK_WARN;
        /* A device node alone proves little: ask for the API and create a VM. */
        const char *kvm_fix = "load kvm_intel or kvm_amd, or use a host with (nested) virtualisation";
        _cleanup_close_ int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        int api = kvm >= 0 ? ioctl(kvm, KVM_GET_API_VERSION, 0) : -1;
        int vm = api == KVM_API_VERSION ? ioctl(kvm, KVM_CREATE_VM, 0) : -1;
        /* kvm_pvm (software nested virtualisation, no VMX/SVM in the CPU)
         * creates VMs too, but runs only kernels built as PVM guests; QEMU
         * then fails and the monitor falls back to TCG at every boot */
        bool pvm = access("/sys/module/kvm_pvm", F_OK) == 0 && access("/sys/module/kvm_intel", F_OK) < 0 &&
                   access("/sys/module/kvm_amd", F_OK) < 0;
        if (vm >= 0) {
                close(vm);
                if (pvm)
                        check_line(rep, CHECK_WARN, "/dev/kvm", kvm_fix, "it is kvm_pvm's, which runs only guest kernels "
                                   "built for PVM: the vm sandbox tries it and runs its guests under TCG emulation, much "
                                   "more slowly");
                else
                        check_line(rep, CHECK_OK, "/dev/kvm", NULL, "created a VM (KVM API %d): guests run with KVM", api);
        } else if (api >= 0 && api != KVM_API_VERSION)
                check_line(rep, CHECK_WARN, "/dev/kvm", kvm_fix, "KVM API version %d, expected %d: the vm sandbox would "
                           "run its guests under TCG emulation, much more slowly", api, KVM_API_VERSION);
        else
                check_line(rep, CHECK_WARN, "/dev/kvm", kvm_fix, "%s: %m: the vm sandbox would run its guests under TCG "
                           "emulation, much more slowly", kvm < 0 ? "open" : api < 0 ? "KVM_GET_API_VERSION" : "KVM_CREATE_VM");
        char path[PATH_MAX];
        if (find_program("qemu-system-x86_64", path))
                check_line(rep, CHECK_OK, "QEMU", NULL, "%s", path);
        else
                check_line(rep, missing, "QEMU", "apt-get install qemu-system-x86",
                           "qemu-system-x86_64 not found: the vm sandbox needs it");
        if (vm_guest_dir(path)) {
                check_line(rep, CHECK_OK, "guest assets", NULL, "%s", path);
                check_guest_kernel(rep, path);
        } else
                check_line(rep, missing, "guest assets", "make guest && make install, or set COCOON_GUEST_DIR",
                           "no vmlinux and initramfs.cpio in %s (nor in a build tree next to cocoon): the vm "
                           "sandbox needs them", path);
}

struct engine {
        const char *name, *program, *config, *package, *how;
};

static void check_engines(struct check_report *rep) {
        static const struct engine engines[] = {
                {"Docker", "dockerd", "/etc/docker/daemon.json", "docker.io",
                 "merge deploy/docker/daemon.json into /etc/docker/daemon.json and restart dockerd"},
                {"containerd", "containerd", "/etc/containerd/config.toml", "containerd",
                 "add the runtimes of deploy/containerd/ to /etc/containerd/config.toml and restart containerd"},
                {"Podman", "podman", "/etc/containers/containers.conf", "podman",
                 "run podman --runtime /usr/local/bin/cocoon, or add cocoon to [engine.runtimes] in "
                 "/etc/containers/containers.conf"},
        };
        for (size_t i = 0; i < sizeof engines / sizeof *engines; i++) {
                const struct engine *e = &engines[i];
                char path[PATH_MAX], what[64];
                snprintf(what, sizeof what, "engine %s", e->name);
                if (!find_program(e->program, path))
                        check_line(rep, CHECK_OK, what, NULL, "%s not installed (nothing to configure)", e->program);
                else if (mentions_cocoon(e->config))
                        check_line(rep, CHECK_OK, what, NULL, "%s; %s declares cocoon", path, e->config);
                else
                        check_line(rep, CHECK_WARN, what, e->how, "%s; %s does not declare cocoon", path, e->config);
        }
}

unsigned cocoon_check(FILE *out) {
        struct check_report rep = {.out = out};
        if (geteuid() != 0)
                check_line(&rep, CHECK_WARN, "privileges", "run cocoon check as root",
                           "not root: the probes below fail for lack of privilege, not of kernel support");
        rep.scope = CHECK_NONE | CHECK_SENTRY;
        check_namespaces(&rep);
        check_user_namespace(&rep);
        rep.scope = CHECK_NONE | CHECK_SENTRY | CHECK_VM;
        check_cgroups(&rep);
        check_sentry_syscalls(&rep); /* sets its own scopes */
        rep.scope = CHECK_SENTRY;
        check_seccomp_notify(&rep);
        char why[LOG_FORWARD_MAX];
        bool vm_built = sandbox_built(SANDBOX_VM, why, sizeof why);
        rep.scope = CHECK_VM;
        check_vm(&rep, vm_built);
        rep.scope = 0;
        check_engines(&rep);
        check_sandbox(&rep, 0, "none");
        check_sandbox(&rep, 1, "sentry");
        if (vm_built)
                check_sandbox(&rep, 2, "vm");
        else /* not a host problem, so WARN: the other sandboxes are unaffected */
                check_line(&rep, CHECK_WARN, "sandbox vm", "a build of cocoon that includes it", "%s", why);
        return rep.counts[CHECK_FAIL];
}
