/* SPDX-License-Identifier: MIT */
#include "cli/create_opts.h"

const struct cli_opt cli_create_options[] = {
        CREATE_OPTIONS,
        {0},
};
