/* SPDX-License-Identifier: MIT */
/*
 * config.json from arbitrary bytes: oci_spec_parse() (what `create` runs on
 * the bundle's file), then the checks `create` applies to the parts the
 * parser only type-checks (linux.resources, linux.seccomp), then a deep copy
 * of the process as `exec` makes.  A document without "ociVersion" is also
 * parsed as an `exec --process` file.  Invariants beyond "no sanitizer report,
 * no leak": a rejected document returns -EINVAL or -ENOMEM and no spec; an
 * accepted one has the fields the parser promises (spec.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "linux/cgroup_resources.h"
#include "linux/seccomp.h"
#include "oci/spec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        fuzz_quiet_logs();
        return 0;
}

static void check_strv(char **v) {
        for (; v && *v; v++)
                FUZZ_CHECK(strlen(*v) < (1u << 30));
}

static void check_process(const struct oci_process *p) {
        FUZZ_CHECK(p->cwd && p->cwd[0] == '/');
        FUZZ_CHECK(p->args && p->args[0]);
        check_strv(p->args);
        check_strv(p->env);
        for (size_t i = 0; i < p->n_rlimits; i++)
                FUZZ_CHECK(p->rlimits[i].soft <= p->rlimits[i].hard);

        struct oci_process *d = oci_process_dup(p);
        if (!d)
                return; /* ENOMEM */
        FUZZ_CHECK(strcmp(d->cwd, p->cwd) == 0);
        for (size_t i = 0; p->args[i]; i++)
                FUZZ_CHECK(d->args[i] && strcmp(d->args[i], p->args[i]) == 0);
        FUZZ_CHECK(d->n_rlimits == p->n_rlimits);
        oci_process_free(d);
}

/* `exec --process FILE`: a process object alone (oci_process_load parses
 * the file with oci_process_parse).  Inputs without "ociVersion" are tried
 * this way too, so the two parsers share one corpus. */
static void fuzz_process_file(const uint8_t *data, size_t size) {
        json_t *doc = json_loadb((const char *) data, size, 0, NULL);
        if (!doc)
                return;
        if (json_is_object(doc) && !json_object_get(doc, "ociVersion")) {
                struct oci_process *p = NULL;
                int r = oci_process_parse(doc, "process.json", "", &p);
                if (r < 0)
                        FUZZ_CHECK((r == -EINVAL || r == -ENOMEM) && p == NULL);
                else {
                        FUZZ_CHECK(r == 0 && p);
                        check_process(p);
                        oci_process_free(p);
                }
        }
        json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_process_file(data, size);
        struct oci_spec *s = NULL;
        int r = oci_spec_parse((const char *) data, size, "config.json", &s);
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
                FUZZ_CHECK(s == NULL);
                return 0;
        }
        FUZZ_CHECK(r == 0 && s);
        FUZZ_CHECK(s->json && json_is_object(s->json));
        FUZZ_CHECK(s->oci_version && s->root_path && s->root_path[0]);
        for (size_t i = 0; i < s->n_mounts; i++) {
                FUZZ_CHECK(s->mounts[i].destination && s->mounts[i].destination[0] == '/');
                FUZZ_CHECK(s->mounts[i].options);
        }
        for (int k = 0; k < OCI_HOOK_KIND_MAX; k++)
                for (size_t i = 0; i < s->n_hooks[k]; i++)
                        FUZZ_CHECK(s->hooks[k][i].path && s->hooks[k][i].timeout >= 0);
        if (s->process)
                check_process(s->process);

        if (s->linux.resources) {
                struct cgroup_resources res;
                if (cgroup_resources_parse(s->linux.resources, "config.json: linux.resources", &res) == 0)
                        cgroup_resources_done(&res);
        }
        if (s->linux.seccomp)
                (void) seccomp_check(s->linux.seccomp);

        oci_spec_free(s);
        return 0;
}
