/* SPDX-License-Identifier: MIT */
#include "linux/cloned_binary.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static int is_sealed_copy(void) {
        _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int seals = fcntl(fd, F_GET_SEALS);
        return seals >= 0 && (seals & SEALS) == SEALS;
}

int cloned_binary_reexec(char **argv) {
        int r = is_sealed_copy();
        if (r != 0)
                return r < 0 ? log_error_errno(r, "open /proc/self/exe") : 0;
        _cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (exe < 0)
                return log_error_errno(-errno, "open /proc/self/exe");
        struct stat st;
        if (fstat(exe, &st) < 0)
                return log_error_errno(-errno, "stat /proc/self/exe");
        /* not close-on-exec: fexecve of a script would need it; for us it is
         * the executable itself and the kernel holds its own reference */
        _cleanup_close_ int mfd = memfd_create("cocoon", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return log_error_errno(-errno, "memfd_create");
        off_t left = st.st_size;
        while (left > 0) {
                ssize_t n = sendfile(mfd, exe, NULL, (size_t) left);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(-errno, "copy cocoon's binary into a memfd");
                }
                if (n == 0)
                        return log_error_errno(-EIO, "copy cocoon's binary into a memfd: short copy");
                left -= n;
        }
        if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
                return log_error_errno(-errno, "seal the memfd copy of cocoon");
        fexecve(mfd, argv, environ);
        return log_error_errno(-errno, "re-execute cocoon from its sealed copy");
}
