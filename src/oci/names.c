/* SPDX-License-Identifier: MIT */
/*
 * Name <-> number tables for the OCI spelling of capabilities, rlimits and
 * namespaces.  Our own tables rather than libcap's cap_from_name(): libcap
 * accepts lower case and numbers, while OCI (and runc) only accept the
 * upper-case "CAP_X" spelling, and a capability libcap was built without
 * would otherwise be unknown on a newer kernel.
 *
 * The lookups do not log: callers know the JSON path or the command-line
 * option and report the error with that context.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "cleanup.h"
#include "oci/spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define CAP(x) [x] = #x
static const char *const cap_names[] = {
        CAP(CAP_CHOWN),
        CAP(CAP_DAC_OVERRIDE),
        CAP(CAP_DAC_READ_SEARCH),
        CAP(CAP_FOWNER),
        CAP(CAP_FSETID),
        CAP(CAP_KILL),
        CAP(CAP_SETGID),
        CAP(CAP_SETUID),
        CAP(CAP_SETPCAP),
        CAP(CAP_LINUX_IMMUTABLE),
        CAP(CAP_NET_BIND_SERVICE),
        CAP(CAP_NET_BROADCAST),
        CAP(CAP_NET_ADMIN),
        CAP(CAP_NET_RAW),
        CAP(CAP_IPC_LOCK),
        CAP(CAP_IPC_OWNER),
        CAP(CAP_SYS_MODULE),
        CAP(CAP_SYS_RAWIO),
        CAP(CAP_SYS_CHROOT),
        CAP(CAP_SYS_PTRACE),
        CAP(CAP_SYS_PACCT),
        CAP(CAP_SYS_ADMIN),
        CAP(CAP_SYS_BOOT),
        CAP(CAP_SYS_NICE),
        CAP(CAP_SYS_RESOURCE),
        CAP(CAP_SYS_TIME),
        CAP(CAP_SYS_TTY_CONFIG),
        CAP(CAP_MKNOD),
        CAP(CAP_LEASE),
        CAP(CAP_AUDIT_WRITE),
        CAP(CAP_AUDIT_CONTROL),
        CAP(CAP_SETFCAP),
        CAP(CAP_MAC_OVERRIDE),
        CAP(CAP_MAC_ADMIN),
        CAP(CAP_SYSLOG),
        CAP(CAP_WAKE_ALARM),
        CAP(CAP_BLOCK_SUSPEND),
        CAP(CAP_AUDIT_READ),
        CAP(CAP_PERFMON),
        CAP(CAP_BPF),
        CAP(CAP_CHECKPOINT_RESTORE),
};
#undef CAP

_Static_assert(ELEMENTSOF(cap_names) == OCI_CAP_LAST + 1, "capability table out of date");

int oci_cap_from_name(const char *name) {
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
                if (strcmp(cap_names[i], name) == 0)
                        return (int) i;
        return -EINVAL;
}

const char *oci_cap_to_name(int cap) {
        if (cap < 0 || (size_t) cap >= ELEMENTSOF(cap_names))
                return NULL;
        return cap_names[cap];
}

static const struct {
        const char *name;
        int resource;
} rlimits[] = {
#define RL(x) {#x, x}
        RL(RLIMIT_AS),      RL(RLIMIT_CORE),       RL(RLIMIT_CPU),    RL(RLIMIT_DATA),
        RL(RLIMIT_FSIZE),   RL(RLIMIT_LOCKS),      RL(RLIMIT_MEMLOCK), RL(RLIMIT_MSGQUEUE),
        RL(RLIMIT_NICE),    RL(RLIMIT_NOFILE),     RL(RLIMIT_NPROC),  RL(RLIMIT_RSS),
        RL(RLIMIT_RTPRIO),  RL(RLIMIT_RTTIME),     RL(RLIMIT_SIGPENDING), RL(RLIMIT_STACK),
#undef RL
};

int oci_rlimit_from_name(const char *name) {
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(rlimits); i++)
                if (strcmp(rlimits[i].name, name) == 0)
                        return rlimits[i].resource;
        return -EINVAL;
}

const char *oci_rlimit_to_name(int resource) {
        for (size_t i = 0; i < ELEMENTSOF(rlimits); i++)
                if (rlimits[i].resource == resource)
                        return rlimits[i].name;
        return NULL;
}

static const struct {
        const char *name;
        int type;
} namespaces[] = {
        {"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET},   {"mount", CLONE_NEWNS},
        {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},       {"user", CLONE_NEWUSER},
        {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

int oci_namespace_from_name(const char *name) {
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++)
                if (strcmp(namespaces[i].name, name) == 0)
                        return namespaces[i].type;
        return -EINVAL;
}

const char *oci_namespace_to_name(int type) {
        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++)
                if (namespaces[i].type == type)
                        return namespaces[i].name;
        return NULL;
}
