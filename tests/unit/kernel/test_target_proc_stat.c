/* target_parse_start_time: field 22 of /proc/PID/stat, against a table of hostile lines (a comm
 * with spaces and parentheses, truncation, garbage, overflow). */
#include "unit.h"

#include <errno.h>
#include <unistd.h>

#include "kernel/target.h"

/* A real line (bash, kernel 6.x), with the comm and the start time as the test needs. */
#define BEFORE " S 1 4242 4242 34816 4242 4194560 1283 0 0 0 2 1 0 0 20 0 1 0 "
#define AFTER  " 9003008 1047 18446744073709551615 1 1 0 0 0 0 65536 3686404 1266761467 0 0 0 17 1 0 0 0 0 0\n"

struct row {
	const char *text;
	int want;
	uint64_t ticks;
};

static const struct row rows[] = {
	{ "4242 (bash)" BEFORE "123456" AFTER, 0, 123456 },
	/* a comm with spaces and parentheses: the last ')' ends it */
	{ "4242 (my app (x) y)" BEFORE "77" AFTER, 0, 77 },
	{ "4242 ())) ) )" BEFORE "78" AFTER, 0, 78 },
	{ "4242 ( S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22)" BEFORE "79" AFTER, 0, 79 },
	/* the start time may end the line (older kernels have fewer fields after it) */
	{ "1 (init)" BEFORE "0", 0, 0 },
	{ "1 (init)" BEFORE "5\n", 0, 5 },
	{ "1 (init)" BEFORE "18446744073709551615", 0, UINT64_MAX },
	/* negative fields before it (tty_nr, tpgid, priority, nice) are skipped, not parsed */
	{ "9 (x) S 1 9 9 0 -1 4194560 0 0 0 0 0 0 0 0 -2 -20 1 0 42 0", 0, 42 },
	/* garbage */
	{ "", -EBADMSG, 0 },
	{ "4242 bash" BEFORE "1", -EBADMSG, 0 },
	{ "4242 (bash" BEFORE "1", -EBADMSG, 0 },
	{ "4242 )bash(" BEFORE "1", -EBADMSG, 0 },
	{ "4242 (bash)", -EBADMSG, 0 },
	{ "4242 (bash) S 1 2 3", -EBADMSG, 0 },
	{ "4242 (bash)" BEFORE, -EBADMSG, 0 },
	{ "4242 (bash)" BEFORE "x12", -EBADMSG, 0 },
	{ "4242 (bash)" BEFORE "12x 3", -EBADMSG, 0 },
	{ "4242 (bash)" BEFORE "-12", -EBADMSG, 0 },
	{ "4242 (bash) S  1 4242 4242 34816 4242 4194560 1283 0 0 0 2 1 0 0 20 0 1 0 5", -EBADMSG, 0 },
	{ "4242 (bash)\nS 1 4242 4242 34816 4242 4194560 1283 0 0 0 2 1 0 0 20 0 1 0 5", -EBADMSG, 0 },
	{ "4242 (bash)" BEFORE "18446744073709551616", -ERANGE, 0 },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t ticks = 0xdead;
		int r = target_parse_start_time(rows[i].text, strlen(rows[i].text), &ticks);
		if (r != rows[i].want)
			fail_msg("row %zu (%s): %d, want %d", i, rows[i].text, r, rows[i].want);
		if (r == 0 && ticks != rows[i].ticks)
			fail_msg("row %zu: %llu, want %llu", i, (unsigned long long)ticks,
			         (unsigned long long)rows[i].ticks);
		if (r < 0 && ticks != 0xdead)
			fail_msg("row %zu: ret_ticks written on failure", i);
	}
}

/* The length is honoured: no read past it, a NUL inside is garbage. */
static void test_length(void **state)
{
	(void)state;
	static const char line[] = "1 (a)" BEFORE "123" AFTER;
	uint64_t ticks;
	size_t cut = strlen("1 (a)" BEFORE "12");
	assert_int_equal(target_parse_start_time(line, cut, &ticks), 0);
	assert_int_equal(ticks, 12);
	assert_int_equal(target_parse_start_time(line, 0, &ticks), -EBADMSG);
	assert_int_equal(target_parse_start_time(NULL, 5, &ticks), -EBADMSG);
	static const char nul[] = "1 (a)" BEFORE "1\0"
	                          "23";
	assert_int_equal(target_parse_start_time(nul, sizeof(nul) - 1, &ticks), -EBADMSG);
}

/* The real thing: our own start time, read twice, is the same. */
static void test_read_self(void **state)
{
	(void)state;
	uint64_t a, b;
	assert_int_equal(target_read_start_time("/proc", getpid(), &a), 0);
	assert_int_equal(target_read_start_time("/proc", getpid(), &b), 0);
	assert_int_equal(a, b);
	assert_int_equal(target_read_start_time("/nonexistent-proc", 1, &a), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_read_self),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
