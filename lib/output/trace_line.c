/* Traces (trace.h): a line of either format, written or parsed: the format, the groups, the clock.
 * The formats (trace_csv.c, trace_jsonl.c) and the columns (trace_columns.c) never call back here. */
#include "output/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "base/units.h"
#include "output/trace_internal.h"

int trace_format_header(enum trace_format f, char *buf, size_t size)
{
	if (size)
		buf[0] = '\0';
	return f == TRACE_FORMAT_CSV ? trace_csv_header(buf, size) : 0;
}

int trace_format_row(enum trace_format f, const struct sample *s, uint64_t start_mono_usec, char *buf,
                     size_t size)
{
	return f == TRACE_FORMAT_CSV ? trace_csv_row(s, start_mono_usec, buf, size)
	                             : trace_jsonl_row(s, start_mono_usec, buf, size);
}

/* Checks the groups and the time order, and completes the sample. */
static int finish_row(const struct trace_parser *tp, struct trace_row *r, char *err, size_t err_size)
{
	size_t seen[TRACE_GROUPS] = { 0 }, all[TRACE_GROUPS] = { 0 };
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		all[trace_columns[i].group]++;
		seen[trace_columns[i].group] += r->seen[i];
	}
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		enum trace_col_group g = trace_columns[i].group;
		if (!r->seen[i] && (g == TRACE_GROUP_BASE || seen[g] > 0))
			return trace_fail(err, err_size, "no %s%s", trace_columns[i].csv,
			                  g == TRACE_GROUP_BASE ? "" : " (its group comes all or none)");
	}
	struct sample *s = &r->s;
	s->has_stat = seen[TRACE_GROUP_STAT] == all[TRACE_GROUP_STAT];
	s->has_psi = seen[TRACE_GROUP_PSI] == all[TRACE_GROUP_PSI];
	s->has_events = seen[TRACE_GROUP_EVENTS] == all[TRACE_GROUP_EVENTS];
	if (tp->have_prev && r->elapsed_usec < tp->prev_elapsed_usec)
		return trace_fail(err, err_size,
		                  "elapsed_sec goes back (%" PRIu64 ".%06" PRIu64 " after %" PRIu64
		                  ".%06" PRIu64 ")",
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
}

int trace_parse_line(struct trace_parser *tp, const char *line, size_t len, struct sample *ret, char *err,
                     size_t err_size)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (len > TRACE_LINE_MAX_BYTES)
		return trace_fail(err, err_size, "longer than %d bytes", TRACE_LINE_MAX_BYTES);
	/* before the comment: a NUL, even in a comment, says the file is not text */
	const char *nul = memchr(line, '\0', len);
	if (nul)
		return trace_fail(err, err_size, "NUL byte at column %zu", (size_t)(nul - line) + 1);
	/* trace_reader_next skips one at the start of the file; anywhere else it is misplaced */
	if (len >= 3 && memcmp(line, UTF8_BOM, 3) == 0)
		return trace_fail(err, err_size,
		                  "a UTF-8 byte-order mark (U+FEFF) not at the start of the file");
	if (len == 0 || line[0] == '#')
		return 0;
	/* The first line decides: an object is JSONL, anything else a CSV header. */
	enum trace_format format = tp->format_known ? tp->format
	                           : line[0] == '{' ? TRACE_FORMAT_JSONL
	                                            : TRACE_FORMAT_CSV;
	if (!tp->format_known && format == TRACE_FORMAT_CSV) {
		struct trace_parser next = *tp;
		int r = trace_csv_parse_header(&next, line, len, err, err_size);
		if (r < 0)
			return r;
		next.format = TRACE_FORMAT_CSV;
		next.format_known = true;
		*tp = next;
		return 0;
	}
	struct trace_row r = { 0 };
	int ret_code = format == TRACE_FORMAT_CSV ? trace_csv_parse_row(tp, line, len, &r, err, err_size)
	                                          : trace_jsonl_parse_row(line, len, &r, err, err_size);
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
