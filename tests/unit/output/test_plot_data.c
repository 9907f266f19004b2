/* The picture's data: min/max downsampling keeps every column's peak and dip (a day at 1 s), usage
 * thresholds from the condition table whatever the usage, threshold lines only for usage
 * conditions, held shading, time at each level, event markers numbered in order and the
 * time_to_limit that fired. */
#include "unit.h"

#include <math.h>
#include <stdlib.h>

#include "decide/check.h"
#include "output/plot.h"

#define DAY 86400

static struct policy *parse(const char *json)
{
	struct policy *p = NULL;
	char err[512];
	if (policy_parse(json, strlen(json), &p, err, sizeof(err)) < 0)
		fail_msg("%s: %s", json, err);
	return p;
}

static void test_column_bounds(void **state)
{
	(void)state;
	assert_int_equal(plot_column(0, 0, 100, 10), 0);
	assert_int_equal(plot_column(9, 0, 100, 10), 0);
	assert_int_equal(plot_column(10, 0, 100, 10), 1);
	assert_int_equal(plot_column(100, 0, 100, 10), 9);
	assert_int_equal(plot_column(500, 0, 100, 10), 9);
	assert_int_equal(plot_column(5, 5, 5, 10), 0); /* one sample: no span */
	/* a day in microseconds: no overflow on the way */
	uint64_t day = (uint64_t)DAY * 1000000;
	assert_int_equal(plot_column(day - 1, 0, day, PLOT_COLUMNS), PLOT_COLUMNS - 1);
	assert_int_equal(plot_column(day / 2, 0, day, PLOT_COLUMNS), PLOT_COLUMNS / 2);
}

/* A day at 1 s with one-sample spikes and dips: at most two points a column, in time order, and
 * each column's highest and lowest sample among them. */
static void test_downsample_keeps_every_peak(void **state)
{
	(void)state;
	uint64_t *t = malloc(DAY * sizeof(*t));
	double *v = malloc(DAY * sizeof(*v));
	struct plot_point *pts = malloc(2 * PLOT_COLUMNS * sizeof(*pts));
	assert_non_null(t);
	assert_non_null(v);
	assert_non_null(pts);
	for (size_t i = 0; i < DAY; i++) {
		t[i] = (uint64_t)i * 1000000;
		v[i] = 1000.0 + (double)(i % 97);
		if (i % 7919 == 0)
			v[i] = 5000.0 + (double)i / 100; /* a spike of one sample */
		if (i % 6007 == 3)
			v[i] = 1.0; /* a dip of one sample */
	}
	size_t n = plot_downsample(t, v, 1, DAY, t[0], t[DAY - 1], PLOT_COLUMNS, pts);
	assert_true(n <= 2 * PLOT_COLUMNS);
	assert_true(n >= PLOT_COLUMNS);
	for (size_t k = 1; k < n; k++)
		assert_true(pts[k].t_usec > pts[k - 1].t_usec);
	/* brute force, column by column */
	size_t k = 0;
	for (size_t i = 0; i < DAY;) {
		size_t col = plot_column(t[i], t[0], t[DAY - 1], PLOT_COLUMNS);
		double lo = INFINITY, hi = -INFINITY;
		for (; i < DAY && plot_column(t[i], t[0], t[DAY - 1], PLOT_COLUMNS) == col; i++) {
			lo = v[i] < lo ? v[i] : lo;
			hi = v[i] > hi ? v[i] : hi;
		}
		double plo = INFINITY, phi = -INFINITY;
		for (; k < n && plot_column(pts[k].t_usec, t[0], t[DAY - 1], PLOT_COLUMNS) == col; k++) {
			plo = pts[k].v < plo ? pts[k].v : plo;
			phi = pts[k].v > phi ? pts[k].v : phi;
		}
		assert_true(plo == lo);
		assert_true(phi == hi);
	}
	assert_int_equal(k, n);
	free(t);
	free(v);
	free(pts);
}

