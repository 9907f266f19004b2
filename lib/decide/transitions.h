/* Satella's level stepping and handler selection, pure and with an injected clock:
 * going up a -> b yields entered(a+1) .. entered(b); going down yields left(b) .. left(a+1) and
 * normal when 0 is reached; no change yields remaining(level). Handlers of `remaining` are
 * rate-limited by their `every`. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "policy/event.h"
#include "policy/policy.h"

/* Steps from one level to another into ret (cap >= |to - from| + 1 is always enough).
 * Returns the number of events written. */
size_t transitions_step(int from, int to, struct event *ret, size_t cap);

/* Whether handler h takes event ev (kind and level match). */
bool transitions_handler_matches(const struct handler *h, const struct event *ev);

/* Whether h is due to fire for ev at now_usec: it matches and, for remaining with `every`, at
 * least every has passed since last_fired_usec (0: never fired). Pure: the caller that fires it
 * records so with transitions_record_fired. */
bool transitions_handler_due(const struct handler *h, const struct event *ev, uint64_t last_fired_usec,
                             uint64_t now_usec);

/* Records that a handler fired at now_usec, for the next transitions_handler_due. */
static inline void transitions_record_fired(uint64_t *last_fired_usec, uint64_t now_usec)
{
	*last_fired_usec = now_usec;
}
