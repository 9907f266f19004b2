/* webhook: POSTs to a real HTTP listener on 127.0.0.1, served from the same loop. */
#include "unit.h"

#include "capture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "output/payload.h"
#include "base/loop.h"
#include "base/util.h"
#include "base/curl_api.h"
#include "delivery/delivery.h"
#include "delivery/webhook.h"

/* This memhook's instance id (struct payload_origin): the first part of every webhook-id. */
#define INSTANCE "0123456789abcdef"

/* header arrays are written as string literals (-Wwrite-strings makes them const). */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#define DEADLINE_USEC (UINT64_C(5) * USEC_PER_SEC)
#define MAX_CONNS     16
#define MAX_REQS      32
#define REQ_BYTES     16384

/* ---- a tiny HTTP/1.1 server on the loop ---- */

struct request {
	char head[REQ_BYTES]; /* request line and headers, NUL-terminated */
	char body[REQ_BYTES];
	size_t body_len;
	uint64_t at_usec;
};

struct server;

struct conn {
	struct server *srv;
	int fd; /* -1: free slot */
	size_t len;
	bool recorded; /* a full request has been read */
	char buf[2 * REQ_BYTES];
};

struct server {
	struct loop *l;
	int lfd;
	uint16_t port;
	bool hold;                       /* record requests but do not answer yet */
	int statuses[MAX_REQS];          /* answer for request i; 0 means 200 */
	const char *extra[MAX_REQS];     /* a response header line for request i ("Name: value") */
	size_t open_reqs, max_open_reqs; /* recorded, not answered: now and at most */
	struct request reqs[MAX_REQS];
	size_t n_reqs;
	struct conn conns[MAX_CONNS];
};

static void conn_close(struct conn *c)
{
	if (c->recorded)
		c->srv->open_reqs--; /* answered, or the client gave up */
	c->recorded = false;
	loop_del_fd(c->srv->l, c->fd);
	close(c->fd);
	c->fd = -1;
}

static void conn_answer(struct conn *c, int status, const char *extra)
{
	char resp[512];
	int n = snprintf(resp, sizeof(resp),
	                 "HTTP/1.1 %d Test\r\n%s%sContent-Length: 2\r\nConnection: close\r\n\r\nok", status,
	                 extra ? extra : "", extra ? "\r\n" : "");
	(void)!write(c->fd, resp, (size_t)n);
	conn_close(c);
}

/* Value of a header in a request head (case-insensitive name), copied into buf; NULL if absent. */
static const char *header(const struct request *r, const char *name, char *buf, size_t size)
{
	size_t n = strlen(name);
	for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2;
		if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			size_t len = strcspn(v, "\r");
			if (len >= size)
				len = size - 1;
			memcpy(buf, v, len);
			buf[len] = '\0';
			return buf;
		}
	}
	return NULL;
}

static void on_conn(struct loop *l _unused_, int fd _unused_, uint32_t events _unused_, void *userdata)
{
	struct conn *c = userdata;
	struct server *s = c->srv;
	ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		conn_close(c); /* the client gave up (timeout) or finished */
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (c->recorded)
		return;
	char *end = strstr(c->buf, "\r\n\r\n");
	if (!end)
		return;
	size_t head_len = (size_t)(end - c->buf);
	struct request tmp = { 0 };
	memcpy(tmp.head, c->buf, head_len < REQ_BYTES - 1 ? head_len : REQ_BYTES - 1);
	char cl[32];
	size_t body_len = header(&tmp, "Content-Length", cl, sizeof(cl)) ? strtoul(cl, NULL, 10) : 0;
	if (c->len < head_len + 4 + body_len)
		return; /* more to come */
	assert_true(s->n_reqs < MAX_REQS);
	struct request *r = &s->reqs[s->n_reqs];
	*r = tmp;
	memcpy(r->body, end + 4, body_len);
	r->body_len = body_len;
	r->at_usec = now_mono_usec();
	int status = s->statuses[s->n_reqs] ? s->statuses[s->n_reqs] : 200;
	const char *extra = s->extra[s->n_reqs];
	s->n_reqs++;
	c->recorded = true;
	if (++s->open_reqs > s->max_open_reqs)
		s->max_open_reqs = s->open_reqs;
	if (!s->hold)
		conn_answer(c, status, extra);
}

static void on_listen(struct loop *l, int fd, uint32_t events _unused_, void *userdata)
{
	struct server *s = userdata;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		struct conn *c = NULL;
		for (size_t i = 0; i < MAX_CONNS && !c; i++)
			if (s->conns[i].fd < 0)
				c = &s->conns[i];
		assert_non_null(c);
		c->fd = cfd;
		c->len = 0;
		c->recorded = false;
		assert_int_equal(loop_add_fd(l, cfd, EPOLLIN, on_conn, c), 0);
	}
}

static void server_start(struct server *s, struct loop *l)
{
	memset(s, 0, sizeof(*s));
	s->l = l;
	for (size_t i = 0; i < MAX_CONNS; i++) {
		s->conns[i].fd = -1;
		s->conns[i].srv = s;
	}
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t alen = sizeof(a);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(listen(s->lfd, 16), 0);
	assert_int_equal(loop_add_fd(l, s->lfd, EPOLLIN, on_listen, s), 0);
}

/* Answers every held request with 200 and stops holding. */
static void server_release(struct server *s)
{
	s->hold = false;
	for (size_t i = 0; i < MAX_CONNS; i++)
		if (s->conns[i].fd >= 0 && s->conns[i].recorded)
			conn_answer(&s->conns[i], 200, NULL);
}

