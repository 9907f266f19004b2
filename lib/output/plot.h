/* A picture of a replay: the trace's usage kinds and limit over time, each level's usage thresholds
 * as lines, the levels as bands, the events as markers, the changes for / clear_for held back, and
 * the summary; for `memhook simulate --html/--svg` and `memhook plot`. Pure: samples and events in
 * (collected with plot_samples_add, plot_run_add, plot_run_event), one self-contained SVG or HTML
 * document out (plot_render): no script or style from elsewhere, nothing fetched.
 *
 * Large traces stay light: every line is drawn with at most two points per pixel column, the lowest
 * and the highest of the samples in it, in their order (plot_downsample), so no peak is dropped;
 * bands take the highest level of a column, shading any held sample in it. Event markers are never
 * merged: one per event marked. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide/hysteresis.h"
#include "policy/event.h"
#include "policy/policy.h"
#include "policy/sample.h"

/* Threshold lines drawn per policy: the first usage conditions of its levels' when, lowest level
 * first (a policy with more keeps the first ones: what the picture is for is a handful). */
#define PLOT_MAX_LINES 8
/* The plot's width in pixels, and so its columns: the width less the axis labels' margins. */
#define PLOT_WIDTH_PX   1000
#define PLOT_LEFT_PX    76
#define PLOT_RIGHT_PX   24
#define PLOT_COLUMNS    (PLOT_WIDTH_PX - PLOT_LEFT_PX - PLOT_RIGHT_PX)
#define PLOT_NAME_BYTES 64

/* The figures drawn from the trace: the usage kinds (enum usage_kind) and the limit. */
enum plot_series { PLOT_SERIES_LIMIT = USAGE_KINDS, PLOT_SERIES };

/* The trace's samples, shared by every policy drawn over it. */
struct plot_samples {
	size_t n, cap;
	uint64_t *t_usec;           /* since the first sample */
	double *v[PLOT_SERIES];     /* bytes; NAN for working set and anon without memory.stat */
	char name[PLOT_NAME_BYTES]; /* the trace, for the title */
};

/* A usage threshold drawn as a line: the condition, its level, the usage kind it measures. */
struct plot_line {
	const struct condition *cond; /* in the run's policy, valid while it is */
	int level;
	enum usage_kind usage;
};

/* An event drawn as a marker. */
struct plot_event {
	size_t sample; /* index into plot_samples */
	uint64_t seq;  /* 1-based, in the order the events were marked (simulate's output lines) */
	enum event_kind kind;
	int level, previous_level;
	enum usage_kind usage;    /* what the policy decides on */
	double time_to_limit_sec; /* entered: the smallest projected time of a time_to_limit condition of
	                           * the level that holds; NAN when none does */
};

/* One policy replayed over the samples. */
struct plot_run {
	char name[PLOT_NAME_BYTES];
	size_t n_levels;
	char level_names[POLICY_MAX_LEVELS + 1][PLOT_NAME_BYTES];
	size_t n_lines;
	struct plot_line lines[PLOT_MAX_LINES];
	size_t n, cap;  /* samples added: equal to plot_samples' n when drawn */
	uint8_t *level; /* after each sample's check */
	uint8_t *held;  /* PLOT_HELD_* of the check */
	double *thr;    /* [sample * PLOT_MAX_LINES + line], bytes; NAN: no threshold at that sample */
	size_t n_events, events_cap;
	struct plot_event *events;
	uint64_t level_usec[POLICY_MAX_LEVELS + 1]; /* time at each level, as simulate's summary */
	uint64_t kind_count[EVENT_KINDS];           /* every event, marked or not */
	uint64_t prev_usec;                         /* the last check's time */
};

enum { PLOT_HELD_UP = 1, PLOT_HELD_DOWN = 2 };

/* Appends s, taken t_usec after the first sample. Returns 0 or -ENOMEM. */
int plot_samples_add(struct plot_samples *ps, const struct sample *s, uint64_t t_usec);
void plot_samples_free(struct plot_samples *ps);

/* A run of p named name (truncated): its level names and threshold lines. */
void plot_run_init(struct plot_run *r, const struct policy *p, const char *name);
/* The check of s (with its trend fits) at t_usec that left the level at level, holding back hold:
 * the level, the held shading, each line's threshold for s's limit (the condition's threshold
 * column, lib/policy/condition.h), and the time at the previous level. Returns 0 or -ENOMEM. */
int plot_run_add(struct plot_run *r, const struct sample *s, uint64_t t_usec, int level,
                 struct hysteresis_hold hold);
/* An event of the check last added (s: its sample, with trend fits), counted; drawn when marked.
 * Returns 0 or -ENOMEM. */
int plot_run_event(struct plot_run *r, const struct policy *p, const struct event *ev, const struct sample *s,
                   bool marked);
void plot_run_free(struct plot_run *r);

/* The threshold of line for s: the bytes of its usage kind at which its condition starts to hold
 * (the row's threshold column at s's limit, usage set to nothing). false when there is none (a
 * threshold of 0 or above the limit). */
bool plot_line_threshold(const struct plot_line *line, const struct sample *s, double *ret_bytes);

/* One point of a downsampled line. */
struct plot_point {
	uint64_t t_usec;
	double v;
	bool move; /* starts a new stretch: the samples before it had no value */
};

/* The line v[i * stride] over t[0..n) in at most two points per column of columns between t0_usec
 * and t1_usec: the lowest and the highest sample of the column, in their order (every sample when
 * there are no more than 2 * columns). NAN values are gaps. ret holds 2 * columns points, or n when
 * fewer. Returns the number of points. */
size_t plot_downsample(const uint64_t *t, const double *v, size_t stride, size_t n, uint64_t t0_usec,
                       uint64_t t1_usec, size_t columns, struct plot_point *ret);

/* The column of t_usec in columns between t0_usec and t1_usec (the last for t1_usec). */
size_t plot_column(uint64_t t_usec, uint64_t t0_usec, uint64_t t1_usec, size_t columns);

enum plot_format { PLOT_SVG, PLOT_HTML };

/* The picture of samples and runs[0..n_runs) (the first drawn in full, the others as their levels,
 * holds and events on the same time axis) as one document: SVG with <title> tooltips, or HTML with
 * the same SVG and a small inline script showing a marker's details on hover. Returns 0 with a
 * malloc'd NUL-terminated text in *ret, or -ENOMEM, -EINVAL (no run, or a run whose samples are not
 * the trace's). */
int plot_render(const struct plot_samples *samples, const struct plot_run *runs, size_t n_runs,
                enum plot_format format, char **ret);
