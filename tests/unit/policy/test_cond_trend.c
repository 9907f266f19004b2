/* The trend conditions time_to_limit and growth (lib/policy/cond_trend.c): their objects and the
 * fits they register, evaluation on hand-built fits, the threshold column, run --once's value and
 * threshold, memhook check's text. */
#include "unit.h"

#include <math.h>

#include "base/util.h"
#include "policy_fixtures.h"

/* A sample whose fit number i is f (has_trend set). */
static struct sample with_fit(size_t i, struct trend_fit f)
{
	struct sample s = { .usage_bytes = 10 * MiB, .limit_bytes = 100 * MiB, .has_trend = true };
	s.trend_fits[i] = f;
	return s;
}

/* ---- moved from test_condition.c (test_threshold_column, time_to_limit) ---- */

static void test_threshold_column(void **state)
{
	(void)state;
	const uint64_t mi = 1024 * 1024;
	struct sample s = { .usage_bytes = 10 * mi,
		            .limit_bytes = 100 * mi,
		            .host_available_bytes = 800 * mi,
		            .host_total_bytes = 1000 * mi };
	struct cond_threshold t = { .measure = COND_MEASURE_TIME_TO_LIMIT, .value = -1 };
	struct condition c;

	/* time_to_limit 30s: a valid growing fit 100 s from the limit; none without a valid growing fit */
	c = (struct condition){ .kind = COND_TIME_TO_LIMIT, .below_usec = 30 * USEC_PER_SEC, .trend = 1 };
	struct sample tr = s;
	tr.trend_fits[1] =
	        (struct trend_fit){ .valid = true, .slope_bytes_per_sec = 1e6, .time_to_limit_sec = 100 };
	assert_true(condition_ops(COND_TIME_TO_LIMIT)->threshold(&c, &tr, &t));
	assert_int_equal(t.measure, COND_MEASURE_TIME_TO_LIMIT);
	assert_true(t.value == 30.0);
	tr.trend_fits[1].time_to_limit_sec = 20; /* holds already */
	assert_false(condition_ops(COND_TIME_TO_LIMIT)->threshold(&c, &tr, &t));
	tr.trend_fits[1] =
	        (struct trend_fit){ .valid = true, .slope_bytes_per_sec = -1, .time_to_limit_sec = 100 };
	assert_false(condition_ops(COND_TIME_TO_LIMIT)->threshold(&c, &tr, &t));
	tr.trend_fits[1] =
	        (struct trend_fit){ .valid = false, .slope_bytes_per_sec = 1e6, .time_to_limit_sec = 100 };
	assert_false(condition_ops(COND_TIME_TO_LIMIT)->threshold(&c, &tr, &t));
}

/* ---- added ---- */

/* Each trend condition registers a fit (in document order) with its usage and window; the
 * longest window is the ring's span; a usage other than current reads memory.stat. */
static void test_parse(void **state)
{
	(void)state;
	struct policy *p = fixture_parse_ok(
	        "{\"usage\": \"working_set\", \"levels\": ["
	        "{\"name\": \"a\", \"when\": {\"time_to_limit\": {\"below\": \"30s\", \"window\": \"20s\"}}},"
	        "{\"name\": \"b\", \"when\": {\"any\": [{\"growth\": {\"above\": \"10Mi/s\", \"window\": "
	        "\"1h\", \"usage\": \"current\"}}, {\"time_to_limit\": {\"below\": \"1s\", \"window\": "
	        "\"1s\", \"usage\": \"anon\"}}]}}]}");
	assert_int_equal(p->n_trends, 3);
	const struct condition *ttl = &p->levels[0].when;
	assert_int_equal(ttl->kind, COND_TIME_TO_LIMIT);
	assert_int_equal(ttl->below_usec, 30 * USEC_PER_SEC);
	assert_int_equal(ttl->window_usec, 20 * USEC_PER_SEC);
	assert_int_equal(ttl->usage, USAGE_WORKING_SET);
	assert_int_equal(ttl->trend, 0);
	const struct condition *gr = &p->levels[1].when.children[0];
	assert_int_equal(gr->kind, COND_GROWTH);
	assert_float_equal(gr->rate_bytes_per_sec, (double)(10 * MiB), 1e-6);
	assert_int_equal(gr->usage, USAGE_CURRENT);
	assert_int_equal(gr->trend, 1);
	assert_int_equal(p->levels[1].when.children[1].trend, 2);
	assert_int_equal(p->trends[1].usage, USAGE_CURRENT);
	assert_int_equal(p->trends[1].window_usec, 3600 * USEC_PER_SEC);
	assert_int_equal(p->trends[2].usage, USAGE_ANON);
	assert_int_equal(p->trends[2].window_usec, USEC_PER_SEC);
	assert_int_equal(p->trend_max_window_usec, 3600 * USEC_PER_SEC);
	assert_true(p->needs_stat);
	policy_free(p);

	struct policy *q;
	fixture_when_ok("{\"growth\": {\"above\": \"0/s\", \"window\": \"10s\"}}", &q);
	assert_false(q->needs_stat);
	assert_int_equal(q->trend_max_window_usec, 10 * USEC_PER_SEC);
	policy_free(q);
}

