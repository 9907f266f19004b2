/* event_stream: the ring, replay from Last-Event-ID and the lost count, what a subscriber reads
 * byte for byte, the cut of one too far behind (and of one holding its last keep-alive), the
 * subscriber bound; on hand-built streams with a recording transport, no loop and no socket. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/defaults.h"
#include "output/event_stream.h"

/* What the stream asked of the transport. */
static int woken, cut_count;
static void *last_cut;

static void t_wake(void *conn)
{
	(void)conn;
	woken++;
}

static void t_cut(void *conn)
{
	cut_count++;
	last_cut = conn;
}

static const struct event_stream_transport transport = { .wake = t_wake, .cut = t_cut };

static int setup(void **state)
{
	woken = cut_count = 0;
	last_cut = NULL;
	*state = event_stream_new(NULL, "0123456789abcdef", &transport);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	event_stream_free(*state);
	return 0;
}

/* Publishes event seq with a payload naming it. */
static void publish(struct event_stream *s, uint64_t seq)
{
	char payload[64];
	int n = snprintf(payload, sizeof(payload), "{\"seq\":%llu}", (unsigned long long)seq);
	assert_int_equal(event_stream_publish(s, seq, "entered", payload, (size_t)n), 0);
}

/* Everything sub can read now, in reads of at most chunk bytes (NUL-terminated, static). */
static const char *drain(struct event_stream *s, struct event_sub *sub, size_t chunk)
{
	static char all[1 << 20];
	size_t n = 0, k;
	while ((k = event_stream_read(s, sub, all + n, chunk)) > 0)
		n += k;
	all[n] = '\0';
	return all;
}

static void test_new_subscriber_starts_at_the_next_event(void **state)
{
	struct event_stream *s = *state;
	publish(s, 1);
	struct event_sub *sub;
	assert_int_equal(event_stream_subscribe(s, &sub, NULL, &sub), 0);
	assert_string_equal(drain(s, sub, 7), ": memhook events, instance 0123456789abcdef\n\n");
	publish(s, 2);
	assert_int_equal(woken, 1);
	assert_string_equal(drain(s, sub, 5), "id: 2\nevent: entered\ndata: {\"seq\":2}\n\n");
	assert_int_equal(event_stream_read(s, sub, (char[8]){ 0 }, 8), 0);
	struct event_stream_stats st;
	event_stream_get_stats(s, &st);
	assert_int_equal(st.subscribers, 1);
	assert_int_equal(st.events, 2);
	event_stream_unsubscribe(s, sub);
	event_stream_get_stats(s, &st);
	assert_int_equal(st.subscribers, 0);
}

static void test_last_event_id_replays_exactly_the_missed(void **state)
{
	struct event_stream *s = *state;
	for (uint64_t i = 1; i <= 5; i++)
		publish(s, i);
	struct event_sub *sub;
	assert_int_equal(event_stream_subscribe(s, &sub, "3", &sub), 0);
	assert_string_equal(drain(s, sub, 4096), ": memhook events, instance 0123456789abcdef\n\n"
	                                         "id: 4\nevent: entered\ndata: {\"seq\":4}\n\n"
	                                         "id: 5\nevent: entered\ndata: {\"seq\":5}\n\n");
	event_stream_unsubscribe(s, sub);
	/* caught up: nothing but the opening */
	assert_int_equal(event_stream_subscribe(s, &sub, "5", &sub), 0);
	assert_string_equal(drain(s, sub, 4096), ": memhook events, instance 0123456789abcdef\n\n");
	event_stream_unsubscribe(s, sub);
}

static void test_beyond_the_ring_says_how_many_were_lost(void **state)
{
	struct event_stream *s = *state;
	uint64_t last = SSE_RING_EVENTS + 10;
	for (uint64_t i = 1; i <= last; i++)
		publish(s, i);
	struct event_sub *sub;
	assert_int_equal(event_stream_subscribe(s, &sub, "4", &sub), 0);
	const char *t = drain(s, sub, 1000);
	/* the ring holds 11 .. last: 5 to 10 are lost */
	assert_non_null(strstr(t, "event: lost\ndata: {\"lost\":6,\"instance\":\"0123456789abcdef\"}\n\n"
	                          "id: 11\n"));
	assert_null(strstr(t, "id: 10\n"));
	assert_non_null(strstr(t, "id: 266\nevent: entered\ndata: {\"seq\":266}\n\n"));
	struct event_stream_stats st;
	event_stream_get_stats(s, &st);
	assert_int_equal(st.lost_notices, 1);
	event_stream_unsubscribe(s, sub);
	/* an id above the newest is from before a restart: the whole ring, the rest lost */
	assert_int_equal(event_stream_subscribe(s, &sub, "100000", &sub), 0);
	t = drain(s, sub, 1000);
	assert_non_null(strstr(t, "{\"lost\":10,"));
	assert_non_null(strstr(t, "id: 11\n"));
	event_stream_unsubscribe(s, sub);
}