static void server_stop(struct server *s)
{
	for (size_t i = 0; i < MAX_CONNS; i++)
		if (s->conns[i].fd >= 0)
			conn_close(&s->conns[i]);
	loop_del_fd(s->l, s->lfd);
	close(s->lfd);
}

/* A port nobody listens on: bound, then closed. */
static uint16_t closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* ---- fixture ---- */

struct env {
	struct loop *l;
	struct webhook_client *c;
	struct server srv;
	char url[64];
};

static uint64_t random_max(void *userdata)
{
	(void)userdata;
	return UINT64_MAX;
}

/* Another endpoint on the same server: "http://127.0.0.1:PORT<path>". */
static const char *url_at(const struct env *e, const char *path, char buf[96])
{
	snprintf(buf, 96, "http://127.0.0.1:%u%s", e->srv.port, path);
	return buf;
}

static struct env *env_new(size_t cap)
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	assert_int_equal(loop_new(&e->l), 0);
	assert_int_equal(webhook_client_new(e->l, cap, INSTANCE, &e->c), 0);
	server_start(&e->srv, e->l);
	snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%u/hook", e->srv.port);
	/* the backoff's jitter at its top: each retry waits the full backoff, as the timings below want */
	webhook_client_set_random(e->c, random_max, NULL);
	return e;
}

static void env_free(struct env *e)
{
	webhook_client_free(e->c);
	server_stop(&e->srv);
	loop_free(e->l);
	free(e);
}

static struct webhook_cfg cfg_for(const char *url)
{
	return (struct webhook_cfg){ .url = (char *)url,
		                     .timeout_usec = 2 * USEC_PER_SEC,
		                     .retries = 0,
		                     .backoff_usec = 50 * USEC_PER_MSEC,
		                     .tls_verify = true };
}

static uint64_t stat_delivered(const struct webhook_client *c)
{
	struct webhook_stats st;
	webhook_get_stats(c, &st);
	return st.delivered;
}

/* Iterates the loop until pred() holds or the deadline passes. */
#define RUN_UNTIL(e, cond)                                                              \
	({                                                                              \
		uint64_t _end = now_mono_usec() + DEADLINE_USEC;                        \
		while (!(cond) && now_mono_usec() < _end)                               \
			assert_true(loop_iterate((e)->l, _end - now_mono_usec()) >= 0); \
		(cond);                                                                 \
	})

/* The first POST of a process loads and initialises libcurl (a one-time ~10 ms), and the first
 * signature has OpenSSL fetch its HMAC (several ms under ASan); do both up front so the timing
 * checks below see the steady state. */
static int load_curl_once(void **state)
{
	(void)state;
	char err[256], hex[65];
	if (curl_api_load(err, sizeof(err)) < 0 || hmac_sha256_hex("k", 1, "m", 1, hex) < 0)
		return -1;
	return curl_api.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static uint64_t next_seq;

/* Posts the next seq and checks that the call did not wait for the transfer: the server runs on
 * this thread's loop, so nothing can have reached it yet, and a post that waited for an answer
 * would have waited out the transfer's timeout (seconds; the bound leaves room for a loaded
 * sanitizer build). */
static int post_fast(struct env *e, const struct webhook_cfg *cfg, const char *body, const char *tag)
{
	size_t before = e->srv.n_reqs;
	uint64_t start = now_mono_usec();
	int r = webhook_post(e->c, cfg, ++next_seq, body, strlen(body), tag);
	assert_true(now_mono_usec() - start < 500 * USEC_PER_MSEC);
	assert_int_equal(e->srv.n_reqs, before);
	return r;
}

/* ---- tests ---- */

/* HMAC computed here with OpenSSL directly, not through the code under test. */
static void expected_signature(const char *key, const void *msg, size_t len, char out[80])
{
	unsigned char md[32];
	unsigned int md_len = 0;
	assert_non_null(HMAC(EVP_sha256(), key, (int)strlen(key), msg, len, md, &md_len));
	assert_int_equal(md_len, 32);
	int n = sprintf(out, "sha256=");
	for (unsigned i = 0; i < md_len; i++)
		n += sprintf(out + n, "%02x", md[i]);
}

static void test_delivered_with_headers_and_signature(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	setenv("MEMHOOK_TEST_SECRET", "topsecret", 1);
	char *headers[] = { "X-Custom: yes", "Authorization: Bearer abc", NULL };
	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.headers = headers;
	cfg.secret_env = "MEMHOOK_TEST_SECRET";
	cfg.signature_header = "X-Hub-Signature-256";
	/* UTF-8, escapes, and 3000 bytes: beyond where curl would otherwise send Expect: 100-continue */
	char body[3100];
	int n = snprintf(body, sizeof(body),
	                 "{\"event\":\"entered\",\"name\":\"h\\u00e9 \xc3\xa9\\n\",\"pad\":\"");
	memset(body + n, 'x', 3000);
	strcpy(body + n + 3000, "\"}");

	assert_int_equal(post_fast(e, &cfg, body, "h1"), 0);
	assert_int_equal(webhook_pending(e->c), 1);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 1));
	assert_int_equal(webhook_pending(e->c), 0);

	assert_int_equal(e->srv.n_reqs, 1);
	struct request *r = &e->srv.reqs[0];
	assert_int_equal(r->body_len, strlen(body));
	assert_memory_equal(r->body, body, strlen(body));
	assert_true(strncmp(r->head, "POST /hook HTTP/1.1\r\n", 21) == 0);
	char v[256], want[80];
	assert_string_equal(header(r, "Content-Type", v, sizeof(v)), "application/json");
	assert_string_equal(header(r, "User-Agent", v, sizeof(v)), "memhook/" MEMHOOK_VERSION);
	assert_string_equal(header(r, "X-Custom", v, sizeof(v)), "yes");
	assert_string_equal(header(r, "Authorization", v, sizeof(v)), "Bearer abc");
	assert_null(header(r, "Expect", v, sizeof(v)));
	expected_signature("topsecret", body, strlen(body), want);
	assert_string_equal(header(r, "X-Hub-Signature-256", v, sizeof(v)), want);

	struct webhook_stats st;
	webhook_get_stats(e->c, &st);
	assert_int_equal(st.queued, 1);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.retried, 0);
	assert_int_equal(st.dropped, 0);
	unsetenv("MEMHOOK_TEST_SECRET");
	env_free(e);
}

