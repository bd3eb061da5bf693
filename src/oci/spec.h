/* SPDX-License-Identifier: MIT */
/*
 * config.json (OCI runtime spec 1.x) parsed into plain C structures.
 *
 * Parsing and validation happen together: every rejection names the JSON
 * path of the offending field (e.g. "config.json: process.args[0]: must be
 * a string"), so a user can find it without reading our source.
 *
 * Fields that later work consumes (linux.resources, linux.seccomp, sysctl,
 * personality, intelRdt, ioPriority, scheduler) are kept as borrowed jansson
 * references into `json`; they are type-checked here but interpreted by the
 * module that applies them.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* GNU C modes predefine `linux` as 1, which would turn the `linux` member of
 * struct oci_spec into a syntax error; nothing should test that old macro
 * (use __linux__). */
#undef linux

struct oci_id_mapping {
        uint32_t container_id;
        uint32_t host_id;
        uint32_t size;
};

struct oci_mount {
        char *destination;    /* absolute (a relative one is warned about and prefixed with "/") */
        char *source;         /* may be NULL (tmpfs, proc, ...) */
        char *type;           /* may be NULL: treated as "bind" when options say bind */
        char **options;       /* NULL-terminated, as written; never NULL after parsing */
        /* Derived from options by oci_mount_options_parse(): */
        unsigned long flags;       /* MS_* to set (MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...) */
        unsigned long clear_flags; /* MS_* explicitly cleared ("rw", "suid", ...) for bind remounts */
        unsigned long propagation; /* MS_PRIVATE|MS_SLAVE|MS_SHARED|MS_UNBINDABLE, with MS_REC for r* */
        char *data;                /* comma-joined options the kernel takes as data (size=, mode=, ...);
                                      NULL when there are none */
        bool bind;                 /* "bind" or "rbind" option, or type "bind" */
        bool idmap;                /* "idmap"/"ridmap", or mount-level mappings given (part 2) */
        bool idmap_recursive;      /* "ridmap" */
        bool tmpcopyup;            /* "tmpcopyup": copy the shadowed directory's content into the tmpfs */
        /* Recursive mount attributes ("rro", "rnosuid", ... as runc 1.1): MOUNT_ATTR_* for
         * mount_setattr(AT_RECURSIVE) after the mount; attr_clr already holds
         * MOUNT_ATTR__ATIME when an atime mode is set, as the kernel requires. */
        uint64_t rec_attr_set, rec_attr_clr;
        struct oci_id_mapping *uid_mappings; /* mount-level mappings for idmapped mounts */
        size_t n_uid_mappings;
        struct oci_id_mapping *gid_mappings;
        size_t n_gid_mappings;
};

struct oci_namespace {
        int type;   /* CLONE_NEWPID, CLONE_NEWNET, ... */
        char *path; /* NULL (absent or ""): create a new one */
};

struct oci_device {
        char *path;
        char type; /* 'c', 'b', 'u' (== 'c'), 'p' */
        int64_t major, minor;
        uint32_t file_mode;
        bool has_file_mode;
        uint32_t uid, gid;
        bool has_uid, has_gid;
};

struct oci_rlimit {
        int resource; /* RLIMIT_* */
        uint64_t soft, hard;
};

struct oci_user {
        uint32_t uid, gid;
        uint32_t umask;
        bool has_umask;
        uint32_t *additional_gids;
        size_t n_additional_gids;
};

