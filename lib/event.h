/* The events handlers can take, and the record of one. */
#pragma once

enum event_kind {
	EVENT_ENTERED,
	EVENT_LEFT,
	EVENT_REMAINING,
	EVENT_NORMAL,
	EVENT_TARGET_LOST,
	EVENT_TARGET_FOUND,
	EVENT_OOM_KILL,
	EVENT_KINDS,
};

/* One step. level is the level in effect after it, previous_level the one before:
 * entered 2 is {2, 1}; left 2 is {1, 2}; normal is {0, 1}; remaining 3 is {3, 3}.
 * target_lost, target_found and oom_kill carry the current level in both. */
struct event {
	enum event_kind kind;
	int level;
	int previous_level;
};

const char *event_kind_name(enum event_kind k);
/* Returns the kind or -EINVAL. */
int event_kind_from_name(const char *s);
