/* SPDX-License-Identifier: MIT */
/*
 * Running one OCI hook: fork, state JSON on stdin, stdout+stderr captured,
 * wait with the hook's timeout.  Used both by the `cocoon` process (runtime
 * namespace hooks) and by the container's init (createContainer,
 * startContainer), so it relies on nothing but the process itself: the
 * state goes through a memfd (no pipe that could SIGPIPE us, no filesystem)
 * and the exit is watched through a pidfd.
 */
#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/process.h"
#include "log.h"
#include "util.h"

/* Enough of a failing hook's output to say why, short enough for one log line. */
#define HOOK_OUTPUT_MAX 400

struct hook_run {
        int status;       /* from waitpid */
        bool timed_out;
        int exec_errno;   /* execve in the child failed */
        char out[HOOK_OUTPUT_MAX + 1];
        size_t n_out;
};

bool hooks_need_create_step(const struct oci_spec *spec) {
        return spec->n_hooks[OCI_HOOK_PRESTART] || spec->n_hooks[OCI_HOOK_CREATE_RUNTIME] ||
               spec->n_hooks[OCI_HOOK_CREATE_CONTAINER] || spec->n_hooks[OCI_HOOK_START_CONTAINER];
}

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static _Noreturn void hook_child(const struct oci_hook *h, int state_fd, int out_fd, int err_fd) {
        char *default_argv[] = {h->path, NULL};
        char *empty_env[] = {NULL};
        /* die with the runtime that waits for us, not outlive it */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* own process group: a timeout kills what the hook started too */
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* Above 2 first, so that no source is overwritten by another's dup2. */
        int in = fcntl(state_fd, F_DUPFD_CLOEXEC, 3), out = fcntl(out_fd, F_DUPFD_CLOEXEC, 3);
        if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                goto fail;
        /* only stdio reaches the hook, as with runc (Go's exec.Cmd) */
        if (process_close_fds_from(3) < 0)
                goto fail;
        /* args[0] is argv[0]; no args means argv = {path}, no env an empty one (runc) */
        execve(h->path, h->args && h->args[0] ? h->args : default_argv, h->env ? h->env : empty_env);
fail:;
        int e = errno;
        ssize_t n = write(err_fd, &e, sizeof e);
        (void) n;
        _exit(127);
}

/* Read what is there, keeping the start of the output; false at EOF (or nothing more for now). */
static bool read_output(int fd, struct hook_run *res) {
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
                return false;
        size_t k = (size_t) n;
        if (k > HOOK_OUTPUT_MAX - res->n_out)
                k = HOOK_OUTPUT_MAX - res->n_out;
        memcpy(res->out + res->n_out, buf, k);
        res->n_out += k;
        return true;
}

/* Fork the hook and wait for it (or its timeout); returns -errno only when the hook could not be run at all. */
static int run_one(const struct oci_hook *h, const char *state, struct hook_run *res) {
        _cleanup_close_ int state_fd = memfd_create("oci-state", MFD_CLOEXEC);
        if (state_fd < 0)
                return -errno;
        size_t len = strlen(state);
        if (write_full(state_fd, state, len) < 0 || lseek(state_fd, 0, SEEK_SET) < 0)
                return -errno;
        int p[2], e[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        _cleanup_close_ int out_r = p[0], out_w = p[1];
        if (pipe2(e, O_CLOEXEC) < 0)
                return -errno;
        _cleanup_close_ int err_r = e[0], err_w = e[1];

        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                hook_child(h, state_fd, out_w, err_w);
        setpgid(pid, pid); /* also here: the timeout may come before the child's own call */
        closep(&out_w);
        closep(&err_w);
        _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                /* without it the timeout could not be kept */
                int r = -errno;
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                return r;
        }

        int64_t deadline = h->timeout > 0 ? now_ms() + (int64_t) h->timeout * 1000 : -1;
        bool out_open = true;
        for (;;) {
                int ms = -1;
                if (deadline >= 0) {
                        int64_t left = deadline - now_ms();
                        ms = left > 0 ? (int) left : 0;
                }
                struct pollfd pf[2] = {
                        {.fd = pidfd, .events = POLLIN},
                        {.fd = out_open ? out_r : -1, .events = POLLIN},
                };
                int n = poll(pf, 2, ms);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n == 0) {
                        res->timed_out = true;
                        kill(-pid, SIGKILL);
                        kill(pid, SIGKILL);
                        break;
                }
                if (n < 0 || (pf[0].revents & POLLIN))
                        break;
                if ((pf[1].revents & (POLLIN | POLLHUP | POLLERR)) && !read_output(out_r, res))
                        out_open = false;
        }
        while (waitpid(pid, &res->status, 0) < 0 && errno == EINTR)
                ;
        /* What the hook wrote just before exiting; something it left running
         * may hold the pipe open, so do not wait for EOF. */
        fcntl(out_r, F_SETFL, O_NONBLOCK);
        while (read_output(out_r, res))
                ;
        res->out[res->n_out] = 0;
        int ee;
        if (read(err_r, &ee, sizeof ee) == (ssize_t) sizeof ee)
                res->exec_errno = ee;
        return 0;
}

