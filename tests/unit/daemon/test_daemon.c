/* daemon: the process around a monitor, run in a child on a copy of the fixture trees (run from
 * tests/unit) with --listen on loopback: /healthz, /readyz and /metrics answered from the monitor,
 * SIGUSR1's breakdown through the log, SIGUSR2 pausing and resuming, SIGTERM a clean stop with the
 * totals; and a start that fails (a bad --listen, a policy that does not fit the target). */
#include "child_env.h"
#include "unit.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/daemon.h"
#include "policy/policy.h"

#define FIX "../fixtures"

static const struct payload_origin origin = { .instance = "0123456789abcdef", .hostname = "node-7" };

/* One level entered below 70% free: the v2 fixture (61% free) is in it. */
static const char policy_json[] = "{\"check_interval\": \"20ms\", \"log_transitions\": false,"
                                  " \"levels\": [{\"name\": \"high\", \"when\": {\"local_relative\": 70}}],"
                                  " \"handlers\": []}";

static struct policy *parse(const char *json)
{
	struct policy *p = NULL;
	char err[512];
	if (policy_parse(json, strlen(json), &p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return p;
}

static void test_run_signals_and_routes(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-daemon-XXXXXX", cg[96], logfile[96], listen[32];
	assert_non_null(mkdtemp(root));
	snprintf(cg, sizeof(cg), "%s/cg", root);
	snprintf(logfile, sizeof(logfile), "%s/log", root);
	copy_tree(FIX "/v2", cg);
	unsigned short port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	int logfd = open(logfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(logfd >= 0);

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (dup2(logfd, STDERR_FILENO) < 0)
			_exit(100);
		log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
		if (daemon_block_signals() < 0)
			_exit(101);
		struct daemon_config cfg = {
			.monitor = { .target = { .mode = TARGET_CGROUP,
			                         .cgroup_dir = cg,
			                         .proc_root = FIX "/proc" },
			             .origin = &origin },
			.grace_usec = 100 * USEC_PER_MSEC,
			.listen = listen,
		};
		int r = daemon_run(&cfg, parse(policy_json));
		_exit(r == 0 ? 0 : 102);
	}
	close(logfd);

	wait_log(logfile, "listening on http://");
	_cleanup_free_ char *healthz = get(port, "/healthz");
	assert_non_null(healthz);
	assert_true(strncmp(healthz, "HTTP/1.1 200 ", 13) == 0);
	assert_true(strcmp(healthz + strlen(healthz) - 3, "ok\n") == 0);
	_cleanup_free_ char *readyz = get(port, "/readyz");
	assert_true(strncmp(readyz, "HTTP/1.1 200 ", 13) == 0);
	_cleanup_free_ char *metrics = get(port, "/metrics");
	assert_true(strncmp(metrics, "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(metrics, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(metrics, "\nmemhook_level 1\n"));

	assert_int_equal(kill(child, SIGUSR1), 0);
	wait_log(logfile, "SIGUSR1: memory breakdown of ");
	wait_log(logfile, "processes by RSS (3)");
	assert_int_equal(kill(child, SIGUSR2), 0);
	wait_log(logfile, "SIGUSR2: evaluation paused");
	assert_int_equal(kill(child, SIGUSR2), 0);
	wait_log(logfile, "SIGUSR2: evaluation resumed");

	/* the target removed: /readyz says so */
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cg);
	assert_int_equal(system(cmd), 0);
	wait_log(logfile, "target lost: ");
	_cleanup_free_ char *gone = get(port, "/readyz");
	assert_true(strncmp(gone, "HTTP/1.1 503 ", 13) == 0);
	assert_non_null(strstr(gone, "the target is not found\n"));

	assert_int_equal(kill(child, SIGTERM), 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	child = -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	_cleanup_free_ char *log = log_of(logfile);
	assert_non_null(strstr(log, "SIGTERM: stopping"));
	assert_non_null(strstr(log, "stopped: "));
	assert_null(get(port, "/healthz")); /* the listener is closed */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* A start that fails returns its -errno before the loop runs, logged: --listen that cannot be
 * parsed, a policy with reclaim on a cgroup v1 target. */
static void test_start_fails(void **state)
{
	(void)state;
	struct daemon_config cfg = {
		.monitor = { .target = { .mode = TARGET_CGROUP,
		                         .cgroup_dir = FIX "/v2",
		                         .proc_root = FIX "/proc" },
		             .origin = &origin },
		.listen = "localhost",
	};
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();
	assert_int_equal(daemon_run(&cfg, parse(policy_json)), -EINVAL);
	_cleanup_free_ char *log = capture_end();
	assert_non_null(strstr(log, "--listen: "));

	static const char reclaim_json[] =
	        "{\"levels\": [{\"name\": \"high\", \"when\": {\"local_relative\": 70}}],"
	        " \"handlers\": [{\"on\": \"remaining\", \"level\": 1, \"reclaim\": \"5%\"}]}";
	cfg.listen = NULL;
	cfg.monitor.target.cgroup_dir = FIX "/v1";
	capture_start();
	assert_int_equal(daemon_run(&cfg, parse(reclaim_json)), -EINVAL);
	_cleanup_free_ char *log2 = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	assert_non_null(strstr(log2, "reclaim"));
}

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_run_signals_and_routes, kill_child),
		cmocka_unit_test(test_start_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
