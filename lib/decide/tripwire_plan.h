/* The cgroup v2 tripwire as values (lib/kernel/tripwire.h does the I/O): which memory.high to arm
 * for a usage, what a memory.high read before a write means, and the record that lets the next
 * memhook recognise a tripwire left behind by one killed without warning. Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The user xattr on the cgroup directory that records an armed tripwire (cgroupfs keeps user.*
 * xattrs since Linux 5.7). */
#define TRIPWIRE_XATTR "user.memhook.tripwire"

/* A crossed tripwire is not armed again at or below its value until usage has fallen this far
 * below it (1/16 of the limit: 16 MiB of 256 MiB). Page cache is what makes it needed: above
 * memory.high the kernel reclaims it, so usage may never pass a tripwire the app's cache reached;
 * armed there again, it would keep the cache under the threshold for good. */
#define TRIPWIRE_REARM_DIVISOR 16

/* The memory.high to arm at a usage of usage_bytes: the lowest of the ascending thresholds
 * (cg_thresholds_of: the usages at which a local condition starts to hold, page multiples) that is
 * above usage_bytes and above floor_bytes (a crossed tripwire, 0: none), so the kernel counts
 * `high` the moment usage reaches it. 0 when none is (usage at or past the highest: memory.high
 * goes back to the replaced value). A threshold at or below the usage would throttle the app at
 * once, never. */
uint64_t tripwire_plan(const uint64_t *thresholds, size_t n, uint64_t usage_bytes, uint64_t floor_bytes);

/* Whether a grown `high` count, with usage at usage_bytes now, is the crossing of armed_bytes:
 * usage at it, or less than limit_bytes / TRIPWIRE_REARM_DIVISOR under it (page cache reclaimed
 * back under it). Farther under, the count grew for the value before (the kernel counts charges
 * that passed it on other CPUs before memhook moved it, and notifies up to 10 ms late). */
bool tripwire_is_crossing(uint64_t armed_bytes, uint64_t usage_bytes, uint64_t limit_bytes);

/* The floor after a check at usage_bytes: floor_bytes, or 0 once usage is more than
 * limit_bytes / TRIPWIRE_REARM_DIVISOR below it. */
uint64_t tripwire_floor(uint64_t floor_bytes, uint64_t usage_bytes, uint64_t limit_bytes);

/* What memory.high holds before memhook writes the tripwire. */
enum tripwire_seen {
	TRIPWIRE_SEEN_FREE,  /* "max": nobody set it; the tripwire may sit there */
	TRIPWIRE_SEEN_OURS,  /* the value this memhook armed last: it may move */
	TRIPWIRE_SEEN_OTHER, /* anything else: someone else's; the tripwire stands down */
};

/* What text (memory.high as read, without the newline) means when this memhook armed armed_bytes
 * last (0: nothing armed now). */
enum tripwire_seen tripwire_seen(const char *text, uint64_t armed_bytes);

/* The record of an armed tripwire: the value armed and who armed it (a pid, and its start time in
 * clock ticks after boot: a pid taken again by another process is another owner). */
struct tripwire_record {
	uint64_t armed_bytes;
	pid_t pid;
	uint64_t start_ticks;
};

/* "armed <bytes> pid <pid> start <ticks>" into buf (NUL-terminated). Returns its length, or -1
 * when buf is too small. */
int tripwire_record_format(const struct tripwire_record *rec, char *buf, size_t size);

/* Parses the xattr's value (len bytes, not NUL-terminated): exactly the format above. Returns 0,
 * or -EBADMSG with *ret untouched. */
int tripwire_record_parse(const char *buf, size_t len, struct tripwire_record *ret);

/* What a memhook starting on a cgroup does with a record found there. */
enum tripwire_leftover {
	TRIPWIRE_LEFTOVER_RESTORE, /* a dead memhook's tripwire still set: memory.high back to max */
	TRIPWIRE_LEFTOVER_STALE,   /* a dead memhook's record, memory.high changed since: drop the record */
	TRIPWIRE_LEFTOVER_LIVE,    /* a running memhook's tripwire: leave it, stand down */
};

/* Decides for a record rec found with memory.high reading text; owner_alive: rec's pid runs with
 * rec's start time. */
enum tripwire_leftover tripwire_leftover(const struct tripwire_record *rec, const char *text,
                                         bool owner_alive);
