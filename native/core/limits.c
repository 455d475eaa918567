/* limits.c - see limits.h. */
#include "limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int limits_apply(const struct plan *p, pid_t pid, struct buf *warnings, struct berr *e) {
  for (size_t i = 0; i < p->nrlimits; i++) {
    struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
    if (prlimit(pid, (__rlimit_resource_t)p->rlimits[i].resource, &rl, NULL) < 0)
      return berr_set(e, errno, "rlimit", "setrlimit RLIMIT_%s: %s", p->rlimits[i].name, strerror(errno));
  }
  if (p->has_oom_score_adj) {
    char path[64], text[16];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
    int n = snprintf(text, sizeof text, "%d", p->oom_score_adj);
    cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_all(fd, text, (size_t)n) < 0) {
      int err = errno;
      if (err != EACCES && err != EPERM)
        return berr_set(e, err, "oom-score-adj", "write %s: %s", path, strerror(err));
      char msg[128];
      snprintf(msg, sizeof msg, "oom_score_adj %d not applied: %s", p->oom_score_adj, strerror(err));
      if (buf_append(warnings, "warning ", 8) || field_append_str(warnings, msg) || buf_putc(warnings, '\n'))
        return berr_set(e, ENOMEM, "oom-score-adj", "out of memory");
    }
  }
  return 0;
}
