/* worker: the writes off the loop on a scratch directory standing for the cgroup: when a write
 * may go to a worker (a loop to report on, at most RECLAIM_RUNNING_MAX in the kernel), a
 * memory_high write reported by the bounded wait at stop, and that wait giving up at its deadline
 * while a reclaim is still blocked in the "kernel" (a FIFO), then reporting it once it ends. */
#include "unit.h"

#include "dispatch_env.h"

#include "actions/action_run.h"

static void test_ready(void **state)
{
	struct env *e = *state;
	struct loop *l = e->d.loop;
	e->d.loop = NULL; /* nothing to watch the pipe */
	assert_int_equal(worker_ready(&e->d), -EINVAL);
	assert_false(e->d.pipe_open);
	e->d.loop = l;
	assert_int_equal(worker_ready(&e->d), 0);
	assert_true(e->d.pipe_open);
	assert_int_equal(worker_ready(&e->d), 0); /* opened once */
	/* as many writes in the kernel as allowed: the next waits its turn as a failure */
	e->d.reclaims_running = RECLAIM_RUNNING_MAX;
	assert_int_equal(worker_ready(&e->d), -EBUSY);
	struct handler h = {
		.path = "handlers[0]", .action = ACTION_RECLAIM, .level = -1, .reclaim = { .bytes = 4096 }
	};
	capture_start();
	dispatch_action(&e->d, &h, &e->de);
	char *log = capture_end();
	assert_int_equal(e->d.failures, 1);
	assert_non_null(strstr(log, "handlers[0]: reclaim failed: "));
	free(log);
	e->d.reclaims_running = 0;
}

/* The stop's wait reports a memory_high write that ends within it (no loop turn needed). */
static void test_wait_reports_a_memory_high_write(void **state)
{
	struct env *e = *state;
	char buf[64];
	capture_start();
	dispatch_action(&e->d, &h50, &e->de);
	assert_int_equal(e->d.reclaims_running, 1);
	worker_wait(&e->d, now_mono_usec() + DEADLINE_USEC);
	char *log = capture_end();
	assert_int_equal(e->d.reclaims_running, 0);
	assert_string_equal(high(e, buf, sizeof(buf)), "52428800");
	assert_non_null(strstr(log, "handlers[1]: memory.high set to 50Mi (it was max; restored on normal)"));
	free(log);
}

/* memory.reclaim as a FIFO whose buffer is full: the worker's write blocks until the test drains
 * it. The wait returns at its deadline with the write still running, and reports it later. */
static void test_wait_is_bounded(void **state)
{
	struct env *e = *state;
	char path[128];
	snprintf(path, sizeof(path), "%s/memory.reclaim", e->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	int rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int wr = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(rd >= 0 && wr >= 0);
	char junk[4096] = { 0 };
	while (write(wr, junk, sizeof(junk)) > 0)
		;
	while (write(wr, junk, 1) > 0)
		;
	struct handler h = {
		.path = "handlers[0]", .action = ACTION_RECLAIM, .level = -1, .reclaim = { .bytes = 4096 }
	};
	capture_start();
	dispatch_action(&e->d, &h, &e->de);
	assert_int_equal(e->d.reclaims_running, 1);
	uint64_t t0 = now_mono_usec();
	worker_wait(&e->d, t0 + 200 * USEC_PER_MSEC);
	uint64_t took = now_mono_usec() - t0;
	assert_true(took >= 200 * USEC_PER_MSEC);
	assert_true(took < 2 * USEC_PER_SEC);
	assert_int_equal(e->d.reclaims_running, 1); /* still in the "kernel" */

	while (read(rd, junk, sizeof(junk)) > 0)
		;
	worker_wait(&e->d, now_mono_usec() + DEADLINE_USEC);
	char *log = capture_end();
	assert_int_equal(e->d.reclaims_running, 0);
	assert_non_null(strstr(log, "handlers[0]: reclaimed 4Ki"));
	free(log);
	close(rd);
	close(wr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_reports_a_memory_high_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_is_bounded, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
