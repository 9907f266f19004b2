/* Adaptive checks: growth rates from the checks (adaptive_observe) and the delay to the next
 * check from them and the thresholds above the level (adaptive_delay_usec). */
#include "decide/adaptive.h"

#include <string.h>

#include "base/defaults.h"
#include "base/util.h"
#include "policy/condition.h"

void adaptive_reset(struct adaptive_state *a)
{
	memset(a, 0, sizeof(*a));
}

/* 2^(-dt / ADAPTIVE_RATE_HALF_LIFE_USEC): exact at whole half-lives, linear in between (no libm). */
static double decay(uint64_t dt_usec)
{
	uint64_t k = dt_usec / ADAPTIVE_RATE_HALF_LIFE_USEC;
	if (k >= 64)
		return 0.0;
	double frac = (double)(dt_usec % ADAPTIVE_RATE_HALF_LIFE_USEC) / (double)ADAPTIVE_RATE_HALF_LIFE_USEC;
	return (1.0 - frac / 2.0) / (double)(UINT64_C(1) << k);
}

/* The larger of the rate from prev to now over dt_sec (growth: now above prev) and the decayed
 * old rate; never below 0. */
static double next_rate(double old_rate, double keep, uint64_t prev, uint64_t now, double dt_sec)
{
	double instant = ((double)now - (double)prev) / dt_sec;
	double kept = old_rate * keep;
	double r = instant > kept ? instant : kept;
	return r > 0.0 ? r : 0.0;
}

/* adaptive_observe without memory.stat: every kind is usage_bytes, one rate for all; a flat
 * target (no rate to decay) skips the decay's division. */
static void observe_current(struct adaptive_state *a, const struct sample *s)
{
	uint64_t used = s->usage_bytes;
	if (a->has_prev && s->mono_usec > a->prev_usec) {
		uint64_t dt = s->mono_usec - a->prev_usec;
		double dt_sec = (double)dt / (double)USEC_PER_SEC;
		double old = a->growth_bytes_per_sec[USAGE_CURRENT], host_old = a->host_fall_bytes_per_sec;
		double keep = old > 0.0 || host_old > 0.0 ? decay(dt) : 0.0;
		double rate = next_rate(old, keep, a->prev_used_bytes[USAGE_CURRENT], used, dt_sec);
		for (int k = 0; k < USAGE_KINDS; k++)
			a->growth_bytes_per_sec[k] = rate;
		a->host_fall_bytes_per_sec = next_rate(host_old, keep, s->host_available_bytes,
		                                       a->prev_host_available_bytes, dt_sec);
	} else if (a->has_prev && s->mono_usec < a->prev_usec) {
		adaptive_reset(a);
	}
	for (int k = 0; k < USAGE_KINDS; k++)
		a->prev_used_bytes[k] = used;
	a->has_prev = true;
	a->prev_usec = s->mono_usec;
	a->prev_host_available_bytes = s->host_available_bytes;
}

void adaptive_observe(struct adaptive_state *a, const struct sample *s)
{
	/* Without memory.stat every usage kind is current's: one rate, copied (the steady check's
	 * common case costs one next_rate, not three). */
	if (!s->has_stat) {
		observe_current(a, s);
		return;
	}
	uint64_t used[USAGE_KINDS];
	for (int k = 0; k < USAGE_KINDS; k++)
		used[k] = sample_used_bytes(s, (enum usage_kind)k);
	if (a->has_prev && s->mono_usec > a->prev_usec) {
		uint64_t dt = s->mono_usec - a->prev_usec;
		double dt_sec = (double)dt / (double)USEC_PER_SEC, keep = decay(dt);
		for (int k = 0; k < USAGE_KINDS; k++)
			a->growth_bytes_per_sec[k] = next_rate(a->growth_bytes_per_sec[k], keep,
			                                       a->prev_used_bytes[k], used[k], dt_sec);
		/* MemAvailable falling is the host's usage growing */
		a->host_fall_bytes_per_sec =
		        next_rate(a->host_fall_bytes_per_sec, keep, s->host_available_bytes,
		                  a->prev_host_available_bytes, dt_sec);
	} else if (a->has_prev && s->mono_usec < a->prev_usec) {
		adaptive_reset(a); /* a clock that went back: nothing to measure against */
	}
	a->has_prev = true;
	a->prev_usec = s->mono_usec;
	memcpy(a->prev_used_bytes, used, sizeof(used));
	a->prev_host_available_bytes = s->host_available_bytes;
}

