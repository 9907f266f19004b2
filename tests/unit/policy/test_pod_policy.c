/* pod_policy: which policy a pod runs (each combination of annotations and node options), the
 * policy directory's NAME and NAME.json, errors that name the file and place or the annotation,
 * and the pod's and the node's webhooks added. */
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "policy/pod_policy.h"

#define GOOD "{\"levels\": [{\"name\": \"high\", \"when\": {\"local_relative\": 10}}]}"

static char dir[] = "/tmp/memhook-podpolicy-XXXXXX";

static void put(const char *name, const char *text)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct pod_settings settings(const char *policy, const char *json, const char *webhook, bool opted_in)
{
	struct pod_settings s = { .opted_in = opted_in };
	if (policy)
		snprintf(s.policy_name, sizeof(s.policy_name), "%s", policy);
	if (json)
		s.policy_json = strdup(json);
	if (webhook)
		snprintf(s.webhook_url, sizeof(s.webhook_url), "%s", webhook);
	return s;
}

static void test_pick(void **state)
{
	(void)state;
	struct pod_policy_source none = { NULL, NULL, NULL }, def = { NULL, "/etc/memhook/node.json", NULL };
	struct pod_settings out = settings(NULL, NULL, NULL, false),
	                    in = settings(NULL, NULL, "http://x/", true);
	struct pod_settings named = settings("java", NULL, NULL, true),
	                    inline_ = settings(NULL, GOOD, NULL, true);
	assert_int_equal(pod_policy_pick(&out, &none), POD_POLICY_NONE);
	assert_int_equal(pod_policy_pick(&out, &def), POD_POLICY_DEFAULT);
	assert_int_equal(pod_policy_pick(&in, &none), POD_POLICY_EMBEDDED);
	assert_int_equal(pod_policy_pick(&in, &def), POD_POLICY_DEFAULT);
	assert_int_equal(pod_policy_pick(&named, &def), POD_POLICY_DIR);
	assert_int_equal(pod_policy_pick(&inline_, &def), POD_POLICY_INLINE);
	pod_settings_free(&inline_);
}

static void test_load(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	put("java.json", GOOD);
	put("go", "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 20}},\n"
	          "            {\"name\": \"b\", \"when\": {\"local_relative\": 10}}]}");
	put("bad.json", "{\"levels\": [\n  {\"name\": \"x\", \"when\": {\"nope\": 1}}]}");
	struct pod_policy_source src = { dir, NULL, "http://node-receiver:9000/all" };
	char from[PATH_MAX], err[1024], want[PATH_MAX + 64];
	struct policy *p;

	/* NAME.json, NAME; the pod's webhook and the node's both added */
	struct pod_settings s = settings("java", NULL, "http://10.0.0.5:8080/memhook", true);
	assert_int_equal(pod_policy_load(&s, &src, &p, from, sizeof(from), err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/java.json", dir);
	assert_string_equal(from, want);
	assert_int_equal(p->n_levels, 1);
	size_t hooks = p->n_handlers;
	assert_true(hooks > 0 && hooks % 2 == 0); /* the --webhook set, twice */
	assert_string_equal(p->handlers[0].webhook.url, "http://10.0.0.5:8080/memhook");
	assert_string_equal(p->handlers[hooks - 1].webhook.url, "http://node-receiver:9000/all");
	policy_free(p);
	s = settings("go", NULL, NULL, true);
	assert_int_equal(pod_policy_load(&s, &src, &p, from, sizeof(from), err, sizeof(err)), 0);
	assert_int_equal(p->n_levels, 2);
	assert_int_equal(p->n_handlers, hooks / 2);
	policy_free(p);

	/* a bad file: its name, line and column */
	s = settings("bad", NULL, NULL, true);
	assert_int_equal(pod_policy_load(&s, &src, &p, from, sizeof(from), err, sizeof(err)), -EINVAL);
	assert_null(p);
	snprintf(want, sizeof(want), "%s/bad.json:2:26: levels[0].when.nope: unknown condition", dir);
	assert_string_equal(err, want);
	/* a name the directory lacks, and no directory at all */
	s = settings("rust", NULL, NULL, true);
	assert_int_equal(pod_policy_load(&s, &src, &p, from, sizeof(from), err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "memhook.io/policy: rust: no %s/rust nor %s/rust.json", dir, dir);
	assert_string_equal(err, want);
	struct pod_policy_source nodir = { NULL, NULL, NULL };
	assert_int_equal(pod_policy_load(&s, &nodir, &p, from, sizeof(from), err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "memhook.io/policy: rust: memhook node has no --policy-dir");

	/* inline */
	s = settings(NULL, "{\"levels\": [{\"name\": \"h\", \"when\": {\"local_relative\": 101}}]}", NULL,
	             true);
	assert_int_equal(pod_policy_load(&s, &nodir, &p, from, sizeof(from), err, sizeof(err)), -EINVAL);
	assert_string_equal(from, "memhook.io/policy-json");
	assert_string_equal(err,
	                    "memhook.io/policy-json:1:36: levels[0].when.local_relative: must be between 0 "
	                    "and 100");
	pod_settings_free(&s);
	s = settings(NULL, GOOD, NULL, true);
	assert_int_equal(pod_policy_load(&s, &nodir, &p, from, sizeof(from), err, sizeof(err)), 0);
	policy_free(p);
	pod_settings_free(&s);

	/* the node's default, the embedded one, none */
	snprintf(want, sizeof(want), "%s/go", dir);
	struct pod_policy_source def = { NULL, want, NULL };
	s = settings(NULL, NULL, NULL, false);
	assert_int_equal(pod_policy_load(&s, &def, &p, from, sizeof(from), err, sizeof(err)), 0);
	assert_string_equal(from, want);
	assert_int_equal(p->n_levels, 2);
	policy_free(p);
	assert_int_equal(pod_policy_load(&s, &nodir, &p, from, sizeof(from), err, sizeof(err)), -ENOENT);
	assert_null(p);
	assert_string_equal(err, "");
	s.opted_in = true;
	assert_int_equal(pod_policy_load(&s, &nodir, &p, from, sizeof(from), err, sizeof(err)), 0);
	assert_string_equal(from, "(default)");
	policy_free(p);

	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