static void test_secret_file_and_missing_secrets(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	char path[64];
	snprintf(path, sizeof(path), "/tmp/memhook-secret-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\n", 7), 7); /* one trailing newline is not part of it */
	close(fd);

	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.secret_file = path;
	const char *body = "{\"a\":1}";
	assert_int_equal(post_fast(e, &cfg, body, "file"), 0);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 1));
	char v[256], want[80];
	expected_signature("s3cret", body, strlen(body), want);
	assert_string_equal(header(&e->srv.reqs[0], "X-Memhook-Signature", v, sizeof(v)), want);
	unlink(path);

	/* unreadable secrets: refused, nothing queued */
	assert_int_equal(webhook_post(e->c, &cfg, ++next_seq, body, strlen(body), "file"), -ENOENT);
	struct webhook_cfg env_cfg = cfg_for(e->url);
	unsetenv("MEMHOOK_TEST_NO_SUCH_SECRET");
	env_cfg.secret_env = "MEMHOOK_TEST_NO_SUCH_SECRET";
	assert_int_equal(webhook_post(e->c, &env_cfg, ++next_seq, body, strlen(body), "env"), -ENOENT);
	/* too big to be a secret (more than 4 KiB) */
	fd = mkstemp(strcpy(path, "/tmp/memhook-secret-XXXXXX"));
	assert_true(fd >= 0);
	char junk[5000];
	memset(junk, 'k', sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(webhook_post(e->c, &cfg, ++next_seq, body, strlen(body), "big"), -EFBIG);
	unlink(path);
	/* a FIFO or a directory is no secret file: refused at once, never waited on (alarm: a blocking
	 * open kills the test) */
	char dir[] = "/tmp/memhook-secret-XXXXXX";
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(webhook_post(e->c, &cfg, ++next_seq, body, strlen(body), "fifo"), -EBADFD);
	alarm(0);
	cfg.secret_file = dir;
	assert_int_equal(webhook_post(e->c, &cfg, ++next_seq, body, strlen(body), "dir"), -EBADFD);
	unlink(path);
	rmdir(dir);
	assert_int_equal(webhook_pending(e->c), 0);
	struct webhook_stats st;
	webhook_get_stats(e->c, &st);
	assert_int_equal(st.queued, 1);
	env_free(e);
}

static void test_retry_after_500_then_200(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	e->srv.statuses[0] = 500;
	e->srv.statuses[1] = 503;
	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.retries = 3;
	cfg.backoff_usec = 50 * USEC_PER_MSEC;

	assert_int_equal(post_fast(e, &cfg, "{\"n\":1}", "retry"), 0);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 1));
	assert_int_equal(e->srv.n_reqs, 3);
	for (size_t i = 0; i < 3; i++)
		assert_memory_equal(e->srv.reqs[i].body, "{\"n\":1}", 7);
	/* backoff, then twice the backoff */
	assert_true(e->srv.reqs[1].at_usec - e->srv.reqs[0].at_usec >= 50 * USEC_PER_MSEC);
	assert_true(e->srv.reqs[2].at_usec - e->srv.reqs[1].at_usec >= 100 * USEC_PER_MSEC);
	struct webhook_stats st;
	webhook_get_stats(e->c, &st);
	assert_int_equal(st.retried, 2);
	assert_int_equal(st.failed, 0);
	assert_int_equal(webhook_pending(e->c), 0);
	env_free(e);
}

static void test_http_errors_exhaust_retries(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	for (size_t i = 0; i < MAX_REQS; i++)
		e->srv.statuses[i] = 404;
	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.retries = 1;
	cfg.backoff_usec = 10 * USEC_PER_MSEC;
	assert_int_equal(post_fast(e, &cfg, "{}", "nf"), 0);
	struct webhook_stats st = { 0 };
	assert_true(RUN_UNTIL(e, (webhook_get_stats(e->c, &st), st.failed == 1)));
	assert_int_equal(e->srv.n_reqs, 2);
	assert_int_equal(st.retried, 1);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(webhook_pending(e->c), 0);
	env_free(e);
}

