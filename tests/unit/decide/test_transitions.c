/* Level stepping and handler selection, with an injected clock. */
#include "unit.h"

#include "decide/transitions.h"

static size_t step(int from, int to, struct event *ev)
{
	return transitions_step(from, to, ev, 16);
}

static void test_up_one_to_three_passes_two(void **state)
{
	(void)state;
	struct event ev[16];
	assert_int_equal(step(1, 3, ev), 2);
	assert_int_equal(ev[0].kind, EVENT_ENTERED);
	assert_int_equal(ev[0].level, 2);
	assert_int_equal(ev[0].previous_level, 1);
	assert_int_equal(ev[1].kind, EVENT_ENTERED);
	assert_int_equal(ev[1].level, 3);
	assert_int_equal(ev[1].previous_level, 2);
}

static void test_down_three_to_zero_then_normal(void **state)
{
	(void)state;
	struct event ev[16];
	assert_int_equal(step(3, 0, ev), 4);
	int want_prev[] = { 3, 2, 1 };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ev[i].kind, EVENT_LEFT);
		assert_int_equal(ev[i].previous_level, want_prev[i]);
		assert_int_equal(ev[i].level, want_prev[i] - 1);
	}
	assert_int_equal(ev[3].kind, EVENT_NORMAL);
	assert_int_equal(ev[3].level, 0);
}

static void test_down_not_to_zero_has_no_normal(void **state)
{
	(void)state;
	struct event ev[16];
	assert_int_equal(step(3, 1, ev), 2);
	assert_int_equal(ev[1].kind, EVENT_LEFT);
	assert_int_equal(ev[1].previous_level, 2);
}

static void test_no_change_is_remaining_including_zero(void **state)
{
	(void)state;
	struct event ev[16];
	assert_int_equal(step(0, 0, ev), 1);
	assert_int_equal(ev[0].kind, EVENT_REMAINING);
	assert_int_equal(ev[0].level, 0);
	assert_int_equal(step(2, 2, ev), 1);
	assert_int_equal(ev[0].kind, EVENT_REMAINING);
	assert_int_equal(ev[0].level, 2);
}

static void test_zero_to_two_from_scratch(void **state)
{
	(void)state;
	struct event ev[16];
	assert_int_equal(step(0, 2, ev), 2);
	assert_int_equal(ev[0].level, 1);
	assert_int_equal(ev[1].level, 2);
}

static void test_cap_is_respected(void **state)
{
	(void)state;
	struct event ev[2];
	assert_int_equal(transitions_step(5, 0, ev, 2), 2);
}

static void test_handler_matching(void **state)
{
	(void)state;
	struct handler h = { .on = EVENT_ENTERED, .level = 2 };
	struct event e2 = { .kind = EVENT_ENTERED, .level = 2, .previous_level = 1 },
	             e3 = { .kind = EVENT_ENTERED, .level = 3, .previous_level = 2 };
	assert_true(transitions_handler_matches(&h, &e2));
	assert_false(transitions_handler_matches(&h, &e3));
	h.level = -1;
	assert_true(transitions_handler_matches(&h, &e3));

	struct handler left2 = { .on = EVENT_LEFT, .level = 2 };
	struct event l2 = { .kind = EVENT_LEFT, .level = 1, .previous_level = 2 },
	             l3 = { .kind = EVENT_LEFT, .level = 2, .previous_level = 3 };
	assert_true(transitions_handler_matches(&left2, &l2));
	assert_false(transitions_handler_matches(&left2, &l3));

	struct handler rem0 = { .on = EVENT_REMAINING, .level = 0 };
	struct event r0 = { .kind = EVENT_REMAINING, .level = 0, .previous_level = 0 },
	             r1 = { .kind = EVENT_REMAINING, .level = 1, .previous_level = 1 };
	assert_true(transitions_handler_matches(&rem0, &r0));
	assert_false(transitions_handler_matches(&rem0, &r1));
	/* a remaining handler never takes a transition */
	assert_false(transitions_handler_matches(
	        &rem0, &(struct event){ .kind = EVENT_NORMAL, .level = 0, .previous_level = 1 }));

	struct handler normal = { .on = EVENT_NORMAL, .level = -1 };
	assert_true(transitions_handler_matches(
	        &normal, &(struct event){ .kind = EVENT_NORMAL, .level = 0, .previous_level = 1 }));
	struct handler lost = { .on = EVENT_TARGET_LOST, .level = -1 };
	assert_true(transitions_handler_matches(
	        &lost, &(struct event){ .kind = EVENT_TARGET_LOST, .level = 2, .previous_level = 2 }));
	assert_false(transitions_handler_matches(
	        &lost, &(struct event){ .kind = EVENT_TARGET_FOUND, .level = 2, .previous_level = 2 }));
}

