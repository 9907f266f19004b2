/* metrics: the exposition text from hand-built views (exact lines, escaping, what appears when),
 * the counters' increments, the health rule. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "output/metrics.h"
#include "base/util.h"

/* A view with two levels, "elevated" and "high", at level 1, target up, no sample. */
static struct metrics_view base_view(const struct metrics *c)
{
	struct metrics_view v = {
		.version = "1.2.3",
		.counters = c,
		.level = 1,
		.n_levels = 2,
		.level_names = { "normal", "elevated", "high" },
		.target_up = true,
	};
	return v;
}

/* The exposition of v (the caller frees it); its length agrees with strlen. */
static char *format(const struct metrics_view *v)
{
	size_t len = 0;
	char *text = metrics_format(v, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_int_equal(text[len - 1], '\n');
	return text;
}

/* Whether text has line as one whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void test_gauges_and_help_lines(void **state)
{
	(void)state;
	struct metrics c = { .checks = 42 };
	struct metrics_view v = base_view(&c);
	v.paused = true;
	char *t = format(&v);
	assert_true(has_line(
	        t, "# HELP memhook_build_info memhook's version, as a label; the value is always 1."));
	assert_true(has_line(t, "# TYPE memhook_build_info gauge"));
	assert_true(has_line(t, "memhook_build_info{version=\"1.2.3\"} 1"));
	assert_true(has_line(t, "# TYPE memhook_level gauge"));
	assert_true(has_line(t, "memhook_level 1"));
	assert_true(has_line(t, "memhook_target_up 1"));
	assert_true(has_line(t, "memhook_paused 1"));
	assert_true(has_line(t, "# TYPE memhook_checks_total counter"));
	assert_true(has_line(t, "memhook_checks_total 42"));
	assert_true(has_line(t, "memhook_webhook_queue_length 0"));
	assert_true(has_line(t, "# TYPE memhook_webhook_dropped_total counter"));
	assert_true(has_line(t, "# TYPE memhook_log_lines_dropped_total counter"));
	assert_true(has_line(t, "memhook_log_lines_dropped_total 0"));
	/* no sample: none of its series */
	assert_null(strstr(t, "memhook_target_memory_usage_bytes"));
	assert_null(strstr(t, "memhook_host_memory_available_bytes"));
	assert_null(strstr(t, "memhook_target_memory_events_total"));
	free(t);
}

static void test_sample_series_appear_when_read(void **state)
{
	(void)state;
	struct metrics c = { 0 };
	struct sample s = { .usage_bytes = 1000, .limit_bytes = 4096, .host_available_bytes = 77 };
	struct metrics_view v = base_view(&c);
	v.sample = &s;
	char *t = format(&v);
	assert_true(has_line(t, "memhook_target_memory_usage_bytes 1000"));
	assert_true(has_line(t, "memhook_target_memory_limit_bytes 4096"));
	assert_true(has_line(t, "memhook_host_memory_available_bytes 77"));
	assert_null(strstr(t, "working_set"));
	assert_null(strstr(t, "memhook_target_memory_events_total"));
	assert_null(strstr(t, "memhook_target_pressure")); /* PSI: not read */
	free(t);

	s.has_stat = true;
	s.working_set_bytes = 900;
	s.has_events = true;
	s.events[MEMEV_HIGH] = 3;
	s.events[MEMEV_OOM_KILL] = 2;
	s.has_psi = true;
	s.psi.total_usec[PSI_SOME] = 1500000;
	s.psi.total_usec[PSI_FULL] = 250;
	t = format(&v);
	assert_true(has_line(t, "memhook_target_memory_working_set_bytes 900"));
	assert_true(has_line(t, "# TYPE memhook_target_memory_events_total counter"));
	assert_true(has_line(t, "memhook_target_memory_events_total{event=\"low\"} 0"));
	assert_true(has_line(t, "memhook_target_memory_events_total{event=\"high\"} 3"));
	assert_true(has_line(t, "memhook_target_memory_events_total{event=\"oom_kill\"} 2"));
	assert_true(has_line(t, "memhook_target_memory_events_total{event=\"oom_group_kill\"} 0"));
	assert_true(has_line(t, "# TYPE memhook_target_pressure_memory_waiting_seconds_total counter"));
	assert_true(has_line(t, "memhook_target_pressure_memory_waiting_seconds_total 1.500000"));
	assert_true(has_line(t, "memhook_target_pressure_memory_stalled_seconds_total 0.000250"));
	free(t);

	/* cgroup v1: memory.oom_control has oom_kill only */
	v.events_oom_kill_only = true;
	t = format(&v);
	assert_true(has_line(t, "memhook_target_memory_events_total{event=\"oom_kill\"} 2"));
	assert_null(strstr(t, "event=\"high\""));
	free(t);
}

