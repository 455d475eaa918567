/* shim_int.h - state shared by the shim's files: shim.c (poll loop, the container init,
 * its requests) and shim_exec.c (exec processes and their requests). Not a public API. */
#ifndef BERTH_SHIM_INT_H
#define BERTH_SHIM_INT_H

#include <poll.h>
#include <time.h>

#include "log.h"
#include "plan.h"

#define MAX_CLIENTS 32
#define MAX_EXECS 32
#define EXEC_ID_MAX 64
#define DRAIN_MS 2000 /* after a process exits, wait this long for its output's EOF */

struct client {
  int fd;
  struct buf in, out;
  int attached, waiting;           /* to the container */
  int exec_attached, exec_waiting; /* to an exec: its slot + 1, or 0 */
};

/* A stdin writer: bytes queued until the pipe (or pty) takes them. */
struct input {
  int fd;      /* -1 when closed or never opened */
  int closing; /* close once the queue is empty */
  struct buf q;
};

struct exec_proc {
  char id[EXEC_ID_MAX + 1]; /* "" = free slot */
  pid_t pid;
  int out[2];               /* stdout, stderr read ends (tty: a dup of the master on 0) */
  struct input in;
  int tty;                  /* pty master or -1 */
  struct buf early;         /* reply lines produced before the first attach-exec */
  int attached_once;
  int exited, status;       /* status: waitpid's, or -1 if never reaped */
  int done;                 /* exec-exit sent, fds closed */
  int collected;            /* a wait-exec got the exit: the slot may be reused */
  int64_t drain_until;      /* monotonic ms */
};

struct shim {
  const struct plan *p;
  pid_t init;
  int sigfd, lfd;
  int out[2];               /* stdout, stderr read ends; -1 at EOF (tty: master dup on 0) */
  struct input in;
  int tty;                  /* the init's pty master or -1 */
  struct jlog log;
  int has_log;
  struct linebuf lb[2];
  int exited, status;
  struct timespec exit_time;
  int64_t drain_until;      /* monotonic ms */
  int64_t oom_before;
  struct client clients[MAX_CLIENTS];
  struct exec_proc execs[MAX_EXECS];
  struct buf early;         /* the init's reply lines produced before the first attach */
  int attached_once;
};

/* What a pollfd stands for. */
enum poll_kind { PK_SIGNAL, PK_LISTEN, PK_OUT, PK_IN, PK_EXEC_OUT, PK_EXEC_IN, PK_CLIENT };
struct poll_tag {
  int kind, idx, stream;
};

/* shim.c */
int64_t shim_mono_ms(void);
/* Append the reply line `word field...` (fields escaped; lens NULL = strlen) to b. */
int shim_line(struct buf *b, const char *word, int n, const char *const *fields, const size_t *lens);
void client_send(struct client *c, const char *word, int n, const char *const *fields, const size_t *lens);
void client_flush(struct client *c);
void client_error(struct client *c, int err, const char *msg);
void input_write(struct input *in);
void input_close(struct input *in);

/* shim_exec.c */
/* Handle an exec request (exec, attach-exec, wait-exec, stdin-exec, close-stdin-exec,
 * resize-exec); returns 0 when f[0] is none of them. */
int shim_exec_request(struct shim *s, struct client *c, char **f, const size_t *lens, int n);
/* Add the execs' fds to the poll set; returns the new count. */
int shim_exec_poll(struct shim *s, struct pollfd *pf, struct poll_tag *tag, int n);
void shim_exec_output(struct shim *s, int slot, int stream);
/* A reaped child that is not the init: returns 1 if it was an exec. */
int shim_exec_reaped(struct shim *s, pid_t pid, int status);
/* Finish execs that exited and whose output is drained (or whose drain time is over);
 * returns the earliest pending drain deadline (monotonic ms) or -1. */
int64_t shim_exec_tick(struct shim *s);
/* Are all execs finished? */
int shim_exec_idle(const struct shim *s);
/* At shim exit: finish every exec (unreaped ones report 255). */
void shim_exec_finish(struct shim *s);

#endif
