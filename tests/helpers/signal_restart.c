// SPDX-License-Identifier: MIT
// signal_restart DIR: creates and removes fresh names in DIR (mkdir + rmdir,
// O_EXCL create + unlink) while a 200 us SIGALRM timer interrupts it, with
// an SA_RESTART handler (as the Go runtime's preemption signal has).  Linux
// performs each call once, so none fails; a call that a signal restarts
// after the Sentry performed it fails EEXIST or ENOENT the second time.
// Prints "ROUNDS rounds, N failed calls"; exits 1 when N > 0.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static void on_alarm(int sig)
{
        (void) sig;
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: signal_restart DIR\n");
                return 2;
        }
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_alarm;
        sa.sa_flags = SA_RESTART;
        if (sigaction(SIGALRM, &sa, NULL) < 0)
                return 2;
        struct itimerval it = {{0, 200}, {0, 200}};
        if (setitimer(ITIMER_REAL, &it, NULL) < 0)
                return 2;
        long failed = 0, rounds = 3000;
        char p[4096];
        for (long i = 0; i < rounds; i++) {
                snprintf(p, sizeof(p), "%s/d%ld", argv[1], i);
                if (mkdir(p, 0755) < 0)
                        failed++;
                if (rmdir(p) < 0)
                        failed++;
                snprintf(p, sizeof(p), "%s/f%ld", argv[1], i);
                int fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
                if (fd < 0)
                        failed++;
                else
                        close(fd);
                if (unlink(p) < 0)
                        failed++;
        }
        printf("%ld rounds, %ld failed calls\n", rounds, failed);
        return failed != 0;
}
