/* Internal to the HTTP listener (http_server.c: requests, streams, start and stop; http_conns.c:
 * the address, accepting, room at the limits, the request deadline and MHD's runs on the loop). */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/loop.h"
#include "base/mhd_api.h"
#include "output/http_server.h"

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
	void *userdata; /* src's: its route's */
	void *cls;      /* the source's */
	bool opened;    /* src->open succeeded: closed() is owed */
	bool suspended; /* out of MHD's work until woken */
	bool cut;
	int fd;
	struct http_stream *next;
};

/* ---- http_conns.c ---- */

/* "ADDR:PORT" of sa into buf. */
void http_format_address(const struct sockaddr *sa, char *buf, size_t size);
/* A listening socket bound to sa, non-blocking. Returns the fd or -errno. */
int http_open_listener(const struct sockaddr_storage *sa, socklen_t len);
/* MHD's connection notifications: a connection tracked from its start to its end. */
void http_conns_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe);
/* MHD's request completion: the next request has its own deadline. */
void http_conns_on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                             enum MHD_RequestTerminationCode toe);
/* The listening socket is readable: accepts, making room at the limits (the loop's callback). */
void http_conns_on_accept(struct loop *l, int fd, uint32_t events, void *userdata);
/* MHD's epoll fd is readable: MHD runs (the loop's callback). */
void http_conns_on_ready(struct loop *l, int fd, uint32_t events, void *userdata);
/* MHD runs at the loop's next turn (a resumed stream is MHD's to process then). */
void http_conns_kick(struct http_server *s);
