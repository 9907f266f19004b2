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

#include "base/log.h"
#include "base/loop.h"
#include "base/spawn.h"
#include "base/util.h"

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

/* Whether v (NULL-terminated) is exactly the entries of want, in order. */
static void assert_strv_equal(char **v, const char *const *want, size_t n_want)
{
	size_t n = 0;
	while (v[n])
		n++;
	for (size_t i = 0; i < n && i < n_want; i++)
		assert_string_equal(v[i], want[i]);
	assert_int_equal(n, n_want);
}

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void test_build_env_allow_and_deny(void **state)
{
	(void)state;
	char *const env[] = { "PATH=/opt/bin",
		              "HOME=/home/app",
		              "LANG=C.UTF-8",
		              "LC_ALL=C",
		              "LC_TIME=C",
		              "TZ=UTC",
		              "POD_NAME=web-0",
		              "POD_TOKEN=pt",
		              "MEMHOOK_SECRET=s",
		              "SECRET=x",
		              "FOO=bar",
		              "PATHX=1",
		              "XPATH=1",
		              "HOMES=1",
		              "LC=1",
		              "TZ=second",
		              "noequals",
		              "=empty-name",
		              NULL };
	/* a secret's name wins over the allow-list (POD_TOKEN), and over LC_* */
	char *const deny[] = { "POD_TOKEN", "MEMHOOK_SECRET", "LC_ALL", NULL };
	_cleanup_free_ char **v = NULL;
	assert_int_equal(spawn_build_env(env, NULL, deny, &v), 0);
	const char *const want[] = { "PATH=/opt/bin", "HOME=/home/app", "LANG=C.UTF-8",
		                     "LC_TIME=C",     "TZ=UTC",         "POD_NAME=web-0" };
	assert_strv_equal(v, want, ARRAY_SIZE(want));
	/* the strings are borrowed */
	assert_ptr_equal(v[0], env[0]);

	/* without a deny-list the secrets named there are allowed again only if on the allow-list */
	_cleanup_free_ char **v2 = NULL;
	assert_int_equal(spawn_build_env(env, NULL, NULL, &v2), 0);
	const char *const want2[] = { "PATH=/opt/bin", "HOME=/home/app", "LANG=C.UTF-8",   "LC_ALL=C",
		                      "LC_TIME=C",     "TZ=UTC",         "POD_NAME=web-0", "POD_TOKEN=pt" };
	assert_strv_equal(v2, want2, ARRAY_SIZE(want2));
}

static void test_build_env_override_and_default_path(void **state)
{
	(void)state;
	char *const env[] = { "TZ=UTC", "HOME=/root", "POD_NAME=web-0", NULL };
	char *const extra[] = { "TZ=Europe/Paris", "MEMHOOK_EVENT=entered", "MEMHOOK_LEVEL=2", NULL };
	/* extra_env overrides, comes after, and a denied name there is memhook's own value: kept */
	char *const deny[] = { "HOME", "MEMHOOK_LEVEL", NULL };
	_cleanup_free_ char **v = NULL;
	assert_int_equal(spawn_build_env(env, extra, deny, &v), 0);
	const char *const want[] = { "POD_NAME=web-0", "TZ=Europe/Paris", "MEMHOOK_EVENT=entered",
		                     "MEMHOOK_LEVEL=2", DEFAULT_PATH };
	assert_strv_equal(v, want, ARRAY_SIZE(want));

	/* a PATH from extra_env is the PATH; a denied PATH gets the default */
	char *const extra_path[] = { "PATH=/x", NULL };
	char *const env_path[] = { "PATH=/inherited", NULL };
	char *const deny_path[] = { "PATH", NULL };
	_cleanup_free_ char **v2 = NULL, **v3 = NULL, **v4 = NULL;
	assert_int_equal(spawn_build_env(env_path, extra_path, NULL, &v2), 0);
	const char *const want2[] = { "PATH=/x" };
	assert_strv_equal(v2, want2, ARRAY_SIZE(want2));
	assert_int_equal(spawn_build_env(env_path, NULL, deny_path, &v3), 0);
	const char *const want3[] = { DEFAULT_PATH };
	assert_strv_equal(v3, want3, ARRAY_SIZE(want3));
	/* nothing at all: only the default PATH */
	assert_int_equal(spawn_build_env(NULL, NULL, NULL, &v4), 0);
	assert_strv_equal(v4, want3, ARRAY_SIZE(want3));
}

