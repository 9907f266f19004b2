/* One snapshot of the target and the host: what every evaluation reads. Plain data. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "names.h" /* enum psi_kind, psi_window, memevent and their names */

struct psi {
	double avg[PSI_KINDS][PSI_WINDOWS]; /* percent, 0..100 */
	uint64_t total_usec[PSI_KINDS];
};

struct sample {
	uint64_t usage_bytes;          /* memory.current / memory.usage_in_bytes */
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
};

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
