/* SPDX-License-Identifier: MIT */
/*
 * A small rtnetlink client (netlink.h).  Raw netlink rather than libnl: the
 * agent is a static binary, and the dozen requests below are all it takes.
 */
#include <net/if.h> /* before any <linux/...>: glibc's and the kernel's definitions agree then */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/netlink.h"

int nl_open(int netns_fd) {
        _cleanup_close_ int self = -1;
        if (netns_fd >= 0) {
                self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
                if (self < 0 || setns(netns_fd, CLONE_NEWNET) < 0)
                        return -errno;
        }
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        int e = errno;
        if (self >= 0 && setns(self, CLONE_NEWNET) < 0) {
                /* we cannot stay in another namespace than we were in */
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        if (fd < 0)
                return -e;
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                e = errno;
                close(fd);
                return -e;
        }
        return fd;
}

void nl_req_init(struct nl_req *r, uint16_t type, uint16_t flags, const void *hdr, size_t hdr_len) {
        memset(r, 0, sizeof *r);
        r->h.nlmsg_len = NLMSG_LENGTH(hdr_len);
        r->h.nlmsg_type = type;
        r->h.nlmsg_flags = NLM_F_REQUEST | flags;
        memcpy(NLMSG_DATA(&r->h), hdr, hdr_len);
}

int nl_put(struct nl_req *r, uint16_t type, const void *data, size_t len) {
        size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
        if (at + RTA_SPACE(len) > sizeof r->buf)
                return -E2BIG;
        struct rtattr *a = (struct rtattr *) (r->buf + at);
        a->rta_type = type;
        a->rta_len = (unsigned short) RTA_LENGTH(len);
        if (len)
                memcpy(RTA_DATA(a), data, len);
        r->h.nlmsg_len = (uint32_t) (at + RTA_SPACE(len));
        return 0;
}

int nl_put_u32(struct nl_req *r, uint16_t type, uint32_t v) {
        return nl_put(r, type, &v, sizeof v);
}

int nl_put_str(struct nl_req *r, uint16_t type, const char *s) {
        return nl_put(r, type, s, strlen(s) + 1);
}

struct rtattr *nl_nest_begin(struct nl_req *r, uint16_t type) {
        size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
        if (nl_put(r, type, NULL, 0) < 0)
                return NULL;
        return (struct rtattr *) (r->buf + at);
}

void nl_nest_end(struct nl_req *r, struct rtattr *nest) {
        nest->rta_len = (unsigned short) (r->buf + r->h.nlmsg_len - (char *) nest);
}

static int nl_send(int fd, struct nl_req *r) {
        static uint32_t seq;
        r->h.nlmsg_seq = ++seq;
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
        ssize_t n;
        while ((n = sendto(fd, r->buf, r->h.nlmsg_len, 0, (struct sockaddr *) &sa, sizeof sa)) < 0 && errno == EINTR)
                ;
        if (n < 0)
                return -errno;
        return n == (ssize_t) r->h.nlmsg_len ? 0 : -EIO;
}

/* Read the answers to request `seq`: dump messages go to fn; NLMSG_ERROR
 * (an ack or an error) and NLMSG_DONE end it. */
static int nl_recv(int fd, uint32_t seq, nl_dump_fn fn, void *userdata) {
        static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
        int result = 0;
        for (;;) {
                struct sockaddr_nl from = {0};
                socklen_t fl = sizeof from;
                ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *) &from, &fl);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                if (from.nl_pid != 0)
                        continue; /* only the kernel answers */
                size_t left = (size_t) n;
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
                        if (h->nlmsg_seq != seq)
                                continue;
                        if (h->nlmsg_type == NLMSG_DONE)
                                return result;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);
                                if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e))
                                        return -EIO;
                                return e->error < 0 ? e->error : result;
                        }
                        /* after fn failed the rest of the dump is read and dropped */
                        if (fn && result == 0)
                                result = fn(h, userdata);
                }
        }
}

int nl_call(int fd, struct nl_req *r) {
        r->h.nlmsg_flags |= NLM_F_ACK;
        int ret = nl_send(fd, r);
        return ret < 0 ? ret : nl_recv(fd, r->h.nlmsg_seq, NULL, NULL);
}

int nl_dump(int fd, struct nl_req *r, nl_dump_fn fn, void *userdata) {
        r->h.nlmsg_flags |= NLM_F_DUMP;
        int ret = nl_send(fd, r);
        return ret < 0 ? ret : nl_recv(fd, r->h.nlmsg_seq, fn, userdata);
}

static void parse(const struct rtattr *a, size_t len, const struct rtattr **tb, size_t max) {
        memset(tb, 0, sizeof *tb * (max + 1));
        for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
                if (a->rta_type <= max && !tb[a->rta_type])
                        tb[a->rta_type] = a;
}

