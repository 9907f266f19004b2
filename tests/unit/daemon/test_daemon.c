/* daemon: the process around a monitor, run in a child on a copy of the fixture trees (run from
 * tests/unit) with --listen on loopback: /healthz, /readyz and /metrics answered from the monitor,
 * SIGUSR1's breakdown through the log, SIGUSR2 pausing and resuming, SIGTERM a clean stop with the
 * totals; and a start that fails (a bad --listen, a policy that does not fit the target). */
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

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void copy_tree(const char *from, const char *to)
{
	assert_int_equal(mkdir(to, 0700), 0);
	DIR *d = opendir(from);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_REG)
			continue;
		char src[512], buf[8192];
		snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
		FILE *in = fopen(src, "re");
		assert_non_null(in);
		size_t n = fread(buf, 1, sizeof(buf) - 1, in);
		fclose(in);
		buf[n] = '\0';
		write_file(to, e->d_name, buf);
	}
	closedir(d);
}

static struct policy *parse(const char *json)
{
	struct policy *p = NULL;
	char err[512];
	if (policy_parse(json, strlen(json), &p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return p;
}

/* A port free on loopback a moment ago. */
static unsigned short free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* GET path from the child's server; the whole answer (malloc'd), or NULL when nobody listens. */
static char *get(unsigned short port, const char *path)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return NULL;
	}
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char req[128];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	assert_int_equal(write(fd, req, (size_t)n), n);
	size_t size = 65536, len = 0;
	char *buf = malloc(size);
	assert_non_null(buf);
	ssize_t r;
	while (len < size - 1 && (r = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* The child's log so far. */
static char *log_of(const char *path)
{
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 16);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Waits up to 5 s for needle in the child's log. */
static void wait_log(const char *path, const char *needle)
{
	for (int i = 0; i < 500; i++) {
		_cleanup_free_ char *text = log_of(path);
		if (strstr(text, needle))
			return;
		usleep(10 * 1000);
	}
	_cleanup_free_ char *text = log_of(path);
	fail_msg("no \"%s\" in the log:\n%s", needle, text);
}

static pid_t child = -1;

/* A child left running by a failed test is killed and reaped. */
static int kill_child(void **state)
{
	(void)state;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	return 0;
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
