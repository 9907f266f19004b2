/* trace_csv: the header and a row as text (an empty field for a value not read), and the CSV
 * parser: a header in any order with comments before it, bad headers, and garbage rows after a
 * valid start, each refused with its reason. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "output/trace.h"
#include "output/trace_internal.h"

/* A sample of the base group only: 2.5 s after a start at mono 5 s. */
static struct sample base_sample(void)
{
	return (struct sample){ .usage_bytes = 250,
		                .limit_bytes = 1000,
		                .host_total_bytes = 8000,
		                .host_available_bytes = 4000,
		                .mono_usec = 7500000,
		                .real_usec = UINT64_C(1767225601500000) };
}

static void test_header_and_row_text(void **state)
{
	(void)state;
	char buf[TRACE_LINE_MAX_BYTES];
	static const char header[] =
	        "time,elapsed_sec,usage_bytes,working_set_bytes,anon_bytes,limit_bytes,host_available_bytes,"
	        "host_total_bytes,psi_some_avg10,psi_some_avg60,psi_some_avg300,psi_some_total_usec,"
	        "psi_full_avg10,psi_full_avg60,psi_full_avg300,psi_full_total_usec,events_low,events_high,"
	        "events_max,events_oom,events_oom_kill,events_oom_group_kill\n";
	assert_int_equal(trace_csv_header(buf, sizeof(buf)), (int)strlen(header));
	assert_string_equal(buf, header);

	struct sample s = base_sample();
	static const char row[] = "2026-01-01T00:00:01.500Z,2.500,250,,,1000,4000,8000,,,,,,,,,,,,,,\n";
	assert_int_equal(trace_csv_row(&s, 5000000, buf, sizeof(buf)), (int)strlen(row));
	assert_string_equal(buf, row);
	s.has_psi = true;
	s.psi.avg[PSI_SOME][PSI_AVG10] = 1.5;
	s.psi.total_usec[PSI_FULL] = 7;
	assert_int_equal(trace_csv_row(&s, 5000000, buf, sizeof(buf)), 92);
	assert_string_equal(buf,
	                    "2026-01-01T00:00:01.500Z,2.500,250,,,1000,4000,8000,1.50,0.00,0.00,0,0.00,0.00,"
	                    "0.00,7,,,,,,\n");
	/* a buffer too small: -ENOBUFS, header or row */
	assert_int_equal(trace_csv_header(buf, 10), -ENOBUFS);
	assert_int_equal(trace_csv_row(&s, 5000000, buf, 10), -ENOBUFS);
	assert_int_equal(trace_csv_row(&s, 5000000, buf, 92), -ENOBUFS); /* no room for the NUL */
}

/* What the writer writes, the parser reads: the header, then the row. */
static void test_written_header_is_read(void **state)
{
	(void)state;
	char header[TRACE_LINE_MAX_BYTES], row[TRACE_LINE_MAX_BYTES], err[256] = "";
	struct trace_parser tp;
	struct sample s = base_sample(), out;
	int hn = trace_csv_header(header, sizeof(header)), rn = trace_csv_row(&s, 5000000, row, sizeof(row));
	trace_parser_init(&tp);
	assert_int_equal(trace_parse_line(&tp, header, (size_t)hn - 1, &out, err, sizeof(err)), 0);
	assert_true(tp.format_known);
	assert_int_equal(tp.n_csv_columns, TRACE_COLUMNS);
	assert_int_equal(trace_parse_line(&tp, row, (size_t)rn - 1, &out, err, sizeof(err)), 1);
	assert_int_equal(out.usage_bytes, 250);
	assert_int_equal(out.host_available_bytes, 4000);
	assert_false(out.has_stat || out.has_psi || out.has_events);
}

static void test_csv_header_any_order_and_comments(void **state)
{
	(void)state;
	struct trace_parser tp;
	struct sample s;
	char err[256];
	static const char *const lines[] = {
		"# a trace written by hand",
		"",
		"limit_bytes,usage_bytes,host_total_bytes,host_available_bytes,elapsed_sec,time\r",
		"1000,250,8000,4000,2.5,2026-01-01T00:00:01.5Z",
	};
	trace_parser_init(&tp);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(trace_parse_line(&tp, lines[i], strlen(lines[i]), &s, err, sizeof(err)), 0);
	assert_int_equal(trace_parse_line(&tp, lines[3], strlen(lines[3]), &s, err, sizeof(err)), 1);
	assert_int_equal(s.usage_bytes, 250);
	assert_int_equal(s.limit_bytes, 1000);
	assert_int_equal(s.mono_usec, 2500000);
	assert_int_equal(s.real_usec, UINT64_C(1767225601500000));
	assert_false(s.has_stat || s.has_psi || s.has_events);
}

