/* spawn: real children on the loop; what they printed is what got logged. */
#include "unit.h"

#include "capture.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "spawn.h"
#include "util.h"

/* argv arrays are written as string literals (-Wwrite-strings makes them const). */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#define DEADLINE_USEC (UINT64_C(5) * USEC_PER_SEC)

struct done_rec {
	int calls;
	struct spawn_result r;
};

static void on_done(const struct spawn_result *r, void *userdata)
{
	struct done_rec *d = userdata;
	d->calls++;
	d->r = *r;
}

/* Runs the loop until *calls becomes nonzero or the deadline passes. Returns true on success. */
static bool run_until_done(struct loop *l, const int *calls)
{
	uint64_t end = now_mono_usec() + DEADLINE_USEC;
	while (*calls == 0) {
		uint64_t now = now_mono_usec();
		if (now >= end)
			return false;
		assert_true(loop_iterate(l, end - now) >= 0);
	}
	return true;
}

struct env {
	struct loop *l;
	struct spawner *s;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	if (!e || loop_new(&e->l) < 0 || spawner_new(e->l, &e->s) < 0)
		return -1;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	spawner_free(e->s);
	loop_free(e->l);
	free(e);
	return 0;
}

static void test_output_and_exit_code(void **state)
{
	struct env *e = *state;
	struct done_rec d = { 0 };
	char *const argv[] = { "/bin/sh", "-c", "echo hello; echo oops >&2; printf 'no newline'; exit 3",
		               NULL };

	capture_start();
	assert_int_equal(spawn_start(e->s, argv, NULL, 5 * USEC_PER_SEC, "probe", on_done, &d), 0);
	assert_int_equal(d.calls, 0); /* never from within spawn_start */
	assert_int_equal(spawn_running(e->s), 1);
	bool ok = run_until_done(e->l, &d.calls);
	_cleanup_free_ char *log = capture_end();

	assert_true(ok);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.r.exit_code, 3);
	assert_int_equal(d.r.term_signal, 0);
	assert_false(d.r.timed_out);
	assert_true(d.r.pid > 0);
	assert_int_equal(spawn_running(e->s), 0);
	assert_non_null(strstr(log, "info: probe: hello\n"));
	assert_non_null(strstr(log, "info: probe: oops\n"));
	assert_non_null(strstr(log, "info: probe: no newline\n"));
	/* nothing more arrives later */
	assert_true(loop_iterate(e->l, 50 * USEC_PER_MSEC) >= 0);
	assert_int_equal(d.calls, 1);
}

