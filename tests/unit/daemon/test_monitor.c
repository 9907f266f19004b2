/* monitor: a value a loop can hold several of. Two monitors on one loop, against two copies of the
 * fixture cgroup trees, keep their own level, checks and status file; the loop's timer ticks step
 * both, and a change in one tree moves only its own monitor. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "daemon/monitor.h"
#include "policy/policy.h"

/* Who sends, as cmd/ would gather it. */
static const struct payload_origin origin = { .instance = "0123456789abcdef", .hostname = "node-7" };

#define FIX "../fixtures"

/* One level, entered below 70% free of the limit: the v2 fixture (100Mi of 256Mi, 61% free) is in
 * it, the v1 fixture (57Mi of 256Mi, 78% free) is not. */
static const char policy_json[] = "{\"check_interval\": \"10ms\", \"log_transitions\": false,"
                                  " \"levels\": [{\"name\": \"high\", \"when\": {\"local_relative\": 70}}],"
                                  " \"handlers\": []}";

#define V2_HIGH_BYTES "104857600\n" /* memory.current of the v2 fixture: 61% free */
#define V2_LOW_BYTES  "10485760\n"  /* 96% free */
#define V1_HIGH_BYTES "209715200\n" /* memory.usage_in_bytes: 22% free */
#define V1_MID_BYTES  "161061273\n" /* 40% free */

/* The v2 monitor's reload: entered below 10% free. */
static const char policy_low_json[] =
        "{\"check_interval\": \"10ms\", \"log_transitions\": false,"
        " \"levels\": [{\"name\": \"low\", \"when\": {\"local_relative\": 10}}],"
        " \"handlers\": []}";

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Copies the regular files of fixture dir from into the new directory to (a flat cgroup tree). */
static void copy_tree(const char *from, const char *to)
{
	DIR *d = opendir(from);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_REG)
			continue;
		char src[512], buf[8192];
		snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
		FILE *in = fopen(src, "re");
		assert_non_null(in);
		size_t n = fread(buf, 1, sizeof(buf) - 1, in);
		fclose(in);
		buf[n] = '\0';
		write_file(to, e->d_name, buf);
	}
	closedir(d);
}

struct two {
	char root[64];
	char v2_dir[128], v1_dir[128];
	char v2_status[128], v1_status[128];
	char v2_policy[128]; /* what a reload of the v2 monitor reads */
	struct loop *loop;
	struct monitor *v2, *v1;
};

static struct monitor *new_monitor(struct loop *l, const char *dir, const char *status_file,
                                   const char *policy_path)
{
	struct policy *p = NULL;
	char err[512];
	assert_int_equal(policy_parse(policy_json, strlen(policy_json), &p, err, sizeof(err)), 0);
	struct monitor_config cfg = {
		.target = { .mode = TARGET_CGROUP, .cgroup_dir = dir, .proc_root = FIX "/proc" },
		.status_file = status_file,
		.policy_path = policy_path,
		.origin = &origin,
	};
	struct monitor *m = NULL;
	assert_int_equal(monitor_new(l, &cfg, p, &m), 0);
	assert_non_null(m);
	return m;
}

