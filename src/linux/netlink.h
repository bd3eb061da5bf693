/* SPDX-License-Identifier: MIT */
/*
 * A small rtnetlink client: what the vm sandbox needs to wire a container's
 * network namespace into its guest (src/vm/net.c: taps and tc redirects on
 * the host) and to configure the guest's side (src/agent/net.c: links,
 * addresses, routes).  Requests are built in a fixed buffer; every call
 * returns 0 or -errno (the kernel's answer), and logs nothing: the callers
 * know what the request was for.
 */
#pragma once

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NL_REQ_MAX 4096

struct nl_req {
        union {
                struct nlmsghdr h;
                char buf[NL_REQ_MAX];
        };
};

/* An rtnetlink socket in the caller's network namespace, or (netns_fd >= 0)
 * in that one: the socket keeps the namespace it was made in, so the caller
 * goes back to its own right away. */
int nl_open(int netns_fd);

/* A request of `type` with its fixed header (ifinfomsg, ifaddrmsg, ...). */
void nl_req_init(struct nl_req *r, uint16_t type, uint16_t flags, const void *hdr, size_t hdr_len);
/* Attributes; -E2BIG when the request is full. */
int nl_put(struct nl_req *r, uint16_t type, const void *data, size_t len);
int nl_put_u32(struct nl_req *r, uint16_t type, uint32_t v);
int nl_put_str(struct nl_req *r, uint16_t type, const char *s);
/* A nested attribute: nl_nest_end closes what nl_nest_begin opened (NULL: full). */
struct rtattr *nl_nest_begin(struct nl_req *r, uint16_t type);
void nl_nest_end(struct nl_req *r, struct rtattr *nest);

/* Send the request with NLM_F_ACK and return the kernel's verdict. */
int nl_call(int fd, struct nl_req *r);

/* A dump (NLM_F_DUMP is added): fn sees every message; a negative return
 * from fn stops the dump and is returned. */
typedef int (*nl_dump_fn)(const struct nlmsghdr *h, void *userdata);
int nl_dump(int fd, struct nl_req *r, nl_dump_fn fn, void *userdata);

/* The attributes after a message's fixed header, by type (tb[0..max]). */
void nl_attrs(const struct nlmsghdr *h, size_t hdr_len, const struct rtattr **tb, size_t max);
/* The attributes nested in `a`, by type. */
void nl_attrs_nested(const struct rtattr *a, const struct rtattr **tb, size_t max);

/* The ifindex of link `name` (-ENODEV when there is none). */
int nl_link_index(int fd, const char *name);
/* Bring a link up or down. */
int nl_link_up(int fd, int ifindex, bool up);

/* tc: an ingress qdisc on the link (-EEXIST when it has one), and its removal. */
int nl_ingress_add(int fd, int ifindex);
int nl_ingress_del(int fd, int ifindex);
/* Everything arriving on `from` leaves by `to`: a catch-all u32 filter on from's
 * ingress with a mirred egress redirect, as Kata's tcfilter model does. */
int nl_redirect_add(int fd, int from, int to);