static void test_timeout_kills_group(void **state)
{
	struct env *e = *state;
	struct done_rec d = { 0 };
	/* The shell prints its background child's pid; both must die at the timeout. */
	char *const argv[] = { "/bin/sh", "-c", "/bin/sleep 30 & echo bg=$!; wait", NULL };

	/* Become the subreaper so that the orphaned grandchild is ours to reap and inspect. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	capture_start();
	uint64_t start = now_mono_usec();
	assert_int_equal(spawn_start(e->s, argv, NULL, 200 * USEC_PER_MSEC, "slow", on_done, &d), 0);
	bool ok = run_until_done(e->l, &d.calls);
	uint64_t took = now_mono_usec() - start;
	_cleanup_free_ char *log = capture_end();

	assert_true(ok);
	assert_true(d.r.timed_out);
	assert_int_equal(d.r.exit_code, -1);
	assert_int_equal(d.r.term_signal, SIGKILL);
	assert_true(took >= 200 * USEC_PER_MSEC);
	assert_true(took < 3 * USEC_PER_SEC);

	const char *bg = strstr(log, "slow: bg=");
	assert_non_null(bg);
	pid_t bg_pid = (pid_t)strtol(bg + strlen("slow: bg="), NULL, 10);
	assert_true(bg_pid > 0);
	int status;
	assert_int_equal(waitpid(bg_pid, &status, 0), bg_pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

static void test_not_executable(void **state)
{
	struct env *e = *state;
	struct done_rec d = { 0 };
	char *const missing[] = { "/nonexistent/memhook-probe", NULL };
	assert_int_equal(spawn_start(e->s, missing, NULL, 0, "x", on_done, &d), -ENOENT);

	char path[64];
	snprintf(path, sizeof(path), "/tmp/memhook-noexec-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	(void)!write(fd, "#!/bin/sh\necho hi\n", 18);
	close(fd);
	chmod(path, 0644);
	char *const noexec[] = { path, NULL };
	assert_int_equal(spawn_start(e->s, noexec, NULL, 0, "x", on_done, &d), -EACCES);
	unlink(path);

	char *const empty[] = { NULL };
	assert_int_equal(spawn_start(e->s, empty, NULL, 0, "x", on_done, &d), -EINVAL);
	assert_int_equal(spawn_running(e->s), 0);
	assert_int_equal(d.calls, 0);
}

static void test_environment(void **state)
{
	struct env *e = *state;
	struct done_rec d = { 0 };
	setenv("MEMHOOK_TEST_OUTER", "outer", 1);
	setenv("MEMHOOK_TEST_KEEP", "kept", 1);
	char *const extra[] = { "MEMHOOK_TEST_OUTER=inner", "MEMHOOK_TEST_NEW=new", NULL };
	char *const argv[] = { "/usr/bin/env", NULL };

	capture_start();
	assert_int_equal(spawn_start(e->s, argv, extra, 5 * USEC_PER_SEC, "env", on_done, &d), 0);
	bool ok = run_until_done(e->l, &d.calls);
	_cleanup_free_ char *log = capture_end();

	assert_true(ok);
	assert_int_equal(d.r.exit_code, 0);
	assert_non_null(strstr(log, "env: MEMHOOK_TEST_OUTER=inner\n"));
	assert_null(strstr(log, "MEMHOOK_TEST_OUTER=outer"));
	assert_non_null(strstr(log, "env: MEMHOOK_TEST_NEW=new\n"));
	assert_non_null(strstr(log, "env: MEMHOOK_TEST_KEEP=kept\n"));
	/* overriding in the child does not touch ours */
	assert_string_equal(getenv("MEMHOOK_TEST_OUTER"), "outer");
	unsetenv("MEMHOOK_TEST_OUTER");
	unsetenv("MEMHOOK_TEST_KEEP");
}

static void test_signals_reset_and_stdin(void **state)
{
	struct env *e = *state;
	struct done_rec d = { 0 };
	/* What the daemon does for its signalfd, plus an ignored signal. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	signal(SIGUSR2, SIG_IGN);
	char *const argv[] = { "/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status", NULL };

	capture_start();
	assert_int_equal(spawn_start(e->s, argv, NULL, 5 * USEC_PER_SEC, "sig", on_done, &d), 0);
	bool ok = run_until_done(e->l, &d.calls);
	_cleanup_free_ char *log = capture_end();
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR2, SIG_DFL);

	assert_true(ok);
	assert_int_equal(d.r.exit_code, 0);
	assert_non_null(strstr(log, "sig: SigBlk:\t0000000000000000\n"));
	assert_non_null(strstr(log, "sig: SigIgn:\t0000000000000000\n"));

	/* stdin is /dev/null: cat ends at once, printing nothing; it runs in its own process group */
	struct done_rec d2 = { 0 };
	char *const cat[] = { "/bin/cat", NULL };
	capture_start();
	assert_int_equal(spawn_start(e->s, cat, NULL, 5 * USEC_PER_SEC, "cat", on_done, &d2), 0);
	ok = run_until_done(e->l, &d2.calls);
	_cleanup_free_ char *log2 = capture_end();
	assert_true(ok);
	assert_int_equal(d2.r.exit_code, 0);
	assert_false(d2.r.timed_out);
	assert_null(strstr(log2, "cat:"));

	struct done_rec d3 = { 0 };
	char *const pg[] = { "/bin/sh", "-c",
		             "read a b c d pgrp rest < /proc/self/stat; echo \"pid=$$ pgrp=$pgrp\"", NULL };
	capture_start();
	assert_int_equal(spawn_start(e->s, pg, NULL, 5 * USEC_PER_SEC, "pg", on_done, &d3), 0);
	ok = run_until_done(e->l, &d3.calls);
	_cleanup_free_ char *log3 = capture_end();
	assert_true(ok);
	char want[64];
	snprintf(want, sizeof(want), "pg: pid=%d pgrp=%d\n", (int)d3.r.pid, (int)d3.r.pid);
	assert_non_null(strstr(log3, want));
}

