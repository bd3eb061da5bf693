/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer harnesses (docs/fuzzing.md).
 *
 * A failed invariant must be a crash libFuzzer records with its input, so
 * FUZZ_CHECK aborts (assert() could be compiled out).  The library logs one
 * line per rejected input; on stderr that would drown libFuzzer's own
 * output and cost more than the parse, so harnesses send it to /dev/null.
 */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

#define FUZZ_CHECK(cond)                                                                            \
        do {                                                                                        \
                if (!(cond)) {                                                                      \
                        fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
                        abort();                                                                    \
                }                                                                                   \
        } while (0)

/* Errors go to the forwarding fd instead of stderr; a send() on /dev/null
 * fails with ENOTSOCK, which the logger ignores. */
static inline void fuzz_quiet_logs(void) {
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (fd >= 0)
                log_forward_to(fd);
}
