/* The pressure_watch run row (lib/actions/action_run_pressure_watch.c) through the dispatcher's
 * entry points, on a real loop in a temporary directory: the socket is served from the policy's
 * installation, before any event; the event makes a client readable with its line and is counted;
 * a path not served is a counted failure; a reload without it, and the stop, remove it. */
#include "unit.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "action_run_env.h"
#include "actions/action_run.h"
#include "actions/pressure_socket.h"
#include "base/loop.h"
#include "base/util.h"
#include "output/metrics.h"

/* paths are written as string literals (-Wwrite-strings makes them const). */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

static void test_installed_fired_and_stopped(void **state)
{
	(void)state;
	char dir[] = "/tmp/memhook-pwrun.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.sock", dir);
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct metrics m = { 0 };
	struct dispatch d = { .loop = l, .metrics = &m };
	struct handler h = { .path = "handlers[0]",
		             .on = EVENT_ENTERED,
		             .action = ACTION_PRESSURE_WATCH,
		             .pressure_watch = { .path = path } };

	dispatch_policy_installed(&d, &h, 1);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0); /* before any event */
	assert_true(S_ISSOCK(st.st_mode));

	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	uint64_t deadline = now_mono_usec() + 2 * USEC_PER_SEC;
	while (pressure_sockets_clients(d.pressure, path) != 1 && now_mono_usec() < deadline)
		loop_iterate(l, 10 * USEC_PER_MSEC);

	struct event ev = { .kind = EVENT_ENTERED, .level = 2, .previous_level = 1 };
	struct event_ctx ctx = { .ev = &ev, .seq = 1, .level_name = "high" };
	struct dispatch_event de = { .ctx = &ctx };
	dispatch_action(&d, &h, &de);
	struct pollfd p = { .fd = c, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 1);
	char buf[64] = "";
	assert_int_equal(read(c, buf, sizeof(buf) - 1), 15);
	assert_string_equal(buf, "entered 2 high\n");
	assert_int_equal(m.actions[ACTION_PRESSURE_WATCH][ACTION_RESULT_OK], 1);
	assert_int_equal(m.pressure_notifications, 1);

	/* a reload without it: removed; firing the old handler now is a counted failure */
	dispatch_policy_installed(&d, NULL, 0);
	assert_int_equal(lstat(path, &st), -1);
	dispatch_action(&d, &h, &de);
	assert_int_equal(m.actions[ACTION_PRESSURE_WATCH][ACTION_RESULT_FAILED], 1);
	assert_int_equal(d.failures, 1);

	/* served again, and removed at the stop */
	dispatch_policy_installed(&d, &h, 1);
	assert_int_equal(lstat(path, &st), 0);
	action_run(ACTION_PRESSURE_WATCH)->at_stop(&d);
	assert_null(d.pressure);
	assert_int_equal(lstat(path, &st), -1);

	close(c);
	loop_free(l);
	assert_int_equal(rmdir(dir), 0);
}

static void test_dry_run_text(void **state)
{
	(void)state;
	struct dry_env *e = dry_env_new();
	struct handler h = { .action = ACTION_PRESSURE_WATCH, .pressure_watch = { .path = "/run/p.sock" } };
	assert_string_equal(would(e, &h),
	                    "make the clients of socket /run/p.sock readable (entered level 2)");
	h.pressure_watch.fifo = true;
	assert_string_equal(would(e, &h), "make the clients of FIFO /run/p.sock readable (entered level 2)");
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_installed_fired_and_stopped),
		cmocka_unit_test(test_dry_run_text),
	};
	return cmocka_run_group_tests_name("action_run_pressure_watch", tests, NULL, NULL);
}