/* The output as one line: control characters become spaces, trailing space goes. */
static void flatten(char *s) {
        for (char *c = s; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        *c = ' ';
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == ' ')
                s[--n] = 0;
}

/* 0, or the message describing the failure in `msg`. */
static int describe(const struct oci_hook *h, enum oci_hook_kind kind, size_t i, struct hook_run *res, char *msg,
                    size_t len) {
        char what[64];
        if (res->timed_out)
                snprintf(what, sizeof what, "timed out after %d s", h->timeout);
        else if (res->exec_errno)
                snprintf(what, sizeof what, "failed: exec: %s", strerror(res->exec_errno));
        else if (WIFEXITED(res->status) && WEXITSTATUS(res->status) == 0)
                what[0] = 0;
        else if (WIFEXITED(res->status))
                snprintf(what, sizeof what, "failed: exit status %d", WEXITSTATUS(res->status));
        else if (WIFSIGNALED(res->status))
                snprintf(what, sizeof what, "failed: killed by signal %d (%s)", WTERMSIG(res->status),
                         strsignal(WTERMSIG(res->status)));
        else
                snprintf(what, sizeof what, "failed: wait status 0x%x", (unsigned) res->status);
        flatten(res->out);
        if (!what[0]) {
                if (*res->out)
                        log_info("hook %s[%zu] (%s) output: %s", oci_hook_kind_name(kind), i, h->path, res->out);
                return 0;
        }
        snprintf(msg, len, "hook %s[%zu] (%s) %s%s%s", oci_hook_kind_name(kind), i, h->path, what,
                 *res->out ? "; output: " : "", res->out);
        return -ECANCELED;
}

static int run_and_describe(const struct oci_spec *spec, enum oci_hook_kind kind, size_t i, const char *state,
                            char *msg, size_t len) {
        const struct oci_hook *h = &spec->hooks[kind][i];
        struct hook_run res = {0};
        log_debug("run hook %s[%zu] (%s)", oci_hook_kind_name(kind), i, h->path);
        int r = run_one(h, state, &res);
        if (r < 0) {
                snprintf(msg, len, "hook %s[%zu] (%s): cannot run it: %s", oci_hook_kind_name(kind), i, h->path,
                         strerror(-r));
                return r;
        }
        return describe(h, kind, i, &res, msg, len);
}

int hooks_run(const struct oci_spec *spec, enum oci_hook_kind kind, const char *state) {
        for (size_t i = 0; i < spec->n_hooks[kind]; i++) {
                char msg[LOG_FORWARD_MAX - 16];
                int r = run_and_describe(spec, kind, i, state, msg, sizeof msg);
                if (r < 0)
                        return log_fail(r, "%s", msg);
        }
        return 0;
}

void hooks_run_warn(const struct oci_spec *spec, enum oci_hook_kind kind, const char *state) {
        for (size_t i = 0; i < spec->n_hooks[kind]; i++) {
                char msg[LOG_FORWARD_MAX - 16];
                if (run_and_describe(spec, kind, i, state, msg, sizeof msg) < 0)
                        log_warn("%s", msg);
        }
}

char *hooks_state_json(const struct cocoon_state *s, const char *status) {
        /* Under the sentry sandbox the state's pid is the supervisor; hooks
         * get the workload's init at every point of the lifecycle, as the
         * ones of create do: its namespaces are what they set up (a CNI
         * plugin opens /proc/<pid>/ns/net). */
        struct cocoon_state hs = *s;
        if (hs.workload_pid > 0)
                hs.pid = hs.workload_pid;
        json_t *o = state_to_oci(&hs, status);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        return text;
}

char *hooks_state_with_status(const char *state, const char *status) {
        json_t *o = json_loads(state, 0, NULL);
        if (!json_is_object(o) || json_object_set_new(o, "status", json_string(status)) < 0) {
                json_decref(o);
                return NULL;
        }
        char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return text;
}
