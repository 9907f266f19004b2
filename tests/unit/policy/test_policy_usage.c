/* What "used" means: the policy's and the conditions' usage (parse, errors, evaluation, explain,
 * describe), what a check reads for it, and how payloads, the exec environment and the status file
 * carry the working set and anon. */
#include "unit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kernel/cgroup.h"
#include "decide/check.h"
#include "kernel/sampler.h"
#include "policy/eval.h"
#include "output/payload.h"
#include "policy/policy.h"
#include "output/status.h"
#include "base/util.h"

/* Who sends, as cmd/ would gather it. */
static const struct payload_origin origin = { .instance = "0123456789abcdef", .hostname = "node-7" };

#define MiB (UINT64_C(1) << 20)

static struct policy *parse_ok(const char *json)
{
	struct policy *p = NULL;
	char err[512];
	int r = policy_parse(json, strlen(json), &p, err, sizeof(err));
	if (r < 0)
		fail_msg("policy rejected: %s\n%s", err, json);
	return p;
}

static void parse_fails(const char *json, const char *want)
{
	struct policy *p = NULL;
	char err[512];
	assert_int_equal(policy_parse(json, strlen(json), &p, err, sizeof(err)), -EINVAL);
	assert_null(p);
	if (strcmp(err, want) != 0)
		fail_msg("got  \"%s\"\nwant \"%s\"", err, want);
}

/* A 256 MiB cgroup full of page cache: 200 MiB used, 180 MiB of it inactive file pages, 12 MiB anon. */
static struct sample cache_sample(void)
{
	return (struct sample){
		.usage_bytes = 200 * MiB,
		.has_stat = true,
		.working_set_bytes = 20 * MiB,
		.anon_bytes = 12 * MiB,
		.limit_bytes = 256 * MiB,
		.host_total_bytes = 1024 * MiB,
		.host_available_bytes = 512 * MiB,
	};
}

static void test_parse(void **state)
{
	(void)state;
	/* default: current, and nothing more is read */
	struct policy *p = parse_ok("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 30}}]}");
	assert_int_equal(p->usage, USAGE_CURRENT);
	assert_int_equal(p->levels[0].when.usage, USAGE_CURRENT);
	assert_false(p->needs_stat);
	assert_int_equal(sampler_needs_of(p).sample_what & CG_SAMPLE_STAT, 0);
	policy_free(p);

	/* the policy's usage reaches every local condition without one; a condition's own wins */
	p = parse_ok("{\"usage\": \"working_set\", \"levels\": ["
	             "{\"name\": \"a\", \"when\": {\"local_relative\": 30}},"
	             "{\"name\": \"b\", \"when\": {\"any\": [{\"local_absolute\": {\"below\": \"32Mi\"}},"
	             " {\"local_absolute\": {\"below\": \"16Mi\", \"usage\": \"anon\"}},"
	             " {\"local_relative\": {\"below\": 5, \"usage\": \"current\"}}]}}]}");
	assert_int_equal(p->usage, USAGE_WORKING_SET);
	assert_true(p->needs_stat);
	assert_true(sampler_needs_of(p).sample_what & CG_SAMPLE_STAT);
	assert_int_equal(p->levels[0].when.usage, USAGE_WORKING_SET);
	const struct condition *any = &p->levels[1].when;
	assert_int_equal(any->children[0].usage, USAGE_WORKING_SET);
	assert_int_equal(any->children[0].bytes, 32 * MiB);
	assert_int_equal(any->children[1].usage, USAGE_ANON);
	assert_int_equal(any->children[1].bytes, 16 * MiB);
	assert_int_equal(any->children[2].usage, USAGE_CURRENT);
	assert_float_equal(any->children[2].percent, 5, 1e-12);
	policy_free(p);

	/* one condition's usage is enough to read memory.stat */
	p = parse_ok("{\"levels\": [{\"name\": \"a\", \"when\": {\"not\": "
	             "{\"local_relative\": {\"below\": 30, \"usage\": \"anon\"}}}}]}");
	assert_int_equal(p->usage, USAGE_CURRENT);
	assert_true(p->needs_stat);
	assert_int_equal(p->levels[0].when.children[0].usage, USAGE_ANON);
	policy_free(p);
	/* "current" said explicitly reads nothing more */
	p = parse_ok("{\"usage\": \"current\", \"levels\": [{\"name\": \"a\", \"when\": "
	             "{\"local_relative\": {\"below\": 30, \"usage\": \"current\"}}}]}");
	assert_false(p->needs_stat);
	policy_free(p);
}

static void test_parse_errors(void **state)
{
	(void)state;
	parse_fails(
	        "{\"usage\": \"rss\", \"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 30}}]}",
	        "usage: unknown usage \"rss\" (expected current, working_set or anon)");
	parse_fails("{\"usage\": 1, \"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 30}}]}",
	            "usage: must be a string");
	/* a condition's usage, the free-memory kinds' errors and the events counters:
	 * test_cond_memory.c, test_cond_events.c */
}

