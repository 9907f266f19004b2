/* action_run_exec: the exec row's dry run on a hand-built event (the command, its timeout,
 * detached, cut at 1 KiB), and how its child's end is reported through dispatch: exit 0, another
 * exit code, killed by a signal. */
#include "unit.h"

#include "action_run_env.h"
#include "dispatch_env.h"

static void test_dry_run_text(void **state)
{
	(void)state;
	struct dry_env *e = dry_env_new();
	static char *argv[] = { "/bin/sh", "-c", "echo hi", NULL };
	struct handler h;
	h = (struct handler){ .action = ACTION_EXEC,
		              .exec = { .argv = argv, .timeout_usec = 10 * USEC_PER_SEC } };
	assert_string_equal(would(e, &h), "run /bin/sh -c echo hi (timeout 10s)");
	h.exec.detach = true;
	assert_string_equal(would(e, &h), "run /bin/sh -c echo hi (timeout 10s, detached)");
	free(e);
}

/* A command longer than 1 KiB is cut there; the timeout still follows. */
static void test_dry_run_cuts_a_long_command(void **state)
{
	(void)state;
	struct dry_env *e = dry_env_new();
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

static void test_exit_is_reported(void **state)
{
	struct env *e = *state;
	static char *ok[] = { "/bin/sh", "-c", "exit 0", NULL };
	static char *three[] = { "/bin/sh", "-c", "exit 3", NULL };
	static char *killed[] = { "/bin/sh", "-c", "kill -9 $$", NULL };
	struct handler h[] = {
		{ .path = "handlers[0]", .action = ACTION_EXEC, .level = -1, .exec = { .argv = ok } },
		{ .path = "handlers[1]", .action = ACTION_EXEC, .level = -1, .exec = { .argv = three } },
		{ .path = "handlers[2]", .action = ACTION_EXEC, .level = -1, .exec = { .argv = killed } },
	};
	capture_start();
	for (size_t i = 0; i < ARRAY_SIZE(h); i++) {
		h[i].exec.timeout_usec = 5 * USEC_PER_SEC;
		dispatch_action(&e->d, &h[i], &e->de);
	}
	assert_true(run_until_idle(e));
	char *log = capture_end();
	assert_int_equal(e->d.failures, 2);
	assert_non_null(strstr(log, "handlers[0]: exec exited 0"));
	assert_non_null(strstr(log, "handlers[1]: exec exited 3 (failed actions: 1)"));
	assert_non_null(strstr(log, "handlers[2]: exec killed by signal 9 (failed actions: 2)"));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dry_run_text),
		cmocka_unit_test(test_dry_run_cuts_a_long_command),
		cmocka_unit_test_setup_teardown(test_exit_is_reported, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
