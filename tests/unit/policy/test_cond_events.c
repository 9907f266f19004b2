/* The events condition (lib/policy/cond_events.c): its two forms, evaluation on hand-built
 * memory.events increases, run --once's value and threshold, memhook check's text. */
#include "unit.h"

#include "policy_fixtures.h"

/* ---- moved from test_eval.c (the events half of test_pressure_and_events) ---- */

static void test_events(void **state)
{
	(void)state;
	struct sample s = { .usage_bytes = 70 * MiB,
		            .limit_bytes = 100 * MiB,
		            .host_total_bytes = 1000 * MiB,
		            .host_available_bytes = 200 * MiB };
	struct condition e = { .kind = COND_EVENTS, .memevent = MEMEV_HIGH, .increased_by = 2 };
	assert_false(eval_condition(&e, &s, NULL));
	s.has_events = true;
	s.events[MEMEV_HIGH] = 100; /* cumulative counts alone do not fire */
	s.events_delta[MEMEV_HIGH] = 1;
	assert_false(eval_condition(&e, &s, NULL));
	s.events_delta[MEMEV_HIGH] = 2;
	assert_true(eval_condition(&e, &s, NULL));
}

/* ---- moved from test_policy_usage.c (test_parse_errors, the events part) ---- */

static void test_oom_group_kill(void **state)
{
	(void)state;
	/* oom_group_kill is an events counter now; the message lists it */
	fixture_parse_fails("{\"levels\": [{\"name\": \"a\", \"when\": {\"events\": \"oom_group\"}}]}",
	                    "levels[0].when.events: unknown memory event \"oom_group\" (expected low, high, "
	                    "max, oom, oom_kill or oom_group_kill)");
	struct policy *p = fixture_parse_ok("{\"levels\": [{\"name\": \"a\", \"when\": {\"events\": "
	                                    "{\"counter\": \"oom_group_kill\", \"increased_by\": 2}}}]}");
	assert_int_equal(p->levels[0].when.memevent, MEMEV_OOM_GROUP_KILL);
	struct sample s = {
		.usage_bytes = 200 * MiB,
		.has_stat = true,
		.working_set_bytes = 20 * MiB,
		.anon_bytes = 12 * MiB,
		.limit_bytes = 256 * MiB,
		.host_total_bytes = 1024 * MiB,
		.host_available_bytes = 512 * MiB,
	};
	s.has_events = true;
	s.events_delta[MEMEV_OOM_GROUP_KILL] = 1;
	assert_int_equal(eval_level(p, &s, NULL), 0);
	s.events_delta[MEMEV_OOM_GROUP_KILL] = 2;
	assert_int_equal(eval_level(p, &s, NULL), 1);
	policy_free(p);
}

/* ---- added ---- */

/* A name (increased by 1) or {"counter", "increased_by"}; every counter by its name. */
static void test_parse(void **state)
{
	(void)state;
	struct policy *p;
	const struct condition *c = fixture_when_ok("{\"events\": \"oom_kill\"}", &p);
	assert_int_equal(c->kind, COND_EVENTS);
	assert_int_equal(c->memevent, MEMEV_OOM_KILL);
	assert_int_equal(c->increased_by, 1);
	assert_true(p->needs_v2);
	policy_free(p);
	c = fixture_when_ok("{\"events\": {\"counter\": \"max\"}}", &p);
	assert_int_equal(c->memevent, MEMEV_MAX);
	assert_int_equal(c->increased_by, 1);
	policy_free(p);
	c = fixture_when_ok("{\"events\": {\"counter\": \"high\", \"increased_by\": 1000000}}", &p);
	assert_int_equal(c->memevent, MEMEV_HIGH);
	assert_int_equal(c->increased_by, 1000000);
	policy_free(p);
	for (int e = 0; e < MEMEV_COUNT; e++) {
		char cond[96];
		snprintf(cond, sizeof(cond), "{\"events\": \"%s\"}", memevent_name((enum memevent)e));
		c = fixture_when_ok(cond, &p);
		assert_int_equal(c->memevent, e);
		policy_free(p);
	}
}

