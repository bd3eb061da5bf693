/* SPDX-License-Identifier: MIT */
/*
 * The container's network namespace, wired into its guest as Kata's
 * "tcfilter" model does: for each Ethernet interface the engine (Docker's
 * libnetwork, a CNI plugin) put in the namespace, a tap device next to it
 * and two tc redirects (everything arriving on the interface leaves by the
 * tap, and back), the tap handed to QEMU as a virtio-net device with the
 * interface's MAC.  The interface keeps its addresses in the namespace (the
 * host's stack never sees a packet of it again); the guest gets the same
 * addresses, routes and MTU (src/agent/net.c).  docs/vm.md, "Networking".
 */
#include <net/if.h> /* before any <linux/...>: glibc's and the kernel's definitions agree then */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/netlink.h"
#include "log.h"
#include "runtime/sandbox.h"
#include "sync.h"
#include "util.h"
#include "vm/vm.h"

struct scan {
        struct vm_net *net;
        json_t *routes;
        int err;
};

static struct vm_nic *nic_of(struct vm_net *net, int ifindex) {
        for (size_t i = 0; i < net->n; i++)
                if (net->nics[i].ifindex == ifindex)
                        return &net->nics[i];
        return NULL;
}

/* Ethernet links, but not loopback and not taps (ours, or anyone's) */
static int scan_link(const struct nlmsghdr *h, void *userdata) {
        struct scan *s = userdata;
        const struct ifinfomsg *ifi = NLMSG_DATA(h);
        const struct rtattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1] = {0};
        if (h->nlmsg_type != RTM_NEWLINK || ifi->ifi_type != ARPHRD_ETHER || (ifi->ifi_flags & IFF_LOOPBACK))
                return 0;
        nl_attrs(h, sizeof *ifi, tb, IFLA_MAX);
        if (tb[IFLA_LINKINFO])
                nl_attrs_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX);
        if (info[IFLA_INFO_KIND] && !strcmp(RTA_DATA(info[IFLA_INFO_KIND]), "tun"))
                return 0;
        if (!tb[IFLA_IFNAME] || !tb[IFLA_ADDRESS] || RTA_PAYLOAD(tb[IFLA_ADDRESS]) != 6)
                return 0;
        if (s->net->n == VM_MAX_NICS)
                return log_fail(-E2BIG, "vm: the container's network namespace has more than %d interfaces",
                                VM_MAX_NICS);
        struct vm_nic *n = &s->net->nics[s->net->n++];
        *n = (struct vm_nic){.ifindex = ifi->ifi_index, .tap_fd = -1,
                             .mtu = tb[IFLA_MTU] ? *(const uint32_t *) RTA_DATA(tb[IFLA_MTU]) : 1500};
        snprintf(n->name, sizeof n->name, "%s", (const char *) RTA_DATA(tb[IFLA_IFNAME]));
        memcpy(n->mac, RTA_DATA(tb[IFLA_ADDRESS]), 6);
        n->addresses = json_array();
        return n->addresses ? 0 : -ENOMEM;
}

static int prefix_text(int family, const void *addr, unsigned len, char *buf, size_t size) {
        char a[INET6_ADDRSTRLEN];
        if (!inet_ntop(family, addr, a, sizeof a))
                return -EAFNOSUPPORT;
        snprintf(buf, size, "%s/%u", a, len);
        return 0;
}

