/* The memory_high action's values and the remember/restore state machine. */
#include "decide/memory_high.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

uint64_t memory_high_amount(const struct memory_high_cfg *cfg, uint64_t limit_bytes, uint64_t page_bytes)
{
	uint64_t want;
	if (!page_bytes)
		page_bytes = 4096;
	if (cfg->bytes > 0)
		want = cfg->bytes;
	else {
		double pct = cfg->percent > 100.0 ? 100.0 : cfg->percent > 0 ? cfg->percent : 0.0;
		double v = (double)limit_bytes * pct / 100.0;
		want = v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
	}
	want = want / page_bytes * page_bytes;
	return want ? want : page_bytes;
}

bool memory_high_valid(const char *text)
{
	if (strcmp(text, "max") == 0)
		return true;
	size_t n = strspn(text, "0123456789");
	return n > 0 && n <= 20 && text[n] == '\0';
}

bool memory_high_note_write(struct memory_high_state *st, const char *current, uint64_t set_bytes)
{
	bool first = !st->saved;
	if (first) {
		snprintf(st->original, sizeof(st->original), "%s", current);
		st->saved = true;
	}
	st->set_bytes = set_bytes;
	return first;
}

enum memory_high_restore memory_high_restore_plan(const struct memory_high_state *st, const char *current)
{
	char set[24];
	if (!st->saved)
		return MEMORY_HIGH_NOTHING;
	if (strcmp(current, st->original) == 0)
		return MEMORY_HIGH_ALREADY;
	snprintf(set, sizeof(set), "%" PRIu64, st->set_bytes);
	return strcmp(current, set) == 0 ? MEMORY_HIGH_RESTORE : MEMORY_HIGH_CHANGED;
}

void memory_high_forget(struct memory_high_state *st)
{
	st->saved = false;
	st->original[0] = '\0';
	st->set_bytes = 0;
}
