/* Traces (trace.h): one table of columns, a writer and a strict line parser for each format. */
#include "output/trace.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/units.h"
#include "base/util.h"

/* U+FEFF as UTF-8: a byte-order mark. */
#define UTF8_BOM "\xef\xbb\xbf"

/* What a column holds, and the group it belongs to (a group is read all or none). */
enum col_kind { COL_TIME, COL_ELAPSED, COL_BYTES, COL_PSI_AVG, COL_PSI_TOTAL, COL_EVENT };
enum col_group { GROUP_BASE, GROUP_STAT, GROUP_PSI, GROUP_EVENTS, GROUPS };

struct column {
	char csv[40];         /* "psi_some_avg10" */
	const char *json_obj; /* NULL, "psi" or "events" */
	const char *json_key; /* "some_avg10": points into csv */
	enum col_kind kind;
	enum col_group group;
	size_t offset; /* COL_BYTES: of its uint64_t in struct sample */
	int a, b;      /* COL_PSI_*: psi kind and window; COL_EVENT: the memevent */
};

static struct column columns[TRACE_COLUMNS];

/* JSON numbers are doubles: integers above 2^53 would be rounded, so they are refused. */
#define JSON_EXACT_MAX 9007199254740992.0
/* elapsed_sec at most ~31,700 years: far from overflowing microseconds. */
#define ELAPSED_MAX_SEC 1e12

static void column_set(size_t i, const char *prefix, const char *name, enum col_kind kind,
                       enum col_group group)
{
	struct column *c = &columns[i];
	size_t plen = prefix ? strlen(prefix) + 1 : 0;
	snprintf(c->csv, sizeof(c->csv), "%s%s%s", prefix ? prefix : "", prefix ? "_" : "", name);
	c->json_obj = prefix;
	c->json_key = c->csv + plen;
	c->kind = kind;
	c->group = group;
}

/* Fills the column table once, from lib/base/names.c's names. */
static void columns_init(void)
{
	static bool done;
	static const struct {
		const char *name;
		size_t offset;
		enum col_group group;
	} bytes[] = {
		{ "usage_bytes", offsetof(struct sample, usage_bytes), GROUP_BASE },
		{ "working_set_bytes", offsetof(struct sample, working_set_bytes), GROUP_STAT },
		{ "anon_bytes", offsetof(struct sample, anon_bytes), GROUP_STAT },
		{ "limit_bytes", offsetof(struct sample, limit_bytes), GROUP_BASE },
		{ "host_available_bytes", offsetof(struct sample, host_available_bytes), GROUP_BASE },
		{ "host_total_bytes", offsetof(struct sample, host_total_bytes), GROUP_BASE },
	};
	if (done)
		return;
	size_t i = 0;
	column_set(i++, NULL, "time", COL_TIME, GROUP_BASE);
	column_set(i++, NULL, "elapsed_sec", COL_ELAPSED, GROUP_BASE);
	for (size_t j = 0; j < ARRAY_SIZE(bytes); j++) {
		columns[i].offset = bytes[j].offset;
		column_set(i++, NULL, bytes[j].name, COL_BYTES, bytes[j].group);
	}
	for (int k = 0; k < PSI_KINDS; k++) {
		char name[32];
		for (int w = 0; w < PSI_WINDOWS; w++) {
			snprintf(name, sizeof(name), "%s_%s", psi_kind_name((enum psi_kind)k),
			         psi_window_name((enum psi_window)w));
			columns[i].a = k;
			columns[i].b = w;
			column_set(i++, "psi", name, COL_PSI_AVG, GROUP_PSI);
		}
		snprintf(name, sizeof(name), "%s_total_usec", psi_kind_name((enum psi_kind)k));
		columns[i].a = k;
		column_set(i++, "psi", name, COL_PSI_TOTAL, GROUP_PSI);
	}
	for (int e = 0; e < MEMEV_COUNT; e++) {
		columns[i].a = e;
		column_set(i++, "events", memevent_name((enum memevent)e), COL_EVENT, GROUP_EVENTS);
	}
	done = true;
}

