/* init.h - the container init: the cloned child's ordered set-up up to execve
 * (runtime-internals §1.4 and Appendix A, steps 10-24). */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include "plan.h"

/* One datagram on the SOCK_SEQPACKET sync pair, child -> parent, only on failure; on success
 * execve closes the (CLOEXEC) socket and the parent reads EOF. */
struct init_msg {
  int32_t err;
  char step[32];
  char msg[480];
};

/* Run in the child of ns_clone. `stdio` are the fds to become 0/1/2, `sync` the child end of
 * the sync pair. Waits for the parent's go byte (sent after cgroups and limits are applied),
 * then joins/unshares the remaining namespaces, sets up the root, hostname, security, and
 * executes argv. Never returns: on failure it reports an init_msg and exits 1. */
void init_run(const struct plan *p, const int stdio[3], int sync) __attribute__((noreturn));

/* Find `file` as Go's exec.LookPath does (used by runc): a name with a '/' is checked
 * directly, otherwise each PATH entry is tried (empty entry = "."). Result in `out`. */
int init_lookpath(const char *file, const char *path_env, char *out, size_t outsz, struct berr *e);

#endif
