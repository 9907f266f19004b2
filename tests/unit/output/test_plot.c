/* The picture as text: one marker per marked event of each run, <title> tooltips in SVG and
 * data-tip with an inline script in HTML, nothing that loads from elsewhere, names escaped, the
 * same bytes for the same input, and a day at 1 s under 2 MB. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "output/plot.h"

#define MIB (UINT64_C(1) << 20)

static struct policy *parse(const char *json)
{
	struct policy *p = NULL;
	char err[512];
	if (policy_parse(json, strlen(json), &p, err, sizeof(err)) < 0)
		fail_msg("%s: %s", json, err);
	return p;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *s = text; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

static const char policy_json[] =
        "{\"levels\": [{\"name\": \"<hot & \\\"bad\\\">\", \"when\": {\"local_relative\": 50}},"
        " {\"name\": \"high\", \"when\": {\"local_relative\": 20}}]}";

/* n samples of a saw from 10% to 90% of 100 MiB rising over period seconds, every second; run 0
 * marks every event but remaining, run 1 (another name) only the entered ones. */
static void build(size_t n, size_t period, struct policy *p, struct plot_samples *ps, struct plot_run runs[2])
{
	*ps = (struct plot_samples){ 0 };
	snprintf(ps->name, sizeof(ps->name), "saw.csv");
	plot_run_init(&runs[0], p, "first");
	plot_run_init(&runs[1], p, "second");
	int level = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t used = (10 + (i % period) * 80 / period) * MIB;
		struct sample s = { .usage_bytes = used,
			            .has_stat = true,
			            .working_set_bytes = used / 2,
			            .anon_bytes = used / 4,
			            .limit_bytes = 100 * MIB };
		int to = used > 80 * MIB ? 2 : used > 50 * MIB ? 1 : 0;
		assert_int_equal(plot_samples_add(ps, &s, (uint64_t)i * 1000000), 0);
		for (int k = 0; k < 2; k++)
			assert_int_equal(plot_run_add(&runs[k], &s, (uint64_t)i * 1000000, to,
			                              (struct hysteresis_hold){ 0, false }),
			                 0);
		struct event ev = { .kind = to > level   ? EVENT_ENTERED
			                    : to < level ? EVENT_LEFT
			                                 : EVENT_REMAINING,
			            .level = to,
			            .previous_level = level };
		assert_int_equal(plot_run_event(&runs[0], p, &ev, &s, ev.kind != EVENT_REMAINING), 0);
		assert_int_equal(plot_run_event(&runs[1], p, &ev, &s, ev.kind == EVENT_ENTERED), 0);
		level = to;
	}
}

static void release(struct plot_samples *ps, struct plot_run runs[2])
{
	plot_run_free(&runs[0]);
	plot_run_free(&runs[1]);
	plot_samples_free(ps);
}

static void test_svg_markers_and_titles(void **state)
{
	(void)state;
	struct policy *p = parse(policy_json);
	struct plot_samples ps;
	struct plot_run runs[2];
	char *svg = NULL, *again = NULL;
	build(300, 20, p, &ps, runs);
	assert_int_equal(plot_render(&ps, runs, 2, PLOT_SVG, &svg), 0);
	assert_true(runs[0].n_events > 10);
	assert_int_equal(count(svg, "class=\"ev\""), runs[0].n_events + runs[1].n_events);
	assert_int_equal(count(svg, "class=\"ev\" data-policy=\"0\""), runs[0].n_events);
	assert_int_equal(count(svg, "class=\"ev\" data-policy=\"1\""), runs[1].n_events);
	assert_non_null(strstr(svg, "data-seq=\"1\""));
	assert_int_equal(count(svg, "</title></circle>"), runs[0].n_events + runs[1].n_events);
	assert_int_equal(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "href"));
	assert_null(strstr(svg, "src="));
	assert_int_equal(count(svg, "http"), 1); /* the namespace, never fetched */
	/* the level's name, escaped, never raw */
	assert_non_null(strstr(svg, "&lt;hot &amp; &quot;bad&quot;&gt;"));
	assert_null(strstr(svg, "<hot"));
	/* the threshold lines: one per usage condition of the first run */
	assert_int_equal(count(svg, "class=\"thr\""), 2);
	/* deterministic */
	assert_int_equal(plot_render(&ps, runs, 2, PLOT_SVG, &again), 0);
	assert_string_equal(svg, again);
	free(svg);
	free(again);
	release(&ps, runs);
	policy_free(p);
}

