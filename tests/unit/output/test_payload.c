/* payload: the exact JSON body and the exec environment for an event. */
#include "unit.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "output/payload.h"
#include "base/util.h"

/* 2026-11-25T21:11:00.123Z */
#define TS_USEC (UINT64_C(1795641060) * USEC_PER_SEC + UINT64_C(123456))

/* Who sends: the builder's inputs, never the process's hostname, environment or random source. */
static const struct payload_origin origin = { .instance = "0123456789abcdef", .hostname = "node-7" };
static const struct payload_origin origin_pod = { .instance = "0123456789abcdef",
	                                          .hostname = "node-7",
	                                          .pod_name = "web-1" };
static const struct payload_origin origin_ns = { .instance = "fedcba9876543210",
	                                         .hostname = "",
	                                         .pod_namespace = "prod" };

static void test_format_time(void **state)
{
	(void)state;
	char buf[40];
	assert_int_equal(payload_format_time(TS_USEC, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-11-25T21:11:00.123Z");
	assert_int_equal(payload_format_time(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	/* too small for the milliseconds, or for anything */
	assert_int_equal(payload_format_time(TS_USEC, buf, 22), -EINVAL);
	assert_int_equal(payload_format_time(TS_USEC, buf, 1), -EINVAL);
	assert_int_equal(payload_format_time(TS_USEC, buf, 25), 0);
}

static void test_json_full(void **state)
{
	(void)state;
	struct event ev = { .kind = EVENT_ENTERED, .level = 2, .previous_level = 1 };
	struct sample s = { .usage_bytes = 939524096,
		            .limit_bytes = 1073741824,
		            .host_total_bytes = 8589934592,
		            .host_available_bytes = 4294967296 };
	struct event_ctx c = { .origin = &origin,
		               .ev = &ev,
		               .level_name = "high",
		               .previous_level_name = "elevated",
		               .seq = 7,
		               .real_usec = TS_USEC,
		               .cgroup_path = "/sys/fs/cgroup/kubepods/pod1/c1",
		               .pid = 1234,
		               .sample = &s };
	size_t len = 0;
	_cleanup_free_ char *json = payload_build_json(&c, &len);
	assert_non_null(json);
	assert_int_equal(len, strlen(json));
	char want[1024];
	snprintf(want, sizeof(want),
	         "{\"event\":\"entered\",\"level\":2,\"level_name\":\"high\",\"previous_level\":1,"
	         "\"previous_level_name\":\"elevated\",\"seq\":7,\"instance\":\"0123456789abcdef\","
	         "\"timestamp\":\"2026-11-25T21:11:00.123Z\","
	         "\"target\":{\"cgroup\":\"/sys/fs/cgroup/kubepods/pod1/c1\",\"pid\":1234},"
	         "\"sample\":{\"usage_bytes\":939524096,\"limit_bytes\":1073741824,\"local_free_bytes\":"
	         "134217728,"
	         "\"local_free_percent\":12.5,\"host_available_bytes\":4294967296,\"host_total_bytes\":"
	         "8589934592,\"usage\":\"current\"},"
	         "\"hostname\":\"node-7\",\"memhook_version\":\"%s\"}",
	         MEMHOOK_VERSION);
	assert_string_equal(json, want);
}

static void test_json_nulls_and_pod(void **state)
{
	(void)state;
	struct event ev = { .kind = EVENT_NORMAL, .level = 0, .previous_level = 1 };
	struct event_ctx c = { .origin = &origin_pod,
		               .ev = &ev,
		               .level_name = "normal",
		               .previous_level_name = NULL,
		               .seq = 0,
		               .real_usec = 0 };
	_cleanup_free_ char *json = payload_build_json(&c, NULL);
	assert_non_null(json);
	char want[1024];
	/* an unnamed level is null; unknown target and no sample are null */
	snprintf(want, sizeof(want),
	         "{\"event\":\"normal\",\"level\":0,\"level_name\":\"normal\",\"previous_level\":1,"
	         "\"previous_level_name\":null,\"seq\":0,\"instance\":\"0123456789abcdef\","
	         "\"timestamp\":\"1970-01-01T00:00:00.000Z\","
	         "\"target\":{\"cgroup\":null,\"pid\":null},\"sample\":null,\"hostname\":\"node-7\","
	         "\"pod\":{\"name\":\"web-1\",\"namespace\":null},\"memhook_version\":\"%s\"}",
	         MEMHOOK_VERSION);
	assert_string_equal(json, want);
}

static void test_json_psi_events_escaping(void **state)
{
	(void)state;
	struct event ev = { .kind = EVENT_OOM_KILL, .level = 3, .previous_level = 3 };
	/* usage above the limit: free is 0; percent of 1/3 rounds to 2 decimals */
	struct sample s = { .usage_bytes = 2000,
		            .limit_bytes = 1000,
		            .has_psi = true,
		            .has_events = true,
		            .host_total_bytes = UINT64_MAX,
		            .host_available_bytes = UINT64_C(9007199254740993) };
	s.psi.avg[PSI_SOME][PSI_AVG10] = 12.3456;
	s.psi.avg[PSI_FULL][PSI_AVG300] = 0.5;
	s.psi.total_usec[PSI_SOME] = 99;
	s.events[MEMEV_OOM_KILL] = 4;
	s.events[MEMEV_HIGH] = 17;
	struct event_ctx c = { .origin = &origin_ns,
		               .ev = &ev,
		               .level_name = "crit\"ical\n",
		               .previous_level_name = "crit\"ical\n",
		               .seq = UINT64_C(9007199254740992), /* 2^53, still exact */
		               .real_usec = TS_USEC,
		               .cgroup_path = "/a b/\\c",
		               .sample = &s };
	_cleanup_free_ char *json = payload_build_json(&c, NULL);
	assert_non_null(json);
	cJSON *root = cJSON_Parse(json);
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItem(root, "event")->valuestring, "oom_kill");
	assert_string_equal(cJSON_GetObjectItem(root, "level_name")->valuestring, "crit\"ical\n");
	/* integers are printed exactly, beyond what a double holds */
	assert_non_null(strstr(json, "\"seq\":9007199254740992,"));
	assert_non_null(strstr(json, "\"host_available_bytes\":9007199254740993,"));
	assert_non_null(strstr(json, "\"host_total_bytes\":18446744073709551615,"));
	cJSON *target = cJSON_GetObjectItem(root, "target");
	assert_string_equal(cJSON_GetObjectItem(target, "cgroup")->valuestring, "/a b/\\c");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(target, "pid")));
	cJSON *sample = cJSON_GetObjectItem(root, "sample");
	assert_true(cJSON_GetObjectItem(sample, "local_free_bytes")->valuedouble == 0);
	assert_true(cJSON_GetObjectItem(sample, "local_free_percent")->valuedouble == 0);
	cJSON *psi = cJSON_GetObjectItem(sample, "psi");
	assert_non_null(psi);
	assert_true(cJSON_GetObjectItem(psi, "some_avg10")->valuedouble == 12.35);
	assert_true(cJSON_GetObjectItem(psi, "full_avg300")->valuedouble == 0.5);
	assert_true(cJSON_GetObjectItem(psi, "some_total_usec")->valuedouble == 99);
	cJSON *events = cJSON_GetObjectItem(sample, "events");
	assert_true(cJSON_GetObjectItem(events, "oom_kill")->valuedouble == 4);
	assert_true(cJSON_GetObjectItem(events, "high")->valuedouble == 17);
	assert_true(cJSON_GetObjectItem(events, "low")->valuedouble == 0);
	cJSON *pod = cJSON_GetObjectItem(root, "pod");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(pod, "name")));
	assert_string_equal(cJSON_GetObjectItem(pod, "namespace")->valuestring, "prod");
	/* the raw text carries escaped strings and a plain percent */
	assert_non_null(strstr(json, "\"level_name\":\"crit\\\"ical\\n\""));
	assert_non_null(strstr(json, "\"some_avg10\":12.35,"));
	assert_string_equal(cJSON_GetObjectItem(root, "instance")->valuestring, "fedcba9876543210");
	assert_string_equal(cJSON_GetObjectItem(root, "hostname")->valuestring, "");
	cJSON_Delete(root);
}

