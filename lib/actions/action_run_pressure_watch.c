/* The pressure_watch action's run: at the event, the clients of its memory-pressure socket (or
 * FIFO) are made readable (lib/actions/pressure_socket.h); not a job of the ordered stream. The
 * sockets are served from the policy's installation, before any event, and removed at stop. */
#include "actions/action_run.h"

#include <stdio.h>
#include <string.h>

#include "actions/pressure_socket.h"
#include "base/log.h"
#include "base/util.h"
#include "output/metrics.h"

static void pressure_watch_installed(struct dispatch *d, const struct handler *hs, size_t n)
{
	bool named = false;
	for (size_t i = 0; i < n && !named; i++)
		named = hs[i].action == ACTION_PRESSURE_WATCH;
	if (!named && !d->pressure)
		return;
	if (!d->pressure && !(d->pressure = pressure_sockets_new(d->loop, d->metrics))) {
		log_error("pressure_watch: %s", strerror(ENOMEM));
		return;
	}
	pressure_sockets_sync(d->pressure, hs, n);
}

/* "entered 2 high\n": what the event says, for a client that reads the line (sd-event ignores it) */
static void line_of(const struct dispatch_event *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s %d %s\n", event_kind_name(e->ctx->ev->kind), e->ctx->ev->level,
	         e->ctx->level_name ? e->ctx->level_name : "");
}

static void pressure_watch_at_event(struct dispatch *d, const struct handler *h, struct dispatch_event *e)
{
	char line[128];
	line_of(e, line, sizeof(line));
	int r = d->pressure ? pressure_sockets_notify(d->pressure, &h->pressure_watch, line, now_mono_usec())
	                    : -ENOENT;
	if (r < 0) {
		dispatch_count_failure(d, h->action, h->path, "pressure_watch (not served)", r);
		return;
	}
	metrics_count_action(d->metrics, h->action, ACTION_RESULT_OK);
	log_debug("%s: pressure_watch %s: %d client(s) notified now", h->path, h->pressure_watch.path, r);
}

static void pressure_watch_at_stop(struct dispatch *d)
{
	pressure_sockets_free(d->pressure);
	d->pressure = NULL;
}

/* "make the clients of socket /run/memhook/pressure.sock readable (entered level 2)" */
static const char *pressure_watch_would(const struct handler *h, const struct dispatch_event *e, char *buf,
                                        size_t size)
{
	snprintf(buf, size, "make the clients of %s %s readable (%s level %d)",
	         h->pressure_watch.fifo ? "FIFO" : "socket", h->pressure_watch.path,
	         event_kind_name(e->ctx->ev->kind), e->ctx->ev->level);
	return buf;
}

const struct action_run_ops action_run_pressure_watch = {
	.name = "pressure_watch",
	.at_event = pressure_watch_at_event,
	.installed = pressure_watch_installed,
	.at_stop = pressure_watch_at_stop,
	.would = pressure_watch_would,
};
