/* SPDX-License-Identifier: MIT */
/*
 * The monitor M of a vm sandbox: the container's pid (pid file,
 * state.json), a child of `cocoon create` as the init of the `none` sandbox
 * is, so the engine's subreaper inherits it.
 *
 *   1. starts QEMU (its child, in the container's cgroup, parent-death
 *      signal), waits for the agent's HELLO and sends it the config, and
 *      reports READY to create once the agent has created the container
 *      inside the guest (its process waits for `start`);
 *   2. relays: the caller's stdin to the agent, the workload's output to the
 *      stdout/stderr create was given, `start` (a connection on exec.sock)
 *      and signals sent to M to the agent; `cocoon exec` (a connection on
 *      vmexec.sock) gets a stream of its own, relayed the same way between
 *      the fds it passed and the agent;
 *   3. exits as the workload exited (its code, or the same signal) once the
 *      agent reported it, after every byte of output (the agent sends EXIT
 *      last), and kills QEMU on its way out.
 *
 * When QEMU or the agent dies first, M writes one line to --log and dies of
 * SIGKILL (137), so the container is `stopped` and `delete` is clean.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/terminal.h"
#include "log.h"
#include "runtime/sandbox.h"
#include "sandbox/sentry_sandbox.h"
#include "sync.h"
#include "util.h"
#include "vm/protocol.h"
#include "vm/vm.h"

/*
 * How long a boot may take: 180 s (TCG on a loaded 2-core host boots the
 * guest in 10 to 25 s), not counting the time the host's CPUs were too busy
 * to run everything that wanted to run (the kernel's CPU pressure,
 * /proc/pressure/cpu "some" total).  With 50 guests booting at once on 2
 * CPUs each gets a 25th of a CPU, and a boot that is making progress takes
 * minutes of wall time, nearly all of it stalled.  A guest that hangs asleep
 * (or spins alone) stalls nothing and fails after 180 s as before;
 * BOOT_BACKSTOP_MS bounds the rest.  Without PSI (CONFIG_PSI off, psi=0):
 * wall time.
 */
#define BOOT_TIMEOUT_MS (180 * 1000)
#define BOOT_BACKSTOP_MS (20 * 60 * 1000)
/* exec'd processes alive at once (the agent holds 63 besides the init) */
#define MAX_EXECS 63
/* queries (stats, ps, update, pause, resume) waiting for the agent at once */
#define MAX_QUERIES 8

/* An exec'd process: its stream on the agent's port, the `cocoon exec`
 * that asked for it (its stand-in) and the stdio it passed. */
struct exec_stream {
        uint32_t stream; /* 0: a free slot */
        int conn;        /* the stand-in, -1 once it went away */
        int in, out, err;
        bool tty;
        bool started; /* the agent said STARTED: stdin flows */
        /* ADD: a container of the pod (docs/vm.md, "Pods"), its host stand-in on conn */
        bool container;
        bool created;       /* the agent said CREATED: there is a container to kill */
        bool start_pending; /* START relayed, its STARTED or ERROR goes to conn */
};

/* A query of a cocoon command, relayed to the agent on a stream of its own. */
struct query {
        uint32_t stream; /* 0: a free slot */
        int conn;
};

struct monitor {
        const struct sandbox_create *sc;
        struct vm_plan plan; /* ours: KVM is dropped when QEMU cannot use it */
        int report_fd;
        char qemu_status[128]; /* how QEMU ended, once it did */
        int dirfd;  /* the state directory (not the locked fd: flock is shared by its holders) */
        int agent;  /* our end of the virtio-serial port */
        pid_t qemu;
        int sigfd;
        int start_conn; /* `cocoon start` waiting for STARTED, or -1 */
        int tty;        /* process.terminal: the slave of the pty whose master went to --console-socket */
        int exec_listen; /* vmexec.sock */
        uint32_t last_stream;
        struct exec_stream execs[MAX_EXECS];
        struct query queries[MAX_QUERIES];
        struct vm_reader rd;
        struct vm_net net; /* the container's interfaces, wired to QEMU's taps */
};

static void reap_qemu(struct monitor *m) {
        if (m->qemu <= 0)
                return;
        kill(m->qemu, SIGKILL);
        while (waitpid(m->qemu, NULL, 0) < 0 && errno == EINTR)
                ;
        m->qemu = 0;
}

