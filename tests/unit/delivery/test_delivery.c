/* delivery: the queue on its own, with hand-built jobs and a fake start that records what it was
 * asked to send; answers are given by calling delivery_delivered/retry/give_up/again as an owner
 * would. The loop only runs the queue's timers (backoff, max age), at millisecond scale. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "delivery/delivery.h"
#include "base/loop.h"
#include "base/util.h"

#define MS       USEC_PER_MSEC
#define MAX_JOBS 32

struct tjob {
	struct delivery_job dj;
	int id;
};

struct rig {
	struct loop *l;
	struct delivery_queue *q;
	struct tjob *started[MAX_JOBS]; /* in the order started (attempts, not jobs) */
	uint64_t started_dropped_before[MAX_JOBS];
	size_t n_started;
	struct tjob *in_flight[MAX_JOBS];
	size_t n_in_flight;
	int freed[MAX_JOBS];
	size_t n_freed;
	enum delivery_loss lost[MAX_JOBS];
	size_t n_lost;
	int refuse_id; /* a job with this id is refused; 0: none */
	int fail_start_id;
	uint64_t random;
};

static struct tjob *tj(struct delivery_job *dj)
{
	return container_of(dj, struct tjob, dj);
}

static void in_flight_remove(struct rig *r, struct tjob *j)
{
	for (size_t i = 0; i < r->n_in_flight; i++)
		if (r->in_flight[i] == j) {
			r->in_flight[i] = r->in_flight[--r->n_in_flight];
			return;
		}
}

static int op_start(struct delivery_job *dj, void *userdata)
{
	struct rig *r = userdata;
	if (tj(dj)->id == r->fail_start_id)
		return -ENOMEM;
	r->started_dropped_before[r->n_started] = dj->dropped_before;
	r->started[r->n_started++] = tj(dj);
	r->in_flight[r->n_in_flight++] = tj(dj);
	return 0;
}

static void op_abort(struct delivery_job *dj, void *userdata)
{
	in_flight_remove(userdata, tj(dj));
}

static bool op_refused(const struct delivery_job *dj, void *userdata)
{
	const struct rig *r = userdata;
	return container_of(dj, const struct tjob, dj)->id == r->refuse_id;
}

static void op_lost(const struct delivery_job *dj _unused_, enum delivery_loss kind, const char *why _unused_,
                    const struct delivery_stats *s _unused_, void *userdata)
{
	struct rig *r = userdata;
	r->lost[r->n_lost++] = kind;
}

static void op_free(struct delivery_job *dj, void *userdata)
{
	struct rig *r = userdata;
	r->freed[r->n_freed++] = tj(dj)->id;
	free(tj(dj));
}

static const struct delivery_ops ops = {
	.start = op_start,
	.abort = op_abort,
	.refused = op_refused,
	.lost = op_lost,
	.free = op_free,
};

static uint64_t fixed_random(void *userdata)
{
	return ((struct rig *)userdata)->random;
}

static struct rig *rig_new(size_t cap, unsigned max_in_flight, bool spares_backoff)
{
	struct rig *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	assert_int_equal(loop_new(&r->l), 0);
	struct delivery_config cfg = { .queue_cap = cap,
		                       .max_in_flight = max_in_flight,
		                       .full_spares_backoff = spares_backoff,
		                       .idle_dests_max = 4 };
	assert_int_equal(delivery_new(r->l, &cfg, &ops, r, &r->q), 0);
	delivery_set_random(r->q, fixed_random, r);
	return r;
}

static void rig_free(struct rig *r)
{
	delivery_free(r->q);
	loop_free(r->l);
	free(r);
}

/* Adds job id to dest with retries, backoff (no jitter unless set later) and max age. */
static struct tjob *add(struct rig *r, int id, const char *dest, unsigned retries, uint64_t backoff_usec,
                        uint64_t max_age_usec)
{
	struct tjob *j = calloc(1, sizeof(*j));
	assert_non_null(j);
	j->id = id;
	j->dj.dest = dest;
	j->dj.retries = retries;
	j->dj.backoff_usec = backoff_usec;
	j->dj.max_age_usec = max_age_usec;
	assert_int_equal(delivery_add(r->q, &j->dj), 0);
	return j;
}

