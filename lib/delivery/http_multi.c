/* libcurl's multi interface driven by the loop (http_multi.h): CURLMOPT_SOCKETFUNCTION registers
 * curl's sockets with the loop's epoll, CURLMOPT_TIMERFUNCTION becomes one loop timer, and
 * completions are read after each socket or timer action. Each multi handle is one user of libcurl's
 * global state (curl_api_global_acquire): curl_global_cleanup runs when the last is freed. */
#include "delivery/http_multi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"

#include "base/curl_calls.h" /* every libcurl call through the table curl_api_load() fills */

struct http_multi {
	struct loop *loop;
	CURLM *multi;
	uint64_t timer_id;
	char *noproxy; /* CURLOPT_NOPROXY of every transfer */
};

/* Hands every finished transfer to its owner. */
static void check_completions(struct http_multi *h)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(h->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result; /* msg is invalid after remove_handle */
		char *priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		curl_multi_remove_handle(h->multi, easy);
		if (priv) {
			struct http_transfer *t = (struct http_transfer *)(void *)priv;
			t->done(t, result);
		}
	}
}

static void on_socket_ready(struct loop *l _unused_, int fd, uint32_t events, void *userdata)
{
	struct http_multi *h = userdata;
	int flags = 0, running;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	check_completions(h);
}