/* After READY: one line to --log, QEMU gone, and M dies of SIGKILL like a killed init. */
__attribute__((format(printf, 2, 3))) static _Noreturn void die(struct monitor *m, const char *fmt, ...) {
        char msg[LOG_FORWARD_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        log_fail(-EPIPE, "vm: %s; the container is stopped", msg);
        reap_qemu(m);
        raise(SIGKILL);
        _exit(137);
}

static _Noreturn void exit_like(struct monitor *m, int status) {
        reap_qemu(m);
        exit_like_status(status);
}

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Did QEMU exit?  Its status, described, in `what`. */
static bool qemu_exited(struct monitor *m, char *what, size_t len) {
        int status;
        pid_t pid;
        bool gone = false;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                if (pid == m->qemu) {
                        wait_status_describe(status, what, len);
                        m->qemu = 0;
                        gone = true;
                }
        return gone;
}

/* The host's CPU stall time so far (PSI "some" total), in ms; -1 without PSI. */
static long long cpu_stall_ms(void) {
        _cleanup_close_ int fd = open("/proc/pressure/cpu", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        char buf[256];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return -1;
        buf[n] = 0;
        const char *t = strstr(buf, "total="); /* of the first line, "some" */
        return t ? strtoll(t + 6, NULL, 10) / 1000 : -1;
}

struct boot_clock {
        long long start_ms, start_stall_ms;
};

static void boot_clock_start(struct boot_clock *c) {
        c->start_ms = now_ms();
        c->start_stall_ms = cpu_stall_ms();
}

/* The boot's time so far less the host's CPU stall meanwhile; *wall: all of it. */
static long long boot_clock_used(const struct boot_clock *c, long long *wall) {
        *wall = now_ms() - c->start_ms;
        long long stall = c->start_stall_ms >= 0 ? cpu_stall_ms() : -1;
        return stall >= c->start_stall_ms ? *wall - (stall - c->start_stall_ms) : *wall;
}

/* The next frame during set-up, within the boot's time; errors are logged (forwarded to create). */
static int setup_frame(struct monitor *m, const struct boot_clock *clock, struct vm_frame *f) {
        for (;;) {
                if (!vm_reader_buffered(&m->rd)) {
                        long long wall, used = boot_clock_used(clock, &wall);
                        long long left = BOOT_TIMEOUT_MS - used;
                        if (left <= 0 || wall >= BOOT_BACKSTOP_MS)
                                return log_fail(-ETIMEDOUT,
                                                "vm: the guest of container \"%s\" did not answer within %d s "
                                                "(%lld s, the host's CPUs busy for the rest; its console: %s in "
                                                "the state directory)",
                                                m->sc->id, BOOT_TIMEOUT_MS / 1000, wall / 1000, VM_CONSOLE_LOG);
                        struct pollfd pf[2] = {{.fd = m->agent, .events = POLLIN}, {.fd = m->sigfd, .events = POLLIN}};
                        if (poll(pf, 2, (int) (left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
                                return log_error_errno(-errno, "poll");
                        if (pf[1].revents) {
                                struct signalfd_siginfo si;
                                while (read(m->sigfd, &si, sizeof si) == (ssize_t) sizeof si)
                                        ;
                        }
                        /* logged by the caller, which may try again without KVM */
                        if (!(pf[0].revents) && qemu_exited(m, m->qemu_status, sizeof m->qemu_status))
                                return -ECHILD;
                        if (!pf[0].revents)
                                continue;
                }
                int r = vm_reader_next(&m->rd, m->agent, f);
                if (r == 1)
                        return 0;
                /* QEMU closes the channel as it exits: its status says more */
                for (int i = 0; (r == 0 || r == -ECONNRESET) && i < 200; i++) {
                        if (qemu_exited(m, m->qemu_status, sizeof m->qemu_status))
                                return -ECHILD;
                        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
                }
                if (r == 0 || r == -ECONNRESET)
                        return log_fail(-EIO, "vm: the guest of container \"%s\" closed the agent's channel during "
                                                "set-up (see %s in the state directory)",
                                        m->sc->id, VM_CONSOLE_LOG);
                return log_error_errno(r, "vm: read from the agent of container \"%s\"", m->sc->id);
        }
}

static int error_frame(const struct vm_frame *f, const char *what) {
        int err = (int32_t) vm_get_u32(f->payload);
        /* EPIPE and EPROTO mean "the monitor died / misbehaved" to vm_create */
        if (err >= 0 || err < -4095 || err == -EPIPE || err == -EPROTO)
                err = -EIO;
        char msg[LOG_FORWARD_MAX];
        snprintf(msg, sizeof msg, "%.*s", (int) (f->len - 4), (const char *) f->payload + 4);
        return log_fail(err, "%s%s", what, msg);
}

/* QEMU, up to the agent's first frame. */
static int launch(struct monitor *m, struct boot_clock *clock, struct vm_frame *f) {
        const struct sandbox_create *sc = m->sc;
        _cleanup_close_ int console = openat(m->dirfd, VM_CONSOLE_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (console < 0)
                return log_error_errno(-errno, "create %s", VM_CONSOLE_LOG);
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return log_error_errno(-errno, "socketpair");
        m->agent = sv[0];
        int r = sc->spec->root_readonly ? vm_make_mountpoints(sc->spec, sc->rootfs) : 0;
        if (r < 0) {
                close(sv[1]);
                return r;
        }
        r = vm_launch(&m->plan, sc->id, sc->rootfs, sc->spec->root_readonly, sv[1], console, &m->qemu);
        close(sv[1]);
        if (r < 0)
                return r;
        /* for delete, should this process be gone and QEMU not (it has our parent-death signal) */
        unsigned long long st = 0;
        char rec[64];
        proc_stat(m->qemu, &st, NULL);
        int n = snprintf(rec, sizeof rec, "%d %llu\n", m->qemu, st);
        r = write_file_atomic_at(m->dirfd, VM_QEMU_PID_FILE, rec, (size_t) n, 0600);
        if (r < 0)
                return log_error_errno(r, "write %s", VM_QEMU_PID_FILE);
        boot_clock_start(clock);
        r = setup_frame(m, clock, f);
        if (r == -ECHILD && m->plan.kvm) {
                /* /dev/kvm opens but QEMU cannot run a guest with it (nested
                 * virtualisation without the MSRs QEMU sets, as kvm_pvm's):
                 * said once, then TCG */
                log_warn("--sandbox=vm: QEMU could not run the guest with KVM (QEMU %s; see %s in the state directory): "
                         "the guest runs under TCG emulation, which is much slower",
                         m->qemu_status, VM_CONSOLE_LOG);
                m->plan.kvm = false;
                close(m->agent);
                m->agent = -1;
                m->rd.len = m->rd.used = 0;
                return -EAGAIN;
        }
        if (r == -ECHILD)
                return log_fail(-ECHILD, "vm: QEMU of container \"%s\" %s during boot (see %s in the state directory)",
                                sc->id, m->qemu_status, VM_CONSOLE_LOG);
        return r;
}

/*
 * process.terminal: the engine gets the master of a pty of ours on its
 * console socket, as from any runtime; we relay its raw slave to the
 * guest, where the workload has a pty of its own (line discipline, echo,
 * job control happen there once).  Our slave is our controlling terminal
 * (we are a session leader), so the engine's resize reaches us as SIGWINCH.
 */
static int host_pty(struct monitor *m) {
        const struct oci_process *proc = m->sc->spec->process;
        _cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        char name[64];
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof name))
                return log_error_errno(-errno, "open a pty for container \"%s\"", m->sc->id);
        m->tty = open(name, O_RDWR | O_CLOEXEC);
        if (m->tty < 0)
                return log_error_errno(-errno, "open %s", name);
        struct termios t;
        if (tcgetattr(m->tty, &t) == 0) {
                cfmakeraw(&t);
                tcsetattr(m->tty, TCSANOW, &t);
        }
        if (proc->console_height || proc->console_width) {
                struct winsize ws = {.ws_row = (unsigned short) proc->console_height,
                                     .ws_col = (unsigned short) proc->console_width};
                ioctl(master, TIOCSWINSZ, &ws);
        }
        int r = fd_send(m->sc->console_fd, master, name);
        if (r < 0)
                return log_error_errno(r, "send the pty of container \"%s\" to the console socket", m->sc->id);
        close(m->sc->console_fd);
        return 0;
}

static void send_size(struct monitor *m) {
        struct winsize ws;
        if (m->tty >= 0 && ioctl(m->tty, TIOCGWINSZ, &ws) == 0)
                (void) vm_send_u32s(m->agent, VM_RESIZE, VM_STREAM_INIT, ws.ws_row, ws.ws_col, 2);
}

/* vmexec.sock: through our directory fd, as sun_path is short and --root may be long. */
static int exec_listen(struct monitor *m) {
        m->exec_listen = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (m->exec_listen < 0)
                return log_error_errno(-errno, "socket");
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", m->dirfd, VM_EXEC_SOCK);
        unlinkat(m->dirfd, VM_EXEC_SOCK, 0);
        if (bind(m->exec_listen, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(m->exec_listen, 16) < 0)
                return log_error_errno(-errno, "listen on %s of container \"%s\"", VM_EXEC_SOCK, m->sc->id);
        return 0;
}

/* Before QEMU: the container's network namespace (ours from now on), the
 * hooks that configure it, and its interfaces wired to taps (net.c). */
static int network(struct monitor *m) {
        int r = vm_net_prepare(m->sc, m->report_fd, m->dirfd, &m->net);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->net.n; i++) {
                m->plan.taps[i].fd = m->net.nics[i].tap_fd;
                memcpy(m->plan.taps[i].mac, m->net.nics[i].mac, 6);
        }
        m->plan.n_taps = m->net.n;
        return 0;
}

/* Step 1, up to READY.  Errors are logged (forwarded to create). */
static int boot(struct monitor *m) {
        const struct sandbox_create *sc = m->sc;
        struct boot_clock clock;
        struct vm_frame f;
        int r = network(m);
        if (r < 0)
                return r;
        while ((r = launch(m, &clock, &f)) == -EAGAIN)
                ;
        if (r < 0)
                return r;
        if (f.type != VM_HELLO || vm_get_u32(f.payload) != VM_PROTO_VERSION)
                return log_fail(-EPROTO, "vm: the agent of container \"%s\" speaks another protocol (%s, version %u)",
                                sc->id, vm_frame_type_name(f.type), f.type == VM_HELLO ? vm_get_u32(f.payload) : 0);
        log_debug("vm: agent of \"%s\" up, guest kernel %.*s", sc->id, (int) (f.len - 4), (const char *) f.payload + 4);

        /* bind mounts name their source as the guest sees it (launch.c shares each) */
        json_t *doc = json_deep_copy(sc->spec->json);
        json_t *mounts = json_object_get(doc, "mounts");
        for (size_t i = 0; i < m->plan.n_shares; i++)
                json_object_set_new(json_array_get(mounts, m->plan.shares[i].mount), "source",
                                    json_string(m->plan.shares[i].guest));
        if (doc)
                vm_net_guest_config(doc, &m->net);
        _cleanup_free_ char *config = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (!config)
                return -ENOMEM;
        size_t idlen = strlen(sc->id), clen = strlen(config);
        if (4 + idlen + 1 + clen > VM_FRAME_MAX_PAYLOAD)
                return log_fail(-E2BIG, "vm: config.json of container \"%s\" is larger than %u bytes", sc->id,
                                VM_FRAME_MAX_PAYLOAD - 4 - (unsigned) idlen - 1);
        _cleanup_free_ uint8_t *p = malloc(4 + idlen + 1 + clen);
        if (!p)
                return -ENOMEM;
        vm_put_u32(p, sc->spec->process->terminal ? VM_CREATE_TERMINAL : 0);
        memcpy(p + 4, sc->id, idlen + 1);
        memcpy(p + 4 + idlen + 1, config, clen);
        r = vm_frame_send(m->agent, VM_CREATE, VM_STREAM_INIT, p, 4 + idlen + 1 + clen);
        if (r < 0)
                return log_error_errno(r, "vm: send the config to the agent of container \"%s\"", sc->id);
        r = setup_frame(m, &clock, &f);
        if (r == -ECHILD)
                return log_fail(r, "vm: QEMU of container \"%s\" %s during set-up (see %s in the state directory)",
                                sc->id, m->qemu_status, VM_CONSOLE_LOG);
        if (r < 0)
                return r;
        if (f.type == VM_ERROR)
                return error_frame(&f, "");
        if (f.type != VM_CREATED)
                return log_fail(-EPROTO, "vm: the agent of container \"%s\" answered %s to CREATE", sc->id,
                                vm_frame_type_name(f.type));
        r = exec_listen(m);
        if (r < 0)
                return r;
        return sc->spec->process->terminal ? host_pty(m) : 0;
}

static void output(struct monitor *m, int fd, const struct vm_frame *f) {
        /* a reader that went away loses the rest, as the workload's own write would fail */
        if (write_full(fd, f->payload, f->len) < 0 && errno != EPIPE)
                log_warn("vm: write the output of container \"%s\": %s", m->sc->id, strerror(errno));
}

static void start_reply(struct monitor *m, const struct vm_frame *f) {
        if (m->start_conn < 0)
                return;
        if (f->type == VM_ERROR) {
                /* `cocoon start` reads sync records on this socket (runtime/start.c) */
                struct sync_msg msg = {.type = SYNC_ERROR, .value = (int32_t) vm_get_u32(f->payload)};
                const char *text = (const char *) f->payload + 4;
                size_t len = f->len - 4;
                /* the guest's container_start named the container in its line, and
                 * `cocoon start` names it again: one prefix, not two */
                _cleanup_free_ char *prefix = strdup_printf("start container \"%s\": ", m->sc->id);
                if (prefix && len >= strlen(prefix) && !strncmp(text, prefix, strlen(prefix))) {
                        text += strlen(prefix);
                        len -= strlen(prefix);
                }
                snprintf(msg.msg, sizeof msg.msg, "%.*s", (int) len, text);
                (void) !write(m->start_conn, &msg, sizeof msg);
        }
        close(m->start_conn); /* EOF: started */
        m->start_conn = -1;
}

/* The exec'd process on `stream`, or with 0 a free slot. */
static struct exec_stream *exec_of(struct monitor *m, uint32_t stream) {
        for (size_t i = 0; i < MAX_EXECS; i++)
                if (m->execs[i].stream == stream)
                        return &m->execs[i];
        return NULL;
}

static void exec_free(struct exec_stream *e) {
        int *fds[] = {&e->conn, &e->in, &e->out, &e->err};
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (*fds[i] >= 0)
                        close(*fds[i]);
        *e = (struct exec_stream){.conn = -1, .in = -1, .out = -1, .err = -1};
}

static void agent_send(struct monitor *m, int r) {
        if (r < 0)
                die(m, "the agent of container \"%s\" is gone", m->sc->id);
}

/* A refused request: the caller prints the line. */
static void exec_refuse(int conn, int err, const char *msg) {
        (void) vm_send_error(conn, VM_STREAM_UNASSIGNED, err, msg);
        close(conn);
}

static struct query *query_of(struct monitor *m, uint32_t stream) {
        for (size_t i = 0; i < MAX_QUERIES; i++)
                if (m->queries[i].stream == stream)
                        return &m->queries[i];
        return NULL;
}

/* A stream number for a new exec'd process or query: never the init's, and
 * never one in use (the agent may still answer on a stream we gave up on). */
static uint32_t next_stream(struct monitor *m) {
        do
                m->last_stream++;
        while (m->last_stream == VM_STREAM_INIT || m->last_stream == VM_STREAM_UNASSIGNED ||
               exec_of(m, m->last_stream) || query_of(m, m->last_stream));
        return m->last_stream;
}

static bool query_type(unsigned type) {
        return type == VM_STATS || type == VM_PS || type == VM_UPDATE || type == VM_PAUSE || type == VM_RESUME;
}

/*
 * A query from `cocoon events|ps|update|pause|resume` (docs/vm.md): relayed
 * on a stream of its own; the agent's one answer goes back on `conn`.  A
 * slot whose command went away (its socket hung up) is freed first: its
 * late answer is dropped.
 */
static void query_start(struct monitor *m, int conn, const struct vm_frame *f) {
        struct query *q = NULL;
        for (size_t i = 0; i < MAX_QUERIES; i++) {
                struct query *o = &m->queries[i];
                struct pollfd p = {.fd = o->conn, .events = POLLIN};
                if (o->stream && poll(&p, 1, 0) > 0) {
                        close(o->conn);
                        *o = (struct query){.conn = -1};
                }
                if (!o->stream && !q)
                        q = o;
        }
        if (!q) {
                exec_refuse(conn, -EBUSY, "vm: too many queries at once");
                return;
        }
        *q = (struct query){.stream = next_stream(m), .conn = conn};
        agent_send(m, vm_frame_send(m->agent, (enum vm_frame_type) f->type, q->stream, f->payload, f->len));
}

/* The agent's answer to a query, to the command that asked; false when the
 * frame is not about a query (an exec'd process's). */
static bool query_answer(struct monitor *m, const struct vm_frame *f) {
        bool reply = f->type == VM_STATS_REPLY || f->type == VM_PS_REPLY;
        struct query *q = query_of(m, f->stream);
        if (!q)
                return reply; /* the asker went away: dropped */
        if (!reply && f->type != VM_OK && f->type != VM_ERROR)
                die(m, "the agent of container \"%s\" sent %s in answer to a query", m->sc->id,
                    vm_frame_type_name(f->type));
        (void) vm_frame_send(q->conn, (enum vm_frame_type) f->type, VM_STREAM_UNASSIGNED, f->payload, f->len);
        close(q->conn);
        *q = (struct query){.conn = -1};
        return true;
}

/*
 * A `cocoon exec` connected: one packet, EXEC with the process's three
 * stdio fds, becomes an EXEC on a stream of its own.  The caller is local
 * and sends at once; a stuck one costs at most the receive timeout.
 */
static void exec_accept(struct monitor *m) {
        int c = accept4(m->exec_listen, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
                return;
        struct timeval tv = {.tv_sec = 5};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        static uint8_t buf[VM_FRAME_HEADER + VM_FRAME_MAX_PAYLOAD];
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(4 * sizeof(int))];
        } cm;
        struct iovec iov = {buf, sizeof buf};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof cm.b};
        ssize_t n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
        int fds[4] = {-1, -1, -1, -1};
        size_t nfds = 0;
        for (struct cmsghdr *h = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; h; h = CMSG_NXTHDR(&mh, h))
                if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
                        for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
                                int fd;
                                memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
                                if (nfds < ELEMENTSOF(fds))
                                        fds[nfds++] = fd;
                                else
                                        close(fd);
                        }
        struct vm_frame f;
        size_t used = 0;
        bool whole = n > 0 && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) &&
                     vm_frame_parse(buf, (size_t) n, &f, &used) == 1 && used == (size_t) n;
        if (whole && nfds == 0 && query_type(f.type)) {
                query_start(m, c, &f);
                return;
        }
        bool ok = whole && nfds == 3 && (f.type == VM_EXEC || f.type == VM_ADD);
        struct exec_stream *e = exec_of(m, 0);
        if (!ok || !e) {
                for (size_t i = 0; i < nfds; i++)
                        close(fds[i]);
                if (!ok)
                        exec_refuse(c, -EPROTO, "vm: malformed exec request");
                else
                        exec_refuse(c, -EMFILE, "vm: too many exec'd processes at once");
                return;
        }
        bool tty;
        if (f.type == VM_ADD)
                tty = vm_get_u32(f.payload) & VM_CREATE_TERMINAL;
        else {
                const uint8_t *text;
                uint32_t tlen;
                (void) vm_target(f.payload, f.len, &text, &tlen);
                json_t *doc = json_loadb((const char *) text, tlen, 0, NULL);
                tty = json_is_true(json_object_get(doc, "terminal"));
                json_decref(doc);
        }
        *e = (struct exec_stream){.stream = next_stream(m),
                                  .conn = c,
                                  .in = fds[0],
                                  .out = fds[1],
                                  .err = fds[2],
                                  .tty = tty,
                                  .container = f.type == VM_ADD};
        agent_send(m, vm_frame_send(m->agent, (enum vm_frame_type) f.type, e->stream, f.payload, f.len));
}

