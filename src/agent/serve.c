/* SPDX-License-Identifier: MIT */
/*
 * The agent's protocol loop (docs/agent-protocol.md).  The container inside
 * the guest is made by the same library code as the `none` sandbox on a
 * host (container_create / container_start / container_kill with the
 * guest's own --root): namespaces, mounts, cgroups, user, capabilities,
 * rlimits, seccomp are applied exactly as there, so the VM is a second wall
 * around a runc-equivalent container, not the only one.
 *
 * Processes are streams: the init is stream 0, each EXEC from the host
 * starts one more (`cocoon exec`, by the same code as with `none`).  Their
 * stdio are pipes held here: output becomes STDOUT/STDERR frames of their
 * stream, STDIN frames are queued for their stdin.  When one exits, its
 * output is drained to EOF (bounded) before its EXIT is sent, so the host
 * never reports a status ahead of the last byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
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
#include "vm/vm.h"

#define STDIN_QUEUE_MAX (16u * 1024 * 1024)
#define DRAIN_MS 2000
/* the init and the exec'd processes alive at once */
#define MAX_PROCS 64

/* A process the host knows by its stream: the init (stream 0, procs[0]),
 * one it asked for with EXEC, or the init of a container of the pod that
 * ADD made (cid set). */
struct proc {
        bool used;
        uint32_t stream;
        char cid[256]; /* ADD: the container's id ("" for the others) */
        pid_t pid;   /* -1 once its EXIT was sent (the init's slot stays: the container is there) */
        int status;  /* its wait status, once exited */
        bool exited;
        long long drain_deadline; /* set when it exited: its output is read until EOF or then */
        int out, err; /* read ends of its stdout/stderr (or its pty master), -1 at EOF */
        int pty;      /* the pty master with process.terminal, else -1 */
        int in;       /* write end of its stdin, -1 once closed */
        bool in_close_pending;
        uint8_t *q; /* stdin bytes not yet written */
        size_t q_len;
};

struct agent {
        struct cocoon_ctx ctx;
        int port;
        char id[256];
        struct proc procs[MAX_PROCS];
        int capture[2]; /* the library's one error line, as a set-up child forwards it */
        bool pod_mounted; /* the pod's share, at the first ADD */
        int sigfd;
};

static struct proc *proc_of(struct agent *a, uint32_t stream) {
        for (size_t i = 0; i < MAX_PROCS; i++)
                if (a->procs[i].used && a->procs[i].stream == stream)
                        return &a->procs[i];
        return NULL;
}

static void proc_init(struct proc *p, uint32_t stream) {
        *p = (struct proc){.used = true, .stream = stream, .out = -1, .err = -1, .pty = -1, .in = -1};
}

static void proc_release(struct proc *p) {
        int *fds[] = {&p->out, &p->err, &p->pty, &p->in};
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (*fds[i] >= 0) {
                        close(*fds[i]);
                        *fds[i] = -1;
                }
        free(p->q);
        p->q = NULL;
        p->q_len = 0;
        p->used = false;
}

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

