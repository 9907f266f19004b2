/* cgroup.event_control written by cg_register's threads (lib/kernel/cg_register.c), against a
 * directory whose cgroup.event_control is a plain file: every line written in order with its own
 * duplicates of the fds, the job's end on the loop, a missing file, a cancelled job. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/util.h"
#include "kernel/cg_register.h"

struct end {
	int calls;
	size_t registered;
	int error;
};

static void on_done(void *userdata, size_t registered, int error)
{
	struct end *e = userdata;
	e->calls++;
	e->registered = registered;
	e->error = error;
}

static void run_until_idle(struct loop *l)
{
	for (int i = 0; i < 500 && cg_register_pending(); i++)
		loop_iterate(l, 10 * USEC_PER_MSEC);
	assert_int_equal(cg_register_pending(), 0);
}

static void test_register(void **state)
{
	(void)state;
	char dir[] = "/tmp/memhook-register-XXXXXX", path[300];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cgroup.event_control", dir);
	int ctl = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(ctl >= 0);
	close(ctl);
	snprintf(path, sizeof(path), "%s/memory.usage_in_bytes", dir);
	int usage = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int efds[3] = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) };
	const char *args[3] = { "1048576", "2097152", NULL };
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);

	struct end e = { 0 };
	struct cg_register_job *j;
	assert_int_equal(cg_register_async(l, dirfd, usage, efds, args, 3, on_done, &e, &j), 0);
	/* the caller's fds may go at once: the job has its own */
	close(efds[2]);
	run_until_idle(l);
	assert_int_equal(e.calls, 1);
	assert_int_equal(e.registered, 3);
	assert_int_equal(e.error, 0);
	/* three lines "<eventfd> <control fd>[ <args>]": the arguments in order */
	snprintf(path, sizeof(path), "%s/cgroup.event_control", dir);
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	char text[512] = "";
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	int a, b, c, d, x, y;
	unsigned long long t1, t2;
	assert_int_equal(sscanf(text, "%d %d %llu%d %d %llu%d %d", &a, &b, &t1, &c, &d, &t2, &x, &y), 8);
	assert_int_equal(t1, 1048576);
	assert_int_equal(t2, 2097152);
	assert_true(a != efds[0] && b != usage); /* duplicates, not the caller's numbers */
	assert_true(b == d && d == y);
	assert_non_null(strstr(text, "\n"));
	assert_true(text[n - 1] == '\n');

	/* a cancelled job: never heard of */
	struct end e2 = { 0 };
	assert_int_equal(cg_register_async(l, dirfd, usage, efds, args, 2, on_done, &e2, &j), 0);
	cg_register_cancel(j);
	cg_register_cancel(NULL);
	run_until_idle(l);
	assert_int_equal(e2.calls, 0);

	/* no cgroup.event_control (cgroup v2): the job fails with nothing registered */
	assert_int_equal(unlink(path), 0);
	struct end e3 = { 0 };
	assert_int_equal(cg_register_async(l, dirfd, usage, efds, args, 2, on_done, &e3, &j), 0);
	run_until_idle(l);
	assert_int_equal(e3.calls, 1);
	assert_int_equal(e3.registered, 0);
	assert_int_equal(e3.error, -ENOENT);

	/* many jobs at once: each ends once */
	struct end many[40] = { 0 };
	ctl = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	close(ctl);
	for (int i = 0; i < 40; i++)
		assert_int_equal(cg_register_async(l, dirfd, usage, efds, args, 1, on_done, &many[i], &j), 0);
	run_until_idle(l);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(many[i].calls, 1);
		assert_int_equal(many[i].registered, 1);
	}
	/* bad arguments */
	assert_int_equal(
	        cg_register_async(l, dirfd, usage, efds, args, CG_THRESHOLDS_MAX + 1, on_done, &e, &j),
	        -EINVAL);
	assert_int_equal(cg_register_async(l, -1, usage, efds, args, 1, on_done, &e, &j), -EBADF);

	close(efds[0]);
	close(efds[1]);
	close(usage);
	close(dirfd);
	loop_free(l);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
