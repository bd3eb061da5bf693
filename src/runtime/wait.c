/* SPDX-License-Identifier: MIT */
/*
 * Foreground `run` and `exec`: wait for our child, forwarding the signals a
 * terminal or a supervisor sends us (as runc's signal proxy does), and with
 * a pty, shuttle bytes between our stdio and the pty master.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/container.h"
#include "util.h"

static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP, SIGALRM};

static void copy_winsize(int master) {
        struct winsize ws;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                ioctl(master, TIOCSWINSZ, &ws);
}

static bool pump(int from, int to) {
        char buf[8192];
        ssize_t n = read(from, buf, sizeof buf);
        if (n <= 0)
                return n < 0 && (errno == EAGAIN || errno == EINTR);
        return write_full(to, buf, (size_t) n) >= 0;
}

int container_wait_child(pid_t pid, int master) {
        sigset_t set, old;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaddset(&set, forwarded[i]);
        sigprocmask(SIG_BLOCK, &set, &old);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
        if (sfd < 0)
                return log_error_errno(-errno, "signalfd");

        struct termios saved;
        bool raw = false;
        if (master >= 0) {
                if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
                        struct termios t = saved;
                        cfmakeraw(&t);
                        raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
                        copy_winsize(master);
                }
                fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        }

        int status = 0;
        bool stdin_open = master >= 0, done = false;
        /* the child may have exited before we blocked SIGCHLD */
        if (waitpid(pid, &status, WNOHANG) == pid)
                done = true;
        while (!done) {
                struct pollfd pf[3] = {
                        {.fd = sfd, .events = POLLIN},
                        {.fd = master >= 0 ? master : -1, .events = POLLIN},
                        {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
                };
                if (poll(pf, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (pf[1].revents & (POLLIN | POLLHUP | POLLERR))
                        pump(master, STDOUT_FILENO);
                if (pf[2].revents & (POLLIN | POLLHUP)) {
                        char buf[4096];
                        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
                        if (n > 0)
                                write_full(master, buf, (size_t) n);
                        else
                                stdin_open = false; /* as runc: stdin EOF is not forwarded into a terminal */
                }
                if (!(pf[0].revents & POLLIN))
                        continue;
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof si) != sizeof si)
                        continue;
                if (si.ssi_signo == SIGCHLD) {
                        if (waitpid(pid, &status, WNOHANG) == pid)
                                done = true;
                } else if (si.ssi_signo == SIGWINCH && master >= 0)
                        copy_winsize(master);
                else
                        kill(pid, (int) si.ssi_signo);
        }
        if (master >= 0) {
                /* whatever the program wrote just before exiting is still in the pty */
                while (pump(master, STDOUT_FILENO)) {
                        struct pollfd p = {.fd = master, .events = POLLIN};
                        if (poll(&p, 1, 50) <= 0)
                                break;
                }
                if (raw)
                        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 255;
}