/* global addresses: the guest makes its own link-local ones from the same MAC */
static int scan_addr(const struct nlmsghdr *h, void *userdata) {
        struct scan *s = userdata;
        const struct ifaddrmsg *ifa = NLMSG_DATA(h);
        const struct rtattr *tb[IFA_MAX + 1];
        struct vm_nic *n = nic_of(s->net, (int) ifa->ifa_index);
        if (h->nlmsg_type != RTM_NEWADDR || !n || ifa->ifa_scope >= RT_SCOPE_LINK ||
            (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
                return 0;
        nl_attrs(h, sizeof *ifa, tb, IFA_MAX);
        const struct rtattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
        char text[64];
        if (!a || prefix_text(ifa->ifa_family, RTA_DATA(a), ifa->ifa_prefixlen, text, sizeof text) < 0)
                return 0;
        return json_array_append_new(n->addresses, json_string(text)) < 0 ? -ENOMEM : 0;
}

/* The main table's unicast routes through a wired interface, but not those
 * the kernel makes for an address (the guest's kernel makes them too). */
static int scan_route(const struct nlmsghdr *h, void *userdata) {
        struct scan *s = userdata;
        const struct rtmsg *rt = NLMSG_DATA(h);
        const struct rtattr *tb[RTA_MAX + 1];
        if (h->nlmsg_type != RTM_NEWROUTE || rt->rtm_type != RTN_UNICAST || rt->rtm_protocol == RTPROT_KERNEL ||
            (rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6))
                return 0;
        nl_attrs(h, sizeof *rt, tb, RTA_MAX);
        uint32_t table = tb[RTA_TABLE] ? *(const uint32_t *) RTA_DATA(tb[RTA_TABLE]) : rt->rtm_table;
        struct vm_nic *n = tb[RTA_OIF] ? nic_of(s->net, *(const int *) RTA_DATA(tb[RTA_OIF])) : NULL;
        if (table != RT_TABLE_MAIN || !n)
                return 0;
        static const uint8_t any[16];
        char dst[64], gw[64] = "";
        if (prefix_text(rt->rtm_family, tb[RTA_DST] ? RTA_DATA(tb[RTA_DST]) : any, rt->rtm_dst_len, dst, sizeof dst) < 0 ||
            (tb[RTA_GATEWAY] && !inet_ntop(rt->rtm_family, RTA_DATA(tb[RTA_GATEWAY]), gw, sizeof gw)))
                return 0;
        json_t *r = json_pack("{s:s, s:s}", "dst", dst, "dev", n->name);
        if (r && *gw)
                json_object_set_new(r, "gateway", json_string(gw));
        return r && json_array_append_new(s->routes, r) == 0 ? 0 : -ENOMEM;
}

static int dump(int fd, uint16_t type, const void *hdr, size_t len, nl_dump_fn fn, struct scan *s, const char *what) {
        struct nl_req r;
        nl_req_init(&r, type, 0, hdr, len);
        int ret = nl_dump(fd, &r, fn, s);
        /* fn logged its own failures */
        if (ret < 0 && ret != -E2BIG && ret != -ENOMEM)
                return log_error_errno(ret, "vm: list the %s of the container's network namespace", what);
        return ret;
}

/* A tap for `n`, its MTU, up; the fd is QEMU's. */
static int make_tap(int fd, size_t i, struct vm_nic *n) {
        n->tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (n->tap_fd < 0)
                return log_error_errno(-errno, "vm: open /dev/net/tun");
        struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, VM_TAP_PREFIX "%zu", i);
        if (ioctl(n->tap_fd, TUNSETIFF, &ifr) < 0)
                return log_error_errno(-errno, "vm: create the tap device %s", ifr.ifr_name);
        snprintf(n->tap, sizeof n->tap, "%s", ifr.ifr_name);
        n->tap_ifindex = nl_link_index(fd, n->tap);
        if (n->tap_ifindex < 0)
                return log_error_errno(n->tap_ifindex, "vm: find the tap device %s", n->tap);
        struct nl_req r;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = n->tap_ifindex, .ifi_change = IFF_UP,
                                .ifi_flags = IFF_UP};
        nl_req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
        int ret = nl_put_u32(&r, IFLA_MTU, n->mtu);
        if (ret == 0)
                ret = nl_call(fd, &r);
        if (ret < 0)
                return log_error_errno(ret, "vm: set up the tap device %s (MTU %u)", n->tap, n->mtu);
        return 0;
}

