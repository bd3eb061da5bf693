// SPDX-License-Identifier: Apache-2.0
// Escape probes: one static program run inside a container, one subcommand
// per attack (tests/integration/security_probes.sh, docs/security.md).
//
//   probe all        every probe, each in its own child (a probe killed by a
//                    signal is reported as such); exit 1 if any ESCAPED
//   probe NAME...    the named probes only
//   probe list       the probe names
//
// Each probe prints exactly one line "NAME: OUTCOME" or
// "NAME: OUTCOME (detail)". The outcome, not the detail, is what the test
// compares with the table in docs/security.md:
//   blocked EXXX   the attack's call failed with that errno
//   killed SIGXXX  the process was killed (seccomp kill actions)
//   allowed        the call succeeded; what it reaches is the container's own
//                  (namespaced) state only, or plain kernel surface
//   contained      the calls worked but the host was not reached (checked)
//   hidden/leaked  host information the workload should not learn
//   ESCAPED        the host was reached (a host file read, a host setting
//                  writable, a host-wide object changed). Nothing here writes
//                  a host setting: a probe that gets a writable descriptor on
//                  one stops there.
//
// Inputs, from the environment (the test sets them in config.json):
//   PROBE_MARKER       host path of a file outside the container
//   PROBE_SECRET       its content
//   PROBE_HOST_RELEASE the host's `uname -r`
//   PROBE_HOST_CPU     the host's first "model name" line of /proc/cpuinfo
//   PROBE_HOST_PATH    a host path that names the bundle (must not be seen)
// and /probe-pids: "NAME PID" lines of host processes outside the
// container (written by the test between create and start).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <asm/ldt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>

static const char *probe_name;
static bool escaped;

static void say(const char *outcome, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *outcome, const char *fmt, ...)
{
        char detail[512] = "";
        if (fmt) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(detail, sizeof(detail), fmt, ap);
                va_end(ap);
        }
        if (strncmp(outcome, "ESCAPED", 7) == 0)
                escaped = true;
        printf("%s: %s%s%s%s\n", probe_name, outcome, *detail ? " (" : "", detail, *detail ? ")" : "");
        fflush(stdout);
}

// blocked_or: the usual shape, a call that should fail.
static void blocked_or(long r, int err, const char *if_ok, const char *detail)
{
        if (r < 0) {
                char o[64];
                snprintf(o, sizeof(o), "blocked %s", strerrorname_np(err) ?: "E?");
                say(o, detail ? "%s" : NULL, detail);
        } else {
                say(if_ok, detail ? "%s" : NULL, detail);
        }
}
#define CALL(expr, if_ok, detail)                      \
        do {                                           \
                errno = 0;                             \
                long r_ = (long)(expr);                \
                blocked_or(r_, errno, if_ok, detail);  \
        } while (0)

static const char *env(const char *n)
{
        const char *v = getenv(n);
        return v ? v : "";
}

// reads_secret: PATH opens and holds PROBE_SECRET.
static bool reads_secret(const char *path)
{
        const char *secret = env("PROBE_SECRET");
        char buf[256];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = 0;
        return *secret && strstr(buf, secret);
}

// The host processes the test named in /probe-pids.
struct victim {
        char name[32];
        pid_t pid;
};
static int victims(struct victim *v, int max)
{
        FILE *f = fopen("/probe-pids", "re");
        int n = 0;
        if (!f)
                return 0;
        while (n < max && fscanf(f, "%31s %d", v[n].name, &v[n].pid) == 2)
                n++;
        fclose(f);
        return n;
}

// against_victims: OP on every outside process; ESCAPED if it works on one,
// else blocked with the errno of the first.
static void against_victims(long (*op)(pid_t))
{
        struct victim v[8];
        int n = victims(v, 8), first = 0;
        char seen[256] = "";
        if (n == 0) {
                say("ERROR", "no /probe-pids");
                return;
        }
        for (int i = 0; i < n; i++) {
                errno = 0;
                long r = op(v[i].pid);
                if (r >= 0) {
                        say("ESCAPED", "%s pid %d", v[i].name, v[i].pid);
                        return;
                }
                if (!first)
                        first = errno;
                size_t l = strlen(seen);
                snprintf(seen + l, sizeof(seen) - l, "%s%s %s", l ? ", " : "", v[i].name, strerrorname_np(errno) ?: "?");
        }
        char o[64];
        snprintf(o, sizeof(o), "blocked %s", strerrorname_np(first) ?: "E?");
        say(o, "%s", seen);
}

