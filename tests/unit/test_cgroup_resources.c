/* SPDX-License-Identifier: MIT */
/*
 * The cgroup v2 resource writer against a fake cgroup tree of regular files:
 * this host mounts no v2 controllers, so this is where the exact strings
 * written for each resource (runc's conversions included) are checked.  The
 * parser's rejections are checked here too.
 */
#include <jansson.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "linux/cgroup_resources.h"
#include "log_capture.h"
#include "unit.h"
#include "util.h"

static char tmpdir[PATH_MAX];
static char leaf[PATH_MAX + 32];

static const char *const leaf_files[] = {
        "memory.max", "memory.swap.max", "memory.low",  "memory.high", "memory.current", "cpu.weight",
        "cpu.max",    "cpu.max.burst",   "cpu.idle",    "cpuset.cpus", "cpuset.mems",    "pids.max",
        "io.weight",  "io.max",          "hugetlb.2MB.max", "hugetlb.1GB.max", "rdma.max",
};

static void put_file(const char *dir, const char *name, const char *content) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        if (write_file_at(AT_FDCWD, p, content, strlen(content), O_CREAT | O_TRUNC) < 0) {
                printf("FAIL cannot write %s\n", p);
                exit(2);
        }
}

/* A fresh tree: <tmp>/root (the mount) / a / leaf, each with the files a
 * cgroup2 directory has for the controllers the tests use. */
static void fresh_tree(const char *offered) {
        char cmd[PATH_MAX + 32], root[PATH_MAX + 8], mid[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s/root'", tmpdir);
        if (system(cmd) != 0)
                exit(2);
        snprintf(root, sizeof root, "%s/root", tmpdir);
        snprintf(mid, sizeof mid, "%s/a", root);
        snprintf(leaf, sizeof leaf, "%s/leaf", mid);
        if (mkdir(root, 0755) < 0 || mkdir(mid, 0755) < 0 || mkdir(leaf, 0755) < 0)
                exit(2);
        put_file(root, "cgroup.controllers", offered);
        put_file(root, "cgroup.subtree_control", "");
        put_file(mid, "cgroup.subtree_control", "");
        for (size_t i = 0; i < ELEMENTSOF(leaf_files); i++)
                put_file(leaf, leaf_files[i], "");
        put_file(leaf, "memory.current", "1000000\n");
}

static char *slurp(const char *dir, const char *name) {
        static char buf[512];
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        _cleanup_free_ char *s = NULL;
        if (read_file_at(AT_FDCWD, p, &s, NULL) < 0)
                return NULL;
        snprintf(buf, sizeof buf, "%s", s);
        return buf;
}

#define ALL_V2 ((1u << RC_CPUSET) | (1u << RC_MEMORY) | (1u << RC_CPU) | (1u << RC_PIDS) | (1u << RC_BLKIO) | \
                (1u << RC_HUGETLB) | (1u << RC_RDMA))

static unsigned wanted(const struct cgroup_resources *r) {
        unsigned m = 0;
        for (unsigned c = 0; c < _RC_CONTROLLER_MAX; c++)
                if (cgroup_resources_wants(r, c))
                        m |= 1u << c;
        return m;
}

/* Parse `json`, enable and write into a fresh tree; returns the writer's
 * result (or the parser's), the error line in `err`. */
static int apply_json(const char *json, char *err, size_t errlen) {
        fresh_tree("cpuset cpu io memory hugetlb pids rdma misc");
        json_error_t je;
        json_t *j = json_loads(json, 0, &je);
        if (!j) {
                printf("FAIL bad test JSON: %s: %s\n", json, je.text);
                exit(2);
        }
        struct capture cap;
        capture_begin(&cap);
        struct cgroup_resources r;
        char root[PATH_MAX + 8];
        snprintf(root, sizeof root, "%s/root", tmpdir);
        int e = cgroup_resources_parse(j, "linux.resources", &r);
        if (e >= 0) {
                e = cgroup_v2_enable_controllers(root, "/a/leaf", wanted(&r) & ALL_V2, &r);
                if (e >= 0)
                        e = cgroup_v2_resources_write(leaf, wanted(&r), &r);
                cgroup_resources_done(&r);
        }
        snprintf(err, errlen, "%s", capture_end(&cap));
        json_decref(j);
        return e;
}

