/* SPDX-License-Identifier: MIT */
/*
 * The cgroup v2 device program: its verdicts, by running the generated
 * instructions through a small interpreter of the few opcodes the generator
 * emits, and then the real thing: loaded into the kernel, attached to a
 * throw-away cgroup2 directory, replaced, and released with the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>

#include "cleanup.h"
#include "linux/bpf_devices.h"
#include "log.h"
#include "unit.h"
#include "util.h"

/* Run `p` on one request; -1 for an instruction the interpreter does not know. */
static int interpret(const struct bpf_insn *p, size_t n, char type, unsigned major, unsigned minor, const char *acc) {
        struct bpf_cgroup_dev_ctx ctx = {.major = major, .minor = minor};
        uint32_t a = 0;
        for (const char *c = acc; *c; c++)
                a |= *c == 'r' ? BPF_DEVCG_ACC_READ : *c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
        ctx.access_type = a << 16 | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        uint64_t reg[11] = {0};
        for (size_t pc = 0; pc < n; pc++) {
                const struct bpf_insn *i = &p[pc];
                uint32_t d32 = (uint32_t) reg[i->dst_reg], imm = (uint32_t) i->imm;
                switch (i->code) {
                case BPF_LDX | BPF_W | BPF_MEM:
                        if (i->src_reg != BPF_REG_1 || i->off < 0 || (size_t) i->off + 4 > sizeof ctx)
                                return -1;
                        reg[i->dst_reg] = *(uint32_t *) ((char *) &ctx + i->off);
                        break;
                case BPF_ALU | BPF_MOV | BPF_X:
                        reg[i->dst_reg] = (uint32_t) reg[i->src_reg];
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        reg[i->dst_reg] = d32 & imm;
                        break;
                case BPF_ALU | BPF_RSH | BPF_K:
                        reg[i->dst_reg] = d32 >> imm;
                        break;
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        reg[i->dst_reg] = (uint64_t) (int64_t) i->imm;
                        break;
                case BPF_JMP32 | BPF_JNE | BPF_K:
                        if (d32 != imm)
                                pc += (size_t) i->off;
                        break;
                case BPF_JMP32 | BPF_JEQ | BPF_K:
                        if (d32 == imm)
                                pc += (size_t) i->off;
                        break;
                case BPF_JMP | BPF_EXIT:
                        return (int) reg[0];
                default:
                        return -1;
                }
        }
        return -1; /* fell off the end: the kernel's verifier refuses that */
}

struct req {
        char type;
        unsigned major, minor;
        const char *access;
        int want;
};

static void check_program(const char *what, const struct device_rule *v, size_t n, const struct req *reqs,
                          size_t n_reqs) {
        _cleanup_free_ struct bpf_insn *p = NULL;
        size_t np = 0;
        CHECK_OK(bpf_devices_program(v, n, &p, &np));
        for (size_t i = 0; p && i < n_reqs; i++) {
                int got = interpret(p, np, reqs[i].type, reqs[i].major, reqs[i].minor, reqs[i].access);
                if (got == reqs[i].want)
                        UNIT_PASS_();
                else
                        UNIT_FAIL_("%s: %c %u:%u %s: got %d, want %d", what, reqs[i].type, reqs[i].major,
                                   reqs[i].minor, reqs[i].access, got, reqs[i].want);
        }
}

#define DENY_ALL {false, 'a', -1, -1, "rwm"}

static void test_default_list(void) {
        _cleanup_free_ struct device_rule *v = NULL;
        size_t n = 0;
        CHECK_OK(device_rules_build(NULL, NULL, 0, &v, &n));
        static const struct req reqs[] = {
                {'c', 1, 3, "rw", 1},  {'c', 1, 3, "rwm", 1}, {'c', 1, 5, "r", 1},  {'c', 136, 7, "rw", 1},
                {'c', 5, 2, "rw", 1},  {'b', 8, 0, "m", 1},   {'c', 4, 1, "m", 1},  {'b', 8, 0, "r", 0},
                {'b', 8, 0, "rw", 0},  {'b', 8, 0, "rm", 0},  {'c', 4, 1, "w", 0},  {'c', 1, 4, "r", 0},
                {'c', 10, 229, "r", 0}, {'c', 10, 200, "rw", 1},
        };
        check_program("default", v, n, reqs, ELEMENTSOF(reqs));
}