static void test_parse_errors(void **state)
{
	(void)state;
	fixture_when_fails("{\"time_to_limit\": \"30s\"}", "levels[0].when.time_to_limit: must be an object");
	fixture_when_fails("{\"time_to_limit\": {\"window\": \"20s\"}}",
	                   "levels[0].when.time_to_limit.below: is required");
	fixture_when_fails("{\"time_to_limit\": {\"below\": \"30s\"}}",
	                   "levels[0].when.time_to_limit.window: is required");
	fixture_when_fails("{\"time_to_limit\": {\"below\": \"0s\", \"window\": \"20s\"}}",
	                   "levels[0].when.time_to_limit.below: must be greater than 0");
	fixture_when_fails("{\"time_to_limit\": {\"below\": \"30s\", \"window\": \"999ms\"}}",
	                   "levels[0].when.time_to_limit.window: must be between 1s and 1h");
	fixture_when_fails("{\"growth\": {\"above\": \"1Mi/s\", \"window\": \"3601s\"}}",
	                   "levels[0].when.growth.window: must be between 1s and 1h");
	fixture_when_fails("{\"growth\": {\"window\": \"10s\"}}", "levels[0].when.growth.above: is required");
	fixture_when_fails("{\"growth\": {\"above\": 0, \"window\": \"10s\"}}",
	                   "levels[0].when.growth.above: must be a string");
	fixture_when_fails("{\"growth\": {\"above\": \"10Mi\", \"window\": \"10s\"}}",
	                   "levels[0].when.growth.above: must be a size per second like \"10Mi/s\"");
	fixture_when_fails("{\"growth\": {\"above\": \"1Mi/s\", \"window\": \"10s\", \"usage\": \"rss\"}}",
	                   "levels[0].when.growth.usage: unknown usage \"rss\" (expected current, "
	                   "working_set or anon)");
	fixture_when_fails("{\"growth\": {\"above\": \"1Mi/s\", \"window\": \"10s\", \"below\": 1}}",
	                   "levels[0].when.growth.below: unknown key");
}

/* More than POLICY_MAX_TRENDS trend conditions are refused at the first one past the cap. */
static void test_trend_cap(void **state)
{
	(void)state;
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);
	assert_non_null(f);
	fputs("{\"levels\": [{\"name\": \"a\", \"when\": {\"any\": [", f);
	for (int i = 0; i <= POLICY_MAX_TRENDS; i++)
		fprintf(f, "%s{\"growth\": {\"above\": \"1Mi/s\", \"window\": \"10s\"}}", i ? ", " : "");
	fputs("]}}]}", f);
	fclose(f);
	char want[128];
	snprintf(want, sizeof(want),
	         "levels[0].when.any[%d].growth: more than %d trend conditions in one policy",
	         POLICY_MAX_TRENDS, POLICY_MAX_TRENDS);
	fixture_parse_fails(json, want);
	free(json);
}

/* time_to_limit: a growing valid fit strictly below `below`; growth: a valid slope strictly
 * above the rate. Without a fit (none yet, or the sample has no trend) neither holds. */
