/* main.c - berth-core's command line; the only file that prints.
 *
 *   berth-core create <bundle>          start the container of <bundle>/plan under a new shim;
 *                                        prints the result message (design note 0002 §3) and
 *                                        exits 0, or 125/126/127 as Docker would
 *   berth-core ctl <bundle> <field>...  send one request to <bundle>/shim.sock, print replies
 *   berth-core plan-check [--exec] <file>  parse a (container or exec) plan, print it canonically
 *   berth-core init [--] <cmd> [arg]...  a minimal init (0002 §10); also entered when argv[0]'s
 *                                        basename is docker-init (docker-init [--] cmd...)
 * Exec processes are started through the shim: ctl <bundle> exec <exec-id> <exec-plan>.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "init.h"
#include "pid1.h"
#include "plan.h"
#include "shim.h"
#include "util.h"

static int usage(void) {
  fprintf(stderr, "usage: berth-core create <bundle> | ctl <bundle> <request>... | plan-check [--exec] <plan> |"
                  " init [--] <cmd>...\n");
  return 2;
}

/* A failure before the shim exists, reported in the result grammar. */
static int early_error(const struct berr *e) {
  struct buf b = {0};
  char err[16];
  snprintf(err, sizeof err, "%d", e->err);
  buf_append(&b, "berth-result 1\nerror 125 ", 25);
  field_append_str(&b, e->step);
  buf_putc(&b, ' ');
  field_append_str(&b, err);
  buf_putc(&b, ' ');
  field_append_str(&b, e->msg);
  buf_putc(&b, '\n');
  fwrite(b.data, 1, b.len, stdout);
  buf_free(&b);
  return 125;
}

static int cmd_create(const char *bundle_arg) {
  char bundle[PATH_MAX], plan_path[PATH_MAX + 8];
  struct plan p;
  struct berr e = {0};
  int rp[2];
  if (realpath(bundle_arg, bundle) == NULL) {
    berr_set(&e, errno, "plan", "bundle %s: %s", bundle_arg, strerror(errno));
    return early_error(&e);
  }
  snprintf(plan_path, sizeof plan_path, "%s/plan", bundle);
  if (plan_load(plan_path, &p, &e) < 0) {
    plan_free(&p);
    return early_error(&e);
  }
  fflush(stdout);
  if (pipe2(rp, O_CLOEXEC) < 0) {
    berr_set(&e, errno, "shim", "pipe: %s", strerror(errno));
    return early_error(&e);
  }
  pid_t mid = fork();
  if (mid < 0) {
    berr_set(&e, errno, "shim", "fork: %s", strerror(errno));
    return early_error(&e);
  }
  if (mid == 0) {
    /* intermediate: new session, fork the shim, exit - the shim is then nobody's child but
     * init's (or a subreaper's) and can never regain a controlling terminal */
    setsid();
    pid_t shim = fork();
    if (shim != 0) _exit(shim < 0 ? 1 : 0);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    if (dup2(rp[1], 3) != 3) _exit(1);
    syscall(SYS_close_range, 4U, ~0U, 0U); /* nothing of the daemon's stays open */
    _exit(shim_run(&p, bundle, 3));
  }
  close(rp[1]);
  waitpid(mid, NULL, 0);
  /* relay the shim's result; its last line decides our exit code */
  struct buf res = {0};
  char chunk[4096];
  ssize_t r;
  while ((r = read(rp[0], chunk, sizeof chunk)) != 0) {
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    buf_append(&res, chunk, (size_t)r);
  }
  close(rp[0]);
  plan_free(&p);
  if (res.len == 0 || res.data[res.len - 1] != '\n') {
    buf_free(&res);
    berr_set(&e, EPIPE, "shim", "the shim exited without a result");
    return early_error(&e);
  }
  fwrite(res.data, 1, res.len, stdout);
  res.data[res.len - 1] = '\0';
  char *last = strrchr(res.data, '\n');
  last = last ? last + 1 : res.data;
  int code = 0;
  if (strncmp(last, "error ", 6) == 0) code = atoi(last + 6);
  buf_free(&res);
  return code;
}

