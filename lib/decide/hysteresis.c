/* Per-level hysteresis: the timers of when and of the clear condition, and the level a check steps
 * to. */
#include "decide/hysteresis.h"

#include <string.h>

void hysteresis_restart(struct hysteresis *h)
{
	memset(h, 0, sizeof(*h));
}

/* Runs t on while the condition holds, from the first check it held at; stops it otherwise. */
static void timer_feed(struct hysteresis_timer *t, bool holds, uint64_t now_usec)
{
	if (!holds) {
		t->running = false;
		return;
	}
	if (!t->running) {
		t->running = true;
		t->since_usec = now_usec;
	}
}

/* Whether t has run at least hold_usec by now_usec (0: as soon as it runs). */
static bool timer_elapsed(const struct hysteresis_timer *t, uint64_t hold_usec, uint64_t now_usec)
{
	return t->running && now_usec >= t->since_usec && now_usec - t->since_usec >= hold_usec;
}

int hysteresis_step(const struct policy *p, struct hysteresis *h, int level,
                    const struct hysteresis_input *in)
{
	int n = (int)p->n_levels;
	if (level > n)
		level = n;
	if (level < 0)
		level = 0;

	for (int i = 0; i < n; i++) {
		timer_feed(&h->held[i], in->when_holds[i], in->now_usec);
		if (i < level)
			timer_feed(&h->clear[i], in->clear_holds[i], in->now_usec);
		else
			h->clear[i].running = false; /* read only at or below the current level */
	}

	/* Up: the highest level above whose when has held for its for. */
	for (int l = n; l > level; l--)
		if (timer_elapsed(&h->held[l - 1], p->levels[l - 1].for_usec, in->now_usec))
			return l;

	/* Down: while the top level is cleared; stop at the first that is not. */
	int to = level;
	while (to > 0 && timer_elapsed(&h->clear[to - 1], p->levels[to - 1].clear_for_usec, in->now_usec))
		h->clear[--to].running = false;
	return to;
}

struct hysteresis_hold hysteresis_held(const struct policy *p, const struct hysteresis *h, int level)
{
	struct hysteresis_hold hold = { 0, false };
	int n = (int)p->n_levels;
	for (int l = n; l > level && l > 0; l--)
		if (h->held[l - 1].running) {
			hold.up = l;
			break;
		}
	hold.down = level > 0 && level <= n && h->clear[level - 1].running;
	return hold;
}
