/* libmicrohttpd glue: the listening socket, MHD in external epoll mode on the loop, routing, and
 * the request deadline MHD has no option for. */
#include "output/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/mhd_api.h"
#include "base/util.h"

/* One client connection, for the request deadline. */
struct http_conn {
	int fd;
	uint64_t deadline_usec; /* a whole request must have come by then */
	bool cut;               /* shut down at its deadline: MHD closes it */
	char peer[INET6_ADDRSTRLEN + 8];
	struct http_conn *next;
};

struct http_server {
	struct loop *loop;
	struct MHD_Daemon *daemon;
	int epoll_fd; /* MHD's */
	uint64_t timer;
	const struct http_route *routes;
	size_t n_routes;
	void *userdata;
	struct http_conn *conns;
	char address[INET6_ADDRSTRLEN + 8];
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
	enum MHD_Result r = mhd_api.queue_response(c, status, resp);
	mhd_api.destroy_response(resp);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version _unused_, const char *upload_data _unused_,
                                  size_t *upload_data_size _unused_, void **req_cls _unused_)
{
	struct http_server *s = cls;
	static const char text[] = "text/plain; charset=utf-8";
	/* MHD takes a void *; MHD_RESPMEM_PERSISTENT never writes or frees it */
	static const char not_allowed[] = "method not allowed: GET or HEAD\n";
	static const char not_found[] = "not found: /metrics, /healthz, /readyz\n";
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, (char *)not_allowed, strlen(not_allowed),
		              MHD_RESPMEM_PERSISTENT);
	for (size_t i = 0; i < s->n_routes; i++) {
		if (strcmp(url, s->routes[i].path) != 0)
			continue;
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
		if (peer && peer->client_addr)
			format_address(peer->client_addr, hc->peer, sizeof(hc->peer));
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
	if (hc)
		hc->deadline_usec = now_mono_usec() + HTTP_REQUEST_DEADLINE_USEC;
}

/* Shuts down the connections past their deadline (MHD sees the end of the stream and closes them
 * itself); returns the earliest deadline still to come, or UINT64_MAX. */
static uint64_t cut_late(struct http_server *s, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	for (struct http_conn *hc = s->conns; hc; hc = hc->next) {
		if (hc->cut)
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
	*s = (struct http_server){
		.loop = l, .epoll_fd = -1, .routes = routes, .n_routes = n_routes, .userdata = userdata
	};
	int fd = open_listener(&sa, len);
	if (fd < 0) {
		snprintf(err, err_size, "listening on %s: %s", listen, strerror(-fd));
		free(s);
		return fd;
	}
	socklen_t blen = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &blen) == 0)
		format_address((const struct sockaddr *)&sa, s->address, sizeof(s->address));
	/* MHD owns fd from here: it closes it on stop, and on a failed start. */
	s->daemon = mhd_api.start_daemon(
	        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
	        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
	        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_CONNECTION_LIMIT,
	        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_SEC,
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY_LIMIT_BYTES,
	        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_END);
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
	*ret = s;
	return 0;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	if (s->timer)
		loop_cancel_timer(s->loop, s->timer);
	if (s->epoll_fd >= 0)
		loop_del_fd(s->loop, s->epoll_fd);
	if (s->daemon)
		mhd_api.stop_daemon(s->daemon); /* closes the connections (each notified) and fd */
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
