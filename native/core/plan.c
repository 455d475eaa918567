/* plan.c - parser and canonical writer of the launch plan (grammar: docs/design/0002). */
#include "plan.h"

#include <errno.h>
#include <stdarg.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>

#define MAX_FIELDS 8
#define PLAN_LIMIT (16u << 20)

const char *const plan_cap_names[CAP_SET_N] = {"bounding", "effective", "permitted", "inheritable", "ambient"};

static const struct { const char *name; int flag; } ns_names[] = {
    {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS},        {"uts", CLONE_NEWUTS},   {"ipc", CLONE_NEWIPC},
    {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP}, {"user", CLONE_NEWUSER},
};

int plan_ns_flag(const char *name) {
  for (size_t i = 0; i < sizeof ns_names / sizeof ns_names[0]; i++)
    if (strcmp(ns_names[i].name, name) == 0) return ns_names[i].flag;
  return 0;
}

const char *plan_ns_name(int flag) {
  for (size_t i = 0; i < sizeof ns_names / sizeof ns_names[0]; i++)
    if (ns_names[i].flag == flag) return ns_names[i].name;
  return "?";
}

static const struct { const char *name; int res; } rlimit_names[] = {
    {"AS", RLIMIT_AS},         {"CORE", RLIMIT_CORE},     {"CPU", RLIMIT_CPU},           {"DATA", RLIMIT_DATA},
    {"FSIZE", RLIMIT_FSIZE},   {"LOCKS", RLIMIT_LOCKS},   {"MEMLOCK", RLIMIT_MEMLOCK},   {"MSGQUEUE", RLIMIT_MSGQUEUE},
    {"NICE", RLIMIT_NICE},     {"NOFILE", RLIMIT_NOFILE}, {"NPROC", RLIMIT_NPROC},       {"RSS", RLIMIT_RSS},
    {"RTPRIO", RLIMIT_RTPRIO}, {"RTTIME", RLIMIT_RTTIME}, {"SIGPENDING", RLIMIT_SIGPENDING}, {"STACK", RLIMIT_STACK},
};

/* Mount options: flags set, flags cleared (rw) or propagation. */
static const struct { const char *name; unsigned long set, clear, prop; } mount_opts[] = {
    {"ro", MS_RDONLY, 0, 0},         {"rw", 0, MS_RDONLY, 0},
    {"nosuid", MS_NOSUID, 0, 0},     {"nodev", MS_NODEV, 0, 0},
    {"noexec", MS_NOEXEC, 0, 0},     {"sync", MS_SYNCHRONOUS, 0, 0},
    {"dirsync", MS_DIRSYNC, 0, 0},   {"noatime", MS_NOATIME, 0, 0},
    {"nodiratime", MS_NODIRATIME, 0, 0}, {"relatime", MS_RELATIME, 0, 0},
    {"strictatime", MS_STRICTATIME, 0, 0}, {"bind", MS_BIND, 0, 0},
    {"rbind", MS_BIND | MS_REC, 0, 0},
    {"private", 0, 0, MS_PRIVATE},   {"rprivate", 0, 0, MS_PRIVATE | MS_REC},
    {"slave", 0, 0, MS_SLAVE},       {"rslave", 0, 0, MS_SLAVE | MS_REC},
    {"shared", 0, 0, MS_SHARED},     {"rshared", 0, 0, MS_SHARED | MS_REC},
    {"unbindable", 0, 0, MS_UNBINDABLE}, {"runbindable", 0, 0, MS_UNBINDABLE | MS_REC},
};

enum key {
  K_ID, K_NS, K_JOIN, K_UID_MAP, K_GID_MAP, K_HOSTNAME, K_ROOT, K_ROOT_MOUNT, K_READONLY_ROOT,
  K_MOUNT, K_DEVICE, K_SYMLINK, K_MASK, K_READONLY, K_CGROUP, K_RLIMIT, K_OOM_SCORE_ADJ, K_USER,
  K_GROUP, K_CAPS, K_NO_NEW_PRIVS, K_SECCOMP, K_ENV, K_CWD, K_ARG, K_STDIN, K_LOG, K_OOM_COUNTER,
  K_TERMINAL, K_CONSOLE_SIZE,
};

