/* kube_watch: the line framing with hostile streams (a line split across any number of chunks,
 * CRLF, empty lines, a line exactly at its bound and one past it, a callback that stops), the
 * query escape, and the client on a real loop without an API server: a refused connection is a
 * failure followed by a backoff that doubles, a missing token likewise, and nothing leaks. */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "delivery/kube_watch.h"

struct lines {
	char got[16][64];
	size_t n;
	int stop_at; /* return 7 at this line (from 1), 0: never */
};

static int on_line(void *userdata, char *line, size_t len)
{
	struct lines *l = userdata;
	assert_int_equal(strlen(line), len);
	if (l->n < 16)
		snprintf(l->got[l->n], sizeof(l->got[0]), "%s", line);
	l->n++;
	return (int)l->n == l->stop_at ? 7 : 0;
}

static void test_lines(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t used = 0, cap = 0;
	struct lines l = { .n = 0 };
	/* one byte at a time */
	const char *text = "{\"a\":1}\r\n\n\nbc\nd";
	for (const char *p = text; *p; p++)
		assert_int_equal(kube_lines_feed(&buf, &used, &cap, 64, p, 1, on_line, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.got[0], "{\"a\":1}");
	assert_string_equal(l.got[1], "bc");
	assert_int_equal(used, 1); /* "d" waits for its end */
	assert_int_equal(kube_lines_feed(&buf, &used, &cap, 64, "e\nf\ng\n", 6, on_line, &l), 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.got[2], "de");
	assert_string_equal(l.got[3], "f");
	assert_string_equal(l.got[4], "g");
	/* the callback stops: its value back, the rest not read */
	l = (struct lines){ .stop_at = 1 };
	used = 0;
	assert_int_equal(kube_lines_feed(&buf, &used, &cap, 64, "x\ny\n", 4, on_line, &l), 7);
	assert_int_equal(l.n, 1);
	free(buf);
}

static void test_lines_bound(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t used = 0, cap = 0;
	struct lines l = { .n = 0 };
	char big[100];
	memset(big, 'x', sizeof(big));
	/* 15 bytes and its '\n' fit a bound of 16 (the NUL takes the place of the '\n') */
	big[15] = '\n';
	assert_int_equal(kube_lines_feed(&buf, &used, &cap, 16, big, 16, on_line, &l), 0);
	assert_int_equal(l.n, 1);
	assert_true(cap <= 16);
	/* 16 bytes without an end: past it, in one chunk or in many */
	big[15] = 'x';
	assert_int_equal(kube_lines_feed(&buf, &used, &cap, 16, big, 16, on_line, &l), -EMSGSIZE);
	assert_int_equal(used, 0);
	int r = 0;
	for (int i = 0; i < 100 && r == 0; i++)
		r = kube_lines_feed(&buf, &used, &cap, 16, "y", 1, on_line, &l);
	assert_int_equal(r, -EMSGSIZE);
	assert_true(cap <= 16); /* never grown past the bound */
	free(buf);
}

static void test_query_escape(void **state)
{
	(void)state;
	char *s = kube_query_escape("spec.nodeName=node-1");
	assert_string_equal(s, "spec.nodeName%3Dnode-1");
	free(s);
	s = kube_query_escape("a b&c/d?e%\xff~_");
	assert_string_equal(s, "a%20b%26c%2Fd%3Fe%25%FF~_");
	free(s);
	s = kube_query_escape("");
	assert_string_equal(s, "");
	free(s);
}

static unsigned short closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void nop(void *ctx _unused_) {}
static void nop_object(void *ctx _unused_, enum kube_watch_type t _unused_, const struct cJSON *o _unused_) {}

/* Without a server: each failure backs off longer, and the list is tried again. */
static void test_refused_connection_backs_off(void **state)
{
	(void)state;
	char dir[] = "/tmp/memhook-watch-XXXXXX", token[64], url[64];
	assert_non_null(mkdtemp(dir));
	snprintf(token, sizeof(token), "%s/token", dir);
	FILE *f = fopen(token, "w");
	fputs("t\n", f);
	fclose(f);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", closed_port());
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct kube_watch_config cfg = { .api_url = url,
		                         .token_file = token,
		                         .ca_file = "/nonexistent/ca.crt",
		                         .path = "/api/v1/pods",
		                         .field_selector = "spec.nodeName=n",
		                         .what = "test watch",
		                         .backoff_usec = 20 * USEC_PER_MSEC };
	struct kube_watch_ops ops = { nop, nop_object, nop };
	struct kube_watch *w;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	assert_int_equal(kube_watch_new(l, &cfg, &ops, NULL, &w), 0);
	assert_string_equal(kube_watch_resource_version(w), "");
	uint64_t start = now_mono_usec(), end = start + 5 * USEC_PER_SEC;
	struct kube_watch_stats st;
	do {
		assert_true(loop_iterate(l, 50000) >= 0);
		kube_watch_get_stats(w, &st);
	} while (st.failures < 4 && now_mono_usec() < end);
	assert_int_equal(st.failures, 4);
	assert_int_equal(st.lists, 0);
	assert_int_equal(st.watches, 0);
	/* backoffs of at least 10, 20 and 40 ms (half of each bound) came between the 4 attempts */
	assert_true(now_mono_usec() - start >= 70 * USEC_PER_MSEC);
	/* the token gone: a failure too, never a request without one */
	unlink(token);
	do {
		assert_true(loop_iterate(l, 50000) >= 0);
		kube_watch_get_stats(w, &st);
	} while (st.failures < 5 && now_mono_usec() < end);
	assert_int_equal(st.failures, 5);
	kube_watch_free(w);
	loop_free(l);
	rmdir(dir);
}

static void test_bad_config(void **state)
{
	(void)state;
	struct kube_watch_config cfg = { .api_url = "https://x", .token_file = "t", .ca_file = "c" };
	struct kube_watch_ops ops = { nop, nop_object, nop };
	struct kube_watch *w = NULL;
	assert_int_equal(kube_watch_new(NULL, &cfg, &ops, NULL, &w), -EINVAL); /* no path */
	assert_null(w);
	kube_watch_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),        cmocka_unit_test(test_lines_bound),
		cmocka_unit_test(test_query_escape), cmocka_unit_test(test_refused_connection_backs_off),
		cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
