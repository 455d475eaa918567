/* exec.h - a process started inside a running container (`docker exec`), from an exec plan
 * (0002 §9): joins the init's namespaces and root, enters the plan's cgroups, gets the
 * plan's limits and credentials. The shim calls it for its `exec` request. */
#ifndef BERTH_EXEC_H
#define BERTH_EXEC_H

#include <sys/types.h>

#include "plan.h"

/* The shim's ends of the exec's stdio; -1 where there is none. With a terminal plan only
 * `tty` (the pty master) is set. All are CLOEXEC. */
struct exec_io {
  int in, out, err, tty;
};

/* Start `p` (an exec plan) in the container whose init is `init` and wait (at most 10 s)
 * until it has exec'd or failed. An intermediate child opens the plan's `join` paths and
 * /proc/<init>/root, joins the namespaces (pid last but one: it applies to children), and
 * forks the process, which is reparented to us (the caller must be a child subreaper);
 * we write it into the plan's cgroups and prlimit it, then it chroots into the init's
 * root, sets up its tty, and runs init_exec_tail. Returns the exec'd process's pid (our
 * child) or -1 with `e` (the step says where; init_exit_status maps it to 125/126/127).
 * `warnings` gets `warning` lines (oom-score-adj not applied). Preconditions: called by
 * the single-threaded shim as root; `init` is our unreaped child. */
pid_t exec_spawn(const struct plan *p, pid_t init, struct exec_io *io, struct buf *warnings, struct berr *e);

#endif