static void test_long_lines_split(void **state)
{
	struct env *e = *state;
	struct done_rec d = { 0 };
	/* 5000 '0' then a newline: split so that "long: <chunk>" fits the logger's 4 KiB */
	char *const argv[] = { "/bin/sh", "-c", "printf '%05000d\\n' 0", NULL };
	capture_start();
	assert_int_equal(spawn_start(e->s, argv, NULL, 5 * USEC_PER_SEC, "long", on_done, &d), 0);
	bool ok = run_until_done(e->l, &d.calls);
	_cleanup_free_ char *log = capture_end();
	assert_true(ok);

	size_t lens[4], n = 0;
	for (const char *p = log; (p = strstr(p, "long: ")) && n < ARRAY_SIZE(lens);) {
		p += strlen("long: ");
		lens[n++] = strspn(p, "0");
		assert_int_equal(p[lens[n - 1]], '\n');
	}
	assert_int_equal(n, 2);
	assert_int_equal(lens[0], 4095 - strlen("long: "));
	assert_int_equal(lens[0] + lens[1], 5000);
}

static void test_exec_failure_and_signal_exit(void **state)
{
	struct env *e = *state;
	struct done_rec d = { 0 };
	/* killed by a signal it sends itself: exit_code -1, term_signal set, not a timeout */
	char *const argv[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };
	assert_int_equal(spawn_start(e->s, argv, NULL, 5 * USEC_PER_SEC, "self", on_done, &d), 0);
	assert_true(run_until_done(e->l, &d.calls));
	assert_int_equal(d.r.exit_code, -1);
	assert_int_equal(d.r.term_signal, SIGTERM);
	assert_false(d.r.timed_out);

	/* a directory passes access(X_OK) but cannot be executed: exit code 127 */
	struct done_rec d2 = { 0 };
	char *const dir[] = { "/tmp", NULL };
	capture_start();
	assert_int_equal(spawn_start(e->s, dir, NULL, 5 * USEC_PER_SEC, "dir", on_done, &d2), 0);
	bool ok = run_until_done(e->l, &d2.calls);
	_cleanup_free_ char *log = capture_end();
	assert_true(ok);
	assert_int_equal(d2.r.exit_code, 127);
	assert_non_null(strstr(log, "dir: exec failed\n"));
}

static void test_free_kills_running(void **state)
{
	(void)state;
	struct loop *l;
	struct spawner *s;
	struct done_rec d = { 0 };
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(spawner_new(l, &s), 0);
	char *const argv[] = { "/bin/sleep", "30", NULL };
	assert_int_equal(spawn_start(s, argv, NULL, 0, "sleeper", on_done, &d), 0);
	assert_int_equal(spawn_start(s, argv, NULL, 0, "sleeper", on_done, &d), 0);
	assert_int_equal(spawn_running(s), 2);
	uint64_t start = now_mono_usec();
	spawner_free(s);
	assert_true(now_mono_usec() - start < 2 * USEC_PER_SEC);
	/* reaped: no child of ours is left */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(d.calls, 0); /* without callbacks */
	loop_free(l);
	spawner_free(NULL);
	assert_int_equal(spawn_running(NULL), 0);
}

static void test_many_at_once(void **state)
{
	struct env *e = *state;
	struct done_rec d[8] = { { 0 } };
	for (int i = 0; i < 8; i++) {
		char code[32];
		snprintf(code, sizeof(code), "exit %d", i);
		char *const argv[] = { "/bin/sh", "-c", code, NULL };
		assert_int_equal(spawn_start(e->s, argv, NULL, 5 * USEC_PER_SEC, "many", on_done, &d[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		assert_true(run_until_done(e->l, &d[i].calls));
		assert_int_equal(d[i].r.exit_code, i);
	}
	assert_int_equal(spawn_running(e->s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_output_and_exit_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_kills_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_executable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signals_reset_and_stdin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_failure_and_signal_exit, setup, teardown),
		cmocka_unit_test(test_free_kills_running),
		cmocka_unit_test_setup_teardown(test_many_at_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
