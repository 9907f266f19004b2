/* One row per action kind: how a handler's action is parsed and described by `memhook check`, and
 * which cgroup v2 file it needs. Running it is its run row's (lib/actions/action_run.h). A new
 * action is a value in names.h, one row here with its functions (lib/policy/action_*.c), and its
 * run row (lib/actions/action_run_*.c). */
#pragma once

#include <stdio.h>

#include "policy/policy.h"

struct cJSON;
struct policy_ctx;

struct action_ops {
	const char *name; /* the handler key; equal to action_kind_name(kind) */
	/* Reads the key's value j (at path "handlers[i].<name>") into h's config for this kind. */
	int (*parse)(struct policy_ctx *c, const struct cJSON *j, const char *path, struct handler *h);
	/* Writes memhook check's text for the action (after "-> <name> ") to out. */
	void (*describe)(const struct handler *h, FILE *out);
	const char *v2_file; /* "reclaim" for memory.reclaim, "high" for memory.high: needs cgroup v2;
	                      * NULL: works on v1 */
};

/* The rows, one per kind of names.h's list (lib/policy/action_webhook.c; lib/policy/action_schema.c
 * for signal, reclaim and exec; lib/policy/action_memory_high.c; lib/policy/action_pressure_watch.c). */
#define ACTION_SCHEMA_DECLARE(NAME, name) extern const struct action_ops action_schema_##name;
ACTION_KIND_LIST(ACTION_SCHEMA_DECLARE)
#undef ACTION_SCHEMA_DECLARE

/* "5%", "2.5%": digits, an optional fraction of at most 6 digits, '%' (no range check). Returns 0
 * or -EINVAL. */
int action_parse_percent(const char *s, double *ret);

/* An amount: "64Mi" | 67108864 | "5%"  or  {"amount": one of those}; a size greater than 0 into
 * ret_bytes (ret_percent 0) or a percent, greater than 0 and at most 100, into ret_percent
 * (ret_bytes 0). size_example and percent_example are the action's, for the messages. Returns 0 or
 * the want_* error; ret_* are untouched on failure. */
int action_parse_amount(struct policy_ctx *c, const struct cJSON *j, const char *path,
                        const char *size_example, const char *percent_example, uint64_t *ret_bytes,
                        double *ret_percent);
/* Writes an amount action_parse_amount read: the size ("64Mi"), or the percent followed by
 * percent_of ("80%" and " of the limit"). */
void action_describe_amount(uint64_t bytes, double percent, const char *percent_of, FILE *out);

/* The row of kind k, or NULL when k is out of range. */
const struct action_ops *action_ops(enum action_kind k);

/* memhook check's line for handler number i: "handler 0: on entered level 2 -> webhook ...\n". */
void handler_describe(const struct handler *h, size_t i, FILE *out);
