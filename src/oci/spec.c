/* SPDX-License-Identifier: MIT */
/*
 * config.json parser and validator.
 *
 * Ground rules, so the behaviour is predictable for people who know runc:
 *  - Unknown keys are ignored at every level (forward compatibility).
 *  - JSON null is treated as "absent", as Go's encoding/json does; a null
 *    required field is therefore reported as missing.
 *  - Optional strings whose empty value runc treats as "unset" (hostname,
 *    cgroupsPath, labels, namespace paths, ...) are stored as NULL when empty,
 *    so consumers have only one "unset" to test.
 *  - Every rejection is one line "<name>: <json path>: <problem>" and -EINVAL.
 *    It goes through log_error_raw() so no ": Invalid argument" is appended:
 *    the errno adds nothing to a validation message.
 */
#include "oci/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* A config.json is a few KiB; anything this big is a mistake or an attack on the runtime. */
#define SPEC_MAX_SIZE (32u << 20)

struct ctx {
        const char *name; /* prefix of every message: "config.json" or a file name */
        int cap_last;     /* the running kernel's cap_last_cap; -1 until read */
};

/* JSON paths are built on the stack as values are visited and only printed
 * on error; a truncated path in a pathological document is harmless. */
typedef struct {
        char s[384];
} jpath_t;

static void jp_mark_truncated(jpath_t *p, int n) {
        if (n < 0 || (size_t) n >= sizeof p->s)
                memcpy(p->s + sizeof p->s - 4, "...", 4);
}

static jpath_t jp_key(const char *parent, const char *key) {
        jpath_t p;
        int n;
        if (parent && *parent)
                n = snprintf(p.s, sizeof p.s, "%s.%s", parent, key);
        else
                n = snprintf(p.s, sizeof p.s, "%s", key);
        jp_mark_truncated(&p, n);
        return p;
}

/* For keys that are data (annotation names, sysctl keys) and may contain dots. */
static jpath_t jp_quoted(const char *parent, const char *key) {
        jpath_t p;
        jp_mark_truncated(&p, snprintf(p.s, sizeof p.s, "%s[\"%s\"]", parent, key));
        return p;
}

static jpath_t jp_idx(const char *parent, size_t i) {
        jpath_t p;
        jp_mark_truncated(&p, snprintf(p.s, sizeof p.s, "%s[%zu]", parent, i));
        return p;
}

__attribute__((format(printf, 3, 4))) static int fail(const struct ctx *c, const char *path, const char *fmt,
                                                       ...) {
        char msg[LOG_FORWARD_MAX];
        int n;
        if (path && *path)
                n = snprintf(msg, sizeof msg, "%s: %s: ", c->name, path);
        else
                n = snprintf(msg, sizeof msg, "%s: ", c->name);
        if (n < 0 || (size_t) n >= sizeof msg)
                n = 0;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg + n, sizeof msg - (size_t) n, fmt, ap);
        va_end(ap);
        return log_error_raw(-EINVAL, msg);
}

static int oom(void) {
        return log_error_errno(-ENOMEM, "parsing the OCI configuration");
}

static json_t *member(json_t *obj, const char *key) {
        json_t *v = json_object_get(obj, key);
        return json_is_null(v) ? NULL : v;
}

static int missing(const struct ctx *c, const char *path) {
        return fail(c, path, "required field is missing");
}

static int check_object(const struct ctx *c, json_t *v, const char *path) {
        if (!json_is_object(v))
                return fail(c, path, "expected an object");
        return 0;
}

static int check_array(const struct ctx *c, json_t *v, const char *path) {
        if (!json_is_array(v))
                return fail(c, path, "expected an array");
        return 0;
}

/* Optional object kept as a borrowed reference into the document. */
static int get_object_ref(const struct ctx *c, json_t *obj, const char *parent, const char *key, json_t **out) {
        json_t *v = member(obj, key);
        *out = NULL;
        if (!v)
                return 0;
        int r = check_object(c, v, jp_key(parent, key).s);
        if (r < 0)
                return r;
        *out = v;
        return 0;
}

static int get_string(const struct ctx *c, json_t *v, const char *path, char **out) {
        if (!json_is_string(v))
                return fail(c, path, "expected a string");
        char *s = strdup(json_string_value(v));
        if (!s)
                return oom();
        free(*out);
        *out = s;
        return 0;
}

/* Optional string member; empty counts as absent when `empty_is_unset`. */
static int get_opt_string(const struct ctx *c, json_t *obj, const char *parent, const char *key,
                          bool empty_is_unset, char **out) {
        json_t *v = member(obj, key);
        if (!v)
                return 0;
        if (empty_is_unset && json_is_string(v) && json_string_length(v) == 0)
                return 0;
        return get_string(c, v, jp_key(parent, key).s, out);
}

static int get_abs_path(const struct ctx *c, json_t *v, const char *path, char **out) {
        if (!v)
                return missing(c, path);
        if (!json_is_string(v))
                return fail(c, path, "expected a string");
        if (json_string_value(v)[0] != '/')
                return fail(c, path, "must be an absolute path, got \"%s\"", json_string_value(v));
        return get_string(c, v, path, out);
}

static int get_bool(const struct ctx *c, json_t *obj, const char *parent, const char *key, bool *out) {
        json_t *v = member(obj, key);
        if (!v)
                return 0;
        if (!json_is_boolean(v))
                return fail(c, jp_key(parent, key).s, "expected a boolean");
        *out = json_is_true(v);
        return 0;
}

static int get_int(const struct ctx *c, json_t *v, const char *path, int64_t min, int64_t max, int64_t *out) {
        if (!v)
                return missing(c, path);
        if (!json_is_integer(v))
                return fail(c, path, "expected an integer");
        json_int_t i = json_integer_value(v);
        if (i < min || i > max)
                return fail(c, path, "%lld is out of range [%lld, %lld]", (long long) i, (long long) min,
                            (long long) max);
        *out = i;
        return 0;
}

static int get_u32(const struct ctx *c, json_t *v, const char *path, uint32_t *out) {
        int64_t i = 0;
        int r = get_int(c, v, path, 0, UINT32_MAX, &i);
        if (r < 0)
                return r;
        *out = (uint32_t) i;
        return 0;
}

/* Unsigned 64-bit values above INT64_MAX (RLIM_INFINITY written as
 * 18446744073709551615 by Docker's "--ulimit x=-1") do not fit jansson's
 * integers; load_json() re-reads such documents with integers as reals and
 * only those huge values stay reals.  They can only be meant as "unlimited"
 * or something within the double's rounding of it. */
static int get_u64(const struct ctx *c, json_t *v, const char *path, uint64_t *out) {
        if (!v)
                return missing(c, path);
        if (json_is_integer(v)) {
                if (json_integer_value(v) < 0)
                        return fail(c, path, "expected an unsigned integer, got %lld",
                                    (long long) json_integer_value(v));
                *out = (uint64_t) json_integer_value(v);
                return 0;
        }
        if (json_is_real(v)) {
                double d = json_real_value(v);
                /* Doubles this large are whole numbers. */
                if (d >= 0x1p63 && d <= 0x1p64) {
                        *out = d >= 0x1p64 ? UINT64_MAX : (uint64_t) d;
                        return 0;
                }
        }
        return fail(c, path, "expected an unsigned integer");
}

