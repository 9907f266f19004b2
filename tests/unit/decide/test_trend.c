/* The trend ring and its least-squares fit: exact slopes on lines, noise, thinning, windows. */
#include "unit.h"

#include <math.h>

#include "decide/check.h"
#include "policy/policy.h"
#include "decide/trend.h"

static struct trend_ring ring;

static void push(uint64_t t_usec, uint64_t used, uint64_t gap_usec)
{
	struct trend_point pt = { .mono_usec = t_usec, .used_bytes = { used, used / 2, used / 4 } };
	trend_ring_push(&ring, gap_usec, &pt);
}

static void test_line_has_its_slope(void **state)
{
	(void)state;
	trend_ring_reset(&ring);
	for (uint64_t i = 0; i <= 20; i++) /* 10 MB/s for 20 s, one point a second */
		push(1000000000 + i * 1000000, 100000000 + i * 10000000, 0);
	struct trend_fit f;
	trend_fit(&ring, USAGE_CURRENT, 20000000, 500000000, &f);
	assert_true(f.valid);
	assert_true(fabs(f.slope_bytes_per_sec - 10e6) < 1e-3);
	/* newest 300 MB of 500 MB: 20 s to go */
	assert_true(fabs(f.time_to_limit_sec - 20.0) < 1e-6);
	trend_fit(&ring, USAGE_WORKING_SET, 20000000, 500000000, &f); /* half the usage: 5 MB/s */
	assert_true(fabs(f.slope_bytes_per_sec - 5e6) < 1e-3);
}

static void test_flat_and_falling_never_reach_the_limit(void **state)
{
	(void)state;
	trend_ring_reset(&ring);
	for (uint64_t i = 0; i <= 10; i++)
		push(i * 1000000, 900000000, 0);
	struct trend_fit f;
	trend_fit(&ring, USAGE_CURRENT, 10000000, 1000000000, &f);
	assert_true(f.valid);
	assert_true(f.slope_bytes_per_sec == 0);
	assert_true(isinf(f.time_to_limit_sec));
	trend_ring_reset(&ring);
	for (uint64_t i = 0; i <= 10; i++)
		push(i * 1000000, 900000000 - i * 1000000, 0);
	trend_fit(&ring, USAGE_CURRENT, 10000000, 1000000000, &f);
	assert_true(f.slope_bytes_per_sec < 0);
	assert_true(isinf(f.time_to_limit_sec));
}

static void test_over_the_limit_is_zero_time(void **state)
{
	(void)state;
	trend_ring_reset(&ring);
	for (uint64_t i = 0; i <= 10; i++)
		push(i * 1000000, 1000 + i * 100, 0);
	struct trend_fit f;
	trend_fit(&ring, USAGE_CURRENT, 10000000, 1500, &f);
	assert_true(f.valid);
	assert_true(f.time_to_limit_sec == 0);
}

static void test_too_few_points_or_too_short_a_span(void **state)
{
	(void)state;
	struct trend_fit f;
	trend_ring_reset(&ring);
	trend_fit(&ring, USAGE_CURRENT, 10000000, 1000, &f);
	assert_false(f.valid);
	push(0, 10, 0);
	push(5000000, 20, 0);
	trend_fit(&ring, USAGE_CURRENT, 10000000, 1000, &f);
	assert_false(f.valid); /* two points */
	trend_ring_reset(&ring);
	for (uint64_t i = 0; i < 5; i++)
		push(i * 1000000, 10 * i, 0); /* 4 s of a 10 s window */
	trend_fit(&ring, USAGE_CURRENT, 10000000, 1000, &f);
	assert_false(f.valid);
	push(5000000, 50, 0); /* 5 s: half the window */
	trend_fit(&ring, USAGE_CURRENT, 10000000, 1000, &f);
	assert_true(f.valid);
}

static void test_window_excludes_old_points(void **state)
{
	(void)state;
	trend_ring_reset(&ring);
	for (uint64_t i = 0; i <= 30; i++) /* flat for 20 s, then +1 MB/s for 10 s */
		push(i * 1000000, i <= 20 ? 1000000 : 1000000 + (i - 20) * 1000000, 0);
	struct trend_fit f;
	trend_fit(&ring, USAGE_CURRENT, 10000000, UINT64_MAX, &f);
	assert_true(fabs(f.slope_bytes_per_sec - 1e6) < 1e-3);
	trend_fit(&ring, USAGE_CURRENT, 30000000, UINT64_MAX, &f);
	assert_true(f.slope_bytes_per_sec > 0 && f.slope_bytes_per_sec < 1e6);
}

static void test_least_squares_through_noise(void **state)
{
	(void)state;
	trend_ring_reset(&ring);
	/* 2 MB/s with +-1 MB alternating noise: the fit stays close to 2 MB/s */
	for (uint64_t i = 0; i <= 40; i++)
		push(i * 500000, 50000000 + i * 1000000 + (i % 2 ? 1000000 : 0), 0);
	struct trend_fit f;
	trend_fit(&ring, USAGE_CURRENT, 20000000, UINT64_MAX, &f);
	assert_true(fabs(f.slope_bytes_per_sec - 2e6) < 0.1e6);
}

