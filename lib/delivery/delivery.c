/* The delivery queue (delivery.h): every job is on one list, oldest first, and on its
 * destination's list. Only a destination's first job is ever started, so a job backing off before
 * a retry holds the later ones of its destination; destinations are independent.
 *
 * Queue policy: queue_cap counts every job not finished (waiting, backing off or in flight). A
 * delivery_add past the cap drops the oldest job not in flight (not backing off either, with
 * full_spares_backoff), which may be the new one itself; the drop is counted and logged through
 * ops->lost with the running count.
 *
 * Losses: a job given up (dropped from the full queue, past its max age, refused, or failed)
 * hands its count, plus whatever it carried, to its destination's next job; with no next job the
 * destination keeps it (up to idle_dests_max such idle destinations) for the next one added. */
#include "delivery/delivery.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/defaults.h" /* RETRY_AFTER_MAX_CHARS */
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"

/* Backoff never grows beyond this (10 retries of 500 ms would otherwise reach ~4 min). */
#define MAX_BACKOFF_USEC (UINT64_C(300) * USEC_PER_SEC)

struct delivery_dest {
	struct delivery_dest *prev, *next; /* created first, first */
	char *key;
	struct delivery_job *head, *tail; /* its jobs in the order added */
	size_t n_jobs;
	uint64_t carry; /* lost jobs after its last job, for the next one added */
};

struct delivery_queue {
	struct loop *loop;
	struct delivery_config cfg;
	const struct delivery_ops *ops;
	void *userdata;
	size_t n_jobs;
	unsigned in_flight;
	struct delivery_job *head, *tail;
	struct delivery_dest *dests;
	size_t n_dests;
	uint64_t expiry_timer_id, expiry_at_usec;
	uint64_t (*random_u64)(void *userdata);
	void *random_userdata;
	struct delivery_stats stats;
};

/* ---- retry timing ---- */

uint64_t delivery_retry_delay_usec(uint64_t backoff_usec, unsigned attempt, bool jitter, uint64_t random)
{
	uint64_t cap = backoff_usec < MAX_BACKOFF_USEC ? backoff_usec : MAX_BACKOFF_USEC;
	for (unsigned i = 1; i < attempt && cap < MAX_BACKOFF_USEC; i++)
		cap *= 2;
	if (cap > MAX_BACKOFF_USEC)
		cap = MAX_BACKOFF_USEC;
	if (!jitter)
		return cap;
	/* (cap + 1) * random / 2^64: uniform over [0, cap], exact at both ends */
	return (uint64_t)(((unsigned __int128)(cap + 1) * random) >> 64);
}

int delivery_parse_retry_after(const char *value, uint64_t now_real_usec, uint64_t *ret_delay_usec)
{
	static const char *const formats[] = {
		"%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		"%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
		"%a %b %e %H:%M:%S %Y",      /* asctime: Sun Nov  6 08:49:37 1994 */
	};
	if (!value)
		return -EINVAL;
	while (*value == ' ' || *value == '\t')
		value++;
	size_t len = strlen(value);
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	if (len == 0 || len > RETRY_AFTER_MAX_CHARS)
		return -EINVAL;
	char buf[RETRY_AFTER_MAX_CHARS + 1];
	memcpy(buf, value, len);
	buf[len] = '\0';

	if ('0' <= buf[0] && buf[0] <= '9') {
		uint64_t sec = 0;
		for (const char *p = buf; *p; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			unsigned d = (unsigned)(*p - '0');
			if (sec > (UINT64_MAX / USEC_PER_SEC - d) / 10)
				return -EINVAL; /* overflow */
			sec = sec * 10 + d;
		}
		*ret_delay_usec = sec * USEC_PER_SEC;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		struct tm tm = { 0 };
		const char *end = strptime(buf, formats[i], &tm);
		if (!end || *end)
			continue;
		time_t t = timegm(&tm);
		if (t == (time_t)-1)
			return -EINVAL;
		uint64_t now_sec = now_real_usec / USEC_PER_SEC;
		*ret_delay_usec = t > 0 && (uint64_t)t > now_sec ? ((uint64_t)t - now_sec) * USEC_PER_SEC : 0;
		return 0;
	}
	return -EINVAL;
}

