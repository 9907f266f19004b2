/* action_run_memory_high: the memory_high row's dry run on a hand-built event (a percent of the
 * limit with and without a sample, bytes), and its start through dispatch on a scratch directory
 * standing for the cgroup: nothing written in a dry run or on cgroup v1, memory.high that is not
 * a value, no sample for a percent, no memory.high at all. */
#include "unit.h"

#include "action_run_env.h"
#include "dispatch_env.h"

static void test_dry_run_text(void **state)
{
	(void)state;
	struct dry_env *e = dry_env_new();
	struct handler h;
	h = (struct handler){ .action = ACTION_MEMORY_HIGH, .memory_high = { .percent = 80 } };
	assert_string_equal(would(e, &h),
	                    "set memory.high of /sys/fs/cgroup/app to 80Mi (80% of the limit 100Mi)");
	e->ctx.sample = NULL;
	assert_string_equal(would(e, &h), "set memory.high of /sys/fs/cgroup/app to 80% of the limit");
	h.memory_high = (struct memory_high_cfg){ .bytes = 200 * 1024 * 1024 };
	assert_string_equal(would(e, &h), "set memory.high of /sys/fs/cgroup/app to 200Mi");
	free(e);
}

static void test_dry_run_and_v1(void **state)
{
	struct env *e = *state;
	char buf[64];
	e->d.dry_run = true;
	capture_start();
	dispatch_action(&e->d, &h80, &e->de);
	dispatch_memory_high_normal(&e->d);
	char *log = capture_end();
	assert_int_equal(dispatch_pending(&e->d), 0);
	assert_string_equal(high(e, buf, sizeof(buf)), "max\n");
	assert_non_null(strstr(log, "handlers[0]: would set memory.high of "));
	assert_non_null(strstr(log, " to 80Mi (80% of the limit 100Mi)"));
	free(log);

	e->d.dry_run = false;
	e->t.cg.version = CG_V1;
	capture_start();
	dispatch_action(&e->d, &h80, &e->de);
	assert_true(run_until_idle(e));
	log = capture_end();
	assert_int_equal(e->d.failures, 1);
	assert_false(e->d.high.saved);
	assert_non_null(strstr(log, "handlers[0]: memory_high failed: Operation not supported"));
	free(log);
	assert_string_equal(high(e, buf, sizeof(buf)), "max\n");
}

/* memory.high that is not a value: refused, nothing written, nothing saved. */
static void test_garbage(void **state)
{
	struct env *e = *state;
	char buf[64];
	put(e, "lots\n");
	assert_int_equal(memory_high_read(e->t.cg.dirfd, buf, sizeof(buf)), -EBADMSG);
	capture_start();
	dispatch_action(&e->d, &h50, &e->de);
	assert_true(run_until_idle(e));
	free(capture_end());
	assert_int_equal(e->d.failures, 1);
	assert_false(e->d.high.saved);
	assert_string_equal(high(e, buf, sizeof(buf)), "lots\n");
}

/* A percent of the limit with no sample: no limit to take it of; nothing written or saved. */
static void test_percent_without_a_sample(void **state)
{
	struct env *e = *state;
	char buf[64];
	e->ctx.sample = NULL;
	capture_start();
	dispatch_action(&e->d, &h80, &e->de);
	assert_true(run_until_idle(e));
	char *log = capture_end();
	assert_int_equal(e->d.failures, 1);
	assert_false(e->d.high.saved);
	assert_non_null(strstr(log, "handlers[0]: memory_high failed: "));
	free(log);
	assert_string_equal(high(e, buf, sizeof(buf)), "max\n");
}

/* No memory.high (the cgroup's controller is off, or it is gone): a failure, nothing saved. */
static void test_no_memory_high(void **state)
{
	struct env *e = *state;
	char path[128];
	snprintf(path, sizeof(path), "%s/memory.high", e->dir);
	assert_int_equal(unlink(path), 0);
	capture_start();
	dispatch_action(&e->d, &h50, &e->de);
	assert_true(run_until_idle(e));
	char *log = capture_end();
	assert_int_equal(e->d.failures, 1);
	assert_false(e->d.high.saved);
	assert_non_null(strstr(log, "handlers[1]: memory_high failed: "));
	free(log);
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dry_run_text),
		cmocka_unit_test_setup_teardown(test_dry_run_and_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_percent_without_a_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_memory_high, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
