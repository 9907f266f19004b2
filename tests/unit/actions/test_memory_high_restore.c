/* memory_high_restore: memory.high put back through dispatch on a scratch directory standing for
 * the cgroup: set, set again (the first value kept), restored on normal, queued behind a set still
 * waiting, left alone when someone else changed it or it is back already, restored at stop (and
 * left at stop when changed). */
#include "unit.h"

#include "dispatch_env.h"

static void test_set_set_restore_on_normal(void **state)
{
	struct env *e = *state;
	char buf[64];
	capture_start();
	dispatch_action(&e->d, &h80, &e->de);
	assert_true(run_until_idle(e));
	assert_string_equal(high(e, buf, sizeof(buf)), "83886080"); /* 80% of 100Mi */
	dispatch_action(&e->d, &h50, &e->de);
	assert_true(run_until_idle(e));
	assert_string_equal(high(e, buf, sizeof(buf)), "52428800");
	assert_true(e->d.high.saved);
	assert_string_equal(e->d.high.original, "max");

	dispatch_memory_high_normal(&e->d);
	assert_true(run_until_idle(e));
	char *log = capture_end();
	assert_string_equal(high(e, buf, sizeof(buf)), "max");
	assert_false(e->d.high.saved);
	assert_int_equal(e->d.failures, 0);
	assert_non_null(strstr(log, "handlers[0]: memory.high set to 80Mi (it was max; restored on normal)"));
	assert_non_null(strstr(log, "handlers[1]: memory.high set to 50Mi (it was 80Mi;"));
	assert_non_null(strstr(log, "normal: memory.high restored to max (memhook had set 50Mi)"));
	free(log);

	/* a second normal: nothing to restore, nothing queued */
	dispatch_memory_high_normal(&e->d);
	assert_int_equal(dispatch_pending(&e->d), 0);
}

/* The restore is queued behind a memory_high still waiting in the stream. */
static void test_normal_right_after_set(void **state)
{
	struct env *e = *state;
	char buf[64];
	put(e, "209715200\n");
	dispatch_action(&e->d, &h50, &e->de);
	dispatch_memory_high_normal(&e->d);
	assert_true(run_until_idle(e));
	assert_string_equal(high(e, buf, sizeof(buf)), "209715200");
	assert_false(e->d.high.saved);
}

static void test_changed_by_someone_else_is_left(void **state)
{
	struct env *e = *state;
	char buf[64];
	dispatch_action(&e->d, &h50, &e->de);
	assert_true(run_until_idle(e));
	put(e, "12345678\n");
	capture_start();
	dispatch_memory_high_normal(&e->d);
	assert_true(run_until_idle(e));
	char *log = capture_end();
	assert_string_equal(high(e, buf, sizeof(buf)), "12345678\n");
	assert_non_null(strstr(log, "is 12345678, not the 52428800 memhook set: changed by someone else"));
	free(log);
	assert_false(e->d.high.saved);
}

static void test_restored_at_stop(void **state)
{
	struct env *e = *state;
	char buf[64];
	put(e, "1073741824\n");
	dispatch_action(&e->d, &h80, &e->de);
	assert_true(run_until_idle(e));
	assert_string_equal(high(e, buf, sizeof(buf)), "83886080");
	capture_start();
	dispatch_free(&e->d);
	e->freed = true;
	char *log = capture_end();
	assert_string_equal(high(e, buf, sizeof(buf)), "1073741824");
	assert_non_null(strstr(log, "stopping: memory.high of "));
	assert_non_null(strstr(log, " restored to 1073741824 (memhook had set 83886080) in "));
	free(log);
}

/* memory.high back at its old value by someone else: nothing to restore, said so. */
static void test_already_back_is_left(void **state)
{
	struct env *e = *state;
	char buf[64];
	dispatch_action(&e->d, &h50, &e->de);
	assert_true(run_until_idle(e));
	assert_string_equal(high(e, buf, sizeof(buf)), "52428800");
	put(e, "max\n");
	capture_start();
	dispatch_memory_high_normal(&e->d);
	assert_true(run_until_idle(e));
	char *log = capture_end();
	assert_non_null(strstr(log, "normal: memory.high of "));
	assert_non_null(strstr(log, " is max again; nothing to restore"));
	free(log);
	assert_false(e->d.high.saved);
	assert_int_equal(e->d.failures, 0);
}

/* At stop, a value changed by someone else is left as it is. */
static void test_changed_is_left_at_stop(void **state)
{
	struct env *e = *state;
	char buf[64];
	dispatch_action(&e->d, &h50, &e->de);
	assert_true(run_until_idle(e));
	put(e, "12345678\n");
	capture_start();
	dispatch_free(&e->d);
	e->freed = true;
	char *log = capture_end();
	assert_non_null(strstr(log, " is 12345678, not the 52428800 memhook set: left as it is"));
	free(log);
	assert_string_equal(high(e, buf, sizeof(buf)), "12345678\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_set_restore_on_normal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_normal_right_after_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_by_someone_else_is_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restored_at_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_already_back_is_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_is_left_at_stop, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
