/* The status file (liveness): one JSON object, replaced atomically, read by `memhook status` and
 * by whoever wants the daemon's state without asking it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "policy/sample.h"

/* What the file says: plain values, copied by the caller from wherever it keeps them. */
struct status {
	int level;
	const char *level_name; /* "normal" for level 0 */
	uint64_t checks;
	uint64_t seq; /* the last event number */
	bool target_present;
	bool paused;
	uint64_t action_failures;
	uint64_t real_usec;          /* CLOCK_REALTIME, the "time" field */
	const struct sample *sample; /* the last check's, or NULL (no check yet, target lost) */
};

/* Builds {"time","level","level_name","checks","seq","target_present","paused","action_failures"}
 * and, when st->sample is set, "sample" (the webhook payload's sample object: usage, working set and
 * anon when read, and which of them the policy decides on)
 * with cJSON, writes it to a new temporary file beside path (".<name>.XXXXXX", created exclusively:
 * a planted symlink is never followed) and renames that onto path. Returns 0, -ENAMETOOLONG,
 * -ENOMEM or the -errno of the failing open/write/rename (the temp file is removed then). */
int status_write(const char *path, const struct status *st);
