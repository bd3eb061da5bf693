/* SPDX-License-Identifier: MIT */
/*
 * rootfs.c, mounts.c, devices.c.
 *
 * Path resolution is tested unprivileged on a throwaway directory tree full
 * of hostile symlinks.  The full rootfs_prepare()/rootfs_finalize() run
 * needs root: it happens in a forked child inside its own mount namespace,
 * which dies with the child, so no mount ever reaches the host; the child
 * reports its check counts back over a pipe.  Without root those tests are
 * skipped (counted as passed).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "linux/mounts.h"
#include "linux/rootfs.h"
#include "log.h"
#include "log_capture.h"
#include "sync.h"
#include "unit.h"

/* ---- fixtures ---- */

static char tmp_root[512]; /* the rootfs under test (realpath; short: it is in /tmp) */
static char unique[64];         /* a name nobody else uses, for "did it land on the host?" */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void rm_rf(const char *path) {
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *dir, const char *name, const char *text) {
        char p[PATH_MAX * 2];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        FILE *f = fopen(p, "we");
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static void sub(char *out, size_t len, const char *rel) {
        snprintf(out, len, "%s/%s", tmp_root, rel);
}

/* A rootfs with the usual directories and the tenant's traps:
 *   /evil -> /etc, /evilrel -> ../../../../../etc, /dangle -> /nonexist/deeper */
static int make_rootfs(void) {
        char t[] = "/tmp/cocoon-unit-rootfs-XXXXXX", real[PATH_MAX];
        if (!mkdtemp(t) || !realpath(t, real))
                return -errno;
        if (snprintf(tmp_root, sizeof tmp_root, "%s", real) >= (int) sizeof tmp_root)
                return -ENAMETOOLONG;
        snprintf(unique, sizeof unique, "cocoon-unit-%d", (int) getpid());
        const char *dirs[] = {"proc", "sys", "dev", "etc", "etc/ro", "etc/secretdir", "tmp"};
        char p[PATH_MAX * 2];
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                sub(p, sizeof p, dirs[i]);
                if (mkdir(p, 0755) < 0)
                        return -errno;
        }
        sub(p, sizeof p, "etc");
        write_file(p, "secret", "secret\n");
        write_file(p, "hostname", "unit\n");
        sub(p, sizeof p, "etc/secretdir");
        write_file(p, "f", "hidden\n");
        const char *links[][2] = {{"/etc", "evil"}, {"../../../../../etc", "evilrel"}, {"/nonexist/deeper", "dangle"}};
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                sub(p, sizeof p, links[i][1]);
                if (symlink(links[i][0], p) < 0)
                        return -errno;
        }
        return 0;
}

static bool host_has(const char *dir) {
        char p[PATH_MAX * 2];
        snprintf(p, sizeof p, "%s/%s", dir, unique);
        return access(p, F_OK) == 0;
}

static bool rootfs_has(const char *rel_dir) {
        char p[PATH_MAX * 2];
        snprintf(p, sizeof p, "%s/%s/%s", tmp_root, rel_dir, unique);
        return access(p, F_OK) == 0;
}

/* ---- unprivileged: lexical paths and resolution ---- */

static void test_path_equal(void) {
        CHECK(mnt_path_equal("/dev", "/dev"));
        CHECK(mnt_path_equal("/dev/", "//dev"));
        CHECK(mnt_path_equal("/./dev/./pts/", "/dev/pts"));
        CHECK(!mnt_path_equal("/dev", "/dev/pts"));
        CHECK(!mnt_path_equal("/dev2", "/dev"));
        CHECK(mnt_path_equal("/", "//"));
}