/* The closed key set: name, argument count, may it repeat, which plan kinds accept it
 * (C = container, X = exec: an exec plan has no namespaces to create, no root, no mounts,
 * no log - it joins what the container's init already has). */
#define C PLAN_CONTAINER
#define X PLAN_EXEC
static const struct { const char *name; int nargs; int repeat; int kinds; } keys[] = {
    [K_ID] = {"id", 1, 0, C | X},          [K_NS] = {"ns", 1, 1, C},           [K_JOIN] = {"join", 2, 1, C | X},
    [K_UID_MAP] = {"uid-map", 3, 1, C},    [K_GID_MAP] = {"gid-map", 3, 1, C}, [K_HOSTNAME] = {"hostname", 1, 0, C},
    [K_ROOT] = {"root", 1, 0, C},          [K_ROOT_MOUNT] = {"root-mount", 3, 0, C},
    [K_READONLY_ROOT] = {"readonly-root", 0, 0, C},
    [K_MOUNT] = {"mount", 5, 1, C},        [K_DEVICE] = {"device", 7, 1, C},   [K_SYMLINK] = {"symlink", 2, 1, C},
    [K_MASK] = {"mask", 1, 1, C},          [K_READONLY] = {"readonly", 1, 1, C}, [K_CGROUP] = {"cgroup", 1, 1, C | X},
    [K_RLIMIT] = {"rlimit", 3, 1, C | X},  [K_OOM_SCORE_ADJ] = {"oom-score-adj", 1, 0, C | X},
    [K_USER] = {"user", 2, 0, C | X},      [K_GROUP] = {"group", 1, 1, C | X},   [K_CAPS] = {"caps", 2, 1, C | X},
    [K_NO_NEW_PRIVS] = {"no-new-privs", 0, 0, C | X}, [K_SECCOMP] = {"seccomp", 2, 0, C | X},
    [K_ENV] = {"env", 1, 1, C | X},        [K_CWD] = {"cwd", 1, 0, C | X},       [K_ARG] = {"arg", 1, 1, C | X},
    [K_STDIN] = {"stdin", 1, 0, C | X},    [K_LOG] = {"log", 3, 0, C},         [K_OOM_COUNTER] = {"oom-counter", 2, 0, C},
    [K_TERMINAL] = {"terminal", 0, 0, C | X}, [K_CONSOLE_SIZE] = {"console-size", 2, 0, C | X},
};
#undef C
#undef X
#define NKEYS (sizeof keys / sizeof keys[0])

/* Append one zeroed element to a growable array, keeping one spare slot so string arrays
 * can stay NULL-terminated. Plans are small, so a realloc per element is fine. */
static void *grow(void *arrp, size_t *n, size_t size) {
  void **arr = arrp;
  char *na = realloc(*arr, (*n + 2) * size);
  if (na == NULL) return NULL;
  *arr = na;
  memset(na + *n * size, 0, 2 * size);
  return na + (*n)++ * size;
}

static int push_str(char ***arr, size_t *n, char *s) {
  char **slot = grow(arr, n, sizeof(char *));
  if (slot == NULL) return -1;
  *slot = s;
  (*arr)[*n] = NULL;
  return 0;
}

static int need_abs(const char *s) { return s[0] == '/'; }

static int u32(const char *s, uint32_t *out) {
  uint64_t v;
  if (parse_u64(s, &v) < 0 || v > UINT32_MAX) return -1;
  *out = (uint32_t)v;
  return 0;
}

