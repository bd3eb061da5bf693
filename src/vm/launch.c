/* SPDX-License-Identifier: MIT */
/*
 * QEMU for one container.  Machine: q35 with virtio-pci.  QEMU's `microvm`
 * (virtio-mmio, no firmware) was measured first: under TCG Debian's 6.1
 * kernel finds no timer to calibrate the TSC against without `pit=on`, and
 * with it, it still hung in two boots of four (docs/vm.md), while q35
 * booted four of four in the same wall time.  KVM is tried where /dev/kvm
 * can be opened (the monitor falls back to TCG, with a warning, when QEMU
 * cannot run the guest with it).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "linux/mounts.h"
#include "log.h"
#include "util.h"
#include "vm/vm.h"

#ifndef COCOON_GUEST_DIR
#define COCOON_GUEST_DIR "/usr/lib/cocoon/guest"
#endif

#define QEMU "qemu-system-x86_64"
#define DEFAULT_MEM_MIB 256
/* the guest kernel, the agent and page cache around the container's own limit */
#define GUEST_OVERHEAD_MIB 160

static bool in_path(const char *prog) {
        const char *path = getenv("PATH");
        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;
        for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
                char full[PATH_MAX];
                snprintf(full, sizeof full, "%s/%s", d, prog);
                if (access(full, X_OK) == 0)
                        return true;
        }
        return false;
}

static void resources(const struct oci_spec *spec, struct vm_plan *p) {
        p->mem_mib = DEFAULT_MEM_MIB;
        p->vcpus = 1;
        json_t *res = spec->has_linux ? spec->linux.resources : NULL;
        json_t *limit = json_object_get(json_object_get(res, "memory"), "limit");
        if (json_is_integer(limit) && json_integer_value(limit) > 0) {
                long long mib = (json_integer_value(limit) + (1 << 20) - 1) >> 20;
                if (mib + GUEST_OVERHEAD_MIB > DEFAULT_MEM_MIB)
                        p->mem_mib = (unsigned) (mib + GUEST_OVERHEAD_MIB > 1 << 20 ? 1 << 20 : mib + GUEST_OVERHEAD_MIB);
        }
        json_t *cpu = json_object_get(res, "cpu");
        json_t *quota = json_object_get(cpu, "quota"), *period = json_object_get(cpu, "period");
        long long q = json_is_integer(quota) ? json_integer_value(quota) : 0;
        long long per = json_is_integer(period) && json_integer_value(period) > 0 ? json_integer_value(period) : 100000;
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (q > 0) {
                long long v = (q + per - 1) / per;
                p->vcpus = (unsigned) (v > n ? n : v);
        }
        if (p->vcpus < 1)
                p->vcpus = 1;
}

void vm_plan_free(struct vm_plan *p) {
        for (size_t i = 0; i < p->n_shares; i++) {
                free(p->shares[i].host);
                free(p->shares[i].guest);
        }
        p->n_shares = 0;
        free(p->pod_dir);
        p->pod_dir = NULL;
}

/* Each bind mount's source, shared read-only when the mount is. */
static int shares(const struct oci_spec *spec, struct vm_plan *p) {
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct oci_mount *m = &spec->mounts[i];
                if (!m->bind)
                        continue;
                if (m->idmap)
                        return log_fail(-EOPNOTSUPP, "config.json: mounts[%zu] (%s): idmapped mounts are not supported "
                                                     "with --sandbox=vm yet", i, m->destination);
                if (p->n_shares == VM_MAX_SHARES)
                        return log_fail(-E2BIG, "config.json: mounts: more than %d bind mounts with --sandbox=vm",
                                        VM_MAX_SHARES);
                char real[PATH_MAX];
                struct stat st;
                if (!m->source || !realpath(m->source, real) || stat(real, &st) < 0)
                        return log_error_errno(-errno, "config.json: mounts[%zu].source %s", i,
                                               m->source ? m->source : "(none)");
                struct vm_share *sh = &p->shares[p->n_shares];
                *sh = (struct vm_share){.mount = i, .ro = (m->flags & MS_RDONLY) != 0};
                if (S_ISDIR(st.st_mode)) {
                        sh->host = strdup(real);
                        sh->guest = strdup_printf(VM_SHARE_DIR "/m%zu", i);
                } else {
                        /* 9p shares directories: the file's, bound from there in the guest */
                        char *slash = strrchr(real, '/');
                        *slash = 0;
                        sh->host = strdup(*real ? real : "/");
                        sh->guest = strdup_printf(VM_SHARE_DIR "/m%zu/%s", i, slash + 1);
                }
                p->n_shares++;
                if (!sh->host || !sh->guest)
                        return -ENOMEM;
        }
        return 0;
}

