/* once: `run --once` against the committed fixture trees (run from tests/unit): the document's
 * target, sample, level and conditions; the level a daemon's first check decides (a level with
 * "for" is not entered yet); probes run to their end; and the errors, each with its message. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/log.h"
#include "daemon/once.h"
#include "policy/policy.h"

#define FIX "../fixtures"

/* One level entered below 70% free: the v2 fixture (100Mi of 256Mi, 61% free) is in it, the v1
 * fixture (57Mi of 256Mi, 78% free) is not. */
#define LEVEL_70 "{\"name\": \"high\", \"when\": {\"local_relative\": 70}}"

static struct policy *parse(const char *levels)
{
	char json[1024], err[512];
	snprintf(json, sizeof(json), "{\"levels\": [%s], \"handlers\": []}", levels);
	struct policy *p = NULL;
	if (policy_parse(json, strlen(json), &p, err, sizeof(err)) < 0)
		fail_msg("%s: %s", json, err);
	return p;
}

/* The document of --once on dir with levels, or NULL with the error in err and *ret. */
static cJSON *once(const char *dir, const char *proc_root, const char *levels, int *ret, char *err,
                   size_t err_size)
{
	struct policy *p = parse(levels);
	struct target_spec spec = { .mode = TARGET_CGROUP, .cgroup_dir = dir, .proc_root = proc_root };
	cJSON *doc = NULL;
	err[0] = '\0';
	*ret = once_evaluate(&spec, p, &doc, err, err_size);
	policy_free(p);
	if (*ret < 0)
		assert_null(doc);
	return doc;
}

static const cJSON *get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		fail_msg("no \"%s\"", key);
	return v;
}

static void test_v2_document(void **state)
{
	(void)state;
	char err[512];
	int r;
	cJSON *doc = once(FIX "/v2", FIX "/proc", LEVEL_70, &r, err, sizeof(err));
	assert_int_equal(r, 0);
	const cJSON *target = get(doc, "target");
	char *real = realpath(FIX "/v2", NULL); /* --cgroup's symlinks are resolved at start */
	assert_non_null(real);
	assert_string_equal(get(target, "cgroup")->valuestring, real);
	free(real);
	assert_int_equal(get(target, "version")->valueint, 2);
	assert_true(cJSON_IsNull(get(target, "pid")));
	const cJSON *sample = get(doc, "sample");
	assert_true(cJSON_IsObject(sample));
	assert_int_equal(get(doc, "level")->valueint, 1);
	assert_string_equal(get(doc, "level_name")->valuestring, "high");
	/* one condition node, the level's when: it holds */
	const cJSON *conds = get(doc, "conditions");
	assert_true(cJSON_IsArray(conds));
	assert_int_equal(cJSON_GetArraySize(conds), 1);
	assert_string_equal(get(cJSON_GetArrayItem(conds, 0), "path")->valuestring, "levels[0].when");
	assert_true(cJSON_IsTrue(get(cJSON_GetArrayItem(conds, 0), "holds")));
	/* everything is read, whatever the policy needs: memory.events and PSI of the fixture */
	char *text = cJSON_PrintUnformatted(sample);
	assert_non_null(strstr(text, "104857600")); /* memory.current */
	assert_non_null(strstr(text, "268435456")); /* memory.max */
	assert_non_null(strstr(text, "1.25"));      /* some avg10 */
	free(text);
	cJSON_Delete(doc);
}

static void test_v1_document(void **state)
{
	(void)state;
	char err[512];
	int r;
	cJSON *doc = once(FIX "/v1", FIX "/proc", LEVEL_70, &r, err, sizeof(err));
	assert_int_equal(r, 0);
	assert_int_equal(get(get(doc, "target"), "version")->valueint, 1);
	assert_int_equal(get(doc, "level")->valueint, 0);
	assert_string_equal(get(doc, "level_name")->valuestring, "normal");
	cJSON_Delete(doc);
}

/* A level with "for" is not entered by a first check, as in the daemon; a custom probe runs to its
 * end and decides. */
static void test_first_check_and_probes(void **state)
{
	(void)state;
	char err[512];
	int r;
	cJSON *doc = once(FIX "/v2", FIX "/proc",
	                  "{\"name\": \"high\", \"when\": {\"local_relative\": 70}, \"for\": \"5s\"}", &r,
	                  err, sizeof(err));
	assert_int_equal(r, 0);
	assert_int_equal(get(doc, "level")->valueint, 0);
	cJSON_Delete(doc);

	doc = once(FIX "/v2", FIX "/proc",
	           "{\"name\": \"probed\", \"when\": {\"custom\": {\"command\": [\"/bin/true\"]}}}", &r, err,
	           sizeof(err));
	assert_int_equal(r, 0);
	assert_string_equal(get(doc, "level_name")->valuestring, "probed");
	cJSON_Delete(doc);
	doc = once(FIX "/v2", FIX "/proc",
	           "{\"name\": \"probed\", \"when\": {\"custom\": {\"command\": [\"/bin/false\"]}}}", &r, err,
	           sizeof(err));
	assert_int_equal(r, 0);
	assert_int_equal(get(doc, "level")->valueint, 0);
	cJSON_Delete(doc);
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

/* No cgroup, no meminfo, garbage in a cgroup file or in meminfo: -errno, no document, a message
 * that names what went wrong. */
static void test_errors(void **state)
{
	(void)state;
	char err[512], root[] = "/tmp/memhook-once-XXXXXX", cg[96], cmd[128];
	int r;
	assert_null(once(FIX "/does-not-exist", FIX "/proc", LEVEL_70, &r, err, sizeof(err)));
	assert_int_equal(r, -ENOENT);
	assert_non_null(strstr(err, "does-not-exist"));

	assert_non_null(mkdtemp(root));
	assert_null(once(FIX "/v2", root, LEVEL_70, &r, err, sizeof(err)));
	assert_int_equal(r, -ENOENT);
	assert_non_null(strstr(err, "cannot open "));
	assert_non_null(strstr(err, "/meminfo"));

	snprintf(cg, sizeof(cg), "%s/cg", root);
	assert_int_equal(mkdir(cg, 0755), 0);
	put(cg, "memory.current", "12ab\n");
	put(cg, "memory.max", "max\n");
	put(root, "meminfo", "MemTotal: 1000 kB\nMemAvailable: 500 kB\n");
	assert_null(once(cg, root, LEVEL_70, &r, err, sizeof(err)));
	assert_int_equal(r, -EBADMSG);
	assert_non_null(strstr(err, "unexpected content in memory.current"));

	put(cg, "memory.current", "4096\n");
	put(root, "meminfo", "MemTotal: lots\n");
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR); /* the sampler's warning */
	assert_null(once(cg, root, LEVEL_70, &r, err, sizeof(err)));
	assert_int_equal(r, -EIO);
	assert_non_null(strstr(err, "cannot read meminfo under "));

	put(root, "meminfo", "MemTotal: 1000 kB\nMemAvailable: 500 kB\n");
	cJSON *doc = once(cg, root, LEVEL_70, &r, err, sizeof(err));
	assert_int_equal(r, 0);
	assert_int_equal(get(doc, "level")->valueint, 0); /* 4 KiB of "max": the host's 1000 kB */
	cJSON_Delete(doc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_document),
		cmocka_unit_test(test_v1_document),
		cmocka_unit_test(test_first_check_and_probes),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
