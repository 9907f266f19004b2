/* cgroup v1 usage thresholds: which a policy can cross (levels, clear_when, absolute and relative,
 * nested, deduplicated, capped, limits of 0, odd and huge), each exactly where its condition
 * starts to hold, and registration where there is no cgroup.event_control. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kernel/cg_threshold.h"
#include "policy/condition.h"
#include "policy/policy.h"

#define MiB  (UINT64_C(1) << 20)
#define PAGE UINT64_C(4096)

static struct policy *parse_ok(const char *json)
{
	struct policy *p = NULL;
	char err[512];
	if (policy_parse(json, strlen(json), &p, err, sizeof(err)) < 0)
		fail_msg("policy rejected: %s\n%s", err, json);
	return p;
}

/* The thresholds of json at limit_bytes (pages of 4 KiB); *ret_capped as cg_thresholds_of. */
static size_t thresholds(const char *json, uint64_t limit_bytes, uint64_t ret[CG_THRESHOLDS_MAX],
                         bool *ret_capped)
{
	struct policy *p = parse_ok(json);
	bool capped = true;
	size_t n = cg_thresholds_of(p, limit_bytes, PAGE, ret, &capped);
	policy_free(p);
	if (ret_capped)
		*ret_capped = capped;
	else
		assert_false(capped);
	return n;
}

/* Whether the local condition cond holds at usage_bytes under limit_bytes. */
static bool holds(const struct condition *cond, uint64_t usage_bytes, uint64_t limit_bytes)
{
	struct sample s = { .usage_bytes = usage_bytes, .limit_bytes = limit_bytes };
	return condition_ops(cond->kind)->eval(cond, &s, NULL);
}

