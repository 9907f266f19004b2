/* Pure parsers of the kernel's memory files (memory.current/max, memory.pressure, memory.events,
 * memory.stat and their v1 kin): text in, numbers out, no I/O. Tested on hostile input and fuzzed. */
#include <string.h>

#include "kernel/cgroup.h"
#include "base/units.h"
#include "base/util.h"

/* ---- Cursor helpers ---- */

/* Decimal digits at *p (at least one; units_parse_u64_cursor). Returns 0, -EBADMSG, -ERANGE. */
static int parse_u64_cursor(const char **p, const char *end, uint64_t *ret)
{
	int r = units_parse_u64_cursor(p, end, ret);
	return r == -EINVAL ? -EBADMSG : r;
}

/* True when [p, end) is empty or exactly one '\n'. */
static bool at_end_or_newline(const char *p, const char *end)
{
	return p == end || (p + 1 == end && *p == '\n');
}

static bool is_key_char(char c)
{
	return c > ' ' && c < 0x7f;
}

/* One "key value\n" line of memory.stat / memory.events / memory.oom_control. Advances *p past the
 * line. Returns 1 with a line, 0 at the end of the buffer, -EBADMSG or -ERANGE. */
static int keyed_next(const char **p, const char *end, const char **ret_key, size_t *ret_key_len,
                      uint64_t *ret_value)
{
	const char *s = *p, *key;
	uint64_t v;
	int r;

	if (s >= end)
		return 0;
	key = s;
	while (s < end && is_key_char(*s))
		s++;
	if (s == key || s >= end || *s != ' ')
		return -EBADMSG;
	*ret_key_len = (size_t)(s - key);
	while (s < end && *s == ' ')
		s++;
	r = parse_u64_cursor(&s, end, &v);
	if (r < 0)
		return r;
	if (s < end) {
		if (*s != '\n')
			return -EBADMSG;
		s++;
	}
	*ret_key = key;
	*ret_value = v;
	*p = s;
	return 1;
}

static bool key_is(const char *key, size_t key_len, const char *want)
{
	return strlen(want) == key_len && memcmp(key, want, key_len) == 0;
}

/* ---- Pure parsers ---- */

int cg_parse_u64(const char *buf, size_t len, uint64_t *ret)
{
	const char *p = buf, *end = buf + len;
	uint64_t v;
	int r;

	if (!buf)
		return -EBADMSG;
	r = parse_u64_cursor(&p, end, &v);
	if (r < 0)
		return r;
	if (!at_end_or_newline(p, end))
		return -EBADMSG;
	*ret = v;
	return 0;
}

int cg_parse_limit(const char *buf, size_t len, uint64_t *ret)
{
	uint64_t v;
	int r;

	if (!buf)
		return -EBADMSG;
	if (len >= 3 && memcmp(buf, "max", 3) == 0) {
		if (!at_end_or_newline(buf + 3, buf + len))
			return -EBADMSG;
		*ret = CG_UNLIMITED;
		return 0;
	}
	r = cg_parse_u64(buf, len, &v);
	if (r < 0)
		return r;
	*ret = v >= CG_V1_UNLIMITED_MIN_BYTES ? CG_UNLIMITED : v;
	return 0;
}

/* "12.34" as a double, without locale or strtod: integer part, then up to any number of decimals. */
static int parse_decimal_cursor(const char **p, const char *end, double *ret)
{
	const char *s = *p;
	uint64_t whole;
	double v, scale = 0.1;
	int r;

	r = parse_u64_cursor(&s, end, &whole);
	if (r < 0)
		return r;
	v = (double)whole;
	if (s < end && *s == '.') {
		s++;
		if (s >= end || *s < '0' || *s > '9')
			return -EBADMSG;
		while (s < end && *s >= '0' && *s <= '9') {
			v += (*s - '0') * scale;
			scale /= 10;
			s++;
		}
	}
	*p = s;
	*ret = v;
	return 0;
}

