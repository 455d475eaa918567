/*
 * berth.node: the few Linux syscalls Node's standard library lacks, exposed to
 * TypeScript through N-API (src/host/native.ts loads it; src/host/linux-host.ts
 * is its only user). Every function is synchronous, takes plain values, and on
 * failure throws a JS Error whose `code` is the errno name ('EPERM') and whose
 * message names the call and the path, as Node's own fs errors do.
 *
 *   mknod(path, mode, major, minor)
 *   lsetxattr(path, name, value: Uint8Array)
 *   lgetxattr(path, name) -> Buffer            (throws ENODATA when absent)
 *   llistxattr(path) -> string[]
 *   mount(source, target, fstype, flags, data: string | null)
 *   umount2(target, flags)
 *
 * Flags are passed as numbers (MS_*, MNT_*); their values are fixed by the
 * kernel ABI and spelled out in src/host/linux-host.ts.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <node_api.h>

/* Frees a heap string when it goes out of scope. */
static void free_charp(char **p) { free(*p); }
#define AUTO_FREE __attribute__((cleanup(free_charp)))

/* Largest xattr value and name list the kernel allows (XATTR_SIZE_MAX, XATTR_LIST_MAX). */
#define BERTH_XATTR_MAX 65536

/*
 * Throws Error(message "<call> <path>: <strerror>") with `code` = errno name
 * and `errno` = the number. Returns NULL so callers can `return throw_errno(...)`.
 */
static napi_value throw_errno(napi_env env, int err, const char *call, const char *path) {
  char msg[PATH_MAX + 256];
  const char *name = strerrorname_np(err);
  char fallback[32];
  if (name == NULL) {
    snprintf(fallback, sizeof fallback, "E%d", err);
    name = fallback;
  }
  snprintf(msg, sizeof msg, "%s %s: %s", call, path, strerror(err));
  napi_value code, message, error, num;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_error(env, code, message, &error) != napi_ok) {
    napi_throw_error(env, name, msg);
    return NULL;
  }
  if (napi_create_int32(env, -err, &num) == napi_ok) napi_set_named_property(env, error, "errno", num);
  napi_value syscall, target;
  if (napi_create_string_utf8(env, call, NAPI_AUTO_LENGTH, &syscall) == napi_ok)
    napi_set_named_property(env, error, "syscall", syscall);
  if (napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &target) == napi_ok)
    napi_set_named_property(env, error, "path", target);
  napi_throw(env, error);
  return NULL;
}

/* Reads `value` as a heap-allocated UTF-8 string; throws TypeError and returns NULL otherwise. */
static char *arg_string(napi_env env, napi_value value, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  char *s = malloc(len + 1);
  if (s == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, value, s, len + 1, &len) != napi_ok) {
    free(s);
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  if (strlen(s) != len) { /* an embedded NUL would silently truncate a path */
    free(s);
    napi_throw_type_error(env, NULL, "string argument contains a NUL byte");
    return NULL;
  }
  return s;
}

static int arg_int64(napi_env env, napi_value value, int64_t *out, const char *what) {
  napi_valuetype t;
  if (napi_typeof(env, value, &t) != napi_ok || t != napi_number || napi_get_value_int64(env, value, out) != napi_ok) {
    napi_throw_type_error(env, NULL, what);
    return -1;
  }
  return 0;
}

/* Fetches exactly `n` arguments; throws TypeError on fewer. */
static int get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) {
    napi_throw_type_error(env, NULL, usage);
    return -1;
  }
  return 0;
}

/*
 * mknod(path, mode, major, minor): creates a character/block device or fifo.
 * Preconditions: the parent directory exists and `path` does not; devices need
 * CAP_MKNOD in the owning user namespace (fifos do not); the mode is masked by
 * the process umask, so callers chmod afterwards for exact permissions.
 */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (get_args(env, info, 4, argv, "mknod(path, mode, major, minor)") < 0) return NULL;
  AUTO_FREE char *path = arg_string(env, argv[0], "mknod: path must be a string");
  if (path == NULL) return NULL;
  int64_t mode, major, minor;
  if (arg_int64(env, argv[1], &mode, "mknod: mode must be a number") < 0 ||
      arg_int64(env, argv[2], &major, "mknod: major must be a number") < 0 ||
      arg_int64(env, argv[3], &minor, "mknod: minor must be a number") < 0)
    return NULL;
  if (major < 0 || minor < 0 || major > 0xfffff || minor > 0xfffff) {
    napi_throw_range_error(env, NULL, "mknod: device number out of range");
    return NULL;
  }
  if (mknod(path, (mode_t)mode, makedev((unsigned)major, (unsigned)minor)) < 0)
    return throw_errno(env, errno, "mknod", path);
  return NULL;
}

/*
 * lsetxattr(path, name, value): sets an extended attribute without following
 * a final symlink. Preconditions: `trusted.*` needs CAP_SYS_ADMIN,
 * `security.capability` needs CAP_SETFCAP; the filesystem must support xattrs
 * (ENOTSUP otherwise); values are at most 64 KiB.
 */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (get_args(env, info, 3, argv, "lsetxattr(path, name, value)") < 0) return NULL;
  AUTO_FREE char *path = arg_string(env, argv[0], "lsetxattr: path must be a string");
  if (path == NULL) return NULL;
  AUTO_FREE char *name = arg_string(env, argv[1], "lsetxattr: name must be a string");
  if (name == NULL) return NULL;
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_is_typedarray(env, argv[2], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[2], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "lsetxattr: value must be a Uint8Array");
    return NULL;
  }
  if (lsetxattr(path, name, length == 0 ? "" : data, length, 0) < 0) return throw_errno(env, errno, "lsetxattr", path);
  return NULL;
}

