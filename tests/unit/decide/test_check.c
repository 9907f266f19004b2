/* check: the decision of one check on hand-built policies and samples (no loop, no files):
 * oom_kill before the level steps, the clamp on a reload with fewer levels, lost and found,
 * stepping through every level, remaining only without a transition. */
#include "unit.h"

#include "decide/check.h"

/* names and paths are written as string literals (-Wwrite-strings makes them const) */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#define MIB (UINT64_C(1) << 20)

/* Three levels at 30% / 15% / 5% local free, like the bats policies. */
static struct level three_levels[] = {
	{ .name = "elevated",
	  .when = { .kind = COND_LOCAL_RELATIVE, .path = "levels[0].when", .percent = 30 } },
	{ .name = "high", .when = { .kind = COND_LOCAL_RELATIVE, .path = "levels[1].when", .percent = 15 } },
	{ .name = "critical",
	  .when = { .kind = COND_LOCAL_RELATIVE, .path = "levels[2].when", .percent = 5 } },
};
static const struct policy policy3 = { .levels = three_levels, .n_levels = 3 };
static const struct policy policy1 = { .levels = three_levels, .n_levels = 1 };

/* A sample of 100 MiB limit whose usage puts it at level (0..3) of policy3. */
static struct sample at_level(int level)
{
	static const uint64_t usage_mib[] = { 10, 75, 88, 97 };
	return (struct sample){ .usage_bytes = usage_mib[level] * MIB, .limit_bytes = 100 * MIB };
}

/* One check from level with no timer running (check_step keeps the level and timers in a state). */
static void check_at(const struct policy *p, int level, enum check_target target, const struct sample *s,
                     const bool *probe_results, struct check_result *ret)
{
	struct check_state st;
	check_state_init(&st);
	st.level = level;
	check_step(p, &st, target, s, probe_results, ret);
	assert_int_equal(st.level, ret->level);
}

static void assert_event(const struct event *ev, enum event_kind kind, int level, int previous)
{
	assert_int_equal(ev->kind, kind);
	assert_int_equal(ev->level, level);
	assert_int_equal(ev->previous_level, previous);
}

static void test_oom_kill_comes_before_the_steps(void **state)
{
	(void)state;
	struct sample s = at_level(2);
	s.has_events = true;
	s.events[MEMEV_OOM_KILL] = 3;
	s.events_delta[MEMEV_OOM_KILL] = 1;
	struct check_result r;
	check_at(&policy3, 0, CHECK_TARGET_PRESENT, &s, NULL, &r);
	assert_int_equal(r.n_events, 3);
	assert_event(&r.events[0], EVENT_OOM_KILL, 0, 0); /* at the level before the steps */
	assert_event(&r.events[1], EVENT_ENTERED, 1, 0);
	assert_event(&r.events[2], EVENT_ENTERED, 2, 1);
	assert_int_equal(r.level, 2);
	assert_true(r.has_sample);
	assert_int_equal(r.sample.events[MEMEV_OOM_KILL], 3);
	assert_true(check_event_has_sample(&r.events[0]));

	/* no increase, or no memory.events read: no oom_kill */
	s.events_delta[MEMEV_OOM_KILL] = 0;
	check_at(&policy3, 2, CHECK_TARGET_PRESENT, &s, NULL, &r);
	assert_int_equal(r.n_events, 1);
	assert_event(&r.events[0], EVENT_REMAINING, 2, 2);
	s.events_delta[MEMEV_OOM_KILL] = 5;
	s.has_events = false;
	check_at(&policy3, 2, CHECK_TARGET_PRESENT, &s, NULL, &r);
	assert_int_equal(r.n_events, 1);
	assert_event(&r.events[0], EVENT_REMAINING, 2, 2);
}

