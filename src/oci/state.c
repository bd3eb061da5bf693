/* SPDX-License-Identifier: MIT */
#include "oci/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "oci/spec.h"
#include "util.h"

#define STATE_FILE "state.json"

void state_free(struct cocoon_state *s) {
        if (!s)
                return;
        free(s->id);
        free(s->bundle);
        free(s->rootfs);
        free(s->created);
        free(s->owner);
        free(s->sandbox);
        json_decref(s->cgroup);
        json_decref(s->annotations);
        free(s);
}

static int set_str(json_t *o, const char *k, const char *v) {
        return json_object_set_new(o, k, v ? json_string(v) : json_null());
}

int state_save(int dirfd, const struct cocoon_state *s) {
        json_t *o = json_object();
        if (!o)
                return -ENOMEM;
        set_str(o, "id", s->id);
        json_object_set_new(o, "pid", json_integer(s->pid));
        json_object_set_new(o, "start_time", json_integer((json_int_t) s->start_time));
        set_str(o, "bundle", s->bundle);
        set_str(o, "rootfs", s->rootfs);
        set_str(o, "created", s->created);
        set_str(o, "owner", s->owner);
        json_object_set_new(o, "annotations", s->annotations ? json_incref(s->annotations) : json_object());
        set_str(o, "sandbox", s->sandbox);
        json_object_set_new(o, "cgroup", s->cgroup ? json_incref(s->cgroup) : json_null());
        json_object_set_new(o, "config_saved", json_boolean(s->config_saved));
        if (s->workload_pid > 0) {
                json_object_set_new(o, "workload_pid", json_integer(s->workload_pid));
                json_object_set_new(o, "workload_start_time", json_integer((json_int_t) s->workload_start_time));
        }
        char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!text)
                return -ENOMEM;
        int r = write_file_atomic_at(dirfd, STATE_FILE, text, strlen(text), 0600);
        free(text);
        if (r < 0)
                return log_error_errno(r, "write state of container \"%s\"", s->id);
        return 0;
}

static char *get_str(json_t *o, const char *k) {
        json_t *v = json_object_get(o, k);
        return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

int state_parse(int dirfd, struct cocoon_state **ret, char *why, size_t why_size) {
        _cleanup_free_ char *text = NULL;
        int r = read_file_at(dirfd, STATE_FILE, &text, NULL);
        if (r < 0) {
                snprintf(why, why_size, "%s", strerror(-r));
                return r;
        }
        json_error_t jerr;
        json_t *o = json_loads(text, 0, &jerr);
        if (!json_is_object(o)) {
                json_decref(o);
                snprintf(why, why_size, "%s", jerr.text);
                return -EUCLEAN;
        }
        struct cocoon_state *s = calloc(1, sizeof *s);
        if (!s) {
                json_decref(o);
                return -ENOMEM;
        }
        s->id = get_str(o, "id");
        s->pid = (pid_t) json_integer_value(json_object_get(o, "pid"));
        s->start_time = (unsigned long long) json_integer_value(json_object_get(o, "start_time"));
        s->bundle = get_str(o, "bundle");
        s->rootfs = get_str(o, "rootfs");
        s->created = get_str(o, "created");
        s->owner = get_str(o, "owner");
        s->sandbox = get_str(o, "sandbox");
        json_t *cg = json_object_get(o, "cgroup");
        s->cgroup = json_is_object(cg) ? json_incref(cg) : NULL;
        s->config_saved = json_is_true(json_object_get(o, "config_saved"));
        s->workload_pid = (pid_t) json_integer_value(json_object_get(o, "workload_pid"));
        s->workload_start_time = (unsigned long long) json_integer_value(json_object_get(o, "workload_start_time"));
        json_t *a = json_object_get(o, "annotations");
        s->annotations = json_is_object(a) ? json_incref(a) : json_object();
        json_decref(o);
        if (!s->id || !s->bundle || !s->sandbox) {
                state_free(s);
                snprintf(why, why_size, "missing fields");
                return -EUCLEAN;
        }
        *ret = s;
        return 0;
}

int state_load(int dirfd, const char *id, struct cocoon_state **ret) {
        char why[160];
        int r = state_parse(dirfd, ret, why, sizeof why);
        if (r == -ENOENT)
                /* the directory is there (the caller opened it): a create or
                 * delete was killed between the directory and the file */
                return log_fail(-ENOENT, "container \"%s\" has no state (an interrupted create or delete); "
                                         "delete --force removes what is left", id);
        if (r == -EUCLEAN)
                return log_fail(-EUCLEAN, "state of container \"%s\" is corrupt (%s); use delete --force", id, why);
        if (r < 0)
                return log_error_errno(r, "read state of container \"%s\"", id);
        return 0;
}

json_t *state_to_oci(const struct cocoon_state *s, const char *status) {
        json_t *o = json_object();
        json_object_set_new(o, "ociVersion", json_string(OCI_VERSION));
        json_object_set_new(o, "id", json_string(s->id));
        /* runc reports pid 0 for a stopped container */
        json_object_set_new(o, "pid", json_integer(strcmp(status, "stopped") ? s->pid : 0));
        json_object_set_new(o, "status", json_string(status));
        json_object_set_new(o, "bundle", json_string(s->bundle));
        json_object_set_new(o, "rootfs", json_string(s->rootfs ? s->rootfs : ""));
        json_object_set_new(o, "created", json_string(s->created ? s->created : ""));
        json_object_set_new(o, "owner", json_string(s->owner ? s->owner : ""));
        json_object_set_new(o, "annotations", s->annotations ? json_incref(s->annotations) : json_object());
        return o;
}
