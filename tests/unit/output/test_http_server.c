/* http_server: a real server on loopback driven by the loop: the routes'
 * answers (GET and HEAD), 404 for another path, 405 for another method, 400 for an encoded NUL,
 * Content-Length headers that disagree and garbage (413/431 for headers too large), and the errors of a
 * server that cannot start. */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/util.h"
#include "output/http_server.h"

/* ---- a real server on loopback ---- */

struct served {
	unsigned healthz, readyz; /* calls of each route */
	/* the stream route: its one open stream, what it has to send, how it ended */
	struct http_stream *st;
	char pending[64];
	unsigned opened, closed;
	char last_id[32];
};

static void route_healthz(void *userdata, struct http_reply *ret)
{
	struct served *sv = userdata;
	sv->healthz++;
	ret->status = 200;
	ret->body = strdup("ok\n");
	ret->len = 3;
}

static void route_readyz(void *userdata, struct http_reply *ret)
{
	struct served *sv = userdata;
	sv->readyz++;
	ret->status = 503;
	ret->content_type = "application/json";
	ret->body = strdup("{\"ready\": false}\n");
	ret->len = strlen(ret->body);
}

/* No body: out of memory; the connection is closed without an answer. */
static void route_nothing(void *userdata, struct http_reply *ret)
{
	(void)userdata;
	(void)ret;
}

/* A stream source: "/stream" sends served.pending whenever there is some; Last-Event-ID "busy"
 * is refused with -EBUSY, "bad" with -EINVAL. */
static int stream_open(void *userdata, struct http_stream *st, void **ret_cls)
{
	struct served *sv = userdata;
	const char *id = http_stream_header(st, "Last-Event-ID");
	snprintf(sv->last_id, sizeof(sv->last_id), "%s", id ? id : "");
	if (id && strcmp(id, "busy") == 0)
		return -EBUSY;
	if (id && strcmp(id, "bad") == 0)
		return -EINVAL;
	sv->st = st;
	sv->opened++;
	snprintf(sv->pending, sizeof(sv->pending), ": hello\n\n");
	*ret_cls = sv;
	return 0;
}

static size_t stream_read(void *userdata, void *cls, char *buf, size_t max)
{
	struct served *sv = userdata;
	assert_ptr_equal(cls, sv);
	size_t n = strlen(sv->pending);
	if (n > max)
		n = max;
	memcpy(buf, sv->pending, n);
	memmove(sv->pending, sv->pending + n, strlen(sv->pending) - n + 1);
	return n;
}

static void stream_closed(void *userdata, void *cls)
{
	struct served *sv = userdata;
	assert_ptr_equal(cls, sv);
	sv->closed++;
	sv->st = NULL;
}

static const struct http_stream_source stream_source = {
	.content_type = "text/event-stream",
	.open = stream_open,
	.read = stream_read,
	.closed = stream_closed,
};

/* A route with a userdata of its own: /other counts here, not in the server's. */
static struct served other_served;

static const struct http_route routes[] = {
	{ "/healthz", route_healthz, NULL, NULL }, { "/other", route_healthz, NULL, &other_served },
	{ "/readyz", route_readyz, NULL, NULL },   { "/nothing", route_nothing, NULL, NULL },
	{ "/stream", NULL, &stream_source, NULL },
};

struct env {
	struct loop *loop;
	struct http_server *srv;
	struct served served;
	unsigned short port;
};

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[256];
	assert_non_null(e);
	assert_int_equal(loop_new(&e->loop), 0);
	int r = http_server_new(e->loop, "127.0.0.1:0", routes, ARRAY_SIZE(routes), &e->served, &e->srv, err,
	                        sizeof(err));
	if (r < 0)
		fail_msg("http_server_new: %s", err);
	const char *addr = http_server_address(e->srv);
	assert_true(strncmp(addr, "127.0.0.1:", 10) == 0);
	e->port = (unsigned short)atoi(addr + 10);
	assert_true(e->port > 0);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	http_server_free(e->srv);
	loop_free(e->loop);
	free(e);
	return 0;
}

/* Sends raw to the server and runs the loop until the server closes the connection (at most 2 s).
 * Returns what came back (malloc'd, NUL-terminated). */
