/* The table of event kinds (lib/policy/event.c): every row named and unique, the names both ways,
 * the levels each kind names, the Kubernetes and --webhook columns, the payload fields, the log
 * lines and notes of the kinds that have them. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "policy/event.h"

static void test_rows_named_and_unique(void **state)
{
	(void)state;
	for (int k = 0; k < EVENT_KINDS; k++) {
		const struct event_kind_row *row = event_kind_row((enum event_kind)k);
		assert_non_null(row);
		assert_ptr_equal(row, &event_kinds[k]);
		assert_non_null(row->name);
		assert_true(row->name[0] != '\0');
		for (int j = 0; j < k; j++)
			assert_string_not_equal(event_kinds[j].name, row->name);
		/* a Kubernetes reason comes with a type, Warning or Normal */
		if (row->k8s_reason) {
			assert_true(row->k8s_reason[0] != '\0');
			assert_non_null(row->k8s_type);
			assert_true(strcmp(row->k8s_type, "Warning") == 0 ||
			            strcmp(row->k8s_type, "Normal") == 0);
		} else {
			assert_null(row->k8s_type);
			assert_null(row->k8s_note);
		}
		/* a log line has a level that is written by default or asked for */
		if (row->log_line)
			assert_true(row->log_level == LOG_LEVEL_WARN || row->log_level == LOG_LEVEL_INFO);
	}
	assert_null(event_kind_row(EVENT_KINDS));
	assert_null(event_kind_row((enum event_kind) - 1));
}

static void test_names_round_trip(void **state)
{
	(void)state;
	for (int k = 0; k < EVENT_KINDS; k++)
		assert_int_equal(event_kind_from_name(event_kind_name((enum event_kind)k)), k);
	assert_string_equal(event_kind_name(EVENT_ENTERED), "entered");
	assert_string_equal(event_kind_name(EVENT_LIMIT_CHANGED), "limit_changed");
	assert_string_equal(event_kind_name(EVENT_KINDS), "unknown");
	assert_int_equal(event_kind_from_name("Entered"), -EINVAL);
	assert_int_equal(event_kind_from_name(""), -EINVAL);
	assert_int_equal(event_kind_from_name(NULL), -EINVAL);

	char list[256];
	event_kind_names_list(list, sizeof(list));
	assert_string_equal(list, "entered, left, remaining, normal, target_lost, target_found, oom_kill or "
	                          "limit_changed");
}

/* entered and left name a level from 1, remaining from 0; the others none. */
static void test_levels(void **state)
{
	(void)state;
	for (int k = 0; k < EVENT_KINDS; k++) {
		enum event_kind ek = (enum event_kind)k;
		bool takes = ek == EVENT_ENTERED || ek == EVENT_LEFT || ek == EVENT_REMAINING;
		assert_int_equal(event_kind_takes_level(ek), takes);
	}
	assert_int_equal(event_kind_min_level(EVENT_ENTERED), 1);
	assert_int_equal(event_kind_min_level(EVENT_LEFT), 1);
	assert_int_equal(event_kind_min_level(EVENT_REMAINING), 0);

	assert_true(event_kind_at_level(EVENT_NORMAL, 0));
	assert_false(event_kind_at_level(EVENT_NORMAL, 1));
	assert_false(event_kind_at_level(EVENT_ENTERED, 0));
	assert_true(event_kind_at_level(EVENT_ENTERED, 3));
	assert_true(event_kind_at_level(EVENT_REMAINING, 0));
	assert_false(event_kind_at_level(EVENT_OOM_KILL, 1)); /* at whatever level is current */

	/* left 2 is {1, 2}: a handler's "level" 2 matches it */
	struct event left = { .kind = EVENT_LEFT, .level = 1, .previous_level = 2 };
	struct event entered = { .kind = EVENT_ENTERED, .level = 2, .previous_level = 1 };
	assert_int_equal(event_handler_level(&left), 2);
	assert_int_equal(event_handler_level(&entered), 2);
}

/* The kinds --webhook posts, the Kubernetes reasons, which kinds carry a sample. */
static void test_columns(void **state)
{
	(void)state;
	for (int k = 0; k < EVENT_KINDS; k++)
		assert_int_equal(event_kinds[k].webhook, k != EVENT_REMAINING);
	assert_string_equal(event_kinds[EVENT_ENTERED].k8s_reason, "MemoryLevelEntered");
	assert_string_equal(event_kinds[EVENT_OOM_KILL].k8s_type, "Warning");
	assert_null(event_kinds[EVENT_REMAINING].k8s_reason);
	assert_null(event_kinds[EVENT_TARGET_FOUND].k8s_reason);
	assert_null(event_kinds[EVENT_LIMIT_CHANGED].k8s_reason);

	struct event ev = { .kind = EVENT_TARGET_LOST };
	assert_false(event_has_sample(&ev));
	ev.kind = EVENT_TARGET_FOUND;
	assert_false(event_has_sample(&ev));
	ev.kind = EVENT_OOM_KILL;
	assert_true(event_has_sample(&ev));
	ev.kind = EVENT_REMAINING;
	assert_true(event_has_sample(&ev));
}