static int parse_rlim(const char *s, rlim_t *out) {
  uint64_t v;
  if (strcmp(s, "unlimited") == 0) {
    *out = RLIM_INFINITY;
    return 0;
  }
  if (parse_u64(s, &v) < 0) return -1;
  *out = (rlim_t)v;
  return 0;
}

static int parse_mount_opts(char *s, struct plan_mount *m) {
  m->options = s;
  if (*s == '\0') return 0;
  /* tokenise a copy-free way: walk the comma list without modifying it */
  const char *p = s;
  while (*p) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    size_t i;
    for (i = 0; i < sizeof mount_opts / sizeof mount_opts[0]; i++)
      if (strlen(mount_opts[i].name) == len && strncmp(mount_opts[i].name, p, len) == 0) break;
    if (i == sizeof mount_opts / sizeof mount_opts[0]) return -1;
    m->flags = (m->flags | mount_opts[i].set) & ~mount_opts[i].clear;
    if (mount_opts[i].prop) m->propagation = mount_opts[i].prop;
    if (!c) break;
    p = c + 1;
  }
  return 0;
}

static int hex_decode(const char *s, unsigned char **out, size_t *outlen) {
  size_t n = strlen(s);
  if (n % 2) return -1;
  unsigned char *b = malloc(n / 2 + 1);
  if (b == NULL) return -1;
  for (size_t i = 0; i < n; i += 2) {
    int v = 0;
    for (int k = 0; k < 2; k++) {
      char c = s[i + k];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) {
        free(b);
        return -1;
      }
      v = v * 16 + d;
    }
    b[i / 2] = (unsigned char)v;
  }
  *out = b;
  *outlen = n / 2;
  return 0;
}

#define BAD(...) return berr_set(e, EINVAL, "plan", __VA_ARGS__)

