/* adaptive: the delay to the next check from the growth rate and the distance to the nearest
 * threshold above the level, on hand-made samples with an injected clock (each sample's
 * mono_usec): far and flat, fast and near, proportional in between, falling, no thresholds, a
 * limit of 0, huge values, the remembered rate, the levels above only, not/all/any, global and
 * time_to_limit conditions, a running for, and min_interval equal to check_interval. */
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "decide/adaptive.h"
#include "policy/policy.h"

#define MIB (UINT64_C(1) << 20)
#define MS  UINT64_C(1000)
#define SEC UINT64_C(1000000)

static struct policy *parse(const char *json)
{
	struct policy *p = NULL;
	char err[512] = "";
	if (policy_parse(json, strlen(json), &p, err, sizeof(err)) != 0)
		fail_msg("parse failed: %s\n%s", err, json);
	return p;
}

/* check_interval 2s, min_interval 10ms (the default); one level below 50% free. */
static const char half_json[] = "{\"check_interval\": \"2s\", \"levels\": [{\"name\": \"half\", "
                                "\"when\": {\"local_relative\": 50}}]}";

static struct sample at(uint64_t t_usec, uint64_t used_bytes, uint64_t limit_bytes)
{
	return (struct sample){ .usage_bytes = used_bytes, .limit_bytes = limit_bytes, .mono_usec = t_usec };
}

/* Feeds s to a and returns the delay after it at level, with no for running. */
static uint64_t after(const struct policy *p, struct adaptive_state *a, struct sample s, int level)
{
	struct hysteresis h;
	memset(&h, 0, sizeof(h));
	adaptive_observe(a, &s);
	return adaptive_delay_usec(p, a, &h, level, &s);
}

static void assert_near(uint64_t got, uint64_t want)
{
	uint64_t d = got > want ? got - want : want - got;
	if (d > 2)
		fail_msg("got %llu us, want %llu us", (unsigned long long)got, (unsigned long long)want);
}

static void test_far_and_flat_is_the_longest(void **state)
{
	(void)state;
	struct policy *p = parse(half_json);
	struct adaptive_state a;
	adaptive_reset(&a);
	assert_true(after(p, &a, at(0, 20 * MIB, 256 * MIB), 0) == 2 * SEC); /* first: no rate yet */
	assert_true(after(p, &a, at(2 * SEC, 20 * MIB, 256 * MIB), 0) == 2 * SEC);
	/* a few KiB of noise is no growth: 4 KiB in 2 s would take days to cover 108 MiB */
	assert_true(after(p, &a, at(4 * SEC, 20 * MIB + 4096, 256 * MIB), 0) == 2 * SEC);
	policy_free(p);
}

static void test_fast_growth_near_the_threshold_is_the_shortest(void **state)
{
	(void)state;
	struct policy *p = parse(half_json);
	struct adaptive_state a;
	adaptive_reset(&a);
	after(p, &a, at(0, 100 * MIB, 256 * MIB), 0);
	/* 1 GiB/s, 8 MiB below the threshold (128 MiB used): 0.5 * 8 / 1024 s = 3.9 ms < 10 ms */
	assert_true(after(p, &a, at(20 * MS, 120 * MIB, 256 * MIB), 0) == 10 * MS);
	/* within the margin (1 MiB) and growing: min_interval whatever the rate */
	assert_true(after(p, &a, at(2 * SEC, 128 * MIB - 4096, 256 * MIB), 0) == 10 * MS);
	policy_free(p);
}

static void test_proportional_in_between(void **state)
{
	(void)state;
	struct policy *p = parse(half_json);
	struct adaptive_state a;
	adaptive_reset(&a);
	after(p, &a, at(0, 28 * MIB, 256 * MIB), 0);
	/* 10 MiB in 100 ms = 100 MiB/s; 90 MiB to go: 0.5 * 90 / 100 s */
	assert_near(after(p, &a, at(100 * MS, 38 * MIB, 256 * MIB), 0), 450 * MS);
	/* twice as far at the same rate: twice as long */
	adaptive_reset(&a);
	after(p, &a, at(0, 0, 512 * MIB), 0);
	assert_near(after(p, &a, at(100 * MS, 10 * MIB, 512 * MIB), 0), 1230 * MS); /* 246 MiB to go */
	/* and the approach: each check halves the time left */
	adaptive_reset(&a);
	uint64_t t = 0, used = 0, prev_delay = 3 * SEC;
	after(p, &a, at(t, used, 256 * MIB), 0);
	for (int i = 0; i < 6; i++) {
		uint64_t d = after(p, &a, at(t += 100 * MS, used += 10 * MIB, 256 * MIB), 0);
		assert_true(d < prev_delay);
		prev_delay = d;
	}
	policy_free(p);
}

