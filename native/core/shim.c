/* shim.c - see shim.h. A single-threaded poll loop: signalfd (SIGCHLD, SIGTERM, SIGINT),
 * the container's stdout/stderr pipes or pty master, the stdin writer (when data is queued),
 * the execs' fds (shim_exec.c), the listening socket and its clients. Nothing blocks but an
 * `exec` request (until the process exec'd, <= 10 s): clients get queued, non-blocking
 * output. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup.h"
#include "init.h"
#include "limits.h"
#include "log.h"
#include "ns.h"
#include "shim_int.h"
#include "sync.h"
#include "tty.h"

#define SOCK_NAME "shim.sock"
#define CLIENT_OUT_MAX (4u << 20) /* a client this far behind is dropped */
#define REQUEST_MAX (1u << 20)
#define EARLY_OUT_MAX (1u << 20) /* output kept for the first attach; beyond it is dropped */

static const char *const stream_names[2] = {"stdout", "stderr"};

static void now(struct timespec *ts) { clock_gettime(CLOCK_REALTIME, ts); }

int64_t shim_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- clients ---- */

static void client_drop(struct client *c) {
  close(c->fd);
  buf_free(&c->in);
  buf_free(&c->out);
  memset(c, 0, sizeof *c);
  c->fd = -1;
}

void client_flush(struct client *c) {
  while (c->fd >= 0 && c->out.len > 0) {
    ssize_t w = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) break;
    if (w < 0) {
      client_drop(c);
      return;
    }
    buf_consume(&c->out, (size_t)w);
  }
  if (c->fd >= 0 && c->out.len > CLIENT_OUT_MAX) client_drop(c);
}

int shim_line(struct buf *b, const char *word, int n, const char *const *fields, const size_t *lens) {
  int rc = buf_append(b, word, strlen(word));
  for (int i = 0; i < n && rc == 0; i++)
    rc = buf_putc(b, ' ') || field_append(b, fields[i], lens ? lens[i] : strlen(fields[i]));
  return rc || buf_putc(b, '\n') ? -1 : 0;
}

/* Queue one reply line made of `n` fields (the first is the word, raw; the rest escaped). */
void client_send(struct client *c, const char *word, int n, const char *const *fields, const size_t *lens) {
  if (shim_line(&c->out, word, n, fields, lens) < 0) {
    client_drop(c);
    return;
  }
  client_flush(c);
}

void client_error(struct client *c, int err, const char *msg) {
  char num[16];
  snprintf(num, sizeof num, "%d", err);
  client_send(c, "error", 2, (const char *const[]){num, msg}, NULL);
}

static void exit_fields(struct shim *s, char code[16], char sig[16], char t[48], const char **oom) {
  int c = WIFEXITED(s->status) ? WEXITSTATUS(s->status) : 128 + WTERMSIG(s->status);
  snprintf(code, 16, "%d", c);
  snprintf(sig, 16, "%d", WIFSIGNALED(s->status) ? WTERMSIG(s->status) : 0);
  time_rfc3339nano(&s->exit_time, t, 48);
  *oom = "unknown";
  if (s->p->oom_counter_path && s->oom_before >= 0) {
    int64_t after = cgroup_read_counter(s->p->oom_counter_path, s->p->oom_counter_key);
    if (after >= 0) *oom = after > s->oom_before ? "1" : "0";
  }
}