/* Answers the in-flight job j as delivered. */
static void deliver(struct rig *r, struct tjob *j)
{
	in_flight_remove(r, j);
	delivery_delivered(r->q, &j->dj);
}

/* Runs the loop's timers for about usec. */
static void run_for(struct rig *r, uint64_t usec)
{
	uint64_t end = now_mono_usec() + usec;
	for (uint64_t now; (now = now_mono_usec()) < end;)
		loop_iterate(r->l, end - now);
}

static void test_order_and_one_in_flight_per_destination(void **state _unused_)
{
	struct rig *r = rig_new(16, 4, false);
	struct tjob *a1 = add(r, 1, "a", 0, MS, 0);
	add(r, 2, "a", 0, MS, 0);
	struct tjob *b1 = add(r, 3, "b", 0, MS, 0);
	add(r, 4, "a", 0, MS, 0);
	/* one per destination: a's first and b's first */
	assert_int_equal(r->n_started, 2);
	assert_ptr_equal(r->started[0], a1);
	assert_ptr_equal(r->started[1], b1);
	assert_int_equal(delivery_in_flight(r->q), 2);
	deliver(r, a1);
	assert_int_equal(r->n_started, 3);
	assert_int_equal(r->started[2]->id, 2);
	deliver(r, r->started[2]);
	assert_int_equal(r->started[3]->id, 4);
	deliver(r, r->started[3]);
	deliver(r, b1);
	assert_int_equal(delivery_pending(r->q), 0);
	struct delivery_stats s;
	delivery_get_stats(r->q, &s);
	assert_int_equal(s.queued, 4);
	assert_int_equal(s.delivered, 4);
	rig_free(r);
}

static void test_max_in_flight_over_destinations(void **state _unused_)
{
	struct rig *r = rig_new(16, 2, false);
	struct tjob *a = add(r, 1, "a", 0, MS, 0);
	add(r, 2, "b", 0, MS, 0);
	add(r, 3, "c", 0, MS, 0);
	assert_int_equal(r->n_started, 2);
	deliver(r, a);
	assert_int_equal(r->n_started, 3); /* the oldest waiting, c's */
	assert_int_equal(r->started[2]->id, 3);
	rig_free(r);
}

static void test_backoff_bounds_and_jitter(void **state _unused_)
{
	/* without jitter: the bound itself, doubling, capped at 5 min */
	assert_int_equal(delivery_retry_delay_usec(1000 * MS, 1, false, 12345), 1000 * MS);
	assert_int_equal(delivery_retry_delay_usec(1000 * MS, 3, false, 0), 4000 * MS);
	assert_int_equal(delivery_retry_delay_usec(1000 * MS, 30, false, 0), 300000 * MS);
	/* with full jitter: uniform in [0, bound], both ends reached */
	assert_int_equal(delivery_retry_delay_usec(500 * MS, 2, true, 0), 0);
	assert_int_equal(delivery_retry_delay_usec(500 * MS, 2, true, UINT64_MAX), 1000 * MS);
	for (uint64_t x = 1; x < UINT64_MAX / 3; x = x * 7 + 11)
		assert_true(delivery_retry_delay_usec(500 * MS, 3, true, x) <= 2000 * MS);
}

static void test_retry_holds_the_destination(void **state _unused_)
{
	struct rig *r = rig_new(16, 4, false);
	struct tjob *a1 = add(r, 1, "a", 2, 20 * MS, 0);
	add(r, 2, "a", 0, MS, 0);
	uint64_t delay;
	bool asked;
	assert_int_equal(delivery_plan_retry(r->q, &a1->dj, NULL, &delay, &asked), DELIVERY_PLAN_RETRY);
	assert_false(asked);
	assert_int_equal(delay, 20 * MS); /* no jitter: the first retry's bound */
	in_flight_remove(r, a1);
	delivery_retry(r->q, &a1->dj, delay);
	assert_int_equal(r->n_started, 1); /* job 2 waits behind the one backing off */
	run_for(r, 60 * MS);
	assert_int_equal(r->n_started, 2);
	assert_ptr_equal(r->started[1], a1); /* the same job again, then job 2 */
	assert_int_equal(a1->dj.starts, 2);
	/* the second failure doubles; the third is past retries */
	assert_int_equal(delivery_plan_retry(r->q, &a1->dj, NULL, &delay, &asked), DELIVERY_PLAN_RETRY);
	assert_int_equal(delay, 40 * MS);
	assert_int_equal(delivery_plan_retry(r->q, &a1->dj, NULL, &delay, &asked), DELIVERY_PLAN_LAST);
	in_flight_remove(r, a1);
	delivery_give_up(r->q, &a1->dj, DELIVERY_LOST_FAILED);
	assert_int_equal(r->n_started, 3);
	assert_int_equal(r->started[2]->id, 2);
	assert_int_equal(r->started_dropped_before[2], 1); /* job 2 reports job 1's loss */
	struct delivery_stats s;
	delivery_get_stats(r->q, &s);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.retried, 1);
	rig_free(r);
}

