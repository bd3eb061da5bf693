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

int cloned_binary_reexec(char **argv) {
        _cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (exe < 0)
                return log_error_errno(-errno, "open /proc/self/exe");
        int seals = fcntl(exe, F_GET_SEALS);
        if (seals >= 0 && (seals & SEALS) == SEALS)
                return 0; /* we already run from the sealed copy */
        struct stat st;
        if (fstat(exe, &st) < 0)
                return log_error_errno(-errno, "stat /proc/self/exe");
        /* close-on-exec is fine: cocoon is an ELF binary, and the kernel keeps
         * its own reference to the file it executes (only a script would
         * need the fd to survive fexecve) */
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