static void test_refused_connection(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	char url[64];
	snprintf(url, sizeof(url), "http://user:pw@127.0.0.1:%u/", closed_port());
	setenv("MEMHOOK_TEST_SECRET", "topsecret", 1);
	struct webhook_cfg cfg = cfg_for(url);
	cfg.secret_env = "MEMHOOK_TEST_SECRET";
	cfg.retries = 2;
	cfg.backoff_usec = 20 * USEC_PER_MSEC;
	uint64_t start = now_mono_usec();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	capture_start();
	assert_int_equal(post_fast(e, &cfg, "{}", "refused"), 0);
	struct webhook_stats st = { 0 };
	bool ok = RUN_UNTIL(e, (webhook_get_stats(e->c, &st), st.failed == 1));
	_cleanup_free_ char *log = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	assert_true(ok);
	/* each failure logged with tag, URL (credentials masked) and attempt; never the secret */
	assert_non_null(strstr(log, "warn: webhook refused: POST http://***@127.0.0.1:"));
	assert_non_null(strstr(log, "(attempt 1/3), retrying in 20 ms"));
	assert_non_null(strstr(log, "(attempt 2/3), retrying in 40 ms"));
	assert_non_null(strstr(log, "(attempt 3/3), giving up"));
	assert_null(strstr(log, "pw@"));
	assert_null(strstr(log, "topsecret"));
	unsetenv("MEMHOOK_TEST_SECRET");
	/* three attempts with 20 + 40 ms between them */
	assert_true(now_mono_usec() - start >= 60 * USEC_PER_MSEC);
	assert_int_equal(st.retried, 2);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(webhook_pending(e->c), 0);
	env_free(e);
}

static void test_timeout(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	e->srv.hold = true; /* accepts, reads, never answers */
	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.timeout_usec = 200 * USEC_PER_MSEC;
	uint64_t start = now_mono_usec();
	assert_int_equal(post_fast(e, &cfg, "{}", "slow"), 0);
	struct webhook_stats st = { 0 };
	assert_true(RUN_UNTIL(e, (webhook_get_stats(e->c, &st), st.failed == 1)));
	uint64_t took = now_mono_usec() - start;
	assert_true(took >= 200 * USEC_PER_MSEC);
	assert_true(took < 2 * USEC_PER_SEC);
	assert_int_equal(e->srv.n_reqs, 1);
	assert_int_equal(st.delivered, 0);
	env_free(e);
}

/* cap 2 with both jobs in flight (two endpoints, one transfer each): nothing is waiting, so each
 * new post is the one dropped. */
static void test_queue_full_in_flight(void **state)
{
	(void)state;
	struct env *e = env_new(2);
	e->srv.hold = true;
	char ua[96], ub[96];
	struct webhook_cfg a = cfg_for(url_at(e, "/a", ua)), b = cfg_for(url_at(e, "/b", ub));
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	capture_start();
	assert_int_equal(post_fast(e, &a, "1", "q"), 0);
	assert_int_equal(post_fast(e, &b, "2", "q"), 0);
	assert_int_equal(post_fast(e, &a, "3", "q"), 0);
	assert_int_equal(post_fast(e, &b, "4", "q"), 0);
	assert_int_equal(post_fast(e, &a, "5", "q"), 0);
	_cleanup_free_ char *log = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	/* the log says which event went: the new one, never "oldest" */
	assert_non_null(strstr(log, "queue full, dropped the new event (3 dropped so far)"));
	assert_null(strstr(log, "oldest"));
	struct webhook_stats st;
	webhook_get_stats(e->c, &st);
	assert_int_equal(st.queued, 5);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(st.dropped_full, 3);
	assert_int_equal(webhook_pending(e->c), 2);

	assert_true(RUN_UNTIL(e, e->srv.n_reqs == 2));
	server_release(&e->srv);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 2));
	assert_memory_equal(e->srv.reqs[0].body, "1", 1);
	assert_memory_equal(e->srv.reqs[1].body, "2", 1);
	/* nothing else arrives */
	assert_true(loop_iterate(e->l, 100 * USEC_PER_MSEC) >= 0);
	assert_int_equal(e->srv.n_reqs, 2);
	assert_int_equal(webhook_pending(e->c), 0);
	env_free(e);
}

/* cap 6: four endpoints with one transfer in flight each, two jobs waiting; the seventh post
 * pushes out the oldest waiting one (5). At most four transfers at once over all endpoints. */
static void test_queue_drops_oldest_waiting(void **state)
{
	(void)state;
	struct env *e = env_new(6);
	e->srv.hold = true;
	char u[5][96];
	struct webhook_cfg cfg[5];
	for (int i = 0; i < 5; i++) {
		char path[8];
		snprintf(path, sizeof(path), "/%c", 'a' + i);
		cfg[i] = cfg_for(url_at(e, path, u[i]));
	}
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	capture_start();
	for (int i = 0; i < 4; i++) /* 1..4 to a..d: in flight */
		assert_int_equal(post_fast(e, &cfg[i], (const char *[]){ "1", "2", "3", "4" }[i], "q"), 0);
	assert_int_equal(post_fast(e, &cfg[0], "5", "q"), 0); /* behind 1 */
	assert_int_equal(post_fast(e, &cfg[4], "6", "q"), 0); /* e: waits for room in flight */
	assert_int_equal(post_fast(e, &cfg[1], "7", "q"), 0); /* behind 2; pushes 5 out */
	_cleanup_free_ char *log = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	assert_non_null(strstr(log, "queue full, dropped the oldest waiting event (1 dropped so far)"));
	assert_null(strstr(log, "new event"));
	struct webhook_stats st;
	webhook_get_stats(e->c, &st);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(webhook_pending(e->c), 6);

	assert_true(RUN_UNTIL(e, e->srv.n_reqs == 4)); /* at most four at once */
	assert_true(loop_iterate(e->l, 100 * USEC_PER_MSEC) >= 0);
	assert_int_equal(e->srv.n_reqs, 4);
	server_release(&e->srv);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 6));
	char seen[8] = "";
	for (size_t i = 0; i < e->srv.n_reqs; i++)
		seen[e->srv.reqs[i].body[0] - '1'] = 'y';
	assert_int_equal(e->srv.n_reqs, 6);
	assert_memory_equal(seen, "yyyy\0yy", 7); /* 5 never arrived */
	assert_true(e->srv.max_open_reqs <= 4);
	env_free(e);
}

