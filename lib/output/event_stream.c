#include "output/event_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/defaults.h"
#include "base/loop.h"
#include "base/util.h"
#include "output/http_server.h"

/* One event in the ring: its SSE text and where it ends in the stream of every event published. */
struct ring_entry {
	uint64_t seq;
	char *text;
	size_t len;
	uint64_t end_bytes;
};

/* A keep-alive, the opening comment and a `lost` notice fit; sent between events. */
#define SUB_EXTRA_SIZE 256

struct event_sub {
	struct event_stream *s;
	void *conn;
	uint64_t next_pos; /* the ring position to send next (positions count events published) */
	size_t offset;     /* bytes of that event already sent */
	char extra[SUB_EXTRA_SIZE];
	size_t extra_len, extra_off;
	bool ping_waiting; /* a keep-alive not yet taken */
	bool cut;
	struct event_sub *prev, *next;
};

struct event_stream {
	struct loop *loop;
	const char *instance;
	const struct event_stream_transport *t;
	struct ring_entry ring[SSE_RING_EVENTS];
	uint64_t published;   /* positions 0 .. published-1; the ring holds the last SSE_RING_EVENTS */
	uint64_t total_bytes; /* of every event published */
	struct event_sub *subs;
	uint64_t ping_timer;
	struct event_stream_stats stats;
};

static uint64_t oldest_pos(const struct event_stream *s)
{
	return s->published > SSE_RING_EVENTS ? s->published - SSE_RING_EVENTS : 0;
}

static struct ring_entry *entry_at(struct event_stream *s, uint64_t pos)
{
	return &s->ring[pos % SSE_RING_EVENTS];
}

/* Bytes published that sub has not handed to its socket (its keep-alive and notices aside). */
static uint64_t backlog_bytes(struct event_stream *s, const struct event_sub *sub)
{
	if (sub->next_pos >= s->published)
		return 0;
	const struct ring_entry *e = entry_at(s, sub->next_pos);
	return s->total_bytes - (e->end_bytes - e->len + sub->offset);
}

static void cut(struct event_stream *s, struct event_sub *sub)
{
	if (sub->cut)
		return;
	sub->cut = true;
	s->stats.cut++;
	s->t->cut(sub->conn);
}

static void on_ping_timer(struct loop *l, void *userdata);

static void arm_ping(struct event_stream *s)
{
	if (!s->loop || s->ping_timer || !s->subs)
		return;
	s->ping_timer = loop_add_timer(s->loop, now_mono_usec() + SSE_PING_USEC, on_ping_timer, s);
}

static void on_ping_timer(struct loop *l _unused_, void *userdata)
{
	struct event_stream *s = userdata;
	s->ping_timer = 0;
	event_stream_ping(s);
	arm_ping(s);
}

struct event_stream *event_stream_new(struct loop *l, const char *instance,
                                      const struct event_stream_transport *t)
{
	struct event_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->loop = l;
	s->instance = instance ? instance : "";
	s->t = t;
	return s;
}

void event_stream_free(struct event_stream *s)
{
	if (!s)
		return;
	if (s->ping_timer)
		loop_cancel_timer(s->loop, s->ping_timer);
	for (struct event_sub *sub = s->subs, *n; sub; sub = n) {
		n = sub->next;
		free(sub);
	}
	for (size_t i = 0; i < SSE_RING_EVENTS; i++)
		free(s->ring[i].text);
	free(s);
}

