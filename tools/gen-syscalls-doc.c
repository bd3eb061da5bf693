/* SPDX-License-Identifier: MIT */
/* Prints docs/syscalls.md from src/sentry/syscalls.def (`make docs`). */
#include <stdio.h>

#include "sentry/boundary.h"

int main(void) {
        if (sentry_boundary_write_doc(stdout) < 0 || fflush(stdout) != 0) {
                perror("gen-syscalls-doc");
                return 1;
        }
        return 0;
}