static void test_free_aborts_and_bad_args(void **state)
{
	(void)state;
	struct env *e = env_new(4);
	e->srv.hold = true;
	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.retries = 5;
	char ub[96];
	struct webhook_cfg other = cfg_for(url_at(e, "/other", ub));
	other.retries = 5;
	assert_int_equal(post_fast(e, &cfg, "{}", "a"), 0);
	assert_int_equal(post_fast(e, &other, "{}", "b"), 0);
	assert_true(RUN_UNTIL(e, e->srv.n_reqs == 2));
	/* freeing with transfers in flight: no callbacks later, no leaks (ASan) */
	webhook_client_free(e->c);
	e->c = NULL;
	assert_true(loop_iterate(e->l, 20 * USEC_PER_MSEC) >= 0);

	struct webhook_client *c;
	assert_int_equal(webhook_client_new(e->l, 0, INSTANCE, &c), -EINVAL);
	assert_int_equal(webhook_client_new(e->l, 1, NULL, &c), -EINVAL);
	assert_int_equal(webhook_client_new(e->l, 1, INSTANCE "0", &c), -EINVAL); /* 17 digits */
	assert_int_equal(webhook_client_new(e->l, 1, INSTANCE, &c), 0);
	assert_int_equal(webhook_post(c, &cfg, 1, NULL, 3, "x"), -EINVAL);
	struct webhook_cfg no_url = cfg_for(NULL);
	assert_int_equal(webhook_post(c, &no_url, 1, "{}", 2, "x"), -EINVAL);
	webhook_client_free(c);
	webhook_client_free(NULL);
	env_free(e);
}

/* ---- order, standard signatures, retries (issue 9) ---- */

/* Full jitter with an injected random value: 0 -> 0, the top -> the full bound, halfway ->
 * half; the bound doubles per attempt and stops at 5 min. */
static void test_retry_delay_jitter(void **state)
{
	(void)state;
	const uint64_t ms = USEC_PER_MSEC;
	assert_int_equal(delivery_retry_delay_usec(500 * ms, 1, true, 0), 0);
	assert_int_equal(delivery_retry_delay_usec(500 * ms, 1, true, UINT64_MAX), 500 * ms);
	assert_int_equal(delivery_retry_delay_usec(500 * ms, 2, true, UINT64_MAX), 1000 * ms);
	assert_int_equal(delivery_retry_delay_usec(500 * ms, 3, true, UINT64_MAX), 2000 * ms);
	uint64_t half = delivery_retry_delay_usec(500 * ms, 3, true, UINT64_C(1) << 63);
	assert_true(half >= 1000 * ms - 1 && half <= 1000 * ms + 1);
	assert_int_equal(delivery_retry_delay_usec(500 * ms, 10, true, UINT64_MAX), 256000 * ms);
	assert_int_equal(delivery_retry_delay_usec(500 * ms, 11, true, UINT64_MAX), 300000 * ms);
	assert_int_equal(delivery_retry_delay_usec(500 * ms, 4000000000u, true, UINT64_MAX), 300000 * ms);
	assert_int_equal(delivery_retry_delay_usec(UINT64_MAX, 3, true, UINT64_MAX), 300000 * ms);
	assert_int_equal(delivery_retry_delay_usec(0, 3, true, UINT64_MAX), 0);
	/* spread: 1000 draws from a simple generator cover the range, none beyond it */
	uint64_t x = 88172645463325252u, lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < 1000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t d = delivery_retry_delay_usec(100 * ms, 2, true, x);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	assert_true(lo < 10 * ms && hi > 190 * ms && hi <= 200 * ms);
}

static void test_parse_retry_after(void **state)
{
	(void)state;
	/* 2026-01-01T00:00:00Z */
	const uint64_t now = UINT64_C(1767225600) * USEC_PER_SEC;
	uint64_t d = 7;
	assert_int_equal(delivery_parse_retry_after("1", now, &d), 0);
	assert_int_equal(d, USEC_PER_SEC);
	assert_int_equal(delivery_parse_retry_after(" 120 ", now, &d), 0);
	assert_int_equal(d, 120 * USEC_PER_SEC);
	assert_int_equal(delivery_parse_retry_after("0", now, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(delivery_parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now, &d), 0);
	assert_int_equal(d, 30 * USEC_PER_SEC);
	assert_int_equal(delivery_parse_retry_after("Thursday, 01-Jan-26 00:01:00 GMT", now, &d), 0);
	assert_int_equal(d, 60 * USEC_PER_SEC);
	assert_int_equal(delivery_parse_retry_after("Thu Jan  1 00:00:02 2026", now, &d), 0);
	assert_int_equal(d, 2 * USEC_PER_SEC);
	/* a date in the past: now */
	assert_int_equal(delivery_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now, &d), 0);
	assert_int_equal(d, 0);
	static const char *const bad[] = {
		"",
		" ",
		"-1",
		"1.5",
		"1s",
		"0x10",
		"99999999999999999999",
		"soon",
		"Thu, 01 Jan 2026 00:00:30",
		"Thu, 01 Jan 2026 00:00:30 GMT x",
		"1111111111111111111111111111111111111111111111111111111111111111"
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		d = 7;
		if (delivery_parse_retry_after(bad[i], now, &d) != -EINVAL)
			fail_msg("Retry-After \"%s\" accepted", bad[i]);
		assert_int_equal(d, 7);
	}
	assert_int_equal(delivery_parse_retry_after(NULL, now, &d), -EINVAL);
}

