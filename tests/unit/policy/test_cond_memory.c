/* The four free-memory conditions (lib/policy/cond_memory.c): global_absolute, global_relative,
 * local_absolute, local_relative: their forms and errors, evaluation on hand-built samples, the
 * threshold column, run --once's value and threshold, memhook check's text. */
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

static bool leaf(enum cond_kind kind, uint64_t bytes, double percent, const struct sample *s)
{
	struct condition c = { .kind = kind, .bytes = bytes, .percent = percent };
	return eval_condition(&c, s, NULL);
}

/* ---- moved from test_eval.c ---- */

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

/* ---- moved from test_condition.c (test_threshold_column, the free-memory kinds) ---- */

static void test_threshold_column(void **state)
{
	(void)state;
	const uint64_t mi = 1024 * 1024;
	struct sample s = { .usage_bytes = 10 * mi,
		            .limit_bytes = 100 * mi,
		            .host_available_bytes = 800 * mi,
		            .host_total_bytes = 1000 * mi };
	struct cond_threshold t = { .measure = COND_MEASURE_TIME_TO_LIMIT, .value = -1 };

	/* local_absolute 30Mi: holds once usage is above 70Mi */
	struct condition c = { .kind = COND_LOCAL_ABSOLUTE, .bytes = 30 * mi, .usage = USAGE_CURRENT };
	assert_true(condition_ops(COND_LOCAL_ABSOLUTE)->threshold(&c, &s, &t));
	assert_int_equal(t.measure, COND_MEASURE_USAGE);
	assert_true(t.value == (double)(70 * mi));
	s.usage_bytes = 71 * mi; /* holds already: none, t untouched */
	t.value = -1;
	assert_false(condition_ops(COND_LOCAL_ABSOLUTE)->threshold(&c, &s, &t));
	assert_true(t.value == -1);
	s.usage_bytes = 10 * mi;
	c.bytes = 0; /* never holds */
	assert_false(condition_ops(COND_LOCAL_ABSOLUTE)->threshold(&c, &s, &t));
	c.bytes = 101 * mi; /* above the limit: always holds */
	assert_false(condition_ops(COND_LOCAL_ABSOLUTE)->threshold(&c, &s, &t));

	/* local_relative 25%: usage above 75% of the limit; a limit of 0 has none */
	c = (struct condition){ .kind = COND_LOCAL_RELATIVE, .percent = 25, .usage = USAGE_CURRENT };
	assert_true(condition_ops(COND_LOCAL_RELATIVE)->threshold(&c, &s, &t));
	assert_int_equal(t.measure, COND_MEASURE_USAGE);
	assert_true(t.value == (double)(75 * mi));
	struct sample no_limit = s;
	no_limit.limit_bytes = 0;
	assert_false(condition_ops(COND_LOCAL_RELATIVE)->threshold(&c, &no_limit, &t));
	c.percent = 0;
	assert_false(condition_ops(COND_LOCAL_RELATIVE)->threshold(&c, &s, &t));

	/* the usage kind the node names is what it measures: anon at 95Mi of 100Mi holds 25% already */
	struct sample stat = s;
	stat.has_stat = true;
	stat.anon_bytes = 95 * mi;
	c = (struct condition){ .kind = COND_LOCAL_RELATIVE, .percent = 25, .usage = USAGE_ANON };
	assert_false(condition_ops(COND_LOCAL_RELATIVE)->threshold(&c, &stat, &t));
	c.usage = USAGE_CURRENT;
	assert_true(condition_ops(COND_LOCAL_RELATIVE)->threshold(&c, &stat, &t));

	/* global_absolute 500Mi and global_relative 10%: MemAvailable falling below */
	c = (struct condition){ .kind = COND_GLOBAL_ABSOLUTE, .bytes = 500 * mi };
	assert_true(condition_ops(COND_GLOBAL_ABSOLUTE)->threshold(&c, &s, &t));
	assert_int_equal(t.measure, COND_MEASURE_HOST_AVAILABLE);
	assert_true(t.value == (double)(500 * mi));
	c.bytes = 900 * mi; /* holds already */
	assert_false(condition_ops(COND_GLOBAL_ABSOLUTE)->threshold(&c, &s, &t));
	c = (struct condition){ .kind = COND_GLOBAL_RELATIVE, .percent = 10 };
	assert_true(condition_ops(COND_GLOBAL_RELATIVE)->threshold(&c, &s, &t));
	assert_int_equal(t.measure, COND_MEASURE_HOST_AVAILABLE);
	assert_true(t.value == (double)(100 * mi));
	struct sample no_host = s;
	no_host.host_total_bytes = 0;
	assert_false(condition_ops(COND_GLOBAL_RELATIVE)->threshold(&c, &no_host, &t));
	/* a threshold of 0: MemAvailable never falls below 0, so nothing to aim at (as the local kinds) */
	c = (struct condition){ .kind = COND_GLOBAL_ABSOLUTE, .bytes = 0 };
	assert_false(condition_ops(COND_GLOBAL_ABSOLUTE)->threshold(&c, &s, &t));
	c = (struct condition){ .kind = COND_GLOBAL_RELATIVE, .percent = 0 };
	assert_false(condition_ops(COND_GLOBAL_RELATIVE)->threshold(&c, &s, &t));
}

