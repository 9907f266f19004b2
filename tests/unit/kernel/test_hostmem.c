/* meminfo_parse against real and hostile text; hostmem_open/read against the fixture and /proc. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "kernel/hostmem.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_meminfo_real(void **state)
{
	(void)state;
	const char text[] = "MemTotal:       24683620 kB\n"
	                    "MemFree:        24527512 kB\n"
	                    "MemAvailable:   24442936 kB\n"
	                    "Buffers:             920 kB\n"
	                    "HugePages_Total:       0\n"
	                    "Hugepagesize:       2048 kB\n";
	uint64_t total = 0, avail = 0;

	assert_int_equal(meminfo_parse(text, sizeof(text) - 1, &total, &avail), 0);
	assert_int_equal(total, UINT64_C(24683620) * 1024);
	assert_int_equal(avail, UINT64_C(24442936) * 1024);
	/* keys in another order, no trailing newline */
	assert_int_equal(meminfo_parse(S("MemAvailable: 1 kB\nMemTotal: 2 kB"), &total, &avail), 0);
	assert_int_equal(total, 2048);
	assert_int_equal(avail, 1024);
	/* a garbage line that is neither key is skipped */
	assert_int_equal(meminfo_parse(S("Junk\0\xff\nMemTotal: 2 kB\nMemAvailable: 0 kB\n"), &total, &avail),
	                 0);
	assert_int_equal(avail, 0);
	/* all of it available is possible (an idle host rounds up) */
	assert_int_equal(meminfo_parse(S("MemTotal: 5 kB\nMemAvailable: 5 kB\n"), &total, &avail), 0);
	assert_int_equal(avail, total);
}

static void test_meminfo_hostile(void **state)
{
	(void)state;
	static const struct {
		const char *buf;
		size_t len;
	} bad[] = {
		{ S("") },
		{ S("\n") },
		{ S("max\n") },
		{ S("MemTotal:       24683620 kB\n") },             /* no MemAvailable */
		{ S("MemAvailable:   24442936 kB\n") },             /* no MemTotal */
		{ S("MemTotalX: 5 kB\nMemAvailable: 1 kB\n") },     /* a longer key */
		{ S("MemTota: 5 kB\nMemAvailable: 1 kB\n") },       /* a prefix */
		{ S("MemTotal: 5\nMemAvailable: 1 kB\n") },         /* no unit */
		{ S("MemTotal: 5 MB\nMemAvailable: 1 kB\n") },      /* wrong unit */
		{ S("MemTotal: 5 kB junk\nMemAvailable: 1 kB\n") }, /* trailing garbage */
		{ S("MemTotal: abc kB\nMemAvailable: 1 kB\n") },
		{ S("MemTotal: 123abc kB\nMemAvailable: 1 kB\n") },
		{ S("MemTotal: -5 kB\nMemAvailable: 1 kB\n") },
		{ S("MemTotal: 99999999999999999999 kB\nMemAvailable: 1 kB\n") }, /* 20 digits */
		{ S("MemTotal: 18014398509481984 kB\nMemAvailable: 1 kB\n") },    /* *1024 overflows */
		{ S("MemTotal: 0 kB\nMemAvailable: 0 kB\n") },                    /* zero total */
		{ S("MemTotal: 5\0 kB\nMemAvailable: 1 kB\n") },
		{ S(" MemTotal: 5 kB\nMemAvailable: 1 kB\n") },
		{ S("MemTotal: 5 kB\nMemAvailable: 6 kB\n") }, /* more available than there is */
		{ S("MemAvailable: 18014398509481983 kB\nMemTotal: 1 kB\n") },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t total = 42, avail = 42;
		print_message("meminfo case %zu\n", i);
		assert_int_equal(meminfo_parse(bad[i].buf, bad[i].len, &total, &avail), -EBADMSG);
		assert_int_equal(total, 42);
		assert_int_equal(avail, 42);
	}
}

/* The two fields are read wherever they are, and parsing stops once both are: what follows the
 * later one, garbage or a second copy of a key, is never looked at. */