/* ---- writing ---- */

/* Appends to buf at *n; false when it does not fit. */
static _printf_(4, 5) bool append(char *buf, size_t size, size_t *n, const char *fmt, ...)
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

static bool group_present(const struct sample *s, enum col_group g)
{
	switch (g) {
	case GROUP_STAT:
		return s->has_stat;
	case GROUP_PSI:
		return s->has_psi;
	case GROUP_EVENTS:
		return s->has_events;
	default:
		return true;
	}
}

/* The value of column c of s as text (no quotes). */
static void column_text(const struct column *c, const struct sample *s, uint64_t start_mono_usec, char *buf,
                        size_t size)
{
	uint64_t elapsed;
	switch (c->kind) {
	case COL_TIME:
		if (format_rfc3339_usec(s->real_usec, buf, size) < 0)
			snprintf(buf, size, "1970-01-01T00:00:00.000Z");
		break;
	case COL_ELAPSED:
		elapsed = s->mono_usec > start_mono_usec ? s->mono_usec - start_mono_usec : 0;
		/* milliseconds when exact (what a recording has), microseconds otherwise */
		if (elapsed % USEC_PER_MSEC == 0)
			snprintf(buf, size, "%" PRIu64 ".%03" PRIu64, elapsed / USEC_PER_SEC,
			         elapsed % USEC_PER_SEC / USEC_PER_MSEC);
		else
			snprintf(buf, size, "%" PRIu64 ".%06" PRIu64, elapsed / USEC_PER_SEC,
			         elapsed % USEC_PER_SEC);
		break;
	case COL_BYTES:
		snprintf(buf, size, "%" PRIu64,
		         *(const uint64_t *)(const void *)((const char *)s + c->offset));
		break;
	case COL_PSI_AVG:
		snprintf(buf, size, "%.2f", s->psi.avg[c->a][c->b]);
		break;
	case COL_PSI_TOTAL:
		snprintf(buf, size, "%" PRIu64, s->psi.total_usec[c->a]);
		break;
	case COL_EVENT:
		snprintf(buf, size, "%" PRIu64, s->events[c->a]);
		break;
	}
}

int trace_format_header(enum trace_format f, char *buf, size_t size)
{
	size_t n = 0;
	columns_init();
	if (size)
		buf[0] = '\0';
	if (f != TRACE_FORMAT_CSV)
		return 0;
	for (size_t i = 0; i < TRACE_COLUMNS; i++)
		if (!append(buf, size, &n, "%s%s", i ? "," : "", columns[i].csv))
			return -ENOBUFS;
	return append(buf, size, &n, "\n") ? (int)n : -ENOBUFS;
}

int trace_format_row(enum trace_format f, const struct sample *s, uint64_t start_mono_usec, char *buf,
                     size_t size)
{
	size_t n = 0;
	const char *open_obj = NULL;
	char v[64];
	columns_init();
	if (f == TRACE_FORMAT_JSONL && !append(buf, size, &n, "{"))
		return -ENOBUFS;
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		const struct column *c = &columns[i];
		bool present = group_present(s, c->group);
		if (present)
			column_text(c, s, start_mono_usec, v, sizeof(v));
		if (f == TRACE_FORMAT_CSV) {
			if (!append(buf, size, &n, "%s%s", i ? "," : "", present ? v : ""))
				return -ENOBUFS;
			continue;
		}
		if (!present)
			continue;
		bool first_in_obj = c->json_obj != open_obj;
		if (first_in_obj && open_obj && !append(buf, size, &n, "}"))
			return -ENOBUFS;
		if (first_in_obj && c->json_obj && !append(buf, size, &n, ",\"%s\":{", c->json_obj))
			return -ENOBUFS;
		open_obj = c->json_obj;
		const char *sep = i == 0 || (first_in_obj && c->json_obj) ? "" : ",";
		const char *q = c->kind == COL_TIME ? "\"" : "";
		if (!append(buf, size, &n, "%s\"%s\":%s%s%s", sep, c->json_key, q, v, q))
			return -ENOBUFS;
	}
	if (f == TRACE_FORMAT_JSONL && !append(buf, size, &n, "%s}", open_obj ? "}" : ""))
		return -ENOBUFS;
	return append(buf, size, &n, "\n") ? (int)n : -ENOBUFS;
}