/* What the monitor does: asks whether h is due, and records the firing when it is. */
static bool fire(const struct handler *h, const struct event *ev, uint64_t *last_fired_usec,
                 uint64_t now_usec)
{
	if (!transitions_handler_due(h, ev, *last_fired_usec, now_usec))
		return false;
	transitions_record_fired(last_fired_usec, now_usec);
	return true;
}

/* Asking does not change the answer: the predicate keeps no state. */
static void test_handler_due_is_pure(void **state)
{
	(void)state;
	struct handler h = { .on = EVENT_REMAINING, .level = 2, .every_usec = 10 };
	struct event r2 = { .kind = EVENT_REMAINING, .level = 2, .previous_level = 2 };
	const uint64_t last = 100;
	assert_false(transitions_handler_due(&h, &r2, last, 105));
	assert_false(transitions_handler_due(&h, &r2, last, 105));
	assert_true(transitions_handler_due(&h, &r2, last, 110));
	assert_true(transitions_handler_due(&h, &r2, last, 110));
	assert_true(transitions_handler_due(&h, &r2, 0, 105)); /* never fired */
	struct event r1 = { .kind = EVENT_REMAINING, .level = 1, .previous_level = 1 };
	assert_false(transitions_handler_due(&h, &r1, 0, 105)); /* another level */
	uint64_t rec = 0;
	transitions_record_fired(&rec, 42);
	assert_int_equal(rec, 42);
}

static void test_remaining_rate_limited_by_every(void **state)
{
	(void)state;
	const uint64_t s = 1000000;
	struct handler h = { .on = EVENT_REMAINING, .level = 3, .every_usec = 10 * s };
	struct event r3 = { .kind = EVENT_REMAINING, .level = 3, .previous_level = 3 };
	uint64_t last = 0;
	uint64_t t0 = 1000 * s;
	/* checks every second for 25 s: fires at 0, 10, 20 */
	int fired = 0;
	uint64_t when[8];
	for (uint64_t t = 0; t <= 25; t++)
		if (fire(&h, &r3, &last, t0 + t * s))
			when[fired++] = t;
	assert_int_equal(fired, 3);
	assert_int_equal(when[0], 0);
	assert_int_equal(when[1], 10);
	assert_int_equal(when[2], 20);
}

static void test_remaining_without_every_fires_each_check(void **state)
{
	(void)state;
	struct handler h = { .on = EVENT_REMAINING, .level = 1 };
	struct event r1 = { .kind = EVENT_REMAINING, .level = 1, .previous_level = 1 };
	uint64_t last = 0;
	int fired = 0;
	for (uint64_t t = 1; t <= 5; t++)
		fired += fire(&h, &r1, &last, t * 1000);
	assert_int_equal(fired, 5);
}

static void test_every_does_not_limit_transitions(void **state)
{
	(void)state;
	struct handler h = { .on = EVENT_ENTERED, .level = 1, .every_usec = 1000000000 };
	struct event e1 = { .kind = EVENT_ENTERED, .level = 1, .previous_level = 0 };
	uint64_t last = 0;
	assert_true(fire(&h, &e1, &last, 5000));
	assert_true(fire(&h, &e1, &last, 6000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_one_to_three_passes_two),
		cmocka_unit_test(test_handler_due_is_pure),
		cmocka_unit_test(test_down_three_to_zero_then_normal),
		cmocka_unit_test(test_down_not_to_zero_has_no_normal),
		cmocka_unit_test(test_no_change_is_remaining_including_zero),
		cmocka_unit_test(test_zero_to_two_from_scratch),
		cmocka_unit_test(test_cap_is_respected),
		cmocka_unit_test(test_handler_matching),
		cmocka_unit_test(test_remaining_rate_limited_by_every),
		cmocka_unit_test(test_remaining_without_every_fires_each_check),
		cmocka_unit_test(test_every_does_not_limit_transitions),
	};
	return cmocka_run_group_tests_name("transitions", tests, NULL, NULL);
}
