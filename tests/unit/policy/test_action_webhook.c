/* The webhook action's schema (lib/policy/action_webhook.c): defaults, every key's accepted form,
 * the reserved and signature headers, the signature list, memhook check's text. (The table of
 * bad documents and the size bounds in test_policy.c cover more of its messages.) */
#include "unit.h"

#include "base/util.h"
#include "policy_fixtures.h"

/* A webhook handler with url http://h/x and the extra keys (", \"retries\": 1"): the handler. */
static const struct handler *webhook(const char *extra, struct policy **ret_p)
{
	char h[1024];
	snprintf(h, sizeof(h), "{\"on\": \"entered\", \"webhook\": {\"url\": \"http://h/x\"%s}}", extra);
	return fixture_handler_ok(h, ret_p);
}

static void webhook_fails(const char *extra, const char *want)
{
	char h[1024];
	snprintf(h, sizeof(h), "{\"on\": \"entered\", \"webhook\": {\"url\": \"http://h/x\"%s}}", extra);
	fixture_handler_fails(h, want);
}

static char *describe(const struct handler *h)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	action_ops(ACTION_WEBHOOK)->describe(h, f);
	fclose(f);
	return text;
}

/* Every default, and the id: the handler's place in the policy plus one. */
static void test_defaults(void **state)
{
	(void)state;
	struct policy *p;
	const struct webhook_cfg *w = &webhook("", &p)->webhook;
	assert_string_equal(w->url, "http://h/x");
	assert_string_equal(w->url_log, "http://h/x");
	assert_int_equal(w->timeout_usec, 5 * USEC_PER_SEC);
	assert_int_equal(w->retries, 3);
	assert_int_equal(w->backoff_usec, 500 * USEC_PER_MSEC);
	assert_true(w->tls_verify);
	assert_int_equal(w->signatures,
	                 (1u << WEBHOOK_SIGNATURE_STANDARD) | (1u << WEBHOOK_SIGNATURE_MEMHOOK));
	assert_int_equal(w->max_age_usec, 60 * USEC_PER_SEC);
	assert_string_equal(w->signature_header, "X-Memhook-Signature");
	assert_null(w->headers);
	assert_null(w->secret_file);
	assert_null(w->secret_env);
	assert_int_equal(w->id, 1);
	policy_free(p);

	p = fixture_parse_ok("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 10}}], "
	                     "\"handlers\": [{\"on\": \"entered\", \"signal\": 10}, "
	                     "{\"on\": \"left\", \"webhook\": {\"url\": \"http://h/\"}}, "
	                     "{\"on\": \"normal\", \"webhook\": {\"url\": \"http://h/\"}}]}");
	assert_int_equal(p->handlers[1].webhook.id, 2);
	assert_int_equal(p->handlers[2].webhook.id, 3);
	policy_free(p);
}

/* Every key given: what each sets. */
static void test_every_key(void **state)
{
	(void)state;
	struct policy *p;
	const struct webhook_cfg *w =
	        &webhook(", \"timeout\": \"250ms\", \"retries\": 0, \"backoff\": \"0s\","
	                 " \"headers\": {\"X-A\": \"b c\", \"Authorization\": \"Bearer t\","
	                 " \"User-Agent\": \"\"}, \"secret_env\": \"HOOK_1\","
	                 " \"signature_header\": \"X-Sig\", \"signature\": [\"memhook\"],"
	                 " \"max_age\": \"2m\", \"tls_verify\": false",
	                 &p)
	                 ->webhook;
	assert_int_equal(w->timeout_usec, 250 * USEC_PER_MSEC);
	assert_int_equal(w->retries, 0);
	assert_int_equal(w->backoff_usec, 0);
	assert_string_equal(w->headers[0], "X-A: b c");
	assert_string_equal(w->headers[1], "Authorization: Bearer t");
	assert_string_equal(w->headers[2], "User-Agent: ");
	assert_null(w->headers[3]);
	assert_string_equal(w->secret_env, "HOOK_1");
	assert_string_equal(w->signature_header, "X-Sig");
	assert_int_equal(w->signatures, 1u << WEBHOOK_SIGNATURE_MEMHOOK);
	assert_int_equal(w->max_age_usec, 120 * USEC_PER_SEC);
	assert_false(w->tls_verify);
	policy_free(p);

	w = &webhook(", \"retries\": 10, \"secret_file\": \"/run/s\", \"signature\": [\"standard\", "
	             "\"memhook\"]",
	             &p)
	             ->webhook;
	assert_int_equal(w->retries, 10);
	assert_string_equal(w->secret_file, "/run/s");
	assert_int_equal(w->signatures, 3);
	policy_free(p);

	/* the scheme in any case; a user and password are kept for the request, hidden in url_log */
	w = &fixture_handler_ok("{\"on\": \"entered\", \"webhook\": {\"url\": \"HTTPS://u:pw@h:1/p\"}}", &p)
	             ->webhook;
	assert_string_equal(w->url, "HTTPS://u:pw@h:1/p");
	assert_string_equal(w->url_log, "HTTPS://***@h:1/p");
	policy_free(p);
}

