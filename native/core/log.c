/* log.c - json-file log lines and rotation; see log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. Mirrors Go's
 * utf8.DecodeRune acceptance: no overlongs, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned char c = s[0];
  size_t len;
  uint32_t v, min;
  if (c < 0x80) { *cp = c; return 1; }
  if (c >= 0xc2 && c <= 0xdf) { len = 2; v = c & 0x1f; min = 0x80; }
  else if (c >= 0xe0 && c <= 0xef) { len = 3; v = c & 0x0f; min = 0x800; }
  else if (c >= 0xf0 && c <= 0xf4) { len = 4; v = c & 0x07; min = 0x10000; }
  else return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    v = v << 6 | (s[i] & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return len;
}

int log_json_string(struct buf *b, const void *p, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = p;
  size_t start = 0, i = 0;
  int rc = buf_putc(b, '"');
  while (i < n && rc == 0) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if (c >= 0x20 && c != '\\' && c != '"' && c != '<' && c != '>' && c != '&') { i++; continue; }
      rc = buf_append(b, s + start, i - start);
      if (c == '\\' || c == '"') { char esc[2] = {'\\', (char)c}; rc = rc ? rc : buf_append(b, esc, 2); }
      else if (c == '\n') rc = rc ? rc : buf_append(b, "\\n", 2);
      else if (c == '\r') rc = rc ? rc : buf_append(b, "\\r", 2);
      else { char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]}; rc = rc ? rc : buf_append(b, esc, 6); }
      start = ++i;
      continue;
    }
    uint32_t cp;
    size_t len = utf8_len(s + i, n - i, &cp);
    if (len == 0 || cp == 0x2028 || cp == 0x2029) {
      rc = buf_append(b, s + start, i - start);
      if (rc == 0) rc = buf_append(b, len == 0 ? "\\ufffd" : cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
      i += len ? len : 1;
      start = i;
      continue;
    }
    i += len;
  }
  if (rc == 0) rc = buf_append(b, s + start, n - start);
  return rc ? rc : buf_putc(b, '"');
}

int log_format_entry(struct buf *out, const char *stream, const void *p, size_t n, const struct timespec *ts) {
  /* One read from the container's pipe carries many lines stamped with the same time:
   * format it once (the shim is single-threaded). */
  static struct timespec last = {-1, -1};
  static char t[48];
  if (ts->tv_sec != last.tv_sec || ts->tv_nsec != last.tv_nsec) {
    time_rfc3339nano(ts, t, sizeof t);
    last = *ts;
  }
  if (buf_append(out, "{\"log\":", 7) || log_json_string(out, p, n) || buf_append(out, ",\"stream\":", 10) ||
      log_json_string(out, stream, strlen(stream)) || buf_append(out, ",\"time\":\"", 9) ||
      buf_append(out, t, strlen(t)) || buf_append(out, "\"}\n", 3))
    return -1;
  return 0;
}

