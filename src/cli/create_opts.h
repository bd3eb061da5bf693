/* SPDX-License-Identifier: MIT */
/* Options shared by `create` and `run` (run adds its own after these). */
#pragma once

#include "cli/cli.h"

enum {
        CREATE_OPT_BUNDLE,
        CREATE_OPT_CONSOLE_SOCKET,
        CREATE_OPT_PID_FILE,
        CREATE_OPT_NO_PIVOT,
        CREATE_OPT_NO_NEW_KEYRING,
        CREATE_OPT_PRESERVE_FDS,
        CREATE_OPT_MAX,
};

#define CREATE_OPTIONS                                                                                          \
        {"bundle", 'b', true, "dir", "path to the bundle directory (default: current directory)"},             \
        {"console-socket", 0, true, "path", "AF_UNIX socket that receives the pty master (terminal: true)"},   \
        {"pid-file", 0, true, "file", "write the container's process id to this file"},                        \
        {"no-pivot", 0, false, NULL, "use MS_MOVE + chroot instead of pivot_root (rootfs on a ramdisk)"},     \
        {"no-new-keyring", 0, false, NULL, "do not create a new session keyring for the container"},           \
        {"preserve-fds", 0, true, "N", "pass N additional fds (after stdio and $LISTEN_FDS) to the container"}

extern const struct cli_opt cli_create_options[];
int cli_create_opt(int idx, const char *arg, void *ud);
