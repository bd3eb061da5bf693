/* SPDX-License-Identifier: MIT */
/*
 * `features`: what this build implements, in the shape of runc's
 * `features` output.  Lists only what works: hooks and seccomp are empty
 * until they are implemented, so an engine asking us never assumes them.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "linux/cgroup.h"
#include "runtime/sandbox.h"

static json_t *strings(const char *const *v) {
        json_t *a = json_array();
        for (; *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static int noop(int idx, const char *arg, void *ud) {
        (void) idx, (void) arg, (void) ud;
        return 0;
}

static int run_features(struct cocoon_ctx *ctx, int argc, char **argv) {
        (void) ctx;
        int first;
        int r = cli_parse(&cmd_features, argc, argv, noop, NULL, &first);
        if (r != 0)
                return r > 0 ? 0 : r;
        static const char *const mount_opts[] = {
                "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "mand", "noatime",
                "nodev", "nodiratime", "noexec", "nomand", "norelatime", "nostrictatime", "nosuid", "private",
                "rbind", "relatime", "remount", "ro", "rprivate", "rshared", "rslave", "runbindable", "rw",
                "shared", "slave", "strictatime", "suid", "sync", "unbindable", NULL,
        };
        static const char *const namespaces[] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL};
        json_t *f = json_object();
        json_object_set_new(f, "ociVersionMin", json_string("1.0.0"));
        json_object_set_new(f, "ociVersionMax", json_string(OCI_VERSION));
        json_object_set_new(f, "hooks", json_array());
        json_object_set_new(f, "mountOptions", strings(mount_opts));

        json_t *lx = json_object();
        json_object_set_new(lx, "namespaces", strings(namespaces));
        json_t *caps = json_array();
        for (int c = 0; c < 64; c++) {
                const char *n = oci_cap_to_name(c);
                if (n)
                        json_array_append_new(caps, json_string(n));
        }
        json_object_set_new(lx, "capabilities", caps);
        json_t *cg = json_object();
        json_object_set_new(cg, "v1", json_true());
        json_object_set_new(cg, "v2", json_true());
        json_object_set_new(cg, "systemd", json_false());
        json_object_set_new(cg, "systemdUser", json_false());
        json_object_set_new(lx, "cgroup", cg);
        json_t *sc = json_object();
        json_object_set_new(sc, "enabled", json_false());
        json_object_set_new(lx, "seccomp", sc);
        json_t *aa = json_object();
        json_object_set_new(aa, "enabled", json_false());
        json_object_set_new(lx, "apparmor", aa);
        json_t *se = json_object();
        json_object_set_new(se, "enabled", json_false());
        json_object_set_new(lx, "selinux", se);
        json_t *im = json_object();
        json_object_set_new(im, "enabled", json_false());
        json_object_set_new(lx, "mountExtensions", json_pack("{s:{s:b}}", "idmap", "enabled", 0));
        json_decref(im);
        json_object_set_new(f, "linux", lx);

        json_t *ann = json_object();
        json_object_set_new(ann, "io.github.cocoon.sandboxes", json_string("none"));
        enum cgroup_layout layout;
        if (cgroup_detect_layout(&layout) == 0)
                json_object_set_new(ann, "io.github.cocoon.cgroup-layout", json_string(cgroup_layout_name(layout)));
        json_object_set_new(f, "annotations", ann);

        char *text = json_dumps(f, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        json_decref(f);
        printf("%s\n", text ? text : "{}");
        free(text);
        return 0;
}

static const struct cli_opt opts[] = {{0}};

const struct cli_command cmd_features = {
        .name = "features",
        .args = "",
        .summary = "show what this build of cocoon implements (JSON)",
        .opts = opts,
        .run = run_features,
};
