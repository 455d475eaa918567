/* shim.h - the per-container monitor: parent of the container init, owner of its stdio
 * (pipes or pty master), writer of the json-file log and the exit file, starter and reaper
 * of exec processes, server of <bundle>/shim.sock (protocol: docs/design/0002 §4, §8, §9).
 * It outlives the daemon. */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#include "plan.h"

/* Run the shim in the current process. Preconditions: detached (setsid'd, not a child of
 * the daemon), single-threaded, fds 0-2 on /dev/null, `result_fd` the only other open fd.
 * Starts the container, writes the result message (grammar: 0002 §3) to result_fd and
 * closes it, then serves until the container's exit is recorded. Returns the process exit
 * code (0 also when the container failed to start: the result carries the error). */
int shim_run(const struct plan *p, const char *bundle, int result_fd);

#endif