static char *exchange(struct env *e, const char *raw)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(e->port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	size_t size = 8192, len = 0;
	char *buf = malloc(size);
	assert_non_null(buf);
	uint64_t deadline = now_mono_usec() + 2 * USEC_PER_SEC;
	while (now_mono_usec() < deadline) {
		assert_true(loop_iterate(e->loop, 10 * 1000) >= 0);
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n == 0)
			break;
		if (n < 0 && errno != EAGAIN)
			break; /* reset: nothing more */
		if (n > 0)
			len += (size_t)n;
		assert_true(len < size - 1);
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

static void assert_has(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("no \"%s\" in:\n%s", needle, text);
}

/* A route's answer: its status, Content-Type and body, no-store; HEAD without the body; the
 * query string is not part of the path. */
static void test_routes_answer(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *get =
	        exchange(e, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(get, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_has(get, "Content-Type: text/plain; charset=utf-8\r\n");
	assert_has(get, "Cache-Control: no-store\r\n");
	assert_has(get, "Content-Length: 3\r\n");
	assert_true(strcmp(get + strlen(get) - 7, "\r\n\r\nok\n") == 0);
	assert_int_equal(e->served.healthz, 1);

	_cleanup_free_ char *head =
	        exchange(e, "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(head, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_true(strcmp(head + strlen(head) - 4, "\r\n\r\n") == 0); /* no body */

	_cleanup_free_ char *query =
	        exchange(e, "GET /healthz?verbose=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(query, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_int_equal(e->served.healthz, 3);

	_cleanup_free_ char *ready =
	        exchange(e, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(ready, "HTTP/1.1 503 ", 13) == 0);
	assert_has(ready, "Content-Type: application/json\r\n");
	assert_has(ready, "{\"ready\": false}\n");
	assert_int_equal(e->served.readyz, 1);

	/* a route's own userdata is the one its function gets */
	unsigned before = other_served.healthz;
	_cleanup_free_ char *other =
	        exchange(e, "GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(other, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_int_equal(other_served.healthz, before + 1);
	assert_int_equal(e->served.healthz, 3);
}

/* Connects and sends raw; returns the fd, non-blocking. */
static int open_conn(struct env *e, const char *raw)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(e->port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

/* Runs the loop, appending what fd receives to buf, until buf has needle or fd ends (2 s).
 * Returns whether fd ended. */
static bool read_until(struct env *e, int fd, char *buf, size_t size, const char *needle)
{
	size_t len = strlen(buf);
	uint64_t deadline = now_mono_usec() + 2 * USEC_PER_SEC;
	while (now_mono_usec() < deadline && !(needle && strstr(buf, needle))) {
		assert_true(loop_iterate(e->loop, 10 * 1000) >= 0);
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return true;
		if (n > 0)
			len += (size_t)n;
		buf[len] = '\0';
	}
	return false;
}

/* A stream route: 200 with its Content-Type, chunked, what the source has at once; nothing more
 * until it is woken, then the new bytes; cut, the connection ends and the source hears it. 503
 * and 400 when the source will not open; HEAD: the headers only. */
static void test_stream_route(void **state)
{
	struct env *e = *state;
	struct served *sv = &e->served;
	char buf[4096] = "";
	int fd = open_conn(e, "GET /stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 7\r\n\r\n");
	assert_false(read_until(e, fd, buf, sizeof(buf), ": hello\n\n"));
	assert_true(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_has(buf, "Content-Type: text/event-stream\r\n");
	assert_has(buf, "Transfer-Encoding: chunked\r\n");
	assert_has(buf, "Cache-Control: no-store\r\n");
	assert_has(buf, "X-Accel-Buffering: no\r\n");
	assert_string_equal(sv->last_id, "7");
	assert_int_equal(sv->opened, 1);
	/* nothing to send: quiet, however long the loop runs */
	buf[0] = '\0';
	assert_false(read_until(e, fd, buf, sizeof(buf), NULL));
	assert_string_equal(buf, "");
	snprintf(sv->pending, sizeof(sv->pending), "id: 1\n\n");
	http_stream_wake(sv->st);
	assert_false(read_until(e, fd, buf, sizeof(buf), "id: 1\n\n"));
	/* scrapes are answered beside a stream */
	_cleanup_free_ char *get =
	        exchange(e, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(get, "HTTP/1.1 200 OK\r\n", 17) == 0);
	http_stream_cut(sv->st);
	buf[0] = '\0';
	assert_true(read_until(e, fd, buf, sizeof(buf), "never"));
	close(fd);
	assert_int_equal(sv->closed, 1);

	_cleanup_free_ char *busy = exchange(
	        e, "GET /stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: busy\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(busy, "HTTP/1.1 503 ", 13) == 0);
	_cleanup_free_ char *bad = exchange(
	        e, "GET /stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: bad\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(bad, "HTTP/1.1 400 ", 13) == 0);
	_cleanup_free_ char *head =
	        exchange(e, "HEAD /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(head, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_has(head, "Content-Type: text/event-stream\r\n");
	assert_int_equal(sv->opened, 1);

	/* a stream left asleep when the server stops: woken to its end (env_teardown frees it) */
	fd = open_conn(e, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
	buf[0] = '\0';
	assert_false(read_until(e, fd, buf, sizeof(buf), ": hello\n\n"));
	assert_int_equal(sv->opened, 2);
	http_server_free(e->srv);
	e->srv = NULL;
	assert_int_equal(sv->closed, 2);
	close(fd);
}

/* 404 for a path no route has (a prefix or a trailing slash included), 405 with Allow for a method
 * other than GET and HEAD; no route runs. */
static void test_not_found_and_not_allowed(void **state)
{
	struct env *e = *state;
	static const char *const paths[] = { "/", "/health", "/healthz/", "/HEALTHZ", "/metrics" };
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		char req[128];
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		         paths[i]);
		_cleanup_free_ char *got = exchange(e, req);
		if (strncmp(got, "HTTP/1.1 404 ", 13) != 0)
			fail_msg("%s: %s", paths[i], got);
		assert_has(got, "not found: /metrics, /healthz, /readyz\n");
	}
	static const char *const methods[] = { "POST", "PUT", "DELETE", "OPTIONS" };
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
		char req[160];
		snprintf(req, sizeof(req),
		         "%s /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		         methods[i]);
		_cleanup_free_ char *got = exchange(e, req);
		if (strncmp(got, "HTTP/1.1 405 ", 13) != 0)
			fail_msg("%s: %s", methods[i], got);
		assert_has(got, "Allow: GET, HEAD\r\n");
		assert_has(got, "method not allowed: GET or HEAD\n");
	}
	assert_int_equal(e->served.healthz, 0);
}

/* 400 with Connection: close for a path with an encoded NUL (it would reach the route as
 * "/healthz"), Content-Length headers that disagree, and a request that is not HTTP. */
static void test_bad_requests(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *nul = exchange(e, "GET /healthz%00 HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(strncmp(nul, "HTTP/1.1 400 ", 13) == 0);
	assert_has(nul, "Connection: close\r\n");
	assert_has(nul, "the path has an encoded NUL (%00)");
	/* in the query string it is the query's business */
	_cleanup_free_ char *q =
	        exchange(e, "GET /healthz?x=%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(q, "HTTP/1.1 200 ", 13) == 0);

	_cleanup_free_ char *cl = exchange(
	        e, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n");
	assert_true(strncmp(cl, "HTTP/1.1 400 ", 13) == 0);
	assert_has(cl, "Content-Length headers disagree");

	/* garbage (a TLS hello), and headers larger than a connection's memory: MHD's own answers */
	_cleanup_free_ char *junk = exchange(e, "\x16\x03\x01 this is not http\r\n\r\n");
	if (strncmp(junk, "HTTP/1.1 400 ", 13) != 0)
		fail_msg("garbage: [%s]", junk);
	char big[20100];
	int n = snprintf(big, sizeof(big), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(big + n, 'a', 20000);
	strcpy(big + n + 20000, "\r\n\r\n");
	_cleanup_free_ char *large = exchange(e, big);
	if (strncmp(large, "HTTP/1.1 431 ", 13) != 0 && strncmp(large, "HTTP/1.1 413 ", 13) != 0)
		fail_msg("large headers: [%s]", large);
	assert_int_equal(e->served.healthz, 1);

	/* a route without a body (out of memory): the connection closes without an answer */
	_cleanup_free_ char *none = exchange(e, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_string_equal(none, "");
	/* and the server goes on */
	_cleanup_free_ char *after =
	        exchange(e, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(after, "HTTP/1.1 200 ", 13) == 0);
}

/* A server that cannot start says why: a bad address, or a port already taken. */
static void test_start_errors(void **state)
{
	struct env *e = *state;
	struct http_server *s = NULL;
	char err[256] = "", addr[32];
	assert_int_equal(http_server_new(e->loop, "localhost:80", routes, ARRAY_SIZE(routes), NULL, &s, err,
	                                 sizeof(err)),
	                 -EINVAL);
	assert_true(err[0] != '\0');
	assert_null(s);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", e->port);
	err[0] = '\0';
	assert_int_equal(
	        http_server_new(e->loop, addr, routes, ARRAY_SIZE(routes), NULL, &s, err, sizeof(err)),
	        -EADDRINUSE);
	assert_null(s);
	assert_has(err, addr);
	http_server_free(NULL);
}

static void test_reply_plain(void **state)
{
	(void)state;
	struct http_reply ok = { 0 }, no = { 0 };
	http_reply_plain(&ok, true, "unused\n");
	assert_int_equal(ok.status, 200);
	assert_string_equal(ok.body, "ok\n");
	assert_int_equal(ok.len, 3);
	http_reply_plain(&no, false, "the target is not found\n");
	assert_int_equal(no.status, 503);
	assert_string_equal(no.body, "the target is not found\n");
	assert_int_equal(no.len, strlen(no.body));
	free(ok.body);
	free(no.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_plain),
		cmocka_unit_test_setup_teardown(test_routes_answer, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_not_found_and_not_allowed, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_start_errors, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_stream_route, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
