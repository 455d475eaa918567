/* unit.c - tests of the plan parser/writer, field escaping and the json-file log, built with
 * -fsanitize=address,undefined by `make test`. No root needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/log.h"
#include "../core/plan.h"

static int fails;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); fails++; } } while (0)

static const char good[] =
    "berth-plan 1\n# a comment\nid c1\nns pid\nns mnt\nns uts\njoin net /proc/1/ns/net\nhostname h%20x\n"
    "root /r\nroot-mount overlay overlay lowerdir=/a,upperdir=/b\nreadonly-root\n"
    "mount proc proc /proc nosuid,noexec,nodev -\nmount bind /src /dst rbind,ro,rprivate -\n"
    "device /dev/null c 1 3 0666 0 0\nsymlink /dev/fd /proc/self/fd\nmask /proc/kcore\nreadonly /proc/sys\n"
    "cgroup /sys/fs/cgroup/x\nrlimit NOFILE 1024 unlimited\noom-score-adj -5\nuser 1000 1000\ngroup 10\n"
    "caps bounding 0xa80425fb\nno-new-privs\nseccomp 0 060000000000ff7f\nenv A=%25\ncwd /w\narg sh\narg -\narg %2D\n"
    "stdin open\nterminal\nconsole-size 24 80\nlog /l 100 3\noom-counter /m oom_kill\n";

static const char good_exec[] =
    "berth-plan 1\nid c1-x1\njoin pid /proc/9/ns/pid\njoin mnt /proc/9/ns/mnt\njoin net /proc/9/ns/net\n"
    "cgroup /sys/fs/cgroup/x\nrlimit NOFILE 10 20\nuser 1000 1000\ngroup 5\ncaps bounding 0xa80425fb\n"
    "no-new-privs\nseccomp 0 060000000000ff7f\nenv PATH=/bin\ncwd /\narg sh\narg -c\narg tty\nstdin open\n"
    "terminal\nconsole-size 0 132\n";

/* parse a copy of s (plan_parse takes over a buffer of len+1 bytes) */
static int parse(const char *s, size_t len, struct plan *p, struct berr *e) {
  char *b = malloc(len + 1);
  memcpy(b, s, len);
  return plan_parse(b, len, p, e);
}

static void test_plan_good(void) {
  struct plan p, q;
  struct berr e = {0};
  struct buf d1 = {0}, d2 = {0};
  CHECK(parse(good, strlen(good), &p, &e) == 0);
  if (fails) { fprintf(stderr, "%s\n", e.msg); return; }
  CHECK(strcmp(p.hostname, "h x") == 0);
  CHECK(p.nmounts == 2 && p.mounts[1].flags & MS_RDONLY && p.mounts[1].propagation == (MS_PRIVATE | MS_REC));
  CHECK(p.rlimits[0].hard == RLIM_INFINITY && p.oom_score_adj == -5);
  CHECK(p.seccomp_len == 8 && p.seccomp[0] == 6);
  CHECK(p.nargv == 3 && strcmp(p.argv[1], "") == 0 && strcmp(p.argv[2], "-") == 0 && p.argv[3] == NULL);
  CHECK(strcmp(p.env[0], "A=%") == 0 && p.env[1] == NULL);
  CHECK(p.caps[CAP_SET_BOUNDING] == 0xa80425fb && p.no_new_privs && p.stdin_open && p.log_max_file == 3);
  CHECK(p.terminal && p.console_rows == 24 && p.console_cols == 80 && !p.exec);
  /* round trip: dump(parse(dump(p))) == dump(p) */
  CHECK(plan_dump(&p, &d1) == 0);
  CHECK(parse(d1.data, d1.len, &q, &e) == 0);
  CHECK(plan_dump(&q, &d2) == 0);
  CHECK(d1.len == d2.len && memcmp(d1.data, d2.data, d1.len) == 0);
  plan_free(&p);
  plan_free(&q);
  buf_free(&d1);
  buf_free(&d2);
}

