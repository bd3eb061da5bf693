/* SPDX-License-Identifier: MIT */
#include "linux/caps.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

/* Raw capset/prctl rather than libcap's cap_set_proc(): every step below
 * has its own kernel rule, and the error must say which step and which
 * capability broke it.  libcap only supplies the names. */

int caps_last_cap(void) {
        /* The sysctl is the documented source, but /proc may not be mounted
         * in the container yet, so fall back to asking the kernel directly:
         * PR_CAPBSET_READ fails with EINVAL exactly above the last cap. */
        _cleanup_close_ int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                char buf[16];
                ssize_t n = read(fd, buf, sizeof buf - 1);
                if (n > 0) {
                        buf[n] = 0;
                        char *end;
                        long v = strtol(buf, &end, 10);
                        if (end != buf && v >= 0 && v < 64)
                                return (int) v;
                }
        }
        int last = 0;
        while (last < 63 && prctl(PR_CAPBSET_READ, (unsigned long) last + 1, 0, 0, 0) >= 0)
                last++;
        return last;
}

uint64_t caps_kernel_mask(void) {
        int last = caps_last_cap();
        return last >= 63 ? ~UINT64_C(0) : (UINT64_C(1) << (last + 1)) - 1;
}

const char *caps_name(int cap, char *buf, size_t len) {
        char *name = cap_to_name(cap);
        /* libcap spells known caps "cap_kill" and unknown ones as the bare number. */
        if (name && strncmp(name, "cap_", 4) == 0) {
                size_t i = 0;
                for (; name[i] && i + 1 < len; i++)
                        buf[i] = (char) toupper((unsigned char) name[i]);
                buf[i] = 0;
        } else
                snprintf(buf, len, "CAP_%d", cap);
        cap_free(name);
        return buf;
}

int caps_drop_bounding(uint64_t keep) {
        int last = caps_last_cap();
        for (int cap = 0; cap <= last; cap++) {
                if (keep & (UINT64_C(1) << cap))
                        continue;
                /* Dropping needs CAP_SETPCAP; skipping caps already gone lets a
                 * runtime that was itself started with a reduced bounding set
                 * (nested containers) apply a spec that asks for no more. */
                int r = prctl(PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0);
                if (r == 0)
                        continue;
                if (r < 0 || prctl(PR_CAPBSET_DROP, (unsigned long) cap, 0, 0, 0) < 0) {
                        char name[32];
                        return log_error_errno(-errno, "drop %s from the bounding set",
                                               caps_name(cap, name, sizeof name));
                }
        }
        return 0;
}

int caps_set(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
        /* The kernel refuses an effective cap that is not permitted with a bare
         * EPERM; say which one instead. */
        uint64_t bad = effective & ~permitted;
        if (bad) {
                char name[32];
                return log_error_errno(-EPERM, "capability %s is in the effective set but not in the permitted set",
                                       caps_name(__builtin_ctzll(bad), name, sizeof name));
        }
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {
                {(uint32_t) effective, (uint32_t) permitted, (uint32_t) inheritable},
                {(uint32_t) (effective >> 32), (uint32_t) (permitted >> 32), (uint32_t) (inheritable >> 32)},
        };
        if (capset(&hdr, data) < 0)
                return log_error_errno(-errno,
                                       "capset(effective=%#llx, permitted=%#llx, inheritable=%#llx)",
                                       (unsigned long long) effective, (unsigned long long) permitted,
                                       (unsigned long long) inheritable);
        return 0;
}

int caps_set_ambient(uint64_t ambient) {
        /* Clear first: ambient caps survive setresuid only while the uid stays
         * root, so whatever is left over must not leak into the workload. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
                /* Kernels before 4.3 have no ambient set; nothing to clear. */
                if (errno == EINVAL && ambient == 0)
                        return 0;
                return log_error_errno(-errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
        }
        for (int cap = 0; cap < 64; cap++) {
                if (!(ambient & (UINT64_C(1) << cap)))
                        continue;
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long) cap, 0, 0) < 0) {
                        char name[32];
                        /* The kernel requires an ambient cap to be both permitted and
                         * inheritable, and refuses with EPERM otherwise.  runc's own
                         * default spec lists ambient caps without inheritable ones and
                         * runc skips them silently; we do the same, or that spec
                         * would not run. */
                        if (errno == EPERM) {
                                log_debug("ambient capability %s not raised: it is not in the permitted and "
                                          "inheritable sets",
                                          caps_name(cap, name, sizeof name));
                                continue;
                        }
                        return log_error_errno(-errno, "raise ambient capability %s",
                                               caps_name(cap, name, sizeof name));
                }
        }
        return 0;
}
