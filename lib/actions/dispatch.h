/* Runs a handler's action for one event (each kind's run row, action_run.h). It only acts and logs
 * what happened; a failure is logged with the handler's path and counted, never returned, so one
 * failing action never stops the others or the monitoring.
 *
 * Order: exec, signal and reclaim form one stream in event order (the order of dispatch_action
 * calls). One of them runs at a time: an exec holds the next until it exits (at most its timeout
 * plus EXEC_HOLD_GRACE_USEC), a reclaim until the kernel is done (at most reclaim_hold_usec; the
 * write runs on a worker thread, never on the loop). A signal is sent when its turn comes. An exec
 * with "detach" starts at once and holds nothing back. The waiting ones are bounded (queue_cap):
 * when full, the oldest waiting one is dropped, counted as failed and logged. Webhooks do not
 * take part (webhook.h orders them per endpoint). With dry_run nothing is done: each action is
 * logged as what it would do.
 *
 * memory_high runs in the stream like a reclaim (its write on a worker thread). The value it
 * replaced is kept (the first one, across several memory_high actions) and written back by
 * dispatch_memory_high_normal, in the stream, and by dispatch_free, when memory.high still holds
 * memhook's value. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide/memory_high.h"
#include "output/payload.h"
#include "policy/policy.h"
#include "kernel/target.h"

struct loop;
struct spawner;
struct webhook_client;
struct dispatch_job;
struct metrics;

struct dispatch {
	/* set by the owner before the first dispatch_action */
	struct loop *loop;
	struct webhook_client *webhooks;
	struct spawner *spawner;
	bool dry_run;
	size_t queue_cap;           /* 0: ACTION_QUEUE_CAP_DEFAULT */
	uint64_t reclaim_hold_usec; /* 0: RECLAIM_HOLD_DEFAULT_USEC */
	struct metrics *metrics;    /* counts each action's outcome; NULL: none */

	uint64_t failures; /* actions that failed (or were dropped), over memhook's lifetime */
	uint64_t dropped;  /* ordered actions dropped from a full queue */
	/* the ordered stream */
	struct dispatch_job *queue, *queue_tail; /* waiting, oldest first */
	size_t queued;
	struct dispatch_job *head; /* the one the stream waits for, or NULL */
	struct dispatch_job *side; /* running without holding the stream: detached, or past its hold */
	int done_pipe[2];          /* reclaim workers write their finished job here (when pipe_open) */
	bool pipe_open;
	unsigned reclaims_running;         /* worker threads not reported yet (reclaim, memory_high) */
	struct memory_high_state high;     /* what memory.high held before memhook changed it */
	struct pressure_sockets *pressure; /* pressure_watch's sockets; NULL until a policy names one */
};

/* One event being dispatched: what its actions need. The webhook body is built on first use and
 * shared by every webhook handler of the event. */
struct dispatch_event {
	const struct event_ctx *ctx;
	struct target *target; /* signals and reclaim act on it when present; it outlives the dispatch */
	char *body;
	size_t body_len;
};

/* Starts h's action for e, or queues it behind the ordered ones (see above). */
void dispatch_action(struct dispatch *d, const struct handler *h, struct dispatch_event *e);

/* Level 0 is back: queues the restore of memory.high behind the ordered actions, when memhook
 * changed it (or a memory_high action is waiting). Nothing otherwise, and nothing in a dry run. */
void dispatch_memory_high_normal(struct dispatch *d);

/* The policy with handlers hs[0..n) is installed (at start, at each reload): each kind sets up
 * what it serves before any event (action_run.h's installed). */
void dispatch_policy_installed(struct dispatch *d, const struct handler *hs, size_t n);

/* Frees what dispatching the event built. */
void dispatch_event_done(struct dispatch_event *e);

/* Ordered actions waiting or running, the detached ones included (0: the stream is idle). */
size_t dispatch_pending(const struct dispatch *d);

/* Forgets the actions not run (logged and counted) and execs still running (their children are
 * the spawner's to kill: free the spawner first); gives reclaims in the kernel up to
 * RECLAIM_STOP_WAIT_USEC to report, then leaves them to the process's exit. Then restores
 * memory.high when memhook changed it, waiting at most MEMORY_HIGH_RESTORE_WAIT_USEC. */
void dispatch_free(struct dispatch *d);