#define APPLY_OK(json)                                                                             \
        do {                                                                                       \
                char msg_[LOG_FORWARD_MAX];                                                          \
                int r_ = apply_json(json, msg_, sizeof msg_);                                          \
                if (r_ == 0)                                                                       \
                        UNIT_PASS_();                                                              \
                else                                                                               \
                        UNIT_FAIL_("apply %s: %d: %s", json, r_, msg_);                              \
        } while (0)

#define APPLY_ERR(json, err, msg)                                                                  \
        do {                                                                                       \
                char msg_[LOG_FORWARD_MAX];                                                          \
                CHECK_ERR(apply_json(json, msg_, sizeof msg_), err);                                   \
                CHECK_STR_CONTAINS(msg_, msg);                                                       \
        } while (0)

static void test_memory(void) {
        APPLY_OK("{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":100663296}}");
        CHECK_STR_EQ(slurp(leaf, "memory.max"), "67108864");
        CHECK_STR_EQ(slurp(leaf, "memory.low"), "33554432");
        CHECK_STR_EQ(slurp(leaf, "memory.swap.max"), "33554432"); /* (memory+swap) - memory */

        APPLY_OK("{\"memory\":{\"limit\":67108864,\"swap\":67108864}}");
        CHECK_STR_EQ(slurp(leaf, "memory.swap.max"), "0"); /* swap == limit: no swap */

        APPLY_OK("{\"memory\":{\"limit\":-1}}");
        CHECK_STR_EQ(slurp(leaf, "memory.max"), "max");
        CHECK_STR_EQ(slurp(leaf, "memory.swap.max"), "max"); /* unlimited memory: unlimited swap */

        APPLY_OK("{\"memory\":{\"limit\":67108864,\"swap\":-1}}");
        CHECK_STR_EQ(slurp(leaf, "memory.swap.max"), "max");

        /* 0 is "unset" (runc): nothing is written */
        APPLY_OK("{\"memory\":{\"limit\":0,\"reservation\":0,\"swap\":0}}");
        CHECK_STR_EQ(slurp(leaf, "memory.max"), "");
        CHECK_STR_EQ(slurp(leaf, "memory.swap.max"), "");

        /* controllers handed down from the mount to the parent of the leaf */
        char mid[PATH_MAX + 8], root[PATH_MAX + 8];
        snprintf(root, sizeof root, "%s/root", tmpdir);
        snprintf(mid, sizeof mid, "%s/root/a", tmpdir);
        APPLY_OK("{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":3}}");
        CHECK_STR_EQ(slurp(root, "cgroup.subtree_control"), "+memory +pids");
        CHECK_STR_EQ(slurp(mid, "cgroup.subtree_control"), "+memory +pids");

        APPLY_ERR("{\"memory\":{\"swap\":1000}}", -EINVAL, "linux.resources.memory.swap: a swap limit needs a memory limit");
        APPLY_ERR("{\"memory\":{\"limit\":2000,\"swap\":1000}}", -EINVAL, "is below memory.limit 2000");
        /* memory.current is 1000000 in the fake tree */
        APPLY_ERR("{\"memory\":{\"limit\":4096,\"checkBeforeUpdate\":true}}", -EBUSY, "below the current usage 1000000");
        APPLY_OK("{\"memory\":{\"limit\":2000000,\"checkBeforeUpdate\":true}}");
        CHECK_STR_EQ(slurp(leaf, "memory.max"), "2000000");
        APPLY_ERR("{\"memory\":{\"useHierarchy\":false}}", -EOPNOTSUPP, "useHierarchy: false is not supported");
        /* v2 has no per-cgroup swappiness: a warning, nothing written, no failure */
        APPLY_OK("{\"memory\":{\"swappiness\":10}}");
}

