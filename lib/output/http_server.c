/* libmicrohttpd glue: the listening socket, MHD in external epoll mode on the loop, routing, and
 * what MHD has no option for: the request deadline, and room for a new connection at the limit.
 *
 * memhook accepts connections itself and hands them to MHD (MHD_add_connection). MHD's own
 * listening socket would leave its epoll set at the connection limit and come back only at MHD's
 * next run, which nothing triggers once the connections have gone: /healthz answered nothing for
 * good (issue 16). Accepting here also decides who makes room at a bound (make_room). */
#include "output/http_server_internal.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/mhd_api.h"
#include "base/util.h"

/* ---- requests ---- */

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *content_type, void *body,
                              size_t len, enum MHD_ResponseMemoryMode mode)
{
	const union MHD_ConnectionInfo *ci =
	        mhd_api.get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_conn *hc = ci ? ci->socket_context : NULL;
	if (hc)
		hc->answering = true; /* until http_conns_on_completed */
	struct MHD_Response *resp = mhd_api.create_response_from_buffer(len, body, mode);
	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO; /* MHD closes the connection */
	}
	mhd_api.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	mhd_api.add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		mhd_api.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	/* what follows a request we could not read is not a request to read */
	if (status == MHD_HTTP_BAD_REQUEST)
		mhd_api.add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result r = mhd_api.queue_response(c, status, resp);
	mhd_api.destroy_response(resp);
	return r;
}

/* Set as a request's req_cls by on_uri when its path has an encoded NUL. */
static char encoded_nul;

/* Called with the request line's raw URI: MHD decodes the path in place, and "/metrics%00" would
 * reach on_request as "/metrics". Returns &encoded_nul for such a path, else NULL. */
static void *on_uri(void *cls _unused_, const char *uri, struct MHD_Connection *c _unused_)
{
	const char *nul = strstr(uri, "%00");
	return nul && (size_t)(nul - uri) < strcspn(uri, "?") ? &encoded_nul : NULL;
}

struct content_lengths {
	const char *first;
	bool conflict;
};

static enum MHD_Result check_content_length(void *cls, enum MHD_ValueKind kind _unused_, const char *key,
                                            const char *value)
{
	struct content_lengths *cl = cls;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
		return MHD_YES;
	if (!cl->first)
		cl->first = value ? value : "";
	else if (strcmp(cl->first, value ? value : "") != 0)
		cl->conflict = true;
	return MHD_YES;
}

/* Why MHD's parse of the request cannot be trusted, or NULL: an encoded NUL in the path, or
 * Content-Length headers that disagree (RFC 9112 6.3: a message whose length is in doubt is
 * an error; a proxy in front could have framed it the other way). */
static const char *bad_request(struct MHD_Connection *c, void *req_cls)
{
	static const char nul_in_path[] = "bad request: the path has an encoded NUL (%00)\n";
	static const char lengths_disagree[] = "bad request: Content-Length headers disagree\n";
	if (req_cls == &encoded_nul)
		return nul_in_path;
	struct content_lengths cl = { 0 };
	mhd_api.get_connection_values(c, MHD_HEADER_KIND, check_content_length, &cl);
	return cl.conflict ? lengths_disagree : NULL;
}

/* ---- streams ---- */

static void stream_unlink(struct http_stream *st)
{
	for (struct http_stream **pp = &st->s->streams; *pp; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			return;
		}
}

/* libmicrohttpd asks for the next bytes: the source's, or a sleep until http_stream_wake. */
static ssize_t stream_reader(void *cls, uint64_t pos _unused_, char *buf, size_t max)
{
	struct http_stream *st = cls;
	if (st->cut)
		return MHD_CONTENT_READER_END_WITH_ERROR; /* MHD closes the connection */
	size_t n = st->src->read(st->userdata, st->cls, buf, max);
	if (n)
		return (ssize_t)n;
	/* 0 would have MHD ask again at once, for ever (external epoll): it sleeps instead */
	mhd_api.suspend_connection(st->c);
	st->suspended = true;
	return 0;
}

/* The answer is released: the connection is done with it. */
static void stream_free(void *cls)
{
	struct http_stream *st = cls;
	if (st->opened)
		st->src->closed(st->userdata, st->cls);
	stream_unlink(st);
	free(st);
}

const char *http_stream_header(struct http_stream *st, const char *name)
{
	return mhd_api.lookup_connection_value(st->c, MHD_HEADER_KIND, name);
}

