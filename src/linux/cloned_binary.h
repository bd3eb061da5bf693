/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Re-execute ourselves from a sealed memfd copy of our own binary, unless we
 * already run from one.  Returns only on error (or when already sealed).
 *
 * Why (CVE-2019-5736): the processes cocoon starts inside a container are
 * forks of cocoon, so until they execve the user's program their
 * /proc/PID/exe is cocoon's binary on the host; a container whose program
 * is "#!/proc/self/exe" would keep running cocoon's binary inside the
 * container, and its root could open /proc/PID/exe for writing and replace
 * the host's cocoon.  A sealed memfd cannot be written, and it is not the
 * host file.  runc and crun do the same.
 */
int cloned_binary_reexec(char **argv);
