/* SPDX-License-Identifier: MIT */
/*
 * A Kubernetes pod under the vm sandbox is one VM, as with Kata: the pod's
 * sandbox (pause) container boots it, and each other container of the pod
 * is made inside that VM by its agent (docs/vm.md, "Pods").
 *
 * containerd's CRI marks them with annotations: the pause container has
 * io.kubernetes.cri.container-type=sandbox, the others "container" and
 * io.kubernetes.cri.sandbox-id=<the pause's id>; they join the pause's
 * IPC, UTS and network namespaces (and its pid namespace for
 * shareProcessNamespace) by path.
 *
 *  - The pause's QEMU shares <its state>/pod with the guest (tag "pod").
 *  - A member's rootfs and bind-mount sources are bind-mounted on the
 *    host under <pause state>/pod/<id>/ (rootfs, m<i>), read-only where
 *    the config says, where QEMU's 9p server finds them; delete unmounts
 *    them.
 *  - Its pid is a stand-in P (as `cocoon exec`'s, vm.c), a child of
 *    create: P sends ADD through the pause's monitor, relays `start` and
 *    signals, and exits as the container's init did.  exec, events, ps,
 *    update, pause and resume reach the pause's monitor through the
 *    symlink vmexec.sock in the member's state directory, their frames
 *    naming the member as their target.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "runtime/sandbox.h"
#include "sandbox/sentry_sandbox.h"
#include "sandbox/vm_sandbox.h"
#include "sync.h"
#include "util.h"
#include "vm/protocol.h"
#include "vm/vm.h"

#define CRI_TYPE "io.kubernetes.cri.container-type"
#define CRI_SANDBOX "io.kubernetes.cri.sandbox-id"

static const char *annotation(const struct oci_spec *spec, const char *key) {
        return json_string_value(json_object_get(spec->annotations, key));
}

bool vm_pod_is_sandbox(const struct oci_spec *spec) {
        const char *t = annotation(spec, CRI_TYPE);
        return t && !strcmp(t, "sandbox");
}

const char *vm_pod_sandbox_of(const struct oci_spec *spec) {
        const char *t = annotation(spec, CRI_TYPE), *sb = annotation(spec, CRI_SANDBOX);
        return t && !strcmp(t, "container") && sb && *sb ? sb : NULL;
}

int vm_pod_share(const struct sandbox_create *sc, struct vm_plan *plan) {
        if (mkdirat(sc->lock_fds[0], VM_POD_SHARE, 0700) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "mkdir %s of container \"%s\"", VM_POD_SHARE, sc->id);
        _cleanup_free_ char *path = strdup_printf("%s/%s/%s", sc->ctx->root, sc->id, VM_POD_SHARE);
        if (!path)
                return -ENOMEM;
        plan->pod_dir = realpath(path, NULL);
        if (!plan->pod_dir)
                return log_error_errno(-errno, "%s", path);
        return 0;
}

/*
 * The guest can write to the share (the pod's containers' volumes are in
 * it), so it can make or swap entries of the share's own directories at
 * any time: every path below the share is walked here from a directory fd
 * of ours, never through a symlink (O_NOFOLLOW), and mount(2) and
 * umount2(2) are pointed at /proc/self/fd/N of what was opened, as
 * src/linux/mounts.c does in a rootfs.
 */

/* A member's directory of the share (`name` below `share`), its mounts
 * undone: each entry is a mount point of ours (rootfs, m<i>), detached,
 * then removed; whatever else the guest left is removed when empty (the
 * state directory's removal takes the rest). */