static void test_falling_usage_is_the_longest(void **state)
{
	(void)state;
	struct policy *p = parse(half_json);
	struct adaptive_state a;
	adaptive_reset(&a);
	after(p, &a, at(0, 127 * MIB, 256 * MIB), 0);
	assert_true(after(p, &a, at(10 * MS, 100 * MIB, 256 * MIB), 0) == 2 * SEC);
	/* just below the threshold but falling: not urgent either */
	assert_true(after(p, &a, at(20 * MS, 99 * MIB, 256 * MIB), 0) == 2 * SEC);
	policy_free(p);
}

static void test_no_thresholds_is_the_longest(void **state)
{
	(void)state;
	/* pressure, events, custom and growth have no threshold that usage approaches */
	struct policy *p =
	        parse("{\"check_interval\": \"2s\", \"levels\": ["
	              "{\"name\": \"a\", \"when\": {\"pressure\": {\"above\": 10}}},"
	              "{\"name\": \"b\", \"when\": {\"events\": \"oom_kill\"}},"
	              "{\"name\": \"c\", \"when\": {\"growth\": {\"above\": \"1Mi/s\", \"window\": "
	              "\"10s\"}}},"
	              "{\"name\": \"d\", \"when\": {\"custom\": {\"command\": [\"/bin/true\"]}}}]}");
	struct adaptive_state a;
	adaptive_reset(&a);
	after(p, &a, at(0, 0, 256 * MIB), 0);
	assert_true(after(p, &a, at(10 * MS, 250 * MIB, 256 * MIB), 0) == 2 * SEC);
	policy_free(p);
}

static void test_limit_zero_and_unreachable_thresholds(void **state)
{
	(void)state;
	struct policy *p = parse("{\"check_interval\": \"2s\", \"levels\": ["
	                         "{\"name\": \"a\", \"when\": {\"local_relative\": 50}},"
	                         "{\"name\": \"b\", \"when\": {\"local_absolute\": \"1Gi\"}},"
	                         "{\"name\": \"c\", \"when\": {\"local_absolute\": 0}},"
	                         "{\"name\": \"d\", \"when\": {\"local_relative\": 0}}]}");
	struct adaptive_state a;
	adaptive_reset(&a);
	/* a limit of 0: nothing is free, every condition holds or never will: no threshold */
	after(p, &a, at(0, 0, 0), 0);
	assert_true(after(p, &a, at(10 * MS, 100 * MIB, 0), 0) == 2 * SEC);
	/* from level 1: 1Gi above a 256Mi limit always holds, 0 never: nothing to approach */
	adaptive_reset(&a);
	after(p, &a, at(0, 130 * MIB, 256 * MIB), 1);
	assert_true(after(p, &a, at(10 * MS, 200 * MIB, 256 * MIB), 1) == 2 * SEC);
	policy_free(p);
}

static void test_huge_values_do_not_overflow(void **state)
{
	(void)state;
	struct policy *p = parse(half_json);
	struct adaptive_state a;
	adaptive_reset(&a);
	/* 0 to 2^62 bytes in 1 us, toward a threshold at 2^63 - 1: the shortest, no overflow */
	after(p, &a, at(1, 0, UINT64_MAX), 0);
	assert_true(after(p, &a, at(2, UINT64_C(1) << 62, UINT64_MAX), 0) == 10 * MS);
	/* a clock that went back: the rates are forgotten */
	assert_true(after(p, &a, at(1, UINT64_C(1) << 62, UINT64_MAX), 0) == 2 * SEC);
	assert_true(a.growth_bytes_per_sec[USAGE_CURRENT] == 0.0);
	/* the same sample time twice: no division by zero, the rate stays */
	after(p, &a, at(1 * SEC, 0, 256 * MIB), 0);
	after(p, &a, at(1 * SEC + 100 * MS, 100 * MIB, 256 * MIB), 0);
	assert_true(after(p, &a, at(1 * SEC + 100 * MS, 120 * MIB, 256 * MIB), 0) == 10 * MS);
	policy_free(p);
	/* the longest check_interval there is, a slow growth far away: a delay below it, exact */
	p = parse("{\"check_interval\": \"18446744073709551615us\", \"levels\": "
	          "[{\"name\": \"half\", \"when\": {\"local_relative\": 50}}]}");
	adaptive_reset(&a);
	after(p, &a, at(0, 0, UINT64_C(1) << 40), 0);
	uint64_t d = after(p, &a, at(SEC, MIB, UINT64_C(1) << 40), 0); /* 1 MiB/s, 512 GiB away */
	assert_near(d, (uint64_t)(0.5 * (512.0 * 1024 - 1) * (double)SEC));
	policy_free(p);
}

