/* Handlers (lib/policy/handler.c): the action table, a handler's trigger ("on", "level",
 * "every") and its one action key, the "handlers" array, and memhook check's line of a handler. */
#include "unit.h"

#include "base/util.h"
#include "policy_fixtures.h"

/* ---- moved from test_condition.c ---- */

static void test_action_rows(void **state)
{
	(void)state;
	for (int k = 0; k < ACTION_KINDS; k++) {
		const struct action_ops *ops = action_ops((enum action_kind)k);
		assert_non_null(ops);
		assert_non_null(ops->name);
		assert_string_equal(ops->name, action_kind_name((enum action_kind)k));
		assert_int_equal(action_kind_from_name(ops->name), k);
		assert_non_null(ops->parse);
		assert_non_null(ops->describe);
		for (int other = 0; other < k; other++)
			assert_string_not_equal(ops->name, action_ops((enum action_kind)other)->name);
	}
	assert_null(action_ops(ACTION_KINDS));
	assert_string_equal(action_ops(ACTION_RECLAIM)->v2_file, "reclaim");
	assert_null(action_ops(ACTION_WEBHOOK)->v2_file);
	assert_null(action_ops(ACTION_SIGNAL)->v2_file);
	assert_null(action_ops(ACTION_EXEC)->v2_file);
}

/* ---- added ---- */

/* A policy with two levels and the handlers text hs (the inside of the array). */
static char *two_levels(const char *hs)
{
	char *json = NULL;
	assert_true(asprintf(&json,
	                     "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 10}}, "
	                     "{\"name\": \"b\", \"when\": {\"local_relative\": 5}}], \"handlers\": [%s]}",
	                     hs) > 0);
	return json;
}

/* The trigger: any level (-1) unless given; 0 only for remaining; every only for remaining. */
static void test_parse_trigger(void **state)
{
	(void)state;
	char *json = two_levels("{\"on\": \"entered\", \"signal\": 10},"
	                        " {\"on\": \"left\", \"level\": 2, \"signal\": 10},"
	                        " {\"on\": \"remaining\", \"level\": 0, \"every\": \"1m\", \"signal\": 10},"
	                        " {\"on\": \"limit_changed\", \"exec\": [\"/bin/true\"]}");
	struct policy *p = fixture_parse_ok(json);
	free(json);
	assert_int_equal(p->n_handlers, 4);
	const struct handler *h = p->handlers;
	assert_int_equal(h[0].on, EVENT_ENTERED);
	assert_int_equal(h[0].level, -1);
	assert_int_equal(h[0].every_usec, 0);
	assert_int_equal(h[0].action, ACTION_SIGNAL);
	assert_string_equal(h[0].path, "handlers[0]");
	assert_int_equal(h[1].on, EVENT_LEFT);
	assert_int_equal(h[1].level, 2);
	assert_int_equal(h[2].on, EVENT_REMAINING);
	assert_int_equal(h[2].level, 0);
	assert_int_equal(h[2].every_usec, 60 * USEC_PER_SEC);
	assert_int_equal(h[3].on, EVENT_LIMIT_CHANGED);
	assert_int_equal(h[3].action, ACTION_EXEC);
	assert_string_equal(h[3].path, "handlers[3]");
	policy_free(p);

	/* no handlers, or an empty array: none */
	p = fixture_parse_ok("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 10}}]}");
	assert_int_equal(p->n_handlers, 0);
	policy_free(p);
	p = fixture_parse_ok(
	        "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 10}}], \"handlers\": []}");
	assert_int_equal(p->n_handlers, 0);
	assert_null(p->handlers);
	policy_free(p);
}