static void answer_pending_one(struct server *s)
{
	for (size_t i = 0; i < MAX_CONNS; i++)
		if (s->conns[i].fd >= 0 && s->conns[i].recorded) {
			conn_answer(&s->conns[i], 200, NULL);
			return;
		}
}

/* One endpoint: one transfer at a time, in the order posted, even while the receiver holds the
 * first; another endpoint is not held by it. */
static void test_order_per_endpoint(void **state)
{
	(void)state;
	struct env *e = env_new(16);
	e->srv.hold = true;
	char ub[96];
	struct webhook_cfg a = cfg_for(e->url), b = cfg_for(url_at(e, "/b", ub));
	assert_int_equal(post_fast(e, &a, "{\"n\":1}", "a"), 0);
	assert_int_equal(post_fast(e, &a, "{\"n\":2}", "a"), 0);
	assert_int_equal(post_fast(e, &a, "{\"n\":3}", "a"), 0);
	assert_int_equal(post_fast(e, &b, "{\"n\":9}", "b"), 0);
	/* a's first and b's only are in flight; a's 2 and 3 wait for 1 */
	assert_true(RUN_UNTIL(e, e->srv.n_reqs == 2));
	assert_true(loop_iterate(e->l, 150 * USEC_PER_MSEC) >= 0);
	assert_int_equal(e->srv.n_reqs, 2);
	for (int k = 0; k < 3; k++) {
		answer_pending_one(&e->srv);
		assert_true(RUN_UNTIL(e, e->srv.open_reqs >= 1 || webhook_pending(e->c) == 0));
	}
	server_release(&e->srv);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 4));
	int order_a[3], na = 0;
	for (size_t i = 0; i < e->srv.n_reqs; i++)
		if (strstr(e->srv.reqs[i].head, "POST /hook "))
			order_a[na++] = e->srv.reqs[i].body[5] - '0';
	assert_int_equal(na, 3);
	assert_int_equal(order_a[0], 1);
	assert_int_equal(order_a[1], 2);
	assert_int_equal(order_a[2], 3);
	env_free(e);
}

/* A retried event holds the later ones of its endpoint: 1 (503), 1 again, then 2. The retry keeps
 * its webhook-id, and gets a timestamp and a signature of its own. */
static void test_retry_holds_later_and_keeps_id(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	e->srv.statuses[0] = 503;
	setenv("MEMHOOK_TEST_SECRET", "whsec_aGVsbG8gd29ybGQ=", 1);
	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.secret_env = "MEMHOOK_TEST_SECRET";
	cfg.retries = 2;
	cfg.backoff_usec = 1100 * USEC_PER_MSEC; /* the timestamps (seconds) differ */
	assert_int_equal(webhook_post(e->c, &cfg, 41, "{\"n\":1}", 7, "r"), 0);
	assert_int_equal(webhook_post(e->c, &cfg, 42, "{\"n\":2}", 7, "r"), 0);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 2));
	assert_int_equal(e->srv.n_reqs, 3);
	assert_memory_equal(e->srv.reqs[0].body, "{\"n\":1}", 7);
	assert_memory_equal(e->srv.reqs[1].body, "{\"n\":1}", 7);
	assert_memory_equal(e->srv.reqs[2].body, "{\"n\":2}", 7);
	char id0[128], id1[128], id2[128], ts0[32], ts1[32], sig1[128], want_id[128];
	assert_non_null(header(&e->srv.reqs[0], "webhook-id", id0, sizeof(id0)));
	assert_non_null(header(&e->srv.reqs[1], "webhook-id", id1, sizeof(id1)));
	assert_non_null(header(&e->srv.reqs[2], "webhook-id", id2, sizeof(id2)));
	assert_string_equal(id0, id1);
	assert_string_not_equal(id1, id2);
	snprintf(want_id, sizeof(want_id), "msg_%s_41_", INSTANCE);
	assert_true(strncmp(id0, want_id, strlen(want_id)) == 0);
	assert_int_equal(strlen(id0), strlen(want_id) + 8);
	assert_non_null(header(&e->srv.reqs[0], "webhook-timestamp", ts0, sizeof(ts0)));
	assert_non_null(header(&e->srv.reqs[1], "webhook-timestamp", ts1, sizeof(ts1)));
	assert_true(strtoull(ts1, NULL, 10) > strtoull(ts0, NULL, 10));
	uint64_t now_sec = now_real_usec() / USEC_PER_SEC;
	assert_true(strtoull(ts1, NULL, 10) <= now_sec && strtoull(ts1, NULL, 10) + 5 >= now_sec);
	/* verified here with OpenSSL directly: HMAC-SHA256("hello world", "id.ts.body"), base64 */
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "%s.%s.{\"n\":1}", id1, ts1);
	unsigned char md[32];
	unsigned int md_len = 0;
	assert_non_null(HMAC(EVP_sha256(), "hello world", 11, (unsigned char *)msg, (size_t)n, md, &md_len));
	char b64[45], want[64];
	EVP_EncodeBlock((unsigned char *)b64, md, 32);
	snprintf(want, sizeof(want), "v1,%s", b64);
	assert_string_equal(header(&e->srv.reqs[1], "webhook-signature", sig1, sizeof(sig1)), want);
	/* and memhook's own header, keyed with the same decoded key */
	char v[128], hex_want[80];
	unsigned char md2[32];
	assert_non_null(HMAC(EVP_sha256(), "hello world", 11, (unsigned char *)"{\"n\":1}", 7, md2, &md_len));
	n = sprintf(hex_want, "sha256=");
	for (int i = 0; i < 32; i++)
		n += sprintf(hex_want + n, "%02x", md2[i]);
	assert_string_equal(header(&e->srv.reqs[1], "X-Memhook-Signature", v, sizeof(v)), hex_want);
	unsetenv("MEMHOOK_TEST_SECRET");
	env_free(e);
}

