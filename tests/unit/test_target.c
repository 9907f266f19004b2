/* target: acquiring and releasing a target never touches fds it did not open. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "log.h"
#include "loop.h"
#include "target.h"
#include "watch.h"

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

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_cgroup(const char *dir)
{
	assert_int_equal(mkdir(dir, 0755), 0);
	write_file(dir, "memory.current", "1048576\n");
	write_file(dir, "memory.max", "max\n");
}

static void remove_cgroup(const char *dir)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/memory.current", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/memory.max", dir);
	unlink(path);
	rmdir(dir);
}

static void no_wake(void *userdata)
{
	(void)userdata;
}

/* The target's life: watching at the first try; missing is logged once per reason; found again
 * after it was missing or lost. */
static void test_watch_lost_and_found(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-watch-XXXXXX", dir[128];
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/cg", root);
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct target_spec spec = { .mode = TARGET_CGROUP, .cgroup_dir = dir };
	struct watch w;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);

	capture_start();
	make_cgroup(dir);
	watch_init(&w, &spec, l, no_wake, NULL);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_FIRST);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_HELD);
	char reason[64];
	assert_int_equal(watch_check_alive(&w, reason, sizeof(reason)), 0);
	remove_cgroup(dir);
	assert_int_equal(watch_check_alive(&w, reason, sizeof(reason)), -ENOENT);
	assert_string_equal(reason, "its cgroup was removed");
	watch_lose(&w, reason);
	assert_false(w.target.present);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_NONE);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_NONE);
	make_cgroup(dir);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_AGAIN);
	watch_free(&w);
	_cleanup_free_ char *log = capture_end();

	assert_non_null(strstr(log, "watching cgroup"));
	assert_non_null(strstr(log, "target lost: cgroup"));
	char *missing = strstr(log, "target not found: ");
	assert_non_null(missing);
	assert_null(strstr(missing + 1, "target not found: ")); /* once for the same reason */
	assert_non_null(strstr(log, "target found: cgroup"));

	/* missing at the start, then there: found again, not "watching" */
	remove_cgroup(dir);
	watch_init(&w, &spec, l, no_wake, NULL);
	capture_start();
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_NONE);
	make_cgroup(dir);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_AGAIN);
	watch_free(&w);
	_cleanup_free_ char *log2 = capture_end();
	assert_null(strstr(log2, "watching"));

	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	remove_cgroup(dir);
	rmdir(root);
	loop_free(l);
	assert_true(fcntl(STDIN_FILENO, F_GETFD) >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_acquire_closes_nothing),
		cmocka_unit_test(test_release_unacquired),
		cmocka_unit_test(test_watch_lost_and_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
