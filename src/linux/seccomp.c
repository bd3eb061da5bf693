/* SPDX-License-Identifier: MIT */
#include "linux/seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "sync.h"

#define P "config.json: linux.seccomp"
#define MAX_ARGS 6 /* syscall arguments a rule can compare */

static void seccomp_releasep(scmp_filter_ctx *ctx) {
        if (*ctx)
                seccomp_release(*ctx);
}
#define _cleanup_seccomp_ _cleanup_(seccomp_releasep)

static const struct {
        const char *name;
        uint32_t arch;
} arch_table[] = {
        {"SCMP_ARCH_X86", SCMP_ARCH_X86},
        {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
        {"SCMP_ARCH_X32", SCMP_ARCH_X32},
        {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
        {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
        {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
        {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
        {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
        {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
        {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
        {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
        {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
        {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
        {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
        {"SCMP_ARCH_S390", SCMP_ARCH_S390},
        {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
        {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
        {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
        {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

static const struct {
        const char *name;
        enum scmp_compare op;
} op_table[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const struct {
        const char *name;
        enum scmp_filter_attr attr; /* 0: known to OCI, not to this libseccomp */
} flag_table[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC},
        {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB},
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SCMP_FLTATR_CTL_WAITKILL},
#else
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 0},
#endif
};

static const struct {
        const char *name;
        uint32_t action; /* ERRNO/TRACE with data 0: the errno is filled in */
} action_table[] = {
        {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
        {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
        {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD}, /* runc's meaning */
        {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
        {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
        {"SCMP_ACT_LOG", SCMP_ACT_LOG},
        {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
        {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
        {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
};

json_t *seccomp_features(void) {
        json_t *f = json_object(), *actions = json_array(), *ops = json_array(), *archs = json_array(),
               *known = json_array(), *supported = json_array();
        for (size_t i = 0; i < ELEMENTSOF(action_table); i++)
                json_array_append_new(actions, json_string(action_table[i].name));
        for (size_t i = 0; i < ELEMENTSOF(op_table); i++)
                json_array_append_new(ops, json_string(op_table[i].name));
        for (size_t i = 0; i < ELEMENTSOF(arch_table); i++)
                json_array_append_new(archs, json_string(arch_table[i].name));
        for (size_t i = 0; i < ELEMENTSOF(flag_table); i++) {
                json_array_append_new(known, json_string(flag_table[i].name));
                if (flag_table[i].attr)
                        json_array_append_new(supported, json_string(flag_table[i].name));
        }
        json_object_set_new(f, "enabled", json_true());
        json_object_set_new(f, "actions", actions);
        json_object_set_new(f, "operators", ops);
        json_object_set_new(f, "archs", archs);
        json_object_set_new(f, "knownFlags", known);
        json_object_set_new(f, "supportedFlags", supported);
        return f;
}

static json_t *member(const json_t *obj, const char *key) {
        json_t *v = json_object_get(obj, key);
        return json_is_null(v) ? NULL : v;
}

/* uint64 from JSON; load_json() leaves only values above INT64_MAX as reals. */
static int get_u64(json_t *v, const char *path, uint64_t *ret) {
        if (json_is_integer(v) && json_integer_value(v) >= 0) {
                *ret = (uint64_t) json_integer_value(v);
                return 0;
        }
        if (json_is_real(v) && json_real_value(v) >= 0x1p63 && json_real_value(v) <= 0x1p64) {
                *ret = json_real_value(v) >= 0x1p64 ? UINT64_MAX : (uint64_t) json_real_value(v);
                return 0;
        }
        return log_fail(-EINVAL, "%s: expected an unsigned integer", path);
}

static int get_errno_ret(json_t *v, const char *path, uint32_t *ret) {
        uint64_t e;
        int r = get_u64(v, path, &e);
        if (r < 0)
                return r;
        /* the action's data field is 16 bits wide */
        if (e > 0xffff)
                return log_fail(-EINVAL, "%s: %llu is out of range [0, 65535]", path, (unsigned long long) e);
        *ret = (uint32_t) e;
        return 0;
}

/* `action` with its optional errnoRet; ERRNO and TRACE default to EPERM, as in runc. */
static int get_action(json_t *action, const char *path, json_t *errno_ret, const char *errno_path,
                      uint32_t *ret) {
        if (!action)
                return log_fail(-EINVAL, "%s: required field is missing", path);
        if (!json_is_string(action))
                return log_fail(-EINVAL, "%s: expected a string", path);
        const char *a = json_string_value(action);
        uint32_t e = EPERM;
        bool takes_errno = !strcmp(a, "SCMP_ACT_ERRNO") || !strcmp(a, "SCMP_ACT_TRACE");
        if (errno_ret) {
                if (!takes_errno)
                        return log_fail(-EINVAL, "%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno, not %s",
                                        errno_path, a);
                int r = get_errno_ret(errno_ret, errno_path, &e);
                if (r < 0)
                        return r;
        }
        size_t k = 0;
        while (k < ELEMENTSOF(action_table) && strcmp(action_table[k].name, a))
                k++;
        if (k == ELEMENTSOF(action_table))
                return log_fail(-EINVAL, "%s: unknown seccomp action \"%s\"", path, a);
        uint32_t act = action_table[k].action;
        /* the errno travels in the action's data field */
        if (act == SCMP_ACT_ERRNO(0))
                act = SCMP_ACT_ERRNO(e);
        else if (act == SCMP_ACT_TRACE(0))
                act = SCMP_ACT_TRACE(e);
        *ret = act;
        return 0;
}

static int add_architectures(scmp_filter_ctx ctx, json_t *v) {
        if (!v)
                return 0;
        if (!json_is_array(v))
                return log_fail(-EINVAL, P ".architectures: expected an array");
        for (size_t i = 0; i < json_array_size(v); i++) {
                json_t *e = json_array_get(v, i);
                if (!json_is_string(e))
                        return log_fail(-EINVAL, P ".architectures[%zu]: expected a string", i);
                const char *name = json_string_value(e);
                size_t k = 0;
                while (k < ELEMENTSOF(arch_table) && strcmp(arch_table[k].name, name))
                        k++;
                if (k == ELEMENTSOF(arch_table))
                        return log_fail(-EINVAL, P ".architectures[%zu]: unknown architecture \"%s\"", i, name);
                int r = seccomp_arch_add(ctx, arch_table[k].arch);
                if (r < 0 && r != -EEXIST) /* EEXIST: the native one, always there */
                        return log_error_errno(r, P ".architectures[%zu]: add %s", i, name);
        }
        return 0;
}

static int set_flags(scmp_filter_ctx ctx, json_t *v) {
        if (!v)
                return 0;
        if (!json_is_array(v))
                return log_fail(-EINVAL, P ".flags: expected an array");
        for (size_t i = 0; i < json_array_size(v); i++) {
                json_t *e = json_array_get(v, i);
                if (!json_is_string(e))
                        return log_fail(-EINVAL, P ".flags[%zu]: expected a string", i);
                const char *name = json_string_value(e);
                size_t k = 0;
                while (k < ELEMENTSOF(flag_table) && strcmp(flag_table[k].name, name))
                        k++;
                if (k == ELEMENTSOF(flag_table))
                        return log_fail(-EINVAL, P ".flags[%zu]: unknown seccomp flag \"%s\"", i, name);
                if (!flag_table[k].attr)
                        return log_fail(-EOPNOTSUPP, P ".flags[%zu]: %s is not supported by libseccomp %u.%u.%u",
                                        i, name, seccomp_version()->major, seccomp_version()->minor,
                                        seccomp_version()->micro);
                int r = seccomp_attr_set(ctx, flag_table[k].attr, 1);
                if (r < 0)
                        return log_error_errno(r, P ".flags[%zu]: %s", i, name);
        }
        return 0;
}

static int get_arg(json_t *a, const char *path, struct scmp_arg_cmp *ret) {
        char p[256];
        if (!json_is_object(a))
                return log_fail(-EINVAL, "%s: expected an object", path);
        json_t *index = member(a, "index"), *value = member(a, "value"), *two = member(a, "valueTwo"),
               *op = member(a, "op");
        if (!index || !value || !op)
                return log_fail(-EINVAL, "%s.%s: required field is missing", path,
                                !index ? "index" : !value ? "value" : "op");
        if (!json_is_integer(index) || json_integer_value(index) < 0 || json_integer_value(index) >= MAX_ARGS)
                return log_fail(-EINVAL, "%s.index: expected an argument index from 0 to %d", path, MAX_ARGS - 1);
        if (!json_is_string(op))
                return log_fail(-EINVAL, "%s.op: expected a string", path);
        size_t k = 0;
        while (k < ELEMENTSOF(op_table) && strcmp(op_table[k].name, json_string_value(op)))
                k++;
        if (k == ELEMENTSOF(op_table))
                return log_fail(-EINVAL, "%s.op: unknown operator \"%s\"", path, json_string_value(op));
        *ret = (struct scmp_arg_cmp){.arg = (unsigned) json_integer_value(index), .op = op_table[k].op};
        snprintf(p, sizeof p, "%s.value", path);
        int r = get_u64(value, p, &ret->datum_a);
        if (r < 0)
                return r;
        snprintf(p, sizeof p, "%s.valueTwo", path);
        return two ? get_u64(two, p, &ret->datum_b) : 0;
}

static int add_rule(scmp_filter_ctx ctx, const char *path, const char *name, uint32_t action, int nr,
                    const struct scmp_arg_cmp *conds, unsigned n) {
        int r = seccomp_rule_add_array(ctx, action, nr, n, conds);
        if (r < 0)
                return log_error_errno(r, "%s: seccomp rule for \"%s\"", path, name);
        return 0;
}

/* One syscalls[] entry: one rule per known name. */
static int add_syscalls(scmp_filter_ctx ctx, json_t *entry, size_t i, uint32_t def, bool has_listener, bool verbose) {
        char path[128], p[192];
        snprintf(path, sizeof path, P ".syscalls[%zu]", i);
        if (!json_is_object(entry))
                return log_fail(-EINVAL, "%s: expected an object", path);
        json_t *names = member(entry, "names"), *args = member(entry, "args");
        if (!names)
                return log_fail(-EINVAL, "%s.names: required field is missing", path);
        if (!json_is_array(names))
                return log_fail(-EINVAL, "%s.names: expected an array", path);
        uint32_t action;
        char apath[160], epath[160];
        snprintf(apath, sizeof apath, "%s.action", path);
        snprintf(epath, sizeof epath, "%s.errnoRet", path);
        int r = get_action(member(entry, "action"), apath, member(entry, "errnoRet"), epath, &action);
        if (r < 0)
                return r;
        if (action == SCMP_ACT_NOTIFY && !has_listener)
                return log_fail(-EINVAL, "%s: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath", apath);

        struct scmp_arg_cmp conds[MAX_ARGS];
        unsigned n = 0, per_index[MAX_ARGS] = {0};
        bool repeated = false;
        if (args && !json_is_array(args))
                return log_fail(-EINVAL, "%s.args: expected an array", path);
        size_t n_args = args ? json_array_size(args) : 0;
        _cleanup_free_ struct scmp_arg_cmp *all = calloc(n_args ? n_args : 1, sizeof *all);
        if (!all)
                return log_error_errno(-ENOMEM, "%s.args", path);
        for (size_t k = 0; k < n_args; k++) {
                snprintf(p, sizeof p, "%s.args[%zu]", path, k);
                r = get_arg(json_array_get(args, k), p, &all[k]);
                if (r < 0)
                        return r;
                repeated |= per_index[all[k].arg]++ > 0;
        }
        if (!repeated)
                for (size_t k = 0; k < n_args; k++)
                        conds[n++] = all[k];

        for (size_t k = 0; k < json_array_size(names); k++) {
                json_t *e = json_array_get(names, k);
                snprintf(p, sizeof p, "%s.names[%zu]", path, k);
                if (!json_is_string(e) || !*json_string_value(e))
                        return log_fail(-EINVAL, "%s: expected a syscall name", p);
                const char *name = json_string_value(e);
                /* cocoon passes the listener fd to its parent with sendmsg after
                 * loading: notifying it would wait for a listener that never comes */
                if (action == SCMP_ACT_NOTIFY && (!strcmp(name, "sendmsg") || !strcmp(name, "socketcall")))
                        return log_fail(-EINVAL, "%s: SCMP_ACT_NOTIFY cannot be used for %s", p, name);
                /* libseccomp refuses a rule with the default action; it changes nothing */
                if (action == def)
                        continue;
                int nr = seccomp_syscall_resolve_name(name);
                if (nr == __NR_SCMP_ERROR) {
                        if (verbose)
                                log_debug("%s: unknown syscall \"%s\" skipped", p, name);
                        continue;
                }
                if (!repeated) {
                        r = add_rule(ctx, p, name, action, nr, conds, n);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* Conditions on one argument are ANDed by libseccomp, which can never
                 * match twice-constrained EQs: runc adds one rule per condition then. */
                for (size_t c = 0; c < n_args; c++)
                        if ((r = add_rule(ctx, p, name, action, nr, &all[c], 1)) < 0)
                                return r;
        }
        return 0;
}

static int check_listener(const json_t *profile, bool *ret_has_listener) {
        json_t *path = member(profile, "listenerPath"), *meta = member(profile, "listenerMetadata");
        if (path && (!json_is_string(path) || !*json_string_value(path)))
                return log_fail(-EINVAL, P ".listenerPath: expected a socket path");
        if (meta && !json_is_string(meta))
                return log_fail(-EINVAL, P ".listenerMetadata: expected a string");
        *ret_has_listener = path != NULL;
        return 0;
}

/* verbose: report skipped names (once, from the check before spawning) */
static int compile(const json_t *profile, bool verbose, scmp_filter_ctx *ret) {
        uint32_t def;
        bool has_listener = false;
        int r = get_action(member(profile, "defaultAction"), P ".defaultAction", member(profile, "defaultErrnoRet"),
                           P ".defaultErrnoRet", &def);
        if (r < 0)
                return r;
        /* as runc: every syscall cocoon still makes after loading would wait for a listener */
        if (def == SCMP_ACT_NOTIFY)
                return log_fail(-EINVAL, P ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
        r = check_listener(profile, &has_listener);
        if (r < 0)
                return r;
        _cleanup_seccomp_ scmp_filter_ctx ctx = seccomp_init(def);
        if (!ctx)
                return log_fail(-EOPNOTSUPP, P ".defaultAction: %s is not supported by this kernel or libseccomp",
                                json_string_value(member(profile, "defaultAction")));
        /* noNewPrivileges is the config's decision, not libseccomp's; and
         * load errors should be the kernel's, not a generic ECANCELED */
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0)
                return log_error_errno(r, "set up the seccomp filter");
        r = add_architectures(ctx, member(profile, "architectures"));
        if (r < 0)
                return r;
        r = set_flags(ctx, member(profile, "flags"));
        if (r < 0)
                return r;
        json_t *calls = member(profile, "syscalls");
        if (calls && !json_is_array(calls))
                return log_fail(-EINVAL, P ".syscalls: expected an array");
        /* A binary tree beats a linear list on long profiles; libseccomp
         * 2.5.4 misbehaves with it on empty ones (runc uses the same cut). */
        if (json_array_size(calls) > 32 && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
                log_debug("seccomp: binary tree optimization not available");
        for (size_t i = 0; i < json_array_size(calls); i++)
                if ((r = add_syscalls(ctx, json_array_get(calls, i), i, def, has_listener, verbose)) < 0)
                        return r;
        *ret = TAKE_PTR(ctx);
        return 0;
}

int seccomp_check(const json_t *profile) {
        _cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
        return compile(profile, true, &ctx);
}

bool seccomp_uses_notify(const json_t *profile) {
        json_t *calls = member(profile, "syscalls");
        for (size_t i = 0; i < json_array_size(calls); i++) {
                json_t *e = json_array_get(calls, i), *names = member(e, "names");
                if (!json_is_string(member(e, "action")) ||
                    strcmp(json_string_value(member(e, "action")), "SCMP_ACT_NOTIFY"))
                        continue;
                for (size_t k = 0; k < json_array_size(names); k++)
                        if (json_is_string(json_array_get(names, k)) &&
                            seccomp_syscall_resolve_name(json_string_value(json_array_get(names, k))) !=
                                    __NR_SCMP_ERROR)
                                return true;
        }
        return false;
}

int seccomp_apply(const json_t *profile, int sync_fd) {
        scmp_filter_ctx ctx = NULL;
        int r = compile(profile, false, &ctx);
        if (r < 0)
                return r;
        r = seccomp_load(ctx);
        if (r < 0) {
                seccomp_release(ctx);
                return log_error_errno(r, "load the seccomp filter of " P);
        }
        /* ctx is deliberately not released from here on: free() may munmap,
         * which the filter may deny, and execve discards it anyway. */
        if (!seccomp_uses_notify(profile))
                return 0;
        int fd = seccomp_notify_fd(ctx);
        if (fd < 0)
                return log_error_errno(fd, "get the seccomp listener fd");
        r = sync_send_fd(sync_fd, SYNC_SECCOMP_FD, fd);
        close(fd); /* the container must not answer its own notifications */
        if (r < 0)
                return log_error_errno(r, "send the seccomp listener fd to cocoon");
        return 0;
}
