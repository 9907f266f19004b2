/* The memory_high action's schema: the memory.high value to set, as a size or a percent of the
 * effective limit. Running it is lib/actions/action_run_memory_high.c's job; the value it
 * replaced is kept in a struct memory_high_state (lib/decide/memory_high.h). */
#include <cjson/cJSON.h>

#include "policy/action.h"
#include "policy/policy_parse.h"

/* "200Mi" | 209715200 | "80%"  or  {"amount": "200Mi"|"80%"} */
static int memory_high_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct handler *h)
{
	return action_parse_amount(c, j, path, "200Mi", "80%", &h->memory_high.bytes,
	                           &h->memory_high.percent);
}

/* "200Mi (restored on normal)" or "80% of the limit (restored on normal)" */
static void memory_high_describe(const struct handler *h, FILE *out)
{
	action_describe_amount(h->memory_high.bytes, h->memory_high.percent, " of the limit", out);
	fputs(" (restored on normal)", out);
}

const struct action_ops action_schema_memory_high = {
	.name = "memory_high",
	.parse = memory_high_parse,
	.describe = memory_high_describe,
	.v2_file = "high",
};