// ------------------------------------------------------------------ probes

static void p_mount(void)
{
        errno = 0;
        if (mount("none", "/mnt", "tmpfs", 0, NULL) == 0) {
                umount2("/mnt", MNT_DETACH);
                say("allowed", "mounted a tmpfs in its own mount namespace");
                return;
        }
        blocked_or(-1, errno, "", NULL);
}

static void p_umount(void)
{
        // remove a mask (a /dev/null or read-only tmpfs bind over a /proc or
        // /sys file of the default maskedPaths): the first one this kernel has
        const char *masked[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"};
        for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
                if (access(masked[i], F_OK) < 0)
                        continue;
                errno = 0;
                if (umount2(masked[i], MNT_DETACH) == 0) {
                        say("ESCAPED", "removed the mask on %s", masked[i]);
                        return;
                }
                blocked_or(-1, errno, "", masked[i]);
                return;
        }
        say("ERROR", "none of the masked paths exists");
}

static void p_pivot_root(void)
{
        CALL(syscall(SYS_pivot_root, "/tmp", "/tmp"), "allowed", NULL);
}

static void p_chroot(void)
{
        // the classic escape: chroot into a subdirectory while keeping the
        // cwd outside it, walk up with .., chroot there
        char path[4096];
        mkdir("/tmp/probe-chroot", 0700);
        errno = 0;
        if (chroot("/tmp/probe-chroot") < 0) {
                blocked_or(-1, errno, "", NULL);
                return;
        }
        for (int i = 0; i < 64; i++)
                if (chdir("..") < 0)
                        break;
        if (chroot(".") < 0) {
                say("contained", "second chroot: %s", strerrorname_np(errno));
                return;
        }
        snprintf(path, sizeof(path), "%s", env("PROBE_MARKER"));
        if (reads_secret(path))
                say("ESCAPED", "read %s", path);
        else
                say("contained", "the walk up stopped at the container root");
}

static void p_proc_root(void)
{
        // every /proc/PID/root and /proc/PID/cwd the workload can see, plus
        // .. walks through them, towards the host marker
        const char *m = env("PROBE_MARKER");
        DIR *d = opendir("/proc");
        struct dirent *e;
        char path[4096];
        int tried = 0;
        if (!d) {
                say("ERROR", "opendir /proc: %s", strerrorname_np(errno));
                return;
        }
        while ((e = readdir(d))) {
                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                const char *fmts[] = {"/proc/%s/root%s", "/proc/%s/root/../../../..%s", "/proc/%s/cwd/../../../../../..%s"};
                for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
                        snprintf(path, sizeof(path), fmts[i], e->d_name, m);
                        tried++;
                        if (reads_secret(path)) {
                                closedir(d);
                                say("ESCAPED", "read %s", path);
                                return;
                        }
                }
        }
        closedir(d);
        snprintf(path, sizeof(path), "/proc/self/root/../../..%s", m);
        if (reads_secret(path)) {
                say("ESCAPED", "read %s", path);
                return;
        }
        say("contained", "%d paths", tried + 1);
}

static void p_dotdot(void)
{
        const char *m = env("PROBE_MARKER");
        char path[4096];
        if (chdir("/tmp") < 0) {
                say("ERROR", "chdir /tmp");
                return;
        }
        snprintf(path, sizeof(path), "../../../../../../..%s", m);
        if (reads_secret(path)) {
                say("ESCAPED", "read %s", path);
                return;
        }
        symlink("/../../..", "/tmp/probe-up");
        snprintf(path, sizeof(path), "/tmp/probe-up/../..%s", m);
        bool got = reads_secret(path);
        unlink("/tmp/probe-up");
        if (got)
                say("ESCAPED", "read %s", path);
        else
                say("contained", NULL);
}