static void handle_request(struct shim *s, struct client *c, char *line) {
  char *f[4];
  size_t lens[4];
  struct berr e = {0};
  int n = fields_split(line, f, lens, 4, 1, &e);
  if (n < 0) return client_error(c, EINVAL, e.msg);
  if (shim_exec_request(s, c, f, lens, n)) return;
  if (strcmp(f[0], "state") == 0 && n == 1) {
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)s->init);
    if (!s->exited) return client_send(c, "state", 2, (const char *const[]){"running", pid}, NULL);
    char code[16], sig[16], t[48];
    const char *oom;
    exit_fields(s, code, sig, t, &oom);
    return client_send(c, "state", 4, (const char *const[]){"exited", pid, code, sig}, NULL);
  }
  if (strcmp(f[0], "kill") == 0 && n == 2) {
    int64_t sig;
    if (parse_i64(f[1], &sig) < 0 || sig < 0 || sig >= NSIG) return client_error(c, EINVAL, "bad signal");
    if (s->exited) return client_error(c, ESRCH, "container is not running");
    if (kill(s->init, (int)sig) < 0) return client_error(c, errno, strerror(errno));
    return client_send(c, "ok", 0, NULL, NULL);
  }
  if (strcmp(f[0], "attach") == 0 && n == 1) {
    if (c->exec_attached) return client_error(c, EBUSY, "connection is attached to an exec");
    client_send(c, "ok", 0, NULL, NULL);
    /* the first attach also gets what the init wrote before it (the daemon attaches right
     * after the start, so a prompt written at once is not lost) */
    if (c->fd >= 0 && !s->attached_once && s->early.len && buf_append(&c->out, s->early.data, s->early.len) == 0)
      client_flush(c);
    s->attached_once = 1;
    buf_free(&s->early);
    if (c->fd >= 0) c->attached = 1;
    return;
  }
  if (strcmp(f[0], "stdin") == 0 && n == 2) {
    if (s->in.fd < 0 || s->in.closing) return client_error(c, EPIPE, "stdin is closed");
    if (buf_append(&s->in.q, f[1], lens[1]) < 0) return client_error(c, ENOMEM, "out of memory");
    return; /* unacknowledged, so input can stream */
  }
  if (strcmp(f[0], "close-stdin") == 0 && n == 1) {
    s->in.closing = 1;
    return client_send(c, "ok", 0, NULL, NULL);
  }
  if (strcmp(f[0], "resize") == 0 && n == 3) {
    uint64_t rows, cols;
    if (parse_u64(f[1], &rows) < 0 || parse_u64(f[2], &cols) < 0 || rows > 65535 || cols > 65535)
      return client_error(c, EINVAL, "bad size");
    if (s->tty < 0) return client_error(c, ENOTTY, "not a tty");
    if (tty_resize(s->tty, (uint16_t)rows, (uint16_t)cols, &e) < 0) return client_error(c, e.err, e.msg);
    return client_send(c, "ok", 0, NULL, NULL);
  }
  if (strcmp(f[0], "wait") == 0 && n == 1) {
    c->waiting = 1;
    return;
  }
  if (strcmp(f[0], "delete") == 0 && n == 1) {
    if (!s->exited) return client_error(c, EBUSY, "container is running");
    s->drain_until = 0; /* stop draining now */
    return client_send(c, "ok", 0, NULL, NULL);
  }
  client_error(c, EINVAL, "unknown request");
}

static void client_read(struct shim *s, struct client *c) {
  char chunk[4096];
  ssize_t r = recv(c->fd, chunk, sizeof chunk, MSG_DONTWAIT);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0 || buf_append(&c->in, chunk, (size_t)r) < 0) {
    client_drop(c);
    return;
  }
  char *nl;
  while (c->fd >= 0 && (nl = memchr(c->in.data, '\n', c->in.len)) != NULL) {
    size_t len = (size_t)(nl - c->in.data);
    *nl = '\0';
    handle_request(s, c, c->in.data);
    if (c->fd >= 0) buf_consume(&c->in, len + 1);
  }
  if (c->fd >= 0 && c->in.len > REQUEST_MAX) client_drop(c);
}

static void accept_client(struct shim *s) {
  int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (s->clients[i].fd < 0) {
      s->clients[i].fd = fd;
      client_send(&s->clients[i], "berth-shim", 1, (const char *const[]){"1"}, NULL);
      return;
    }
  }
  close(fd);
}

/* ---- container output and exit ---- */

static void read_output(struct shim *s, int i) {
  char chunk[8192];
  struct timespec ts;
  struct berr e;
  ssize_t r = read(s->out[i], chunk, sizeof chunk);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  now(&ts);
  if (r <= 0) {
    if (s->has_log) log_flush(&s->log, &s->lb[i], stream_names[i], &ts, &e);
    close(s->out[i]);
    s->out[i] = -1;
    return;
  }
  /* a log write error (disk full) must not stop the container: the output is still served */
  if (s->has_log) log_feed(&s->log, &s->lb[i], stream_names[i], chunk, (size_t)r, &ts, &e);
  for (int k = 0; k < MAX_CLIENTS; k++)
    if (s->clients[k].fd >= 0 && s->clients[k].attached)
      client_send(&s->clients[k], stream_names[i], 1, (const char *const[]){chunk}, (const size_t[]){(size_t)r});
  if (!s->attached_once && s->early.len < EARLY_OUT_MAX)
    shim_line(&s->early, stream_names[i], 1, (const char *const[]){chunk}, (const size_t[]){(size_t)r});
}

void input_write(struct input *in) {
  while (in->fd >= 0 && in->q.len > 0) {
    ssize_t w = write(in->fd, in->q.data, in->q.len);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w < 0) { /* the process closed its stdin */
      in->q.len = 0;
      in->closing = 1;
      break;
    }
    buf_consume(&in->q, (size_t)w);
  }
  if (in->fd >= 0 && in->closing && in->q.len == 0) {
    close(in->fd);
    in->fd = -1;
  }
}

