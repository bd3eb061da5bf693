/* SPDX-License-Identifier: MIT */
/*
 * `events --stats`, `ps`, `update`, `pause` and `resume` of a vm container:
 * the workload is in the guest, so the host's cgroup and processes are the
 * VMM's, not its.  Each command asks the monitor on vmexec.sock (the socket
 * `cocoon exec` uses: one frame per packet), which relays the query to the
 * agent on a stream of its own; the agent answers with the library code the
 * `none` sandbox runs on a host, on the guest's cgroup (src/agent/query.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "sandbox/vm_sandbox.h"
#include "util.h"
#include "vm/protocol.h"
#include "vm/vm.h"

/* Under TCG on a loaded host the guest answers in well under a second; a
 * guest that does not answer in this long is stuck. */
#define QUERY_TIMEOUT_S 60

/*
 * One query: `type` with `payload` (may be NULL) to the monitor of
 * container `id` (state directory `dirfd`).  0 with *ret the answer's JSON
 * text (STATS_REPLY, PS_REPLY) or NULL (OK); the guest's error line
 * otherwise, logged.
 */
static int query(int dirfd, const char *id, enum vm_frame_type type, const char *payload, char **ret) {
        *ret = NULL;
        _cleanup_close_ int conn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (conn < 0)
                return log_error_errno(-errno, "socket");
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dirfd, VM_EXEC_SOCK);
        if (connect(conn, (struct sockaddr *) &sa, sizeof sa) < 0) {
                if (errno == ECONNREFUSED || errno == ENOENT)
                        return log_fail(-ESRCH, "container \"%s\" is not running", id);
                return log_error_errno(-errno, "connect to the monitor of container \"%s\"", id);
        }
        struct timeval tv = {.tv_sec = QUERY_TIMEOUT_S};
        setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        /* the target (protocol.h): this container, by id, which the agent
         * tells from the other containers of its pod */
        size_t idlen = strlen(id), len = payload ? strlen(payload) : 0;
        if (idlen + 1 + len > VM_FRAME_MAX_PAYLOAD)
                return log_fail(-E2BIG, "%s for container \"%s\": larger than %u bytes", vm_frame_type_name(type), id,
                                VM_FRAME_MAX_PAYLOAD);
        _cleanup_free_ char *msg = malloc(idlen + 1 + len + 1);
        if (!msg)
                return -ENOMEM;
        memcpy(msg, id, idlen + 1);
        if (len)
                memcpy(msg + idlen + 1, payload, len);
        int r = vm_frame_send(conn, type, VM_STREAM_UNASSIGNED, msg, idlen + 1 + len);
        if (r < 0)
                return log_error_errno(r, "send %s to the monitor of container \"%s\"", vm_frame_type_name(type), id);
        _cleanup_free_ uint8_t *buf = malloc(VM_FRAME_HEADER + VM_FRAME_MAX_PAYLOAD);
        if (!buf)
                return -ENOMEM;
        ssize_t n;
        while ((n = recv(conn, buf, VM_FRAME_HEADER + VM_FRAME_MAX_PAYLOAD, 0)) < 0 && errno == EINTR)
                ;
        if (n < 0 && errno == EAGAIN)
                return log_fail(-ETIMEDOUT, "the guest of container \"%s\" did not answer %s within %d s", id,
                                vm_frame_type_name(type), QUERY_TIMEOUT_S);
        if (n < 0)
                return log_error_errno(-errno, "receive from the monitor of container \"%s\"", id);
        if (n == 0)
                return log_fail(-ESRCH, "container \"%s\" stopped", id);
        struct vm_frame f;
        size_t used;
        if (vm_frame_parse(buf, (size_t) n, &f, &used) != 1 || used != (size_t) n)
                return log_fail(-EPROTO, "container \"%s\": malformed answer from its monitor", id);
        switch (f.type) {
        case VM_OK:
                return 0;
        case VM_ERROR: {
                int err = (int32_t) vm_get_u32(f.payload);
                if (err >= 0 || err < -4095)
                        err = -EIO;
                return log_fail(err, "%.*s", (int) (f.len - 4), (const char *) f.payload + 4);
        }
        case VM_STATS_REPLY:
        case VM_PS_REPLY:
                if ((type == VM_STATS) != (f.type == VM_STATS_REPLY) || (type == VM_PS) != (f.type == VM_PS_REPLY))
                        break;
                *ret = strndup((const char *) f.payload, f.len);
                return *ret ? 0 : -ENOMEM;
        default:
                break;
        }
        return log_fail(-EPROTO, "container \"%s\": its monitor answered %s to %s", id, vm_frame_type_name(f.type),
                        vm_frame_type_name(type));
}

