/* cgroup.h - placing the container init into the cgroups the daemon created, and reading
 * the OOM-kill counter. Limits are written by the daemon (TypeScript), not here. */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

#include "plan.h"

/* Write `pid` into <dir>/cgroup.procs (falling back to <dir>/tasks) for every `cgroup`
 * line of the plan: one line per v1 hierarchy, or one v2 directory. Precondition: called by
 * the parent while the child is blocked before exec, so no user code runs outside the
 * cgroup (runtime-internals §2.7); the cgroup namespace is unshared by the child after. */
int cgroup_enter(const struct plan *p, pid_t pid, struct berr *e);

/* Read the integer after `key` in a flat-keyed file (memory.events on v2, memory.oom_control
 * on v1: "oom_kill N"). Returns -1 when it cannot be read (the flag is then "unknown"). */
int64_t cgroup_read_counter(const char *path, const char *key);

#endif
