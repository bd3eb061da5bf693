/* SPDX-License-Identifier: MIT */
/*
 * The agent's protocol loop (docs/agent-protocol.md).  The container inside
 * the guest is made by the same library code as the `none` sandbox on a
 * host (container_create / container_start / container_kill with the
 * guest's own --root): namespaces, mounts, cgroups, user, capabilities,
 * rlimits, seccomp are applied exactly as there, so the VM is a second wall
 * around a runc-equivalent container, not the only one.
 *
 * The workload's stdio are pipes held here: output becomes STDOUT/STDERR
 * frames, STDIN frames are queued for its stdin.  When the init exits, its
 * output is drained to EOF (bounded) before EXIT is sent, so the host never
 * reports a status ahead of the last byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "cleanup.h"
#include "linux/terminal.h"
#include "log.h"
#include "runtime/container.h"
#include "sync.h"
#include "util.h"
#include "vm/protocol.h"

#define STDIN_QUEUE_MAX (16u * 1024 * 1024)
#define DRAIN_MS 2000

struct agent {
        struct cocoon_ctx ctx;
        int port;
        char id[256];
        pid_t init;
        int status;  /* the init's wait status, once exited */
        bool exited;
        int out, err; /* read ends of the workload's stdout/stderr (or its pty master), -1 at EOF */
        int pty;      /* the pty master with process.terminal, else -1 */
        int in;       /* write end of its stdin, -1 once closed */
        bool in_close_pending;
        uint8_t *q; /* stdin bytes not yet written */
        size_t q_len;
        int capture[2]; /* the library's one error line, as a set-up child forwards it */
        int sigfd;
};

/* The last error line the library logged (log_forward_to our socketpair). */
static void take_error(struct agent *a, int r, char *msg, size_t len) {
        snprintf(msg, len, "%s", strerror(-r));
        struct sync_msg m;
        while (recv(a->capture[0], &m, sizeof m, MSG_DONTWAIT) == (ssize_t) sizeof m) {
                m.msg[sizeof m.msg - 1] = 0;
                if (m.type == SYNC_ERROR)
                        snprintf(msg, len, "%s", m.msg);
                else
                        fprintf(stderr, "cocoon-agent: %s\n", m.msg);
        }
}

static int reply(struct agent *a, int r, enum vm_frame_type ok) {
        if (r >= 0)
                return vm_frame_send(a->port, ok, VM_STREAM_INIT, NULL, 0);
        char msg[LOG_FORWARD_MAX];
        take_error(a, r, msg, sizeof msg);
        return vm_send_error(a->port, VM_STREAM_INIT, r, msg);
}

/* The host shares each bind mount's source on a 9p device tagged m<i>
 * and names it /run/share/m<i>[/file] in the config (src/vm/launch.c). */
static int mount_shares(json_t *mounts) {
        size_t i;
        json_t *m;
        json_array_foreach(mounts, i, m) {
                const char *src = json_string_value(json_object_get(m, "source"));
                const char *prefix = "/run/share/";
                if (!src || strncmp(src, prefix, strlen(prefix)))
                        continue;
                char tag[32], dir[64];
                size_t n = strcspn(src + strlen(prefix), "/");
                if (n == 0 || n >= sizeof tag)
                        return log_fail(-EINVAL, "config.json from the host: mounts[%zu].source %s", i, src);
                memcpy(tag, src + strlen(prefix), n);
                tag[n] = 0;
                snprintf(dir, sizeof dir, "%s%s", prefix, tag);
                if (access(dir, F_OK) == 0)
                        continue; /* mounted for an earlier entry */
                int r = mkdir_p(dir, 0755);
                if (r < 0)
                        return log_error_errno(r, "mkdir %s", dir);
                if (mount(tag, dir, "9p", 0, "trans=virtio,version=9p2000.L,msize=262144,cache=mmap,access=client") < 0)
                        return log_error_errno(-errno, "mount the host's share %s on %s", tag, dir);
        }
        return 0;
}

