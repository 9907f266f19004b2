/* pod_spec: the memhook.io/ annotations of a pod, each good form and each bad one (hostile
 * values: control bytes, huge values, a policy name that climbs out of the directory, a webhook
 * variable that is not $(POD_IP), containers the pod lacks), the first error named and the rest
 * counted, the bad annotation left out and the others kept. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "policy/pod_spec.h"

#define A(k, v) ((struct pod_annotation){ (k), (v) })

static const char *const names[] = { "web", "istio-proxy", "init-db" };

static struct pod_settings parse_ip(const struct pod_annotation *a, size_t n, const char *ip)
{
	struct pod_settings s;
	assert_int_equal(pod_spec_parse(a, n, ip, names, 3, &s), 0);
	return s;
}

static struct pod_settings parse(const struct pod_annotation *a, size_t n)
{
	return parse_ip(a, n, "10.1.2.3");
}

static void test_none_and_others(void **state)
{
	(void)state;
	struct pod_annotation a[] = { A("kubectl.kubernetes.io/last-applied-configuration", "{}"),
		                      A("memhook.io", "x"), A("example.com/memhook.io/policy", "y") };
	struct pod_settings s = parse(a, 3);
	assert_false(s.opted_in);
	assert_string_equal(s.error, "");
	assert_string_equal(s.policy_name, "");
	assert_null(s.policy_json);
	assert_true(pod_settings_selects(&s, "anything"));
	s = parse(NULL, 0);
	assert_false(s.opted_in);
}

static void test_good(void **state)
{
	(void)state;
	struct pod_annotation a[] = {
		A("memhook.io/policy", "java-heap.json"),
		A("memhook.io/webhook", "http://$(POD_IP):8080/memhook"),
		A("memhook.io/containers", " web , istio-proxy,web"),
	};
	struct pod_settings s = parse(a, 3);
	assert_true(s.opted_in);
	assert_string_equal(s.error, "");
	assert_int_equal(s.n_errors, 0);
	assert_string_equal(s.policy_name, "java-heap.json");
	assert_string_equal(s.webhook_url, "http://10.1.2.3:8080/memhook");
	assert_int_equal(s.n_containers, 2);
	assert_string_equal(s.containers[0], "web");
	assert_string_equal(s.containers[1], "istio-proxy");
	assert_true(pod_settings_selects(&s, "web"));
	assert_false(pod_settings_selects(&s, "init-db"));

	/* IPv6 in brackets, unless the template has them; no placeholder: as written */
	struct pod_annotation w6[] = { A("memhook.io/webhook", "https://$(POD_IP)/a?ip=$(POD_IP)") };
	s = parse_ip(w6, 1, "fd00::1");
	assert_string_equal(s.webhook_url, "https://[fd00::1]/a?ip=[fd00::1]");
	struct pod_annotation w6b[] = { A("memhook.io/webhook", "http://[$(POD_IP)]:80/") };
	s = parse_ip(w6b, 1, "fd00::1");
	assert_string_equal(s.webhook_url, "http://[fd00::1]:80/");
	struct pod_annotation upper[] = { A("memhook.io/webhook", "HTTPS://$(POD_IP)/m") };
	s = parse_ip(upper, 1, "10.0.0.9");
	assert_string_equal(s.webhook_url, "HTTPS://10.0.0.9/m"); /* either case, as a policy's webhook */
	struct pod_annotation fixed[] = { A("memhook.io/webhook", "http://receiver.ops:9000/m") };
	s = parse_ip(fixed, 1, "");
	assert_string_equal(s.webhook_url, "http://receiver.ops:9000/m");
	assert_false(s.webhook_waits_ip);

	/* no IP yet: the URL waits for it, no error */
	s = parse_ip(a, 3, NULL);
	assert_string_equal(s.webhook_url, "");
	assert_true(s.webhook_waits_ip);
	assert_string_equal(s.error, "");
}

