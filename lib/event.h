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

struct event {
	enum event_kind kind;
	int level;          /* entered/remaining: the level; left: the level left; normal: 0 */
	int previous_level; /* level before this step */
};

const char *event_kind_name(enum event_kind k);
/* Returns the kind or -EINVAL. */
int event_kind_from_name(const char *s);
