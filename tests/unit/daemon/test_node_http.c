/* memhook node's endpoints (lib/daemon/node_http.c), served by a child on a kubelet-like tree of
 * fixture cgroups: /metrics with one series per container labelled namespace, pod and container,
 * added and removed as containers come and go, the process's families once; /healthz; /readyz;
 * /events, every container's events in one stream. */
#include "node_env.h"

/* GET /events with Last-Event-ID: 0 (every event the ring has): reads until want comes (true) or
 * the answer ends or stalls for 5 s (false). */
static bool events_have(unsigned short port, const char *want)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	static const char req[] = "GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 0\r\n\r\n";
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	char buf[65536];
	size_t len = 0;
	ssize_t r;
	bool found = false;
	while (!found && len < sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)r;
		buf[len] = '\0';
		found = strstr(buf, want) != NULL;
	}
	close(fd);
	return found;
}

static void test_routes(void **state)
{
	(void)state;
	char dir[] = "/tmp/memhook-node-policy-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.json", dir);
	/* the fixture (61% free) is at level 1 */
	write_file(dir, "p.json",
	           "{\"check_interval\": \"20ms\", \"levels\": [{\"name\": \"high\", \"when\": "
	           "{\"local_relative\": 70}}], \"handlers\": []}");
	struct node_run n;
	node_start(&n, path);
	const char *a = "{namespace=\"\",pod=\"1111-2222\",container=\"a10000000000\"}";
	const char *b = "{namespace=\"\",pod=\"3333-4444\",container=\"b20000000000\"}";
	char want[256];
	snprintf(want, sizeof(want), "\nmemhook_level%s 1\n", a);
	wait_get(n.port, "/metrics", want, true);
	_cleanup_free_ char *m = get(n.port, "/metrics");
	assert_true(strncmp(m, "HTTP/1.1 200 ", 13) == 0);
	snprintf(want, sizeof(want), "\nmemhook_level%s 1\n", b);
	assert_non_null(strstr(m, want));
	snprintf(want, sizeof(want), "\nmemhook_target_memory_usage_bytes%s 104857600\n", a);
	assert_non_null(strstr(m, want));
	snprintf(want, sizeof(want),
	         "\nmemhook_level_transitions_total{namespace=\"\",pod=\"3333-4444\","
	         "container=\"b20000000000\",direction=\"up\",level=\"high\"} 1\n");
	assert_non_null(strstr(m, want));
	/* each family's HELP once; the process's families without labels */
	const char *help = strstr(m, "# HELP memhook_level ");
	assert_non_null(help);
	assert_null(strstr(help + 1, "# HELP memhook_level "));
	assert_non_null(strstr(m, "\nmemhook_node_containers 2\n"));
	assert_non_null(strstr(m, "\nmemhook_node_watched_directories 7\n"));
	assert_non_null(strstr(m, "\nmemhook_log_lines_dropped_total 0\n"));
	assert_non_null(strstr(m, "\nmemhook_build_info{version=\""));

	/* a container comes: its series; it goes: they go */
	make_container(n.cgroot, POD_A "/" CID_C);
	const char *c = "pod=\"1111-2222\",container=\"c30000000000\"";
	wait_get(n.port, "/metrics", c, true);
	wait_get(n.port, "/metrics", "\nmemhook_node_containers 3\n", true);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/" POD_A "/" CID_C "'", n.cgroot);
	assert_int_equal(system(cmd), 0);
	wait_get(n.port, "/metrics", c, false);

	_cleanup_free_ char *h = get(n.port, "/healthz");
	assert_true(strncmp(h, "HTTP/1.1 200 ", 13) == 0);
	_cleanup_free_ char *r = get(n.port, "/readyz");
	assert_true(strncmp(r, "HTTP/1.1 200 ", 13) == 0);
	/* both containers' entered level 1, in the one stream, with their pods */
	assert_true(events_have(n.port, "text/event-stream"));
	assert_true(events_have(n.port, "\"uid\":\"1111-2222\""));
	assert_true(events_have(n.port, "\"uid\":\"3333-4444\""));
	_cleanup_free_ char *x = get(n.port, "/nothing");
	assert_true(strncmp(x, "HTTP/1.1 404 ", 13) == 0);

	assert_int_equal(node_stop(&n), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_routes, kill_child),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