/* Every error names the handler's path; the level's range follows the policy's levels. */
static void test_parse_errors(void **state)
{
	(void)state;
	static const struct {
		const char *handlers, *err;
	} cases[] = {
		{ "{\"on\": 1, \"signal\": 10}", "handlers[0].on: must be a string" },
		{ "{\"on\": \"entered\", \"level\": 3, \"signal\": 10}",
		  "handlers[0].level: must be between 1 and 2" },
		{ "{\"on\": \"left\", \"level\": 0, \"signal\": 10}",
		  "handlers[0].level: must be between 1 and 2" },
		{ "{\"on\": \"remaining\", \"level\": -1, \"signal\": 10}",
		  "handlers[0].level: must be between 0 and 2" },
		{ "{\"on\": \"target_found\", \"level\": 1, \"signal\": 10}",
		  "handlers[0].level: not allowed for \"target_found\" handlers" },
		{ "{\"on\": \"limit_changed\", \"level\": 1, \"signal\": 10}",
		  "handlers[0].level: not allowed for \"limit_changed\" handlers" },
		{ "{\"on\": \"entered\", \"every\": \"1s\", \"signal\": 10}",
		  "handlers[0].every: only allowed for \"remaining\" handlers" },
		{ "{\"on\": \"entered\", \"signal\": 10}, {\"on\": \"entered\", \"reclaim\": \"1Mi\", "
		  "\"exec\": [\"/bin/true\"]}",
		  "handlers[1]: has two actions (reclaim and exec); use one handler per action" },
		{ "{\"on\": \"entered\", \"webhook\": {\"url\": \"http://h/\"}, \"memory_high\": \"1Mi\"}",
		  "handlers[0]: has two actions (webhook and memory_high); use one handler per action" },
		{ "{\"on\": \"entered\"}", "handlers[0]: needs one action: webhook, signal, reclaim, exec, "
		                           "memory_high or pressure_watch" },
		{ "{\"on\": \"entered\", \"Signal\": 10}", "handlers[0].Signal: unknown key" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *json = two_levels(cases[i].handlers);
		fixture_parse_fails(json, cases[i].err);
		free(json);
	}
}

/* At most POLICY_MAX_HANDLERS handlers. */
static void test_handler_cap(void **state)
{
	(void)state;
	char *hs = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&hs, &len);
	assert_non_null(f);
	for (int i = 0; i <= POLICY_MAX_HANDLERS; i++)
		fprintf(f, "%s{\"on\": \"entered\", \"signal\": 10}", i ? ", " : "");
	fclose(f);
	char *json = two_levels(hs);
	char want[64];
	snprintf(want, sizeof(want), "handlers: at most %d handlers", POLICY_MAX_HANDLERS);
	fixture_parse_fails(json, want);
	free(json);
	free(hs);
}

/* memhook check's line from hand-built handlers: the level, "any level" only for kinds that take
 * one, "every", then the action's own text. */
static void test_describe(void **state)
{
	(void)state;
	struct handler h = {
		.on = EVENT_ENTERED, .level = 2, .action = ACTION_SIGNAL, .signal = { .signo = 10 }
	};
	fixture_handler_line_is(&h, "handler 0: on entered level 2 -> signal SIGUSR1 to main\n");
	h.level = -1;
	fixture_handler_line_is(&h, "handler 0: on entered any level -> signal SIGUSR1 to main\n");
	h.on = EVENT_REMAINING;
	h.level = 0;
	h.every_usec = 90 * USEC_PER_SEC;
	fixture_handler_line_is(&h, "handler 0: on remaining level 0 every 90s -> signal SIGUSR1 to main\n");
	h = (struct handler){
		.on = EVENT_OOM_KILL, .level = -1, .action = ACTION_RECLAIM, .reclaim = { .bytes = 64 * MiB }
	};
	fixture_handler_line_is(&h, "handler 0: on oom_kill -> reclaim 64Mi\n");
	h.on = EVENT_NORMAL;
	fixture_handler_line_is(&h, "handler 0: on normal -> reclaim 64Mi\n");

	/* the number is the caller's */
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	handler_describe(&h, 17, f);
	fclose(f);
	assert_string_equal(out, "handler 17: on normal -> reclaim 64Mi\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action_rows),  cmocka_unit_test(test_parse_trigger),
		cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_handler_cap),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests_name("handler", tests, NULL, NULL);
}