static void test_percent_rounding(void **state)
{
	(void)state;
	struct event ev = { .kind = EVENT_REMAINING, .level = 1, .previous_level = 1 };
	struct sample s = { .usage_bytes = 2, .limit_bytes = 3 }; /* 33.333... % free */
	struct event_ctx c = {
		.origin = &origin, .ev = &ev, .level_name = "x", .previous_level_name = "x", .sample = &s
	};
	_cleanup_free_ char *json = payload_build_json(&c, NULL);
	assert_non_null(strstr(json, "\"local_free_percent\":33.33,"));
	s.usage_bytes = 0; /* 100 % */
	_cleanup_free_ char *json2 = payload_build_json(&c, NULL);
	assert_non_null(strstr(json2, "\"local_free_percent\":100,"));
	/* a limit of 0 (memory.max 0): nothing is free, no division by zero */
	s.usage_bytes = 4096;
	s.limit_bytes = 0;
	_cleanup_free_ char *json3 = payload_build_json(&c, NULL);
	assert_non_null(strstr(json3, "\"limit_bytes\":0,\"local_free_bytes\":0,\"local_free_percent\":0,"));
	char **env = payload_build_env(&c);
	assert_non_null(env);
	bool seen = false;
	for (char **e = env; *e; e++)
		if (strcmp(*e, "MEMHOOK_LOCAL_FREE_PERCENT=0.00") == 0)
			seen = true;
	assert_true(seen);
	strv_free(env);
}