void input_close(struct input *in) {
  if (in->fd >= 0) close(in->fd);
  in->fd = -1;
  buf_free(&in->q);
}

static void reap(struct shim *s) {
  struct signalfd_siginfo si;
  while (read(s->sigfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo != SIGCHLD && !s->exited) kill(s->init, (int)si.ssi_signo); /* forward TERM/INT */
  }
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) break;
    if (pid == s->init && !s->exited) {
      s->exited = 1;
      s->status = st;
      now(&s->exit_time);
      s->drain_until = shim_mono_ms() + DRAIN_MS;
    } else {
      shim_exec_reaped(s, pid, st);
    }
  }
}

/* Record the exit (atomically, in the bundle, which is our cwd), tell waiters, stop serving. */
static void finish(struct shim *s) {
  char code[16], sig[16], t[48], pid[16];
  const char *oom;
  struct timespec ts;
  struct berr e;
  struct buf rec = {0};
  now(&ts);
  for (int i = 0; i < 2; i++)
    if (s->has_log) log_flush(&s->log, &s->lb[i], stream_names[i], &ts, &e);
  /* no fsync: like Docker's json-file driver (it cost a journal commit on every exit) */
  if (s->has_log) log_close(&s->log);
  shim_exec_finish(s);
  input_close(&s->in);
  if (s->tty >= 0) close(s->tty);
  s->tty = -1;
  exit_fields(s, code, sig, t, &oom);
  snprintf(pid, sizeof pid, "%d", (int)s->init);
  buf_append(&rec, "berth-exit 1\npid ", 17);
  buf_append(&rec, pid, strlen(pid));
  buf_append(&rec, "\ncode ", 6);
  buf_append(&rec, code, strlen(code));
  buf_append(&rec, "\nsignal ", 8);
  buf_append(&rec, sig, strlen(sig));
  buf_append(&rec, "\ntime ", 6);
  buf_append(&rec, t, strlen(t));
  buf_append(&rec, "\noom ", 5);
  buf_append(&rec, oom, strlen(oom));
  buf_putc(&rec, '\n');
  write_file_atomic("exit", rec.data, rec.len, &e); /* cwd is the bundle */
  buf_free(&rec);
  unlink(SOCK_NAME);
  for (int k = 0; k < MAX_CLIENTS; k++) {
    struct client *c = &s->clients[k];
    if (c->fd < 0) continue;
    if (c->waiting || c->attached) {
      client_send(c, "exit", 4, (const char *const[]){code, sig, t, oom}, NULL);
      /* give a slow client a moment to take its last lines */
      for (int tries = 0; c->fd >= 0 && c->out.len > 0 && tries < 100; tries++) {
        struct pollfd pf = {.fd = c->fd, .events = POLLOUT};
        poll(&pf, 1, 10);
        client_flush(c);
      }
    }
    if (c->fd >= 0) client_drop(c);
  }
}

/* ---- start ---- */

static int result_error(int fd, struct buf *warnings, const struct berr *e) {
  struct buf b = {0};
  char status[8], err[16];
  int code = init_exit_status(e);
  snprintf(status, sizeof status, "%d", code);
  snprintf(err, sizeof err, "%d", e->err);
  buf_append(&b, "berth-result 1\n", 15);
  if (warnings->len) buf_append(&b, warnings->data, warnings->len);
  buf_append(&b, "error ", 6);
  field_append_str(&b, status);
  buf_putc(&b, ' ');
  field_append_str(&b, e->step);
  buf_putc(&b, ' ');
  field_append_str(&b, err);
  buf_putc(&b, ' ');
  field_append_str(&b, e->msg);
  buf_putc(&b, '\n');
  write_all(fd, b.data, b.len);
  buf_free(&b);
  close(fd);
  return 0;
}

