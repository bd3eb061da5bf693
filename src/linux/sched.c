/* SPDX-License-Identifier: MIT */
/*
 * Scheduling class, I/O priority and personality of the container process.
 * Each is applied to ourselves right before execve and inherited by the
 * program; errors name the config field.
 */
#include "linux/sched.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

struct sched_attr_v1 {
        uint32_t size, sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime, sched_deadline, sched_period;
};

static const struct {
        const char *name;
        int value;
} policies[] = {
        {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},       {"SCHED_BATCH", 3},
        {"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6},
};

static const struct {
        const char *name;
        uint64_t value;
} sched_flags[] = {
        {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},    {"SCHED_FLAG_DL_OVERRUN", 0x04},
        {"SCHED_FLAG_KEEP_POLICY", 0x08},   {"SCHED_FLAG_KEEP_PARAMS", 0x10}, {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
        {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};

static int apply_scheduler(json_t *s) {
        const char *pol = json_string_value(json_object_get(s, "policy"));
        if (!pol)
                return log_fail(-EINVAL, "config.json: process.scheduler.policy: required string");
        struct sched_attr_v1 a = {.size = sizeof a, .sched_policy = UINT32_MAX};
        for (size_t i = 0; i < sizeof policies / sizeof *policies; i++)
                if (!strcmp(pol, policies[i].name))
                        a.sched_policy = (uint32_t) policies[i].value;
        if (a.sched_policy == UINT32_MAX)
                return log_fail(-EINVAL, "config.json: process.scheduler.policy: unknown policy \"%s\"", pol);
        a.sched_nice = (int32_t) json_integer_value(json_object_get(s, "nice"));
        a.sched_priority = (uint32_t) json_integer_value(json_object_get(s, "priority"));
        a.sched_runtime = (uint64_t) json_integer_value(json_object_get(s, "runtime"));
        a.sched_deadline = (uint64_t) json_integer_value(json_object_get(s, "deadline"));
        a.sched_period = (uint64_t) json_integer_value(json_object_get(s, "period"));
        json_t *flags = json_object_get(s, "flags"), *f;
        size_t i;
        json_array_foreach(flags, i, f) {
                const char *name = json_string_value(f);
                size_t k;
                for (k = 0; k < sizeof sched_flags / sizeof *sched_flags; k++)
                        if (name && !strcmp(name, sched_flags[k].name))
                                break;
                if (k == sizeof sched_flags / sizeof *sched_flags)
                        return log_fail(-EINVAL, "config.json: process.scheduler.flags[%zu]: unknown flag", i);
                a.sched_flags |= sched_flags[k].value;
        }
        if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
                return log_error_errno(-errno, "config.json: process.scheduler: sched_setattr(%s)", pol);
        return 0;
}

static int apply_ioprio(json_t *io) {
        static const char *const classes[] = {NULL, "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"};
        const char *cls = json_string_value(json_object_get(io, "class"));
        int c = 0;
        for (int k = 1; k <= 3; k++)
                if (cls && !strcmp(cls, classes[k]))
                        c = k;
        if (!c)
                return log_fail(-EINVAL, "config.json: process.ioPriority.class: unknown class \"%s\"", cls ? cls : "");
        json_int_t prio = json_integer_value(json_object_get(io, "priority"));
        if (prio < 0 || prio > 7)
                return log_fail(-EINVAL, "config.json: process.ioPriority.priority: %lld is not in 0..7", (long long) prio);
        /* IOPRIO_WHO_PROCESS, ourselves; class in the top bits as IOPRIO_PRIO_VALUE does */
        if (syscall(SYS_ioprio_set, 1, 0, (c << 13) | (int) prio) < 0)
                return log_error_errno(-errno, "config.json: process.ioPriority: ioprio_set(%s, %lld)", cls,
                                       (long long) prio);
        return 0;
}

int sched_apply(const struct oci_process *p) {
        int r;
        if (p->scheduler && (r = apply_scheduler(p->scheduler)) < 0)
                return r;
        if (p->io_priority && (r = apply_ioprio(p->io_priority)) < 0)
                return r;
        return 0;
}

int personality_apply(const struct oci_spec *spec) {
        json_t *pers = spec->linux.personality;
        if (!pers)
                return 0;
        const char *domain = json_string_value(json_object_get(pers, "domain"));
        unsigned long persona;
        if (domain && !strcmp(domain, "LINUX"))
                persona = PER_LINUX;
        else if (domain && !strcmp(domain, "LINUX32"))
                persona = PER_LINUX32;
        else
                return log_fail(-EINVAL, "config.json: linux.personality.domain: \"%s\" (LINUX or LINUX32)",
                                domain ? domain : "");
        /* the spec defines no flags yet; refuse rather than ignore any */
        if (json_array_size(json_object_get(pers, "flags")) > 0)
                return log_fail(-EINVAL, "config.json: linux.personality.flags: no flags are supported");
        if (personality(persona) < 0)
                return log_error_errno(-errno, "config.json: linux.personality: personality(%s)", domain);
        return 0;
}