static int apply_line(struct plan *p, enum key k, char **f, int lineno, struct berr *e) {
  switch (k) {
  case K_ID: p->id = f[0]; break;
  case K_NS: {
    int fl = plan_ns_flag(f[0]);
    if (!fl) BAD("line %d: unknown namespace %s", lineno, f[0]);
    p->ns_new |= fl;
    break;
  }
  case K_JOIN: {
    struct plan_join *j;
    int fl = plan_ns_flag(f[0]);
    if (!fl) BAD("line %d: unknown namespace %s", lineno, f[0]);
    if (!need_abs(f[1])) BAD("line %d: join path must be absolute", lineno);
    if ((j = grow(&p->joins, &p->njoins, sizeof *j)) == NULL) goto nomem;
    j->nstype = fl;
    j->path = f[1];
    break;
  }
  case K_UID_MAP: case K_GID_MAP: {
    struct plan_idmap m, *slot;
    if (u32(f[0], &m.inside) || u32(f[1], &m.outside) || u32(f[2], &m.count) || m.count == 0)
      BAD("line %d: bad id map", lineno);
    slot = k == K_UID_MAP ? grow(&p->uid_maps, &p->nuid_maps, sizeof m) : grow(&p->gid_maps, &p->ngid_maps, sizeof m);
    if (slot == NULL) goto nomem;
    *slot = m;
    break;
  }
  case K_HOSTNAME:
    if (strlen(f[0]) > 64) BAD("line %d: hostname longer than 64 bytes", lineno);
    p->hostname = f[0];
    break;
  case K_ROOT:
    if (!need_abs(f[0])) BAD("line %d: root must be absolute", lineno);
    p->root = f[0];
    break;
  case K_ROOT_MOUNT:
    if (!f[0][0]) BAD("line %d: root-mount needs a type", lineno);
    p->root_mount_type = f[0]; p->root_mount_source = f[1]; p->root_mount_data = f[2];
    break;
  case K_READONLY_ROOT: p->readonly_root = 1; break;
  case K_MOUNT: {
    struct plan_mount *m;
    if (!need_abs(f[2])) BAD("line %d: mount target must be absolute", lineno);
    if ((m = grow(&p->mounts, &p->nmounts, sizeof *m)) == NULL) goto nomem;
    m->type = f[0]; m->source = f[1]; m->target = f[2]; m->data = f[4];
    if (!f[0][0]) BAD("line %d: mount needs a type", lineno);
    if (parse_mount_opts(f[3], m) < 0) BAD("line %d: unknown mount option in %s", lineno, f[3]);
    if (strcmp(m->type, "bind") == 0) m->flags |= MS_BIND;
    if ((m->flags & MS_BIND) && !need_abs(m->source)) BAD("line %d: bind source must be absolute", lineno);
    break;
  }
  case K_DEVICE: {
    struct plan_device d;
    if (!need_abs(f[0])) BAD("line %d: device path must be absolute", lineno);
    if ((strcmp(f[1], "c") && strcmp(f[1], "b")) || u32(f[2], &d.major) || u32(f[3], &d.minor) ||
        u32(f[4], &d.mode) || d.mode > 07777 || u32(f[5], &d.uid) || u32(f[6], &d.gid))
      BAD("line %d: bad device", lineno);
    d.path = f[0];
    d.kind = f[1][0];
    struct plan_device *slot = grow(&p->devices, &p->ndevices, sizeof d);
    if (slot == NULL) goto nomem;
    *slot = d;
    break;
  }
  case K_SYMLINK: {
    struct plan_symlink *s;
    if (!need_abs(f[0]) || !f[1][0]) BAD("line %d: bad symlink", lineno);
    if ((s = grow(&p->symlinks, &p->nsymlinks, sizeof *s)) == NULL) goto nomem;
    s->path = f[0]; s->target = f[1];
    break;
  }
  case K_MASK: case K_READONLY: case K_CGROUP:
    if (!need_abs(f[0])) BAD("line %d: %s path must be absolute", lineno, keys[k].name);
    if (push_str(k == K_MASK ? &p->masked : k == K_READONLY ? &p->readonly : &p->cgroups,
                 k == K_MASK ? &p->nmasked : k == K_READONLY ? &p->nreadonly : &p->ncgroups, f[0]) < 0)
      goto nomem;
    break;
  case K_RLIMIT: {
    struct plan_rlimit r = {.resource = -1, .name = f[0]};
    for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
      if (strcmp(rlimit_names[i].name, f[0]) == 0) r.resource = rlimit_names[i].res;
    if (r.resource < 0) BAD("line %d: unknown rlimit %s", lineno, f[0]);
    if (parse_rlim(f[1], &r.soft) || parse_rlim(f[2], &r.hard) || r.soft > r.hard)
      BAD("line %d: bad rlimit values", lineno);
    struct plan_rlimit *slot = grow(&p->rlimits, &p->nrlimits, sizeof r);
    if (slot == NULL) goto nomem;
    *slot = r;
    break;
  }
  case K_OOM_SCORE_ADJ: {
    int64_t v;
    if (parse_i64(f[0], &v) || v < -1000 || v > 1000) BAD("line %d: oom-score-adj out of range", lineno);
    p->has_oom_score_adj = 1;
    p->oom_score_adj = (int)v;
    break;
  }
  case K_USER:
    if (u32(f[0], &p->uid) || u32(f[1], &p->gid)) BAD("line %d: bad user", lineno);
    break;
  case K_GROUP: {
    uint32_t g, *slot;
    if (u32(f[0], &g)) BAD("line %d: bad group", lineno);
    if ((slot = grow(&p->groups, &p->ngroups, sizeof g)) == NULL) goto nomem;
    *slot = g;
    break;
  }
  case K_CAPS: {
    int i;
    for (i = 0; i < CAP_SET_N; i++)
      if (strcmp(plan_cap_names[i], f[0]) == 0) break;
    if (i == CAP_SET_N || parse_u64(f[1], &p->caps[i])) BAD("line %d: bad caps", lineno);
    break;
  }
  case K_NO_NEW_PRIVS: p->no_new_privs = 1; break;
  case K_SECCOMP:
    if (u32(f[0], &p->seccomp_flags)) BAD("line %d: bad seccomp flags", lineno);
    if (hex_decode(f[1], &p->seccomp, &p->seccomp_len) < 0 || p->seccomp_len == 0 || p->seccomp_len % 8 ||
        p->seccomp_len / 8 > 4096)
      BAD("line %d: seccomp program must be hex of 1..4096 8-byte instructions", lineno);
    p->seccomp_hex = f[1];
    break;
  case K_ENV:
    if (strchr(f[0], '=') == NULL || f[0][0] == '=') BAD("line %d: env must be NAME=value", lineno);
    if (push_str(&p->env, &p->nenv, f[0]) < 0) goto nomem;
    break;
  case K_CWD:
    if (!need_abs(f[0])) BAD("line %d: cwd must be absolute", lineno);
    p->cwd = f[0];
    break;
  case K_ARG:
    if (push_str(&p->argv, &p->nargv, f[0]) < 0) goto nomem;
    break;
  case K_STDIN:
    if (strcmp(f[0], "open") == 0) p->stdin_open = 1;
    else if (strcmp(f[0], "null") == 0) p->stdin_open = 0;
    else BAD("line %d: stdin is open or null", lineno);
    break;
  case K_LOG:
    if (!need_abs(f[0]) || parse_u64(f[1], &p->log_max_size) || u32(f[2], &p->log_max_file) || p->log_max_file == 0)
      BAD("line %d: bad log (path max-size max-file>=1)", lineno);
    p->log_path = f[0];
    break;
  case K_OOM_COUNTER:
    if (!need_abs(f[0]) || !f[1][0]) BAD("line %d: bad oom-counter", lineno);
    p->oom_counter_path = f[0]; p->oom_counter_key = f[1];
    break;
  case K_TERMINAL: p->terminal = 1; break;
  case K_CONSOLE_SIZE: {
    uint32_t r, c;
    if (u32(f[0], &r) || u32(f[1], &c) || r > 65535 || c > 65535) BAD("line %d: console-size is <rows> <cols>, 0..65535", lineno);
    p->console_rows = (uint16_t)r;
    p->console_cols = (uint16_t)c;
    break;
  }
  }
  return 0;
nomem:
  return berr_set(e, ENOMEM, "plan", "out of memory");
}