/* ---- parsing ---- */

/* One line's values as they are read. */
struct row {
	struct sample s;
	uint64_t elapsed_usec;
	bool seen[TRACE_COLUMNS];
};

static _printf_(3, 4) int fail(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err_size)
		vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return -EBADMSG;
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

/* "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (RFC 3339 in UTC, 1970 or later). */
static bool parse_rfc3339(const char *s, size_t len, uint64_t *ret_usec)
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

/* Stores an integer value of column c. */
static void put_u64(struct row *r, const struct column *c, uint64_t v)
{
	switch (c->kind) {
	case COL_BYTES:
		*(uint64_t *)(void *)((char *)&r->s + c->offset) = v;
		break;
	case COL_PSI_TOTAL:
		r->s.psi.total_usec[c->a] = v;
		break;
	case COL_EVENT:
		r->s.events[c->a] = v;
		break;
	default:
		break;
	}
}

/* A CSV field (not empty) into column i of r. */
static int put_text(struct row *r, size_t i, const char *v, size_t len, char *err, size_t err_size)
{
	const struct column *c = &columns[i];
	const char *p = v;
	uint64_t u;
	int shown = len > 40 ? 40 : (int)len;
	switch (c->kind) {
	case COL_TIME:
		if (!parse_rfc3339(v, len, &r->s.real_usec))
			return fail(err, err_size, "time: '%.*s' is not an RFC 3339 UTC time", shown, v);
		break;
	case COL_ELAPSED:
		if (!parse_elapsed(v, len, &r->elapsed_usec))
			return fail(err, err_size, "elapsed_sec: '%.*s' is not seconds (like 12.5)", shown,
			            v);
		break;
	case COL_PSI_AVG: {
		char num[32];
		char *e;
		if (len >= sizeof(num))
			return fail(err, err_size, "%s: '%.*s' is not a percent", c->csv, shown, v);
		memcpy(num, v, len);
		num[len] = '\0';
		/* digits and a point only: strtod alone would take " 5", "0x10" and "nan" */
		bool plain = strspn(num, "0123456789.") == len && num[0] != '.';
		double d = plain ? strtod(num, &e) : -1;
		if (!plain || e != num + len || !(d >= 0 && d <= 100))
			return fail(err, err_size, "%s: '%.*s' is not a percent (0 to 100)", c->csv, shown,
			            v);
		r->s.psi.avg[c->a][c->b] = d;
		break;
	}
	default:
		if (units_parse_u64_cursor(&p, v + len, &u) < 0 || p != v + len)
			return fail(err, err_size, "%s: '%.*s' is not a whole number", c->csv, shown, v);
		put_u64(r, c, u);
		break;
	}
	r->seen[i] = true;
	return 0;
}

/* A JSON value (not null) into column i of r. */
static int put_json(struct row *r, size_t i, const cJSON *v, char *err, size_t err_size)
{
	const struct column *c = &columns[i];
	if (c->kind == COL_TIME) {
		if (!cJSON_IsString(v) ||
		    !parse_rfc3339(v->valuestring, strlen(v->valuestring), &r->s.real_usec))
			return fail(err, err_size, "time: not an RFC 3339 UTC time string");
		r->seen[i] = true;
		return 0;
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
		return fail(err, err_size, "%s: not a number of at least 0", c->csv);
	double d = v->valuedouble;
	switch (c->kind) {
	case COL_ELAPSED:
		if (d > ELAPSED_MAX_SEC)
			return fail(err, err_size, "elapsed_sec: too large");
		r->elapsed_usec = (uint64_t)(d * (double)USEC_PER_SEC + 0.5); /* d >= 0: rounded */
		break;
	case COL_PSI_AVG:
		if (d > 100)
			return fail(err, err_size, "%s: not a percent (0 to 100)", c->csv);
		r->s.psi.avg[c->a][c->b] = d;
		break;
	default:
		if (d > JSON_EXACT_MAX || (double)(uint64_t)d != d)
			return fail(err, err_size, "%s: not a whole number up to 2^53", c->csv);
		put_u64(r, c, (uint64_t)d);
		break;
	}
	r->seen[i] = true;
	return 0;
}

/* The column named name (CSV), or inside obj (JSONL: NULL at the top); -1 when none. */
static int column_find(const char *obj, const char *name, size_t len)
{
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		const struct column *c = &columns[i];
		const char *n = obj ? c->json_key : c->csv;
		if ((obj ? c->json_obj && strcmp(c->json_obj, obj) == 0 : true) && strlen(n) == len &&
		    memcmp(n, name, len) == 0)
			return (int)i;
	}
	return -1;
}