static int cmd_ctl(const char *bundle, int argc, char **argv) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  struct buf req = {0}, in = {0};
  /* streams end with exit/exec-exit (or an error); stdin requests have no reply; the
   * others one reply, after any warning lines */
  int waitall = strcmp(argv[0], "wait") == 0 || strcmp(argv[0], "attach") == 0 ||
                strcmp(argv[0], "wait-exec") == 0 || strcmp(argv[0], "attach-exec") == 0;
  int replies = strcmp(argv[0], "stdin") == 0 || strcmp(argv[0], "stdin-exec") == 0 ? 0 : 1, code = 0;
  if (chdir(bundle) < 0) {
    perror(bundle);
    return 1;
  }
  memcpy(sa.sun_path, "shim.sock", 10);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    perror("connect shim.sock");
    return 1;
  }
  for (int i = 0; i < argc; i++) {
    if (i) buf_putc(&req, ' ');
    field_append_str(&req, argv[i]);
  }
  buf_putc(&req, '\n');
  if (write_all(fd, req.data, req.len) < 0) {
    perror("write");
    return 1;
  }
  /* print the hello and then the expected replies */
  int lines = 0;
  for (;;) {
    char *nl;
    while ((nl = memchr(in.data ? in.data : "", '\n', in.len)) != NULL) {
      size_t len = (size_t)(nl - in.data) + 1;
      fwrite(in.data, 1, len, stdout);
      int is_error = strncmp(in.data, "error ", 6) == 0 || strncmp(in.data, "exec-error ", 11) == 0;
      int is_exit = strncmp(in.data, "exit ", 5) == 0 || strncmp(in.data, "exec-exit ", 10) == 0;
      int is_warning = strncmp(in.data, "warning ", 8) == 0;
      if (is_error) code = 1;
      buf_consume(&in, len);
      if (!is_warning) lines++;
      if ((!waitall && lines > replies) || is_exit || (waitall && is_error)) goto done;
    }
    char chunk[4096];
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    buf_append(&in, chunk, (size_t)r);
  }
done:
  close(fd);
  buf_free(&req);
  buf_free(&in);
  return code;
}

static int cmd_plan_check(const char *path, enum plan_kind kind) {
  struct plan p;
  struct berr e = {0};
  struct buf out = {0};
  if (plan_load_kind(path, kind, &p, &e) < 0) {
    fprintf(stderr, "berth-core: %s\n", e.msg);
    plan_free(&p);
    return 1;
  }
  plan_dump(&p, &out);
  fwrite(out.data, 1, out.len, stdout);
  buf_free(&out);
  plan_free(&p);
  return 0;
}

static int cmd_init(int argc, char **argv) {
  struct berr e = {0};
  if (argc > 0 && strcmp(argv[0], "--") == 0) argc--, argv++;
  if (argc == 0) {
    fprintf(stderr, "usage: docker-init [--] <cmd> [arg]...\n");
    return 1;
  }
  int code = pid1_run(argv, &e);
  if (code < 0) {
    fprintf(stderr, "docker-init: %s\n", e.msg);
    return strcmp(e.step, "exec") == 0 ? init_exit_status(&e) : 1;
  }
  return code;
}

int main(int argc, char **argv) {
  const char *base = strrchr(argv[0], '/');
  if (strcmp(base ? base + 1 : argv[0], "docker-init") == 0) return cmd_init(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "init") == 0) return cmd_init(argc - 2, argv + 2);
  if (argc == 3 && (strcmp(argv[1], "create") == 0 || strcmp(argv[1], "run") == 0)) return cmd_create(argv[2]);
  if (argc >= 4 && strcmp(argv[1], "ctl") == 0) return cmd_ctl(argv[2], argc - 3, argv + 3);
  if (argc == 3 && strcmp(argv[1], "plan-check") == 0) return cmd_plan_check(argv[2], PLAN_CONTAINER);
  if (argc == 4 && strcmp(argv[1], "plan-check") == 0 && strcmp(argv[2], "--exec") == 0)
    return cmd_plan_check(argv[3], PLAN_EXEC);
  return usage();
}
