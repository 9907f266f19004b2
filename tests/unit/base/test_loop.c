/* The event loop: timers in deadline order, cancellation, fd dispatch, removal inside a callback. */
#include <signal.h>
#include "unit.h"

#include <sys/epoll.h>

#include "base/loop.h"
#include "base/util.h"

static int order[8];
static int n_order;

static void record(struct loop *l, void *ud)
{
	(void)l;
	order[n_order++] = (int)(intptr_t)ud;
}

static void test_timers_fire_in_deadline_order(void **state)
{
	(void)state;
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	uint64_t now = now_mono_usec();
	n_order = 0;
	loop_add_timer(l, now + 30000, record, (void *)3);
	loop_add_timer(l, now + 10000, record, (void *)1);
	uint64_t cancelled = loop_add_timer(l, now + 15000, record, (void *)9);
	loop_add_timer(l, now + 20000, record, (void *)2);
	loop_cancel_timer(l, cancelled);
	loop_cancel_timer(l, 12345); /* unknown: ignored */
	uint64_t deadline = now + 2 * USEC_PER_SEC;
	while (n_order < 3 && now_mono_usec() < deadline)
		assert_true(loop_iterate(l, 100000) >= 0);
	assert_int_equal(n_order, 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 3);
	/* never early: the last timer fired at or after its deadline */
	assert_true(now_mono_usec() >= now + 30000);
	loop_free(l);
}

static int fd_calls;

static void on_readable(struct loop *l, int fd, uint32_t ev, void *ud)
{
	(void)ud;
	assert_true(ev & EPOLLIN);
	fd_calls++;
	assert_int_equal(loop_del_fd(l, fd), 0); /* removal from inside the callback */
}

static void test_fd_dispatch_and_removal(void **state)
{
	(void)state;
	struct loop *l;
	int p[2];
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(pipe(p), 0);
	fd_calls = 0;
	assert_int_equal(loop_add_fd(l, p[0], EPOLLIN, on_readable, NULL), 0);
	assert_int_equal(loop_add_fd(l, p[0], EPOLLIN, on_readable, NULL), -EEXIST);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_iterate(l, USEC_PER_SEC), 1);
	assert_int_equal(fd_calls, 1);
	/* removed: still readable, but no more callbacks */
	assert_int_equal(loop_iterate(l, 10000), 0);
	assert_int_equal(fd_calls, 1);
	assert_int_equal(loop_del_fd(l, p[0]), -ENOENT);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

static void quit_cb(struct loop *l, void *ud)
{
	(void)ud;
	loop_quit(l);
}

static void test_run_until_quit(void **state)
{
	(void)state;
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	loop_add_timer(l, now_mono_usec() + 5000, quit_cb, NULL);
	assert_int_equal(loop_run(l), 0);
	assert_true(loop_quitting(l));
	loop_free(l);
}

/* The first stop signal quits the loop, the next cuts the grace period short; more change nothing. */
static void test_stop_signal(void **state)
{
	(void)state;
	struct loop *l;
	bool stop_now = false;
	assert_int_equal(loop_new(&l), 0);
	loop_stop_signal(l, SIGTERM, &stop_now);
	assert_true(loop_quitting(l));
	assert_false(stop_now);
	loop_stop_signal(l, SIGINT, &stop_now);
	assert_true(stop_now);
	loop_stop_signal(l, SIGTERM, &stop_now);
	assert_true(loop_quitting(l) && stop_now);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_deadline_order),
		cmocka_unit_test(test_fd_dispatch_and_removal),
		cmocka_unit_test(test_run_until_quit),
		cmocka_unit_test(test_stop_signal),
	};
	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
