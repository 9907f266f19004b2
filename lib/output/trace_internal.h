/* The trace format's insides, shared by lib/output/trace*.c (trace.h is what others use): the
 * column table, a column's value as text and back, the CSV and JSONL lines. Nothing outside
 * lib/output/trace*.c includes it, but their unit tests. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h" /* _printf_ */
#include "output/trace.h"
#include "policy/sample.h"

/* U+FEFF as UTF-8: a byte-order mark. */
#define UTF8_BOM "\xef\xbb\xbf"
/* elapsed_sec at most ~31,700 years: far from overflowing microseconds. */
#define ELAPSED_MAX_SEC 1e12

/* What a column holds, and the group it belongs to (a group is read all or none). */
enum trace_col_kind {
	TRACE_COL_TIME,
	TRACE_COL_ELAPSED,
	TRACE_COL_BYTES,
	TRACE_COL_PSI_AVG,
	TRACE_COL_PSI_TOTAL,
	TRACE_COL_EVENT,
};
enum trace_col_group {
	TRACE_GROUP_BASE,
	TRACE_GROUP_STAT,
	TRACE_GROUP_PSI,
	TRACE_GROUP_EVENTS,
	TRACE_GROUPS
};

struct trace_column {
	const char *csv;      /* "psi_some_avg10" */
	const char *json_obj; /* NULL, "psi" or "events" */
	const char *json_key; /* "some_avg10" */
	enum trace_col_kind kind;
	enum trace_col_group group;
	size_t offset; /* TRACE_COL_BYTES: of its uint64_t in struct sample */
	int a, b;      /* TRACE_COL_PSI_*: psi kind and window; TRACE_COL_EVENT: the memevent */
};

/* The columns, in the order the CSV header lists them (trace_columns.c). */
extern const struct trace_column trace_columns[]; /* TRACE_COLUMNS of them */

/* One line's values as they are read. */
struct trace_row {
	struct sample s;
	uint64_t elapsed_usec;
	bool seen[TRACE_COLUMNS];
};

/* ---- trace_columns.c ---- */

/* The column named name (CSV), or inside obj (JSONL: NULL at the top); -1 when none. */
int trace_column_find(const char *obj, const char *name, size_t len);
/* The value of column c of s as text (no quotes) into buf; false (and buf untouched) when s has
 * not read the column's group. */
bool trace_column_text(const struct trace_column *c, const struct sample *s, uint64_t start_mono_usec,
                       char *buf, size_t size);
/* A value as text (not empty) into column i of r. Returns 0 or -EBADMSG with the reason in err. */
int trace_column_parse_text(struct trace_row *r, size_t i, const char *v, size_t len, char *err,
                            size_t err_size);
/* Stores an integer value of column c (bytes, a PSI total, a counter). */
void trace_column_put_u64(struct trace_row *r, const struct trace_column *c, uint64_t v);
/* "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (RFC 3339 in UTC, 1970 or later); false when it is not. */
bool trace_parse_rfc3339(const char *s, size_t len, uint64_t *ret_usec);

/* ---- trace_columns.c: text helpers ---- */

/* The reason into err; returns -EBADMSG. */
_printf_(3, 4) int trace_fail(char *err, size_t err_size, const char *fmt, ...);
/* Appends to buf at *n; false when it does not fit. */
_printf_(4, 5) bool trace_append(char *buf, size_t size, size_t *n, const char *fmt, ...);

/* ---- trace_csv.c, trace_jsonl.c: one format each ---- */

/* The header line with its newline. Returns the length or -ENOBUFS. */
int trace_csv_header(char *buf, size_t size);
/* A sample's line with its newline (trace_format_row). Returns the length or -ENOBUFS. */
int trace_csv_row(const struct sample *s, uint64_t start_mono_usec, char *buf, size_t size);
int trace_jsonl_row(const struct sample *s, uint64_t start_mono_usec, char *buf, size_t size);
/* The column order of a header line into tp. Returns 0 or -EBADMSG with the reason in err (then
 * tp->csv_columns may be written: the caller passes a copy). */
int trace_csv_parse_header(struct trace_parser *tp, const char *line, size_t len, char *err, size_t err_size);
/* A sample's line into r. Returns 0 or -EBADMSG with the reason in err. */
int trace_csv_parse_row(const struct trace_parser *tp, const char *line, size_t len, struct trace_row *r,
                        char *err, size_t err_size);
int trace_jsonl_parse_row(const char *line, size_t len, struct trace_row *r, char *err, size_t err_size);