static void test_resolution_stays_inside(void) {
        _cleanup_close_ int rootfd = open(tmp_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        CHECK(rootfd >= 0);
        char path[PATH_MAX * 2];
        int fd = -1;

        /* Absolute symlink to /etc: created in the rootfs's /etc. */
        snprintf(path, sizeof path, "/evil/%s/sub", unique);
        CHECK_OK(mnt_open_in_root(rootfd, path, MNT_CREATE_DIR, 0, &fd));
        if (fd >= 0)
                close(fd);
        CHECK(!host_has("/etc"));
        CHECK(rootfs_has("etc"));

        /* Relative symlink climbing above the root: clamped at the rootfs. */
        char rel[PATH_MAX];
        snprintf(rel, sizeof rel, "%s-rel", unique);
        snprintf(path, sizeof path, "/evilrel/%s", rel);
        fd = -1;
        CHECK_OK(mnt_open_in_root(rootfd, path, MNT_CREATE_FILE, 0, &fd));
        struct stat st;
        CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
        if (fd >= 0)
                close(fd);
        char p[PATH_MAX * 2];
        snprintf(p, sizeof p, "/etc/%s", rel);
        CHECK(access(p, F_OK) < 0);
        snprintf(p, sizeof p, "%s/etc/%s", tmp_root, rel);
        CHECK(access(p, F_OK) == 0);

        /* Dangling symlink: its target is created, inside. */
        snprintf(path, sizeof path, "/dangle/%s", unique);
        fd = -1;
        CHECK_OK(mnt_open_in_root(rootfd, path, MNT_CREATE_DIR, 0, &fd));
        if (fd >= 0)
                close(fd);
        CHECK(access("/nonexist", F_OK) < 0);
        CHECK(rootfs_has("nonexist/deeper"));

        /* ".." above "/" stays at "/". */
        fd = -1;
        CHECK_OK(mnt_open_in_root(rootfd, "/../../../etc", MNT_NO_CREATE, 0, &fd));
        struct stat a, b;
        snprintf(p, sizeof p, "%s/etc", tmp_root);
        CHECK(fd >= 0 && fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_ino == b.st_ino);
        if (fd >= 0)
                close(fd);

        /* Missing without create; no symlinks where they are refused. */
        fd = -1;
        CHECK_ERR(mnt_open_in_root(rootfd, "/does/not/exist", MNT_NO_CREATE, 0, &fd), -ENOENT);
        CHECK_ERR(mnt_open_in_root(rootfd, "/evil", MNT_NO_CREATE, RESOLVE_NO_SYMLINKS, &fd), -ELOOP);
        CHECK_ERR(mnt_open_in_root(rootfd, "/dangle/x", MNT_CREATE_DIR, RESOLVE_NO_SYMLINKS, &fd), -ELOOP);
        /* Through a file: not a directory. */
        CHECK_ERR(mnt_open_in_root(rootfd, "/etc/secret/x", MNT_CREATE_DIR, 0, &fd), -ENOTDIR);
}

static void test_mountinfo(void) {
        _cleanup_mountinfo_ struct mountinfo mi = {0};
        CHECK_OK(mountinfo_read(&mi));
        bool root = false;
        for (size_t i = 0; i < mi.n; i++)
                root |= strcmp(mi.entries[i].mountpoint, "/") == 0 && mi.entries[i].id > 0 &&
                        *mi.entries[i].fstype;
        CHECK(root);
}

/* ---- error lines, captured as the container init's parent would get them ---- */

/* An id-mapped mount whose tree was not prepared on the host must never
 * become a plain bind. */
static void test_idmap_unprepared_refused(void) {
        struct oci_mount m = {.destination = (char *) "/mnt", .source = (char *) "/tmp", .type = (char *) "bind",
                              .bind = true, .flags = MS_BIND, .idmap = true};
        struct oci_mount mounts[2] = {{.destination = (char *) "/proc", .type = (char *) "proc"}, m};
        struct oci_spec s = {.mounts = mounts, .n_mounts = 2};
        struct rootfs_config c = {.spec = &s, .rootfs = tmp_root};
        struct capture cap;
        capture_begin(&cap);
        /* Refused before anything is mounted: safe without a namespace. */
        CHECK_ERR(rootfs_prepare(&c), -EINVAL);
        CHECK_STR_CONTAINS(capture_end(&cap), "mounts[1]: id-mapped mount was not prepared");
}

/* ---- root: a whole prepare + finalize in a private mount namespace ---- */

struct child_result {
        int passed, failed;
        char msg[LOG_FORWARD_MAX];
};

/* Run fn in a child in a new mount namespace; its checks count here. */
static void in_mount_ns(void (*fn)(struct child_result *), struct child_result *res) {
        int p[2];
        memset(res, 0, sizeof *res);
        if (pipe2(p, O_CLOEXEC) < 0) {
                UNIT_FAIL_("pipe: %s", strerror(errno));
                return;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                int before_p = unit_passed_, before_f = unit_failed_;
                struct child_result r = {0};
                if (unshare(CLONE_NEWNS) < 0)
                        UNIT_FAIL_("unshare(CLONE_NEWNS): %s", strerror(errno));
                else
                        fn(&r);
                r.passed = unit_passed_ - before_p;
                r.failed = unit_failed_ - before_f;
                ssize_t w = write(p[1], &r, sizeof r);
                _exit(w == (ssize_t) sizeof r ? 0 : 1);
        }
        close(p[1]);
        ssize_t n = pid > 0 ? read(p[0], res, sizeof *res) : -1;
        close(p[0]);
        if (pid > 0)
                waitpid(pid, NULL, 0);
        if (n != (ssize_t) sizeof *res) {
                UNIT_FAIL_("child in a mount namespace did not report");
                return;
        }
        unit_passed_ += res->passed;
        unit_failed_ += res->failed;
}

static struct oci_mount mk(const char *dst, const char *type, const char *src, unsigned long flags, const char *data) {
        return (struct oci_mount) {.destination = (char *) dst,
                                   .type = (char *) type,
                                   .source = (char *) src,
                                   .flags = flags,
                                   .data = (char *) data,
                                   .bind = strcmp(type, "bind") == 0};
}

static bool is_ro(const char *path) {
        struct statvfs v;
        return statvfs(path, &v) == 0 && (v.f_flag & ST_RDONLY);
}

static bool fs_is(const char *path, long magic) {
        struct statfs s;
        return statfs(path, &s) == 0 && s.f_type == magic;
}

static bool link_is(const char *path, const char *target) {
        char buf[PATH_MAX];
        ssize_t n = readlink(path, buf, sizeof buf - 1);
        if (n < 0)
                return false;
        buf[n] = 0;
        return strcmp(buf, target) == 0;
}

static void full_run(struct child_result *r) {
        char evil[PATH_MAX], evilrel[PATH_MAX], hostname[PATH_MAX];
        snprintf(evil, sizeof evil, "/evil/%s-tmpfs", unique);
        snprintf(evilrel, sizeof evilrel, "/evilrel/%s-tmpfs", unique);
        snprintf(hostname, sizeof hostname, "%s/etc/hostname", tmp_root);
        struct oci_mount mounts[] = {
                mk("/proc", "proc", "proc", 0, NULL),
                mk("/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"),
                mk("/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"),
                mk("/sys", "sysfs", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL),
                mk("/etc/hostname2", "bind", hostname, MS_BIND | MS_RDONLY | MS_NOSUID, NULL),
                mk(evil, "tmpfs", "tmpfs", MS_NOSUID, "size=1m"),
                mk(evilrel, "tmpfs", "tmpfs", MS_NOSUID, "size=1m"),
                mk("/mnt/ro", "tmpfs", "tmpfs", MS_RDONLY, NULL),
        };
        char *masked[] = {(char *) "/etc/secret", (char *) "/etc/secretdir", (char *) "/missing", NULL};
        char *readonly[] = {(char *) "/proc/sys", (char *) "/etc/ro", (char *) "/missing/too", NULL};
        struct oci_device devs[] = {
                {.path = (char *) "/dev/foo", .type = 'c', .major = 1, .minor = 5, .file_mode = 0640,
                 .has_file_mode = true, .uid = 7, .gid = 8, .has_uid = true, .has_gid = true},
        };
        struct oci_spec s = {.mounts = mounts, .n_mounts = ELEMENTSOF(mounts), .root_readonly = true, .has_linux = true};
        s.linux.masked_paths = masked;
        s.linux.readonly_paths = readonly;
        s.linux.devices = devs;
        s.linux.n_devices = ELEMENTSOF(devs);
        struct rootfs_config c = {.spec = &s, .rootfs = tmp_root};

        struct capture cap;
        capture_begin(&cap);
        int k = rootfs_prepare(&c);
        if (k == 0)
                k = rootfs_finalize(&c);
        snprintf(r->msg, sizeof r->msg, "%s", capture_end(&cap));
        CHECK_OK(k);
        if (k < 0)
                return;

        struct stat st;
        CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
              (st.st_mode & 07777) == 0666);
        CHECK(stat("/dev/foo", &st) == 0 && S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0640 &&
              st.st_uid == 7 && st.st_gid == 8);
        CHECK(stat("/dev/tty", &st) == 0 && st.st_rdev == makedev(5, 0));
        CHECK(link_is("/dev/fd", "/proc/self/fd"));
        CHECK(link_is("/dev/stderr", "/proc/self/fd/2"));
        CHECK(link_is("/dev/ptmx", "pts/ptmx"));
        CHECK(fs_is("/proc", PROC_SUPER_MAGIC));
        CHECK(fs_is("/dev/pts", DEVPTS_SUPER_MAGIC));
        CHECK(fs_is("/sys", SYSFS_MAGIC) && is_ro("/sys"));
        CHECK(is_ro("/proc/sys") && !is_ro("/proc"));
        CHECK(is_ro("/etc/ro"));
        CHECK(is_ro("/etc/hostname2"));
        CHECK(is_ro("/mnt/ro") && fs_is("/mnt/ro", TMPFS_MAGIC));
        CHECK(is_ro("/") && !is_ro("/dev"));
        /* masked: the file reads as /dev/null, the directory is empty */
        CHECK(stat("/etc/secret", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
        CHECK(fs_is("/etc/secretdir", TMPFS_MAGIC) && is_ro("/etc/secretdir") && access("/etc/secretdir/f", F_OK) < 0);
        /* the hostile destinations ended up in the rootfs's own /etc */
        char p[PATH_MAX * 2];
        snprintf(p, sizeof p, "/etc/%s-tmpfs", unique);
        CHECK(fs_is(p, TMPFS_MAGIC));
        /* and / is the rootfs */
        CHECK(stat("/etc/secretdir", &st) == 0 && access("/evil", F_OK) == 0);
}

static void proc_bind_refused(struct child_result *r) {
        struct oci_mount mounts[] = {mk("/proc", "proc", "proc", 0, NULL), mk("/proc/sys", "bind", "/tmp", MS_BIND, NULL)};
        struct oci_spec s = {.mounts = mounts, .n_mounts = ELEMENTSOF(mounts)};
        struct rootfs_config c = {.spec = &s, .rootfs = tmp_root};
        struct capture cap;
        capture_begin(&cap);
        CHECK_ERR(rootfs_prepare(&c), -EPERM);
        snprintf(r->msg, sizeof r->msg, "%s", capture_end(&cap));
}

static void proc_on_symlink_refused(struct child_result *r) {
        struct oci_mount mounts[] = {mk("/evil", "proc", "proc", 0, NULL)};
        struct oci_spec s = {.mounts = mounts, .n_mounts = ELEMENTSOF(mounts)};
        struct rootfs_config c = {.spec = &s, .rootfs = tmp_root};
        struct capture cap;
        capture_begin(&cap);
        CHECK_ERR(rootfs_prepare(&c), -ELOOP);
        snprintf(r->msg, sizeof r->msg, "%s", capture_end(&cap));
}

static void test_privileged(void) {
        if (geteuid() != 0) {
                printf("skip test_privileged (needs root)\n");
                return;
        }
        struct child_result r;
        in_mount_ns(full_run, &r);
        if (r.failed)
                printf("  full run error line: %s\n", r.msg);
        CHECK(!host_has("/etc"));
        CHECK(rootfs_has("etc"));

        in_mount_ns(proc_bind_refused, &r);
        CHECK_STR_CONTAINS(r.msg, "mounts[1]: \"/proc/sys\" cannot be mounted because it is inside /proc");

        in_mount_ns(proc_on_symlink_refused, &r);
        CHECK_STR_CONTAINS(r.msg, "mounts[0]: \"proc\" must be mounted on an ordinary directory");
}

int main(void) {
        if (make_rootfs() < 0) {
                printf("FAIL cannot build the test rootfs: %s\n", strerror(errno));
                return 1;
        }
        test_path_equal();
        test_resolution_stays_inside();
        test_mountinfo();
        test_idmap_unprepared_refused();
        test_privileged();
        rm_rf(tmp_root);
        return unit_summary();
}
