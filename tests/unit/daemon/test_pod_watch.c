/* pod_watch: a Pod object into struct pod_info (identity, IP, containers' IDs with each runtime's
 * prefix cut, init containers, the annotations interpreted against the spec's container names),
 * hostile objects (no uid, fields of the wrong type or too long, IDs that are not 64 hex, more
 * containers than fit), equality, and the watch's configuration refused without a node. */
#include "unit.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "daemon/pod_watch.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int parse(const char *json, struct pod_info *p)
{
	cJSON *o = cJSON_Parse(json);
	assert_non_null(o);
	int r = pod_info_parse(o, p);
	cJSON_Delete(o);
	return r;
}

static void test_container_id(void **state)
{
	(void)state;
	char id[65];
	pod_container_id("containerd://" HEX64, id);
	assert_string_equal(id, HEX64);
	pod_container_id("cri-o://" HEX64, id);
	assert_string_equal(id, HEX64);
	pod_container_id("docker://0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", id);
	assert_string_equal(id, HEX64);
	pod_container_id(HEX64, id);
	assert_string_equal(id, HEX64);
	const char *bad[] = {
		NULL,
		"",
		"containerd://",
		"containerd://" HEX64 "0",
		"containerd://abc",
		"containerd://g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		pod_container_id(bad[i], id);
		assert_string_equal(id, "");
	}
}

static void test_parse(void **state)
{
	(void)state;
	struct pod_info p;
	assert_int_equal(
	        parse("{\"metadata\": {\"uid\": \"u-1\", \"name\": \"web-0\", \"namespace\": \"shop\","
	              "  \"annotations\": {\"memhook.io/containers\": \"web,sidecar\", \"other\": \"x\","
	              "                    \"memhook.io/webhook\": \"http://$(POD_IP):8080/m\"}},"
	              " \"spec\": {\"containers\": [{\"name\": \"web\"}], \"initContainers\": [{\"name\": "
	              "\"sidecar\"}]},"
	              " \"status\": {\"podIP\": \"10.0.0.5\","
	              "  \"containerStatuses\": [{\"name\": \"web\", \"containerID\": \"containerd://" HEX64
	              "\"}],"
	              "  \"initContainerStatuses\": [{\"name\": \"sidecar\"}]}}",
	              &p),
	        0);
	assert_string_equal(p.uid, "u-1");
	assert_string_equal(p.name, "web-0");
	assert_string_equal(p.namespace, "shop");
	assert_string_equal(p.ip, "10.0.0.5");
	assert_int_equal(p.n_containers, 2);
	assert_string_equal(p.containers[0].name, "web");
	assert_string_equal(p.containers[0].id, HEX64);
	assert_string_equal(p.containers[1].name, "sidecar");
	assert_string_equal(p.containers[1].id, "");
	assert_true(p.settings.opted_in);
	assert_string_equal(p.settings.error, "");
	assert_int_equal(p.settings.n_containers, 2);
	assert_string_equal(p.settings.webhook_url, "http://10.0.0.5:8080/m");
	struct pod_info q;
	assert_int_equal(
	        parse("{\"metadata\": {\"uid\": \"u-1\", \"name\": \"web-0\", \"namespace\": \"shop\","
	              "  \"annotations\": {\"memhook.io/containers\": \"web,sidecar\","
	              "                    \"memhook.io/webhook\": \"http://$(POD_IP):8080/m\"}},"
	              " \"spec\": {\"containers\": [{\"name\": \"web\"}], \"initContainers\": [{\"name\": "
	              "\"sidecar\"}]},"
	              " \"status\": {\"podIP\": \"10.0.0.5\", \"phase\": \"Running\","
	              "  \"containerStatuses\": [{\"name\": \"web\", \"containerID\": \"containerd://" HEX64
	              "\"}],"
	              "  \"initContainerStatuses\": [{\"name\": \"sidecar\"}]}}",
	              &q),
	        0);
	assert_true(pod_info_equal(&p, &q)); /* what memhook does not read does not count */
	strcpy(q.containers[0].id, "");
	assert_false(pod_info_equal(&p, &q));
	pod_info_free(&q);
	pod_info_free(&p);

	/* no spec: names from the statuses; a name the pod lacks is said */
	assert_int_equal(parse("{\"metadata\": {\"uid\": \"u\", \"name\": \"n\", \"namespace\": \"ns\","
	                       "  \"annotations\": {\"memhook.io/containers\": \"db\", \"memhook.io/x\": 5}},"
	                       " \"status\": {\"containerStatuses\": [{\"name\": \"web\"}]}}",
	                       &p),
	                 0);
	assert_string_equal(p.ip, "");
	assert_string_equal(p.settings.error, "memhook.io/x: unknown annotation (memhook.io/ takes policy, "
	                                      "policy-json, webhook, containers)");
	assert_int_equal(p.settings.n_errors, 2); /* and "db", not a container of the pod */
	pod_info_free(&p);
}

