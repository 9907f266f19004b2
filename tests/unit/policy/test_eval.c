/* The level choice, a level's clear condition, and the --once explanation over a policy's nodes
 * (lib/policy/eval.c); each kind's own evaluation is tested in test_cond_<file>.c. */
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
		cmocka_unit_test(test_highest_matching_level_wins),
		cmocka_unit_test(test_explain_lists_every_node),
		cmocka_unit_test(test_clear_condition_and_its_explanation),
	};
	return cmocka_run_group_tests_name("eval", tests, NULL, NULL);
}
