/* action_run_webhook: the webhook row's dry run on a hand-built event, and its run at the event
 * through dispatch: the body built once per event and shared, a post that is refused counted as
 * a failed action. */
#include "unit.h"

#include "action_run_env.h"
#include "dispatch_env.h"

static void test_dry_run_text(void **state)
{
	(void)state;
	struct dry_env *e = dry_env_new();
	struct handler h = { .action = ACTION_WEBHOOK };
	h.webhook.url_log = "https://example.com/hook";
	assert_string_equal(would(e, &h),
	                    "send webhook to https://example.com/hook (seq 3, entered level 2)");
	free(e);
}

/* No webhook client (none configured): the post is refused; the body is built at the first
 * webhook of the event and reused by the next. */
static void test_body_built_once_and_refusal_counted(void **state)
{
	struct env *e = *state;
	struct handler h = { .path = "handlers[0]", .action = ACTION_WEBHOOK, .level = -1 };
	h.webhook.url = h.webhook.url_log = "http://127.0.0.1:1/hook";
	capture_start();
	dispatch_action(&e->d, &h, &e->de);
	char *body = e->de.body;
	assert_non_null(body);
	assert_int_equal(e->de.body_len, strlen(body));
	assert_non_null(strstr(body, "\"seq\":1"));
	dispatch_action(&e->d, &h, &e->de);
	char *log = capture_end();
	assert_ptr_equal(e->de.body, body);
	assert_int_equal(e->d.failures, 2);
	assert_int_equal(dispatch_pending(&e->d), 0); /* at the event: never a job of the stream */
	assert_non_null(strstr(log, "handlers[0]: webhook failed: "));
	assert_non_null(strstr(log, "(failed actions: 2)"));
	free(log);
	free(e->de.body);
	e->de.body = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dry_run_text),
		cmocka_unit_test_setup_teardown(test_body_built_once_and_refusal_counted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
