/* util.c - see util.h. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int berr_set(struct berr *e, int err, const char *step, const char *fmt, ...) {
  if (e != NULL) {
    va_list ap;
    e->err = err;
    snprintf(e->step, sizeof e->step, "%s", step);
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
  }
  errno = err;
  return -1;
}

void util_closep(int *fd) {
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
  *fd = -1;
}

void util_freep(void *p) {
  void **pp = p;
  free(*pp);
  *pp = NULL;
}

int buf_append(struct buf *b, const void *p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (d == NULL) return -1;
    b->data = d;
    b->cap = cap;
  }
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int buf_putc(struct buf *b, char c) { return buf_append(b, &c, 1); }

void buf_consume(struct buf *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
  } else {
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
  }
  if (b->data) b->data[b->len] = '\0';
}

void buf_free(struct buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

int field_append(struct buf *b, const void *p, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *s = p;
  if (n == 0) return buf_putc(b, '-');
  if (n == 1 && s[0] == '-') return buf_append(b, "%2D", 3);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (c > 0x20 && c < 0x7f && c != '%') {
      if (buf_putc(b, (char)c) < 0) return -1;
    } else {
      char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
      if (buf_append(b, esc, 3) < 0) return -1;
    }
  }
  return 0;
}

int field_append_str(struct buf *b, const char *s) { return field_append(b, s, strlen(s)); }

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int fields_split(char *line, char **fields, size_t *lens, int max, int allow_nul, struct berr *e) {
  int n = 0;
  char *p = line;
  for (;;) {
    char *start = p, *out = p;
    if (n == max) return berr_set(e, 0, "protocol", "too many fields");
    /* decode one field in place */
    while (*p != ' ' && *p != '\0') {
      unsigned char c = (unsigned char)*p;
      if (c == '%') {
        int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
        if (hi < 0 || lo < 0) return berr_set(e, 0, "protocol", "bad %%-escape in field %d", n + 1);
        c = (unsigned char)(hi << 4 | lo);
        if (c == 0 && !allow_nul) return berr_set(e, 0, "protocol", "NUL byte in field %d", n + 1);
        p += 3;
      } else if (c <= 0x20 || c >= 0x7f) {
        return berr_set(e, 0, "protocol", "unescaped byte 0x%02x in field %d", c, n + 1);
      } else {
        p++;
      }
      *out++ = (char)c;
    }
    if (p == start) return berr_set(e, 0, "protocol", "empty field %d (write \"-\")", n + 1);
    char end = *p;
    size_t len = (size_t)(out - start);
    if (len == 1 && start[0] == '-' && p - start == 1) len = 0; /* "-" is the empty field */
    start[len] = '\0';
    fields[n] = start;
    if (lens) lens[n] = len;
    n++;
    if (end == '\0') return n;
    p++; /* the single separating space; a trailing space yields an empty field error */
  }
}

int parse_u64(const char *s, uint64_t *out) {
  char *end;
  if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ') return -1;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno != 0 || *end != '\0') return -1;
  *out = v;
  return 0;
}

int parse_i64(const char *s, int64_t *out) {
  char *end;
  if (*s == '\0' || *s == ' ' || *s == '+') return -1;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || *end != '\0') return -1;
  *out = v;
  return 0;
}

void time_rfc3339nano(const struct timespec *ts, char *out, size_t outsz) {
  struct tm tm;
  char frac[16] = "";
  gmtime_r(&ts->tv_sec, &tm);
  if (ts->tv_nsec != 0) {
    int len = snprintf(frac, sizeof frac, ".%09ld", ts->tv_nsec);
    while (len > 1 && frac[len - 1] == '0') frac[--len] = '\0';
  }
  snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

int write_all(int fd, const void *p, size_t n) {
  const char *s = p;
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

int read_file(const char *path, size_t limit, char **out, size_t *outlen, struct berr *e) {
  cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return berr_set(e, errno, "read", "open %s: %s", path, strerror(errno));
  struct buf b = {0};
  char chunk[4096];
  for (;;) {
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int err = errno;
      buf_free(&b);
      return berr_set(e, err, "read", "read %s: %s", path, strerror(err));
    }
    if (r == 0) break;
    if (b.len + (size_t)r > limit) {
      buf_free(&b);
      return berr_set(e, EFBIG, "read", "%s is larger than %zu bytes", path, limit);
    }
    if (buf_append(&b, chunk, (size_t)r) < 0) {
      buf_free(&b);
      return berr_set(e, ENOMEM, "read", "out of memory");
    }
  }
  if (b.data == NULL && buf_append(&b, "", 0) < 0) return berr_set(e, ENOMEM, "read", "out of memory");
  *out = b.data;
  *outlen = b.len;
  return 0;
}

int write_file_atomic(const char *path, const void *data, size_t n, struct berr *e) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
    return berr_set(e, ENAMETOOLONG, "write", "path too long: %s", path);
  cleanup_fd int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return berr_set(e, errno, "write", "open %s: %s", tmp, strerror(errno));
  if (write_all(fd, data, n) < 0) return berr_set(e, errno, "write", "write %s: %s", tmp, strerror(errno));
  if (rename(tmp, path) < 0) return berr_set(e, errno, "write", "rename %s: %s", tmp, strerror(errno));
  return 0;
}