void http_stream_wake(struct http_stream *st)
{
	if (!st->suspended)
		return;
	st->suspended = false;
	mhd_api.resume_connection(st->c);
	http_conns_kick(st->s);
}

void http_stream_cut(struct http_stream *st)
{
	if (st->cut)
		return;
	st->cut = true;
	if (st->fd >= 0) {
		/* its unsent bytes are dropped: a reset, not a FIN queued behind them that a reader
		 * which stopped would never see */
		struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
		(void)setsockopt(st->fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
		shutdown(st->fd, SHUT_RDWR);
	}
	if (st->suspended) {
		st->suspended = false;
		mhd_api.resume_connection(st->c); /* the reader answers the end */
		http_conns_kick(st->s);
	}
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *content_type, void *body,
                              size_t len, enum MHD_ResponseMemoryMode mode);

/* A stream route's answer: 200 and the source's bytes as they come (chunked), or 503 / 400 when
 * the source will not open. HEAD: the headers only. */
static enum MHD_Result start_stream(struct http_server *s, struct MHD_Connection *c,
                                    const struct http_stream_source *src, void *userdata, bool head)
{
	static const char text[] = "text/plain; charset=utf-8";
	static const char busy[] = "too many subscribers\n";
	static const char bad[] = "bad request: Last-Event-ID is not a number\n";
	if (head)
		return answer(c, MHD_HTTP_OK, src->content_type, (char *)"", 0, MHD_RESPMEM_PERSISTENT);
	const union MHD_ConnectionInfo *ci =
	        mhd_api.get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_conn *hc = ci ? ci->socket_context : NULL;
	struct http_stream *st = calloc(1, sizeof(*st));
	if (!st)
		return MHD_NO;
	*st = (struct http_stream){
		.s = s, .c = c, .src = src, .userdata = userdata, .fd = hc ? hc->fd : -1
	};
	int r = src->open(userdata, st, &st->cls);
	if (r < 0) {
		free(st);
		if (r == -EBUSY)
			return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, text, (char *)busy, strlen(busy),
			              MHD_RESPMEM_PERSISTENT);
		if (r == -EINVAL)
			return answer(c, MHD_HTTP_BAD_REQUEST, text, (char *)bad, strlen(bad),
			              MHD_RESPMEM_PERSISTENT);
		return MHD_NO;
	}
	st->opened = true;
	st->next = s->streams;
	s->streams = st;
	struct MHD_Response *resp =
	        mhd_api.create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_reader, st, stream_free);
	if (!resp) {
		stream_free(st);
		return MHD_NO;
	}
	if (hc) {
		hc->stream = true;
		hc->answering = true;
		int sndbuf = SSE_SNDBUF_BYTES; /* no autotuning: a reader that stopped shows */
		(void)setsockopt(hc->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	mhd_api.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, src->content_type);
	mhd_api.add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	mhd_api.add_response_header(resp, "X-Accel-Buffering", "no"); /* nginx: pass each event on */
	enum MHD_Result ok = mhd_api.queue_response(c, MHD_HTTP_OK, resp);
	mhd_api.destroy_response(resp); /* stream_free when the connection lets it go */
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version _unused_, const char *upload_data _unused_,
                                  size_t *upload_data_size _unused_, void **req_cls)
{
	struct http_server *s = cls;
	static const char text[] = "text/plain; charset=utf-8";
	/* MHD takes a void *; MHD_RESPMEM_PERSISTENT never writes or frees it */
	static const char not_allowed[] = "method not allowed: GET or HEAD\n";
	static const char not_found[] = "not found: /metrics, /healthz, /readyz\n";
	const char *bad = bad_request(c, *req_cls);
	if (bad)
		return answer(c, MHD_HTTP_BAD_REQUEST, text, (char *)bad, strlen(bad),
		              MHD_RESPMEM_PERSISTENT);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, (char *)not_allowed, strlen(not_allowed),
		              MHD_RESPMEM_PERSISTENT);
	for (size_t i = 0; i < s->n_routes; i++) {
		if (strcmp(url, s->routes[i].path) != 0)
			continue;
		void *userdata = s->routes[i].userdata ? s->routes[i].userdata : s->userdata;
		if (s->routes[i].stream)
			return start_stream(s, c, s->routes[i].stream, userdata,
			                    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0);
		struct http_reply reply = { .status = MHD_HTTP_INTERNAL_SERVER_ERROR, .content_type = text };
		s->routes[i].fn(userdata, &reply);
		if (!reply.body)
			return MHD_NO; /* out of memory: the connection is closed */
		return answer(c, reply.status, reply.content_type, reply.body, reply.len,
		              MHD_RESPMEM_MUST_FREE);
	}
	return answer(c, MHD_HTTP_NOT_FOUND, text, (char *)not_found, strlen(not_found),
	              MHD_RESPMEM_PERSISTENT);
}

