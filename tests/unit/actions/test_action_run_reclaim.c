/* action_run_reclaim: the reclaim row's dry run on a hand-built event (bytes, a percent of the
 * usage), and its run through dispatch on a scratch directory: the amount written to
 * memory.reclaim and reported from the loop, and no target as a failed action. */
#include "unit.h"

#include "action_run_env.h"
#include "dispatch_env.h"

static void test_dry_run_text(void **state)
{
	(void)state;
	struct dry_env *e = dry_env_new();
	struct handler h;
	h = (struct handler){ .action = ACTION_RECLAIM, .reclaim = { .bytes = 8192 } };
	assert_string_equal(would(e, &h), "reclaim 8Ki from /sys/fs/cgroup/app");
	h.reclaim = (struct reclaim_cfg){ .percent = 25 };
	assert_string_equal(would(e, &h), "reclaim 16Mi from /sys/fs/cgroup/app");
	free(e);
}

/* 10% of the event's usage (90 MiB), in whole pages, written and reported. */
static void test_reclaimed_is_reported(void **state)
{
	struct env *e = *state;
	char path[128], buf[64];
	snprintf(path, sizeof(path), "%s/memory.reclaim", e->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	struct handler h = {
		.path = "handlers[0]", .action = ACTION_RECLAIM, .level = -1, .reclaim = { .percent = 10 }
	};
	capture_start();
	dispatch_action(&e->d, &h, &e->de);
	assert_true(run_until_idle(e));
	char *log = capture_end();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = pread_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "9437184");
	assert_int_equal(e->d.failures, 0);
	assert_non_null(strstr(log, "handlers[0]: reclaimed 9Mi; usage "));
	free(log);
}

static void test_no_target_is_a_failure(void **state)
{
	struct env *e = *state;
	struct handler h = {
		.path = "handlers[0]", .action = ACTION_RECLAIM, .level = -1, .reclaim = { .bytes = 4096 }
	};
	e->t.present = false;
	capture_start();
	dispatch_action(&e->d, &h, &e->de);
	assert_true(run_until_idle(e));
	char *log = capture_end();
	assert_int_equal(e->d.failures, 1);
	assert_int_equal(e->d.reclaims_running, 0);
	assert_non_null(strstr(log, "handlers[0]: reclaim failed: "));
	free(log);
	e->t.present = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dry_run_text),
		cmocka_unit_test_setup_teardown(test_reclaimed_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_target_is_a_failure, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