static void strv_release(char **v) {
        strv_freep(&v);
}

static size_t strv_length(char *const *v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

static char **strv_dup(char *const *v) {
        if (!v)
                return NULL;
        size_t n = strv_length(v);
        _cleanup_strv_free_ char **d = calloc(n + 1, sizeof(char *));
        if (!d)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!(d[i] = strdup(v[i])))
                        return NULL;
        return TAKE_PTR(d);
}

/* Array of strings -> NULL-terminated vector (never NULL on success). */
static int get_strv(const struct ctx *c, json_t *v, const char *path, bool absolute, char ***out) {
        int r = check_array(c, v, path);
        if (r < 0)
                return r;
        size_t n = json_array_size(v);
        _cleanup_strv_free_ char **s = calloc(n + 1, sizeof(char *));
        if (!s)
                return oom();
        for (size_t i = 0; i < n; i++) {
                json_t *e = json_array_get(v, i);
                r = absolute ? get_abs_path(c, e, jp_idx(path, i).s, &s[i])
                             : get_string(c, e, jp_idx(path, i).s, &s[i]);
                if (r < 0)
                        return r;
        }
        strv_release(*out);
        *out = TAKE_PTR(s);
        return 0;
}

static int get_opt_strv(const struct ctx *c, json_t *obj, const char *parent, const char *key, bool absolute,
                        char ***out) {
        json_t *v = member(obj, key);
        if (!v)
                return 0;
        return get_strv(c, v, jp_key(parent, key).s, absolute, out);
}

static int parse_id_mappings(const struct ctx *c, json_t *obj, const char *parent, const char *key,
                             struct oci_id_mapping **out, size_t *n_out) {
        json_t *v = member(obj, key);
        if (!v)
                return 0;
        jpath_t path = jp_key(parent, key);
        int r = check_array(c, v, path.s);
        if (r < 0)
                return r;
        size_t n = json_array_size(v);
        if (n == 0)
                return 0;
        _cleanup_free_ struct oci_id_mapping *m = calloc(n, sizeof *m);
        if (!m)
                return oom();
        for (size_t i = 0; i < n; i++) {
                json_t *e = json_array_get(v, i);
                jpath_t p = jp_idx(path.s, i);
                if ((r = check_object(c, e, p.s)) < 0 ||
                    (r = get_u32(c, member(e, "containerID"), jp_key(p.s, "containerID").s, &m[i].container_id)) < 0 ||
                    (r = get_u32(c, member(e, "hostID"), jp_key(p.s, "hostID").s, &m[i].host_id)) < 0 ||
                    (r = get_u32(c, member(e, "size"), jp_key(p.s, "size").s, &m[i].size)) < 0)
                        return r;
                /* The kernel refuses such a map line when it is written; say where it came from. */
                if (m[i].size == 0)
                        return fail(c, jp_key(p.s, "size").s, "must be greater than 0");
                if ((uint64_t) m[i].container_id + m[i].size > (uint64_t) UINT32_MAX + 1 ||
                    (uint64_t) m[i].host_id + m[i].size > (uint64_t) UINT32_MAX + 1)
                        return fail(c, p.s, "range overflows the 32-bit id space");
        }
        *out = TAKE_PTR(m);
        *n_out = n;
        return 0;
}

/* ---- process ------------------------------------------------------------------------------ */

static int parse_user(const struct ctx *c, json_t *v, const char *path, struct oci_user *u) {
        int r = check_object(c, v, path);
        if (r < 0)
                return r;
        if ((r = get_u32(c, member(v, "uid"), jp_key(path, "uid").s, &u->uid)) < 0 ||
            (r = get_u32(c, member(v, "gid"), jp_key(path, "gid").s, &u->gid)) < 0)
                return r;
        json_t *umask = member(v, "umask");
        if (umask) {
                if ((r = get_u32(c, umask, jp_key(path, "umask").s, &u->umask)) < 0)
                        return r;
                if (u->umask > 07777)
                        return fail(c, jp_key(path, "umask").s, "%#o is not a file mode mask", u->umask);
                u->has_umask = true;
        }
        json_t *gids = member(v, "additionalGids");
        if (gids) {
                jpath_t gp = jp_key(path, "additionalGids");
                if ((r = check_array(c, gids, gp.s)) < 0)
                        return r;
                size_t n = json_array_size(gids);
                if (n > 0) {
                        if (!(u->additional_gids = calloc(n, sizeof(uint32_t))))
                                return oom();
                        u->n_additional_gids = n;
                        for (size_t i = 0; i < n; i++)
                                if ((r = get_u32(c, json_array_get(gids, i), jp_idx(gp.s, i).s,
                                                 &u->additional_gids[i])) < 0)
                                        return r;
                }
        }
        return 0;
}

static int read_cap_last(void) {
        char buf[32];
        int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return OCI_CAP_LAST;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return OCI_CAP_LAST;
        buf[n] = 0;
        int last = atoi(buf);
        return last > 0 && last <= 63 ? last : OCI_CAP_LAST;
}

static int parse_cap_set(struct ctx *c, json_t *obj, const char *parent, const char *key, uint64_t *out) {
        json_t *v = member(obj, key);
        if (!v)
                return 0;
        jpath_t path = jp_key(parent, key);
        int r = check_array(c, v, path.s);
        if (r < 0)
                return r;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
                jpath_t p = jp_idx(path.s, i);
                if (!json_is_string(e))
                        return fail(c, p.s, "expected a string");
                const char *name = json_string_value(e);
                int cap = oci_cap_from_name(name);
                /* runc ignores what it does not know (a config written for a newer
                 * kernel must still run), so do we, but say so. */
                if (cap < 0) {
                        log_warn("%s: %s: ignoring unknown capability \"%s\"", c->name, p.s, name);
                        continue;
                }
                if (c->cap_last < 0)
                        c->cap_last = read_cap_last();
                if (cap > c->cap_last) {
                        log_warn("%s: %s: ignoring capability %s, not supported by this kernel", c->name,
                                 p.s, name);
                        continue;
                }
                *out |= UINT64_C(1) << cap;
        }
        return 0;
}

static int parse_rlimits(const struct ctx *c, json_t *v, const char *path, struct oci_process *p) {
        int r = check_array(c, v, path);
        if (r < 0)
                return r;
        size_t n = json_array_size(v);
        if (n == 0)
                return 0;
        if (!(p->rlimits = calloc(n, sizeof *p->rlimits)))
                return oom();
        for (size_t i = 0; i < n; i++) {
                json_t *e = json_array_get(v, i);
                jpath_t ep = jp_idx(path, i);
                jpath_t tp = jp_key(ep.s, "type");
                struct oci_rlimit *rl = &p->rlimits[i];
                if ((r = check_object(c, e, ep.s)) < 0)
                        return r;
                json_t *type = member(e, "type");
                if (!type)
                        return missing(c, tp.s);
                if (!json_is_string(type))
                        return fail(c, tp.s, "expected a string");
                rl->resource = oci_rlimit_from_name(json_string_value(type));
                if (rl->resource < 0)
                        return fail(c, tp.s, "unknown rlimit type \"%s\"", json_string_value(type));
                for (size_t j = 0; j < i; j++)
                        if (p->rlimits[j].resource == rl->resource)
                                return fail(c, tp.s, "duplicate rlimit type \"%s\"", json_string_value(type));
                if ((r = get_u64(c, member(e, "soft"), jp_key(ep.s, "soft").s, &rl->soft)) < 0 ||
                    (r = get_u64(c, member(e, "hard"), jp_key(ep.s, "hard").s, &rl->hard)) < 0)
                        return r;
                /* setrlimit() would refuse it in the container's init; report it here with its path. */
                if (rl->soft > rl->hard)
                        return fail(c, ep.s, "soft limit %llu exceeds hard limit %llu",
                                    (unsigned long long) rl->soft, (unsigned long long) rl->hard);
                p->n_rlimits = i + 1;
        }
        return 0;
}