static void test_environment(void **state)
{
	struct env *e = *state;
	struct done_rec d = { 0 };
	setenv("TZ", "UTC", 1);
	setenv("POD_TEST_KEEP", "kept", 1);
	setenv("POD_TEST_SECRET", "hunter2", 1);
	setenv("MEMHOOK_TEST_UNLISTED", "unlisted", 1);
	char *const secrets[] = { "POD_TEST_SECRET", NULL };
	assert_int_equal(spawner_set_secret_names(e->s, secrets), 0);
	char *const extra[] = { "TZ=Europe/Paris", "MEMHOOK_TEST_NEW=new", NULL };
	char *const argv[] = { "/usr/bin/env", NULL };

	capture_start();
	assert_int_equal(spawn_start(e->s, argv, extra, 5 * USEC_PER_SEC, "env", on_done, &d), 0);
	bool ok = run_until_done(e->l, &d.calls);
	_cleanup_free_ char *log = capture_end();

	assert_true(ok);
	assert_int_equal(d.r.exit_code, 0);
	assert_non_null(strstr(log, "env: TZ=Europe/Paris\n"));
	assert_null(strstr(log, "TZ=UTC"));
	assert_non_null(strstr(log, "env: MEMHOOK_TEST_NEW=new\n"));
	assert_non_null(strstr(log, "env: POD_TEST_KEEP=kept\n"));
	assert_null(strstr(log, "hunter2"));
	assert_null(strstr(log, "MEMHOOK_TEST_UNLISTED"));
	/* overriding in the child does not touch ours */
	assert_string_equal(getenv("TZ"), "UTC");

	/* the names are replaced at each call (a reload): no longer a secret, inherited again */
	struct done_rec d2 = { 0 };
	assert_int_equal(spawner_set_secret_names(e->s, NULL), 0);
	capture_start();
	assert_int_equal(spawn_start(e->s, argv, NULL, 5 * USEC_PER_SEC, "env", on_done, &d2), 0);
	ok = run_until_done(e->l, &d2.calls);
	_cleanup_free_ char *log2 = capture_end();
	assert_true(ok);
	assert_non_null(strstr(log2, "env: POD_TEST_SECRET=hunter2\n"));
	assert_int_equal(spawner_set_secret_names(NULL, NULL), -EINVAL);

	unsetenv("TZ");
	unsetenv("POD_TEST_KEEP");
	unsetenv("POD_TEST_SECRET");
	unsetenv("MEMHOOK_TEST_UNLISTED");
}

/* Counts the lines of log that are exactly "<tag>: <line>". */
static size_t count_lines(const char *log, const char *tag, const char *line)
{
	char want[128];
	snprintf(want, sizeof(want), "info: %s: %s\n", tag, line);
	size_t n = 0;
	for (const char *p = log; (p = strstr(p, want)); p += strlen(want))
		n++;
	return n;
}

static void test_chatty_child_bounded(void **state)
{
	struct env *e = *state;
	struct done_rec d = { 0 };
	char *const argv[] = { "/usr/bin/yes", NULL };

	alarm(20); /* an unbounded read never comes back: fail, do not hang */
	capture_start();
	uint64_t start = now_mono_usec(), longest_usec = 0;
	assert_int_equal(spawn_start(e->s, argv, NULL, 300 * USEC_PER_MSEC, "chatty", on_done, &d), 0);
	while (d.calls == 0 && now_mono_usec() - start < DEADLINE_USEC) {
		uint64_t t = now_mono_usec();
		assert_true(loop_iterate(e->l, 100 * USEC_PER_MSEC) >= 0);
		if (now_mono_usec() - t > longest_usec)
			longest_usec = now_mono_usec() - t;
	}
	uint64_t took = now_mono_usec() - start;
	_cleanup_free_ char *log = capture_end();
	alarm(0);

	assert_int_equal(d.calls, 1);
	assert_true(d.r.timed_out);
	assert_true(took < 2 * USEC_PER_SEC);
	/* each wakeup reads a bounded slice: the loop comes back at once (64 KiB take microseconds) */
	assert_true(longest_usec < 200 * USEC_PER_MSEC);
	assert_int_equal(count_lines(log, "chatty", "y"), 100);
	assert_non_null(strstr(log, "info: chatty: … "));
	assert_non_null(strstr(log, " more lines, "));
	assert_non_null(strstr(log, " bytes not logged\n"));
}