int log_open(struct jlog *l, const char *path, uint64_t max_size, uint32_t max_file, struct berr *e) {
  struct stat st;
  l->path = path;
  l->max_size = max_size;
  l->max_file = max_file ? max_file : 1;
  l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (l->fd < 0) return berr_set(e, errno, "log", "open %s: %s", path, strerror(errno));
  l->size = fstat(l->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
  return 0;
}

void log_close(struct jlog *l) {
  if (l->fd >= 0) close(l->fd);
  l->fd = -1;
}

/* Docker's scheme: <log> is current, <log>.1 the newest rotated file ... <log>.<max-file - 1>
 * the oldest; with max-file 1 the file is truncated instead. */
static int log_rotate(struct jlog *l, struct berr *e) {
  char from[4096], to[4096];
  if (l->max_file < 2) {
    if (ftruncate(l->fd, 0) < 0) return berr_set(e, errno, "log", "truncate %s: %s", l->path, strerror(errno));
    l->size = 0;
    return 0;
  }
  for (uint32_t i = l->max_file - 1; i > 1; i--) {
    snprintf(from, sizeof from, "%s.%u", l->path, i - 1);
    snprintf(to, sizeof to, "%s.%u", l->path, i);
    if (rename(from, to) < 0 && errno != ENOENT) return berr_set(e, errno, "log", "rename %s: %s", from, strerror(errno));
  }
  snprintf(to, sizeof to, "%s.1", l->path);
  if (rename(l->path, to) < 0) return berr_set(e, errno, "log", "rename %s: %s", l->path, strerror(errno));
  log_close(l);
  return log_open(l, l->path, l->max_size, l->max_file, e);
}

int log_write_entry(struct jlog *l, const char *stream, const void *p, size_t n, const struct timespec *ts, struct berr *e) {
  struct buf b = {0};
  int rc;
  if (l->max_size > 0 && l->size >= l->max_size && log_rotate(l, e) < 0) return -1;
  if (log_format_entry(&b, stream, p, n, ts) < 0) {
    buf_free(&b);
    return berr_set(e, ENOMEM, "log", "out of memory");
  }
  rc = write_all(l->fd, b.data, b.len);
  if (rc == 0) l->size += b.len;
  else berr_set(e, errno, "log", "write %s: %s", l->path, strerror(errno));
  buf_free(&b);
  return rc;
}

/* Writes the entries queued in q (one write for many lines) and empties q. */
static int drain(struct jlog *l, struct buf *q, struct berr *e) {
  if (q->len == 0) return 0;
  if (write_all(l->fd, q->data, q->len) < 0) return berr_set(e, errno, "log", "write %s: %s", l->path, strerror(errno));
  l->size += q->len;
  q->len = 0;
  return 0;
}

/* Formats one entry into q, rotating first (after writing what q holds) when the file is full. */
static int queue_entry(struct jlog *l, struct buf *q, const char *stream, const void *p, size_t n,
                       const struct timespec *ts, struct berr *e) {
  if (l->max_size > 0 && l->size + q->len >= l->max_size) {
    if (drain(l, q, e) < 0 || log_rotate(l, e) < 0) return -1;
  }
  if (log_format_entry(q, stream, p, n, ts) < 0) return berr_set(e, ENOMEM, "log", "out of memory");
  return 0;
}

static int emit(struct jlog *l, struct buf *q, struct linebuf *lb, const char *stream, int complete,
                const struct timespec *now, struct berr *e) {
  const struct timespec *ts = lb->partial ? &lb->first : now;
  int rc = lb->len ? queue_entry(l, q, stream, lb->data, lb->len, ts, e) : 0;
  if (complete) {
    lb->partial = 0;
  } else if (!lb->partial) {
    lb->partial = 1;
    lb->first = *now;
  }
  lb->len = 0;
  return rc;
}

/* The lines of one chunk are formatted into one buffer and written with one write(2):
 * a chatty container writes millions of short lines, and a syscall per line was the cost. */
int log_feed(struct jlog *l, struct linebuf *lb, const char *stream, const void *p, size_t n,
             const struct timespec *now, struct berr *e) {
  const char *s = p;
  struct buf q = {0};
  int rc = 0;
  if (lb->data == NULL && (lb->data = malloc(LOG_LINE_MAX)) == NULL) return berr_set(e, ENOMEM, "log", "out of memory");
  while (n > 0 && rc == 0) {
    size_t room = LOG_LINE_MAX - lb->len, span = n < room ? n : room;
    const char *nl = memchr(s, '\n', span);
    size_t take = nl ? (size_t)(nl - s) + 1 : span;
    memcpy(lb->data + lb->len, s, take);
    lb->len += take;
    s += take;
    n -= take;
    if (nl || lb->len == LOG_LINE_MAX) rc = emit(l, &q, lb, stream, nl != NULL, now, e);
  }
  if (rc == 0) rc = drain(l, &q, e);
  buf_free(&q);
  return rc;
}

int log_flush(struct jlog *l, struct linebuf *lb, const char *stream, const struct timespec *now, struct berr *e) {
  struct buf q = {0};
  int rc = lb->len ? emit(l, &q, lb, stream, 1, now, e) : 0;
  if (rc == 0) rc = drain(l, &q, e);
  buf_free(&q);
  free(lb->data);
  lb->data = NULL;
  lb->len = 0;
  return rc;
}