/* runc's init refuses such entries just before exec ("invalid environment
 * variable"); catching them here reports the path instead of failing late. */
static int check_env(const struct ctx *c, char **env, const char *path) {
        for (size_t i = 0; env && env[i]; i++) {
                const char *eq = strchr(env[i], '=');
                if (!eq)
                        return fail(c, jp_idx(path, i).s, "invalid environment variable \"%s\": missing '='",
                                    env[i]);
                if (eq == env[i])
                        return fail(c, jp_idx(path, i).s, "invalid environment variable \"%s\": empty name",
                                    env[i]);
        }
        return 0;
}

void oci_process_free(struct oci_process *p) {
        if (!p)
                return;
        free(p->cwd);
        strv_release(p->args);
        strv_release(p->env);
        free(p->user.additional_gids);
        free(p->rlimits);
        free(p->apparmor_profile);
        free(p->selinux_label);
        json_decref(p->io_priority);
        json_decref(p->scheduler);
        free(p);
}

static int process_parse(struct ctx *c, json_t *obj, const char *where, struct oci_process **ret) {
        __attribute__((cleanup(oci_process_freep))) struct oci_process *p = NULL;
        int r;

        if ((r = check_object(c, obj, where)) < 0)
                return r;
        if (!(p = calloc(1, sizeof *p)))
                return oom();

        if ((r = get_bool(c, obj, where, "terminal", &p->terminal)) < 0)
                return r;

        json_t *cs = member(obj, "consoleSize");
        if (cs) {
                jpath_t cp = jp_key(where, "consoleSize");
                uint32_t h = 0, w = 0;
                if ((r = check_object(c, cs, cp.s)) < 0 ||
                    (r = get_u32(c, member(cs, "height"), jp_key(cp.s, "height").s, &h)) < 0 ||
                    (r = get_u32(c, member(cs, "width"), jp_key(cp.s, "width").s, &w)) < 0)
                        return r;
                p->console_height = h;
                p->console_width = w;
        }

        /* OCI requires "user" on Linux, but runc (Go zero values) runs a process
         * without it as root; configs in the wild rely on that.  When the object
         * is there, its uid and gid are required. */
        json_t *user = member(obj, "user");
        if (user && (r = parse_user(c, user, jp_key(where, "user").s, &p->user)) < 0)
                return r;

        jpath_t ap = jp_key(where, "args");
        json_t *args = member(obj, "args");
        if (!args)
                return missing(c, ap.s);
        if ((r = get_strv(c, args, ap.s, false, &p->args)) < 0)
                return r;
        if (!p->args || !p->args[0])
                return fail(c, ap.s, "must not be empty");

        jpath_t envp = jp_key(where, "env");
        if ((r = get_opt_strv(c, obj, where, "env", false, &p->env)) < 0 || (r = check_env(c, p->env, envp.s)) < 0)
                return r;
        if (!p->env && !(p->env = calloc(1, sizeof(char *))))
                return oom();

        jpath_t cwdp = jp_key(where, "cwd");
        json_t *cwd = member(obj, "cwd");
        if (!cwd)
                return missing(c, cwdp.s);
        if ((r = get_abs_path(c, cwd, cwdp.s, &p->cwd)) < 0)
                return r;

        json_t *caps = member(obj, "capabilities");
        if (caps) {
                jpath_t kp = jp_key(where, "capabilities");
                if ((r = check_object(c, caps, kp.s)) < 0 ||
                    (r = parse_cap_set(c, caps, kp.s, "bounding", &p->caps.bounding)) < 0 ||
                    (r = parse_cap_set(c, caps, kp.s, "effective", &p->caps.effective)) < 0 ||
                    (r = parse_cap_set(c, caps, kp.s, "inheritable", &p->caps.inheritable)) < 0 ||
                    (r = parse_cap_set(c, caps, kp.s, "permitted", &p->caps.permitted)) < 0 ||
                    (r = parse_cap_set(c, caps, kp.s, "ambient", &p->caps.ambient)) < 0)
                        return r;
                p->has_caps = true;
        }

        json_t *rl = member(obj, "rlimits");
        if (rl && (r = parse_rlimits(c, rl, jp_key(where, "rlimits").s, p)) < 0)
                return r;

        if ((r = get_bool(c, obj, where, "noNewPrivileges", &p->no_new_privileges)) < 0 ||
            (r = get_opt_string(c, obj, where, "apparmorProfile", true, &p->apparmor_profile)) < 0 ||
            (r = get_opt_string(c, obj, where, "selinuxLabel", true, &p->selinux_label)) < 0)
                return r;

        json_t *oom_adj = member(obj, "oomScoreAdj");
        if (oom_adj) {
                int64_t v = 0;
                if ((r = get_int(c, oom_adj, jp_key(where, "oomScoreAdj").s, -1000, 1000, &v)) < 0)
                        return r;
                p->oom_score_adj = (int) v;
                p->has_oom_score_adj = true;
        }

        if ((r = get_object_ref(c, obj, where, "ioPriority", &p->io_priority)) < 0 ||
            (r = get_object_ref(c, obj, where, "scheduler", &p->scheduler)) < 0)
                return r;
        json_incref(p->io_priority);
        json_incref(p->scheduler);

        *ret = TAKE_PTR(p);
        return 0;
}

int oci_process_parse(json_t *obj, const char *name, const char *where, struct oci_process **ret) {
        struct ctx c = {.name = name ? name : "process", .cap_last = -1};
        return process_parse(&c, obj, where ? where : "", ret);
}

static void *memdup(const void *src, size_t size) {
        void *d = malloc(size);
        return d ? memcpy(d, src, size) : NULL;
}

/* Copy the owned parts of `p` into `d`, which starts as a shallow copy with
 * every owned pointer cleared, so a failure leaves only what was made to free. */
static int process_copy_owned(struct oci_process *d, const struct oci_process *p) {
        if ((p->cwd && !(d->cwd = strdup(p->cwd))) || (p->args && !(d->args = strv_dup(p->args))) ||
            (p->env && !(d->env = strv_dup(p->env))) ||
            (p->apparmor_profile && !(d->apparmor_profile = strdup(p->apparmor_profile))) ||
            (p->selinux_label && !(d->selinux_label = strdup(p->selinux_label))))
                return -ENOMEM;
        if (p->user.n_additional_gids > 0 &&
            !(d->user.additional_gids =
                      memdup(p->user.additional_gids, p->user.n_additional_gids * sizeof(uint32_t))))
                return -ENOMEM;
        if (p->n_rlimits > 0 && !(d->rlimits = memdup(p->rlimits, p->n_rlimits * sizeof *p->rlimits)))
                return -ENOMEM;
        d->io_priority = json_incref(p->io_priority);
        d->scheduler = json_incref(p->scheduler);
        return 0;
}