/* Few samples are drawn as they are; a value not read (NAN) breaks the line. */
static void test_downsample_few_and_gaps(void **state)
{
	(void)state;
	uint64_t t[] = { 0, 1, 2, 3, 4 };
	double v[] = { 1, 2, NAN, 4, 5 };
	struct plot_point pts[2 * 10];
	size_t n = plot_downsample(t, v, 1, 5, 0, 4, 10, pts);
	assert_int_equal(n, 4);
	assert_true(pts[0].move);
	assert_false(pts[1].move);
	assert_true(pts[2].move); /* after the gap */
	assert_true(pts[2].v == 4);
	/* a stride: every second value */
	double w[] = { 1, -1, 2, -1, 3, -1 };
	n = plot_downsample(t, w, 2, 3, 0, 2, 10, pts);
	assert_int_equal(n, 3);
	assert_true(pts[2].v == 3);
}

/* A line's threshold is the condition's, in bytes of its usage kind, whether or not it holds. */
static void test_line_threshold(void **state)
{
	(void)state;
	struct policy *p = parse("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": "
	                         "{\"below\": 10, \"usage\": \"working_set\"}}},"
	                         "{\"name\": \"b\", \"when\": {\"local_absolute\": \"2000\"}}]}");
	struct plot_run r;
	plot_run_init(&r, p, "p");
	assert_int_equal(r.n_lines, 2);
	assert_int_equal(r.lines[0].usage, USAGE_WORKING_SET);
	assert_int_equal(r.lines[0].level, 1);
	assert_int_equal(r.lines[1].level, 2);
	double bytes = 0;
	struct sample below = { .usage_bytes = 10, .has_stat = true, .limit_bytes = 1000 };
	struct sample above = {
		.usage_bytes = 990, .working_set_bytes = 990, .has_stat = true, .limit_bytes = 1000
	};
	assert_true(plot_line_threshold(&r.lines[0], &below, &bytes));
	assert_true(bytes == 900.0);
	assert_true(plot_line_threshold(&r.lines[0], &above, &bytes)); /* holds: still drawn */
	assert_true(bytes == 900.0);
	assert_false(plot_line_threshold(&r.lines[1], &below, &bytes)); /* 2000 free of 1000: none */
	struct sample big = { .limit_bytes = 10000 };
	assert_true(plot_line_threshold(&r.lines[1], &big, &bytes)); /* moves with the limit */
	assert_true(bytes == 8000.0);
	plot_run_free(&r);
	policy_free(p);
}

/* Only usage conditions are lines: not the host's, not a trend's, not pressure. */
static void test_lines_are_usage_conditions(void **state)
{
	(void)state;
	struct policy *p =
	        parse("{\"levels\": [{\"name\": \"a\", \"when\": {\"any\": [{\"global_relative\": 10},"
	              " {\"time_to_limit\": {\"below\": \"60s\", \"window\": \"20s\"}}, {\"local_relative\": "
	              "25}]}},"
	              " {\"name\": \"b\", \"when\": {\"not\": {\"local_relative\": 90}}}]}");
	struct plot_run r;
	plot_run_init(&r, p,
	              "a name longer than the sixty-four bytes a run's name keeps, cut where it must be");
	assert_int_equal(r.n_lines, 2);
	assert_int_equal(r.lines[0].level, 1);
	assert_int_equal(r.lines[1].level, 2);
	assert_int_equal(strlen(r.name), PLOT_NAME_BYTES - 1);
	assert_string_equal(r.level_names[0], "normal");
	assert_string_equal(r.level_names[2], "b");
	plot_run_free(&r);
	policy_free(p);
}

