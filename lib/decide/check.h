/* One check's decision: the events a sample gives at the level kept between checks. Pure: the
 * sample is read by lib/kernel/sampler.h; the monitor emits the events check_step returns. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/event.h"
#include "decide/adaptive.h"
#include "decide/hysteresis.h"
#include "decide/trend.h"
#include "decide/limit_watch.h"
#include "policy/policy.h"
#include "policy/sample.h"

/* target_found or target_lost, a changed limit, oom_kill, then at most |to - from| + 1 level steps. */
#define CHECK_MAX_EVENTS (POLICY_MAX_LEVELS + 4)

/* level, at most p's highest level (a reload to a policy with fewer levels). */
int check_clamp_level(const struct policy *p, int level);

/* What the monitor keeps of a target between checks: the level and what the next check decides
 * from besides its sample. */
struct check_state {
	int level;                   /* 0..n_levels of the running policy */
	struct hysteresis hys;       /* per-level for / clear_for timers */
	struct trend_ring trend;     /* recent usage for trend conditions (empty without them) */
	struct limit_watch limits;   /* the last effective limit, to see it change */
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
 * its trend fits (trend_apply: the sample in ret carries them), the limit's event (limit_watch.h) when s's
 * effective limit differs from the last check's (so a target's first check never has one), oom_kill when
 * memory.events' oom_kill grew, then the steps from the level to the one p's conditions and st's timers give
 * at s->mono_usec (hysteresis_step; remaining when it did not change), and the delay to the next check
 * (lib/decide/adaptive.h: st's growth rates take the sample first; a found or lost target forgets them).
 * probe_results as for eval_level. Pure: reads its arguments, writes only st (the level after the steps, the
 * timers) and ret. */
void check_step(const struct policy *p, struct check_state *st, enum check_target target,
                const struct sample *s, const bool *probe_results, struct check_result *ret);

/* Whether ev carries the check's sample (event_has_sample: all but the target's appearance and loss). */
bool check_event_has_sample(const struct event *ev);
