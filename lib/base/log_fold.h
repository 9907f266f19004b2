/* Folding of repeated log messages (as journald rate-limits): the first message of a key in a window
 * is written, the repeats are counted, and one summary line says how many were left out. Pure: the
 * caller passes the clock, so tests drive it by hand. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Distinct keys folded at once. A key that finds no free slot is never folded (written every time),
 * so a burst of many different messages is never hidden. */
#define LOG_FOLD_SLOTS 16
/* The first words of a folded message, quoted in its summary. */
#define LOG_FOLD_TEXT_MAX 96

struct log_fold_slot {
	const void *site; /* the call site (its format string); NULL: free */
	uint64_t subject; /* what it is about (log_subject), 0 for the site alone */
	int level;        /* the caller's, handed back in the summary */
	uint64_t window_start_usec;
	unsigned suppressed;
	char text[LOG_FOLD_TEXT_MAX];
};

struct log_fold {
	uint64_t window_usec; /* 0: folding off */
	size_t n_open;        /* slots in use: 0 lets a check skip the clock and the scan */
	struct log_fold_slot slots[LOG_FOLD_SLOTS];
};

/* A summary to write: "<text>" repeated <count> more times in the last <span_usec>. */
struct log_fold_summary {
	char text[LOG_FOLD_TEXT_MAX];
	int level;
	unsigned count;
	uint64_t span_usec;
};

/* A message's key is its call site and its subject. Whether a message with this key, level and text
 * at now_usec is written (true) or counted (false). When an earlier window of the same key ended
 * with repeats, its summary is put in *ret_summary (count > 0) and must be written before it. */
bool log_fold_admit(struct log_fold *f, const void *site, uint64_t subject, int level, const char *text,
                    uint64_t now_usec, struct log_fold_summary *ret_summary);

/* A subject for a key: a hash of s (FNV-1a), never 0. */
uint64_t log_subject(const char *s);

/* Takes the summary of one window that has ended by now_usec (every window when flush_all) and frees
 * its slot. Returns true when *ret_summary was filled; call until it returns false. */
bool log_fold_take_expired(struct log_fold *f, uint64_t now_usec, bool flush_all,
                           struct log_fold_summary *ret_summary);
