/* One delivery queue for webhooks (webhook.c) and Kubernetes Events (kube_events.c): what is the
 * same in both lives here, what differs stays with them.
 *
 * Here: jobs kept per destination in the order they were added, only the first of a destination
 * ever started (one in flight per destination; at most max_in_flight over all of them, started
 * oldest first); retries after a backoff (doubling, with or without full jitter) or the
 * receiver's Retry-After; a max age past which a job not in flight is dropped; a bounded queue
 * that drops the oldest job not in flight; permanent refusal (a job the owner says is refused is
 * dropped before it starts); and the loss count: a job given up adds itself and what it carried
 * to the next job of its destination (delivery_job.dropped_before), which reports it.
 *
 * With the owner (the ops): building and starting a request (signing and the body; the token,
 * the paths), reading the answer and saying what it means (delivery_delivered, delivery_plan_retry
 * then delivery_retry or delivery_give_up, delivery_again), and the words of every log line.
 *
 * The queue sets timers on the loop and reads CLOCK_MONOTONIC; it touches no network, so
 * tests/unit/test_delivery.c drives it with hand-built jobs and a fake start. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct delivery_queue;
struct delivery_dest;

enum delivery_state { DELIVERY_WAITING, DELIVERY_BACKOFF, DELIVERY_IN_FLIGHT };

/* Why a job was given up: counted in its own field of struct delivery_stats. */
enum delivery_loss {
	DELIVERY_LOST_FAILED,  /* the owner gave up: refused, the last retry, could not start */
	DELIVERY_LOST_FULL,    /* pushed out of a full queue */
	DELIVERY_LOST_EXPIRED, /* older than its max age */
	DELIVERY_LOST_REFUSED, /* never started: the owner's refused() said so (410 Gone) */
};

/* queued == delivered + failed + dropped + delivery_pending() at every moment. */
struct delivery_stats {
	uint64_t queued;    /* taken by delivery_add */
	uint64_t delivered; /* delivery_delivered */
	uint64_t failed;    /* DELIVERY_LOST_FAILED */
	uint64_t retried;   /* retries scheduled */
	uint64_t dropped;   /* the three below */
	uint64_t dropped_full;
	uint64_t dropped_expired;
	uint64_t dropped_refused;
};

/* A job, embedded in the owner's (which container_of's back). The owner fills the first group
 * before delivery_add; the queue keeps the rest. */
struct delivery_job {
	const char *dest;              /* jobs with the same dest go in order, one at a time (copied) */
	unsigned retries;              /* failures retried at most */
	uint64_t backoff_usec;         /* the first retry's delay (its bound, with jitter) */
	bool jitter;                   /* full jitter: uniform in [0, bound] */
	uint64_t max_age_usec;         /* 0: none */
	uint64_t retry_after_max_usec; /* a longer Retry-After gives up; 0: none (max age still holds) */

	struct delivery_queue *q;
	struct delivery_dest *d;
	struct delivery_job *prev, *next;     /* every job, oldest first */
	struct delivery_job *d_prev, *d_next; /* this destination's, oldest first */
	enum delivery_state state;
	unsigned starts;         /* attempts started (counted before ops->start) */
	unsigned failures;       /* failures counted by delivery_plan_retry */
	uint64_t dropped_before; /* this destination's losses since its last delivery, before this job */
	uint64_t deadline_usec;  /* CLOCK_MONOTONIC: added + max age; UINT64_MAX: none */
	uint64_t timer_id;       /* DELIVERY_BACKOFF */
};

struct delivery_ops {
	/* Starts an attempt of j (j->starts already counts it); the owner later calls one of
	 * delivery_delivered, delivery_retry, delivery_give_up or delivery_again. Returns 0, or
	 * -errno, logged by the owner: j is then given up as failed. */
	int (*start)(struct delivery_job *j, void *userdata);
	/* Takes j's transfer out before it finished (queue freed, or j dropped in flight: never). */
	void (*abort)(struct delivery_job *j, void *userdata);
	/* NULL, or true when j must not be sent at all (dropped as DELIVERY_LOST_REFUSED). */
	bool (*refused)(const struct delivery_job *j, void *userdata);
	/* Logs a loss the queue decided (FULL: why is "the new event" or "the oldest waiting event";
	 * EXPIRED: "waited past" or "backing off past"; REFUSED: NULL). s: before it is counted. */
	void (*lost)(const struct delivery_job *j, enum delivery_loss kind, const char *why,
	             const struct delivery_stats *s, void *userdata);
	/* Frees the owner's job (it is out of the queue). */
	void (*free)(struct delivery_job *j, void *userdata);
};