static void test_output_past_the_budget_counted(void **state)
{
	struct env *e = *state;
	struct done_rec d = { 0 };
	/* 1,500,000 lines "y": 100 logged, the rest counted */
	char *const burst[] = { "/bin/sh", "-c", "/usr/bin/yes | /usr/bin/head -c 3000000", NULL };
	capture_start();
	assert_int_equal(spawn_start(e->s, burst, NULL, 10 * USEC_PER_SEC, "burst", on_done, &d), 0);
	bool ok = run_until_done(e->l, &d.calls);
	_cleanup_free_ char *log = capture_end();
	assert_true(ok);
	assert_int_equal(d.r.exit_code, 0);
	assert_int_equal(count_lines(log, "burst", "y"), 100);
	assert_non_null(strstr(log, "info: burst: … 1499900 more lines, 2999800 bytes not logged\n"));

	/* a last line without a newline counts as a line */
	struct done_rec d2 = { 0 };
	char *const partial[] = { "/bin/sh", "-c", "/usr/bin/yes | /usr/bin/head -c 1001", NULL };
	capture_start();
	assert_int_equal(spawn_start(e->s, partial, NULL, 10 * USEC_PER_SEC, "partial", on_done, &d2), 0);
	ok = run_until_done(e->l, &d2.calls);
	_cleanup_free_ char *log2 = capture_end();
	assert_true(ok);
	assert_int_equal(count_lines(log2, "partial", "y"), 100);
	assert_non_null(strstr(log2, "info: partial: … 401 more lines, 801 bytes not logged\n"));

	/* exactly 100 lines: nothing to sum up */
	struct done_rec d3 = { 0 };
	char *const exact[] = { "/bin/sh", "-c", "/usr/bin/yes | /usr/bin/head -n 100", NULL };
	capture_start();
	assert_int_equal(spawn_start(e->s, exact, NULL, 10 * USEC_PER_SEC, "exact", on_done, &d3), 0);
	ok = run_until_done(e->l, &d3.calls);
	_cleanup_free_ char *log3 = capture_end();
	assert_true(ok);
	assert_int_equal(count_lines(log3, "exact", "y"), 100);
	assert_null(strstr(log3, "more lines"));
}

static void test_writer_left_behind(void **state)
{
	struct env *e = *state;
	struct done_rec d = { 0 };
	char pid_path[64];
	snprintf(pid_path, sizeof(pid_path), "/tmp/memhook-bg-XXXXXX");
	int fd = mkstemp(pid_path);
	assert_true(fd >= 0);
	close(fd);
	char script[256];
	/* the writer runs before the leader exits, and goes on after it */
	snprintf(script, sizeof(script), "/usr/bin/yes & echo $! > %s; /bin/sleep 0.2", pid_path);
	char *const argv[] = { "/bin/sh", "-c", script, NULL };

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	alarm(20);
	capture_start();
	uint64_t start = now_mono_usec();
	assert_int_equal(spawn_start(e->s, argv, NULL, 10 * USEC_PER_SEC, "left", on_done, &d), 0);
	bool ok = run_until_done(e->l, &d.calls);
	uint64_t took = now_mono_usec() - start;
	_cleanup_free_ char *log = capture_end();
	alarm(0);

	/* done at the leader's exit, not at the timeout */
	assert_true(ok);
	assert_int_equal(d.r.exit_code, 0);
	assert_false(d.r.timed_out);
	assert_true(took < 2 * USEC_PER_SEC);
	assert_non_null(strstr(log, "info: left: … "));

	/* our end is closed: the writer dies of SIGPIPE */
	char buf[32] = "";
	FILE *f = fopen(pid_path, "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	unlink(pid_path);
	pid_t bg = (pid_t)strtol(buf, NULL, 10);
	assert_true(bg > 0);
	int status = 0;
	pid_t p = 0;
	for (uint64_t end = now_mono_usec() + DEADLINE_USEC; p == 0 && now_mono_usec() < end;) {
		p = waitpid(bg, &status, WNOHANG);
		if (p == 0)
			usleep(10000);
	}
	if (p == 0)
		kill(bg, SIGKILL);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	assert_int_equal(p, bg);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGPIPE);
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
		cmocka_unit_test(test_build_env_allow_and_deny),
		cmocka_unit_test(test_build_env_override_and_default_path),
		cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chatty_child_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_past_the_budget_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_left_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signals_reset_and_stdin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_failure_and_signal_exit, setup, teardown),
		cmocka_unit_test(test_free_kills_running),
		cmocka_unit_test_setup_teardown(test_many_at_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
