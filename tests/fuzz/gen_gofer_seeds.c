/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpus of fuzz_gofer_protocol: one valid request per op,
 * as the client encodes it (gofer_req_encode), with paths that exercise
 * the walk ("..", symlink-ish names, trailing slashes), and a few replies.
 * Run by `make fuzz-seeds`; the output is committed, so it only needs
 * running again when the wire format changes (GOFER_VERSION).
 *
 *   gen_gofer_seeds DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/protocol.h"

static const char *dir;
static uint8_t buf[GOFER_MSG_MAX];

static int save(const char *name, const void *p, size_t n) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        FILE *f = fopen(path, "we");
        if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
                perror(path);
                return -1;
        }
        return 0;
}

static int req(const char *name, struct gofer_req q) {
        int n = gofer_req_encode(&q, buf, sizeof buf);
        if (n < 0) {
                fprintf(stderr, "%s: %s\n", name, strerror(-n));
                return -1;
        }
        return save(name, buf, (size_t) n);
}

static int reply(const char *name, uint32_t op, int32_t result, uint32_t nfds, const void *payload, size_t len) {
        size_t n = gofer_reply_encode(buf, op, result, nfds, payload, len);
        return n ? save(name, buf, n) : -1;
}

int main(int argc, char **argv) {
        if (argc != 2) {
                fprintf(stderr, "usage: %s DIR\n", argv[0]);
                return 2;
        }
        dir = argv[1];
        struct gofer_cred root = {.umask = 022, .cap_effective = ~0ull, .cpu_hint = 1};
        struct gofer_cred user = {.fsuid = 1000, .fsgid = 1000, .umask = 077, .n_groups = 3,
                                  .groups = {1000, 27, 100}};
        struct timespec ts[2] = {{1700000000, 5}, {1700000001, 999999999}};
        static const char value[] = "security.capability-ish value";
        int r = 0;
        r |= req("open", (struct gofer_req){.op = GOFER_OP_OPEN, .cred = root, .path = "/etc/passwd",
                                            .flags = O_RDONLY | O_CLOEXEC});
        r |= req("open-creat", (struct gofer_req){.op = GOFER_OP_OPEN, .cred = user, .path = "tmp/../tmp/x",
                                                  .flags = O_WRONLY | O_CREAT | O_EXCL, .mode = 0600,
                                                  .resolve = RESOLVE_NO_SYMLINKS});
        r |= req("statx", (struct gofer_req){.op = GOFER_OP_STATX, .cred = user, .path = "/proc/../..",
                                             .flags = 0x100, .mask = 0xfff});
        r |= req("access", (struct gofer_req){.op = GOFER_OP_ACCESS, .cred = user, .path = "bin/sh", .mode = 1,
                                              .flags = 0x200});
        r |= req("readlink", (struct gofer_req){.op = GOFER_OP_READLINK, .cred = root, .path = "/lib64/ld.so",
                                                .size = 4096});
        r |= req("mkdir", (struct gofer_req){.op = GOFER_OP_MKDIR, .cred = user, .path = "a/b/", .mode = 0755});
        r |= req("mknod", (struct gofer_req){.op = GOFER_OP_MKNOD, .cred = root, .path = "dev/null2",
                                             .mode = S_IFCHR | 0666, .dev = 0x103});
        r |= req("unlink", (struct gofer_req){.op = GOFER_OP_UNLINK, .cred = user, .path = "x/..", .flags = 0x200});
        r |= req("rename", (struct gofer_req){.op = GOFER_OP_RENAME, .cred = user, .path = "a", .path2 = "../../b",
                                              .flags = 1});
        r |= req("link", (struct gofer_req){.op = GOFER_OP_LINK, .cred = user, .path = "/etc/shadow",
                                            .path2 = "/tmp/s", .flags = 0x400});
        r |= req("symlink", (struct gofer_req){.op = GOFER_OP_SYMLINK, .cred = user, .path = "/tmp/l",
                                               .path2 = "/proc/self/root"});
        r |= req("chmod", (struct gofer_req){.op = GOFER_OP_CHMOD, .cred = user, .path = "f", .mode = 04755});
        r |= req("chown", (struct gofer_req){.op = GOFER_OP_CHOWN, .cred = root, .path = "f", .uid = 0,
                                             .gid = 0xffffffffu, .flags = 0x100});
        r |= req("truncate", (struct gofer_req){.op = GOFER_OP_TRUNCATE, .cred = user, .path = "f",
                                                .length = -1});
        r |= req("utimens", (struct gofer_req){.op = GOFER_OP_UTIMENS, .cred = user, .path = "f",
                                               .has_times = true, .times = {ts[0], ts[1]}});
        r |= req("utimens-now", (struct gofer_req){.op = GOFER_OP_UTIMENS, .cred = user, .path = "", .flags = 0x1000});
        r |= req("statfs", (struct gofer_req){.op = GOFER_OP_STATFS, .cred = user, .path = "/"});
        r |= req("getxattr", (struct gofer_req){.op = GOFER_OP_GETXATTR, .cred = user, .path = "f",
                                                .name = "user.a", .size = 65536});
        r |= req("setxattr", (struct gofer_req){.op = GOFER_OP_SETXATTR, .cred = root, .path = "f",
                                                .name = "security.capability", .value = value,
                                                .value_len = sizeof value, .xflags = 1});
        r |= req("listxattr", (struct gofer_req){.op = GOFER_OP_LISTXATTR, .cred = user, .path = "f", .size = 0});
        r |= req("removexattr", (struct gofer_req){.op = GOFER_OP_REMOVEXATTR, .cred = user, .path = "f",
                                                   .name = "trusted.x", .flags = 0x100});
        r |= req("unix_bind", (struct gofer_req){.op = GOFER_OP_UNIX_BIND, .cred = user, .path = "run/s.sock"});
        r |= req("unix_connect", (struct gofer_req){.op = GOFER_OP_UNIX_CONNECT, .cred = user,
                                                    .path = "/run/../run/s.sock"});

        /* Read-only ops the harness runs inside its temporary root (fuzz_root.h). */
        r |= req("ro-open-up", (struct gofer_req){.op = GOFER_OP_OPEN, .cred = root, .path = "link_up3/outside",
                                                  .flags = O_PATH, .resolve = RESOLVE_IN_ROOT});
        r |= req("ro-statx-link", (struct gofer_req){.op = GOFER_OP_STATX, .cred = root,
                                                     .path = "dir/sub/link_chain", .mask = 0xfff});
        r |= req("ro-readlink", (struct gofer_req){.op = GOFER_OP_READLINK, .cred = root, .path = "link_outside",
                                                   .size = 3});
        r |= req("ro-access", (struct gofer_req){.op = GOFER_OP_ACCESS, .cred = user, .path = "link_root/..",
                                                 .mode = 4});
        r |= req("ro-statfs", (struct gofer_req){.op = GOFER_OP_STATFS, .cred = root, .path = "dir/link_updir"});
        r |= req("ro-getxattr", (struct gofer_req){.op = GOFER_OP_GETXATTR, .cred = root, .path = "link_dir/",
                                                   .name = "user.x", .size = 1});
        r |= req("ro-listxattr", (struct gofer_req){.op = GOFER_OP_LISTXATTR, .cred = root,
                                                    .path = "dir/link_sibling", .size = 65535});

        struct statx stx = {.stx_mask = 0xfff, .stx_mode = S_IFREG | 0644, .stx_size = 42};
        r |= reply("reply-open", GOFER_OP_OPEN, 3, 1, NULL, 0);
        r |= reply("reply-statx", GOFER_OP_STATX, 0, 0, &stx, sizeof stx);
        r |= reply("reply-readlink", GOFER_OP_READLINK, 7, 0, "/bin/sh", 7);
        r |= reply("reply-enoent", GOFER_OP_ACCESS, -ENOENT, 0, NULL, 0);
        return r ? 1 : 0;
}
