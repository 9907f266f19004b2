/* Traces: a target's samples over time, one line each, as `memhook record` writes them and
 * `memhook simulate` reads them. Two formats with the same columns:
 *
 *   CSV    a header line naming the columns (any order), then one line per sample; an empty
 *          field is a value not read
 *   JSONL  one object per line, the payload's sample shape: {"time", "elapsed_sec",
 *          "usage_bytes", ..., "psi": {"some_avg10", ...}, "events": {"low", ...}}; a value not
 *          read is absent (or null)
 *
 * Columns (CSV name; JSONL key):
 *   time                 RFC 3339 UTC ("2026-11-25T21:11:00.123Z"), the wall clock
 *   elapsed_sec          seconds since the first sample, monotonic ("12.5"); never goes back
 *   usage_bytes, limit_bytes, host_available_bytes, host_total_bytes      always there
 *   working_set_bytes, anon_bytes                     both or neither (memory.stat)
 *   psi_{some,full}_{avg10,avg60,avg300} (percent), psi_{some,full}_total_usec  all or none
 *   events_{low,high,max,oom,oom_kill,oom_group_kill}   cumulative counters, all or none
 * Lines starting with '#' and empty lines are skipped in both formats. A JSONL key or CSV column
 * that is not one of these is an error. Lines are at most TRACE_LINE_MAX_BYTES. A NUL byte in any
 * line (a comment too) is an error naming its column; a UTF-8 byte-order mark is skipped at the
 * start of a file (trace_reader_next) and an error anywhere else. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/defaults.h" /* TRACE_LINE_MAX_BYTES */
#include "base/names.h"    /* enum trace_format */
#include "policy/sample.h"

/* The columns, in the order the CSV header lists them. */
#define TRACE_COLUMNS (2 + 6 + PSI_KINDS * (PSI_WINDOWS + 1) + MEMEV_COUNT)

/* The CSV header line (with its newline) into buf; for JSONL nothing. Returns the length or
 * -ENOBUFS. */
int trace_format_header(enum trace_format f, char *buf, size_t size);

/* One line (with its newline) for s: its real_usec as time, mono_usec - start_mono_usec as
 * elapsed_sec (0 when earlier), the has_stat / has_psi / has_events groups only when set. Returns
 * the length or -ENOBUFS. */
int trace_format_row(enum trace_format f, const struct sample *s, uint64_t start_mono_usec, char *buf,
                     size_t size);

/* The state of reading one trace: its format (from its first line), the CSV column order, and the
 * previous sample (time order, events_delta). */
struct trace_parser {
	bool format_known;
	enum trace_format format;
	int csv_columns[TRACE_COLUMNS]; /* the column of each CSV field */
	size_t n_csv_columns;
	bool have_prev;
	uint64_t prev_elapsed_usec;
	bool prev_has_events;
	uint64_t prev_events[MEMEV_COUNT];
};

void trace_parser_init(struct trace_parser *tp);

/* Parses one line (without its newline; a '\r' before it is dropped). Returns 1 with a sample in
 * *ret (mono_usec = elapsed since the first sample, real_usec = its time; events_delta since the
 * previous sample, 0 at the first and after a counter went down); 0 for a line that holds none
 * (comment, empty, CSV header); -EBADMSG with the reason in err (*ret and tp untouched). */
int trace_parse_line(struct trace_parser *tp, const char *line, size_t len, struct sample *ret, char *err,
                     size_t err_size);

/* A trace file read line by line. */
struct trace_reader {
	FILE *f;
	char *path;  /* for messages */
	size_t line; /* of the last line read, 1-based */
	struct trace_parser parser;
	char buf[TRACE_LINE_MAX_BYTES + 2];
};

/* Opens path ("-": stdin). Returns 0 or -errno with "<path>: <reason>" in err: -EISDIR for a
 * directory, -EBADF when stdin is closed ("standard input is closed"). */
int trace_reader_open(const char *path, struct trace_reader *ret, char *err, size_t err_size);
/* The next sample. Returns 1, 0 at the end, -EBADMSG with "<path>:<line>: <reason>" in err, or
 * -errno on a read error (also in err). */
int trace_reader_next(struct trace_reader *r, struct sample *ret, char *err, size_t err_size);
/* Closes the file (not stdin); idempotent. */
void trace_reader_close(struct trace_reader *r);