/* The two redirects between the interface and its tap. */
static int redirect(int fd, struct vm_nic *n) {
        int ret = nl_ingress_add(fd, n->ifindex);
        if (ret == -EEXIST)
                return log_fail(ret, "vm: interface %s of the container's network namespace already has an ingress "
                                     "qdisc: it cannot be redirected to the guest", n->name);
        if (ret < 0)
                return log_error_errno(ret, "vm: add an ingress qdisc to %s", n->name);
        n->wired = true;
        ret = nl_ingress_add(fd, n->tap_ifindex);
        if (ret == 0)
                ret = nl_redirect_add(fd, n->ifindex, n->tap_ifindex);
        if (ret == 0)
                ret = nl_redirect_add(fd, n->tap_ifindex, n->ifindex);
        if (ret < 0)
                return log_error_errno(ret, "vm: redirect %s to %s with tc (u32, mirred)", n->name, n->tap);
        return 0;
}

static json_t *guest_view(const struct vm_net *net, json_t *routes) {
        json_t *ifs = json_array();
        for (size_t i = 0; ifs && i < net->n; i++) {
                const struct vm_nic *n = &net->nics[i];
                char mac[18];
                vm_net_mac_text(n->mac, mac);
                json_array_append_new(ifs, json_pack("{s:s, s:s, s:i, s:O}", "name", n->name, "mac", mac, "mtu",
                                                     (json_int_t) n->mtu, "addresses", n->addresses));
        }
        return json_pack("{s:o, s:O}", "interfaces", ifs, "routes", routes);
}

