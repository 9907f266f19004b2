/* The check: read a sample (check_sample), decide its events (check_step, pure). */
#include "check.h"

#include <string.h>

#include "cgroup.h"
#include "eval.h"
#include "log.h"
#include "transitions.h"
#include "util.h"

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

struct check_needs check_needs_of(const struct policy *p)
{
	unsigned needs = eval_needs(p);
	struct check_needs n = {
		.sample_what = (needs & EVAL_NEEDS_PSI ? CG_SAMPLE_PSI : 0) |
		               (needs & EVAL_NEEDS_EVENTS ? CG_SAMPLE_EVENTS : 0) |
		               (p->needs_stat ? CG_SAMPLE_STAT : 0),
		.host_every_check = needs & EVAL_NEEDS_HOST,
	};
	for (size_t i = 0; i < p->n_handlers; i++)
		if (p->handlers[i].on == EVENT_OOM_KILL)
			n.sample_what |= CG_SAMPLE_EVENTS;
	return n;
}

int check_host_refresh(struct check_host *h, struct sample *s)
{
	uint64_t total, available;
	int r = hostmem_read(&h->mem, &total, &available);
	if (r < 0)
		return r;
	h->total_bytes = total;
	h->available_bytes = available;
	h->known = h->fresh = true;
	s->host_total_bytes = total;
	s->host_available_bytes = available;
	return 0;
}

int check_sample(struct target *t, const struct policy *p, const struct check_needs *needs,
                 struct check_host *h, struct sample *ret)
{
	/* Not zeroed (488 bytes at every check): cg_sample fills every field of the cgroup, this
	 * function the host's, the limit, the usage kind and the clocks; the trend fields are
	 * check_step's, read only when has_trend. */
	struct sample s;
	s.has_trend = false;
	int r = cg_sample(&t->cg, needs->sample_what, &s);
	if (r < 0)
		return r;
	h->fresh = false;
	if (needs->host_every_check || !h->known) {
		r = check_host_refresh(h, &s);
		if (r < 0) {
			log_warn("reading meminfo under %s: %s; check skipped", t->spec.proc_root,
			         strerror(-r));
			return 1; /* skipped and logged: not the target's failure */
		}
	} else {
		/* Not needed to decide: the last figures; refreshed before any event carries them. */
		s.host_total_bytes = h->total_bytes;
		s.host_available_bytes = h->available_bytes;
	}
	if (p->maximum_available_bytes)
		s.limit_bytes = p->maximum_available_bytes;
	else if (s.limit_bytes == CG_UNLIMITED) /* 0 is a real limit: the cgroup can hold nothing */
		s.limit_bytes = s.host_total_bytes ? s.host_total_bytes : 1;
	s.usage = p->usage;
	s.mono_usec = now_mono_usec();
	s.real_usec = now_real_usec();
	*ret = s;
	return 0;
}

/* Whether no level of p has for, clear_for or clear_when: its timers would never be read. */
static bool levels_without_hysteresis(const struct policy *p)
{
	for (size_t i = 0; i < p->n_levels; i++) {
		const struct level *l = &p->levels[i];
		if (l->for_usec || l->clear_for_usec || l->has_clear_when)
			return false;
	}
	return true;
}

/* The level the conditions and st's timers give for s (hysteresis_step). */
static int decide_level(const struct policy *p, struct check_state *st, const struct sample *s,
                        const bool *probe_results)
{
	/* Without for, clear_for and clear_when, hysteresis_step gives Satella's level, the highest
	 * whose when holds (hysteresis.h): eval_level finds it from the top, with no timer to feed
	 * (a third of a steady check's instructions otherwise); a reload restarts the timers. */
	if (levels_without_hysteresis(p))
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
	/* Not a compound literal: that would zero the event array and the sample (1.6 KiB, a third of
	 * a steady check's instructions); events[] is valid up to n_events, sample when has_sample. */
	ret->has_sample = false;
	ret->n_events = 0;
	ret->level = level;
	if (target != CHECK_TARGET_PRESENT) { /* a target back from nowhere starts every run afresh */
		hysteresis_restart(&st->hys);
		trend_ring_reset(&st->trend);
		limit_watch_reset(&st->limits);
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
	ret->sample = *s;
	ret->has_sample = true;
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
}

bool check_event_has_sample(const struct event *ev)
{
	return ev->kind != EVENT_TARGET_LOST && ev->kind != EVENT_TARGET_FOUND;
}
