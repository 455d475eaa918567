/* util.h - shared helpers of berth-core: the error out-parameter, cleanup attributes,
 * the field escaping shared by every message between TypeScript and C (plan, result,
 * exit file, shim socket), and small I/O helpers. Nothing here prints. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* Every fallible function fills one of these and returns -1 (STYLE.md §6). `err` is the
 * errno (0 for a protocol/validation error), `step` names the start-up step for the daemon. */
struct berr {
  int err;
  char step[32];
  char msg[480];
};

/* Fill `e` (if non-NULL) and return -1. `err` is stored as given (pass errno or 0). */
int berr_set(struct berr *e, int err, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Cleanup attributes: the variable is released when it goes out of scope. */
void util_closep(int *fd);
void util_freep(void *p);
#define cleanup_fd __attribute__((cleanup(util_closep)))
#define cleanup_free __attribute__((cleanup(util_freep)))

/* A growable byte buffer (used for line building and client output queues). */
struct buf {
  char *data;
  size_t len, cap;
};
int buf_append(struct buf *b, const void *p, size_t n);
int buf_putc(struct buf *b, char c);
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);

/* Field escaping (design note 0002 §2): bytes 0x21..0x7e except '%' stay, every other byte
 * becomes %XX (upper-case hex); the empty field is written "-", a literal "-" as "%2D". */
int field_append(struct buf *b, const void *p, size_t n);
int field_append_str(struct buf *b, const char *s);

/* Split one line (without its LF) in place into at most `max` fields, decoding escapes.
 * Decoded lengths go to `lens` (may be NULL). Returns the field count, or -1 with `e` set
 * (bad escape, empty field, more than `max` fields). When `allow_nul` is 0 a decoded NUL
 * byte is an error, so fields are safe C strings (each is NUL-terminated in place). */
int fields_split(char *line, char **fields, size_t *lens, int max, int allow_nul, struct berr *e);

/* Parse a decimal or 0x-hex unsigned 64-bit number; the whole string must be consumed. */
int parse_u64(const char *s, uint64_t *out);
int parse_i64(const char *s, int64_t *out);

/* RFC3339Nano in UTC as Go formats it (trailing zeros of the fraction trimmed, no fraction
 * when it is zero), e.g. 2026-01-02T03:04:05.123Z. `out` must hold 40 bytes. */
void time_rfc3339nano(const struct timespec *ts, char *out, size_t outsz);

/* write(2) the whole buffer, retrying on EINTR and short writes. */
int write_all(int fd, const void *p, size_t n);

/* Read a whole file (at most `limit` bytes) into a malloc'd NUL-terminated buffer. */
int read_file(const char *path, size_t limit, char **out, size_t *outlen, struct berr *e);

/* Write `data` to `path` atomically for readers: <path>.tmp, rename. No fsync: it is meant for
 * runtime state in the exec root (the exit file), which a power loss takes away anyway. */
int write_file_atomic(const char *path, const void *data, size_t n, struct berr *e);

#endif
