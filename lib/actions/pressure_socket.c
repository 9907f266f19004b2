#include "actions/pressure_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "output/metrics.h"

struct pw_server;

struct pw_client {
	struct pw_server *srv;
	int fd;
	size_t bytes_in; /* written by the client, read and ignored */
	struct pw_client *next;
};

struct pw_server {
	struct pressure_sockets *ps;
	char *path;
	bool fifo;
	int fd; /* the listening socket, or the FIFO (read-write) */
	dev_t dev;
	ino_t ino; /* of what memhook made at path: removed at the end only if it is still that */
	uint64_t min_interval_usec;
	uint64_t last_usec; /* the last notification; 0: none */
	uint64_t timer;     /* a deferred notification */
	char line[128];     /* the latest line, for the deferred one */
	struct pw_client *clients;
	size_t n_clients;
	bool named; /* by the policy being synced */
	struct pw_server *next;
};

struct pressure_sockets {
	struct loop *loop;
	struct metrics *metrics;
	struct pw_server *servers;
};

struct pressure_sockets *pressure_sockets_new(struct loop *l, struct metrics *m)
{
	struct pressure_sockets *ps = calloc(1, sizeof(*ps));
	if (ps)
		*ps = (struct pressure_sockets){ .loop = l, .metrics = m };
	return ps;
}