/* The process of a stream whose stand-in went away: a pod's container is
 * killed whole, as its stand-in's SIGKILL would have it (kill --all). */
static void exec_kill(struct monitor *m, struct exec_stream *e) {
        agent_send(m, vm_send_u32s(m->agent, VM_SIGNAL, e->stream, SIGKILL, e->container ? VM_SIGNAL_ALL : 0, 2));
}

/* A packet from a stand-in: SIGNAL and RESIZE are relayed (and START for a
 * pod's container); anything else, or EOF, means it is gone, and its
 * process with it. */
static void exec_from_standin(struct monitor *m, struct exec_stream *e) {
        uint8_t buf[64];
        ssize_t n = recv(e->conn, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        struct vm_frame f;
        size_t used = 0;
        if (n > 0 && vm_frame_parse(buf, (size_t) n, &f, &used) == 1 && used == (size_t) n &&
            (f.type == VM_SIGNAL || f.type == VM_RESIZE || (f.type == VM_START && e->container && e->created))) {
                if (f.type == VM_START) {
                        e->start_pending = true;
                        agent_send(m, vm_frame_send(m->agent, VM_START, e->stream, NULL, 0));
                } else if (f.type == VM_SIGNAL)
                        agent_send(m, vm_send_u32s(m->agent, VM_SIGNAL, e->stream, vm_get_u32(f.payload),
                                                   e->container ? vm_get_u32(f.payload + 4) & VM_SIGNAL_ALL : 0, 2));
                else
                        agent_send(m, vm_frame_send(m->agent, VM_RESIZE, e->stream, f.payload, f.len));
                return;
        }
        close(e->conn);
        e->conn = -1;
        /* before STARTED (CREATED) the agent has no process to signal yet: done then */
        if (e->started || e->created)
                exec_kill(m, e);
}

static void exec_stdin(struct monitor *m, struct exec_stream *e) {
        static uint8_t buf[VM_FRAME_MAX_PAYLOAD];
        ssize_t n = read(e->in, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n > 0) {
                agent_send(m, vm_frame_send(m->agent, VM_STDIN, e->stream, buf, (size_t) n));
                return;
        }
        /* a terminal's end is a hangup, not an EOF the process could read */
        if (!e->tty)
                agent_send(m, vm_frame_send(m->agent, VM_STDIN_CLOSE, e->stream, NULL, 0));
        close(e->in);
        e->in = -1;
}

/* A frame of the agent's about an exec'd process. */
static void exec_frame(struct monitor *m, const struct vm_frame *f) {
        struct exec_stream *e = f->stream != VM_STREAM_INIT ? exec_of(m, f->stream) : NULL;
        if (!e) {
                /* the answer to a SIGNAL that crossed the process's EXIT */
                if (f->type == VM_OK || f->type == VM_ERROR)
                        return;
                die(m, "the agent of container \"%s\" sent %s for stream %u, which is not running", m->sc->id,
                    vm_frame_type_name(f->type), f->stream);
        }
        switch (f->type) {
        case VM_CREATED:
                if (!e->container)
                        break;
                e->created = true;
                if (e->conn < 0 || vm_frame_send(e->conn, VM_CREATED, VM_STREAM_UNASSIGNED, NULL, 0) < 0)
                        exec_kill(m, e);
                return;
        case VM_STARTED:
                e->started = true;
                e->start_pending = false;
                if (e->conn < 0 || vm_frame_send(e->conn, VM_STARTED, VM_STREAM_UNASSIGNED, NULL, 0) < 0)
                        exec_kill(m, e);
                return;
        case VM_ERROR:
                if (e->start_pending) {
                        /* a pod container's START failed: its stand-in prints the line */
                        e->start_pending = false;
                        if (e->conn >= 0)
                                (void) vm_frame_send(e->conn, VM_ERROR, VM_STREAM_UNASSIGNED, f->payload, f->len);
                        return;
                }
                if (e->started || e->created)
                        return; /* a SIGNAL to a process on its way out: its EXIT follows */
                if (e->conn >= 0)
                        (void) vm_frame_send(e->conn, VM_ERROR, VM_STREAM_UNASSIGNED, f->payload, f->len);
                exec_free(e);
                return;
        case VM_STDOUT:
                output(m, e->out, f);
                return;
        case VM_STDERR:
                output(m, e->err, f);
                return;
        case VM_OK:
                return;
        case VM_EXIT: {
                /* every byte is written (the agent sends EXIT last): the stand-in may go */
                int conn = e->conn;
                e->conn = -1;
                exec_free(e);
                if (conn >= 0) {
                        (void) vm_frame_send(conn, VM_EXIT, VM_STREAM_UNASSIGNED, f->payload, f->len);
                        close(conn);
                }
                return;
        }
        default:
                break;
        }
        die(m, "the agent of container \"%s\" sent %s", m->sc->id, vm_frame_type_name(f->type));
}

/* Steps 2 and 3. */
static _Noreturn void run(struct monitor *m) {
        int listen_fd = m->sc->exec_listen_fd;
        int in = m->tty >= 0 ? m->tty : 0;
        int out = m->tty >= 0 ? m->tty : 1;
        for (;;) {
                /* the port, signals, exec.sock, the init's stdin, vmexec.sock; then
                 * per exec'd process: its stand-in and its stdin */
                struct pollfd pf[5 + 2 * MAX_EXECS] = {
                        {.fd = m->agent, .events = POLLIN},
                        {.fd = m->sigfd, .events = POLLIN},
                        {.fd = listen_fd, .events = POLLIN},
                        {.fd = in, .events = POLLIN},
                        {.fd = m->exec_listen, .events = POLLIN},
                };
                for (size_t i = 0; i < MAX_EXECS; i++) {
                        struct exec_stream *e = &m->execs[i];
                        pf[5 + 2 * i] = (struct pollfd){.fd = e->stream ? e->conn : -1, .events = POLLIN};
                        /* (a pod's container has its stdin from CREATED on, as an init has) */
                        pf[6 + 2 * i] = (struct pollfd){.fd = e->stream && (e->started || e->created) ? e->in : -1,
                                                        .events = POLLIN};
                }
                if (!vm_reader_buffered(&m->rd) && poll(pf, ELEMENTSOF(pf), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        die(m, "the monitor of container \"%s\": poll: %s", m->sc->id, strerror(errno));
                }
                if (pf[1].revents) {
                        struct signalfd_siginfo si;
                        while (read(m->sigfd, &si, sizeof si) == (ssize_t) sizeof si) {
                                if (si.ssi_signo == SIGCHLD)
                                        continue;
                                if (si.ssi_signo == SIGWINCH && m->tty >= 0) {
                                        send_size(m);
                                        continue;
                                }
                                uint32_t flags = si.ssi_code == SI_QUEUE && si.ssi_int == VM_SIGVAL_ALL ? VM_SIGNAL_ALL : 0;
                                /* a failure comes back as an ERROR frame, logged below */
                                (void) vm_send_u32s(m->agent, VM_SIGNAL, VM_STREAM_INIT, si.ssi_signo, flags, 2);
                        }
                        char what[128];
                        if (qemu_exited(m, what, sizeof what))
                                die(m, "QEMU of container \"%s\" %s", m->sc->id, what);
                }
                if (pf[2].revents) {
                        int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                        if (c >= 0) {
                                /* one start only; `start` unlinked the socket already */
                                close(listen_fd);
                                listen_fd = -1;
                                m->start_conn = c;
                                if (vm_frame_send(m->agent, VM_START, VM_STREAM_INIT, NULL, 0) < 0)
                                        die(m, "the agent of container \"%s\" is gone", m->sc->id);
                        }
                }
                if (pf[3].revents) {
                        static uint8_t buf[VM_FRAME_MAX_PAYLOAD];
                        ssize_t n = read(in, buf, sizeof buf);
                        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        /* a terminal's end (EIO once the engine closed the master) is
                                 * a hangup, not an EOF the workload could read */
                        int r = n > 0    ? vm_frame_send(m->agent, VM_STDIN, VM_STREAM_INIT, buf, (size_t) n)
                                : in == m->tty ? 0
                                             : vm_frame_send(m->agent, VM_STDIN_CLOSE, VM_STREAM_INIT, NULL, 0);
                        if (n <= 0)
                                in = -1; /* EOF (or an error, which ends the stream as well) */
                        if (r < 0)
                                die(m, "the agent of container \"%s\" is gone", m->sc->id);
                }
                if (pf[4].revents)
                        exec_accept(m);
                for (size_t i = 0; i < MAX_EXECS; i++) {
                        struct exec_stream *e = &m->execs[i];
                        /* (the slot may have been reused since poll: its fds are the ones polled or -1) */
                        if (pf[5 + 2 * i].revents && e->stream && e->conn == pf[5 + 2 * i].fd)
                                exec_from_standin(m, e);
                        if (pf[6 + 2 * i].revents && e->stream && e->in == pf[6 + 2 * i].fd)
                                exec_stdin(m, e);
                }
                if (pf[0].revents || vm_reader_buffered(&m->rd)) {
                        struct vm_frame f;
                        int r = vm_reader_next(&m->rd, m->agent, &f);
                        if (r == 0 || r == -ECONNRESET) {
                                char what[128] = "closed its channel";
                                /* QEMU exits when the guest powers off: give its status a moment */
                                for (int i = 0; i < 100 && m->qemu > 0; i++) {
                                        if (qemu_exited(m, what, sizeof what))
                                                die(m, "QEMU of container \"%s\" %s", m->sc->id, what);
                                        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
                                }
                                die(m, "the agent of container \"%s\" %s", m->sc->id, what);
                        }
                        if (r < 0)
                                die(m, "the agent of container \"%s\": %s", m->sc->id,
                                    r == -EBADMSG ? "malformed frame" : strerror(-r));
                        if (f.stream != VM_STREAM_INIT) {
                                if (!query_answer(m, &f))
                                        exec_frame(m, &f);
                                continue;
                        }
                        switch (f.type) {
                        case VM_STDOUT:
                                output(m, out, &f);
                                break;
                        case VM_STDERR:
                                output(m, 2, &f);
                                break;
                        case VM_STARTED:
                                start_reply(m, &f);
                                break;
                        case VM_ERROR:
                                if (m->start_conn >= 0)
                                        start_reply(m, &f);
                                else {
                                        int err = (int32_t) vm_get_u32(f.payload);
                                        log_fail(err < 0 && err > -4096 ? err : -EPROTO, "vm: container \"%s\": %.*s",
                                                 m->sc->id, (int) (f.len - 4), (const char *) f.payload + 4);
                                }
                                break;
                        case VM_OK:
                                break;
                        case VM_EXIT:
                                if (m->start_conn >= 0)
                                        close(m->start_conn);
                                exit_like(m, (int) vm_get_u32(f.payload));
                        default:
                                die(m, "the agent of container \"%s\" sent %s", m->sc->id, vm_frame_type_name(f.type));
                        }
                }
        }
}

_Noreturn void vm_monitor(const struct vm_monitor_args *args) {
        const struct sandbox_create *sc = args->sc;
        static struct monitor m;
        m = (struct monitor){
                .sc = sc,
                .plan = *args->plan,
                .report_fd = args->report_fd,
                .agent = -1,
                .start_conn = -1,
                .tty = -1,
                .exec_listen = -1,
        };
        for (size_t i = 0; i < MAX_EXECS; i++)
                m.execs[i] = (struct exec_stream){.conn = -1, .in = -1, .out = -1, .err = -1};
        for (size_t i = 0; i < MAX_QUERIES; i++)
                m.queries[i] = (struct query){.conn = -1};
        /* (sandbox_keeper_spawn: the parent-death signal is set and our
         * errors go to create) */
        m.dirfd = openat(sc->lock_fds[0], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (m.dirfd < 0) {
                log_error_errno(-errno, "open the state directory");
                _exit(1);
        }
        /* Not ours to keep: the container's lock (flock is shared by every
         * holder) and whatever else create or run held.  Kept: the stdio we
         * relay, exec.sock, the log. */
        int keep[] = {m.report_fd, m.dirfd, sc->exec_listen_fd, sc->console_fd, log_get_fd()};
        if (sentry_close_fds_except(3, keep, ELEMENTSOF(keep)) < 0) {
                log_error_errno(-errno, "close the monitor's inherited fds");
                _exit(1);
        }
        prctl(PR_SET_DUMPABLE, 0);
        prctl(PR_SET_NAME, "cocoon-vm");
        /* a session of our own: the pty we relay becomes our controlling terminal */
        if (sc->spec->process->terminal)
                setsid();
        /* every signal but the unblockable ones arrives on the signalfd: SIGCHLD
         * is QEMU's, the others go to the workload */
        sigset_t all;
        sigfillset(&all);
        /* ours, not the workload's: a relayed reader that went away, the terminal's job control */
        sigdelset(&all, SIGPIPE);
        sigdelset(&all, SIGTTIN);
        sigdelset(&all, SIGTTOU);
        sigprocmask(SIG_BLOCK, &all, NULL);
        signal(SIGPIPE, SIG_IGN);
        m.sigfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
        if (m.sigfd < 0) {
                log_error_errno(-errno, "signalfd");
                _exit(1);
        }
        if (sync_expect(m.report_fd, SYNC_GO, NULL) < 0)
                _exit(1);
        if (boot(&m) < 0) {
                reap_qemu(&m);
                vm_net_unwire(&m.net);
                unlinkat(m.dirfd, VM_NET_FILE, 0);
                _exit(1);
        }
        /* QEMU holds the taps */
        vm_net_release(&m.net);
        /* From here on we belong to the container, not to the cocoon that made us. */
        prctl(PR_SET_PDEATHSIG, 0);
        if (sync_send(m.report_fd, SYNC_READY, 0) < 0) {
                reap_qemu(&m);
                _exit(1);
        }
        close(m.report_fd);
        log_forward_to(-1);
        /* With a terminal the workload's stdio is the pty, as a runc init's
         * is: create's own stdout and stderr are not ours to keep.  An engine
         * reads them to EOF before it counts create as done (containerd's
         * shim, through go-runc), so holding them hung `docker run -t`. */
        if (m.tty >= 0)
                for (int fd = 0; fd <= 2; fd++)
                        if (dup2(m.tty, fd) < 0)
                                die(&m, "the monitor of container \"%s\": dup2: %s", sc->id, strerror(errno));
        run(&m);
}