static void p_volume_symlink(void)
{
        // /vol is a bind mount of a host directory holding absolute symlinks
        // to / and to the marker's host path
        const char *m = env("PROBE_MARKER");
        char path[4096];
        const char *fmts[] = {"/vol/to-marker", "/vol/to-root%s", "/vol/../../..%s", "/vol/to-root/../../..%s"};
        for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
                snprintf(path, sizeof(path), fmts[i], m);
                if (reads_secret(path)) {
                        say("ESCAPED", "read %s", path);
                        return;
                }
        }
        struct stat vol_root, root;
        if (stat("/vol/to-root", &vol_root) == 0 && stat("/", &root) == 0 &&
            (vol_root.st_dev != root.st_dev || vol_root.st_ino != root.st_ino)) {
                say("ESCAPED", "/vol/to-root is not the container root");
                return;
        }
        say("contained", NULL);
}

static void p_kernel_view(void)
{
        // paths below /proc and /dev are the kernel's own views, which the
        // Sentry lets the kernel resolve: a symlink to / in the writable
        // /dev/shm, and /proc/self/root, lead back into the rootfs, where the
        // Sentry's view must stay read-only (the Gofer does the writing)
        const char *m = env("PROBE_MARKER");
        char path[4096];
        unlink("/dev/shm/probe-root");
        // (where the config mounts /dev/shm read-only: /proc/self/root only)
        bool link = symlink("/", "/dev/shm/probe-root") == 0;
        const char *via[] = {"/proc/self/root", "/dev/shm/probe-root"};
        size_t n = link ? 2 : 1;
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/../..%s", via[i], m);
                if (reads_secret(path)) {
                        unlink("/dev/shm/probe-root");
                        say("ESCAPED", "read %s", path);
                        return;
                }
        }
        int err = 0;
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/etc/hostname", via[i]);
                int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
                if (fd >= 0) {
                        close(fd);
                        continue;
                }
                err = errno;
                break;
        }
        unlink("/dev/shm/probe-root");
        if (err)
                blocked_or(-1, err, "", link ? "open the rootfs for writing" : "open the rootfs for writing; /dev/shm read-only");
        else
                say("allowed", "the rootfs is writable there");
}

// The descriptors beyond stdio that the container's first process was
// given (recorded by main before anything else opens one): a host
// directory among them is a way out (runc's CVE-2024-21626, CVE-2016-9962).
static int inherited[64], n_inherited;

static void p_leaked_fds(void)
{
        const char *m = env("PROBE_MARKER");
        char path[4096], link[4096];
        for (int i = 0; i < n_inherited; i++) {
                snprintf(path, sizeof(path), "../../../../../../../..%s", m);
                int fd = openat(inherited[i], path, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        char buf[256] = "";
                        ssize_t n = read(fd, buf, sizeof(buf) - 1);
                        close(fd);
                        if (n > 0 && *env("PROBE_SECRET") && strstr(buf, env("PROBE_SECRET"))) {
                                say("ESCAPED", "read the marker relative to inherited fd %d", inherited[i]);
                                return;
                        }
                }
        }
        if (n_inherited == 0) {
                say("contained", "no descriptor beyond stdio");
                return;
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", inherited[0]);
        ssize_t l = readlink(path, link, sizeof(link) - 1);
        link[l > 0 ? l : 0] = 0;
        say("contained", "%d inherited, e.g. %d -> %s", n_inherited, inherited[0], link);
}

static void p_cwd(void)
{
        // the cwd the process started in (a /proc/self/fd/N cwd in the
        // config is the CVE-2024-21626 attack): .. from there
        const char *m = env("PROBE_MARKER");
        char path[4096];
        snprintf(path, sizeof(path), "../../../../../../../..%s", m);
        if (reads_secret(path)) {
                say("ESCAPED", "read the marker relative to the cwd");
                return;
        }
        char cwd[4096];
        if (!getcwd(cwd, sizeof(cwd))) {
                say("contained", "getcwd: %s", strerrorname_np(errno));
                return;
        }
        say("contained", "cwd %s", cwd);
}

static void p_abstract_socket(void)
{
        // a host process listening on an abstract unix socket (the
        // containerd-shim CVE-2020-15257 shape): the name space is per network
        // namespace
        const char *name = env("PROBE_ABSTRACT");
        struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; } a = {.sun_family = AF_UNIX};
        size_t len = strlen(name);
        if (!len || len > sizeof(a.sun_path) - 1) {
                say("ERROR", "no PROBE_ABSTRACT");
                return;
        }
        memcpy(a.sun_path + 1, name, len);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        errno = 0;
        long r = connect(fd, (struct sockaddr *)&a, (socklen_t)(sizeof(sa_family_t) + 1 + len));
        close(fd);
        if (r == 0) {
                say("ESCAPED", "connected to the host's @%s", name);
                return;
        }
        blocked_or(-1, errno, "", NULL);
}