static int parse_json_row(const char *line, size_t len, struct row *r, char *err, size_t err_size)
{
	const char *end = NULL;
	_cleanup_cjson_ cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, false);
	if (!cJSON_IsObject(root))
		return fail(err, err_size, "not a JSON object");
	for (; end && end < line + len; end++)
		if (*end != ' ' && *end != '\t')
			return fail(err, err_size, "text after the JSON object");
	for (const cJSON *k = root->child; k; k = k->next) {
		bool nested = strcmp(k->string, "psi") == 0 || strcmp(k->string, "events") == 0;
		const cJSON *first = nested ? k->child : k;
		if (nested && !cJSON_IsObject(k))
			return fail(err, err_size, "%s: not an object", k->string);
		for (const cJSON *v = first; v; v = nested ? v->next : NULL) {
			int i = column_find(nested ? k->string : NULL, v->string, strlen(v->string));
			if (i < 0)
				return fail(err, err_size, "%s%s%.64s: unknown key", nested ? k->string : "",
				            nested ? "." : "", v->string);
			if (r->seen[i])
				return fail(err, err_size, "%s: repeated", columns[i].csv);
			int ret = cJSON_IsNull(v) ? 0 : put_json(r, (size_t)i, v, err, err_size);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

static int parse_csv_header(struct trace_parser *tp, const char *line, size_t len, char *err, size_t err_size)
{
	bool have[TRACE_COLUMNS] = { false };
	size_t n = 0;
	const char *p = line, *end = line + len;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *fe = comma ? comma : end;
		int i = column_find(NULL, p, (size_t)(fe - p));
		if (i < 0)
			return fail(err, err_size, "header: '%.*s' is not a column",
			            (int)(fe - p > 40 ? 40 : fe - p), p);
		if (have[i])
			return fail(err, err_size, "header: %s twice", columns[i].csv);
		have[i] = true;
		tp->csv_columns[n++] = i;
		if (!comma)
			break;
		p = comma + 1;
	}
	for (size_t i = 0; i < TRACE_COLUMNS; i++)
		if (!have[i] && columns[i].group == GROUP_BASE)
			return fail(err, err_size, "header: no %s column", columns[i].csv);
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		for (size_t j = 0; j < TRACE_COLUMNS; j++)
			if (have[i] && !have[j] && columns[j].group == columns[i].group)
				return fail(err, err_size, "header: %s without %s (they come together)",
				            columns[i].csv, columns[j].csv);
	}
	tp->n_csv_columns = n;
	return 0;
}

static int parse_csv_row(const struct trace_parser *tp, const char *line, size_t len, struct row *r,
                         char *err, size_t err_size)
{
	const char *p = line, *end = line + len;
	for (size_t f = 0;; f++) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *fe = comma ? comma : end;
		if (f >= tp->n_csv_columns)
			return fail(err, err_size, "more fields than the header's %zu", tp->n_csv_columns);
		if (fe > p) {
			int ret = put_text(r, (size_t)tp->csv_columns[f], p, (size_t)(fe - p), err, err_size);
			if (ret < 0)
				return ret;
		}
		if (!comma) {
			if (f + 1 != tp->n_csv_columns)
				return fail(err, err_size, "%zu fields, the header has %zu", f + 1,
				            tp->n_csv_columns);
			return 0;
		}
		p = comma + 1;
	}
}