void vm_net_mac_text(const uint8_t mac[6], char buf[18]) {
        snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int vm_net_wire(struct vm_net *net) {
        *net = (struct vm_net){0};
        _cleanup_close_ int fd = nl_open(-1);
        if (fd < 0)
                return log_error_errno(fd, "vm: open an rtnetlink socket");
        _cleanup_(json_decrefp) json_t *routes = json_array();
        if (!routes)
                return -ENOMEM;
        struct scan s = {.net = net, .routes = routes};
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
        struct rtmsg rt = {.rtm_family = AF_UNSPEC};
        int r = dump(fd, RTM_GETLINK, &ifi, sizeof ifi, scan_link, &s, "interfaces");
        if (r == 0)
                r = dump(fd, RTM_GETADDR, &ifa, sizeof ifa, scan_addr, &s, "addresses");
        if (r == 0)
                r = dump(fd, RTM_GETROUTE, &rt, sizeof rt, scan_route, &s, "routes");
        for (size_t i = 0; r == 0 && i < net->n; i++) {
                r = make_tap(fd, i, &net->nics[i]);
                if (r == 0)
                        r = redirect(fd, &net->nics[i]);
        }
        if (r == 0 && !(net->guest = guest_view(net, routes)))
                r = -ENOMEM;
        if (r < 0) {
                vm_net_unwire(net);
                return r;
        }
        for (size_t i = 0; i < net->n; i++)
                log_debug("vm: %s redirected to %s (MTU %u)", net->nics[i].name, net->nics[i].tap, net->nics[i].mtu);
        return 0;
}

void vm_net_release(struct vm_net *net) {
        for (size_t i = 0; i < net->n; i++) {
                struct vm_nic *n = &net->nics[i];
                if (n->tap_fd >= 0)
                        close(n->tap_fd);
                n->tap_fd = -1;
                json_decref(n->addresses);
                n->addresses = NULL;
        }
        json_decref(net->guest);
        net->guest = NULL;
}

void vm_net_unwire(struct vm_net *net) {
        _cleanup_close_ int fd = nl_open(-1);
        for (size_t i = 0; fd >= 0 && i < net->n; i++)
                if (net->nics[i].wired)
                        (void) nl_ingress_del(fd, net->nics[i].ifindex);
        /* the taps go with their last fd (they are not persistent) */
        vm_net_release(net);
        net->n = 0;
}

int vm_net_unwire_recorded(const char *record) {
        _cleanup_free_ char *copy = strdup(record);
        if (!copy)
                return -ENOMEM;
        char *save = NULL, *path = strtok_r(copy, "\n", &save);
        if (!path)
                return 0;
        const char *id = strtok_r(NULL, "\n", &save);
        _cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        char now[64];
        if (ns < 0 || fstat(ns, &st) < 0)
                return 0; /* the namespace went away, and its interfaces with it */
        snprintf(now, sizeof now, "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
        if (!id || strcmp(id, now))
                return 0; /* another namespace now: not ours to touch */
        _cleanup_close_ int fd = nl_open(ns);
        if (fd < 0)
                return log_error_errno(fd, "vm: open an rtnetlink socket in %s", path);
        for (char *name = strtok_r(NULL, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
                int index = nl_link_index(fd, name);
                int r = index < 0 ? index : nl_ingress_del(fd, index);
                /* gone, or its qdisc already is */
                if (r < 0 && r != -ENODEV && r != -ENOENT && r != -EINVAL)
                        log_warn("vm: remove the ingress qdisc of %s in %s: %s", name, path, strerror(-r));
        }
        return 0;
}

/* The record delete reads (VM_NET_FILE): the namespace (its path, and its
 * inode: a path reused by another namespace is left alone) and the interfaces. */
static int record(int dirfd, const char *path, const struct vm_net *net) {
        struct stat st;
        if (stat(path, &st) < 0)
                return log_error_errno(-errno, "stat %s", path);
        size_t len = strlen(path) + 64 + net->n * (IFNAMSIZ + 1);
        _cleanup_free_ char *text = malloc(len);
        if (!text)
                return -ENOMEM;
        size_t at = (size_t) snprintf(text, len, "%s\n%llu:%llu\n", path, (unsigned long long) st.st_dev,
                                      (unsigned long long) st.st_ino);
        for (size_t i = 0; i < net->n; i++)
                at += (size_t) snprintf(text + at, len - at, "%s\n", net->nics[i].name);
        int r = write_file_atomic_at(dirfd, VM_NET_FILE, text, at, 0600);
        return r < 0 ? log_error_errno(r, "write %s", VM_NET_FILE) : 0;
}

int vm_net_prepare(const struct sandbox_create *sc, int report_fd, int dirfd, struct vm_net *net) {
        *net = (struct vm_net){0};
        const struct oci_namespace *ns = oci_spec_namespace(sc->spec, CLONE_NEWNET);
        if (ns && ns->path) {
                _cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
                        return log_error_errno(-errno, "config.json: linux.namespaces: network namespace %s", ns->path);
        } else if (ns && unshare(CLONE_NEWNET) < 0)
                return log_error_errno(-errno, "vm: a network namespace for container \"%s\"", sc->id);
        /* The hooks see our pid, hence our network namespace: Docker's
         * libnetwork-setkey (prestart) puts the container's veth in it and
         * configures it before create goes on; a CNI createRuntime hook alike. */
        const struct oci_spec *spec = sc->spec;
        if (spec->n_hooks[OCI_HOOK_PRESTART] || spec->n_hooks[OCI_HOOK_CREATE_RUNTIME]) {
                int r = sync_send(report_fd, SYNC_HOOKS, 0);
                if (r == 0)
                        r = sync_expect(report_fd, SYNC_GO, NULL);
                if (r < 0)
                        return r; /* create logged the hook's failure */
        }
        if (!ns)
                return 0; /* the host's namespace is not ours to take into a VM */
        int r = vm_net_wire(net);
        if (r == 0 && ns->path && net->n)
                r = record(dirfd, ns->path, net);
        if (r < 0)
                vm_net_unwire(net);
        return r;
}

void vm_net_guest_config(json_t *doc, const struct vm_net *net) {
        /* the hooks ran on the host; the guest makes a network namespace of its own */
        json_object_del(doc, "hooks");
        size_t i;
        json_t *ns;
        json_array_foreach(json_object_get(json_object_get(doc, "linux"), "namespaces"), i, ns)
                if (json_is_string(json_object_get(ns, "type")) &&
                    !strcmp(json_string_value(json_object_get(ns, "type")), "network"))
                        json_object_del(ns, "path");
        if (net->guest)
                json_object_set(doc, VM_NET_CONFIG_KEY, net->guest);
}
