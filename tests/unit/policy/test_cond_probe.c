/* The custom condition (lib/policy/cond_probe.c): a probe per condition, its object and errors,
 * evaluation from the probes' results, memhook check's text. */
#include "unit.h"

#include "policy_fixtures.h"

/* 100 MiB limit, 70 MiB used (30% free), host 1000 MiB total, 200 MiB available (20%). */
static struct sample base_sample(void)
{
	return (struct sample){ .usage_bytes = 70 * MiB,
		                .limit_bytes = 100 * MiB,
		                .host_total_bytes = 1000 * MiB,
		                .host_available_bytes = 200 * MiB };
}

/* ---- moved from test_eval.c ---- */

static void test_custom_uses_probe_results(void **state)
{
	(void)state;
	struct sample s = base_sample();
	struct condition c = { .kind = COND_CUSTOM, .probe = 1 };
	bool results[2] = { false, true };
	assert_true(eval_condition(&c, &s, results));
	c.probe = 0;
	assert_false(eval_condition(&c, &s, results));
	assert_false(eval_condition(&c, &s, NULL));
}

/* ---- added ---- */

/* Each custom condition is a probe, in document order, with its path; timeout 1s by default. */
static void test_parse(void **state)
{
	(void)state;
	struct policy *p = fixture_parse_ok(
	        "{\"levels\": [{\"name\": \"a\", \"when\": {\"custom\": {\"command\": [\"/bin/true\"]}}},"
	        " {\"name\": \"b\", \"when\": {\"any\": [{\"local_relative\": 5}, {\"custom\": "
	        "{\"command\": [\"/bin/sh\", \"-c\", \"exit 1\"], \"timeout\": \"250ms\"}}]}}]}");
	assert_int_equal(p->n_probes, 2);
	assert_int_equal(p->levels[0].when.kind, COND_CUSTOM);
	assert_int_equal(p->levels[0].when.probe, 0);
	assert_int_equal(p->levels[1].when.children[1].probe, 1);
	assert_string_equal(p->probes[0].argv[0], "/bin/true");
	assert_null(p->probes[0].argv[1]);
	assert_int_equal(p->probes[0].timeout_usec, 1000000);
	assert_string_equal(p->probes[0].path, "levels[0].when");
	assert_string_equal(p->probes[1].argv[2], "exit 1");
	assert_int_equal(p->probes[1].timeout_usec, 250000);
	assert_string_equal(p->probes[1].path, "levels[1].when.any[1]");
	assert_false(p->needs_v2);
	policy_free(p);
}

static void test_parse_errors(void **state)
{
	(void)state;
	fixture_when_fails("{\"custom\": [\"/bin/true\"]}", "levels[0].when.custom: must be an object");
	fixture_when_fails("{\"custom\": {}}", "levels[0].when.custom.command: is required");
	fixture_when_fails("{\"custom\": {\"command\": [\"/bin/true\"], \"timeout\": \"0s\"}}",
	                   "levels[0].when.custom.timeout: must be greater than 0");
	fixture_when_fails("{\"custom\": {\"command\": [\"/bin/true\"], \"every\": \"1s\"}}",
	                   "levels[0].when.custom.every: unknown key");
	fixture_when_fails("{\"custom\": {\"command\": []}}",
	                   "levels[0].when.custom.command: must not be empty");
	fixture_when_fails("{\"custom\": {\"command\": [\"true\"]}}",
	                   "levels[0].when.custom.command[0]: must be an absolute path, got \"true\"");
}

/* More than POLICY_MAX_PROBES custom conditions are refused at the first one past the cap. */
static void test_probe_cap(void **state)
{
	(void)state;
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);
	assert_non_null(f);
	fputs("{\"levels\": [{\"name\": \"a\", \"when\": {\"any\": [", f);
	for (int i = 0; i <= POLICY_MAX_PROBES; i++)
		fprintf(f, "%s{\"custom\": {\"command\": [\"/bin/true\"]}}", i ? ", " : "");
	fputs("]}}]}", f);
	fclose(f);
	char want[256];
	snprintf(want, sizeof(want),
	         "levels[0].when.any[%d].custom: at most %d custom conditions (probes) per policy: each runs "
	         "as a process at every check",
	         POLICY_MAX_PROBES, POLICY_MAX_PROBES);
	fixture_parse_fails(json, want);
	free(json);
}

/* No explain values and no threshold column; custom works on cgroup v1. */
static void test_explain(void **state)
{
	(void)state;
	struct sample s = base_sample();
	struct condition c = { .kind = COND_CUSTOM };
	fixture_explain_is(&c, &s, "{}");
	assert_null(condition_ops(COND_CUSTOM)->threshold);
	assert_null(condition_ops(COND_CUSTOM)->v2_file);
	assert_int_equal(condition_ops(COND_CUSTOM)->needs, 0);
}

/* "custom[argv] timeout T"; a probe number past the policy's probes says so. */
static void test_describe(void **state)
{
	(void)state;
	struct policy *p;
	const struct condition *c = fixture_when_ok(
	        "{\"custom\": {\"command\": [\"/bin/true\", \"a b\"], \"timeout\": \"1500ms\"}}", &p);
	fixture_describe_is(p, c, "custom[/bin/true a b] timeout 1500ms");
	struct condition stray = { .kind = COND_CUSTOM, .probe = 7 };
	fixture_describe_is(p, &stray, "custom[?]");
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_custom_uses_probe_results),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_probe_cap),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests_name("cond_probe", tests, NULL, NULL);
}