static int listen_socket(struct berr *e) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  memcpy(sa.sun_path, SOCK_NAME, sizeof SOCK_NAME); /* relative to the bundle: no 108-byte limit */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return berr_set(e, errno, "socket", "socket: %s", strerror(errno));
  unlink(SOCK_NAME);
  mode_t old = umask(077);
  int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
  umask(old);
  if (rc < 0 || listen(fd, 16) < 0) {
    berr_set(e, errno, "socket", "bind %s: %s", SOCK_NAME, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

/* The child runs its mounts while we place it (init.c): when placing it failed because the
 * child failed first and exited, its error, already queued on `sock`, is the one to report. */
static void child_failed_first(int sock, struct berr *e) {
  struct berr child = {0};
  int fd = -1, ev;
  pid_t unused;
  if (fcntl(sock, F_SETFL, O_NONBLOCK) < 0) return;
  while ((ev = sync_recv(sock, &fd, &unused, &child)) == SYNC_TTY) close(fd);
  if (ev == SYNC_ERROR) *e = child;
}

static int start_container(struct shim *s, struct buf *warnings, struct berr *e) {
  const struct plan *p = s->p;
  int outp[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1}, sp[2] = {-1, -1};
  cleanup_fd int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  int rc = -1, master = -1, ev;
  pid_t unused;
  /* with a terminal the child starts on /dev/null and replaces 0/1/2 by the pty slave */
  if (null < 0 || (!p->terminal && (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)) ||
      (!p->terminal && p->stdin_open && pipe2(inp, O_CLOEXEC) < 0) ||
      socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
    berr_set(e, errno, "stdio", "pipes: %s", strerror(errno));
    goto out;
  }
  if (ns_join(p, CLONE_NEWPID, e) < 0) goto out; /* only our children enter it */
  pid_t pid = ns_clone(p->ns_new, e);
  if (pid < 0) goto out;
  if (pid == 0) {
    close(sp[0]);
    init_run(p, (const int[]){inp[0] >= 0 ? inp[0] : null, outp[1] >= 0 ? outp[1] : null, errp[1] >= 0 ? errp[1] : null},
             sp[1]);
  }
  s->init = pid;
  close(sp[1]);
  sp[1] = -1;
  /* the child waits for "go": place it, limit it, then release it */
  if (cgroup_enter(p, pid, e) < 0 || limits_apply(p, pid, warnings, e) < 0 || send(sp[0], "g", 1, MSG_NOSIGNAL) != 1) {
    if (e->msg[0] == '\0') berr_set(e, errno, "sync", "release child: %s", strerror(errno));
    child_failed_first(sp[0], e);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    goto out;
  }
  /* the pty master may come first; EOF means execve succeeded (the socket was CLOEXEC) */
  while ((ev = sync_recv(sp[0], &master, &unused, e)) == SYNC_TTY) {
    if (s->tty >= 0) close(s->tty);
    s->tty = master;
  }
  if (ev != SYNC_EOF) {
    if (ev == SYNC_PID) berr_set(e, EPROTO, "sync", "bad message from container init");
    waitpid(pid, NULL, 0);
    goto out;
  }
  if (p->terminal) {
    if (s->tty < 0) {
      berr_set(e, EPROTO, "console", "container init sent no pty");
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      goto out;
    }
    /* one master: read through one dup, write stdin through another (close-stdin closes
     * only that one), resize on the original; O_NONBLOCK is shared by all three */
    fcntl(s->tty, F_SETFL, O_NONBLOCK);
    s->out[0] = fcntl(s->tty, F_DUPFD_CLOEXEC, 3);
    if (p->stdin_open) s->in.fd = fcntl(s->tty, F_DUPFD_CLOEXEC, 3);
  } else {
    s->out[0] = outp[0];
    s->out[1] = errp[0];
    outp[0] = errp[0] = -1;
    if (p->stdin_open) {
      s->in.fd = inp[1];
      inp[1] = -1;
      fcntl(s->in.fd, F_SETFL, O_NONBLOCK);
    }
  }
  rc = 0;
out:
  if (rc < 0 && s->tty >= 0) {
    close(s->tty);
    s->tty = -1;
  }
  for (int i = 0; i < 2; i++) {
    if (outp[i] >= 0) close(outp[i]);
    if (errp[i] >= 0) close(errp[i]);
    if (inp[i] >= 0) close(inp[i]);
    if (sp[i] >= 0) close(sp[i]);
  }
  return rc;
}

int shim_run(const struct plan *p, const char *bundle, int result_fd) {
  static struct shim s; /* zeroed; static keeps it off the (small) stack */
  struct buf warnings = {0};
  struct berr e = {0};
  sigset_t mask;

  s.p = p;
  s.in.fd = s.lfd = s.sigfd = s.tty = -1;
  s.out[0] = s.out[1] = -1;
  for (int i = 0; i < MAX_CLIENTS; i++) s.clients[i].fd = -1;
  for (int i = 0; i < MAX_EXECS; i++) s.execs[i].out[0] = s.execs[i].out[1] = s.execs[i].tty = s.execs[i].in.fd = -1;

  signal(SIGPIPE, SIG_IGN);
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  /* orphans of the container (host pid ns, or an exec's intermediate) get reparented to us */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  if (chdir(bundle) < 0) {
    berr_set(&e, errno, "shim", "chdir %s: %s", bundle, strerror(errno));
    return result_error(result_fd, &warnings, &e);
  }
  if ((s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
    berr_set(&e, errno, "shim", "signalfd: %s", strerror(errno));
    return result_error(result_fd, &warnings, &e);
  }
  if (p->log_path) {
    if (log_open(&s.log, p->log_path, p->log_max_size, p->log_max_file, &e) < 0)
      return result_error(result_fd, &warnings, &e);
    s.has_log = 1;
  }
  if ((s.lfd = listen_socket(&e)) < 0) return result_error(result_fd, &warnings, &e);
  s.oom_before = p->oom_counter_path ? cgroup_read_counter(p->oom_counter_path, p->oom_counter_key) : -1;
  if (start_container(&s, &warnings, &e) < 0) {
    unlink(SOCK_NAME);
    return result_error(result_fd, &warnings, &e);
  }
  {
    struct buf b = {0};
    char line[64];
    snprintf(line, sizeof line, "started %d %d\n", (int)s.init, (int)getpid());
    buf_append(&b, "berth-result 1\n", 15);
    if (warnings.len) buf_append(&b, warnings.data, warnings.len);
    buf_append(&b, line, strlen(line));
    write_all(result_fd, b.data, b.len);
    buf_free(&b);
    buf_free(&warnings);
    close(result_fd);
  }
  for (;;) {
    struct pollfd pf[5 + 3 * MAX_EXECS + MAX_CLIENTS];
    struct poll_tag tag[5 + 3 * MAX_EXECS + MAX_CLIENTS];
    int n = 0, timeout = -1;
    int64_t exec_deadline = shim_exec_tick(&s), t = shim_mono_ms();
    if (s.exited) {
      /* done when the output is drained (or the drain time is over) and every exec is
       * finished (they die with the init's pid namespace; bounded by the same time) */
      int drained = s.out[0] < 0 && s.out[1] < 0;
      if ((drained && shim_exec_idle(&s)) || s.drain_until <= t) break;
      timeout = (int)(s.drain_until - t);
    }
    if (exec_deadline >= 0 && (timeout < 0 || exec_deadline - t < timeout))
      timeout = exec_deadline > t ? (int)(exec_deadline - t) : 0;
#define ADD(f, ev, k, i, st) (pf[n] = (struct pollfd){.fd = (f), .events = (ev)}, tag[n++] = (struct poll_tag){(k), (i), (st)})
    ADD(s.sigfd, POLLIN, PK_SIGNAL, 0, 0);
    ADD(s.lfd, POLLIN, PK_LISTEN, 0, 0);
    for (int i = 0; i < 2; i++)
      if (s.out[i] >= 0) ADD(s.out[i], POLLIN, PK_OUT, 0, i);
    if (s.in.fd >= 0 && s.in.q.len > 0) ADD(s.in.fd, POLLOUT, PK_IN, 0, 0);
    n = shim_exec_poll(&s, pf, tag, n);
    for (int i = 0; i < MAX_CLIENTS; i++)
      if (s.clients[i].fd >= 0) ADD(s.clients[i].fd, POLLIN | (s.clients[i].out.len ? POLLOUT : 0), PK_CLIENT, i, 0);
#undef ADD
    if (poll(pf, (nfds_t)n, timeout) < 0 && errno != EINTR) break;
    for (int k = 0; k < n; k++) {
      if (!pf[k].revents) continue;
      struct poll_tag *g = &tag[k];
      switch (g->kind) {
      case PK_SIGNAL: reap(&s); break;
      case PK_LISTEN: accept_client(&s); break;
      case PK_OUT: read_output(&s, g->stream); break;
      case PK_IN: input_write(&s.in); break;
      case PK_EXEC_OUT: shim_exec_output(&s, g->idx, g->stream); break;
      case PK_EXEC_IN: input_write(&s.execs[g->idx].in); break;
      case PK_CLIENT: {
        struct client *c = &s.clients[g->idx];
        /* the slot may have been dropped and reused by accept_client in this round */
        if (c->fd != pf[k].fd) break;
        if (pf[k].revents & POLLOUT) client_flush(c);
        if (c->fd >= 0 && pf[k].revents & (POLLIN | POLLHUP | POLLERR)) client_read(&s, c);
        break;
      }
      }
    }
    input_write(&s.in);
    for (int i = 0; i < MAX_EXECS; i++) input_write(&s.execs[i].in);
  }
  finish(&s);
  return 0;
}
