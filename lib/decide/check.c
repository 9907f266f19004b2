/* The check's decision: the events of a sample at the kept level (check_step, pure). */
#include "decide/check.h"

#include <stddef.h>
#include <string.h>

#include "policy/eval.h"
#include "decide/transitions.h"
#include "base/util.h"

int check_clamp_level(const struct policy *p, int level)
{
	if (level < 0)
		return 0;
	return (size_t)level > p->n_levels ? (int)p->n_levels : level;
}

void check_state_init(struct check_state *st)
{
	*st = (struct check_state){ .level = 0 };
}

void check_state_restart(const struct policy *p, struct check_state *st)
{
	st->level = check_clamp_level(p, st->level);
	hysteresis_restart(&st->hys);
	trend_ring_reset(&st->trend);
}

/* The level the conditions and st's timers give for s (hysteresis_step). */
static int decide_level(const struct policy *p, struct check_state *st, const struct sample *s,
                        const bool *probe_results)
{
	/* Without for, clear_for and clear_when, hysteresis_step gives Satella's level, the highest
	 * whose when holds (hysteresis.h): eval_level finds it from the top, with no timer to feed
	 * (~140 instructions a check for three levels); a reload restarts the timers. */
	if (!p->has_hysteresis)
		return eval_level(p, s, probe_results);
	bool when_holds[POLICY_MAX_LEVELS], clear_holds[POLICY_MAX_LEVELS];
	for (int l = 1; l <= (int)p->n_levels; l++) {
		when_holds[l - 1] = eval_when(p, l, s, probe_results);
		/* clear conditions only at or below the level: a clear_when above is never read */
		clear_holds[l - 1] = l <= st->level && eval_clear(p, l, s, probe_results);
	}
	struct hysteresis_input in = { when_holds, clear_holds, s->mono_usec };
	return hysteresis_step(p, &st->hys, st->level, &in);
}

void check_step(const struct policy *p, struct check_state *st, enum check_target target,
                const struct sample *s, const bool *probe_results, struct check_result *ret)
{
	int level = st->level = check_clamp_level(p, st->level);
	/* Not a compound literal: that would zero the event array and the sample (1.6 KiB, ~215
	 * instructions a check); events[] is valid up to n_events, sample when has_sample. */
	ret->has_sample = false;
	ret->n_events = 0;
	ret->level = level;
	if (target != CHECK_TARGET_PRESENT) { /* a target back from nowhere starts every run afresh */
		hysteresis_restart(&st->hys);
		trend_ring_reset(&st->trend);
		limit_watch_reset(&st->limits);
		adaptive_reset(&st->adapt);
	}
	if (target == CHECK_TARGET_LOST) {
		ret->events[ret->n_events++] =
		        (struct event){ .kind = EVENT_TARGET_LOST, .level = level, .previous_level = level };
		return;
	}
	if (target == CHECK_TARGET_FOUND)
		ret->events[ret->n_events++] =
		        (struct event){ .kind = EVENT_TARGET_FOUND, .level = level, .previous_level = level };
	if (!s)
		return;
	/* The sample up to its trend fits, which end it (216 of its 488 bytes): trend_apply sets the
	 * ones the policy has, and nothing reads them without has_trend. */
	_Static_assert(offsetof(struct sample, trend_fits) + sizeof(s->trend_fits) == sizeof(struct sample) &&
	                       offsetof(struct sample, trend) + sizeof(s->trend) ==
	                               offsetof(struct sample, trend_fits),
	               "the trend fits end struct sample");
	memcpy(&ret->sample, s, offsetof(struct sample, trend));
	ret->sample.has_trend = false;
	ret->has_sample = true;
	if (p->n_trends) /* trend_apply's own test, without the call */
		trend_apply(p, &st->trend, &ret->sample);
	s = &ret->sample; /* with its trend fits */
	if (limit_watch_step(&st->limits, s->limit_bytes, level, &ret->events[ret->n_events]))
		ret->n_events++;
	if (s->has_events && s->events_delta[MEMEV_OOM_KILL] > 0)
		ret->events[ret->n_events++] =
		        (struct event){ .kind = EVENT_OOM_KILL, .level = level, .previous_level = level };
	int to = decide_level(p, st, s, probe_results);
	ret->n_events += transitions_step(level, to, ret->events + ret->n_events,
	                                  ARRAY_SIZE(ret->events) - ret->n_events);
	ret->level = st->level = to;
	adaptive_observe(&st->adapt, s);
	ret->next_check_delay_usec = adaptive_delay_usec(p, &st->adapt, &st->hys, to, s);
}

bool check_event_has_sample(const struct event *ev)
{
	return event_has_sample(ev);
}