/* The same page-cache sample: current says high, working_set says normal, anon says normal. */
static void test_eval(void **state)
{
	(void)state;
	static const char *const usages[] = { "current", "working_set", "anon" };
	static const int want_level[] = { 1, 0, 0 };
	struct sample s = cache_sample();

	for (size_t i = 0; i < 3; i++) {
		char json[256];
		snprintf(json, sizeof(json),
		         "{\"usage\": \"%s\", \"levels\": [{\"name\": \"high\", \"when\": "
		         "{\"local_relative\": 30}}, {\"name\": \"critical\", \"when\": "
		         "{\"local_absolute\": \"16Mi\"}}]}",
		         usages[i]);
		struct policy *p = parse_ok(json);
		print_message("usage %s\n", usages[i]);
		assert_int_equal(eval_level(p, &s, NULL), want_level[i]);
		policy_free(p);
	}

	/* an anonymous hog: every usage says high */
	s.working_set_bytes = 200 * MiB;
	s.anon_bytes = 190 * MiB;
	for (size_t i = 0; i < 3; i++) {
		char json[256];
		snprintf(json, sizeof(json),
		         "{\"usage\": \"%s\", \"levels\": [{\"name\": \"high\", \"when\": "
		         "{\"local_relative\": 30}}]}",
		         usages[i]);
		struct policy *p = parse_ok(json);
		assert_int_equal(eval_level(p, &s, NULL), 1);
		policy_free(p);
	}

	/* memory.stat not read (has_stat false): every usage is current's */
	s = cache_sample();
	s.has_stat = false;
	struct policy *p =
	        parse_ok("{\"usage\": \"working_set\", \"levels\": [{\"name\": \"high\", \"when\": "
	                 "{\"local_relative\": 30}}]}");
	assert_int_equal(eval_level(p, &s, NULL), 1);
	policy_free(p);

	/* usage above the limit: nothing free, not a wrap-around */
	s = cache_sample();
	s.working_set_bytes = 300 * MiB;
	p = parse_ok("{\"levels\": [{\"name\": \"a\", \"when\": "
	             "{\"local_absolute\": {\"below\": 1, \"usage\": \"working_set\"}}}]}");
	assert_int_equal(eval_level(p, &s, NULL), 1);
	policy_free(p);
}

static void test_explain_and_describe(void **state)
{
	(void)state;
	struct policy *p = parse_ok("{\"usage\": \"working_set\", \"levels\": [{\"name\": \"a\", \"when\": "
	                            "{\"all\": [{\"local_relative\": 30}, {\"local_absolute\": {\"below\": "
	                            "\"64Mi\", \"usage\": \"anon\"}}, {\"global_relative\": 5}]}}]}");
	struct sample s = cache_sample();
	cJSON *arr = eval_explain(p, &s, NULL);
	assert_non_null(arr);
	/* all, then its three children */
	cJSON *rel = cJSON_GetArrayItem(arr, 1), *abs = cJSON_GetArrayItem(arr, 2),
	      *glo = cJSON_GetArrayItem(arr, 3);
	assert_string_equal(cJSON_GetObjectItem(rel, "usage")->valuestring, "working_set");
	assert_float_equal(cJSON_GetObjectItem(rel, "value")->valuedouble, 236.0 * 100 / 256, 1e-9);
	assert_string_equal(cJSON_GetObjectItem(abs, "usage")->valuestring, "anon");
	assert_float_equal(cJSON_GetObjectItem(abs, "value")->valuedouble, (double)(244 * MiB), 0.5);
	assert_null(cJSON_GetObjectItem(glo, "usage"));
	cJSON_Delete(arr);

	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	policy_describe(p, f);
	fclose(f);
	assert_non_null(strstr(text, "\nusage working_set\n"));
	assert_non_null(strstr(text,
	                       "level 1 \"a\": all(local_relative < 30% (working_set), local_absolute < "
	                       "64Mi (anon), global_relative < 5%)\n"));
	free(text);
	policy_free(p);

	/* current, the default, is left unsaid: output as before "usage" existed */
	p = parse_ok("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 30}}]}");
	arr = eval_explain(p, &s, NULL);
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "usage"));
	cJSON_Delete(arr);
	f = open_memstream(&text, &size);
	policy_describe(p, f);
	fclose(f);
	assert_null(strstr(text, "usage"));
	assert_non_null(strstr(text, "level 1 \"a\": local_relative < 30%\n"));
	free(text);
	policy_free(p);
}

/* The sample object as a receiver sees it: printed and parsed back (byte counts are raw text). */
static cJSON *sample_json(const struct sample *s)
{
	cJSON *o = payload_sample_json(s);
	assert_non_null(o);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	o = cJSON_Parse(text);
	free(text);
	assert_non_null(o);
	return o;
}

