/* sync.h - the SOCK_SEQPACKET pair between a starting process (container init or exec) and
 * the shim. Parent -> child: one "go" byte once cgroups and limits are applied. Child ->
 * parent, datagrams told apart by size and tag:
 *   struct init_msg (sizeof)     the start failed (errno, step, message); the child exits
 *   "T" + SCM_RIGHTS fd          the pty master (terminal plans)
 *   "P" + int32 pid              exec only: the host pid of the process that will exec
 * EOF (the pair is CLOEXEC) means execve succeeded. */
#ifndef BERTH_SYNC_H
#define BERTH_SYNC_H

#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct init_msg {
  int32_t err;
  char step[32];
  char msg[480];
};

enum sync_event { SYNC_EOF, SYNC_ERROR, SYNC_TTY, SYNC_PID };

/* Child side. sync_fail reports `e` and exits 1 (never returns). */
void sync_fail(int sock, const struct berr *e) __attribute__((noreturn));
int sync_send_fd(int sock, int fd, struct berr *e);
int sync_send_pid(int sock, pid_t pid, struct berr *e);

/* Parent side: receive one event. SYNC_ERROR fills `e` from the child's message; SYNC_TTY
 * stores the received fd (CLOEXEC) in *fd; SYNC_PID stores *pid. Returns -1 with `e` set
 * (step "sync") on a read error, a timeout (SO_RCVTIMEO) or a malformed datagram. */
int sync_recv(int sock, int *fd, pid_t *pid, struct berr *e);

#endif
