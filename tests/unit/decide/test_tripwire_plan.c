/* The tripwire's plan (which memory.high to arm for a usage: up on each crossing, down as usage
 * falls, none past the highest threshold), with the thresholds the v1 eventfds use for the default
 * policy's levels; what memory.high before a write means; the record format against hostile text;
 * and what a starting memhook does with a record it finds. */
#include "unit.h"

#include "decide/tripwire_plan.h"
#include "kernel/cg_threshold.h"

#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#define MIB  (UINT64_C(1) << 20)
#define PAGE UINT64_C(4096)

static void test_plan_walks_the_thresholds(void **state)
{
	(void)state;
	const uint64_t thr[] = { 192 * MIB, 230 * MIB + 14 * PAGE, 243 * MIB + 7 * PAGE };
	/* flat and low: the lowest */
	assert_int_equal(tripwire_plan(thr, 3, 0, 0), thr[0]);
	assert_int_equal(tripwire_plan(thr, 3, 100 * MIB, 0), thr[0]);
	/* one page below it: still it (the crossing is the next charge) */
	assert_int_equal(tripwire_plan(thr, 3, thr[0] - PAGE, 0), thr[0]);
	/* at it: the condition holds there, so the tripwire moves up (at it would throttle) */
	assert_int_equal(tripwire_plan(thr, 3, thr[0], 0), thr[1]);
	assert_int_equal(tripwire_plan(thr, 3, thr[1] + 1, 0), thr[2]);
	/* past the highest: none (memory.high goes back) */
	assert_int_equal(tripwire_plan(thr, 3, thr[2], 0), 0);
	assert_int_equal(tripwire_plan(thr, 3, UINT64_MAX, 0), 0);
	/* and down again as usage falls */
	assert_int_equal(tripwire_plan(thr, 3, thr[1] - 1, 0), thr[1]);
	assert_int_equal(tripwire_plan(thr, 3, 10 * MIB, 0), thr[0]);
	/* no thresholds (a policy without local conditions): none */
	assert_int_equal(tripwire_plan(thr, 0, 0, 0), 0);
	assert_int_equal(tripwire_plan(NULL, 0, 5, 0), 0);
}

/* A crossed tripwire (the floor) is passed over until usage falls 1/16 of the limit below it: the
 * app's page cache, reclaimed down to it, is not held there. */
static void test_floor(void **state)
{
	(void)state;
	const uint64_t thr[] = { 192 * MIB, 230 * MIB, 243 * MIB };
	/* crossed at 192 MiB, usage pushed back under it by reclaim: the next one, not it again */
	assert_int_equal(tripwire_plan(thr, 3, 191 * MIB, 192 * MIB), thr[1]);
	assert_int_equal(tripwire_plan(thr, 3, 10 * MIB, 192 * MIB), thr[1]);
	assert_int_equal(tripwire_plan(thr, 3, 10 * MIB, 243 * MIB), 0);
	/* the floor holds within 16 MiB (of 256) below it, and goes further down */
	assert_int_equal(tripwire_floor(192 * MIB, 191 * MIB, 256 * MIB), 192 * MIB);
	assert_int_equal(tripwire_floor(192 * MIB, 176 * MIB, 256 * MIB), 192 * MIB);
	assert_int_equal(tripwire_floor(192 * MIB, 176 * MIB - 1, 256 * MIB), 0);
	assert_int_equal(tripwire_floor(192 * MIB, 200 * MIB, 256 * MIB), 192 * MIB);
	assert_int_equal(tripwire_floor(0, 0, 256 * MIB), 0);
	/* a grown high count: the crossing of the armed value when usage is at it or just under
	 * (reclaimed cache), not when usage is far below (late counts of the value before) */
	assert_true(tripwire_is_crossing(230 * MIB, 231 * MIB, 256 * MIB));
	assert_true(tripwire_is_crossing(230 * MIB, 229 * MIB, 256 * MIB));
	assert_true(tripwire_is_crossing(230 * MIB, 214 * MIB, 256 * MIB));
	assert_false(tripwire_is_crossing(230 * MIB, 214 * MIB - 1, 256 * MIB));
	assert_false(tripwire_is_crossing(230 * MIB, 193 * MIB, 256 * MIB));
	assert_false(tripwire_is_crossing(0, 193 * MIB, 256 * MIB));
	/* after the OOM kill, usage near 0: armed at the first again */
	assert_int_equal(tripwire_plan(thr, 3, 1 * MIB, tripwire_floor(230 * MIB, 1 * MIB, 256 * MIB)),
	                 thr[0]);
}

static struct level levels[] = {
	{ .name = "a", .when = { .kind = COND_LOCAL_RELATIVE, .path = "levels[0].when", .percent = 25 } },
	{ .name = "b", .when = { .kind = COND_LOCAL_RELATIVE, .path = "levels[1].when", .percent = 10 } },
};
static const struct policy policy2 = { .levels = levels, .n_levels = 2 };

