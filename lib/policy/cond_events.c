/* The events condition: a memory.events counter went up by at least n since the previous check.
 * Needs cgroup v2 memory.events. */
#include <cjson/cJSON.h>
#include <inttypes.h>

#include "policy/condition.h"
#include "policy/eval.h"
#include "policy/policy_parse.h"

static int want_memevent(struct want_ctx *w, const cJSON *it, const char *path, enum memevent *ret)
{
	int e = want_name(w, it, path, memevent_from_name,
	                  "unknown memory event \"%.64s\" (expected low, high, max, oom, oom_kill or "
	                  "oom_group_kill)");
	if (e < 0)
		return e;
	*ret = (enum memevent)e;
	return 0;
}

/* "oom_kill"  or  {"counter": name, "increased_by": n >= 1} */
static int events_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	static const char *const keys[] = { "counter", "increased_by", NULL };
	const cJSON *it;
	int r;

	cond->increased_by = 1;
	if (cJSON_IsString(j))
		return want_memevent(&c->w, j, path, &cond->memevent);
	if (!cJSON_IsObject(j))
		return want_fail(&c->w, path, "must be an event name or an object");
	if ((r = want_keys(&c->w, j, path, keys, "unknown key")) < 0)
		return r;
	WANT_REQUIRED_KEY(cp, it, &c->w, j, path, "counter");
	if ((r = want_memevent(&c->w, it, cp, &cond->memevent)) < 0)
		return r;
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "increased_by"))) {
		WANT_PATH_KEY(ip, &c->w, path, "increased_by");
		long long n = 0;
		if ((r = want_integer(&c->w, it, ip, &n)) < 0)
			return r;
		if (n < 1)
			return want_fail(&c->w, ip, "must be at least 1");
		cond->increased_by = (uint64_t)n;
	}
	return 0;
}

static bool events_eval(const struct condition *c, const struct sample *s, _unused_ const bool *pr)
{
	return s->has_events && s->events_delta[c->memevent] >= c->increased_by;
}

/* value: the counter's increase (null without memory.events); threshold: increased_by */
static void events_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	condition_explain_value(o, s->has_events, (double)s->events_delta[c->memevent],
	                        (double)c->increased_by);
}

/* "events oom_kill increased by >= 1" */
static void events_describe(_unused_ const struct policy *p, const struct condition *c, FILE *out)
{
	fprintf(out, "events %s increased by >= %" PRIu64, memevent_name(c->memevent), c->increased_by);
}

const struct cond_ops cond_events = {
	.name = "events",
	.parse = events_parse,
	.eval = events_eval,
	.explain = events_explain,
	.describe = events_describe,
	.needs = EVAL_NEEDS_EVENTS,
	.v2_file = "events",
};
