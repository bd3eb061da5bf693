/* SPDX-License-Identifier: MIT */
/*
 * The guest's side of the container's network (the host's: src/vm/net.c).
 * Each interface the host wired arrives as a virtio-net device with the
 * interface's MAC; the agent moves it into the container's network
 * namespace under the interface's name, with its MTU, addresses and routes,
 * so the container sees what it would have seen in the namespace on the host.
 */
#include <net/if.h> /* before any <linux/...>: glibc's and the kernel's definitions agree then */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "cleanup.h"
#include "linux/netlink.h"
#include "log.h"

int agent_net_loopback(void) {
        _cleanup_close_ int fd = nl_open(-1);
        int index = fd < 0 ? fd : nl_link_index(fd, "lo");
        int r = index < 0 ? index : nl_link_up(fd, index, true);
        return r < 0 ? log_error_errno(r, "bring up the guest's loopback") : 0;
}

struct find_mac {
        uint8_t mac[6];
        int index;
};

static int match_mac(const struct nlmsghdr *h, void *userdata) {
        struct find_mac *f = userdata;
        const struct ifinfomsg *ifi = NLMSG_DATA(h);
        const struct rtattr *tb[IFLA_MAX + 1];
        if (h->nlmsg_type != RTM_NEWLINK)
                return 0;
        nl_attrs(h, sizeof *ifi, tb, IFLA_MAX);
        if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) == 6 && !memcmp(RTA_DATA(tb[IFLA_ADDRESS]), f->mac, 6))
                f->index = ifi->ifi_index;
        return 0;
}

/* "a.b.c.d/n" or "x::y/n" */
static int parse_prefix(const char *text, int *family, uint8_t addr[16], unsigned *len) {
        char a[64];
        const char *slash = text ? strchr(text, '/') : NULL;
        if (!slash || (size_t) (slash - text) >= sizeof a)
                return -EINVAL;
        memcpy(a, text, (size_t) (slash - text));
        a[slash - text] = 0;
        char *end;
        unsigned long n = strtoul(slash + 1, &end, 10);
        *family = strchr(a, ':') ? AF_INET6 : AF_INET;
        if (*end || n > (*family == AF_INET ? 32u : 128u) || inet_pton(*family, a, addr) != 1)
                return -EINVAL;
        *len = (unsigned) n;
        return 0;
}

/* The device with the interface's MAC: moved into the container's
 * namespace under its name, with its MTU; its index there. */
static int move_in(int root, int ns_fd, int ns, const char *name, const char *mac_text, unsigned mtu) {
        struct find_mac f = {.index = 0};
        if (sscanf(mac_text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &f.mac[0], &f.mac[1], &f.mac[2], &f.mac[3], &f.mac[4],
                   &f.mac[5]) != 6)
                return log_fail(-EINVAL, "network from the host: MAC %s", mac_text);
        struct nl_req r;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        nl_req_init(&r, RTM_GETLINK, 0, &ifi, sizeof ifi);
        int ret = nl_dump(root, &r, match_mac, &f);
        if (ret < 0)
                return log_error_errno(ret, "list the guest's interfaces");
        if (!f.index)
                return log_fail(-ENODEV, "the guest has no interface with MAC %s (for %s)", mac_text, name);
        ifi.ifi_index = f.index;
        nl_req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
        if ((ret = nl_put_u32(&r, IFLA_MTU, mtu)) < 0 || (ret = nl_put_u32(&r, IFLA_NET_NS_FD, (uint32_t) ns_fd)) < 0 ||
            (ret = nl_put_str(&r, IFLA_IFNAME, name)) < 0 || (ret = nl_call(root, &r)) < 0)
                return log_error_errno(ret, "move the guest's interface %s into the container as %s (MTU %u)", mac_text,
                                       name, mtu);
        ret = nl_link_index(ns, name);
        return ret < 0 ? log_error_errno(ret, "find %s in the container's network namespace", name) : ret;
}