static void mhd_log(void *cls _unused_, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

int http_server_new(struct loop *l, const char *listen, const struct http_route *routes, size_t n_routes,
                    void *userdata, struct http_server **ret, char *err, size_t err_size)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int r = http_parse_listen(listen, &sa, &len, err, err_size);
	if (r < 0)
		return r;
	if ((r = mhd_api_load(err, err_size)) < 0)
		return r;
	struct http_server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct http_server){ .loop = l,
		                   .listen_fd = -1,
		                   .epoll_fd = -1,
		                   .routes = routes,
		                   .n_routes = n_routes,
		                   .userdata = userdata };
	int fd = http_open_listener(&sa, len);
	if (fd < 0) {
		snprintf(err, err_size, "listening on %s: %s", listen, strerror(-fd));
		free(s);
		return fd;
	}
	s->listen_fd = fd;
	socklen_t blen = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &blen) == 0)
		http_format_address((const struct sockaddr *)&sa, s->address, sizeof(s->address));
	/* No listening socket for MHD: http_conns_on_accept hands it each connection, and keeps the limits
	 * (make_room). MHD's own limit is a backstop twice as high: a connection shut down to make
	 * room still counts for MHD until its next run closes it. */
	s->daemon = mhd_api.start_daemon(
	        MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME, 0,
	        NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
	        s, /* first: else MHD warns on stderr */
	        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(2 * HTTP_CONNECTION_LIMIT + SSE_SUBSCRIBERS_MAX),
	        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_SEC,
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY_LIMIT_BYTES,
	        MHD_OPTION_NOTIFY_CONNECTION, http_conns_on_connection, s, MHD_OPTION_NOTIFY_COMPLETED,
	        http_conns_on_completed, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
	        s->daemon ? mhd_api.get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		snprintf(err, err_size, "libmicrohttpd would not start on %s", listen);
		http_server_free(s);
		return -EIO;
	}
	s->epoll_fd = info->epoll_fd;
	r = loop_add_fd(l, s->epoll_fd, EPOLLIN, http_conns_on_ready, s);
	if (r < 0) {
		snprintf(err, err_size, "event loop: %s", strerror(-r));
		s->epoll_fd = -1;
		http_server_free(s);
		return r;
	}
	r = loop_add_fd(l, s->listen_fd, EPOLLIN, http_conns_on_accept, s);
	if (r < 0) {
		snprintf(err, err_size, "event loop: %s", strerror(-r));
		http_server_free(s); /* closes listen_fd; not in the loop: ignored */
		return r;
	}
	*ret = s;
	return 0;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	if (s->timer)
		loop_cancel_timer(s->loop, s->timer);
	if (s->accept_timer)
		loop_cancel_timer(s->loop, s->accept_timer);
	if (s->epoll_fd >= 0)
		loop_del_fd(s->loop, s->epoll_fd);
	if (s->listen_fd >= 0) {
		loop_del_fd(s->loop, s->listen_fd);
		close(s->listen_fd);
	}
	/* MHD must not stop with a connection suspended (microhttpd.h): each is woken to its end */
	s->stopping = true;
	for (struct http_stream *st = s->streams; st; st = st->next)
		http_stream_cut(st);
	if (s->daemon)
		mhd_api.stop_daemon(s->daemon); /* closes the connections (each notified) */
	for (struct http_conn *hc = s->conns, *n; hc; hc = n) {
		n = hc->next;
		free(hc);
	}
	free(s);
}

const char *http_server_address(const struct http_server *s)
{
	return s->address;
}

void http_reply_plain(struct http_reply *ret, bool ok, const char *why)
{
	ret->status = ok ? 200 : 503;
	ret->body = strdup(ok ? "ok\n" : why);
	ret->len = ret->body ? strlen(ret->body) : 0;
}
