/* ns.h - namespaces: clone into new ones, join existing ones by nsfs path, hostname. */
#ifndef BERTH_NS_H
#define BERTH_NS_H

#include <sys/types.h>

#include "plan.h"

/* fork(2) with CLONE_NEW* `flags` (CLONE_NEWUSER and CLONE_NEWCGROUP excluded: the child
 * unshares the cgroup ns only after it was placed in its cgroups, runtime-internals §2.7).
 * Precondition: the caller is single-threaded and root in the initial user ns. Returns the
 * child's pid in the parent, 0 in the child, -1 with `e` set. */
pid_t ns_clone(int flags, struct berr *e);

/* setns(2) into every `join` of the plan whose type is in `types` (CLONE_NEW* mask). All
 * paths are opened before the first setns, since joining mnt changes path resolution; they
 * are joined in the order user, ipc, uts, net, pid, mnt, cgroup (whatever the plan's order).
 * Joining pid affects only children created afterwards (call it before ns_clone). */
int ns_join(const struct plan *p, int types, struct berr *e);

/* sethostname(2). Precondition: a private (new or joined) UTS namespace; the parser
 * refuses a hostname without one, so the host's name is never changed. */
int ns_set_hostname(const char *name, struct berr *e);

#endif
