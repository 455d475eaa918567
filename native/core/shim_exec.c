/* shim_exec.c - the shim's exec processes (0002 §9): the `exec` request starts one with
 * exec_spawn; its output goes to attach-exec clients only (never to the container's log),
 * buffered until the first attach-exec so that nothing is lost between exec-started and
 * the attach; its exit is kept for wait-exec until the slot is needed again or the shim
 * exits. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "exec.h"
#include "init.h"
#include "shim_int.h"
#include "tty.h"

#define EARLY_MAX (1u << 20) /* output kept for a late attach-exec; beyond it is dropped */

static const char *const stream_names[2] = {"stdout", "stderr"};

static int valid_id(const char *id, size_t len) {
  if (len == 0 || len > EXEC_ID_MAX) return 0;
  for (size_t i = 0; i < len; i++) {
    char ch = id[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
          ch == '.' || ch == '-'))
      return 0;
  }
  return 1;
}

static struct exec_proc *find(struct shim *s, const char *id) {
  for (int i = 0; i < MAX_EXECS; i++)
    if (s->execs[i].id[0] && strcmp(s->execs[i].id, id) == 0) return &s->execs[i];
  return NULL;
}

static void slot_free(struct exec_proc *x) {
  buf_free(&x->early);
  input_close(&x->in);
  memset(x, 0, sizeof *x);
  x->out[0] = x->out[1] = x->tty = x->in.fd = -1;
}

/* A free slot, or the slot of a finished exec whose exit a wait-exec has already taken. */
static struct exec_proc *new_slot(struct shim *s) {
  for (int i = 0; i < MAX_EXECS; i++)
    if (!s->execs[i].id[0]) return &s->execs[i];
  for (int i = 0; i < MAX_EXECS; i++)
    if (s->execs[i].done && s->execs[i].collected) {
      slot_free(&s->execs[i]);
      return &s->execs[i];
    }
  return NULL;
}

