/* SPDX-License-Identifier: MIT */
/*
 * The floors under any seccomp-user-notification sandbox, for
 * bench/syscalls.sh: runs bench/syscalls.c chrooted into the bench's rootfs
 * with a filter that sends exactly the calls cocoon's Sentry handles among
 * the bench's ops (open/openat, the stat family, execve) to this process.
 * Every other call is allowed.
 *
 *   notify_floor -m continue ROOTFS PROGRAM [ARGS...]
 *   notify_floor -m answer ROOTFS PROGRAM [ARGS...]
 * (the columns notify-continue and notify-answer)
 *
 * continue: each notification is answered with
 *   SECCOMP_USER_NOTIF_FLAG_CONTINUE at once (no argument read, no check):
 *   one round trip plus the host kernel doing the call itself in the
 *   program's context, path walk included.  The least any Sentry on this
 *   mechanism can cost; reaching it means letting the host kernel walk the
 *   workload's paths, which the boundary (DESIGN.md section 3) forbids.
 * answer: what a Sentry that performs the call itself cannot go below, with
 *   a perfect cache: the path copied out (process_vm_readv), the id checked
 *   (NOTIF_ID_VALID), then from a descriptor of the parent directory held
 *   since the first call on that path (no walk, no credential check): stat
 *   is one statx written back with process_vm_writev; a read-only open is
 *   one openat of the last component installed with ADDFD+SEND.
 *   execve and fstat (an empty path) are continued, as the Sentry does.
 *   (For open this measured slower than the Sentry itself on a quiet host,
 *   so it is no floor there: bench/README.md.)
 *
 * Both set SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, as the Sentry does.  Exits
 * with the program's status (128+N for a signal).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* cocoon's (built with -iquote src by bench/syscalls.sh) */
#include "linux/seccomp_abi.h"
#include "linux/statx_stat.h"

static void die(const char *what) {
  fprintf(stderr, "notify_floor: %s: %s\n", what, strerror(errno));
  exit(125);
}

/* The calls the Sentry handles among bench/syscalls.c's ops
 * (src/sentry/syscalls.def). */
static const int notified[] = {
    SYS_open,       SYS_openat, SYS_stat,   SYS_lstat,
    SYS_newfstatat, SYS_statx,  SYS_execve, SYS_execveat,
};
#define N_NOTIFIED (sizeof notified / sizeof notified[0])

