/* A hand-built event for the action rows' dry runs (test_action_run_<kind>.c): a present target
 * (pid 42, /sys/fs/cgroup/app), a sample of 64 MiB used of 100 MiB, "entered level 2", seq 3. No
 * loop, no files. */
#pragma once

#include <stdlib.h>

#include "actions/action_run.h"

/* paths and argv arrays are written as string literals (-Wwrite-strings makes them const) */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

struct dry_env {
	struct target t;
	struct sample smp;
	struct event ev;
	struct event_ctx ctx;
	struct dispatch_event de;
	char text[ACTION_WOULD_MAX_CHARS];
};

static _unused_ struct dry_env *dry_env_new(void)
{
	struct dry_env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	e->t.present = true;
	e->t.pid = 42;
	e->t.cg.path = "/sys/fs/cgroup/app";
	e->smp = (struct sample){ .usage_bytes = 64 * 1024 * 1024, .limit_bytes = 100 * 1024 * 1024 };
	e->ev = (struct event){ .kind = EVENT_ENTERED, .level = 2, .previous_level = 1 };
	e->ctx = (struct event_ctx){ .ev = &e->ev, .seq = 3, .sample = &e->smp };
	e->de = (struct dispatch_event){ .ctx = &e->ctx, .target = &e->t };
	return e;
}

static _unused_ const char *would(struct dry_env *e, const struct handler *h)
{
	return action_run(h->action)->would(h, &e->de, e->text, sizeof(e->text));
}