static void test_policy_json(void **state)
{
	(void)state;
	const char *good = "{\"levels\": [{\"name\": \"high\", \"when\": {\"local_relative\": 10}}]}";
	struct pod_annotation a[] = { A("memhook.io/policy-json", good) };
	struct pod_settings s = parse(a, 1);
	assert_string_equal(s.error, "");
	assert_non_null(s.policy_json);
	assert_string_equal(s.policy_json, good);
	struct pod_settings c;
	assert_int_equal(pod_settings_copy(&s, &c), 0);
	assert_ptr_not_equal(c.policy_json, s.policy_json);
	assert_true(pod_settings_equal(&s, &c));
	pod_settings_free(&c);
	assert_null(c.policy_json);
	pod_settings_free(&s);

	/* a bad policy: file:line:col like a policy file, and no policy kept */
	struct pod_annotation b[] = { A(
		"memhook.io/policy-json",
		"{\"levels\": [\n  {\"name\": \"high\",\n   \"when\": {\"local_relative\": 300}}]}") };
	s = parse(b, 1);
	assert_null(s.policy_json);
	assert_true(s.opted_in);
	assert_string_equal(s.error, "memhook.io/policy-json:3:13: levels[0].when.local_relative: must be "
	                             "between 0 and 100");
	struct pod_annotation j[] = { A("memhook.io/policy-json", "{\"levels\": [") };
	s = parse(j, 1);
	assert_null(s.policy_json);
	assert_string_equal(s.error, "memhook.io/policy-json: policy: invalid JSON near line 1 column 13");
	struct pod_annotation e[] = { A("memhook.io/policy-json", "") };
	s = parse(e, 1);
	assert_null(s.policy_json);
	assert_non_null(strstr(s.error, "memhook.io/policy-json: policy: invalid JSON"));

	/* both: neither */
	struct pod_annotation both[] = { A("memhook.io/policy", "a"), A("memhook.io/policy-json", good) };
	s = parse(both, 2);
	assert_string_equal(s.error, "memhook.io/policy and memhook.io/policy-json: both set, one policy per "
	                             "pod (neither used)");
	assert_string_equal(s.policy_name, "");
	assert_null(s.policy_json);
}

static void test_bad_policy_names(void **state)
{
	(void)state;
	const char *bad_names[] = { "", "../etc/passwd", "a/b", "..data", ".hidden", "a b", "x\n", "ü" };
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		struct pod_annotation a[] = { A("memhook.io/policy", bad_names[i]) };
		struct pod_settings s = parse(a, 1);
		assert_string_equal(s.policy_name, "");
		assert_non_null(strstr(s.error, "is not a file name of the policy directory"));
		assert_null(strchr(s.error, '\n'));
	}
	char *long_name = malloc(300);
	memset(long_name, 'a', 299);
	long_name[299] = '\0';
	struct pod_annotation a[] = { A("memhook.io/policy", long_name) };
	struct pod_settings s = parse(a, 1);
	assert_string_equal(s.policy_name, "");
	/* the value is shown cut */
	assert_non_null(strstr(s.error, "aaa...\""));
	long_name[253] = '\0';
	s = parse(a, 1);
	assert_string_equal(s.error, "");
	assert_int_equal(strlen(s.policy_name), 253);
	free(long_name);
}