/* Whether container path `dest` lies below `top` (lexically: "//a/" is "/a"). */
static bool below(const char *dest, const char *top) {
        for (;;) {
                while (*dest == '/')
                        dest++;
                while (*top == '/')
                        top++;
                if (!*top)
                        return *dest != 0;
                size_t n = strcspn(top, "/");
                if (strncmp(dest, top, n) != 0 || (dest[n] && dest[n] != '/'))
                        return false;
                dest += n;
                top += n;
        }
}

int vm_make_mountpoints(const struct oci_spec *spec, const char *rootfs) {
        _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return log_error_errno(-errno, "open the rootfs %s", rootfs);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct oci_mount *m = &spec->mounts[i];
                /* one below an earlier mount (/dev/pts below /dev's tmpfs) gets
                 * its mount point in that mount, in the guest */
                bool nested = !m->destination;
                for (size_t j = 0; j < i && !nested; j++)
                        nested = spec->mounts[j].destination && below(m->destination, spec->mounts[j].destination);
                if (nested)
                        continue;
                struct stat st;
                enum mnt_create how = m->bind && m->source && stat(m->source, &st) == 0 && !S_ISDIR(st.st_mode)
                                              ? MNT_CREATE_FILE
                                              : MNT_CREATE_DIR;
                int fd;
                int r = mnt_open_in_root(rootfd, m->destination, how, 0, &fd);
                if (r < 0)
                        return log_error_errno(r, "config.json: mounts[%zu]: make the mount point \"%s\" in the "
                                                  "read-only rootfs", i, m->destination);
                close(fd);
        }
        return 0;
}

/* The two kernels a guest directory can hold, each with its initramfs
 * (scripts/guest-assets.sh): Debian's needs its modules in the initramfs,
 * the minimal one has everything built in and an initramfs without them. */
static const struct {
        const char *name, *kernel, *initrd, *release, *how;
} kernels[] = {
        [VM_KERNEL_DEBIAN] = {"debian", "vmlinux", "initramfs.cpio", "kernel.release", "make guest"},
        [VM_KERNEL_MINIMAL] = {"minimal", "vmlinux-min", "initramfs-min.cpio", "kernel-min.release", "make guest-kernel"},
};

static bool has_kernel(const char *dir, enum vm_kernel k) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%.*s/%s", PATH_MAX - 32, dir, kernels[k].kernel);
        if (access(p, R_OK) < 0)
                return false;
        snprintf(p, sizeof p, "%.*s/%s", PATH_MAX - 32, dir, kernels[k].initrd);
        return access(p, R_OK) == 0;
}

static bool has_guest_assets(const char *dir) {
        return has_kernel(dir, VM_KERNEL_DEBIAN) || has_kernel(dir, VM_KERNEL_MINIMAL);
}

int vm_guest_kernel(const char *dir, enum vm_kernel *ret, char *why, size_t why_len) {
        const char *want = getenv("COCOON_VM_KERNEL");
        if (!want || !*want) {
                /* as Kata ships its own minimal kernel: the minimal one when it was built */
                *ret = has_kernel(dir, VM_KERNEL_MINIMAL) ? VM_KERNEL_MINIMAL : VM_KERNEL_DEBIAN;
                if (has_kernel(dir, *ret))
                        return 0;
                snprintf(why, why_len, "no vmlinux and initramfs.cpio (nor vmlinux-min and initramfs-min.cpio) in %s",
                         dir);
                return -ENOENT;
        }
        for (size_t k = 0; k < ELEMENTSOF(kernels); k++) {
                if (strcmp(want, kernels[k].name))
                        continue;
                *ret = (enum vm_kernel) k;
                if (has_kernel(dir, *ret))
                        return 0;
                snprintf(why, why_len, "COCOON_VM_KERNEL=%s: no %s and %s in %s (build them with `%s`)", want,
                         kernels[k].kernel, kernels[k].initrd, dir, kernels[k].how);
                return -ENOENT;
        }
        snprintf(why, why_len, "COCOON_VM_KERNEL=%s: unknown guest kernel (minimal or debian)", want);
        return -EINVAL;
}

