/* rootfs.c - see rootfs.h. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

/* Open `path` inside rootfd as if rootfd were "/" (symlinks and ".." cannot escape). */
static int open_in_root(int rootfd, const char *path, int flags) {
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  while (*path == '/') path++;
  if (*path == '\0') path = ".";
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

static void fdpath(char *out, size_t n, int fd) { snprintf(out, n, "/proc/self/fd/%d", fd); }

int rootfs_mkdir_all(int rootfd, const char *path, mode_t mode, struct berr *e) {
  char part[4096];
  size_t len = strlen(path);
  if (len >= sizeof part) return berr_set(e, ENAMETOOLONG, "mkdir", "path too long");
  for (size_t i = 1; i <= len; i++) {
    if (path[i] != '/' && path[i] != '\0') continue;
    memcpy(part, path, i);
    part[i] = '\0';
    cleanup_fd int fd = open_in_root(rootfd, part, O_PATH | O_DIRECTORY);
    if (fd >= 0) continue;
    if (errno != ENOENT) return berr_set(e, errno, "mkdir", "open %s: %s", part, strerror(errno));
    /* create the last component of `part` inside its (already resolved) parent */
    char *slash = strrchr(part, '/');
    const char *name = slash + 1;
    *slash = '\0';
    cleanup_fd int parent = open_in_root(rootfd, part[0] ? part : "/", O_PATH | O_DIRECTORY);
    if (parent < 0) return berr_set(e, errno, "mkdir", "open %s: %s", part[0] ? part : "/", strerror(errno));
    if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
      return berr_set(e, errno, "mkdir", "mkdir %s/%s: %s", part, name, strerror(errno));
  }
  return 0;
}

/* Split "/a/b/c" into an O_PATH fd of "/a/b" (created if missing) and "c". */
static int open_parent(int rootfd, const char *path, char *base, size_t basesz, struct berr *e) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  size_t dlen = (size_t)(slash - path);
  if (dlen >= sizeof dir || strlen(slash + 1) >= basesz || slash[1] == '\0')
    return berr_set(e, EINVAL, "mount", "bad path %s", path);
  memcpy(dir, path, dlen);
  dir[dlen] = '\0';
  snprintf(base, basesz, "%s", slash + 1);
  if (rootfs_mkdir_all(rootfd, dlen ? dir : "/", 0755, e) < 0) return -1;
  int fd = open_in_root(rootfd, dlen ? dir : "/", O_PATH | O_DIRECTORY);
  if (fd < 0) return berr_set(e, errno, "mount", "open %s: %s", dir, strerror(errno));
  return fd;
}

/* Open (creating if missing) a mount target: a directory, or an empty file when the bind
 * source is not a directory. */
static int open_target(int rootfd, const char *target, int want_file, struct berr *e) {
  int fd = open_in_root(rootfd, target, O_PATH);
  if (fd >= 0 || errno != ENOENT) {
    if (fd < 0) berr_set(e, errno, "mount", "open %s: %s", target, strerror(errno));
    return fd;
  }
  if (!want_file) {
    if (rootfs_mkdir_all(rootfd, target, 0755, e) < 0) return -1;
  } else {
    char base[256];
    cleanup_fd int parent = open_parent(rootfd, target, base, sizeof base, e);
    if (parent < 0) return -1;
    /* O_PATH parents cannot be used for creation by openat; go through /proc/self/fd */
    char pp[64];
    fdpath(pp, sizeof pp, parent);
    cleanup_fd int pdir = open(pp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int f = pdir < 0 ? -1 : openat(pdir, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f < 0) return berr_set(e, errno, "mount", "create %s: %s", target, strerror(errno));
    close(f);
  }
  fd = open_in_root(rootfd, target, O_PATH);
  if (fd < 0) berr_set(e, errno, "mount", "open %s: %s", target, strerror(errno));
  return fd;
}

/* The MS_* flags a bind remount must keep (statvfs view of the mount at `path`). */
static unsigned long locked_flags(const char *path) {
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs(path, &sv) < 0) return 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

static int remount_ro(const char *path, unsigned long extra, struct berr *e) {
  if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | extra | locked_flags(path), NULL) < 0)
    return berr_set(e, errno, "mount", "remount %s read-only: %s", path, strerror(errno));
  return 0;
}

