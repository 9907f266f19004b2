/* Every condition against hand-made samples, the level choice, and the --once explanation. */
#include "unit.h"

#include <cjson/cJSON.h>

#include "policy/eval.h"

#define MiB (UINT64_C(1) << 20)

/* 100 MiB limit, 70 MiB used (30% free), host 1000 MiB total, 200 MiB available (20%). */
static struct sample base_sample(void)
{
	return (struct sample){ .usage_bytes = 70 * MiB,
		                .limit_bytes = 100 * MiB,
		                .host_total_bytes = 1000 * MiB,
		                .host_available_bytes = 200 * MiB };
}

static bool leaf(enum cond_kind kind, uint64_t bytes, double percent, const struct sample *s)
{
	struct condition c = { .kind = kind, .bytes = bytes, .percent = percent };
	return eval_condition(&c, s, NULL);
}

static void test_local_relative_is_free_percent_below(void **state)
{
	(void)state;
	struct sample s = base_sample();
	assert_false(leaf(COND_LOCAL_RELATIVE, 0, 30, &s)); /* 30% free is not below 30 */
	assert_true(leaf(COND_LOCAL_RELATIVE, 0, 30.5, &s));
	s.usage_bytes = 10 * MiB; /* Satella's inverted version would fire here: low usage */
	assert_false(leaf(COND_LOCAL_RELATIVE, 0, 30, &s));
	s.usage_bytes = 120 * MiB; /* over the limit: 0% free, no underflow */
	assert_true(leaf(COND_LOCAL_RELATIVE, 0, 1, &s));
	assert_int_equal(sample_local_free_bytes(&s), 0);
}

static void test_local_absolute(void **state)
{
	(void)state;
	struct sample s = base_sample();
	assert_false(leaf(COND_LOCAL_ABSOLUTE, 0, 0, &s));
	assert_false(leaf(COND_LOCAL_ABSOLUTE, 30 * MiB, 0, &s));
	assert_true(leaf(COND_LOCAL_ABSOLUTE, 30 * MiB + 1, 0, &s));
}

static void test_global_conditions_use_one_sample(void **state)
{
	(void)state;
	struct sample s = base_sample();
	assert_true(leaf(COND_GLOBAL_ABSOLUTE, 256 * MiB, 0, &s));
	assert_false(leaf(COND_GLOBAL_ABSOLUTE, 200 * MiB, 0, &s));
	assert_true(leaf(COND_GLOBAL_RELATIVE, 0, 20.1, &s));
	assert_false(leaf(COND_GLOBAL_RELATIVE, 0, 20, &s));
	s.host_total_bytes = 0; /* garbage meminfo never divides by zero */
	assert_true(leaf(COND_GLOBAL_RELATIVE, 0, 1, &s));
}

static void test_custom_uses_probe_results(void **state)
{
	(void)state;
	struct sample s = base_sample();
	struct condition c = { .kind = COND_CUSTOM, .probe = 1 };
	bool results[2] = { false, true };
	assert_true(eval_condition(&c, &s, results));
	c.probe = 0;
	assert_false(eval_condition(&c, &s, results));
	assert_false(eval_condition(&c, &s, NULL));
}

static void test_all_any_not(void **state)
{
	(void)state;
	struct sample s = base_sample();
	struct condition yes = { .kind = COND_LOCAL_RELATIVE, .percent = 50 };
	struct condition no = { .kind = COND_LOCAL_RELATIVE, .percent = 10 };
	struct condition kids[2] = { yes, no };
	struct condition all = { .kind = COND_ALL, .children = kids, .n_children = 2 };
	struct condition any = { .kind = COND_ANY, .children = kids, .n_children = 2 };
	struct condition not_no = { .kind = COND_NOT, .children = &kids[1], .n_children = 1 };
	assert_false(eval_condition(&all, &s, NULL));
	assert_true(eval_condition(&any, &s, NULL));
	assert_true(eval_condition(&not_no, &s, NULL));
	kids[1] = yes;
	assert_true(eval_condition(&all, &s, NULL));
}

static void test_pressure_and_events(void **state)
{
	(void)state;
	struct sample s = base_sample();
	struct condition p = {
		.kind = COND_PRESSURE, .psi_kind = PSI_FULL, .psi_window = PSI_AVG60, .percent = 5
	};
	assert_false(eval_condition(&p, &s, NULL)); /* no PSI read: never holds */
	s.has_psi = true;
	s.psi.avg[PSI_FULL][PSI_AVG60] = 5.0;
	assert_false(eval_condition(&p, &s, NULL));
	s.psi.avg[PSI_FULL][PSI_AVG60] = 5.01;
	assert_true(eval_condition(&p, &s, NULL));
	s.psi.avg[PSI_SOME][PSI_AVG60] = 90; /* other kind does not count */
	s.psi.avg[PSI_FULL][PSI_AVG60] = 0;
	assert_false(eval_condition(&p, &s, NULL));

	struct condition e = { .kind = COND_EVENTS, .memevent = MEMEV_HIGH, .increased_by = 2 };
	assert_false(eval_condition(&e, &s, NULL));
	s.has_events = true;
	s.events[MEMEV_HIGH] = 100; /* cumulative counts alone do not fire */
	s.events_delta[MEMEV_HIGH] = 1;
	assert_false(eval_condition(&e, &s, NULL));
	s.events_delta[MEMEV_HIGH] = 2;
	assert_true(eval_condition(&e, &s, NULL));
}

