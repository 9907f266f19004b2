/* Trace columns (trace_internal.h): the one table of columns, a column's value as text and back,
 * and the two text helpers every part of a trace uses (an error message, a bounded append). */
#include "output/trace_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/units.h"

int trace_fail(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err_size)
		vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

bool trace_append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int m = *n < size ? vsnprintf(buf + *n, size - *n, fmt, ap) : -1;
	va_end(ap);
	if (m < 0 || (size_t)m >= size - *n)
		return false;
	*n += (size_t)m;
	return true;
}

/* A column at the top of a JSONL object (its key is its CSV name), and one inside the object obj
 * (its CSV name is obj, '_' and its key). */
#define TOP(name)    .csv = name, .json_key = name
#define IN(obj, key) .csv = obj "_" key, .json_obj = obj, .json_key = key
/* The name is the field's: they cannot disagree. */
#define BYTES(field, grp)                                                                                    \
	{                                                                                                    \
		TOP(#field), .kind = TRACE_COL_BYTES, .group = grp, .offset = offsetof(struct sample, field) \
	}
/* The names of PSI kinds, windows and memory events are lib/base/names.c's (test_trace_columns.c). */
#define PSI_AVG(key, k, w)                                                                          \
	{                                                                                           \
		IN("psi", key), .kind = TRACE_COL_PSI_AVG, .group = TRACE_GROUP_PSI, .a = k, .b = w \
	}
#define PSI_TOTAL(key, k)                                                                     \
	{                                                                                     \
		IN("psi", key), .kind = TRACE_COL_PSI_TOTAL, .group = TRACE_GROUP_PSI, .a = k \
	}
#define EVENT(key, e)                                                                           \
	{                                                                                       \
		IN("events", key), .kind = TRACE_COL_EVENT, .group = TRACE_GROUP_EVENTS, .a = e \
	}

const struct trace_column trace_columns[] = {
	{ TOP("time"), .kind = TRACE_COL_TIME, .group = TRACE_GROUP_BASE },
	{ TOP("elapsed_sec"), .kind = TRACE_COL_ELAPSED, .group = TRACE_GROUP_BASE },
	BYTES(usage_bytes, TRACE_GROUP_BASE),
	BYTES(working_set_bytes, TRACE_GROUP_STAT),
	BYTES(anon_bytes, TRACE_GROUP_STAT),
	BYTES(limit_bytes, TRACE_GROUP_BASE),
	BYTES(host_available_bytes, TRACE_GROUP_BASE),
	BYTES(host_total_bytes, TRACE_GROUP_BASE),
	PSI_AVG("some_avg10", PSI_SOME, PSI_AVG10),
	PSI_AVG("some_avg60", PSI_SOME, PSI_AVG60),
	PSI_AVG("some_avg300", PSI_SOME, PSI_AVG300),
	PSI_TOTAL("some_total_usec", PSI_SOME),
	PSI_AVG("full_avg10", PSI_FULL, PSI_AVG10),
	PSI_AVG("full_avg60", PSI_FULL, PSI_AVG60),
	PSI_AVG("full_avg300", PSI_FULL, PSI_AVG300),
	PSI_TOTAL("full_total_usec", PSI_FULL),
	EVENT("low", MEMEV_LOW),
	EVENT("high", MEMEV_HIGH),
	EVENT("max", MEMEV_MAX),
	EVENT("oom", MEMEV_OOM),
	EVENT("oom_kill", MEMEV_OOM_KILL),
	EVENT("oom_group_kill", MEMEV_OOM_GROUP_KILL),
};
_Static_assert(ARRAY_SIZE(trace_columns) == TRACE_COLUMNS, "one row per column of trace.h");

int trace_column_find(const char *obj, const char *name, size_t len)
{
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		const struct trace_column *c = &trace_columns[i];
		const char *n = obj ? c->json_key : c->csv;
		if ((obj ? c->json_obj && strcmp(c->json_obj, obj) == 0 : true) && strlen(n) == len &&
		    memcmp(n, name, len) == 0)
			return (int)i;
	}
	return -1;
}

static bool group_present(const struct sample *s, enum trace_col_group g)
{
	switch (g) {
	case TRACE_GROUP_STAT:
		return s->has_stat;
	case TRACE_GROUP_PSI:
		return s->has_psi;
	case TRACE_GROUP_EVENTS:
		return s->has_events;
	default:
		return true;
	}
}

bool trace_column_text(const struct trace_column *c, const struct sample *s, uint64_t start_mono_usec,
                       char *buf, size_t size)
{
	uint64_t elapsed;
	if (!group_present(s, c->group))
		return false;
	switch (c->kind) {
	case TRACE_COL_TIME:
		if (format_rfc3339_usec(s->real_usec, buf, size) < 0)
			snprintf(buf, size, "1970-01-01T00:00:00.000Z");
		break;
	case TRACE_COL_ELAPSED:
		elapsed = s->mono_usec > start_mono_usec ? s->mono_usec - start_mono_usec : 0;
		/* milliseconds when exact (what a recording has), microseconds otherwise */
		if (elapsed % USEC_PER_MSEC == 0)
			snprintf(buf, size, "%" PRIu64 ".%03" PRIu64, elapsed / USEC_PER_SEC,
			         elapsed % USEC_PER_SEC / USEC_PER_MSEC);
		else
			snprintf(buf, size, "%" PRIu64 ".%06" PRIu64, elapsed / USEC_PER_SEC,
			         elapsed % USEC_PER_SEC);
		break;
	case TRACE_COL_BYTES:
		snprintf(buf, size, "%" PRIu64,
		         *(const uint64_t *)(const void *)((const char *)s + c->offset));
		break;
	case TRACE_COL_PSI_AVG:
		snprintf(buf, size, "%.2f", s->psi.avg[c->a][c->b]);
		break;
	case TRACE_COL_PSI_TOTAL:
		snprintf(buf, size, "%" PRIu64, s->psi.total_usec[c->a]);
		break;
	case TRACE_COL_EVENT:
		snprintf(buf, size, "%" PRIu64, s->events[c->a]);
		break;
	}
	return true;
}