static int do_mount(int rootfd, const struct plan_mount *m, struct berr *e) {
  const unsigned long mask = MS_BIND | MS_REC;
  int is_bind = (m->flags & MS_BIND) != 0, want_file = 0;
  char tp[64];
  if (is_bind) {
    struct stat st;
    if (stat(m->source, &st) < 0) return berr_set(e, errno, "mount", "bind source %s: %s", m->source, strerror(errno));
    want_file = !S_ISDIR(st.st_mode);
  }
  if (strcmp(m->target, "/proc") == 0 || strncmp(m->target, "/proc/", 6) == 0) {
    if (strcmp(m->type, "proc") != 0 && strcmp(m->target, "/proc") == 0)
      return berr_set(e, EINVAL, "mount", "only procfs may be mounted on /proc");
  }
  cleanup_fd int fd = open_target(rootfd, m->target, want_file, e);
  if (fd < 0) return -1;
  fdpath(tp, sizeof tp, fd);
  if (is_bind) {
    if (mount(m->source, tp, NULL, m->flags & mask, NULL) < 0)
      return berr_set(e, errno, "mount", "bind %s on %s: %s", m->source, m->target, strerror(errno));
  } else {
    if (mount(m->source[0] ? m->source : m->type, tp, m->type, m->flags & ~mask, m->data[0] ? m->data : NULL) < 0)
      return berr_set(e, errno, "mount", "mount %s on %s: %s", m->type, m->target, strerror(errno));
  }
  /* flags of a bind and propagation apply to the new mount: reopen to reach it */
  if ((is_bind && (m->flags & ~mask)) || m->propagation) {
    close(fd);
    fd = open_in_root(rootfd, m->target, O_PATH);
    if (fd < 0) return berr_set(e, errno, "mount", "reopen %s: %s", m->target, strerror(errno));
    fdpath(tp, sizeof tp, fd);
    if (is_bind && (m->flags & ~mask) &&
        mount(NULL, tp, NULL, MS_BIND | MS_REMOUNT | (m->flags & ~mask) | locked_flags(tp), NULL) < 0)
      return berr_set(e, errno, "mount", "remount %s: %s", m->target, strerror(errno));
    if (m->propagation && mount(NULL, tp, NULL, m->propagation, NULL) < 0)
      return berr_set(e, errno, "mount", "propagation of %s: %s", m->target, strerror(errno));
  }
  return 0;
}

