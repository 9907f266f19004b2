/* The HTTP endpoints (--listen): libmicrohttpd in external epoll mode on memhook's own loop. Its
 * epoll fd and the listening socket are fds of the loop: memhook accepts and hands each connection
 * to MHD, and MHD_run runs when MHD's fd is readable; a loop timer exists only while MHD has a
 * timeout to keep (or a connection a request deadline): nobody connected, no wakeup. Bounded:
 * connections at once, per client address (at a bound the connection that waited longest for a
 * request makes room for the new one), idle time, time to send a whole request (slowloris), memory
 * per connection (lib/base/defaults.h). GET and HEAD only (405 otherwise), unknown paths 404, garbage
 * 400 (MHD's own answer), and 400 for an encoded NUL in the path or Content-Length headers that
 * disagree. A stream route (GET /events) answers for as long as its source has something: such a
 * connection is bounded by the source, not by the limits above, and never counted in them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct loop;
struct http_server;

/* A route's answer: the status, its Content-Type and a malloc'ed body the server takes. */
struct http_reply {
	unsigned status;
	const char *content_type;
	char *body;
	size_t len;
};

typedef void (*http_route_fn)(void *userdata, struct http_reply *ret);

/* A streaming answer (GET only; HEAD gets its headers): the server's handle of one connection. */
struct http_stream;

/* The source of a stream route's bytes. */
struct http_stream_source {
	const char *content_type;
	/* A GET came: opens the source for st (http_stream_header reads its headers). Returns 0 with
	 * the source's own pointer in ret_cls, -EBUSY (503: too many), -EINVAL (400), -ENOMEM. */
	int (*open)(void *userdata, struct http_stream *st, void **ret_cls);
	/* Copies up to max bytes to send next into buf; 0: nothing now (the connection sleeps, out of
	 * libmicrohttpd's work, until http_stream_wake). */
	size_t (*read)(void *userdata, void *cls, char *buf, size_t max);
	/* The connection is gone (the client left, it was cut, or the server stops). */
	void (*closed)(void *userdata, void *cls);
};

struct http_route {
	const char *path; /* exact, without the query string */
	http_route_fn fn;
	const struct http_stream_source *stream; /* instead of fn: a streaming answer */
	void *userdata;                          /* fn's or stream's; NULL: the server's (http_server_new) */
};

/* A plain-text answer: 200 with "ok\n", or 503 with why (ret's body NULL when out of memory). */
void http_reply_plain(struct http_reply *ret, bool ok, const char *why);

/* The value of request header name on st's connection, or NULL. */
const char *http_stream_header(struct http_stream *st, const char *name);
/* st's source has bytes to send: it is read again. */
void http_stream_wake(struct http_stream *st);
/* Closes st's connection (its closed() comes when libmicrohttpd lets it go). */
void http_stream_cut(struct http_stream *st);

/* Parses --listen's "ADDR:PORT": "127.0.0.1:9100", "0.0.0.0:9100", ":9100" (every IPv4 address),
 * "[::]:9100", "[::1]:9100" (numeric addresses: no name is resolved); port 0 picks a free port.
 * Returns 0, or -EINVAL
 * with the reason in err. */
int http_parse_listen(const char *text, struct sockaddr_storage *ret, socklen_t *ret_len, char *err,
                      size_t err_size);

/* Loads libmicrohttpd, binds listen (http_parse_listen) and serves routes (n_routes of them, kept
 * by the caller while the server lives) with userdata from the loop. Returns 0, or -errno with the
 * reason in err (-ENOPKG: no libmicrohttpd, -EADDRINUSE...). */
int http_server_new(struct loop *l, const char *listen, const struct http_route *routes, size_t n_routes,
                    void *userdata, struct http_server **ret, char *err, size_t err_size);
/* Closes every connection and the listening socket. NULL ok. */
void http_server_free(struct http_server *s);
/* The address bound, as "ADDR:PORT" (the port picked when 0 was asked). */
const char *http_server_address(const struct http_server *s);