static void test_meminfo_two_fields(void **state)
{
	(void)state;
	uint64_t total = 0, avail = 0;

	/* any order, at any line, with lines of every shape around them */
	static const char *const orders[] = {
		"MemTotal: 8 kB\nMemAvailable: 4 kB\n",
		"MemAvailable: 4 kB\nMemTotal: 8 kB\n",
		"Junk: 1\nHugePages_Total:       0\nMemAvailable: 4 kB\nX\n\nMemTotal: 8 kB",
		"MemFree: 1 kB\nMemTotal: 8 kB\nBuffers: 2 kB\nCached: 3 kB\nMemAvailable: 4 kB\nZ: 1 kB\n",
	};
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		print_message("order %zu\n", i);
		total = avail = 0;
		assert_int_equal(meminfo_parse(orders[i], strlen(orders[i]), &total, &avail), 0);
		assert_int_equal(total, 8 * 1024);
		assert_int_equal(avail, 4 * 1024);
	}

	/* the keys after 200 other lines: still found */
	char big[8192];
	size_t n = 0;
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "Key%03d:      %d kB\n", i, i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "MemAvailable: 7 kB\nMemTotal: 9 kB\n");
	assert_true(n < sizeof(big));
	assert_int_equal(meminfo_parse(big, n, &total, &avail), 0);
	assert_int_equal(total, 9 * 1024);
	assert_int_equal(avail, 7 * 1024);

	/* stops once both are read: garbage, a bad second MemTotal, bytes that are not text after */
	assert_int_equal(meminfo_parse(S("MemTotal: 8 kB\nMemAvailable: 4 kB\nMemTotal: junk\n\xff\0\x01"),
	                               &total, &avail),
	                 0);
	assert_int_equal(total, 8 * 1024);
	assert_int_equal(avail, 4 * 1024);
	/* ... but not before: garbage in a line of either key is garbage, wherever the other is */
	assert_int_equal(
	        meminfo_parse(S("MemTotal: 8 kB\nMemAvailable: x kB\nMemAvailable: 4 kB\n"), &total, &avail),
	        -EBADMSG);

	/* huge values: the largest that fit in bytes, and a MemTotal of 16 EiB - 1 KiB */
	assert_int_equal(
	        meminfo_parse(S("MemTotal: 18014398509481983 kB\nMemAvailable: 18014398509481983 kB\n"),
	                      &total, &avail),
	        0);
	assert_true(total == UINT64_MAX - 1023);
	assert_true(avail == total);
	/* one more KiB overflows bytes, 20 digits overflow the number: both garbage */
	assert_int_equal(
	        meminfo_parse(S("MemTotal: 18014398509481984 kB\nMemAvailable: 1 kB\n"), &total, &avail),
	        -EBADMSG);
	assert_int_equal(
	        meminfo_parse(S("MemTotal: 8 kB\nMemAvailable: 18446744073709551616 kB\n"), &total, &avail),
	        -EBADMSG);
	assert_true(total == UINT64_MAX - 1023); /* untouched on failure */
}

static void test_hostmem_fixture(void **state)
{
	(void)state;
	struct hostmem h;
	uint64_t total, avail;

	assert_int_equal(hostmem_open("../fixtures/proc", &h), 0);
	assert_int_equal(hostmem_read(&h, &total, &avail), 0);
	assert_int_equal(total, UINT64_C(16384000) * 1024);
	assert_int_equal(avail, UINT64_C(4096000) * 1024);
	/* a second read through the same fd gives the same */
	assert_int_equal(hostmem_read(&h, &total, &avail), 0);
	assert_int_equal(avail, UINT64_C(4096000) * 1024);
	hostmem_close(&h);
	hostmem_close(&h);
	assert_int_equal(h.meminfo_fd, -1);
	assert_int_equal(hostmem_read(&h, &total, &avail), -EBADF);
	assert_int_equal(hostmem_open("../fixtures/nowhere", &h), -ENOENT);
	assert_int_equal(h.meminfo_fd, -1);
}

static void test_hostmem_real(void **state)
{
	(void)state;
	struct hostmem h;
	uint64_t total, avail;

	assert_int_equal(hostmem_open("/proc", &h), 0);
	assert_int_equal(hostmem_read(&h, &total, &avail), 0);
	assert_true(total > UINT64_C(64) << 20);
	assert_true(avail <= total);
	hostmem_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meminfo_real),       cmocka_unit_test(test_meminfo_hostile),
		cmocka_unit_test(test_meminfo_two_fields), cmocka_unit_test(test_hostmem_fixture),
		cmocka_unit_test(test_hostmem_real),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
