/* memhook check's listing (lib/policy/policy_describe.c): the settings line, a line per level with
 * its hysteresis, a line per handler; on a parsed policy of every kind and on hand-built ones. */
#include "unit.h"

#include "base/util.h"
#include "policy_fixtures.h"

/* ---- moved from test_condition.c ---- */

static const char policy_json[] = FIXTURE_ALL_KINDS_JSON;

/* `memhook check --policy` on policy_json, before the tables (after its "<file>: valid" line). */
static const char expected_describe[] =
        "check_interval 250ms, min_interval 10ms, maximum_available 2Gi, log_transitions false\n"
        "level 1 \"ga\": global_absolute < 1.5Gi\n"
        "level 2 \"gr\": global_relative < 12.5%\n"
        "level 3 \"la\": local_absolute < 120.6Ki\n"
        "level 4 \"lr\": local_relative < 30%\n"
        "level 5 \"cu\": custom[/bin/true a b] timeout 1500ms\n"
        "level 6 \"lo\": all(any(not(local_relative < 5%), custom[/bin/false] timeout 1s), local_absolute < "
        "64Mi)\n"
        "level 7 \"ps\": pressure full avg60 > 2.5%\n"
        "level 8 \"pd\": pressure some avg10 > 10%\n"
        "level 9 \"ev\": events oom_kill increased by >= 1\n"
        "level 10 \"ec\": events high increased by >= 3\n"
        "handler 0: on entered level 2 -> webhook http://127.0.0.1:1/x (timeout 2s, retries 0, signed with "
        "secret_env SEC, TLS not verified)\n"
        "handler 1: on left any level -> webhook https://h/ (timeout 5s, retries 3, signed with secret_file "
        "/etc/s)\n"
        "handler 2: on remaining level 0 every 1m -> signal SIGUSR1 to main\n"
        "handler 3: on normal -> signal SIGTERM to cgroup\n"
        "handler 4: on target_lost -> signal SIGHUP to main\n"
        "handler 5: on entered any level -> reclaim 64Mi\n"
        "handler 6: on entered any level -> reclaim 2.5%\n"
        "handler 7: on oom_kill -> exec /bin/echo hi (timeout 10s)\n"
        "handler 8: on target_found -> exec /bin/sh -c x (timeout 90s)\n";

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

static void test_describe_unchanged(void **state)
{
	(void)state;
	struct policy *p = parse_or_fail(policy_json);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	policy_describe(p, f);
	fclose(f);
	assert_string_equal(text, expected_describe);
	free(text);
	policy_free(p);
}

/* ---- added ---- */

/* policy_describe of p, as text; the caller frees. */
static char *describe(const struct policy *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	policy_describe(p, f);
	fclose(f);
	return text;
}

static void describe_is(const struct policy *p, const char *want)
{
	char *got = describe(p);
	assert_string_equal(got, want);
	free(got);
}

/* The settings line: maximum_available auto when 0, assume_growth only when set, usage only when
 * not current; no levels or handlers, no more lines. */
static void test_settings(void **state)
{
	(void)state;
	struct policy p = { .check_interval_usec = USEC_PER_SEC,
		            .min_interval_usec = 10 * USEC_PER_MSEC,
		            .log_transitions = true };
	describe_is(&p,
	            "check_interval 1s, min_interval 10ms, maximum_available auto, log_transitions true\n");
	p.assume_growth_bytes_per_sec = (double)(1ULL << 30);
	p.maximum_available_bytes = 512 * MiB;
	p.log_transitions = false;
	p.usage = USAGE_WORKING_SET;
	p.check_interval_usec = 250 * USEC_PER_MSEC;
	describe_is(&p, "check_interval 250ms, min_interval 10ms, assume_growth 1Gi/s, maximum_available "
	                "512Mi, log_transitions false\nusage working_set\n");
	p.usage = USAGE_ANON;
	p.assume_growth_bytes_per_sec = 0;
	describe_is(&p, "check_interval 250ms, min_interval 10ms, maximum_available 512Mi, log_transitions "
	                "false\nusage anon\n");
}

/* A level's hysteresis: "for", "; left when <clear_when>", and clear_for after either. */
static void test_levels(void **state)
{
	(void)state;
	struct level lv[4] = {
		{ .name = (char *)"plain", .when = { .kind = COND_LOCAL_RELATIVE, .percent = 30 } },
		{ .name = (char *)"held",
		  .when = { .kind = COND_LOCAL_RELATIVE, .percent = 20 },
		  .for_usec = 5 * USEC_PER_SEC,
		  .clear_for_usec = 30 * USEC_PER_SEC },
		{ .name = (char *)"cleared",
		  .when = { .kind = COND_LOCAL_RELATIVE, .percent = 10 },
		  .has_clear_when = true,
		  .clear_when = { .kind = COND_LOCAL_RELATIVE, .percent = 25 } },
		{ .name = (char *)"both",
		  .when = { .kind = COND_GLOBAL_ABSOLUTE, .bytes = 64 * MiB },
		  .for_usec = 500 * USEC_PER_MSEC,
		  .has_clear_when = true,
		  .clear_when = { .kind = COND_GLOBAL_ABSOLUTE, .bytes = 128 * MiB },
		  .clear_for_usec = 2 * 60 * USEC_PER_SEC },
	};
	struct policy p = { .check_interval_usec = USEC_PER_SEC,
		            .min_interval_usec = USEC_PER_SEC,
		            .log_transitions = true,
		            .levels = lv,
		            .n_levels = 4 };
	describe_is(&p, "check_interval 1s, min_interval 1s, maximum_available auto, log_transitions true\n"
	                "level 1 \"plain\": local_relative < 30%\n"
	                "level 2 \"held\": local_relative < 20% for 5s; left when it does not hold for 30s\n"
	                "level 3 \"cleared\": local_relative < 10%; left when local_relative < 25%\n"
	                "level 4 \"both\": global_absolute < 64Mi for 500ms; left when global_absolute < "
	                "128Mi for 2m\n");
}

/* Handlers follow the levels, numbered from 0 in their order. */
static void test_handlers(void **state)
{
	(void)state;
	struct level lv = { .name = (char *)"a", .when = { .kind = COND_LOCAL_RELATIVE, .percent = 5 } };
	struct handler h[2] = {
		{ .on = EVENT_ENTERED, .level = 1, .action = ACTION_SIGNAL, .signal = { .signo = 15 } },
		{ .on = EVENT_NORMAL, .level = -1, .action = ACTION_RECLAIM, .reclaim = { .percent = 5 } },
	};
	struct policy p = { .check_interval_usec = USEC_PER_SEC,
		            .min_interval_usec = 10 * USEC_PER_MSEC,
		            .levels = &lv,
		            .n_levels = 1,
		            .handlers = h,
		            .n_handlers = 2 };
	describe_is(&p,
	            "check_interval 1s, min_interval 10ms, maximum_available auto, log_transitions false\n"
	            "level 1 \"a\": local_relative < 5%\n"
	            "handler 0: on entered level 1 -> signal SIGTERM to main\n"
	            "handler 1: on normal -> reclaim 5%\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_describe_unchanged),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_handlers),
	};
	return cmocka_run_group_tests_name("policy_describe", tests, NULL, NULL);
}