static void test_transitions_counted_by_direction_and_level(void **state)
{
	(void)state;
	struct metrics c = { 0 };
	metrics_count_step(&c, EVENT_ENTERED, 1, 0);
	metrics_count_step(&c, EVENT_ENTERED, 2, 1);
	metrics_count_step(&c, EVENT_LEFT, 1, 2);
	metrics_count_step(&c, EVENT_LEFT, 0, 1);
	metrics_count_step(&c, EVENT_NORMAL, 0, 1);    /* the same step as left 1: not again */
	metrics_count_step(&c, EVENT_REMAINING, 2, 2); /* no step */
	metrics_count_step(&c, EVENT_ENTERED, 1, 0);
	metrics_count_step(&c, EVENT_ENTERED, POLICY_MAX_LEVELS + 1, 0); /* out of range: ignored */
	metrics_count_step(NULL, EVENT_ENTERED, 1, 0);
	struct metrics_view v = base_view(&c);
	char *t = format(&v);
	assert_true(has_line(t, "# TYPE memhook_level_transitions_total counter"));
	assert_true(has_line(t, "memhook_level_transitions_total{direction=\"up\",level=\"elevated\"} 2"));
	assert_true(has_line(t, "memhook_level_transitions_total{direction=\"down\",level=\"elevated\"} 1"));
	assert_true(has_line(t, "memhook_level_transitions_total{direction=\"up\",level=\"high\"} 1"));
	assert_true(has_line(t, "memhook_level_transitions_total{direction=\"down\",level=\"high\"} 1"));
	assert_null(strstr(t, "level=\"normal\""));
	free(t);

	metrics_forget_level(&c, 2);
	t = format(&v);
	assert_true(has_line(t, "memhook_level_transitions_total{direction=\"up\",level=\"high\"} 0"));
	assert_true(has_line(t, "memhook_level_transitions_total{direction=\"up\",level=\"elevated\"} 2"));
	free(t);
}

static void test_actions_join_dispatch_and_the_webhook_queue(void **state)
{
	(void)state;
	struct metrics c = { 0 };
	metrics_count_action(&c, ACTION_SIGNAL, ACTION_RESULT_OK);
	metrics_count_action(&c, ACTION_SIGNAL, ACTION_RESULT_OK);
	metrics_count_action(&c, ACTION_EXEC, ACTION_RESULT_FAILED);
	metrics_count_action(&c, ACTION_RECLAIM, ACTION_RESULT_DROPPED);
	metrics_count_action(&c, ACTION_WEBHOOK, ACTION_RESULT_FAILED); /* never queued */
	metrics_count_action(NULL, ACTION_EXEC, ACTION_RESULT_OK);
	struct metrics_view v = base_view(&c);
	v.webhook_delivered = 5;
	v.webhook_failed = 1;
	v.webhook_dropped = 4;
	v.webhook_queue_length = 3;
	char *t = format(&v);
	assert_true(has_line(t, "memhook_actions_total{action=\"signal\",result=\"ok\"} 2"));
	assert_true(has_line(t, "memhook_actions_total{action=\"signal\",result=\"failed\"} 0"));
	assert_true(has_line(t, "memhook_actions_total{action=\"exec\",result=\"failed\"} 1"));
	assert_true(has_line(t, "memhook_actions_total{action=\"reclaim\",result=\"dropped\"} 1"));
	assert_true(has_line(t, "memhook_actions_total{action=\"webhook\",result=\"ok\"} 5"));
	assert_true(has_line(t, "memhook_actions_total{action=\"webhook\",result=\"failed\"} 2"));
	assert_true(has_line(t, "memhook_actions_total{action=\"webhook\",result=\"dropped\"} 4"));
	assert_true(has_line(t, "memhook_webhook_queue_length 3"));
	assert_true(has_line(t, "memhook_webhook_dropped_total 4"));
	free(t);
}

