/* Where memory is going: a fixed ring of recent usage samples and the least-squares slope over a
 * window of them. No allocation per check; the ring lives in the check's state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/defaults.h" /* TREND_RING_CAP */
#include "base/names.h"    /* enum usage_kind */
#include "policy/sample.h" /* struct trend_fit */

struct trend_point {
	uint64_t mono_usec;
	uint64_t used_bytes[USAGE_KINDS];
};

struct trend_ring {
	struct trend_point points[TREND_RING_CAP];
	size_t head; /* index of the next write */
	size_t n;    /* points held, <= TREND_RING_CAP */
};

void trend_ring_reset(struct trend_ring *r);

/* Adds a point unless the newest one is less than min_gap_usec older (then it replaces the newest:
 * the ring keeps the latest reading without growing denser than min_gap). A point older than the
 * newest (a clock that went back) resets the ring first. */
void trend_ring_push(struct trend_ring *r, uint64_t min_gap_usec, const struct trend_point *pt);

/* The spacing that keeps window_usec covered by at least TREND_RING_CAP / 2 points. */
uint64_t trend_min_gap_usec(uint64_t max_window_usec);

/* Fits kind k over the points no older than window_usec before the newest, and projects against
 * limit_bytes. ret->valid false (and the rest zero) with too few points. */
void trend_fit(const struct trend_ring *r, enum usage_kind k, uint64_t window_usec, uint64_t limit_bytes,
               struct trend_fit *ret);

struct policy;

/* For a policy with trend conditions: adds s to the ring (thinned for the policy's longest window)
 * and fills s's trend (the policy's usage over that window) and trend_fits (one per condition).
 * Does nothing for a policy without them. */
void trend_apply(const struct policy *p, struct trend_ring *r, struct sample *s);