static int reply(struct agent *a, uint32_t stream, int r, enum vm_frame_type ok) {
        if (r >= 0)
                return vm_frame_send(a->port, ok, stream, NULL, 0);
        char msg[LOG_FORWARD_MAX];
        take_error(a, r, msg, sizeof msg);
        return vm_send_error(a->port, stream, r, msg);
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

/* config.json as the host saved it, with the root at the shared rootfs;
 * the network the host wired (if any) taken out of it, to *ret_net. */
static int write_bundle(const char *config, size_t len, json_t **ret_net) {
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
        *ret_net = json_incref(json_object_get(doc, VM_NET_CONFIG_KEY));
        json_object_del(doc, VM_NET_CONFIG_KEY);
        int r = mount_shares(json_object_get(doc, "mounts"));
        if (r < 0) {
                json_decref(doc);
                return r;
        }
        _cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (!text)
                return -ENOMEM;
        /* searchable by the container's init, which chdirs here (relative bind
         * sources) as whatever uid a user namespace maps root to */
        r = mkdir_p(AGENT_BUNDLE, 0755);
        if (r == 0)
                r = write_file_at(AT_FDCWD, AGENT_BUNDLE "/config.json", text, strlen(text),
                                  O_CREAT | O_TRUNC | O_WRONLY);
        return r < 0 ? log_error_errno(r, "write %s/config.json", AGENT_BUNDLE) : 0;
}

/*
 * A process container_create or container_exec starts inherits fds 0-2 from
 * us: ours, pointed at fresh pipes for the call.  With process.terminal the
 * process reports its pty's master on a socketpair, as it would on a
 * --console-socket (buffered: read once the call returned).
 */
struct stdio_swap {
        int in[2], out[2], err[2];
        int saved[3];
        int cs[2];
        bool tty;
};

static void close_all(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0) {
                        close(fds[i]);
                        fds[i] = -1;
                }
}

static int stdio_begin(struct stdio_swap *s, bool tty) {
        *s = (struct stdio_swap){{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1, -1}, {-1, -1}, tty};
        if (pipe2(s->in, O_CLOEXEC) < 0 || pipe2(s->out, O_CLOEXEC) < 0 || pipe2(s->err, O_CLOEXEC) < 0 ||
            (tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->cs) < 0)) {
                int r = log_error_errno(-errno, "pipe");
                close_all(s->in, 2);
                close_all(s->out, 2);
                close_all(s->err, 2);
                close_all(s->cs, 2);
                return r;
        }
        for (int i = 0; i < 3; i++)
                s->saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
        dup2(s->in[0], 0);
        dup2(s->out[1], 1);
        dup2(s->err[1], 2);
        return 0;
}

/* Back to our own fds 0-2; on success (r == 0) the process's ends go to *p. */
static int stdio_end(struct stdio_swap *s, int r, struct proc *p, const char *what) {
        if (s->cs[1] >= 0)
                close(s->cs[1]);
        int master = -1;
        if (r == 0 && s->tty && (r = fd_recv(s->cs[0], &master)) < 0)
                r = log_error_errno(r, "receive the pty of %s", what);
        if (s->cs[0] >= 0)
                close(s->cs[0]);
        for (int i = 0; i < 3; i++) {
                dup2(s->saved[i], i);
                close(s->saved[i]);
        }
        close(s->in[0]);
        close(s->out[1]);
        close(s->err[1]);
        if (r < 0 || master >= 0) {
                /* with a pty the process's stdio is its slave: the pipes are never written */
                close(s->in[1]);
                close(s->out[0]);
                close(s->err[0]);
                if (r < 0)
                        return r;
                p->pty = master; /* for RESIZE; the copies below close at EOF */
                p->out = fcntl(master, F_DUPFD_CLOEXEC, 3);
                p->in = fcntl(master, F_DUPFD_CLOEXEC, 3);
        } else {
                p->in = s->in[1];
                p->out = s->out[0];
                p->err = s->err[0];
        }
        fcntl(p->in, F_SETFL, O_NONBLOCK);
        fcntl(p->out, F_SETFL, O_NONBLOCK);
        if (p->err >= 0)
                fcntl(p->err, F_SETFL, O_NONBLOCK);
        return 0;
}

