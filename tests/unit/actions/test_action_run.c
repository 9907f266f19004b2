/* action_run: the run-side table of the action kinds on hand-built handlers and events: every kind
 * has a row with the columns its way of running needs, its name is the label /metrics counts it
 * under, and what each row's dry run says. */
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
			assert_true(!run->prepare && !run->finish && !run->at_stop);
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

struct env {
	struct target t;
	struct sample smp;
	struct event ev;
	struct event_ctx ctx;
	struct dispatch_event de;
	char text[ACTION_WOULD_MAX_CHARS];
};

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	e->t.present = true;
	e->t.pid = 42;
	e->t.cg.path = "/sys/fs/cgroup/app";
	e->smp = (struct sample){ .usage_bytes = 64 * 1024 * 1024, .limit_bytes = 100 * 1024 * 1024 };
	e->ev = (struct event){ .kind = EVENT_ENTERED, .level = 2, .previous_level = 1 };
	e->ctx = (struct event_ctx){ .ev = &e->ev, .seq = 3, .sample = &e->smp };
	e->de = (struct dispatch_event){ .ctx = &e->ctx, .target = &e->t };
	return e;
}

static const char *would(struct env *e, const struct handler *h)
{
	return action_run(h->action)->would(h, &e->de, e->text, sizeof(e->text));
}

static void test_dry_run_text(void **state)
{
	(void)state;
	struct env *e = env_new();
	static char *argv[] = { "/bin/sh", "-c", "echo hi", NULL };
	struct handler h = { .action = ACTION_WEBHOOK };
	h.webhook.url_log = "https://example.com/hook";
	assert_string_equal(would(e, &h),
	                    "send webhook to https://example.com/hook (seq 3, entered level 2)");

	h = (struct handler){ .action = ACTION_SIGNAL, .signal = { .signo = SIGTERM } };
	assert_string_equal(would(e, &h), "signal SIGTERM to the main process 42");
	h.signal.whole_cgroup = true;
	assert_string_equal(would(e, &h), "signal SIGTERM to every process of /sys/fs/cgroup/app");
	h.signal.whole_cgroup = false;
	e->t.pid = 0;
	assert_string_equal(would(e, &h),
	                    "signal SIGTERM to the main process (lowest pid) of /sys/fs/cgroup/app");
	e->t.present = false;
	assert_string_equal(would(e, &h),
	                    "signal SIGTERM to the main process (lowest pid) of (no target now)");
	e->t.present = true;

	h = (struct handler){ .action = ACTION_RECLAIM, .reclaim = { .bytes = 8192 } };
	assert_string_equal(would(e, &h), "reclaim 8Ki from /sys/fs/cgroup/app");
	h.reclaim = (struct reclaim_cfg){ .percent = 25 };
	assert_string_equal(would(e, &h), "reclaim 16Mi from /sys/fs/cgroup/app");

	h = (struct handler){ .action = ACTION_EXEC,
		              .exec = { .argv = argv, .timeout_usec = 10 * USEC_PER_SEC } };
	assert_string_equal(would(e, &h), "run /bin/sh -c echo hi (timeout 10s)");
	h.exec.detach = true;
	assert_string_equal(would(e, &h), "run /bin/sh -c echo hi (timeout 10s, detached)");

	h = (struct handler){ .action = ACTION_MEMORY_HIGH, .memory_high = { .percent = 80 } };
	assert_string_equal(would(e, &h),
	                    "set memory.high of /sys/fs/cgroup/app to 80Mi (80% of the limit 100Mi)");
	e->ctx.sample = NULL;
	assert_string_equal(would(e, &h), "set memory.high of /sys/fs/cgroup/app to 80% of the limit");
	h.memory_high = (struct memory_high_cfg){ .bytes = 200 * 1024 * 1024 };
	assert_string_equal(would(e, &h), "set memory.high of /sys/fs/cgroup/app to 200Mi");
	free(e);
}

/* A command longer than 1 KiB is cut there; the timeout still follows. */
static void test_dry_run_cuts_a_long_command(void **state)
{
	(void)state;
	struct env *e = env_new();
	char *arg = malloc(3000);
	assert_non_null(arg);
	memset(arg, 'x', 2999);
	arg[2999] = '\0';
	char *argv[] = { arg, NULL };
	struct handler h = { .action = ACTION_EXEC, .exec = { .argv = argv, .timeout_usec = USEC_PER_SEC } };
	const char *t = would(e, &h);
	assert_int_equal(strlen(t), strlen("run ") + 1023 + strlen(" (timeout 1s)"));
	assert_true(strncmp(t, "run xxx", 7) == 0);
	assert_string_equal(t + strlen(t) - strlen(" (timeout 1s)"), " (timeout 1s)");
	free(arg);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_has_a_row),
		cmocka_unit_test(test_name_is_the_metrics_label),
		cmocka_unit_test(test_dry_run_text),
		cmocka_unit_test(test_dry_run_cuts_a_long_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
