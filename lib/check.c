/* The check: read a sample (check_sample), decide its events (check_step, pure). */
#include "check.h"

#include <stddef.h>
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
	/* Built in ret, neither zeroed nor copied (488 bytes, twice, at every check): meminfo is read
	 * first, as it is the one read that can fail after the cgroup's; cg_sample leaves ret as it
	 * was on failure and otherwise fills every field of the cgroup; this function sets the rest
	 * but the trend fits, which are check_step's and read only when has_trend. */
	bool host_now = needs->host_every_check || !h->known;
	uint64_t total = h->total_bytes, available = h->available_bytes;
	int r;
	if (host_now && (r = hostmem_read(&h->mem, &total, &available)) < 0) {
		log_warn("reading meminfo under %s: %s; check skipped", t->spec.proc_root, strerror(-r));
		return 1; /* skipped and logged: not the target's failure */
	}
	r = cg_sample(&t->cg, needs->sample_what, ret);
	if (r < 0)
		return r;
	/* Not read now: the last figures, refreshed before any event carries them. */
	h->fresh = host_now;
	if (host_now) {
		h->total_bytes = total;
		h->available_bytes = available;
		h->known = true;
	}
	ret->host_total_bytes = total;
	ret->host_available_bytes = available;
	if (p->maximum_available_bytes)
		ret->limit_bytes = p->maximum_available_bytes;
	else if (ret->limit_bytes == CG_UNLIMITED) /* 0 is a real limit: the cgroup can hold nothing */
		ret->limit_bytes = total ? total : 1;
	ret->usage = p->usage;
	ret->has_trend = false;
	ret->mono_usec = now_mono_usec();
	ret->real_usec = now_real_usec();
	return 0;
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
	return ev->kind != EVENT_TARGET_LOST && ev->kind != EVENT_TARGET_FOUND;
}