static void test_errors(void **state)
{
	(void)state;
	webhook_fails(", \"signature\": \"standard\"",
	              "handlers[0].webhook.signature: must be an array of \"standard\" and \"memhook\"");
	webhook_fails(
	        ", \"signature\": []",
	        "handlers[0].webhook.signature: must name at least one of \"standard\" and \"memhook\"");
	webhook_fails(", \"signature\": [\"standard\", \"hmac\"]",
	              "handlers[0].webhook.signature[1]: must be \"standard\" or \"memhook\"");
	webhook_fails(", \"signature\": [\"memhook\", \"memhook\"]",
	              "handlers[0].webhook.signature[1]: named twice");
	webhook_fails(", \"signature\": [1]", "handlers[0].webhook.signature[0]: must be a string");
	webhook_fails(", \"max_age\": \"0s\"", "handlers[0].webhook.max_age: must be greater than 0");
	webhook_fails(", \"timeout\": \"0ms\"", "handlers[0].webhook.timeout: must be greater than 0");
	webhook_fails(", \"headers\": {\"\": \"x\"}", "handlers[0].webhook.headers.: invalid header name");
	webhook_fails(", \"headers\": {\"X-A\": \"a\\u007fb\"}",
	              "handlers[0].webhook.headers.X-A: must not contain control characters");
	webhook_fails(", \"headers\": {\"TE\": \"trailers\"}",
	              "handlers[0].webhook.headers.TE: TE is set by libcurl for each request; a policy may "
	              "not set it");
	webhook_fails(", \"headers\": {\"webhook-id\": \"1\"}",
	              "handlers[0].webhook.headers.webhook-id: webhook-id is set by memhook (signature "
	              "\"standard\"); a policy may not set it");
	/* the default signature header is reserved too */
	webhook_fails(", \"headers\": {\"x-memhook-signature\": \"1\"}",
	              "handlers[0].webhook.headers.x-memhook-signature: is the signature_header "
	              "(X-Memhook-Signature): set by memhook; a policy may not set it");
	webhook_fails(", \"signature_header\": \"content-type\"",
	              "handlers[0].webhook.signature_header: Content-Type is set by memhook "
	              "(application/json); a policy may not set it");
	webhook_fails(", \"secret_env\": \"A-B\"",
	              "handlers[0].webhook.secret_env: must be an environment variable name");
	webhook_fails(", \"secret_env\": \"S\", \"secret_file\": \"/s\"",
	              "handlers[0].webhook.secret_env: cannot be combined with secret_file");
	fixture_handler_fails("{\"on\": \"entered\", \"webhook\": {\"url\": \"https:///x\"}}",
	                      "handlers[0].webhook.url: has no host");
	fixture_handler_fails("{\"on\": \"entered\", \"webhook\": {\"url\": \"http://h/\\tx\"}}",
	                      "handlers[0].webhook.url: must not contain spaces or control characters");
	fixture_handler_fails("{\"on\": \"entered\", \"webhook\": {\"url\": 1}}",
	                      "handlers[0].webhook.url: must be a string");
}

/* memhook check's text on hand-built configs: max_age and signature only when not the defaults,
 * secret_file before secret_env, the URL as url_log. */
static void test_describe(void **state)
{
	(void)state;
	struct handler h = {
		.action = ACTION_WEBHOOK,
		.webhook = { .url_log = (char *)"https://***@h/x",
		             .timeout_usec = 5 * USEC_PER_SEC,
		             .retries = 3,
		             .signatures = 3,
		             .max_age_usec = WEBHOOK_MAX_AGE_DEFAULT_USEC,
		             .tls_verify = true },
	};
	char *text = describe(&h);
	assert_string_equal(text, "https://***@h/x (timeout 5s, retries 3)");
	free(text);

	h.webhook.max_age_usec = 300 * USEC_PER_SEC;
	h.webhook.signatures = 1u << WEBHOOK_SIGNATURE_STANDARD;
	h.webhook.secret_file = (char *)"/s";
	h.webhook.secret_env = (char *)"NOT_SHOWN";
	h.webhook.tls_verify = false;
	h.webhook.retries = 0;
	text = describe(&h);
	assert_string_equal(text, "https://***@h/x (timeout 5s, retries 0, max_age 5m, signed with "
	                          "secret_file /s, signature standard, TLS not verified)");
	free(text);

	h.webhook.secret_file = NULL;
	h.webhook.signatures = 1u << WEBHOOK_SIGNATURE_MEMHOOK;
	h.webhook.url_log = NULL;
	text = describe(&h);
	assert_string_equal(text, "(url not shown) (timeout 5s, retries 0, max_age 5m, signed with "
	                          "secret_env NOT_SHOWN, signature memhook, TLS not verified)");
	free(text);
	assert_null(action_schema_webhook.v2_file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests_name("action_webhook", tests, NULL, NULL);
}
