/* `memhook simulate`: a trace replayed through the monitor's pure check step (check_step) on the
 * trace's own clock, printing the events that would have fired and a summary. Nothing sleeps:
 * the clock is the trace's elapsed_sec. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "policy/policy.h"
#include "output/plot.h"
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

/* simulate_run, printing to out only when it is not NULL, and collecting what the picture draws:
 * every sample into samples and p's levels, holds, thresholds and events into run (each when not
 * NULL; run initialised with plot_run_init). The events run marks are the ones printed (remaining
 * only when all). Returns as simulate_run. */
int simulate_replay(const struct policy *p, struct trace_reader *tr, bool all, FILE *out,
                    struct plot_samples *samples, struct plot_run *run, char *err, size_t err_size);

/* What simulate_draw draws, and where. */
struct simulate_picture {
	const char *html_path, *svg_path; /* either may be NULL */
	const char *name;                 /* the policy's file, for its name (NULL: the default policy) */
	const struct policy *compare;     /* a second policy drawn beside it, or NULL */
	const char *compare_name;
};

/* Replays trace_path (a file: it is read once per policy) through p as simulate_run does, printing
 * to out unless it is NULL, and through pic->compare, and writes the picture (plot_render) to
 * pic's files. Returns 0; -errno with "<path>: <reason>" in err when a file cannot be opened or
 * written; otherwise as simulate_run. */
int simulate_draw(const struct policy *p, const char *trace_path, bool all, FILE *out,
                  const struct simulate_picture *pic, char *err, size_t err_size);
