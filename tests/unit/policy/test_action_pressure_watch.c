/* The pressure_watch action's schema (lib/policy/action_pressure_watch.c): a path, short or as
 * {"path", "fifo", "min_interval"}; its errors and bounds; one path served as one kind; memhook
 * check's text; its row. */
#include "unit.h"

#include "base/defaults.h"
#include "base/util.h"
#include "policy_fixtures.h"

/* paths are written as string literals (-Wwrite-strings makes them const). */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

static void test_parse_forms(void **state)
{
	(void)state;
	struct policy *p;
	const struct handler *h =
	        fixture_handler_ok("{\"on\": \"entered\", \"pressure_watch\": \"/run/m/p.sock\"}", &p);
	assert_int_equal(h->action, ACTION_PRESSURE_WATCH);
	assert_string_equal(h->pressure_watch.path, "/run/m/p.sock");
	assert_false(h->pressure_watch.fifo);
	assert_int_equal(h->pressure_watch.min_interval_usec, PRESSURE_MIN_INTERVAL_DEFAULT_USEC);
	policy_free(p);
	h = fixture_handler_ok(
	        "{\"on\": \"left\", \"pressure_watch\": {\"path\": \"/run/m/p\", \"fifo\": true,"
	        " \"min_interval\": \"250ms\"}}",
	        &p);
	assert_string_equal(h->pressure_watch.path, "/run/m/p");
	assert_true(h->pressure_watch.fifo);
	assert_int_equal(h->pressure_watch.min_interval_usec, 250 * USEC_PER_MSEC);
	policy_free(p);
	h = fixture_handler_ok(
	        "{\"on\": \"remaining\", \"pressure_watch\": {\"path\": \"/p\", \"min_interval\": \"0s\"}}",
	        &p);
	assert_int_equal(h->pressure_watch.min_interval_usec, 0);
	policy_free(p);
	h = fixture_handler_ok(
	        "{\"on\": \"entered\", \"pressure_watch\": {\"path\": \"/p\", \"min_interval\": \"1h\"}}",
	        &p);
	assert_int_equal(h->pressure_watch.min_interval_usec, 3600 * USEC_PER_SEC);
	policy_free(p);
	/* 107 bytes: the longest a socket's address holds */
	char doc[256], path[120];
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[PRESSURE_PATH_MAX_CHARS] = '\0';
	snprintf(doc, sizeof(doc), "{\"on\": \"entered\", \"pressure_watch\": \"%s\"}", path);
	h = fixture_handler_ok(doc, &p);
	assert_int_equal(strlen(h->pressure_watch.path), PRESSURE_PATH_MAX_CHARS);
	policy_free(p);
	path[PRESSURE_PATH_MAX_CHARS] = 'a';
	path[PRESSURE_PATH_MAX_CHARS + 1] = '\0';
	snprintf(doc, sizeof(doc), "{\"on\": \"entered\", \"pressure_watch\": \"%s\"}", path);
	fixture_handler_fails(
	        doc, "handlers[0].pressure_watch: is longer than 107 characters (a socket's address)");
}

static void test_parse_errors(void **state)
{
	(void)state;
	static const struct {
		const char *json, *err;
	} bad[] = {
		{ "\"\"", "handlers[0].pressure_watch: must not be empty" },
		{ "\"run/p.sock\"", "handlers[0].pressure_watch: must be an absolute path" },
		{ "1", "handlers[0].pressure_watch: must be a string" },
		{ "{}", "handlers[0].pressure_watch.path: is required" },
		{ "{\"path\": \"p\"}", "handlers[0].pressure_watch.path: must be an absolute path" },
		{ "{\"path\": \"/p\", \"fifo\": 1}",
		  "handlers[0].pressure_watch.fifo: must be true or false" },
		{ "{\"path\": \"/p\", \"min_interval\": \"2h\"}",
		  "handlers[0].pressure_watch.min_interval: must be at most 1h" },
		{ "{\"path\": \"/p\", \"x\": 1}", "handlers[0].pressure_watch.x: unknown key" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char doc[256];
		snprintf(doc, sizeof(doc), "{\"on\": \"entered\", \"pressure_watch\": %s}", bad[i].json);
		fixture_handler_fails(doc, bad[i].err);
	}
}

/* One path is one server: two handlers may share it only as the same kind. */
static void test_one_path_one_kind(void **state)
{
	(void)state;
	static const char base[] =
	        "{\"levels\": [{\"name\": \"x\", \"when\": {\"local_relative\": 10}}], \"handlers\": [";
	char doc[512], err[256] = "";
	struct policy *p = NULL;
	snprintf(doc, sizeof(doc), "%s%s", base,
	         "{\"on\": \"entered\", \"pressure_watch\": \"/p\"}, {\"on\": \"left\", \"pressure_watch\": "
	         "{\"path\": \"/p\"}}]}");
	assert_int_equal(policy_parse(doc, strlen(doc), &p, err, sizeof(err)), 0);
	policy_free(p);
	snprintf(doc, sizeof(doc), "%s%s", base,
	         "{\"on\": \"entered\", \"pressure_watch\": \"/p\"}, {\"on\": \"left\", \"pressure_watch\": "
	         "{\"path\": \"/p\", \"fifo\": true}}]}");
	assert_int_equal(policy_parse(doc, strlen(doc), &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "handlers[1].pressure_watch.path: is a socket in handlers[0]");
}

static void test_describe_and_row(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	struct handler h = { .action = ACTION_PRESSURE_WATCH,
		             .pressure_watch = { .path = "/run/p.sock",
		                                 .min_interval_usec = 2 * USEC_PER_SEC } };
	handler_describe(&h, 3, f);
	h.pressure_watch = (struct pressure_watch_cfg){ .path = "/run/p", .fifo = true };
	action_ops(ACTION_PRESSURE_WATCH)->describe(&h, f);
	fclose(f);
	assert_non_null(strstr(text, "-> pressure_watch socket /run/p.sock (at most every 2s)\n"));
	assert_non_null(strstr(text, "\nFIFO /run/p (at most every 0s)"));
	free(text);
	assert_ptr_equal(action_ops(ACTION_PRESSURE_WATCH), &action_schema_pressure_watch);
	assert_string_equal(action_schema_pressure_watch.name, "pressure_watch");
	assert_null(action_schema_pressure_watch.v2_file); /* works on cgroup v1 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_one_path_one_kind),
		cmocka_unit_test(test_describe_and_row),
	};
	return cmocka_run_group_tests_name("action_pressure_watch", tests, NULL, NULL);
}
