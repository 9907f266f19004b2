#include "decide/transitions.h"

size_t transitions_step(int from, int to, struct event *ret, size_t cap)
{
	size_t n = 0;

	if (to == from) {
		if (cap > 0)
			ret[n++] =
			        (struct event){ .kind = EVENT_REMAINING, .level = to, .previous_level = to };
		return n;
	}
	for (int l = from + 1; l <= to && n < cap; l++)
		ret[n++] = (struct event){ .kind = EVENT_ENTERED, .level = l, .previous_level = l - 1 };
	for (int l = from; l > to && n < cap; l--)
		ret[n++] = (struct event){ .kind = EVENT_LEFT, .level = l - 1, .previous_level = l };
	if (to == 0 && from > 0 && n < cap)
		ret[n++] = (struct event){ .kind = EVENT_NORMAL, .level = 0, .previous_level = 1 };
	return n;
}

bool transitions_handler_matches(const struct handler *h, const struct event *ev)
{
	if (h->on != ev->kind)
		return false;
	if (h->level < 0 || !event_kind_takes_level(ev->kind))
		return true;
	return h->level == event_handler_level(ev);
}

bool transitions_handler_due(const struct handler *h, const struct event *ev, uint64_t last_fired_usec,
                             uint64_t now_usec)
{
	if (!transitions_handler_matches(h, ev))
		return false;
	return !(ev->kind == EVENT_REMAINING && h->every_usec > 0 && last_fired_usec != 0 &&
	         now_usec - last_fired_usec < h->every_usec);
}
