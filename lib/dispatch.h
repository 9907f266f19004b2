/* Runs a handler's action for one event: webhook, signal, reclaim or exec. It only acts and logs
 * what happened; a failure is logged with the handler's path and counted, never returned, so one
 * failing action never stops the others or the monitoring. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "payload.h"
#include "policy.h"
#include "target.h"

struct spawner;
struct webhook_client;
struct exec_run;

struct dispatch {
	struct webhook_client *webhooks;
	struct spawner *spawner;
	uint64_t failures;        /* actions that failed, over memhook's lifetime */
	struct exec_run *running; /* execs not finished yet */
};

/* One event being dispatched: what its actions need. The webhook body is built on first use and
 * shared by every webhook handler of the event. */
struct dispatch_event {
	const struct event_ctx *ctx;
	struct target *target; /* signals and reclaim act on it when present */
	char *body;
	size_t body_len;
};

void dispatch_action(struct dispatch *d, const struct handler *h, struct dispatch_event *e);

/* Frees what dispatching the event built. */
void dispatch_event_done(struct dispatch_event *e);

/* Forgets execs still running (their children are the spawner's to kill). */
void dispatch_free(struct dispatch *d);
