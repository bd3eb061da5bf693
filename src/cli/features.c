/* SPDX-License-Identifier: MIT */
/*
 * `features`: what this build implements, in the shape of runc's
 * `features` output.  Lists only what works, so an engine asking us never
 * assumes a feature we lack.  As in runc, "enabled" means implemented, not
 * active on this host: AppArmor/SELinux labels are applied where the LSM is
 * active (a warning otherwise) and Intel RDT where resctrl is mounted; the
 * annotations say what this host has.
 */
#include <stdio.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "linux/cgroup.h"
#include "linux/intelrdt.h"
#include "linux/lsm.h"
#include "linux/seccomp.h"
#include "sentry/boundary.h"
#include "runtime/sandbox.h"
#include "sandbox/sentry_sandbox.h"

static json_t *strings(const char *const *v) {
        json_t *a = json_array();
        for (; *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static json_t *joined_names(const struct sentry_own_syscall *own, size_t n) {
        char *joined = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&joined, &len);
        for (size_t i = 0; m && i < n; i++)
                fprintf(m, "%s%s", i ? "," : "", own[i].name);
        if (m)
                fclose(m);
        json_t *j = json_string(joined ? joined : "");
        free(joined);
        return j;
}

static int run_features(struct cocoon_ctx *ctx, int argc, char **argv) {
        (void) ctx;
        int first;
        int r = cli_parse(&cmd_features, argc, argv, NULL, NULL, &first);
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
        json_t *hooks = json_array();
        for (int k = 0; k < OCI_HOOK_KIND_MAX; k++)
                json_array_append_new(hooks, json_string(oci_hook_kind_name(k)));
        json_object_set_new(f, "hooks", hooks);
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
        /* implemented through systemd's D-Bus API (busctl); refused where systemd does not run */
        json_object_set_new(cg, "systemd", json_true());
        json_object_set_new(cg, "systemdUser", json_false());
        json_object_set_new(lx, "cgroup", cg);
        json_object_set_new(lx, "seccomp", seccomp_features());
        json_object_set_new(lx, "apparmor", json_pack("{s:b}", "enabled", 1));
        json_object_set_new(lx, "selinux", json_pack("{s:b}", "enabled", 1));
        json_object_set_new(lx, "intelRdt", json_pack("{s:b}", "enabled", 1));
        json_object_set_new(lx, "mountExtensions", json_pack("{s:{s:b}}", "idmap", "enabled", 1));
        json_object_set_new(f, "linux", lx);

        json_t *ann = json_object();
        /* every sandbox this build carries, from the one name table */
        char sandboxes[64] = "";
        for (enum sandbox_kind k = SANDBOX_NONE; k <= SANDBOX_VM; k++)
                snprintf(sandboxes + strlen(sandboxes), sizeof sandboxes - strlen(sandboxes), "%s%s",
                         k == SANDBOX_NONE ? "" : ",", sandbox_name(k));
        json_object_set_new(ann, "io.github.cocoon.sandboxes", json_string(sandboxes));
        enum cgroup_layout layout;
        if (cgroup_detect_layout(&layout) == 0)
                json_object_set_new(ann, "io.github.cocoon.cgroup-layout", json_string(cgroup_layout_name(layout)));
        json_object_set_new(ann, "io.github.cocoon.host.apparmor", json_string(lsm_apparmor_enabled() ? "active" : "inactive"));
        json_object_set_new(ann, "io.github.cocoon.host.selinux", json_string(lsm_selinux_enabled() ? "active" : "inactive"));
        json_object_set_new(ann, "io.github.cocoon.host.resctrl",
                            json_string(access(RESCTRL_ROOT "/info", F_OK) == 0 ? "mounted" : "not mounted"));
        json_object_set_new(ann, "io.github.seccomp.libseccomp.version",
                            json_sprintf("%u.%u.%u", seccomp_version()->major, seccomp_version()->minor,
                                         seccomp_version()->micro));
        unsigned host, sentry, denied, killed;
        sentry_boundary_counts(&host, &sentry, &denied, &killed);
        json_object_set_new(ann, "io.github.cocoon.sentry.syscalls",
                            json_sprintf("host-direct %u, sentry-handled %u, denied %u", host, sentry, denied));
        /* The Sentry's and the Gofer's own allow-lists (their seccomp
         * filters), comma-separated like the other annotations' values. */
        size_t n_own;
        const struct sentry_own_syscall *own = sentry_own_syscalls(&n_own);
        json_object_set_new(ann, "io.github.cocoon.sentry.own-syscalls", joined_names(own, n_own));
        own = sentry_gofer_own_syscalls(&n_own);
        json_object_set_new(ann, "io.github.cocoon.gofer.own-syscalls", joined_names(own, n_own));
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