/*
 * lgetxattr(path, name) -> Buffer: reads an extended attribute without
 * following a final symlink. Throws ENODATA when the attribute is absent.
 * Preconditions: reading `trusted.*` needs CAP_SYS_ADMIN (else ENODATA).
 */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv, "lgetxattr(path, name)") < 0) return NULL;
  AUTO_FREE char *path = arg_string(env, argv[0], "lgetxattr: path must be a string");
  if (path == NULL) return NULL;
  AUTO_FREE char *name = arg_string(env, argv[1], "lgetxattr: name must be a string");
  if (name == NULL) return NULL;
  AUTO_FREE char *buf = malloc(BERTH_XATTR_MAX);
  if (buf == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  ssize_t n = lgetxattr(path, name, buf, BERTH_XATTR_MAX);
  if (n < 0) return throw_errno(env, errno, "lgetxattr", path);
  napi_value result;
  if (napi_create_buffer_copy(env, (size_t)n, buf, NULL, &result) != napi_ok) return NULL;
  return result;
}

/*
 * llistxattr(path) -> string[]: the names of a file's extended attributes,
 * not following a final symlink. Names the caller may not read (trusted.*
 * without CAP_SYS_ADMIN) are omitted by the kernel.
 */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv, "llistxattr(path)") < 0) return NULL;
  AUTO_FREE char *path = arg_string(env, argv[0], "llistxattr: path must be a string");
  if (path == NULL) return NULL;
  AUTO_FREE char *buf = malloc(BERTH_XATTR_MAX);
  if (buf == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  ssize_t n = llistxattr(path, buf, BERTH_XATTR_MAX);
  if (n < 0) return throw_errno(env, errno, "llistxattr", path);
  napi_value result;
  if (napi_create_array(env, &result) != napi_ok) return NULL;
  uint32_t index = 0;
  for (ssize_t off = 0; off < n;) {
    size_t len = strnlen(buf + off, (size_t)(n - off));
    napi_value s;
    if (napi_create_string_utf8(env, buf + off, len, &s) != napi_ok) return NULL;
    if (napi_set_element(env, result, index++, s) != napi_ok) return NULL;
    off += (ssize_t)len + 1;
  }
  return result;
}

/*
 * mount(source, target, fstype, flags, data): mount(2) as is. Preconditions:
 * CAP_SYS_ADMIN in the mount namespace's owning user namespace; `target`
 * exists; `data` (filesystem options, e.g. overlay's lowerdir=...) fits in one
 * page including its NUL, or the kernel truncates/rejects it; overlay needs
 * upper and work dirs on the same filesystem. A bind mount ignores MS_RDONLY
 * on the first call: make it read-only with a second MS_REMOUNT|MS_BIND call.
 */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (get_args(env, info, 5, argv, "mount(source, target, fstype, flags, data)") < 0) return NULL;
  AUTO_FREE char *source = arg_string(env, argv[0], "mount: source must be a string");
  if (source == NULL) return NULL;
  AUTO_FREE char *target = arg_string(env, argv[1], "mount: target must be a string");
  if (target == NULL) return NULL;
  AUTO_FREE char *fstype = arg_string(env, argv[2], "mount: fstype must be a string");
  if (fstype == NULL) return NULL;
  int64_t flags;
  if (arg_int64(env, argv[3], &flags, "mount: flags must be a number") < 0) return NULL;
  napi_valuetype t;
  if (napi_typeof(env, argv[4], &t) != napi_ok) return NULL;
  AUTO_FREE char *data = NULL;
  if (t != napi_null && t != napi_undefined) {
    data = arg_string(env, argv[4], "mount: data must be a string or null");
    if (data == NULL) return NULL;
  }
  if (mount(source, target, fstype[0] == '\0' ? NULL : fstype, (unsigned long)flags, data) < 0)
    return throw_errno(env, errno, "mount", target);
  return NULL;
}

/*
 * umount2(target, flags): unmounts the topmost mount at `target`.
 * Preconditions: CAP_SYS_ADMIN; EINVAL when `target` is not a mount point;
 * EBUSY when in use unless MNT_DETACH (lazy) is given.
 */
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv, "umount2(target, flags)") < 0) return NULL;
  AUTO_FREE char *target = arg_string(env, argv[0], "umount2: target must be a string");
  if (target == NULL) return NULL;
  int64_t flags;
  if (arg_int64(env, argv[1], &flags, "umount2: flags must be a number") < 0) return NULL;
  if (umount2(target, (int)flags) < 0) return throw_errno(env, errno, "umount2", target);
  return NULL;
}

/* mallocTrim(): returns the C heap's free memory to the kernel (glibc's malloc_trim(0); a no-op
 * elsewhere). Node's transient native buffers (process spawns, file reads, HTTP) leave tens of
 * MB free but mapped in the brk heap, which glibc's dynamic trim threshold then keeps. */
static napi_value js_malloc_trim(napi_env env, napi_callback_info info) {
  (void)info;
#ifdef __GLIBC__
  malloc_trim(0);
#endif
  (void)env;
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mallocTrim", NULL, js_malloc_trim, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