static void test_cpu(void) {
        APPLY_OK("{\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"burst\":1000,\"idle\":0,"
                 "\"cpus\":\"0-1\",\"mems\":\"0\"}}");
        CHECK_STR_EQ(slurp(leaf, "cpu.weight"), "39"); /* 1 + (1024-2)*9999/262142 */
        CHECK_STR_EQ(slurp(leaf, "cpu.max"), "50000 100000");
        CHECK_STR_EQ(slurp(leaf, "cpu.max.burst"), "1000");
        CHECK_STR_EQ(slurp(leaf, "cpu.idle"), "0");
        CHECK_STR_EQ(slurp(leaf, "cpuset.cpus"), "0-1");
        CHECK_STR_EQ(slurp(leaf, "cpuset.mems"), "0");

        APPLY_OK("{\"cpu\":{\"shares\":2}}");
        CHECK_STR_EQ(slurp(leaf, "cpu.weight"), "1");
        APPLY_OK("{\"cpu\":{\"shares\":262144}}");
        CHECK_STR_EQ(slurp(leaf, "cpu.weight"), "10000");
        APPLY_OK("{\"cpu\":{\"quota\":-1,\"period\":100000}}");
        CHECK_STR_EQ(slurp(leaf, "cpu.max"), "max 100000");
        APPLY_OK("{\"cpu\":{\"quota\":20000}}");
        CHECK_STR_EQ(slurp(leaf, "cpu.max"), "20000");
        APPLY_OK("{\"cpu\":{\"period\":250000}}");
        CHECK_STR_EQ(slurp(leaf, "cpu.max"), "max 250000");

        APPLY_ERR("{\"cpu\":{\"realtimeRuntime\":1000}}", -EOPNOTSUPP,
                  "linux.resources.cpu.realtimeRuntime: realtime scheduling limits are not supported on cgroup v2");
        APPLY_ERR("{\"cpu\":{\"idle\":2}}", -EINVAL, "linux.resources.cpu.idle: 2 is out of range");
        APPLY_ERR("{\"cpu\":{\"shares\":\"x\"}}", -EINVAL, "linux.resources.cpu.shares: expected an integer");
}

static void test_pids(void) {
        APPLY_OK("{\"pids\":{\"limit\":7}}");
        CHECK_STR_EQ(slurp(leaf, "pids.max"), "7");
        APPLY_OK("{\"pids\":{\"limit\":-1}}");
        CHECK_STR_EQ(slurp(leaf, "pids.max"), "max");
        APPLY_OK("{\"pids\":{\"limit\":0}}");
        CHECK_STR_EQ(slurp(leaf, "pids.max"), "max");
}

static void test_io(void) {
        APPLY_OK("{\"blockIO\":{\"weight\":500}}");
        CHECK_STR_EQ(slurp(leaf, "io.weight"), "4950"); /* 1 + (500-10)*9999/990 */
        APPLY_OK("{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":10}]}}");
        CHECK_STR_EQ(slurp(leaf, "io.weight"), "8:0 1");
        APPLY_OK("{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":16,\"rate\":1048576}]}}");
        CHECK_STR_EQ(slurp(leaf, "io.max"), "8:16 rbps=1048576");
        APPLY_OK("{\"blockIO\":{\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":16,\"rate\":2}]}}");
        CHECK_STR_EQ(slurp(leaf, "io.max"), "8:16 wbps=2");
        APPLY_OK("{\"blockIO\":{\"throttleReadIOPSDevice\":[{\"major\":8,\"minor\":16,\"rate\":3}]}}");
        CHECK_STR_EQ(slurp(leaf, "io.max"), "8:16 riops=3");
        APPLY_OK("{\"blockIO\":{\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,\"rate\":4}]}}");
        CHECK_STR_EQ(slurp(leaf, "io.max"), "8:16 wiops=4");

        /* with BFQ, the v1 weight range is taken as is */
        fresh_tree("io");
        put_file(leaf, "io.bfq.weight", "");
        json_t *j = json_loads("{\"blockIO\":{\"weight\":300}}", 0, NULL);
        struct cgroup_resources r;
        CHECK_OK(cgroup_resources_parse(j, "linux.resources", &r));
        CHECK_OK(cgroup_v2_resources_write(leaf, 1u << RC_BLKIO, &r));
        CHECK_STR_EQ(slurp(leaf, "io.bfq.weight"), "300");
        cgroup_resources_done(&r);
        json_decref(j);

        APPLY_ERR("{\"blockIO\":{\"leafWeight\":300}}", -EOPNOTSUPP, "blockIO.leafWeight is not supported on cgroup v2");
        APPLY_ERR("{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"rate\":1}]}}", -EINVAL,
                  "linux.resources.blockIO.throttleReadBpsDevice[0]: \"major\" and \"minor\" are required");
}

