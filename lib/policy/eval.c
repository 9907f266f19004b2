/* Pure evaluation over the condition table (lib/policy/condition.h): no kind is named here. */
#include "policy/eval.h"

#include <cjson/cJSON.h>

#include "policy/condition.h"

bool eval_condition(const struct condition *c, const struct sample *s, const bool *probe_results)
{
	const struct cond_ops *ops = condition_ops(c->kind);
	return ops && ops->eval(c, s, probe_results);
}

static unsigned condition_needs(const struct condition *c)
{
	const struct cond_ops *ops = condition_ops(c->kind);
	unsigned needs = ops ? ops->needs : 0;
	for (size_t i = 0; i < c->n_children; i++)
		needs |= condition_needs(&c->children[i]);
	return needs;
}

unsigned eval_needs(const struct policy *p)
{
	unsigned needs = 0;
	for (size_t i = 0; i < p->n_levels; i++) {
		needs |= condition_needs(&p->levels[i].when);
		if (p->levels[i].has_clear_when)
			needs |= condition_needs(&p->levels[i].clear_when);
	}
	return needs;
}

bool eval_when(const struct policy *p, int level, const struct sample *s, const bool *probe_results)
{
	return eval_condition(&p->levels[level - 1].when, s, probe_results);
}

bool eval_clear(const struct policy *p, int level, const struct sample *s, const bool *probe_results)
{
	const struct level *l = &p->levels[level - 1];
	if (l->has_clear_when)
		return eval_condition(&l->clear_when, s, probe_results);
	return !eval_condition(&l->when, s, probe_results);
}

int eval_level(const struct policy *p, const struct sample *s, const bool *probe_results)
{
	for (size_t i = p->n_levels; i > 0; i--)
		if (eval_condition(&p->levels[i - 1].when, s, probe_results))
			return (int)i;
	return 0;
}

/* Appends the node's object, then its children's, to arr. Returns false on allocation failure. */
static bool explain_node(cJSON *arr, const struct condition *c, const struct sample *s, const bool *probes)
{
	const struct cond_ops *ops = condition_ops(c->kind);
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToArray(arr, o))
		return false;
	cJSON_AddStringToObject(o, "path", c->path ? c->path : "");
	cJSON_AddStringToObject(o, "condition", cond_kind_name(c->kind));
	if (ops)
		ops->explain(o, c, s);
	cJSON_AddBoolToObject(o, "holds", eval_condition(c, s, probes));
	for (size_t i = 0; i < c->n_children; i++)
		if (!explain_node(arr, &c->children[i], s, probes))
			return false;
	return true;
}

cJSON *eval_explain(const struct policy *p, const struct sample *s, const bool *probe_results)
{
	cJSON *arr = cJSON_CreateArray();
	if (!arr)
		return NULL;
	for (size_t i = 0; i < p->n_levels; i++) {
		const struct level *l = &p->levels[i];
		if (!explain_node(arr, &l->when, s, probe_results) ||
		    (l->has_clear_when && !explain_node(arr, &l->clear_when, s, probe_results))) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}