static uint64_t default_random(void *userdata _unused_)
{
	uint64_t v;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	return now_mono_usec() * UINT64_C(0x9e3779b97f4a7c15); /* the pool is not ready: still spread */
}

/* ---- destinations ---- */

static void dest_free(struct delivery_queue *q, struct delivery_dest *d)
{
	LIST_UNLINK(q->dests, d, prev, next);
	q->n_dests--;
	free(d->key);
	free(d);
}

/* The destination of key, created when new (an idle one may be forgotten to bound them). NULL
 * when out of memory. */
static struct delivery_dest *dest_get(struct delivery_queue *q, const char *key)
{
	struct delivery_dest *last = NULL;
	for (struct delivery_dest *d = q->dests; d; last = d, d = d->next)
		if (strcmp(d->key, key) == 0)
			return d;
	if (q->n_dests >= q->cfg.queue_cap + q->cfg.idle_dests_max) {
		for (struct delivery_dest *d = q->dests; d; d = d->next)
			if (d->n_jobs == 0) {
				log_debug("delivery: forgetting %" PRIu64
				          " lost event(s) of an idle destination",
				          d->carry);
				if (last == d)
					last = d->prev;
				dest_free(q, d);
				break;
			}
	}
	struct delivery_dest *d = calloc(1, sizeof(*d));
	if (!d || !(d->key = strdup(key))) {
		free(d);
		return NULL;
	}
	d->prev = last;
	if (last)
		last->next = d;
	else
		q->dests = d;
	q->n_dests++;
	return d;
}

/* ---- jobs ---- */

static void job_unlink(struct delivery_queue *q, struct delivery_job *j)
{
	LIST_REMOVE(q->head, q->tail, j, prev, next);
	q->n_jobs--;
	LIST_REMOVE(j->d->head, j->d->tail, j, d_prev, d_next);
	j->d->n_jobs--;
}

/* Takes j out of the queue and off the timers and frees it (and its destination when that has
 * nothing left to do or to say). An in-flight job's transfer is aborted. */
static void job_free(struct delivery_queue *q, struct delivery_job *j)
{
	struct delivery_dest *d = j->d;
	job_unlink(q, j);
	if (j->state == DELIVERY_IN_FLIGHT) {
		q->ops->abort(j, q->userdata);
		q->in_flight--;
	}
	if (j->timer_id)
		loop_cancel_timer(q->loop, j->timer_id);
	j->timer_id = 0;
	q->ops->free(j, q->userdata);
	if (d->n_jobs == 0 && d->carry == 0)
		dest_free(q, d);
}

/* Gives j up: counts it as kind, hands its loss count (itself and what it carried) to its
 * destination's next job, and frees it. */
static void job_lose(struct delivery_queue *q, struct delivery_job *j, enum delivery_loss kind)
{
	uint64_t lost = j->dropped_before + 1;
	if (j->d_next)
		j->d_next->dropped_before += lost;
	else
		j->d->carry += lost;
	switch (kind) {
	case DELIVERY_LOST_FAILED:
		q->stats.failed++;
		break;
	case DELIVERY_LOST_FULL:
		q->stats.dropped++;
		q->stats.dropped_full++;
		break;
	case DELIVERY_LOST_EXPIRED:
		q->stats.dropped++;
		q->stats.dropped_expired++;
		break;
	case DELIVERY_LOST_REFUSED:
		q->stats.dropped++;
		q->stats.dropped_refused++;
		break;
	}
	job_free(q, j);
}

/* A loss the queue decides: said through ops->lost, then counted. */
static void job_drop(struct delivery_queue *q, struct delivery_job *j, enum delivery_loss kind,
                     const char *why)
{
	q->ops->lost(j, kind, why, &q->stats, q->userdata);
	job_lose(q, j, kind);
}

static void on_expiry(struct loop *l, void *userdata);

