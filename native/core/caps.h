/* caps.h - credentials: capability sets and the user switch, in runc's order
 * (runtime-internals §1.8): bounding drop -> KEEPCAPS -> setgroups -> setresgid ->
 * setresuid -> chdir -> KEEPCAPS off -> capset -> ambient. */
#ifndef BERTH_CAPS_H
#define BERTH_CAPS_H

#include "plan.h"

/* Switch to the plan's uid/gid/groups and install its five capability sets, then chdir to
 * its cwd (after the switch, so the container user's permissions apply) and verify the cwd
 * is inside the root (CVE-2024-21626). Preconditions: still uid 0 with CAP_SETPCAP,
 * CAP_SETUID, CAP_SETGID; after pivot_root; cwd already created. */
int caps_apply(const struct plan *p, struct berr *e);

#endif
