/* SPDX-License-Identifier: MIT */
/*
 * The dispatch table, indexed by syscall number, expanded from handlers.def.
 */
#include <stddef.h>
#include <sys/syscall.h>

#include "sentry/boundary.h"
#include "sentry/call.h"

/* Numbers newer than the build host's kernel headers (Debian 12: 6.1). */
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_map_shadow_stack
#define __NR_map_shadow_stack 453
#endif
#ifndef __NR_mseal
#define __NR_mseal 462
#endif
#ifndef __NR_setxattrat
#define __NR_setxattrat 463
#endif
#ifndef __NR_getxattrat
#define __NR_getxattrat 464
#endif
#ifndef __NR_listxattrat
#define __NR_listxattrat 465
#endif
#ifndef __NR_removexattrat
#define __NR_removexattrat 466
#endif
#ifndef __NR_file_getattr
#define __NR_file_getattr 468
#endif
#ifndef __NR_file_setattr
#define __NR_file_setattr 469
#endif

/* A number given twice fails the build (-Woverride-init, part of -Wextra). */
static const struct sentry_handler handlers[BOUNDARY_NR_MAX + 1] = {
#define HANDLER(name_, args_) [__NR_##name_] = {.name = #name_, .fn = sys_##name_, .args = (args_)},
#define HANDLER_CONTINUE(name_, args_) [__NR_##name_] = {.name = #name_, .fn = sys_continue, .args = (args_)},
#define HANDLER_CRED(name_, args_) [__NR_##name_] = {.name = #name_, .fn = sys_cred_change, .args = (args_)},
#include "sentry/handlers.def"
#undef HANDLER
#undef HANDLER_CONTINUE
#undef HANDLER_CRED
};

const struct sentry_handler *sentry_handler_lookup(long nr) {
        if (nr < 0 || nr > BOUNDARY_NR_MAX || !handlers[nr].fn)
                return NULL;
        return &handlers[nr];
}

long sys_continue(struct sentry_call *c) {
        (void) c;
        return SENTRY_CONTINUE;
}
