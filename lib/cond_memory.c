/* The four free-memory conditions: global (the host's MemAvailable) or local (the target's limit
 * minus its usage), absolute (bytes) or relative (percent). Each holds when free memory is below
 * its threshold. */
#include <cjson/cJSON.h>

#include "condition.h"
#include "eval.h"
#include "policy_parse.h"
#include "units.h"

static int parse_bytes(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	return want_size(&c->w, j, path, &cond->bytes);
}

static int parse_percent(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	return want_percent(&c->w, j, path, &cond->percent);
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
static double local_absolute_value(const struct sample *s)
{
	return (double)sample_local_free_bytes(s);
}
static double local_relative_value(const struct sample *s)
{
	return sample_local_free_percent(s);
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
	return sample_local_free_bytes(s) < c->bytes;
}
static bool local_relative_eval(const struct condition *c, const struct sample *s, _unused_ const bool *pr)
{
	return local_relative_value(s) < c->percent;
}

static void explain(cJSON *o, double value, double threshold)
{
	cJSON_AddNumberToObject(o, "value", value);
	cJSON_AddNumberToObject(o, "threshold", threshold);
}
static void global_absolute_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	explain(o, global_absolute_value(s), (double)c->bytes);
}
static void global_relative_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	explain(o, global_relative_value(s), c->percent);
}
static void local_absolute_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	explain(o, local_absolute_value(s), (double)c->bytes);
}
static void local_relative_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	explain(o, local_relative_value(s), c->percent);
}

/* "local_absolute < 64Mi" */
static void describe_bytes(_unused_ const struct policy *p, const struct condition *c, FILE *out)
{
	char buf[64];
	fprintf(out, "%s < %s", cond_kind_name(c->kind), units_format_size(c->bytes, buf, sizeof(buf)));
}

/* "local_relative < 30%" */
static void describe_percent(_unused_ const struct policy *p, const struct condition *c, FILE *out)
{
	fprintf(out, "%s < %g%%", cond_kind_name(c->kind), c->percent);
}

const struct cond_ops cond_global_absolute = {
	.name = "global_absolute",
	.parse = parse_bytes,
	.eval = global_absolute_eval,
	.explain = global_absolute_explain,
	.describe = describe_bytes,
	.needs = EVAL_NEEDS_HOST,
};

const struct cond_ops cond_global_relative = {
	.name = "global_relative",
	.parse = parse_percent,
	.eval = global_relative_eval,
	.explain = global_relative_explain,
	.describe = describe_percent,
	.needs = EVAL_NEEDS_HOST,
};

const struct cond_ops cond_local_absolute = {
	.name = "local_absolute",
	.parse = parse_bytes,
	.eval = local_absolute_eval,
	.explain = local_absolute_explain,
	.describe = describe_bytes,
};

const struct cond_ops cond_local_relative = {
	.name = "local_relative",
	.parse = parse_percent,
	.eval = local_relative_eval,
	.explain = local_relative_explain,
	.describe = describe_percent,
};
