/* The pressure condition: the target's memory PSI average (some or full, over avg10/60/300) is
 * above a percent. Needs cgroup v2 memory.pressure. */
#include <cjson/cJSON.h>

#include "policy/condition.h"
#include "policy/eval.h"
#include "policy/policy_parse.h"

/* {"kind": "some"|"full", "window": "avg10"|"avg60"|"avg300", "above": percent} */
static int pressure_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	static const char *const keys[] = { "kind", "window", "above", NULL };
	const cJSON *it;
	int r;

	if ((r = want_object(&c->w, j, path)) < 0 || (r = want_keys(&c->w, j, path, keys, "unknown key")) < 0)
		return r;
	cond->psi_kind = PSI_SOME;
	cond->psi_window = PSI_AVG10;
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "kind"))) {
		WANT_PATH_KEY(kp, &c->w, path, "kind");
		if ((r = want_name(&c->w, it, kp, psi_kind_from_name, "must be \"some\" or \"full\"")) < 0)
			return r;
		cond->psi_kind = (enum psi_kind)r;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "window"))) {
		WANT_PATH_KEY(wp, &c->w, path, "window");
		if ((r = want_name(&c->w, it, wp, psi_window_from_name,
		                   "must be \"avg10\", \"avg60\" or \"avg300\"")) < 0)
			return r;
		cond->psi_window = (enum psi_window)r;
	}
	WANT_REQUIRED_KEY(ap, it, &c->w, j, path, "above");
	return want_percent(&c->w, it, ap, &cond->percent);
}

static bool pressure_eval(const struct condition *c, const struct sample *s, _unused_ const bool *pr)
{
	return s->has_psi && s->psi.avg[c->psi_kind][c->psi_window] > c->percent;
}

/* value: the average (null without PSI); threshold: the percent */
static void pressure_explain(cJSON *o, const struct condition *c, const struct sample *s)
{
	condition_explain_value(o, s->has_psi, s->psi.avg[c->psi_kind][c->psi_window], c->percent);
}

/* "pressure full avg60 > 2.5%" */
static void pressure_describe(_unused_ const struct policy *p, const struct condition *c, FILE *out)
{
	fprintf(out, "pressure %s %s > %g%%", psi_kind_name(c->psi_kind), psi_window_name(c->psi_window),
	        c->percent);
}

const struct cond_ops cond_pressure = {
	.name = "pressure",
	.parse = pressure_parse,
	.eval = pressure_eval,
	.explain = pressure_explain,
	.describe = pressure_describe,
	.needs = EVAL_NEEDS_PSI,
	.v2_file = "pressure",
};
