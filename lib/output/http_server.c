/* libmicrohttpd glue: the listening socket, MHD in external epoll mode on the loop, routing, and
 * what MHD has no option for: the request deadline, and room for a new connection at the limit.
 *
 * memhook accepts connections itself and hands them to MHD (MHD_add_connection). MHD's own
 * listening socket would leave its epoll set at the connection limit and come back only at MHD's
 * next run, which nothing triggers once the connections have gone: /healthz answered nothing for
 * good (issue 16). Accepting here also decides who makes room at a bound (make_room). */
#include "output/http_server.h"

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

/* One client connection, for the request deadline and for making room. */
struct http_conn {
	int fd;
	uint64_t deadline_usec; /* a whole request must have come by then */
	bool answering;         /* a request was answered and the answer is being sent */
	bool cut;               /* shut down (deadline, or to make room): MHD closes it */
	bool stream;            /* a streaming answer: no deadline, not counted in the limits */
	struct sockaddr_storage addr;
	char peer[INET6_ADDRSTRLEN + 8];
	struct http_conn *next;
};

struct http_server {
	struct loop *loop;
	struct MHD_Daemon *daemon;
	int listen_fd;
	int epoll_fd; /* MHD's */
	uint64_t timer;
	uint64_t accept_timer; /* out of descriptors: accepting again then */
	const struct http_route *routes;
	size_t n_routes;
	void *userdata;
	struct http_conn *conns;
	struct http_stream *streams;
	bool stopping;
	char address[INET6_ADDRSTRLEN + 8];
};

/* One streaming answer (struct http_stream_source): from the request to libmicrohttpd's release
 * of the answer. */
struct http_stream {
	struct http_server *s;
	struct MHD_Connection *c;
	const struct http_stream_source *src;
	void *cls;      /* the source's */
	bool opened;    /* src->open succeeded: closed() is owed */
	bool suspended; /* out of MHD's work until woken */
	bool cut;
	int fd;
	struct http_stream *next;
};

/* ---- the address ---- */

int http_parse_listen(const char *text, struct sockaddr_storage *ret, socklen_t *ret_len, char *err,
                      size_t err_size)
{
	char host[256];
	const char *colon = text ? strrchr(text, ':') : NULL;
	if (!colon) {
		snprintf(err, err_size, "'%s' is not ADDR:PORT (like 127.0.0.1:9100 or [::]:9100)",
		         text ? text : "");
		return -EINVAL;
	}
	size_t hlen = (size_t)(colon - text);
	const char *h = text;
	if (hlen >= 2 && text[0] == '[' && text[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	} else if (memchr(text, ':', hlen)) {
		snprintf(err, err_size, "'%s': an IPv6 address goes in brackets, like [::1]:9100", text);
		return -EINVAL;
	}
	if (hlen >= sizeof(host)) {
		snprintf(err, err_size, "'%s': the address is too long", text);
		return -EINVAL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	const char *port = colon + 1;
	unsigned long p = 0;
	for (const char *c = port; *c; c++) {
		if (*c < '0' || *c > '9' || p > 65535) {
			p = 65536;
			break;
		}
		p = p * 10 + (unsigned long)(*c - '0');
	}
	if (!*port || p > 65535) {
		snprintf(err, err_size, "'%s': the port must be a number from 0 to 65535", text);
		return -EINVAL;
	}
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
		                  .ai_socktype = SOCK_STREAM,
		                  .ai_family = hlen ? AF_UNSPEC : AF_INET };
	struct addrinfo *ai = NULL;
	int r = getaddrinfo(hlen ? host : NULL, port, &hints, &ai);
	if (r != 0 || !ai) {
		snprintf(err, err_size, "'%s': %s", text, r ? gai_strerror(r) : "no address");
		return -EINVAL;
	}
	memcpy(ret, ai->ai_addr, ai->ai_addrlen);
	*ret_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* "ADDR:PORT" of a socket address ([ADDR]:PORT for IPv6). */
static void format_address(const struct sockaddr *sa, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		port = ntohs(in->sin_port);
		snprintf(buf, size, "%s:%u", a, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		port = ntohs(in6->sin6_port);
		snprintf(buf, size, "[%s]:%u", a, port);
	} else
		snprintf(buf, size, "?");
}

/* A bound, listening, non-blocking socket. Returns the fd or -errno. */
static int open_listener(const struct sockaddr_storage *sa, socklen_t len)
{
	int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, len) < 0 || listen(fd, HTTP_LISTEN_BACKLOG) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* ---- requests ---- */

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *content_type, void *body,
                              size_t len, enum MHD_ResponseMemoryMode mode)
{
	const union MHD_ConnectionInfo *ci =
	        mhd_api.get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_conn *hc = ci ? ci->socket_context : NULL;
	if (hc)
		hc->answering = true; /* until on_completed */
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
	size_t n = st->src->read(st->s->userdata, st->cls, buf, max);
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
		st->src->closed(st->s->userdata, st->cls);
	stream_unlink(st);
	free(st);
}

const char *http_stream_header(struct http_stream *st, const char *name)
{
	return mhd_api.lookup_connection_value(st->c, MHD_HEADER_KIND, name);
}

static void kick(struct http_server *s);

void http_stream_wake(struct http_stream *st)
{
	if (!st->suspended)
		return;
	st->suspended = false;
	mhd_api.resume_connection(st->c);
	kick(st->s);
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
		kick(st->s);
	}
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *content_type, void *body,
                              size_t len, enum MHD_ResponseMemoryMode mode);

