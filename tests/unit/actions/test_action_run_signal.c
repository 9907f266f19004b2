/* action_run_signal: the signal row's dry run on a hand-built event (the main process, every
 * process, the lowest pid, no target), and its start through dispatch with no target: a failed
 * action, counted and logged with the signal's name. */
#include "unit.h"

#include <signal.h>

#include "action_run_env.h"
#include "dispatch_env.h"

static void test_dry_run_text(void **state)
{
	(void)state;
	struct dry_env *e = dry_env_new();
	struct handler h;
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
	free(e);
}

static void test_no_target_is_a_failure(void **state)
{
	struct env *e = *state;
	struct handler h = {
		.path = "handlers[0]", .action = ACTION_SIGNAL, .level = -1, .signal = { .signo = SIGUSR1 }
	};
	e->t.present = false;
	capture_start();
	dispatch_action(&e->d, &h, &e->de);
	assert_true(run_until_idle(e));
	char *log = capture_end();
	assert_int_equal(e->d.failures, 1);
	assert_non_null(strstr(log, "handlers[0]: signal SIGUSR1 failed: "));
	assert_non_null(strstr(log, "(failed actions: 1)"));
	free(log);
	e->t.present = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dry_run_text),
		cmocka_unit_test_setup_teardown(test_no_target_is_a_failure, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