static void test_reload_with_fewer_levels_clamps(void **state)
{
	(void)state;
	assert_int_equal(check_clamp_level(&policy1, 3), 1);
	assert_int_equal(check_clamp_level(&policy1, 1), 1);
	assert_int_equal(check_clamp_level(&policy1, 0), 0);
	assert_int_equal(check_clamp_level(&policy3, 3), 3);
	assert_int_equal(check_clamp_level(&policy3, -2), 0);

	/* at level 3 of the old policy, the one-level policy still holds: remaining 1, no steps */
	struct sample s = at_level(3);
	struct check_result r;
	check_at(&policy1, 3, CHECK_TARGET_PRESENT, &s, NULL, &r);
	assert_int_equal(r.n_events, 1);
	assert_event(&r.events[0], EVENT_REMAINING, 1, 1);
	assert_int_equal(r.level, 1);

	/* and back to normal from the clamped level: left 1 and normal, no left 3 or left 2 */
	s = at_level(0);
	check_at(&policy1, 3, CHECK_TARGET_PRESENT, &s, NULL, &r);
	assert_int_equal(r.n_events, 2);
	assert_event(&r.events[0], EVENT_LEFT, 0, 1);
	assert_event(&r.events[1], EVENT_NORMAL, 0, 1);
	assert_int_equal(r.level, 0);
}

static void test_lost_and_found(void **state)
{
	(void)state;
	struct sample s = at_level(3);
	struct check_result r;

	/* lost: target_lost alone at the current level, whatever a sample says */
	check_at(&policy3, 2, CHECK_TARGET_LOST, &s, NULL, &r);
	assert_int_equal(r.n_events, 1);
	assert_event(&r.events[0], EVENT_TARGET_LOST, 2, 2);
	assert_false(check_event_has_sample(&r.events[0]));
	assert_false(r.has_sample);
	assert_int_equal(r.level, 2);

	/* found without a sample yet: target_found alone */
	check_at(&policy3, 2, CHECK_TARGET_FOUND, NULL, NULL, &r);
	assert_int_equal(r.n_events, 1);
	assert_event(&r.events[0], EVENT_TARGET_FOUND, 2, 2);
	assert_false(check_event_has_sample(&r.events[0]));
	assert_int_equal(r.level, 2);

	/* found with a sample: target_found first, then the steps */
	check_at(&policy3, 1, CHECK_TARGET_FOUND, &s, NULL, &r);
	assert_int_equal(r.n_events, 3);
	assert_event(&r.events[0], EVENT_TARGET_FOUND, 1, 1);
	assert_event(&r.events[1], EVENT_ENTERED, 2, 1);
	assert_event(&r.events[2], EVENT_ENTERED, 3, 2);
	assert_int_equal(r.level, 3);

	/* present without a sample (a skipped check): nothing */
	check_at(&policy3, 1, CHECK_TARGET_PRESENT, NULL, NULL, &r);
	assert_int_equal(r.n_events, 0);
	assert_int_equal(r.level, 1);
}

/* Every pair of levels: up is entered for each level passed, down is left for each and normal at
 * 0, the same level is one remaining; remaining never comes with a transition. */
static void test_steps_through_every_level(void **state)
{
	(void)state;
	for (int from = 0; from <= 3; from++) {
		for (int to = 0; to <= 3; to++) {
			struct sample s = at_level(to);
			struct check_result r;
			check_at(&policy3, from, CHECK_TARGET_PRESENT, &s, NULL, &r);
			assert_int_equal(r.level, to);
			size_t n = 0;
			if (to == from) {
				assert_int_equal(r.n_events, 1);
				assert_event(&r.events[0], EVENT_REMAINING, to, to);
				continue;
			}
			for (int l = from + 1; l <= to; l++)
				assert_event(&r.events[n++], EVENT_ENTERED, l, l - 1);
			for (int l = from; l > to; l--)
				assert_event(&r.events[n++], EVENT_LEFT, l - 1, l);
			if (to == 0)
				assert_event(&r.events[n++], EVENT_NORMAL, 0, 1);
			assert_int_equal(r.n_events, n);
			for (size_t i = 0; i < r.n_events; i++)
				assert_int_not_equal(r.events[i].kind, EVENT_REMAINING);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oom_kill_comes_before_the_steps),
		cmocka_unit_test(test_reload_with_fewer_levels_clamps),
		cmocka_unit_test(test_lost_and_found),
		cmocka_unit_test(test_steps_through_every_level),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