static void p_kill_all(void)
{
        // kill(-1, SIGKILL): every process the caller may signal. Only run
        // where pid 1 is this probe (its own pid namespace): on the host it
        // would kill the machine. The test checks afterwards that the host
        // process, the other tenant and (sentry) the Sentry and Gofer live.
        char comm[64] = "";
        FILE *f = fopen("/proc/1/cmdline", "re");
        if (f) {
                size_t n = fread(comm, 1, sizeof(comm) - 1, f);
                comm[n] = 0;
                fclose(f);
        }
        if (strcmp(comm, "/probe") != 0) {
                say("ERROR", "pid 1 is not the probe: not in a pid namespace of its own");
                return;
        }
        errno = 0;
        long r = kill(-1, SIGKILL);
        if (r < 0 && errno != ESRCH) {
                blocked_or(-1, errno, "", NULL);
                return;
        }
        say("contained", "reached the container's own processes only (checked outside)");
}

static long op_ptrace(pid_t p)
{
        long r = ptrace(PTRACE_ATTACH, p, 0, 0);
        if (r == 0)
                ptrace(PTRACE_DETACH, p, 0, 0);
        return r;
}
static void p_ptrace(void) { against_victims(op_ptrace); }

static long op_vm_readv(pid_t p)
{
        char buf[8];
        // the first page of a static binary's load address is mapped in
        // every victim; any address proves the point if the call works
        struct iovec l = {buf, sizeof(buf)}, r = {(void *)0x400000, sizeof(buf)};
        return process_vm_readv(p, &l, 1, &r, 1, 0);
}
static void p_process_vm_readv(void) { against_victims(op_vm_readv); }

static long op_kcmp(pid_t p) { return syscall(SYS_kcmp, getpid(), p, KCMP_VM, 0, 0); }
static void p_kcmp(void) { against_victims(op_kcmp); }

static void p_kexec(void)
{
        // zero segments, no flags: would unload a loaded kexec image
        CALL(syscall(SYS_kexec_load, 0, 0, NULL, 0), "ESCAPED", NULL);
}

static void p_init_module(void)
{
        CALL(syscall(SYS_init_module, NULL, 0, ""), "ESCAPED", NULL);
}

static void p_finit_module(void)
{
        CALL(syscall(SYS_finit_module, -1, "", 0), "ESCAPED", NULL);
}

static void p_bpf(void)
{
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.map_type = BPF_MAP_TYPE_ARRAY;
        a.key_size = 4;
        a.value_size = 4;
        a.max_entries = 1;
        CALL(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)), "allowed", NULL);
}

static void p_perf_event_open(void)
{
        // counting the kernel too: what a side channel on other tenants needs
        struct perf_event_attr a;
        memset(&a, 0, sizeof(a));
        a.size = sizeof(a);
        a.type = PERF_TYPE_SOFTWARE;
        a.config = PERF_COUNT_SW_CPU_CLOCK;
        a.disabled = 1;
        CALL(syscall(SYS_perf_event_open, &a, 0, -1, -1, 0), "allowed", NULL);
}

static void p_userfaultfd(void)
{
        // without UFFD_USER_MODE_ONLY: kernel faults too (the exploit aid)
        CALL(syscall(SYS_userfaultfd, O_CLOEXEC), "allowed", NULL);
}

static void p_io_uring(void)
{
        struct io_uring_params p;
        memset(&p, 0, sizeof(p));
        CALL(syscall(SYS_io_uring_setup, 4, &p), "allowed", NULL);
}