/* Each line after a valid start is refused with the reason given. */
static void test_garbage_rejected(void **state)
{
	(void)state;
	static const char header[] = "time,elapsed_sec,usage_bytes,limit_bytes,host_available_bytes,"
	                             "host_total_bytes,working_set_bytes,anon_bytes";
	static const char good[] = "2026-01-01T00:00:05Z,5,1,2,3,4,,";
	static const struct {
		bool csv;
		const char *line, *reason;
	} cases[] = {
		{ true, "2026-01-01T00:00:06Z,6,x,2,3,4,,", "usage_bytes: 'x' is not a whole number" },
		{ true, "2026-01-01T00:00:06Z,6,-1,2,3,4,,", "usage_bytes: '-1' is not a whole number" },
		{ true, "2026-01-01T00:00:06Z,6,99999999999999999999,2,3,4,,", "usage_bytes" },
		{ true, "2026-01-01T00:00:06Z,6,1,2,3,4,,,", "more fields than the header's 8" },
		{ true, "2026-01-01T00:00:06Z,6,1,2,3,4,", "7 fields, the header has 8" },
		{ true, "2026-01-01T00:00:06Z,4,1,2,3,4,,",
		  "elapsed_sec goes back (4.000000 after 5.000000)" },
		{ true, "2026-01-01T00:00:06Z,6.1234567,1,2,3,4,,",
		  "elapsed_sec: '6.1234567' is not seconds" },
		{ true, "2026-01-01 00:00:06Z,6,1,2,3,4,,",
		  "time: '2026-01-01 00:00:06Z' is not an RFC 3339" },
		{ true, "2026-13-01T00:00:06Z,6,1,2,3,4,,", "time:" },
		{ true, "2026-01-01T00:00:06+01:00,6,1,2,3,4,,", "time:" },
		{ true, "2026-01-01T00:00:06Z,,1,2,3,4,,", "no elapsed_sec" },
		{ true, "2026-01-01T00:00:06Z,6,1,2,3,4,5,", "no anon_bytes (its group comes all or none)" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct trace_parser tp;
		struct sample s, untouched;
		char err[256] = "";
		trace_parser_init(&tp);
		if (cases[i].csv) {
			assert_int_equal(trace_parse_line(&tp, header, strlen(header), &s, err, sizeof(err)),
			                 0);
			assert_int_equal(trace_parse_line(&tp, good, strlen(good), &s, err, sizeof(err)), 1);
		}
		struct trace_parser before = tp;
		memset(&s, 0xa5, sizeof(s));
		untouched = s;
		int r = trace_parse_line(&tp, cases[i].line, strlen(cases[i].line), &s, err, sizeof(err));
		if (r != -EBADMSG || !strstr(err, cases[i].reason))
			fail_msg("case %zu '%s': %d '%s', wanted '%s'", i, cases[i].line, r, err,
			         cases[i].reason);
		assert_memory_equal(&s, &untouched, sizeof(s));
		assert_memory_equal(&tp, &before, sizeof(tp));
	}
}

static void test_bad_headers(void **state)
{
	(void)state;
	static const struct {
		const char *line, *reason;
	} cases[] = {
		{ "time,elapsed_sec,usage_bytes,limit_bytes,host_available_bytes", "no host_total_bytes" },
		{ "time,time", "time twice" },
		{ "time,elapsed_sec,usage,limit_bytes", "'usage' is not a column" },
		{ "time,elapsed_sec,usage_bytes,limit_bytes,host_available_bytes,host_total_bytes,anon_bytes",
		  "anon_bytes without working_set_bytes" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct trace_parser tp;
		struct sample s;
		char err[256] = "";
		trace_parser_init(&tp);
		int r = trace_parse_line(&tp, cases[i].line, strlen(cases[i].line), &s, err, sizeof(err));
		if (r != -EBADMSG || !strstr(err, cases[i].reason))
			fail_msg("case %zu: %d '%s', wanted '%s'", i, r, err, cases[i].reason);
		assert_false(tp.format_known);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_row_text),
		cmocka_unit_test(test_written_header_is_read),
		cmocka_unit_test(test_csv_header_any_order_and_comments),
		cmocka_unit_test(test_garbage_rejected),
		cmocka_unit_test(test_bad_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
