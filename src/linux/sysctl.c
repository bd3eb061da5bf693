/* SPDX-License-Identifier: MIT */
/*
 * linux.sysctl.  Only sysctls that belong to a namespace the container owns
 * may be set: ipc ones (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*)
 * need a new ipc namespace, net.* a network namespace of its own, and
 * kernel.hostname / kernel.domainname a new uts namespace.  Anything else
 * is global to the host and is refused.
 */
#include "linux/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

/* Copy `src` into `dst`, turning every `from` into `to` (from == 0: plain copy). */
static void replace_char(char *dst, size_t len, const char *src, char from, char to) {
        snprintf(dst, len, "%s", src);
        for (char *p = dst; from && *p; p++)
                if (*p == from)
                        *p = to;
}

static bool key_safe(const char *key) {
        return *key && key[0] != '/' && key[0] != '.' && !strstr(key, "..");
}

int sysctl_validate(const struct oci_spec *spec) {
        json_t *sys = spec->linux.sysctl;
        const char *key;
        json_t *v;
        if (!sys)
                return 0;
        /* values are strings: the parser checked */
        json_object_foreach(sys, key, v) {
                if (!key_safe(key))
                        return log_fail(-EINVAL, "config.json: linux.sysctl: invalid key \"%s\"", key);
                /* runc accepts both "net.ipv4.ip_forward" and "net/ipv4/ip_forward" */
                char norm[256];
                replace_char(norm, sizeof norm, key, '/', '.');
                int need;
                if (str_startswith(norm, "kernel.msg") || !strcmp(norm, "kernel.sem") ||
                    str_startswith(norm, "kernel.shm") || str_startswith(norm, "fs.mqueue."))
                        need = CLONE_NEWIPC;
                else if (str_startswith(norm, "net."))
                        need = CLONE_NEWNET;
                else if (!strcmp(norm, "kernel.hostname") || !strcmp(norm, "kernel.domainname"))
                        need = CLONE_NEWUTS;
                else
                        return log_fail(-EPERM, "config.json: linux.sysctl: \"%s\" is not namespaced and would "
                                                "change the host",
                                        key);
                /* new, or joined by path: either way not the host's */
                if (!oci_spec_namespace(spec, need))
                        return log_fail(-EPERM, "config.json: linux.sysctl: \"%s\" requires the container's own %s "
                                                "namespace",
                                        key, oci_namespace_to_name(need));
        }
        return 0;
}

int sysctl_apply(const struct oci_spec *spec) {
        json_t *sys = spec->linux.sysctl;
        const char *key;
        json_t *v;
        if (!sys)
                return 0;
        json_object_foreach(sys, key, v) {
                /* a key with '/' is a path already; its components may hold dots */
                char rel[256], path[300];
                replace_char(rel, sizeof rel, key, strchr(key, '/') ? 0 : '.', '/');
                snprintf(path, sizeof path, "/proc/sys/%s", rel);
                _cleanup_close_ int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
                const char *val = json_string_value(v);
                if (fd < 0 || write(fd, val, strlen(val)) < 0)
                        return log_error_errno(-errno, "config.json: linux.sysctl: set %s to \"%s\"", key, val);
        }
        return 0;
}