struct oci_process *oci_process_dup(const struct oci_process *p) {
        if (!p)
                return NULL;
        struct oci_process *d = calloc(1, sizeof *d);
        if (!d)
                return NULL;
        *d = *p;
        d->cwd = NULL;
        d->args = d->env = NULL;
        d->user.additional_gids = NULL;
        d->rlimits = NULL;
        d->apparmor_profile = d->selinux_label = NULL;
        d->io_priority = d->scheduler = NULL;
        if (process_copy_owned(d, p) < 0) {
                oci_process_free(d);
                return NULL;
        }
        return d;
}

static json_t *strv_to_json(char *const *v) {
        json_t *a = json_array();
        for (; a && v && *v; v++)
                if (json_array_append_new(a, json_string(*v)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *cap_set_to_json(uint64_t set) {
        json_t *a = json_array();
        for (int cap = 0; a && cap < 64; cap++) {
                const char *name = (set >> cap) & 1 ? oci_cap_to_name(cap) : NULL;
                if (name && json_array_append_new(a, json_string(name)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

/* Beyond INT64_MAX only as a double, which get_u64 reads back (RLIM_INFINITY
 * is 2^64 - 1, a double of 2^64). */
static json_t *u64_to_json(uint64_t v) {
        return v > INT64_MAX ? json_real((double) v) : json_integer((json_int_t) v);
}

json_t *oci_process_to_json(const struct oci_process *p) {
        _cleanup_(json_decrefp) json_t *o = json_object();
        if (!o)
                return NULL;
        int bad = 0;
        bad |= json_object_set_new(o, "terminal", json_boolean(p->terminal));
        if (p->console_height || p->console_width)
                bad |= json_object_set_new(o, "consoleSize", json_pack("{s:I,s:I}", "height",
                                                                       (json_int_t) p->console_height, "width",
                                                                       (json_int_t) p->console_width));
        json_t *user = json_pack("{s:I,s:I}", "uid", (json_int_t) p->user.uid, "gid", (json_int_t) p->user.gid);
        if (user && p->user.has_umask)
                bad |= json_object_set_new(user, "umask", json_integer(p->user.umask));
        if (user && p->user.n_additional_gids) {
                json_t *g = json_array();
                for (size_t i = 0; g && i < p->user.n_additional_gids; i++)
                        bad |= json_array_append_new(g, json_integer(p->user.additional_gids[i]));
                bad |= json_object_set_new(user, "additionalGids", g);
        }
        bad |= json_object_set_new(o, "user", user);
        bad |= json_object_set_new(o, "args", strv_to_json(p->args));
        bad |= json_object_set_new(o, "env", strv_to_json(p->env));
        bad |= json_object_set_new(o, "cwd", json_string(p->cwd));
        if (p->has_caps)
                bad |= json_object_set_new(o, "capabilities",
                                           json_pack("{s:o,s:o,s:o,s:o,s:o}", "bounding",
                                                     cap_set_to_json(p->caps.bounding), "effective",
                                                     cap_set_to_json(p->caps.effective), "inheritable",
                                                     cap_set_to_json(p->caps.inheritable), "permitted",
                                                     cap_set_to_json(p->caps.permitted), "ambient",
                                                     cap_set_to_json(p->caps.ambient)));
        if (p->n_rlimits) {
                json_t *rl = json_array();
                for (size_t i = 0; rl && i < p->n_rlimits; i++)
                        bad |= json_array_append_new(
                                rl, json_pack("{s:s,s:o,s:o}", "type", oci_rlimit_to_name(p->rlimits[i].resource),
                                              "soft", u64_to_json(p->rlimits[i].soft), "hard",
                                              u64_to_json(p->rlimits[i].hard)));
                bad |= json_object_set_new(o, "rlimits", rl);
        }
        bad |= json_object_set_new(o, "noNewPrivileges", json_boolean(p->no_new_privileges));
        if (p->apparmor_profile)
                bad |= json_object_set_new(o, "apparmorProfile", json_string(p->apparmor_profile));
        if (p->selinux_label)
                bad |= json_object_set_new(o, "selinuxLabel", json_string(p->selinux_label));
        if (p->has_oom_score_adj)
                bad |= json_object_set_new(o, "oomScoreAdj", json_integer(p->oom_score_adj));
        if (p->io_priority)
                bad |= json_object_set(o, "ioPriority", p->io_priority);
        if (p->scheduler)
                bad |= json_object_set(o, "scheduler", p->scheduler);
        /* json_object_set_new fails (and frees) on a NULL value: any allocation failure shows */
        return bad ? NULL : TAKE_PTR(o);
}

/* ---- mounts ------------------------------------------------------------------------------- */

/* The mount(2) flags runc 1.1 and crun recognise; "clear" options reset a flag
 * set by an earlier option, the last one wins. */
static const struct {
        const char *name;
        bool clear;
        unsigned long flag;
} mount_flags[] = {
        {"defaults", false, 0}, /* crun drops it; runc would pass it to the fs as data, which tmpfs refuses */
        {"ro", false, MS_RDONLY},
        {"rw", true, MS_RDONLY},
        {"nosuid", false, MS_NOSUID},
        {"suid", true, MS_NOSUID},
        {"nodev", false, MS_NODEV},
        {"dev", true, MS_NODEV},
        {"noexec", false, MS_NOEXEC},
        {"exec", true, MS_NOEXEC},
        {"sync", false, MS_SYNCHRONOUS},
        {"async", true, MS_SYNCHRONOUS},
        {"dirsync", false, MS_DIRSYNC},
        {"remount", false, MS_REMOUNT},
        {"mand", false, MS_MANDLOCK},
        {"nomand", true, MS_MANDLOCK},
        {"noatime", false, MS_NOATIME},
        {"atime", true, MS_NOATIME},
        {"nodiratime", false, MS_NODIRATIME},
        {"diratime", true, MS_NODIRATIME},
        {"relatime", false, MS_RELATIME},
        {"norelatime", true, MS_RELATIME},
        {"strictatime", false, MS_STRICTATIME},
        {"nostrictatime", true, MS_STRICTATIME},
        {"nosymfollow", false, MS_NOSYMFOLLOW},
        {"symfollow", true, MS_NOSYMFOLLOW},
        {"acl", false, MS_POSIXACL},
        {"noacl", true, MS_POSIXACL},
        {"iversion", false, MS_I_VERSION},
        {"noiversion", true, MS_I_VERSION},
        {"lazytime", false, MS_LAZYTIME},
        {"nolazytime", true, MS_LAZYTIME},
        {"silent", false, MS_SILENT},
        {"loud", true, MS_SILENT},
        {"bind", false, MS_BIND},
        {"rbind", false, MS_BIND | MS_REC},
};

static const struct {
        const char *name;
        unsigned long flag;
} mount_propagation[] = {
        {"private", MS_PRIVATE},
        {"rprivate", MS_PRIVATE | MS_REC},
        {"shared", MS_SHARED},
        {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},
        {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE},
        {"runbindable", MS_UNBINDABLE | MS_REC},
};

/* Recursive attributes (runc 1.1 "rro" & co), applied with mount_setattr(AT_RECURSIVE). */
static const struct {
        const char *name;
        bool clear;
        uint64_t attr;
} mount_rec_attrs[] = {
        {"rro", false, MOUNT_ATTR_RDONLY},
        {"rrw", true, MOUNT_ATTR_RDONLY},
        {"rnosuid", false, MOUNT_ATTR_NOSUID},
        {"rsuid", true, MOUNT_ATTR_NOSUID},
        {"rnodev", false, MOUNT_ATTR_NODEV},
        {"rdev", true, MOUNT_ATTR_NODEV},
        {"rnoexec", false, MOUNT_ATTR_NOEXEC},
        {"rexec", true, MOUNT_ATTR_NOEXEC},
        {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
        {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
        {"rrelatime", false, MOUNT_ATTR_RELATIME},
        {"rnorelatime", true, MOUNT_ATTR_RELATIME},
        {"rnoatime", false, MOUNT_ATTR_NOATIME},
        {"ratime", true, MOUNT_ATTR_NOATIME},
        {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
        {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
        {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
        {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

static bool mount_option_apply(struct oci_mount *m, const char *o) {
        for (size_t i = 0; i < ELEMENTSOF(mount_flags); i++) {
                if (strcmp(o, mount_flags[i].name) != 0)
                        continue;
                if (mount_flags[i].clear) {
                        m->flags &= ~mount_flags[i].flag;
                        m->clear_flags |= mount_flags[i].flag;
                } else {
                        m->flags |= mount_flags[i].flag;
                        m->clear_flags &= ~mount_flags[i].flag;
                }
                if (mount_flags[i].flag & MS_BIND)
                        m->bind = true;
                return true;
        }
        for (size_t i = 0; i < ELEMENTSOF(mount_propagation); i++)
                if (strcmp(o, mount_propagation[i].name) == 0) {
                        /* mount(2) takes one propagation type per call: the last one wins. */
                        m->propagation = mount_propagation[i].flag;
                        return true;
                }
        for (size_t i = 0; i < ELEMENTSOF(mount_rec_attrs); i++) {
                if (strcmp(o, mount_rec_attrs[i].name) != 0)
                        continue;
                uint64_t a = mount_rec_attrs[i].attr;
                if ((a & MOUNT_ATTR__ATIME) != a) {
                        if (mount_rec_attrs[i].clear) {
                                m->rec_attr_clr |= a;
                                m->rec_attr_set &= ~a;
                        } else {
                                m->rec_attr_set |= a;
                                m->rec_attr_clr &= ~a;
                        }
                } else if (strcmp(o, "rnorelatime") != 0) {
                        /* atime is a mode, not a bit: the kernel wants the whole field in
                         * attr_clr with at most one mode in attr_set.  "ratime" and
                         * "rnostrictatime" fall back to the kernel's default, relatime
                         * (runc puts a partial field in attr_clr, which mount_setattr refuses);
                         * "rnorelatime" changes nothing, as in runc. */
                        m->rec_attr_set = (m->rec_attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) |
                                          (mount_rec_attrs[i].clear ? 0 : a);
                        m->rec_attr_clr |= MOUNT_ATTR__ATIME;
                }
                return true;
        }
        if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) {
                m->idmap = true;
                m->idmap_recursive = o[0] == 'r';
                return true;
        }
        if (strcmp(o, "tmpcopyup") == 0) {
                m->tmpcopyup = true;
                return true;
        }
        return false;
}

/* "/sys", "/sys/", "//sys" */
static bool is_sys_path(const char *p) {
        if (!p)
                return false;
        while (*p == '/')
                p++;
        if (strncmp(p, "sys", 3) != 0)
                return false;
        for (p += 3; *p == '/'; p++)
                ;
        return *p == 0;
}

bool oci_mount_is_sysfs(const struct oci_mount *m) {
        if (m->type && strcmp(m->type, "sysfs") == 0)
                return true;
        bool bind = m->bind || (m->type && strcmp(m->type, "bind") == 0);
        return bind && m->source && m->source[0] == '/' && is_sys_path(m->source) && is_sys_path(m->destination);
}

int oci_mount_options_parse(struct oci_mount *m, const char *where) {
        m->flags = m->clear_flags = m->propagation = 0;
        m->rec_attr_set = m->rec_attr_clr = 0;
        m->bind = m->tmpcopyup = m->idmap_recursive = false;
        /* Mount-level mappings are what make a mount id-mapped; the option alone
         * means "with the container's mappings" (crun). */
        m->idmap = m->n_uid_mappings > 0 || m->n_gid_mappings > 0;
        free(m->data);
        m->data = NULL;

        /* crun treats type "bind" as a bind mount even without a "bind" option;
         * runc 1.1 would pass "bind" to mount(2) as a filesystem type and fail. */
        if (m->type && strcmp(m->type, "bind") == 0) {
                m->bind = true;
                m->flags |= MS_BIND;
        }

        size_t len = 0;
        for (char **o = m->options; o && *o; o++)
                len += strlen(*o) + 1;
        _cleanup_free_ char *data = malloc(len + 1);
        if (!data)
                return log_error_errno(-ENOMEM, "%s: mount options", where ? where : "mount");
        char *d = data;
        *d = 0;
        for (char **o = m->options; o && *o; o++) {
                if (**o == 0 || mount_option_apply(m, *o))
                        continue;
                /* Anything else belongs to the filesystem (size=, mode=, newinstance, ...). */
                if (d != data)
                        *d++ = ',';
                d = stpcpy(d, *o);
        }
        if (d != data)
                m->data = TAKE_PTR(data);
        return 0;
}

static void mount_clear(struct oci_mount *m) {
        free(m->destination);
        free(m->source);
        free(m->type);
        strv_release(m->options);
        free(m->data);
        free(m->uid_mappings);
        free(m->gid_mappings);
}

static int parse_mount(const struct ctx *c, json_t *v, const char *path, struct oci_mount *m) {
        int r = check_object(c, v, path);
        if (r < 0)
                return r;

        jpath_t dp = jp_key(path, "destination");
        json_t *dest = member(v, "destination");
        if (!dest)
                return missing(c, dp.s);
        if ((r = get_string(c, dest, dp.s, &m->destination)) < 0)
                return r;
        if (m->destination[0] == 0)
                return fail(c, dp.s, "must not be empty");
        if (m->destination[0] != '/') {
                /* Pre-1.0 specs allowed relative destinations and runc 1.1 still
                 * accepts them with a warning, resolving them inside the rootfs,
                 * which is what "/" + destination means.  Normalise here so that
                 * nothing downstream ever sees a relative destination. */
                log_warn("%s: %s: mount destination \"%s\" is not absolute; using \"/%s\"", c->name, dp.s,
                         m->destination, m->destination);
                char *abs;
                if (asprintf(&abs, "/%s", m->destination) < 0)
                        return oom();
                free(m->destination);
                m->destination = abs;
        }

        if ((r = get_opt_string(c, v, path, "source", false, &m->source)) < 0 ||
            (r = get_opt_string(c, v, path, "type", false, &m->type)) < 0 ||
            (r = get_opt_strv(c, v, path, "options", false, &m->options)) < 0)
                return r;
        if (!m->options && !(m->options = calloc(1, sizeof(char *))))
                return oom();

        if ((r = parse_id_mappings(c, v, path, "uidMappings", &m->uid_mappings, &m->n_uid_mappings)) < 0 ||
            (r = parse_id_mappings(c, v, path, "gidMappings", &m->gid_mappings, &m->n_gid_mappings)) < 0)
                return r;
        /* An id-mapped mount needs a user namespace, which needs both maps. */
        if ((m->n_uid_mappings > 0) != (m->n_gid_mappings > 0))
                return fail(c, path, "uidMappings and gidMappings must be given together");

        return oci_mount_options_parse(m, path);
}

/* ---- hooks -------------------------------------------------------------------------------- */

static const char *const hook_names[OCI_HOOK_KIND_MAX] = {
        [OCI_HOOK_PRESTART] = "prestart",
        [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
        [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
        [OCI_HOOK_START_CONTAINER] = "startContainer",
        [OCI_HOOK_POSTSTART] = "poststart",
        [OCI_HOOK_POSTSTOP] = "poststop",
};

const char *oci_hook_kind_name(enum oci_hook_kind kind) {
        return kind >= 0 && kind < OCI_HOOK_KIND_MAX ? hook_names[kind] : "?";
}

static int parse_hook(const struct ctx *c, json_t *v, const char *path, struct oci_hook *h) {
        int r = check_object(c, v, path);
        if (r < 0)
                return r;
        if ((r = get_abs_path(c, member(v, "path"), jp_key(path, "path").s, &h->path)) < 0 ||
            (r = get_opt_strv(c, v, path, "args", false, &h->args)) < 0 ||
            (r = get_opt_strv(c, v, path, "env", false, &h->env)) < 0)
                return r;
        json_t *t = member(v, "timeout");
        if (t) {
                int64_t timeout = 0;
                jpath_t tp = jp_key(path, "timeout");
                if ((r = get_int(c, t, tp.s, INT_MIN, INT_MAX, &timeout)) < 0)
                        return r;
                if (timeout <= 0)
                        return fail(c, tp.s, "must be greater than 0, got %lld", (long long) timeout);
                h->timeout = (int) timeout;
        }
        return 0;
}

static int parse_hooks(const struct ctx *c, json_t *v, struct oci_spec *s) {
        int r = check_object(c, v, "hooks");
        if (r < 0)
                return r;
        for (int k = 0; k < OCI_HOOK_KIND_MAX; k++) {
                json_t *a = member(v, hook_names[k]);
                if (!a)
                        continue;
                jpath_t path = jp_key("hooks", hook_names[k]);
                if ((r = check_array(c, a, path.s)) < 0)
                        return r;
                size_t n = json_array_size(a);
                if (n == 0)
                        continue;
                if (!(s->hooks[k] = calloc(n, sizeof(struct oci_hook))))
                        return oom();
                s->n_hooks[k] = n;
                for (size_t i = 0; i < n; i++)
                        if ((r = parse_hook(c, json_array_get(a, i), jp_idx(path.s, i).s, &s->hooks[k][i])) < 0)
                                return r;
        }
        return 0;
}

/* Objects whose values must all be strings (annotations, sysctl). */
static int check_string_map(const struct ctx *c, json_t *v, const char *path) {
        int r = check_object(c, v, path);
        if (r < 0)
                return r;
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val) {
                if (!json_is_string(val))
                        return fail(c, jp_quoted(path, key).s, "expected a string");
        }
        return 0;
}

/* ---- linux -------------------------------------------------------------------------------- */

static int parse_namespaces(const struct ctx *c, json_t *v, const char *path, struct oci_linux *l) {
        int r = check_array(c, v, path);
        if (r < 0)
                return r;
        size_t n = json_array_size(v);
        if (n == 0)
                return 0;
        if (!(l->namespaces = calloc(n, sizeof *l->namespaces)))
                return oom();
        l->n_namespaces = n;
        for (size_t i = 0; i < n; i++) {
                json_t *e = json_array_get(v, i);
                jpath_t ep = jp_idx(path, i);
                jpath_t tp = jp_key(ep.s, "type");
                if ((r = check_object(c, e, ep.s)) < 0)
                        return r;
                json_t *type = member(e, "type");
                if (!type)
                        return missing(c, tp.s);
                if (!json_is_string(type))
                        return fail(c, tp.s, "expected a string");
                int t = oci_namespace_from_name(json_string_value(type));
                if (t < 0)
                        return fail(c, tp.s, "unknown namespace type \"%s\"", json_string_value(type));
                for (size_t j = 0; j < i; j++)
                        if (l->namespaces[j].type == t)
                                return fail(c, tp.s, "duplicate namespace type \"%s\"", json_string_value(type));
                l->namespaces[i].type = t;
                /* "" is Go's zero value: create a new namespace, as runc does. */
                json_t *nsp = member(e, "path");
                if (nsp && !(json_is_string(nsp) && json_string_length(nsp) == 0) &&
                    (r = get_abs_path(c, nsp, jp_key(ep.s, "path").s, &l->namespaces[i].path)) < 0)
                        return r;
        }
        return 0;
}

static bool has_namespace(const struct oci_linux *l, int type) {
        for (size_t i = 0; i < l->n_namespaces; i++)
                if (l->namespaces[i].type == type)
                        return true;
        return false;
}

const struct oci_namespace *oci_spec_namespace(const struct oci_spec *spec, int type) {
        for (size_t i = 0; i < spec->linux.n_namespaces; i++)
                if (spec->linux.namespaces[i].type == type)
                        return &spec->linux.namespaces[i];
        return NULL;
}

static int parse_time_offset(const struct ctx *c, json_t *v, const char *path, int64_t *secs, uint32_t *nsecs) {
        int r = check_object(c, v, path);
        if (r < 0)
                return r;
        json_t *s = member(v, "secs"), *ns = member(v, "nanosecs");
        if (s && (r = get_int(c, s, jp_key(path, "secs").s, INT64_MIN, INT64_MAX, secs)) < 0)
                return r;
        if (ns) {
                jpath_t np = jp_key(path, "nanosecs");
                if ((r = get_u32(c, ns, np.s, nsecs)) < 0)
                        return r;
                if (*nsecs >= 1000000000u)
                        return fail(c, np.s, "must be less than 1000000000");
        }
        return 0;
}

static int parse_time_offsets(const struct ctx *c, json_t *v, const char *path, struct oci_linux *l) {
        int r = check_object(c, v, path);
        if (r < 0)
                return r;
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val) {
                jpath_t kp = jp_key(path, key);
                if (strcmp(key, "monotonic") == 0)
                        r = parse_time_offset(c, val, kp.s, &l->monotonic_secs, &l->monotonic_nsecs);
                else if (strcmp(key, "boottime") == 0)
                        r = parse_time_offset(c, val, kp.s, &l->boottime_secs, &l->boottime_nsecs);
                else
                        /* Keys here are clock names, not schema: a misspelt clock would
                         * otherwise silently leave the container's clock un-offset. */
                        r = fail(c, kp.s, "unknown clock (only \"monotonic\" and \"boottime\" can be offset)");
                if (r < 0)
                        return r;
        }
        l->has_time_offsets = true;
        return 0;
}

static int parse_device(const struct ctx *c, json_t *v, const char *path, struct oci_device *d) {
        int r = check_object(c, v, path);
        if (r < 0)
                return r;
        if ((r = get_abs_path(c, member(v, "path"), jp_key(path, "path").s, &d->path)) < 0)
                return r;
        jpath_t tp = jp_key(path, "type");
        json_t *type = member(v, "type");
        if (!type)
                return missing(c, tp.s);
        if (!json_is_string(type))
                return fail(c, tp.s, "expected a string");
        const char *t = json_string_value(type);
        if (strlen(t) != 1 || !strchr("cbup", t[0]))
                return fail(c, tp.s, "unknown device type \"%s\" (expected c, b, u or p)", t);
        d->type = t[0];
        if (d->type != 'p') {
                if ((r = get_int(c, member(v, "major"), jp_key(path, "major").s, 0, INT64_MAX, &d->major)) < 0 ||
                    (r = get_int(c, member(v, "minor"), jp_key(path, "minor").s, 0, INT64_MAX, &d->minor)) < 0)
                        return r;
        }
        json_t *mode = member(v, "fileMode"), *uid = member(v, "uid"), *gid = member(v, "gid");
        if (mode) {
                if ((r = get_u32(c, mode, jp_key(path, "fileMode").s, &d->file_mode)) < 0)
                        return r;
                d->has_file_mode = true;
        }
        if (uid) {
                if ((r = get_u32(c, uid, jp_key(path, "uid").s, &d->uid)) < 0)
                        return r;
                d->has_uid = true;
        }
        if (gid) {
                if ((r = get_u32(c, gid, jp_key(path, "gid").s, &d->gid)) < 0)
                        return r;
                d->has_gid = true;
        }
        return 0;
}

static const struct {
        const char *name;
        unsigned long flags;
} rootfs_propagation[] = {
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static int parse_linux(const struct ctx *c, json_t *v, struct oci_linux *l) {
        const char *path = "linux";
        int r = check_object(c, v, path);
        if (r < 0)
                return r;

        json_t *ns = member(v, "namespaces");
        if (ns && (r = parse_namespaces(c, ns, jp_key(path, "namespaces").s, l)) < 0)
                return r;
        if ((r = parse_id_mappings(c, v, path, "uidMappings", &l->uid_mappings, &l->n_uid_mappings)) < 0 ||
            (r = parse_id_mappings(c, v, path, "gidMappings", &l->gid_mappings, &l->n_gid_mappings)) < 0)
                return r;

        json_t *to = member(v, "timeOffsets");
        if (to && (r = parse_time_offsets(c, to, jp_key(path, "timeOffsets").s, l)) < 0)
                return r;

        json_t *devs = member(v, "devices");
        if (devs) {
                jpath_t dp = jp_key(path, "devices");
                if ((r = check_array(c, devs, dp.s)) < 0)
                        return r;
                size_t n = json_array_size(devs);
                if (n > 0) {
                        if (!(l->devices = calloc(n, sizeof *l->devices)))
                                return oom();
                        l->n_devices = n;
                        for (size_t i = 0; i < n; i++)
                                if ((r = parse_device(c, json_array_get(devs, i), jp_idx(dp.s, i).s,
                                                      &l->devices[i])) < 0)
                                        return r;
                }
        }

        if ((r = get_opt_string(c, v, path, "cgroupsPath", true, &l->cgroups_path)) < 0)
                return r;

        json_t *rp = member(v, "rootfsPropagation");
        if (rp) {
                jpath_t pp = jp_key(path, "rootfsPropagation");
                if (!json_is_string(rp))
                        return fail(c, pp.s, "expected a string");
                const char *s = json_string_value(rp);
                if (*s) { /* "" is Go's zero value: unset, as in runc */
                        size_t i;
                        for (i = 0; i < ELEMENTSOF(rootfs_propagation); i++)
                                if (strcmp(s, rootfs_propagation[i].name) == 0)
                                        break;
                        if (i == ELEMENTSOF(rootfs_propagation))
                                return fail(c, pp.s, "unknown propagation \"%s\"", s);
                        l->rootfs_propagation = rootfs_propagation[i].flags;
                }
        }

        if ((r = get_opt_strv(c, v, path, "maskedPaths", true, &l->masked_paths)) < 0 ||
            (r = get_opt_strv(c, v, path, "readonlyPaths", true, &l->readonly_paths)) < 0 ||
            (r = get_opt_string(c, v, path, "mountLabel", true, &l->mount_label)) < 0)
                return r;

        if ((r = get_object_ref(c, v, path, "resources", &l->resources)) < 0 ||
            (r = get_object_ref(c, v, path, "seccomp", &l->seccomp)) < 0 ||
            (r = get_object_ref(c, v, path, "intelRdt", &l->intel_rdt)) < 0 ||
            (r = get_object_ref(c, v, path, "personality", &l->personality)) < 0)
                return r;
        json_t *sysctl = member(v, "sysctl");
        if (sysctl) {
                if ((r = check_string_map(c, sysctl, jp_key(path, "sysctl").s)) < 0)
                        return r;
                l->sysctl = sysctl;
        }
        return 0;
}

/* ---- document ----------------------------------------------------------------------------- */

static int check_version(const struct ctx *c, json_t *v) {
        if (!v)
                return missing(c, "ociVersion");
        if (!json_is_string(v))
                return fail(c, "ociVersion", "expected a string");
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        unsigned long major = strtoul(s, &end, 10);
        if (s[0] < '0' || s[0] > '9' || errno != 0 || (*end != '.' && *end != 0))
                return fail(c, "ociVersion", "invalid version \"%s\"", s);
        if (major != 1)
                return fail(c, "ociVersion", "unsupported version \"%s\" (this runtime implements %s)", s,
                            OCI_VERSION);
        return 0;
}

/* Cross-field rules runc's config validator applies; cheap to check and
 * much clearer here than as a failure half-way through container set-up. */
static int check_consistency(const struct ctx *c, const struct oci_spec *s) {
        const struct oci_linux *l = &s->linux;
        if (s->hostname && !has_namespace(l, CLONE_NEWUTS))
                return fail(c, "hostname", "setting the hostname requires a uts namespace in linux.namespaces");
        if (s->domainname && !has_namespace(l, CLONE_NEWUTS))
                return fail(c, "domainname",
                            "setting the domainname requires a uts namespace in linux.namespaces");
        if ((l->n_uid_mappings > 0 || l->n_gid_mappings > 0) && !has_namespace(l, CLONE_NEWUSER))
                return fail(c, l->n_uid_mappings > 0 ? "linux.uidMappings" : "linux.gidMappings",
                            "id mappings require a user namespace in linux.namespaces");
        if (l->has_time_offsets && !has_namespace(l, CLONE_NEWTIME))
                return fail(c, "linux.timeOffsets", "time offsets require a time namespace in linux.namespaces");
        return 0;
}

void oci_spec_free(struct oci_spec *s) {
        if (!s)
                return;
        free(s->oci_version);
        oci_process_free(s->process);
        free(s->root_path);
        free(s->hostname);
        free(s->domainname);
        for (size_t i = 0; i < s->n_mounts; i++)
                mount_clear(&s->mounts[i]);
        free(s->mounts);
        for (int k = 0; k < OCI_HOOK_KIND_MAX; k++) {
                for (size_t i = 0; i < s->n_hooks[k]; i++) {
                        free(s->hooks[k][i].path);
                        strv_release(s->hooks[k][i].args);
                        strv_release(s->hooks[k][i].env);
                }
                free(s->hooks[k]);
        }
        struct oci_linux *l = &s->linux;
        for (size_t i = 0; i < l->n_namespaces; i++)
                free(l->namespaces[i].path);
        free(l->namespaces);
        free(l->uid_mappings);
        free(l->gid_mappings);
        for (size_t i = 0; i < l->n_devices; i++)
                free(l->devices[i].path);
        free(l->devices);
        free(l->cgroups_path);
        strv_release(l->masked_paths);
        strv_release(l->readonly_paths);
        free(l->mount_label);
        json_decref(s->json);
        free(s);
}

/* After a lossy re-read (see get_u64), turn reals that are whole numbers in
 * int64 range back into integers, so every module sees the types it expects
 * and only the unrepresentable values stay reals. */
static bool is_int64(double d) {
        return d >= (double) INT64_MIN && d < 9223372036854775808.0 && (double) (int64_t) d == d;
}

static int integers_from_reals(json_t *v) {
        if (json_is_object(v)) {
                const char *k;
                json_t *e;
                json_object_foreach(v, k, e) {
                        if (json_is_real(e)) {
                                double d = json_real_value(e);
                                if (is_int64(d) &&
                                    json_object_set_new(v, k, json_integer((json_int_t) d)) < 0)
                                        return -ENOMEM;
                        } else if (integers_from_reals(e) < 0)
                                return -ENOMEM;
                }
        } else if (json_is_array(v)) {
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e) {
                        if (json_is_real(e)) {
                                double d = json_real_value(e);
                                if (is_int64(d) &&
                                    json_array_set_new(v, i, json_integer((json_int_t) d)) < 0)
                                        return -ENOMEM;
                        } else if (integers_from_reals(e) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int load_json(const char *text, size_t len, const char *name, json_t **ret) {
        json_error_t err;
        /* Duplicate keys are accepted and the last one wins, as in Go's encoding/json,
         * so runc and cocoon read the same document the same way. */
        json_t *j = json_loadb(text, len, 0, &err);
        if (!j && json_error_code(&err) == json_error_numeric_overflow) {
                j = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &err);
                if (j && integers_from_reals(j) < 0) {
                        json_decref(j);
                        return log_error_errno(-ENOMEM, "%s", name);
                }
        }
        if (!j) {
                char m[LOG_FORWARD_MAX];
                snprintf(m, sizeof m, "%s: line %d column %d: %s", name, err.line, err.column, err.text);
                return log_error_raw(-EINVAL, m);
        }
        if (!json_is_object(j)) {
                json_decref(j);
                struct ctx c = {.name = name};
                return fail(&c, NULL, "expected a JSON object at the top level");
        }
        *ret = j;
        return 0;
}

int oci_spec_parse(const char *text, size_t len, const char *name, struct oci_spec **ret) {
        struct ctx c = {.name = name ? name : "config.json", .cap_last = -1};
        __attribute__((cleanup(oci_spec_freep))) struct oci_spec *s = NULL;
        json_t *doc = NULL;
        int r;

        if ((r = load_json(text, len, c.name, &doc)) < 0)
                return r;
        if (!(s = calloc(1, sizeof *s))) {
                json_decref(doc);
                return oom();
        }
        s->json = doc;

        json_t *ver = member(doc, "ociVersion");
        if ((r = check_version(&c, ver)) < 0 || (r = get_string(&c, ver, "ociVersion", &s->oci_version)) < 0)
                return r;

        json_t *root = member(doc, "root");
        if (!root)
                return missing(&c, "root");
        if ((r = check_object(&c, root, "root")) < 0)
                return r;
        json_t *rootpath = member(root, "path");
        if (!rootpath)
                return missing(&c, "root.path");
        if ((r = get_string(&c, rootpath, "root.path", &s->root_path)) < 0)
                return r;
        if (s->root_path[0] == 0)
                return fail(&c, "root.path", "must not be empty");
        if ((r = get_bool(&c, root, "root", "readonly", &s->root_readonly)) < 0)
                return r;

        json_t *proc = member(doc, "process");
        if (proc && (r = process_parse(&c, proc, "process", &s->process)) < 0)
                return r;

        if ((r = get_opt_string(&c, doc, "", "hostname", true, &s->hostname)) < 0 ||
            (r = get_opt_string(&c, doc, "", "domainname", true, &s->domainname)) < 0)
                return r;

        json_t *mounts = member(doc, "mounts");
        if (mounts) {
                if ((r = check_array(&c, mounts, "mounts")) < 0)
                        return r;
                size_t n = json_array_size(mounts);
                if (n > 0) {
                        if (!(s->mounts = calloc(n, sizeof *s->mounts)))
                                return oom();
                        s->n_mounts = n;
                        for (size_t i = 0; i < n; i++)
                                if ((r = parse_mount(&c, json_array_get(mounts, i), jp_idx("mounts", i).s,
                                                     &s->mounts[i])) < 0)
                                        return r;
                }
        }

        json_t *hooks = member(doc, "hooks");
        if (hooks && (r = parse_hooks(&c, hooks, s)) < 0)
                return r;

        json_t *ann = member(doc, "annotations");
        if (ann) {
                if ((r = check_string_map(&c, ann, "annotations")) < 0)
                        return r;
                s->annotations = ann;
        }

        json_t *lx = member(doc, "linux");
        if (lx) {
                if ((r = parse_linux(&c, lx, &s->linux)) < 0)
                        return r;
                s->has_linux = true;
        }

        if ((r = check_consistency(&c, s)) < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}

static int read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(-errno, "cannot read %s", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return log_error_errno(-errno, "stat %s", path);
        if (!S_ISREG(st.st_mode))
                return log_error_errno(-EINVAL, "%s is not a regular file", path);
        if ((uint64_t) st.st_size > SPEC_MAX_SIZE)
                return log_error_errno(-EFBIG, "%s is larger than %u bytes", path, SPEC_MAX_SIZE);
        size_t cap = (size_t) st.st_size + 1, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return log_error_errno(-ENOMEM, "reading %s", path);
        /* Read to EOF rather than trusting st_size: the file may be changing under us. */
        for (;;) {
                if (len == cap) {
                        if (cap > SPEC_MAX_SIZE)
                                return log_error_errno(-EFBIG, "%s is larger than %u bytes", path, SPEC_MAX_SIZE);
                        char *nb = realloc(buf, cap * 2);
                        if (!nb)
                                return log_error_errno(-ENOMEM, "reading %s", path);
                        buf = nb;
                        cap *= 2;
                }
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(-errno, "read %s", path);
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int oci_spec_load(const char *bundle, struct oci_spec **ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len;
        if (asprintf(&path, "%s/config.json", bundle && *bundle ? bundle : ".") < 0)
                return log_error_errno(-ENOMEM, "loading config.json");
        int r = read_file(path, &text, &len);
        if (r < 0)
                return r;
        return oci_spec_parse(text, len, "config.json", ret);
}

int oci_process_load(const char *path, struct oci_process **ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(json_decrefp) json_t *doc = NULL;
        size_t len;
        int r = read_file(path, &text, &len);
        if (r < 0)
                return r;
        if ((r = load_json(text, len, path, &doc)) < 0)
                return r;
        return oci_process_parse(doc, path, "", ret);
}
