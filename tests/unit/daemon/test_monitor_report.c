/* monitor_report: what a monitor shows, on a monitor of a copy of the fixture trees (run from
 * tests/unit): nothing before its start, then its target for SIGUSR1's dump, its status file,
 * /metrics' view (a fresh sample at the scrape, the check's level untouched), /healthz's rule
 * with its reason, /readyz, the totals at the stop; and again after the target is lost. */
#include "child_env.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "capture.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "daemon/monitor.h"
#include "policy/policy.h"

#define FIX "../fixtures"

static const struct payload_origin origin = { .instance = "0123456789abcdef", .hostname = "node-7" };

/* One level entered below 70% free: the v2 fixture (61% free) is in it, the v1 fixture not. */
static const char policy_json[] = "{\"check_interval\": \"10ms\", \"log_transitions\": false,"
                                  " \"levels\": [{\"name\": \"high\", \"when\": {\"local_relative\": 70}}],"
                                  " \"handlers\": []}";

struct env {
	char root[64], cg[96], status[96];
	struct loop *loop;
	struct monitor *m;
};

static struct env *env_new(const char *fixture)
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	strcpy(e->root, "/tmp/memhook-report-XXXXXX");
	assert_non_null(mkdtemp(e->root));
	snprintf(e->cg, sizeof(e->cg), "%s/cg", e->root);
	snprintf(e->status, sizeof(e->status), "%s/status.json", e->root);
	copy_tree(fixture, e->cg);
	assert_int_equal(loop_new(&e->loop), 0);
	struct policy *p = NULL;
	char err[512];
	assert_int_equal(policy_parse(policy_json, strlen(policy_json), &p, err, sizeof(err)), 0);
	struct monitor_config cfg = {
		.target = { .mode = TARGET_CGROUP, .cgroup_dir = e->cg, .proc_root = FIX "/proc" },
		.status_file = e->status,
		.origin = &origin,
	};
	assert_int_equal(monitor_new(e->loop, &cfg, p, &e->m), 0);
	return e;
}

static void env_free(struct env *e)
{
	monitor_free(e->m);
	loop_free(e->loop);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->root);
	assert_int_equal(system(cmd), 0);
	free(e);
}

static char *dump(const struct env *e, int *ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	*ret = monitor_dump(e->m, f);
	fclose(f);
	return text;
}

/* Before the first check there is nothing to show: no target, no dump, not ready, nothing queued. */
static void test_before_start(void **state)
{
	(void)state;
	struct env *e = env_new(FIX "/v2");
	int r;
	assert_null(monitor_target_path(e->m));
	assert_false(monitor_ready(e->m));
	free(dump(e, &r));
	assert_int_equal(r, -ENOENT);
	assert_int_equal(monitor_checks(e->m), 0);
	assert_int_equal(monitor_level(e->m), 0);
	assert_false(monitor_pending(e->m));
	assert_int_equal(monitor_webhooks_pending(e->m), 0);
	struct sample scratch;
	struct metrics_view v;
	monitor_metrics_view(e->m, &scratch, &v);
	assert_false(v.target_up);
	assert_null(v.sample);
	assert_int_equal(access(e->status, F_OK), -1);
	env_free(e);
}

/* After the first check: the target's path and breakdown, the status file, ready. */
static void test_after_start(void **state)
{
	(void)state;
	struct env *e = env_new(FIX "/v2");
	assert_int_equal(monitor_start(e->m), 0);
	assert_string_equal(monitor_target_path(e->m), e->cg);
	assert_true(monitor_ready(e->m));
	int r;
	_cleanup_free_ char *text = dump(e, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(text, "memory.stat of "));
	assert_non_null(strstr(text, "processes by RSS (3)"));

	char buf[4096];
	FILE *f = fopen(e->status, "re");
	assert_non_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	cJSON *st = cJSON_Parse(buf);
	assert_non_null(st);
	assert_int_equal(cJSON_GetObjectItem(st, "level")->valueint, 1);
	assert_string_equal(cJSON_GetObjectItem(st, "level_name")->valuestring, "high");
	assert_int_equal(cJSON_GetObjectItem(st, "checks")->valueint, 1);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(st, "target_present")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(st, "paused")));
	cJSON_Delete(st);
	env_free(e);
}

