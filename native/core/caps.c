/* caps.c - see caps.h. */
#include "caps.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int caps_apply(const struct plan *p, struct berr *e) {
  const uint64_t *c = p->caps;
  /* 1. bounding set: drop everything not listed; PR_CAPBSET_READ's EINVAL ends the range */
  for (int cap = 0; cap < 64; cap++) {
    int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (r < 0) break;
    if (r == 1 && !(c[CAP_SET_BOUNDING] >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
      return berr_set(e, errno, "caps", "drop bounding cap %d: %s", cap, strerror(errno));
  }
  /* 2. keep the permitted set across the uid change */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return berr_set(e, errno, "caps", "PR_SET_KEEPCAPS: %s", strerror(errno));
  /* 3. groups, gid, uid - in this order: without uid 0 the gid can no longer change */
  if (setgroups(p->ngroups, (const gid_t *)p->groups) < 0)
    return berr_set(e, errno, "user", "setgroups: %s", strerror(errno));
  if (setresgid(p->gid, p->gid, p->gid) < 0) return berr_set(e, errno, "user", "setgid %u: %s", p->gid, strerror(errno));
  if (setresuid(p->uid, p->uid, p->uid) < 0) return berr_set(e, errno, "user", "setuid %u: %s", p->uid, strerror(errno));
  /* 4. cwd as the container user, then verify it resolves inside our root */
  const char *cwd = p->cwd ? p->cwd : "/";
  if (chdir(cwd) < 0) return berr_set(e, errno, "cwd", "chdir %s: %s", cwd, strerror(errno));
  char real[4096];
  if (getcwd(real, sizeof real) == NULL || real[0] != '/')
    return berr_set(e, errno ? errno : ENOENT, "cwd", "current working directory is outside of the container");
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return berr_set(e, errno, "caps", "PR_SET_KEEPCAPS: %s", strerror(errno));
  /* 5. effective/permitted/inheritable (v3: two 32-bit words per set) */
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++) {
    data[i].effective = (uint32_t)(c[CAP_SET_EFFECTIVE] >> (32 * i));
    data[i].permitted = (uint32_t)(c[CAP_SET_PERMITTED] >> (32 * i));
    data[i].inheritable = (uint32_t)(c[CAP_SET_INHERITABLE] >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) < 0) return berr_set(e, errno, "caps", "capset: %s", strerror(errno));
  /* 6. ambient: only caps in permitted and inheritable can be raised */
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return berr_set(e, errno, "caps", "clear ambient: %s", strerror(errno));
  for (int cap = 0; cap < 64; cap++)
    if ((c[CAP_SET_AMBIENT] >> cap & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return berr_set(e, errno, "caps", "raise ambient cap %d: %s", cap, strerror(errno));
  return 0;
}
