/* The trend ring and its least-squares fit: exact slopes on lines, noise, thinning, windows. */
#include "unit.h"

#include <math.h>

#include "trend.h"

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