/* What one evaluation of the delay reads, and the shortest delay found so far. */
struct walk {
	const struct adaptive_state *a;
	double assumed_rate; /* the policy's assume_growth: local usage grows at least this fast */
	const struct sample *s;
	double interval_sec; /* check_interval */
	double delay_sec;    /* the shortest so far; interval_sec when none */
};

static void take(struct walk *w, double delay_sec)
{
	if (delay_sec < w->delay_sec)
		w->delay_sec = delay_sec < 0.0 ? 0.0 : delay_sec;
}

/* A threshold distance_bytes away that usage growing at rate reaches. */
static void approach(struct walk *w, double distance_bytes, double rate)
{
	if (rate * w->interval_sec < (double)ADAPTIVE_MARGIN_BYTES)
		return; /* flat (or falling): the next check at check_interval overshoots by less */
	if (distance_bytes <= (double)ADAPTIVE_MARGIN_BYTES)
		take(w, 0.0);
	else
		take(w, ADAPTIVE_SAFETY * distance_bytes / rate);
}

/* The threshold of c that memory filling would cross (the row's threshold column of
 * condition.h), approached at the rate its measure moves; then its children's, not under a not (a
 * negated threshold is crossed by memory emptying: the clear direction, never urgent). */
static void walk_condition(struct walk *w, const struct condition *c)
{
	const struct cond_ops *ops = condition_ops(c->kind);
	const struct sample *s = w->s;
	struct cond_threshold t;
	if (ops->threshold && ops->threshold(c, s, &t)) {
		switch (t.measure) {
		case COND_MEASURE_USAGE: {
			double rate = w->a->growth_bytes_per_sec[c->usage];
			approach(w, t.value - (double)sample_used_bytes(s, c->usage),
			         rate > w->assumed_rate ? rate : w->assumed_rate);
			break;
		}
		case COND_MEASURE_HOST_AVAILABLE:
			approach(w, (double)s->host_available_bytes - t.value, w->a->host_fall_bytes_per_sec);
			break;
		case COND_MEASURE_TIME_TO_LIMIT: /* at a steady slope it falls by a second every second */
			take(w, ADAPTIVE_SAFETY * (s->trend_fits[c->trend].time_to_limit_sec - t.value));
			break;
		}
	}
	if (ops->negates)
		return;
	for (size_t i = 0; i < c->n_children; i++)
		walk_condition(w, &c->children[i]);
}

uint64_t adaptive_delay_usec(const struct policy *p, const struct adaptive_state *a,
                             const struct hysteresis *h, int level, const struct sample *s)
{
	uint64_t max = p->check_interval_usec, min = p->min_interval_usec;
	if (min >= max)
		return max;
	struct walk w = { .a = a,
		          .s = s,
		          .interval_sec = (double)max / (double)USEC_PER_SEC,
		          .assumed_rate = p->assume_growth_bytes_per_sec };
	w.delay_sec = w.interval_sec;
	for (int l = level + 1; l >= 1 && l <= (int)p->n_levels; l++) {
		const struct level *lv = &p->levels[l - 1];
		walk_condition(&w, &lv->when);
		const struct hysteresis_timer *t = &h->held[l - 1];
		/* a running for: the check that may enter the level, at the moment it may */
		if (lv->for_usec && t->running && t->since_usec + lv->for_usec > s->mono_usec)
			take(&w,
			     (double)(t->since_usec + lv->for_usec - s->mono_usec) / (double)USEC_PER_SEC);
	}
	if (w.delay_sec >= w.interval_sec)
		return max;
	uint64_t delay = (uint64_t)(w.delay_sec * (double)USEC_PER_SEC);
	return delay < min ? min : delay > max ? max : delay;
}
