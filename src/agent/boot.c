/* SPDX-License-Identifier: MIT */
/*
 * The agent's first steps as PID 1 of the guest: the kernel filesystems,
 * the modules packed into the initramfs, a root that containers can
 * pivot_root away from, the container rootfs shared by the host, and the
 * virtio-serial port to the host.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

static int mount_one(const char *src, const char *dst, const char *type, unsigned long flags, const char *data) {
        mkdir(dst, 0755);
        if (mount(src, dst, type, flags, data) < 0)
                return log_error_errno(-errno, "mount %s on %s", type, dst);
        return 0;
}

/* /modules/load.list names them dependencies first (scripts/guest-assets.sh);
 * it is empty for the minimal kernel, which has them built in. */
static int load_modules(void) {
        _cleanup_free_ char *list = NULL;
        size_t len;
        int r = read_file_at(AT_FDCWD, "/modules/load.list", &list, &len);
        if (r < 0)
                return log_error_errno(r, "read /modules/load.list");
        char *save = NULL;
        for (char *name = strtok_r(list, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
                char path[256];
                snprintf(path, sizeof path, "/modules/%s", name);
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return log_error_errno(-errno, "open %s", path);
                if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
                        return log_error_errno(-errno, "load module %s", name);
                unlink(path); /* its memory in the initramfs is not needed any more */
        }
        return 0;
}

/*
 * pivot_root refuses to move the initramfs (it has no parent mount), and
 * the container's init pivots: so the guest's root becomes a tmpfs, as
 * switch_root does.  Nothing of the initramfs is needed afterwards (the
 * agent runs from memory), so its files go first.
 */
static int leave_initramfs(void) {
        unlink("/init");
        unlink("/modules/load.list");
        rmdir("/modules");
        int r = mount_one("tmpfs", "/mnt", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
        if (r < 0)
                return r;
        static const char *const moved[] = {"/dev", "/proc", "/sys"};
        for (size_t i = 0; i < ELEMENTSOF(moved); i++) {
                char dst[32];
                snprintf(dst, sizeof dst, "/mnt%s", moved[i]);
                mkdir(dst, 0755);
                if (mount(moved[i], dst, NULL, MS_MOVE, NULL) < 0)
                        return log_error_errno(-errno, "move %s", moved[i]);
        }
        if (chdir("/mnt") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
                return log_error_errno(-errno, "switch the guest's root to a tmpfs");
        mkdir("/run", 0755);
        mkdir("/tmp", 01777);
        return 0;
}

int agent_boot(void) {
        int r = mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
        if (r == 0)
                r = mount_one("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        if (r == 0)
                r = mount_one("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        if (r == 0)
                r = load_modules();
        if (r == 0)
                r = agent_net_loopback();
        if (r == 0)
                r = leave_initramfs();
        if (r == 0)
                r = mount_one("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        if (r == 0)
                r = mount_one("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666,newinstance");
        if (r == 0)
                r = mount_one("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
        if (r < 0)
                return r;
        /* cache=mmap: shared writable mappings work (as with Kata's 9p), the
         * rest stays uncached, coherent with the host's view */
        return mount_one(AGENT_ROOTFS_TAG, AGENT_ROOTFS, "9p", 0,
                         "trans=virtio,version=9p2000.L,msize=262144,cache=mmap,access=client");
}

/* The port QEMU names "cocoon.agent": /sys/class/virtio-ports/vportNpM/name
 * (no udev here to make the /dev/virtio-ports symlink). */
int agent_open_port(int *ret) {
        for (int tries = 0; tries < 500; tries++) {
                _cleanup_closedir_ DIR *d = opendir("/sys/class/virtio-ports");
                struct dirent *e;
                while (d && (e = readdir(d))) {
                        if (e->d_name[0] == '.')
                                continue;
                        char path[300], name[64] = "";
                        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
                        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                        ssize_t n = fd >= 0 ? read(fd, name, sizeof name - 1) : -1;
                        if (n <= 0 || strncmp(name, AGENT_PORT_NAME "\n", strlen(AGENT_PORT_NAME) + 1))
                                continue;
                        snprintf(path, sizeof path, "/dev/%s", e->d_name);
                        int port = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
                        if (port >= 0) {
                                *ret = port;
                                return 0;
                        }
                }
                nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
        return log_fail(-ENODEV, "no virtio-serial port named %s", AGENT_PORT_NAME);
}