static int create_container(struct agent *a, const struct vm_frame *f) {
        struct proc *init = &a->procs[0];
        if (f->stream != VM_STREAM_INIT)
                return log_fail(-EPROTO, "CREATE on stream %u: the init's stream is 0", f->stream);
        if (init->used)
                return log_fail(-EEXIST, "the guest already holds container \"%s\"", a->id);
        const char *id = (const char *) f->payload + 4;
        size_t idlen = strlen(id);
        if (idlen >= sizeof a->id)
                return log_fail(-EINVAL, "container id too long");
        memcpy(a->id, id, idlen + 1);
        const char *config = id + idlen + 1;
        _cleanup_(json_decrefp) json_t *net = NULL;
        int r = write_bundle(config, f->len - 4 - idlen - 1, &net);
        if (r < 0)
                return r;
        struct stdio_swap s;
        r = stdio_begin(&s, vm_get_u32(f->payload) & VM_CREATE_TERMINAL);
        if (r < 0)
                return r;
        struct create_opts o = {.bundle = AGENT_BUNDLE, .console_fd = s.cs[1]};
        pid_t pid = 0;
        r = container_create(&a->ctx, a->id, &o, &pid);
        if (r == 0 && net)
                r = agent_net_setup(net, pid);
        struct proc p;
        proc_init(&p, VM_STREAM_INIT);
        r = stdio_end(&s, r, &p, "the container");
        if (r < 0)
                return r;
        p.pid = pid;
        *init = p;
        return 0;
}

/* The container a targeted frame (protocol.h) is about: the VM's own for
 * "" or its id, else a container of the pod that ADD made and that is
 * still there; NULL when none. */
static const char *target_of(struct agent *a, const struct vm_frame *f, const uint8_t **rest, uint32_t *rest_len) {
        const char *t = vm_target(f->payload, f->len, rest, rest_len);
        if (!a->procs[0].used)
                return NULL;
        if (!*t || !strcmp(t, a->id))
                return a->id;
        for (size_t i = 1; i < MAX_PROCS; i++)
                if (a->procs[i].used && a->procs[i].cid[0] && a->procs[i].pid > 0 && !strcmp(a->procs[i].cid, t))
                        return a->procs[i].cid;
        return NULL;
}

/* The pod's share (src/sandbox/vm_pod.c): mounted at the first ADD. */
static int mount_pod_share(struct agent *a) {
        if (a->pod_mounted)
                return 0;
        int r = mkdir_p(AGENT_POD_DIR, 0755);
        if (r < 0)
                return log_error_errno(r, "mkdir %s", AGENT_POD_DIR);
        if (mount(AGENT_POD_TAG, AGENT_POD_DIR, "9p", 0,
                  "trans=virtio,version=9p2000.L,msize=262144,cache=mmap,access=client") < 0)
                return log_error_errno(-errno, "mount the pod's share %s on %s", AGENT_POD_TAG, AGENT_POD_DIR);
        a->pod_mounted = true;
        return 0;
}

/*
 * ADD's config.json: the root at the container's directory of the pod's
 * share, and every namespace the host gave by path (it checked that each
 * is the VM's own container's, the pod's pause container) joined as the
 * guest has it: that container's init's.
 */
static int write_pod_bundle(struct agent *a, const char *id, const char *config, size_t len, const char *bundle) {
        json_error_t jerr;
        _cleanup_(json_decrefp) json_t *doc = json_loadb(config, len, 0, &jerr);
        if (!doc || !json_is_object(doc))
                return log_fail(-EINVAL, "config.json of container \"%s\" from the host: %s", id, jerr.text);
        json_t *root = json_object_get(doc, "root");
        if (!json_is_object(root)) {
                root = json_object();
                json_object_set_new(doc, "root", root);
        }
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s/rootfs", AGENT_POD_DIR, id);
        json_object_set_new(root, "path", json_string(path));
        json_object_del(doc, VM_NET_CONFIG_KEY);
        static const struct {
                const char *type, *ns;
        } joinable[] = {{"ipc", "ipc"}, {"uts", "uts"}, {"network", "net"}, {"pid", "pid"}};
        size_t i;
        json_t *ns;
        json_array_foreach(json_object_get(json_object_get(doc, "linux"), "namespaces"), i, ns) {
                if (!json_object_get(ns, "path"))
                        continue;
                const char *type = json_string_value(json_object_get(ns, "type"));
                size_t k = 0;
                while (k < ELEMENTSOF(joinable) && (!type || strcmp(type, joinable[k].type)))
                        k++;
                if (k == ELEMENTSOF(joinable))
                        return log_fail(-EOPNOTSUPP, "container \"%s\": linux.namespaces[%zu] (%s) cannot be joined "
                                                     "from the pod's VM",
                                        id, i, type ? type : "?");
                snprintf(path, sizeof path, "/proc/%d/ns/%s", (int) a->procs[0].pid, joinable[k].ns);
                json_object_set_new(ns, "path", json_string(path));
        }
        _cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        int r = mkdir_p(bundle, 0700);
        if (r == 0) {
                snprintf(path, sizeof path, "%s/config.json", bundle);
                r = write_file_at(AT_FDCWD, path, text, strlen(text), O_CREAT | O_TRUNC | O_WRONLY);
        }
        return r < 0 ? log_error_errno(r, "write the bundle of container \"%s\"", id) : 0;
}

