/* cgroup.c - see cgroup.h. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static int write_pid(const char *dir, const char *file, pid_t pid) {
  char path[4096], text[24];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int n = snprintf(text, sizeof text, "%d\n", (int)pid);
  return write_all(fd, text, (size_t)n);
}

int cgroup_enter(const struct plan *p, pid_t pid, struct berr *e) {
  for (size_t i = 0; i < p->ncgroups; i++) {
    const char *dir = p->cgroups[i];
    if (write_pid(dir, "cgroup.procs", pid) == 0) continue;
    if (errno == ENOENT && write_pid(dir, "tasks", pid) == 0) continue;
    return berr_set(e, errno, "cgroup", "add pid %d to %s: %s", (int)pid, dir, strerror(errno));
  }
  return 0;
}

int64_t cgroup_read_counter(const char *path, const char *key) {
  char *text = NULL, *line, *save = NULL;
  size_t len, klen = strlen(key);
  int64_t v = -1;
  if (read_file(path, 1 << 16, &text, &len, NULL) < 0) return -1;
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ' && parse_i64(line + klen + 1, &v) == 0) break;
    v = -1;
  }
  free(text);
  return v;
}