static void exit_fields(const struct exec_proc *x, char code[16], char sig[16]) {
  int st = x->status;
  if (st == -1) { /* never reaped (the shim is leaving): unknown, as containerd reports it */
    snprintf(code, 16, "255");
    snprintf(sig, 16, "0");
    return;
  }
  snprintf(code, 16, "%d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  snprintf(sig, 16, "%d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void send_exit(struct client *c, const struct exec_proc *x) {
  char code[16], sig[16];
  exit_fields(x, code, sig);
  client_send(c, "exec-exit", 3, (const char *const[]){x->id, code, sig}, NULL);
}

/* The exec exited and its output is drained: close everything, tell its clients. */
static void complete(struct shim *s, int slot) {
  struct exec_proc *x = &s->execs[slot];
  for (int i = 0; i < 2; i++)
    if (x->out[i] >= 0) close(x->out[i]);
  x->out[0] = x->out[1] = -1;
  input_close(&x->in);
  if (x->tty >= 0) close(x->tty);
  x->tty = -1;
  x->done = 1;
  for (int k = 0; k < MAX_CLIENTS; k++) {
    struct client *c = &s->clients[k];
    if (c->fd < 0 || (c->exec_attached != slot + 1 && c->exec_waiting != slot + 1)) continue;
    if (c->exec_waiting == slot + 1) x->collected = 1;
    c->exec_attached = c->exec_waiting = 0;
    send_exit(c, x);
  }
}

static void reply_error(struct client *c, const char *id, const struct berr *e) {
  char status[8], err[16];
  snprintf(status, sizeof status, "%d", init_exit_status(e));
  snprintf(err, sizeof err, "%d", e->err);
  client_send(c, "exec-error", 5, (const char *const[]){id, status, e->step, err, e->msg}, NULL);
}

static void start(struct shim *s, struct client *c, const char *id, const char *plan_path) {
  struct plan p;
  struct berr e = {0};
  struct buf warnings = {0};
  struct exec_io io;
  struct exec_proc *x;
  if (s->exited) return client_error(c, ESRCH, "container is not running");
  if (find(s, id)) return client_error(c, EEXIST, "exec id in use");
  if ((x = new_slot(s)) == NULL) return client_error(c, EBUSY, "too many execs");
  if (plan_load_kind(plan_path, PLAN_EXEC, &p, &e) < 0) {
    plan_free(&p);
    snprintf(e.step, sizeof e.step, "plan");
    return reply_error(c, id, &e);
  }
  pid_t pid = exec_spawn(&p, s->init, &io, &warnings, &e);
  int stdin_open = p.stdin_open;
  plan_free(&p);
  /* warnings are lines of the result grammar: "warning <escaped message>\n" */
  if (warnings.len && buf_append(&c->out, warnings.data, warnings.len) == 0) client_flush(c);
  buf_free(&warnings);
  if (c->fd < 0) return;
  if (pid < 0) return reply_error(c, id, &e);
  slot_free(x);
  snprintf(x->id, sizeof x->id, "%s", id);
  x->pid = pid;
  x->status = -1;
  if (io.tty >= 0) {
    x->tty = io.tty;
    fcntl(x->tty, F_SETFL, O_NONBLOCK);
    x->out[0] = fcntl(x->tty, F_DUPFD_CLOEXEC, 3);
    if (stdin_open) x->in.fd = fcntl(x->tty, F_DUPFD_CLOEXEC, 3);
  } else {
    x->out[0] = io.out;
    x->out[1] = io.err;
    x->in.fd = io.in;
    for (int i = 0; i < 2; i++)
      if (x->out[i] >= 0) fcntl(x->out[i], F_SETFL, O_NONBLOCK);
    if (x->in.fd >= 0) fcntl(x->in.fd, F_SETFL, O_NONBLOCK);
  }
  char num[16];
  snprintf(num, sizeof num, "%d", (int)pid);
  client_send(c, "exec-started", 2, (const char *const[]){id, num}, NULL);
}

int shim_exec_request(struct shim *s, struct client *c, char **f, const size_t *lens, int n) {
  const char *w = f[0];
  int is_exec = strcmp(w, "exec") == 0, is_attach = strcmp(w, "attach-exec") == 0,
      is_wait = strcmp(w, "wait-exec") == 0, is_stdin = strcmp(w, "stdin-exec") == 0,
      is_close = strcmp(w, "close-stdin-exec") == 0, is_resize = strcmp(w, "resize-exec") == 0;
  if (!(is_exec || is_attach || is_wait || is_stdin || is_close || is_resize)) return 0;
  int want = is_exec || is_stdin ? 3 : is_resize ? 4 : 2;
  if (n != want) {
    client_error(c, EINVAL, "unknown request");
    return 1;
  }
  if (!valid_id(f[1], lens[1])) {
    client_error(c, EINVAL, "bad exec id");
    return 1;
  }
  if (is_exec) {
    if (memchr(f[2], '\0', lens[2]) || lens[2] == 0) client_error(c, EINVAL, "bad plan path");
    else start(s, c, f[1], f[2]);
    return 1;
  }
  struct exec_proc *x = find(s, f[1]);
  if (x == NULL) {
    client_error(c, ENOENT, "no such exec");
    return 1;
  }
  int slot = (int)(x - s->execs);
  if (is_attach) {
    if (c->attached || c->exec_attached) {
      client_error(c, EBUSY, "connection is already attached");
      return 1;
    }
    client_send(c, "ok", 0, NULL, NULL);
    if (c->fd >= 0 && !x->attached_once && x->early.len && buf_append(&c->out, x->early.data, x->early.len) == 0)
      client_flush(c);
    x->attached_once = 1;
    buf_free(&x->early);
    if (c->fd < 0) return 1;
    if (x->done) send_exit(c, x);
    else c->exec_attached = slot + 1;
  } else if (is_wait) {
    if (x->done) {
      x->collected = 1;
      send_exit(c, x);
    } else {
      c->exec_waiting = slot + 1;
    }
  } else if (is_stdin) {
    if (x->in.fd < 0 || x->in.closing) client_error(c, EPIPE, "stdin is closed");
    else if (buf_append(&x->in.q, f[2], lens[2]) < 0) client_error(c, ENOMEM, "out of memory");
  } else if (is_close) {
    x->in.closing = 1;
    client_send(c, "ok", 0, NULL, NULL);
  } else { /* resize-exec */
    uint64_t rows, cols;
    struct berr e = {0};
    if (parse_u64(f[2], &rows) < 0 || parse_u64(f[3], &cols) < 0 || rows > 65535 || cols > 65535)
      client_error(c, EINVAL, "bad size");
    else if (x->tty < 0) client_error(c, ENOTTY, "not a tty");
    else if (tty_resize(x->tty, (uint16_t)rows, (uint16_t)cols, &e) < 0) client_error(c, e.err, e.msg);
    else client_send(c, "ok", 0, NULL, NULL);
  }
  return 1;
}

int shim_exec_poll(struct shim *s, struct pollfd *pf, struct poll_tag *tag, int n) {
  for (int i = 0; i < MAX_EXECS; i++) {
    struct exec_proc *x = &s->execs[i];
    if (!x->id[0] || x->done) continue;
    for (int k = 0; k < 2; k++)
      if (x->out[k] >= 0) {
        pf[n] = (struct pollfd){.fd = x->out[k], .events = POLLIN};
        tag[n++] = (struct poll_tag){PK_EXEC_OUT, i, k};
      }
    if (x->in.fd >= 0 && x->in.q.len > 0) {
      pf[n] = (struct pollfd){.fd = x->in.fd, .events = POLLOUT};
      tag[n++] = (struct poll_tag){PK_EXEC_IN, i, 0};
    }
  }
  return n;
}

void shim_exec_output(struct shim *s, int slot, int stream) {
  struct exec_proc *x = &s->execs[slot];
  char chunk[8192];
  if (x->out[stream] < 0) return;
  ssize_t r = read(x->out[stream], chunk, sizeof chunk);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) { /* EOF, or EIO from a pty master whose slave side is gone */
    close(x->out[stream]);
    x->out[stream] = -1;
    return;
  }
  const char *const fields[1] = {chunk};
  const size_t lens[1] = {(size_t)r};
  int sent = 0;
  for (int k = 0; k < MAX_CLIENTS; k++) {
    struct client *c = &s->clients[k];
    if (c->fd >= 0 && c->exec_attached == slot + 1) {
      client_send(c, stream_names[stream], 1, fields, lens);
      sent = 1;
    }
  }
  if (!sent && !x->attached_once && x->early.len < EARLY_MAX)
    shim_line(&x->early, stream_names[stream], 1, fields, lens);
}

int shim_exec_reaped(struct shim *s, pid_t pid, int status) {
  for (int i = 0; i < MAX_EXECS; i++) {
    struct exec_proc *x = &s->execs[i];
    if (x->id[0] && !x->exited && x->pid == pid) {
      x->exited = 1;
      x->status = status;
      x->drain_until = shim_mono_ms() + DRAIN_MS;
      return 1;
    }
  }
  return 0;
}

int64_t shim_exec_tick(struct shim *s) {
  int64_t t = shim_mono_ms(), next = -1;
  for (int i = 0; i < MAX_EXECS; i++) {
    struct exec_proc *x = &s->execs[i];
    if (!x->id[0] || x->done || !x->exited) continue;
    if ((x->out[0] < 0 && x->out[1] < 0) || x->drain_until <= t) complete(s, i);
    else if (next < 0 || x->drain_until < next) next = x->drain_until;
  }
  return next;
}

int shim_exec_idle(const struct shim *s) {
  for (int i = 0; i < MAX_EXECS; i++)
    if (s->execs[i].id[0] && !s->execs[i].done) return 0;
  return 1;
}

void shim_exec_finish(struct shim *s) {
  for (int i = 0; i < MAX_EXECS; i++) {
    struct exec_proc *x = &s->execs[i];
    int st;
    if (!x->id[0] || x->done) continue;
    if (!x->exited && waitpid(x->pid, &st, WNOHANG) == x->pid) {
      x->exited = 1;
      x->status = st;
    }
    complete(s, i);
  }
}
