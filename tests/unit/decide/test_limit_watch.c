/* limit_changed: the pure watch (first check, no change, a change up and down, reset), where
 * check_step puts the event (after target_found's reset, before oom_kill and the level steps,
 * which use the new limit), and what the event says outside (JSON body and exec environment). */
#include "unit.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "decide/check.h"
#include "decide/limit_watch.h"
#include "output/payload.h"

/* Who sends, as cmd/ would gather it. */
static const struct payload_origin origin = { .instance = "0123456789abcdef", .hostname = "node-7" };

/* names and paths are written as string literals (-Wwrite-strings makes them const) */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#define MIB (UINT64_C(1) << 20)

static struct level one_level[] = {
	{ .name = "low", .when = { .kind = COND_LOCAL_RELATIVE, .path = "levels[0].when", .percent = 30 } },
};
static const struct policy policy1 = { .levels = one_level, .n_levels = 1 };

static void test_watch(void **state)
{
	(void)state;
	struct limit_watch w = { 0 };
	struct event ev = { .kind = EVENT_ENTERED, .level = 9 };

	/* the first limit is no change */
	assert_false(limit_watch_step(&w, 100 * MIB, 0, &ev));
	assert_int_equal(ev.kind, EVENT_ENTERED); /* untouched */
	assert_false(limit_watch_step(&w, 100 * MIB, 0, &ev));

	assert_true(limit_watch_step(&w, 200 * MIB, 1, &ev));
	assert_int_equal(ev.kind, EVENT_LIMIT_CHANGED);
	assert_int_equal(ev.level, 1);
	assert_int_equal(ev.previous_level, 1);
	assert_int_equal(ev.old_limit_bytes, 100 * MIB);
	assert_int_equal(ev.new_limit_bytes, 200 * MIB);
	assert_false(limit_watch_step(&w, 200 * MIB, 1, &ev));

	/* down, and to 0 (a limit of nothing is a limit) */
	assert_true(limit_watch_step(&w, 0, 1, &ev));
	assert_int_equal(ev.old_limit_bytes, 200 * MIB);
	assert_int_equal(ev.new_limit_bytes, 0);
	assert_true(limit_watch_step(&w, 50 * MIB, 1, &ev));
	assert_int_equal(ev.old_limit_bytes, 0);
	assert_int_equal(ev.new_limit_bytes, 50 * MIB);

	/* a reset: the next limit is a first one again */
	limit_watch_reset(&w);
	assert_false(limit_watch_step(&w, 70 * MIB, 0, &ev));
	assert_int_equal(w.limit_bytes, 70 * MIB);
}

/* The limit shrinks under the same usage: limit_changed first, then the step into level 1,
 * decided on the new limit. */
static void test_check_step_order(void **state)
{
	(void)state;
	static struct check_state st;
	check_state_init(&st);
	struct sample s = { .usage_bytes = 60 * MIB, .limit_bytes = 100 * MIB }; /* 40% free */
	struct check_result r;

	check_step(&policy1, &st, CHECK_TARGET_PRESENT, &s, NULL, &r);
	assert_int_equal(r.n_events, 1);
	assert_int_equal(r.events[0].kind, EVENT_REMAINING);

	s.limit_bytes = 80 * MIB; /* 25% free */
	s.has_events = true;
	s.events_delta[MEMEV_OOM_KILL] = 1;
	check_step(&policy1, &st, CHECK_TARGET_PRESENT, &s, NULL, &r);
	assert_int_equal(r.n_events, 3);
	assert_int_equal(r.events[0].kind, EVENT_LIMIT_CHANGED);
	assert_int_equal(r.events[0].level, 0);
	assert_int_equal(r.events[0].old_limit_bytes, 100 * MIB);
	assert_int_equal(r.events[0].new_limit_bytes, 80 * MIB);
	assert_true(check_event_has_sample(&r.events[0]));
	assert_int_equal(r.events[1].kind, EVENT_OOM_KILL);
	assert_int_equal(r.events[2].kind, EVENT_ENTERED);
	assert_int_equal(r.level, 1);

	/* unchanged: no event */
	s.events_delta[MEMEV_OOM_KILL] = 0;
	check_step(&policy1, &st, CHECK_TARGET_PRESENT, &s, NULL, &r);
	assert_int_equal(r.n_events, 1);
	assert_int_equal(r.events[0].kind, EVENT_REMAINING);
}