/* Checks the groups and the time order, and completes the sample. */
static int finish_row(const struct trace_parser *tp, struct row *r, char *err, size_t err_size)
{
	size_t seen[GROUPS] = { 0 }, all[GROUPS] = { 0 };
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		all[columns[i].group]++;
		seen[columns[i].group] += r->seen[i];
	}
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		enum col_group g = columns[i].group;
		if (!r->seen[i] && (g == GROUP_BASE || seen[g] > 0))
			return fail(err, err_size, "no %s%s", columns[i].csv,
			            g == GROUP_BASE ? "" : " (its group comes all or none)");
	}
	struct sample *s = &r->s;
	s->has_stat = seen[GROUP_STAT] == all[GROUP_STAT];
	s->has_psi = seen[GROUP_PSI] == all[GROUP_PSI];
	s->has_events = seen[GROUP_EVENTS] == all[GROUP_EVENTS];
	if (tp->have_prev && r->elapsed_usec < tp->prev_elapsed_usec)
		return fail(err, err_size,
		            "elapsed_sec goes back (%" PRIu64 ".%06" PRIu64 " after %" PRIu64 ".%06" PRIu64
		            ")",
		            r->elapsed_usec / USEC_PER_SEC, r->elapsed_usec % USEC_PER_SEC,
		            tp->prev_elapsed_usec / USEC_PER_SEC, tp->prev_elapsed_usec % USEC_PER_SEC);
	s->mono_usec = r->elapsed_usec;
	if (s->has_events && tp->have_prev && tp->prev_has_events) {
		bool went_down = false;
		for (size_t e = 0; e < MEMEV_COUNT; e++)
			went_down |= s->events[e] < tp->prev_events[e];
		/* as cg_sample: a counter that went down is a new cgroup, a new baseline */
		for (size_t e = 0; e < MEMEV_COUNT && !went_down; e++)
			s->events_delta[e] = s->events[e] - tp->prev_events[e];
	}
	return 0;
}

void trace_parser_init(struct trace_parser *tp)
{
	*tp = (struct trace_parser){ 0 };
	columns_init();
}

int trace_parse_line(struct trace_parser *tp, const char *line, size_t len, struct sample *ret, char *err,
                     size_t err_size)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (len > TRACE_LINE_MAX_BYTES)
		return fail(err, err_size, "longer than %d bytes", TRACE_LINE_MAX_BYTES);
	/* before the comment: a NUL, even in a comment, says the file is not text */
	const char *nul = memchr(line, '\0', len);
	if (nul)
		return fail(err, err_size, "NUL byte at column %zu", (size_t)(nul - line) + 1);
	/* trace_reader_next skips one at the start of the file; anywhere else it is misplaced */
	if (len >= 3 && memcmp(line, UTF8_BOM, 3) == 0)
		return fail(err, err_size, "a UTF-8 byte-order mark (U+FEFF) not at the start of the file");
	if (len == 0 || line[0] == '#')
		return 0;
	/* The first line decides: an object is JSONL, anything else a CSV header. */
	enum trace_format format = tp->format_known ? tp->format
	                           : line[0] == '{' ? TRACE_FORMAT_JSONL
	                                            : TRACE_FORMAT_CSV;
	if (!tp->format_known && format == TRACE_FORMAT_CSV) {
		struct trace_parser next = *tp;
		int r = parse_csv_header(&next, line, len, err, err_size);
		if (r < 0)
			return r;
		next.format = TRACE_FORMAT_CSV;
		next.format_known = true;
		*tp = next;
		return 0;
	}
	struct row r = { 0 };
	int ret_code = format == TRACE_FORMAT_CSV ? parse_csv_row(tp, line, len, &r, err, err_size)
	                                          : parse_json_row(line, len, &r, err, err_size);
	if (ret_code == 0)
		ret_code = finish_row(tp, &r, err, err_size);
	if (ret_code < 0)
		return ret_code;
	tp->format = format;
	tp->format_known = true;
	tp->have_prev = true;
	tp->prev_elapsed_usec = r.elapsed_usec;
	tp->prev_has_events = r.s.has_events;
	memcpy(tp->prev_events, r.s.events, sizeof(tp->prev_events));
	*ret = r.s;
	return 1;
}

