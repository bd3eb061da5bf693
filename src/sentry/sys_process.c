/* SPDX-License-Identifier: MIT */
/*
 * Process attributes whose register arguments the filter cannot fully
 * judge: the complements of its personality and prctl allow-lists, unshare,
 * and the scheduling calls whose real-time classes could starve the host's
 * CPUs.  What is allowed is CONTINUEd (the kernel checks the privileges
 * again); the rest gets the errno of a process without the privilege.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <sys/personality.h>
#include <sys/prctl.h>

#include <linux/ioprio.h>

#include "sentry/call.h"

#define ARG(i) (c->req->data.args[i])

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef PR_GET_AUXV
#define PR_GET_AUXV 0x41555856
#endif
/* The last prctl option of Linux 6.18 (PR_FUTEX_HASH); newer ones are
 * EINVAL, as on a kernel that predates them, until they are reviewed. */
#define PRCTL_LAST_KNOWN 78

/* Weaken ASLR, make data executable, or map page zero. */
#define PERSONA_UNSAFE                                                                             \
        (ADDR_NO_RANDOMIZE | MMAP_PAGE_ZERO | ADDR_COMPAT_LAYOUT | READ_IMPLIES_EXEC | ADDR_LIMIT_32BIT | \
         ADDR_LIMIT_3GB)

long sys_personality(struct sentry_call *c) {
        /* PER_LINUX32 and UNAME26 (setarch, old build systems): uname honours them */
        if ((uint32_t) ARG(0) & PERSONA_UNSAFE)
                return -EPERM;
        sentry_persona_changed(c);
        return SENTRY_CONTINUE;
}

#define CLONE_NEW_ANY                                                                              \
        (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
         CLONE_NEWNET | CLONE_NEWTIME)
#define UNSHARE_OWN (CLONE_FILES | CLONE_FS | CLONE_SYSVSEM | CLONE_THREAD | CLONE_VM | CLONE_SIGHAND)

/* Splitting its own fd table or cwd is fine (path.c reads both per thread);
 * new namespaces are not, as for clone. */
long sys_unshare(struct sentry_call *c) {
        unsigned long flags = ARG(0);
        if (flags & CLONE_NEW_ANY)
                return -EPERM;
        if (flags & ~(unsigned long) UNSHARE_OWN)
                return -EINVAL;
        return SENTRY_CONTINUE;
}

/*
 * Every prctl option up to PRCTL_LAST_KNOWN acts on the calling thread or
 * process (capability bounding set, securebits, keepcaps, ambient caps,
 * dumpable, subreaper, timer slack, THP, speculation control, seccomp,
 * syscall user dispatch, shadow stacks, ...) with the kernel's own privilege
 * checks, and credential changes are seen by the Sentry because it re-reads
 * them per call.  PR_SET_MM rewrites the memory map's metadata (what
 * /proc/<pid>/exe and the auxv say): refused as without CAP_SYS_RESOURCE.
 */
long sys_prctl(struct sentry_call *c) {
        unsigned long option = (uint32_t) ARG(0);
        if (option == PR_SET_MM)
                return -EPERM;
        if ((option >= 1 && option <= PRCTL_LAST_KNOWN) || option == PR_GET_AUXV || option == PR_SET_PTRACER)
                return SENTRY_CONTINUE;
        return -EINVAL;
}

/* The caller's own robust-list head (pid 0: glibc's pthread tests,
 * stress-ng's pthread stressor) is its own memory; another task's is a
 * ptrace-class read, refused as for ptrace. */
long sys_get_robust_list(struct sentry_call *c) {
        if ((int) ARG(0) != 0)
                return -EPERM;
        return SENTRY_CONTINUE;
}

static bool realtime(unsigned policy) {
        policy &= ~(unsigned) SCHED_RESET_ON_FORK;
        return policy == SCHED_FIFO || policy == SCHED_RR || policy == SCHED_DEADLINE;
}

long sys_sched_setscheduler(struct sentry_call *c) {
        if (realtime((unsigned) ARG(1)))
                return -EPERM;
        return SENTRY_CONTINUE;
}

/*
 * The policy is in memory: a racing thread could turn a checked
 * SCHED_OTHER into SCHED_FIFO before the kernel reads it.  The kernel then
 * still requires CAP_SYS_NICE or an RLIMIT_RTPRIO above 0, which a container
 * does not get by default; this check keeps honest programs from trying.
 */
long sys_sched_setattr(struct sentry_call *c) {
        uint32_t head[2]; /* size, sched_policy */
        int r = sentry_read(c, ARG(1), head, sizeof head);
        if (r < 0)
                return r;
        if (realtime(head[1]))
                return -EPERM;
        return SENTRY_CONTINUE;
}

long sys_ioprio_set(struct sentry_call *c) {
        unsigned prio = (unsigned) ARG(2);
        if (((prio >> IOPRIO_CLASS_SHIFT) & 0x7) == IOPRIO_CLASS_RT)
                return -EPERM;
        return SENTRY_CONTINUE;
}
