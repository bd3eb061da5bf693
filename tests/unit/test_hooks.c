/* SPDX-License-Identifier: MIT */
/*
 * runtime/hooks.c: one hook list at a time, with real programs (/bin/sh),
 * checking what the hook receives and the exact one-line error of each way
 * a hook can fail.
 */
#include <signal.h>
#include <time.h>

#include "cleanup.h"
#include "log_capture.h"
#include "runtime/hooks.h"
#include "unit.h"

static char tmpdir[] = "/tmp/cocoon-unit-hooks.XXXXXX";

static struct oci_hook sh_hook(const char *script, int timeout) {
        char **args = calloc(5, sizeof *args); /* room for one more argument */
        args[0] = strdup("sh");
        args[1] = strdup("-c");
        args[2] = strdup(script);
        return (struct oci_hook){.path = strdup("/bin/sh"), .args = args, .timeout = timeout};
}

static void free_hooks(struct oci_spec *s) {
        for (int k = 0; k < OCI_HOOK_KIND_MAX; k++) {
                for (size_t i = 0; i < s->n_hooks[k]; i++) {
                        struct oci_hook *h = &s->hooks[k][i];
                        free(h->path);
                        for (char **a = h->args; a && *a; a++)
                                free(*a);
                        free(h->args);
                        for (char **e = h->env; e && *e; e++)
                                free(*e);
                        free(h->env);
                }
                s->n_hooks[k] = 0;
        }
}

/* Run `hooks` as createRuntime hooks; returns the result and the logged line in msg. */
static int run(struct oci_hook *hooks, size_t n, const char *state, char *msg, size_t len) {
        struct oci_spec s = {0};
        s.hooks[OCI_HOOK_CREATE_RUNTIME] = hooks;
        s.n_hooks[OCI_HOOK_CREATE_RUNTIME] = n;
        struct capture c;
        capture_begin(&c);
        int r = hooks_run(&s, OCI_HOOK_CREATE_RUNTIME, state);
        snprintf(msg, len, "%s", capture_end(&c));
        free_hooks(&s);
        return r;
}

static char *slurp(const char *name) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", tmpdir, name);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *buf = calloc(1, 4096);
        if (f && buf && fread(buf, 1, 4095, f) == 0)
                buf[0] = 0;
        return buf;
}

static void test_stdin_args_env(void) {
        char script[512], msg[LOG_FORWARD_MAX];
        snprintf(script, sizeof script, "cat >%s/state; echo \"$0 $1\" >%s/args; tr '\\0' ' ' </proc/$$/environ >%s/env",
                 tmpdir, tmpdir, tmpdir);
        struct oci_hook h = sh_hook(script, 0);
        free(h.args[0]);
        h.args[0] = strdup("argv0");
        h.args[3] = strdup("one");
        h.env = calloc(3, sizeof *h.env);
        h.env[0] = strdup("X=1");
        h.env[1] = strdup("Y=2 3");
        CHECK_OK(run(&h, 1, "{\"id\":\"c1\"}", msg, sizeof msg));
        CHECK_STR_EQ(msg, "");
        _cleanup_free_ char *state = slurp("state"), *args = slurp("args"), *env = slurp("env");
        CHECK_STR_EQ(state, "{\"id\":\"c1\"}");
        CHECK_STR_EQ(args, "one \n");
        CHECK_STR_EQ(env, "X=1 Y=2 3 ");
}

static void test_failures(void) {
        char msg[LOG_FORWARD_MAX];
        struct oci_hook h = sh_hook("echo first; echo second >&2; exit 3", 0);
        CHECK_ERR(run(&h, 1, "{}", msg, sizeof msg), -ECANCELED);
        CHECK_STR_EQ(msg, "hook createRuntime[0] (/bin/sh) failed: exit status 3; output: first second");

        h = sh_hook("kill -9 $$", 0);
        CHECK_ERR(run(&h, 1, "{}", msg, sizeof msg), -ECANCELED);
        CHECK_STR_EQ(msg, "hook createRuntime[0] (/bin/sh) failed: killed by signal 9 (Killed)");

        h = (struct oci_hook){.path = strdup("/nonexistent/hook")};
        CHECK_ERR(run(&h, 1, "{}", msg, sizeof msg), -ECANCELED);
        CHECK_STR_EQ(msg, "hook createRuntime[0] (/nonexistent/hook) failed: exec: No such file or directory");

        /* the output is cut, the line stays one line */
        h = sh_hook("i=0; while [ $i -lt 200 ]; do echo 0123456789; i=$((i+1)); done; exit 1", 0);
        CHECK_ERR(run(&h, 1, "{}", msg, sizeof msg), -ECANCELED);
        CHECK(strlen(msg) < 520);
        CHECK(!strchr(msg, '\n'));
}

