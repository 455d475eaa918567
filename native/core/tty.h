/* tty.h - pseudo-terminals for `terminal` plans (runtime-internals §1.6): the pty is
 * allocated from the container's own devpts instance, so the slave is a /dev/pts/N of the
 * container and no host terminal ever reaches it; the master goes to the shim. */
#ifndef BERTH_TTY_H
#define BERTH_TTY_H

#include <stdint.h>

#include "plan.h"

/* Open a pty from /dev/pts/ptmx (verified to be a devpts ptmx, 5:2), set the plan's
 * console-size, make the slave our controlling terminal and fds 0/1/2 (owned by the plan's
 * uid, as runc does for stdio), optionally bind it onto /dev/console, and send the master
 * to the shim over `sync` (sync.h). Preconditions: the container's root is our root (after
 * pivot_root, or chroot for exec) with its devpts on /dev/pts; we are a session leader
 * without a controlling terminal (setsid); still uid 0. */
int tty_setup(const struct plan *p, int sync, int bind_console, struct berr *e);

/* TIOCSWINSZ on a pty master (the kernel sends SIGWINCH to the foreground group). */
int tty_resize(int master, uint16_t rows, uint16_t cols, struct berr *e);

#endif