static void test_the_rate_is_remembered_and_decays(void **state)
{
	(void)state;
	struct policy *p = parse(half_json);
	struct adaptive_state a;
	adaptive_reset(&a);
	after(p, &a, at(0, 28 * MIB, 256 * MIB), 0);
	after(p, &a, at(100 * MS, 38 * MIB, 256 * MIB), 0); /* 100 MiB/s */
	/* no change in the next 10 ms (a hog between two allocations): still about 100 MiB/s */
	uint64_t d = after(p, &a, at(110 * MS, 38 * MIB, 256 * MIB), 0);
	assert_true(d >= 450 * MS && d < 460 * MS);
	/* a second without growth: half the rate, twice the delay */
	assert_near(after(p, &a, at(1110 * MS, 38 * MIB, 256 * MIB), 0), 2 * (uint64_t)(d));
	/* three more: 6 MiB/s, 7 s to go: the longest again */
	assert_true(after(p, &a, at(4110 * MS, 38 * MIB, 256 * MIB), 0) == 2 * SEC);
	/* a minute later it is all but gone, and less than a MiB per check_interval counts as flat
	 * even 2 MiB below the threshold */
	after(p, &a, at(64 * SEC, 38 * MIB, 256 * MIB), 0);
	assert_true(a.growth_bytes_per_sec[USAGE_CURRENT] < 1.0);
	after(p, &a, at(70 * SEC, 126 * MIB, 256 * MIB), 0); /* 88 MiB in 6 s: growth again */
	assert_true(after(p, &a, at(200 * SEC, 126 * MIB, 256 * MIB), 0) == 2 * SEC);
	/* half-way through a half-life: three quarters */
	adaptive_reset(&a);
	after(p, &a, at(0, 0, 256 * MIB), 0);
	after(p, &a, at(SEC, 8 * MIB, 256 * MIB), 0);
	after(p, &a, at(1500 * MS, 8 * MIB, 256 * MIB), 0);
	assert_true(fabs(a.growth_bytes_per_sec[USAGE_CURRENT] - 6.0 * MIB) < 1.0);
	policy_free(p);
}

static void test_only_levels_above_count(void **state)
{
	(void)state;
	/* level 1 below 50% free (128 MiB used), level 2 below 10% (about 230 MiB) */
	struct policy *p = parse("{\"check_interval\": \"2s\", \"levels\": ["
	                         "{\"name\": \"a\", \"when\": {\"local_relative\": 50}},"
	                         "{\"name\": \"b\", \"when\": {\"local_relative\": 10}}]}");
	struct adaptive_state a;
	adaptive_reset(&a);
	after(p, &a, at(0, 110 * MIB, 256 * MIB), 0);
	/* 100 MiB/s, 8 MiB below level 1: 40 ms */
	assert_near(after(p, &a, at(100 * MS, 120 * MIB, 256 * MIB), 0), 40 * MS);
	/* at level 1 now: level 1's threshold is passed, level 2's is 110.4 MiB away */
	after(p, &a, at(200 * MS, 130 * MIB, 256 * MIB), 1);
	double to_go = 256.0 * 0.9 - 140; /* MiB */
	assert_near(after(p, &a, at(300 * MS, 140 * MIB, 256 * MIB), 1),
	            (uint64_t)(0.5 * to_go / 100.0 * (double)SEC));
	/* at the top level: nothing above */
	assert_true(after(p, &a, at(400 * MS, 150 * MIB, 256 * MIB), 2) == 2 * SEC);
	policy_free(p);
}

static void test_not_all_any(void **state)
{
	(void)state;
	struct adaptive_state a;
	/* a threshold under not is crossed by usage falling: never urgent */
	struct policy *p = parse("{\"check_interval\": \"2s\", \"levels\": [{\"name\": \"a\", \"when\": "
	                         "{\"not\": {\"local_relative\": 50}}}]}");
	adaptive_reset(&a);
	after(p, &a, at(0, 0, 256 * MIB), 0);
	assert_true(after(p, &a, at(100 * MS, 200 * MIB, 256 * MIB), 0) == 2 * SEC);
	policy_free(p);
	/* all and any: the nearest of their thresholds (32 MiB free is nearer than 50%) */
	p = parse("{\"check_interval\": \"2s\", \"levels\": [{\"name\": \"a\", \"when\": "
	          "{\"all\": [{\"local_relative\": 50}, {\"any\": [{\"pressure\": {\"above\": 1}}, "
	          "{\"local_absolute\": \"32Mi\"}]}]}}]}");
	adaptive_reset(&a);
	after(p, &a, at(0, 130 * MIB, 256 * MIB), 0);
	/* 100 MiB/s; 50% holds already; 32 Mi free at 224 MiB used: 84 MiB to go */
	assert_near(after(p, &a, at(100 * MS, 140 * MIB, 256 * MIB), 0), 420 * MS);
	policy_free(p);
}