static int socket_cb(CURL *easy _unused_, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http_multi *h = userp;

	if (what == CURL_POLL_REMOVE) {
		if (socketp) {
			loop_del_fd(h->loop, s);
			curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	uint32_t events = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	if (socketp) {
		if (loop_mod_fd(h->loop, s, events) == 0)
			return 0;
		loop_del_fd(h->loop, s); /* stale registration: start over */
	}
	int r = loop_add_fd(h->loop, s, events, on_socket_ready, h);
	if (r == -EEXIST) {
		/* A watch left behind for a closed socket whose number curl reused. */
		loop_del_fd(h->loop, s);
		r = loop_add_fd(h->loop, s, events, on_socket_ready, h);
	}
	if (r < 0) {
		log_debug("http: cannot watch socket %d: %s", (int)s, strerror(-r));
		return -1;
	}
	curl_multi_assign(h->multi, s, h); /* any non-NULL marks "watched" */
	return 0;
}

static void on_curl_timer(struct loop *l _unused_, void *userdata)
{
	struct http_multi *h = userdata;
	int running;
	h->timer_id = 0;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_completions(h);
}

static int timer_cb(CURLM *multi _unused_, long timeout_ms, void *userp)
{
	struct http_multi *h = userp;
	if (h->timer_id) {
		loop_cancel_timer(h->loop, h->timer_id);
		h->timer_id = 0;
	}
	if (timeout_ms < 0)
		return 0;
	h->timer_id = loop_add_timer(h->loop, now_mono_usec() + (uint64_t)timeout_ms * USEC_PER_MSEC,
	                             on_curl_timer, h);
	return h->timer_id ? 0 : -1;
}

int http_multi_new(struct loop *l, long max_connections, struct http_multi **ret, char *err, size_t err_size)
{
	int r = curl_api_global_acquire(err, err_size);
	if (r < 0)
		return r;
	struct http_multi *h = calloc(1, sizeof(*h));
	if (!h) {
		curl_api_global_release();
		return -ENOMEM;
	}
	h->loop = l;
	const char *user_no_proxy = getenv("NO_PROXY");
	if (!user_no_proxy)
		user_no_proxy = getenv("no_proxy");
	h->noproxy = http_noproxy_list(user_no_proxy);
	h->multi = h->noproxy ? curl_multi_init() : NULL;
	if (!h->multi) {
		curl_api_global_release();
		free(h->noproxy);
		free(h);
		return -ENOMEM;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_connections);
	*ret = h;
	return 0;
}

void http_multi_free(struct http_multi *h)
{
	if (!h)
		return;
	if (h->timer_id)
		loop_cancel_timer(h->loop, h->timer_id);
	h->timer_id = 0;
	curl_multi_cleanup(h->multi); /* may still call socket_cb to remove sockets */
	if (h->timer_id)
		loop_cancel_timer(h->loop, h->timer_id);
	curl_api_global_release();
	free(h->noproxy);
	free(h);
}

int http_multi_add(struct http_multi *h, CURL *easy, struct http_transfer *t)
{
	curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(easy, CURLOPT_NOPROXY, h->noproxy);
	CURLMcode m = curl_multi_add_handle(h->multi, easy);
	if (m != CURLM_OK) {
		log_debug("http: curl_multi_add_handle: %s", curl_multi_strerror(m));
		return -EIO;
	}
	return 0;
}

void http_multi_remove(struct http_multi *h, CURL *easy)
{
	curl_multi_remove_handle(h->multi, easy);
}

size_t http_retry_after_header(char *buf, size_t size, size_t nmemb, void *userdata)
{
	struct http_retry_after *ra = userdata;
	size_t len = size * nmemb;
	static const char name[] = "Retry-After:";
	if (len > sizeof(name) - 1 && strncasecmp(buf, name, sizeof(name) - 1) == 0) {
		const char *v = buf + sizeof(name) - 1;
		size_t n = len - (sizeof(name) - 1);
		while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n'))
			n--;
		ra->has = n <= RETRY_AFTER_MAX_CHARS;
		if (ra->has) {
			memcpy(ra->value, v, n);
			ra->value[n] = '\0';
		}
	}
	return len;
}

int http_header_append(struct curl_slist **headers, const char *h)
{
	struct curl_slist *t = curl_slist_append(*headers, h);
	if (!t)
		return -ENOMEM;
	*headers = t;
	return 0;
}

size_t http_answer_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_answer *a = userdata;
	size_t len = size * nmemb;
	size_t room = HTTP_ANSWER_KEEP_BYTES - a->kept_len;
	size_t take = len < room ? len : room;
	memcpy(a->kept + a->kept_len, ptr, take);
	a->kept_len += take;
	a->kept[a->kept_len] = '\0';
	a->read_bytes += len;
	if (a->read_bytes > HTTP_ANSWER_MAX_BYTES) {
		a->cut = true;
		return 0; /* curl stops the transfer: CURLE_WRITE_ERROR */
	}
	return len;
}

bool http_answered(CURLcode result, const struct http_answer *a)
{
	return result == CURLE_OK || (result == CURLE_WRITE_ERROR && a->cut);
}

char *http_noproxy_list(const char *user_no_proxy)
{
	static const char loopback[] = "localhost,127.0.0.1,127.0.0.0/8,::1";
	char *s;
	while (user_no_proxy && (*user_no_proxy == ' ' || *user_no_proxy == ','))
		user_no_proxy++;
	if (user_no_proxy && strcmp(user_no_proxy, "*") == 0)
		return strdup("*");
	if (!user_no_proxy || !*user_no_proxy)
		return strdup(loopback);
	if (asprintf(&s, "%s,%s", loopback, user_no_proxy) < 0)
		return NULL;
	return s;
}

void http_received_reset(struct http_received *r)
{
	r->answer = (struct http_answer){ .cut = false };
	r->retry_after = (struct http_retry_after){ .has = false };
	r->errbuf[0] = '\0';
}

void http_easy_setup(CURL *e, const char *url, const char *protocols, uint64_t timeout_usec,
                     struct http_received *r)
{
	uint64_t timeout_ms = timeout_usec / USEC_PER_MSEC;
	if (timeout_ms == 0)
		timeout_ms = 1;
	if (timeout_ms > INT32_MAX)
		timeout_ms = INT32_MAX;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* never: a signed body goes nowhere else */
	curl_easy_setopt(e, CURLOPT_USERAGENT, MEMHOOK_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_answer_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->answer);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_retry_after_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &r->retry_after);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	http_received_reset(r);
}
