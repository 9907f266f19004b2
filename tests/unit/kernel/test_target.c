/* target: acquiring and releasing a target never touches fds it did not open. */
#include "unit.h"

#include "fake_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/target.h"
#include "actions/signal_reclaim.h"

/* A target that could not be acquired is released without closing fd 0 (or any other fd it
 * never opened): its cg_target starts with every fd at -1. */
static void test_failed_acquire_closes_nothing(void **state)
{
	(void)state;
	int saved = dup(STDIN_FILENO);
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(null_fd >= 0);
	assert_int_equal(dup2(null_fd, STDIN_FILENO), STDIN_FILENO);
	close(null_fd);

	struct target t;
	struct target_spec spec = { .mode = TARGET_CGROUP, .cgroup_dir = "/nonexistent/memhook-test" };
	target_init_spec(&t, &spec);
	char err[512] = "";
	assert_int_equal(target_acquire(&t, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/memhook-test"));
	target_release(&t);
	target_release(&t); /* twice: idempotent */
	assert_true(fcntl(STDIN_FILENO, F_GETFD) >= 0);

	if (saved >= 0) {
		dup2(saved, STDIN_FILENO);
		close(saved);
	}
}

/* A released target that was never acquired leaves every fd alone as well. */
static void test_release_unacquired(void **state)
{
	(void)state;
	struct target t;
	struct target_spec spec = { .mode = TARGET_PID, .pid = 1 };
	target_init_spec(&t, &spec);
	assert_string_equal(t.spec.proc_root, "/proc");
	assert_int_equal(t.cg.dirfd, -1);
	for (size_t i = 0; i < CG_MAX_ANCESTORS; i++)
		assert_int_equal(t.cg.ancestor_limit_fds[i], -1);
	target_release(&t);
	assert_true(fcntl(STDIN_FILENO, F_GETFD) >= 0);
}

/* --process: the same pid with another start time is another process (lost); the process found by
 * name afterwards is taken with its own start time. */
static void test_start_time_process(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-proc-XXXXXX", cg[128], err[512];
	fake_proc(root, sizeof(root), cg, sizeof(cg));
	fake_process(root, 4242, 5000);
	struct target_spec spec = { .mode = TARGET_PROCESS, .process_name = "myapp", .proc_root = root };
	struct target t;
	target_init_spec(&t, &spec);
	assert_int_equal(target_acquire(&t, err, sizeof(err)), 0);
	assert_int_equal(t.pid, 4242);
	assert_int_equal(t.pidfd, -1); /* a fixture's pids are not this kernel's */
	assert_true(t.has_start_time);
	assert_int_equal(t.start_time_ticks, 5000);
	assert_string_equal(t.cg.path, cg);
	assert_int_equal(target_check(&t), 0);
	fake_process(root, 4242, 6000);
	assert_int_equal(target_check(&t), -ESRCH);
	target_release(&t);
	assert_false(t.has_start_time);
	assert_int_equal(target_acquire(&t, err, sizeof(err)), 0);
	assert_int_equal(t.start_time_ticks, 6000);
	target_release(&t);
	rm_rf(root);
}

/* A real child held by a pidfd: alive, signalled through it, then exited: the pidfd says so, and a
 * signal through it reaches nobody (ESRCH), whoever has the pid by then. */
static void test_pidfd_real(void **state)
{
	(void)state;
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	struct target_spec spec = { .mode = TARGET_PID, .pid = child };
	struct target t;
	target_init_spec(&t, &spec);
	char err[512];
	int r = target_acquire(&t, err, sizeof(err));
	if (r < 0)
		fail_msg("acquire pid %d: %s", (int)child, err);
	assert_true(t.pidfd >= 0);
	assert_true(t.has_start_time);
	assert_int_equal(target_check(&t), 0);
	struct signal_cfg usr1 = { .signo = SIGUSR1 };
	assert_int_equal(target_signal(&t, &usr1), 1);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
	assert_int_equal(target_check(&t), -ESRCH);
	assert_int_equal(target_signal(&t, &usr1), -ESRCH);
	target_release(&t);
	assert_int_equal(t.pidfd, -1);
}

/* --cgroup's symlinks are resolved once, at start: the existing part by realpath, the rest as
 * given; a fixture directory asks for no cgroup filesystem. */
static void test_cgroup_path_resolved_at_start(void **state)
{
	(void)state;
	char dir[64], p[160], want[160];
	strcpy(dir, "/tmp/memhook-resolve-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/real", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/link", dir);
	assert_int_equal(symlink("real", p), 0);

	static const struct {
		const char *given, *want; /* under dir */
	} rows[] = {
		{ "link", "real" },         { "link/", "real" },
		{ "link/cg", "real/cg" }, /* not there yet: the rest as given */
		{ "link/a/b", "real/a/b" }, { "real/../link/x", "real/x" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct target t;
		snprintf(p, sizeof(p), "%s/%s", dir, rows[i].given);
		snprintf(want, sizeof(want), "%s/%s", dir, rows[i].want);
		struct target_spec spec = { .mode = TARGET_CGROUP, .cgroup_dir = p };
		target_init_spec(&t, &spec);
		if (strcmp(t.cgroup_dir, want) != 0)
			fail_msg("%s: got %s, want %s", rows[i].given, t.cgroup_dir, want);
		assert_false(t.want_cgroupfs);
		target_release(&t);
	}
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_acquire_closes_nothing),
		cmocka_unit_test(test_cgroup_path_resolved_at_start),
		cmocka_unit_test(test_release_unacquired),
		cmocka_unit_test(test_start_time_process),
		cmocka_unit_test(test_pidfd_real),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