/* A stream route's answer: 200 and the source's bytes as they come (chunked), or 503 / 400 when
 * the source will not open. HEAD: the headers only. */
static enum MHD_Result start_stream(struct http_server *s, struct MHD_Connection *c,
                                    const struct http_stream_source *src, bool head)
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
	*st = (struct http_stream){ .s = s, .c = c, .src = src, .fd = hc ? hc->fd : -1 };
	int r = src->open(s->userdata, st, &st->cls);
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
		if (s->routes[i].stream)
			return start_stream(s, c, s->routes[i].stream,
			                    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0);
		struct http_reply reply = { .status = MHD_HTTP_INTERNAL_SERVER_ERROR, .content_type = text };
		s->routes[i].fn(s->userdata, &reply);
		if (!reply.body)
			return MHD_NO; /* out of memory: the connection is closed */
		return answer(c, reply.status, reply.content_type, reply.body, reply.len,
		              MHD_RESPMEM_MUST_FREE);
	}
	return answer(c, MHD_HTTP_NOT_FOUND, text, (char *)not_found, strlen(not_found),
	              MHD_RESPMEM_PERSISTENT);
}

/* ---- connections and the request deadline ---- */

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
		        mhd_api.get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *peer =
		        mhd_api.get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		struct http_conn *hc = calloc(1, sizeof(*hc));
		if (!hc || !fd) {
			free(hc); /* untracked: MHD's idle timeout still applies */
			return;
		}
		*hc = (struct http_conn){ .fd = fd->connect_fd,
			                  .deadline_usec = now_mono_usec() + HTTP_REQUEST_DEADLINE_USEC,
			                  .next = s->conns };
		if (peer && peer->client_addr) {
			format_address(peer->client_addr, hc->peer, sizeof(hc->peer));
			memcpy(&hc->addr, peer->client_addr,
			       peer->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
			                                                : sizeof(struct sockaddr_in));
		}
		s->conns = hc;
		*socket_context = hc;
		return;
	}
	struct http_conn *hc = *socket_context;
	for (struct http_conn **pp = &s->conns; hc && *pp; pp = &(*pp)->next)
		if (*pp == hc) {
			*pp = hc->next;
			free(hc);
			break;
		}
	*socket_context = NULL;
}

/* A request was answered: the next one has its own deadline. */
static void on_completed(void *cls _unused_, struct MHD_Connection *c, void **req_cls _unused_,
                         enum MHD_RequestTerminationCode toe _unused_)
{
	const union MHD_ConnectionInfo *ci =
	        mhd_api.get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_conn *hc = ci ? ci->socket_context : NULL;
	if (hc) {
		hc->deadline_usec = now_mono_usec() + HTTP_REQUEST_DEADLINE_USEC;
		hc->answering = false;
	}
}

/* Shuts down the connections past their deadline (MHD sees the end of the stream and closes them
 * itself); returns the earliest deadline still to come, or UINT64_MAX. */
static uint64_t cut_late(struct http_server *s, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	for (struct http_conn *hc = s->conns; hc; hc = hc->next) {
		if (hc->cut || hc->stream)
			continue;
		if (hc->deadline_usec <= now) {
			log_debug("http: closing the connection from %s: no whole request within %llu s",
			          hc->peer, (unsigned long long)(HTTP_REQUEST_DEADLINE_USEC / USEC_PER_SEC));
			shutdown(hc->fd, SHUT_RDWR);
			hc->cut = true;
		} else if (hc->deadline_usec < next)
			next = hc->deadline_usec;
	}
	return next;
}