/* Keeps one timer at the earliest deadline of the jobs not in flight. */
static void arm_expiry(struct delivery_queue *q)
{
	uint64_t first = UINT64_MAX;
	for (struct delivery_job *j = q->head; j; j = j->next)
		if (j->state != DELIVERY_IN_FLIGHT && j->deadline_usec < first)
			first = j->deadline_usec;
	if (q->expiry_timer_id && q->expiry_at_usec == first)
		return;
	if (q->expiry_timer_id)
		loop_cancel_timer(q->loop, q->expiry_timer_id);
	q->expiry_timer_id = 0;
	if (first == UINT64_MAX)
		return;
	q->expiry_at_usec = first;
	q->expiry_timer_id = loop_add_timer(q->loop, first, on_expiry, q);
}

/* Starts, oldest first, each destination's first job when it is waiting, while there is room in
 * flight; drops on the way those refused or past their max age. */
static void start_waiting(struct delivery_queue *q)
{
	uint64_t now = now_mono_usec();
	struct delivery_job *next;
	for (struct delivery_job *j = q->head; j; j = next) {
		next = j->next;
		if (j->state != DELIVERY_WAITING || j != j->d->head)
			continue;
		if (q->ops->refused && q->ops->refused(j, q->userdata)) {
			job_drop(q, j, DELIVERY_LOST_REFUSED, NULL);
			continue;
		}
		if (now >= j->deadline_usec) {
			job_drop(q, j, DELIVERY_LOST_EXPIRED, "waited past");
			continue;
		}
		if (q->in_flight >= q->cfg.max_in_flight)
			continue; /* later destinations' refused or expired jobs still go */
		j->starts++;
		if (q->ops->start(j, q->userdata) < 0) {
			job_lose(q, j, DELIVERY_LOST_FAILED); /* the owner said why */
			continue;
		}
		j->state = DELIVERY_IN_FLIGHT;
		q->in_flight++;
	}
	arm_expiry(q);
}

static void on_expiry(struct loop *l _unused_, void *userdata)
{
	struct delivery_queue *q = userdata;
	uint64_t now = now_mono_usec();
	struct delivery_job *next;
	q->expiry_timer_id = 0;
	for (struct delivery_job *j = q->head; j; j = next) {
		next = j->next;
		if (j->state != DELIVERY_IN_FLIGHT && now >= j->deadline_usec)
			job_drop(q, j, DELIVERY_LOST_EXPIRED,
			         j->state == DELIVERY_BACKOFF ? "backing off past" : "waited past");
	}
	start_waiting(q);
}

static void on_backoff_done(struct loop *l _unused_, void *userdata)
{
	struct delivery_job *j = userdata;
	j->timer_id = 0;
	j->state = DELIVERY_WAITING;
	start_waiting(j->q);
}

/* j's transfer has ended: it is no longer in flight. */
static void job_landed(struct delivery_queue *q, struct delivery_job *j)
{
	assert(j->state == DELIVERY_IN_FLIGHT);
	q->in_flight--;
	j->state = DELIVERY_WAITING;
}

void delivery_delivered(struct delivery_queue *q, struct delivery_job *j)
{
	job_landed(q, j);
	q->stats.delivered++;
	job_free(q, j);
	start_waiting(q);
}

void delivery_give_up(struct delivery_queue *q, struct delivery_job *j, enum delivery_loss kind)
{
	if (j->state == DELIVERY_IN_FLIGHT)
		job_landed(q, j);
	job_lose(q, j, kind);
	start_waiting(q);
}

void delivery_again(struct delivery_queue *q, struct delivery_job *j)
{
	job_landed(q, j);
	start_waiting(q);
}

enum delivery_plan delivery_plan_retry(struct delivery_queue *q, struct delivery_job *j,
                                       const char *retry_after, uint64_t *ret_delay_usec, bool *ret_asked)
{
	uint64_t delay;
	*ret_asked = false;
	j->failures++;
	if (j->failures > j->retries)
		return DELIVERY_PLAN_LAST;
	if (retry_after && delivery_parse_retry_after(retry_after, now_real_usec(), &delay) == 0) {
		*ret_asked = true;
		if (j->retry_after_max_usec && delay > j->retry_after_max_usec)
			return DELIVERY_PLAN_TOO_LONG;
	} else
		delay = delivery_retry_delay_usec(j->backoff_usec, j->failures, j->jitter,
		                                  j->jitter ? q->random_u64(q->random_userdata) : 0);
	uint64_t now = now_mono_usec();
	*ret_delay_usec = delay;
	if (delay >= j->deadline_usec - (now < j->deadline_usec ? now : j->deadline_usec))
		return DELIVERY_PLAN_TOO_LATE;
	return DELIVERY_PLAN_RETRY;
}

