/* One row per condition kind (oomd's plugin per detector, in C): how a kind is parsed, evaluated,
 * explained by `run --once`, described by `memhook check`, what a check must read for it, and
 * which cgroup v2 file it needs. A new kind is a value in names.h, one row, and one file's worth
 * of functions (lib/cond_*.c); nothing else switches over condition kinds. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "policy/policy.h"
#include "policy/sample.h"

struct cJSON;
struct policy_ctx;

struct cond_ops {
	const char *name; /* the policy key; equal to cond_kind_name(kind) */
	/* Reads the key's value j (at path "….when.<name>") into cond, whose kind and path are set. */
	int (*parse)(struct policy_ctx *c, const struct cJSON *j, const char *path, struct condition *cond);
	/* Whether the condition holds for s; probe_results[cond->probe] for custom probes (may be NULL). */
	bool (*eval)(const struct condition *cond, const struct sample *s, const bool *probe_results);
	/* Adds "value" and "threshold" to run --once's object for this node (nothing for kinds
	 * without a measured value). */
	void (*explain)(struct cJSON *o, const struct condition *cond, const struct sample *s);
	/* Writes memhook check's text for the condition (children included) to out. */
	void (*describe)(const struct policy *p, const struct condition *cond, FILE *out);
	unsigned needs;      /* EVAL_NEEDS_*: what a check must read for this kind itself */
	const char *v2_file; /* "pressure" for memory.pressure: needs cgroup v2; NULL: works on v1 */
};

/* The rows, one per kind (lib/policy/cond_memory.c, cond_probe.c, cond_logic.c, cond_pressure.c,
 * cond_events.c). */
extern const struct cond_ops cond_global_absolute, cond_global_relative, cond_local_absolute,
        cond_local_relative, cond_custom, cond_all, cond_any, cond_not, cond_pressure, cond_events,
        cond_time_to_limit, cond_growth;

/* The row of kind k, or NULL when k is out of range. */
const struct cond_ops *condition_ops(enum cond_kind k);

/* explain for kinds without a measured value: adds nothing. */
void condition_explain_nothing(struct cJSON *o, const struct condition *cond, const struct sample *s);

/* memhook check's text for cond (dispatching on its kind). */
void condition_describe(const struct policy *p, const struct condition *cond, FILE *out);

/* The first node under cond (itself included, depth first) whose kind needs a cgroup v2 file, or
 * NULL. */
const struct condition *condition_find_v2(const struct condition *cond);

/* Frees what the node and its children own (not cond itself). */
void condition_free(struct condition *cond);
