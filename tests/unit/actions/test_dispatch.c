/* dispatch: the ordered stream of exec, signal and reclaim on hand-built handlers, a real loop and
 * real children: queue order, detach, the bound and its drops, a timeout moving the stream on, a
 * reclaim written off the loop, and the dry run. */
#include "unit.h"

#include "capture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actions/dispatch.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/spawn.h"
#include "base/util.h"

/* Who sends, as cmd/ would gather it. */
static const struct payload_origin origin = { .instance = "0123456789abcdef", .hostname = "node-7" };

/* argv arrays are written as string literals (-Wwrite-strings makes them const). */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#define DEADLINE_USEC (UINT64_C(10) * USEC_PER_SEC)

struct env {
	struct loop *l;
	struct spawner *s;
	struct dispatch d;
	struct target t;
	char dir[64];
	char out[128]; /* the file the commands append to */
	struct event ev;
	struct event_ctx ctx;
	struct dispatch_event de;
	char *argv[8][4]; /* handler commands */
	char script[8][256];
	struct handler h[8];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	if (!e || loop_new(&e->l) < 0 || spawner_new(e->l, &e->s) < 0)
		return -1;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	e->d = (struct dispatch){ .loop = e->l, .spawner = e->s };
	snprintf(e->dir, sizeof(e->dir), "/tmp/memhook-dispatch-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	snprintf(e->out, sizeof(e->out), "%s/out", e->dir);
	e->t.present = true;
	e->t.cg.version = CG_V2;
	e->t.cg.path = e->dir;
	e->t.cg.dirfd = open(e->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e->t.cg.usage_fd = e->t.cg.limit_fd = e->t.cg.events_fd = e->t.cg.pressure_fd = e->t.cg.stat_fd = -1;
	e->t.pidfd = -1;
	e->ev = (struct event){ .kind = EVENT_ENTERED, .level = 1, .previous_level = 0 };
	e->ctx = (struct event_ctx){ .origin = &origin,
		                     .ev = &e->ev,
		                     .level_name = "one",
		                     .previous_level_name = "normal",
		                     .seq = 1 };
	e->de = (struct dispatch_event){ .ctx = &e->ctx, .target = &e->t };
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	spawner_free(e->s);
	dispatch_free(&e->d);
	loop_free(e->l);
	close(e->t.cg.dirfd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

/* Handler i: an exec that sleeps, then appends word to the out file. */
static struct handler *exec_handler(struct env *e, int i, const char *sleep_s, const char *word,
                                    uint64_t timeout_usec, bool detach)
{
	snprintf(e->script[i], sizeof(e->script[i]), "sleep %s; echo %s >> %s", sleep_s, word, e->out);
	e->argv[i][0] = "/bin/sh";
	e->argv[i][1] = "-c";
	e->argv[i][2] = e->script[i];
	e->argv[i][3] = NULL;
	static char paths[8][16];
	snprintf(paths[i], sizeof(paths[i]), "handlers[%d]", i);
	e->h[i] = (struct handler){ .path = paths[i], .action = ACTION_EXEC, .level = -1 };
	e->h[i].exec =
	        (struct exec_cfg){ .argv = e->argv[i], .timeout_usec = timeout_usec, .detach = detach };
	return &e->h[i];
}

/* The out file's content ("" when absent), into buf. */
static const char *out_text(struct env *e, char *buf, size_t size)
{
	buf[0] = '\0';
	int fd = open(e->out, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	ssize_t n = pread_all(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Runs the loop until pred(e) or the deadline. Returns whether pred came true. */
static bool run_until(struct env *e, bool (*pred)(struct env *))
{
	uint64_t end = now_mono_usec() + DEADLINE_USEC;
	while (!pred(e)) {
		uint64_t now = now_mono_usec();
		if (now >= end)
			return false;
		assert_true(loop_iterate(e->l, end - now < 50000 ? end - now : 50000) >= 0);
	}
	return true;
}

static bool idle(struct env *e)
{
	return dispatch_pending(&e->d) == 0;
}

static void test_execs_run_one_at_a_time_in_order(void **state)
{
	struct env *e = *state;
	char buf[256];
	/* the first sleeps longest: started together they would finish c, b, a */
	dispatch_action(&e->d, exec_handler(e, 0, "0.3", "a", USEC_PER_SEC * 5, false), &e->de);
	dispatch_action(&e->d, exec_handler(e, 1, "0.15", "b", USEC_PER_SEC * 5, false), &e->de);
	dispatch_action(&e->d, exec_handler(e, 2, "0", "c", USEC_PER_SEC * 5, false), &e->de);
	assert_non_null(e->d.head);
	assert_int_equal(e->d.queued, 2);
	assert_int_equal(spawn_running(e->s), 1);
	assert_true(run_until(e, idle));
	assert_string_equal(out_text(e, buf, sizeof(buf)), "a\nb\nc\n");
	assert_int_equal(e->d.failures, 0);
}

static void test_detached_exec_holds_nothing_back(void **state)
{
	struct env *e = *state;
	char buf[256];
	dispatch_action(&e->d, exec_handler(e, 0, "0.5", "slow", USEC_PER_SEC * 5, true), &e->de);
	assert_null(e->d.head); /* beside the stream */
	dispatch_action(&e->d, exec_handler(e, 1, "0", "fast", USEC_PER_SEC * 5, false), &e->de);
	assert_int_equal(spawn_running(e->s), 2); /* both at once */
	assert_int_equal(dispatch_pending(&e->d), 2);
	assert_true(run_until(e, idle));
	assert_string_equal(out_text(e, buf, sizeof(buf)), "fast\nslow\n");
}

static void test_full_queue_drops_the_oldest_waiting(void **state)
{
	struct env *e = *state;
	char buf[256];
	e->d.queue_cap = 2;
	capture_start();
	dispatch_action(&e->d, exec_handler(e, 0, "0.3", "head", USEC_PER_SEC * 5, false), &e->de);
	dispatch_action(&e->d, exec_handler(e, 1, "0", "x1", USEC_PER_SEC * 5, false), &e->de);
	dispatch_action(&e->d, exec_handler(e, 2, "0", "x2", USEC_PER_SEC * 5, false), &e->de);
	dispatch_action(&e->d, exec_handler(e, 3, "0", "x3", USEC_PER_SEC * 5, false), &e->de);
	assert_int_equal(e->d.queued, 2);
	assert_int_equal(e->d.dropped, 1);
	assert_int_equal(e->d.failures, 1);
	assert_true(run_until(e, idle));
	char *log = capture_end();
	assert_string_equal(out_text(e, buf, sizeof(buf)), "head\nx2\nx3\n");
	assert_non_null(strstr(log, "handlers[1]: exec dropped: 2 ordered actions were waiting (dropped: 1"));
	free(log);
}

static bool has_next(struct env *e)
{
	char buf[256];
	return strstr(out_text(e, buf, sizeof(buf)), "next") != NULL;
}

static void test_timeout_moves_the_stream_on(void **state)
{
	struct env *e = *state;
	capture_start();
	uint64_t t0 = now_mono_usec();
	dispatch_action(&e->d, exec_handler(e, 0, "10", "never", 200 * USEC_PER_MSEC, false), &e->de);
	dispatch_action(&e->d, exec_handler(e, 1, "0", "next", USEC_PER_SEC * 5, false), &e->de);
	assert_true(run_until(e, has_next));
	uint64_t took = now_mono_usec() - t0;
	assert_true(run_until(e, idle));
	char *log = capture_end();
	assert_true(took >= 200 * USEC_PER_MSEC);
	assert_true(took < 2 * USEC_PER_SEC);
	assert_non_null(strstr(log, "handlers[0]: exec killed at its timeout"));
	free(log);
}

static bool reclaim_reported(struct env *e)
{
	return e->d.reclaims_running == 0;
}

/* memory.reclaim as a FIFO whose buffer is full: the write blocks (in the worker) until the test
 * drains it, like a kernel that takes its time. */
static void test_reclaim_runs_off_the_loop_and_its_hold_is_bounded(void **state)
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

	e->d.reclaim_hold_usec = 300 * USEC_PER_MSEC;
	static char path0[] = "handlers[0]";
	struct handler rh = {
		.path = path0, .action = ACTION_RECLAIM, .level = -1, .reclaim = { .bytes = 4096 }
	};
	capture_start();
	uint64_t t0 = now_mono_usec();
	dispatch_action(&e->d, &rh, &e->de);
	assert_int_equal(e->d.reclaims_running, 1);
	assert_non_null(e->d.head);
	dispatch_action(&e->d, exec_handler(e, 1, "0", "next", USEC_PER_SEC * 5, false), &e->de);
	assert_int_equal(spawn_running(e->s), 0); /* waits for the reclaim */
	/* the loop turns while the write is blocked; the stream moves on at the hold */
	assert_true(run_until(e, has_next));
	uint64_t took = now_mono_usec() - t0;
	assert_true(took >= 300 * USEC_PER_MSEC);
	assert_int_equal(e->d.reclaims_running, 1); /* still in the "kernel" */

	/* the "kernel" is done: the result is reported from the loop */
	while (read(rd, junk, sizeof(junk)) > 0)
		;
	assert_true(run_until(e, reclaim_reported));
	assert_true(run_until(e, idle));
	char *log = capture_end();
	assert_non_null(strstr(log, "handlers[0]: reclaim still running after"));
	assert_non_null(strstr(log, "handlers[0]: reclaimed 4Ki"));
	free(log);
	close(rd);
	close(wr);
}

static void test_reclaim_then_exec_in_order(void **state)
{
	struct env *e = *state;
	char buf[64];
	char path[128];
	snprintf(path, sizeof(path), "%s/memory.reclaim", e->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	static char path0[] = "handlers[0]";
	struct handler rh = {
		.path = path0, .action = ACTION_RECLAIM, .level = -1, .reclaim = { .bytes = 8192 }
	};
	dispatch_action(&e->d, &rh, &e->de);
	dispatch_action(&e->d, exec_handler(e, 1, "0", "next", USEC_PER_SEC * 5, false), &e->de);
	assert_true(run_until(e, idle));
	assert_true(has_next(e));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = pread_all(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "8192");
	assert_int_equal(e->d.failures, 0);
}

static void test_dry_run_does_nothing(void **state)
{
	struct env *e = *state;
	char buf[256];
	e->d.dry_run = true;
	static char path0[] = "handlers[0]";
	struct handler rh = {
		.path = path0, .action = ACTION_RECLAIM, .level = -1, .reclaim = { .bytes = 8192 }
	};
	capture_start();
	dispatch_action(&e->d, exec_handler(e, 1, "0", "ran", USEC_PER_SEC, false), &e->de);
	dispatch_action(&e->d, &rh, &e->de);
	char *log = capture_end();
	assert_int_equal(dispatch_pending(&e->d), 0);
	assert_int_equal(spawn_running(e->s), 0);
	assert_int_equal(e->d.reclaims_running, 0);
	assert_string_equal(out_text(e, buf, sizeof(buf)), "");
	assert_non_null(strstr(log, "handlers[1]: would run /bin/sh -c sleep 0; echo ran"));
	assert_non_null(strstr(log, "handlers[0]: would reclaim 8Ki from "));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_execs_run_one_at_a_time_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detached_exec_holds_nothing_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_drops_the_oldest_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_moves_the_stream_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_runs_off_the_loop_and_its_hold_is_bounded, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_then_exec_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_does_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