static void remove_bundle(const char *id) {
        _cleanup_close_ int dir = open(AGENT_POD_BUNDLES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char cfg[600];
        snprintf(cfg, sizeof cfg, "%s/config.json", id);
        if (dir >= 0 && unlinkat(dir, cfg, 0) == 0)
                (void) unlinkat(dir, id, AT_REMOVEDIR);
}

/* ADD: a container of the pod (Kata's model: a pod is one VM), made by
 * the same code as the VM's own, its init waiting for START on its stream. */
static int add_container(struct agent *a, const struct vm_frame *f) {
        if (!a->procs[0].used || a->procs[0].pid <= 0)
                return log_fail(-ENOENT, "the pod's own container is not running in the guest");
        if (proc_of(a, f->stream))
                return log_fail(-EEXIST, "ADD on stream %u: that stream is in use", f->stream);
        const char *id = (const char *) f->payload + 4;
        size_t idlen = strlen(id);
        if (idlen == 0 || idlen >= sizeof a->procs[0].cid || strchr(id, '/') || id[0] == '.')
                return log_fail(-EINVAL, "ADD: invalid container id");
        if (!strcmp(id, a->id))
                return log_fail(-EEXIST, "container \"%s\" exists in the guest", id);
        struct proc *slot = NULL;
        for (size_t i = 1; i < MAX_PROCS; i++) {
                if (a->procs[i].used && !strcmp(a->procs[i].cid, id))
                        return log_fail(-EEXIST, "container \"%s\" exists in the guest", id);
                if (!a->procs[i].used && !slot)
                        slot = &a->procs[i];
        }
        if (!slot)
                return log_fail(-EMFILE, "the guest holds %d processes already", MAX_PROCS);
        int r = mount_pod_share(a);
        if (r < 0)
                return r;
        char bundle[512];
        snprintf(bundle, sizeof bundle, "%s/%s", AGENT_POD_BUNDLES, id);
        const char *config = id + idlen + 1;
        r = write_pod_bundle(a, id, config, f->len - 4 - idlen - 1, bundle);
        if (r < 0)
                return r;
        struct stdio_swap s;
        r = stdio_begin(&s, vm_get_u32(f->payload) & VM_CREATE_TERMINAL);
        if (r < 0)
                return r;
        struct create_opts o = {.bundle = bundle, .console_fd = s.cs[1]};
        pid_t pid = 0;
        r = container_create(&a->ctx, id, &o, &pid);
        struct proc p;
        proc_init(&p, f->stream);
        r = stdio_end(&s, r, &p, "the container");
        if (r < 0) {
                remove_bundle(id);
                return r;
        }
        memcpy(p.cid, id, idlen + 1);
        p.pid = pid;
        *slot = p;
        return 0;
}

/* After a pod container's EXIT: gone from the guest, as `delete` would. */
static void remove_container(struct agent *a, const char *id) {
        if (container_delete(&a->ctx, id, true) < 0) {
                char msg[LOG_FORWARD_MAX];
                take_error(a, -EIO, msg, sizeof msg);
                fprintf(stderr, "cocoon-agent: delete container %s: %s\n", id, msg);
        }
        remove_bundle(id);
}

/* EXEC: the process runs in the container by the same code as `cocoon exec`
 * with the none sandbox (setns, cgroup, user, caps, seccomp, ...). */
static int exec_process(struct agent *a, const struct vm_frame *f) {
        const uint8_t *text;
        uint32_t len;
        const char *id = target_of(a, f, &text, &len);
        if (!id)
                return log_fail(-ENOENT, "no container \"%s\" to exec in", (const char *) f->payload);
        if (proc_of(a, f->stream))
                return log_fail(-EEXIST, "EXEC on stream %u: that stream is in use", f->stream);
        struct proc *slot = NULL;
        for (size_t i = 1; i < MAX_PROCS && !slot; i++)
                if (!a->procs[i].used)
                        slot = &a->procs[i];
        if (!slot)
                return log_fail(-EMFILE, "container \"%s\": more than %d exec'd processes at once", id,
                                MAX_PROCS - 1);
        json_error_t jerr;
        _cleanup_(json_decrefp) json_t *doc = json_loadb((const char *) text, len, 0, &jerr);
        if (!doc)
                return log_fail(-EINVAL, "process.json from the host: %s", jerr.text);
        _cleanup_(oci_process_freep) struct oci_process *proc = NULL;
        int r = oci_process_parse(doc, "process.json", "", &proc);
        if (r < 0)
                return r;
        struct stdio_swap s;
        r = stdio_begin(&s, proc->terminal);
        if (r < 0)
                return r;
        struct exec_opts o = {.console_fd = s.cs[1]};
        pid_t pid = 0;
        r = container_exec(&a->ctx, id, proc, &o, &pid);
        struct proc p;
        proc_init(&p, f->stream);
        r = stdio_end(&s, r, &p, "the exec'd process");
        if (r < 0)
                return r;
        p.pid = pid;
        *slot = p;
        return 0;
}

static void close_stdin(struct proc *p) {
        if (p->in >= 0)
                close(p->in);
        p->in = -1;
        p->in_close_pending = false;
        free(p->q);
        p->q = NULL;
        p->q_len = 0;
}

static int queue_stdin(struct proc *p, const uint8_t *b, size_t n) {
        if (p->in < 0)
                return 0; /* the process closed it, or was never there: the bytes go nowhere, as into a closed pipe */
        if (p->q_len + n > STDIN_QUEUE_MAX)
                return log_fail(-ENOBUFS, "stdin of stream %u: more than %u bytes not yet read", p->stream,
                                STDIN_QUEUE_MAX);
        uint8_t *q = realloc(p->q, p->q_len + n);
        if (!q)
                return -ENOMEM;
        memcpy(q + p->q_len, b, n);
        p->q = q;
        p->q_len += n;
        return 0;
}

static void flush_stdin(struct proc *p) {
        while (p->in >= 0 && p->q_len) {
                ssize_t k = write(p->in, p->q, p->q_len);
                if (k < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return;
                        close_stdin(p); /* EPIPE: nobody reads it any more */
                        return;
                }
                memmove(p->q, p->q + k, p->q_len - (size_t) k);
                p->q_len -= (size_t) k;
        }
        if (p->in >= 0 && p->in_close_pending && !p->q_len)
                close_stdin(p);
}

/* One read of a process's pipe into one frame; -1 at EOF. */
static int pump(struct agent *a, struct proc *p, int *fd, enum vm_frame_type type) {
        static uint8_t buf[VM_FRAME_MAX_PAYLOAD];
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : (close(*fd), *fd = -1, 0);
        if (n == 0) {
                close(*fd);
                *fd = -1;
                return 0;
        }
        return vm_frame_send(a->port, type, p->stream, buf, (size_t) n);
}

static int signal_proc(struct agent *a, uint32_t stream, uint32_t sig, uint32_t flags) {
        struct proc *p = proc_of(a, stream);
        if (!p || p->pid <= 0 || p->exited)
                return log_fail(-ESRCH, stream == VM_STREAM_INIT ? "container \"%s\" is not running"
                                                                 : "the exec'd process is not running",
                                a->id);
        if (sig == 0 || sig >= 65)
                return log_fail(-EINVAL, "invalid signal %u", sig);
        if (stream == VM_STREAM_INIT)
                return container_kill(&a->ctx, a->id, (int) sig, flags & VM_SIGNAL_ALL);
        if (p->cid[0])
                return container_kill(&a->ctx, p->cid, (int) sig, flags & VM_SIGNAL_ALL);
        /* an exec'd process is our child: its pid cannot have been recycled before we reaped it */
        if (flags & VM_SIGNAL_ALL)
                return log_fail(-EINVAL, "SIGNAL to every process applies to the init's stream only");
        return kill(p->pid, (int) sig) < 0 ? log_error_errno(-errno, "signal the exec'd process") : 0;
}

/* A query is answered on its own stream, once (query.c). */
static int answer_query(struct agent *a, const struct vm_frame *f) {
        _cleanup_free_ char *json = NULL;
        const uint8_t *rest;
        uint32_t rest_len;
        int r = agent_query(&a->ctx, target_of(a, f, &rest, &rest_len), f, &json);
        if (r < 0 || !json)
                return reply(a, f->stream, r, VM_OK);
        return vm_frame_send(a->port, f->type == VM_STATS ? VM_STATS_REPLY : VM_PS_REPLY, f->stream, json,
                             strlen(json));
}

static int handle(struct agent *a, const struct vm_frame *f) {
        int r;
        /* frames about a process that is gone (its EXIT crossed them) go nowhere */
        struct proc *p = proc_of(a, f->stream);
        switch (f->type) {
        case VM_CREATE:
                r = create_container(a, f);
                return reply(a, f->stream, r, VM_CREATED);
        case VM_START:
                if (f->stream == VM_STREAM_INIT && a->procs[0].used && a->procs[0].pid > 0)
                        r = container_start(&a->ctx, a->id);
                else if (p && p->cid[0] && p->pid > 0 && !p->exited)
                        r = container_start(&a->ctx, p->cid);
                else
                        r = log_fail(-ENOENT, "no container to start");
                return reply(a, f->stream, r, VM_STARTED);
        case VM_ADD:
                r = add_container(a, f);
                return reply(a, f->stream, r, VM_CREATED);
        case VM_EXEC:
                r = exec_process(a, f);
                return reply(a, f->stream, r, VM_STARTED);
        case VM_SIGNAL:
                r = signal_proc(a, f->stream, vm_get_u32(f->payload), vm_get_u32(f->payload + 4));
                return reply(a, f->stream, r, VM_OK);
        case VM_STDIN:
                if (!p)
                        return 0;
                r = queue_stdin(p, f->payload, f->len);
                flush_stdin(p);
                return r < 0 ? reply(a, f->stream, r, VM_OK) : 0;
        case VM_STDIN_CLOSE:
                if (p) {
                        p->in_close_pending = true;
                        flush_stdin(p);
                }
                return 0;
        case VM_RESIZE: {
                struct winsize ws = {.ws_row = (unsigned short) vm_get_u32(f->payload),
                                     .ws_col = (unsigned short) vm_get_u32(f->payload + 4)};
                if (p && p->pty >= 0)
                        ioctl(p->pty, TIOCSWINSZ, &ws);
                return 0;
        }
        case VM_STATS:
        case VM_PS:
        case VM_UPDATE:
        case VM_PAUSE:
        case VM_RESUME:
                return answer_query(a, f);
        case VM_SHUTDOWN:
                sync();
                reboot(RB_POWER_OFF);
                return -errno;
        default:
                return vm_send_error(a->port, f->stream, -EPROTO, "unexpected frame");
        }
}

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void reap(struct agent *a) {
        int status;
        pid_t pid;
        /* PID 1 of the guest: every orphan ends up here */
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                for (size_t i = 0; i < MAX_PROCS; i++) {
                        struct proc *p = &a->procs[i];
                        if (p->used && p->pid == pid && !p->exited) {
                                p->exited = true;
                                p->status = status;
                                p->drain_deadline = now_ms() + DRAIN_MS;
                        }
                }
}

/* EXIT for every process that exited and whose output is drained (to EOF,
 * or for at most DRAIN_MS when something else still holds its pipes). */
static int report_exits(struct agent *a, long long *next_deadline) {
        *next_deadline = 0;
        for (size_t i = 0; i < MAX_PROCS; i++) {
                struct proc *p = &a->procs[i];
                if (!p->used || !p->exited)
                        continue;
                if ((p->out >= 0 || p->err >= 0) && now_ms() < p->drain_deadline) {
                        if (!*next_deadline || p->drain_deadline < *next_deadline)
                                *next_deadline = p->drain_deadline;
                        continue;
                }
                uint8_t st[4];
                vm_put_u32(st, (uint32_t) p->status);
                int r = vm_frame_send(a->port, VM_EXIT, p->stream, st, 4);
                if (r < 0)
                        return log_error_errno(r, "send EXIT to the host");
                p->exited = false;
                p->pid = -1;
                if (p->stream == VM_STREAM_INIT)
                        continue; /* reported: the container stays until SHUTDOWN (or the host's kill) */
                if (p->cid[0])
                        remove_container(a, p->cid);
                proc_release(p);
        }
        return 0;
}

int agent_serve(int port) {
        static struct agent a;
        a = (struct agent){
                .ctx = {.root = AGENT_STATE_ROOT, .log = {.fd = -1, .forward_fd = -1}, .sandbox = SANDBOX_NONE},
                .port = port,
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
        for (;;) {
                long long deadline;
                r = report_exits(&a, &deadline);
                if (r < 0)
                        return r;
                /* the port, the signalfd, then per process: stdout, stderr, stdin */
                struct pollfd pf[2 + 3 * MAX_PROCS];
                struct proc *of[2 + 3 * MAX_PROCS];
                nfds_t n = 0;
                pf[n++] = (struct pollfd){.fd = port, .events = POLLIN};
                pf[n++] = (struct pollfd){.fd = a.sigfd, .events = POLLIN};
                for (size_t i = 0; i < MAX_PROCS; i++) {
                        struct proc *p = &a.procs[i];
                        if (!p->used)
                                continue;
                        of[n] = p;
                        pf[n++] = (struct pollfd){.fd = p->out, .events = POLLIN};
                        of[n] = p;
                        pf[n++] = (struct pollfd){.fd = p->err, .events = POLLIN};
                        of[n] = p;
                        pf[n++] = (struct pollfd){.fd = p->q_len ? p->in : -1, .events = POLLOUT};
                }
                int timeout = -1;
                if (deadline) {
                        long long left = deadline - now_ms();
                        timeout = left < 0 ? 0 : (int) left;
                }
                if (poll(pf, n, timeout) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(-errno, "poll");
                }
                /* output before the exit status, and before new requests */
                for (nfds_t i = 2; i < n; i += 3) {
                        struct proc *p = of[i];
                        if (pf[i].revents && p->out >= 0 && (r = pump(&a, p, &p->out, VM_STDOUT)) < 0)
                                return r;
                        if (pf[i + 1].revents && p->err >= 0 && (r = pump(&a, p, &p->err, VM_STDERR)) < 0)
                                return r;
                        if (pf[i + 2].revents)
                                flush_stdin(p);
                }
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