int plan_parse(char *buf, size_t len, struct plan *p, struct berr *e) {
  return plan_parse_kind(buf, len, PLAN_CONTAINER, p, e);
}

int plan_parse_kind(char *buf, size_t len, enum plan_kind kind, struct plan *p, struct berr *e) {
  unsigned char seen[NKEYS] = {0};
  memset(p, 0, sizeof *p);
  p->buf = buf;
  p->exec = kind == PLAN_EXEC;
  if (memchr(buf, '\0', len) != NULL) BAD("plan contains a NUL byte");
  buf[len] = '\0'; /* callers allocate len+1 (read_file does) */
  char *line = buf;
  int lineno = 0;
  while (*line) {
    char *nl = strchr(line, '\n'), *next;
    lineno++;
    if (nl) {
      *nl = '\0';
      next = nl + 1;
    } else {
      next = line + strlen(line);
    }
    if (lineno == 1) {
      if (strcmp(line, "berth-plan 1") != 0) BAD("line 1: expected \"berth-plan %d\"", PLAN_VERSION);
    } else if (line[0] != '#') {
      char *f[MAX_FIELDS];
      int n = fields_split(line, f, NULL, MAX_FIELDS, 0, e);
      size_t k;
      if (n < 0) {
        char why[sizeof e->msg];
        snprintf(why, sizeof why, "%s", e ? e->msg : "bad fields");
        BAD("line %d: %s", lineno, why);
      }
      for (k = 0; k < NKEYS; k++)
        if (strcmp(keys[k].name, f[0]) == 0) break;
      if (k == NKEYS) BAD("line %d: unknown key %s", lineno, f[0]);
      if (!(keys[k].kinds & (int)kind)) BAD("line %d: %s is not allowed in an exec plan", lineno, keys[k].name);
      if (n - 1 != keys[k].nargs) BAD("line %d: %s takes %d argument(s)", lineno, keys[k].name, keys[k].nargs);
      if (seen[k] && !keys[k].repeat) BAD("line %d: %s given twice", lineno, keys[k].name);
      seen[k] = 1;
      if (apply_line(p, (enum key)k, f + 1, lineno, e) < 0) return -1;
    }
    line = next;
  }
  if (lineno == 0) BAD("empty plan");
  if (p->nargv == 0) BAD("plan has no arg");
  if (seen[K_CONSOLE_SIZE] && !p->terminal) BAD("console-size needs terminal");
  int joined = 0;
  for (size_t i = 0; i < p->njoins; i++) joined |= p->joins[i].nstype;
  if (kind == PLAN_EXEC) {
    if (!(joined & CLONE_NEWNS)) BAD("exec plan must join a mount namespace (join mnt)");
    if (joined & CLONE_NEWUSER) return berr_set(e, ENOTSUP, "plan", "user namespaces are not supported yet");
    return 0;
  }
  if (p->root == NULL) BAD("plan has no root");
  if (p->ns_new & joined) BAD("a namespace is both created and joined");
  if (!(p->ns_new & CLONE_NEWNS)) BAD("plan must create a mount namespace (ns mnt)");
  if (p->hostname && !((p->ns_new | joined) & CLONE_NEWUTS)) BAD("hostname needs a private uts namespace");
  if ((p->ns_new | joined) & CLONE_NEWUSER || p->nuid_maps || p->ngid_maps)
    return berr_set(e, ENOTSUP, "plan", "user namespaces are not supported yet");
  return 0;
}

