/* sampler: what a policy makes a check read (hand-built and parsed policies), and sampler_read's
 * sample from a scratch tree: the effective limit (memory.max 0 is a limit, maximum_available
 * overrides it), the host figures read or carried, a failure leaving the last sample whole. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decide/check.h"
#include "kernel/cgroup.h"
#include "kernel/sampler.h"

/* names and paths are written as string literals (-Wwrite-strings makes them const) */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#define FIX "../fixtures"

/* Three levels at 30% / 15% / 5% local free, like the bats policies. */
static struct level three_levels[] = {
	{ .name = "elevated",
	  .when = { .kind = COND_LOCAL_RELATIVE, .path = "levels[0].when", .percent = 30 } },
	{ .name = "high", .when = { .kind = COND_LOCAL_RELATIVE, .path = "levels[1].when", .percent = 15 } },
	{ .name = "critical",
	  .when = { .kind = COND_LOCAL_RELATIVE, .path = "levels[2].when", .percent = 5 } },
};
static const struct policy policy3 = { .levels = three_levels, .n_levels = 3 };

/* One check from level with no timer running (check_step keeps the level and timers in a state). */
static void check_at(const struct policy *p, int level, enum check_target target, const struct sample *s,
                     const bool *probe_results, struct check_result *ret)
{
	struct check_state st;
	check_state_init(&st);
	st.level = level;
	check_step(p, &st, target, s, probe_results, ret);
	assert_int_equal(st.level, ret->level);
}

/* What a check reads: nothing beyond usage and limit for local conditions; memory.events for an
 * oom_kill handler. */
static void test_needs(void **state)
{
	(void)state;
	struct sampler_needs n = sampler_needs_of(&policy3);
	assert_int_equal(n.sample_what, 0);
	assert_false(n.host_every_check);
	struct handler h = { .path = "handlers[0]", .on = EVENT_OOM_KILL, .level = -1 };
	struct policy p = policy3;
	p.handlers = &h;
	p.n_handlers = 1;
	n = sampler_needs_of(&p);
	assert_int_equal(n.sample_what, CG_SAMPLE_EVENTS);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* sampler_read's effective limit: memory.max 0 stays 0 (the cgroup can hold nothing: every level
 * of free memory holds), "max" becomes MemTotal. */
