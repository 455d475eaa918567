/* pid1.h - a minimal init for `docker run --init` (runtime-internals §3.4): berth-core
 * entered as `docker-init` (argv[0]'s basename; the daemon bind-mounts the static binary
 * read-only at /sbin/docker-init) or as `berth-core init -- cmd...`. Behaves as tini does
 * by default; written from its documented behaviour. */
#ifndef BERTH_PID1_H
#define BERTH_PID1_H

#include "util.h"

/* Fork `argv` (looked up in PATH) in its own process group (the terminal's foreground group
 * when stdin is a tty), forward every signal we receive except SIGCHLD to it, reap every
 * child (as PID 1, or as a child subreaper when not PID 1), and return the command's exit
 * code (128+signal when killed) once it has been reaped. Synchronous signals (SEGV, BUS,
 * FPE, ILL, ABRT, TRAP, SYS) stay default; TTIN/TTOU are ignored. Returns -1 with `e` (step
 * "exec") when the command cannot be executed; init_exit_status maps it to 127/126. */
int pid1_run(char *const argv[], struct berr *e);

#endif
