/* The four free-memory conditions: global (the host's MemAvailable) or local (the target's limit
 * minus what it uses), absolute (bytes) or relative (percent). Each holds when free memory is below
 * its threshold. What "uses" means is the condition's usage (current, working_set or anon): its own
 * ({"local_relative": {"below": 10, "usage": "working_set"}}), else the policy's. */
#include <cjson/cJSON.h>
#include <string.h>

#include "policy/condition.h"
#include "policy/eval.h"
#include "policy/policy_parse.h"
#include "base/units.h"

int want_usage_kind(struct want_ctx *w, const cJSON *it, const char *path, enum usage_kind *ret)
{
	int k = want_name(w, it, path, usage_kind_from_name,
	                  "unknown usage \"%.64s\" (expected current, working_set or anon)");
	if (k < 0)
		return k;
	*ret = (enum usage_kind)k;
	return 0;
}

/* The threshold, read by want_size or want_percent. */
typedef int (*want_threshold_fn)(struct want_ctx *w, const cJSON *it, const char *path, void *ret);

static int want_size_fn(struct want_ctx *w, const cJSON *it, const char *path, void *ret)
{
	return want_size(w, it, path, ret);
}
static int want_percent_fn(struct want_ctx *w, const cJSON *it, const char *path, void *ret)
{
	return want_percent(w, it, path, ret);
}

/* A local condition's value: the threshold alone, or {"below": threshold, "usage": kind}. */
static int parse_local(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond,
                       want_threshold_fn want, void *threshold)
{
	static const char *const keys[] = { "below", "usage", NULL };
	const cJSON *it;
	int r;

	cond->usage = c->p->usage;
	if (cJSON_IsObject(j)) {
		if ((r = want_keys(&c->w, j, path, keys, "unknown key")) < 0)
			return r;
		WANT_REQUIRED_KEY(bp, it, &c->w, j, path, "below");
		if ((r = want(&c->w, it, bp, threshold)) < 0)
			return r;
		if ((it = cJSON_GetObjectItemCaseSensitive(j, "usage"))) {
			WANT_PATH_KEY(up, &c->w, path, "usage");
			if ((r = want_usage_kind(&c->w, it, up, &cond->usage)) < 0)
				return r;
		}
	} else if ((r = want(&c->w, j, path, threshold)) < 0)
		return r;
	if (cond->usage != USAGE_CURRENT)
		c->p->needs_stat = true;
	return 0;
}

static int parse_local_bytes(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	return parse_local(c, j, path, cond, want_size_fn, &cond->bytes);
}

static int parse_local_percent(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	return parse_local(c, j, path, cond, want_percent_fn, &cond->percent);
}

/* The host's conditions: a threshold alone. An object with "usage" is the mistake of putting a
 * local condition's form here: said plainly. */
static int global_refuse_usage(struct policy_ctx *c, const cJSON *j, const char *path)
{
	if (cJSON_IsObject(j) && cJSON_GetObjectItemCaseSensitive(j, "usage")) {
		WANT_PATH_KEY(up, &c->w, path, "usage");
		return want_fail(&c->w, up,
		                 "global conditions measure the host's MemAvailable; \"usage\" applies "
		                 "to local_absolute and local_relative only");
	}
	return 0;
}

static int parse_global_bytes(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	int r = global_refuse_usage(c, j, path);
	return r < 0 ? r : want_size(&c->w, j, path, &cond->bytes);
}

static int parse_global_percent(struct policy_ctx *c, const cJSON *j, const char *path,
                                struct condition *cond)
{
	int r = global_refuse_usage(c, j, path);
	return r < 0 ? r : want_percent(&c->w, j, path, &cond->percent);
}

/* The free memory each kind measures: bytes for the absolute kinds, percent for the relative. */
static double global_absolute_value(const struct sample *s)
{
	return (double)s->host_available_bytes;
}
static double global_relative_value(const struct sample *s)
{
	return sample_host_available_percent(s);
}
static double local_absolute_value(const struct condition *c, const struct sample *s)
{
	return (double)sample_local_free_bytes_of(s, c->usage);
}
static double local_relative_value(const struct condition *c, const struct sample *s)
{
	return sample_local_free_percent_of(s, c->usage);
}

static bool global_absolute_eval(const struct condition *c, const struct sample *s, _unused_ const bool *pr)
{
	return s->host_available_bytes < c->bytes;
}
static bool global_relative_eval(const struct condition *c, const struct sample *s, _unused_ const bool *pr)
{
	return global_relative_value(s) < c->percent;
}
static bool local_absolute_eval(const struct condition *c, const struct sample *s, _unused_ const bool *pr)
{
	return sample_local_free_bytes_of(s, c->usage) < c->bytes;
}
static bool local_relative_eval(const struct condition *c, const struct sample *s, _unused_ const bool *pr)
{
	return local_relative_value(c, s) < c->percent;
}

