/* The monitor's insides, shared by monitor.c (the checks and what they emit) and monitor_report.c
 * (what it shows: the status file, /metrics, /healthz, the totals at the stop). Nothing outside
 * lib/daemon/monitor*.c includes it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "actions/dispatch.h"
#include "daemon/monitor.h"
#include "decide/check.h"
#include "kernel/sampler.h"
#include "kernel/watch.h"
#include "output/metrics.h"

/* Per handler of the running policy. */
struct handler_state {
	uint64_t last_fired_usec; /* `every` of remaining handlers; 0: never fired */
	bool fires;               /* takes the event being emitted */
};

/* One watched target: everything kept about it (monitor.h). */
struct monitor {
	struct monitor_config cfg; /* its strings borrowed from the caller */
	struct policy *policy;
	struct sampler_needs needs;
	struct handler_state *handlers; /* one per policy handler */
	struct probes *probes;          /* the policy's custom probes */
	struct loop *loop;              /* the caller's: it outlives the monitor */
	struct dispatch dispatch;       /* the actions: webhooks, children, failure count */
	struct kube_events *kube;       /* --kubernetes-events; NULL: off */
	struct event_stream *stream;    /* GET /events (--listen); NULL: off */
	struct sampler_host host;
	struct watch watch; /* the target and its wakeups */
	int timer_fd;
	bool timer_adapted; /* the timer's next tick is a check's adaptive delay, not a whole period */

	struct check_state state; /* the level and its hysteresis timers */
	bool paused;
	bool reload_pending;  /* SIGHUP arrived while probes ran */
	uint64_t seq;         /* the last event number */
	uint64_t webhook_ids; /* handlers of the policies installed so far: where the next one's ids start */
	uint64_t checks;
	struct sample sample; /* of the check waiting for its probes */

	uint64_t status_written_usec;
	int status_level;

	struct metrics metrics;        /* /metrics counters (dispatch counts actions here) */
	uint64_t last_check_done_usec; /* /healthz: when the last check came to its end */
};

/* Rewrites the status file when due: forced, on a level change, or STATUS_PERIOD_USEC after the
 * last. A failure is logged and not retried before the next period. */
void monitor_write_status(struct monitor *m, bool force);