/* Capability sets as bitmasks of CAP_* numbers (bit n == capability n). */
struct oci_caps {
        uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct oci_process {
        bool terminal;
        unsigned console_height, console_width; /* 0 when not given */
        char *cwd;                              /* required, absolute */
        char **args;                            /* NULL-terminated, >= 1 element */
        char **env;                             /* NULL-terminated, may be empty */
        struct oci_user user;
        bool has_caps; /* "capabilities" present; absent means: no capabilities at all */
        struct oci_caps caps;
        struct oci_rlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        char *apparmor_profile;
        char *selinux_label;
        bool has_oom_score_adj;
        int oom_score_adj;
        /* Objects interpreted in part 2.  The process holds a reference (so a
         * dup or a process loaded from a file stays valid on its own); users
         * must not decref them. */
        json_t *io_priority;
        json_t *scheduler;
};

enum oci_hook_kind {
        OCI_HOOK_PRESTART,
        OCI_HOOK_CREATE_RUNTIME,
        OCI_HOOK_CREATE_CONTAINER,
        OCI_HOOK_START_CONTAINER,
        OCI_HOOK_POSTSTART,
        OCI_HOOK_POSTSTOP,
        OCI_HOOK_KIND_MAX,
};

/* "prestart", "createRuntime", ... as in config.json */
const char *oci_hook_kind_name(enum oci_hook_kind kind);

struct oci_hook {
        char *path;
        char **args; /* NULL-terminated, may be NULL */
        char **env;  /* NULL-terminated, may be NULL */
        int timeout; /* seconds; 0 = none */
};

struct oci_linux {
        struct oci_namespace *namespaces;
        size_t n_namespaces;
        struct oci_id_mapping *uid_mappings;
        size_t n_uid_mappings;
        struct oci_id_mapping *gid_mappings;
        size_t n_gid_mappings;
        bool has_time_offsets;
        int64_t monotonic_secs, boottime_secs;
        uint32_t monotonic_nsecs, boottime_nsecs;
        struct oci_device *devices;
        size_t n_devices;
        char *cgroups_path;        /* NULL when absent or "" */
        unsigned long rootfs_propagation; /* MS_* or 0 when absent */
        char **masked_paths;       /* NULL-terminated, may be NULL */
        char **readonly_paths;     /* NULL-terminated, may be NULL */
        char *mount_label;
        /* borrowed, interpreted in part 2: */
        json_t *resources, *seccomp, *sysctl, *intel_rdt, *personality;
};

struct oci_spec {
        json_t *json;          /* owned: the whole document */
        char *oci_version;
        struct oci_process *process; /* NULL when absent */
        char *root_path;             /* as written (relative to the bundle or absolute) */
        bool root_readonly;
        char *hostname;   /* NULL when absent or "" (runc leaves it alone then) */
        char *domainname; /* NULL when absent or "" */
        struct oci_mount *mounts;
        size_t n_mounts;
        struct oci_hook *hooks[OCI_HOOK_KIND_MAX];
        size_t n_hooks[OCI_HOOK_KIND_MAX];
        json_t *annotations; /* borrowed object or NULL; string values only */
        bool has_linux;
        struct oci_linux linux;
};

/* Load <bundle>/config.json.  Errors are logged ("config.json: <path>: ...") and -errno returned. */
int oci_spec_load(const char *bundle, struct oci_spec **ret);
/* Parse from memory; `name` prefixes error messages (e.g. "config.json"). */
int oci_spec_parse(const char *text, size_t len, const char *name, struct oci_spec **ret);
void oci_spec_free(struct oci_spec *spec);
static inline void oci_spec_freep(struct oci_spec **s) {
        oci_spec_free(*s);
}

/* The linux.namespaces entry of `type` (CLONE_NEW*), or NULL when the container shares ours. */
const struct oci_namespace *oci_spec_namespace(const struct oci_spec *spec, int type);

/* Parse one process object (config.json's "process", or `exec --process FILE`).
 * `where` is the JSON path used in error messages ("process", or the file name). */
int oci_process_parse(json_t *obj, const char *name, const char *where, struct oci_process **ret);
void oci_process_free(struct oci_process *p);
static inline void oci_process_freep(struct oci_process **p) {
        oci_process_free(*p);
}
/* Read and parse a standalone process file (`exec --process FILE`); errors name the file. */
int oci_process_load(const char *path, struct oci_process **ret);
/* Deep copy (exec starts from the container's process and overrides fields). */
struct oci_process *oci_process_dup(const struct oci_process *p);
/* The process as a JSON object oci_process_parse reads back to the same
 * struct (the vm sandbox sends an exec'd process to its guest); NULL on ENOMEM. */
json_t *oci_process_to_json(const struct oci_process *p);

/* Turn a mount's options into flags/data; exported for exec-time and tests. */
int oci_mount_options_parse(struct oci_mount *m, const char *where);

/* Whether m gives the container a sysfs: a mount of type sysfs, or the bind
 * of the host's /sys on /sys that rootless configs carry instead (runc's
 * ToRootless).  The sentry sandbox makes either its read-only skeleton. */
bool oci_mount_is_sysfs(const struct oci_mount *m);

/* Helpers shared with the CLI (exec --cap, kill signals are elsewhere).
 * They do not log: the caller knows the context worth reporting. */
#define OCI_CAP_LAST 40 /* CAP_CHECKPOINT_RESTORE; names above the running kernel's
                           cap_last_cap are ignored with a warning, as runc does */
int oci_cap_from_name(const char *name);   /* "CAP_SYS_ADMIN" -> 21, or -EINVAL */
const char *oci_cap_to_name(int cap);      /* 21 -> "CAP_SYS_ADMIN" */
int oci_rlimit_from_name(const char *name); /* "RLIMIT_NOFILE" -> 7, or -EINVAL */
const char *oci_rlimit_to_name(int resource); /* 7 -> "RLIMIT_NOFILE", or NULL */
int oci_namespace_from_name(const char *name); /* "pid" -> CLONE_NEWPID, or -EINVAL */
const char *oci_namespace_to_name(int type);

/* `cocoon spec`: the default config.json text (malloc'ed, NULL on ENOMEM), as
 * runc spec writes it: tab-indented, no trailing newline; --rootless maps
 * container root to the caller's euid/egid. */
char *oci_spec_template(bool rootless);

/* Version of the OCI runtime spec we implement. */
#define OCI_VERSION "1.2.0"
