/* One snapshot of the target and the host: what every evaluation reads. Plain data. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/defaults.h" /* POLICY_MAX_TRENDS */
#include "base/names.h"    /* enum psi_kind, psi_window, memevent and their names */

struct psi {
	double avg[PSI_KINDS][PSI_WINDOWS]; /* percent, 0..100 */
	uint64_t total_usec[PSI_KINDS];
};

/* One least-squares fit of recent usage (lib/decide/trend.c). */
struct trend_fit {
	bool valid;                 /* at least TREND_MIN_POINTS points spanning half the window */
	double slope_bytes_per_sec; /* > 0: growing */
	double time_to_limit_sec;   /* (limit - newest used) / slope when slope > 0 (0 at or over the
	                             * limit), INFINITY when not growing */
};

struct sample {
	uint64_t usage_bytes;          /* memory.current / memory.usage_in_bytes */
	bool has_stat;                 /* memory.stat was read: the two below are valid */
	uint64_t working_set_bytes;    /* usage_bytes - inactive_file (v1 total_inactive_file), >= 0 */
	uint64_t anon_bytes;           /* v2 anon, v1 total_rss */
	enum usage_kind usage;         /* what the policy decides on (its "usage"): local_free_* of the
	                                * payload and the log lines measure this */
	uint64_t limit_bytes;          /* effective local maximum; 0 is a limit of nothing */
	uint64_t host_total_bytes;     /* MemTotal */
	uint64_t host_available_bytes; /* MemAvailable */
	bool has_psi;                  /* memory.pressure was read */
	struct psi psi;
	bool has_events;                    /* memory.events was read */
	uint64_t events[MEMEV_COUNT];       /* cumulative counters */
	uint64_t events_delta[MEMEV_COUNT]; /* increase since the previous sample */
	uint64_t mono_usec;                 /* when it was taken, CLOCK_MONOTONIC */
	uint64_t real_usec;                 /* same, CLOCK_REALTIME */
	/* The policy's usage over its longest trend window (has_trend: the policy has trend
	 * conditions), and one fit per trend condition (policy.trends). */
	bool has_trend;
	enum usage_kind trend_usage; /* the policy's usage */
	uint64_t trend_window_usec;  /* its longest trend window */
	struct trend_fit trend;
	struct trend_fit trend_fits[POLICY_MAX_TRENDS];
};

/* The usage of kind k; working set and anon fall back to usage_bytes when memory.stat was not
 * read (has_stat false). */
static inline uint64_t sample_used_bytes(const struct sample *s, enum usage_kind k)
{
	if (!s->has_stat)
		return s->usage_bytes;
	switch (k) {
	case USAGE_WORKING_SET:
		return s->working_set_bytes;
	case USAGE_ANON:
		return s->anon_bytes;
	default:
		return s->usage_bytes;
	}
}

/* limit - used of kind k, 0 when at or above the limit. */
static inline uint64_t sample_local_free_bytes_of(const struct sample *s, enum usage_kind k)
{
	uint64_t used = sample_used_bytes(s, k);
	return used < s->limit_bytes ? s->limit_bytes - used : 0;
}

/* sample_local_free_bytes_of in percent of the limit (0..100); 0 for a limit of 0. */
static inline double sample_local_free_percent_of(const struct sample *s, enum usage_kind k)
{
	return s->limit_bytes ? (double)sample_local_free_bytes_of(s, k) * 100.0 / (double)s->limit_bytes
	                      : 0.0;
}

/* limit - usage, 0 when usage is at or above the limit. */
static inline uint64_t sample_local_free_bytes(const struct sample *s)
{
	return s->usage_bytes < s->limit_bytes ? s->limit_bytes - s->usage_bytes : 0;
}

/* Local free memory in percent of the limit (0..100); 0 for a limit of 0 (nothing is free). */
static inline double sample_local_free_percent(const struct sample *s)
{
	return s->limit_bytes ? (double)sample_local_free_bytes(s) * 100.0 / (double)s->limit_bytes : 0.0;
}

/* Host available memory in percent of MemTotal (0..100); both from the same meminfo read. */
static inline double sample_host_available_percent(const struct sample *s)
{
	return s->host_total_bytes ? (double)s->host_available_bytes * 100.0 / (double)s->host_total_bytes
	                           : 0.0;
}
