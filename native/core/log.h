/* log.h - Docker's json-file log driver, written by the shim itself so logging keeps
 * working while the daemon is down (runtime-internals §3.3). */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

#include <stdint.h>
#include <time.h>

#include "util.h"

/* Lines longer than this are split into partial entries, as Docker's copier does (16 KiB). */
#define LOG_LINE_MAX 16384

struct jlog {
  int fd;
  const char *path;
  uint64_t max_size;  /* 0: unlimited */
  uint32_t max_file;  /* >= 1 */
  uint64_t size;
};

/* Per-stream line assembly. The buffer is allocated on first use. */
struct linebuf {
  char *data;
  size_t len;
  int partial;              /* a partial entry of the current line was written */
  struct timespec first;    /* its timestamp: all parts of a split line share it */
};

/* Open (append, create 0640) the log. */
int log_open(struct jlog *l, const char *path, uint64_t max_size, uint32_t max_file, struct berr *e);
void log_close(struct jlog *l);

/* Append the JSON string literal for bytes p[0..n) as Docker's jsonlog encoder does:
 * \" \\ \n \r short escapes, other bytes < 0x20 and < > & as \u00XX, U+2028/U+2029 escaped,
 * each invalid UTF-8 byte as \ufffd. */
int log_json_string(struct buf *b, const void *p, size_t n);

/* Append one entry {"log":...,"stream":...,"time":...}\n to `out` (no I/O). */
int log_format_entry(struct buf *out, const char *stream, const void *p, size_t n, const struct timespec *ts);

/* Write one entry, rotating first when the file has reached max-size. */
int log_write_entry(struct jlog *l, const char *stream, const void *p, size_t n, const struct timespec *ts, struct berr *e);

/* Feed raw output of one stream; complete lines (and 16 KiB chunks) become entries. */
int log_feed(struct jlog *l, struct linebuf *lb, const char *stream, const void *p, size_t n,
             const struct timespec *now, struct berr *e);

/* At EOF: write what is left as a final entry without newline, free the buffer. */
int log_flush(struct jlog *l, struct linebuf *lb, const char *stream, const struct timespec *now, struct berr *e);

#endif