/* an exec plan: its own key set, same grammar, same round trip */
static void test_exec_plan(void) {
  struct plan p, q;
  struct berr e = {0};
  struct buf d1 = {0}, d2 = {0};
  char *b = strdup(good_exec);
  CHECK(plan_parse_kind(b, strlen(good_exec), PLAN_EXEC, &p, &e) == 0);
  if (e.msg[0]) fprintf(stderr, "%s\n", e.msg);
  CHECK(p.exec && p.njoins == 3 && p.terminal && p.console_rows == 0 && p.console_cols == 132 && p.nargv == 3);
  CHECK(p.root == NULL && p.ns_new == 0 && p.nmounts == 0);
  CHECK(plan_dump(&p, &d1) == 0);
  b = malloc(d1.len + 1);
  memcpy(b, d1.data, d1.len);
  CHECK(plan_parse_kind(b, d1.len, PLAN_EXEC, &q, &e) == 0);
  CHECK(plan_dump(&q, &d2) == 0);
  CHECK(d1.len == d2.len && memcmp(d1.data, d2.data, d1.len) == 0);
  plan_free(&q);
  /* an exec plan is not a container plan (no root, no ns mnt) */
  b = strdup(good_exec);
  CHECK(plan_parse(b, strlen(good_exec), &q, &e) < 0);
  plan_free(&q);
  plan_free(&p);
  buf_free(&d1);
  buf_free(&d2);
}

static void expect_bad_exec(const char *body, const char *what) {
  struct plan p;
  struct berr e = {0};
  char text[1024];
  int n = snprintf(text, sizeof text, "berth-plan 1\njoin mnt /proc/1/ns/mnt\narg x\n%s", body);
  char *b = malloc((size_t)n + 1);
  memcpy(b, text, (size_t)n);
  int rc = plan_parse_kind(b, (size_t)n, PLAN_EXEC, &p, &e);
  if (rc == 0 || e.msg[0] == '\0') { fprintf(stderr, "FAIL exec plan accepted %s: %s\n", what, body); fails++; }
  plan_free(&p);
}

static void test_exec_plan_bad(void) {
  struct plan p;
  struct berr e;
  char *b = strdup("berth-plan 1\narg x\n");
  CHECK(plan_parse_kind(b, strlen(b), PLAN_EXEC, &p, &e) < 0); plan_free(&p); /* no join mnt */
  b = strdup("berth-plan 1\njoin mnt /m\n");
  CHECK(plan_parse_kind(b, strlen(b), PLAN_EXEC, &p, &e) < 0); plan_free(&p); /* no arg */
  expect_bad_exec("ns pid\n", "ns in exec");
  expect_bad_exec("root /r\n", "root in exec");
  expect_bad_exec("mount proc proc /proc - -\n", "mount in exec");
  expect_bad_exec("device /dev/null c 1 3 0666 0 0\n", "device in exec");
  expect_bad_exec("hostname h\n", "hostname in exec");
  expect_bad_exec("log /l 0 1\n", "log in exec");
  expect_bad_exec("mask /proc/kcore\n", "mask in exec");
  expect_bad_exec("oom-counter /m k\n", "oom-counter in exec");
  expect_bad_exec("join user /proc/1/ns/user\n", "user ns join");
  expect_bad_exec("join pid relative\n", "relative join");
  expect_bad_exec("console-size 24 80\n", "console-size without terminal");
  expect_bad_exec("terminal\nconsole-size 24\n", "console-size one field");
  expect_bad_exec("terminal\nconsole-size 65536 80\n", "console-size overflow");
  expect_bad_exec("terminal\nterminal\n", "terminal twice");
  expect_bad_exec("terminal x\n", "terminal with an argument");
}

static void expect_bad(const char *body, const char *what) {
  struct plan p;
  struct berr e = {0};
  char text[1024];
  int n = snprintf(text, sizeof text, "berth-plan 1\nns mnt\nroot /r\narg x\n%s", body);
  int rc = parse(text, (size_t)n, &p, &e);
  if (rc == 0 || e.msg[0] == '\0') { fprintf(stderr, "FAIL accepted %s: %s\n", what, body); fails++; }
  plan_free(&p);
}