/* ---- accepting, and room at the limits ---- */

/* Whether a and b are the same client address, the port aside. */
static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
		              sizeof(struct in6_addr)) == 0;
	return false;
}

/* Shuts down hc to make room (MHD sees the end of the stream and closes it at its next run). */
static void cut_for_room(struct http_conn *hc, const char *why)
{
	uint64_t now = now_mono_usec(), since = hc->deadline_usec - HTTP_REQUEST_DEADLINE_USEC;
	log_debug("http: closing the connection from %s to make room (%s): it waited longest for a "
	          "request, %llu ms",
	          hc->peer, why, (unsigned long long)((now > since ? now - since : 0) / USEC_PER_MSEC));
	shutdown(hc->fd, SHUT_RDWR);
	hc->cut = true;
}

/* Out of file descriptors: the connection that has waited longest for a request makes room, as at
 * the connection limit. Returns 1, or 0 when every connection is sending an answer (or none). */
static int make_room_for_fd(struct http_server *s)
{
	struct http_conn *oldest = NULL;
	for (struct http_conn *hc = s->conns; hc; hc = hc->next)
		if (!hc->cut && !hc->answering && !hc->stream &&
		    (!oldest || hc->deadline_usec <= oldest->deadline_usec))
			oldest = hc;
	if (!oldest)
		return 0;
	cut_for_room(oldest, "out of file descriptors");
	return 1;
}

/* Makes room for a connection from addr. At a bound (HTTP_PER_IP_CONNECTION_LIMIT from addr's
 * address, else HTTP_CONNECTION_LIMIT in all) it shuts down the connection within that bound that
 * has waited longest for a whole request; one sending an answer is left alone. So a flood cannot
 * keep the kubelet's probe out, and a flood from one address only ever closes its own
 * connections. Returns 0 when there was room, 1 when it made some, -EBUSY when every connection
 * in the way is sending an answer. */
static int make_room(struct http_server *s, const struct sockaddr_storage *addr)
{
	unsigned n_all = 0, n_host = 0;
	struct http_conn *oldest_all = NULL, *oldest_host = NULL;
	/* newest first: "<=" leaves the oldest of equal deadlines */
	for (struct http_conn *hc = s->conns; hc; hc = hc->next) {
		if (hc->cut || hc->stream)
			continue;
		bool host = same_host(&hc->addr, addr);
		n_all++;
		n_host += host;
		if (hc->answering)
			continue;
		if (!oldest_all || hc->deadline_usec <= oldest_all->deadline_usec)
			oldest_all = hc;
		if (host && (!oldest_host || hc->deadline_usec <= oldest_host->deadline_usec))
			oldest_host = hc;
	}
	struct http_conn *victim;
	if (n_host >= HTTP_PER_IP_CONNECTION_LIMIT)
		victim = oldest_host;
	else if (n_all >= HTTP_CONNECTION_LIMIT)
		victim = oldest_all;
	else
		return 0;
	if (!victim)
		return -EBUSY;
	cut_for_room(victim, n_host >= HTTP_PER_IP_CONNECTION_LIMIT ? "connections from one address"
	                                                            : "connections in all");
	return 1;
}

static void service(struct http_server *s);

static void accept_again(struct loop *l _unused_, void *userdata)
{
	struct http_server *s = userdata;
	s->accept_timer = 0;
	(void)loop_mod_fd(s->loop, s->listen_fd, EPOLLIN);
}

/* Out of descriptors with none to free, or of memory: the listening socket, still readable, would
 * wake the loop at once again; it rests a while instead (connections close meanwhile). */
static void rest_accepting(struct http_server *s, int error)
{
	log_debug("http: not accepting connections for %llu ms: %s",
	          (unsigned long long)(HTTP_ACCEPT_RETRY_USEC / USEC_PER_MSEC), strerror(error));
	if (s->accept_timer)
		return;
	s->accept_timer = loop_add_timer(s->loop, now_mono_usec() + HTTP_ACCEPT_RETRY_USEC, accept_again, s);
	if (s->accept_timer)
		(void)loop_mod_fd(s->loop, s->listen_fd, 0);
}

/* Accepts up to HTTP_ACCEPT_BATCH connections, makes room for each and hands it to MHD, then lets
 * MHD run: the connections shut down to make room are closed before the next batch. */
