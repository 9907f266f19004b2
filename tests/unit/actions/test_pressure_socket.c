/* pressure_socket: systemd's memory-pressure socket served in a temporary directory, with clients
 * that follow docs/MEMORY_PRESSURE.md (connect, write the trigger, poll for POLLIN) on a real
 * loop: readable after a notification and not before, for every client; a client that never
 * reads holds nothing; the rate bound; what a client writes; the FIFO; a stale socket replaced,
 * anything else left alone; the socket removed at the end. */
#include "unit.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "actions/pressure_socket.h"
#include "base/defaults.h"
#include "base/loop.h"
#include "base/util.h"
#include "output/metrics.h"

/* paths are written as string literals (-Wwrite-strings makes them const). */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

struct env {
	char dir[64];
	char path[128];
	struct loop *loop;
	struct metrics metrics;
	struct pressure_sockets *ps;
	struct handler h;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/memhook-pw.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->path, sizeof(e->path), "%s/pressure.sock", e->dir);
	assert_int_equal(loop_new(&e->loop), 0);
	e->ps = pressure_sockets_new(e->loop, &e->metrics);
	assert_non_null(e->ps);
	e->h = (struct handler){ .path = "handlers[0]",
		                 .action = ACTION_PRESSURE_WATCH,
		                 .pressure_watch = { .path = e->path } };
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	pressure_sockets_free(e->ps);
	loop_free(e->loop);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

