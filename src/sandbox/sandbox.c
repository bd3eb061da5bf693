/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "runtime/sandbox.h"

static const char *const names[] = {
        [SANDBOX_NONE] = "none",
        [SANDBOX_SENTRY] = "sentry",
        [SANDBOX_VM] = "vm",
};

const char *sandbox_name(enum sandbox_kind kind) {
        return kind <= SANDBOX_VM ? names[kind] : "unknown";
}

int sandbox_from_name(const char *name, enum sandbox_kind *ret) {
        for (enum sandbox_kind k = SANDBOX_NONE; k <= SANDBOX_VM; k++)
                if (name && !strcmp(name, names[k])) {
                        *ret = k;
                        return 0;
                }
        return -EINVAL;
}

int sandbox_lookup(enum sandbox_kind kind, const struct sandbox_ops **ret) {
        switch (kind) {
        case SANDBOX_NONE:
                *ret = &sandbox_none_ops;
                return 0;
        case SANDBOX_SENTRY:
        case SANDBOX_VM:
                /* Said plainly rather than falling back to a weaker sandbox. */
                return log_fail(-EOPNOTSUPP,
                                       "--sandbox=%s is not available yet in this build of cocoon (only \"none\" is); "
                                       "refusing to fall back to a weaker sandbox",
                                       names[kind]);
        }
        return log_error_errno(-EINVAL, "unknown sandbox %d", kind);
}