static void test_retry_after(void **state _unused_)
{
	struct rig *r = rig_new(16, 4, false);
	struct tjob *a = add(r, 1, "a", 3, 10 * MS, 10 * USEC_PER_SEC);
	a->dj.retry_after_max_usec = 5 * USEC_PER_SEC;
	uint64_t delay;
	bool asked;
	/* honoured over the backoff */
	assert_int_equal(delivery_plan_retry(r->q, &a->dj, "2", &delay, &asked), DELIVERY_PLAN_RETRY);
	assert_true(asked);
	assert_int_equal(delay, 2 * USEC_PER_SEC);
	/* unreadable: the backoff */
	assert_int_equal(delivery_plan_retry(r->q, &a->dj, "soon", &delay, &asked), DELIVERY_PLAN_RETRY);
	assert_false(asked);
	assert_int_equal(delay, 20 * MS);
	/* longer than retry_after_max: given up */
	assert_int_equal(delivery_plan_retry(r->q, &a->dj, "6", &delay, &asked), DELIVERY_PLAN_TOO_LONG);
	assert_true(asked);
	/* parse: seconds, an HTTP date, garbage */
	assert_int_equal(delivery_parse_retry_after(" 120 ", 0, &delay), 0);
	assert_int_equal(delay, 120 * USEC_PER_SEC);
	assert_int_equal(
	        delivery_parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", 40 * USEC_PER_SEC, &delay), 0);
	assert_int_equal(delay, 60 * USEC_PER_SEC);
	assert_int_equal(delivery_parse_retry_after("12x", 0, &delay), -EINVAL);
	rig_free(r);
}

static void test_max_age(void **state _unused_)
{
	struct rig *r = rig_new(16, 4, false);
	struct tjob *a1 = add(r, 1, "a", 3, 10 * MS, 0);
	add(r, 2, "a", 0, MS, 30 * MS); /* waits behind job 1, which never answers in time */
	run_for(r, 60 * MS);
	assert_int_equal(r->n_lost, 1);
	assert_int_equal(r->lost[0], DELIVERY_LOST_EXPIRED);
	assert_int_equal(r->freed[0], 2);
	struct delivery_stats s;
	delivery_get_stats(r->q, &s);
	assert_int_equal(s.dropped_expired, 1);
	/* a retry that would come after the max age is not planned */
	struct tjob *b = add(r, 3, "b", 3, 10 * USEC_PER_SEC, 50 * MS);
	uint64_t delay;
	bool asked;
	assert_int_equal(delivery_plan_retry(r->q, &b->dj, NULL, &delay, &asked), DELIVERY_PLAN_TOO_LATE);
	assert_int_equal(delivery_plan_retry(r->q, &b->dj, "1", &delay, &asked), DELIVERY_PLAN_TOO_LATE);
	assert_true(asked);
	/* job 1's destination carries job 2's loss to the next job */
	deliver(r, a1);
	add(r, 4, "a", 0, MS, 0);
	assert_int_equal(r->started[r->n_started - 1]->id, 4);
	assert_int_equal(r->started_dropped_before[r->n_started - 1], 1);
	rig_free(r);
}

static void test_full_queue_and_loss_count(void **state _unused_)
{
	struct rig *r = rig_new(3, 4, false);
	struct tjob *a1 = add(r, 1, "a", 0, MS, 0);
	add(r, 2, "a", 0, MS, 0);
	add(r, 3, "a", 0, MS, 0);
	add(r, 4, "a", 0, MS, 0); /* past the cap: job 2, the oldest not in flight, goes */
	assert_int_equal(delivery_pending(r->q), 3);
	assert_int_equal(r->n_lost, 1);
	assert_int_equal(r->lost[0], DELIVERY_LOST_FULL);
	assert_int_equal(r->freed[0], 2);
	deliver(r, a1);
	assert_int_equal(r->started[1]->id, 3);
	assert_int_equal(r->started_dropped_before[1], 1);
	deliver(r, r->started[1]);
	assert_int_equal(r->started[2]->id, 4);
	assert_int_equal(r->started_dropped_before[2], 0); /* reported once, by the next delivery */
	struct delivery_stats s;
	delivery_get_stats(r->q, &s);
	assert_int_equal(s.dropped_full, 1);
	assert_int_equal(s.queued, s.delivered + s.failed + s.dropped + delivery_pending(r->q));
	rig_free(r);
}

static void test_full_queue_spares_backoff(void **state _unused_)
{
	for (int spares = 0; spares <= 1; spares++) {
		struct rig *r = rig_new(2, 1, spares);
		struct tjob *a1 = add(r, 1, "a", 3, 10 * USEC_PER_SEC, 0);
		uint64_t delay;
		bool asked;
		assert_int_equal(delivery_plan_retry(r->q, &a1->dj, NULL, &delay, &asked),
		                 DELIVERY_PLAN_RETRY);
		in_flight_remove(r, a1);
		delivery_retry(r->q, &a1->dj, delay); /* backing off */
		add(r, 2, "a", 0, MS, 0);
		add(r, 3, "a", 0, MS, 0);
		assert_int_equal(r->n_freed, 1);
		assert_int_equal(r->freed[0], spares ? 2 : 1);
		rig_free(r);
	}
}

static void test_refused_and_failed_start(void **state _unused_)
{
	struct rig *r = rig_new(8, 4, false);
	r->refuse_id = 2;
	r->fail_start_id = 3;
	struct tjob *a1 = add(r, 1, "a", 0, MS, 0);
	add(r, 2, "a", 0, MS, 0);
	add(r, 3, "a", 0, MS, 0);
	add(r, 4, "a", 0, MS, 0);
	deliver(r, a1);
	/* 2 refused before it starts, 3 could not start: 4 goes, reporting both */
	assert_int_equal(r->n_started, 2);
	assert_int_equal(r->started[1]->id, 4);
	assert_int_equal(r->started_dropped_before[1], 2);
	assert_int_equal(r->n_lost, 1); /* only the queue's own decisions are said through lost */
	assert_int_equal(r->lost[0], DELIVERY_LOST_REFUSED);
	struct delivery_stats s;
	delivery_get_stats(r->q, &s);
	assert_int_equal(s.dropped_refused, 1);
	assert_int_equal(s.failed, 1);
	rig_free(r);
}

static void test_again_is_not_a_failure(void **state _unused_)
{
	struct rig *r = rig_new(8, 1, true);
	struct tjob *a = add(r, 1, "api", 1, MS, 0);
	in_flight_remove(r, a);
	delivery_again(r->q, &a->dj);
	assert_int_equal(r->n_started, 2);
	assert_int_equal(a->dj.failures, 0);
	assert_int_equal(a->dj.starts, 2);
	rig_free(r);
}

static void test_free_aborts_in_flight(void **state _unused_)
{
	struct rig *r = rig_new(8, 4, false);
	add(r, 1, "a", 0, MS, 0);
	add(r, 2, "a", 0, MS, 0);
	assert_int_equal(r->n_in_flight, 1);
	delivery_free(r->q);
	r->q = NULL;
	assert_int_equal(r->n_in_flight, 0);
	assert_int_equal(r->n_freed, 2);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_one_in_flight_per_destination),
		cmocka_unit_test(test_max_in_flight_over_destinations),
		cmocka_unit_test(test_backoff_bounds_and_jitter),
		cmocka_unit_test(test_retry_holds_the_destination),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_max_age),
		cmocka_unit_test(test_full_queue_and_loss_count),
		cmocka_unit_test(test_full_queue_spares_backoff),
		cmocka_unit_test(test_refused_and_failed_start),
		cmocka_unit_test(test_again_is_not_a_failure),
		cmocka_unit_test(test_free_aborts_in_flight),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
