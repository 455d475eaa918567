/* seccomp.c - see seccomp.h. */
#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int seccomp_load(const unsigned char *prog, size_t len, uint32_t flags, struct berr *e) {
  struct sock_fprog fprog = {.len = (unsigned short)(len / sizeof(struct sock_filter)),
                             .filter = (struct sock_filter *)(uintptr_t)prog};
  if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
    return berr_set(e, EINVAL, "seccomp", "program of %zu bytes is not 1..%d instructions", len, BPF_MAXINSNS);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog) == 0) return 0;
  if (errno == ENOSYS && flags == 0 && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0) return 0;
  return berr_set(e, errno, "seccomp", "load seccomp filter: %s", strerror(errno));
}
