/* limits.h - rlimits and oom_score_adj, applied by the parent to the blocked child. */
#ifndef BERTH_LIMITS_H
#define BERTH_LIMITS_H

#include <sys/types.h>

#include "plan.h"

/* prlimit(2) every `rlimit` of the plan on `pid`, then write its oom_score_adj. Applied from
 * outside as runc does, so no limit has to be raised from inside a namespace. Raising a hard
 * limit above ours needs CAP_SYS_RESOURCE and fails (an error, as in Docker). Lowering the
 * oom score below our own needs it too: EACCES/EPERM then only appends a `warning` line
 * (result grammar) to `warnings`. */
int limits_apply(const struct plan *p, pid_t pid, struct buf *warnings, struct berr *e);

#endif
