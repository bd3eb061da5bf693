/* SPDX-License-Identifier: MIT */
#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_send(int fd, enum sync_type type, int32_t value) {
        struct sync_msg m = {.type = type, .value = value};
        ssize_t n;
        do
                n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return n == sizeof m ? 0 : -EPIPE;
}

int sync_recv(int fd, struct sync_msg *m) {
        ssize_t n;
        do
                n = recv(fd, m, sizeof *m, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n != sizeof *m)
                return -EPIPE;
        m->msg[sizeof m->msg - 1] = 0;
        return 0;
}

int sync_expect(int fd, enum sync_type type, int32_t *value) {
        struct sync_msg m;
        for (;;) {
                int r = sync_recv(fd, &m);
                if (r < 0)
                        return r;
                if (m.type == SYNC_WARNING) {
                        log_warn("%s", m.msg);
                        continue;
                }
                break;
        }
        if (m.type == SYNC_ERROR)
                return log_error_raw(m.value, m.msg);
        if (m.type != (int32_t) type)
                return -EPROTO;
        if (value)
                *value = m.value;
        return 0;
}

static void send_text(int fd, enum sync_type type, int err, const char *msg) {
        struct sync_msg m = {.type = type, .value = err};
        strncpy(m.msg, msg, sizeof m.msg - 1);
        ssize_t n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
        (void) n;
}

void sync_send_error(int fd, int err, const char *msg) {
        send_text(fd, SYNC_ERROR, err, msg);
}

void sync_send_warning(int fd, const char *msg) {
        send_text(fd, SYNC_WARNING, 0, msg);
}
