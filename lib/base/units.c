/* Sizes, durations and a checked decimal cursor. Strict by design: no whitespace, no sign, no
 * fractions ("1.5Mi" is rejected: write "1536Ki"), suffixes are case-sensitive. */
#include "base/units.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

int units_parse_u64_cursor(const char **p, const char *end, uint64_t *ret)
{
	const char *c = *p;
	/* 19 digits are at most 10^19 - 1 < UINT64_MAX: no overflow check for them (every check parses
	 * two or three numbers of 8 to 11 digits) */
	const char *unchecked_end = end - c > 19 ? c + 19 : end;
	uint64_t v = 0;

	if (c >= end || *c < '0' || *c > '9')
		return -EINVAL;
	for (; c < unchecked_end && (unsigned char)(*c - '0') <= 9; c++)
		v = v * 10 + (uint64_t)(*c - '0');
	for (; c < end && (unsigned char)(*c - '0') <= 9; c++) {
		uint64_t d = (uint64_t)(*c - '0');
		/* checked before the multiply, as curl's strparse does */
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*p = c;
	*ret = v;
	return 0;
}

struct unit {
	const char *suffix;
	uint64_t factor;
};

/* Longest suffixes first is not needed: matching is on the whole remainder. */
static const struct unit size_units[] = {
	{ "", 1 },
	{ "K", UINT64_C(1000) },
	{ "Ki", UINT64_C(1) << 10 },
	{ "M", UINT64_C(1000000) },
	{ "Mi", UINT64_C(1) << 20 },
	{ "G", UINT64_C(1000000000) },
	{ "Gi", UINT64_C(1) << 30 },
	{ "T", UINT64_C(1000000000000) },
	{ "Ti", UINT64_C(1) << 40 },
};

static const struct unit duration_units[] = {
	{ "us", 1 },
	{ "ms", USEC_PER_MSEC },
	{ "s", USEC_PER_SEC },
	{ "m", 60 * USEC_PER_SEC },
	{ "h", 3600 * USEC_PER_SEC },
};

/* A number followed by exactly one of the units (the whole string). Returns 0, -EINVAL, -ERANGE. */
static int parse_with_units(const char *s, const struct unit *units, size_t n_units, uint64_t *ret)
{
	if (!s)
		return -EINVAL;
	const char *p = s, *end = s + strlen(s);
	uint64_t v;
	int r = units_parse_u64_cursor(&p, end, &v);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_units; i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (v > UINT64_MAX / units[i].factor)
			return -ERANGE;
		*ret = v * units[i].factor;
		return 0;
	}
	return -EINVAL;
}

int units_parse_size(const char *s, uint64_t *ret_bytes)
{
	return parse_with_units(s, size_units, ARRAY_SIZE(size_units), ret_bytes);
}

int units_parse_duration(const char *s, uint64_t *ret_usec)
{
	return parse_with_units(s, duration_units, ARRAY_SIZE(duration_units), ret_usec);
}

/* Exact multiples print as integers ("256Mi"), others with one decimal ("1.5Gi"), below 1 KiB as a
 * plain byte count ("512"). */
char *units_format_size(uint64_t bytes, char *buf, size_t size)
{
	static const struct unit units[] = {
		{ "Ti", UINT64_C(1) << 40 },
		{ "Gi", UINT64_C(1) << 30 },
		{ "Mi", UINT64_C(1) << 20 },
		{ "Ki", UINT64_C(1) << 10 },
	};

	if (!buf || size == 0)
		return buf;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (bytes < units[i].factor)
			continue;
		if (bytes % units[i].factor == 0)
			snprintf(buf, size, "%" PRIu64 "%s", bytes / units[i].factor, units[i].suffix);
		else
			snprintf(buf, size, "%.1f%s", (double)bytes / (double)units[i].factor,
			         units[i].suffix);
		return buf;
	}
	snprintf(buf, size, "%" PRIu64, bytes);
	return buf;
}

/* The largest unit that divides the duration exactly: "250ms", "10s", "1m", "90s", "1500us". */
char *units_format_duration(uint64_t usec, char *buf, size_t size)
{
	if (!buf || size == 0)
		return buf;
	if (usec == 0) {
		snprintf(buf, size, "0s");
		return buf;
	}
	for (size_t i = ARRAY_SIZE(duration_units); i-- > 0;) {
		if (usec % duration_units[i].factor == 0) {
			snprintf(buf, size, "%" PRIu64 "%s", usec / duration_units[i].factor,
			         duration_units[i].suffix);
			return buf;
		}
	}
	return buf; /* not reached: "us" divides everything */
}
