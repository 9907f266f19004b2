/* memory_high: the amount (percent of the effective limit, whole pages), the remember/restore state
 * machine, and the whole path through dispatch on a scratch directory standing for the cgroup:
 * set, set again (the first value kept), restored on normal, left alone when someone else changed
 * it, restored at stop, and nothing written in a dry run. */
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
#include "decide/memory_high.h"
#include "actions/signal_reclaim.h"
#include "base/spawn.h"
#include "base/util.h"

/* Who sends, as cmd/ would gather it. */
static const struct payload_origin origin = { .instance = "0123456789abcdef", .hostname = "node-7" };

#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#define MIB           (UINT64_C(1) << 20)
#define DEADLINE_USEC (UINT64_C(10) * USEC_PER_SEC)

/* ---- the pure parts ---- */

static void test_amount(void **state)
{
	(void)state;
	struct memory_high_cfg pct = { .percent = 80 }, abs = { .bytes = 200 * MIB + 123 };
	assert_int_equal(memory_high_amount(&pct, 100 * MIB, 4096), 80 * MIB);
	assert_int_equal(memory_high_amount(&pct, 100 * MIB + 8192, 4096),
	                 80 * MIB + 4096);                              /* 6553.6 bytes: one page */
	assert_int_equal(memory_high_amount(&abs, 0, 4096), 200 * MIB); /* down to whole pages */
	struct memory_high_cfg tiny = { .bytes = 1 };
	assert_int_equal(memory_high_amount(&tiny, 0, 4096), 4096); /* at least one page */
	assert_int_equal(memory_high_amount(&pct, 0, 4096), 4096);
	struct memory_high_cfg all = { .percent = 100 };
	assert_int_equal(memory_high_amount(&all, UINT64_MAX, 4096), UINT64_MAX / 4096 * 4096);
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(memory_high_valid("max"));
	assert_true(memory_high_valid("0"));
	assert_true(memory_high_valid("18446744073709551615"));
	assert_false(memory_high_valid(""));
	assert_false(memory_high_valid("max "));
	assert_false(memory_high_valid("-1"));
	assert_false(memory_high_valid("123456789012345678901"));
	assert_false(memory_high_valid("12k"));
}

static void test_state_machine(void **state)
{
	(void)state;
	struct memory_high_state st = { .dirfd = -1 };
	assert_int_equal(memory_high_restore_plan(&st, "max"), MEMORY_HIGH_NOTHING);

	/* the first write keeps what was there */
	assert_true(memory_high_note_write(&st, "max", 80 * MIB));
	assert_string_equal(st.original, "max");
	/* a second one keeps the first original (memory.high now reads memhook's own value) */
	assert_false(memory_high_note_write(&st, "83886080", 50 * MIB));
	assert_string_equal(st.original, "max");
	assert_int_equal(st.set_bytes, 50 * MIB);

	assert_int_equal(memory_high_restore_plan(&st, "52428800"), MEMORY_HIGH_RESTORE);
	assert_int_equal(memory_high_restore_plan(&st, "max"), MEMORY_HIGH_ALREADY);
	assert_int_equal(memory_high_restore_plan(&st, "83886080"), MEMORY_HIGH_CHANGED);
	memory_high_forget(&st);
	assert_false(st.saved);
	assert_int_equal(memory_high_restore_plan(&st, "52428800"), MEMORY_HIGH_NOTHING);

	/* after a restore, the next write saves anew */
	assert_true(memory_high_note_write(&st, "1073741824", MIB));
	assert_string_equal(st.original, "1073741824");
}

/* ---- through dispatch, on a scratch cgroup directory ---- */

struct env {
	struct loop *l;
	struct spawner *s;
	struct dispatch d;
	struct target t;
	char dir[64];
	struct sample smp;
	struct event ev;
	struct event_ctx ctx;
	struct dispatch_event de;
	bool freed;
};

static void put(struct env *e, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/memory.high", e->dir);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static const char *high(struct env *e, char *buf, size_t size)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/memory.high", e->dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = pread_all(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	if (!e || loop_new(&e->l) < 0 || spawner_new(e->l, &e->s) < 0)
		return -1;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	e->d = (struct dispatch){ .loop = e->l, .spawner = e->s };
	snprintf(e->dir, sizeof(e->dir), "/tmp/memhook-high-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	put(e, "max\n");
	e->t.present = true;
	e->t.cg.version = CG_V2;
	e->t.cg.path = e->dir;
	e->t.cg.dirfd = open(e->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e->t.cg.usage_fd = e->t.cg.limit_fd = e->t.cg.events_fd = e->t.cg.pressure_fd = e->t.cg.stat_fd = -1;
	e->t.pidfd = -1;
	e->smp = (struct sample){ .usage_bytes = 90 * MIB, .limit_bytes = 100 * MIB };
	e->ev = (struct event){ .kind = EVENT_ENTERED, .level = 1, .previous_level = 0 };
	e->ctx = (struct event_ctx){ .origin = &origin,
		                     .ev = &e->ev,
		                     .level_name = "one",
		                     .previous_level_name = "normal",
		                     .seq = 1,
		                     .sample = &e->smp };
	e->de = (struct dispatch_event){ .ctx = &e->ctx, .target = &e->t };
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	spawner_free(e->s);
	if (!e->freed)
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

static bool idle(struct env *e)
{
	return dispatch_pending(&e->d) == 0 && e->d.reclaims_running == 0;
}

static bool run_until_idle(struct env *e)
{
	uint64_t end = now_mono_usec() + DEADLINE_USEC;
	while (!idle(e)) {
		uint64_t now = now_mono_usec();
		if (now >= end)
			return false;
		assert_true(loop_iterate(e->l, 50000) >= 0);
	}
	return true;
}

static struct handler h80 = {
	.path = "handlers[0]", .action = ACTION_MEMORY_HIGH, .level = -1, .memory_high = { .percent = 80 }
};
static struct handler h50 = {
	.path = "handlers[1]", .action = ACTION_MEMORY_HIGH, .level = -1, .memory_high = { .bytes = 50 * MIB }
};

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_amount),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test_setup_teardown(test_set_set_restore_on_normal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_normal_right_after_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_by_someone_else_is_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restored_at_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_and_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