static void member_dir_remove(int share, const char *name) {
        _cleanup_close_ int dir = openat(share, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir < 0) {
                /* not a directory of ours: the guest's, removed itself, never followed */
                if (errno == ELOOP || errno == ENOTDIR)
                        (void) unlinkat(share, name, 0);
                return;
        }
        int dup_fd = fcntl(dir, F_DUPFD_CLOEXEC, 3);
        _cleanup_closedir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        if (!d) {
                if (dup_fd >= 0)
                        close(dup_fd);
                return;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                char p[64 + sizeof e->d_name];
                snprintf(p, sizeof p, "/proc/self/fd/%d/%s", dir, e->d_name);
                while (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                        ; /* (a bind over a bind: each layer) */
                if (unlinkat(dir, e->d_name, 0) < 0 && errno == EISDIR)
                        (void) unlinkat(dir, e->d_name, AT_REMOVEDIR);
        }
        if (unlinkat(share, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                log_warn("vm: remove %s of the pod's share: %s", name, strerror(errno));
}

void vm_pod_share_remove(int dirfd) {
        _cleanup_close_ int share = openat(dirfd, VM_POD_SHARE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (share < 0)
                return;
        int dup_fd = fcntl(share, F_DUPFD_CLOEXEC, 3);
        _cleanup_closedir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        if (!d) {
                if (dup_fd >= 0)
                        close(dup_fd);
                return;
        }
        struct dirent *e;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        member_dir_remove(share, e->d_name);
        (void) unlinkat(dirfd, VM_POD_SHARE, AT_REMOVEDIR);
}

/* The record is the pod sandbox's state directory (written by create below). */
static int open_share_of(const char *pause_dir) {
        _cleanup_close_ int pause = open(pause_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return pause < 0 ? -1 : openat(pause, VM_POD_SHARE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

void vm_pod_member_remove(int dirfd, const char *id) {
        _cleanup_free_ char *rec = NULL;
        size_t len;
        if (read_file_at(dirfd, VM_POD_MEMBER_FILE, &rec, &len) < 0)
                return;
        rec[strcspn(rec, "\n")] = 0;
        _cleanup_close_ int share = rec[0] == '/' ? open_share_of(rec) : -1;
        if (share >= 0)
                member_dir_remove(share, id);
        (void) unlinkat(dirfd, VM_POD_MEMBER_FILE, 0);
}

/* `what` bind-mounted on `name` below `dir` (made: a directory, or an empty
 * file for a file), recursively when asked, read-only when asked. */
static int bind_into(const char *what, int dir, const char *name, bool rec, bool ro, const char *field) {
        struct stat st, made;
        if (stat(what, &st) < 0)
                return log_error_errno(-errno, "%s: %s", field, what);
        if (S_ISDIR(st.st_mode)) {
                if (mkdirat(dir, name, 0755) < 0)
                        return log_error_errno(-errno, "%s: mkdir %s in the pod's share", field, name);
        } else {
                int fd = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (fd < 0)
                        return log_error_errno(-errno, "%s: create %s in the pod's share", field, name);
                close(fd);
        }
        _cleanup_close_ int target = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (target < 0 || fstat(target, &made) < 0)
                return log_error_errno(-errno, "%s: open %s in the pod's share", field, name);
        if (S_ISDIR(made.st_mode) != S_ISDIR(st.st_mode) || S_ISLNK(made.st_mode))
                return log_fail(-EXDEV, "%s: %s in the pod's share changed under us", field, name);
        char p[64];
        snprintf(p, sizeof p, "/proc/self/fd/%d", target);
        if (mount(what, p, NULL, MS_BIND | (rec ? MS_REC : 0), NULL) < 0)
                return log_error_errno(-errno, "%s: bind %s into the pod's share", field, what);
        if (!ro)
                return 0;
        /* the mount's root now: a mount point cannot be renamed or removed
         * (EBUSY), so the name holds it */
        _cleanup_close_ int root = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (root < 0)
                return log_error_errno(-errno, "%s: open %s in the pod's share", field, name);
        snprintf(p, sizeof p, "/proc/self/fd/%d", root);
        if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                return log_error_errno(-errno, "%s: make %s read-only", field, what);
        return 0;
}

struct member {
        const struct sandbox_create *sc;
        int pause_dirfd; /* O_PATH: its vmexec.sock */
        char *config;    /* the ADD payload's config.json */
        int tty;         /* process.terminal: the raw slave of our pty (its master went to the console socket) */
};

/* The namespaces a member gives by path must be the pause's: the agent
 * joins the pause's own in the guest instead (what a path names on the
 * host is not in the VM). */
static int check_namespaces(const struct sandbox_create *sc, const char *sbid, pid_t pause) {
        static const struct {
                int type;
                const char *name;
        } joinable[] = {{CLONE_NEWIPC, "ipc"}, {CLONE_NEWUTS, "uts"}, {CLONE_NEWNET, "net"}, {CLONE_NEWPID, "pid"}};
        for (size_t i = 0; i < sc->spec->linux.n_namespaces; i++) {
                const struct oci_namespace *ns = &sc->spec->linux.namespaces[i];
                if (!ns->path)
                        continue;
                size_t k = 0;
                while (k < ELEMENTSOF(joinable) && joinable[k].type != ns->type)
                        k++;
                if (k == ELEMENTSOF(joinable))
                        return log_fail(-EOPNOTSUPP,
                                        "config.json: linux.namespaces[%zu].path: only the pod's IPC, UTS, network "
                                        "and pid namespaces can be joined inside its VM (--sandbox=vm)",
                                        i);
                char own[64];
                snprintf(own, sizeof own, "/proc/%d/ns/%s", (int) pause, joinable[k].name);
                struct stat a, b;
                if (stat(ns->path, &a) < 0)
                        return log_error_errno(-errno, "config.json: linux.namespaces[%zu].path %s", i, ns->path);
                if (stat(own, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                        return log_fail(-EOPNOTSUPP,
                                        "config.json: linux.namespaces[%zu].path: %s is not a namespace of the pod's "
                                        "sandbox container \"%s\": a host namespace cannot be joined from inside a "
                                        "VM (--sandbox=vm)",
                                        i, ns->path, sbid);
        }
        return 0;
}

/* The member's mounts under <share>/<id>, and the config the agent gets. */
static int share_member(const struct sandbox_create *sc, int share, char **ret_config) {
        const struct oci_spec *spec = sc->spec;
        if (mkdirat(share, sc->id, 0755) < 0)
                return log_error_errno(-errno, "mkdir %s in the pod's share", sc->id);
        _cleanup_close_ int dir = openat(share, sc->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir < 0)
                return log_error_errno(-errno, "open %s in the pod's share", sc->id);
        int r = bind_into(sc->rootfs, dir, "rootfs", true, spec->root_readonly, "root.path");
        if (r < 0)
                return r;
        _cleanup_(json_decrefp) json_t *doc = json_deep_copy(spec->json);
        if (!doc)
                return -ENOMEM;
        json_t *mounts = json_object_get(doc, "mounts");
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct oci_mount *om = &spec->mounts[i];
                if (!(om->bind || (om->type && !strcmp(om->type, "bind"))) || !om->source)
                        continue;
                char field[64], name[32], guest[PATH_MAX];
                snprintf(field, sizeof field, "mounts[%zu]", i);
                snprintf(name, sizeof name, "m%zu", i);
                r = bind_into(om->source, dir, name, om->flags & MS_REC, om->flags & MS_RDONLY, field);
                if (r < 0)
                        return r;
                snprintf(guest, sizeof guest, "/run/pod/%s/%s", sc->id, name);
                json_object_set_new(json_array_get(mounts, i), "source", json_string(guest));
        }
        /* they ran on the host, or are refused (vm.c) */
        json_object_del(doc, "hooks");
        *ret_config = json_dumps(doc, JSON_COMPACT);
        return *ret_config ? 0 : -ENOMEM;
}

/* ADD with our stdio; the monitor's answer (CREATED or the error line). */
static int add(struct member *m, int conn) {
        const char *id = m->sc->id;
        size_t idlen = strlen(id) + 1, clen = strlen(m->config);
        if (4 + idlen + clen > VM_FRAME_MAX_PAYLOAD)
                return log_fail(-E2BIG, "vm: config.json of container \"%s\" is larger than %u bytes", id,
                                VM_FRAME_MAX_PAYLOAD - 4 - (unsigned) idlen);
        uint8_t h[VM_FRAME_HEADER], flags[4];
        vm_frame_header(h, VM_ADD, VM_STREAM_UNASSIGNED, (uint32_t) (4 + idlen + clen));
        vm_put_u32(flags, m->tty >= 0 ? VM_CREATE_TERMINAL : 0);
        int fds[3] = {0, 1, 2};
        if (m->tty >= 0)
                fds[0] = fds[1] = fds[2] = m->tty;
        struct iovec iov[4] = {{h, sizeof h}, {flags, 4}, {(void *) id, idlen}, {m->config, clen}};
        ssize_t n = send_iov_with_fds(conn, iov, 4, fds, 3);
        if (n < 0)
                return log_error_errno((int) n, "vm: send container \"%s\" to its pod's monitor", id);
        /* as long as a boot may take: the agent answers once the container exists */
        struct timeval tv = {.tv_sec = 180};
        setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        static uint8_t buf[VM_FRAME_HEADER + 4 + LOG_FORWARD_MAX];
        while ((n = recv(conn, buf, sizeof buf, 0)) < 0 && errno == EINTR)
                ;
        tv.tv_sec = 0;
        setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        struct vm_frame f;
        size_t used;
        if (n < 0 && errno == EAGAIN)
                return log_fail(-ETIMEDOUT, "vm: the pod's VM did not make container \"%s\" within %ld s", id,
                                (long) 180);
        if (n <= 0)
                return log_fail(-ESRCH, "vm: the pod of container \"%s\" stopped", id);
        if (vm_frame_parse(buf, (size_t) n, &f, &used) != 1 || (f.type != VM_CREATED && f.type != VM_ERROR))
                return log_fail(-EPROTO, "vm: container \"%s\": unexpected answer from its pod's monitor", id);
        if (f.type == VM_CREATED)
                return 0;
        int err = (int32_t) vm_get_u32(f.payload);
        if (err >= 0 || err < -4095 || err == -EPIPE || err == -EPROTO)
                err = -EIO;
        return log_fail(err, "%.*s", (int) (f.len - 4), (const char *) f.payload + 4);
}

static void start_answer(int *start_conn, const struct vm_frame *f) {
        if (*start_conn < 0)
                return;
        if (f->type == VM_ERROR) {
                /* `cocoon start` reads sync records on this socket (runtime/start.c) */
                struct sync_msg msg = {.type = SYNC_ERROR, .value = (int32_t) vm_get_u32(f->payload)};
                snprintf(msg.msg, sizeof msg.msg, "%.*s", (int) (f->len - 4), (const char *) f->payload + 4);
                (void) !write(*start_conn, &msg, sizeof msg);
        }
        close(*start_conn); /* EOF: started */
        *start_conn = -1;
}

/* P, the member's pid: see the top of the file.  Its signals are relayed
 * as the monitor relays the init's (kill --all rides on sigqueue's value). */
static void member_main(int report_fd, void *arg) {
        struct member *m = arg;
        const struct sandbox_create *sc = m->sc;
        prctl(PR_SET_NAME, "cocoon-vm-pod");
        sigset_t all;
        sigfillset(&all);
        sigdelset(&all, SIGPIPE);
        sigprocmask(SIG_BLOCK, &all, NULL);
        signal(SIGPIPE, SIG_IGN);
        int sigfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sigfd < 0 || sync_expect(report_fd, SYNC_GO, NULL) < 0)
                _exit(1);
        int conn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", m->pause_dirfd, VM_EXEC_SOCK);
        if (conn < 0 || connect(conn, (struct sockaddr *) &sa, sizeof sa) < 0) {
                log_fail(-ESRCH, "vm: the pod of container \"%s\" is not running", sc->id);
                _exit(1);
        }
        if (add(m, conn) < 0)
                _exit(1);
        /* the monitor holds our stdio now: its EOF is the container's */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int i = 0; i < 3 && null >= 0; i++)
                dup2(null, i);
        int listen_fd = sc->exec_listen_fd, start_conn = -1;
        /* our pty's slave is our controlling terminal: the engine's resize
         * of its master reaches us as SIGWINCH, the guest as RESIZE */
        bool resize = false;
        if (m->tty >= 0) {
                if (setsid() < 0 || ioctl(m->tty, TIOCSCTTY, 0) < 0)
                        log_warn("vm: the terminal of container \"%s\": %s; resizes will not reach it", sc->id,
                                 strerror(errno));
                resize = true;
        }
        int keep[] = {report_fd, conn, sigfd, listen_fd, m->tty, log_get_fd()};
        if (null >= 0)
                close(null);
        if (sentry_close_fds_except(3, keep, ELEMENTSOF(keep)) < 0)
                _exit(1);
        prctl(PR_SET_PDEATHSIG, 0);
        if (sync_send(report_fd, SYNC_READY, 0) < 0)
                _exit(1);
        close(report_fd);
        log_forward_to(-1);
        for (;;) {
                if (resize) {
                        struct winsize ws;
                        if (ioctl(m->tty, TIOCGWINSZ, &ws) == 0)
                                (void) vm_send_u32s(conn, VM_RESIZE, VM_STREAM_UNASSIGNED, ws.ws_row, ws.ws_col, 2);
                        resize = false;
                }
                struct pollfd pf[3] = {{.fd = conn, .events = POLLIN},
                                       {.fd = sigfd, .events = POLLIN},
                                       {.fd = listen_fd, .events = POLLIN}};
                if (poll(pf, 3, -1) < 0)
                        continue;
                if (pf[1].revents) {
                        struct signalfd_siginfo si;
                        while (read(sigfd, &si, sizeof si) == (ssize_t) sizeof si)
                                if (si.ssi_signo == SIGWINCH && m->tty >= 0)
                                        resize = true;
                                else if (si.ssi_signo != SIGCHLD)
                                        (void) vm_send_u32s(conn, VM_SIGNAL, VM_STREAM_UNASSIGNED, si.ssi_signo,
                                                            si.ssi_code == SI_QUEUE && si.ssi_int == VM_SIGVAL_ALL
                                                                    ? VM_SIGNAL_ALL
                                                                    : 0,
                                                            2);
                }
                if (pf[2].revents) {
                        int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                        if (c >= 0) {
                                /* one start only; `start` unlinked the socket already */
                                close(listen_fd);
                                listen_fd = -1;
                                start_conn = c;
                                (void) vm_frame_send(conn, VM_START, VM_STREAM_UNASSIGNED, NULL, 0);
                        }
                }
                if (!pf[0].revents)
                        continue;
                uint8_t buf[VM_FRAME_HEADER + 4 + LOG_FORWARD_MAX];
                ssize_t n = recv(conn, buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                struct vm_frame f;
                size_t used;
                if (n > 0 && vm_frame_parse(buf, (size_t) n, &f, &used) == 1) {
                        if (f.type == VM_EXIT)
                                exit_like_status((int) vm_get_u32(f.payload));
                        if (f.type == VM_STARTED || f.type == VM_ERROR)
                                start_answer(&start_conn, &f);
                        continue;
                }
                if (n > 0)
                        continue;
                /* the pod's monitor is gone, and the VM with it */
                log_fail(-EPIPE, "vm: the pod of container \"%s\" stopped; the container is stopped", sc->id);
                exit_like_status(SIGKILL);
        }
}

int vm_pod_create(const struct sandbox_create *sc, const char *sbid, pid_t *ret_pid) {
        for (int k = 0; k < OCI_HOOK_KIND_MAX; k++)
                if (sc->spec->n_hooks[k] && k != OCI_HOOK_POSTSTART && k != OCI_HOOK_POSTSTOP)
                        return log_fail(-EOPNOTSUPP,
                                        "config.json: hooks.%s: not supported for a container of a pod's VM "
                                        "(--sandbox=vm)",
                                        oci_hook_kind_name((enum oci_hook_kind) k));
        _cleanup_free_ char *there = strdup_printf("%s/%s", sc->ctx->root, sbid);
        if (!there)
                return -ENOMEM;
        if (!container_id_valid(sbid) || access(there, F_OK) < 0)
                return log_fail(-ENOENT,
                                "vm: container \"%s\" belongs to pod sandbox \"%s\", which is not a container of "
                                "this --root: a host namespace cannot be joined from inside a VM (--sandbox=vm)",
                                sc->id, sbid);
        _cleanup_(container_closep) struct container *pause = NULL;
        int r = container_open(sc->ctx, sbid, &pause);
        if (r < 0)
                return r;
        enum container_status st = container_status(pause);
        if (!pause->state->sandbox || strcmp(pause->state->sandbox, "vm") ||
            (st != STATUS_RUNNING && st != STATUS_CREATED))
                return log_fail(-EOPNOTSUPP,
                                "vm: container \"%s\" belongs to pod sandbox \"%s\", which is not a running "
                                "--sandbox=vm container: a host namespace cannot be joined from inside a VM",
                                sc->id, sbid);
        r = check_namespaces(sc, sbid, pause->state->pid);
        if (r < 0)
                return r;
        _cleanup_free_ char *guest = NULL;
        size_t glen = 0;
        r = read_file_at(pause->dirfd, VM_GUEST_FILE, &guest, &glen);
        if (r == 0)
                r = write_file_atomic_at(sc->lock_fds[0], VM_GUEST_FILE, guest, glen, 0600);
        if (r < 0)
                return log_error_errno(r, "vm: the size of the VM of pod sandbox \"%s\"", sbid);
        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", pause->dirfd);
        _cleanup_free_ char *pause_dir = realpath(self, NULL);
        _cleanup_free_ char *sock = pause_dir ? strdup_printf("%s/%s", pause_dir, VM_EXEC_SOCK) : NULL;
        if (!sock)
                return -ENOMEM;
        _cleanup_close_ int share = openat(pause->dirfd, VM_POD_SHARE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (share < 0)
                return log_error_errno(-errno, "vm: the share of pod sandbox \"%s\"", sbid);
        /* delete's record first: whatever is made below is undone by it */
        _cleanup_free_ char *rec = strdup_printf("%s\n", pause_dir);
        if (!rec)
                return -ENOMEM;
        r = write_file_atomic_at(sc->lock_fds[0], VM_POD_MEMBER_FILE, rec, strlen(rec), 0600);
        if (r < 0)
                return log_error_errno(r, "write %s of container \"%s\"", VM_POD_MEMBER_FILE, sc->id);
        struct member m = {.sc = sc, .tty = -1};
        _cleanup_free_ char *config = NULL;
        r = share_member(sc, share, &config);
        if (r == 0 && symlinkat(sock, sc->lock_fds[0], VM_EXEC_SOCK) < 0)
                r = log_error_errno(-errno, "symlink %s of container \"%s\"", VM_EXEC_SOCK, sc->id);
        _cleanup_close_ int pause_fd = r == 0 ? openat(pause->dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
        if (r == 0 && pause_fd < 0)
                r = log_error_errno(-errno, "open the state of pod sandbox \"%s\"", sbid);
        /* the pause's lock is not needed to talk to its monitor */
        container_close(TAKE_PTR(pause));
        _cleanup_close_ int tty = -1;
        if (r == 0 && sc->spec->process->terminal)
                r = vm_host_pty(sc->spec->process, sc->console_fd, sc->id, &tty);
        if (r == 0) {
                m.tty = tty;
                m.pause_dirfd = pause_fd;
                m.config = config;
                pid_t pid = -1;
                r = sandbox_keeper_spawn(sc, "the stand-in of the pod's container", member_main, &m, &pid, NULL);
                if (r == 0)
                        *ret_pid = pid;
        }
        if (r < 0)
                vm_pod_member_remove(sc->lock_fds[0], sc->id);
        return r;
}
