/* SPDX-License-Identifier: MIT */
/*
 * A temporary container root for the harnesses that resolve paths in it
 * (fuzz_path, fuzz_gofer_protocol), made once per process and never
 * modified: a few directories and files, a fifo, and symlinks that point
 * at "/", up ("..", "../../.."), out (an absolute host path,
 * "../outside/secret"), at /proc/self/root, at each other and through
 * chains.  Next to the root, outside it, are a directory and a file no walk
 * may reach.  The (dev, inode) pairs of everything in the root are
 * collected once, so that any descriptor or name can be checked against
 * them.
 *
 * Made under $TMPDIR (tests/fuzz/run.sh points it at its scratch directory)
 * and removed at exit.
 */
#pragma once

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

struct ino {
        dev_t dev;
        ino_t ino;
};

static char base_dir[PATH_MAX], root_dir[PATH_MAX];
static int root_fd = -1;
static struct ino *inos;
static size_t n_inos, cap_inos;

static int ino_cmp(const void *a, const void *b) {
        const struct ino *x = a, *y = b;
        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) path;
        (void) type;
        (void) ftw;
        if (n_inos == cap_inos) {
                cap_inos = cap_inos ? 2 * cap_inos : 64;
                inos = realloc(inos, cap_inos * sizeof *inos);
                FUZZ_CHECK(inos);
        }
        inos[n_inos++] = (struct ino){st->st_dev, st->st_ino};
        return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(void) {
        if (base_dir[0])
                nftw(base_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void mk(const char *kind, const char *rel, const char *arg) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", kind[0] == 'o' ? base_dir : root_dir, rel);
        int r;
        switch (kind[1]) {
        case 'd':
                r = mkdir(p, 0755);
                break;
        case 'f':
                r = close(open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644));
                break;
        case 'p':
                r = mkfifo(p, 0644);
                break;
        default:
                r = symlink(arg, p);
        }
        FUZZ_CHECK(r == 0);
}

static void make_root(void) {
        const char *tmp = getenv("TMPDIR");
        snprintf(base_dir, sizeof base_dir, "%s/cocoon-fuzz-path.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        FUZZ_CHECK(mkdtemp(base_dir));
        atexit(remove_tree);
        /* /proc/self/fd links are absolute and free of symlinks */
        char real[PATH_MAX];
        FUZZ_CHECK(realpath(base_dir, real));
        snprintf(base_dir, sizeof base_dir, "%s", real);
        snprintf(root_dir, sizeof root_dir, "%s/root", base_dir);
        char out_abs[PATH_MAX + 16];
        snprintf(out_abs, sizeof out_abs, "%s/outside", base_dir);

        /* outside the root: what an escape would reach */
        mk("od", "outside", NULL);
        mk("of", "outside/secret", NULL);
        mk("ol", "root-sibling", "root/dir");
        /* the root ('r'): kind[1] is d(ir), f(ile), p(fifo), l(ink) */
        mk("rd", "", NULL);
        mk("rd", "dir", NULL);
        mk("rd", "dir/sub", NULL);
        mk("rf", "dir/sub/deep", NULL);
        mk("rf", "file", NULL);
        mk("rp", "fifo", NULL);
        mk("rl", "link_root", "/");
        mk("rl", "link_up", "..");
        mk("rl", "link_up3", "../../..");
        mk("rl", "link_outside", out_abs);
        mk("rl", "link_outside_rel", "../outside/secret");
        mk("rl", "link_etc", "/etc/passwd");
        mk("rl", "link_dir", "dir");
        mk("rl", "link_file", "dir/sub/deep");
        mk("rl", "link_self", "link_self");
        mk("rl", "link_a", "link_b");
        mk("rl", "link_b", "link_a");
        mk("rl", "link_proc", "/proc/self/root");
        mk("rl", "link_empty_dots", "./././.");
        mk("rl", "dir/link_updir", "../..");
        mk("rl", "dir/sub/link_upfile", "../../file");
        mk("rl", "dir/sub/link_abs_dir", "/dir/sub");
        mk("rl", "dir/sub/link_chain", "../../link_dir/sub/link_upfile");
        mk("rl", "dir/link_sibling", "../../root-sibling");

        root_fd = open(root_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        FUZZ_CHECK(root_fd >= 0);
        FUZZ_CHECK(nftw(root_dir, collect, 16, FTW_PHYS) == 0);
        qsort(inos, n_inos, sizeof *inos, ino_cmp);
}

static bool inside(const struct stat *st) {
        struct ino k = {st->st_dev, st->st_ino};
        return bsearch(&k, inos, n_inos, sizeof *inos, ino_cmp) != NULL;
}

static void check_fd(int fd) {
        struct stat st;
        FUZZ_CHECK(fstat(fd, &st) == 0);
        FUZZ_CHECK(inside(&st));
        char link[64], target[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        FUZZ_CHECK(n > 0);
        target[n] = 0;
        size_t rl = strlen(root_dir);
        FUZZ_CHECK(strncmp(target, root_dir, rl) == 0 && (target[rl] == 0 || target[rl] == '/'));
}