/* /metrics: the level and its names, the target up, a sample read at the scrape (a usage changed
 * since the check shows, while the level stays the check's); v1 shows only oom_kill. */
static void test_metrics_view(void **state)
{
	(void)state;
	struct env *e = env_new(FIX "/v2");
	assert_int_equal(monitor_start(e->m), 0);
	struct sample scratch;
	struct metrics_view v;
	monitor_metrics_view(e->m, &scratch, &v);
	assert_string_equal(v.version, MEMHOOK_VERSION);
	assert_int_equal(v.level, 1);
	assert_int_equal(v.n_levels, 1);
	assert_string_equal(v.level_names[0], "normal");
	assert_string_equal(v.level_names[1], "high");
	assert_true(v.target_up);
	assert_false(v.paused);
	assert_false(v.events_oom_kill_only);
	assert_false(v.kube_events);
	assert_ptr_equal(v.sample, &scratch);
	assert_int_equal(v.sample->usage_bytes, 104857600);
	assert_true(v.sample->has_psi && v.sample->has_events && v.sample->has_stat);
	assert_int_equal(v.counters->checks, 1);

	write_file(e->cg, "memory.current", "10485760\n");
	monitor_metrics_view(e->m, &scratch, &v);
	assert_int_equal(v.sample->usage_bytes, 10485760);
	assert_int_equal(v.level, 1);
	assert_int_equal(monitor_level(e->m), 1);
	env_free(e);

	e = env_new(FIX "/v1");
	assert_int_equal(monitor_start(e->m), 0);
	monitor_metrics_view(e->m, &scratch, &v);
	assert_true(v.events_oom_kill_only);
	assert_int_equal(v.level, 0);
	env_free(e);
}

/* /healthz: a check just finished is healthy; three intervals later it is not, and says why;
 * paused it is, however late. */
static void test_healthy(void **state)
{
	(void)state;
	struct env *e = env_new(FIX "/v2");
	assert_int_equal(monitor_start(e->m), 0);
	char why[128];
	uint64_t now = now_mono_usec();
	assert_true(monitor_healthy(e->m, now, why, sizeof(why)));
	assert_false(monitor_healthy(e->m, now + 10 * USEC_PER_SEC, why, sizeof(why)));
	assert_non_null(strstr(why, "no check finished for 100"));
	assert_non_null(strstr(why, " ms (interval 10 ms)\n"));
	monitor_set_paused(e->m, true);
	assert_true(monitor_healthy(e->m, now + 10 * USEC_PER_SEC, why, sizeof(why)));
	env_free(e);
}

/* The totals at the stop: checks, events, webhooks and failed actions; no warning with nothing
 * undelivered. */
static void test_log_stopped(void **state)
{
	(void)state;
	struct env *e = env_new(FIX "/v2");
	assert_int_equal(monitor_start(e->m), 0);
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();
	monitor_log_stopped(e->m, true);
	_cleanup_free_ char *log = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	assert_non_null(strstr(log, "stopped: 1 checks, "));
	assert_non_null(strstr(log, "webhooks 0 delivered / 0 failed / 0 dropped, 0 failed actions"));
	assert_null(strstr(log, "undelivered"));
	assert_null(strstr(log, "kubernetes events"));
	env_free(e);
}

/* The target lost (its cgroup removed): not ready, nothing to dump, /metrics without a sample. */
static void test_after_loss(void **state)
{
	(void)state;
	struct env *e = env_new(FIX "/v2");
	assert_int_equal(monitor_start(e->m), 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->cg);
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < 200 && monitor_ready(e->m); i++)
		assert_true(loop_iterate(e->loop, 50 * 1000) >= 0);
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	assert_false(monitor_ready(e->m));
	assert_null(monitor_target_path(e->m));
	int r;
	free(dump(e, &r));
	assert_int_equal(r, -ENOENT);
	struct sample scratch;
	struct metrics_view v;
	monitor_metrics_view(e->m, &scratch, &v);
	assert_false(v.target_up);
	assert_null(v.sample);
	env_free(e);
}

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_start), cmocka_unit_test(test_after_start),
		cmocka_unit_test(test_metrics_view), cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_log_stopped),  cmocka_unit_test(test_after_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