/* global_absolute: MemAvailable below bytes. */
static bool global_absolute_threshold(const struct condition *c, const struct sample *s,
                                      struct cond_threshold *ret)
{
	if (c->bytes == 0 || s->host_available_bytes < c->bytes)
		return false;
	*ret = (struct cond_threshold){ COND_MEASURE_HOST_AVAILABLE, (double)c->bytes };
	return true;
}
/* global_relative: MemAvailable below percent of MemTotal. */
static bool global_relative_threshold(const struct condition *c, const struct sample *s,
                                      struct cond_threshold *ret)
{
	if (s->host_total_bytes == 0 || c->percent <= 0.0 || sample_host_available_percent(s) < c->percent)
		return false;
	*ret = (struct cond_threshold){ COND_MEASURE_HOST_AVAILABLE,
		                        (double)s->host_total_bytes * c->percent / 100.0 };
	return true;
}
/* local_absolute: usage above limit - bytes. */
static bool local_absolute_threshold(const struct condition *c, const struct sample *s,
                                     struct cond_threshold *ret)
{
	uint64_t limit = s->limit_bytes;
	if (c->bytes == 0 || c->bytes > limit || sample_local_free_bytes_of(s, c->usage) < c->bytes)
		return false;
	*ret = (struct cond_threshold){ COND_MEASURE_USAGE, (double)(limit - c->bytes) };
	return true;
}
/* local_relative: usage above (100 - percent)% of the limit. */
static bool local_relative_threshold(const struct condition *c, const struct sample *s,
                                     struct cond_threshold *ret)
{
	uint64_t limit = s->limit_bytes;
	if (limit == 0 || c->percent <= 0.0 || sample_local_free_percent_of(s, c->usage) < c->percent)
		return false;
	*ret = (struct cond_threshold){ COND_MEASURE_USAGE, (double)limit * (100.0 - c->percent) / 100.0 };
	return true;
}

/* Local conditions also say what "used" meant for them, when it is not current (the default). */
static void explain_usage(cJSON *o, const struct condition *c)
{
	if (c->usage != USAGE_CURRENT)
		cJSON_AddStringToObject(o, "usage", usage_kind_name(c->usage));
}
static void global_absolute_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	condition_explain_value(o, true, global_absolute_value(s), (double)c->bytes);
}
static void global_relative_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	condition_explain_value(o, true, global_relative_value(s), c->percent);
}
static void local_absolute_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	condition_explain_value(o, true, local_absolute_value(c, s), (double)c->bytes);
	explain_usage(o, c);
}
static void local_relative_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	condition_explain_value(o, true, local_relative_value(c, s), c->percent);
	explain_usage(o, c);
}

/* " (working_set)" after a local condition whose usage is not current. */
static void describe_usage(const struct condition *c, FILE *out)
{
	bool local = c->kind == COND_LOCAL_ABSOLUTE || c->kind == COND_LOCAL_RELATIVE;
	if (local && c->usage != USAGE_CURRENT)
		fprintf(out, " (%s)", usage_kind_name(c->usage));
}

/* "local_absolute < 64Mi", "local_absolute < 64Mi (working_set)" */
static void describe_bytes(_unused_ const struct policy *p, const struct condition *c, FILE *out)
{
	char buf[64];
	fprintf(out, "%s < %s", cond_kind_name(c->kind), units_format_size(c->bytes, buf, sizeof(buf)));
	describe_usage(c, out);
}

/* "local_relative < 30%", "local_relative < 30% (anon)" */
static void describe_percent(_unused_ const struct policy *p, const struct condition *c, FILE *out)
{
	fprintf(out, "%s < %g%%", cond_kind_name(c->kind), c->percent);
	describe_usage(c, out);
}

const struct cond_ops cond_global_absolute = {
	.name = "global_absolute",
	.parse = parse_global_bytes,
	.eval = global_absolute_eval,
	.threshold = global_absolute_threshold,
	.explain = global_absolute_explain,
	.describe = describe_bytes,
	.needs = EVAL_NEEDS_HOST,
};

const struct cond_ops cond_global_relative = {
	.name = "global_relative",
	.parse = parse_global_percent,
	.eval = global_relative_eval,
	.threshold = global_relative_threshold,
	.explain = global_relative_explain,
	.describe = describe_percent,
	.needs = EVAL_NEEDS_HOST,
};

const struct cond_ops cond_local_absolute = {
	.name = "local_absolute",
	.parse = parse_local_bytes,
	.eval = local_absolute_eval,
	.threshold = local_absolute_threshold,
	.explain = local_absolute_explain,
	.describe = describe_bytes,
};

const struct cond_ops cond_local_relative = {
	.name = "local_relative",
	.parse = parse_local_percent,
	.eval = local_relative_eval,
	.threshold = local_relative_threshold,
	.explain = local_relative_explain,
	.describe = describe_percent,
};
