/* `memhook record`: a live target's samples written as a trace (trace.h), one line per interval,
 * on the event loop (a timerfd for the interval, a signalfd for SIGTERM/SIGINT). */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "base/names.h"
#include "kernel/target.h"

struct record_config {
	struct target_spec target;
	uint64_t interval_usec; /* >= CHECK_INTERVAL_MIN_USEC */
	uint64_t duration_usec; /* 0: until stopped or the target is gone */
	enum trace_format format;
	FILE *out;
	const char *out_name; /* for messages: the file, or "stdout" */
};

/* Blocks SIGTERM and SIGINT, which record_run takes through its signalfd. Returns 0 or -errno. */
int record_block_signals(void);

/* Samples the target at once and then every interval_usec, writing and flushing one line each,
 * until duration_usec has elapsed (duration / interval + 1 lines), SIGTERM or SIGINT, or the
 * target is gone (its cgroup removed, its main process exited): each is a clean stop, logged,
 * returning 0. A check that cannot read the target's files (garbage) or meminfo is skipped with a
 * warning. Returns -errno when the target cannot be acquired at start (logged with the reason),
 * -EIO when the output cannot be written, or another -errno from the loop. */
int record_run(const struct record_config *cfg);
