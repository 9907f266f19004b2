/* The cgroup v2 tripwire: v2 notifies no usage threshold, but it does count a charge above
 * memory.high in memory.events (`high`), which wakes pollers at once. memhook sets memory.high at
 * the lowest usage threshold of the policy above the usage (the ones cgroup v1's eventfds use,
 * cg_thresholds_of), so the kernel wakes a check as usage crosses it; each check moves it to the
 * next threshold up (or down, as usage falls), and it goes back to max at exit, on SIGTERM, when a
 * reload turns it off, and when the target is lost. It only sits where memory.high is max and
 * memhook may write it; a value someone else wrote (the kubelet's memory QoS, an operator,
 * memhook's own memory_high action) wins: the tripwire stands down for that target and says so
 * once. Each value armed is recorded in the user xattr TRIPWIRE_XATTR of the cgroup directory
 * with memhook's pid and start time, so a memhook starting on a cgroup whose previous memhook was
 * killed without warning recognises its tripwire and removes it. The plan is
 * lib/decide/tripwire_plan.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/defaults.h"
#include "kernel/cgroup.h"
#include "policy/policy.h"
#include "policy/sample.h"

struct tripwire {
	int high_fd;          /* memory.high, read-write; -1 when not started (or stood down) */
	int dirfd;            /* the cgroup directory (a dup), for the xattr; -1 when not started */
	char path[512];       /* for logs */
	bool stood_down;      /* someone else's memory.high (said once), or no way to arm */
	uint64_t armed_bytes; /* the value memory.high holds by memhook; 0: max, as it was */
	uint64_t generation;  /* counts the values armed (a new one is news to the wakeups) */
	uint64_t thr[CG_THRESHOLDS_MAX]; /* the policy's usage thresholds at thr_limit_bytes */
	size_t n_thr;
	bool thr_valid;
	uint64_t thr_limit_bytes;
	uint64_t moves;            /* writes of memory.high */
	uint64_t self_start_ticks; /* this memhook's start time, for the record */
	int events_fd;             /* the target's memory.events (borrowed from its cg_target) */
	uint64_t last_high;        /* its `high` count when last read (at each move, at each crossing) */
	uint64_t floor_bytes;      /* the last tripwire crossed: not armed at or below it again until usage
	                            * falls well below (tripwire_floor); 0: none */
};

/* Not started: tripwire_stop is safe at once. */
void tripwire_init(struct tripwire *tw);

/* Starts on cg (a v2 cgroup on cgroupfs, just acquired): opens memory.high, and removes a
 * tripwire a memhook killed without warning left (its record, with memory.high still at its
 * value and its owner gone; logged). Stands down, logged at info, when memory.high is not max (or
 * a running memhook's tripwire) or cannot be written or recorded. Returns 0 when it may arm, 1
 * when it stood down, -errno (nothing open) on failure. */
int tripwire_start(struct tripwire *tw, const struct cg_target *cg);

/* After a check's sample s under policy p: arms memory.high at the plan's value when it differs
 * from what is armed (thresholds computed once per limit). A memory.high that is not memhook's
 * any more makes it stand down (logged once). Returns 1 when a new value was armed, 0 when
 * nothing changed, -errno on failure (logged at debug; it stands down). */
int tripwire_update(struct tripwire *tw, const struct policy *p, const struct sample *s);

/* The same, from a usage read just now, on the thresholds of the last tripwire_update (the
 * crossing's wakeup moves it before the check runs, so the app spends the least time above it;
 * limit_bytes is for the log). Nothing before a tripwire_update. */
int tripwire_move(struct tripwire *tw, uint64_t usage_bytes, uint64_t limit_bytes);

/* A memory.events notification: whether its `high` count (high_count, read now) grew since the
 * tripwire was armed with usage (read after it) at or near it (tripwire_is_crossing), i.e. usage
 * reached it (page cache may have been reclaimed back under it since). It then becomes the floor:
 * the next value armed is above it. */
bool tripwire_crossed(struct tripwire *tw, uint64_t high_count, uint64_t usage_bytes);

/* Whether memory.high holds a tripwire now. */
bool tripwire_armed(const struct tripwire *tw);

/* Puts memory.high back to max when it holds memhook's tripwire, removes the record, closes
 * (why: for the log line, e.g. "stopping"; NULL: a lost cgroup, nothing logged). Safe when not
 * started. */
void tripwire_stop(struct tripwire *tw, const char *why);

/* Stops and stays down for this target (a memory_high action is about to write memory.high:
 * restoring first makes its saved original the value the tripwire replaced). */
void tripwire_stand_down(struct tripwire *tw, const char *why);
