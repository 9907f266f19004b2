/* The condition table: every row complete and named as in names.h; which rows have the threshold
 * column adaptive checks and the v1 usage thresholds read; and what `run --once` prints and
 * which node policy_check_target names for every kind, compared with their output before the
 * tables existed (captured from the switch-based code). */
#include "unit.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy/action.h"
#include "policy/condition.h"
#include "policy/eval.h"
#include "base/names.h"
#include "policy/policy.h"
#include "base/util.h"
#include "policy_fixtures.h"

static const char policy_json[] = FIXTURE_ALL_KINDS_JSON;

/* `run --once`'s conditions for sample_full() and probes {true, false}, one node per line. */
static const char *const expected_explain_full[] = {
	"{\"path\":\"levels[0].when\",\"condition\":\"global_absolute\",\"value\":1073741824,\"threshold\":"
	"1610612736,\"holds\":true}",
	"{\"path\":\"levels[1].when\",\"condition\":\"global_relative\",\"value\":12.5,\"threshold\":12.5,"
	"\"holds\":false}",
	"{\"path\":\"levels[2].when\",\"condition\":\"local_absolute\",\"value\":130023424,\"threshold\":"
	"123456,\"holds\":false}",
	"{\"path\":\"levels[3].when\",\"condition\":\"local_relative\",\"value\":12.109375,\"threshold\":30,"
	"\"holds\":true}",
	"{\"path\":\"levels[4].when\",\"condition\":\"custom\",\"holds\":true}",
	"{\"path\":\"levels[5].when\",\"condition\":\"all\",\"holds\":false}",
	"{\"path\":\"levels[5].when.all[0]\",\"condition\":\"any\",\"holds\":true}",
	"{\"path\":\"levels[5].when.all[0].any[0]\",\"condition\":\"not\",\"holds\":true}",
	"{\"path\":\"levels[5].when.all[0].any[0].not\",\"condition\":\"local_relative\",\"value\":12.109375,"
	"\"threshold\":5,\"holds\":false}",
	"{\"path\":\"levels[5].when.all[0].any[1]\",\"condition\":\"custom\",\"holds\":false}",
	"{\"path\":\"levels[5].when.all[1]\",\"condition\":\"local_absolute\",\"value\":130023424,"
	"\"threshold\":67108864,\"holds\":false}",
	"{\"path\":\"levels[6].when\",\"condition\":\"pressure\",\"value\":3.25,\"threshold\":2.5,\"holds\":"
	"true}",
	"{\"path\":\"levels[7].when\",\"condition\":\"pressure\",\"value\":7.5,\"threshold\":10,\"holds\":"
	"false}",
	"{\"path\":\"levels[8].when\",\"condition\":\"events\",\"value\":1,\"threshold\":1,\"holds\":true}",
	"{\"path\":\"levels[9].when\",\"condition\":\"events\",\"value\":2,\"threshold\":3,\"holds\":false}",
};

/* ... and for sample_bare() (no PSI, no memory.events) without probe results. */
static const char *const expected_explain_bare[] = {
	"{\"path\":\"levels[0].when\",\"condition\":\"global_absolute\",\"value\":10,\"threshold\":"
	"1610612736,\"holds\":true}",
	"{\"path\":\"levels[1].when\",\"condition\":\"global_relative\",\"value\":1,\"threshold\":12.5,"
	"\"holds\":true}",
	"{\"path\":\"levels[2].when\",\"condition\":\"local_absolute\",\"value\":900,\"threshold\":123456,"
	"\"holds\":true}",
	"{\"path\":\"levels[3].when\",\"condition\":\"local_relative\",\"value\":90,\"threshold\":30,"
	"\"holds\":false}",
	"{\"path\":\"levels[4].when\",\"condition\":\"custom\",\"holds\":false}",
	"{\"path\":\"levels[5].when\",\"condition\":\"all\",\"holds\":true}",
	"{\"path\":\"levels[5].when.all[0]\",\"condition\":\"any\",\"holds\":true}",
	"{\"path\":\"levels[5].when.all[0].any[0]\",\"condition\":\"not\",\"holds\":true}",
	"{\"path\":\"levels[5].when.all[0].any[0].not\",\"condition\":\"local_relative\",\"value\":90,"
	"\"threshold\":5,\"holds\":false}",
	"{\"path\":\"levels[5].when.all[0].any[1]\",\"condition\":\"custom\",\"holds\":false}",
	"{\"path\":\"levels[5].when.all[1]\",\"condition\":\"local_absolute\",\"value\":900,\"threshold\":"
	"67108864,\"holds\":true}",
	"{\"path\":\"levels[6].when\",\"condition\":\"pressure\",\"value\":null,\"threshold\":2.5,\"holds\":"
	"false}",
	"{\"path\":\"levels[7].when\",\"condition\":\"pressure\",\"value\":null,\"threshold\":10,\"holds\":"
	"false}",
	"{\"path\":\"levels[8].when\",\"condition\":\"events\",\"value\":null,\"threshold\":1,\"holds\":"
	"false}",
	"{\"path\":\"levels[9].when\",\"condition\":\"events\",\"value\":null,\"threshold\":3,\"holds\":"
	"false}",
};