int event_stream_parse_last_id(const char *text, uint64_t *ret)
{
	if (!text || !*text)
		return -EINVAL;
	uint64_t v = 0;
	for (const char *c = text; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/* Appends text to sub's extra; false when it does not fit. */
static bool extra_add(struct event_sub *sub, const char *text)
{
	if (sub->extra_off == sub->extra_len)
		sub->extra_off = sub->extra_len = 0;
	size_t n = strlen(text);
	if (n > sizeof(sub->extra) - sub->extra_len)
		return false;
	memcpy(sub->extra + sub->extra_len, text, n);
	sub->extra_len += n;
	return true;
}

/* Where a subscriber that saw up to seq `last` starts, and how many events after it the ring no
 * longer holds. An id above the newest is from a memhook before a restart (seq starts again):
 * the whole ring, and what went before it counts as lost. */
static uint64_t start_of(struct event_stream *s, uint64_t last, uint64_t *ret_lost)
{
	uint64_t oldest = oldest_pos(s);
	*ret_lost = 0;
	if (s->published == 0)
		return 0;
	uint64_t newest_seq = entry_at(s, s->published - 1)->seq;
	if (last > newest_seq)
		last = 0;
	for (uint64_t pos = oldest; pos < s->published; pos++) {
		uint64_t seq = entry_at(s, pos)->seq;
		if (seq > last) {
			*ret_lost = seq - last - 1; /* the numbers between: seq only grows by one per event */
			return pos;
		}
	}
	return s->published;
}

int event_stream_subscribe(struct event_stream *s, void *conn, const char *last_event_id,
                           struct event_sub **ret)
{
	uint64_t last = 0;
	if (last_event_id && event_stream_parse_last_id(last_event_id, &last) < 0)
		return -EINVAL;
	if (s->stats.subscribers >= SSE_SUBSCRIBERS_MAX)
		return -EBUSY;
	struct event_sub *sub = calloc(1, sizeof(*sub));
	if (!sub)
		return -ENOMEM;
	sub->s = s;
	sub->conn = conn;
	char line[SUB_EXTRA_SIZE];
	/* something at once: the client sees the answer's headers before the first event */
	snprintf(line, sizeof(line), ": memhook events, instance %s\n\n", s->instance);
	extra_add(sub, line);
	if (last_event_id) {
		uint64_t lost;
		sub->next_pos = start_of(s, last, &lost);
		if (lost) {
			snprintf(line, sizeof(line),
			         "event: lost\ndata: {\"lost\":%llu,\"instance\":\"%s\"}\n\n",
			         (unsigned long long)lost, s->instance);
			extra_add(sub, line);
			s->stats.lost_notices++;
		}
	} else
		sub->next_pos = s->published;
	sub->next = s->subs;
	if (s->subs)
		s->subs->prev = sub;
	s->subs = sub;
	s->stats.subscribers++;
	arm_ping(s);
	*ret = sub;
	return 0;
}

void event_stream_unsubscribe(struct event_stream *s, struct event_sub *sub)
{
	if (!sub)
		return;
	LIST_UNLINK(s->subs, sub, prev, next);
	s->stats.subscribers--;
	free(sub);
}

/* Copies what fits of text[*off..len) to buf at *n (up to max), moving *off and *n on. Returns
 * whether text is all out. */
static bool copy_on(char *buf, size_t *n, size_t max, const char *text, size_t len, size_t *off)
{
	size_t k = len - *off;
	if (k > max - *n)
		k = max - *n;
	memcpy(buf + *n, text + *off, k);
	*off += k;
	*n += k;
	return *off == len;
}

size_t event_stream_read(struct event_stream *s, struct event_sub *sub, char *buf, size_t max)
{
	size_t n = 0;
	if (sub->cut)
		return 0;
	while (n < max) {
		if (sub->offset == 0 && sub->extra_off < sub->extra_len) {
			if (copy_on(buf, &n, max, sub->extra, sub->extra_len, &sub->extra_off))
				sub->ping_waiting = false;
			continue;
		}
		if (sub->next_pos >= s->published)
			break;
		const struct ring_entry *e = entry_at(s, sub->next_pos);
		if (copy_on(buf, &n, max, e->text, e->len, &sub->offset)) {
			sub->next_pos++;
			sub->offset = 0;
		}
	}
	return n;
}

int event_stream_publish(struct event_stream *s, uint64_t seq, const char *name, const char *payload,
                         size_t len)
{
	char head[96];
	int h = snprintf(head, sizeof(head), "id: %llu\nevent: %s\ndata: ", (unsigned long long)seq, name);
	if (h < 0 || (size_t)h >= sizeof(head))
		return -EINVAL;
	size_t total = (size_t)h + len + 2;
	char *text = malloc(total);
	if (!text)
		return -ENOMEM;
	memcpy(text, head, (size_t)h);
	/* compact JSON has no newline outside strings (escaped inside); one would end the data line */
	for (size_t i = 0; i < len; i++)
		text[(size_t)h + i] = payload[i] == '\n' || payload[i] == '\r' ? ' ' : payload[i];
	memcpy(text + h + len, "\n\n", 2);

	uint64_t pos = s->published;
	struct ring_entry *e = entry_at(s, pos);
	free(e->text); /* the oldest, pushed out */
	s->total_bytes += total;
	*e = (struct ring_entry){ .seq = seq, .text = text, .len = total, .end_bytes = s->total_bytes };
	s->published++;
	s->stats.events++;

	uint64_t oldest = oldest_pos(s);
	for (struct event_sub *sub = s->subs; sub; sub = sub->next) {
		if (sub->cut)
			continue;
		/* an entry it was in the middle of, pushed out, or too much to catch up with */
		if (sub->next_pos < oldest || backlog_bytes(s, sub) - total > SSE_BACKLOG_MAX_BYTES)
			cut(s, sub);
		else
			s->t->wake(sub->conn);
	}
	return 0;
}

void event_stream_ping(struct event_stream *s)
{
	for (struct event_sub *sub = s->subs; sub; sub = sub->next) {
		if (sub->cut)
			continue;
		if (sub->ping_waiting || !extra_add(sub, ": ping\n\n")) {
			cut(s, sub); /* the last keep-alive, SSE_PING_USEC ago, is still here */
			continue;
		}
		sub->ping_waiting = true;
		s->t->wake(sub->conn);
	}
}

void event_stream_get_stats(const struct event_stream *s, struct event_stream_stats *ret)
{
	*ret = s->stats;
}

/* ---- GET /events over the HTTP listener ---- */

static int http_open(void *userdata, struct http_stream *st, void **ret_cls)
{
	struct event_sub *sub;
	int r = event_stream_subscribe(userdata, st, http_stream_header(st, "Last-Event-ID"), &sub);
	if (r < 0)
		return r;
	*ret_cls = sub;
	return 0;
}

static size_t http_read(void *userdata, void *cls, char *buf, size_t max)
{
	return event_stream_read(userdata, cls, buf, max);
}

static void http_closed(void *userdata, void *cls)
{
	event_stream_unsubscribe(userdata, cls);
}

const struct http_stream_source event_stream_http_source = {
	.content_type = "text/event-stream; charset=utf-8",
	.open = http_open,
	.read = http_read,
	.closed = http_closed,
};

static void http_wake(void *conn)
{
	http_stream_wake(conn);
}

static void http_cut(void *conn)
{
	http_stream_cut(conn);
}

const struct event_stream_transport event_stream_http_transport = { .wake = http_wake, .cut = http_cut };
