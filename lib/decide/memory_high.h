/* memory.high as the memory_high action changes it: the value an action sets, and the value it
 * replaced, kept until memhook puts it back (on normal, at stop). Pure: reading and writing the
 * file is lib/actions/signal_reclaim.c's, the order of the writes lib/actions/dispatch.c's. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

/* What memory.high held before memhook's first write, and what memhook wrote last. */
struct memory_high_state {
	bool saved;         /* memhook changed memory.high: original is to be put back */
	char original[24];  /* "max" or a byte count, as memory.high read */
	uint64_t set_bytes; /* memhook's last value */
	int dirfd;          /* the cgroup changed (a dup, the owner's to close); valid when saved */
	dev_t dev;          /* its identity (struct cg_target's dev and ino): a cgroup made again */
	ino_t ino;          /* at the same path is another one, whose memory.high memhook never set */
	char path[512];     /* its path, for logs (truncated) */
};

/* The value to write for cfg: cfg->bytes, or cfg->percent of limit_bytes (the effective limit),
 * rounded down to whole pages of page_bytes (the kernel keeps pages), at least one page. */
uint64_t memory_high_amount(const struct memory_high_cfg *cfg, uint64_t limit_bytes, uint64_t page_bytes);

/* Whether text is a memory.high value: "max" or decimal digits (at most 20). */
bool memory_high_valid(const char *text);

/* Before writing set_bytes over current (what memory.high reads now): the first write keeps
 * current as the value to restore; later ones keep the first original. Returns true when this
 * write is the first (the caller then records dirfd and path, and calls memory_high_forget if
 * the write fails: nothing was changed). */
bool memory_high_note_write(struct memory_high_state *st, const char *current, uint64_t set_bytes);

enum memory_high_restore {
	MEMORY_HIGH_NOTHING, /* memhook changed nothing (or already restored) */
	MEMORY_HIGH_RESTORE, /* memory.high still holds memhook's value: write original back */
	MEMORY_HIGH_ALREADY, /* it holds the original again: nothing to write */
	MEMORY_HIGH_CHANGED, /* someone else wrote another value since: leave it */
};

/* What restoring means when memory.high reads current. */
enum memory_high_restore memory_high_restore_plan(const struct memory_high_state *st, const char *current);

/* Forgets the saved value (after a restore, or when there is nothing left to restore). Does not
 * close dirfd. */
void memory_high_forget(struct memory_high_state *st);
