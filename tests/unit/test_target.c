/* target: acquiring and releasing a target never touches fds it did not open. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "target.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_acquire_closes_nothing),
		cmocka_unit_test(test_release_unacquired),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
