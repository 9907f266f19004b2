/* One check of the target: the sample it reads and the events it decides. Reading is
 * check_sample (I/O only); deciding is check_step (pure): it returns the events, the monitor
 * emits them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "adaptive.h"
#include "hostmem.h"
#include "hysteresis.h"
#include "trend.h"
#include "limit_watch.h"
#include "policy.h"
#include "sample.h"
#include "target.h"

/* target_found or target_lost, limit_changed, oom_kill, then at most |to - from| + 1 level steps. */
#define CHECK_MAX_EVENTS (POLICY_MAX_LEVELS + 4)

/* level, at most p's highest level (a reload to a policy with fewer levels). */
int check_clamp_level(const struct policy *p, int level);

/* What the checks of a policy read, so a check reads nothing more. */
struct check_needs {
	unsigned sample_what;  /* CG_SAMPLE_*: pressure and events conditions, oom_kill handlers */
	bool host_every_check; /* a global_* condition: meminfo at every check */
};

/* What p's conditions and handlers read. */
struct check_needs check_needs_of(const struct policy *p);

/* The host's memory as last read: checks that do not decide on it reuse the last figures, and
 * they are refreshed before an event carries them. */
struct check_host {
	struct hostmem mem;
	bool known; /* read at least once */
	bool fresh; /* read during the current check */
	uint64_t total_bytes, available_bytes;
};

/* Reads meminfo into h and into s's host figures. Returns 0 or -errno (h and s untouched). */
int check_host_refresh(struct check_host *h, struct sample *s);

/* Fills ret from the target and the host: what needs asks for, the host figures (read when
 * needs->host_every_check or never read, otherwise the last ones), the effective limit (p's
 * maximum_available, else the cgroup's, 0 included, else MemTotal) and the times. Returns 0; 1 when meminfo
 * could not be read (logged: the host's problem, the check is skipped); or the target's -errno
 * (vanished: -ENOENT/-ENODEV, garbage: -EBADMSG). */
int check_sample(struct target *t, const struct policy *p, const struct check_needs *needs,
                 struct check_host *h, struct sample *ret);

/* What the monitor keeps of a target between checks: the level and what the next check decides
 * from besides its sample. */
struct check_state {
	int level;                   /* 0..n_levels of the running policy */
	struct hysteresis hys;       /* per-level for / clear_for timers */
	struct trend_ring trend;     /* recent usage for trend conditions (empty without them) */
	struct limit_watch limits;   /* the last effective limit, for limit_changed */
	struct adaptive_state adapt; /* growth rates, for the next check's delay */
};

/* A state at level 0 with no timer running (a target's first check). */
void check_state_init(struct check_state *st);

/* Restarts the timers and empties the trend ring at the next check, keeping the level (clamped to
 * p) and the growth rates (how fast usage grows is the target's, not the policy's): a reload to p, or
 * evaluation resumed after a pause (the checks not made cannot say a condition held). */
void check_state_restart(const struct policy *p, struct check_state *st);

/* What the check knows of its target. */
enum check_target {
	CHECK_TARGET_PRESENT, /* there, as at the last check */
	CHECK_TARGET_FOUND,   /* back after it was missing */
	CHECK_TARGET_LOST,    /* gone since the last check */
};

/* The outcome of one check: the events to emit, in order, and the level after them. */
struct check_result {
	struct sample sample; /* what oom_kill and the level steps carry; valid when has_sample */
	bool has_sample;
	struct event events[CHECK_MAX_EVENTS];
	size_t n_events;
	int level;
	uint64_t next_check_delay_usec; /* after the sample's time, when has_sample (adaptive_delay_usec) */
};

/* Decides one check at st's level (clamped to p): target_found when found, target_lost alone when
 * lost (both restart st's timers, empty its trend ring and forget the last limit); with a sample s,
 * its trend fits (trend_apply: the sample in ret carries them), limit_changed when s's effective
 * limit differs from the last check's (so a target's first check never has one), oom_kill when memory.events'
 * oom_kill grew, then the steps from the level to the one p's conditions and st's timers give at s->mono_usec
 * (hysteresis_step; remaining when it did not change), and the delay to the next check (lib/adaptive.h:
 * st's growth rates take the sample first; a found or lost target forgets them). probe_results as for
 * eval_level.
 * Pure: reads its arguments, writes only st (the level after the steps, the timers) and ret. */
void check_step(const struct policy *p, struct check_state *st, enum check_target target,
                const struct sample *s, const bool *probe_results, struct check_result *ret);

/* Whether ev carries the check's sample (oom_kill and level steps; not target_lost/found). */
bool check_event_has_sample(const struct event *ev);