static const char *env_get(char **v, const char *key)
{
	size_t n = strlen(key);
	for (; *v; v++)
		if (strncmp(*v, key, n) == 0 && (*v)[n] == '=')
			return *v + n + 1;
	return NULL;
}

static void test_env(void **state)
{
	(void)state;
	struct event ev = { .kind = EVENT_ENTERED, .level = 2, .previous_level = 1 };
	struct sample s = { .usage_bytes = 939524096, .limit_bytes = 1073741824, .host_available_bytes = 42 };
	struct event_ctx c = { .origin = &origin,
		               .ev = &ev,
		               .level_name = "high",
		               .previous_level_name = "elevated",
		               .seq = 7,
		               .real_usec = TS_USEC,
		               .cgroup_path = "/sys/fs/cgroup/x",
		               .pid = 1234,
		               .sample = &s };
	char **v = payload_build_env(&c);
	assert_non_null(v);
	assert_string_equal(env_get(v, "MEMHOOK_EVENT"), "entered");
	assert_string_equal(env_get(v, "MEMHOOK_LEVEL"), "2");
	assert_string_equal(env_get(v, "MEMHOOK_LEVEL_NAME"), "high");
	assert_string_equal(env_get(v, "MEMHOOK_PREVIOUS_LEVEL"), "1");
	assert_string_equal(env_get(v, "MEMHOOK_PREVIOUS_LEVEL_NAME"), "elevated");
	assert_string_equal(env_get(v, "MEMHOOK_SEQ"), "7");
	assert_string_equal(env_get(v, "MEMHOOK_INSTANCE"), "0123456789abcdef");
	assert_string_equal(env_get(v, "MEMHOOK_TIMESTAMP"), "2026-11-25T21:11:00.123Z");
	assert_string_equal(env_get(v, "MEMHOOK_CGROUP"), "/sys/fs/cgroup/x");
	assert_string_equal(env_get(v, "MEMHOOK_PID"), "1234");
	assert_string_equal(env_get(v, "MEMHOOK_USAGE_BYTES"), "939524096");
	assert_string_equal(env_get(v, "MEMHOOK_LIMIT_BYTES"), "1073741824");
	assert_string_equal(env_get(v, "MEMHOOK_LOCAL_FREE_BYTES"), "134217728");
	assert_string_equal(env_get(v, "MEMHOOK_LOCAL_FREE_PERCENT"), "12.50");
	assert_string_equal(env_get(v, "MEMHOOK_HOST_AVAILABLE_BYTES"), "42");
	strv_free(v);

	/* no sample, no target: those variables are left out */
	struct event ev0 = { .kind = EVENT_NORMAL, .level = 0, .previous_level = 1 };
	struct event_ctx c0 = {
		.origin = &origin, .ev = &ev0, .level_name = "normal", .previous_level_name = "elevated"
	};
	v = payload_build_env(&c0);
	assert_non_null(v);
	assert_string_equal(env_get(v, "MEMHOOK_LEVEL_NAME"), "normal");
	assert_null(env_get(v, "MEMHOOK_CGROUP"));
	assert_null(env_get(v, "MEMHOOK_PID"));
	assert_null(env_get(v, "MEMHOOK_USAGE_BYTES"));
	assert_null(env_get(v, "MEMHOOK_LOCAL_FREE_PERCENT"));
	size_t n = 0;
	for (char **p = v; *p; p++)
		n++;
	assert_int_equal(n, 8);
	strv_free(v);
	strv_free(NULL);
}