int plan_load(const char *path, struct plan *p, struct berr *e) { return plan_load_kind(path, PLAN_CONTAINER, p, e); }

int plan_load_kind(const char *path, enum plan_kind kind, struct plan *p, struct berr *e) {
  char *buf;
  size_t len;
  memset(p, 0, sizeof *p);
  if (read_file(path, PLAN_LIMIT, &buf, &len, e) < 0) return -1;
  return plan_parse_kind(buf, len, kind, p, e);
}

void plan_free(struct plan *p) {
  free(p->buf);
  free(p->joins);
  free(p->uid_maps);
  free(p->gid_maps);
  free(p->mounts);
  free(p->devices);
  free(p->symlinks);
  free(p->masked);
  free(p->readonly);
  free(p->cgroups);
  free(p->rlimits);
  free(p->groups);
  free(p->seccomp);
  free(p->env);
  free(p->argv);
  memset(p, 0, sizeof *p);
}

/* --- canonical writer --- */

static int line(struct buf *o, const char *key, int n, ...) {
  va_list ap;
  int rc = buf_append(o, key, strlen(key));
  va_start(ap, n);
  for (int i = 0; i < n && rc == 0; i++) {
    const char *s = va_arg(ap, const char *);
    rc = buf_putc(o, ' ') < 0 ? -1 : field_append_str(o, s);
  }
  va_end(ap);
  return rc < 0 ? -1 : buf_putc(o, '\n');
}

static const char *num(char *tmp, unsigned long long v) {
  snprintf(tmp, 24, "%llu", v);
  return tmp;
}

static const char *rl(char *tmp, rlim_t v) { return v == RLIM_INFINITY ? "unlimited" : num(tmp, (unsigned long long)v); }

