/* The pressure condition (lib/policy/cond_pressure.c): its object, evaluation on hand-built PSI
 * averages, run --once's value and threshold, memhook check's text. */
#include "unit.h"

#include "policy_fixtures.h"

/* ---- moved from test_eval.c (the pressure half of test_pressure_and_events) ---- */

static void test_pressure(void **state)
{
	(void)state;
	struct sample s = { .usage_bytes = 70 * MiB,
		            .limit_bytes = 100 * MiB,
		            .host_total_bytes = 1000 * MiB,
		            .host_available_bytes = 200 * MiB };
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
}

/* ---- added ---- */

/* kind some and window avg10 by default; above is required. */
static void test_parse(void **state)
{
	(void)state;
	struct policy *p;
	const struct condition *c = fixture_when_ok("{\"pressure\": {\"above\": 10}}", &p);
	assert_int_equal(c->kind, COND_PRESSURE);
	assert_int_equal(c->psi_kind, PSI_SOME);
	assert_int_equal(c->psi_window, PSI_AVG10);
	assert_float_equal(c->percent, 10, 1e-12);
	assert_true(p->needs_v2);
	policy_free(p);
	c = fixture_when_ok("{\"pressure\": {\"kind\": \"full\", \"window\": \"avg300\", \"above\": 0}}", &p);
	assert_int_equal(c->psi_kind, PSI_FULL);
	assert_int_equal(c->psi_window, PSI_AVG300);
	assert_float_equal(c->percent, 0, 1e-12);
	policy_free(p);
	c = fixture_when_ok("{\"pressure\": {\"window\": \"avg60\", \"above\": 100}}", &p);
	assert_int_equal(c->psi_kind, PSI_SOME);
	assert_int_equal(c->psi_window, PSI_AVG60);
	policy_free(p);
}

static void test_parse_errors(void **state)
{
	(void)state;
	fixture_when_fails("{\"pressure\": 10}", "levels[0].when.pressure: must be an object");
	fixture_when_fails("{\"pressure\": {}}", "levels[0].when.pressure.above: is required");
	fixture_when_fails("{\"pressure\": {\"kind\": \"FULL\", \"above\": 1}}",
	                   "levels[0].when.pressure.kind: must be \"some\" or \"full\"");
	fixture_when_fails("{\"pressure\": {\"kind\": 1, \"above\": 1}}",
	                   "levels[0].when.pressure.kind: must be a string");
	fixture_when_fails("{\"pressure\": {\"window\": \"avg30\", \"above\": 1}}",
	                   "levels[0].when.pressure.window: must be \"avg10\", \"avg60\" or \"avg300\"");
	fixture_when_fails("{\"pressure\": {\"above\": 100.01}}",
	                   "levels[0].when.pressure.above: must be between 0 and 100");
	fixture_when_fails("{\"pressure\": {\"above\": 1, \"below\": 2}}",
	                   "levels[0].when.pressure.below: unknown key");
	fixture_when_fails("{\"all\": [{\"pressure\": {\"above\": \"5%\"}}]}",
	                   "levels[0].when.all[0].pressure.above: must be a number");
}

/* Strictly above: at the threshold and at 0 it does not hold; each window is its own. */
static void test_eval_edges(void **state)
{
	(void)state;
	struct sample s = { .has_psi = true };
	struct condition c = { .kind = COND_PRESSURE, .psi_kind = PSI_SOME, .psi_window = PSI_AVG300 };
	assert_false(fixture_eval(&c, &s, NULL)); /* 0 above 0 */
	s.psi.avg[PSI_SOME][PSI_AVG300] = 0.01;
	assert_true(fixture_eval(&c, &s, NULL));
	c.percent = 100;
	s.psi.avg[PSI_SOME][PSI_AVG300] = 100;
	assert_false(fixture_eval(&c, &s, NULL)); /* 100 is never above 100 */
	c.percent = 50;
	s.psi.avg[PSI_SOME][PSI_AVG300] = 0;
	s.psi.avg[PSI_SOME][PSI_AVG10] = 99; /* another window does not count */
	assert_false(fixture_eval(&c, &s, NULL));
	s.psi.avg[PSI_SOME][PSI_AVG300] = 99;
	s.has_psi = false; /* not read: stale figures do not count */
	assert_false(fixture_eval(&c, &s, NULL));
}

/* value: the average, null without PSI; threshold: the percent. No threshold column. */
static void test_explain(void **state)
{
	(void)state;
	struct sample s = { .has_psi = true };
	s.psi.avg[PSI_FULL][PSI_AVG60] = 3.25;
	struct condition c = {
		.kind = COND_PRESSURE, .psi_kind = PSI_FULL, .psi_window = PSI_AVG60, .percent = 2.5
	};
	fixture_explain_is(&c, &s, "{\"value\":3.25,\"threshold\":2.5}");
	s.has_psi = false;
	fixture_explain_is(&c, &s, "{\"value\":null,\"threshold\":2.5}");
	assert_null(condition_ops(COND_PRESSURE)->threshold);
	assert_string_equal(condition_ops(COND_PRESSURE)->v2_file, "pressure");
}

static void test_describe(void **state)
{
	(void)state;
	struct condition c = {
		.kind = COND_PRESSURE, .psi_kind = PSI_FULL, .psi_window = PSI_AVG60, .percent = 2.5
	};
	fixture_describe_is(NULL, &c, "pressure full avg60 > 2.5%");
	c = (struct condition){ .kind = COND_PRESSURE, .psi_kind = PSI_SOME, .psi_window = PSI_AVG300 };
	fixture_describe_is(NULL, &c, "pressure some avg300 > 0%");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pressure),     cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_eval_edges),
		cmocka_unit_test(test_explain),      cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests_name("cond_pressure", tests, NULL, NULL);
}