struct delivery_config {
	size_t queue_cap;         /* jobs not finished at most; past it one not in flight is dropped */
	unsigned max_in_flight;   /* over every destination */
	bool full_spares_backoff; /* a full queue drops no job backing off (only waiting ones) */
	size_t idle_dests_max;    /* destinations kept without a job, only for their loss count */
};

/* Returns 0, -EINVAL (no loop, a cap or max_in_flight of 0) or -ENOMEM. */
int delivery_new(struct loop *l, const struct delivery_config *cfg, const struct delivery_ops *ops,
                 void *userdata, struct delivery_queue **ret);
/* Aborts what is in flight (ops->abort) and frees every job (ops->free). NULL ok. */
void delivery_free(struct delivery_queue *q);
/* The source of the backoff's jitter (tests); NULL restores getrandom(). */
void delivery_set_random(struct delivery_queue *q, uint64_t (*random_u64)(void *userdata), void *userdata);

/* Appends j (its first group filled) behind its destination's jobs; j takes the loss count its
 * destination carried. Drops the oldest job not in flight when the queue is past its cap (which
 * may be j itself), then starts what may start. Returns 0 or -ENOMEM (j not taken). */
int delivery_add(struct delivery_queue *q, struct delivery_job *j);

/* What delivery_plan_retry decided. */
enum delivery_plan {
	DELIVERY_PLAN_RETRY,    /* retry after *ret_delay_usec */
	DELIVERY_PLAN_LAST,     /* that was the last retry */
	DELIVERY_PLAN_TOO_LATE, /* the retry would come after the max age */
	DELIVERY_PLAN_TOO_LONG, /* the Retry-After asks for longer than retry_after_max_usec */
};

/* j in flight failed in a way worth retrying; counts the failure. retry_after: the answer's
 * Retry-After value when it is to be honoured (429, 503), else NULL. *ret_asked: the delay is
 * the Retry-After's. Decides only: the owner logs and calls delivery_retry or delivery_give_up. */
enum delivery_plan delivery_plan_retry(struct delivery_queue *q, struct delivery_job *j,
                                       const char *retry_after, uint64_t *ret_delay_usec, bool *ret_asked);

/* j in flight: delivered (freed), retried after delay_usec, given up (freed, its loss handed on),
 * or to start again at once, not counted as a failure (a 409 renamed, a 404 recreated). Each
 * then starts what may start. */
void delivery_delivered(struct delivery_queue *q, struct delivery_job *j);
void delivery_retry(struct delivery_queue *q, struct delivery_job *j, uint64_t delay_usec);
void delivery_give_up(struct delivery_queue *q, struct delivery_job *j, enum delivery_loss kind);
void delivery_again(struct delivery_queue *q, struct delivery_job *j);

/* Jobs waiting, backing off or in flight; of them in flight. */
size_t delivery_pending(const struct delivery_queue *q);
unsigned delivery_in_flight(const struct delivery_queue *q);
void delivery_get_stats(const struct delivery_queue *q, struct delivery_stats *ret);

/* The delay of retry number attempt (1 for the first retry): backoff * 2^(attempt-1) capped at
 * 5 min, or with full jitter uniform in [0, that] picked by random (any 64-bit value). */
uint64_t delivery_retry_delay_usec(uint64_t backoff_usec, unsigned attempt, bool jitter, uint64_t random);

/* A Retry-After value (RFC 9110: delay-seconds or an HTTP-date, IMF-fixdate or the two obsolete
 * forms) as a delay from now_real_usec; a date in the past is 0. Returns 0 or -EINVAL. */
int delivery_parse_retry_after(const char *value, uint64_t now_real_usec, uint64_t *ret_delay_usec);
