/* SPDX-License-Identifier: MIT */
/*
 * lsm.c: the mount label formatting (runc's label.FormatMountLabel) and
 * which mounts take it, and that the host's LSM detection agrees with the
 * files it is based on.
 */
#include <stdlib.h>
#include <unistd.h>

#include "linux/lsm.h"
#include "unit.h"

static void test_format_mount_label(void) {
        const char *l = "system_u:object_r:container_file_t:s0:c1,c2";
        char *s = lsm_format_mount_label(NULL, l);
        CHECK_STR_EQ(s, "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
        free(s);
        s = lsm_format_mount_label("", l);
        CHECK_STR_EQ(s, "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
        free(s);
        s = lsm_format_mount_label("mode=755,size=65536k", l);
        CHECK_STR_EQ(s, "mode=755,size=65536k,context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
        free(s);
}

static void test_which_mounts_take_it(void) {
        CHECK(lsm_mount_takes_label("tmpfs"));
        CHECK(lsm_mount_takes_label("devpts"));
        CHECK(!lsm_mount_takes_label("proc"));
        CHECK(!lsm_mount_takes_label("sysfs"));
        CHECK(!lsm_mount_takes_label("cgroup"));
        CHECK(!lsm_mount_takes_label("mqueue"));
        CHECK(!lsm_mount_takes_label("bind"));
        CHECK(!lsm_mount_takes_label(NULL));
}

static void test_detection(void) {
        CHECK(lsm_selinux_enabled() == (access("/sys/fs/selinux/enforce", F_OK) == 0));
        if (access("/sys/kernel/security/apparmor", F_OK) < 0)
                CHECK(!lsm_apparmor_enabled());
}

int main(void) {
        test_format_mount_label();
        test_which_mounts_take_it();
        test_detection();
        return unit_summary();
}
