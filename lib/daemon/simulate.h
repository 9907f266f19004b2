/* `memhook simulate`: a trace replayed through the monitor's pure check step (check_step) on the
 * trace's own clock, printing the events that would have fired and a summary. Nothing sleeps:
 * the clock is the trace's elapsed_sec. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "policy/policy.h"
#include "output/trace.h"

/* Whether p can be replayed: a custom condition runs a command at every check, which a trace
 * cannot answer. Returns 0, or -EOPNOTSUPP with "<condition path>: ..." in err. */
int simulate_check_policy(const struct policy *p, char *err, size_t err_size);

/* Replays every sample of tr through p, starting at level 0 as the monitor does, and prints to
 * out one JSON line per event (remaining only when all) with the handlers that would take it and
 * the sample that caused it, then one summary line. Returns 0; -EBADMSG with "<file>:<line>:
 * <reason>" in err for a bad trace line, or a sample without what p reads (PSI, memory.events);
 * -EIO when out cannot be written; -ENOMEM. */
int simulate_run(const struct policy *p, struct trace_reader *tr, bool all, FILE *out, char *err,
                 size_t err_size);