/* A query whose answer is a JSON document of the given type. */
static int query_json(int dirfd, const char *id, enum vm_frame_type type, json_type want, json_t **ret) {
        _cleanup_free_ char *text = NULL;
        int r = query(dirfd, id, type, NULL, &text);
        if (r < 0)
                return r;
        json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
        if (!doc || json_typeof(doc) != want) {
                json_decref(doc);
                return log_fail(-EPROTO, "container \"%s\": malformed %s from its guest", id,
                                vm_frame_type_name(type == VM_STATS ? VM_STATS_REPLY : VM_PS_REPLY));
        }
        *ret = doc;
        return 0;
}

int vm_stats(int dirfd, const char *id, json_t **ret) {
        return query_json(dirfd, id, VM_STATS, JSON_OBJECT, ret);
}

int vm_ps(const struct container *c, pid_t **ret_pids, size_t *n, char **ret_table) {
        _cleanup_(json_decrefp) json_t *doc = NULL;
        int r = query_json(c->dirfd, c->id, VM_PS, JSON_OBJECT, &doc);
        if (r < 0)
                return r;
        json_t *pids = json_object_get(doc, "pids");
        const char *table = json_string_value(json_object_get(doc, "table"));
        if (!json_is_array(pids) || !table)
                return log_fail(-EPROTO, "container \"%s\": malformed PS_REPLY from its guest", c->id);
        _cleanup_free_ pid_t *list = calloc(json_array_size(pids) + 1, sizeof *list);
        _cleanup_free_ char *t = strdup(table);
        if (!list || !t)
                return -ENOMEM;
        size_t i;
        json_t *v;
        json_array_foreach(pids, i, v) {
                if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > INT32_MAX)
                        return log_fail(-EPROTO, "container \"%s\": malformed PS_REPLY from its guest", c->id);
                list[i] = (pid_t) json_integer_value(v);
        }
        *n = json_array_size(pids);
        *ret_pids = TAKE_PTR(list);
        *ret_table = TAKE_PTR(t);
        return 0;
}

int vm_freeze(const struct container *c, bool frozen) {
        _cleanup_free_ char *ignored = NULL;
        return query(c->dirfd, c->id, frozen ? VM_PAUSE : VM_RESUME, NULL, &ignored);
}

static int guest_size(const struct container *c, unsigned *mem_mib, unsigned *vcpus) {
        _cleanup_free_ char *rec = NULL;
        int r = read_file_at(c->dirfd, VM_GUEST_FILE, &rec, NULL);
        if (r < 0)
                return log_error_errno(r, "read %s of container \"%s\"", VM_GUEST_FILE, c->id);
        if (sscanf(rec, "%u %u", mem_mib, vcpus) != 2 || !*mem_mib || !*vcpus)
                return log_fail(-EUCLEAN, "container \"%s\": malformed %s in its state directory", c->id,
                                VM_GUEST_FILE);
        return 0;
}

/* What of linux.resources is the guest's (the workload's limits) and what
 * the host's (QEMU's threads and I/O).  Both get the CPU bandwidth: the
 * guest shares it among the container's tasks, the host bounds the vCPUs. */
