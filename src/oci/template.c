/* SPDX-License-Identifier: MIT */
/*
 * `cocoon spec`: the default config.json.  It is runc's (runc 1.1
 * libcontainer/specconv Example() and ToRootless()), key for key and in the
 * same order and layout, so tutorials written for `runc spec` work unchanged;
 * only ociVersion names the spec version we implement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci/spec.h"

static json_t *strings(const char *const *v, size_t n) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, json_string(v[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

#define STRINGS(...) strings((const char *const[]){__VA_ARGS__}, ELEMENTSOF(((const char *const[]){__VA_ARGS__})))

static json_t *mount(const char *dest, const char *type, const char *source, json_t *options) {
        /* Field order of runtime-spec's Go Mount struct, which is what runc prints. */
        json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);
        if (m && options && json_object_set_new(m, "options", options) < 0) {
                json_decref(m);
                return NULL;
        }
        if (!m)
                json_decref(options);
        return m;
}

static json_t *default_mounts(bool rootless) {
        json_t *m = json_array();
        if (!m)
                return NULL;
        /* ToRootless() drops uid=/gid= options (the ids are not mapped) and replaces
         * sysfs, which an unprivileged user namespace may not mount, with a bind. */
        json_t *devpts_opts = rootless ? STRINGS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620")
                                       : STRINGS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                                                 "gid=5");
        json_t *sys = rootless ? mount("/sys", "none", "/sys", STRINGS("rbind", "nosuid", "noexec", "nodev", "ro"))
                               : mount("/sys", "sysfs", "sysfs", STRINGS("nosuid", "noexec", "nodev", "ro"));
        json_t *all[] = {
                mount("/proc", "proc", "proc", NULL),
                mount("/dev", "tmpfs", "tmpfs", STRINGS("nosuid", "strictatime", "mode=755", "size=65536k")),
                mount("/dev/pts", "devpts", "devpts", devpts_opts),
                mount("/dev/shm", "tmpfs", "shm", STRINGS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
                mount("/dev/mqueue", "mqueue", "mqueue", STRINGS("nosuid", "noexec", "nodev")),
                sys,
                mount("/sys/fs/cgroup", "cgroup", "cgroup", STRINGS("nosuid", "noexec", "nodev", "relatime", "ro")),
        };
        bool ok = true;
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                if (!all[i] || json_array_append_new(m, all[i]) < 0)
                        ok = false;
        if (!ok) {
                json_decref(m);
                return NULL;
        }
        return m;
}

static json_t *namespaces(bool rootless) {
        /* Rootless: no network namespace (nothing could configure it), plus a user namespace. */
        const char *const full[] = {"pid", "network", "ipc", "uts", "mount"};
        const char *const rl[] = {"pid", "ipc", "uts", "mount", "user"};
        const char *const *names = rootless ? rl : full;
        json_t *a = json_array();
        for (size_t i = 0; a && i < 5; i++)
                if (json_array_append_new(a, json_pack("{s:s}", "type", names[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *template_json(bool rootless) {
        json_t *caps = STRINGS("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
        if (!caps)
                return NULL;
        json_t *process = json_pack(
                "{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:{s:O, s:O, s:O, s:O}, s:[{s:s, s:i, s:i}], s:b}", "terminal",
                1, "user", "uid", 0, "gid", 0, "args", STRINGS("sh"), "env",
                STRINGS("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"), "cwd",
                "/", "capabilities", "bounding", caps, "effective", caps, "permitted", caps, "ambient", caps,
                "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1);
        json_decref(caps);

        json_t *lx = json_object();
        if (lx) {
                int r = 0;
                if (rootless) {
                        /* Container root is the caller, as runc spec --rootless writes it. */
                        r |= json_object_set_new(lx, "uidMappings",
                                                 json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                                           (json_int_t) geteuid(), "size", 1));
                        r |= json_object_set_new(lx, "gidMappings",
                                                 json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                                           (json_int_t) getegid(), "size", 1));
                } else
                        r |= json_object_set_new(lx, "resources",
                                                 json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access",
                                                           "rwm"));
                r |= json_object_set_new(lx, "namespaces", namespaces(rootless));
                r |= json_object_set_new(lx, "maskedPaths",
                                         STRINGS("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                                 "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                                 "/proc/sched_debug", "/sys/firmware", "/proc/scsi"));
                r |= json_object_set_new(lx, "readonlyPaths",
                                         STRINGS("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                 "/proc/sysrq-trigger"));
                if (r) {
                        json_decref(lx);
                        lx = NULL;
                }
        }

        /* "o" steals the references, including on failure, so nothing leaks here. */
        return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", OCI_VERSION, "process", process,
                         "root", "path", "rootfs", "readonly", 1, "hostname", "runc", "mounts",
                         default_mounts(rootless), "linux", lx);
}

char *oci_spec_template(bool rootless) {
        json_t *j = template_json(rootless);
        if (!j)
                return NULL;
        /* jansson indents with spaces only; one space per level, then each
         * leading space becomes a tab to match runc's json.MarshalIndent(.., "\t"). */
        _cleanup_free_ char *spaced = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        json_decref(j);
        if (!spaced)
                return NULL;
        char *out = strdup(spaced);
        if (!out)
                return NULL;
        bool line_start = true;
        for (char *p = out; *p; p++) {
                if (*p == '\n')
                        line_start = true;
                else if (line_start && *p == ' ')
                        *p = '\t';
                else
                        line_start = false;
        }
        return out;
}