static void test_stream_and_pressure_counters(void **state)
{
	(void)state;
	struct metrics c = { .pressure_notifications = 6 };
	struct metrics_view v = base_view(&c);
	char *t = format(&v);
	assert_null(strstr(t, "memhook_pressure"));    /* no pressure_watch in the policy */
	assert_null(strstr(t, "memhook_subscribers")); /* no --listen, no stream */
	free(t);
	v.pressure_watch = true;
	t = format(&v);
	assert_true(has_line(t, "memhook_pressure_notifications_total 6"));
	free(t);
	v.events_stream = true;
	v.subscribers = 100;
	v.subscribers_cut = 1;
	t = format(&v);
	assert_true(has_line(t, "# TYPE memhook_subscribers gauge"));
	assert_true(has_line(t, "memhook_subscribers 100"));
	assert_true(has_line(t, "# TYPE memhook_subscribers_cut_total counter"));
	assert_true(has_line(t, "memhook_subscribers_cut_total 1"));
	free(t);
}

static void test_label_values_escaped(void **state)
{
	(void)state;
	struct metrics c = { 0 };
	struct metrics_view v = base_view(&c);
	v.level_names[2] = "a\"b\\c\nd";
	v.version = "v\"1";
	char *t = format(&v);
	assert_true(
	        has_line(t, "memhook_level_transitions_total{direction=\"up\",level=\"a\\\"b\\\\c\\nd\"} 0"));
	assert_true(has_line(t, "memhook_build_info{version=\"v\\\"1\"} 1"));
	free(t);
}

static void test_every_line_is_a_comment_or_a_sample(void **state)
{
	(void)state;
	struct metrics c = { 0 };
	struct sample s = { .has_events = true, .has_psi = true, .has_stat = true };
	struct metrics_view v = base_view(&c);
	v.sample = &s;
	v.level_names[1] = "multi\nline";
	char *t = format(&v);
	for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n"))
		assert_true(strncmp(line, "# HELP memhook_", 15) == 0 ||
		            strncmp(line, "# TYPE memhook_", 15) == 0 || strncmp(line, "memhook_", 8) == 0);
	free(t);
}

static void test_healthy_within_three_intervals_or_paused(void **state)
{
	(void)state;
	uint64_t s = USEC_PER_SEC;
	assert_true(metrics_healthy(100 * s, 100 * s, s, false));
	assert_true(metrics_healthy(103 * s, 100 * s, s, false));
	assert_false(metrics_healthy(103 * s + 1, 100 * s, s, false));
	assert_true(metrics_healthy(1000 * s, 100 * s, s, true));
	assert_true(metrics_healthy(99 * s, 100 * s, s, false)); /* a clock read before the check */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gauges_and_help_lines),
		cmocka_unit_test(test_sample_series_appear_when_read),
		cmocka_unit_test(test_transitions_counted_by_direction_and_level),
		cmocka_unit_test(test_actions_join_dispatch_and_the_webhook_queue),
		cmocka_unit_test(test_stream_and_pressure_counters),
		cmocka_unit_test(test_label_values_escaped),
		cmocka_unit_test(test_every_line_is_a_comment_or_a_sample),
		cmocka_unit_test(test_healthy_within_three_intervals_or_paused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
