/* seccomp.h - load a BPF program compiled by TypeScript (the core never builds filters). */
#ifndef BERTH_SECCOMP_H
#define BERTH_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Install `len` bytes (an array of struct sock_filter) as a seccomp filter with the
 * SECCOMP_FILTER_FLAG_* `flags`. Preconditions: no_new_privs is set, or the caller still has
 * CAP_SYS_ADMIN (the runtime loads before dropping caps when no_new_privs is off). Every
 * syscall the core makes afterwards must be allowed by the program. */
int seccomp_load(const unsigned char *prog, size_t len, uint32_t flags, struct berr *e);

#endif
