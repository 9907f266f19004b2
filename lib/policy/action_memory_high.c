/* The memory_high action's schema: the memory.high value to set, as a size or a percent of the
 * effective limit. Running it is lib/actions/action_run_memory_high.c's job; the value it
 * replaced is kept in a struct memory_high_state (lib/decide/memory_high.h). */
#include <cjson/cJSON.h>
#include <string.h>

#include "policy/action.h"
#include "policy/policy_parse.h"
#include "base/units.h"

/* "200Mi" | 209715200 | "80%" into m. */
static int want_high_amount(struct want_ctx *w, const cJSON *it, const char *path, struct memory_high_cfg *m)
{
	if (cJSON_IsString(it) && it->valuestring && strchr(it->valuestring, '%')) {
		double pct = 0.0;
		if (action_parse_percent(it->valuestring, &pct) < 0)
			return want_fail(w, path, "invalid percent \"%.32s\" (expected e.g. \"80%%\")",
			                 it->valuestring);
		if (!(pct > 0.0 && pct <= 100.0))
			return want_fail(w, path, "percent must be greater than 0 and at most 100");
		*m = (struct memory_high_cfg){ .percent = pct };
		return 0;
	}
	if (!cJSON_IsString(it) && !cJSON_IsNumber(it))
		return want_fail(w, path, "must be a size like \"200Mi\" or a percent like \"80%%\"");
	uint64_t bytes = 0;
	int r = want_size(w, it, path, &bytes);
	if (r < 0)
		return r;
	if (bytes == 0)
		return want_fail(w, path, "must be greater than 0");
	*m = (struct memory_high_cfg){ .bytes = bytes };
	return 0;
}

/* "200Mi" | "80%"  or  {"amount": "200Mi"|"80%"} */
static int memory_high_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct handler *h)
{
	static const char *const keys[] = { "amount", NULL };
	const cJSON *it;
	int r;

	if (!cJSON_IsObject(j))
		return want_high_amount(&c->w, j, path, &h->memory_high);
	if ((r = want_keys(&c->w, j, path, keys, "unknown key")) < 0)
		return r;
	WANT_REQUIRED_KEY(ap, it, &c->w, j, path, "amount");
	return want_high_amount(&c->w, it, ap, &h->memory_high);
}

/* "200Mi (restored on normal)" or "80% of the limit (restored on normal)" */
static void memory_high_describe(const struct handler *h, FILE *out)
{
	char buf[64];
	if (h->memory_high.bytes)
		fputs(units_format_size(h->memory_high.bytes, buf, sizeof(buf)), out);
	else
		fprintf(out, "%g%% of the limit", h->memory_high.percent);
	fputs(" (restored on normal)", out);
}

const struct action_ops action_schema_memory_high = {
	.name = "memory_high",
	.parse = memory_high_parse,
	.describe = memory_high_describe,
	.v2_file = "high",
};
