/* The process around the monitor: the loop, the signals, the HTTP endpoints and the stop. What
 * belongs to one target is the monitor's (monitor.c). */
#include "daemon/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "output/event_stream.h"
#include "output/http_server.h"
#include "output/metrics.h"

struct daemon {
	struct loop *loop;
	struct monitor *monitor;
	struct http_server *http;    /* --listen; NULL: off */
	struct event_stream *stream; /* GET /events, with --listen */
	struct http_route routes[4]; /* --listen's: /metrics, /healthz, /readyz, /events (the stream's) */
	int signal_fd;
	bool paused;   /* SIGUSR2 */
	bool stop_now; /* a second SIGTERM/SIGINT: no more grace */
};

/* ---- signals ---- */

/* Writes the memory dump through the log, which never waits on stderr (a FILE on fd 2 would). */
static void dump_to_log(const struct monitor *m)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r = f ? monitor_dump(m, f) : -errno;
	if (f && fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		log_warn("SIGUSR1: dump failed: %s", strerror(-r));
		return;
	}
	log_write_text(text, len);
}

static void on_signal(struct loop *l, int fd, uint32_t events _unused_, void *userdata)
{
	struct daemon *d = userdata;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			loop_stop_signal(l, (int)si.ssi_signo, &d->stop_now);
			break;
		case SIGHUP:
			monitor_reload(d->monitor);
			break;
		case SIGUSR1: {
			const char *path = monitor_target_path(d->monitor);
			if (!path) {
				log_warn("SIGUSR1: no target to dump");
				break;
			}
			log_info("SIGUSR1: memory breakdown of %s follows", path);
			dump_to_log(d->monitor);
			break;
		}
		case SIGUSR2:
			d->paused = !d->paused;
			log_info("SIGUSR2: evaluation %s", d->paused ? "paused" : "resumed");
			monitor_set_paused(d->monitor, d->paused);
			break;
		default:
			break;
		}
	}
}

/* The signals the loop takes through its signalfd. */
static void handled_signals(sigset_t *ret)
{
	sigemptyset(ret);
	sigaddset(ret, SIGTERM);
	sigaddset(ret, SIGINT);
	sigaddset(ret, SIGHUP);
	sigaddset(ret, SIGUSR1);
	sigaddset(ret, SIGUSR2);
}

