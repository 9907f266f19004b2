/* Sizes, durations and the checked cursor against tables of good and hostile input. */
#include "unit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "base/units.h"
#include "base/util.h"

struct u64_case {
	const char *in;
	int ret;
	uint64_t value;
};

static const struct u64_case size_cases[] = {
	{ "0", 0, 0 },
	{ "10", 0, 10 },
	{ "1048576", 0, 1048576 },
	{ "64K", 0, 64000 },
	{ "64Ki", 0, 65536 },
	{ "32M", 0, 32000000 },
	{ "32Mi", 0, 32 * 1048576ULL },
	{ "1G", 0, 1000000000ULL },
	{ "1Gi", 0, 1073741824ULL },
	{ "2T", 0, 2000000000000ULL },
	{ "2Ti", 0, 2ULL << 40 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "16777215Ti", 0, 16777215ULL << 40 },
	/* hostile */
	{ "", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ "1.5Mi", -EINVAL, 0 }, /* fractions are rejected: write "1536Ki" */
	{ "18446744073709551616", -ERANGE, 0 },
	{ "99999999999999999999999", -ERANGE, 0 },
	{ "64Qi", -EINVAL, 0 },
	{ "64k", -EINVAL, 0 }, /* suffixes are case-sensitive */
	{ "64 Mi", -EINVAL, 0 },
	{ " 64Mi", -EINVAL, 0 },
	{ "64Mi ", -EINVAL, 0 },
	{ "64Mi\n", -EINVAL, 0 },
	{ "Mi", -EINVAL, 0 },
	{ "ms", -EINVAL, 0 },
	{ "64MiB", -EINVAL, 0 },
	{ "0x10", -EINVAL, 0 },
	{ "1e3", -EINVAL, 0 },
	{ "max", -EINVAL, 0 },
	{ "20000000Ti", -ERANGE, 0 }, /* fits before the multiply, overflows after it */
	{ "16777216Ti", -ERANGE, 0 },
	{ "18446744073709551615K", -ERANGE, 0 },
};

static const struct u64_case duration_cases[] = {
	{ "250ms", 0, 250000 },
	{ "10s", 0, 10000000 },
	{ "1m", 0, 60000000 },
	{ "1h", 0, 3600000000ULL },
	{ "500us", 0, 500 },
	{ "0s", 0, 0 },
	{ "18446744073709551615us", 0, UINT64_MAX },
	/* hostile */
	{ "", -EINVAL, 0 },
	{ "10", -EINVAL, 0 }, /* a bare number is ambiguous */
	{ "ms", -EINVAL, 0 },
	{ "-1s", -EINVAL, 0 },
	{ "1.5s", -EINVAL, 0 },
	{ "10 s", -EINVAL, 0 },
	{ " 10s", -EINVAL, 0 },
	{ "10s ", -EINVAL, 0 },
	{ "10S", -EINVAL, 0 },
	{ "1m30s", -EINVAL, 0 },
	{ "10sec", -EINVAL, 0 },
	{ "1d", -EINVAL, 0 },
	{ "18446744073709551616us", -ERANGE, 0 },
	{ "18446744073709551615ms", -ERANGE, 0 },
	{ "6000000000h", -ERANGE, 0 },
};

static void run_table(const struct u64_case *cases, size_t n, int (*fn)(const char *, uint64_t *))
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0xdeadbeef;
		int r = fn(cases[i].in, &v);
		if (r != cases[i].ret || (r == 0 && v != cases[i].value) || (r < 0 && v != 0xdeadbeef))
			fail_msg("\"%s\": got %d (%" PRIu64 "), want %d (%" PRIu64 ")", cases[i].in, r, v,
			         cases[i].ret, cases[i].value);
	}
}

static void test_sizes(void **state)
{
	(void)state;
	run_table(size_cases, ARRAY_SIZE(size_cases), units_parse_size);
	uint64_t v;
	assert_int_equal(units_parse_size(NULL, &v), -EINVAL);
}

static void test_durations(void **state)
{
	(void)state;
	run_table(duration_cases, ARRAY_SIZE(duration_cases), units_parse_duration);
	uint64_t v;
	assert_int_equal(units_parse_duration(NULL, &v), -EINVAL);
}