const char *vm_kernel_name(enum vm_kernel k) {
        return kernels[k].name;
}

const char *vm_kernel_file(enum vm_kernel k) {
        return kernels[k].kernel;
}

const char *vm_kernel_release_file(enum vm_kernel k) {
        return kernels[k].release;
}

bool vm_guest_dir(char ret[PATH_MAX]) {
        const char *env = getenv("COCOON_GUEST_DIR");
        if (env && *env) {
                snprintf(ret, PATH_MAX, "%s", env);
                return has_guest_assets(ret);
        }
        char exe[PATH_MAX - 64]; /* room for the suffixes below */
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
        bool installed = false; /* exe is now PREFIX */
        if (slash) {
                *slash = 0;
                const char *rel[] = {"/guest", "/../guest"};
                for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
                        snprintf(ret, PATH_MAX, "%s%s", exe, rel[i]);
                        if (has_guest_assets(ret))
                                return true;
                }
                slash = strrchr(exe, '/');
                if (slash && !strcmp(slash, "/bin")) {
                        *slash = 0;
                        installed = true;
                        snprintf(ret, PATH_MAX, "%s/lib/cocoon/guest", exe);
                        if (has_guest_assets(ret))
                                return true;
                }
        }
        snprintf(ret, PATH_MAX, "/usr/lib/cocoon/guest");
        if (has_guest_assets(ret))
                return true;
        /* last, the build tree this binary was built in: during create,
         * /proc/self/exe is the sealed copy (cloned_binary.c), not a path */
        snprintf(ret, PATH_MAX, "%s", COCOON_GUEST_DIR);
        if (has_guest_assets(ret))
                return true;
        snprintf(ret, PATH_MAX, "/usr/lib/cocoon/guest");
        if (installed) /* name where `make install` would have put them */
                snprintf(ret, PATH_MAX, "%s/lib/cocoon/guest", exe);
        return false;
}

int vm_plan(const struct oci_spec *spec, struct vm_plan *p) {
        *p = (struct vm_plan){0};
        char dir[PATH_MAX];
        if (!vm_guest_dir(dir))
                return log_fail(-ENOENT,
                                "--sandbox=vm: no vmlinux and initramfs.cpio in %s (build them with `make guest` and "
                                "`make install`, or point COCOON_GUEST_DIR at a directory holding them)", dir);
        snprintf(p->guest_dir, sizeof p->guest_dir, "%s", dir);
        char why[PATH_MAX + 128];
        int r = vm_guest_kernel(dir, &p->kernel, why, sizeof why);
        if (r < 0)
                return log_fail(r, "--sandbox=vm: %s", why);
        if (!in_path(QEMU))
                return log_fail(-ENOENT, "--sandbox=vm: %s not found in PATH (Debian: apt-get install qemu-system-x86)",
                                QEMU);
        int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (kvm >= 0) {
                p->kvm = true;
                close(kvm);
        } else
                log_warn("--sandbox=vm: /dev/kvm is not usable (%s): the guest runs under QEMU's TCG emulation, "
                         "which is much slower", strerror(errno));
        resources(spec, p);
        r = shares(spec, p);
        if (r < 0)
                vm_plan_free(p);
        return r;
}

/* A path in a QEMU option: a comma would end it, so it is doubled. */
static char *qemu_escape(const char *path) {
        char *out = malloc(strlen(path) * 2 + 1), *o = out;
        for (const char *c = path; out && *c; c++) {
                if (*c == ',')
                        *o++ = ',';
                *o++ = *c;
        }
        if (out)
                *o = 0;
        return out;
}

static int spawn_qemu(const char *const *argv, int agent_fd, int console_fd, const struct vm_plan *p, pid_t *ret_pid);

/* The container's interfaces (net.c): tap i is QEMU's fd 4 + i (spawn_qemu),
 * on a virtio-net device with the interface's MAC.  No option ROM: nothing
 * boots from the network. */
