/* action_run: the run-side table of the action kinds: every kind has a row with the columns its
 * way of running needs, and its name is the label /metrics counts it under (what each row's dry
 * run says: test_action_run_<kind>.c). */
#include "unit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/action_run.h"
#include "output/metrics.h"

/* argv arrays are written as string literals (-Wwrite-strings makes them const). */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

static void test_every_kind_has_a_row(void **state)
{
	(void)state;
	for (int k = 0; k < ACTION_KINDS; k++) {
		const struct action_run_ops *run = action_run((enum action_kind)k);
		assert_non_null(run);
		assert_ptr_equal(run, action_runs[k]);
		assert_non_null(run->name);
		assert_string_equal(run->name, action_kind_name((enum action_kind)k));
		assert_non_null(run->would);
		/* at the event, or a job of the stream: one of the two */
		assert_true((run->at_event != NULL) != (run->start != NULL));
		if (run->start)
			assert_non_null(run->prepare);
		else
			assert_true(!run->prepare &&
			            !run->finish); /* at_stop: what it served (pressure_watch) */
	}
	assert_null(action_run(ACTION_KINDS));
	assert_null(action_run((enum action_kind) - 1));
}

/* The row's name is the action label of memhook_actions_total, as lib/output/metrics.c prints it
 * (from lib/base/names.c). */
static void test_name_is_the_metrics_label(void **state)
{
	(void)state;
	struct metrics c = { 0 };
	for (int k = 0; k < ACTION_KINDS; k++)
		metrics_count_action(&c, (enum action_kind)k, ACTION_RESULT_DROPPED);
	struct metrics_view v = { .version = "1", .counters = &c, .level_names = { "normal" } };
	size_t len = 0;
	char *t = metrics_format(&v, &len);
	assert_non_null(t);
	for (int k = 0; k < ACTION_KINDS; k++) {
		char line[128];
		snprintf(line, sizeof(line), "\nmemhook_actions_total{action=\"%s\",result=\"dropped\"} 1\n",
		         action_runs[k]->name);
		assert_non_null(strstr(t, line));
	}
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_has_a_row),
		cmocka_unit_test(test_name_is_the_metrics_label),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
