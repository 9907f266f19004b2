/* The picture's data: samples and runs collected check by check, usage thresholds from the condition
 * table's threshold column, and min/max downsampling per pixel column. Pure. */
#include "output/plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/condition.h"

/* Grows *p (of *cap elements of size) to hold need; returns 0 or -ENOMEM (*p untouched). */
static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 256;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

int plot_samples_add(struct plot_samples *ps, const struct sample *s, uint64_t t_usec)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 1024;
		uint64_t *t = realloc(ps->t_usec, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		ps->t_usec = t;
		for (int k = 0; k < PLOT_SERIES; k++) {
			double *v = realloc(ps->v[k], cap * sizeof(*v));
			if (!v)
				return -ENOMEM; /* the arrays grown so far stay valid, cap unchanged */
			ps->v[k] = v;
		}
		ps->cap = cap;
	}
	size_t i = ps->n++;
	ps->t_usec[i] = t_usec;
	ps->v[USAGE_CURRENT][i] = (double)s->usage_bytes;
	ps->v[USAGE_WORKING_SET][i] = s->has_stat ? (double)s->working_set_bytes : NAN;
	ps->v[USAGE_ANON][i] = s->has_stat ? (double)s->anon_bytes : NAN;
	ps->v[PLOT_SERIES_LIMIT][i] = (double)s->limit_bytes;
	return 0;
}

void plot_samples_free(struct plot_samples *ps)
{
	free(ps->t_usec);
	for (int k = 0; k < PLOT_SERIES; k++)
		free(ps->v[k]);
	*ps = (struct plot_samples){ 0 };
}

/* s with nothing used: every usage condition's threshold is ahead of it. */
static struct sample nothing_used(const struct sample *s)
{
	struct sample z = *s;
	z.usage_bytes = z.working_set_bytes = z.anon_bytes = 0;
	z.has_stat = true;
	return z;
}

bool plot_line_threshold(const struct plot_line *line, const struct sample *s, double *ret_bytes)
{
	const struct cond_ops *ops = condition_ops(line->cond->kind);
	struct sample z = nothing_used(s);
	struct cond_threshold t;
	if (!ops || !ops->threshold || !ops->threshold(line->cond, &z, &t) || t.measure != COND_MEASURE_USAGE)
		return false;
	*ret_bytes = t.value;
	return true;
}

/* Adds the usage conditions under cond (itself first, depth first) as lines of level. A usage
 * condition is one whose threshold, for a sample with room everywhere, is on the usage. */
static void collect_lines(struct plot_run *r, const struct condition *cond, int level)
{
	static const struct sample roomy = { .limit_bytes = UINT64_C(1) << 50,
		                             .host_total_bytes = UINT64_C(1) << 50,
		                             .host_available_bytes = UINT64_C(1) << 50,
		                             .has_stat = true };
	struct plot_line line = { cond, level, cond->usage };
	double bytes;
	if (r->n_lines < PLOT_MAX_LINES && plot_line_threshold(&line, &roomy, &bytes))
		r->lines[r->n_lines++] = line;
	for (size_t i = 0; i < cond->n_children; i++)
		collect_lines(r, &cond->children[i], level);
}

void plot_run_init(struct plot_run *r, const struct policy *p, const char *name)
{
	*r = (struct plot_run){ .n_levels = p->n_levels };
	snprintf(r->name, sizeof(r->name), "%s", name);
	for (int l = 0; l <= (int)p->n_levels && l <= POLICY_MAX_LEVELS; l++)
		snprintf(r->level_names[l], sizeof(r->level_names[l]), "%s", policy_level_name(p, l));
	for (size_t l = 0; l < p->n_levels; l++)
		collect_lines(r, &p->levels[l].when, (int)l + 1);
}

int plot_run_add(struct plot_run *r, const struct sample *s, uint64_t t_usec, int level,
                 struct hysteresis_hold hold)
{
	size_t cap = r->cap;
	if (r->n == r->cap) {
		cap = r->cap ? r->cap * 2 : 1024;
		uint8_t *lv = realloc(r->level, cap);
		if (!lv)
			return -ENOMEM;
		r->level = lv;
		uint8_t *h = realloc(r->held, cap);
		if (!h)
			return -ENOMEM;
		r->held = h;
		double *thr = realloc(r->thr, cap * PLOT_MAX_LINES * sizeof(*thr));
		if (!thr)
			return -ENOMEM;
		r->thr = thr;
		r->cap = cap;
	}
	size_t i = r->n++;
	if (i > 0) /* the time since the previous check, at the level it left */
		r->level_usec[r->level[i - 1]] += t_usec - r->prev_usec;
	r->prev_usec = t_usec;
	r->level[i] = (uint8_t)(level < 0 ? 0 : level > POLICY_MAX_LEVELS ? POLICY_MAX_LEVELS : level);
	r->held[i] = (uint8_t)((hold.up > level ? PLOT_HELD_UP : 0) | (hold.down ? PLOT_HELD_DOWN : 0));
	for (size_t j = 0; j < PLOT_MAX_LINES; j++) {
		double bytes = NAN;
		if (j < r->n_lines && !plot_line_threshold(&r->lines[j], s, &bytes))
			bytes = NAN;
		r->thr[i * PLOT_MAX_LINES + j] = bytes;
	}
	return 0;
}

