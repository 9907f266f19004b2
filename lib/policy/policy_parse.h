/* Internal to the policy parser (lib/policy/policy.c, lib/policy/condition.c, lib/cond_*.c,
 * lib/policy/handler.c, lib/action*.c): the parse context shared by the document, its conditions and its
 * handlers. */
#pragma once

#include "base/json_want.h"
#include "policy/policy.h"

struct cJSON;

struct policy_ctx {
	struct want_ctx w;
	struct policy *p;  /* the policy being built */
	size_t probes_cap; /* room in p->probes */
	unsigned depth;    /* of the condition being parsed: "when" is 1 */
};

/* Parses one condition object into cond (zeroed storage owned by the policy tree, so a failure
 * half-way leaves something policy_free can free). Returns 0 or -EINVAL/-ENOMEM. */
int condition_parse(struct policy_ctx *c, const struct cJSON *j, const char *path, struct condition *cond);

/* A usage kind name ("current", "working_set", "anon") into *ret (lib/policy/cond_memory.c). Returns 0 or
 * -EINVAL. */
int want_usage_kind(struct want_ctx *w, const struct cJSON *it, const char *path, enum usage_kind *ret);

/* Parses one handler object into h (zeroed). Returns 0 or -EINVAL/-ENOMEM. */
int handler_parse(struct policy_ctx *c, const struct cJSON *j, const char *path, struct handler *h);
/* Parses the "handlers" array (j may be NULL: no handlers). */
int handler_parse_all(struct policy_ctx *c, const struct cJSON *j);
