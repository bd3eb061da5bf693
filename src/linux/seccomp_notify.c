/* SPDX-License-Identifier: MIT */
/*
 * Handing a seccomp listener fd to the agent at linux.seccomp.listenerPath,
 * as runc does: one connection, one message whose payload is the OCI
 * "container process state" JSON and whose SCM_RIGHTS carries the fd named
 * "seccompFd" in its fds list (runtime-spec config-linux.md, "seccomp").
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/seccomp.h"
#include "log.h"
#include "util.h"
#include "oci/spec.h"
#include "sync.h"

static int connect_listener(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof sa.sun_path)
                return log_fail(-ENAMETOOLONG, "config.json: linux.seccomp.listenerPath: %s is too long for a socket",
                                path);
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(-errno, "socket");
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return log_error_errno(-errno, "connect to the seccomp agent at linux.seccomp.listenerPath %s", path);
        return TAKE_FD(fd);
}

/* The whole payload, the fd riding on its first byte (a stream socket may
 * take a long state in several writes). */
static int send_state(int sock, const char *text, int fd, const char *path) {
        size_t len = strlen(text), done = 0;
        while (done < len) {
                ssize_t n = send_with_fd(sock, text + done, len - done, done == 0 ? fd : -1);
                if (n <= 0)
                        return log_error_errno(n < 0 ? (int) n : -EPIPE, "send the seccomp listener fd to %s", path);
                done += (size_t) n;
        }
        return 0;
}

int seccomp_forward_listener(const json_t *profile, int sync_fd, pid_t pid, json_t *state) {
        if (!profile || !seccomp_uses_notify(profile))
                return 0;
        _cleanup_close_ int fd = -1;
        int r = sync_expect_fd(sync_fd, SYNC_SECCOMP_FD, &fd);
        if (r == -EPROTO)
                return log_error_errno(r, "expected the seccomp listener fd from the container process");
        if (r < 0)
                return r;
        const char *path = json_string_value(json_object_get(profile, "listenerPath"));
        const char *meta = json_string_value(json_object_get(profile, "listenerMetadata"));
        _cleanup_(json_decrefp) json_t *msg = json_pack("{s:s, s:[s], s:i, s:O}", "ociVersion", OCI_VERSION, "fds",
                                                        "seccompFd", "pid", (json_int_t) pid, "state", state);
        if (!msg)
                return log_error_errno(-ENOMEM, "seccomp listener message");
        /* runc omits an empty metadata */
        if (meta && *meta)
                json_object_set_new(msg, "metadata", json_string(meta));
        _cleanup_free_ char *text = json_dumps(msg, JSON_COMPACT);
        if (!text)
                return log_error_errno(-ENOMEM, "seccomp listener message");
        _cleanup_close_ int sock = connect_listener(path);
        if (sock < 0)
                return sock;
        r = send_state(sock, text, fd, path);
        if (r < 0)
                return r;
        log_debug("sent the seccomp listener fd of pid %d to %s", pid, path);
        return 0;
}
