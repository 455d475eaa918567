/* init.h - the container init: the cloned child's ordered set-up up to execve
 * (runtime-internals §1.4 and Appendix A, steps 10-24). */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include "plan.h"
#include "sync.h"

/* Run in the child of ns_clone. `stdio` are the fds to become 0/1/2, `sync` the child end of
 * the sync pair. Waits for the parent's go byte (sent after cgroups and limits are applied),
 * then joins/unshares the remaining namespaces, sets up the root, hostname, security, and
 * executes argv. Never returns: on failure it reports an init_msg and exits 1. */
void init_run(const struct plan *p, const int stdio[3], int sync) __attribute__((noreturn));

/* The security tail shared by the init and exec processes (runtime-internals §1.3/§1.8):
 * no_new_privs, seccomp (before the cap drop without NNP), user/groups/caps/cwd, LookPath
 * with the plan's PATH, seccomp (last with NNP), execve. Preconditions: in the container's
 * root and namespaces, stdio in place, still uid 0 with all caps. Never returns. */
void init_exec_tail(const struct plan *p, int sync) __attribute__((noreturn));

/* Docker's status for a failed start: 127 when step "exec" failed with ENOENT, 126 for
 * EACCES/EPERM/EISDIR/ENOEXEC at "exec", else 125. */
int init_exit_status(const struct berr *e);

/* Find `file` as Go's exec.LookPath does (used by runc): a name with a '/' is checked
 * directly, otherwise each PATH entry is tried (empty entry = "."). Result in `out`. */
int init_lookpath(const char *file, const char *path_env, char *out, size_t outsz, struct berr *e);

#endif