static void test_a_subscriber_too_far_behind_is_cut_the_others_are_not(void **state)
{
	struct event_stream *s = *state;
	struct event_sub *slow, *fast;
	int a, b;
	assert_int_equal(event_stream_subscribe(s, &a, NULL, &slow), 0);
	assert_int_equal(event_stream_subscribe(s, &b, NULL, &fast), 0);
	char payload[1000];
	memset(payload, 'x', sizeof(payload));
	uint64_t seq = 0;
	while (cut_count == 0 && seq < 1000) {
		assert_int_equal(event_stream_publish(s, ++seq, "remaining", payload, sizeof(payload)), 0);
		drain(s, fast, 4096);
	}
	assert_int_equal(cut_count, 1);
	assert_ptr_equal(last_cut, &a);
	/* about SSE_BACKLOG_MAX_BYTES of 1 KiB events */
	assert_true(seq > SSE_BACKLOG_MAX_BYTES / 1100 && seq < SSE_BACKLOG_MAX_BYTES / 1000 + 3);
	assert_int_equal(event_stream_read(s, slow, payload, sizeof(payload)), 0); /* cut: nothing */
	publish(s, ++seq);
	assert_int_equal(cut_count, 1); /* once */
	struct event_stream_stats st;
	event_stream_get_stats(s, &st);
	assert_int_equal(st.cut, 1);
	assert_int_equal(st.subscribers, 2); /* until its connection is gone */
	event_stream_unsubscribe(s, slow);
	event_stream_unsubscribe(s, fast);
}

static void test_a_keep_alive_not_taken_by_the_next_cuts(void **state)
{
	struct event_stream *s = *state;
	struct event_sub *idle, *reader;
	int a, b;
	assert_int_equal(event_stream_subscribe(s, &a, NULL, &idle), 0);
	assert_int_equal(event_stream_subscribe(s, &b, NULL, &reader), 0);
	drain(s, reader, 4096);
	event_stream_ping(s);
	assert_string_equal(drain(s, reader, 4096), ": ping\n\n");
	assert_int_equal(cut_count, 0);
	event_stream_ping(s);
	assert_int_equal(cut_count, 1);
	assert_ptr_equal(last_cut, &a);
	assert_string_equal(drain(s, reader, 4096), ": ping\n\n");
	event_stream_unsubscribe(s, idle);
	event_stream_unsubscribe(s, reader);
}

static void test_a_keep_alive_waits_for_the_end_of_an_event(void **state)
{
	struct event_stream *s = *state;
	struct event_sub *sub;
	assert_int_equal(event_stream_subscribe(s, &sub, NULL, &sub), 0);
	drain(s, sub, 4096);
	publish(s, 1);
	char buf[8];
	assert_int_equal(event_stream_read(s, sub, buf, 3), 3); /* "id:" */
	event_stream_ping(s);
	assert_string_equal(drain(s, sub, 4096), " 1\nevent: entered\ndata: {\"seq\":1}\n\n: ping\n\n");
	event_stream_unsubscribe(s, sub);
}

static void test_subscribers_are_bounded_and_ids_checked(void **state)
{
	struct event_stream *s = *state;
	static struct event_sub *subs[SSE_SUBSCRIBERS_MAX];
	for (size_t i = 0; i < SSE_SUBSCRIBERS_MAX; i++)
		assert_int_equal(event_stream_subscribe(s, &subs[i], NULL, &subs[i]), 0);
	struct event_sub *one;
	assert_int_equal(event_stream_subscribe(s, &one, NULL, &one), -EBUSY);
	event_stream_unsubscribe(s, subs[0]);
	assert_int_equal(event_stream_subscribe(s, &one, "x", &one), -EINVAL);
	assert_int_equal(event_stream_subscribe(s, &one, "7", &one), 0);
	subs[0] = one;
	for (size_t i = 0; i < SSE_SUBSCRIBERS_MAX; i++)
		event_stream_unsubscribe(s, subs[i]);
}

static void test_parse_last_id(void **state)
{
	(void)state;
	uint64_t v = 1;
	assert_int_equal(event_stream_parse_last_id("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(event_stream_parse_last_id("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	const char *bad[] = { "", "-1", "+1", " 1", "1 ", "1x", "18446744073709551616", "0x10" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		assert_int_equal(event_stream_parse_last_id(bad[i], &v), -EINVAL);
		assert_int_equal(v, 42);
	}
	assert_int_equal(event_stream_parse_last_id(NULL, &v), -EINVAL);
}

static void test_newlines_never_end_the_data_line(void **state)
{
	struct event_stream *s = *state;
	struct event_sub *sub;
	assert_int_equal(event_stream_subscribe(s, &sub, NULL, &sub), 0);
	drain(s, sub, 4096);
	assert_int_equal(event_stream_publish(s, 1, "left", "{\n\"a\":1\r}", 9), 0);
	assert_string_equal(drain(s, sub, 4096), "id: 1\nevent: left\ndata: { \"a\":1 }\n\n");
	event_stream_unsubscribe(s, sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_subscriber_starts_at_the_next_event, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_last_event_id_replays_exactly_the_missed, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_beyond_the_ring_says_how_many_were_lost, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_a_subscriber_too_far_behind_is_cut_the_others_are_not,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_keep_alive_not_taken_by_the_next_cuts, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_a_keep_alive_waits_for_the_end_of_an_event, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_subscribers_are_bounded_and_ids_checked, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_parse_last_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newlines_never_end_the_data_line, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
