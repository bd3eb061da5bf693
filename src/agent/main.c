/* SPDX-License-Identifier: MIT */
/*
 * cocoon-agent: /init of the vm sandbox's guest (docs/vm.md).  It prepares
 * the guest (boot.c), then serves the host over the virtio-serial port
 * (serve.c).  When it cannot go on it powers the guest off: QEMU exits and
 * the host's monitor reports the container stopped; the reason is on the
 * guest's console (<state>/console.log on the host).
 */
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "agent/agent.h"
#include "log.h"

int main(void) {
        if (getpid() != 1) {
                fprintf(stderr, "cocoon-agent: this is the init of cocoon's vm guest; it runs as PID 1 only\n");
                return 1;
        }
        static struct log_config cfg = {.fd = -1, .forward_fd = -1};
        log_setup(&cfg);
        int port = -1;
        int r = agent_boot();
        if (r == 0)
                r = agent_open_port(&port);
        if (r == 0)
                r = agent_serve(port);
        fprintf(stderr, "cocoon-agent: %s; powering off\n", r < 0 ? "failed" : "the host closed the channel");
        sync();
        reboot(RB_POWER_OFF);
        return 1;
}