/* config.json as the host saved it, with the root at the shared rootfs. */
static int write_bundle(const char *config, size_t len) {
        json_error_t jerr;
        json_t *doc = json_loadb(config, len, 0, &jerr);
        if (!doc || !json_is_object(doc)) {
                json_decref(doc);
                return log_fail(-EINVAL, "config.json from the host: %s", jerr.text);
        }
        json_t *root = json_object_get(doc, "root");
        if (!json_is_object(root)) {
                root = json_object();
                json_object_set_new(doc, "root", root);
        }
        json_object_set_new(root, "path", json_string(AGENT_ROOTFS));
        int r = mount_shares(json_object_get(doc, "mounts"));
        if (r < 0) {
                json_decref(doc);
                return r;
        }
        _cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (!text)
                return -ENOMEM;
        r = mkdir_p(AGENT_BUNDLE, 0700);
        if (r == 0)
                r = write_file_at(AT_FDCWD, AGENT_BUNDLE "/config.json", text, strlen(text),
                                  O_CREAT | O_TRUNC | O_WRONLY);
        return r < 0 ? log_error_errno(r, "write %s/config.json", AGENT_BUNDLE) : 0;
}

/* The init inherits fds 0-2 from whoever calls container_create: ours,
 * pointed at fresh pipes for the call. */
static int create_container(struct agent *a, const struct vm_frame *f) {
        if (a->init > 0)
                return log_fail(-EEXIST, "the guest already holds container \"%s\"", a->id);
        const char *id = (const char *) f->payload + 4;
        size_t idlen = strlen(id);
        if (idlen >= sizeof a->id)
                return log_fail(-EINVAL, "container id too long");
        memcpy(a->id, id, idlen + 1);
        const char *config = id + idlen + 1;
        int r = write_bundle(config, f->len - 4 - idlen - 1);
        if (r < 0)
                return r;
        int in[2], out[2], err[2];
        if (pipe2(in, O_CLOEXEC) < 0)
                return log_error_errno(-errno, "pipe");
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
                return log_error_errno(-errno, "pipe");
        int saved[3];
        for (int i = 0; i < 3; i++)
                saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        /* process.terminal: the init reports its pty master on this socketpair,
         * as it would on a --console-socket (buffered: read once create returns) */
        int cs[2] = {-1, -1};
        bool tty = vm_get_u32(f->payload) & VM_CREATE_TERMINAL;
        if (tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cs) < 0)
                return log_error_errno(-errno, "socketpair");
        struct create_opts o = {.bundle = AGENT_BUNDLE, .console_fd = cs[1]};
        pid_t pid = 0;
        r = container_create(&a->ctx, a->id, &o, &pid);
        if (cs[1] >= 0)
                close(cs[1]);
        int master = -1;
        if (r == 0 && tty && (r = fd_recv(cs[0], &master)) < 0)
                r = log_error_errno(r, "receive the pty of container \"%s\"", a->id);
        if (cs[0] >= 0)
                close(cs[0]);
        for (int i = 0; i < 3; i++) {
                dup2(saved[i], i);
                close(saved[i]);
        }
        close(in[0]);
        close(out[1]);
        close(err[1]);
        if (r < 0) {
                close(in[1]);
                close(out[0]);
                close(err[0]);
                return r;
        }
        a->init = pid;
        a->in = in[1];
        a->out = out[0];
        a->err = err[0];
        if (master >= 0) {
                /* the init's stdio is the pty's slave: its pipes are never written */
                close(a->in);
                close(a->out);
                close(a->err);
                a->err = -1;
                a->pty = master; /* for RESIZE; the copies below close at EOF */
                a->out = fcntl(master, F_DUPFD_CLOEXEC, 3);
                a->in = fcntl(master, F_DUPFD_CLOEXEC, 3);
        }
        fcntl(a->in, F_SETFL, O_NONBLOCK);
        fcntl(a->out, F_SETFL, O_NONBLOCK);
        fcntl(a->err, F_SETFL, O_NONBLOCK);
        return 0;
}