static int split(const json_t *res, json_t **ret_guest, json_t **ret_host) {
        _cleanup_(json_decrefp) json_t *guest = json_deep_copy(res);
        _cleanup_(json_decrefp) json_t *host = json_deep_copy(res);
        if (!guest || !host)
                return -ENOMEM;
        /* the guest's CPU and NUMA numbering is not the host's */
        json_t *cpu = json_object_get(guest, "cpu");
        if (json_is_object(cpu)) {
                json_object_del(cpu, "cpus");
                json_object_del(cpu, "mems");
                if (json_object_size(cpu) == 0)
                        json_object_del(guest, "cpu");
        }
        const char *host_only[] = {"blockIO", "hugepageLimits", "rdma", "network"};
        for (size_t i = 0; i < ELEMENTSOF(host_only); i++)
                json_object_del(guest, host_only[i]);
        /* sized from the VM below, never the workload's own numbers (which
         * would have the host OOM-kill QEMU or starve it of threads); the
         * host's device list is QEMU's, set at create (host_limits) */
        const char *guest_only[] = {"memory", "pids", "unified", "devices"};
        for (size_t i = 0; i < ELEMENTSOF(guest_only); i++)
                json_object_del(host, guest_only[i]);
        *ret_guest = TAKE_PTR(guest);
        *ret_host = TAKE_PTR(host);
        return 0;
}

/*
 * `update`: the guest's cgroup gets the workload's limits (the agent runs
 * container_update there, as the none sandbox does on a host); the host
 * cgroup keeps the VM's needs: memory = the guest's RAM + QEMU, pids = the
 * limit + QEMU's threads, CPU and I/O as asked.  The guest's RAM is fixed
 * at create (no memory hotplug): a larger memory limit is refused.
 */
int vm_update(const struct container *c, json_t *res) {
        unsigned mem_mib, vcpus;
        int r = guest_size(c, &mem_mib, &vcpus);
        if (r < 0)
                return r;
        json_t *limit = json_object_get(json_object_get(res, "memory"), "limit");
        if (json_is_integer(limit) && json_integer_value(limit) > 0 &&
            (unsigned long long) json_integer_value(limit) > (unsigned long long) mem_mib << 20)
                return log_fail(-EINVAL,
                                "cannot set the memory limit of container \"%s\" to %lld bytes: its VM has %u MiB "
                                "of RAM, which cannot grow while it runs (--sandbox=vm)",
                                c->id, (long long) json_integer_value(limit), mem_mib);
        _cleanup_(json_decrefp) json_t *guest = NULL;
        _cleanup_(json_decrefp) json_t *host = NULL;
        r = split(res, &guest, &host);
        if (r < 0)
                return r;
        /* the guest first: it refuses what the workload's cgroup cannot take
         * (a limit below its usage), and then nothing changed on the host */
        if (json_object_size(guest) > 0) {
                _cleanup_free_ char *text = json_dumps(guest, JSON_COMPACT);
                _cleanup_free_ char *ignored = NULL;
                if (!text)
                        return -ENOMEM;
                if (strlen(text) > VM_FRAME_MAX_PAYLOAD)
                        return log_fail(-E2BIG, "update of container \"%s\": linux.resources is larger than %u bytes",
                                        c->id, VM_FRAME_MAX_PAYLOAD);
                r = query(c->dirfd, c->id, VM_UPDATE, text, &ignored);
                if (r < 0)
                        return r;
        }
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        r = container_load_cgroup(c, &cg);
        if (r < 0 || !cg)
                return r;
        char v[32];
        if (limit) {
                snprintf(v, sizeof v, "%llu", (unsigned long long) (mem_mib + VMM_OVERHEAD_MIB) << 20);
                r = vm_host_knob(cg, "memory", "memory.max", "memory.limit_in_bytes", v);
                if (r < 0)
                        return r;
        }
        json_t *pids = json_object_get(json_object_get(res, "pids"), "limit");
        if (json_is_integer(pids)) {
                if (json_integer_value(pids) > 0)
                        snprintf(v, sizeof v, "%llu",
                                 (unsigned long long) json_integer_value(pids) + VMM_TASKS + vcpus);
                else
                        snprintf(v, sizeof v, "max");
                r = vm_host_knob(cg, "pids", "pids.max", "pids.max", v);
                if (r < 0)
                        return r;
        }
        return json_object_size(host) > 0 ? cgroup_update_resources(cg, host) : 0;
}
