/* The tripwire's plan, the meaning of memory.high before a write, and its record. */
#include "decide/tripwire_plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/units.h"

uint64_t tripwire_plan(const uint64_t *thresholds, size_t n, uint64_t usage_bytes, uint64_t floor_bytes)
{
	uint64_t above = usage_bytes > floor_bytes ? usage_bytes : floor_bytes;
	for (size_t i = 0; i < n; i++)
		if (thresholds[i] > above)
			return thresholds[i];
	return 0;
}

bool tripwire_is_crossing(uint64_t armed_bytes, uint64_t usage_bytes, uint64_t limit_bytes)
{
	return armed_bytes && (usage_bytes >= armed_bytes ||
	                       armed_bytes - usage_bytes <= limit_bytes / TRIPWIRE_REARM_DIVISOR);
}

uint64_t tripwire_floor(uint64_t floor_bytes, uint64_t usage_bytes, uint64_t limit_bytes)
{
	uint64_t gap = limit_bytes / TRIPWIRE_REARM_DIVISOR;
	return usage_bytes < floor_bytes && floor_bytes - usage_bytes > gap ? 0 : floor_bytes;
}

/* Whether text is exactly the decimal digits of v. */
static bool text_is(const char *text, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return strcmp(text, buf) == 0;
}

enum tripwire_seen tripwire_seen(const char *text, uint64_t armed_bytes)
{
	if (armed_bytes && text_is(text, armed_bytes))
		return TRIPWIRE_SEEN_OURS;
	return strcmp(text, "max") == 0 ? TRIPWIRE_SEEN_FREE : TRIPWIRE_SEEN_OTHER;
}

int tripwire_record_format(const struct tripwire_record *rec, char *buf, size_t size)
{
	int n = snprintf(buf, size, "armed %" PRIu64 " pid %d start %" PRIu64, rec->armed_bytes,
	                 (int)rec->pid, rec->start_ticks);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* Expects word and one space at *p, then a number; advances. */
static int take(const char **p, const char *end, const char *word, uint64_t *ret)
{
	size_t wl = strlen(word);
	if ((size_t)(end - *p) <= wl || memcmp(*p, word, wl) != 0 || (*p)[wl] != ' ')
		return -EBADMSG;
	*p += wl + 1;
	const char *start = *p;
	if (start == end || *start < '0' || *start > '9')
		return -EBADMSG;
	return units_parse_u64_cursor(p, end, ret) < 0 ? -EBADMSG : 0;
}

int tripwire_record_parse(const char *buf, size_t len, struct tripwire_record *ret)
{
	const char *p = buf, *end = buf + len;
	uint64_t armed, pid, start;
	if (take(&p, end, "armed", &armed) < 0 || p == end || *p++ != ' ' || take(&p, end, "pid", &pid) < 0 ||
	    p == end || *p++ != ' ' || take(&p, end, "start", &start) < 0 || p != end)
		return -EBADMSG;
	if (!armed || !pid || pid > INT32_MAX)
		return -EBADMSG;
	*ret = (struct tripwire_record){ .armed_bytes = armed, .pid = (pid_t)pid, .start_ticks = start };
	return 0;
}

enum tripwire_leftover tripwire_leftover(const struct tripwire_record *rec, const char *text,
                                         bool owner_alive)
{
	if (owner_alive)
		return TRIPWIRE_LEFTOVER_LIVE;
	return text_is(text, rec->armed_bytes) ? TRIPWIRE_LEFTOVER_RESTORE : TRIPWIRE_LEFTOVER_STALE;
}