static int add_address(int ns, int index, const char *name, const char *text) {
        int family;
        uint8_t a[16];
        unsigned len;
        if (parse_prefix(text, &family, a, &len) < 0)
                return log_fail(-EINVAL, "network from the host: address %s of %s", text ? text : "(none)", name);
        struct nl_req r;
        /* no duplicate address detection: the address is the container's already */
        struct ifaddrmsg ifa = {.ifa_family = (uint8_t) family, .ifa_prefixlen = (uint8_t) len,
                                .ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0, .ifa_index = (uint32_t) index};
        nl_req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
        size_t alen = family == AF_INET ? 4 : 16;
        int ret = nl_put(&r, IFA_LOCAL, a, alen);
        if (ret == 0)
                ret = nl_put(&r, IFA_ADDRESS, a, alen);
        if (ret == 0)
                ret = nl_call(ns, &r);
        return ret < 0 ? log_error_errno(ret, "add address %s to %s", text, name) : 0;
}

static int add_route(int ns, const json_t *route) {
        const char *dst = json_string_value(json_object_get(route, "dst"));
        const char *gw = json_string_value(json_object_get(route, "gateway"));
        const char *dev = json_string_value(json_object_get(route, "dev"));
        int family, gw_family = 0;
        uint8_t d[16], g[16];
        unsigned len;
        if (parse_prefix(dst, &family, d, &len) < 0 || !dev ||
            (gw && (gw_family = strchr(gw, ':') ? AF_INET6 : AF_INET, inet_pton(gw_family, gw, g) != 1)) ||
            (gw && gw_family != family))
                return log_fail(-EINVAL, "network from the host: route to %s", dst ? dst : "(none)");
        int index = nl_link_index(ns, dev);
        if (index < 0)
                return log_error_errno(index, "route to %s: interface %s", dst, dev);
        struct nl_req r;
        struct rtmsg rt = {.rtm_family = (uint8_t) family, .rtm_dst_len = (uint8_t) len, .rtm_table = RT_TABLE_MAIN,
                           .rtm_protocol = RTPROT_BOOT, .rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
                           .rtm_type = RTN_UNICAST};
        nl_req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof rt);
        size_t alen = family == AF_INET ? 4 : 16;
        int ret = len ? nl_put(&r, RTA_DST, d, alen) : 0;
        if (ret == 0 && gw)
                ret = nl_put(&r, RTA_GATEWAY, g, alen);
        if (ret == 0)
                ret = nl_put_u32(&r, RTA_OIF, (uint32_t) index);
        if (ret == 0)
                ret = nl_call(ns, &r);
        return ret < 0 ? log_error_errno(ret, "add the route to %s%s%s dev %s", dst, gw ? " via " : "", gw ? gw : "",
                                         dev)
                       : 0;
}

int agent_net_setup(const json_t *net, pid_t pid) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int) pid);
        _cleanup_close_ int ns_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (ns_fd < 0)
                return log_error_errno(-errno, "open the container's network namespace (%s)", path);
        _cleanup_close_ int root = nl_open(-1);
        _cleanup_close_ int ns = nl_open(ns_fd);
        if (root < 0 || ns < 0)
                return log_error_errno(root < 0 ? root : ns, "open an rtnetlink socket");
        size_t i;
        const json_t *nic;
        json_array_foreach(json_object_get(net, "interfaces"), i, nic) {
                const char *name = json_string_value(json_object_get(nic, "name"));
                const char *mac = json_string_value(json_object_get(nic, "mac"));
                json_int_t mtu = json_integer_value(json_object_get(nic, "mtu"));
                if (!name || !*name || strlen(name) >= IFNAMSIZ || !mac || mtu < 68 || mtu > 65535)
                        return log_fail(-EINVAL, "network from the host: interfaces[%zu]", i);
                int index = move_in(root, ns_fd, ns, name, mac, (unsigned) mtu);
                if (index < 0)
                        return index;
                size_t k;
                const json_t *a;
                json_array_foreach(json_object_get(nic, "addresses"), k, a) {
                        int r = add_address(ns, index, name, json_string_value(a));
                        if (r < 0)
                                return r;
                }
                int r = nl_link_up(ns, index, true);
                if (r < 0)
                        return log_error_errno(r, "bring up %s", name);
        }
        /* the routes to the neighbours first: a gateway must be reachable when its route is added */
        for (int pass = 0; pass < 2; pass++) {
                const json_t *route;
                json_array_foreach(json_object_get(net, "routes"), i, route) {
                        if ((json_object_get(route, "gateway") != NULL) != pass)
                                continue;
                        int r = add_route(ns, route);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}
