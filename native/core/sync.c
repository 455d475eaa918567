/* sync.c - see sync.h. */
#include "sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void sync_fail(int sock, const struct berr *e) {
  struct init_msg m;
  memset(&m, 0, sizeof m);
  m.err = e->err;
  snprintf(m.step, sizeof m.step, "%s", e->step);
  snprintf(m.msg, sizeof m.msg, "%s", e->msg);
  (void)!send(sock, &m, sizeof m, MSG_NOSIGNAL);
  _exit(1);
}

int sync_send_fd(int sock, int fd, struct berr *e) {
  char tag = 'T';
  union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int))]; } ctl;
  struct iovec iov = {.iov_base = &tag, .iov_len = 1};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space, .msg_controllen = sizeof ctl.space};
  memset(&ctl, 0, sizeof ctl);
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(sock, &mh, MSG_NOSIGNAL) != 1) return berr_set(e, errno, "console", "send pty master: %s", strerror(errno));
  return 0;
}

int sync_send_pid(int sock, pid_t pid, struct berr *e) {
  char m[8] = {'P'};
  int32_t v = (int32_t)pid;
  memcpy(m + 4, &v, sizeof v);
  if (send(sock, m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m)
    return berr_set(e, errno, "sync", "send pid: %s", strerror(errno));
  return 0;
}

int sync_recv(int sock, int *fd, pid_t *pid, struct berr *e) {
  struct init_msg m;
  union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int))]; } ctl;
  struct iovec iov = {.iov_base = &m, .iov_len = sizeof m};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space, .msg_controllen = sizeof ctl.space};
  ssize_t n;
  do n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return berr_set(e, errno, "sync", "wait for the child: %s", strerror(errno == EAGAIN ? ETIMEDOUT : errno));
  if (n == 0) return SYNC_EOF;
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  int got = -1;
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
    memcpy(&got, CMSG_DATA(c), sizeof got);
  const char *raw = (const char *)&m;
  if (n == 1 && raw[0] == 'T' && got >= 0) {
    *fd = got;
    return SYNC_TTY;
  }
  if (got >= 0) close(got);
  if (n == 8 && raw[0] == 'P') {
    int32_t v;
    memcpy(&v, raw + 4, sizeof v);
    *pid = (pid_t)v;
    return SYNC_PID;
  }
  if (n == (ssize_t)sizeof m) {
    m.step[sizeof m.step - 1] = m.msg[sizeof m.msg - 1] = '\0';
    berr_set(e, m.err, m.step, "%s", m.msg);
    return SYNC_ERROR;
  }
  return berr_set(e, EPROTO, "sync", "bad message from the child");
}