void nl_attrs(const struct nlmsghdr *h, size_t hdr_len, const struct rtattr **tb, size_t max) {
        size_t at = NLMSG_LENGTH(NLMSG_ALIGN(hdr_len));
        size_t len = h->nlmsg_len > at ? h->nlmsg_len - at : 0;
        parse((const struct rtattr *) ((const char *) h + at), len, tb, max);
}

void nl_attrs_nested(const struct rtattr *a, const struct rtattr **tb, size_t max) {
        parse(RTA_DATA(a), RTA_PAYLOAD(a), tb, max);
}

static int index_of(const struct nlmsghdr *h, void *userdata) {
        if (h->nlmsg_type == RTM_NEWLINK)
                *(int *) userdata = ((const struct ifinfomsg *) NLMSG_DATA(h))->ifi_index;
        return 0;
}

int nl_link_index(int fd, const char *name) {
        struct nl_req r;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        nl_req_init(&r, RTM_GETLINK, 0, &ifi, sizeof ifi);
        int ret = nl_put_str(&r, IFLA_IFNAME, name);
        if (ret < 0)
                return ret;
        int index = 0;
        /* the answer is one message, no NLMSG_DONE: the ack ends it */
        r.h.nlmsg_flags |= NLM_F_ACK;
        ret = nl_send(fd, &r);
        if (ret == 0)
                ret = nl_recv(fd, r.h.nlmsg_seq, index_of, &index);
        if (ret < 0)
                return ret;
        return index > 0 ? index : -ENODEV;
}

int nl_link_up(int fd, int ifindex, bool up) {
        struct nl_req r;
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_change = IFF_UP,
                                .ifi_flags = up ? IFF_UP : 0};
        nl_req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
        return nl_call(fd, &r);
}

static void tc_req(struct nl_req *r, uint16_t type, uint16_t flags, int ifindex, uint32_t parent, uint32_t info) {
        struct tcmsg t = {.tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = parent, .tcm_info = info};
        if (type == RTM_NEWQDISC || type == RTM_DELQDISC)
                t.tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
        nl_req_init(r, type, flags, &t, sizeof t);
}

int nl_ingress_add(int fd, int ifindex) {
        struct nl_req r;
        tc_req(&r, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, TC_H_INGRESS, 0);
        int ret = nl_put_str(&r, TCA_KIND, "ingress");
        return ret < 0 ? ret : nl_call(fd, &r);
}

int nl_ingress_del(int fd, int ifindex) {
        struct nl_req r;
        tc_req(&r, RTM_DELQDISC, 0, ifindex, TC_H_INGRESS, 0);
        int ret = nl_put_str(&r, TCA_KIND, "ingress");
        return ret < 0 ? ret : nl_call(fd, &r);
}

int nl_redirect_add(int fd, int from, int to) {
        struct nl_req r;
        /* priority 1, every protocol (ETH_P_ALL, network byte order) */
        tc_req(&r, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, from, TC_H_MAKE(TC_H_INGRESS, TC_H_MIN_INGRESS),
               TC_H_MAKE(1u << 16, htons(ETH_P_ALL)));
        /* u32 with one key that matches every packet (`u32 match u32 0 0`),
         * as Kata does: cls_matchall is often not built (it is not here) */
        _Alignas(struct tc_u32_sel) uint8_t sel[sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)] = {0};
        ((struct tc_u32_sel *) sel)->flags = TC_U32_TERMINAL;
        ((struct tc_u32_sel *) sel)->nkeys = 1;
        struct tc_mirred m = {.action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR, .ifindex = (uint32_t) to};
        struct rtattr *opts, *acts, *act, *aopts;
        int ret = nl_put_str(&r, TCA_KIND, "u32");
        if (ret < 0 || !(opts = nl_nest_begin(&r, TCA_OPTIONS)) || nl_put(&r, TCA_U32_SEL, sel, sizeof sel) < 0 ||
            !(acts = nl_nest_begin(&r, TCA_U32_ACT)) || !(act = nl_nest_begin(&r, 1)) ||
            nl_put_str(&r, TCA_ACT_KIND, "mirred") < 0 || !(aopts = nl_nest_begin(&r, TCA_ACT_OPTIONS)) ||
            nl_put(&r, TCA_MIRRED_PARMS, &m, sizeof m) < 0)
                return -E2BIG;
        nl_nest_end(&r, aopts);
        nl_nest_end(&r, act);
        nl_nest_end(&r, acts);
        nl_nest_end(&r, opts);
        return nl_call(fd, &r);
}
