/* SPDX-License-Identifier: MIT */
#include "linux/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

bool lsm_apparmor_enabled(void) {
        /* runc's test: the module says so and its securityfs is there */
        if (access("/sys/kernel/security/apparmor", F_OK) < 0)
                return false;
        _cleanup_close_ int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
        char c = 0;
        return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

bool lsm_selinux_enabled(void) {
        return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

static int write_attr(const char *path, const char *text) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t n = strlen(text);
        if (write(fd, text, n) != (ssize_t) n)
                return -errno;
        return 0;
}

static int apply_apparmor(const char *profile) {
        if (!lsm_apparmor_enabled()) {
                log_warn("process.apparmorProfile \"%s\" is not applied: AppArmor is not enabled on this host",
                         profile);
                return 0;
        }
        char cmd[4096];
        if (snprintf(cmd, sizeof cmd, "exec %s", profile) >= (int) sizeof cmd)
                return log_fail(-ENAMETOOLONG, "config.json: process.apparmorProfile: too long");
        /* the per-LSM file first (kernels with LSM stacking), the shared one before that existed */
        int r = write_attr("/proc/self/attr/apparmor/exec", cmd);
        if (r == -ENOENT)
                r = write_attr("/proc/self/attr/exec", cmd);
        if (r < 0)
                return log_error_errno(r, "config.json: process.apparmorProfile: set profile \"%s\"", profile);
        return 0;
}

static int apply_selinux(const char *label) {
        if (!lsm_selinux_enabled()) {
                log_warn("process.selinuxLabel \"%s\" is not applied: SELinux is not enabled on this host", label);
                return 0;
        }
        int r = write_attr("/proc/self/attr/exec", label);
        if (r < 0)
                return log_error_errno(r, "config.json: process.selinuxLabel: set exec label \"%s\"", label);
        return 0;
}

int lsm_apply_exec_labels(const struct oci_process *p) {
        int r;
        if (p->apparmor_profile && *p->apparmor_profile && (r = apply_apparmor(p->apparmor_profile)) < 0)
                return r;
        if (p->selinux_label && *p->selinux_label && (r = apply_selinux(p->selinux_label)) < 0)
                return r;
        return 0;
}

const char *lsm_mount_label(const struct oci_spec *spec) {
        const char *label = spec->has_linux ? spec->linux.mount_label : NULL;
        if (!label || !*label)
                return NULL;
        if (lsm_selinux_enabled())
                return label;
        log_warn("linux.mountLabel \"%s\" is not applied: SELinux is not enabled on this host", label);
        return NULL;
}

char *lsm_format_mount_label(const char *data, const char *label) {
        char *s;
        if (asprintf(&s, "%s%scontext=\"%s\"", data ? data : "", data && *data ? "," : "", label) < 0)
                return NULL;
        return s;
}

bool lsm_mount_takes_label(const char *type) {
        static const char *const unlabelled[] = {"proc", "sysfs", "cgroup", "cgroup2", "mqueue", "bind"};
        if (!type || !*type)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(unlabelled); i++)
                if (strcmp(type, unlabelled[i]) == 0)
                        return false;
        return true;
}
