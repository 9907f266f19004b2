/* Whether the effective limit moved between two checks (an in-place pod resize, a VPA update, a
 * `docker update`, a reload with another maximum_available): the limit_changed event. Pure. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "policy/event.h"

/* The effective limit the last check of this target saw. Zeroed: nothing seen yet. */
struct limit_watch {
	uint64_t limit_bytes;
	bool known; /* limit_bytes was seen at a check of the current target */
};

/* Records limit_bytes, the effective limit of this check. Returns true, with *ret a
 * limit_changed event at level (the current level, as oom_kill) carrying the old and the new
 * limit, when it differs from the last one seen; false on the first check of a target and when
 * it is unchanged (*ret untouched). */
bool limit_watch_step(struct limit_watch *w, uint64_t limit_bytes, int level, struct event *ret);

/* Forgets the last limit: the target was lost or found, and a new target's first limit is no
 * change (the app reads its limit when it starts). */
void limit_watch_reset(struct limit_watch *w);
