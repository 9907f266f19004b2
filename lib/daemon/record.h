/* `memhook record`: a live target's samples written as a trace (trace.h), one line per interval,
 * on the event loop (a timerfd for the interval, a signalfd for SIGTERM/SIGINT). */
#pragma once

#include <stdint.h>

#include "base/names.h"
#include "kernel/target.h"

struct record_config {
	struct target_spec target;
	uint64_t interval_usec; /* >= CHECK_INTERVAL_MIN_USEC */
	uint64_t duration_usec; /* 0: until stopped or the target is gone */
	enum trace_format format;
	int out_fd;           /* record_open_output's, or 1 */
	const char *out_name; /* for messages: the file, or "stdout" */
};

/* Opens path for the trace the way the status file is written: a new file made beside it
 * (O_EXCL) and renamed over path, so a symlink or hard link planted there is replaced, never
 * followed or written through. A device or FIFO already there (/dev/null, a named pipe) is opened
 * and written as it is, never through a symlink. Returns the fd, or -errno. */
int record_open_output(const char *path);

/* Blocks SIGTERM and SIGINT, which record_run takes through its signalfd. Returns 0 or -errno. */
int record_block_signals(void);

/* Samples the target at once and then every interval_usec, writing and flushing one line each,
 * until duration_usec has elapsed (duration / interval + 1 lines), SIGTERM or SIGINT, or the
 * target is gone (its cgroup removed, its main process exited): each is a clean stop, logged,
 * returning 0. A check that cannot read the target's files (garbage) or meminfo is skipped with a
 * warning. The trace's header (csv) comes first. A write waits for the output with the signals:
 * SIGTERM or SIGINT while the output's reader takes nothing stops at once (a clean stop, the
 * line not written). Returns -errno when the target cannot be acquired at start (logged with the
 * reason), the write's -errno when the output cannot be written (logged: -ENOSPC on a full
 * disk), or another -errno from the loop. */
int record_run(const struct record_config *cfg);
