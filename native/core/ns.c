/* ns.c - see ns.h. */
#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

pid_t ns_clone(int flags, struct berr *e) {
  flags &= ~(CLONE_NEWUSER | CLONE_NEWCGROUP);
  /* The raw syscall with a NULL stack behaves like fork(2): the child continues on a
   * copy-on-write copy of our stack. The argument order after the first two differs
   * between architectures, but they are all zero. */
  long pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0UL, 0UL, 0UL, 0UL);
  if (pid < 0) return berr_set(e, errno, "clone", "clone(%#x): %s", flags, strerror(errno));
  return (pid_t)pid;
}

/* runc's order for joining: mnt late (paths were opened before), cgroup last. */
static const int join_order[] = {CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET,
                                 CLONE_NEWPID,  CLONE_NEWNS,  CLONE_NEWCGROUP};

int ns_join(const struct plan *p, int types, struct berr *e) {
  int fds[16];
  size_t n = 0, idx[16];
  int rc = 0;
  for (size_t i = 0; i < p->njoins && rc == 0; i++) {
    if (!(p->joins[i].nstype & types)) continue;
    if (n == sizeof fds / sizeof fds[0]) {
      rc = berr_set(e, E2BIG, "join", "too many namespaces to join");
      break;
    }
    fds[n] = open(p->joins[i].path, O_RDONLY | O_CLOEXEC);
    if (fds[n] < 0) rc = berr_set(e, errno, "join", "open %s: %s", p->joins[i].path, strerror(errno));
    else idx[n++] = i;
  }
  for (size_t o = 0; o < sizeof join_order / sizeof join_order[0] && rc == 0; o++) {
    for (size_t k = 0; k < n && rc == 0; k++) {
      const struct plan_join *j = &p->joins[idx[k]];
      if (j->nstype != join_order[o]) continue;
      if (setns(fds[k], j->nstype) < 0)
        rc = berr_set(e, errno, "join", "setns %s (%s): %s", j->path, plan_ns_name(j->nstype), strerror(errno));
    }
  }
  for (size_t i = 0; i < n; i++) close(fds[i]);
  return rc;
}

int ns_set_hostname(const char *name, struct berr *e) {
  if (sethostname(name, strlen(name)) < 0) return berr_set(e, errno, "hostname", "sethostname: %s", strerror(errno));
  return 0;
}