void delivery_retry(struct delivery_queue *q, struct delivery_job *j, uint64_t delay_usec)
{
	job_landed(q, j);
	q->stats.retried++;
	j->state = DELIVERY_BACKOFF;
	j->timer_id = loop_add_timer(q->loop, now_mono_usec() + delay_usec, on_backoff_done, j);
	if (!j->timer_id)
		j->state = DELIVERY_WAITING; /* no memory for a timer: retry right away */
	start_waiting(q);
}

/* ---- the queue ---- */

/* Keeps the queue within its cap by dropping the oldest job not in flight (nor backing off, with
 * full_spares_backoff), which may be the one just added. */
static void make_room(struct delivery_queue *q, const struct delivery_job *newest)
{
	if (q->n_jobs <= q->cfg.queue_cap)
		return;
	struct delivery_job *victim = NULL;
	for (struct delivery_job *j = q->head; j && !victim; j = j->next)
		if (j->state == DELIVERY_WAITING ||
		    (j->state == DELIVERY_BACKOFF && !q->cfg.full_spares_backoff))
			victim = j;
	assert(victim); /* the newest job is waiting */
	job_drop(q, victim, DELIVERY_LOST_FULL,
	         victim == newest ? "the new event" : "the oldest waiting event");
}

int delivery_add(struct delivery_queue *q, struct delivery_job *j)
{
	struct delivery_dest *d = dest_get(q, j->dest);
	if (!d)
		return -ENOMEM;
	j->q = q;
	j->d = d;
	j->state = DELIVERY_WAITING;
	j->starts = j->failures = 0;
	j->timer_id = 0;
	j->deadline_usec = j->max_age_usec ? now_mono_usec() + j->max_age_usec : UINT64_MAX;

	LIST_APPEND(q->head, q->tail, j, prev, next);
	q->n_jobs++;
	LIST_APPEND(d->head, d->tail, j, d_prev, d_next);
	d->n_jobs++;
	j->dropped_before = d->carry;
	d->carry = 0;

	q->stats.queued++;
	make_room(q, j);
	start_waiting(q);
	return 0;
}

int delivery_new(struct loop *l, const struct delivery_config *cfg, const struct delivery_ops *ops,
                 void *userdata, struct delivery_queue **ret)
{
	if (!l || !cfg || cfg->queue_cap == 0 || cfg->max_in_flight == 0)
		return -EINVAL;
	struct delivery_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->loop = l;
	q->cfg = *cfg;
	q->ops = ops;
	q->userdata = userdata;
	q->random_u64 = default_random;
	*ret = q;
	return 0;
}

void delivery_set_random(struct delivery_queue *q, uint64_t (*random_u64)(void *userdata), void *userdata)
{
	q->random_u64 = random_u64 ? random_u64 : default_random;
	q->random_userdata = random_u64 ? userdata : NULL;
}

void delivery_free(struct delivery_queue *q)
{
	if (!q)
		return;
	while (q->head)
		job_free(q, q->head);
	while (q->dests)
		dest_free(q, q->dests);
	if (q->expiry_timer_id)
		loop_cancel_timer(q->loop, q->expiry_timer_id);
	free(q);
}

size_t delivery_pending(const struct delivery_queue *q)
{
	return q ? q->n_jobs : 0;
}

unsigned delivery_in_flight(const struct delivery_queue *q)
{
	return q ? q->in_flight : 0;
}

void delivery_get_stats(const struct delivery_queue *q, struct delivery_stats *ret)
{
	*ret = q ? q->stats : (struct delivery_stats){ 0 };
}