/* A client as the protocol says: connect a stream socket and write the trigger line. */
static int client(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	static const char trigger[] = "some 200000 2000000"; /* and its NUL, as systemd encodes it */
	assert_int_equal(write(fd, trigger, sizeof(trigger)), sizeof(trigger));
	return fd;
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Runs the loop until memhook has n clients on path (a deadline of 2 s). */
static void wait_clients(struct env *e, int n)
{
	uint64_t deadline = now_mono_usec() + 2 * USEC_PER_SEC;
	while (pressure_sockets_clients(e->ps, e->path) != n && now_mono_usec() < deadline)
		loop_iterate(e->loop, 10 * USEC_PER_MSEC);
	assert_int_equal(pressure_sockets_clients(e->ps, e->path), n);
}

static void test_two_clients_readable_after_a_notification_not_before(void **state)
{
	struct env *e = *state;
	assert_int_equal(pressure_sockets_sync(e->ps, &e->h, 1), 1);
	struct stat st;
	assert_int_equal(lstat(e->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0666);
	int a = client(e->path), b = client(e->path);
	wait_clients(e, 2);
	for (int i = 0; i < 5; i++) /* their trigger lines are read and ignored */
		loop_iterate(e->loop, 1000);
	assert_false(readable(a));
	assert_false(readable(b));
	assert_int_equal(pressure_sockets_notify(e->ps, &e->h.pressure_watch, "entered 1 elevated\n", 1), 2);
	assert_true(readable(a));
	assert_true(readable(b));
	char buf[64];
	assert_int_equal(read(a, buf, sizeof(buf)), 19);
	assert_memory_equal(buf, "entered 1 elevated\n", 19);
	assert_false(readable(a)); /* read: quiet until the next */
	assert_true(readable(b));
	assert_int_equal(e->metrics.pressure_notifications, 2);
	close(a);
	close(b);
	wait_clients(e, 0);
}

static void test_a_client_that_never_reads_holds_nothing(void **state)
{
	struct env *e = *state;
	assert_int_equal(pressure_sockets_sync(e->ps, &e->h, 1), 1);
	int stuck = client(e->path), reader = client(e->path);
	wait_clients(e, 2);
	/* far more than a socket buffer holds: each notification returns at once */
	uint64_t t0 = now_mono_usec();
	for (int i = 1; i <= 20000; i++) {
		assert_int_equal(
		        pressure_sockets_notify(e->ps, &e->h.pressure_watch, "remaining 1 x\n", (uint64_t)i),
		        2);
		char buf[4096];
		while (readable(reader))
			assert_true(read(reader, buf, sizeof(buf)) > 0);
	}
	assert_true(now_mono_usec() - t0 < 5 * USEC_PER_SEC);
	assert_true(readable(stuck));
	assert_int_equal(pressure_sockets_clients(e->ps, e->path), 2);
	close(stuck);
	close(reader);
}

static void test_min_interval_defers_to_its_end(void **state)
{
	struct env *e = *state;
	e->h.pressure_watch.min_interval_usec = 100 * USEC_PER_MSEC;
	assert_int_equal(pressure_sockets_sync(e->ps, &e->h, 1), 1);
	int a = client(e->path);
	wait_clients(e, 1);
	uint64_t now = now_mono_usec();
	assert_int_equal(pressure_sockets_notify(e->ps, &e->h.pressure_watch, "entered 1 a\n", now), 1);
	char buf[64];
	assert_int_equal(read(a, buf, sizeof(buf)), 12);
	/* within the interval: deferred, the latest line kept */
	assert_int_equal(pressure_sockets_notify(e->ps, &e->h.pressure_watch, "entered 2 b\n", now + 1), 0);
	assert_int_equal(pressure_sockets_notify(e->ps, &e->h.pressure_watch, "left 1 a\n", now + 2), 0);
	assert_false(readable(a));
	uint64_t deadline = now + 2 * USEC_PER_SEC;
	while (!readable(a) && now_mono_usec() < deadline)
		loop_iterate(e->loop, 10 * USEC_PER_MSEC);
	assert_true(now_mono_usec() >= now + 100 * USEC_PER_MSEC);
	assert_int_equal(read(a, buf, sizeof(buf)), 9);
	assert_memory_equal(buf, "left 1 a\n", 9);
	assert_int_equal(e->metrics.pressure_notifications, 2);
	close(a);
}

static void test_a_client_writing_too_much_is_closed(void **state)
{
	struct env *e = *state;
	assert_int_equal(pressure_sockets_sync(e->ps, &e->h, 1), 1);
	int a = client(e->path);
	wait_clients(e, 1);
	char junk[PRESSURE_CLIENT_WRITE_MAX_BYTES];
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(write(a, junk, sizeof(junk)), sizeof(junk));
	wait_clients(e, 0);
	close(a);
}

static void test_the_path_replaced_only_when_a_socket(void **state)
{
	struct env *e = *state;
	/* a stale socket from an earlier run: replaced */
	assert_int_equal(pressure_sockets_sync(e->ps, &e->h, 1), 1);
	struct stat before, after;
	assert_int_equal(lstat(e->path, &before), 0);
	struct pressure_sockets *other = pressure_sockets_new(e->loop, NULL);
	assert_int_equal(pressure_sockets_sync(other, &e->h, 1), 1);
	assert_int_equal(lstat(e->path, &after), 0);
	assert_true(before.st_ino != after.st_ino);
	pressure_sockets_free(e->ps); /* not its socket any more: left alone */
	e->ps = other;
	assert_int_equal(lstat(e->path, &after), 0);
	/* no longer named: removed */
	assert_int_equal(pressure_sockets_sync(e->ps, NULL, 0), 0);
	assert_int_equal(lstat(e->path, &after), -1);
	assert_int_equal(pressure_sockets_notify(e->ps, &e->h.pressure_watch, "x\n", 1), -ENOENT);
	/* a regular file: never removed, nothing served */
	int fd = open(e->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pressure_sockets_sync(e->ps, &e->h, 1), 0);
	assert_int_equal(lstat(e->path, &after), 0);
	assert_true(S_ISREG(after.st_mode));
	assert_int_equal(pressure_sockets_clients(e->ps, e->path), -ENOENT);
}

static void test_fifo(void **state)
{
	struct env *e = *state;
	e->h.pressure_watch.fifo = true;
	assert_int_equal(pressure_sockets_sync(e->ps, &e->h, 1), 1);
	struct stat st;
	assert_int_equal(lstat(e->path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	int r = open(e->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(r >= 0);
	assert_false(readable(r));
	assert_int_equal(pressure_sockets_notify(e->ps, &e->h.pressure_watch, "entered 1 x\n", 1), 1);
	assert_true(readable(r));
	char buf[64];
	assert_int_equal(read(r, buf, sizeof(buf)), 12);
	assert_false(readable(r));
	close(r);
	/* with nobody reading, the pipe fills and memhook goes on */
	for (int i = 2; i < 10000; i++)
		assert_int_equal(
		        pressure_sockets_notify(e->ps, &e->h.pressure_watch, "entered 1 x\n", (uint64_t)i),
		        1);
	pressure_sockets_free(e->ps);
	e->ps = NULL;
	assert_int_equal(lstat(e->path, &st), -1); /* removed */
	e->ps = pressure_sockets_new(e->loop, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_clients_readable_after_a_notification_not_before,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_client_that_never_reads_holds_nothing, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_min_interval_defers_to_its_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_client_writing_too_much_is_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_path_replaced_only_when_a_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
	};
	return cmocka_run_group_tests_name("pressure_socket", tests, NULL, NULL);
}
