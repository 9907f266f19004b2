/* The pure parsers of lib/kernel/cgroup.c against tables of real and hostile input. */
#include "unit.h"

#include <errno.h>

#include "kernel/cgroup.h"

#define S(lit) lit, sizeof(lit) - 1 /* a literal with its exact length: NUL bytes included */

struct u64_case {
	const char *buf;
	size_t len;
	int ret;
	uint64_t value;
};

static void test_parse_u64(void **state)
{
	(void)state;
	static const struct u64_case cases[] = {
		{ S("0\n"), 0, 0 },
		{ S("123\n"), 0, 123 },
		{ S("123"), 0, 123 }, /* no trailing newline */
		{ S("18446744073709551615\n"), 0, UINT64_MAX },
		{ S("18446744073709551616\n"), -ERANGE, 0 }, /* 2^64 */
		{ S("99999999999999999999\n"), -ERANGE, 0 }, /* 20 digits */
		{ S(""), -EBADMSG, 0 },
		{ S("\n"), -EBADMSG, 0 },
		{ S("max\n"), -EBADMSG, 0 },
		{ S("123abc"), -EBADMSG, 0 },
		{ S(" 123\n"), -EBADMSG, 0 },
		{ S("123 \n"), -EBADMSG, 0 },
		{ S("123\n\n"), -EBADMSG, 0 },
		{ S("123\n456\n"), -EBADMSG, 0 },
		{ S("-1\n"), -EBADMSG, 0 },
		{ S("+1\n"), -EBADMSG, 0 },
		{ S("12\0003\n"), -EBADMSG, 0 },
		{ S("\0"), -EBADMSG, 0 },
		{ S("0x10\n"), -EBADMSG, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 4242;
		int r = cg_parse_u64(cases[i].buf, cases[i].len, &v);
		print_message("u64 case %zu\n", i);
		assert_int_equal(r, cases[i].ret);
		assert_true(r == 0 ? v == cases[i].value : v == 4242); /* untouched on failure */
	}
}

static void test_parse_limit(void **state)
{
	(void)state;
	static const struct u64_case cases[] = {
		{ S("max\n"), 0, CG_UNLIMITED },
		{ S("max"), 0, CG_UNLIMITED },
		{ S("268435456\n"), 0, 268435456 },
		{ S("0\n"), 0, 0 },
		{ S("9223372036854771712\n"), 0, CG_UNLIMITED }, /* v1 "no limit" with 4 KiB pages */
		{ S("4611686018427387904\n"), 0, CG_UNLIMITED }, /* 2^62 */
		{ S("4611686018427387903\n"), 0, UINT64_C(4611686018427387903) },
		{ S("max garbage"), -EBADMSG, 0 },
		{ S("maximum\n"), -EBADMSG, 0 },
		{ S("ma\n"), -EBADMSG, 0 },
		{ S("MAX\n"), -EBADMSG, 0 },
		{ S(" max\n"), -EBADMSG, 0 },
		{ S("max\n\n"), -EBADMSG, 0 },
		{ S("max\0"), -EBADMSG, 0 },
		{ S(""), -EBADMSG, 0 },
		{ S("123abc"), -EBADMSG, 0 },
		{ S("99999999999999999999\n"), -ERANGE, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 4242;
		int r = cg_parse_limit(cases[i].buf, cases[i].len, &v);
		print_message("limit case %zu\n", i);
		assert_int_equal(r, cases[i].ret);
		assert_true(r == 0 ? v == cases[i].value : v == 4242);
	}
}

static void test_parse_psi_real(void **state)
{
	(void)state;
	struct psi p;
	const char text[] = "some avg10=1.25 avg60=0.50 avg300=0.10 total=1234567\n"
	                    "full avg10=0.75 avg60=0.20 avg300=0.04 total=654321\n";
	assert_int_equal(cg_parse_psi(text, sizeof(text) - 1, &p), 0);
	assert_float_equal(p.avg[PSI_SOME][PSI_AVG10], 1.25, 1e-9);
	assert_float_equal(p.avg[PSI_SOME][PSI_AVG60], 0.50, 1e-9);
	assert_float_equal(p.avg[PSI_SOME][PSI_AVG300], 0.10, 1e-9);
	assert_int_equal(p.total_usec[PSI_SOME], 1234567);
	assert_float_equal(p.avg[PSI_FULL][PSI_AVG10], 0.75, 1e-9);
	assert_float_equal(p.avg[PSI_FULL][PSI_AVG300], 0.04, 1e-9);
	assert_int_equal(p.total_usec[PSI_FULL], 654321);

	/* No "full" line (the host root on older kernels): full stays 0. No trailing newline either. */
	const char some_only[] = "some avg10=100.00 avg60=0.00 avg300=0.00 total=18446744073709551615";
	assert_int_equal(cg_parse_psi(some_only, sizeof(some_only) - 1, &p), 0);
	assert_float_equal(p.avg[PSI_SOME][PSI_AVG10], 100.0, 1e-9);
	assert_int_equal(p.total_usec[PSI_SOME], UINT64_MAX);
	assert_float_equal(p.avg[PSI_FULL][PSI_AVG10], 0.0, 0);
	assert_int_equal(p.total_usec[PSI_FULL], 0);
}

static void test_parse_psi_hostile(void **state)
{
	(void)state;
	static const struct {
		const char *buf;
		size_t len;
	} bad[] = {
		{ S("") },
		{ S("\n") },
		{ S("max\n") },
		{ S("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n") }, /* no "some" */
		{ S("some avg10=0.00 avg60=0.00 avg300=0.00\n") },         /* missing total */
		{ S("some avg10=0.00 avg60=0.00 total=0\n") },             /* missing avg300 */
		{ S("some avg10=0.00 avg10=0.00 avg60=0.00 avg300=0.00 total=0\n") },
		{ S("some avg10=abc avg60=0.00 avg300=0.00 total=0\n") },
		{ S("some avg10=1. avg60=0.00 avg300=0.00 total=0\n") },
		{ S("some avg10=101.00 avg60=0.00 avg300=0.00 total=0\n") },
		{ S("some avg10=0.00 avg60=0.00 avg300=0.00 total=99999999999999999999\n") },
		{ S("some avg10=0.00 avg60=0.00 avg300=0.00 total=0 junk=1\n") },
		{ S("some avg10=0.00 avg60=0.00 avg300=0.00 total=0x\n") },
		{ S("someavg10=0.00 avg60=0.00 avg300=0.00 total=0\n") },
		{ S("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nsome avg10=0.00 avg60=0.00 avg300=0.00 "
		    "total=0\n") },
		{ S("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n\n") },
		{ S("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull\n") },
		{ S("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\0\n") },
		{ S("some avg1=0.00 avg60=0.00 avg300=0.00 total=0\n") },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct psi p = { .total_usec = { 7, 7 } };
		print_message("psi case %zu\n", i);
		assert_int_equal(cg_parse_psi(bad[i].buf, bad[i].len, &p), -EBADMSG);
		assert_int_equal(p.total_usec[PSI_SOME], 7); /* untouched */
	}
}

static void test_parse_events(void **state)
{
	(void)state;
	uint64_t ev[MEMEV_COUNT];

	/* A real 6.x memory.events: oom_group_kill must not be taken for oom or oom_kill. */
	const char v2[] = "low 1\nhigh 2\nmax 3\noom 4\noom_kill 5\noom_group_kill 6\nsock_throttled 7\n";
	assert_int_equal(cg_parse_events(v2, sizeof(v2) - 1, ev), 0);
	assert_int_equal(ev[MEMEV_LOW], 1);
	assert_int_equal(ev[MEMEV_HIGH], 2);
	assert_int_equal(ev[MEMEV_MAX], 3);
	assert_int_equal(ev[MEMEV_OOM], 4);
	assert_int_equal(ev[MEMEV_OOM_KILL], 5);

	/* Keys in another order, and a prefix key ("oom_group_kill") before its prefix ("oom"). */
	const char reordered[] = "oom_group_kill 9\noom_kill 8\noom 7";
	assert_int_equal(cg_parse_events(reordered, sizeof(reordered) - 1, ev), 0);
	assert_int_equal(ev[MEMEV_OOM], 7);
	assert_int_equal(ev[MEMEV_OOM_KILL], 8);
	assert_int_equal(ev[MEMEV_LOW], 0); /* missing keys are 0 */
	assert_int_equal(ev[MEMEV_MAX], 0);

	/* v1 memory.oom_control: only oom_kill lands. */
	const char v1[] = "oom_kill_disable 1\nunder_oom 1\noom_kill 12\n";
	assert_int_equal(cg_parse_events(v1, sizeof(v1) - 1, ev), 0);
	assert_int_equal(ev[MEMEV_OOM_KILL], 12);
	assert_int_equal(ev[MEMEV_OOM], 0);
	assert_int_equal(ev[MEMEV_HIGH], 0);

	/* Older v1 kernels had no oom_kill line: all zero. */
	const char v1_old[] = "oom_kill_disable 0\nunder_oom 0\n";
	assert_int_equal(cg_parse_events(v1_old, sizeof(v1_old) - 1, ev), 0);
	assert_int_equal(ev[MEMEV_OOM_KILL], 0);

	static const struct {
		const char *buf;
		size_t len;
	} bad[] = {
		{ S("") },
		{ S("\n") },
		{ S("max\n") },
		{ S("low\n") },
		{ S("low x\n") },
		{ S("low 1x\n") },
		{ S("low -1\n") },
		{ S(" low 1\n") },
		{ S("low 1\n\nhigh 2\n") },
		{ S("low 99999999999999999999\n") },
		{ S("low 1\0high 2\n") },
		{ S("lo\0w 1\n") },
		{ S("oom_kill 1 2\n") },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t e[MEMEV_COUNT] = { 42, 42, 42, 42, 42 };
		print_message("events case %zu\n", i);
		assert_int_equal(cg_parse_events(bad[i].buf, bad[i].len, e), -EBADMSG);
		assert_int_equal(e[MEMEV_LOW], 42);
	}
}

static void test_parse_keyed(void **state)
{
	(void)state;
	const char stat[] =
	        "cache 16384\nrss 59469824\nrss_huge 0\n"
	        "hierarchical_memory_limit 268435456\nhierarchical_memsw_limit 9223372036854771712\n"
	        "total_cache 24576\ntotal_rss 59469824\n";
	uint64_t v = 0;

	assert_int_equal(cg_parse_keyed(stat, sizeof(stat) - 1, "rss", &v), 0);
	assert_int_equal(v, 59469824);
	assert_int_equal(cg_parse_keyed(stat, sizeof(stat) - 1, "total_cache", &v), 0);
	assert_int_equal(v, 24576);
	assert_int_equal(cg_parse_keyed(stat, sizeof(stat) - 1, "hierarchical_memory_limit", &v), 0);
	assert_int_equal(v, 268435456);
	/* prefixes and extensions of existing keys are different keys */
	v = 7;
	assert_int_equal(cg_parse_keyed(stat, sizeof(stat) - 1, "rs", &v), -ENOENT);
	assert_int_equal(cg_parse_keyed(stat, sizeof(stat) - 1, "rss_hug", &v), -ENOENT);
	assert_int_equal(cg_parse_keyed(stat, sizeof(stat) - 1, "hierarchical", &v), -ENOENT);
	assert_int_equal(cg_parse_keyed(stat, sizeof(stat) - 1, "", &v), -ENOENT);
	assert_int_equal(v, 7);
	/* no trailing newline on the last line */
	assert_int_equal(cg_parse_keyed(S("anon 5\nfile 6"), "file", &v), 0);
	assert_int_equal(v, 6);
	/* the first occurrence wins */
	assert_int_equal(cg_parse_keyed(S("anon 5\nanon 6\n"), "anon", &v), 0);
	assert_int_equal(v, 5);

	v = 7;
	assert_int_equal(cg_parse_keyed(S(""), "anon", &v), -EBADMSG);
	assert_int_equal(cg_parse_keyed(S("max\n"), "max", &v), -EBADMSG);
	assert_int_equal(cg_parse_keyed(S("anon 5\nfile x\n"), "anon", &v), -EBADMSG);
	assert_int_equal(cg_parse_keyed(S("anon 5\nfile 99999999999999999999\n"), "anon", &v), -EBADMSG);
	assert_int_equal(cg_parse_keyed(S("anon 5\0\nfile 6\n"), "file", &v), -EBADMSG);
	assert_int_equal(cg_parse_keyed(S("anon 123abc\n"), "anon", &v), -EBADMSG);
	assert_int_equal(v, 7);
}

/* memory.stat of the host's cgroup v1 root (kernel 6.18, this project's machine): the hierarchical
 * total_* keys count, not the local inactive_file and rss that come first. */
static const char v1_stat_real[] = "cache 12402688\n"
                                   "rss 8433664\n"
                                   "rss_huge 0\n"
                                   "shmem 9736192\n"
                                   "mapped_file 8032256\n"
                                   "dirty 28672\n"
                                   "writeback 0\n"
                                   "workingset_refault_anon 0\n"
                                   "workingset_refault_file 405\n"
                                   "swap 0\n"
                                   "swapcached 0\n"
                                   "pgpgin 26023\n"
                                   "pgpgout 20943\n"
                                   "pgfault 30739\n"
                                   "pgmajfault 0\n"
                                   "inactive_anon 0\n"
                                   "active_anon 1531904\n"
                                   "inactive_file 192512\n"
                                   "active_file 2473984\n"
                                   "unevictable 16637952\n"
                                   "hierarchical_memory_limit 9223372036854771712\n"
                                   "hierarchical_memsw_limit 9223372036854771712\n"
                                   "total_cache 1149730816\n"
                                   "total_rss 157581312\n"
                                   "total_rss_huge 119537664\n"
                                   "total_shmem 9736192\n"
                                   "total_mapped_file 94359552\n"
                                   "total_dirty 5853184\n"
                                   "total_writeback 0\n"
                                   "total_workingset_refault_anon 0\n"
                                   "total_workingset_refault_file 148612\n"
                                   "total_swap 0\n"
                                   "total_swapcached 0\n"
                                   "total_pgpgin 13745675\n"
                                   "total_pgpgout 13523752\n"
                                   "total_pgfault 23868019\n"
                                   "total_pgmajfault 1577\n"
                                   "total_inactive_anon 149024768\n"
                                   "total_active_anon 1609728\n"
                                   "total_inactive_file 607342592\n"
                                   "total_active_file 532652032\n"
                                   "total_unevictable 16637952\n";

/* memory.stat of a cgroup v2 (tests/fixtures/v2, a 6.x kernel's key set and order). */
static const char v2_stat_real[] = "anon 83886080\n"
                                   "file 12582912\n"
                                   "kernel 8388608\n"
                                   "kernel_stack 147456\n"
                                   "pagetables 643072\n"
                                   "sec_pagetables 0\n"
                                   "percpu 5040\n"
                                   "sock 0\n"
                                   "vmalloc 8192\n"
                                   "shmem 0\n"
                                   "zswap 0\n"
                                   "zswapped 0\n"
                                   "file_mapped 4325376\n"
                                   "file_dirty 8192\n"
                                   "file_writeback 0\n"
                                   "swapcached 0\n"
                                   "anon_thp 0\n"
                                   "file_thp 0\n"
                                   "shmem_thp 0\n"
                                   "inactive_anon 83623936\n"
                                   "active_anon 262144\n"
                                   "inactive_file 4194304\n"
                                   "active_file 8388608\n"
                                   "unevictable 0\n"
                                   "slab_reclaimable 2150400\n"
                                   "slab_unreclaimable 1048576\n"
                                   "slab 3198976\n"
                                   "workingset_refault_anon 0\n"
                                   "workingset_refault_file 118\n"
                                   "workingset_activate_anon 0\n"
                                   "workingset_activate_file 12\n"
                                   "workingset_restore_anon 0\n"
                                   "workingset_restore_file 0\n"
                                   "workingset_nodereclaim 0\n"
                                   "pgdemote_kswapd 0\n"
                                   "pgdemote_direct 0\n"
                                   "pgdemote_khugepaged 0\n"
                                   "pgscan 1024\n"
                                   "pgsteal 1000\n"
                                   "pgscan_kswapd 0\n"
                                   "pgscan_direct 1024\n"
                                   "pgscan_khugepaged 0\n"
                                   "pgsteal_kswapd 0\n"
                                   "pgsteal_direct 1000\n"
                                   "pgsteal_khugepaged 0\n"
                                   "pgfault 412331\n"
                                   "pgmajfault 27\n"
                                   "pgrefill 310\n"
                                   "pgactivate 4481\n"
                                   "pgdeactivate 302\n"
                                   "pglazyfree 0\n"
                                   "pglazyfreed 0\n"
                                   "zswpin 0\n"
                                   "zswpout 0\n"
                                   "zswpwb 0\n"
                                   "thp_fault_alloc 0\n"
                                   "thp_collapse_alloc 0\n"
                                   "thp_swpout 0\n"
                                   "thp_swpout_fallback 0\n";

static void test_parse_stat(void **state)
{
	(void)state;
	struct cg_stat st = { 0 };

	assert_int_equal(cg_parse_stat(v1_stat_real, sizeof(v1_stat_real) - 1, CG_V1, &st), 0);
	assert_int_equal(st.inactive_file_bytes, UINT64_C(607342592));
	assert_int_equal(st.anon_bytes, UINT64_C(157581312));
	assert_int_equal(cg_parse_stat(v2_stat_real, sizeof(v2_stat_real) - 1, CG_V2, &st), 0);
	assert_int_equal(st.inactive_file_bytes, UINT64_C(4194304));
	assert_int_equal(st.anon_bytes, UINT64_C(83886080));

	/* v1 reads total_*, even when the local keys come first and differ */
	assert_int_equal(cg_parse_stat(S("inactive_file 1\nrss 2\ntotal_inactive_file 10\ntotal_rss 20\n"),
	                               CG_V1, &st),
	                 0);
	assert_int_equal(st.inactive_file_bytes, 10);
	assert_int_equal(st.anon_bytes, 20);
	/* v2 has no total_ keys; a v1 file read as v2 lacks "anon": -ENOENT, not garbage */
	assert_int_equal(cg_parse_stat(S("inactive_file 1\nanon 2\n"), CG_V2, &st), 0);
	assert_int_equal(st.inactive_file_bytes, 1);
	assert_int_equal(st.anon_bytes, 2);
	/* the first occurrence wins; no trailing newline */
	assert_int_equal(cg_parse_stat(S("anon 5\ninactive_file 6\nanon 7"), CG_V2, &st), 0);
	assert_int_equal(st.anon_bytes, 5);
	assert_int_equal(st.inactive_file_bytes, 6);

	st = (struct cg_stat){ 42, 43 };
	/* a key missing: -ENOENT */
	assert_int_equal(cg_parse_stat(S("anon 5\nfile 6\n"), CG_V2, &st), -ENOENT);
	assert_int_equal(cg_parse_stat(S("inactive_file 5\n"), CG_V2, &st), -ENOENT);
	assert_int_equal(cg_parse_stat(S("total_rss 5\ninactive_file 6\n"), CG_V1, &st), -ENOENT);
	assert_int_equal(cg_parse_stat(v2_stat_real, sizeof(v2_stat_real) - 1, CG_V1, &st), -ENOENT);
	/* prefixes and extensions are other keys */
	assert_int_equal(cg_parse_stat(S("ano 5\ninactive_files 6\n"), CG_V2, &st), -ENOENT);
	/* garbage anywhere, even after both keys: -EBADMSG */
	assert_int_equal(cg_parse_stat(S(""), CG_V2, &st), -EBADMSG);
	assert_int_equal(cg_parse_stat(S("anon 5\ninactive_file 6\nfile x\n"), CG_V2, &st), -EBADMSG);
	assert_int_equal(cg_parse_stat(S("anon 5\ninactive_file 99999999999999999999\n"), CG_V2, &st),
	                 -EBADMSG);
	assert_int_equal(cg_parse_stat(S("anon 5\0\ninactive_file 6\n"), CG_V2, &st), -EBADMSG);
	assert_int_equal(cg_parse_stat(S("anon -5\ninactive_file 6\n"), CG_V2, &st), -EBADMSG);
	assert_int_equal(cg_parse_stat(S("anon 5\n\ninactive_file 6\n"), CG_V2, &st), -EBADMSG);
	assert_int_equal(cg_parse_stat(NULL, 5, CG_V2, &st), -EBADMSG);
	/* untouched on every failure */
	assert_int_equal(st.inactive_file_bytes, 42);
	assert_int_equal(st.anon_bytes, 43);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),      cmocka_unit_test(test_parse_limit),
		cmocka_unit_test(test_parse_psi_real), cmocka_unit_test(test_parse_psi_hostile),
		cmocka_unit_test(test_parse_events),   cmocka_unit_test(test_parse_keyed),
		cmocka_unit_test(test_parse_stat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
