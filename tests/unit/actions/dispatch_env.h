/* A scratch directory standing for the target's cgroup (its memory.high a file the test writes
 * and reads), with a real loop, spawner and dispatcher, and an "entered level 1" event with a
 * sample of 90 MiB used of 100 MiB: the fixture of the action tests that go through dispatch
 * (test_action_run_<kind>.c, test_memory_high_restore.c, test_worker.c). */
#pragma once

#include "capture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actions/dispatch.h"
#include "actions/signal_reclaim.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/spawn.h"
#include "base/util.h"
#include "decide/memory_high.h"

/* Who sends, as cmd/ would gather it. */
static const struct payload_origin origin = { .instance = "0123456789abcdef", .hostname = "node-7" };

/* paths are written as string literals (-Wwrite-strings makes them const) */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#define MIB           (UINT64_C(1) << 20)
#define DEADLINE_USEC (UINT64_C(10) * USEC_PER_SEC)

struct env {
	struct loop *l;
	struct spawner *s;
	struct dispatch d;
	struct target t;
	char dir[64];
	struct sample smp;
	struct event ev;
	struct event_ctx ctx;
	struct dispatch_event de;
	bool freed;
};

static _unused_ void put(struct env *e, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/memory.high", e->dir);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static _unused_ const char *high(struct env *e, char *buf, size_t size)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/memory.high", e->dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = pread_all(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static _unused_ int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	if (!e || loop_new(&e->l) < 0 || spawner_new(e->l, &e->s) < 0)
		return -1;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	e->d = (struct dispatch){ .loop = e->l, .spawner = e->s };
	snprintf(e->dir, sizeof(e->dir), "/tmp/memhook-high-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	put(e, "max\n");
	e->t.present = true;
	e->t.cg.version = CG_V2;
	e->t.cg.path = e->dir;
	e->t.cg.dirfd = open(e->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e->t.cg.usage_fd = e->t.cg.limit_fd = e->t.cg.events_fd = e->t.cg.pressure_fd = e->t.cg.stat_fd = -1;
	e->t.pidfd = -1;
	e->smp = (struct sample){ .usage_bytes = 90 * MIB, .limit_bytes = 100 * MIB };
	e->ev = (struct event){ .kind = EVENT_ENTERED, .level = 1, .previous_level = 0 };
	e->ctx = (struct event_ctx){ .origin = &origin,
		                     .ev = &e->ev,
		                     .level_name = "one",
		                     .previous_level_name = "normal",
		                     .seq = 1,
		                     .sample = &e->smp };
	e->de = (struct dispatch_event){ .ctx = &e->ctx, .target = &e->t };
	*state = e;
	return 0;
}

static _unused_ int teardown(void **state)
{
	struct env *e = *state;
	spawner_free(e->s);
	if (!e->freed)
		dispatch_free(&e->d);
	loop_free(e->l);
	close(e->t.cg.dirfd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

static _unused_ bool idle(struct env *e)
{
	return dispatch_pending(&e->d) == 0 && e->d.reclaims_running == 0;
}

static _unused_ bool run_until_idle(struct env *e)
{
	uint64_t end = now_mono_usec() + DEADLINE_USEC;
	while (!idle(e)) {
		uint64_t now = now_mono_usec();
		if (now >= end)
			return false;
		assert_true(loop_iterate(e->l, 50000) >= 0);
	}
	return true;
}

static _unused_ struct handler h80 = {
	.path = "handlers[0]", .action = ACTION_MEMORY_HIGH, .level = -1, .memory_high = { .percent = 80 }
};
static _unused_ struct handler h50 = {
	.path = "handlers[1]", .action = ACTION_MEMORY_HIGH, .level = -1, .memory_high = { .bytes = 50 * MIB }
};