static struct policy *parse_or_fail(const char *json)
{
	struct policy *p = NULL;
	char err[512];
	int r = policy_parse(json, strlen(json), &p, err, sizeof(err));
	if (r < 0)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	return p;
}

static struct sample sample_full(void)
{
	struct sample s = {
		.usage_bytes = UINT64_C(900) << 20,
		.limit_bytes = UINT64_C(1024) << 20,
		.host_total_bytes = UINT64_C(8) << 30,
		.host_available_bytes = UINT64_C(1) << 30,
		.has_psi = true,
		.has_events = true,
	};
	s.psi.avg[PSI_FULL][PSI_AVG60] = 3.25;
	s.psi.avg[PSI_SOME][PSI_AVG10] = 7.5;
	s.events_delta[MEMEV_OOM_KILL] = 1;
	s.events_delta[MEMEV_HIGH] = 2;
	return s;
}

static struct sample sample_bare(void)
{
	return (struct sample){
		.usage_bytes = 100,
		.limit_bytes = 1000,
		.host_total_bytes = 1000,
		.host_available_bytes = 10,
	};
}

static void test_condition_rows(void **state)
{
	(void)state;
	for (int k = 0; k < COND_KINDS; k++) {
		const struct cond_ops *ops = condition_ops((enum cond_kind)k);
		assert_non_null(ops);
		assert_non_null(ops->name);
		assert_string_equal(ops->name, cond_kind_name((enum cond_kind)k));
		assert_int_equal(cond_kind_from_name(ops->name), k);
		assert_non_null(ops->parse);
		assert_non_null(ops->eval);
		assert_non_null(ops->explain);
		assert_non_null(ops->describe);
		assert_int_equal(
		        ops->needs & ~(unsigned)(EVAL_NEEDS_HOST | EVAL_NEEDS_PSI | EVAL_NEEDS_EVENTS), 0);
		for (int other = 0; other < k; other++)
			assert_string_not_equal(ops->name, condition_ops((enum cond_kind)other)->name);
	}
	assert_null(condition_ops(COND_KINDS));
	assert_null(condition_ops((enum cond_kind) - 1));
	/* what each kind needs, as before the table */
	assert_int_equal(condition_ops(COND_GLOBAL_ABSOLUTE)->needs, EVAL_NEEDS_HOST);
	assert_int_equal(condition_ops(COND_GLOBAL_RELATIVE)->needs, EVAL_NEEDS_HOST);
	assert_int_equal(condition_ops(COND_LOCAL_RELATIVE)->needs, 0);
	assert_int_equal(condition_ops(COND_PRESSURE)->needs, EVAL_NEEDS_PSI);
	assert_int_equal(condition_ops(COND_EVENTS)->needs, EVAL_NEEDS_EVENTS);
	assert_string_equal(condition_ops(COND_PRESSURE)->v2_file, "pressure");
	assert_string_equal(condition_ops(COND_EVENTS)->v2_file, "events");
	assert_null(condition_ops(COND_NOT)->v2_file);
	assert_string_equal(cond_kind_name(COND_KINDS), "unknown");
}

static void test_other_names(void **state)
{
	(void)state;
	for (int l = 0; l < LOG_LEVELS; l++)
		assert_int_equal(log_level_from_name(log_level_name((enum log_level)l)), l);
	assert_string_equal(log_level_name(LOG_LEVEL_WARN), "warn");
	assert_int_equal(log_level_from_name("WARN"), -EINVAL);
	assert_int_equal(log_format_from_name("json"), LOG_FORMAT_JSON);
	assert_int_equal(log_format_from_name("text"), LOG_FORMAT_TEXT);
	assert_int_equal(log_format_from_name("xml"), -EINVAL);
	for (int e = 0; e < MEMEV_COUNT; e++)
		assert_int_equal(memevent_from_name(memevent_name((enum memevent)e)), e);
}

