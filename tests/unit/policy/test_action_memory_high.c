/* The memory_high action's schema (lib/policy/action_memory_high.c): a size or a percent of the
 * effective limit, short or as {"amount"}; its errors; memhook check's text; its row. */
#include "unit.h"

#include "base/util.h"
#include "policy_fixtures.h"

#define MIB (UINT64_C(1) << 20)

/* ---- moved from tests/unit/decide/test_memory_high.c ---- */

/* Parses a one-level policy with one handler whose action is memory_high: JSON. */
static int parse_high(const char *json, struct policy **ret, char *err, size_t size)
{
	char doc[512];
	snprintf(doc, sizeof(doc),
	         "{\"levels\": [{\"name\": \"x\", \"when\": {\"local_relative\": 10}}],"
	         " \"handlers\": [{\"on\": \"entered\", \"memory_high\": %s}]}",
	         json);
	return policy_parse(doc, strlen(doc), ret, err, size);
}

static void test_parse(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		uint64_t bytes;
		double percent;
		const char *describe;
	} ok[] = {
		{ "\"200Mi\"", 200 * MIB, 0, "200Mi (restored on normal)" },
		{ "1048576", MIB, 0, "1Mi (restored on normal)" },
		{ "\"80%\"", 0, 80, "80% of the limit (restored on normal)" },
		{ "\"2.5%\"", 0, 2.5, "2.5% of the limit (restored on normal)" },
		{ "\"100%\"", 0, 100, "100% of the limit (restored on normal)" },
		{ "{\"amount\": \"64Mi\"}", 64 * MIB, 0, "64Mi (restored on normal)" },
		{ "{\"amount\": \"50%\"}", 0, 50, "50% of the limit (restored on normal)" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct policy *p = NULL;
		char err[256] = "";
		assert_int_equal(parse_high(ok[i].json, &p, err, sizeof(err)), 0);
		assert_int_equal(p->handlers[0].action, ACTION_MEMORY_HIGH);
		assert_int_equal(p->handlers[0].memory_high.bytes, ok[i].bytes);
		assert_float_equal(p->handlers[0].memory_high.percent, ok[i].percent, 1e-9);
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);
		handler_describe(&p->handlers[0], 0, out);
		fclose(out);
		char want[128];
		snprintf(want, sizeof(want), "handler 0: on entered any level -> memory_high %s\n",
		         ok[i].describe);
		assert_string_equal(buf, want);
		free(buf);
		/* refused on v1 at start, like reclaim */
		assert_int_equal(policy_check_target(p, 1, err, sizeof(err)), -EINVAL);
		assert_string_equal(
		        err, "handlers[0].memory_high: needs cgroup v2 memory.high; the target is cgroup v1");
		assert_int_equal(policy_check_target(p, 2, err, sizeof(err)), 0);
		policy_free(p);
	}
	static const struct {
		const char *json, *err;
	} bad[] = {
		{ "\"0%\"", "handlers[0].memory_high: percent must be greater than 0 and at most 100" },
		{ "\"101%\"", "handlers[0].memory_high: percent must be greater than 0 and at most 100" },
		{ "\"5 %\"", "handlers[0].memory_high: invalid percent \"5 %\" (expected e.g. \"80%\")" },
		{ "0", "handlers[0].memory_high: must be greater than 0" },
		{ "\"0Mi\"", "handlers[0].memory_high: must be greater than 0" },
		{ "true",
		  "handlers[0].memory_high: must be a size like \"200Mi\" or a percent like \"80%\"" },
		{ "{}", "handlers[0].memory_high.amount: is required" },
		{ "{\"amount\": \"5%\", \"x\": 1}", "handlers[0].memory_high.x: unknown key" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct policy *p = NULL;
		char err[256] = "";
		assert_int_equal(parse_high(bad[i].json, &p, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].err);
	}
}

/* ---- added ---- */

/* The edges of both forms: the smallest size, a huge one, six decimals of a percent. */
static void test_parse_edges(void **state)
{
	(void)state;
	struct policy *p;
	const struct handler *h = fixture_handler_ok("{\"on\": \"entered\", \"memory_high\": 1}", &p);
	assert_int_equal(h->memory_high.bytes, 1);
	assert_float_equal(h->memory_high.percent, 0, 0);
	policy_free(p);
	h = fixture_handler_ok("{\"on\": \"entered\", \"memory_high\": \"16Ti\"}", &p);
	assert_int_equal(h->memory_high.bytes, UINT64_C(16) << 40);
	policy_free(p);
	h = fixture_handler_ok("{\"on\": \"entered\", \"memory_high\": \"0.000001%\"}", &p);
	assert_int_equal(h->memory_high.bytes, 0);
	assert_float_equal(h->memory_high.percent, 0.000001, 1e-12);
	policy_free(p);
	h = fixture_handler_ok("{\"on\": \"normal\", \"memory_high\": {\"amount\": 4096}}", &p);
	assert_int_equal(h->memory_high.bytes, 4096);
	policy_free(p);

	fixture_handler_fails("{\"on\": \"entered\", \"memory_high\": \"0.0000001%\"}",
	                      "handlers[0].memory_high: invalid percent \"0.0000001%\" (expected e.g. "
	                      "\"80%\")");
	fixture_handler_fails("{\"on\": \"entered\", \"memory_high\": \"100.000001%\"}",
	                      "handlers[0].memory_high: percent must be greater than 0 and at most 100");
	fixture_handler_fails("{\"on\": \"entered\", \"memory_high\": {\"amount\": \"0%\"}}",
	                      "handlers[0].memory_high.amount: percent must be greater than 0 and at most "
	                      "100");
	fixture_handler_fails("{\"on\": \"entered\", \"memory_high\": {\"amount\": []}}",
	                      "handlers[0].memory_high.amount: must be a size like \"200Mi\" or a percent "
	                      "like \"80%\"");
	fixture_handler_fails("{\"on\": \"entered\", \"memory_high\": \"99999999999Ti\"}",
	                      "handlers[0].memory_high: size \"99999999999Ti\" is too large");
}

/* memhook check's text from hand-built handlers; the row needs cgroup v2 memory.high. */
static void test_describe_and_row(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	struct handler h = { .action = ACTION_MEMORY_HIGH, .memory_high = { .bytes = 1536 * MIB } };
	action_ops(ACTION_MEMORY_HIGH)->describe(&h, f);
	fputc('|', f);
	h.memory_high = (struct memory_high_cfg){ .percent = 12.5 };
	action_ops(ACTION_MEMORY_HIGH)->describe(&h, f);
	fclose(f);
	assert_string_equal(text, "1.5Gi (restored on normal)|12.5% of the limit (restored on normal)");
	free(text);
	assert_ptr_equal(action_ops(ACTION_MEMORY_HIGH), &action_schema_memory_high);
	assert_string_equal(action_schema_memory_high.name, "memory_high");
	assert_string_equal(action_schema_memory_high.v2_file, "high");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_edges),
		cmocka_unit_test(test_describe_and_row),
	};
	return cmocka_run_group_tests_name("action_memory_high", tests, NULL, NULL);
}
