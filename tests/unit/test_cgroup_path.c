/* SPDX-License-Identifier: MIT */
/*
 * --systemd-cgroup paths: "slice:prefix:name" parsing and systemd's slice
 * expansion, which decide the cgroup directory the container gets.
 */
#include "cleanup.h"
#include "linux/cgroup_systemd.h"
#include "log.h"
#include "unit.h"

static void check_expand(const char *slice, const char *want) {
        _cleanup_free_ char *got = NULL;
        int r = systemd_slice_expand(slice, &got);
        if (r == 0 && !strcmp(got, want))
                UNIT_PASS_();
        else
                UNIT_FAIL_("expand %s: r=%d got \"%s\", want \"%s\"", slice, r, got ? got : "", want);
}

/* `in` must be refused with one message containing `needle`. */
static void check_expand_bad(const char *slice, const char *needle) {
        _cleanup_free_ char *got = NULL;
        struct unit_capture c;
        unit_capture_begin(&c);
        int r = systemd_slice_expand(slice, &got);
        _cleanup_free_ char *err = unit_capture_end(&c);
        CHECK_ERR(r, -EINVAL);
        CHECK_STR_CONTAINS(err, needle);
        CHECK(got == NULL);
}

static void test_slice_expand(void) {
        check_expand("system.slice", "/system.slice");
        check_expand("-.slice", "/");
        check_expand("a-b.slice", "/a.slice/a-b.slice");
        check_expand("a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice");
        check_expand("user-1000.slice", "/user.slice/user-1000.slice");
        check_expand("kubepods-burstable-pod1.slice",
                     "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice");
        check_expand_bad("system", "expected NAME.slice");
        check_expand_bad(".slice", "expected NAME.slice");
        check_expand_bad("a/b.slice", "expected NAME.slice");
        check_expand_bad("a--b.slice", "empty name component");
        check_expand_bad("-a.slice", "empty name component");
        check_expand_bad("a-.slice", "empty name component");
}

static void check_parse(const char *path, const char *id, const char *slice, const char *unit, const char *cg) {
        struct systemd_scope *s = NULL;
        CHECK_OK(systemd_scope_parse(path, id, &s));
        if (!s)
                return;
        CHECK_STR_EQ(s->slice, slice);
        CHECK_STR_EQ(s->unit, unit);
        CHECK_STR_EQ(s->path, cg);
        CHECK_INT_EQ(s->holder, 0);
        systemd_scope_free(s);
}

static void check_parse_bad(const char *path, int err, const char *needle) {
        struct systemd_scope *s = NULL;
        struct unit_capture c;
        unit_capture_begin(&c);
        int r = systemd_scope_parse(path, "ctr", &s);
        _cleanup_free_ char *msg = unit_capture_end(&c);
        CHECK_ERR(r, err);
        CHECK_STR_CONTAINS(msg, needle);
        CHECK(!strchr(msg, '\n') || strchr(msg, '\n') == msg + strlen(msg) - 1); /* one line */
        CHECK(s == NULL);
}

static void test_parse(void) {
        check_parse("system.slice:docker:abc", "x", "system.slice", "docker-abc.scope", "/system.slice/docker-abc.scope");
        check_parse("kubepods-besteffort.slice:cri-containerd:0123", "x", "kubepods-besteffort.slice",
                    "cri-containerd-0123.scope", "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-0123.scope");
        /* defaults: no path at all, an empty slice, an empty prefix */
        check_parse(NULL, "ctr1", "system.slice", "cocoon-ctr1.scope", "/system.slice/cocoon-ctr1.scope");
        check_parse("", "ctr1", "system.slice", "cocoon-ctr1.scope", "/system.slice/cocoon-ctr1.scope");
        check_parse(":p:n", "x", "system.slice", "p-n.scope", "/system.slice/p-n.scope");
        check_parse("-.slice::n", "x", "-.slice", "n.scope", "/n.scope");

        check_parse_bad("/cocoon/abc", -EINVAL, "expected \"slice:prefix:name\"");
        check_parse_bad("a.slice:b", -EINVAL, "expected \"slice:prefix:name\"");
        check_parse_bad("a.slice:b:c:d", -EINVAL, "expected \"slice:prefix:name\"");
        check_parse_bad("a.slice:b:", -EINVAL, "name is empty");
        check_parse_bad("a.slice:b c:d", -EINVAL, "prefix \"b c\"");
        check_parse_bad("a.slice:b:d/e", -EINVAL, "name \"d/e\"");
        check_parse_bad("a.slice:b:my.slice", -EOPNOTSUPP, "slice unit per container");
        check_parse_bad("notaslice:b:c", -EINVAL, "slice \"notaslice\"");
        check_parse_bad("a--b.slice:b:c", -EINVAL, "empty name component");
}

int main(void) {
        test_slice_expand();
        test_parse();
        return unit_summary();
}