/* A lost or found target starts afresh: the first check after target_found has no limit_changed,
 * whatever the limit before the loss was. */
static void test_lost_and_found_reset(void **state)
{
	(void)state;
	static struct check_state st;
	check_state_init(&st);
	struct sample s = { .usage_bytes = 10 * MIB, .limit_bytes = 100 * MIB };
	struct check_result r;

	check_step(&policy1, &st, CHECK_TARGET_PRESENT, &s, NULL, &r);
	check_step(&policy1, &st, CHECK_TARGET_LOST, NULL, NULL, &r);
	assert_false(st.limits.known);
	check_step(&policy1, &st, CHECK_TARGET_FOUND, NULL, NULL, &r);
	assert_int_equal(r.n_events, 1);
	s.limit_bytes = 300 * MIB;
	check_step(&policy1, &st, CHECK_TARGET_PRESENT, &s, NULL, &r);
	assert_int_equal(r.n_events, 1);
	assert_int_equal(r.events[0].kind, EVENT_REMAINING);

	/* found with a sample at once: target_found, then no limit_changed */
	st.limits = (struct limit_watch){ .limit_bytes = 1, .known = true };
	check_step(&policy1, &st, CHECK_TARGET_FOUND, &s, NULL, &r);
	assert_int_equal(r.n_events, 2);
	assert_int_equal(r.events[0].kind, EVENT_TARGET_FOUND);
	assert_int_equal(r.events[1].kind, EVENT_REMAINING);
	assert_int_equal(st.limits.limit_bytes, 300 * MIB);
}

static const char *env_get(char **v, const char *key)
{
	size_t n = strlen(key);
	for (; *v; v++)
		if (strncmp(*v, key, n) == 0 && (*v)[n] == '=')
			return *v + n + 1;
	return NULL;
}

static void test_payload(void **state)
{
	(void)state;
	struct event ev = { .kind = EVENT_LIMIT_CHANGED,
		            .level = 1,
		            .previous_level = 1,
		            .old_limit_bytes = 268435456,
		            .new_limit_bytes = UINT64_C(9007199254740993) };
	struct sample s = { .usage_bytes = 100, .limit_bytes = UINT64_C(9007199254740993) };
	struct event_ctx c = { .origin = &origin,
		               .ev = &ev,
		               .level_name = "low",
		               .previous_level_name = "low",
		               .seq = 3,
		               .sample = &s };
	_cleanup_free_ char *json = payload_build_json(&c, NULL);
	assert_non_null(json);
	/* exact integers, before the sample */
	assert_non_null(strstr(json, "\"old_limit_bytes\":268435456,\"new_limit_bytes\":9007199254740993,"
	                             "\"sample\":{"));
	assert_non_null(strstr(json, "\"event\":\"limit_changed\""));

	char **env = payload_build_env(&c);
	assert_non_null(env);
	assert_string_equal(env_get(env, "MEMHOOK_EVENT"), "limit_changed");
	assert_string_equal(env_get(env, "MEMHOOK_OLD_LIMIT_BYTES"), "268435456");
	assert_string_equal(env_get(env, "MEMHOOK_NEW_LIMIT_BYTES"), "9007199254740993");
	assert_string_equal(env_get(env, "MEMHOOK_LIMIT_BYTES"), "9007199254740993");
	strv_free(env);

	/* other events carry neither */
	ev.kind = EVENT_ENTERED;
	_cleanup_free_ char *json2 = payload_build_json(&c, NULL);
	assert_null(strstr(json2, "limit_bytes\":268435456"));
	assert_null(strstr(json2, "old_limit_bytes"));
	env = payload_build_env(&c);
	assert_null(env_get(env, "MEMHOOK_OLD_LIMIT_BYTES"));
	strv_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_check_step_order),
		cmocka_unit_test(test_lost_and_found_reset),
		cmocka_unit_test(test_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