static void test_parse_errors(void **state)
{
	(void)state;
	fixture_when_fails("{\"events\": 1}", "levels[0].when.events: must be an event name or an object");
	fixture_when_fails("{\"events\": [\"oom\"]}",
	                   "levels[0].when.events: must be an event name or an object");
	fixture_when_fails("{\"events\": \"OOM\"}",
	                   "levels[0].when.events: unknown memory event \"OOM\" (expected low, high, max, "
	                   "oom, oom_kill or oom_group_kill)");
	fixture_when_fails("{\"events\": {\"increased_by\": 2}}",
	                   "levels[0].when.events.counter: is required");
	fixture_when_fails("{\"events\": {\"counter\": \"low\", \"increased_by\": 0}}",
	                   "levels[0].when.events.increased_by: must be at least 1");
	fixture_when_fails("{\"events\": {\"counter\": \"low\", \"increased_by\": -5}}",
	                   "levels[0].when.events.increased_by: must be at least 1");
	fixture_when_fails("{\"events\": {\"counter\": \"low\", \"increased_by\": 1.5}}",
	                   "levels[0].when.events.increased_by: must be an integer");
	fixture_when_fails("{\"events\": {\"counter\": \"low\", \"by\": 1}}",
	                   "levels[0].when.events.by: unknown key");
	fixture_when_fails("{\"not\": {\"events\": {\"counter\": \"x\"}}}",
	                   "levels[0].when.not.events.counter: unknown memory event \"x\" (expected low, "
	                   "high, max, oom, oom_kill or oom_group_kill)");
}

/* At least increased_by, on this counter only; a huge increase is just large. */
static void test_eval_edges(void **state)
{
	(void)state;
	struct sample s = { .has_events = true };
	struct condition c = { .kind = COND_EVENTS, .memevent = MEMEV_OOM_KILL, .increased_by = 1 };
	assert_false(fixture_eval(&c, &s, NULL)); /* 0 */
	s.events_delta[MEMEV_OOM] = 5;            /* another counter */
	assert_false(fixture_eval(&c, &s, NULL));
	s.events_delta[MEMEV_OOM_KILL] = 1; /* exactly increased_by */
	assert_true(fixture_eval(&c, &s, NULL));
	c.increased_by = UINT64_MAX;
	assert_false(fixture_eval(&c, &s, NULL));
	s.events_delta[MEMEV_OOM_KILL] = UINT64_MAX;
	assert_true(fixture_eval(&c, &s, NULL));
}

/* value: the increase, null without memory.events; threshold: increased_by. No threshold column. */
static void test_explain(void **state)
{
	(void)state;
	struct sample s = { .has_events = true };
	s.events_delta[MEMEV_HIGH] = 2;
	struct condition c = { .kind = COND_EVENTS, .memevent = MEMEV_HIGH, .increased_by = 3 };
	fixture_explain_is(&c, &s, "{\"value\":2,\"threshold\":3}");
	s.has_events = false;
	fixture_explain_is(&c, &s, "{\"value\":null,\"threshold\":3}");
	assert_null(condition_ops(COND_EVENTS)->threshold);
	assert_string_equal(condition_ops(COND_EVENTS)->v2_file, "events");
}

static void test_describe(void **state)
{
	(void)state;
	struct condition c = { .kind = COND_EVENTS, .memevent = MEMEV_OOM_KILL, .increased_by = 1 };
	fixture_describe_is(NULL, &c, "events oom_kill increased by >= 1");
	c = (struct condition){ .kind = COND_EVENTS,
		                .memevent = MEMEV_OOM_GROUP_KILL,
		                .increased_by = UINT64_MAX };
	fixture_describe_is(NULL, &c, "events oom_group_kill increased by >= 18446744073709551615");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),     cmocka_unit_test(test_oom_group_kill),
		cmocka_unit_test(test_parse),      cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_eval_edges), cmocka_unit_test(test_explain),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests_name("cond_events", tests, NULL, NULL);
}
