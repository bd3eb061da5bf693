/* SPDX-License-Identifier: MIT */
/*
 * ioctl requests outside the filter's host allow-list (terminal attributes,
 * window size, foreground group, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX).
 *
 * A small list is CONTINUEd: requests that only act on the descriptor the
 * caller holds, or read what it may read anyway, whatever their argument
 * memory says.  A few are refused with EPERM because they reach beyond the
 * caller (TIOCSTI types into another process's input, TIOCCONS redirects the
 * console, line disciplines are driver code with a history of bugs).
 * Everything else is ENOTTY, as from a driver that does not know the request,
 * so no block, loop, tty-driver, DRM or SCSI ioctl reaches the host kernel.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/sockios.h>

#include "cleanup.h"
#include "sentry/call.h"

enum verdict { CONTINUE, DENY };

struct ioctl_rule {
        uint32_t req;
        enum verdict verdict;
        const char *name;
};

#define RULE(r, v) {(uint32_t) (r), (v), #r}

static const struct ioctl_rule rules[] = {
        /* terminals: the old termio forms of the host-allowed termios calls,
         * line control and sessions on the caller's own tty */
        RULE(TCGETA, CONTINUE),
        RULE(TCSETA, CONTINUE),
        RULE(TCSETAW, CONTINUE),
        RULE(TCSETAF, CONTINUE),
        RULE(TCSBRK, CONTINUE),
        RULE(TCSBRKP, CONTINUE),
        RULE(TIOCSBRK, CONTINUE),
        RULE(TIOCCBRK, CONTINUE),
        RULE(TCXONC, CONTINUE),
        RULE(TCFLSH, CONTINUE),
        RULE(TIOCOUTQ, CONTINUE), /* also SIOCOUTQ */
        RULE(TIOCSCTTY, CONTINUE), /* stealing a tty (arg 1) needs CAP_SYS_ADMIN: the kernel checks */
        RULE(TIOCNOTTY, CONTINUE),
        RULE(TIOCGSID, CONTINUE),
        RULE(TIOCEXCL, CONTINUE),
        RULE(TIOCNXCL, CONTINUE),
        RULE(TIOCGEXCL, CONTINUE),
        RULE(TIOCGETD, CONTINUE),
        RULE(TIOCGSOFTCAR, CONTINUE),
        RULE(TIOCSSOFTCAR, CONTINUE),
        RULE(TIOCGLCKTRMIOS, CONTINUE),
        /* ptys: set-up of the caller's own master (devpts of its own view) */
        RULE(TIOCGPTN, CONTINUE),
        RULE(TIOCSPTLCK, CONTINUE),
        RULE(TIOCGPTLCK, CONTINUE),
        RULE(TIOCGPTPEER, CONTINUE),
        RULE(TIOCPKT, CONTINUE),
        RULE(TIOCGPKT, CONTINUE),
        RULE(TIOCSIG, CONTINUE), /* signals the pty's foreground group: processes of the container */
        /* descriptor flags and owners */
        RULE(FIOASYNC, CONTINUE),
        RULE(FIOQSIZE, CONTINUE),
        RULE(FIOGETOWN, CONTINUE),
        RULE(FIOSETOWN, CONTINUE),
        RULE(SIOCGPGRP, CONTINUE),
        RULE(SIOCSPGRP, CONTINUE),
        /* sockets: queue state, timestamps, and read-only interface queries
         * of the workload's own network namespace (ifconfig, Go's net) */
        RULE(SIOCATMARK, CONTINUE),
        RULE(SIOCOUTQNSD, CONTINUE),
        RULE(SIOCGSTAMP, CONTINUE),
        RULE(SIOCGSTAMPNS, CONTINUE),
        RULE(SIOCGIFNAME, CONTINUE),
        RULE(SIOCGIFCONF, CONTINUE),
        RULE(SIOCGIFFLAGS, CONTINUE),
        RULE(SIOCGIFADDR, CONTINUE),
        RULE(SIOCGIFDSTADDR, CONTINUE),
        RULE(SIOCGIFBRDADDR, CONTINUE),
        RULE(SIOCGIFNETMASK, CONTINUE),
        RULE(SIOCGIFMETRIC, CONTINUE),
        RULE(SIOCGIFMTU, CONTINUE),
        RULE(SIOCGIFHWADDR, CONTINUE),
        RULE(SIOCGIFINDEX, CONTINUE),
        RULE(SIOCGIFTXQLEN, CONTINUE),
        /* files the caller holds open: reflinks and extent maps (cp), flags
         * and block size (lsattr, cp) */
        RULE(FICLONE, CONTINUE),
        RULE(FICLONERANGE, CONTINUE),
        RULE(FIDEDUPERANGE, CONTINUE),
        RULE(FIGETBSZ, CONTINUE),
        RULE(FS_IOC_FIEMAP, CONTINUE),
        RULE(FS_IOC_GETFLAGS, CONTINUE),
        RULE(FS_IOC_GETVERSION, CONTINUE),
        RULE(FS_IOC_FSGETXATTR, CONTINUE),
        /* beyond the caller */
        RULE(TIOCSTI, DENY),     /* fakes input on a terminal other processes read */
        RULE(TIOCCONS, DENY),    /* redirects the host console */
        RULE(TIOCVHANGUP, DENY), /* as vhangup: CAP_SYS_TTY_CONFIG */
        RULE(TIOCSETD, DENY),    /* line disciplines (n_gsm, n_hdlc, ...) */
        RULE(TIOCSLCKTRMIOS, DENY),
};

static const struct ioctl_rule *find_rule(uint32_t req) {
        for (size_t i = 0; i < ELEMENTSOF(rules); i++)
                if (rules[i].req == req)
                        return &rules[i];
        return NULL;
}

long sys_ioctl(struct sentry_call *c) {
        /* the kernel takes the request as an unsigned int */
        const struct ioctl_rule *r = find_rule((uint32_t) c->req->data.args[1]);
        if (!r)
                return -ENOTTY;
        return r->verdict == CONTINUE ? SENTRY_CONTINUE : -EPERM;
}

const char *sentry_ioctl_name(uint32_t req) {
        const struct ioctl_rule *r = find_rule(req);
        return r ? r->name : NULL;
}
