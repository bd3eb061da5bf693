/* SPDX-License-Identifier: MIT */
/*
 * Logging in runc's formats.  The convention across the library: the
 * function that detects a failure logs it once, with context, and returns a
 * negative errno; callers propagate the value without logging again, so a
 * failed command prints exactly one error line.
 *
 * Inside the container set-up children the error is not printed: it is
 * forwarded to the parent over the sync socket (log_forward_to()), so that
 * the one line comes from the `cocoon` process the user ran, in the format
 * and log file the user asked for.
 */
#pragma once

#include <stdbool.h>

enum log_format {
        LOG_FORMAT_TEXT,
        LOG_FORMAT_JSON,
};

struct log_config {
        int fd;                  /* --log file, or -1: stderr only */
        enum log_format format;  /* format of lines written to fd */
        bool debug;              /* --debug */
        int forward_fd;          /* >= 0: send errors to the parent instead */
};

/* The config lives in the top-level context; log.c keeps a pointer to it. */
void log_setup(struct log_config *cfg);
void log_forward_to(int fd);
/* The --log fd (-1: none); a process that outlives the command (the
 * Sentry's supervisor, the Gofer) may point it at its stderr. */
int log_get_fd(void);
void log_set_fd(int fd);

/* From now on this process's errors and warnings are debug lines (shown
 * with --debug only): its outcome is decided (the Sentry's supervisor once
 * its workload has exited), and what its other threads still meet while
 * they are torn down is no error of the container. */
void log_demote_errors(void);

int log_error_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, without ": strerror" — for messages that already say everything. */
int log_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(err, ...) log_error_errno((err), __VA_ARGS__)
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log a message that arrived from a child (already formatted). */
int log_error_raw(int err, const char *msg);

/* Message carried over a sync socket by log_forward_to(). */
#define LOG_FORWARD_MAX 1024
