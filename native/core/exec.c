/* exec.c - see exec.h. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "init.h"
#include "limits.h"
#include "ns.h"
#include "sync.h"
#include "tty.h"

#define SPAWN_TIMEOUT_S 10

/* The intermediate child: stdio, namespaces, then fork the process (the pid namespace we
 * joined applies only to our children) and report its pid. Runs in a fork of the shim. */
static void exec_child(const struct plan *p, pid_t init, const int stdio[3], int sync) __attribute__((noreturn));
static void exec_child(const struct plan *p, pid_t init, const int stdio[3], int sync) {
  struct berr e = {0};
  sigset_t none;
  char path[64], go;

  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  for (int i = 0; i < 3; i++) {
    struct stat st;
    if (dup2(stdio[i], i) < 0) {
      berr_set(&e, errno, "stdio", "dup2: %s", strerror(errno));
      sync_fail(sync, &e);
    }
    if (fstat(i, &st) == 0 && S_ISFIFO(st.st_mode)) fchmod(i, 0666);
  }
  /* keep 0-2 and the sync socket (as fd 3); close the shim's clients, pipes and sockets */
  if (dup2(sync, 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0 || syscall(SYS_close_range, 4U, ~0U, 0U) < 0) _exit(1);
  sync = 3;

  /* the init's root, opened before joining its mount namespace (our /proc is the host's) */
  snprintf(path, sizeof path, "/proc/%d/root", (int)init);
  int rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    berr_set(&e, errno, "join", "open %s: %s", path, strerror(errno));
    sync_fail(sync, &e);
  }
  if (ns_join(p, ~0, &e) < 0) sync_fail(sync, &e);
  pid_t pid = fork();
  if (pid < 0) {
    berr_set(&e, errno, "join", "fork: %s", strerror(errno));
    sync_fail(sync, &e);
  }
  if (pid > 0) _exit(sync_send_pid(sync, pid, &e) < 0 ? 1 : 0); /* the process is reparented to the shim */

  /* the process: wait until the shim placed it in the cgroups and applied the limits */
  if (recv(sync, &go, 1, 0) != 1) _exit(1);
  if (setsid() < 0) {
    berr_set(&e, errno, "init", "setsid: %s", strerror(errno));
    sync_fail(sync, &e);
  }
  /* setns(mnt) gave us the namespace's root; use exactly the init's (runc's setns exec) */
  if (fchdir(rootfd) < 0 || chroot(".") < 0) {
    berr_set(&e, errno, "rootfs", "enter the container's root: %s", strerror(errno));
    sync_fail(sync, &e);
  }
  close(rootfd);
  if (p->terminal && tty_setup(p, sync, 0, &e) < 0) sync_fail(sync, &e);
  umask(022);
  init_exec_tail(p, sync);
}

static void close_pair(int fd[2]) {
  for (int i = 0; i < 2; i++)
    if (fd[i] >= 0) close(fd[i]);
  fd[0] = fd[1] = -1;
}

pid_t exec_spawn(const struct plan *p, pid_t init, struct exec_io *io, struct buf *warnings, struct berr *e) {
  int outp[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1}, sp[2] = {-1, -1};
  cleanup_fd int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t pid = -1, mid;
  int fd = -1, rc;
  struct timeval tv = {.tv_sec = SPAWN_TIMEOUT_S};

  io->in = io->out = io->err = io->tty = -1;
  if (null < 0 || (!p->terminal && (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
                                    (p->stdin_open && pipe2(inp, O_CLOEXEC) < 0))) ||
      socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0 ||
      setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
    berr_set(e, errno, "stdio", "pipes: %s", strerror(errno));
    goto fail;
  }
  int stdio[3] = {inp[0] >= 0 ? inp[0] : null, outp[1] >= 0 ? outp[1] : null, errp[1] >= 0 ? errp[1] : null};
  if ((mid = fork()) < 0) {
    berr_set(e, errno, "shim", "fork: %s", strerror(errno));
    goto fail;
  }
  if (mid == 0) {
    close(sp[0]);
    exec_child(p, init, stdio, sp[1]);
  }
  close(sp[1]);
  sp[1] = -1;
  rc = sync_recv(sp[0], &fd, &pid, e);
  waitpid(mid, NULL, 0);
  if (rc != SYNC_PID) {
    if (rc == SYNC_EOF) berr_set(e, EPROTO, "sync", "the exec's intermediate process exited");
    pid = -1;
    goto fail;
  }
  if (cgroup_enter(p, pid, e) < 0 || limits_apply(p, pid, warnings, e) < 0) goto fail;
  if (send(sp[0], "g", 1, MSG_NOSIGNAL) != 1) {
    berr_set(e, errno, "sync", "release the exec process: %s", strerror(errno));
    goto fail;
  }
  while ((rc = sync_recv(sp[0], &fd, &pid, e)) == SYNC_TTY) {
    if (io->tty >= 0) close(io->tty);
    io->tty = fd;
  }
  if (rc != SYNC_EOF) {
    if (rc == SYNC_PID) berr_set(e, EPROTO, "sync", "unexpected message from the exec process");
    goto fail;
  }
  io->out = outp[0];
  io->err = errp[0];
  io->in = inp[1];
  outp[0] = errp[0] = inp[1] = -1;
  close_pair(outp);
  close_pair(errp);
  close_pair(inp);
  close_pair(sp);
  return pid;
fail:
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  if (io->tty >= 0) close(io->tty);
  io->tty = -1;
  close_pair(outp);
  close_pair(errp);
  close_pair(inp);
  close_pair(sp);
  return -1;
}