/* Compares eval_explain's nodes with the expected lines. */
static void check_explain(const struct policy *p, const struct sample *s, const bool *probes,
                          const char *const *expected, size_t n_expected)
{
	cJSON *arr = eval_explain(p, s, probes);
	assert_non_null(arr);
	assert_int_equal(cJSON_GetArraySize(arr), n_expected);
	size_t i = 0;
	for (const cJSON *o = arr->child; o; o = o->next, i++) {
		char *got = cJSON_PrintUnformatted(o);
		assert_string_equal(got, expected[i]);
		free(got);
	}
	cJSON_Delete(arr);
}

static void test_explain_unchanged(void **state)
{
	(void)state;
	struct policy *p = parse_or_fail(policy_json);
	const bool probes[] = { true, false };
	struct sample full = sample_full(), bare = sample_bare();

	assert_int_equal(p->n_probes, 2);
	check_explain(p, &full, probes, expected_explain_full, ARRAY_SIZE(expected_explain_full));
	check_explain(p, &bare, NULL, expected_explain_bare, ARRAY_SIZE(expected_explain_bare));
	assert_int_equal(eval_level(p, &full, probes), 9);
	assert_int_equal(eval_level(p, &bare, NULL), 6);
	assert_int_equal(eval_needs(p), EVAL_NEEDS_HOST | EVAL_NEEDS_PSI | EVAL_NEEDS_EVENTS);
	policy_free(p);
}

static void check_target_v1(const char *json, int want, const char *want_err)
{
	struct policy *p = parse_or_fail(json);
	char err[256];
	assert_int_equal(policy_check_target(p, 1, err, sizeof(err)), want);
	assert_string_equal(err, want_err);
	assert_int_equal(policy_check_target(p, 2, err, sizeof(err)), 0);
	policy_free(p);
}

/* The first v2-only node, depth first, then the first reclaim handler: as before the tables. */
static void test_check_target_unchanged(void **state)
{
	(void)state;
	check_target_v1(policy_json, -EINVAL,
	                "levels[6].when.pressure: needs cgroup v2 memory.pressure; the target is cgroup v1");
	check_target_v1(
	        "{\"levels\":[{\"name\":\"a\",\"when\":{\"local_relative\":5}},{\"name\":\"b\",\"when\":"
	        "{\"any\":[{\"local_relative\":3},{\"not\":{\"events\":\"max\"}}]}}],"
	        "\"handlers\":[{\"on\":\"entered\",\"reclaim\":\"1Mi\"}]}",
	        -EINVAL,
	        "levels[1].when.any[1].not.events: needs cgroup v2 memory.events; the target is cgroup v1");
	check_target_v1("{\"levels\":[{\"name\":\"a\",\"when\":{\"local_relative\":5}}],\"handlers\":"
	                "[{\"on\":\"entered\",\"signal\":\"TERM\"},{\"on\":\"left\",\"reclaim\":\"1%\"}]}",
	                -EINVAL,
	                "handlers[1].reclaim: needs cgroup v2 memory.reclaim; the target is cgroup v1");
	check_target_v1("{\"levels\":[{\"name\":\"a\",\"when\":{\"local_relative\":5}}],\"handlers\":"
	                "[{\"on\":\"entered\",\"signal\":\"TERM\"}]}",
	                0, "");
}

/* The threshold column: which kinds have one, and which negates. Its measure and value on
 * hand-built nodes are tested with each kind (test_cond_memory.c, test_cond_trend.c). */
static void test_threshold_column(void **state)
{
	(void)state;
	for (int k = 0; k < COND_KINDS; k++) { /* no threshold of their own */
		const struct cond_ops *ops = condition_ops((enum cond_kind)k);
		bool has = k == COND_LOCAL_ABSOLUTE || k == COND_LOCAL_RELATIVE ||
		           k == COND_GLOBAL_ABSOLUTE || k == COND_GLOBAL_RELATIVE || k == COND_TIME_TO_LIMIT;
		assert_int_equal(ops->threshold != NULL, has);
		assert_int_equal(ops->negates, k == COND_NOT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_condition_rows),    cmocka_unit_test(test_other_names),
		cmocka_unit_test(test_explain_unchanged), cmocka_unit_test(test_check_target_unchanged),
		cmocka_unit_test(test_threshold_column),
	};
	return cmocka_run_group_tests_name("condition and action tables", tests, NULL, NULL);
}
