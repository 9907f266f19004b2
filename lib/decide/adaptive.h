/* Adaptive checks: when the next check comes. check_interval is the longest wait, min_interval the
 * shortest; in between, the time the measured growth needs to reach the nearest threshold that
 * would raise the level, times ADAPTIVE_SAFETY. Pure: the state and a sample in, a delay out, on
 * the sample's clock (README "Adaptive checks" has the rule). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "decide/hysteresis.h"
#include "base/names.h" /* enum usage_kind */
#include "policy/policy.h"
#include "policy/sample.h"

/* The growth rates, from the checks seen so far. */
struct adaptive_state {
	bool has_prev;                            /* a previous sample below */
	uint64_t prev_usec;                       /* its mono_usec */
	uint64_t prev_used_bytes[USAGE_KINDS];    /* its usage of each kind */
	uint64_t prev_host_available_bytes;       /* its MemAvailable */
	double growth_bytes_per_sec[USAGE_KINDS]; /* >= 0: how fast each usage grows */
	double host_fall_bytes_per_sec;           /* >= 0: how fast MemAvailable falls */
};

/* Forgets every rate (a new target: its usage says nothing of the old one's). */
void adaptive_reset(struct adaptive_state *a);

/* Feeds s to the rates: each is the larger of the growth since the previous sample and the
 * previous rate halved every ADAPTIVE_RATE_HALF_LIFE_USEC since then. A sample not newer than the
 * previous one only replaces it. */
void adaptive_observe(struct adaptive_state *a, const struct sample *s);

/* The delay after s (taken at s->mono_usec) until the next check, in
 * [p->min_interval_usec, p->check_interval_usec]: the shortest over the levels above level of
 * - each local_absolute / local_relative / global_absolute / global_relative condition of their
 *   when (not under a not, not holding now) whose usage grows (ADAPTIVE_MARGIN_BYTES in a
 *   check_interval at least): ADAPTIVE_SAFETY * distance / rate, or min_interval within
 *   ADAPTIVE_MARGIN_BYTES of the threshold;
 * - each time_to_limit condition with a valid, growing fit not holding now: ADAPTIVE_SAFETY *
 *   (projected time to the limit - its below);
 * - a level whose for is running (h): the time left until it has held for its for;
 * and check_interval when there is none. */
uint64_t adaptive_delay_usec(const struct policy *p, const struct adaptive_state *a,
                             const struct hysteresis *h, int level, const struct sample *s);
