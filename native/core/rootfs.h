/* rootfs.h - the container's mount namespace: root, mounts, devices, pivot_root, masks. */
#ifndef BERTH_ROOTFS_H
#define BERTH_ROOTFS_H

#include "plan.h"

/* Before pivot_root. Preconditions: in a new mount namespace, uid 0 with CAP_SYS_ADMIN and
 * CAP_MKNOD, umask 0. Makes "/" rprivate (nothing propagates back to the host), mounts the
 * root (root-mount) or bind-mounts it onto itself (pivot_root needs a mount point), then
 * performs the plan's mounts in order, creates devices and symlinks. Every target is
 * resolved inside the root with openat2(RESOLVE_IN_ROOT) and mounted through its
 * /proc/self/fd path, so a symlink in the image cannot redirect a mount to the host. */
int rootfs_prepare(const struct plan *p, struct berr *e);

/* pivot_root(2) into `root` with the pivot_root(".", ".") trick, then detach the old root.
 * Preconditions (pivot_root(2)): root is a mount point; it and the current root are not on
 * the same mount; the parent mount of root and the current root are not shared (ensured by
 * rootfs_prepare's rprivate); the caller is in the mount namespace it changes. */
int rootfs_pivot(const char *root, struct berr *e);

/* After pivot_root: read-only root, read-only paths (bind on itself, remount ro) and masked
 * paths (files: bind of the verified /dev/null; directories: read-only tmpfs). Missing paths
 * are skipped. Needs /proc mounted in the container (mounts go through /proc/self/fd). */
int rootfs_finalize(const struct plan *p, struct berr *e);

/* mkdir -p `path` inside the directory `rootfd` (treated as "/"), each component resolved
 * with RESOLVE_IN_ROOT. Used for mount targets and the cwd. */
int rootfs_mkdir_all(int rootfd, const char *path, mode_t mode, struct berr *e);

#endif