static void test_first_failure_stops_the_list(void) {
        char msg[LOG_FORWARD_MAX], script[256];
        snprintf(script, sizeof script, "touch %s/second-ran", tmpdir);
        struct oci_hook hs[3] = {sh_hook("true", 0), sh_hook("exit 2", 0), sh_hook(script, 0)};
        CHECK_ERR(run(hs, 3, "{}", msg, sizeof msg), -ECANCELED);
        CHECK_STR_CONTAINS(msg, "hook createRuntime[1] (/bin/sh) failed: exit status 2");
        char path[256];
        snprintf(path, sizeof path, "%s/second-ran", tmpdir);
        CHECK(access(path, F_OK) < 0);

        /* poststop: every hook runs, failures are warnings */
        struct oci_spec s = {0};
        struct oci_hook ps[2] = {sh_hook("exit 2", 0), sh_hook(script, 0)};
        s.hooks[OCI_HOOK_POSTSTOP] = ps;
        s.n_hooks[OCI_HOOK_POSTSTOP] = 2;
        struct unit_capture uc;
        unit_capture_begin(&uc);
        hooks_run_warn(&s, OCI_HOOK_POSTSTOP, "{}");
        _cleanup_free_ char *err = unit_capture_end(&uc);
        free_hooks(&s);
        CHECK_STR_CONTAINS(err, "warning: hook poststop[0] (/bin/sh) failed: exit status 2");
        CHECK(access(path, F_OK) == 0);
}

static double elapsed(const struct timespec *t0) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (double) (t1.tv_sec - t0->tv_sec) + (double) (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_timeout(void) {
        char msg[LOG_FORWARD_MAX], script[256];
        snprintf(script, sizeof script, "sleep 20 & echo $! >%s/bg; sleep 20", tmpdir);
        struct oci_hook h = sh_hook(script, 1);
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK_ERR(run(&h, 1, "{}", msg, sizeof msg), -ECANCELED);
        CHECK(elapsed(&t0) < 5);
        CHECK_STR_EQ(msg, "hook createRuntime[0] (/bin/sh) timed out after 1 s");
        /* what the hook started went with it (its process group) */
        _cleanup_free_ char *bg = slurp("bg");
        int pid = atoi(bg);
        CHECK(pid > 0);
        for (int i = 0; pid > 0 && i < 100 && kill(pid, 0) == 0; i++)
                usleep(20000);
        CHECK(pid > 0 && kill(pid, 0) < 0);
}

static void test_background_child_does_not_block(void) {
        char msg[LOG_FORWARD_MAX], script[256];
        /* the background sleep keeps the output pipe open: we must not wait for EOF */
        snprintf(script, sizeof script, "sleep 20 & echo $! >%s/bg2", tmpdir);
        struct oci_hook h = sh_hook(script, 0);
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK_OK(run(&h, 1, "{}", msg, sizeof msg));
        CHECK(elapsed(&t0) < 5);
        _cleanup_free_ char *bg = slurp("bg2");
        int pid = atoi(bg);
        if (pid > 0)
                kill(pid, SIGKILL);
}

static void test_state_helpers(void) {
        _cleanup_free_ char *s = hooks_state_with_status("{\"id\":\"a\",\"status\":\"creating\",\"pid\":7}", "created");
        CHECK_STR_EQ(s, "{\"id\":\"a\",\"status\":\"created\",\"pid\":7}");
        CHECK(hooks_state_with_status("not json", "created") == NULL);
        struct oci_spec sp = {0};
        CHECK(!hooks_need_create_step(&sp));
        sp.n_hooks[OCI_HOOK_POSTSTART] = sp.n_hooks[OCI_HOOK_POSTSTOP] = 1;
        CHECK(!hooks_need_create_step(&sp));
        sp.n_hooks[OCI_HOOK_START_CONTAINER] = 1;
        CHECK(hooks_need_create_step(&sp));
}

int main(void) {
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 2;
        }
        test_stdin_args_env();
        test_failures();
        test_first_failure_stops_the_list();
        test_timeout();
        test_background_child_does_not_block();
        test_state_helpers();
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
                printf("could not remove %s\n", tmpdir);
        return unit_summary();
}