static void close_stdin(struct agent *a) {
        if (a->in >= 0)
                close(a->in);
        a->in = -1;
        a->in_close_pending = false;
        free(a->q);
        a->q = NULL;
        a->q_len = 0;
}

static int queue_stdin(struct agent *a, const uint8_t *p, size_t n) {
        if (a->in < 0)
                return 0; /* the workload closed it, or was never there: the bytes go nowhere, as into a closed pipe */
        if (a->q_len + n > STDIN_QUEUE_MAX)
                return log_fail(-ENOBUFS, "stdin of container \"%s\": more than %u bytes not yet read", a->id,
                                STDIN_QUEUE_MAX);
        uint8_t *q = realloc(a->q, a->q_len + n);
        if (!q)
                return -ENOMEM;
        memcpy(q + a->q_len, p, n);
        a->q = q;
        a->q_len += n;
        return 0;
}

static void flush_stdin(struct agent *a) {
        while (a->in >= 0 && a->q_len) {
                ssize_t k = write(a->in, a->q, a->q_len);
                if (k < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return;
                        close_stdin(a); /* EPIPE: nobody reads it any more */
                        return;
                }
                memmove(a->q, a->q + k, a->q_len - (size_t) k);
                a->q_len -= (size_t) k;
        }
        if (a->in >= 0 && a->in_close_pending && !a->q_len)
                close_stdin(a);
}

/* One read of a workload pipe into one frame; -1 at EOF. */
static int pump(struct agent *a, int *fd, enum vm_frame_type type) {
        static uint8_t buf[VM_FRAME_MAX_PAYLOAD];
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : (close(*fd), *fd = -1, 0);
        if (n == 0) {
                close(*fd);
                *fd = -1;
                return 0;
        }
        return vm_frame_send(a->port, type, VM_STREAM_INIT, buf, (size_t) n);
}

static int handle(struct agent *a, const struct vm_frame *f) {
        int r;
        switch (f->type) {
        case VM_CREATE:
                r = create_container(a, f);
                return reply(a, r, VM_CREATED);
        case VM_START:
                r = a->init > 0 ? container_start(&a->ctx, a->id) : log_fail(-ENOENT, "no container to start");
                return reply(a, r, VM_STARTED);
        case VM_SIGNAL: {
                uint32_t sig = vm_get_u32(f->payload), flags = vm_get_u32(f->payload + 4);
                if (a->init <= 0 || a->exited)
                        r = log_fail(-ESRCH, "container \"%s\" is not running", a->id);
                else if (sig == 0 || sig >= 65)
                        r = log_fail(-EINVAL, "invalid signal %u", sig);
                else
                        r = container_kill(&a->ctx, a->id, (int) sig, flags & VM_SIGNAL_ALL);
                return reply(a, r, VM_OK);
        }
        case VM_STDIN:
                r = queue_stdin(a, f->payload, f->len);
                flush_stdin(a);
                return r < 0 ? reply(a, r, VM_OK) : 0;
        case VM_STDIN_CLOSE:
                a->in_close_pending = true;
                flush_stdin(a);
                return 0;
        case VM_RESIZE: {
                struct winsize ws = {.ws_row = (unsigned short) vm_get_u32(f->payload),
                                     .ws_col = (unsigned short) vm_get_u32(f->payload + 4)};
                if (a->pty >= 0)
                        ioctl(a->pty, TIOCSWINSZ, &ws);
                return 0;
        }
        case VM_SHUTDOWN:
                sync();
                reboot(RB_POWER_OFF);
                return -errno;
        default:
                return vm_send_error(a->port, f->stream, -EPROTO, "unexpected frame");
        }
}