static void test_hostile(void **state)
{
	(void)state;
	struct pod_info p;
	const char *refused[] = {
		"{}",
		"{\"metadata\": 5}",
		"{\"metadata\": {\"name\": \"n\", \"namespace\": \"ns\"}}",
		"{\"metadata\": {\"uid\": \"\", \"name\": \"n\", \"namespace\": \"ns\"}}",
		"{\"metadata\": {\"uid\": 7, \"name\": \"n\", \"namespace\": \"ns\"}}",
		"{\"metadata\": {\"uid\": \"0123456789012345678901234567890123456789\", \"name\": \"n\", "
		"\"namespace\": "
		"\"ns\"}}",
		"{\"metadata\": {\"uid\": \"u\", \"name\": \"n\", \"namespace\": "
		"\"a0123456789012345678901234567890123456789012345678901234567890123\"}}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		assert_int_equal(parse(refused[i], &p), -EINVAL);
	/* wrong types elsewhere are passed over */
	assert_int_equal(parse("{\"metadata\": {\"uid\": \"u\", \"name\": \"n\", \"namespace\": \"ns\", "
	                       "\"annotations\": 3},"
	                       " \"spec\": {\"containers\": {\"name\": \"x\"}},"
	                       " \"status\": {\"podIP\": 10, \"containerStatuses\": [5, {\"name\": 3}, "
	                       "{\"name\": \"ok\","
	                       " \"containerID\": 4}]}}",
	                       &p),
	                 0);
	assert_string_equal(p.ip, "");
	assert_int_equal(p.n_containers, 1);
	assert_string_equal(p.containers[0].id, "");
	assert_false(p.settings.opted_in);
	pod_info_free(&p);
	/* more containers than fit: the first POD_CONTAINERS_MAX */
	char *json = malloc(64 * 1024), *o = json;
	o += sprintf(o,
	             "{\"metadata\": {\"uid\": \"u\", \"name\": \"n\", \"namespace\": \"ns\"}, \"status\": "
	             "{\"containerStatuses\": [");
	for (int i = 0; i < POD_CONTAINERS_MAX + 5; i++)
		o += sprintf(o, "%s{\"name\": \"c%d\", \"containerID\": \"containerd://" HEX64 "\"}",
		             i ? "," : "", i);
	sprintf(o, "]}}");
	assert_int_equal(parse(json, &p), 0);
	assert_int_equal(p.n_containers, POD_CONTAINERS_MAX);
	pod_info_free(&p);
	free(json);
}

static void test_config_refused(void **state)
{
	(void)state;
	struct pod_watch_config cfg = { .api_url = "https://x", .token_file = "t", .ca_file = "c" };
	struct pod_watch_ops ops = { NULL, NULL, NULL };
	struct pod_watch *w = NULL;
	assert_int_equal(pod_watch_new(NULL, &cfg, &ops, NULL, &w), -EINVAL);
	cfg.node_name = "";
	assert_int_equal(pod_watch_new(NULL, &cfg, &ops, NULL, &w), -EINVAL);
	assert_null(w);
	pod_watch_free(NULL);
	assert_int_equal(pod_watch_count(NULL), 0);
	assert_null(pod_watch_find(NULL, "u"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_id),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_config_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