/* The instance id: 16 lower-case hex digits, zero-padded, from the bits it is given. (One per
 * process and different across runs: cmd/ draws it; tests/bats/delivery.bats starts memhook twice.) */
static void test_instance(void **state)
{
	(void)state;
	char id[PAYLOAD_INSTANCE_SIZE];
	payload_format_instance(UINT64_C(0x0123456789abcdef), id);
	assert_string_equal(id, "0123456789abcdef");
	payload_format_instance(0, id);
	assert_string_equal(id, "0000000000000000");
	payload_format_instance(UINT64_MAX, id);
	assert_string_equal(id, "ffffffffffffffff");
	assert_int_equal(strlen(id), 16);
}

/* memhook node's origin: the pod object carries the container's pod UID, name and ID; the exec
 * environment has them too. */
static void test_node_container(void **state)
{
	(void)state;
	static const struct payload_origin node = {
		.instance = "0123456789abcdef",
		.hostname = "node-7",
		.pod_uid = "1234-5678",
		.container = "abcdef012345",
		.container_id = "abcdef0123450000000000000000000000000000000000000000000000000000",
	};
	struct event ev = { .kind = EVENT_NORMAL, .level = 0, .previous_level = 1 };
	struct event_ctx c = { .origin = &node, .ev = &ev, .level_name = "normal" };
	_cleanup_free_ char *json = payload_build_json(&c, NULL);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"pod\":{\"name\":null,\"namespace\":null,\"uid\":\"1234-5678\","
	                             "\"container\":\"abcdef012345\",\"container_id\":\"abcdef01234500000"));
	char **v = payload_build_env(&c);
	assert_non_null(v);
	assert_string_equal(env_get(v, "MEMHOOK_POD_UID"), "1234-5678");
	assert_string_equal(env_get(v, "MEMHOOK_CONTAINER"), "abcdef012345");
	assert_string_equal(env_get(v, "MEMHOOK_CONTAINER_ID"), node.container_id);
	strv_free(v);
	/* the sidecar's environment has none of them */
	c.origin = &origin;
	v = payload_build_env(&c);
	assert_null(env_get(v, "MEMHOOK_POD_UID"));
	strv_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_time),        cmocka_unit_test(test_json_full),
		cmocka_unit_test(test_json_nulls_and_pod), cmocka_unit_test(test_json_psi_events_escaping),
		cmocka_unit_test(test_percent_rounding),   cmocka_unit_test(test_env),
		cmocka_unit_test(test_instance),           cmocka_unit_test(test_node_container),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
