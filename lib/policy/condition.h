/* One row per condition kind (oomd's plugin per detector, in C): how a kind is parsed, evaluated,
 * explained by `run --once`, described by `memhook check`, what a check must read for it, which
 * cgroup v2 file it needs, and the threshold that adaptive checks (lib/decide/adaptive.c) and the
 * cgroup v1 usage thresholds (lib/kernel/cg_threshold.c) read. A new kind is a value in names.h,
 * one row, and one file's worth of functions (lib/policy/cond_*.c); nothing else switches over
 * condition kinds. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "policy/policy.h"
#include "policy/sample.h"

struct cJSON;
struct policy_ctx;

/* The figure a condition's threshold is on, and the way it is crossed as memory fills. */
enum cond_measure {
	COND_MEASURE_USAGE,          /* the usage of cond->usage, rising above value (bytes) */
	COND_MEASURE_HOST_AVAILABLE, /* the host's MemAvailable, falling below value (bytes) */
	COND_MEASURE_TIME_TO_LIMIT,  /* the fit cond->trend's time to the limit, falling below value (s) */
};

struct cond_threshold {
	enum cond_measure measure;
	double value;
};

struct cond_ops {
	const char *name; /* the policy key (cond_kind_name) */
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
	/* The threshold of the node cond for the figures of s (its limit, the host's total, the trend
	 * fits): true with *ret set when cond does not hold at s and starts to hold once the measure
	 * crosses ret->value; false (*ret untouched) when it holds already or no change of the measure
	 * can make it hold (a limit of 0, a threshold of 0 or above the limit, an invalid fit). NULL:
	 * the kind has no threshold of its own (pressure, events, growth, custom, all, any, not). */
	bool (*threshold)(const struct condition *cond, const struct sample *s, struct cond_threshold *ret);
	/* The children's thresholds are crossed by their measure moving back (not): the clear
	 * direction. */
	bool negates;
};

/* The row of kind k, or NULL when k is out of range. */
const struct cond_ops *condition_ops(enum cond_kind k);

/* The name of k (its row's), or "unknown" for a value out of range. */
const char *cond_kind_name(enum cond_kind k);
/* The kind whose name is exactly s (case-sensitive), or -EINVAL (also for NULL). */
int cond_kind_from_name(const char *s);

/* explain for kinds without a measured value: adds nothing. */
void condition_explain_nothing(struct cJSON *o, const struct condition *cond, const struct sample *s);
/* An explain's two members: "value" (null when not known) and "threshold". */
void condition_explain_value(struct cJSON *o, bool known, double value, double threshold);

/* memhook check's text for cond (dispatching on its kind). */
void condition_describe(const struct policy *p, const struct condition *cond, FILE *out);

/* The first node under cond (itself included, depth first) whose kind needs a cgroup v2 file, or
 * NULL. */
const struct condition *condition_find_v2(const struct condition *cond);

/* Frees what the node and its children own (not cond itself). */
void condition_free(struct condition *cond);