static int nic_args(const struct vm_plan *p, const char **argv, size_t *n, char **owned, size_t *k) {
        for (size_t i = 0; i < p->n_taps; i++) {
                char mac[18];
                vm_net_mac_text(p->taps[i].mac, mac);
                char *dev = strdup_printf("tap,id=n%zu,fd=%zu", i, 4 + i);
                char *pci = strdup_printf("virtio-net-pci,netdev=n%zu,mac=%s,romfile=", i, mac);
                owned[(*k)++] = dev;
                owned[(*k)++] = pci;
                if (!dev || !pci)
                        return -ENOMEM;
                argv[(*n)++] = "-netdev";
                argv[(*n)++] = dev;
                argv[(*n)++] = "-device";
                argv[(*n)++] = pci;
        }
        return 0;
}

int vm_launch(const struct vm_plan *p, const char *id, const char *rootfs, bool ro, int agent_fd, int console_fd,
              pid_t *ret_pid) {
        /* everything is formatted before the fork: the child only execs */
        char name[300], machine[64], mem[32], smp[32], kernel[PATH_MAX + 32], initrd[PATH_MAX + 32];
        char agent[64], fsdev[PATH_MAX * 2 + 128];

        snprintf(name, sizeof name, "cocoon-%s", id);
        snprintf(machine, sizeof machine, "q35");
        /* TCG's translation cache is a 1 GiB mapping by default, and the boot
         * fills whatever size it is given (all of it is resident afterwards):
         * 16 MiB booted as fast as 32 here, 8 MiB cost 0.6 s (docs/vm.md) */
        const char *accel = p->kvm ? "kvm" : "tcg,tb-size=16";
        snprintf(mem, sizeof mem, "%uM", p->mem_mib);
        snprintf(smp, sizeof smp, "%u", p->vcpus);
        /* uncompressed: no xz to decompress under TCG (scripts/guest-assets.sh) */
        snprintf(kernel, sizeof kernel, "%s/%s", p->guest_dir, kernels[p->kernel].kernel);
        snprintf(initrd, sizeof initrd, "%s/%s", p->guest_dir, kernels[p->kernel].initrd);
        snprintf(agent, sizeof agent, "socket,id=agent,fd=%d", 3);
        _cleanup_free_ char *esc = qemu_escape(rootfs);
        if (!esc)
                return -ENOMEM;
        snprintf(fsdev, sizeof fsdev, "local,id=root,path=%s,security_model=passthrough%s", esc,
                 ro ? ",readonly=on" : "");
        const char *fixed[] = {
                QEMU, "-name", name, "-machine", machine, "-accel", accel, "-cpu", p->kvm ? "host" : "max", "-m", mem, "-smp", smp,
                "-nodefaults", "-no-user-config", "-nographic", "-no-reboot", "-nic", "none",
                /* SeaBIOS (the default firmware): with the PVH boot of an ELF kernel it
                 * was faster than qboot here (4.0-4.8 s against 4.4-6.3 s to the agent) */
                "-kernel", kernel, "-initrd", initrd,
                /* Kata's boot-time parameters, less what the agent does itself
                 * (interface names): no crypto self-tests, no i8042 or PCI
                 * probing beyond bus 0, expedited RCU, no TSC watchdog.  Under
                 * TCG here: 4.6 -> 4.0 s from create to a workload's exit */
                "-append", "console=ttyS0 quiet panic=-1 reboot=k cryptomgr.notests i8042.noaux i8042.nomux "
                           "i8042.nopnp i8042.dumbkbd pci=lastbus=0 rcupdate.rcu_expedited=1 tsc=reliable no_timer_check",
                "-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console",
                "-device", "virtio-serial-pci,id=serial0", "-chardev", agent,
                "-device", "virtserialport,bus=serial0.0,chardev=agent,name=cocoon.agent",
                "-fsdev", fsdev, "-device", "virtio-9p-pci,fsdev=root,mount_tag=rootfs",
        };
        const char *argv[ELEMENTSOF(fixed) + 4 * VM_MAX_SHARES + 4 * VM_MAX_NICS + 4 + 1];
        char *owned[2 * VM_MAX_SHARES + 2 * VM_MAX_NICS + 1] = {0};
        size_t n = 0, k = 0;
        for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
                argv[n++] = fixed[i];
        int r = 0;
        for (size_t i = 0; i < p->n_shares && r == 0; i++) {
                const struct vm_share *sh = &p->shares[i];
                _cleanup_free_ char *e = qemu_escape(sh->host);
                char *dev = e ? strdup_printf("local,id=m%zu,path=%s,security_model=passthrough%s", sh->mount, e,
                                              sh->ro ? ",readonly=on" : "")
                              : NULL;
                char *pci = strdup_printf("virtio-9p-pci,fsdev=m%zu,mount_tag=m%zu", sh->mount, sh->mount);
                owned[k++] = dev;
                owned[k++] = pci;
                if (!dev || !pci)
                        r = -ENOMEM;
                argv[n++] = "-fsdev";
                argv[n++] = dev;
                argv[n++] = "-device";
                argv[n++] = pci;
        }
        if (r == 0 && p->pod_dir) {
                /* the pod's share (docs/vm.md, "Pods"): its containers' rootfs
                 * and volumes are bind-mounted below it later, so inodes of
                 * several host filesystems meet in it (multidevs=remap) */
                _cleanup_free_ char *e = qemu_escape(p->pod_dir);
                char *dev = e ? strdup_printf("local,id=pod,path=%s,security_model=passthrough,multidevs=remap", e)
                              : NULL;
                owned[k++] = dev;
                if (!dev)
                        r = -ENOMEM;
                argv[n++] = "-fsdev";
                argv[n++] = dev;
                argv[n++] = "-device";
                argv[n++] = "virtio-9p-pci,fsdev=pod,mount_tag=pod";
        }
        if (r == 0)
                r = nic_args(p, argv, &n, owned, &k);
        argv[n] = NULL;
        if (r == 0)
                r = spawn_qemu(argv, agent_fd, console_fd, p, ret_pid);
        for (size_t i = 0; i < k; i++)
                free(owned[i]);
        return r;
}