static int setup_two(void **state)
{
	struct two *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	snprintf(t->root, sizeof(t->root), "/tmp/memhook-monitor-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->v2_dir, sizeof(t->v2_dir), "%s/v2", t->root);
	snprintf(t->v1_dir, sizeof(t->v1_dir), "%s/v1", t->root);
	snprintf(t->v2_status, sizeof(t->v2_status), "%s/v2.status", t->root);
	snprintf(t->v1_status, sizeof(t->v1_status), "%s/v1.status", t->root);
	snprintf(t->v2_policy, sizeof(t->v2_policy), "%s/v2.json", t->root);
	assert_int_equal(mkdir(t->v2_dir, 0700), 0);
	assert_int_equal(mkdir(t->v1_dir, 0700), 0);
	copy_tree(FIX "/v2", t->v2_dir);
	copy_tree(FIX "/v1", t->v1_dir);
	assert_int_equal(loop_new(&t->loop), 0);
	/* The config's strings are borrowed: t keeps them for the monitors' lifetime. */
	t->v2 = new_monitor(t->loop, t->v2_dir, t->v2_status, t->v2_policy);
	t->v1 = new_monitor(t->loop, t->v1_dir, t->v1_status, NULL);
	*state = t;
	return 0;
}

static int teardown_two(void **state)
{
	struct two *t = *state;
	monitor_free(t->v2);
	monitor_free(t->v1);
	loop_free(t->loop);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->root);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

/* The level a status file shows. */
static int status_level(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	cJSON *j = cJSON_Parse(buf);
	assert_non_null(j);
	const cJSON *level = cJSON_GetObjectItemCaseSensitive(j, "level");
	assert_true(cJSON_IsNumber(level));
	int v = level->valueint;
	cJSON_Delete(j);
	return v;
}

/* Runs the loop until both monitors have finished more checks than they had (the 10ms timers). */
static void step_both(struct two *t)
{
	uint64_t v2 = monitor_checks(t->v2), v1 = monitor_checks(t->v1);
	for (int i = 0; i < 200 && (monitor_checks(t->v2) == v2 || monitor_checks(t->v1) == v1); i++)
		assert_true(loop_iterate(t->loop, 50 * 1000) >= 0);
	assert_true(monitor_checks(t->v2) > v2);
	assert_true(monitor_checks(t->v1) > v1);
}

/* The first check of each: its own target, its own level, its own status file. */
static void test_two_monitors_start_apart(void **state)
{
	struct two *t = *state;
	assert_int_equal(monitor_start(t->v2), 0);
	assert_int_equal(monitor_start(t->v1), 0);
	assert_string_equal(monitor_target_path(t->v2), t->v2_dir);
	assert_string_equal(monitor_target_path(t->v1), t->v1_dir);
	assert_true(monitor_ready(t->v2));
	assert_true(monitor_ready(t->v1));
	assert_int_equal(monitor_checks(t->v2), 1);
	assert_int_equal(monitor_checks(t->v1), 1);
	assert_int_equal(monitor_level(t->v2), 1);
	assert_int_equal(monitor_level(t->v1), 0);
	assert_int_equal(status_level(t->v2_status), 1);
	assert_int_equal(status_level(t->v1_status), 0);
}

/* One loop steps both; each follows its own tree: the levels swap when the usages do. */
static void test_two_monitors_step_apart(void **state)
{
	struct two *t = *state;
	assert_int_equal(monitor_start(t->v2), 0);
	assert_int_equal(monitor_start(t->v1), 0);
	step_both(t);
	assert_int_equal(monitor_level(t->v2), 1);
	assert_int_equal(monitor_level(t->v1), 0);

	write_file(t->v2_dir, "memory.current", V2_LOW_BYTES);
	write_file(t->v1_dir, "memory.usage_in_bytes", V1_HIGH_BYTES);
	step_both(t);
	assert_int_equal(monitor_level(t->v2), 0);
	assert_int_equal(monitor_level(t->v1), 1);
	assert_int_equal(status_level(t->v2_status), 0);
	assert_int_equal(status_level(t->v1_status), 1);

	/* Only v2 moves back; v1 stays where its own tree keeps it. */
	write_file(t->v2_dir, "memory.current", V2_HIGH_BYTES);
	step_both(t);
	assert_int_equal(monitor_level(t->v2), 1);
	assert_int_equal(monitor_level(t->v1), 1);
}

/* Pausing one leaves the other checking; freeing one leaves the other on the loop. */
static void test_pause_and_free_one(void **state)
{
	struct two *t = *state;
	assert_int_equal(monitor_start(t->v2), 0);
	assert_int_equal(monitor_start(t->v1), 0);
	monitor_set_paused(t->v2, true);
	uint64_t v2 = monitor_checks(t->v2), v1 = monitor_checks(t->v1);
	for (int i = 0; i < 200 && monitor_checks(t->v1) < v1 + 2; i++)
		assert_true(loop_iterate(t->loop, 50 * 1000) >= 0);
	assert_true(monitor_checks(t->v1) >= v1 + 2);
	assert_int_equal(monitor_checks(t->v2), v2);

	monitor_free(t->v2);
	t->v2 = NULL;
	v1 = monitor_checks(t->v1);
	for (int i = 0; i < 200 && monitor_checks(t->v1) == v1; i++)
		assert_true(loop_iterate(t->loop, 50 * 1000) >= 0);
	assert_true(monitor_checks(t->v1) > v1);
}

/* A reload is one monitor's: v2 takes its new policy (10% free: level 0 at 61%), v1 keeps its own
 * (70% free: level 1 at 40%). */
static void test_reload_one(void **state)
{
	struct two *t = *state;
	write_file(t->v1_dir, "memory.usage_in_bytes", V1_MID_BYTES);
	assert_int_equal(monitor_start(t->v2), 0);
	assert_int_equal(monitor_start(t->v1), 0);
	assert_int_equal(monitor_level(t->v2), 1);
	assert_int_equal(monitor_level(t->v1), 1);

	write_file(t->root, "v2.json", policy_low_json);
	monitor_reload(t->v2);
	step_both(t);
	assert_int_equal(monitor_level(t->v2), 0);
	assert_int_equal(monitor_level(t->v1), 1);
}

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_monitors_start_apart, setup_two, teardown_two),
		cmocka_unit_test_setup_teardown(test_two_monitors_step_apart, setup_two, teardown_two),
		cmocka_unit_test_setup_teardown(test_pause_and_free_one, setup_two, teardown_two),
		cmocka_unit_test_setup_teardown(test_reload_one, setup_two, teardown_two),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