static void test_later_rules_override(void) {
        /* a deny of one bit after an allow of all three: O_RDWR must not pass */
        static const struct device_rule v1[] = {DENY_ALL, {true, 'c', 1, 3, "rwm"}, {false, 'c', 1, 3, "w"}};
        static const struct req r1[] = {
                {'c', 1, 3, "r", 1}, {'c', 1, 3, "w", 0}, {'c', 1, 3, "rw", 0}, {'c', 1, 3, "m", 1},
        };
        check_program("deny one bit", v1, ELEMENTSOF(v1), r1, ELEMENTSOF(r1));

        /* an allow with wildcards after a specific deny */
        static const struct device_rule v2[] = {DENY_ALL, {false, 'c', 1, 3, "rwm"}, {true, 'c', 1, -1, "r"}};
        static const struct req r2[] = {
                {'c', 1, 3, "r", 1}, {'c', 1, 3, "w", 0}, {'c', 1, 9, "r", 1}, {'b', 1, 3, "r", 0},
        };
        check_program("wildcard allow", v2, ELEMENTSOF(v2), r2, ELEMENTSOF(r2));

        /* access granted by two rules adds up, as v1 merges exceptions */
        static const struct device_rule v3[] = {DENY_ALL, {true, 'c', 1, 3, "r"}, {true, 'c', 1, 3, "w"}};
        static const struct req r3[] = {{'c', 1, 3, "rw", 1}, {'c', 1, 3, "rwm", 0}};
        check_program("split allow", v3, ELEMENTSOF(v3), r3, ELEMENTSOF(r3));

        /* "a" allows everything; a later block deny takes the disks back */
        static const struct device_rule v4[] = {
                DENY_ALL, {true, 'a', -1, -1, "r"}, {false, 'b', -1, -1, "rw"}, {false, 'c', -1, 7, "w"}};
        static const struct req r4[] = {
                {'c', 4, 1, "rwm", 1}, {'b', 8, 0, "r", 0}, {'b', 8, 0, "m", 1}, {'c', 9, 7, "r", 1},
                {'c', 9, 7, "w", 0},
        };
        check_program("a then deny", v4, ELEMENTSOF(v4), r4, ELEMENTSOF(r4));

        /* a deny "a" last wins over everything before it */
        static const struct device_rule v5[] = {{true, 'c', 1, 3, "rwm"}, DENY_ALL};
        static const struct req r5[] = {{'c', 1, 3, "r", 0}};
        check_program("deny all last", v5, ELEMENTSOF(v5), r5, ELEMENTSOF(r5));

        /* the longest program: only fully specified denies, nothing allowed */
        static const struct device_rule v6[] = {{false, 'c', 1, 3, "w"}, {false, 'b', 8, 0, "r"}};
        static const struct req r6[] = {{'c', 1, 3, "r", 0}, {'c', 1, 3, "w", 0}, {'b', 8, 0, "m", 0}};
        check_program("denies only", v6, ELEMENTSOF(v6), r6, ELEMENTSOF(r6));
}

static void test_out_of_range(void) {
        static const struct device_rule v[] = {DENY_ALL, {true, 'c', 1LL << 33, 3, "rwm"}};
        _cleanup_free_ struct bpf_insn *p = NULL;
        size_t np = 0;
        struct unit_capture c;
        unit_capture_begin(&c);
        int r = bpf_devices_program(v, ELEMENTSOF(v), &p, &np);
        _cleanup_free_ char *err = unit_capture_end(&c);
        CHECK_ERR(r, -EINVAL);
        CHECK_STR_CONTAINS(err, "out of range");
}

/* ---- in the kernel -------------------------------------------------------------------------- */

static bool prog_exists(unsigned id) {
        union bpf_attr attr = {.prog_id = id};
        long fd = syscall(SYS_bpf, BPF_PROG_GET_FD_BY_ID, &attr, sizeof attr);
        if (fd >= 0)
                close((int) fd);
        return fd >= 0;
}

