/* SPDX-License-Identifier: MIT */
/*
 * Device allow-list as a BPF_PROG_TYPE_CGROUP_DEVICE program (cgroup v2).
 *
 * Program shape (registers are the program's state, no maps, no helpers):
 *
 *     r2 = ctx->access_type; r3 = r2 & 0xffff (type); r2 >>= 16 (access)
 *     r4 = ctx->major; r5 = ctx->minor; r6 = r2 (access bits still undecided)
 *     for each rule, last to first:
 *         if the device does not match: next rule
 *         allow: r6 &= ~rule.access; if r6 == 0: return 1
 *         deny:  if (r6 & rule.access) != 0: return 0
 *     return 0
 *
 * Walking the rules backwards and settling access bits one at a time gives
 * each requested bit the verdict of the last rule that names it.  runc's
 * generator instead takes the first (from the end) rule whose access is a
 * superset of the request, which lets O_RDWR through "allow c 1:3 rwm" then
 * "deny c 1:3 w".
 */
#include "linux/bpf_devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, o) INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, o, 0)
#define ALU32_IMM(op, dst, i) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, i)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, i)
#define JMP32_IMM(op, dst, i, o) INSN(BPF_JMP32 | (op) | BPF_K, dst, 0, o, i)
#define EXIT_INSN() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* At most this many instructions per rule (3 matches + 5 for a deny verdict),
 * and outside the rules (7 loads before, 2 for the default after). */
#define RULE_MAX_INSNS 8
#define FIXED_INSNS 9

static int32_t access_bits(const struct device_rule *d) {
        /* a type 'a' rule is every device with every access: the v1 devices
         * controller ignores the rest of an "a" line, and both paths must agree */
        if (d->type == 'a')
                return BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
        int32_t a = 0;
        for (const char *c = d->access; *c; c++)
                a |= *c == 'r' ? BPF_DEVCG_ACC_READ : *c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
        return a;
}

int bpf_devices_program(const struct device_rule *v, size_t n, struct bpf_insn **ret, size_t *ret_n) {
        _cleanup_free_ struct bpf_insn *p = calloc(FIXED_INSNS + n * RULE_MAX_INSNS, sizeof *p);
        if (!p)
                return -ENOMEM;
        size_t k = 0;
        p[k++] = LDX_W(BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
        p[k++] = MOV32_REG(BPF_REG_3, BPF_REG_2);
        p[k++] = ALU32_IMM(BPF_AND, BPF_REG_3, 0xffff);
        p[k++] = ALU32_IMM(BPF_RSH, BPF_REG_2, 16);
        p[k++] = LDX_W(BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major));
        p[k++] = LDX_W(BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor));
        p[k++] = MOV32_REG(BPF_REG_6, BPF_REG_2);

        for (size_t i = n; i-- > 0;) {
                const struct device_rule *d = &v[i];
                size_t jumps[4], n_jumps = 0;
                if (d->type != 'a') {
                        if (d->major > UINT32_MAX || d->minor > UINT32_MAX)
                                return log_fail(-EINVAL, "devices rule %c %lld:%lld: device number out of range",
                                                d->type, (long long) d->major, (long long) d->minor);
                        jumps[n_jumps++] = k;
                        p[k++] = JMP32_IMM(BPF_JNE, BPF_REG_3, d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
                        if (d->major >= 0) {
                                jumps[n_jumps++] = k;
                                p[k++] = JMP32_IMM(BPF_JNE, BPF_REG_4, (int32_t) (uint32_t) d->major, 0);
                        }
                        if (d->minor >= 0) {
                                jumps[n_jumps++] = k;
                                p[k++] = JMP32_IMM(BPF_JNE, BPF_REG_5, (int32_t) (uint32_t) d->minor, 0);
                        }
                }
                int32_t a = access_bits(d);
                if (d->allow) {
                        p[k++] = ALU32_IMM(BPF_AND, BPF_REG_6, ~a);
                        jumps[n_jumps++] = k;
                        p[k++] = JMP32_IMM(BPF_JNE, BPF_REG_6, 0, 0);
                        p[k++] = MOV64_IMM(BPF_REG_0, 1);
                } else {
                        p[k++] = MOV32_REG(BPF_REG_7, BPF_REG_6);
                        p[k++] = ALU32_IMM(BPF_AND, BPF_REG_7, a);
                        jumps[n_jumps++] = k;
                        p[k++] = JMP32_IMM(BPF_JEQ, BPF_REG_7, 0, 0);
                        p[k++] = MOV64_IMM(BPF_REG_0, 0);
                }
                p[k++] = EXIT_INSN();
                for (size_t j = 0; j < n_jumps; j++)
                        p[jumps[j]].off = (int16_t) (k - jumps[j] - 1);
                /* "a" covers every device and access: the rules before it are unreachable */
                if (d->type == 'a')
                        break;
        }
        p[k++] = MOV64_IMM(BPF_REG_0, 0);
        p[k++] = EXIT_INSN();
        *ret = TAKE_PTR(p);
        *ret_n = k;
        return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr) {
        long r = syscall(SYS_bpf, cmd, attr, sizeof *attr);
        return r < 0 ? -errno : (int) r;
}

static uint64_t ptr_u64(const void *p) {
        return (uint64_t) (uintptr_t) p;
}

