/* init.c - see init.h. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "caps.h"
#include "ns.h"
#include "rootfs.h"
#include "seccomp.h"
#include "sync.h"
#include "tty.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int init_exit_status(const struct berr *e) {
  if (strcmp(e->step, "exec") == 0) {
    if (e->err == ENOENT) return 127;
    if (e->err == EACCES || e->err == EPERM || e->err == EISDIR || e->err == ENOEXEC) return 126;
  }
  return 125;
}

/* Go's findExecutable: a directory is EISDIR, then access(X_OK) with the effective ids. */
static int find_executable(const char *file) {
  struct stat st;
  if (stat(file, &st) < 0) return -1;
  if (S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    return -1;
  }
  return faccessat(AT_FDCWD, file, X_OK, AT_EACCESS);
}

int init_lookpath(const char *file, const char *path_env, char *out, size_t outsz, struct berr *e) {
  if (strchr(file, '/') != NULL) {
    if (find_executable(file) < 0) {
      int err = errno;
      if (err == ENOENT) return berr_set(e, err, "exec", "exec: \"%s\": stat %s: %s", file, file, strerror(err));
      return berr_set(e, err, "exec", "exec: \"%s\": %s", file, strerror(err));
    }
    snprintf(out, outsz, "%s", file);
    return 0;
  }
  const char *p = path_env ? path_env : DEFAULT_PATH;
  for (;;) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    if (len == 0) snprintf(out, outsz, "./%s", file);
    else snprintf(out, outsz, "%.*s/%s", (int)len, p, file);
    if (find_executable(out) == 0) return 0;
    if (!colon) break;
    p = colon + 1;
  }
  return berr_set(e, ENOENT, "exec", "exec: \"%s\": executable file not found in $PATH", file);
}

/* Waits for the shim's "go": we are in our cgroups and limited. */
static void wait_go(int sync) {
  char go;
  if (recv(sync, &go, 1, 0) != 1) _exit(1);
}

void init_run(const struct plan *p, const int stdio[3], int sync) {
  struct berr e = {0};
  sigset_t all;

  /* signals: the shim blocks some and ignores SIGPIPE; both survive execve */
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);

  /* stdio; chmod so a non-root user may reopen /proc/self/fd/N (e.g. /dev/stdout) */
  for (int i = 0; i < 3; i++) {
    if (dup2(stdio[i], i) < 0) {
      berr_set(&e, errno, "stdio", "dup2: %s", strerror(errno));
      sync_fail(sync, &e);
    }
    struct stat st;
    if (fstat(i, &st) == 0 && S_ISFIFO(st.st_mode)) fchmod(i, 0666); /* never a device node */
  }
  /* every other inherited fd must not reach the container (CVE-2024-21626) */
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    berr_set(&e, errno, "init", "close_range: %s", strerror(errno));
    sync_fail(sync, &e);
  }
  /* die with the shim while we still run runtime code */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

  /* The shim puts us into our cgroups and applies limits meanwhile (the first cgroup.procs
   * write of a start waits for an RCU grace period, several ms): the mounts below run
   * concurrently. Nothing of the container runs before "go": we wait for it before a private
   * cgroup namespace is made (its root is our cgroup then) or, without one, before the exec
   * steps. The mounts' kernel memory is charged to the daemon's cgroup. */
  int placed = 0;
  if (ns_join(p, ~CLONE_NEWPID, &e) < 0) sync_fail(sync, &e);
  if (p->ns_new & CLONE_NEWCGROUP) {
    wait_go(sync);
    placed = 1;
    if (unshare(CLONE_NEWCGROUP) < 0) {
      berr_set(&e, errno, "namespaces", "unshare cgroup namespace: %s", strerror(errno));
      sync_fail(sync, &e);
    }
  }
  if (setsid() < 0) {
    berr_set(&e, errno, "init", "setsid: %s", strerror(errno));
    sync_fail(sync, &e);
  }
  umask(0);
  if (rootfs_prepare(p, &e) < 0 || rootfs_pivot(p->root, &e) < 0) sync_fail(sync, &e);
  if (p->hostname && ns_set_hostname(p->hostname, &e) < 0) sync_fail(sync, &e);
  /* the console after the plan's mounts (our devpts exists) and before the read-only
   * remounts and masks, as runc does */
  if (p->terminal && tty_setup(p, sync, 1, &e) < 0) sync_fail(sync, &e);
  if (rootfs_finalize(p, &e) < 0) sync_fail(sync, &e);
  if (p->cwd) {
    int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0 || rootfs_mkdir_all(rootfd, p->cwd, 0755, &e) < 0) {
      if (rootfd < 0) berr_set(&e, errno, "cwd", "open /: %s", strerror(errno));
      sync_fail(sync, &e);
    }
    close(rootfd);
  }
  umask(022);
  if (!placed) wait_go(sync);
  init_exec_tail(p, sync);
}

void init_exec_tail(const struct plan *p, int sync) {
  struct berr e = {0};
  if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    berr_set(&e, errno, "no-new-privs", "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
    sync_fail(sync, &e);
  }
  /* without no_new_privs the filter needs CAP_SYS_ADMIN: load it before dropping caps */
  if (p->seccomp && !p->no_new_privs && seccomp_load(p->seccomp, p->seccomp_len, p->seccomp_flags, &e) < 0)
    sync_fail(sync, &e);
  if (caps_apply(p, &e) < 0) sync_fail(sync, &e);

  /* argv[0] is looked up with the container's PATH, inside the container, as the user */
  const char *path_env = NULL;
  for (size_t i = 0; i < p->nenv; i++)
    if (strncmp(p->env[i], "PATH=", 5) == 0) path_env = p->env[i] + 5;
  char exe[4096];
  if (init_lookpath(p->argv[0], path_env, exe, sizeof exe, &e) < 0) sync_fail(sync, &e);

  /* with no_new_privs: as late as possible, so the filter needs to allow little of ours */
  if (p->seccomp && p->no_new_privs && seccomp_load(p->seccomp, p->seccomp_len, p->seccomp_flags, &e) < 0)
    sync_fail(sync, &e);
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  execve(exe, p->argv, p->env ? p->env : (char *[]){NULL});
  berr_set(&e, errno, "exec", "exec %s: %s", exe, strerror(errno));
  sync_fail(sync, &e);
  _exit(1);
}