/* The kernel frees a detached program (and a removed cgroup's) asynchronously. */
static bool prog_gone_within(unsigned id, int ms) {
        for (int i = 0; i < ms / 10; i++) {
                if (!prog_exists(id))
                        return true;
                nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        }
        return !prog_exists(id);
}

/* Open `dev` from a child inside the cgroup; 0 or -errno. */
static int open_in(const char *dir, const char *dev) {
        int pfd[2];
        if (pipe(pfd) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid == 0) {
                char procs[PATH_MAX], me[16];
                snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
                snprintf(me, sizeof me, "%d", getpid());
                int r = write_string(procs, me);
                if (r == 0) {
                        int fd = open(dev, O_RDWR | O_CLOEXEC);
                        r = fd < 0 ? -errno : 0;
                }
                if (write(pfd[1], &r, sizeof r) != sizeof r)
                        _exit(1);
                _exit(0);
        }
        close(pfd[1]);
        int r = -EIO;
        if (pid < 0 || read(pfd[0], &r, sizeof r) != sizeof r)
                r = -EIO;
        close(pfd[0]);
        if (pid > 0)
                waitpid(pid, NULL, 0);
        return r;
}

static const char *cgroup2_root(void) {
        static const char *const cands[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
        for (size_t i = 0; i < ELEMENTSOF(cands); i++) {
                struct statfs fs;
                if (statfs(cands[i], &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                        return cands[i];
        }
        return NULL;
}

static void test_kernel_attach_replace_release(void) {
        const char *root = cgroup2_root();
        if (geteuid() != 0 || !root) {
                printf("# skipped: needs root and a cgroup2 mount\n");
                return;
        }
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/cocoon-unit-bpf-%d", root, getpid());
        if (mkdir(dir, 0755) < 0) {
                UNIT_FAIL_("mkdir %s: %s", dir, strerror(errno));
                return;
        }

        _cleanup_free_ struct device_rule *v = NULL;
        size_t n = 0;
        CHECK_OK(device_rules_build(NULL, NULL, 0, &v, &n));
        CHECK_OK(bpf_devices_apply(dir, v, n));
        _cleanup_free_ unsigned *ids1 = NULL;
        size_t n1 = 0;
        CHECK_OK(bpf_devices_query(dir, &ids1, &n1));
        CHECK_INT_EQ(n1, 1);
        CHECK_INT_EQ(open_in(dir, "/dev/null"), 0);
        CHECK_INT_EQ(open_in(dir, "/dev/zero"), 0);
        CHECK_INT_EQ(open_in(dir, "/dev/kmsg"), -EPERM); /* c 1:11, not in the list */

        /* `update`: the new list replaces the old program */
        static const struct device_rule v2[] = {DENY_ALL, {true, 'c', 1, 5, "rwm"}};
        CHECK_OK(bpf_devices_apply(dir, v2, ELEMENTSOF(v2)));
        _cleanup_free_ unsigned *ids2 = NULL;
        size_t n2 = 0;
        CHECK_OK(bpf_devices_query(dir, &ids2, &n2));
        CHECK_INT_EQ(n2, 1);
        if (n1 == 1 && n2 == 1) {
                CHECK(ids1[0] != ids2[0]);
                CHECK(prog_gone_within(ids1[0], 2000));
        }
        CHECK_INT_EQ(open_in(dir, "/dev/null"), -EPERM);
        CHECK_INT_EQ(open_in(dir, "/dev/zero"), 0);

        /* the program goes away with the directory */
        int r = -EBUSY;
        for (int i = 0; i < 200 && r == -EBUSY; i++) {
                r = rmdir(dir) < 0 ? -errno : 0;
                if (r == -EBUSY)
                        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
        }
        CHECK_OK(r);
        if (n2 == 1)
                CHECK(prog_gone_within(ids2[0], 5000));
}

int main(void) {
        test_default_list();
        test_later_rules_override();
        test_out_of_range();
        test_kernel_attach_replace_release();
        return unit_summary();
}
