#include "eval.h"

#include <cjson/cJSON.h>

static bool pressure_holds(const struct condition *c, const struct sample *s)
{
	return s->has_psi && s->psi.avg[c->psi_kind][c->psi_window] > c->percent;
}

static bool events_holds(const struct condition *c, const struct sample *s)
{
	return s->has_events && s->events_delta[c->memevent] >= c->increased_by;
}

bool eval_condition(const struct condition *c, const struct sample *s, const bool *probe_results)
{
	switch (c->kind) {
	case COND_GLOBAL_ABSOLUTE:
		return s->host_available_bytes < c->bytes;
	case COND_GLOBAL_RELATIVE:
		return sample_host_available_percent(s) < c->percent;
	case COND_LOCAL_ABSOLUTE:
		return sample_local_free_bytes(s) < c->bytes;
	case COND_LOCAL_RELATIVE:
		return sample_local_free_percent(s) < c->percent;
	case COND_CUSTOM:
		return probe_results && probe_results[c->probe];
	case COND_ALL:
		for (size_t i = 0; i < c->n_children; i++)
			if (!eval_condition(&c->children[i], s, probe_results))
				return false;
		return true;
	case COND_ANY:
		for (size_t i = 0; i < c->n_children; i++)
			if (eval_condition(&c->children[i], s, probe_results))
				return true;
		return false;
	case COND_NOT:
		return !eval_condition(&c->children[0], s, probe_results);
	case COND_PRESSURE:
		return pressure_holds(c, s);
	case COND_EVENTS:
		return events_holds(c, s);
	}
	return false;
}

static unsigned condition_needs(const struct condition *c)
{
	unsigned needs = 0;
	switch (c->kind) {
	case COND_GLOBAL_ABSOLUTE:
	case COND_GLOBAL_RELATIVE:
		needs = EVAL_NEEDS_HOST;
		break;
	case COND_PRESSURE:
		needs = EVAL_NEEDS_PSI;
		break;
	case COND_EVENTS:
		needs = EVAL_NEEDS_EVENTS;
		break;
	default:
		break;
	}
	for (size_t i = 0; i < c->n_children; i++)
		needs |= condition_needs(&c->children[i]);
	return needs;
}

unsigned eval_needs(const struct policy *p)
{
	unsigned needs = 0;
	for (size_t i = 0; i < p->n_levels; i++)
		needs |= condition_needs(&p->levels[i].when);
	return needs;
}

int eval_level(const struct policy *p, const struct sample *s, const bool *probe_results)
{
	for (size_t i = p->n_levels; i > 0; i--)
		if (eval_condition(&p->levels[i - 1].when, s, probe_results))
			return (int)i;
	return 0;
}

static const char *const cond_names[] = {
	[COND_GLOBAL_ABSOLUTE] = "global_absolute",
	[COND_GLOBAL_RELATIVE] = "global_relative",
	[COND_LOCAL_ABSOLUTE] = "local_absolute",
	[COND_LOCAL_RELATIVE] = "local_relative",
	[COND_CUSTOM] = "custom",
	[COND_ALL] = "all",
	[COND_ANY] = "any",
	[COND_NOT] = "not",
	[COND_PRESSURE] = "pressure",
	[COND_EVENTS] = "events",
};

/* Adds the measured value and the threshold of a leaf condition. */
static void explain_values(cJSON *o, const struct condition *c, const struct sample *s)
{
	switch (c->kind) {
	case COND_GLOBAL_ABSOLUTE:
		cJSON_AddNumberToObject(o, "value", (double)s->host_available_bytes);
		cJSON_AddNumberToObject(o, "threshold", (double)c->bytes);
		break;
	case COND_GLOBAL_RELATIVE:
		cJSON_AddNumberToObject(o, "value", sample_host_available_percent(s));
		cJSON_AddNumberToObject(o, "threshold", c->percent);
		break;
	case COND_LOCAL_ABSOLUTE:
		cJSON_AddNumberToObject(o, "value", (double)sample_local_free_bytes(s));
		cJSON_AddNumberToObject(o, "threshold", (double)c->bytes);
		break;
	case COND_LOCAL_RELATIVE:
		cJSON_AddNumberToObject(o, "value", sample_local_free_percent(s));
		cJSON_AddNumberToObject(o, "threshold", c->percent);
		break;
	case COND_PRESSURE:
		if (s->has_psi)
			cJSON_AddNumberToObject(o, "value", s->psi.avg[c->psi_kind][c->psi_window]);
		else
			cJSON_AddNullToObject(o, "value");
		cJSON_AddNumberToObject(o, "threshold", c->percent);
		break;
	case COND_EVENTS:
		if (s->has_events)
			cJSON_AddNumberToObject(o, "value", (double)s->events_delta[c->memevent]);
		else
			cJSON_AddNullToObject(o, "value");
		cJSON_AddNumberToObject(o, "threshold", (double)c->increased_by);
		break;
	default:
		break;
	}
}

static bool explain_node(cJSON *arr, const struct condition *c, const struct sample *s, const bool *probes)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToArray(arr, o))
		return false;
	cJSON_AddStringToObject(o, "path", c->path ? c->path : "");
	cJSON_AddStringToObject(o, "condition", cond_names[c->kind]);
	explain_values(o, c, s);
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
	for (size_t i = 0; i < p->n_levels; i++)
		if (!explain_node(arr, &p->levels[i].when, s, probe_results)) {
			cJSON_Delete(arr);
			return NULL;
		}
	return arr;
}