/* Two secrets: two signatures; the header selection; no secret: id and timestamp only. */
static void test_rotation_and_header_selection(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	setenv("MEMHOOK_TEST_SECRET", "whsec_b2xk new", 1);
	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.secret_env = "MEMHOOK_TEST_SECRET";
	assert_int_equal(webhook_post(e->c, &cfg, 1, "{}", 2, "rot"), 0);
	cfg.signatures = 1u << WEBHOOK_SIGNATURE_MEMHOOK;
	assert_int_equal(webhook_post(e->c, &cfg, 2, "{}", 2, "mh"), 0);
	cfg.signatures = 1u << WEBHOOK_SIGNATURE_STANDARD;
	assert_int_equal(webhook_post(e->c, &cfg, 3, "{}", 2, "std"), 0);
	struct webhook_cfg plain = cfg_for(e->url);
	assert_int_equal(webhook_post(e->c, &plain, 4, "{}", 2, "none"), 0);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 4));

	char v[256], id[128], ts[32], s1[45], s2[45], want[128];
	struct request *r = &e->srv.reqs[0];
	header(r, "webhook-id", id, sizeof(id));
	header(r, "webhook-timestamp", ts, sizeof(ts));
	assert_int_equal(webhook_sign_standard("old", 3, id, strtoull(ts, NULL, 10), "{}", 2, s1), 0);
	assert_int_equal(webhook_sign_standard("new", 3, id, strtoull(ts, NULL, 10), "{}", 2, s2), 0);
	snprintf(want, sizeof(want), "v1,%s v1,%s", s1, s2);
	assert_string_equal(header(r, "webhook-signature", v, sizeof(v)), want);
	assert_non_null(header(r, "X-Memhook-Signature", v, sizeof(v))); /* the first key's */
	/* "memhook" only */
	r = &e->srv.reqs[1];
	assert_null(header(r, "webhook-id", v, sizeof(v)));
	assert_null(header(r, "webhook-signature", v, sizeof(v)));
	assert_non_null(header(r, "X-Memhook-Signature", v, sizeof(v)));
	/* "standard" only */
	r = &e->srv.reqs[2];
	assert_non_null(header(r, "webhook-signature", v, sizeof(v)));
	assert_null(header(r, "X-Memhook-Signature", v, sizeof(v)));
	/* no secret: nothing signed, still an id to deduplicate on and a timestamp */
	r = &e->srv.reqs[3];
	assert_non_null(header(r, "webhook-id", v, sizeof(v)));
	assert_non_null(header(r, "webhook-timestamp", v, sizeof(v)));
	assert_null(header(r, "webhook-signature", v, sizeof(v)));
	assert_null(header(r, "X-Memhook-Signature", v, sizeof(v)));
	/* a whsec_ secret that is not base64 is refused with a warning, nothing queued */
	setenv("MEMHOOK_TEST_SECRET", "whsec_not*base64", 1);
	cfg.signatures = 0;
	assert_int_equal(webhook_post(e->c, &cfg, 5, "{}", 2, "bad"), -EINVAL);
	assert_int_equal(webhook_pending(e->c), 0);
	unsetenv("MEMHOOK_TEST_SECRET");
	env_free(e);
}

/* 429 with Retry-After: 1 is waited for, not the 10 ms backoff. */
static void test_retry_after_header(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	e->srv.statuses[0] = 429;
	e->srv.extra[0] = "Retry-After: 1";
	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.retries = 1;
	cfg.backoff_usec = 10 * USEC_PER_MSEC;
	assert_int_equal(post_fast(e, &cfg, "{}", "ra"), 0);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 1));
	assert_int_equal(e->srv.n_reqs, 2);
	assert_true(e->srv.reqs[1].at_usec - e->srv.reqs[0].at_usec >= USEC_PER_SEC);
	/* a Retry-After beyond max_age: dropped at once, counted, never retried */
	e->srv.statuses[2] = 503;
	e->srv.extra[2] = "Retry-After: 30";
	cfg.max_age_usec = 2 * USEC_PER_SEC;
	assert_int_equal(post_fast(e, &cfg, "{}", "ra"), 0);
	struct webhook_stats st = { 0 };
	assert_true(RUN_UNTIL(e, (webhook_get_stats(e->c, &st), st.dropped_expired == 1)));
	assert_int_equal(e->srv.n_reqs, 3);
	assert_int_equal(webhook_pending(e->c), 0);
	env_free(e);
}

/* 410 Gone disables the handler (its cfg id) at once: its later events are dropped, never sent;
 * another handler's (a reloaded policy's) still go, and carry dropped_before. */
static void test_gone_disables_handler(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	e->srv.statuses[0] = 410;
	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.id = 1001;
	cfg.retries = 3;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	capture_start();
	assert_int_equal(webhook_post(e->c, &cfg, 1, "{\"n\":1}", 7, "g"), 0);
	assert_int_equal(webhook_post(e->c, &cfg, 2, "{\"n\":2}", 7, "g"), 0);
	struct webhook_stats st = { 0 };
	assert_true(RUN_UNTIL(e, webhook_pending(e->c) == 0));
	assert_int_equal(webhook_post(e->c, &cfg, 3, "{\"n\":3}", 7, "g"), 0);
	assert_true(RUN_UNTIL(e, webhook_pending(e->c) == 0));
	_cleanup_free_ char *log = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	webhook_get_stats(e->c, &st);
	assert_int_equal(e->srv.n_reqs, 1);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.retried, 0);
	assert_int_equal(st.dropped_gone, 2);
	assert_int_equal(st.queued, st.delivered + st.failed + st.dropped);
	const char *first = strstr(log, "410 Gone");
	assert_non_null(first);
	assert_null(strstr(first + 1, "410 Gone")); /* logged once */
	cfg.id = 1002;                              /* the handler of a reloaded policy */
	assert_int_equal(webhook_post(e->c, &cfg, 4, "{\"n\":4}", 7, "g"), 0);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 1));
	assert_int_equal(e->srv.n_reqs, 2);
	assert_string_equal(e->srv.reqs[1].body, "{\"n\":4,\"dropped_before\":3}");
	env_free(e);
}

