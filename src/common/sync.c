/* SPDX-License-Identifier: MIT */
#include "sync.h"

#include <errno.h>
#include <stdlib.h>
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

/* Bounds what a confused or hostile peer can make us allocate. */
#define SYNC_DATA_MAX (1 << 20)

int sync_send_data(int fd, enum sync_type type, const char *data, size_t len) {
        if (len > SYNC_DATA_MAX)
                return -E2BIG;
        int r = sync_send(fd, type, (int32_t) len);
        if (r < 0)
                return r;
        ssize_t n;
        do
                n = send(fd, data, len, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EPIPE;
}

int sync_recv_data(int fd, int32_t len, char **ret) {
        if (len < 0 || len > SYNC_DATA_MAX)
                return -EPROTO;
        char *buf = malloc((size_t) len + 1);
        if (!buf)
                return -ENOMEM;
        ssize_t n;
        do
                n = recv(fd, buf, (size_t) len + 1, 0);
        while (n < 0 && errno == EINTR);
        if (n != len) {
                int r = n < 0 ? -errno : -EPIPE;
                free(buf);
                return r;
        }
        buf[len] = 0;
        *ret = buf;
        return 0;
}
