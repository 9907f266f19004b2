/* memhook node's pod decisions (lib/daemon/node_pods.c), pure: a container's name by its ID, which
 * containers memhook.io/containers takes, and which changes of a pod's settings make its monitors
 * again. The whole, with a pod watch, runs in tests/contract/node_pods.bats. */
#include "unit.h"

#include <stdlib.h>

#include "daemon/node_internal.h"
#include "daemon/pod_watch.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void test_container_name(void **state)
{
	(void)state;
	struct pod_info pod = { .n_containers = 2, .containers = { { "app", ID_A }, { "init", "" } } };
	assert_string_equal(node_pod_container_name(&pod, ID_A), "app");
	assert_null(node_pod_container_name(&pod, ID_B)); /* the sandbox, or not in a status yet */
	assert_null(node_pod_container_name(&pod, ""));   /* never the one not started */
	pod.n_containers = 0;
	assert_null(node_pod_container_name(&pod, ID_A));
}

static void test_takes(void **state)
{
	(void)state;
	struct pod_settings s = { 0 };
	assert_true(node_pod_takes(&s, "app")); /* none named: all */
	s.n_containers = 2;
	snprintf(s.containers[0], sizeof(s.containers[0]), "web");
	snprintf(s.containers[1], sizeof(s.containers[1]), "app");
	assert_true(node_pod_takes(&s, "app"));
	assert_false(node_pod_takes(&s, "proxy"));
	assert_false(node_pod_takes(&s, "ap"));
}

static void test_settings_same(void **state)
{
	(void)state;
	struct pod_settings a = { .opted_in = true, .n_containers = 1 }, b;
	snprintf(a.policy_name, sizeof(a.policy_name), "java");
	snprintf(a.webhook_url, sizeof(a.webhook_url), "http://10.0.0.1:8080/m");
	snprintf(a.containers[0], sizeof(a.containers[0]), "app");
	b = a;
	assert_true(node_pod_settings_same(&a, &b));
	/* an error said, or how many: the same settings (a bad annotation is as if absent) */
	snprintf(b.error, sizeof(b.error), "memhook.io/policy-json: bad");
	b.n_errors = 1;
	assert_true(node_pod_settings_same(&a, &b));
	b = a;
	snprintf(b.policy_name, sizeof(b.policy_name), "go");
	assert_false(node_pod_settings_same(&a, &b));
	b = a;
	snprintf(b.webhook_url, sizeof(b.webhook_url), "http://10.0.0.2:8080/m"); /* a new IP in it */
	assert_false(node_pod_settings_same(&a, &b));
	b = a;
	b.n_containers = 0;
	assert_false(node_pod_settings_same(&a, &b));
	b = a;
	snprintf(b.containers[0], sizeof(b.containers[0]), "web");
	assert_false(node_pod_settings_same(&a, &b));
	b = a;
	b.opted_in = false;
	assert_false(node_pod_settings_same(&a, &b));
	/* inline policies compared by their text */
	char j1[] = "{\"levels\": []}", j2[] = "{\"levels\": []}", j3[] = "{\"levels\": [1]}";
	a.policy_json = j1;
	b = a;
	b.policy_json = j2;
	assert_true(node_pod_settings_same(&a, &b));
	b.policy_json = j3;
	assert_false(node_pod_settings_same(&a, &b));
	b.policy_json = NULL;
	assert_false(node_pod_settings_same(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_name),
		cmocka_unit_test(test_takes),
		cmocka_unit_test(test_settings_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
