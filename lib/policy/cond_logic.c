/* The combinators: all and any over a non-empty array of conditions, not over one condition. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "policy/condition.h"
#include "policy/eval.h"
#include "policy/policy_parse.h"

/* [cond, ...], non-empty */
static int children_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	if (!cJSON_IsArray(j))
		return want_fail(&c->w, path, "must be an array of conditions");
	int n = cJSON_GetArraySize(j);
	if (n <= 0)
		return want_fail(&c->w, path, "must not be empty");
	if (n > CONDITION_MAX_CHILDREN)
		return want_fail(&c->w, path, "at most %d conditions", CONDITION_MAX_CHILDREN);
	cond->children = calloc((size_t)n, sizeof(*cond->children));
	if (!cond->children)
		return want_oom(&c->w);
	cond->n_children = (size_t)n;
	size_t i = 0;
	for (const cJSON *it = j->child; it; it = it->next, i++) {
		WANT_PATH_INDEX(ip, &c->w, path, i);
		int r = condition_parse(c, it, ip, &cond->children[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* one condition object */
static int not_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	cond->children = calloc(1, sizeof(*cond->children));
	if (!cond->children)
		return want_oom(&c->w);
	cond->n_children = 1;
	return condition_parse(c, j, path, &cond->children[0]);
}

static bool all_eval(const struct condition *c, const struct sample *s, const bool *probe_results)
{
	for (size_t i = 0; i < c->n_children; i++)
		if (!eval_condition(&c->children[i], s, probe_results))
			return false;
	return true;
}

static bool any_eval(const struct condition *c, const struct sample *s, const bool *probe_results)
{
	for (size_t i = 0; i < c->n_children; i++)
		if (eval_condition(&c->children[i], s, probe_results))
			return true;
	return false;
}

static bool not_eval(const struct condition *c, const struct sample *s, const bool *probe_results)
{
	return !eval_condition(&c->children[0], s, probe_results);
}

/* "all(a, b)", "any(a, b)", "not(a)" */
static void describe(const struct policy *p, const struct condition *cond, FILE *out)
{
	fprintf(out, "%s(", cond_kind_name(cond->kind));
	for (size_t i = 0; i < cond->n_children; i++) {
		if (i)
			fputs(", ", out);
		condition_describe(p, &cond->children[i], out);
	}
	fputc(')', out);
}

const struct cond_ops cond_all = {
	.name = "all",
	.parse = children_parse,
	.eval = all_eval,
	.explain = condition_explain_nothing,
	.describe = describe,
};

const struct cond_ops cond_any = {
	.name = "any",
	.parse = children_parse,
	.eval = any_eval,
	.explain = condition_explain_nothing,
	.describe = describe,
};

const struct cond_ops cond_not = {
	.name = "not",
	.parse = not_parse,
	.eval = not_eval,
	.explain = condition_explain_nothing,
	.describe = describe,
	.negates = true,
};