static void test_ring_wraps_and_thins(void **state)
{
	(void)state;
	trend_ring_reset(&ring);
	/* 10 ms checks for 60 s with a 20 s window: thinned to the gap, the ring never overflows
	 * the window and the fit is exact */
	uint64_t gap = trend_min_gap_usec(20000000);
	assert_int_equal(gap, 20000000 / (TREND_RING_CAP / 2));
	for (uint64_t i = 0; i <= 6000; i++)
		push(i * 10000, i * 10000, gap); /* 1 byte per µs: 1e6 B/s */
	assert_true(ring.n <= TREND_RING_CAP);
	struct trend_fit f;
	trend_fit(&ring, USAGE_CURRENT, 20000000, UINT64_MAX, &f);
	assert_true(f.valid);
	assert_true(fabs(f.slope_bytes_per_sec - 1e6) < 1e-3);
	/* the newest point is the latest reading */
	assert_int_equal(ring.points[(ring.head + TREND_RING_CAP - 1) % TREND_RING_CAP].mono_usec, 60000000);
}

static void test_clock_going_back_resets(void **state)
{
	(void)state;
	trend_ring_reset(&ring);
	for (uint64_t i = 0; i <= 10; i++)
		push(100000000 + i * 1000000, i, 0);
	push(5, 7, 0);
	assert_int_equal(ring.n, 1);
}

/* The conditions through the pure check: a leak warns long before a threshold; flat stays quiet. */
static struct policy *parse(const char *json)
{
	struct policy *p = NULL;
	char err[256];
	int r = policy_parse(json, strlen(json), &p, err, sizeof(err));
	if (r < 0)
		fail_msg("%s", err);
	return p;
}

static struct check_state st;

/* One check at t seconds with usage used_mib of a 1 GiB limit; returns the level. */
static int check_mib(const struct policy *p, double t_sec, uint64_t used_mib, struct check_result *r)
{
	struct sample s = { .usage_bytes = used_mib << 20,
		            .limit_bytes = 1024u << 20,
		            .mono_usec = (uint64_t)(t_sec * 1e6) };
	check_step(p, &st, CHECK_TARGET_PRESENT, &s, NULL, r);
	return r->level;
}

static void test_time_to_limit_warns_on_a_leak_not_on_flat(void **state)
{
	(void)state;
	struct policy *p = parse("{\"levels\": [{\"name\": \"leak\", \"when\": {\"time_to_limit\": "
	                         "{\"below\": \"30s\", \"window\": \"10s\"}}},"
	                         "{\"name\": \"full\", \"when\": {\"local_relative\": 10}}]}");
	struct check_result r;
	/* 10 MiB/s from 100 MiB: 1024 MiB is 92 s away at the start; the level enters when it is under
	 * 30 s away (above 724 MiB, 62 s in), long before 10% free (921 MiB, 82 s in) */
	check_state_init(&st);
	int entered_at = -1;
	for (int i = 0; i <= 70; i++)
		if (check_mib(p, i, 100 + 10 * (uint64_t)i, &r) == 1 && entered_at < 0)
			entered_at = i;
	assert_int_equal(entered_at, 63); /* 730 MiB: (1024 - 730) / 10 = 29.4 s */
	assert_true(r.sample.has_trend);
	assert_true(fabs(r.sample.trend.slope_bytes_per_sec - 10.0 * 1048576) < 1);
	assert_true(r.sample.trend.time_to_limit_sec < 30);
	/* high but flat: 900 MiB for a minute never trips it */
	check_state_init(&st);
	for (int i = 0; i <= 60; i++)
		assert_int_equal(check_mib(p, i, 900, &r), 0);
	assert_true(r.sample.trend.valid && isinf(r.sample.trend.time_to_limit_sec));
	/* the first half window cannot decide: a fast start is only seen after 5 s */
	check_state_init(&st);
	for (int i = 0; i < 5; i++)
		assert_int_equal(check_mib(p, i, 500 + 50 * (uint64_t)i, &r), 0);
	assert_int_equal(check_mib(p, 5, 750, &r), 1); /* 50 MiB/s, 5.5 s to go */
	policy_free(p);
}

static void test_growth_and_reset_on_target_found(void **state)
{
	(void)state;
	struct policy *p = parse("{\"levels\": [{\"name\": \"fast\", \"when\": {\"growth\": "
	                         "{\"above\": \"5Mi/s\", \"window\": \"4s\"}}}]}");
	struct check_result r;
	check_state_init(&st);
	for (int i = 0; i <= 10; i++) /* 4 MiB/s: not above 5Mi/s */
		assert_int_equal(check_mib(p, i * 0.5, 100 + 2 * (uint64_t)i, &r), 0);
	for (int i = 11; i <= 30; i++) /* then 8 MiB/s: above, once the window holds mostly the new rate */
		check_mib(p, i * 0.5, 120 + 4 * (uint64_t)(i - 10), &r);
	assert_int_equal(r.level, 1);
	assert_true(fabs(r.sample.trend_fits[0].slope_bytes_per_sec - 8.0 * 1048576) < 1);
	/* a target found again starts the ring afresh: no fit on its first sample */
	struct sample s = { .usage_bytes = 1, .limit_bytes = 2, .mono_usec = 99000000 };
	check_step(p, &st, CHECK_TARGET_FOUND, &s, NULL, &r);
	assert_false(r.sample.trend_fits[0].valid);
	assert_int_equal(st.trend.n, 1);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_has_its_slope),
		cmocka_unit_test(test_flat_and_falling_never_reach_the_limit),
		cmocka_unit_test(test_over_the_limit_is_zero_time),
		cmocka_unit_test(test_too_few_points_or_too_short_a_span),
		cmocka_unit_test(test_window_excludes_old_points),
		cmocka_unit_test(test_least_squares_through_noise),
		cmocka_unit_test(test_ring_wraps_and_thins),
		cmocka_unit_test(test_clock_going_back_resets),
		cmocka_unit_test(test_time_to_limit_warns_on_a_leak_not_on_flat),
		cmocka_unit_test(test_growth_and_reset_on_target_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