static void test_plan_bad(void) {
  struct plan p;
  struct berr e;
  CHECK(parse("", 0, &p, &e) < 0); plan_free(&p);
  CHECK(parse("berth-plan 2\n", 13, &p, &e) < 0); plan_free(&p);
  CHECK(parse("berth-plan 1\nroot /r\narg x\n", 27, &p, &e) < 0); plan_free(&p); /* no mnt ns */
  CHECK(parse("berth-plan 1\nns mnt\nroot /r\narg\0x\n", 34, &p, &e) < 0); plan_free(&p);
  expect_bad("unknown-key x\n", "unknown key");
  expect_bad("cwd\n", "missing argument");
  expect_bad("cwd /a /b\n", "extra argument");
  expect_bad("cwd /a\ncwd /b\n", "repeated key");
  expect_bad("cwd  /a\n", "empty field");
  expect_bad("cwd /a \n", "trailing space");
  expect_bad("cwd /a%2\n", "short escape");
  expect_bad("cwd /a%zz\n", "bad escape");
  expect_bad("cwd /a%00\n", "NUL");
  expect_bad("cwd /a\tb\n", "raw control byte");
  expect_bad("cwd relative\n", "relative cwd");
  expect_bad("ns time\n", "unknown namespace");
  expect_bad("ns user\n", "user namespace");
  expect_bad("uid-map 0 1000 1\n", "uid map");
  expect_bad("ns net\njoin net /x\n", "new and joined");
  expect_bad("hostname h\n", "hostname without uts");
  expect_bad("mount proc proc /proc bogus -\n", "unknown mount option");
  expect_bad("mount bind rel /x bind -\n", "relative bind source");
  expect_bad("device /dev/x q 1 2 0666 0 0\n", "device kind");
  expect_bad("device /dev/x c 1 2 99999 0 0\n", "device mode");
  expect_bad("rlimit BOGUS 1 1\n", "rlimit name");
  expect_bad("rlimit NOFILE 2 1\n", "soft > hard");
  expect_bad("oom-score-adj 1001\n", "oom range");
  expect_bad("user -1 0\n", "negative uid");
  expect_bad("user 4294967296 0\n", "uid overflow");
  expect_bad("caps bounding zz\n", "caps value");
  expect_bad("caps everything 0x1\n", "caps set");
  expect_bad("seccomp 0 0600\n", "seccomp length");
  expect_bad("seccomp 0 06000000000gff7f\n", "seccomp hex");
  expect_bad("env NOEQUALS\n", "env without =");
  expect_bad("stdin maybe\n", "stdin mode");
  expect_bad("log /l 10 0\n", "log max-file 0");
  expect_bad("console-size 24 80\n", "console-size without terminal");
  expect_bad("terminal\nconsole-size -1 80\n", "negative console-size");
}

/* Mutate the good plan at random (bytes flipped, truncated) and parse: errors are fine,
 * crashes and sanitizer reports are not. */
static void test_plan_fuzz(void) {
  size_t n = strlen(good);
  char *m = malloc(n + 1);
  unsigned seed = 1;
  for (int iter = 0; iter < 20000; iter++) {
    struct plan p;
    struct berr e;
    memcpy(m, good, n);
    for (int k = 0; k < 1 + iter % 4; k++) {
      seed = seed * 1103515245 + 12345;
      m[(seed >> 8) % n] = (char)(seed >> 20);
    }
    seed = seed * 1103515245 + 12345;
    size_t len = iter % 3 == 0 ? (seed >> 8) % (n + 1) : n;
    parse(m, len, &p, &e);
    plan_free(&p);
  }
  free(m);
}

static void test_fields(void) {
  struct buf b = {0};
  char *f[4];
  size_t lens[4];
  struct berr e;
  const char raw[] = {'a', ' ', '%', '\n', 0, (char)0xff};
  field_append(&b, raw, sizeof raw);
  CHECK(strcmp(b.data, "a%20%25%0A%00%FF") == 0);
  buf_putc(&b, ' ');
  field_append(&b, "", 0);
  CHECK(fields_split(b.data, f, lens, 4, 1, &e) == 2);
  CHECK(lens[0] == sizeof raw && memcmp(f[0], raw, sizeof raw) == 0 && lens[1] == 0);
  buf_free(&b);
}

