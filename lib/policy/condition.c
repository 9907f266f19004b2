/* The table of condition kinds and what is common to all of them: the object that holds exactly
 * one kind, recursion over the tree, freeing. */
#include "policy/condition.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_parse.h"
#include "base/util.h"

/* The rows, one per kind, each defined beside its functions (lib/policy/cond_*.c), and their table:
 * both from names.h's list of kinds. */
#define COND_ROW_DECLARE(NAME, name) extern const struct cond_ops cond_##name;
COND_KIND_LIST(COND_ROW_DECLARE)
#undef COND_ROW_DECLARE

#define COND_ROW(NAME, name) [COND_##NAME] = &cond_##name,
static const struct cond_ops *const table[COND_KINDS] = { COND_KIND_LIST(COND_ROW) };
#undef COND_ROW

const struct cond_ops *condition_ops(enum cond_kind k)
{
	return (unsigned)k < ARRAY_SIZE(table) ? table[k] : NULL;
}

const char *cond_kind_name(enum cond_kind k)
{
	const struct cond_ops *ops = condition_ops(k);
	return ops ? ops->name : "unknown";
}

int cond_kind_from_name(const char *s)
{
	if (!s)
		return -EINVAL;
	for (int k = 0; k < COND_KINDS; k++)
		if (strcmp(table[k]->name, s) == 0)
			return k;
	return -EINVAL;
}

void condition_explain_nothing(_unused_ struct cJSON *o, _unused_ const struct condition *cond,
                               _unused_ const struct sample *s)
{
}

void condition_explain_value(struct cJSON *o, bool known, double value, double threshold)
{
	if (known)
		cJSON_AddNumberToObject(o, "value", value);
	else
		cJSON_AddNullToObject(o, "value");
	cJSON_AddNumberToObject(o, "threshold", threshold);
}

static bool is_condition_key(const char *key)
{
	return cond_kind_from_name(key) >= 0;
}

int condition_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	int r;

	cond->path = strdup(path);
	if (!cond->path)
		return want_oom(&c->w);
	if (c->depth >= CONDITION_MAX_DEPTH)
		return want_fail(&c->w, path, "conditions nest at most %d deep", CONDITION_MAX_DEPTH);
	if ((r = want_object(&c->w, j, path)) < 0 ||
	    (r = want_keys_known(&c->w, j, path, is_condition_key, "unknown condition")) < 0)
		return r;
	int n = cJSON_GetArraySize(j);
	if (n == 0)
		return want_fail(&c->w, path, "must hold one condition (e.g. \"local_relative\")");
	if (n > 1)
		return want_fail(&c->w, path,
		                 "holds %d conditions (%s, %s); combine several with \"all\" or \"any\"", n,
		                 j->child->string, j->child->next->string);

	const cJSON *v = j->child;
	WANT_PATH_KEY(kp, &c->w, path, v->string);
	cond->kind = (enum cond_kind)cond_kind_from_name(v->string); /* known: checked above */
	const struct cond_ops *ops = condition_ops(cond->kind);
	if (ops->v2_file)
		c->p->needs_v2 = true;
	c->depth++;
	r = ops->parse(c, v, kp, cond);
	c->depth--;
	return r;
}

void condition_describe(const struct policy *p, const struct condition *cond, FILE *out)
{
	condition_ops(cond->kind)->describe(p, cond, out);
}

const struct condition *condition_find_v2(const struct condition *cond)
{
	if (condition_ops(cond->kind)->v2_file)
		return cond;
	for (size_t i = 0; i < cond->n_children; i++) {
		const struct condition *f = condition_find_v2(&cond->children[i]);
		if (f)
			return f;
	}
	return NULL;
}

void condition_free(struct condition *cond)
{
	free(cond->path);
	for (size_t i = 0; i < cond->n_children; i++)
		condition_free(&cond->children[i]);
	free(cond->children);
}