/* The thresholds the plan gets are cg_thresholds_of's: the default levels at 256 MiB. */
static void test_plan_on_policy_thresholds(void **state)
{
	(void)state;
	uint64_t thr[CG_THRESHOLDS_MAX];
	bool capped;
	size_t n = cg_thresholds_of(&policy2, 256 * MIB, PAGE, thr, &capped);
	assert_int_equal(n, 2);
	/* 25% free holds from 192 MiB and one page (free < 25%), 10% free past 230.4 MiB */
	assert_int_equal(tripwire_plan(thr, n, 0, 0), 192 * MIB + PAGE);
	assert_int_equal(tripwire_plan(thr, n, 192 * MIB + PAGE, 0), thr[1]);
	assert_true(thr[1] > 230 * MIB && thr[1] < 231 * MIB);
	assert_int_equal(thr[1] % PAGE, 0);
	assert_int_equal(tripwire_plan(thr, n, thr[1], 0), 0);
}

static void test_seen(void **state)
{
	(void)state;
	assert_int_equal(tripwire_seen("max", 0), TRIPWIRE_SEEN_FREE);
	assert_int_equal(tripwire_seen("max", 4096), TRIPWIRE_SEEN_FREE);
	assert_int_equal(tripwire_seen("4096", 4096), TRIPWIRE_SEEN_OURS);
	assert_int_equal(tripwire_seen("8192", 4096), TRIPWIRE_SEEN_OTHER);
	assert_int_equal(tripwire_seen("4096", 0), TRIPWIRE_SEEN_OTHER); /* nothing armed: not ours */
	assert_int_equal(tripwire_seen("04096", 4096), TRIPWIRE_SEEN_OTHER);
	assert_int_equal(tripwire_seen("", 4096), TRIPWIRE_SEEN_OTHER);
}

static void test_record_round_trip(void **state)
{
	(void)state;
	struct tripwire_record rec = { .armed_bytes = 201330688, .pid = 4242, .start_ticks = 987654 }, back;
	char buf[96];
	int n = tripwire_record_format(&rec, buf, sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(buf, "armed 201330688 pid 4242 start 987654");
	assert_int_equal(tripwire_record_parse(buf, (size_t)n, &back), 0);
	assert_int_equal(back.armed_bytes, rec.armed_bytes);
	assert_int_equal(back.pid, rec.pid);
	assert_int_equal(back.start_ticks, rec.start_ticks);
	assert_int_equal(tripwire_record_format(&rec, buf, 10), -1);
}

static void test_record_hostile(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"armed",
		"armed 1",
		"armed 1 pid 2",
		"armed 1 pid 2 start",
		"armed 1 pid 2 start x",
		"armed 1 pid 2 start 3 ",
		"armed 1 pid 2 start 3\n",
		" armed 1 pid 2 start 3",
		"armed  1 pid 2 start 3",
		"armed -1 pid 2 start 3",
		"armed 0 pid 2 start 3",
		"armed 1 pid 0 start 3",
		"armed 1 pid 2147483648 start 3",
		"armed 18446744073709551616 pid 2 start 3",
		"armed 1 pid 2 start 3 extra",
		"ARMED 1 pid 2 start 3",
		"armed 1 pid 2 begin 3",
		"armed 1pid 2 start 3",
	};
	struct tripwire_record rec = { .armed_bytes = 77 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tripwire_record_parse(bad[i], strlen(bad[i]), &rec), -EBADMSG);
		assert_int_equal(rec.armed_bytes, 77); /* untouched */
	}
	/* the length is the value's, not a C string's: a NUL inside is garbage */
	assert_int_equal(tripwire_record_parse("armed 1 pid 2 start 3\0", 22, &rec), -EBADMSG);
	assert_int_equal(tripwire_record_parse("armed 1 pid 2 start 39", 21, &rec), 0);
	assert_int_equal(rec.start_ticks, 3);
}

static void test_leftover(void **state)
{
	(void)state;
	struct tripwire_record rec = { .armed_bytes = 8192, .pid = 7, .start_ticks = 1 };
	assert_int_equal(tripwire_leftover(&rec, "8192", false), TRIPWIRE_LEFTOVER_RESTORE);
	assert_int_equal(tripwire_leftover(&rec, "max", false), TRIPWIRE_LEFTOVER_STALE);
	assert_int_equal(tripwire_leftover(&rec, "4096", false), TRIPWIRE_LEFTOVER_STALE);
	assert_int_equal(tripwire_leftover(&rec, "8192", true), TRIPWIRE_LEFTOVER_LIVE);
	assert_int_equal(tripwire_leftover(&rec, "max", true), TRIPWIRE_LEFTOVER_LIVE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_walks_the_thresholds),
		cmocka_unit_test(test_plan_on_policy_thresholds),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_seen),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_record_hostile),
		cmocka_unit_test(test_leftover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