static void test_usage_kinds(void **state)
{
	(void)state;
	/* the condition measures the working set: its rate, not memory.current's */
	struct policy *p = parse("{\"check_interval\": \"2s\", \"levels\": [{\"name\": \"a\", \"when\": "
	                         "{\"local_relative\": {\"below\": 50, \"usage\": \"working_set\"}}}]}");
	struct adaptive_state a;
	adaptive_reset(&a);
	struct sample s = at(0, 200 * MIB, 256 * MIB);
	s.has_stat = true;
	s.working_set_bytes = 28 * MIB;
	after(p, &a, s, 0);
	s.mono_usec = 100 * MS; /* current flat, the working set grows 100 MiB/s */
	s.working_set_bytes = 38 * MIB;
	assert_near(after(p, &a, s, 0), 450 * MS);
	policy_free(p);
}

static void test_global_conditions(void **state)
{
	(void)state;
	struct policy *p = parse("{\"check_interval\": \"2s\", \"levels\": ["
	                         "{\"name\": \"a\", \"when\": {\"global_absolute\": \"1Gi\"}},"
	                         "{\"name\": \"b\", \"when\": {\"global_relative\": 5}}]}");
	struct adaptive_state a;
	adaptive_reset(&a);
	struct sample s = at(0, 0, 256 * MIB);
	s.host_total_bytes = 8192 * MIB;
	s.host_available_bytes = 2048 * MIB;
	after(p, &a, s, 0);
	/* MemAvailable falls 100 MiB in 100 ms: 1000 MiB/s, 924 MiB above 1Gi */
	s.mono_usec = 100 * MS;
	s.host_available_bytes = 1948 * MIB;
	assert_near(after(p, &a, s, 0), 462 * MS); /* 0.5 * 924 / 1000 s */
	/* rising MemAvailable: not urgent */
	adaptive_reset(&a);
	after(p, &a, s, 0);
	s.mono_usec = 200 * MS;
	s.host_available_bytes = 2948 * MIB;
	assert_true(after(p, &a, s, 0) == 2 * SEC);
	/* from level 1: 5% of 8 GiB is 409.6 MiB; 40 MiB above it at 1000 MiB/s */
	adaptive_reset(&a);
	s.host_available_bytes = 549.6 * MIB;
	after(p, &a, s, 1);
	s.mono_usec = 300 * MS;
	s.host_available_bytes = 449.6 * MIB;
	assert_near(after(p, &a, s, 1), 20 * MS);
	policy_free(p);
}

static void test_time_to_limit(void **state)
{
	(void)state;
	struct policy *p = parse("{\"check_interval\": \"2s\", \"levels\": [{\"name\": \"a\", \"when\": "
	                         "{\"time_to_limit\": {\"below\": \"30s\", \"window\": \"10s\"}}}]}");
	struct adaptive_state a;
	adaptive_reset(&a);
	struct sample s = at(0, 0, 256 * MIB);
	s.trend_fits[0] =
	        (struct trend_fit){ .valid = true, .slope_bytes_per_sec = MIB, .time_to_limit_sec = 31 };
	/* 31 s to the limit, true below 30 s: in 1 s at this slope; half of it */
	assert_near(after(p, &a, s, 0), 500 * MS);
	s.trend_fits[0].time_to_limit_sec = 100; /* 70 s away: the longest */
	assert_true(after(p, &a, s, 0) == 2 * SEC);
	s.trend_fits[0].time_to_limit_sec = 30.001; /* about to hold: the shortest */
	assert_true(after(p, &a, s, 0) == 10 * MS);
	s.trend_fits[0].valid = false; /* no fit yet: nothing to say */
	assert_true(after(p, &a, s, 0) == 2 * SEC);
	policy_free(p);
}