static void on_accept(struct loop *l _unused_, int fd _unused_, uint32_t events _unused_, void *userdata)
{
	struct http_server *s = userdata;
	for (unsigned i = 0; i < HTTP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage sa = { 0 };
		socklen_t len = sizeof(sa);
		int cfd = accept4(s->listen_fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			int e = errno;
			if (e == EINTR || e == ECONNABORTED)
				continue;
			/* a descriptor freed (MHD closes the connection cut) for the next accept */
			if ((e == EMFILE || e == ENFILE) && make_room_for_fd(s)) {
				mhd_api.run(s->daemon);
				continue;
			}
			if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM)
				rest_accepting(s, e);
			break; /* EAGAIN: none left */
		}
		if (make_room(s, &sa) < 0) {
			char peer[INET6_ADDRSTRLEN + 8];
			format_address((const struct sockaddr *)&sa, peer, sizeof(peer));
			log_debug("http: closing a new connection from %s: every other is sending an answer",
			          peer);
			close(cfd);
			continue;
		}
		/* MHD owns cfd from here, and closes it if it fails */
		if (mhd_api.add_connection(s->daemon, cfd, (const struct sockaddr *)&sa, len) != MHD_YES)
			log_debug("http: libmicrohttpd did not take a connection: %s", strerror(errno));
	}
	service(s);
}

/* ---- the loop ---- */

static void on_timer(struct loop *l, void *userdata);

/* Lets MHD work, enforces the deadlines and arms the one timer for whatever comes first: MHD's
 * own timeout or a deadline. With no connection there is neither, and no timer. */
static void service(struct http_server *s)
{
	mhd_api.run(s->daemon);
	uint64_t now = now_mono_usec();
	uint64_t next = cut_late(s, now);
	MHD_UNSIGNED_LONG_LONG ms;
	if (mhd_api.get_timeout(s->daemon, &ms) == MHD_YES) {
		uint64_t at = now + (uint64_t)ms * USEC_PER_MSEC;
		if (at < next)
			next = at;
	}
	if (s->timer)
		loop_cancel_timer(s->loop, s->timer);
	s->timer = next == UINT64_MAX ? 0 : loop_add_timer(s->loop, next, on_timer, s);
}

static void on_timer(struct loop *l _unused_, void *userdata)
{
	struct http_server *s = userdata;
	s->timer = 0;
	service(s);
}

/* A resumed connection is MHD's to process at its next run, which nothing else may bring soon (in
 * external epoll mode MHD's ITC did not wake its epoll fd: seen with 0.9.75): the timer now, once
 * for however many streams a publish woke. */
static void kick(struct http_server *s)
{
	if (s->stopping)
		return;
	if (s->timer)
		loop_cancel_timer(s->loop, s->timer);
	s->timer = loop_add_timer(s->loop, 0, on_timer, s);
}

static void on_ready(struct loop *l _unused_, int fd _unused_, uint32_t events _unused_, void *userdata)
{
	service(userdata);
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
	int fd = open_listener(&sa, len);
	if (fd < 0) {
		snprintf(err, err_size, "listening on %s: %s", listen, strerror(-fd));
		free(s);
		return fd;
	}
	s->listen_fd = fd;
	socklen_t blen = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &blen) == 0)
		format_address((const struct sockaddr *)&sa, s->address, sizeof(s->address));
	/* No listening socket for MHD: on_accept hands it each connection, and keeps the limits
	 * (make_room). MHD's own limit is a backstop twice as high: a connection shut down to make
	 * room still counts for MHD until its next run closes it. */
	s->daemon = mhd_api.start_daemon(
	        MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME, 0,
	        NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
	        s, /* first: else MHD warns on stderr */
	        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(2 * HTTP_CONNECTION_LIMIT + SSE_SUBSCRIBERS_MAX),
	        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_SEC,
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY_LIMIT_BYTES,
	        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
	        s->daemon ? mhd_api.get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		snprintf(err, err_size, "libmicrohttpd would not start on %s", listen);
		http_server_free(s);
		return -EIO;
	}
	s->epoll_fd = info->epoll_fd;
	r = loop_add_fd(l, s->epoll_fd, EPOLLIN, on_ready, s);
	if (r < 0) {
		snprintf(err, err_size, "event loop: %s", strerror(-r));
		s->epoll_fd = -1;
		http_server_free(s);
		return r;
	}
	r = loop_add_fd(l, s->listen_fd, EPOLLIN, on_accept, s);
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
