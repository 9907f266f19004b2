#include "decide/trend.h"

#include "policy/policy.h"

#include <math.h>
#include <string.h>

void trend_ring_reset(struct trend_ring *r)
{
	r->head = 0;
	r->n = 0;
}

static const struct trend_point *newest(const struct trend_ring *r)
{
	return r->n ? &r->points[(r->head + TREND_RING_CAP - 1) % TREND_RING_CAP] : NULL;
}

void trend_ring_push(struct trend_ring *r, uint64_t min_gap_usec, const struct trend_point *pt)
{
	const struct trend_point *last = newest(r);
	if (last && pt->mono_usec < last->mono_usec)
		trend_ring_reset(r), last = NULL;
	if (last && r->n > 1 && pt->mono_usec - last->mono_usec < min_gap_usec) {
		/* Too dense: the newest slot takes the latest reading, unless that would stretch the
		 * gap to its predecessor beyond min_gap (then it is a new point). */
		const struct trend_point *prev = &r->points[(r->head + TREND_RING_CAP - 2) % TREND_RING_CAP];
		if (pt->mono_usec - prev->mono_usec < min_gap_usec) {
			r->points[(r->head + TREND_RING_CAP - 1) % TREND_RING_CAP] = *pt;
			return;
		}
	}
	r->points[r->head] = *pt;
	r->head = (r->head + 1) % TREND_RING_CAP;
	if (r->n < TREND_RING_CAP)
		r->n++;
}

uint64_t trend_min_gap_usec(uint64_t max_window_usec)
{
	return max_window_usec / (TREND_RING_CAP / 2);
}

void trend_fit(const struct trend_ring *r, enum usage_kind k, uint64_t window_usec, uint64_t limit_bytes,
               struct trend_fit *ret)
{
	*ret = (struct trend_fit){ 0 };
	const struct trend_point *last = newest(r);
	if (!last)
		return;
	/* x in seconds relative to the newest point and y in bytes relative to it: small numbers,
	 * no loss of precision from absolute clock values or usages of many GiB. */
	double sx = 0, sy = 0, sxx = 0, sxy = 0, oldest_x = 0;
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct trend_point *p = &r->points[(r->head + TREND_RING_CAP - 1 - i) % TREND_RING_CAP];
		uint64_t age_usec = last->mono_usec - p->mono_usec;
		if (age_usec > window_usec)
			break;
		double x = -(double)age_usec / 1e6;
		double y = (double)p->used_bytes[k] - (double)last->used_bytes[k];
		sx += x, sy += y, sxx += x * x, sxy += x * y;
		oldest_x = x;
		n++;
	}
	if (n < TREND_MIN_POINTS || -oldest_x * 2e6 < (double)window_usec)
		return;
	double dn = (double)n, denom = dn * sxx - sx * sx;
	if (denom <= 0)
		return;
	ret->valid = true;
	ret->slope_bytes_per_sec = (dn * sxy - sx * sy) / denom;
	uint64_t used = last->used_bytes[k];
	if (ret->slope_bytes_per_sec <= 0)
		ret->time_to_limit_sec = INFINITY;
	else if (used >= limit_bytes)
		ret->time_to_limit_sec = 0;
	else
		ret->time_to_limit_sec = (double)(limit_bytes - used) / ret->slope_bytes_per_sec;
}

void trend_apply(const struct policy *p, struct trend_ring *r, struct sample *s)
{
	if (!p->n_trends)
		return;
	struct trend_point pt = { .mono_usec = s->mono_usec };
	for (int k = 0; k < USAGE_KINDS; k++)
		pt.used_bytes[k] = sample_used_bytes(s, (enum usage_kind)k);
	trend_ring_push(r, trend_min_gap_usec(p->trend_max_window_usec), &pt);
	s->has_trend = true;
	s->trend_usage = p->usage;
	s->trend_window_usec = p->trend_max_window_usec;
	trend_fit(r, p->usage, p->trend_max_window_usec, s->limit_bytes, &s->trend);
	for (size_t i = 0; i < p->n_trends && i < POLICY_MAX_TRENDS; i++)
		trend_fit(r, p->trends[i].usage, p->trends[i].window_usec, s->limit_bytes, &s->trend_fits[i]);
}