static void test_sample_limit_zero(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-check-XXXXXX", cg[128], cmd[160];
	assert_non_null(mkdtemp(root));
	snprintf(cg, sizeof(cg), "%s/cg", root);
	assert_int_equal(mkdir(cg, 0755), 0);
	put(cg, "memory.current", "4096\n");
	put(cg, "memory.max", "0\n");
	put(root, "meminfo", "MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable: 500 kB\n");

	struct target_spec spec = { .mode = TARGET_CGROUP, .cgroup_dir = cg, .proc_root = root };
	struct target t;
	target_init_spec(&t, &spec);
	char err[256];
	assert_int_equal(target_acquire(&t, err, sizeof(err)), 0);
	struct sampler_host h = { .mem = { .meminfo_fd = -1 } };
	assert_int_equal(hostmem_open(root, &h.mem), 0);
	struct sampler_needs needs = { 0 };
	struct sample s;
	assert_int_equal(sampler_read(&t, &policy3, &needs, &h, &s), 0);
	assert_int_equal(s.limit_bytes, 0);
	assert_int_equal(sample_local_free_bytes(&s), 0);
	assert_float_equal(sample_local_free_percent(&s), 0.0, 1e-12);
	struct check_result r;
	check_at(&policy3, 0, CHECK_TARGET_PRESENT, &s, NULL, &r);
	assert_int_equal(r.level, 3);

	put(cg, "memory.max", "max\n");
	assert_int_equal(sampler_read(&t, &policy3, &needs, &h, &s), 0);
	assert_int_equal(s.limit_bytes, 1000 * 1024);

	hostmem_close(&h.mem);
	target_release(&t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* sampler_read builds the sample in place: a check that fails (meminfo or the cgroup) leaves the
 * last sample whole; host figures are read when needed (fresh) or carried over. */
static void test_sample_failure_leaves_it_whole(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-check-XXXXXX", cg[128], cmd[160];
	assert_non_null(mkdtemp(root));
	snprintf(cg, sizeof(cg), "%s/cg", root);
	assert_int_equal(mkdir(cg, 0755), 0);
	put(cg, "memory.current", "4096\n");
	put(cg, "memory.max", "8192\n");
	put(root, "meminfo", "MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable: 500 kB\n");

	struct target_spec spec = { .mode = TARGET_CGROUP, .cgroup_dir = cg, .proc_root = root };
	struct target t;
	target_init_spec(&t, &spec);
	char err[256];
	assert_int_equal(target_acquire(&t, err, sizeof(err)), 0);
	struct sampler_host h = { .mem = { .meminfo_fd = -1 } };
	assert_int_equal(hostmem_open(root, &h.mem), 0);
	struct sampler_needs every = { .host_every_check = true }, none = { 0 };
	struct sample s, before;

	assert_int_equal(sampler_read(&t, &policy3, &every, &h, &s), 0);
	assert_true(h.known && h.fresh);
	assert_int_equal(s.usage_bytes, 4096);
	assert_int_equal(s.limit_bytes, 8192);
	assert_int_equal(s.host_available_bytes, 500 * 1024);
	assert_false(s.has_trend);

	/* meminfo garbage: skipped (1), the sample and the host's last figures as they were */
	put(cg, "memory.current", "6144\n");
	put(root, "meminfo", "MemTotal: lots\n");
	memcpy(&before, &s, sizeof(s));
	assert_int_equal(sampler_read(&t, &policy3, &every, &h, &s), 1);
	assert_memory_equal(&s, &before, sizeof(s));
	assert_int_equal(h.available_bytes, 500 * 1024);

	/* not needed at this check: not read, the last figures carried, not fresh */
	assert_int_equal(sampler_read(&t, &policy3, &none, &h, &s), 0);
	assert_false(h.fresh);
	assert_int_equal(s.usage_bytes, 6144);
	assert_int_equal(s.host_available_bytes, 500 * 1024);

	/* a garbage cgroup file: -EBADMSG, the sample as it was */
	put(root, "meminfo", "MemTotal: 1000 kB\nMemAvailable: 250 kB\n");
	put(cg, "memory.current", "junk\n");
	memcpy(&before, &s, sizeof(s));
	assert_int_equal(sampler_read(&t, &policy3, &every, &h, &s), -EBADMSG);
	assert_memory_equal(&s, &before, sizeof(s));

	put(cg, "memory.current", "2048\n");
	assert_int_equal(sampler_read(&t, &policy3, &every, &h, &s), 0);
	assert_true(h.fresh);
	assert_int_equal(s.usage_bytes, 2048);
	assert_int_equal(s.host_available_bytes, 250 * 1024);

	hostmem_close(&h.mem);
	target_release(&t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* A policy from JSON with one level whose condition is when (a JSON object). */
static struct policy *parse_with(const char *when, const char *extra)
{
	char json[512], err[256];
	snprintf(json, sizeof(json), "{%s\"levels\": [{\"name\": \"l\", \"when\": %s}], \"handlers\": []}",
	         extra, when);
	struct policy *p = NULL;
	if (policy_parse(json, strlen(json), &p, err, sizeof(err)) < 0)
		fail_msg("%s: %s", json, err);
	return p;
}

/* Each kind of condition asks for its own file, and only for it; global_* reads meminfo at every
 * check; a usage other than current reads memory.stat. */
static void test_needs_of_conditions(void **state)
{
	(void)state;
	static const struct {
		const char *when, *extra;
		unsigned what;
		bool host;
	} rows[] = {
		{ "{\"local_relative\": 10}", "", 0, false },
		{ "{\"local_absolute\": \"64Mi\"}", "", 0, false },
		{ "{\"pressure\": {\"kind\": \"some\", \"window\": \"avg10\", \"above\": 5}}", "",
		  CG_SAMPLE_PSI, false },
		{ "{\"events\": {\"counter\": \"high\", \"increased_by\": 3}}", "", CG_SAMPLE_EVENTS, false },
		{ "{\"global_relative\": 5}", "", 0, true },
		{ "{\"local_relative\": 10}", "\"usage\": \"working_set\", ", CG_SAMPLE_STAT, false },
		{ "{\"any\": [{\"global_relative\": 5}, {\"pressure\": {\"kind\": \"full\", "
		  "\"window\": \"avg60\", \"above\": 1}}]}",
		  "", CG_SAMPLE_PSI, true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct policy *p = parse_with(rows[i].when, rows[i].extra);
		struct sampler_needs n = sampler_needs_of(p);
		if (n.sample_what != rows[i].what || n.host_every_check != rows[i].host)
			fail_msg("%s%s: sample_what %u host %d, want %u %d", rows[i].extra, rows[i].when,
			         n.sample_what, n.host_every_check, rows[i].what, rows[i].host);
		policy_free(p);
	}
}

struct tree {
	char root[64], cg[128];
	struct target t;
	struct sampler_host h;
};

static void tree_open(struct tree *x, const char *max)
{
	strcpy(x->root, "/tmp/memhook-sampler-XXXXXX");
	assert_non_null(mkdtemp(x->root));
	snprintf(x->cg, sizeof(x->cg), "%s/cg", x->root);
	assert_int_equal(mkdir(x->cg, 0755), 0);
	put(x->cg, "memory.current", "4096\n");
	put(x->cg, "memory.max", max);
	put(x->root, "meminfo", "MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable: 500 kB\n");
	struct target_spec spec = { .mode = TARGET_CGROUP, .cgroup_dir = x->cg, .proc_root = x->root };
	target_init_spec(&x->t, &spec);
	char err[256];
	assert_int_equal(target_acquire(&x->t, err, sizeof(err)), 0);
	x->h = (struct sampler_host){ .mem = { .meminfo_fd = -1 } };
	assert_int_equal(hostmem_open(x->root, &x->h.mem), 0);
}

static void tree_close(struct tree *x)
{
	char cmd[96];
	hostmem_close(&x->h.mem);
	target_release(&x->t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->root);
	assert_int_equal(system(cmd), 0);
}

/* maximum_available replaces the cgroup's limit, whether it has one or not; the sample carries
 * the policy's usage kind and both clocks, and no trend fits (check_step's). */
static void test_maximum_available(void **state)
{
	(void)state;
	struct tree x;
	tree_open(&x, "8192\n");
	struct policy p = policy3;
	p.maximum_available_bytes = 65536;
	p.usage = USAGE_WORKING_SET;
	struct sampler_needs none = { 0 };
	struct sample s;
	memset(&s, 0xff, sizeof(s));
	uint64_t before = now_mono_usec();
	assert_int_equal(sampler_read(&x.t, &p, &none, &x.h, &s), 0);
	assert_int_equal(s.limit_bytes, 65536);
	assert_int_equal(s.usage_bytes, 4096);
	assert_int_equal(s.usage, USAGE_WORKING_SET);
	assert_false(s.has_trend);
	assert_true(s.mono_usec >= before && s.mono_usec <= now_mono_usec());
	assert_true(s.real_usec > 0);
	/* meminfo was never read: read now, whatever needs says */
	assert_true(x.h.known && x.h.fresh);
	assert_int_equal(s.host_total_bytes, 1000 * 1024);

	put(x.cg, "memory.max", "max\n");
	assert_int_equal(sampler_read(&x.t, &p, &none, &x.h, &s), 0);
	assert_int_equal(s.limit_bytes, 65536);
	tree_close(&x);
}

/* sampler_host_refresh reads meminfo into the host and the sample; a failure leaves both as they
 * were. */
static void test_host_refresh(void **state)
{
	(void)state;
	struct tree x;
	tree_open(&x, "max\n");
	struct sample s = { 0 };
	assert_int_equal(sampler_host_refresh(&x.h, &s), 0);
	assert_true(x.h.known && x.h.fresh);
	assert_int_equal(x.h.total_bytes, 1000 * 1024);
	assert_int_equal(x.h.available_bytes, 500 * 1024);
	assert_int_equal(s.host_total_bytes, 1000 * 1024);
	assert_int_equal(s.host_available_bytes, 500 * 1024);

	put(x.root, "meminfo", "MemTotal: lots\n");
	x.h.fresh = false;
	s.host_available_bytes = 7;
	assert_true(sampler_host_refresh(&x.h, &s) < 0);
	assert_false(x.h.fresh);
	assert_int_equal(x.h.available_bytes, 500 * 1024);
	assert_int_equal(s.host_available_bytes, 7);
	tree_close(&x);

	/* the committed /proc fixture: its MemTotal and MemAvailable */
	struct sampler_host h = { .mem = { .meminfo_fd = -1 } };
	assert_int_equal(hostmem_open(FIX "/proc", &h.mem), 0);
	assert_int_equal(sampler_host_refresh(&h, &s), 0);
	assert_int_equal(s.host_total_bytes, UINT64_C(16384000) * 1024);
	assert_int_equal(s.host_available_bytes, UINT64_C(4096000) * 1024);
	hostmem_close(&h.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_needs_of_conditions),
		cmocka_unit_test(test_sample_limit_zero),
		cmocka_unit_test(test_sample_failure_leaves_it_whole),
		cmocka_unit_test(test_maximum_available),
		cmocka_unit_test(test_host_refresh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