static void test_payload(void **state)
{
	(void)state;
	struct sample s = cache_sample();

	/* current (the default): local_free_* from usage_bytes; the figures read are there */
	cJSON *o = sample_json(&s);
	assert_string_equal(cJSON_GetObjectItem(o, "usage")->valuestring, "current");
	assert_float_equal(cJSON_GetObjectItem(o, "local_free_bytes")->valuedouble, (double)(56 * MiB), 0.5);
	assert_float_equal(cJSON_GetObjectItem(o, "working_set_bytes")->valuedouble, (double)(20 * MiB), 0.5);
	assert_float_equal(cJSON_GetObjectItem(o, "anon_bytes")->valuedouble, (double)(12 * MiB), 0.5);
	cJSON_Delete(o);

	/* working_set: local_free_* measure the working set, as the conditions do */
	s.usage = USAGE_WORKING_SET;
	o = sample_json(&s);
	assert_string_equal(cJSON_GetObjectItem(o, "usage")->valuestring, "working_set");
	assert_float_equal(cJSON_GetObjectItem(o, "local_free_bytes")->valuedouble, (double)(236 * MiB), 0.5);
	assert_float_equal(cJSON_GetObjectItem(o, "local_free_percent")->valuedouble, 92.19, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(o, "usage_bytes")->valuedouble, (double)(200 * MiB), 0.5);
	cJSON_Delete(o);

	/* not read: no working set or anon in the body */
	s.has_stat = false;
	o = sample_json(&s);
	assert_null(cJSON_GetObjectItem(o, "working_set_bytes"));
	assert_null(cJSON_GetObjectItem(o, "anon_bytes"));
	assert_float_equal(cJSON_GetObjectItem(o, "local_free_bytes")->valuedouble, (double)(56 * MiB), 0.5);
	cJSON_Delete(o);

	/* oom_group_kill among the events counters */
	s.has_events = true;
	s.events[MEMEV_OOM_GROUP_KILL] = 3;
	o = sample_json(&s);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "events"), "oom_group_kill")->valueint,
	                 3);
	cJSON_Delete(o);

	/* the exec environment */
	s = cache_sample();
	s.usage = USAGE_ANON;
	struct event ev = { .kind = EVENT_ENTERED, .level = 1, .previous_level = 0 };
	struct event_ctx c = { .origin = &origin,
		               .ev = &ev,
		               .level_name = "high",
		               .previous_level_name = "normal",
		               .sample = &s };
	char **env = payload_build_env(&c);
	assert_non_null(env);
	bool usage = false, ws = false, anon = false, free_bytes = false;
	for (char **e = env; *e; e++) {
		usage |= strcmp(*e, "MEMHOOK_USAGE=anon") == 0;
		ws |= strcmp(*e, "MEMHOOK_WORKING_SET_BYTES=20971520") == 0;
		anon |= strcmp(*e, "MEMHOOK_ANON_BYTES=12582912") == 0;
		free_bytes |= strcmp(*e, "MEMHOOK_LOCAL_FREE_BYTES=255852544") == 0; /* 256 - 12 MiB */
	}
	assert_true(usage && ws && anon && free_bytes);
	strv_free(env);
}

static cJSON *status_round_trip(const struct status *st)
{
	char dir[] = "/tmp/memhook-usage-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], buf[4096];
	snprintf(path, sizeof(path), "%s/status", dir);
	assert_int_equal(status_write(path, st), 0);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = pread_all(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	unlink(path);
	rmdir(dir);
	cJSON *o = cJSON_Parse(buf);
	assert_non_null(o);
	return o;
}

static void test_status(void **state)
{
	(void)state;
	struct sample s = cache_sample();
	s.usage = USAGE_WORKING_SET;
	struct status st = { .level = 0, .level_name = "normal", .target_present = true, .sample = &s };
	cJSON *o = status_round_trip(&st);
	cJSON *so = cJSON_GetObjectItem(o, "sample");
	assert_non_null(so);
	assert_string_equal(cJSON_GetObjectItem(so, "usage")->valuestring, "working_set");
	assert_float_equal(cJSON_GetObjectItem(so, "working_set_bytes")->valuedouble, (double)(20 * MiB),
	                   0.5);
	assert_float_equal(cJSON_GetObjectItem(so, "anon_bytes")->valuedouble, (double)(12 * MiB), 0.5);
	cJSON_Delete(o);

	/* no check yet, or the target lost: no sample */
	st.sample = NULL;
	o = status_round_trip(&st);
	assert_null(cJSON_GetObjectItem(o, "sample"));
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),   cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_eval),    cmocka_unit_test(test_explain_and_describe),
		cmocka_unit_test(test_payload), cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