static void test_levels_relative_and_absolute(void **state)
{
	(void)state;
	uint64_t t[CG_THRESHOLDS_MAX];
	/* 50% free of 64 MiB: free < 32 MiB, so used > 32 MiB: the next page; 8 MiB free: used > 56 MiB */
	size_t n = thresholds("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 50}},"
	                      "{\"name\": \"b\", \"when\": {\"local_absolute\": \"8Mi\"}}]}",
	                      64 * MiB, t, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(t[0], 32 * MiB + PAGE);
	assert_int_equal(t[1], 56 * MiB + PAGE);
}

static void test_clear_when_and_nesting(void **state)
{
	(void)state;
	uint64_t t[CG_THRESHOLDS_MAX];
	/* when: any of 20% free or (25% free and a host condition); clear_when: not 40% free; the
	 * host, trend and probe conditions have no usage threshold */
	size_t n = thresholds("{\"levels\": [{\"name\": \"a\","
	                      " \"when\": {\"any\": [{\"local_relative\": 20},"
	                      "   {\"all\": [{\"local_relative\": 25}, {\"global_relative\": 10}]},"
	                      "   {\"global_absolute\": \"1Gi\"}, {\"growth\": {\"above\": \"1Mi/s\", "
	                      "\"window\": \"10s\"}}]},"
	                      " \"clear_when\": {\"not\": {\"local_relative\": 40}}}]}",
	                      100 * MiB, t, NULL);
	assert_int_equal(n, 3);
	assert_int_equal(t[0], 60 * MiB + PAGE); /* 40% free */
	assert_int_equal(t[1], 75 * MiB + PAGE); /* 25% */
	assert_int_equal(t[2], 80 * MiB + PAGE); /* 20% */
}

static void test_dedupe(void **state)
{
	(void)state;
	uint64_t t[CG_THRESHOLDS_MAX];
	/* 32 MiB free of 64 MiB is 50%: one threshold for the three; the working set's is the
	 * usage's (usage >= working set: it fires no later) */
	size_t n = thresholds("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 50}},"
	                      "{\"name\": \"b\", \"when\": {\"local_absolute\": \"32Mi\"},"
	                      " \"clear_when\": {\"local_relative\": {\"below\": 50, \"usage\": "
	                      "\"working_set\"}}}]}",
	                      64 * MiB, t, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(t[0], 32 * MiB + PAGE);
}

static void test_none(void **state)
{
	(void)state;
	uint64_t t[CG_THRESHOLDS_MAX];
	/* no local condition */
	assert_int_equal(thresholds("{\"levels\": [{\"name\": \"a\", \"when\": {\"global_relative\": 10}}]}",
	                            64 * MiB, t, NULL),
	                 0);
	/* 128 MiB free of a 64 MiB limit: holds at every usage, nothing to cross */
	assert_int_equal(thresholds("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_absolute\": "
	                            "\"128Mi\"}}]}",
	                            64 * MiB, t, NULL),
	                 0);
	/* a limit of 0: nothing is ever free, every local condition holds */
	assert_int_equal(thresholds("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 50}},"
	                            "{\"name\": \"b\", \"when\": {\"local_absolute\": \"8Mi\"}}]}",
	                            0, t, NULL),
	                 0);
}

/* Each threshold is a page multiple where its condition holds, and one page less it does not:
 * the kernel's page comparison and the condition agree both ways. Odd limits and percents. */
static void test_exact(void **state)
{
	(void)state;
	static const uint64_t limits[] = { 100000000, 64 * MiB + 123, 3 * PAGE, 7 * 1000 * 1000 * 1000ULL };
	static const char *const conds[] = { "{\"local_relative\": 33.3}", "{\"local_relative\": 0.1}",
		                             "{\"local_relative\": 99.9}", "{\"local_absolute\": 4097}",
		                             "{\"local_absolute\": \"10M\"}" };
	for (size_t li = 0; li < ARRAY_SIZE(limits); li++) {
		for (size_t ci = 0; ci < ARRAY_SIZE(conds); ci++) {
			char json[256];
			snprintf(json, sizeof(json), "{\"levels\": [{\"name\": \"a\", \"when\": %s}]}",
			         conds[ci]);
			struct policy *p = parse_ok(json);
			uint64_t t[CG_THRESHOLDS_MAX];
			bool capped;
			size_t n = cg_thresholds_of(p, limits[li], PAGE, t, &capped);
			const struct condition *c = &p->levels[0].when;
			if (holds(c, 0, limits[li]) || !holds(c, limits[li], limits[li])) {
				assert_int_equal(n, 0);
			} else {
				assert_int_equal(n, 1);
				assert_int_equal(t[0] % PAGE, 0);
				assert_true(t[0] > 0);
				assert_true(holds(c, t[0], limits[li]));
				assert_false(holds(c, t[0] - PAGE, limits[li]));
			}
			policy_free(p);
		}
	}
}

/* More distinct thresholds than CG_THRESHOLDS_MAX: the highest are kept, ascending. */
static void test_cap(void **state)
{
	(void)state;
	char json[4096];
	size_t len =
	        (size_t)snprintf(json, sizeof(json), "{\"levels\": [{\"name\": \"a\", \"when\": {\"any\": [");
	for (int i = 1; i <= 40; i++) /* 1..40 MiB free of 64 MiB, in a shuffled order */
		len += (size_t)snprintf(json + len, sizeof(json) - len, "%s{\"local_absolute\": \"%dMi\"}",
		                        i > 1 ? ", " : "", (i * 17) % 40 + 1);
	snprintf(json + len, sizeof(json) - len, "]}}]}");
	uint64_t t[CG_THRESHOLDS_MAX];
	bool capped = false;
	size_t n = thresholds(json, 64 * MiB, t, &capped);
	assert_true(capped);
	assert_int_equal(n, CG_THRESHOLDS_MAX);
	/* free < k MiB: used > 64 - k MiB; the highest 32 are k = 1..32 */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(t[i], (64 - 32 + i) * MiB + PAGE);

	/* exactly CG_THRESHOLDS_MAX: not capped */
	len = (size_t)snprintf(json, sizeof(json), "{\"levels\": [{\"name\": \"a\", \"when\": {\"any\": [");
	for (int i = 1; i <= CG_THRESHOLDS_MAX; i++)
		len += (size_t)snprintf(json + len, sizeof(json) - len, "%s{\"local_absolute\": \"%dMi\"}",
		                        i > 1 ? ", " : "", i);
	snprintf(json + len, sizeof(json) - len, "]}}]}");
	assert_int_equal(thresholds(json, 64 * MiB, t, &capped), CG_THRESHOLDS_MAX);
	assert_false(capped);
}

/* A huge effective limit (maximum_available far above any page counter): no overflow; the
 * percent is a double there, exact to a page or two. */
static void test_huge_limit(void **state)
{
	(void)state;
	uint64_t t[CG_THRESHOLDS_MAX];
	size_t n = thresholds("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 50}},"
	                      "{\"name\": \"b\", \"when\": {\"local_absolute\": \"1Mi\"}}]}",
	                      UINT64_MAX, t, NULL);
	assert_int_equal(n, 2);
	assert_true(t[0] >= UINT64_MAX / 2 && t[0] - UINT64_MAX / 2 <= 2 * PAGE);
	assert_int_equal(t[0] % PAGE, 0);
	/* free < 1 MiB: used > 2^64 - 1 - 1 MiB, the page after it */
	assert_int_equal(t[1], UINT64_MAX - MiB + 1);
	assert_int_equal(t[1] % PAGE, 0);
}

/* Outside cgroupfs there is no cgroup.event_control: nothing is written, -ENOENT. */
static void test_register_without_event_control(void **state)
{
	(void)state;
	char dir[] = "/tmp/memhook-thr-XXXXXX";
	assert_non_null(mkdtemp(dir));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	int cfd = openat(dfd, "memory.usage_in_bytes", O_RDWR | O_CREAT, 0600);
	assert_true(cfd >= 0);
	assert_int_equal(cg_event_register(dfd, cfd, "1048576"), -ENOENT);
	uint64_t usage = 1;
	assert_int_equal(write(cfd, "123\n", 4), 4);
	assert_int_equal(cg_read_usage(cfd, &usage), 0);
	assert_int_equal(usage, 123);
	close(cfd);
	unlinkat(dfd, "memory.usage_in_bytes", 0);
	close(dfd);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_relative_and_absolute),
		cmocka_unit_test(test_clear_when_and_nesting),
		cmocka_unit_test(test_dedupe),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_huge_limit),
		cmocka_unit_test(test_register_without_event_control),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
