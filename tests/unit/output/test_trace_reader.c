/* trace_reader: a trace file read line by line names the file and the line of what it refuses,
 * skips a byte-order mark at the start only, and says what a directory or a missing file is. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "output/trace.h"

/* The reader names the file and the line; the end is 0. */
static void test_reader_names_file_and_line(void **state)
{
	(void)state;
	char path[] = "/tmp/memhook-trace-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("time,elapsed_sec,usage_bytes,limit_bytes,host_available_bytes,host_total_bytes\n"
	      "# note\n"
	      "2026-01-01T00:00:00Z,0,1,2,3,4\n"
	      "2026-01-01T00:00:01Z,1,oops,2,3,4\n",
	      f);
	fclose(f);
	struct trace_reader tr;
	struct sample s;
	char err[512] = "", want[600];
	assert_int_equal(trace_reader_open(path, &tr, err, sizeof(err)), 0);
	assert_int_equal(trace_reader_next(&tr, &s, err, sizeof(err)), 1);
	assert_int_equal(trace_reader_next(&tr, &s, err, sizeof(err)), -EBADMSG);
	snprintf(want, sizeof(want), "%s:4: usage_bytes: 'oops' is not a whole number", path);
	assert_string_equal(err, want);
	trace_reader_close(&tr);
	trace_reader_close(&tr); /* idempotent */

	/* a line past the bound */
	f = fopen(path, "w");
	fputs("{", f);
	for (int i = 0; i < TRACE_LINE_MAX_BYTES; i++)
		fputc(' ', f);
	fputs("}\n", f);
	fclose(f);
	assert_int_equal(trace_reader_open(path, &tr, err, sizeof(err)), 0);
	assert_int_equal(trace_reader_next(&tr, &s, err, sizeof(err)), -EBADMSG);
	snprintf(want, sizeof(want), "%s:1: longer than %d bytes", path, TRACE_LINE_MAX_BYTES);
	assert_string_equal(err, want);
	trace_reader_close(&tr);
	unlink(path);

	assert_int_equal(trace_reader_open("/nonexistent/t.csv", &tr, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/t.csv: No such file or directory");
}

/* A NUL byte is named with its column, wherever it is; a byte-order mark is skipped at the start of
 * the file and named anywhere else; a directory is said to be one at open. */
static void test_reader_nul_bom_directory(void **state)
{
	(void)state;
	static const char hdr[] =
	        "time,elapsed_sec,usage_bytes,limit_bytes,host_available_bytes,host_total_bytes\n";
	static const char row[] = "2026-01-01T00:00:00Z,0,1,2,3,4";
	char path[] = "/tmp/memhook-trace-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct trace_reader tr;
	struct sample s;
	char err[512] = "", want[600];

	/* a NUL in the middle of a line, then one in a last line without a newline */
	FILE *f = fopen(path, "w");
	fputs(hdr, f);
	static const char nul_row[] = "2026-01-01T00:00:00Z,0,1\0,2,3,4\n";
	fwrite(nul_row, 1, sizeof(nul_row) - 1, f);
	fclose(f);
	assert_int_equal(trace_reader_open(path, &tr, err, sizeof(err)), 0);
	assert_int_equal(trace_reader_next(&tr, &s, err, sizeof(err)), -EBADMSG);
	snprintf(want, sizeof(want), "%s:2: NUL byte at column 25", path);
	assert_string_equal(err, want);
	trace_reader_close(&tr);
	f = fopen(path, "w");
	fputs(hdr, f);
	fputs(row, f);
	fwrite("\0x", 1, 2, f);
	fclose(f);
	assert_int_equal(trace_reader_open(path, &tr, err, sizeof(err)), 0);
	assert_int_equal(trace_reader_next(&tr, &s, err, sizeof(err)), -EBADMSG);
	snprintf(want, sizeof(want), "%s:2: NUL byte at column 31", path);
	assert_string_equal(err, want);
	trace_reader_close(&tr);

	/* a BOM at the start: skipped; on the next line: named */
	f = fopen(path, "w");
	fprintf(f, "\xef\xbb\xbf%s%s\n\xef\xbb\xbf%s\n", hdr, row, row);
	fclose(f);
	assert_int_equal(trace_reader_open(path, &tr, err, sizeof(err)), 0);
	assert_int_equal(trace_reader_next(&tr, &s, err, sizeof(err)), 1);
	assert_int_equal(s.usage_bytes, 1);
	assert_int_equal(trace_reader_next(&tr, &s, err, sizeof(err)), -EBADMSG);
	snprintf(want, sizeof(want), "%s:3: a UTF-8 byte-order mark (U+FEFF) not at the start of the file",
	         path);
	assert_string_equal(err, want);
	trace_reader_close(&tr);
	unlink(path);

	assert_int_equal(trace_reader_open("/tmp", &tr, err, sizeof(err)), -EISDIR);
	assert_string_equal(err, "/tmp: is a directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_names_file_and_line),
		cmocka_unit_test(test_reader_nul_bom_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