static void reap(struct agent *a) {
        int status;
        pid_t pid;
        /* PID 1 of the guest: every orphan ends up here */
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                if (pid == a->init && !a->exited) {
                        a->exited = true;
                        a->status = status;
                }
}

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int agent_serve(int port) {
        static struct agent a;
        a = (struct agent){
                .ctx = {.root = AGENT_STATE_ROOT, .log = {.fd = -1, .forward_fd = -1}, .sandbox = SANDBOX_NONE},
                .port = port,
                .out = -1,
                .err = -1,
                .in = -1,
                .pty = -1,
        };
        log_setup(&a.ctx.log);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, a.capture) < 0)
                return log_error_errno(-errno, "socketpair");
        log_forward_to(a.capture[1]);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        a.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

        _cleanup_free_ char *release = NULL;
        size_t rl = 0;
        read_file_at(AT_FDCWD, "/proc/sys/kernel/osrelease", &release, &rl);
        uint8_t hello[4 + 128] = {0};
        vm_put_u32(hello, VM_PROTO_VERSION);
        size_t hl = release ? strcspn(release, "\n") : 0;
        if (hl > 128)
                hl = 128;
        if (hl)
                memcpy(hello + 4, release, hl);
        int r = vm_frame_send(port, VM_HELLO, 0, hello, 4 + hl);
        if (r < 0)
                return log_error_errno(r, "send HELLO to the host");

        static struct vm_reader rd;
        long long drain_deadline = 0;
        for (;;) {
                if (a.exited && !drain_deadline)
                        drain_deadline = now_ms() + DRAIN_MS;
                if (a.exited && ((a.out < 0 && a.err < 0) || now_ms() >= drain_deadline)) {
                        uint8_t st[4];
                        vm_put_u32(st, (uint32_t) a.status);
                        r = vm_frame_send(port, VM_EXIT, VM_STREAM_INIT, st, 4);
                        if (r < 0)
                                return log_error_errno(r, "send EXIT to the host");
                        a.exited = false;
                        a.init = -1; /* reported: only SHUTDOWN (or the host's kill) follows */
                        drain_deadline = 0;
                }
                struct pollfd pf[5] = {
                        {.fd = port, .events = POLLIN},
                        {.fd = a.sigfd, .events = POLLIN},
                        {.fd = a.out, .events = POLLIN},
                        {.fd = a.err, .events = POLLIN},
                        {.fd = a.q_len ? a.in : -1, .events = POLLOUT},
                };
                int timeout = drain_deadline ? (int) (drain_deadline - now_ms()) : -1;
                if (poll(pf, 5, timeout < 0 && drain_deadline ? 0 : timeout) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(-errno, "poll");
                }
                /* output before the exit status, and before new requests */
                if (pf[2].revents && (r = pump(&a, &a.out, VM_STDOUT)) < 0)
                        return r;
                if (pf[3].revents && (r = pump(&a, &a.err, VM_STDERR)) < 0)
                        return r;
                if (pf[4].revents)
                        flush_stdin(&a);
                if (pf[1].revents) {
                        struct signalfd_siginfo si;
                        while (read(a.sigfd, &si, sizeof si) == (ssize_t) sizeof si)
                                ;
                        reap(&a);
                }
                while (pf[0].revents || vm_reader_buffered(&rd)) {
                        pf[0].revents = 0;
                        struct vm_frame f;
                        r = vm_reader_next(&rd, port, &f);
                        if (r == 0)
                                return 0;
                        if (r == -EBADMSG) {
                                /* the stream cannot be resynchronised: say so, then stop serving */
                                vm_send_error(port, 0, -EBADMSG, "malformed frame from the host");
                                return log_fail(-EBADMSG, "malformed frame from the host");
                        }
                        if (r < 0)
                                return log_error_errno(r, "read from the host");
                        r = handle(&a, &f);
                        if (r < 0)
                                return log_error_errno(r, "reply to the host");
                        char ignored[LOG_FORWARD_MAX];
                        take_error(&a, 0, ignored, sizeof ignored); /* warnings go to the console */
                }
        }
}