int daemon_block_signals(void)
{
	sigset_t set;
	handled_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	/* A webhook receiver that vanished must not kill us through SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* ---- HTTP endpoints (--listen) ---- */

static void route_metrics(void *userdata, struct http_reply *ret)
{
	struct daemon *d = userdata;
	struct sample scratch;
	struct metrics_view v;
	monitor_metrics_view(d->monitor, &scratch, &v);
	struct event_stream_stats st;
	event_stream_get_stats(d->stream, &st);
	v.events_stream = true;
	v.subscribers = st.subscribers;
	v.subscribers_cut = st.cut;
	ret->body = metrics_format(&v, &ret->len);
	ret->status = 200;
	ret->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void route_healthz(void *userdata, struct http_reply *ret)
{
	struct daemon *d = userdata;
	char why[128];
	bool ok = monitor_healthy(d->monitor, now_mono_usec(), why, sizeof(why));
	http_reply_plain(ret, ok, why);
}

static void route_readyz(void *userdata, struct http_reply *ret)
{
	struct daemon *d = userdata;
	http_reply_plain(ret, monitor_ready(d->monitor), "the target is not found\n");
}

static int start_http(struct daemon *d, const char *listen, const char *instance)
{
	char err[512];
	d->stream = event_stream_new(d->loop, instance, &event_stream_http_transport);
	if (!d->stream) {
		log_error("--listen: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	monitor_set_event_stream(d->monitor, d->stream);
	d->routes[0] = (struct http_route){ "/metrics", route_metrics, NULL, NULL };
	d->routes[1] = (struct http_route){ "/healthz", route_healthz, NULL, NULL };
	d->routes[2] = (struct http_route){ "/readyz", route_readyz, NULL, NULL };
	d->routes[3] = (struct http_route){ "/events", NULL, &event_stream_http_source, d->stream };
	int r = http_server_new(d->loop, listen, d->routes, ARRAY_SIZE(d->routes), d, &d->http, err,
	                        sizeof(err));
	if (r < 0) {
		log_error("--listen: %s", err);
		return r;
	}
	log_info("listening on http://%s (/metrics, /healthz, /readyz, /events)",
	         http_server_address(d->http));
	return 0;
}

/* ---- the log's backlog: stderr watched for room only while lines wait ---- */

static void on_stderr_writable(struct loop *l _unused_, int fd _unused_, uint32_t events _unused_,
                               void *userdata _unused_)
{
	log_stderr_writable();
}

static void on_log_backlog(bool backlog, void *userdata)
{
	struct daemon *d = userdata;
	int fd = log_stderr_fd();
	if (fd < 0)
		return;
	/* Not logged on failure (it would queue behind itself): the next line written tries again. */
	if (backlog)
		(void)loop_add_fd(d->loop, fd, EPOLLOUT, on_stderr_writable, NULL);
	else
		(void)loop_del_fd(d->loop, fd);
}

/* ---- setup, run, stop ---- */

/* The loop, the signalfd, the monitor (taking policy) and the listener. Returns 0 or -errno. */
static int daemon_setup(struct daemon *d, const struct daemon_config *cfg, struct policy *policy)
{
	*d = (struct daemon){ .signal_fd = -1 };
	int r = loop_new(&d->loop);
	if (r < 0) {
		policy_free(policy);
		log_error("event loop: %s", strerror(-r));
		return r;
	}
	if ((r = monitor_new(d->loop, &cfg->monitor, policy, &d->monitor)) < 0)
		return r;
	sigset_t set;
	handled_signals(&set);
	d->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->signal_fd < 0) {
		r = -errno;
		log_error("signalfd: %s", strerror(-r));
		return r;
	}
	if ((r = loop_add_fd(d->loop, d->signal_fd, EPOLLIN, on_signal, d)) < 0) {
		log_error("event loop: %s", strerror(-r));
		return r;
	}
	if (cfg->listen && (r = start_http(d, cfg->listen, cfg->monitor.origin->instance)) < 0)
		return r;
	log_on_backlog(on_log_backlog, d);
	return 0;
}

static void daemon_teardown(struct daemon *d)
{
	log_on_backlog(NULL, NULL);
	http_server_free(d->http); /* its streams' subscribers leave the event stream */
	monitor_set_event_stream(d->monitor, NULL);
	event_stream_free(d->stream);
	monitor_free(d->monitor);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	loop_free(d->loop);
}

/* Gives queued webhooks and Events up to grace_usec, then logs the totals. */
static void daemon_drain(struct daemon *d, uint64_t grace_usec)
{
	uint64_t deadline = now_mono_usec() + grace_usec;
	size_t n = monitor_webhooks_pending(d->monitor);
	if (n)
		log_info("delivering %zu queued webhook(s) before stopping", n);
	while (monitor_pending(d->monitor) && now_mono_usec() < deadline && !d->stop_now)
		loop_iterate(d->loop, deadline - now_mono_usec());
	monitor_log_stopped(d->monitor, d->stop_now);
}

int daemon_run(const struct daemon_config *cfg, struct policy *policy)
{
	struct daemon d;
	int r = daemon_setup(&d, cfg, policy);
	if (r == 0)
		r = monitor_start(d.monitor);
	if (r < 0)
		goto out;
	r = loop_run(d.loop);
	if (r < 0) {
		log_error("event loop: %s", strerror(-r));
		goto out;
	}
	daemon_drain(&d, cfg->grace_usec ? cfg->grace_usec : GRACE_DEFAULT_USEC);
	r = 0;
out:
	daemon_teardown(&d);
	return r;
}