static struct policy three_levels(struct level *lv)
{
	lv[0] = (struct level){ .name = (char *)"elevated",
		                .when = { .kind = COND_LOCAL_RELATIVE, .percent = 30 } };
	lv[1] = (struct level){ .name = (char *)"high",
		                .when = { .kind = COND_LOCAL_RELATIVE, .percent = 15 } };
	lv[2] = (struct level){ .name = (char *)"critical",
		                .when = { .kind = COND_LOCAL_ABSOLUTE, .bytes = 5 * MiB } };
	return (struct policy){ .levels = lv, .n_levels = 3 };
}

static void test_highest_matching_level_wins(void **state)
{
	(void)state;
	struct level lv[3];
	struct policy p = three_levels(lv);
	struct sample s = base_sample();
	assert_int_equal(eval_level(&p, &s, NULL), 0);
	s.usage_bytes = 75 * MiB;
	assert_int_equal(eval_level(&p, &s, NULL), 1);
	s.usage_bytes = 90 * MiB;
	assert_int_equal(eval_level(&p, &s, NULL), 2);
	s.usage_bytes = 99 * MiB;
	assert_int_equal(eval_level(&p, &s, NULL), 3);
	/* levels are not required to nest: only level 3 holds here, and 3 wins */
	lv[0].when.percent = 0;
	lv[1].when.percent = 0;
	assert_int_equal(eval_level(&p, &s, NULL), 3);
}

static void test_explain_lists_every_node(void **state)
{
	(void)state;
	struct condition kids[2] = {
		{ .kind = COND_LOCAL_RELATIVE, .percent = 15, .path = (char *)"levels[0].when.any[0]" },
		{ .kind = COND_GLOBAL_ABSOLUTE, .bytes = 256 * MiB, .path = (char *)"levels[0].when.any[1]" },
	};
	struct level lv = { .name = (char *)"high",
		            .when = { .kind = COND_ANY,
		                      .children = kids,
		                      .n_children = 2,
		                      .path = (char *)"levels[0].when" } };
	struct policy p = { .levels = &lv, .n_levels = 1 };
	struct sample s = base_sample();
	cJSON *arr = eval_explain(&p, &s, NULL);
	assert_non_null(arr);
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	cJSON *any = cJSON_GetArrayItem(arr, 0);
	assert_string_equal(cJSON_GetObjectItem(any, "condition")->valuestring, "any");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(any, "holds")));
	cJSON *rel = cJSON_GetArrayItem(arr, 1);
	assert_string_equal(cJSON_GetObjectItem(rel, "path")->valuestring, "levels[0].when.any[0]");
	assert_true(cJSON_GetObjectItem(rel, "value")->valuedouble > 29.9);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(rel, "holds")));
	cJSON *glob = cJSON_GetArrayItem(arr, 2);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(glob, "holds")));
	cJSON_Delete(arr);
}

/* A level's clear condition: its clear_when, else not its when; run --once lists clear_when's
 * nodes after the level's when. */
static void test_clear_condition_and_its_explanation(void **state)
{
	(void)state;
	struct level lv[2] = {
		{ .name = (char *)"low",
		  .when = { .kind = COND_LOCAL_RELATIVE, .percent = 10, .path = (char *)"levels[0].when" } },
		{ .name = (char *)"lower",
		  .when = { .kind = COND_LOCAL_RELATIVE, .percent = 5, .path = (char *)"levels[1].when" },
		  .has_clear_when = true,
		  .clear_when = { .kind = COND_LOCAL_RELATIVE,
		                  .percent = 80,
		                  .path = (char *)"levels[1].clear_when" } },
	};
	struct policy p = { .levels = lv, .n_levels = 2 };
	struct sample s = base_sample();
	s.usage_bytes = 50 * MiB; /* 50% free */
	assert_false(eval_when(&p, 1, &s, NULL));
	assert_true(eval_clear(&p, 1, &s, NULL)); /* not when */
	assert_false(eval_when(&p, 2, &s, NULL));
	assert_true(eval_clear(&p, 2, &s, NULL)); /* clear_when: below 80% free */
	s.usage_bytes = 10 * MiB;
	assert_false(eval_clear(&p, 2, &s, NULL)); /* 90% free: clear_when false, though when is too */
	cJSON *arr = eval_explain(&p, &s, NULL);
	assert_non_null(arr);
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 2), "path")->valuestring,
	                    "levels[1].clear_when");
	cJSON_Delete(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_relative_is_free_percent_below),
		cmocka_unit_test(test_local_absolute),
		cmocka_unit_test(test_global_conditions_use_one_sample),
		cmocka_unit_test(test_custom_uses_probe_results),
		cmocka_unit_test(test_all_any_not),
		cmocka_unit_test(test_pressure_and_events),
		cmocka_unit_test(test_highest_matching_level_wins),
		cmocka_unit_test(test_explain_lists_every_node),
		cmocka_unit_test(test_clear_condition_and_its_explanation),
	};
	return cmocka_run_group_tests_name("eval", tests, NULL, NULL);
}