static int make_device(int rootfd, const struct plan_device *d, struct berr *e) {
  char base[256], pp[64];
  struct stat st;
  dev_t dev = makedev(d->major, d->minor);
  mode_t type = d->kind == 'b' ? S_IFBLK : S_IFCHR;
  cleanup_fd int parent = open_parent(rootfd, d->path, base, sizeof base, e);
  if (parent < 0) return -1;
  fdpath(pp, sizeof pp, parent);
  cleanup_fd int dir = open(pp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return berr_set(e, errno, "device", "open parent of %s: %s", d->path, strerror(errno));
  if (unlinkat(dir, base, 0) < 0 && errno != ENOENT)
    return berr_set(e, errno, "device", "remove %s: %s", d->path, strerror(errno));
  if (mknodat(dir, base, type | d->mode, dev) < 0) {
    if (errno != EPERM) return berr_set(e, errno, "device", "mknod %s: %s", d->path, strerror(errno));
    /* no CAP_MKNOD: bind the host's node onto an empty file */
    struct plan_mount m = {.type = "bind", .source = d->path, .target = d->path, .data = "", .flags = MS_BIND};
    return do_mount(rootfd, &m, e);
  }
  if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || (st.st_mode & S_IFMT) != type || st.st_rdev != dev)
    return berr_set(e, EEXIST, "device", "%s changed under us", d->path);
  if (fchmodat(dir, base, d->mode, 0) < 0 || fchownat(dir, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return berr_set(e, errno, "device", "chmod/chown %s: %s", d->path, strerror(errno));
  return 0;
}

static int make_symlink(int rootfd, const struct plan_symlink *s, struct berr *e) {
  char base[256], pp[64];
  cleanup_fd int parent = open_parent(rootfd, s->path, base, sizeof base, e);
  if (parent < 0) return -1;
  fdpath(pp, sizeof pp, parent);
  cleanup_fd int dir = open(pp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return berr_set(e, errno, "symlink", "open parent of %s: %s", s->path, strerror(errno));
  if (unlinkat(dir, base, 0) < 0 && errno != ENOENT)
    return berr_set(e, errno, "symlink", "remove %s: %s", s->path, strerror(errno));
  if (symlinkat(s->target, dir, base) < 0)
    return berr_set(e, errno, "symlink", "symlink %s: %s", s->path, strerror(errno));
  return 0;
}

int rootfs_prepare(const struct plan *p, struct berr *e) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return berr_set(e, errno, "rootfs", "make / rprivate: %s", strerror(errno));
  if (p->root_mount_type) {
    const char *src = p->root_mount_source[0] ? p->root_mount_source : p->root_mount_type;
    if (mount(src, p->root, p->root_mount_type, 0, p->root_mount_data[0] ? p->root_mount_data : NULL) < 0)
      return berr_set(e, errno, "rootfs", "mount %s on %s: %s", p->root_mount_type, p->root, strerror(errno));
  } else if (mount(p->root, p->root, NULL, MS_BIND | MS_REC, NULL) < 0) {
    return berr_set(e, errno, "rootfs", "bind %s on itself: %s", p->root, strerror(errno));
  }
  cleanup_fd int rootfd = open(p->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return berr_set(e, errno, "rootfs", "open %s: %s", p->root, strerror(errno));
  for (size_t i = 0; i < p->nmounts; i++)
    if (do_mount(rootfd, &p->mounts[i], e) < 0) return -1;
  for (size_t i = 0; i < p->ndevices; i++)
    if (make_device(rootfd, &p->devices[i], e) < 0) return -1;
  for (size_t i = 0; i < p->nsymlinks; i++)
    if (make_symlink(rootfd, &p->symlinks[i], e) < 0) return -1;
  return 0;
}

int rootfs_pivot(const char *root, struct berr *e) {
  cleanup_fd int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_fd int newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0 || newroot < 0) return berr_set(e, errno, "pivot", "open roots: %s", strerror(errno));
  if (fchdir(newroot) < 0) return berr_set(e, errno, "pivot", "chdir %s: %s", root, strerror(errno));
  if (syscall(SYS_pivot_root, ".", ".") < 0) return berr_set(e, errno, "pivot", "pivot_root: %s", strerror(errno));
  /* the old root is now stacked on "/" and is our cwd after fchdir */
  if (fchdir(oldroot) < 0) return berr_set(e, errno, "pivot", "fchdir old root: %s", strerror(errno));
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berr_set(e, errno, "pivot", "make old root rslave: %s", strerror(errno));
  if (umount2(".", MNT_DETACH) < 0) return berr_set(e, errno, "pivot", "detach old root: %s", strerror(errno));
  if (chdir("/") < 0) return berr_set(e, errno, "pivot", "chdir /: %s", strerror(errno));
  return 0;
}

int rootfs_finalize(const struct plan *p, struct berr *e) {
  char tp[64], np[64];
  if (p->readonly_root && remount_ro("/", 0, e) < 0) return -1;
  cleanup_fd int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return berr_set(e, errno, "rootfs", "open /: %s", strerror(errno));
  for (size_t i = 0; i < p->nreadonly; i++) {
    cleanup_fd int fd = open_in_root(rootfd, p->readonly[i], O_PATH | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) continue;
    if (fd < 0) return berr_set(e, errno, "readonly", "open %s: %s", p->readonly[i], strerror(errno));
    fdpath(tp, sizeof tp, fd);
    if (mount(tp, tp, NULL, MS_BIND | MS_REC, NULL) < 0)
      return berr_set(e, errno, "readonly", "bind %s: %s", p->readonly[i], strerror(errno));
    close(fd);
    fd = open_in_root(rootfd, p->readonly[i], O_PATH | O_NOFOLLOW);
    if (fd < 0) return berr_set(e, errno, "readonly", "reopen %s: %s", p->readonly[i], strerror(errno));
    fdpath(tp, sizeof tp, fd);
    if (remount_ro(tp, MS_REC, e) < 0) return -1;
  }
  if (p->nmasked == 0) return 0;
  /* CVE-2025-31133: use one verified /dev/null as the bind source, never a path */
  struct stat st;
  cleanup_fd int null = open_in_root(rootfd, "/dev/null", O_PATH | O_NOFOLLOW);
  if (null < 0 || fstat(null, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
    return berr_set(e, null < 0 ? errno : EINVAL, "mask", "/dev/null in the container is not the null device");
  fdpath(np, sizeof np, null);
  for (size_t i = 0; i < p->nmasked; i++) {
    cleanup_fd int fd = open_in_root(rootfd, p->masked[i], O_PATH | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) continue;
    if (fd < 0 || fstat(fd, &st) < 0) return berr_set(e, errno, "mask", "open %s: %s", p->masked[i], strerror(errno));
    fdpath(tp, sizeof tp, fd);
    int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", tp, "tmpfs", MS_RDONLY, NULL) : mount(np, tp, NULL, MS_BIND, NULL);
    if (rc < 0) return berr_set(e, errno, "mask", "mask %s: %s", p->masked[i], strerror(errno));
  }
  return 0;
}