static int prog_load(const struct bpf_insn *insns, size_t n) {
        union bpf_attr attr = {
                .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
                .insns = ptr_u64(insns),
                .insn_cnt = (uint32_t) n,
                /* no helpers are called, so no GPL-only helper needs a GPL licence */
                .license = ptr_u64("MIT"),
        };
        snprintf(attr.prog_name, sizeof attr.prog_name, "cocoon_devices");
        int fd = sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd >= 0)
                return fd;
        if (fd != -EINVAL && fd != -EACCES)
                return log_error_errno(fd, "load the device eBPF program (BPF_PROG_LOAD)");
        /* the verifier refused it: load again to get its reason */
        _cleanup_free_ char *vlog = calloc(1, 65536);
        if (!vlog)
                return -ENOMEM;
        attr.log_buf = ptr_u64(vlog);
        attr.log_size = 65536;
        attr.log_level = 1;
        int fd2 = sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd2 >= 0)
                return fd2;
        size_t l = strlen(vlog);
        while (l > 0 && vlog[l - 1] == '\n')
                vlog[--l] = 0;
        char *last = strrchr(vlog, '\n');
        return log_error_errno(fd, "load the device eBPF program: verifier: %s", last ? last + 1 : vlog);
}

static int query(int cgfd, const char *dir, uint32_t **ret_ids, uint32_t *ret_n, uint32_t *ret_flags) {
        for (uint32_t cap = 8;; cap *= 2) {
                _cleanup_free_ uint32_t *ids = calloc(cap, sizeof *ids);
                if (!ids)
                        return -ENOMEM;
                union bpf_attr attr = {
                        .query.target_fd = (uint32_t) cgfd,
                        .query.attach_type = BPF_CGROUP_DEVICE,
                        .query.prog_ids = ptr_u64(ids),
                        .query.prog_cnt = cap,
                };
                int r = sys_bpf(BPF_PROG_QUERY, &attr);
                if (r == -ENOSPC && cap < 65536)
                        continue;
                if (r < 0)
                        return log_error_errno(r, "query the device eBPF programs of %s", dir);
                *ret_ids = TAKE_PTR(ids);
                *ret_n = attr.query.prog_cnt;
                *ret_flags = attr.query.attach_flags;
                return 0;
        }
}

static int detach_id(int cgfd, const char *dir, uint32_t id) {
        union bpf_attr attr = {.prog_id = id};
        _cleanup_close_ int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        if (fd == -ENOENT)
                return 0; /* gone already */
        if (fd < 0)
                return log_error_errno(fd, "open device eBPF program %u of %s", id, dir);
        attr = (union bpf_attr){
                .target_fd = (uint32_t) cgfd,
                .attach_bpf_fd = (uint32_t) fd,
                .attach_type = BPF_CGROUP_DEVICE,
        };
        int r = sys_bpf(BPF_PROG_DETACH, &attr);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "detach the old device eBPF program %u from %s", id, dir);
        return 0;
}

int bpf_devices_query(const char *cgroup_dir, unsigned **ret_ids, size_t *ret_n) {
        _cleanup_close_ int cgfd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgfd < 0)
                return log_error_errno(-errno, "open cgroup %s", cgroup_dir);
        uint32_t n = 0, flags = 0;
        int r = query(cgfd, cgroup_dir, ret_ids, &n, &flags);
        if (r < 0)
                return r;
        *ret_n = n;
        return 0;
}

int bpf_devices_apply(const char *cgroup_dir, const struct device_rule *v, size_t n) {
        _cleanup_free_ struct bpf_insn *insns = NULL;
        _cleanup_free_ uint32_t *old = NULL;
        size_t n_insns = 0;
        int r = bpf_devices_program(v, n, &insns, &n_insns);
        if (r < 0)
                return r;
        _cleanup_close_ int cgfd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgfd < 0)
                return log_error_errno(-errno, "open cgroup %s", cgroup_dir);
        uint32_t n_old = 0, flags = 0;
        r = query(cgfd, cgroup_dir, &old, &n_old, &flags);
        if (r < 0)
                return r;
        _cleanup_close_ int prog = prog_load(insns, n_insns);
        if (prog < 0)
                return prog;
        /* With BPF_F_ALLOW_MULTI every attached program must allow a request,
         * so between the attach and the detaches below the policy is the
         * stricter of old and new, never neither.  A directory someone else
         * set up in single-program mode only takes a program with the same
         * flags, which then replaces the old one in one step. */
        bool multi = n_old == 0 || (flags & BPF_F_ALLOW_MULTI);
        union bpf_attr attr = {
                .target_fd = (uint32_t) cgfd,
                .attach_bpf_fd = (uint32_t) prog,
                .attach_type = BPF_CGROUP_DEVICE,
                .attach_flags = multi ? BPF_F_ALLOW_MULTI : flags,
        };
        r = sys_bpf(BPF_PROG_ATTACH, &attr);
        if (r < 0)
                return log_error_errno(r, "attach the device eBPF program to %s", cgroup_dir);
        for (uint32_t i = 0; multi && i < n_old; i++) {
                r = detach_id(cgfd, cgroup_dir, old[i]);
                if (r < 0)
                        return r;
        }
        /* the cgroup holds the program now; it is released with the directory */
        return 0;
}