/* In the child: the taps to 4, 5, ... (nic_args), from copies made out of
 * the way first (`tmp`), as the stdio and the agent's port land on 0-3. */
static int taps_aside(const struct vm_plan *p, int *tmp) {
        for (size_t i = 0; i < p->n_taps; i++)
                if ((tmp[i] = fcntl(p->taps[i].fd, F_DUPFD, 200)) < 0)
                        return -1;
        return 0;
}

static int taps_in_place(const struct vm_plan *p, const int *tmp) {
        for (size_t i = 0; i < p->n_taps; i++)
                if (dup2(tmp[i], 4 + (int) i) < 0)
                        return -1;
        return 0;
}

static int spawn_qemu(const char *const *argv, int agent_fd, int console_fd, const struct vm_plan *p, pid_t *ret_pid) {
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0)
                return log_error_errno(-errno, "fork QEMU");
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(1);
                /* QEMU asks for transparent huge pages on guest RAM: every 4 KiB the
                 * guest touches would then cost the host 2 MiB (an idle guest: 104
                 * MiB resident instead of what it uses).  Density over TLB reach;
                 * survives execve. */
                prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
                /* QEMU's core is the guest's RAM, the tenant's memory, in a
                 * host file (an assertion aborts it where KVM half works) */
                setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0});
                /* out of the way first: any of them may sit on 0-3 (dup2 onto itself keeps close-on-exec) */
                int taps[VM_MAX_NICS];
                if (taps_aside(p, taps) < 0)
                        _exit(127);
                int a = fcntl(agent_fd, F_DUPFD, 100), con = fcntl(console_fd, F_DUPFD, 100);
                int null = open("/dev/null", O_RDONLY);
                if (a < 0 || con < 0 || null < 0 || dup2(null, 0) < 0 || dup2(con, 1) < 0 || dup2(con, 2) < 0 ||
                    dup2(a, 3) < 0)
                        _exit(127);
                if (taps_in_place(p, taps) < 0)
                        _exit(127);
                close_range(4 + (unsigned) p->n_taps, ~0U, 0);
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                signal(SIGPIPE, SIG_DFL);
                execvp(QEMU, (char *const *) argv);
                dprintf(2, "cocoon: exec %s: %s\n", QEMU, strerror(errno));
                _exit(127);
        }
        *ret_pid = pid;
        return 0;
}