static void p_add_key(void)
{
        // uid 0's user keyring is not per container without a user namespace
        char desc[64];
        snprintf(desc, sizeof(desc), "cocoon-probe-%d", (int)getpid());
        errno = 0;
        long k = syscall(SYS_add_key, "user", desc, "x", 1, KEY_SPEC_USER_KEYRING);
        if (k < 0) {
                blocked_or(-1, errno, "", NULL);
                return;
        }
        syscall(SYS_keyctl, KEYCTL_INVALIDATE, k, 0, 0, 0);
        say("ESCAPED", "added key %ld to the user keyring shared with the host", k);
}

static void p_keyctl(void)
{
        // the id of uid 0's user keyring: the host's own when it is shared
        CALL(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0, 0, 0), "allowed", NULL);
}

static void p_unshare_user(void)
{
        CALL(unshare(CLONE_NEWUSER), "allowed", NULL);
}

static void p_clone_newuser(void)
{
        // the namespace flags through clone() itself (the boundary checks
        // clone's flags in BPF) rather than unshare()
        errno = 0;
        long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (r == 0)
                _exit(0);
        if (r > 0) {
                waitpid((pid_t)r, NULL, 0);
                say("allowed", "a child in a new user namespace");
                return;
        }
        blocked_or(-1, errno, "", NULL);
}

static void p_setns(void)
{
        int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                say("ERROR", "open /proc/self/ns/net: %s", strerrorname_np(errno));
                return;
        }
        CALL(setns(fd, CLONE_NEWNET), "allowed", "its own namespace");
        close(fd);
}

static void p_raw_socket(void)
{
        CALL(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), "allowed", NULL);
}

static void p_packet_socket(void)
{
        CALL(socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)), "allowed", NULL);
}

static void p_open_by_handle_at(void)
{
        // "shocker": a handle for inode 2, the root directory of most
        // filesystems, opened through a descriptor on the container's root
        struct {
                struct file_handle h;
                unsigned char bytes[8];
        } fh;
        memset(&fh, 0, sizeof(fh));
        fh.h.handle_bytes = 8;
        fh.h.handle_type = 1; // FILEID_INO32_GEN
        uint32_t ino = 2;
        memcpy(fh.h.f_handle, &ino, sizeof(ino));
        int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        errno = 0;
        long fd = syscall(SYS_open_by_handle_at, root, &fh.h, O_RDONLY | O_DIRECTORY);
        if (fd < 0) {
                blocked_or(-1, errno, "", NULL);
                close(root);
                return;
        }
        struct stat a, b;
        fstat((int)fd, &a);
        fstat(root, &b);
        if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
                say("ESCAPED", "opened inode 2 of the root's filesystem");
        else
                say("contained", "inode 2 is the container root");
        close((int)fd);
        close(root);
}

static void p_dev_mem(void)
{
        int fd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                close(fd);
                say("ESCAPED", "opened /dev/mem");
                return;
        }
        unlink("/tmp/probe-mem");
        errno = 0;
        if (mknod("/tmp/probe-mem", S_IFCHR | 0600, makedev(1, 1)) < 0) {
                blocked_or(-1, errno, "", "mknod");
                return;
        }
        fd = open("/tmp/probe-mem", O_RDONLY | O_CLOEXEC);
        int err = errno;
        unlink("/tmp/probe-mem");
        if (fd >= 0) {
                close(fd);
                say("ESCAPED", "opened a mknod'ed /dev/mem");
                return;
        }
        blocked_or(-1, err, "", "mknod worked, open refused");
}

// open_for_write: never writes; a writable descriptor on a host setting is
// the escape.
static void open_for_write(const char *path)
{
        errno = 0;
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                close(fd);
                say("ESCAPED", "%s is writable", path);
                return;
        }
        blocked_or(-1, errno, "", path);
}

static void p_proc_sys(void) { open_for_write("/proc/sys/vm/drop_caches"); }
static void p_core_pattern(void) { open_for_write("/proc/sys/kernel/core_pattern"); }
static void p_sysrq_trigger(void) { open_for_write("/proc/sysrq-trigger"); }