static void test_log_format(void) {
  struct buf b = {0};
  struct timespec ts = {.tv_sec = 1767323045, .tv_nsec = 120000000}; /* 2026-01-02T03:04:05.12Z */
  const char in[] = "a\tb<>&\"\\\x01\xff\xe2\x80\xa8\xed\xa0\x80\xc3\xa9\r\n";
  log_format_entry(&b, "stdout", in, sizeof in - 1, &ts);
  const char want[] = "{\"log\":\"a\\u0009b\\u003c\\u003e\\u0026\\\"\\\\\\u0001\\ufffd\\u2028\\ufffd\\ufffd\\ufffd\xc3\xa9\\r\\n\","
                      "\"stream\":\"stdout\",\"time\":\"2026-01-02T03:04:05.12Z\"}\n";
  CHECK(strcmp(b.data, want) == 0);
  if (strcmp(b.data, want) != 0) fprintf(stderr, "got  %s\nwant %s", b.data, want);
  char t[48];
  ts.tv_nsec = 0;
  time_rfc3339nano(&ts, t, sizeof t);
  CHECK(strcmp(t, "2026-01-02T03:04:05Z") == 0);
  ts.tv_nsec = 1;
  time_rfc3339nano(&ts, t, sizeof t);
  CHECK(strcmp(t, "2026-01-02T03:04:05.000000001Z") == 0);
  buf_free(&b);
}

static void test_log_lines_and_rotation(void) {
  char dir[] = "/tmp/berth-test-unit-XXXXXX", path[64], *text;
  size_t len;
  struct jlog l;
  struct linebuf lb = {0};
  struct berr e;
  struct timespec ts = {.tv_sec = 1, .tv_nsec = 0};
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/x.log", dir);
  CHECK(log_open(&l, path, 0, 1, &e) == 0);
  log_feed(&l, &lb, "stdout", "one\ntw", 6, &ts, &e);
  log_feed(&l, &lb, "stdout", "o\nthree", 7, &ts, &e);
  log_flush(&l, &lb, "stdout", &ts, &e);
  log_close(&l);
  CHECK(read_file(path, 1 << 20, &text, &len, &e) == 0);
  CHECK(strstr(text, "{\"log\":\"one\\n\"") && strstr(text, "{\"log\":\"two\\n\"") && strstr(text, "{\"log\":\"three\",\"stream\""));
  free(text);
  /* a 40000-byte line becomes 16384 + 16384 + 7232 (+ newline) entries */
  char *big = malloc(40001);
  memset(big, 'x', 40000);
  big[40000] = '\n';
  unlink(path);
  CHECK(log_open(&l, path, 0, 1, &e) == 0);
  log_feed(&l, &lb, "stderr", big, 40001, &ts, &e);
  log_flush(&l, &lb, "stderr", &ts, &e);
  log_close(&l);
  free(big);
  CHECK(read_file(path, 1 << 20, &text, &len, &e) == 0);
  int lines = 0;
  for (char *s = text; (s = strchr(s, '\n')); s++) lines++;
  CHECK(lines == 3);
  free(text);
  /* rotation: max-size 200, max-file 3 */
  unlink(path);
  CHECK(log_open(&l, path, 200, 3, &e) == 0);
  for (int i = 0; i < 40; i++) log_write_entry(&l, "stdout", "0123456789\n", 11, &ts, &e);
  log_close(&l);
  struct stat st;
  char p1[80], p2[80], p3[80];
  snprintf(p1, sizeof p1, "%s.1", path);
  snprintf(p2, sizeof p2, "%s.2", path);
  snprintf(p3, sizeof p3, "%s.3", path);
  CHECK(stat(path, &st) == 0 && st.st_size < 300 && stat(p1, &st) == 0 && stat(p2, &st) == 0 && stat(p3, &st) < 0);
  unlink(path);
  unlink(p1);
  unlink(p2);
  CHECK(rmdir(dir) == 0);
}

int main(void) {
  test_fields();
  test_plan_good();
  test_plan_bad();
  test_plan_fuzz();
  test_exec_plan();
  test_exec_plan_bad();
  test_log_format();
  test_log_lines_and_rotation();
  if (fails) {
    fprintf(stderr, "unit: %d failure(s)\n", fails);
    return 1;
  }
  printf("unit: all passed\n");
  return 0;
}