static void test_bad_webhooks(void **state)
{
	(void)state;
	static const struct {
		const char *url, *error;
	} cases[] = {
		{ "ftp://$(POD_IP)/x",
		  "memhook.io/webhook: \"ftp://$(POD_IP)/x\" is not an http:// or https:// URL" },
		{ "file:///etc/passwd",
		  "memhook.io/webhook: \"file:///etc/passwd\" is not an http:// or https:// URL" },
		{ "htp://x", "memhook.io/webhook: \"htp://x\" is not an http:// or https:// URL" },
		{ "", "memhook.io/webhook: \"\" is not an http:// or https:// URL" },
		{ "http://", "memhook.io/webhook: \"http://\" has no host" },
		{ "https:///path", "memhook.io/webhook: \"https:///path\" has no host" },
		{ "http://$(POD_NAME):80/",
		  "memhook.io/webhook: \"$(POD_NAME):80/\": only $(POD_IP) is replaced" },
		{ "http://$(POD_IP:80/", "memhook.io/webhook: \"$(POD_IP:80/\": only $(POD_IP) is replaced" },
		{ "http://a b/", "memhook.io/webhook: \"http://a b/\" holds a space or a control character" },
		{ "http://a/\r\nX-Injected: 1",
		  "memhook.io/webhook: \"http://a/??X-Injected: 1\" holds a space or a control "
		  "character" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pod_annotation a[] = { A("memhook.io/webhook", cases[i].url),
			                      A("memhook.io/policy", "p") };
		struct pod_settings s = parse(a, 2);
		assert_string_equal(s.error, cases[i].error);
		assert_string_equal(s.webhook_url, "");
		assert_string_equal(s.policy_name, "p"); /* the good one kept */
	}
	/* too long, before and after the IP is filled in */
	char *url = malloc(1100);
	strcpy(url, "http://h/");
	memset(url + 9, 'p', 1090);
	url[1099] = '\0';
	struct pod_annotation a[] = { A("memhook.io/webhook", url) };
	struct pod_settings s = parse(a, 1);
	assert_string_equal(s.error, "memhook.io/webhook: longer than 1023 characters");
	strcpy(url + 1023 - strlen("$(POD_IP)"), "$(POD_IP)");
	s = parse_ip(a, 1, "");
	assert_true(s.webhook_waits_ip);
	s = parse_ip(a, 1, "10.0.0.1"); /* one shorter than the placeholder: fits */
	assert_int_equal(strlen(s.webhook_url), 1022);
	s = parse_ip(a, 1, "10.100.200.123");
	assert_string_equal(s.error, "memhook.io/webhook: longer than 1023 characters");
	free(url);
}

static void test_bad_containers_and_keys(void **state)
{
	(void)state;
	struct pod_annotation a[] = {
		A("memhook.io/polcy", "x"),
		A("memhook.io/containers", "web,sidecarr,,Web,-x"),
		A("memhook.io/policy", "p"),
		A("memhook.io/policy", "q"),
	};
	struct pod_settings s = parse(a, 4);
	assert_true(s.opted_in);
	assert_string_equal(s.error, "memhook.io/polcy: unknown annotation (memhook.io/ takes policy, "
	                             "policy-json, webhook, containers)");
	assert_int_equal(s.n_errors, 6); /* the key, twice set, sidecarr, "", Web, -x */
	assert_string_equal(s.policy_name, "p");
	assert_int_equal(s.n_containers, 1);
	assert_string_equal(s.containers[0], "web");

	struct pod_annotation c[] = { A("memhook.io/containers", "sidecarr") };
	s = parse(c, 1);
	assert_string_equal(s.error, "memhook.io/containers: \"sidecarr\" is not a container of the pod");
	assert_int_equal(s.n_containers, 0); /* all: as if absent */
	struct pod_annotation d[] = { A("memhook.io/containers", "a\x01\xff") };
	s = parse(d, 1);
	assert_string_equal(s.error, "memhook.io/containers: \"a??\" is not a container name");
	struct pod_annotation k[] = { A("memhook.io/\x1b[31mred", "") };
	s = parse(k, 1);
	assert_string_equal(s.error, "memhook.io/?[31mred: unknown annotation (memhook.io/ takes policy, "
	                             "policy-json, webhook, containers)");

	/* more names than fit: the first 16 kept */
	char list[2048] = "";
	const char *many[20];
	char buf[20][8];
	for (int i = 0; i < 20; i++) {
		snprintf(buf[i], sizeof(buf[i]), "c%d", i);
		many[i] = buf[i];
		strcat(list, buf[i]);
		strcat(list, i < 19 ? "," : "");
	}
	struct pod_annotation m[] = { A("memhook.io/containers", list) };
	assert_int_equal(pod_spec_parse(m, 1, "", many, 20, &s), 0);
	assert_int_equal(s.n_containers, 16);
	assert_string_equal(s.error, "memhook.io/containers: more than 16 containers");
}

static void test_equal_and_policy_files(void **state)
{
	(void)state;
	struct pod_annotation a[] = { A("memhook.io/policy", "p"), A("memhook.io/containers", "web") };
	struct pod_settings x = parse(a, 2), y = parse(a, 2);
	assert_true(pod_settings_equal(&x, &y));
	y.containers[0][0] = 'W';
	assert_false(pod_settings_equal(&x, &y));
	y = parse(a, 1);
	assert_false(pod_settings_equal(&x, &y));

	assert_true(pod_policy_file_is("java", "java"));
	assert_true(pod_policy_file_is("java.json", "java"));
	assert_true(pod_policy_file_is("java.json", "java.json"));
	assert_false(pod_policy_file_is("java.yaml", "java"));
	assert_false(pod_policy_file_is("javax", "java"));
	assert_false(pod_policy_file_is("jav", "java"));
	assert_false(pod_policy_file_is("java", ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_and_others),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_policy_json),
		cmocka_unit_test(test_bad_policy_names),
		cmocka_unit_test(test_bad_webhooks),
		cmocka_unit_test(test_bad_containers_and_keys),
		cmocka_unit_test(test_equal_and_policy_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
