/* Kubernetes Event bodies, names, notes, the API server's URL and the series table (pure). */
#include "unit.h"

#include <cjson/cJSON.h>
#include <stdio.h>

#include "output/kube_event.h"
#include "base/util.h"

static void test_reasons_and_types(void **state)
{
	(void)state;
	const char *reason, *type;
	assert_int_equal(kube_event_reason(EVENT_ENTERED, &reason, &type), 0);
	assert_string_equal(reason, "MemoryLevelEntered");
	assert_string_equal(type, "Warning");
	assert_int_equal(kube_event_reason(EVENT_LEFT, &reason, &type), 0);
	assert_string_equal(reason, "MemoryLevelLeft");
	assert_string_equal(type, "Normal");
	assert_int_equal(kube_event_reason(EVENT_NORMAL, &reason, &type), 0);
	assert_string_equal(reason, "MemoryNormal");
	assert_string_equal(type, "Normal");
	assert_int_equal(kube_event_reason(EVENT_OOM_KILL, &reason, &type), 0);
	assert_string_equal(reason, "OOMKillDetected");
	assert_string_equal(type, "Warning");
	assert_int_equal(kube_event_reason(EVENT_TARGET_LOST, &reason, &type), 0);
	assert_string_equal(reason, "TargetLost");
	assert_int_equal(kube_event_reason(EVENT_REMAINING, &reason, &type), -EINVAL);
	assert_int_equal(kube_event_reason(EVENT_TARGET_FOUND, &reason, &type), -EINVAL);
	assert_int_equal(kube_event_reason(EVENT_LIMIT_CHANGED, &reason, &type), -EINVAL);
	assert_int_equal(kube_event_reason(EVENT_KINDS, &reason, &type), -EINVAL);
}

static void test_micro_time(void **state)
{
	(void)state;
	char t[32];
	kube_micro_time(UINT64_C(1764633600) * USEC_PER_SEC + 7, t); /* 2025-12-02T00:00:00 */
	assert_string_equal(t, "2025-12-02T00:00:00.000007Z");
	kube_micro_time(UINT64_C(1764633600) * USEC_PER_SEC + 999999, t);
	assert_string_equal(t, "2025-12-02T00:00:00.999999Z");
}

static void test_names_fit_a_dns_subdomain(void **state)
{
	(void)state;
	char name[KUBE_NAME_MAX_CHARS + 1], pod[300];
	kube_event_name("web-0", 0x1234abcd, name, sizeof(name));
	assert_string_equal(name, "web-0.1234abcd");
	/* a pod name of 253: cut so that the whole is 253, never ending the cut in '-' or '.' */
	memset(pod, 'a', 253);
	pod[253] = '\0';
	pod[253 - 18] = '-'; /* the last character kept */
	kube_event_name(pod, UINT64_MAX, name, sizeof(name));
	assert_true(strlen(name) <= KUBE_NAME_MAX_CHARS);
	assert_string_equal(name + strlen(name) - 17, ".ffffffffffffffff");
	assert_int_not_equal(name[strlen(name) - 18], '-');
	assert_int_equal(strlen(name), 253 - 1);
}

static void test_api_url(void **state)
{
	(void)state;
	char url[128];
	assert_int_equal(kube_api_url("10.96.0.1", "443", url, sizeof(url)), 0);
	assert_string_equal(url, "https://10.96.0.1:443");
	assert_int_equal(kube_api_url("fd00:10:96::1", "6443", url, sizeof(url)), 0);
	assert_string_equal(url, "https://[fd00:10:96::1]:6443");
	assert_int_equal(kube_api_url(NULL, "443", url, sizeof(url)), -EINVAL);
	assert_int_equal(kube_api_url("h", "", url, sizeof(url)), -EINVAL);
	assert_int_equal(kube_api_url("h", "0", url, sizeof(url)), -EINVAL);
	assert_int_equal(kube_api_url("h", "65536", url, sizeof(url)), -EINVAL);
	assert_int_equal(kube_api_url("h", "99999999999999999999", url, sizeof(url)), -EINVAL);
	assert_int_equal(kube_api_url("h", "44a", url, sizeof(url)), -EINVAL);
	assert_int_equal(kube_api_url("a-very-long-host-name", "443", url, 16), -ENAMETOOLONG);
}

static void test_body_fields(void **state)
{
	(void)state;
	struct kube_pod pod = { "web-0", "shop", "uid-1", NULL };
	char *body = kube_event_body(&pod, "web-0.1", "MemoryLevelEntered", "Warning", "a \"note\"",
	                             UINT64_C(1764633600) * USEC_PER_SEC);
	assert_non_null(body);
	cJSON *o = cJSON_Parse(body);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "apiVersion")->valuestring, "events.k8s.io/v1");
	assert_string_equal(cJSON_GetObjectItem(o, "kind")->valuestring, "Event");
	assert_string_equal(cJSON_GetObjectItem(o, "eventTime")->valuestring, "2025-12-02T00:00:00.000000Z");
	assert_string_equal(cJSON_GetObjectItem(o, "reportingController")->valuestring, "memhook.io/memhook");
	assert_string_equal(cJSON_GetObjectItem(o, "reportingInstance")->valuestring, "web-0");
	assert_string_equal(cJSON_GetObjectItem(o, "note")->valuestring, "a \"note\"");
	cJSON *reg = cJSON_GetObjectItem(o, "regarding");
	assert_string_equal(cJSON_GetObjectItem(reg, "uid")->valuestring, "uid-1");
	assert_string_equal(cJSON_GetObjectItem(reg, "namespace")->valuestring, "shop");
	cJSON_Delete(o);
	free(body);
	/* no uid: left out */
	pod.uid = NULL;
	body = kube_event_body(&pod, "web-0.1", "MemoryNormal", "Normal", "n", 0);
	assert_null(strstr(body, "uid"));
	free(body);

	body = kube_series_patch(3, UINT64_C(1764633600) * USEC_PER_SEC + 5);
	assert_string_equal(
	        body, "{\"series\":{\"count\":3,\"lastObservedTime\":\"2025-12-02T00:00:00.000005Z\"}}");
	free(body);
}

