/* Traces in CSV (trace.h): a header naming the columns in any order, then a line per sample. */
#include "output/trace_internal.h"

#include <errno.h>
#include <string.h>

int trace_csv_header(char *buf, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < TRACE_COLUMNS; i++)
		if (!trace_append(buf, size, &n, "%s%s", i ? "," : "", trace_columns[i].csv))
			return -ENOBUFS;
	return trace_append(buf, size, &n, "\n") ? (int)n : -ENOBUFS;
}

/* A value not read is an empty field. */
int trace_csv_row(const struct sample *s, uint64_t start_mono_usec, char *buf, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		char v[64] = "";
		trace_column_text(&trace_columns[i], s, start_mono_usec, v, sizeof(v));
		if (!trace_append(buf, size, &n, "%s%s", i ? "," : "", v))
			return -ENOBUFS;
	}
	return trace_append(buf, size, &n, "\n") ? (int)n : -ENOBUFS;
}

int trace_csv_parse_header(struct trace_parser *tp, const char *line, size_t len, char *err, size_t err_size)
{
	bool have[TRACE_COLUMNS] = { false };
	size_t n = 0;
	const char *p = line, *end = line + len;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *fe = comma ? comma : end;
		int i = trace_column_find(NULL, p, (size_t)(fe - p));
		if (i < 0)
			return trace_fail(err, err_size, "header: '%.*s' is not a column",
			                  (int)(fe - p > 40 ? 40 : fe - p), p);
		if (have[i])
			return trace_fail(err, err_size, "header: %s twice", trace_columns[i].csv);
		have[i] = true;
		tp->csv_columns[n++] = i;
		if (!comma)
			break;
		p = comma + 1;
	}
	for (size_t i = 0; i < TRACE_COLUMNS; i++)
		if (!have[i] && trace_columns[i].group == TRACE_GROUP_BASE)
			return trace_fail(err, err_size, "header: no %s column", trace_columns[i].csv);
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		for (size_t j = 0; j < TRACE_COLUMNS; j++)
			if (have[i] && !have[j] && trace_columns[j].group == trace_columns[i].group)
				return trace_fail(err, err_size, "header: %s without %s (they come together)",
				                  trace_columns[i].csv, trace_columns[j].csv);
	}
	tp->n_csv_columns = n;
	return 0;
}

int trace_csv_parse_row(const struct trace_parser *tp, const char *line, size_t len, struct trace_row *r,
                        char *err, size_t err_size)
{
	const char *p = line, *end = line + len;
	for (size_t f = 0;; f++) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *fe = comma ? comma : end;
		if (f >= tp->n_csv_columns)
			return trace_fail(err, err_size, "more fields than the header's %zu",
			                  tp->n_csv_columns);
		if (fe > p) {
			int ret = trace_column_parse_text(r, (size_t)tp->csv_columns[f], p, (size_t)(fe - p),
			                                  err, err_size);
			if (ret < 0)
				return ret;
		}
		if (!comma) {
			if (f + 1 != tp->n_csv_columns)
				return trace_fail(err, err_size, "%zu fields, the header has %zu", f + 1,
				                  tp->n_csv_columns);
			return 0;
		}
		p = comma + 1;
	}
}