/* One PSI line after its "some"/"full" word: " avg10=X avg60=X avg300=X total=N", each key once. */
static int parse_psi_fields(const char **p, const char *end, double avg[PSI_WINDOWS], uint64_t *ret_total)
{
	static const char *const names[PSI_WINDOWS] = { "avg10=", "avg60=", "avg300=" };
	const char *s = *p;
	unsigned seen = 0; /* bit per window, bit 3 for total */

	while (s < end && *s != '\n') {
		bool matched = false;
		if (*s != ' ')
			return -EBADMSG;
		while (s < end && *s == ' ')
			s++;
		for (size_t w = 0; w < PSI_WINDOWS; w++) {
			size_t n = strlen(names[w]);
			if ((size_t)(end - s) > n && memcmp(s, names[w], n) == 0) {
				if (seen & (1u << w))
					return -EBADMSG;
				s += n;
				if (parse_decimal_cursor(&s, end, &avg[w]) < 0 || avg[w] > 100.0)
					return -EBADMSG;
				seen |= 1u << w;
				matched = true;
				break;
			}
		}
		if (!matched) {
			if ((size_t)(end - s) > 6 && memcmp(s, "total=", 6) == 0 && !(seen & 8u)) {
				s += 6;
				if (parse_u64_cursor(&s, end, ret_total) < 0)
					return -EBADMSG;
				seen |= 8u;
			} else
				return -EBADMSG;
		}
	}
	if (seen != 0xfu)
		return -EBADMSG;
	if (s < end)
		s++; /* the newline */
	*p = s;
	return 0;
}

int cg_parse_psi(const char *buf, size_t len, struct psi *ret)
{
	const char *p = buf, *end = buf + len;
	struct psi psi = { 0 };
	bool seen[PSI_KINDS] = { false, false };

	if (!buf || len == 0)
		return -EBADMSG;
	while (p < end) {
		enum psi_kind k;
		if ((size_t)(end - p) >= 4 && memcmp(p, "some", 4) == 0)
			k = PSI_SOME;
		else if ((size_t)(end - p) >= 4 && memcmp(p, "full", 4) == 0)
			k = PSI_FULL;
		else
			return -EBADMSG;
		if (seen[k])
			return -EBADMSG;
		p += 4;
		if (parse_psi_fields(&p, end, psi.avg[k], &psi.total_usec[k]) < 0)
			return -EBADMSG;
		seen[k] = true;
	}
	if (!seen[PSI_SOME])
		return -EBADMSG;
	*ret = psi;
	return 0;
}

int cg_parse_events(const char *buf, size_t len, uint64_t ret[MEMEV_COUNT])
{
	uint64_t v[MEMEV_COUNT] = { 0 };
	const char *p = buf, *end = buf + len, *key;
	size_t key_len;
	uint64_t value;
	int r;

	if (!buf || len == 0)
		return -EBADMSG;
	while ((r = keyed_next(&p, end, &key, &key_len, &value)) > 0)
		for (size_t i = 0; i < MEMEV_COUNT; i++)
			/* v2 memory.events keys, and v1 memory.oom_control's oom_kill (same name,
			 * same meaning): the names of lib/base/names.h. */
			if (key_is(key, key_len, memevent_name((enum memevent)i)))
				v[i] = value;
	if (r < 0)
		return -EBADMSG;
	memcpy(ret, v, sizeof(v));
	return 0;
}

int cg_parse_keyed(const char *buf, size_t len, const char *key, uint64_t *ret)
{
	const char *p = buf, *end = buf + len, *k;
	size_t key_len;
	uint64_t value, found_value = 0;
	bool found = false;
	int r;

	if (!buf || len == 0 || !key)
		return -EBADMSG;
	/* The whole file is checked: a file with a garbage line is garbage, whichever key is asked. */
	while ((r = keyed_next(&p, end, &k, &key_len, &value)) > 0)
		if (!found && key_is(k, key_len, key)) {
			found = true;
			found_value = value;
		}
	if (r < 0)
		return -EBADMSG;
	if (!found)
		return -ENOENT;
	*ret = found_value;
	return 0;
}

int cg_parse_stat(const char *buf, size_t len, enum cg_version v, struct cg_stat *ret)
{
	const char *inactive_key = v == CG_V1 ? "total_inactive_file" : "inactive_file";
	const char *anon_key = v == CG_V1 ? "total_rss" : "anon";
	const char *p = buf, *end = buf + len, *k;
	size_t key_len;
	uint64_t value;
	struct cg_stat st = { 0 };
	bool have_inactive = false, have_anon = false;
	int r;

	if (!buf || len == 0 || !ret)
		return -EBADMSG;
	/* One pass over the whole file; the first of a repeated key counts (as cg_parse_keyed). */
	while ((r = keyed_next(&p, end, &k, &key_len, &value)) > 0) {
		if (!have_inactive && key_is(k, key_len, inactive_key)) {
			st.inactive_file_bytes = value;
			have_inactive = true;
		} else if (!have_anon && key_is(k, key_len, anon_key)) {
			st.anon_bytes = value;
			have_anon = true;
		}
	}
	if (r < 0)
		return -EBADMSG;
	if (!have_inactive || !have_anon)
		return -ENOENT;
	*ret = st;
	return 0;
}