static int install_filter(void) {
  struct sock_filter f[4 + 2 * N_NOTIFIED + 2];
  size_t n = 0;
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                        offsetof(struct seccomp_data, arch));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                        AUDIT_ARCH_X86_64, 1, 0);
  f[n++] =
      (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                        offsetof(struct seccomp_data, nr));
  for (size_t i = 0; i < N_NOTIFIED; i++) {
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                          (unsigned)notified[i], 0, 1);
    f[n++] =
        (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
  }
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                      SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static void send_fd(int sock, int fd) {
  char c = 0;
  struct iovec iov = {.iov_base = &c, .iov_len = 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } u = {0};
  struct msghdr m = {.msg_iov = &iov,
                     .msg_iovlen = 1,
                     .msg_control = u.buf,
                     .msg_controllen = sizeof u.buf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  if (sendmsg(sock, &m, 0) != 1)
    die("sendmsg");
}

static int recv_fd(int sock) {
  char c;
  struct iovec iov = {.iov_base = &c, .iov_len = 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  struct msghdr m = {.msg_iov = &iov,
                     .msg_iovlen = 1,
                     .msg_control = u.buf,
                     .msg_controllen = sizeof u.buf};
  if (recvmsg(sock, &m, 0) != 1)
    return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  if (!cm || cm->cmsg_type != SCM_RIGHTS)
    return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}

/* ---- answer mode
 * ---------------------------------------------------------------------------
 */

/* Parent directories held per path: the bench's few paths, a perfect
 * dentry cache. */
#define N_HELD 16
static struct {
  char path[256];
  int dir_fd;
  const char *name; /* into path */
} held[N_HELD];
static int n_held, root_fd = -1;

static int held_dir(const char *path, const char **name) {
  for (int i = 0; i < n_held; i++)
    if (strcmp(held[i].path, path) == 0) {
      *name = held[i].name;
      return held[i].dir_fd;
    }
  const char *slash = strrchr(path, '/');
  if (!slash || slash[1] == 0 || n_held == N_HELD ||
      strlen(path) >= sizeof held[0].path)
    return -1;
  char dir[256];
  snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT};
  int fd =
      (int)syscall(SYS_openat2, root_fd, dir[0] ? dir : "/", &how, sizeof how);
  if (fd < 0)
    return -1;
  strcpy(held[n_held].path, path);
  held[n_held].dir_fd = fd;
  held[n_held].name = held[n_held].path + (slash + 1 - path);
  *name = held[n_held].name;
  return held[n_held++].dir_fd;
}

/* Answers req itself when it can; false: continue it. */
static bool answer(int l, const struct seccomp_notif *req,
                   struct seccomp_notif_resp *resp) {
  int nr = req->data.nr;
  uint64_t path_addr, stat_addr = 0;
  int flags = 0;
  switch (nr) {
  case SYS_newfstatat:
    if (req->data.args[3] & ~(uint64_t)AT_NO_AUTOMOUNT)
      return false; /* AT_EMPTY_PATH (fstat), AT_SYMLINK_NOFOLLOW: not the
                       bench's stat */
    path_addr = req->data.args[1], stat_addr = req->data.args[2];
    break;
  case SYS_stat:
    path_addr = req->data.args[0], stat_addr = req->data.args[1];
    break;
  case SYS_openat:
    if ((int)req->data.args[0] != AT_FDCWD)
      return false;
    path_addr = req->data.args[1], flags = (int)req->data.args[2];
    break;
  case SYS_open:
    path_addr = req->data.args[0], flags = (int)req->data.args[1];
    break;
  default:
    return false;
  }
  if ((flags & O_ACCMODE) != O_RDONLY ||
      flags & (O_CREAT | O_TRUNC | O_TMPFILE | O_PATH))
    return false;
  char path[256];
  struct iovec local = {.iov_base = path, .iov_len = sizeof path};
  struct iovec remote = {.iov_base = (void *)(uintptr_t)path_addr,
                         .iov_len = sizeof path};
  /* (a path near the end of a mapping would fault: the bench's do not) */
  if (process_vm_readv((pid_t)req->pid, &local, 1, &remote, 1, 0) !=
          (ssize_t)sizeof path ||
      !memchr(path, 0, sizeof path) || path[0] != '/')
    return false;
  __u64 id = req->id;
  if (ioctl(l, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
    return true; /* the caller is gone */
  const char *name;
  int dir_fd = held_dir(path, &name);
  if (dir_fd < 0)
    return false;
  memset(resp, 0, sizeof *resp);
  resp->id = req->id;
  if (stat_addr) {
    struct statx x;
    struct stat st;
    if (statx(dir_fd, name, 0, STATX_BASIC_STATS, &x) < 0) {
      resp->error = -errno;
    } else {
      statx_to_stat(&x, &st);
      struct iovec lo = {.iov_base = &st, .iov_len = sizeof st};
      struct iovec re = {.iov_base = (void *)(uintptr_t)stat_addr,
                         .iov_len = sizeof st};
      if (process_vm_writev((pid_t)req->pid, &lo, 1, &re, 1, 0) !=
          (ssize_t)sizeof st)
        resp->error = -EFAULT;
    }
    if (ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
      die("SECCOMP_IOCTL_NOTIF_SEND");
    return true;
  }
  int fd = openat(dir_fd, name, flags | O_CLOEXEC);
  if (fd < 0) {
    resp->error = -errno;
    if (ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
      die("SECCOMP_IOCTL_NOTIF_SEND");
    return true;
  }
  struct seccomp_notif_addfd add = {
      .id = req->id,
      .flags = SECCOMP_ADDFD_FLAG_SEND,
      .srcfd = (__u32)fd,
      .newfd_flags = (__u32)(flags & O_CLOEXEC),
  };
  if (ioctl(l, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno != ENOENT)
    die("SECCOMP_IOCTL_NOTIF_ADDFD");
  close(fd);
  return true;
}

static bool answering;

static void *serve(void *arg) {
  int l = *(int *)arg;
  struct seccomp_notif_sizes sz;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
    die("SECCOMP_GET_NOTIF_SIZES");
  struct seccomp_notif *req = calloc(
      1, sz.seccomp_notif > sizeof *req ? sz.seccomp_notif : sizeof *req);
  struct seccomp_notif_resp *resp =
      calloc(1, sz.seccomp_notif_resp > sizeof *resp ? sz.seccomp_notif_resp
                                                     : sizeof *resp);
  if (!req || !resp)
    die("calloc");
  for (;;) {
    memset(req, 0, sz.seccomp_notif);
    if (ioctl(l, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
      if (errno == EINTR ||
          errno == ENOENT) /* ENOENT: the caller died meanwhile */
        continue;
      die("SECCOMP_IOCTL_NOTIF_RECV");
    }
    if (answering && answer(l, req, resp))
      continue;
    memset(resp, 0, sz.seccomp_notif_resp);
    resp->id = req->id;
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    /* ENOENT: the caller was interrupted meanwhile, nothing to answer */
    if (ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
      die("SECCOMP_IOCTL_NOTIF_SEND");
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[1], "-m") != 0 ||
      (strcmp(argv[2], "continue") != 0 && strcmp(argv[2], "answer") != 0)) {
    fprintf(
        stderr,
        "usage: notify_floor -m continue|answer ROOTFS PROGRAM [ARGS...]\n");
    return 2;
  }
  answering = strcmp(argv[2], "answer") == 0;
  const char *rootfs = argv[3];
  char **prog = argv + 4;
  root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    die(rootfs);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    die("socketpair");
  pid_t pid = fork();
  if (pid < 0)
    die("fork");
  if (pid == 0) {
    close(sv[0]);
    if (chroot(rootfs) < 0 || chdir("/") < 0)
      die("chroot");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
      die("no_new_privs");
    int l = install_filter();
    if (l < 0)
      die("seccomp");
    send_fd(sv[1], l);
    close(l);
    close(sv[1]);
    /* the execve itself is the first notification */
    execv(prog[0], prog);
    die("execv");
  }
  close(sv[1]);
  int l = recv_fd(sv[0]);
  if (l < 0)
    die("receiving the listener");
  /* as the Sentry does (src/sentry/notify.c); a kernel without it pays more per
   * trip */
  if (ioctl(l, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
            (__u64)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0)
    fprintf(stderr, "notify_floor: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: %s\n",
            strerror(errno));

  /* The server is a thread blocked in NOTIF_RECV, as the Sentry's
   * workers are (a poll() first would forgo the synchronous wake-up);
   * the main thread waits for the program and ends the process. */
  static int listener;
  listener = l;
  pthread_t t;
  if ((errno = pthread_create(&t, NULL, serve, &listener)) != 0)
    die("pthread_create");
  int st;
  if (waitpid(pid, &st, 0) < 0)
    die("waitpid");
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