/* A 3xx is a failure naming the redirect, never followed and never retried. */
static void test_redirect_not_followed(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	char elsewhere[160];
	snprintf(elsewhere, sizeof(elsewhere), "Location: http://u:pw@127.0.0.1:%u/elsewhere", e->srv.port);
	e->srv.statuses[0] = 307;
	e->srv.extra[0] = elsewhere;
	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.retries = 3;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	capture_start();
	assert_int_equal(post_fast(e, &cfg, "{}", "redir"), 0);
	struct webhook_stats st = { 0 };
	bool ok = RUN_UNTIL(e, (webhook_get_stats(e->c, &st), st.failed == 1));
	assert_true(loop_iterate(e->l, 100 * USEC_PER_MSEC) >= 0);
	_cleanup_free_ char *log = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	assert_true(ok);
	assert_int_equal(e->srv.n_reqs, 1);
	assert_int_equal(st.retried, 0);
	assert_non_null(strstr(log, "HTTP 307: redirect to http://***@127.0.0.1:"));
	assert_non_null(strstr(log, "/elsewhere not followed"));
	assert_null(strstr(log, "pw@"));
	env_free(e);
}

/* Events waiting behind a stuck one past max_age are dropped (by the timer, not when they come
 * up) and the next delivered one says how many: dropped_before. */
static void test_max_age_and_dropped_before(void **state)
{
	(void)state;
	struct env *e = env_new(8);
	e->srv.hold = true;
	struct webhook_cfg cfg = cfg_for(e->url);
	cfg.max_age_usec = 300 * USEC_PER_MSEC;
	cfg.timeout_usec = 3 * USEC_PER_SEC;
	assert_int_equal(webhook_post(e->c, &cfg, 1, "{\"n\":1}", 7, "age"), 0);
	assert_int_equal(webhook_post(e->c, &cfg, 2, "{\"n\":2}", 7, "age"), 0);
	assert_int_equal(webhook_post(e->c, &cfg, 3, "{ }", 3, "age"), 0);
	struct webhook_stats st = { 0 };
	assert_true(RUN_UNTIL(e, (webhook_get_stats(e->c, &st), st.dropped_expired == 2)));
	assert_int_equal(webhook_pending(e->c), 1); /* 1, in flight, goes on */
	server_release(&e->srv);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 1));
	assert_int_equal(webhook_post(e->c, &cfg, 4, "{\"n\":4}", 7, "age"), 0);
	assert_int_equal(webhook_post(e->c, &cfg, 5, "{}", 2, "age"), 0);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 3));
	assert_int_equal(e->srv.n_reqs, 3);
	assert_string_equal(e->srv.reqs[0].body, "{\"n\":1}");
	assert_string_equal(e->srv.reqs[1].body, "{\"n\":4,\"dropped_before\":2}");
	assert_string_equal(e->srv.reqs[2].body, "{}"); /* nothing lost since 4 */
	webhook_get_stats(e->c, &st);
	assert_int_equal(st.queued, st.delivered + st.failed + st.dropped);
	/* an empty object gets the field without a comma */
	assert_int_equal(webhook_post(e->c, &cfg, 6, "{}", 2, "age"), 0);
	e->srv.statuses[3] = 500;
	cfg.retries = 0;
	assert_true(RUN_UNTIL(e, webhook_pending(e->c) == 0));
	assert_int_equal(webhook_post(e->c, &cfg, 7, "{ }", 3, "age"), 0);
	assert_true(RUN_UNTIL(e, stat_delivered(e->c) == 4));
	assert_string_equal(e->srv.reqs[4].body, "{ \"dropped_before\":1}");
	env_free(e);
}

int main(void)
{
	/* failures are logged at warn: keep the output to the failing tests */
	log_setup(LOG_FORMAT_TEXT, getenv("MEMHOOK_TEST_VERBOSE") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivered_with_headers_and_signature),
		cmocka_unit_test(test_secret_file_and_missing_secrets),
		cmocka_unit_test(test_retry_after_500_then_200),
		cmocka_unit_test(test_http_errors_exhaust_retries),
		cmocka_unit_test(test_refused_connection),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_queue_full_in_flight),
		cmocka_unit_test(test_queue_drops_oldest_waiting),
		cmocka_unit_test(test_free_aborts_and_bad_args),
		cmocka_unit_test(test_retry_delay_jitter),
		cmocka_unit_test(test_parse_retry_after),
		cmocka_unit_test(test_order_per_endpoint),
		cmocka_unit_test(test_retry_holds_later_and_keeps_id),
		cmocka_unit_test(test_rotation_and_header_selection),
		cmocka_unit_test(test_retry_after_header),
		cmocka_unit_test(test_gone_disables_handler),
		cmocka_unit_test(test_redirect_not_followed),
		cmocka_unit_test(test_max_age_and_dropped_before),
	};
	return cmocka_run_group_tests(tests, load_curl_once, NULL);
}
