/* SPDX-License-Identifier: MIT */
#include "linux/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/idmap.h"
#include "linux/intelrdt.h"
#include "log.h"
#include "sync.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

void spawn_abort(pid_t pid) {
        if (pid <= 0)
                return;
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

static int write_time_offsets(const struct spawn_config *c) {
        char buf[128];
        snprintf(buf, sizeof buf, "monotonic %lld %u\nboottime %lld %u\n", (long long) c->monotonic_secs,
                 c->monotonic_nsecs, (long long) c->boottime_secs, c->boottime_nsecs);
        _cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
                return log_error_errno(-errno, "write linux.timeOffsets to /proc/self/timens_offsets");
        return 0;
}

static const char *ns_name(int type) {
        const char *n = oci_namespace_to_name(type);
        return n ? n : "?";
}

/* Stage 1: never returns. */
static _Noreturn void stage1(const struct spawn_config *c, int sync_fd) {
        int r;
        for (size_t i = 0; i < c->n_close_fds; i++)
                close(c->close_fds[i]);
        /* Until execve we hold host fds and privileges: the container's
         * processes must not ptrace us or open our /proc files
         * (CVE-2016-9962).  execve of the user's program resets this. */
        prctl(PR_SET_DUMPABLE, 0);
        log_forward_to(sync_fd);
        /* If cocoon dies mid-way, nothing may be left half set up. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        r = sync_expect(sync_fd, SYNC_GO, NULL);
        if (r < 0)
                _exit(1);

        /* The user namespace first: the capabilities it grants are what
         * permit joining the namespaces it owns. */
        for (size_t pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < c->n_join; i++) {
                        bool is_user = c->join[i].type == CLONE_NEWUSER;
                        if (is_user != (pass == 0))
                                continue;
                        if (setns(c->join[i].fd, c->join[i].type) < 0) {
                                log_error_errno(-errno, "join %s namespace", ns_name(c->join[i].type));
                                _exit(1);
                        }
                        close(c->join[i].fd);
                }

        if (c->new_flags & CLONE_NEWUSER) {
                if (unshare(CLONE_NEWUSER) < 0) {
                        log_error_errno(-errno, "create user namespace");
                        _exit(1);
                }
                /* unsharing a user namespace clears the parent-death signal's
                 * owner credentials check; set it again */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (sync_send(sync_fd, SYNC_USERMAP, 0) < 0 || sync_expect(sync_fd, SYNC_GO, NULL) < 0)
                        _exit(1);
                /* Become the namespace's root so that what we create (mounts,
                 * device nodes, the pty) is owned by the mapped root. */
                if (setgroups(0, NULL) < 0 && errno != EPERM) {
                        log_error_errno(-errno, "setgroups in the new user namespace");
                        _exit(1);
                }
                if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
                        log_error_errno(-errno, "become root in the new user namespace (is uid/gid 0 mapped?)");
                        _exit(1);
                }
                prctl(PR_SET_PDEATHSIG, SIGKILL);
        }

        int rest = c->new_flags & ~CLONE_NEWUSER;
        if (rest && unshare(rest) < 0) {
                log_error_errno(-errno, "create namespaces (flags 0x%x)", rest);
                _exit(1);
        }
        if (c->time_offsets && write_time_offsets(c) < 0)
                _exit(1);

        /* Stage 2 shares the sync socket and must not speak before the
         * parent has its pid: it waits for EOF on this gate, which it gets
         * when we exit after sending SYNC_PID. */
        int gate[2];
        if (pipe2(gate, O_CLOEXEC) < 0) {
                log_error_errno(-errno, "pipe");
                _exit(1);
        }
        /* CLONE_PARENT: stage 2 becomes cocoon's child, not ours. */
        pid_t pid = (pid_t) syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid < 0) {
                log_error_errno(-errno, "clone container process");
                _exit(1);
        }
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(gate[1]);
                char b;
                while (read(gate[0], &b, 1) < 0 && errno == EINTR)
                        ;
                close(gate[0]);
                c->stage2(c->arg, sync_fd);
                _exit(1);
        }
        close(gate[0]);
        if (sync_send(sync_fd, SYNC_PID, pid) < 0) {
                kill(pid, SIGKILL);
                _exit(1);
        }
        _exit(0);
}