static void p_sys(void)
{
        const char *c[] = {"/sys/kernel/mm/transparent_hugepage/enabled", "/sys/kernel/uevent_helper", "/sys/power/state"};
        for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
                if (access(c[i], F_OK) == 0) {
                        open_for_write(c[i]);
                        return;
                }
        say("blocked ENOENT", "no candidate file under /sys");
}

static void p_clock_settime(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        // the time it already is: harmless if it ever works
        CALL(clock_settime(CLOCK_REALTIME, &ts), "ESCAPED", NULL);
}

static void p_reboot(void)
{
        // Ctrl-Alt-Del off: in a pid namespace even CAP_SYS_BOOT only gets
        // EINVAL for it; on the host it would change a host setting
        CALL(syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, NULL), "ESCAPED", NULL);
}

static void p_swapon(void)
{
        // the capability check comes before the path lookup
        CALL(syscall(SYS_swapon, "/nonexistent-swap", 0), "ESCAPED", NULL);
}

static void p_acct(void)
{
        // accounting is per pid namespace: success stays inside
        CALL(syscall(SYS_acct, NULL), "allowed", NULL);
}

static void p_personality(void)
{
        errno = 0;
        int old = personality(0xffffffff);
        long r = personality(ADDR_NO_RANDOMIZE);
        if (r == -1) {
                blocked_or(-1, errno, "", NULL);
                return;
        }
        personality((unsigned long)old);
        say("allowed", "ADDR_NO_RANDOMIZE for its own children");
}

static void p_modify_ldt(void)
{
        struct user_desc d;
        memset(&d, 0, sizeof(d));
        d.entry_number = 0;
        d.limit = 0xfff;
        d.seg_32bit = 1;
        d.contents = 0;
        d.useable = 1;
        CALL(syscall(SYS_modify_ldt, 1, &d, sizeof(d)), "allowed", "16-bit/32-bit segment in its own LDT");
}

static void p_iopl(void) { CALL(syscall(SYS_iopl, 3), "ESCAPED", NULL); }
static void p_ioperm(void) { CALL(syscall(SYS_ioperm, 0x80, 1, 1), "ESCAPED", NULL); }

static void p_x32(void)
{
        // getpid through the x32 ABI
        CALL(syscall(0x40000000 | SYS_getpid), "allowed", NULL);
}

static void p_int80(void)
{
        // getpid (20 in the i386 table) through int 0x80
        long r = 20;
        __asm__ volatile("int $0x80" : "+a"(r) : : "memory");
        if (r < 0) {
                blocked_or(-1, (int)-r, "", NULL);
                return;
        }
        say("allowed", "i386 getpid = %ld", r);
}

static void leak_check(const char *what, bool leaked, const char *seen)
{
        if (leaked)
                say("leaked", "%s: %s", what, seen);
        else
                say("hidden", "%s: %s", what, seen);
}

static void p_uname(void)
{
        struct utsname u;
        uname(&u);
        leak_check("uname", *env("PROBE_HOST_RELEASE") && strcmp(u.release, env("PROBE_HOST_RELEASE")) == 0, u.release);
}

// file_has: the first line of PATH that contains NEEDLE (or "").
static bool file_has(const char *path, const char *needle, char *line, size_t len)
{
        FILE *f = fopen(path, "re");
        bool found = false;
        *line = 0;
        if (!f)
                return false;
        char buf[4096];
        while (fgets(buf, sizeof(buf), f)) {
                if (*needle && strstr(buf, needle)) {
                        buf[strcspn(buf, "\n")] = 0;
                        snprintf(line, len, "%s", buf);
                        found = true;
                        break;
                }
        }
        fclose(f);
        return found;
}

static void p_proc_version(void)
{
        char line[256];
        bool l = file_has("/proc/version", env("PROBE_HOST_RELEASE"), line, sizeof(line));
        leak_check("/proc/version", l, l ? env("PROBE_HOST_RELEASE") : "-");
}

static void p_host_cpu(void)
{
        char line[256];
        bool l = file_has("/proc/cpuinfo", env("PROBE_HOST_CPU"), line, sizeof(line));
        leak_check("/proc/cpuinfo", l, l ? line : "-");
}

