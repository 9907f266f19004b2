/* The trend conditions: where memory is going, not where it is. Both read a least-squares fit of
 * recent usage (lib/decide/trend.c), computed once per check into the sample's trend_fits.
 *   time_to_limit {"below": duration, "window": duration, "usage": kind}: the fitted slope is
 *     positive and (limit - used) / slope is below `below`.
 *   growth {"above": "10Mi/s", "window": duration, "usage": kind}: the slope is above a rate.
 * A fit needs TREND_MIN_POINTS points spanning half its window: until then the condition is false. */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "policy/condition.h"
#include "policy/eval.h"
#include "policy/policy_parse.h"
#include "base/units.h"

/* The keys both share: window (required) and usage (default: the policy's); registers the fit. */
static int parse_common(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	const cJSON *it;
	int r;

	WANT_REQUIRED_KEY(wp, it, &c->w, j, path, "window");
	if ((r = want_duration(&c->w, it, wp, &cond->window_usec)) < 0)
		return r;
	if (cond->window_usec < TREND_WINDOW_MIN_USEC || cond->window_usec > TREND_WINDOW_MAX_USEC)
		return want_fail(&c->w, wp, "must be between 1s and 1h");
	cond->usage = c->p->usage;
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "usage"))) {
		WANT_PATH_KEY(up, &c->w, path, "usage");
		if ((r = want_usage_kind(&c->w, it, up, &cond->usage)) < 0)
			return r;
	}
	if (cond->usage != USAGE_CURRENT)
		c->p->needs_stat = true;
	if (c->p->n_trends >= POLICY_MAX_TRENDS)
		return want_fail(&c->w, path, "more than %d trend conditions in one policy",
		                 POLICY_MAX_TRENDS);
	cond->trend = c->p->n_trends++;
	c->p->trends[cond->trend] =
	        (struct trend_spec){ .usage = cond->usage, .window_usec = cond->window_usec };
	if (cond->window_usec > c->p->trend_max_window_usec)
		c->p->trend_max_window_usec = cond->window_usec;
	return 0;
}

static int time_to_limit_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	static const char *const keys[] = { "below", "window", "usage", NULL };
	const cJSON *it;
	int r;

	if ((r = want_object(&c->w, j, path)) < 0 || (r = want_keys(&c->w, j, path, keys, "unknown key")) < 0)
		return r;
	WANT_REQUIRED_KEY(bp, it, &c->w, j, path, "below");
	if ((r = want_positive_duration(&c->w, it, bp, &cond->below_usec)) < 0)
		return r;
	return parse_common(c, j, path, cond);
}

static int growth_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	static const char *const keys[] = { "above", "window", "usage", NULL };
	const cJSON *it;
	int r;

	if ((r = want_object(&c->w, j, path)) < 0 || (r = want_keys(&c->w, j, path, keys, "unknown key")) < 0)
		return r;
	WANT_REQUIRED_KEY(ap, it, &c->w, j, path, "above");
	if ((r = want_rate(&c->w, it, ap, &cond->rate_bytes_per_sec)) < 0)
		return r;
	return parse_common(c, j, path, cond);
}

static const struct trend_fit *fit_of(const struct condition *c, const struct sample *s)
{
	return s->has_trend && c->trend < POLICY_MAX_TRENDS && s->trend_fits[c->trend].valid
	               ? &s->trend_fits[c->trend]
	               : NULL;
}

static bool time_to_limit_eval(const struct condition *c, const struct sample *s, _unused_ const bool *pr)
{
	const struct trend_fit *f = fit_of(c, s);
	return f && f->slope_bytes_per_sec > 0 && f->time_to_limit_sec * 1e6 < (double)c->below_usec;
}

/* time_to_limit: the projected time falls below below (at a steady slope, by a second every
 * second). */
static bool time_to_limit_threshold(const struct condition *c, const struct sample *s,
                                    struct cond_threshold *ret)
{
	const struct trend_fit *f = &s->trend_fits[c->trend];
	double below_sec = (double)c->below_usec / (double)USEC_PER_SEC;
	if (!f->valid || f->slope_bytes_per_sec <= 0.0 || f->time_to_limit_sec < below_sec)
		return false;
	*ret = (struct cond_threshold){ COND_MEASURE_TIME_TO_LIMIT, below_sec };
	return true;
}

static bool growth_eval(const struct condition *c, const struct sample *s, _unused_ const bool *pr)
{
	const struct trend_fit *f = fit_of(c, s);
	return f && f->slope_bytes_per_sec > c->rate_bytes_per_sec;
}

/* value: the projected seconds (null: no fit yet or not growing); threshold: below in seconds */
static void time_to_limit_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	const struct trend_fit *f = fit_of(c, s);
	bool known = f && isfinite(f->time_to_limit_sec);
	condition_explain_value(o, known, known ? f->time_to_limit_sec : 0.0, (double)c->below_usec / 1e6);
}

/* value: the slope in bytes per second (null: no fit yet); threshold: the rate */
static void growth_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	const struct trend_fit *f = fit_of(c, s);
	condition_explain_value(o, f != NULL, f ? f->slope_bytes_per_sec : 0.0, c->rate_bytes_per_sec);
}

/* "time_to_limit < 30s (working_set over 20s)" */
static void time_to_limit_describe(_unused_ const struct policy *p, const struct condition *c, FILE *out)
{
	char below[32], window[32];
	fprintf(out, "time_to_limit < %s (%s over %s)",
	        units_format_duration(c->below_usec, below, sizeof(below)), usage_kind_name(c->usage),
	        units_format_duration(c->window_usec, window, sizeof(window)));
}

/* "growth > 10Mi/s (current over 10s)" */
static void growth_describe(_unused_ const struct policy *p, const struct condition *c, FILE *out)
{
	char rate[32], window[32];
	fprintf(out, "growth > %s/s (%s over %s)",
	        units_format_size((uint64_t)c->rate_bytes_per_sec, rate, sizeof(rate)),
	        usage_kind_name(c->usage), units_format_duration(c->window_usec, window, sizeof(window)));
}

const struct cond_ops cond_time_to_limit = {
	.name = "time_to_limit",
	.parse = time_to_limit_parse,
	.eval = time_to_limit_eval,
	.threshold = time_to_limit_threshold,
	.explain = time_to_limit_explain,
	.describe = time_to_limit_describe,
};

const struct cond_ops cond_growth = {
	.name = "growth",
	.parse = growth_parse,
	.eval = growth_eval,
	.explain = growth_explain,
	.describe = growth_describe,
};