static void test_note_is_bounded(void **state)
{
	(void)state;
	char note[KUBE_NOTE_MAX_BYTES + 1], name[65];
	memset(name, 'x', 64);
	name[64] = '\0';
	struct event ev = { .kind = EVENT_ENTERED, .level = 2, .previous_level = 1 };
	struct sample s = { .usage_bytes = 97u << 20, .limit_bytes = 100u << 20 };
	kube_event_note(&ev, name, name, &s, note, sizeof(note));
	assert_true(strlen(note) <= KUBE_NOTE_MAX_BYTES);
	assert_non_null(strstr(note, ": usage 97Mi of 100Mi, 3.0% free"));
	kube_event_note(&ev, "high", "elevated", NULL, note, 16);
	assert_int_equal(strlen(note), 15);
}

static void test_series_window_and_bound(void **state)
{
	(void)state;
	static struct kube_series_table t;
	uint64_t w = KUBE_EVENTS_SERIES_WINDOW_USEC;
	memset(&t, 0, sizeof(t));
	assert_null(kube_series_find(&t, 0, "MemoryLevelEntered", 1, 0, 100, w));
	struct kube_series *s = kube_series_start(&t, 0, "MemoryLevelEntered", 1, 0, "web-0.a", 100);
	assert_int_equal(s->count, 1);
	assert_ptr_equal(kube_series_find(&t, 0, "MemoryLevelEntered", 1, 0, 100 + w, w), s);
	/* another level, another reason: another series */
	assert_null(kube_series_find(&t, 0, "MemoryLevelEntered", 2, 1, 200, w));
	assert_null(kube_series_find(&t, 0, "MemoryLevelLeft", 1, 0, 200, w));
	/* past the window: ended */
	assert_null(kube_series_find(&t, 0, "MemoryLevelEntered", 1, 0, 101 + w, w));
	/* full: the least recently seen one makes room */
	for (int i = 0; i < KUBE_EVENTS_SERIES_MAX; i++)
		kube_series_start(&t, 0, "MemoryLevelEntered", i, 0, "n", 1000 + (uint64_t)i);
	assert_non_null(kube_series_find(&t, 0, "MemoryLevelEntered", 0, 0, 2000, w));
	kube_series_start(&t, 0, "MemoryNormal", 0, 1, "x", 3000);
	assert_null(
	        kube_series_find(&t, 0, "MemoryLevelEntered", 0, 0, 3000, w)); /* seen at 1000: forgotten */
	assert_non_null(kube_series_find(&t, 0, "MemoryLevelEntered", 1, 0, 3000, w));
	assert_non_null(kube_series_find(&t, 0, "MemoryNormal", 0, 1, 3000, w));
	/* another pod, another container of the pod, or another note: another series */
	struct kube_pod web = { "web-0", "shop", NULL, NULL }, api = { "api-0", "shop", NULL, NULL };
	struct kube_pod web_app = { "web-0", "shop", NULL, "app" },
	                web_proxy = { "web-0", "shop", NULL, "proxy" };
	assert_int_not_equal(kube_subject_key(&web, NULL), kube_subject_key(&api, NULL));
	assert_int_not_equal(kube_subject_key(&web_app, NULL), kube_subject_key(&web_proxy, NULL));
	assert_int_not_equal(kube_subject_key(&web_app, NULL), kube_subject_key(&web, NULL));
	assert_int_not_equal(kube_subject_key(&web, NULL), kube_subject_key(&web, "x"));
	assert_int_equal(kube_subject_key(&web, "x"), kube_subject_key(&web, "x"));
	assert_null(kube_series_find(&t, kube_subject_key(&web, NULL), "MemoryNormal", 0, 1, 3000, w));
	/* the same key starts again in its own slot */
	s = kube_series_start(&t, 0, "MemoryNormal", 0, 1, "y", 4000);
	assert_string_equal(s->name, "y");
	kube_series_forget(s);
	assert_null(kube_series_find(&t, 0, "MemoryNormal", 0, 1, 4000, w));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons_and_types),
		cmocka_unit_test(test_micro_time),
		cmocka_unit_test(test_names_fit_a_dns_subdomain),
		cmocka_unit_test(test_api_url),
		cmocka_unit_test(test_body_fields),
		cmocka_unit_test(test_note_is_bounded),
		cmocka_unit_test(test_series_window_and_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