/* Holds, time at each level, markers numbered in marking order, every event counted. */
static void test_run_add_and_events(void **state)
{
	(void)state;
	struct policy *p = parse(
	        "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 50}, \"for\": \"2s\"}]}");
	struct plot_run r;
	plot_run_init(&r, p, "p");
	struct sample s = { .usage_bytes = 900, .limit_bytes = 1000 };
	struct event entered = { .kind = EVENT_ENTERED, .level = 1, .previous_level = 0 };
	struct event remaining = { .kind = EVENT_REMAINING, .level = 1, .previous_level = 1 };
	assert_int_equal(plot_run_add(&r, &s, 0, 0, (struct hysteresis_hold){ 1, false }), 0);
	assert_int_equal(plot_run_add(&r, &s, 2000000, 1, (struct hysteresis_hold){ 0, false }), 0);
	assert_int_equal(plot_run_event(&r, p, &entered, &s, true), 0);
	assert_int_equal(plot_run_add(&r, &s, 5000000, 1, (struct hysteresis_hold){ 0, true }), 0);
	assert_int_equal(plot_run_event(&r, p, &remaining, &s, false), 0);
	assert_int_equal(plot_run_event(&r, p, &remaining, &s, true), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.held[0], PLOT_HELD_UP);
	assert_int_equal(r.held[1], 0);
	assert_int_equal(r.held[2], PLOT_HELD_DOWN);
	assert_int_equal(r.level_usec[0], 2000000);
	assert_int_equal(r.level_usec[1], 3000000);
	assert_int_equal(r.n_events, 2);
	assert_int_equal(r.events[0].seq, 1);
	assert_int_equal(r.events[0].sample, 1);
	assert_int_equal(r.events[1].seq, 2);
	assert_int_equal(r.events[1].sample, 2);
	assert_int_equal(r.kind_count[EVENT_ENTERED], 1);
	assert_int_equal(r.kind_count[EVENT_REMAINING], 2);
	assert_true(isnan(r.events[0].time_to_limit_sec));
	assert_true(r.thr[1 * PLOT_MAX_LINES] == 500.0);
	assert_true(isnan(r.thr[1 * PLOT_MAX_LINES + 1]));
	plot_run_free(&r);
	plot_run_free(&r); /* twice: harmless */
	policy_free(p);
}

/* An entered level whose time_to_limit holds carries the fit's projected time. */
static void test_time_to_limit_fired(void **state)
{
	(void)state;
	struct policy *p =
	        parse("{\"levels\": [{\"name\": \"a\", \"when\": {\"any\": [{\"local_relative\": 5},"
	              " {\"time_to_limit\": {\"below\": \"60s\", \"window\": \"10s\"}}]}}]}");
	struct plot_run r;
	struct check_state st;
	struct check_result res;
	plot_run_init(&r, p, "p");
	check_state_init(&st);
	bool entered = false;
	for (int i = 0; i < 90 && !entered; i++) { /* 10 bytes a second towards a limit of 1000 */
		struct sample s = { .usage_bytes = 100 + 10 * (uint64_t)i,
			            .limit_bytes = 1000,
			            .mono_usec = (uint64_t)i * 1000000 + 1000000 };
		check_step(p, &st, CHECK_TARGET_PRESENT, &s, NULL, &res);
		assert_int_equal(
		        plot_run_add(&r, &res.sample, s.mono_usec, res.level, (struct hysteresis_hold){ 0 }),
		        0);
		for (size_t e = 0; e < res.n_events; e++) {
			assert_int_equal(plot_run_event(&r, p, &res.events[e], &res.sample, true), 0);
			entered |= res.events[e].kind == EVENT_ENTERED;
		}
	}
	assert_true(entered);
	const struct plot_event *ev = &r.events[r.n_events - 1];
	assert_int_equal(ev->kind, EVENT_ENTERED);
	assert_false(isnan(ev->time_to_limit_sec));
	assert_true(ev->time_to_limit_sec < 60.0 && ev->time_to_limit_sec > 50.0); /* the trend, not the 5% */
	plot_run_free(&r);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_column_bounds),
		cmocka_unit_test(test_downsample_keeps_every_peak),
		cmocka_unit_test(test_downsample_few_and_gaps),
		cmocka_unit_test(test_line_threshold),
		cmocka_unit_test(test_lines_are_usage_conditions),
		cmocka_unit_test(test_run_add_and_events),
		cmocka_unit_test(test_time_to_limit_fired),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
