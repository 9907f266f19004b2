/* The run side of the actions, inside lib/actions/: one row per action kind beside its schema row
 * (lib/policy/action.h): how it runs, at the event or as a job of the ordered stream; how its
 * worker's result is reported; what it puts back at stop; what a dry run says; the name its
 * outcomes are counted under. The dispatcher (dispatch.c: the stream; worker.c: the writes off
 * the loop) asks the row and names no kind. A new action is a value in names.h, its schema row,
 * and one row here in its own file (action_run_<kind>.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actions/dispatch.h"
#include "actions/signal_reclaim.h"

/* An ordered action (or a detached exec): what it needs copied out of the handler and the event,
 * which a policy reload or the next event may free before its turn comes. */
struct dispatch_job {
	struct dispatch *d;
	enum action_kind kind;
	char tag[64]; /* the handler's path */
	struct target *target;
	bool beside; /* starts at the event, beside the stream, and holds nothing (a detached exec) */
	/* exec */
	char **argv;
	char **env;
	uint64_t timeout_usec;
	/* signal */
	struct signal_cfg signal;
	/* reclaim */
	struct reclaim_cfg reclaim;
	uint64_t usage_bytes;
	struct reclaim_job rj;
	/* memory_high: the value to set (or, restore, the saved one to put back) */
	struct memory_high_cfg high;
	uint64_t limit_bytes; /* the event's effective limit; 0 with no sample */
	bool restore;
	bool first_write; /* this write saved memory.high's value: undone when it fails */
	char was[24];     /* memory.high before this write */
	int notify_fd;    /* the worker writes the job's address here when the write is done */
	bool in_kernel;
	uint64_t started_usec;
	uint64_t hold_timer; /* the stream moves on at this timer */
	uint64_t hold_usec;
	struct dispatch_job *next;
};

/* What a row's start did with its job. */
enum action_start {
	ACTION_START_DONE,   /* done at once, or failed (counted and logged): the job is freed */
	ACTION_START_HOLD,   /* running: the stream waits for it, at most j->hold_usec */
	ACTION_START_BESIDE, /* running beside the stream, holding nothing back */
};

/* A dry run's text (after "<path>: would "): the log's own message cap (lib/base/log.c), which cuts
 * a longer line there anyway. */
#define ACTION_WOULD_MAX_CHARS 4096

struct action_run_ops {
	/* The label memhook_actions_total{action} counts this kind's outcomes under, and its word in
	 * the dispatcher's log lines: action_kind_name(kind), which lib/output/metrics.c prints. */
	const char *name;
	/* Runs h's action for e at the event, with no job in the stream (webhook: webhook.h orders
	 * them per endpoint); a failure is counted and logged here. NULL: the kind is a job. */
	void (*at_event)(struct dispatch *d, const struct handler *h, struct dispatch_event *e);
	/* Copies into j what its start needs from h and e (the event as it is now, not at the job's
	 * turn). Returns 0 or -ENOMEM. */
	int (*prepare)(struct dispatch_job *j, const struct handler *h, const struct dispatch_event *e);
	/* Starts j at its turn; a failure is counted and logged here. */
	enum action_start (*start)(struct dispatch *d, struct dispatch_job *j);
	/* Logs and counts what j's write did, when its worker (worker.c) has reported. NULL: the kind
	 * hands no write to a worker. */
	void (*finish)(struct dispatch_job *j);
	/* A policy was installed (at start and at each reload), with its handlers hs[0..n): sets up
	 * what the kind serves before any event (pressure_watch: its sockets). NULL: nothing. */
	void (*installed)(struct dispatch *d, const struct handler *hs, size_t n);
	/* At stop, once the workers had their bounded wait: puts back what the kind left changed
	 * (memory_high: memory.high, memory_high_restore.c). NULL: nothing to put back. */
	void (*at_stop)(struct dispatch *d);
	/* What a dry run says h would do for e, written to buf (size ACTION_WOULD_MAX_CHARS) and
	 * returned. */
	const char *(*would)(const struct handler *h, const struct dispatch_event *e, char *buf, size_t size);
};

/* The rows (lib/actions/action_run_<kind>.c) and the table of them, by kind (action_run.c). */
#define ACTION_RUN_DECLARE(NAME, name) extern const struct action_run_ops action_run_##name;
ACTION_KIND_LIST(ACTION_RUN_DECLARE)
#undef ACTION_RUN_DECLARE
extern const struct action_run_ops *const action_runs[ACTION_KINDS];

/* The row of kind k, or NULL when k is out of range. */
const struct action_run_ops *action_run(enum action_kind k);

/* The event's target cgroup for a dry run's text, or "(no target now)". */
const char *action_run_target_path(const struct dispatch_event *e);

/* ---- what the rows use of the dispatcher (dispatch.c) ---- */

/* Counts a failed action of kind and logs it with tag (the handler's path) and what failed. */
void dispatch_count_failure(struct dispatch *d, enum action_kind kind, const char *tag, const char *what,
                            int r);
/* A job of kind for d, with no fd and nothing copied; NULL when out of memory. */
struct dispatch_job *dispatch_job_alloc(struct dispatch *d, enum action_kind kind, const char *tag);
/* Puts j at the end of the stream (dropping the oldest waiting one when full) and starts what can
 * start. */
void dispatch_enqueue(struct dispatch *d, struct dispatch_job *j);
/* j has finished: it is freed wherever it is (head of the stream or beside it), and the stream
 * goes on. */
void dispatch_job_finished(struct dispatch_job *j);
/* The same without going on (at stop). */
void dispatch_job_release(struct dispatch_job *j);

/* ---- the writes off the loop (worker.c): reclaim and memory_high ---- */

/* Whether a write can go to a worker now: opens the pipe workers report on, watched by the loop
 * (once). Returns 0, -EBUSY (RECLAIM_RUNNING_MAX writes are still in the kernel) or -errno. */
int worker_ready(struct dispatch *d);
/* Hands j's prepared write (j->rj) to a new worker thread; its row's finish reports it. Returns 0
 * or -errno. */
int worker_launch(struct dispatch *d, struct dispatch_job *j);
/* At stop: waits until deadline_usec (monotonic) at most for the workers still in the kernel,
 * reporting each that ends (without resuming the stream). */
void worker_wait(struct dispatch *d, uint64_t deadline_usec);
/* At stop: stops watching the pipe, and closes it unless a worker may still write to it. */
void worker_close(struct dispatch *d);

/* ---- memory_high's saved value (memory_high_restore.c) ---- */

/* Closes the cgroup whose memory.high memhook saved and forgets its value. */
void dispatch_high_forget(struct dispatch *d);
/* Whether the cgroup whose memory.high memhook saved is t's (by identity, not by path). */
bool dispatch_high_is_target(const struct dispatch *d, const struct target *t);
/* Starts the restore job j (queued by dispatch_memory_high_normal): writes back the saved value
 * when memory.high still holds memhook's, or logs why not. */
enum action_start dispatch_high_restore_start(struct dispatch *d, struct dispatch_job *j);
/* At stop: memory.high back to the value memhook replaced, when it still holds memhook's (the
 * memory_high row's at_stop). */
void dispatch_high_restore_at_stop(struct dispatch *d);
