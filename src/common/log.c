/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sync.h"

static struct log_config default_config = {.fd = -1, .forward_fd = -1};
static struct log_config *config = &default_config;

void log_setup(struct log_config *cfg) {
        config = cfg ? cfg : &default_config;
}

void log_forward_to(int fd) {
        config->forward_fd = fd;
}

static void json_escape(char *out, size_t outlen, const char *in) {
        size_t o = 0;
        for (; *in && o + 7 < outlen; in++) {
                unsigned char c = (unsigned char) *in;
                if (c == '"' || c == '\\') {
                        out[o++] = '\\';
                        out[o++] = (char) c;
                } else if (c < 0x20) {
                        o += (size_t) snprintf(out + o, outlen - o, "\\u%04x", c);
                } else
                        out[o++] = (char) c;
        }
        out[o] = 0;
}

static void timestamp(char *buf, size_t len) {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

/* One line to the --log file in the configured format. */
static void emit_file(const char *level, const char *msg) {
        if (config->fd < 0)
                return;
        char ts[64], line[LOG_FORWARD_MAX * 2 + 256];
        timestamp(ts, sizeof ts);
        if (config->format == LOG_FORMAT_JSON) {
                char esc[LOG_FORWARD_MAX * 2];
                json_escape(esc, sizeof esc, msg);
                snprintf(line, sizeof line, "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n", level, esc,
                         ts);
        } else
                snprintf(line, sizeof line, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level, msg);
        /* The log is append-only and shared by concurrent commands: one write per line. */
        ssize_t r = write(config->fd, line, strlen(line));
        (void) r;
}

static void emit(const char *level, const char *msg, bool to_stderr) {
        emit_file(level, msg);
        if (to_stderr && !(config->fd == STDERR_FILENO)) {
                char line[LOG_FORWARD_MAX + 32];
                snprintf(line, sizeof line, "cocoon: %s\n", msg);
                ssize_t r = write(STDERR_FILENO, line, strlen(line));
                (void) r;
        }
}

int log_error_raw(int err, const char *msg) {
        if (err > 0)
                err = -err;
        if (err == 0)
                err = -EIO;
        if (config->forward_fd >= 0) {
                /* Child side: the parent prints it. */
                sync_send_error(config->forward_fd, err, msg);
                return err;
        }
        emit("error", msg, true);
        return err;
}

int log_error_errno(int err, const char *fmt, ...) {
        char msg[LOG_FORWARD_MAX];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (err != 0 && n >= 0 && (size_t) n < sizeof msg - 4)
                snprintf(msg + n, sizeof msg - (size_t) n, ": %s", strerror(abs(err)));
        return log_error_raw(err, msg);
}

int log_fail(int err, const char *fmt, ...) {
        char msg[LOG_FORWARD_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return log_error_raw(err, msg);
}

void log_warn(const char *fmt, ...) {
        char msg[LOG_FORWARD_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (config->forward_fd >= 0) {
                sync_send_warning(config->forward_fd, msg);
                return;
        }
        char w[LOG_FORWARD_MAX + 16];
        snprintf(w, sizeof w, "warning: %s", msg);
        emit("warning", w, true);
}

void log_info(const char *fmt, ...) {
        char msg[LOG_FORWARD_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        emit_file("info", msg);
}

void log_debug(const char *fmt, ...) {
        if (!config->debug)
                return;
        char msg[LOG_FORWARD_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        emit_file("debug", msg);
        if (config->fd < 0) {
                char line[LOG_FORWARD_MAX + 32];
                snprintf(line, sizeof line, "cocoon: debug: %s\n", msg);
                ssize_t r = write(STDERR_FILENO, line, strlen(line));
                (void) r;
        }
}