static void test_eval_edges(void **state)
{
	(void)state;
	struct condition ttl = { .kind = COND_TIME_TO_LIMIT, .below_usec = 30 * USEC_PER_SEC, .trend = 2 };
	struct sample s = with_fit(
	        2, (struct trend_fit){ .valid = true, .slope_bytes_per_sec = 1, .time_to_limit_sec = 30 });
	assert_false(fixture_eval(&ttl, &s, NULL)); /* exactly at */
	s.trend_fits[2].time_to_limit_sec = 29.999;
	assert_true(fixture_eval(&ttl, &s, NULL));
	s.trend_fits[2].time_to_limit_sec = 0; /* at or over the limit */
	assert_true(fixture_eval(&ttl, &s, NULL));
	s.trend_fits[2].slope_bytes_per_sec = 0; /* not growing */
	assert_false(fixture_eval(&ttl, &s, NULL));
	s.trend_fits[2].slope_bytes_per_sec = 1;
	s.has_trend = false;
	assert_false(fixture_eval(&ttl, &s, NULL));
	s.has_trend = true;
	s.trend_fits[2].valid = false;
	assert_false(fixture_eval(&ttl, &s, NULL));
	s.trend_fits[2].valid = true;
	s.trend_fits[2].time_to_limit_sec = INFINITY;
	assert_false(fixture_eval(&ttl, &s, NULL));
	ttl.trend = POLICY_MAX_TRENDS; /* out of range: no fit */
	s.trend_fits[2].time_to_limit_sec = 1;
	assert_false(fixture_eval(&ttl, &s, NULL));

	struct condition gr = { .kind = COND_GROWTH, .rate_bytes_per_sec = 1e6, .trend = 0 };
	s = with_fit(0, (struct trend_fit){ .valid = true, .slope_bytes_per_sec = 1e6 });
	assert_false(fixture_eval(&gr, &s, NULL)); /* exactly at */
	s.trend_fits[0].slope_bytes_per_sec = 1e6 + 1;
	assert_true(fixture_eval(&gr, &s, NULL));
	gr.rate_bytes_per_sec = 0; /* above 0: any growth */
	s.trend_fits[0].slope_bytes_per_sec = 0;
	assert_false(fixture_eval(&gr, &s, NULL));
	s.trend_fits[0].slope_bytes_per_sec = 0.5;
	assert_true(fixture_eval(&gr, &s, NULL));
	s.trend_fits[0].valid = false;
	assert_false(fixture_eval(&gr, &s, NULL));
}

/* time_to_limit's threshold at the edge: exactly `below` away is still a threshold; growth has none. */
static void test_threshold_edges(void **state)
{
	(void)state;
	struct cond_threshold t = { .value = -1 };
	struct condition c = { .kind = COND_TIME_TO_LIMIT, .below_usec = 1500 * USEC_PER_MSEC };
	struct sample s = with_fit(
	        0, (struct trend_fit){ .valid = true, .slope_bytes_per_sec = 1, .time_to_limit_sec = 1.5 });
	assert_true(condition_ops(c.kind)->threshold(&c, &s, &t));
	assert_int_equal(t.measure, COND_MEASURE_TIME_TO_LIMIT);
	assert_true(t.value == 1.5);
	s.trend_fits[0].slope_bytes_per_sec = 0;
	t.value = -1;
	assert_false(condition_ops(c.kind)->threshold(&c, &s, &t));
	assert_true(t.value == -1);
	assert_null(condition_ops(COND_GROWTH)->threshold);
}

/* value and threshold in seconds (time_to_limit) and bytes per second (growth); null without a
 * fit, or when not growing. */
static void test_explain(void **state)
{
	(void)state;
	struct condition ttl = { .kind = COND_TIME_TO_LIMIT, .below_usec = 30 * USEC_PER_SEC };
	struct sample s = with_fit(
	        0,
	        (struct trend_fit){ .valid = true, .slope_bytes_per_sec = 2048, .time_to_limit_sec = 12.5 });
	fixture_explain_is(&ttl, &s, "{\"value\":12.5,\"threshold\":30}");
	s.trend_fits[0].time_to_limit_sec = INFINITY;
	fixture_explain_is(&ttl, &s, "{\"value\":null,\"threshold\":30}");
	struct condition gr = { .kind = COND_GROWTH, .rate_bytes_per_sec = 1024 };
	fixture_explain_is(&gr, &s, "{\"value\":2048,\"threshold\":1024}");
	s.trend_fits[0].valid = false;
	fixture_explain_is(&gr, &s, "{\"value\":null,\"threshold\":1024}");
	fixture_explain_is(&ttl, &s, "{\"value\":null,\"threshold\":30}");
}

static void test_describe(void **state)
{
	(void)state;
	struct condition c = { .kind = COND_TIME_TO_LIMIT,
		               .below_usec = 30 * USEC_PER_SEC,
		               .window_usec = 20 * USEC_PER_SEC,
		               .usage = USAGE_WORKING_SET };
	fixture_describe_is(NULL, &c, "time_to_limit < 30s (working_set over 20s)");
	c = (struct condition){ .kind = COND_GROWTH,
		                .rate_bytes_per_sec = (double)(10 * MiB),
		                .window_usec = 10 * USEC_PER_SEC };
	fixture_describe_is(NULL, &c, "growth > 10Mi/s (current over 10s)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_column), cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),     cmocka_unit_test(test_trend_cap),
		cmocka_unit_test(test_eval_edges),       cmocka_unit_test(test_threshold_edges),
		cmocka_unit_test(test_explain),          cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests_name("cond_trend", tests, NULL, NULL);
}