static void test_a_running_for_wakes_when_it_has_held(void **state)
{
	(void)state;
	struct policy *p = parse("{\"check_interval\": \"2s\", \"levels\": ["
	                         "{\"name\": \"a\", \"when\": {\"local_relative\": 50}, \"for\": \"3s\"}]}");
	struct adaptive_state a;
	adaptive_reset(&a);
	struct hysteresis h;
	memset(&h, 0, sizeof(h));
	h.held[0] = (struct hysteresis_timer){ .since_usec = 10 * SEC, .running = true };
	struct sample s = at(12 * SEC + 300 * MS, 200 * MIB, 256 * MIB);
	adaptive_observe(&a, &s);
	/* held since 10 s, for 3 s: at 13 s, 700 ms after this check */
	assert_true(adaptive_delay_usec(p, &a, &h, 0, &s) == 700 * MS);
	s.mono_usec = 10 * SEC + 500 * MS; /* 2.5 s left: the interval comes first */
	assert_true(adaptive_delay_usec(p, &a, &h, 0, &s) == 2 * SEC);
	s.mono_usec = 13 * SEC - 1; /* 1 us left: no sooner than min_interval */
	assert_true(adaptive_delay_usec(p, &a, &h, 0, &s) == 10 * MS);
	h.held[0].running = false;
	s.mono_usec = 12 * SEC + 300 * MS;
	assert_true(adaptive_delay_usec(p, &a, &h, 0, &s) == 2 * SEC);
	policy_free(p);
}

/* assume_growth: flat usage is taken to grow at least that fast, so a burst from flat is caught;
 * measured growth faster than it still counts; it never shortens past min_interval. */
static void test_assume_growth_is_a_floor_on_the_rate(void **state)
{
	(void)state;
	struct policy *p = parse("{\"check_interval\": \"2s\", \"assume_growth\": \"1Gi/s\", \"levels\": "
	                         "[{\"name\": \"half\", \"when\": {\"local_relative\": 50}}]}");
	struct adaptive_state a;
	adaptive_reset(&a);
	/* 20 MiB of 256: 108 MiB to the threshold at 1 GiB/s, times 0.5: 52.7 ms, from the first sample */
	assert_near(after(p, &a, at(0, 20 * MIB, 256 * MIB), 0), 52734);
	assert_near(after(p, &a, at(SEC, 20 * MIB, 256 * MIB), 0), 52734);
	/* a large target is far: check_interval */
	assert_true(after(p, &a, at(2 * SEC, 20 * MIB, 64 * 1024 * MIB), 0) == 2 * SEC);
	/* measured 4 GiB/s beats the assumption: 4x sooner */
	adaptive_reset(&a);
	after(p, &a, at(0, 20 * MIB, 8192 * MIB), 0);
	uint64_t d = after(p, &a, at(SEC / 4, 1044 * MIB, 8192 * MIB), 0); /* +1 GiB in 250 ms */
	assert_near(d, (uint64_t)(0.5 * (4096.0 - 1044.0) / 4096.0 * 1e6));
	policy_free(p);
	/* without it, flat is check_interval (test_far_and_flat_is_the_longest) */
}

static void test_min_equal_to_check_interval_is_fixed(void **state)
{
	(void)state;
	struct policy *p = parse("{\"check_interval\": \"100ms\", \"min_interval\": \"100ms\", \"levels\": "
	                         "[{\"name\": \"half\", \"when\": {\"local_relative\": 50}}]}");
	struct adaptive_state a;
	adaptive_reset(&a);
	after(p, &a, at(0, 0, 256 * MIB), 0);
	assert_true(after(p, &a, at(10 * MS, 127 * MIB, 256 * MIB), 0) == 100 * MS);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_far_and_flat_is_the_longest),
		cmocka_unit_test(test_fast_growth_near_the_threshold_is_the_shortest),
		cmocka_unit_test(test_proportional_in_between),
		cmocka_unit_test(test_falling_usage_is_the_longest),
		cmocka_unit_test(test_no_thresholds_is_the_longest),
		cmocka_unit_test(test_limit_zero_and_unreachable_thresholds),
		cmocka_unit_test(test_huge_values_do_not_overflow),
		cmocka_unit_test(test_the_rate_is_remembered_and_decays),
		cmocka_unit_test(test_only_levels_above_count),
		cmocka_unit_test(test_not_all_any),
		cmocka_unit_test(test_usage_kinds),
		cmocka_unit_test(test_global_conditions),
		cmocka_unit_test(test_time_to_limit),
		cmocka_unit_test(test_a_running_for_wakes_when_it_has_held),
		cmocka_unit_test(test_assume_growth_is_a_floor_on_the_rate),
		cmocka_unit_test(test_min_equal_to_check_interval_is_fixed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
