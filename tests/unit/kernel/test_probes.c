/* probes: a policy's custom probes run through a real spawner on a loop: every probe started at
 * once, true only for exit 0 within its timeout, false for a failure, a timeout or a command that
 * cannot start; one callback at the end (at once without probes); a second run starts afresh; and
 * a webhook's secret never reaches a probe's environment. */
#include "unit.h"

#include <stdlib.h>

#include "capture.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/spawn.h"
#include "base/util.h"
#include "kernel/probes.h"

/* argv and paths are written as string literals (-Wwrite-strings makes them const) */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

struct done {
	unsigned calls;
	bool results[8];
	size_t n;
};

static void on_done(const bool *results, void *userdata)
{
	struct done *d = userdata;
	d->calls++;
	memcpy(d->results, results, d->n * sizeof(bool));
}

/* Runs the loop until pr's run is done (at most 5 s). */
static void run_until_done(struct loop *l, struct probes *pr, const struct done *d, unsigned calls)
{
	uint64_t deadline = now_mono_usec() + 5 * USEC_PER_SEC;
	while (d->calls < calls && now_mono_usec() < deadline)
		assert_true(loop_iterate(l, 100 * 1000) >= 0);
	assert_int_equal(d->calls, calls);
	assert_false(probes_running(pr));
}

static char *argv_true[] = { "/bin/true", NULL };
static char *argv_false[] = { "/bin/false", NULL };
static char *argv_sleep[] = { "/bin/sleep", "5", NULL };
static char *argv_missing[] = { "/nonexistent/memhook-probe", NULL };

static void test_results(void **state)
{
	(void)state;
	struct probe probes[] = {
		{ argv_true, 2 * USEC_PER_SEC, "levels[0].when.custom" },
		{ argv_false, 2 * USEC_PER_SEC, "levels[1].when.custom" },
		{ argv_sleep, 50 * USEC_PER_MSEC, "levels[2].when.custom" },
		{ argv_missing, 2 * USEC_PER_SEC, "levels[3].when.custom" },
	};
	struct policy p = { .probes = probes, .n_probes = ARRAY_SIZE(probes) };
	struct loop *l;
	struct spawner *sp;
	struct probes *pr;
	struct done d = { .n = ARRAY_SIZE(probes) };
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(spawner_new(l, &sp), 0);
	assert_int_equal(probes_new(&p, sp, on_done, &d, &pr), 0);
	assert_false(probes_running(pr));

	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	capture_start();
	uint64_t start = now_mono_usec();
	probes_start(pr);
	assert_true(probes_running(pr));
	assert_int_equal(d.calls, 0); /* never from within probes_start while a probe runs */
	run_until_done(l, pr, &d, 1);
	uint64_t took = now_mono_usec() - start;
	_cleanup_free_ char *log = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);

	assert_true(d.results[0]);
	assert_false(d.results[1]);
	assert_false(d.results[2]); /* killed at its timeout, long before its 5 s */
	assert_true(took < 3 * USEC_PER_SEC);
	assert_false(d.results[3]);
	assert_non_null(strstr(log, "probe levels[3].when.custom: cannot run /nonexistent/memhook-probe"));
	assert_memory_equal(probes_results(pr), d.results, d.n * sizeof(bool));

	/* a second run starts afresh: every result false until its probe ends */
	probes[1].argv = argv_true;
	probes_start(pr);
	assert_true(probes_running(pr));
	for (size_t i = 0; i < d.n; i++)
		assert_false(probes_results(pr)[i]);
	run_until_done(l, pr, &d, 2);
	assert_true(d.results[0]);
	assert_true(d.results[1]);

	spawner_free(sp);
	probes_free(pr);
	probes_free(NULL);
	loop_free(l);
}

/* Without probes, done comes at once, from probes_start. */
static void test_no_probes(void **state)
{
	(void)state;
	struct policy p = { 0 };
	struct done d = { 0 };
	struct probes *pr;
	assert_int_equal(probes_new(&p, NULL, on_done, &d, &pr), 0);
	probes_start(pr);
	assert_int_equal(d.calls, 1);
	assert_false(probes_running(pr));
	probes_free(pr);
}

/* A variable a webhook handler names as its secret_env is never in a probe's environment, even
 * one the allow-list passes (POD_*); another variable still is. */
static void test_secrets_denied(void **state)
{
	(void)state;
	static char *argv_secret[] = { "/bin/sh", "-c", "test -z \"$POD_MEMHOOK_SECRET\"", NULL };
	static char *argv_visible[] = { "/bin/sh", "-c", "test -n \"$POD_MEMHOOK_VISIBLE\"", NULL };
	struct probe probes[] = {
		{ argv_secret, 2 * USEC_PER_SEC, "levels[0].when.custom" },
		{ argv_visible, 2 * USEC_PER_SEC, "levels[1].when.custom" },
	};
	struct handler h[] = {
		{ .path = "handlers[0]", .action = ACTION_SIGNAL },
		{ .path = "handlers[1]",
		  .action = ACTION_WEBHOOK,
		  .webhook = { .url = "http://127.0.0.1:9/", .secret_env = "POD_MEMHOOK_SECRET" } },
	};
	struct policy p = { .probes = probes, .n_probes = 2, .handlers = h, .n_handlers = 2 };
	assert_int_equal(setenv("POD_MEMHOOK_SECRET", "whsec_c2VjcmV0", 1), 0);
	assert_int_equal(setenv("POD_MEMHOOK_VISIBLE", "yes", 1), 0);
	struct loop *l;
	struct spawner *sp;
	struct probes *pr;
	struct done d = { .n = 2 };
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(spawner_new(l, &sp), 0);
	assert_int_equal(probes_new(&p, sp, on_done, &d, &pr), 0);

	/* without the policy's secrets the allow-list passes it */
	probes_start(pr);
	run_until_done(l, pr, &d, 1);
	assert_false(d.results[0]);
	assert_true(d.results[1]);

	spawner_deny_secrets_of(sp, &p);
	probes_start(pr);
	run_until_done(l, pr, &d, 2);
	assert_true(d.results[0]);
	assert_true(d.results[1]);

	spawner_free(sp);
	probes_free(pr);
	loop_free(l);
	unsetenv("POD_MEMHOOK_SECRET");
	unsetenv("POD_MEMHOOK_VISIBLE");
}

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_no_probes),
		cmocka_unit_test(test_secrets_denied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