static void test_cursor(void **state)
{
	(void)state;
	const char *s = "123abc";
	const char *p = s;
	uint64_t v = 0;

	assert_int_equal(units_parse_u64_cursor(&p, s + strlen(s), &v), 0);
	assert_int_equal(v, 123);
	assert_ptr_equal(p, s + 3);

	/* the end bound is honoured: only "12" is visible */
	p = s;
	assert_int_equal(units_parse_u64_cursor(&p, s + 2, &v), 0);
	assert_int_equal(v, 12);
	assert_ptr_equal(p, s + 2);

	/* no digit: -EINVAL and the cursor does not move */
	p = s + 3;
	assert_int_equal(units_parse_u64_cursor(&p, s + strlen(s), &v), -EINVAL);
	assert_ptr_equal(p, s + 3);
	p = s;
	assert_int_equal(units_parse_u64_cursor(&p, s, &v), -EINVAL);

	/* overflow: -ERANGE, value and cursor untouched */
	const char *big = "18446744073709551616";
	p = big;
	v = 7;
	assert_int_equal(units_parse_u64_cursor(&p, big + strlen(big), &v), -ERANGE);
	assert_ptr_equal(p, big);
	assert_int_equal(v, 7);

	const char *max = "18446744073709551615";
	p = max;
	assert_int_equal(units_parse_u64_cursor(&p, max + strlen(max), &v), 0);
	assert_true(v == UINT64_MAX);

	/* the first 19 digits go unchecked: the 20th is checked, whatever the leading zeros */
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} edges[] = {
		{ "9999999999999999999", 0, UINT64_C(9999999999999999999) }, /* 19 digits */
		{ "99999999999999999999", -ERANGE, 0 },                      /* 20 */
		{ "19999999999999999999", -ERANGE, 0 },
		{ "18446744073709551620", -ERANGE, 0 },
		{ "00000000000000000000000000042", 0, 42 },
		{ "0000000000000000000018446744073709551615", 0, UINT64_MAX },
		{ "0000000000000000000018446744073709551616", -ERANGE, 0 },
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		print_message("cursor edge %zu: %s\n", i, edges[i].s);
		p = edges[i].s;
		v = 7;
		assert_int_equal(units_parse_u64_cursor(&p, p + strlen(p), &v), edges[i].r);
		if (edges[i].r == 0) {
			assert_true(v == edges[i].v);
			assert_ptr_equal(p, edges[i].s + strlen(edges[i].s));
		} else {
			assert_true(v == 7);
			assert_ptr_equal(p, edges[i].s);
		}
	}
}

static void test_format(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(units_format_size(0, buf, sizeof(buf)), "0");
	assert_string_equal(units_format_size(512, buf, sizeof(buf)), "512");
	assert_string_equal(units_format_size(65536, buf, sizeof(buf)), "64Ki");
	assert_string_equal(units_format_size(256ULL << 20, buf, sizeof(buf)), "256Mi");
	assert_string_equal(units_format_size(3ULL << 29, buf, sizeof(buf)), "1.5Gi");
	assert_string_equal(units_format_size(2ULL << 40, buf, sizeof(buf)), "2Ti");
	assert_string_equal(units_format_size(UINT64_MAX, buf, sizeof(buf)), "16777216.0Ti");
	/* a tiny buffer is truncated, never overrun */
	char small[4];
	assert_string_equal(units_format_size(256ULL << 20, small, sizeof(small)), "256");

	assert_string_equal(units_format_duration(0, buf, sizeof(buf)), "0s");
	assert_string_equal(units_format_duration(250000, buf, sizeof(buf)), "250ms");
	assert_string_equal(units_format_duration(10000000, buf, sizeof(buf)), "10s");
	assert_string_equal(units_format_duration(60000000, buf, sizeof(buf)), "1m");
	assert_string_equal(units_format_duration(90000000, buf, sizeof(buf)), "90s");
	assert_string_equal(units_format_duration(7200000000ULL, buf, sizeof(buf)), "2h");
	assert_string_equal(units_format_duration(1500, buf, sizeof(buf)), "1500us");

	/* what is formatted parses back to the same value */
	static const uint64_t round[] = { 1, 999, 1000, 250000, 60000000, 3600000000ULL, 1234567 };
	for (size_t i = 0; i < ARRAY_SIZE(round); i++) {
		uint64_t v;
		assert_int_equal(units_parse_duration(units_format_duration(round[i], buf, sizeof(buf)), &v),
		                 0);
		assert_true(v == round[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_cursor),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
