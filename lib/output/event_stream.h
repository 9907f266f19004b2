/* The subscribe stream (GET /events with --listen): every numbered event as Server-Sent Events,
 * the same JSON payload as the webhook body, built once per event and sent from one ring to every
 * subscriber (nothing is copied per subscriber).
 *
 *   id: 7
 *   event: entered
 *   data: {"event":"entered",...,"seq":7,"instance":"9f2c41d07ab3e615",...}
 *
 * A subscriber that sends Last-Event-ID: N is given every event after N still in the ring
 * (SSE_RING_EVENTS); when some of them were pushed out, first `event: lost` with
 * `data: {"lost":COUNT,"instance":...}`. Without it the stream starts at the next event. A
 * keep-alive comment (": ping") comes every SSE_PING_USEC. A subscriber more than
 * SSE_BACKLOG_MAX_BYTES behind when an event comes, or still holding the previous keep-alive at
 * the next, is cut and counted: the loop never waits on one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct event_stream;
struct event_sub;

/* What the stream asks of the transport (lib/output/http_server.c, or a test) for one subscriber. */
struct event_stream_transport {
	void (*wake)(void *conn); /* there is something to read: read again */
	void (*cut)(void *conn);  /* close it (too slow); its closed() comes later */
};

/* GET /events over lib/output/http_server.h: the route's stream source (the route's userdata is the
 * event stream) and the transport to make that stream with. */
struct http_stream_source;
extern const struct http_stream_source event_stream_http_source;
extern const struct event_stream_transport event_stream_http_transport;

struct event_stream_stats {
	uint64_t subscribers;  /* connected now */
	uint64_t cut;          /* cut for being too slow, over memhook's lifetime */
	uint64_t events;       /* published */
	uint64_t lost_notices; /* `lost` events sent to reconnecting subscribers */
};

/* A stream with no subscriber and an empty ring; instance goes into `lost` (kept by the caller).
 * l: keep-alives are timed on it (NULL: none, in tests). Returns NULL when out of memory. */
struct event_stream *event_stream_new(struct loop *l, const char *instance,
                                      const struct event_stream_transport *t);
/* Forgets the ring and the subscribers (the transport closes their connections). NULL ok. */
void event_stream_free(struct event_stream *s);

/* Adds a subscriber for conn. last_event_id: the request's Last-Event-ID, or NULL. Returns 0 with
 * the subscriber in ret, -EBUSY at SSE_SUBSCRIBERS_MAX, -ENOMEM. */
int event_stream_subscribe(struct event_stream *s, void *conn, const char *last_event_id,
                           struct event_sub **ret);
/* Copies up to max bytes of what sub is to receive next into buf. Returns the count; 0: nothing
 * now (wake comes when there is). */
size_t event_stream_read(struct event_stream *s, struct event_sub *sub, char *buf, size_t max);
/* sub's connection is gone: forgets it. */
void event_stream_unsubscribe(struct event_stream *s, struct event_sub *sub);

/* Publishes event number seq of kind name with its payload (JSON, len bytes): into the ring and
 * to every subscriber, cutting those too far behind. seq only grows. Returns 0 or -ENOMEM. */
int event_stream_publish(struct event_stream *s, uint64_t seq, const char *name, const char *payload,
                         size_t len);
/* A keep-alive for every subscriber; one still holding the previous is cut. (On the loop's timer
 * every SSE_PING_USEC; tests call it.) */
void event_stream_ping(struct event_stream *s);

void event_stream_get_stats(const struct event_stream *s, struct event_stream_stats *ret);

/* Parses a Last-Event-ID value: decimal digits, no sign, no space, fits in 64 bits. Returns 0 or
 * -EINVAL. */
int event_stream_parse_last_id(const char *text, uint64_t *ret);