/* Only a changed limit adds fields; their keys are what the payload schema names. */
static void test_payload_fields(void **state)
{
	(void)state;
	struct event ev = { .kind = EVENT_LIMIT_CHANGED, .old_limit_bytes = 100, .new_limit_bytes = 200 };
	struct event_field f[EVENT_FIELDS_MAX];
	for (int k = 0; k < EVENT_KINDS; k++)
		if (k != EVENT_LIMIT_CHANGED)
			assert_null(event_kinds[k].payload_fields);
	assert_int_equal(event_kinds[EVENT_LIMIT_CHANGED].payload_fields(&ev, f), 2);
	assert_string_equal(f[0].key, "old_limit_bytes");
	assert_int_equal(f[0].value, 100);
	assert_string_equal(f[1].key, "new_limit_bytes");
	assert_int_equal(f[1].value, 200);
}

/* The lines the log and the Kubernetes note say, from hand-built events and samples. */
static void test_log_lines_and_notes(void **state)
{
	(void)state;
	const uint64_t mi = 1024 * 1024;
	struct sample s = { .usage_bytes = 75 * mi, .limit_bytes = 100 * mi };
	char line[256];

	struct event entered = { .kind = EVENT_ENTERED, .level = 2, .previous_level = 1 };
	event_kinds[EVENT_ENTERED].log_line(&entered, &s, "high", "warn", line, sizeof(line));
	assert_string_equal(line, "level 1 -> 2 (high): entered; usage 75Mi of 100Mi, 25.0% free");
	assert_true(event_kinds[EVENT_ENTERED].log_transitions_only);
	event_kinds[EVENT_ENTERED].k8s_note(&entered, &s, "high", "warn", line, sizeof(line));
	assert_string_equal(line, "Memory level 2 (high) entered from 1 (warn)");

	struct event left = { .kind = EVENT_LEFT, .level = 1, .previous_level = 2 };
	event_kinds[EVENT_LEFT].log_line(&left, &s, "warn", "high", line, sizeof(line));
	assert_string_equal(line, "level 2 -> 1 (warn): left high; usage 75Mi of 100Mi, 25.0% free");

	struct event normal = { .kind = EVENT_NORMAL, .level = 0, .previous_level = 1 };
	event_kinds[EVENT_NORMAL].log_line(&normal, &s, "normal", "warn", line, sizeof(line));
	assert_string_equal(line,
	                    "level 0 (normal): memory is back to normal; usage 75Mi of 100Mi, 25.0% free");

	s.events_delta[MEMEV_OOM_KILL] = 1;
	s.events[MEMEV_OOM_KILL] = 3;
	struct event oom = { .kind = EVENT_OOM_KILL, .level = 1, .previous_level = 1 };
	event_kinds[EVENT_OOM_KILL].log_line(&oom, &s, "warn", "warn", line, sizeof(line));
	assert_string_equal(line, "OOM kill in the target: oom_kill +1 (total 3)");
	assert_int_equal(event_kinds[EVENT_OOM_KILL].log_level, LOG_LEVEL_WARN);
	assert_false(event_kinds[EVENT_OOM_KILL].log_transitions_only);

	struct event limit = { .kind = EVENT_LIMIT_CHANGED,
		               .old_limit_bytes = 100 * mi,
		               .new_limit_bytes = 200 * mi };
	event_kinds[EVENT_LIMIT_CHANGED].log_line(&limit, &s, "normal", "normal", line, sizeof(line));
	assert_string_equal(line, "limit changed: 100Mi -> 200Mi (104857600 -> 209715200 bytes); usage 75Mi, "
	                          "25.0% free");

	/* remaining (every check) and the target's events: no line */
	assert_null(event_kinds[EVENT_REMAINING].log_line);
	assert_null(event_kinds[EVENT_TARGET_LOST].log_line);
	assert_null(event_kinds[EVENT_TARGET_FOUND].log_line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_named_and_unique),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_payload_fields),
		cmocka_unit_test(test_log_lines_and_notes),
	};
	return cmocka_run_group_tests_name("event kinds", tests, NULL, NULL);
}
