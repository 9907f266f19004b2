/* The HTTP listener's connections (http_server_internal.h): the listening address, accepting
 * (memhook accepts and hands each connection to MHD), room at the limits, the request deadline
 * MHD has no option for, and MHD's runs on the loop. */
#include "output/http_server_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/util.h"

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
void http_format_address(const struct sockaddr *sa, char *buf, size_t size)
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
int http_open_listener(const struct sockaddr_storage *sa, socklen_t len)
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

/* ---- connections and the request deadline ---- */

void http_conns_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
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
			http_format_address(peer->client_addr, hc->peer, sizeof(hc->peer));
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
void http_conns_on_completed(void *cls _unused_, struct MHD_Connection *c, void **req_cls _unused_,
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
void http_conns_on_accept(struct loop *l _unused_, int fd _unused_, uint32_t events _unused_, void *userdata)
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
			http_format_address((const struct sockaddr *)&sa, peer, sizeof(peer));
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
void http_conns_kick(struct http_server *s)
{
	if (s->stopping)
		return;
	if (s->timer)
		loop_cancel_timer(s->loop, s->timer);
	s->timer = loop_add_timer(s->loop, 0, on_timer, s);
}

void http_conns_on_ready(struct loop *l _unused_, int fd _unused_, uint32_t events _unused_, void *userdata)
{
	service(userdata);
}
