/* plan.h - the launch plan: what TypeScript decided, what C executes (design note 0002 §2).
 * The parser keeps one buffer; every string in struct plan points into it. */
#ifndef BERTH_PLAN_H
#define BERTH_PLAN_H

#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "util.h"

#define PLAN_VERSION 1

struct plan_join { int nstype; char *path; };            /* CLONE_NEW* flag, nsfs path */
struct plan_idmap { uint32_t inside, outside, count; };
struct plan_mount {
  char *type, *source, *target, *data;
  unsigned long flags;        /* MS_* applied at mount (or by a bind remount) */
  unsigned long propagation;  /* MS_PRIVATE|MS_SLAVE|MS_SHARED|MS_UNBINDABLE, maybe |MS_REC */
  char *options;              /* the option list as written, for plan_dump */
};
struct plan_device { char *path; char kind; uint32_t major, minor, mode, uid, gid; };
struct plan_symlink { char *path, *target; };
struct plan_rlimit { int resource; char *name; rlim_t soft, hard; };

/* Capability sets, indexed as in plan_cap_names[]. */
enum { CAP_SET_BOUNDING, CAP_SET_EFFECTIVE, CAP_SET_PERMITTED, CAP_SET_INHERITABLE, CAP_SET_AMBIENT, CAP_SET_N };

struct plan {
  char *buf;                 /* owns all strings */
  char *id;
  int ns_new;                /* CLONE_NEW* flags to create */
  struct plan_join *joins; size_t njoins;
  struct plan_idmap *uid_maps, *gid_maps; size_t nuid_maps, ngid_maps;
  char *hostname;
  char *root;                /* absolute host path of the rootfs directory */
  char *root_mount_type, *root_mount_source, *root_mount_data; /* optional: mount it first */
  int readonly_root;
  struct plan_mount *mounts; size_t nmounts;
  struct plan_device *devices; size_t ndevices;
  struct plan_symlink *symlinks; size_t nsymlinks;
  char **masked; size_t nmasked;
  char **readonly; size_t nreadonly;
  char **cgroups; size_t ncgroups;
  struct plan_rlimit *rlimits; size_t nrlimits;
  int has_oom_score_adj; int oom_score_adj;
  uint32_t uid, gid;
  uint32_t *groups; size_t ngroups;
  uint64_t caps[CAP_SET_N];
  int no_new_privs;
  uint32_t seccomp_flags;
  unsigned char *seccomp; size_t seccomp_len; /* raw struct sock_filter array, 8 bytes each */
  char *seccomp_hex;         /* as written, for plan_dump */
  char **env; size_t nenv;   /* NULL-terminated as well */
  char *cwd;
  char **argv; size_t nargv; /* NULL-terminated as well */
  int stdin_open;
  int terminal;              /* a pty instead of pipes (0002 §8) */
  uint16_t console_rows, console_cols; /* its initial size; 0 0 = the kernel's default */
  char *log_path; uint64_t log_max_size; uint32_t log_max_file;
  char *oom_counter_path, *oom_counter_key;
  int exec;                  /* parsed as an exec plan (not part of the text) */
};

/* What a plan describes: a new container (`berth-core create`), or a process started in a
 * running one (the shim's `exec` request). The grammar is the same; the allowed keys and the
 * final checks differ (0002 §2 and §9). */
enum plan_kind { PLAN_CONTAINER = 1, PLAN_EXEC = 2 };

extern const char *const plan_cap_names[CAP_SET_N];

/* Parse a plan held in buf[0..len) (the buffer is taken over, freed by plan_free, even on
 * error). Returns 0 or -1 with `e` naming the line. Never reads past len. */
int plan_parse(char *buf, size_t len, struct plan *p, struct berr *e);
int plan_parse_kind(char *buf, size_t len, enum plan_kind kind, struct plan *p, struct berr *e);

/* Read and parse <path> (plan_load: a container plan). */
int plan_load(const char *path, struct plan *p, struct berr *e);
int plan_load_kind(const char *path, enum plan_kind kind, struct plan *p, struct berr *e);

void plan_free(struct plan *p);

/* Write the plan in canonical form (the order of plan_dump is the order of this header's
 * fields); parse(dump(p)) == p is the round-trip property the tests check. */
int plan_dump(const struct plan *p, struct buf *out);

/* Map a namespace name (pid, mnt, ...) to its CLONE_NEW* flag, or 0. */
int plan_ns_flag(const char *name);
const char *plan_ns_name(int flag);

#endif