/* The smallest projected time to the limit of a time_to_limit condition under cond that holds at
 * s, or NAN. */
static double fired_time_to_limit(const struct condition *cond, const struct sample *s)
{
	double best = NAN;
	const struct cond_ops *ops = condition_ops(cond->kind);
	struct cond_threshold t;
	if (ops && ops->threshold && cond->trend < POLICY_MAX_TRENDS && s->has_trend) {
		/* a condition on the time to the limit (its threshold column says so), for a fit far from it
		 */
		struct sample far = *s;
		far.trend_fits[cond->trend] = (struct trend_fit){ .valid = true,
			                                          .slope_bytes_per_sec = 1,
			                                          .time_to_limit_sec = 1e18 };
		const struct trend_fit *f = &s->trend_fits[cond->trend];
		if (ops->threshold(cond, &far, &t) && t.measure == COND_MEASURE_TIME_TO_LIMIT &&
		    ops->eval(cond, s, NULL) && f->valid)
			best = f->time_to_limit_sec;
	}
	for (size_t i = 0; i < cond->n_children; i++) {
		double c = fired_time_to_limit(&cond->children[i], s);
		if (!isnan(c) && (isnan(best) || c < best))
			best = c;
	}
	return best;
}

int plot_run_event(struct plot_run *r, const struct policy *p, const struct event *ev, const struct sample *s,
                   bool marked)
{
	if ((int)ev->kind >= 0 && ev->kind < EVENT_KINDS)
		r->kind_count[ev->kind]++;
	if (!marked)
		return 0;
	if (grow((void **)&r->events, &r->events_cap, r->n_events + 1, sizeof(*r->events)) < 0)
		return -ENOMEM;
	double ttl = NAN;
	if (ev->kind == EVENT_ENTERED && ev->level >= 1 && (size_t)ev->level <= p->n_levels)
		ttl = fired_time_to_limit(&p->levels[ev->level - 1].when, s);
	r->events[r->n_events] = (struct plot_event){
		.sample = r->n ? r->n - 1 : 0,
		.seq = r->n_events + 1,
		.kind = ev->kind,
		.level = ev->level,
		.previous_level = ev->previous_level,
		.usage = p->usage,
		.time_to_limit_sec = ttl,
	};
	r->n_events++;
	return 0;
}

void plot_run_free(struct plot_run *r)
{
	free(r->level);
	free(r->held);
	free(r->thr);
	free(r->events);
	r->level = r->held = NULL;
	r->thr = NULL;
	r->events = NULL;
	r->n = r->cap = r->n_events = r->events_cap = 0;
}

size_t plot_column(uint64_t t_usec, uint64_t t0_usec, uint64_t t1_usec, size_t columns)
{
	if (columns == 0 || t_usec <= t0_usec || t1_usec <= t0_usec)
		return 0;
	if (t_usec >= t1_usec)
		return columns - 1;
	/* in long double: a day in microseconds times a thousand columns is near 2^63 */
	size_t c = (size_t)((long double)(t_usec - t0_usec) * (long double)columns /
	                    (long double)(t1_usec - t0_usec));
	return c < columns ? c : columns - 1;
}

size_t plot_downsample(const uint64_t *t, const double *v, size_t stride, size_t n, uint64_t t0_usec,
                       uint64_t t1_usec, size_t columns, struct plot_point *ret)
{
	size_t out = 0;
	bool gap = true;
	if (n <= 2 * columns) {
		for (size_t i = 0; i < n; i++) {
			double x = v[i * stride];
			if (isnan(x)) {
				gap = true;
				continue;
			}
			ret[out++] = (struct plot_point){ t[i], x, gap };
			gap = false;
		}
		return out;
	}
	size_t i = 0;
	while (i < n) {
		size_t col = plot_column(t[i], t0_usec, t1_usec, columns);
		size_t lo = SIZE_MAX, hi = SIZE_MAX;
		for (; i < n && plot_column(t[i], t0_usec, t1_usec, columns) == col; i++) {
			double x = v[i * stride];
			if (isnan(x))
				continue;
			if (lo == SIZE_MAX || x < v[lo * stride])
				lo = i;
			if (hi == SIZE_MAX || x > v[hi * stride])
				hi = i;
		}
		if (lo == SIZE_MAX) {
			gap = true;
			continue;
		}
		size_t a = lo < hi ? lo : hi, b = lo < hi ? hi : lo;
		ret[out++] = (struct plot_point){ t[a], v[a * stride], gap };
		if (b != a)
			ret[out++] = (struct plot_point){ t[b], v[b * stride], false };
		gap = false;
	}
	return out;
}