int spawn_process(const struct spawn_config *c, pid_t *ret_pid, int *ret_sync_fd) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return log_error_errno(-errno, "socketpair");
        _cleanup_close_ int parent_fd = sv[0];

        pid_t s1 = fork();
        if (s1 < 0) {
                close(sv[1]);
                return log_error_errno(-errno, "fork");
        }
        if (s1 == 0) {
                close(sv[0]);
                stage1(c, sv[1]);
        }
        close(sv[1]);

        pid_t s2 = -1;
        int r;
        if (c->cgroup) {
                r = cgroup_enter(c->cgroup, s1);
                if (r < 0)
                        goto fail;
        }
        if (c->resctrl_group) {
                r = intelrdt_join(c->resctrl_group, s1);
                if (r < 0)
                        goto fail;
        }
        r = sync_send(parent_fd, SYNC_GO, 0);
        if (r < 0)
                goto fail;
        for (;;) {
                struct sync_msg m;
                r = sync_recv(parent_fd, &m);
                if (r < 0) {
                        r = log_error_errno(r, "container set-up process died");
                        goto fail;
                }
                if (m.type == SYNC_WARNING) {
                        log_warn("%s", m.msg);
                        continue;
                }
                if (m.type == SYNC_ERROR) {
                        r = log_error_raw(m.value, m.msg);
                        goto fail;
                }
                if (m.type == SYNC_USERMAP) {
                        r = idmap_write_map(s1, "uid_map", c->uid_map, c->n_uid_map, "linux.uidMappings");
                        if (r >= 0)
                                r = idmap_write_map(s1, "gid_map", c->gid_map, c->n_gid_map, "linux.gidMappings");
                        if (r >= 0)
                                r = sync_send(parent_fd, SYNC_GO, 0);
                        if (r < 0)
                                goto fail;
                        continue;
                }
                if (m.type == SYNC_PID) {
                        s2 = m.value;
                        break;
                }
                r = log_error_errno(-EPROTO, "unexpected message %d from the container set-up process", m.type);
                goto fail;
        }
        log_debug("spawned pid %d (new namespaces 0x%x, %zu joined)", s2, (unsigned) c->new_flags, c->n_join);
        int status;
        while (waitpid(s1, &status, 0) < 0 && errno == EINTR)
                ;
        *ret_pid = s2;
        *ret_sync_fd = TAKE_FD(parent_fd);
        return 0;
fail:
        spawn_abort(s1);
        spawn_abort(s2);
        return r;
}

int spawn_join_namespaces_of(pid_t pid, struct spawn_config *c) {
        static const struct {
                const char *name;
                int type;
        } all[] = {
                {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},
                {"net", CLONE_NEWNET},   {"pid", CLONE_NEWPID},       {"cgroup", CLONE_NEWCGROUP},
                {"time", CLONE_NEWTIME}, {"mnt", CLONE_NEWNS},
        };
        for (size_t i = 0; i < ELEMENTSOF(all); i++) {
                char theirs[64], ours[64];
                snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", pid, all[i].name);
                snprintf(ours, sizeof ours, "/proc/self/ns/%s", all[i].name);
                struct stat a, b;
                if (stat(theirs, &a) < 0) {
                        if (errno == ENOENT && all[i].type == CLONE_NEWTIME)
                                continue; /* kernel without time namespaces */
                        return log_error_errno(-errno, "stat %s", theirs);
                }
                if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
                        continue;
                int fd = open(theirs, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return log_error_errno(-errno, "open %s", theirs);
                if (c->n_join == ELEMENTSOF(c->join)) {
                        close(fd);
                        return -E2BIG;
                }
                c->join[c->n_join++] = (struct spawn_join){.type = all[i].type, .fd = fd};
        }
        return 0;
}