static void test_hugetlb_rdma_network(void) {
        APPLY_OK("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":209715200},"
                 "{\"pageSize\":\"1GB\",\"limit\":1073741824}]}");
        CHECK_STR_EQ(slurp(leaf, "hugetlb.2MB.max"), "209715200");
        CHECK_STR_EQ(slurp(leaf, "hugetlb.1GB.max"), "1073741824");
        APPLY_ERR("{\"hugepageLimits\":[{\"pageSize\":\"3XB\",\"limit\":1}]}", -EINVAL,
                  "linux.resources.hugepageLimits[0].pageSize: \"3XB\" is not a page size");
        APPLY_ERR("{\"hugepageLimits\":[{\"pageSize\":\"64KB\",\"limit\":1}]}", -EOPNOTSUPP,
                  "hugetlb.64KB.max does not exist");

        APPLY_OK("{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3,\"hcaObjects\":10000}}}");
        CHECK_STR_EQ(slurp(leaf, "rdma.max"), "mlx5_1 hca_handle=3 hca_object=10000");

        /* v2 has no net_cls / net_prio */
        APPLY_ERR("{\"network\":{\"classID\":1048577}}", -EOPNOTSUPP,
                  "linux.resources.network.classID: cgroup v2 has no net_cls controller");
}

static void test_unified(void) {
        APPLY_OK("{\"unified\":{\"memory.high\":\"50000000\",\"io.max\":\"8:0 rbps=1\\n8:16 wbps=2\"}}");
        CHECK_STR_EQ(slurp(leaf, "memory.high"), "50000000");
        CHECK_STR_EQ(slurp(leaf, "io.max"), "8:16 wbps=2"); /* one write per line; the file keeps the last */
        /* unified is written last: it wins over the structured value */
        APPLY_OK("{\"pids\":{\"limit\":5},\"unified\":{\"pids.max\":\"9\"}}");
        CHECK_STR_EQ(slurp(leaf, "pids.max"), "9");

        APPLY_ERR("{\"unified\":{\"../memory.max\":\"1\"}}", -EINVAL, "must be a file name");
        APPLY_ERR("{\"unified\":{\"..\":\"1\"}}", -EINVAL, "must be a file name");
        APPLY_ERR("{\"unified\":{\"memory\":\"1\"}}", -EINVAL, "CONTROLLER.PARAMETER");
        APPLY_ERR("{\"unified\":{\"cgroup.procs\":\"1\"}}", -EINVAL, "is not a resource");
        APPLY_ERR("{\"unified\":{\"memory.high\":1}}", -EINVAL, "linux.resources.unified.memory.high: expected a string");
        APPLY_ERR("{\"unified\":{\"misc.max\":\"x 1\"}}", -EOPNOTSUPP, "misc.max does not exist");
}

static void test_controller_not_offered(void) {
        fresh_tree("cpu io memory pids");
        json_t *j = json_loads("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":1}]}", 0, NULL);
        struct cgroup_resources r;
        char root[PATH_MAX + 8];
        snprintf(root, sizeof root, "%s/root", tmpdir);
        CHECK_OK(cgroup_resources_parse(j, "linux.resources", &r));
        struct capture cap;
        capture_begin(&cap);
        CHECK_ERR(cgroup_v2_enable_controllers(root, "/a/leaf", 1u << RC_HUGETLB, &r), -EOPNOTSUPP);
        CHECK_STR_CONTAINS(capture_end(&cap), "linux.resources.hugepageLimits: needs the hugetlb controller");
        CHECK_STR_EQ(slurp(root, "cgroup.subtree_control"), "");
        cgroup_resources_done(&r);
        json_decref(j);
}

static void test_parse_errors(void) {
        APPLY_ERR("{\"memory\":[]}", -EINVAL, "linux.resources.memory: expected an object");
        APPLY_ERR("{\"memory\":{\"limit\":-2}}", -EINVAL, "linux.resources.memory.limit: -2 is out of range");
        APPLY_ERR("{\"memory\":{\"swappiness\":101}}", -EINVAL, "linux.resources.memory.swappiness: 101 is out of range");
        APPLY_ERR("{\"memory\":{\"disableOOMKiller\":1}}", -EINVAL, "disableOOMKiller: expected a boolean");
        APPLY_ERR("{\"pids\":{\"limit\":\"5\"}}", -EINVAL, "linux.resources.pids.limit: expected an integer");
        APPLY_ERR("{\"rdma\":{\"mlx\":3}}", -EINVAL, "linux.resources.rdma.mlx: expected an object");
        APPLY_ERR("{\"devices\":{}}", -EINVAL, "linux.resources.devices: expected an array");
}

int main(void) {
        const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(tmpdir, sizeof tmpdir, "%s/cocoon-test-cgres-XXXXXX", base);
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        test_memory();
        test_cpu();
        test_pids();
        test_io();
        test_hugetlb_rdma_network();
        test_unified();
        test_controller_not_offered();
        test_parse_errors();
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
                printf("could not remove %s\n", tmpdir);
        return unit_summary();
}
