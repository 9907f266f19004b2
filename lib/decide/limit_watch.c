/* limit_changed: the effective limit compared with the last check's. */
#include "decide/limit_watch.h"

bool limit_watch_step(struct limit_watch *w, uint64_t limit_bytes, int level, struct event *ret)
{
	bool changed = w->known && w->limit_bytes != limit_bytes;
	if (changed)
		*ret = (struct event){ .kind = EVENT_LIMIT_CHANGED,
			               .level = level,
			               .previous_level = level,
			               .old_limit_bytes = w->limit_bytes,
			               .new_limit_bytes = limit_bytes };
	w->limit_bytes = limit_bytes;
	w->known = true;
	return changed;
}

void limit_watch_reset(struct limit_watch *w)
{
	*w = (struct limit_watch){ 0 };
}
