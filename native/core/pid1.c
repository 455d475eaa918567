/* pid1.c - see pid1.h. */
#include "pid1.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const int sync_signals[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS};

int pid1_run(char *const argv[], struct berr *e) {
  sigset_t all, old;
  struct sigaction ign = {.sa_handler = SIG_IGN}, old_ttin, old_ttou;
  int ep[2], err, st, code = -1;

  /* blocked (not ignored) signals are queued even for a namespace's PID 1 without
   * handlers; we take them with sigwaitinfo */
  sigfillset(&all);
  for (size_t i = 0; i < sizeof sync_signals / sizeof sync_signals[0]; i++) sigdelset(&all, sync_signals[i]);
  sigprocmask(SIG_SETMASK, &all, &old);
  sigaction(SIGTTIN, &ign, &old_ttin);
  sigaction(SIGTTOU, &ign, &old_ttou);
  if (getpid() != 1) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  if (pipe2(ep, O_CLOEXEC) < 0) return berr_set(e, errno, "init", "pipe: %s", strerror(errno));
  pid_t child = fork();
  if (child < 0) return berr_set(e, errno, "init", "fork: %s", strerror(errno));
  if (child == 0) {
    close(ep[0]);
    setpgid(0, 0);
    if (isatty(0)) (void)tcsetpgrp(0, getpid()); /* ENOTTY/ENXIO: no controlling tty, fine */
    sigaction(SIGTTIN, &old_ttin, NULL);
    sigaction(SIGTTOU, &old_ttou, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    execvp(argv[0], argv);
    err = errno;
    (void)!write(ep[1], &err, sizeof err);
    _exit(err == ENOENT ? 127 : 126);
  }
  close(ep[1]);
  ssize_t r;
  do r = read(ep[0], &err, sizeof err);
  while (r < 0 && errno == EINTR);
  close(ep[0]);
  if (r == (ssize_t)sizeof err) {
    waitpid(child, NULL, 0);
    return berr_set(e, err, "exec", "exec %s: %s", argv[0], strerror(err));
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) {
      if (errno == EINTR) continue;
      return berr_set(e, errno, "init", "sigwaitinfo: %s", strerror(errno));
    }
    if (sig != SIGCHLD) kill(child, sig); /* ESRCH: it is exiting, the reap below sees it */
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
      if (pid == child) code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (code >= 0) return code;
  }
}