static void client_close(struct pw_client *c)
{
	struct pw_server *srv = c->srv;
	for (struct pw_client **pp = &srv->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	srv->n_clients--;
	loop_del_fd(srv->ps->loop, c->fd);
	close(c->fd);
	free(c);
}

/* What a client writes is read and ignored, a budget per wakeup and a cap in total; its end (or
 * an error) closes it. */
static void on_client(struct loop *l _unused_, int fd, uint32_t events, void *userdata)
{
	struct pw_client *c = userdata;
	char buf[512];
	for (size_t budget = PRESSURE_CLIENT_WRITE_MAX_BYTES; budget > 0;) {
		ssize_t n = recv(fd, buf, sizeof(buf) < budget ? sizeof(buf) : budget, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			log_debug("pressure_watch %s: a client left", c->srv->path);
			client_close(c);
			return;
		}
		budget -= (size_t)n;
		c->bytes_in += (size_t)n;
		if (c->bytes_in > PRESSURE_CLIENT_WRITE_MAX_BYTES) {
			log_debug("pressure_watch %s: closing a client that wrote over %d bytes",
			          c->srv->path, PRESSURE_CLIENT_WRITE_MAX_BYTES);
			client_close(c);
			return;
		}
	}
	if (events & (EPOLLHUP | EPOLLERR))
		client_close(c);
}

static void on_accept(struct loop *l _unused_, int fd, uint32_t events _unused_, void *userdata)
{
	struct pw_server *srv = userdata;
	for (int i = 0; i < 8; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return; /* EAGAIN, or out of descriptors: the next wakeup tries again */
		struct pw_client *c = srv->n_clients < PRESSURE_CLIENTS_MAX ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			log_debug("pressure_watch %s: a client refused: %zu connected", srv->path,
			          srv->n_clients);
			close(cfd);
			continue;
		}
		*c = (struct pw_client){ .srv = srv, .fd = cfd, .next = srv->clients };
		if (loop_add_fd(srv->ps->loop, cfd, EPOLLIN | EPOLLRDHUP, on_client, c) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		srv->clients = c;
		srv->n_clients++;
		log_debug("pressure_watch %s: a client connected (%zu)", srv->path, srv->n_clients);
	}
}

/* Makes a socket (or a FIFO) at srv->path, replacing a socket (or FIFO) left there by an earlier
 * run, never anything else. Mode 0666: the app's user is another. Returns 0 or -errno. */
static int server_open(struct pw_server *srv)
{
	struct stat st;
	if (lstat(srv->path, &st) == 0) {
		if (!(srv->fifo ? S_ISFIFO(st.st_mode) : S_ISSOCK(st.st_mode)))
			return -EEXIST;
		if (unlink(srv->path) < 0)
			return -errno;
	}
	mode_t old = umask(srv->fifo ? 0 : 0111); /* bind makes the socket 0777 & ~umask */
	int fd = -1, r = 0;
	if (srv->fifo) {
		if (mkfifo(srv->path, 0666) < 0)
			r = -errno;
		else if ((fd = open(srv->path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)) < 0)
			r = -errno;
	} else {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", srv->path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
			r = -errno;
	}
	umask(old);
	if (r == 0 && fstat(fd, &st) < 0)
		r = -errno;
	if (r == 0 && srv->fifo && !S_ISFIFO(st.st_mode))
		r = -EEXIST; /* swapped between mkfifo and open */
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (!srv->fifo) { /* a socket's fstat is of the socket: the path's own inode */
		if (lstat(srv->path, &st) < 0) {
			close(fd);
			return -errno;
		}
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	srv->fd = fd;
	if (!srv->fifo && (r = loop_add_fd(srv->ps->loop, fd, EPOLLIN, on_accept, srv)) < 0) {
		close(fd);
		srv->fd = -1;
		return r;
	}
	return 0;
}

static void server_free(struct pw_server *srv)
{
	while (srv->clients)
		client_close(srv->clients);
	if (srv->timer)
		loop_cancel_timer(srv->ps->loop, srv->timer);
	if (srv->fd >= 0) {
		if (!srv->fifo)
			loop_del_fd(srv->ps->loop, srv->fd);
		close(srv->fd);
		struct stat st;
		if (lstat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino)
			(void)unlink(srv->path);
	}
	free(srv->path);
	free(srv);
}

void pressure_sockets_free(struct pressure_sockets *ps)
{
	if (!ps)
		return;
	for (struct pw_server *s = ps->servers, *n; s; s = n) {
		n = s->next;
		server_free(s);
	}
	free(ps);
}

static struct pw_server *find(const struct pressure_sockets *ps, const char *path)
{
	for (struct pw_server *s = ps->servers; s; s = s->next)
		if (strcmp(s->path, path) == 0)
			return s;
	return NULL;
}

size_t pressure_sockets_sync(struct pressure_sockets *ps, const struct handler *hs, size_t n)
{
	for (struct pw_server *s = ps->servers; s; s = s->next)
		s->named = false;
	for (size_t i = 0; i < n; i++) {
		if (hs[i].action != ACTION_PRESSURE_WATCH)
			continue;
		const struct pressure_watch_cfg *cfg = &hs[i].pressure_watch;
		struct pw_server *srv = find(ps, cfg->path);
		if (srv && srv->fifo != cfg->fifo) { /* a reload made it the other kind */
			srv->named = false;
			srv = NULL;
		}
		if (!srv) {
			srv = calloc(1, sizeof(*srv));
			if (!srv || !(srv->path = strdup(cfg->path))) {
				free(srv);
				log_error("%s: pressure_watch %s: %s", hs[i].path, cfg->path,
				          strerror(ENOMEM));
				continue;
			}
			srv->ps = ps;
			srv->fifo = cfg->fifo;
			srv->fd = -1;
			int r = server_open(srv);
			if (r < 0) {
				log_error("%s: pressure_watch: cannot serve %s %s: %s", hs[i].path,
				          cfg->fifo ? "a FIFO at" : "a socket at", cfg->path,
				          r == -EEXIST ? "something else is there" : strerror(-r));
				free(srv->path);
				free(srv);
				continue;
			}
			log_info("pressure_watch: serving %s %s (systemd's MEMORY_PRESSURE_WATCH)",
			         cfg->fifo ? "a FIFO at" : "a socket at", cfg->path);
			srv->next = ps->servers;
			ps->servers = srv;
		}
		srv->named = true;
		srv->min_interval_usec = cfg->min_interval_usec; /* the last handler's, when several */
	}
	size_t served = 0;
	for (struct pw_server **pp = &ps->servers; *pp;) {
		struct pw_server *s = *pp;
		if (s->named) {
			served++;
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		log_info("pressure_watch: no longer serving %s", s->path);
		server_free(s);
	}
	return served;
}

/* Sends srv->line to every client now. Returns the clients made readable. */
static int send_now(struct pw_server *srv, uint64_t now)
{
	size_t len = strlen(srv->line);
	int n = 0;
	srv->last_usec = now ? now : 1;
	if (srv->fifo) {
		ssize_t w = write(srv->fd, srv->line, len);
		n = w > 0 || (w < 0 && errno == EAGAIN); /* full: still readable */
	} else {
		for (struct pw_client *c = srv->clients, *next; c; c = next) {
			next = c->next;
			ssize_t w = send(c->fd, srv->line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w < 0 && errno != EAGAIN && errno != EINTR) { /* gone */
				client_close(c);
				continue;
			}
			n++; /* sent, or its buffer is full of earlier lines: readable either way */
		}
	}
	if (srv->ps->metrics)
		srv->ps->metrics->pressure_notifications += (uint64_t)n;
	log_debug("pressure_watch %s: %d client(s) notified", srv->path, n);
	return n;
}

static void on_deferred(struct loop *l _unused_, void *userdata)
{
	struct pw_server *srv = userdata;
	srv->timer = 0;
	send_now(srv, now_mono_usec());
}

int pressure_sockets_notify(struct pressure_sockets *ps, const struct pressure_watch_cfg *cfg,
                            const char *line, uint64_t now_usec)
{
	struct pw_server *srv = find(ps, cfg->path);
	if (!srv || srv->fifo != cfg->fifo)
		return -ENOENT;
	snprintf(srv->line, sizeof(srv->line), "%s", line);
	uint64_t due = srv->last_usec ? srv->last_usec + srv->min_interval_usec : 0;
	if (now_usec >= due)
		return send_now(srv, now_usec);
	if (!srv->timer)
		srv->timer = loop_add_timer(ps->loop, due, on_deferred, srv);
	return 0;
}

int pressure_sockets_clients(const struct pressure_sockets *ps, const char *path)
{
	const struct pw_server *srv = find(ps, path);
	return srv ? (int)srv->n_clients : -ENOENT;
}
