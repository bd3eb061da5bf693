/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sync.h"
#include "util.h"

static struct log_config default_config = {.fd = -1, .forward_fd = -1};
static struct log_config *config = &default_config;
static atomic_bool demoted;

void log_demote_errors(void) {
        atomic_store(&demoted, true);
}

void log_setup(struct log_config *cfg) {
        config = cfg ? cfg : &default_config;
}

void log_forward_to(int fd) {
        config->forward_fd = fd;
}

int log_get_fd(void) {
        return config->fd;
}

void log_set_fd(int fd) {
        config->fd = fd;
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

/* One line to the --log file in the configured format. */
static void emit_file(const char *level, const char *msg) {
        if (config->fd < 0)
                return;
        char ts[64], line[LOG_FORWARD_MAX * 2 + 256];
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        format_rfc3339(ts, sizeof ts, &now);
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

/* The --log line, and unless stderr_prefix is NULL a "cocoon: <prefix><msg>" line on stderr. */
static void emit(const char *level, const char *msg, const char *stderr_prefix) {
        emit_file(level, msg);
        if (stderr_prefix && !(config->fd == STDERR_FILENO)) {
                char line[LOG_FORWARD_MAX + 32];
                snprintf(line, sizeof line, "cocoon: %s%s\n", stderr_prefix, msg);
                ssize_t r = write(STDERR_FILENO, line, strlen(line));
                (void) r;
        }
}

int log_error_raw(int err, const char *msg) {
        if (err > 0)
                err = -err;
        if (err == 0)
                err = -EIO;
        if (atomic_load(&demoted)) {
                if (config->debug)
                        emit("debug", msg, config->fd < 0 ? "debug: " : NULL);
                return err;
        }
        if (config->forward_fd >= 0) {
                /* Child side: the parent prints it. */
                sync_send_error(config->forward_fd, err, msg);
                return err;
        }
        emit("error", msg, "");
        return err;
}

static int vlog_error(int err, bool with_strerror, const char *fmt, va_list ap) {
        char msg[LOG_FORWARD_MAX];
        int n = vsnprintf(msg, sizeof msg, fmt, ap);
        if (with_strerror && err != 0 && n >= 0 && (size_t) n < sizeof msg - 4)
                snprintf(msg + n, sizeof msg - (size_t) n, ": %s", strerror(abs(err)));
        return log_error_raw(err, msg);
}

int log_error_errno(int err, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = vlog_error(err, true, fmt, ap);
        va_end(ap);
        return r;
}

int log_fail(int err, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = vlog_error(err, false, fmt, ap);
        va_end(ap);
        return r;
}

void log_warn(const char *fmt, ...) {
        char msg[LOG_FORWARD_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (atomic_load(&demoted)) {
                log_debug("%s", msg);
                return;
        }
        if (config->forward_fd >= 0) {
                sync_send_warning(config->forward_fd, msg);
                return;
        }
        char w[LOG_FORWARD_MAX + 16];
        snprintf(w, sizeof w, "warning: %s", msg);
        /* With --log, the log only: engines (containerd's shim, Docker) pass
         * one and give us the container's stderr as ours, where a warning
         * would read as the workload's output.  Errors go to both. */
        emit("warning", w, config->fd >= 0 ? NULL : "");
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
        emit("debug", msg, config->fd < 0 ? "debug: " : NULL);
}