/* ---- files ---- */

/* Fails with "<name>: <reason>" in err for a stream that cannot give lines: a closed fd (a
 * program started with stdin closed) or a directory, whose read errors (EBADF, EISDIR) would
 * come only at the first line. Returns 0 or -errno. */
static int check_stream(FILE *f, const char *name, bool is_stdin, char *err, size_t err_size)
{
	struct stat st;

	if (fstat(fileno(f), &st) < 0) {
		int r = -errno;
		if (r == -EBADF && is_stdin)
			snprintf(err, err_size, "%s: standard input is closed", name);
		else
			snprintf(err, err_size, "%s: %s", name, strerror(-r));
		return r;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, err_size, "%s: is a directory", name);
		return -EISDIR;
	}
	return 0;
}

int trace_reader_open(const char *path, struct trace_reader *ret, char *err, size_t err_size)
{
	*ret = (struct trace_reader){ 0 };
	trace_parser_init(&ret->parser);
	bool is_stdin = strcmp(path, "-") == 0;
	ret->f = is_stdin ? stdin : fopen(path, "re");
	if (!ret->f) {
		int r = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(-r));
		return r;
	}
	ret->path = strdup(is_stdin ? "(stdin)" : path);
	if (!ret->path) {
		trace_reader_close(ret);
		snprintf(err, err_size, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	int r = check_stream(ret->f, ret->path, is_stdin, err, err_size);
	if (r < 0) {
		trace_reader_close(ret);
		return r;
	}
	return 0;
}

/* Reads one line, without its '\n', into r->buf: NUL bytes are kept, so the length is the line's.
 * Returns its length; TRACE_LINE_MAX_BYTES + 2 when it is longer than the buffer holds (the rest is
 * left unread); -1 at the end of the input with nothing read; or -errno on a read error. */
static ssize_t read_line(struct trace_reader *r)
{
	size_t n = 0;
	int c;

	errno = 0;
	while ((c = getc_unlocked(r->f)) != EOF) {
		if (c == '\n')
			return (ssize_t)n;
		if (n == sizeof(r->buf))
			return (ssize_t)sizeof(r->buf);
		r->buf[n++] = (char)c;
	}
	if (ferror(r->f))
		return errno > 0 ? -errno : -EIO;
	return n == 0 ? -1 : (ssize_t)n;
}

int trace_reader_next(struct trace_reader *r, struct sample *ret, char *err, size_t err_size)
{
	for (;;) {
		ssize_t got = read_line(r);
		if (got == -1)
			return 0;
		if (got < 0) {
			snprintf(err, err_size, "%s: %s", r->path, strerror((int)-got));
			return (int)got;
		}
		r->line++;
		const char *line = r->buf;
		size_t len = (size_t)got;
		/* a byte-order mark some editors write at the start of a UTF-8 file */
		if (r->line == 1 && len >= 3 && memcmp(line, UTF8_BOM, 3) == 0) {
			line += 3;
			len -= 3;
		}
		char why[256];
		int n = len > TRACE_LINE_MAX_BYTES + 1
		                ? fail(why, sizeof(why), "longer than %d bytes", TRACE_LINE_MAX_BYTES)
		                : trace_parse_line(&r->parser, line, len, ret, why, sizeof(why));
		if (n < 0) {
			snprintf(err, err_size, "%s:%zu: %s", r->path, r->line, why);
			return n;
		}
		if (n > 0)
			return 1;
	}
}

void trace_reader_close(struct trace_reader *r)
{
	if (r->f && r->f != stdin)
		fclose(r->f);
	r->f = NULL;
	free(r->path);
	r->path = NULL;
}