/* The digits of s[0..n) as an unsigned number; false when anything else is there. */
static bool digits(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return n > 0;
}

bool trace_parse_rfc3339(const char *s, size_t len, uint64_t *ret_usec)
{
	unsigned year, mon, day, hour, min, sec, frac = 0;
	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
	    s[16] != ':' || (s[len - 1] != 'Z' && s[len - 1] != 'z'))
		return false;
	if (!digits(s, 4, &year) || !digits(s + 5, 2, &mon) || !digits(s + 8, 2, &day) ||
	    !digits(s + 11, 2, &hour) || !digits(s + 14, 2, &min) || !digits(s + 17, 2, &sec))
		return false;
	if (len > 20) { /* a fraction: '.' and 1 to 9 digits, kept to microseconds */
		size_t n = len - 21;
		if (s[19] != '.' || n < 1 || n > 9 || !digits(s + 20, n > 6 ? 6 : n, &frac))
			return false;
		unsigned rest;
		if (n > 6 && !digits(s + 26, n - 6, &rest))
			return false;
		for (size_t i = n; i < 6; i++)
			frac *= 10;
	}
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return false;
	struct tm tm = { .tm_year = (int)year - 1900,
		         .tm_mon = (int)mon - 1,
		         .tm_mday = (int)day,
		         .tm_hour = (int)hour,
		         .tm_min = (int)min,
		         .tm_sec = (int)sec };
	time_t t = timegm(&tm);
	if (t < 0)
		return false;
	*ret_usec = (uint64_t)t * USEC_PER_SEC + frac;
	return true;
}

/* "12", "12.5", "12.000345": seconds with at most 6 decimals, exactly, into microseconds. */
static bool parse_elapsed(const char *s, size_t len, uint64_t *ret_usec)
{
	const char *p = s, *end = s + len;
	uint64_t sec, frac = 0;
	if (units_parse_u64_cursor(&p, end, &sec) < 0 || sec > (uint64_t)ELAPSED_MAX_SEC)
		return false;
	if (p < end) {
		size_t n = (size_t)(end - p - 1);
		unsigned f;
		if (*p != '.' || n < 1 || n > 6 || !digits(p + 1, n, &f))
			return false;
		frac = f;
		for (size_t i = n; i < 6; i++)
			frac *= 10;
	}
	*ret_usec = sec * USEC_PER_SEC + frac;
	return true;
}

void trace_column_put_u64(struct trace_row *r, const struct trace_column *c, uint64_t v)
{
	switch (c->kind) {
	case TRACE_COL_BYTES:
		*(uint64_t *)(void *)((char *)&r->s + c->offset) = v;
		break;
	case TRACE_COL_PSI_TOTAL:
		r->s.psi.total_usec[c->a] = v;
		break;
	case TRACE_COL_EVENT:
		r->s.events[c->a] = v;
		break;
	default:
		break;
	}
}

int trace_column_parse_text(struct trace_row *r, size_t i, const char *v, size_t len, char *err,
                            size_t err_size)
{
	const struct trace_column *c = &trace_columns[i];
	const char *p = v;
	uint64_t u;
	int shown = len > 40 ? 40 : (int)len;
	switch (c->kind) {
	case TRACE_COL_TIME:
		if (!trace_parse_rfc3339(v, len, &r->s.real_usec))
			return trace_fail(err, err_size, "time: '%.*s' is not an RFC 3339 UTC time", shown,
			                  v);
		break;
	case TRACE_COL_ELAPSED:
		if (!parse_elapsed(v, len, &r->elapsed_usec))
			return trace_fail(err, err_size, "elapsed_sec: '%.*s' is not seconds (like 12.5)",
			                  shown, v);
		break;
	case TRACE_COL_PSI_AVG: {
		char num[32];
		char *e;
		if (len >= sizeof(num))
			return trace_fail(err, err_size, "%s: '%.*s' is not a percent", c->csv, shown, v);
		memcpy(num, v, len);
		num[len] = '\0';
		/* digits and a point only: strtod alone would take " 5", "0x10" and "nan" */
		bool plain = strspn(num, "0123456789.") == len && num[0] != '.';
		double d = plain ? strtod(num, &e) : -1;
		if (!plain || e != num + len || !(d >= 0 && d <= 100))
			return trace_fail(err, err_size, "%s: '%.*s' is not a percent (0 to 100)", c->csv,
			                  shown, v);
		r->s.psi.avg[c->a][c->b] = d;
		break;
	}
	default:
		if (units_parse_u64_cursor(&p, v + len, &u) < 0 || p != v + len)
			return trace_fail(err, err_size, "%s: '%.*s' is not a whole number", c->csv, shown,
			                  v);
		trace_column_put_u64(r, c, u);
		break;
	}
	r->seen[i] = true;
	return 0;
}
