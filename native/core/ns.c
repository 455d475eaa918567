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

int ns_join(const struct plan *p, int types, struct berr *e) {
  int fds[16];
  size_t n = 0;
  int rc = 0;
  for (size_t i = 0; i < p->njoins && rc == 0; i++) {
    if (!(p->joins[i].nstype & types)) continue;
    if (n == sizeof fds / sizeof fds[0]) {
      rc = berr_set(e, E2BIG, "join", "too many namespaces to join");
      break;
    }
    fds[n] = open(p->joins[i].path, O_RDONLY | O_CLOEXEC);
    if (fds[n] < 0) rc = berr_set(e, errno, "join", "open %s: %s", p->joins[i].path, strerror(errno));
    else n++;
  }
  for (size_t i = 0, k = 0; i < p->njoins && rc == 0; i++) {
    if (!(p->joins[i].nstype & types)) continue;
    if (setns(fds[k++], p->joins[i].nstype) < 0)
      rc = berr_set(e, errno, "join", "setns %s (%s): %s", p->joins[i].path, plan_ns_name(p->joins[i].nstype),
                    strerror(errno));
  }
  for (size_t i = 0; i < n; i++) close(fds[i]);
  return rc;
}

int ns_set_hostname(const char *name, struct berr *e) {
  if (sethostname(name, strlen(name)) < 0) return berr_set(e, errno, "hostname", "sethostname: %s", strerror(errno));
  return 0;
}
