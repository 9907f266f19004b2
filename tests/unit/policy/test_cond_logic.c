/* The combinators all, any and not (lib/policy/cond_logic.c): their forms and errors with the
 * child's path, evaluation over hand-built children, memhook check's text. */
#include "unit.h"

#include "policy_fixtures.h"

/* 100 MiB limit, 70 MiB used (30% free), host 1000 MiB total, 200 MiB available (20%). */
static struct sample base_sample(void)
{
	return (struct sample){ .usage_bytes = 70 * MiB,
		                .limit_bytes = 100 * MiB,
		                .host_total_bytes = 1000 * MiB,
		                .host_available_bytes = 200 * MiB };
}

/* ---- moved from test_eval.c ---- */

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

/* ---- added ---- */

/* all and any take a non-empty array, not one condition; children are parsed at their path. */
static void test_parse(void **state)
{
	(void)state;
	struct policy *p;
	const struct condition *c = fixture_when_ok(
	        "{\"all\": [{\"any\": [{\"local_relative\": 5}, {\"not\": {\"global_relative\": 3}}]}, "
	        "{\"local_absolute\": \"1Mi\"}]}",
	        &p);
	assert_int_equal(c->kind, COND_ALL);
	assert_int_equal(c->n_children, 2);
	assert_int_equal(c->children[0].kind, COND_ANY);
	assert_int_equal(c->children[0].n_children, 2);
	const struct condition *n = &c->children[0].children[1];
	assert_int_equal(n->kind, COND_NOT);
	assert_int_equal(n->n_children, 1);
	assert_int_equal(n->children[0].kind, COND_GLOBAL_RELATIVE);
	assert_string_equal(n->path, "levels[0].when.all[0].any[1]");
	assert_string_equal(n->children[0].path, "levels[0].when.all[0].any[1].not");
	assert_string_equal(c->children[1].path, "levels[0].when.all[1]");
	policy_free(p);
	c = fixture_when_ok("{\"any\": [{\"local_relative\": 5}]}", &p); /* one child is enough */
	assert_int_equal(c->n_children, 1);
	policy_free(p);
}

static void test_parse_errors(void **state)
{
	(void)state;
	fixture_when_fails("{\"all\": []}", "levels[0].when.all: must not be empty");
	fixture_when_fails("{\"any\": {\"local_relative\": 5}}",
	                   "levels[0].when.any: must be an array of conditions");
	fixture_when_fails("{\"not\": [{\"local_relative\": 5}]}", "levels[0].when.not: must be an object");
	fixture_when_fails("{\"any\": [{\"local_relative\": 5}, {\"local_relative\": 101}]}",
	                   "levels[0].when.any[1].local_relative: must be between 0 and 100");
	fixture_when_fails("{\"not\": {\"not\": {\"nope\": 1}}}",
	                   "levels[0].when.not.not.nope: unknown condition");
}

/* Empty children never come from a policy, but hand-built: all of none holds, any of none does
 * not; not flips a child's every answer; every child is looked at. */
static void test_eval_edges(void **state)
{
	(void)state;
	struct sample s = base_sample();
	struct condition all = { .kind = COND_ALL };
	struct condition any = { .kind = COND_ANY };
	assert_true(fixture_eval(&all, &s, NULL));
	assert_false(fixture_eval(&any, &s, NULL));

	/* custom children read the probes' results through the combinator */
	struct condition kids[3] = {
		{ .kind = COND_CUSTOM, .probe = 0 },
		{ .kind = COND_CUSTOM, .probe = 1 },
		{ .kind = COND_CUSTOM, .probe = 2 },
	};
	const bool results[3] = { true, true, false };
	all = (struct condition){ .kind = COND_ALL, .children = kids, .n_children = 3 };
	any = (struct condition){ .kind = COND_ANY, .children = kids, .n_children = 3 };
	assert_false(fixture_eval(&all, &s, results));
	assert_true(fixture_eval(&any, &s, results));
	all.n_children = 2;
	assert_true(fixture_eval(&all, &s, results));
	any = (struct condition){ .kind = COND_ANY, .children = &kids[2], .n_children = 1 };
	assert_false(fixture_eval(&any, &s, results));
	struct condition not = { .kind = COND_NOT, .children = &any, .n_children = 1 };
	assert_true(fixture_eval(&not, &s, results));
	struct condition not_not = { .kind = COND_NOT, .children = &not, .n_children = 1 };
	assert_false(fixture_eval(&not_not, &s, results));
	assert_false(fixture_eval(&not, &s, (const bool[]){ false, false, true }));
}

/* No values of their own; not is the only row that negates, and none has a threshold. */
static void test_explain_and_rows(void **state)
{
	(void)state;
	struct sample s = base_sample();
	struct condition kid = { .kind = COND_LOCAL_RELATIVE, .percent = 50 };
	struct condition c = { .kind = COND_NOT, .children = &kid, .n_children = 1 };
	fixture_explain_is(&c, &s, "{}");
	c.kind = COND_ALL;
	fixture_explain_is(&c, &s, "{}");
	assert_true(condition_ops(COND_NOT)->negates);
	assert_false(condition_ops(COND_ALL)->negates);
	assert_false(condition_ops(COND_ANY)->negates);
	assert_null(condition_ops(COND_ALL)->threshold);
	assert_null(condition_ops(COND_ANY)->threshold);
	assert_null(condition_ops(COND_NOT)->threshold);
}

/* "all(a, b)", nested, and the children's own text. */
static void test_describe(void **state)
{
	(void)state;
	struct policy *p;
	const struct condition *c = fixture_when_ok(
	        "{\"all\": [{\"any\": [{\"not\": {\"local_relative\": 5}}, {\"events\": \"oom\"}]}, "
	        "{\"local_absolute\": \"64Mi\"}]}",
	        &p);
	fixture_describe_is(p, c,
	                    "all(any(not(local_relative < 5%), events oom increased by >= 1), "
	                    "local_absolute < 64Mi)");
	fixture_describe_is(p, &c->children[0].children[0], "not(local_relative < 5%)");
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_any_not),      cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),     cmocka_unit_test(test_eval_edges),
		cmocka_unit_test(test_explain_and_rows), cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests_name("cond_logic", tests, NULL, NULL);
}