static void test_html_tips_and_script(void **state)
{
	(void)state;
	struct policy *p = parse(policy_json);
	struct plot_samples ps;
	struct plot_run runs[2];
	char *html = NULL;
	build(120, 20, p, &ps, runs);
	assert_int_equal(plot_render(&ps, runs, 1, PLOT_HTML, &html), 0);
	assert_int_equal(strncmp(html, "<!DOCTYPE html>", 15), 0);
	assert_int_equal(count(html, "class=\"ev\""), runs[0].n_events);
	assert_int_equal(count(html, "data-tip=\""), runs[0].n_events);
	assert_non_null(strstr(html, "seq 1 ·"));
	assert_int_equal(count(html, "<script>"), 1);
	assert_non_null(strstr(html, "default-src 'none'"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href"));
	assert_null(strstr(html, "</title></circle>"));
	free(html);
	release(&ps, runs);
	policy_free(p);
}

static void test_refuses_runs_of_another_trace(void **state)
{
	(void)state;
	struct policy *p = parse(policy_json);
	struct plot_samples ps;
	struct plot_run runs[2];
	char *text = NULL;
	build(10, 5, p, &ps, runs);
	assert_int_equal(plot_render(&ps, runs, 0, PLOT_SVG, &text), -EINVAL);
	runs[1].n--; /* a sample short */
	assert_int_equal(plot_render(&ps, runs, 2, PLOT_SVG, &text), -EINVAL);
	assert_null(text);
	runs[1].n++;
	release(&ps, runs);
	/* no sample: a frame without lines or markers, even with an event marked */
	struct plot_samples none = { 0 };
	struct plot_run empty;
	struct event ev = { .kind = EVENT_ENTERED, .level = 1 };
	struct sample s = { 0 };
	plot_run_init(&empty, p, "empty");
	assert_int_equal(plot_run_event(&empty, p, &ev, &s, true), 0);
	assert_int_equal(plot_render(&none, &empty, 1, PLOT_HTML, &text), 0);
	assert_int_equal(count(text, "class=\"ev\""), 0);
	assert_non_null(strstr(text, "(0 samples)"));
	free(text);
	plot_run_free(&empty);
	policy_free(p);
}

/* A day at one sample a second, usage rising over 7 minutes and falling at once (1,234 level
 * steps): every event marked, the lines downsampled, under 2 MB. */
static void test_day_is_light(void **state)
{
	(void)state;
	struct policy *p = parse(policy_json);
	struct plot_samples ps;
	struct plot_run runs[2];
	char *html = NULL;
	build(86400, 420, p, &ps, runs);
	assert_true(runs[0].n_events > 600); /* two levels up and one step down, 205 times */
	assert_int_equal(plot_render(&ps, runs, 2, PLOT_HTML, &html), 0);
	assert_int_equal(count(html, "class=\"ev\""), runs[0].n_events + runs[1].n_events);
	assert_true(strlen(html) < 2 * 1000 * 1000);
	/* each line at most two points a column */
	const char *path = strstr(html, "class=\"s0\"");
	assert_non_null(path);
	size_t points = 0;
	for (const char *c = path; *c && *c != '>'; c++)
		points += *c == 'L' || *c == 'M';
	assert_true(points <= 2 * PLOT_COLUMNS);
	free(html);
	release(&ps, runs);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svg_markers_and_titles),
		cmocka_unit_test(test_html_tips_and_script),
		cmocka_unit_test(test_refuses_runs_of_another_trace),
		cmocka_unit_test(test_day_is_light),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