static void p_mountinfo(void)
{
        char line[1024];
        bool l = file_has("/proc/self/mountinfo", env("PROBE_HOST_PATH"), line, sizeof(line));
        leak_check("/proc/self/mountinfo", l, l ? "the bundle's host path" : "-");
}

struct probe {
        const char *name;
        void (*fn)(void);
};
static const struct probe probes[] = {
        {"mount", p_mount},
        {"umount", p_umount},
        {"pivot_root", p_pivot_root},
        {"chroot", p_chroot},
        {"proc_root", p_proc_root},
        {"dotdot", p_dotdot},
        {"volume_symlink", p_volume_symlink},
        {"kernel_view", p_kernel_view},
        {"leaked_fds", p_leaked_fds},
        {"cwd", p_cwd},
        {"ptrace", p_ptrace},
        {"process_vm_readv", p_process_vm_readv},
        {"kcmp", p_kcmp},
        {"kill_all", p_kill_all},
        {"kexec_load", p_kexec},
        {"init_module", p_init_module},
        {"finit_module", p_finit_module},
        {"bpf", p_bpf},
        {"perf_event_open", p_perf_event_open},
        {"userfaultfd", p_userfaultfd},
        {"io_uring", p_io_uring},
        {"add_key", p_add_key},
        {"keyctl", p_keyctl},
        {"unshare_user", p_unshare_user},
        {"clone_newuser", p_clone_newuser},
        {"setns", p_setns},
        {"raw_socket", p_raw_socket},
        {"packet_socket", p_packet_socket},
        {"abstract_socket", p_abstract_socket},
        {"open_by_handle_at", p_open_by_handle_at},
        {"dev_mem", p_dev_mem},
        {"proc_sys", p_proc_sys},
        {"sys", p_sys},
        {"sysrq_trigger", p_sysrq_trigger},
        {"core_pattern", p_core_pattern},
        {"clock_settime", p_clock_settime},
        {"reboot", p_reboot},
        {"swapon", p_swapon},
        {"acct", p_acct},
        {"personality", p_personality},
        {"modify_ldt", p_modify_ldt},
        {"iopl", p_iopl},
        {"ioperm", p_ioperm},
        {"x32", p_x32},
        {"int80", p_int80},
        {"uname", p_uname},
        {"proc_version", p_proc_version},
        {"host_cpu", p_host_cpu},
        {"mountinfo", p_mountinfo},
};
#define N_PROBES (sizeof(probes) / sizeof(probes[0]))

// run_one: in a child, so that a kill action or a crash ends that probe only.
static int run_one(const struct probe *p)
{
        fflush(stdout);
        pid_t c = fork();
        if (c < 0) {
                printf("%s: ERROR (fork: %s)\n", p->name, strerrorname_np(errno));
                return 1;
        }
        if (c == 0) {
                probe_name = p->name;
                alarm(10);
                p->fn();
                _exit(escaped ? 1 : 0);
        }
        int st;
        while (waitpid(c, &st, 0) < 0)
                if (errno != EINTR) {
                        printf("%s: ERROR (waitpid: %s)\n", p->name, strerrorname_np(errno));
                        return 1;
                }
        if (WIFSIGNALED(st)) {
                const char *sig = sigabbrev_np(WTERMSIG(st));
                printf("%s: killed SIG%s\n", p->name, sig ? sig : "?");
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
        int bad = 0;
        // before anything of ours is open: what the runtime left us
        for (int fd = 3; fd < 1024 && n_inherited < 64; fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                        inherited[n_inherited++] = fd;
        if (argc < 2) {
                fprintf(stderr, "usage: probe all | list | NAME...\n");
                return 2;
        }
        if (strcmp(argv[1], "list") == 0) {
                for (size_t i = 0; i < N_PROBES; i++)
                        printf("%s\n", probes[i].name);
                return 0;
        }
        bool all = strcmp(argv[1], "all") == 0;
        for (size_t i = 0; i < N_PROBES; i++) {
                bool want = all;
                for (int a = 1; a < argc && !want; a++)
                        want = strcmp(argv[a], probes[i].name) == 0;
                if (want && run_one(&probes[i]) != 0)
                        bad = 1;
        }
        return bad;
}
