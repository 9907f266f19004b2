/* Per-level hysteresis, pure and with an injected clock (the check's sample time): a level with
 * "for" is entered only once its when has held that long without interruption (Prometheus alert
 * `for:`); a level with "clear_for" is left only once its clear condition (clear_when, else not
 * when) has held that long. Without for, clear_for and clear_when anywhere, the level a check
 * steps to is Satella's: the highest level whose when holds. README "Hysteresis" has the rules. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"

/* How long one condition has held without interruption. */
struct hysteresis_timer {
	uint64_t since_usec; /* the first check of the run where it held */
	bool running;        /* it held at the last check */
};

/* The timers of every level (index i is level i + 1), kept between checks. */
struct hysteresis {
	struct hysteresis_timer held[POLICY_MAX_LEVELS];  /* when */
	struct hysteresis_timer clear[POLICY_MAX_LEVELS]; /* the clear condition; levels <= current only */
};

/* What one check saw, per level (index i is level i + 1): when_holds for every level,
 * clear_holds for the levels up to the current one (the others are not read). */
struct hysteresis_input {
	const bool *when_holds;
	const bool *clear_holds;
	uint64_t now_usec;
};

/* Stops every timer: the next check starts each condition's run afresh (a reload, a target found
 * again, evaluation resumed). */
void hysteresis_restart(struct hysteresis *h);

/* Feeds one check at level (0..p->n_levels) to h's timers and returns the level to step to: the
 * highest level above level whose when has held for its for (passing through those between, as
 * Satella does), or else level lowered while its top level's clear condition has held for its
 * clear_for. The clear timers of levels above the returned level are stopped. */
int hysteresis_step(const struct policy *p, struct hysteresis *h, int level,
                    const struct hysteresis_input *in);

/* What h holds back after a step to level (hysteresis_step's result), as a plot shades it. */
struct hysteresis_hold {
	int up;    /* the highest level above level whose when holds while its for runs; 0: none */
	bool down; /* level's clear condition holds while its clear_for runs */
};

/* The changes h's timers hold back at level: a when that holds above level can only be waiting for
 * its for (an elapsed one would have stepped up), and a running clear timer of level itself only
 * for its clear_for. Pure; all false for a policy without hysteresis (no timer runs). */
struct hysteresis_hold hysteresis_held(const struct policy *p, const struct hysteresis *h, int level);
