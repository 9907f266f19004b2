/* The events handlers can take, and the record of one. */
#pragma once

#include <stdint.h>

#include "base/names.h" /* enum event_kind and its names */

/* One step. level is the level in effect after it, previous_level the one before:
 * entered 2 is {2, 1}; left 2 is {1, 2}; normal is {0, 1}; remaining 3 is {3, 3}.
 * target_lost, target_found and oom_kill carry the current level in both. */
struct event {
	enum event_kind kind;
	int level;
	int previous_level;
	uint64_t old_limit_bytes, new_limit_bytes; /* limit_changed only: the effective limits */
};