int plan_dump(const struct plan *p, struct buf *o) {
  char a[24], b[24], c[24], d[24], x[24], y[24];
  int rc = buf_append(o, "berth-plan 1\n", 13);
#define L(...) if (rc == 0) rc = line(o, __VA_ARGS__)
  if (p->id) L("id", 1, p->id);
  for (size_t i = 0; i < sizeof ns_names / sizeof ns_names[0]; i++)
    if (p->ns_new & ns_names[i].flag) L("ns", 1, ns_names[i].name);
  for (size_t i = 0; i < p->njoins; i++) L("join", 2, plan_ns_name(p->joins[i].nstype), p->joins[i].path);
  for (size_t i = 0; i < p->nuid_maps; i++)
    L("uid-map", 3, num(a, p->uid_maps[i].inside), num(b, p->uid_maps[i].outside), num(c, p->uid_maps[i].count));
  for (size_t i = 0; i < p->ngid_maps; i++)
    L("gid-map", 3, num(a, p->gid_maps[i].inside), num(b, p->gid_maps[i].outside), num(c, p->gid_maps[i].count));
  if (p->hostname) L("hostname", 1, p->hostname);
  if (p->root) L("root", 1, p->root);
  if (p->root_mount_type) L("root-mount", 3, p->root_mount_type, p->root_mount_source, p->root_mount_data);
  if (p->readonly_root) L("readonly-root", 0);
  for (size_t i = 0; i < p->nmounts; i++) {
    const struct plan_mount *m = &p->mounts[i];
    L("mount", 5, m->type, m->source, m->target, m->options, m->data);
  }
  for (size_t i = 0; i < p->ndevices; i++) {
    const struct plan_device *v = &p->devices[i];
    char kind[2] = {v->kind, 0}, mode[16];
    snprintf(mode, sizeof mode, "0%o", v->mode);
    L("device", 7, v->path, kind, num(a, v->major), num(b, v->minor), mode, num(c, v->uid), num(d, v->gid));
  }
  for (size_t i = 0; i < p->nsymlinks; i++) L("symlink", 2, p->symlinks[i].path, p->symlinks[i].target);
  for (size_t i = 0; i < p->nmasked; i++) L("mask", 1, p->masked[i]);
  for (size_t i = 0; i < p->nreadonly; i++) L("readonly", 1, p->readonly[i]);
  for (size_t i = 0; i < p->ncgroups; i++) L("cgroup", 1, p->cgroups[i]);
  for (size_t i = 0; i < p->nrlimits; i++) L("rlimit", 3, p->rlimits[i].name, rl(x, p->rlimits[i].soft), rl(y, p->rlimits[i].hard));
  if (p->has_oom_score_adj) {
    snprintf(a, sizeof a, "%d", p->oom_score_adj);
    L("oom-score-adj", 1, a);
  }
  L("user", 2, num(a, p->uid), num(b, p->gid));
  for (size_t i = 0; i < p->ngroups; i++) L("group", 1, num(a, p->groups[i]));
  for (int i = 0; i < CAP_SET_N; i++) {
    snprintf(a, sizeof a, "0x%llx", (unsigned long long)p->caps[i]);
    L("caps", 2, plan_cap_names[i], a);
  }
  if (p->no_new_privs) L("no-new-privs", 0);
  if (p->seccomp) L("seccomp", 2, num(a, p->seccomp_flags), p->seccomp_hex);
  for (size_t i = 0; i < p->nenv; i++) L("env", 1, p->env[i]);
  if (p->cwd) L("cwd", 1, p->cwd);
  for (size_t i = 0; i < p->nargv; i++) L("arg", 1, p->argv[i]);
  L("stdin", 1, p->stdin_open ? "open" : "null");
  if (p->terminal) L("terminal", 0);
  if (p->console_rows || p->console_cols) L("console-size", 2, num(a, p->console_rows), num(b, p->console_cols));
  if (p->log_path) L("log", 3, p->log_path, num(a, p->log_max_size), num(b, p->log_max_file));
  if (p->oom_counter_path) L("oom-counter", 2, p->oom_counter_path, p->oom_counter_key);
#undef L
  return rc;
}