/* ---- moved from test_policy_usage.c (test_parse_errors, the free-memory kinds) ---- */

static void test_usage_parse_errors(void **state)
{
	(void)state;
	fixture_parse_fails("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": "
	                    "{\"below\": 30, \"usage\": \"Anon\"}}}]}",
	                    "levels[0].when.local_relative.usage: unknown usage \"Anon\" (expected current, "
	                    "working_set or anon)");
	fixture_parse_fails(
	        "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": {\"usage\": \"anon\"}}}]}",
	        "levels[0].when.local_relative.below: is required");
	fixture_parse_fails(
	        "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": {\"below\": 101}}}]}",
	        "levels[0].when.local_relative.below: must be between 0 and 100");
	fixture_parse_fails("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_absolute\": "
	                    "{\"below\": \"1.5Mi\", \"usage\": \"anon\"}}}]}",
	                    "levels[0].when.local_absolute.below: invalid size \"1.5Mi\" (expected a whole "
	                    "number with an optional suffix K, Ki, M, Mi, G, Gi, T, Ti)");
	fixture_parse_fails("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_absolute\": "
	                    "{\"below\": \"1Mi\", \"above\": 1}}}]}",
	                    "levels[0].when.local_absolute.above: unknown key");
	/* global conditions measure the host: usage is refused with the reason */
	fixture_parse_fails("{\"levels\": [{\"name\": \"a\", \"when\": {\"any\": [{\"global_relative\": "
	                    "{\"below\": 10, \"usage\": \"working_set\"}}]}}]}",
	                    "levels[0].when.any[0].global_relative.usage: global conditions measure the "
	                    "host's MemAvailable; \"usage\" applies to local_absolute and local_relative "
	                    "only");
	fixture_parse_fails(
	        "{\"levels\": [{\"name\": \"a\", \"when\": {\"global_absolute\": {\"usage\": \"anon\"}}}]}",
	        "levels[0].when.global_absolute.usage: global conditions measure the host's "
	        "MemAvailable; \"usage\" applies to local_absolute and local_relative only");
}

/* ---- added ---- */

/* A threshold alone or {"below", "usage"} for the local kinds; a threshold alone for the global. */
static void test_parse_forms(void **state)
{
	(void)state;
	struct policy *p;
	const struct condition *c;

	c = fixture_when_ok("{\"local_absolute\": \"64Mi\"}", &p);
	assert_int_equal(c->kind, COND_LOCAL_ABSOLUTE);
	assert_int_equal(c->bytes, 64 * MiB);
	assert_int_equal(c->usage, USAGE_CURRENT);
	assert_false(p->needs_stat);
	policy_free(p);
	c = fixture_when_ok("{\"local_absolute\": 4096}", &p);
	assert_int_equal(c->bytes, 4096);
	policy_free(p);
	c = fixture_when_ok("{\"local_absolute\": {\"below\": \"1Gi\", \"usage\": \"working_set\"}}", &p);
	assert_int_equal(c->bytes, UINT64_C(1) << 30);
	assert_int_equal(c->usage, USAGE_WORKING_SET);
	assert_true(p->needs_stat);
	policy_free(p);
	c = fixture_when_ok("{\"local_relative\": 12.5}", &p);
	assert_int_equal(c->kind, COND_LOCAL_RELATIVE);
	assert_float_equal(c->percent, 12.5, 1e-12);
	policy_free(p);
	c = fixture_when_ok("{\"local_relative\": {\"below\": 0}}", &p); /* 0 and 100 are the bounds */
	assert_float_equal(c->percent, 0, 1e-12);
	policy_free(p);
	c = fixture_when_ok("{\"local_relative\": {\"below\": 100, \"usage\": \"anon\"}}", &p);
	assert_float_equal(c->percent, 100, 1e-12);
	assert_int_equal(c->usage, USAGE_ANON);
	policy_free(p);
	c = fixture_when_ok("{\"global_absolute\": \"1536Mi\"}", &p);
	assert_int_equal(c->kind, COND_GLOBAL_ABSOLUTE);
	assert_int_equal(c->bytes, 1536 * MiB);
	assert_false(p->needs_stat);
	policy_free(p);
	c = fixture_when_ok("{\"global_relative\": 5}", &p);
	assert_int_equal(c->kind, COND_GLOBAL_RELATIVE);
	assert_float_equal(c->percent, 5, 1e-12);
	policy_free(p);
}

static void test_parse_errors(void **state)
{
	(void)state;
	fixture_when_fails("{\"local_relative\": -1}",
	                   "levels[0].when.local_relative: must be between 0 and 100");
	fixture_when_fails("{\"local_relative\": \"30\"}", "levels[0].when.local_relative: must be a number");
	fixture_when_fails("{\"global_relative\": 100.5}",
	                   "levels[0].when.global_relative: must be between 0 and 100");
	fixture_when_fails("{\"local_absolute\": \"64MB\"}",
	                   "levels[0].when.local_absolute: invalid size \"64MB\" (expected a whole number "
	                   "with an optional suffix K, Ki, M, Mi, G, Gi, T, Ti)");
	fixture_when_fails("{\"local_absolute\": \"99999999999Ti\"}",
	                   "levels[0].when.local_absolute: size \"99999999999Ti\" is too large");
	fixture_when_fails("{\"local_absolute\": {\"below\": \"1Mi\", \"usage\": 1}}",
	                   "levels[0].when.local_absolute.usage: must be a string");
	/* the global kinds have no object form */
	fixture_when_fails("{\"global_absolute\": {\"below\": \"1Gi\"}}",
	                   "levels[0].when.global_absolute: must be a size (a number of bytes or a string "
	                   "like \"64Mi\")");
	fixture_when_fails("{\"global_absolute\": true}",
	                   "levels[0].when.global_absolute: must be a size (a number of bytes or a string "
	                   "like \"64Mi\")");
	fixture_when_fails("{\"global_relative\": {\"below\": 5}}",
	                   "levels[0].when.global_relative: must be a number");
}

/* Free memory strictly below the threshold; a limit of 0 has nothing free; usage past the limit
 * is nothing free, not a wrap-around; an unlimited (huge) limit leaves everything free. */
static void test_eval_edges(void **state)
{
	(void)state;
	struct sample s = base_sample();
	struct condition c = { .kind = COND_LOCAL_ABSOLUTE, .bytes = 30 * MiB };

	s.limit_bytes = 0; /* a limit of nothing: 0 bytes and 0% free */
	s.usage_bytes = 0;
	assert_true(fixture_eval(&c, &s, NULL));
	c = (struct condition){ .kind = COND_LOCAL_RELATIVE, .percent = 0.001 };
	assert_true(fixture_eval(&c, &s, NULL));
	c.percent = 0; /* below 0 never holds */
	assert_false(fixture_eval(&c, &s, NULL));

	s.limit_bytes = UINT64_MAX; /* no limit to speak of: all free */
	s.usage_bytes = UINT64_MAX - 1;
	c = (struct condition){ .kind = COND_LOCAL_ABSOLUTE, .bytes = 2 };
	assert_true(fixture_eval(&c, &s, NULL)); /* 1 byte free */
	c.bytes = 1;
	assert_false(fixture_eval(&c, &s, NULL));
	s.usage_bytes = 0;
	c = (struct condition){ .kind = COND_LOCAL_RELATIVE, .percent = 100 };
	assert_false(fixture_eval(&c, &s, NULL));                          /* 100% free is not below 100 */
	c = (struct condition){ .kind = COND_LOCAL_ABSOLUTE, .bytes = 0 }; /* below 0 never holds */
	assert_false(fixture_eval(&c, &s, NULL));

	s = base_sample();
	s.usage_bytes = UINT64_MAX; /* far past the limit */
	c = (struct condition){ .kind = COND_LOCAL_ABSOLUTE, .bytes = 1 };
	assert_true(fixture_eval(&c, &s, NULL));

	s = base_sample(); /* global: exactly at, and a host with nothing available */
	c = (struct condition){ .kind = COND_GLOBAL_ABSOLUTE, .bytes = 200 * MiB + 1 };
	assert_true(fixture_eval(&c, &s, NULL));
	s.host_available_bytes = 0;
	c.bytes = 0;
	assert_false(fixture_eval(&c, &s, NULL));
	c = (struct condition){ .kind = COND_GLOBAL_RELATIVE, .percent = 0.5 };
	assert_true(fixture_eval(&c, &s, NULL));
}

/* The node's usage kind picks what is used; without memory.stat, usage_bytes stands in. */
static void test_eval_usage_kind(void **state)
{
	(void)state;
	struct sample s = base_sample(); /* 70 MiB used of 100 */
	s.has_stat = true;
	s.working_set_bytes = 40 * MiB;
	s.anon_bytes = 95 * MiB;
	struct condition c = { .kind = COND_LOCAL_RELATIVE, .percent = 50, .usage = USAGE_CURRENT };
	assert_true(fixture_eval(&c, &s, NULL)); /* 30% free */
	c.usage = USAGE_WORKING_SET;
	assert_false(fixture_eval(&c, &s, NULL)); /* 60% free */
	c = (struct condition){ .kind = COND_LOCAL_ABSOLUTE, .bytes = 10 * MiB, .usage = USAGE_ANON };
	assert_true(fixture_eval(&c, &s, NULL)); /* 5 MiB free */
	s.has_stat = false;
	assert_false(fixture_eval(&c, &s, NULL)); /* 30 MiB free by usage_bytes */
}

/* A threshold value exactly at the edge: the sample just short of holding. */
static void test_threshold_edges(void **state)
{
	(void)state;
	struct sample s = base_sample(); /* 30 MiB free */
	struct cond_threshold t = { .measure = COND_MEASURE_TIME_TO_LIMIT, .value = -1 };
	struct condition c = { .kind = COND_LOCAL_ABSOLUTE, .bytes = 30 * MiB };

	/* free == bytes: does not hold; crossed once usage passes limit - bytes */
	assert_true(condition_ops(c.kind)->threshold(&c, &s, &t));
	assert_true(t.value == (double)(70 * MiB));
	c.bytes = 100 * MiB; /* exactly the limit: a threshold at usage 0 */
	s.usage_bytes = 0;
	assert_true(condition_ops(c.kind)->threshold(&c, &s, &t));
	assert_true(t.value == 0.0);
	s.limit_bytes = 0; /* a limit of 0: none */
	c.bytes = 1;
	t.value = -1;
	assert_false(condition_ops(c.kind)->threshold(&c, &s, &t));
	assert_true(t.value == -1);

	s = base_sample(); /* host 200 of 1000 MiB available: exactly 20% */
	c = (struct condition){ .kind = COND_GLOBAL_RELATIVE, .percent = 20 };
	assert_true(condition_ops(c.kind)->threshold(&c, &s, &t));
	assert_int_equal(t.measure, COND_MEASURE_HOST_AVAILABLE);
	assert_true(t.value == (double)(200 * MiB));
	c = (struct condition){ .kind = COND_GLOBAL_ABSOLUTE, .bytes = 200 * MiB };
	assert_true(condition_ops(c.kind)->threshold(&c, &s, &t));
	assert_true(t.value == (double)(200 * MiB));
}

/* run --once's value and threshold; local kinds say their usage when it is not current. */
static void test_explain(void **state)
{
	(void)state;
	struct sample s = base_sample();
	s.has_stat = true;
	s.working_set_bytes = 40 * MiB;
	struct condition c = { .kind = COND_GLOBAL_ABSOLUTE, .bytes = 256 * MiB };
	fixture_explain_is(&c, &s, "{\"value\":209715200,\"threshold\":268435456}");
	c = (struct condition){ .kind = COND_GLOBAL_RELATIVE, .percent = 12.5 };
	fixture_explain_is(&c, &s, "{\"value\":20,\"threshold\":12.5}");
	c = (struct condition){ .kind = COND_LOCAL_ABSOLUTE, .bytes = 1024 };
	fixture_explain_is(&c, &s, "{\"value\":31457280,\"threshold\":1024}");
	c.usage = USAGE_WORKING_SET;
	fixture_explain_is(&c, &s, "{\"value\":62914560,\"threshold\":1024,\"usage\":\"working_set\"}");
	c = (struct condition){ .kind = COND_LOCAL_RELATIVE, .percent = 30, .usage = USAGE_ANON };
	s.anon_bytes = 75 * MiB;
	fixture_explain_is(&c, &s, "{\"value\":25,\"threshold\":30,\"usage\":\"anon\"}");
	s.limit_bytes = 0; /* a limit of 0: nothing free */
	c.usage = USAGE_CURRENT;
	fixture_explain_is(&c, &s, "{\"value\":0,\"threshold\":30}");
	s.host_total_bytes = 0;
	c = (struct condition){ .kind = COND_GLOBAL_RELATIVE, .percent = 1 };
	fixture_explain_is(&c, &s, "{\"value\":0,\"threshold\":1}");
}

/* memhook check's text: sizes in binary units, percents as given, a usage other than current. */
static void test_describe(void **state)
{
	(void)state;
	struct condition c = { .kind = COND_GLOBAL_ABSOLUTE, .bytes = 1536 * MiB };
	fixture_describe_is(NULL, &c, "global_absolute < 1.5Gi");
	c = (struct condition){ .kind = COND_GLOBAL_RELATIVE, .percent = 12.5 };
	fixture_describe_is(NULL, &c, "global_relative < 12.5%");
	c = (struct condition){ .kind = COND_LOCAL_ABSOLUTE, .bytes = 64 * MiB };
	fixture_describe_is(NULL, &c, "local_absolute < 64Mi");
	c.usage = USAGE_WORKING_SET;
	fixture_describe_is(NULL, &c, "local_absolute < 64Mi (working_set)");
	c = (struct condition){ .kind = COND_LOCAL_RELATIVE, .percent = 30, .usage = USAGE_ANON };
	fixture_describe_is(NULL, &c, "local_relative < 30% (anon)");
	c.usage = USAGE_CURRENT;
	fixture_describe_is(NULL, &c, "local_relative < 30%");
	c = (struct condition){ .kind = COND_LOCAL_ABSOLUTE, .bytes = 123456 };
	fixture_describe_is(NULL, &c, "local_absolute < 120.6Ki");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_relative_is_free_percent_below),
		cmocka_unit_test(test_local_absolute),
		cmocka_unit_test(test_global_conditions_use_one_sample),
		cmocka_unit_test(test_threshold_column),
		cmocka_unit_test(test_usage_parse_errors),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_eval_edges),
		cmocka_unit_test(test_eval_usage_kind),
		cmocka_unit_test(test_threshold_edges),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests_name("cond_memory", tests, NULL, NULL);
}
