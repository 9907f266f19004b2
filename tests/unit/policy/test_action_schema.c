/* The schemas of signal, reclaim and exec (lib/policy/action_schema.c): their forms and errors,
 * action_parse_percent, memhook check's text, their rows. */
#include "unit.h"

#include <signal.h>

#include "base/util.h"
#include "policy_fixtures.h"

/* The row's describe of h, as text; the caller frees. */
static char *action_text(const struct handler *h)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	action_ops(h->action)->describe(h, f);
	fclose(f);
	return text;
}

static void action_text_is(const struct handler *h, const char *want)
{
	char *got = action_text(h);
	assert_string_equal(got, want);
	free(got);
}

/* Digits, at most six decimals, '%'; at most 1000 before the point; nothing else. */
static void test_parse_percent(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		double want; /* < 0: refused */
	} cases[] = {
		{ "5%", 5 },          { "2.5%", 2.5 },
		{ "0%", 0 },          { "100%", 100 },
		{ "1000%", 1000 },    { "0.000001%", 0.000001 },
		{ "007%", 7 },        { "1001%", -1 },
		{ "0.0000001%", -1 }, { "5", -1 },
		{ "%", -1 },          { "", -1 },
		{ "5%%", -1 },        { "5% ", -1 },
		{ " 5%", -1 },        { "-5%", -1 },
		{ "+5%", -1 },        { ".5%", -1 },
		{ "5.%", -1 },        { "5,5%", -1 },
		{ "1e2%", -1 },       { "99999999999999999999999%", -1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		double got = -42;
		int r = action_parse_percent(cases[i].s, &got);
		print_message("\"%s\"\n", cases[i].s);
		if (cases[i].want < 0) {
			assert_int_equal(r, -EINVAL);
			assert_true(got == -42); /* untouched */
		} else {
			assert_int_equal(r, 0);
			assert_float_equal(got, cases[i].want, 1e-12);
		}
	}
}

/* ---- signal ---- */

static void test_signal_parse(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		int signo;
		bool whole_cgroup;
	} ok[] = {
		{ "\"SIGUSR1\"", SIGUSR1, false },
		{ "\"usr1\"", SIGUSR1, false },
		{ "\"sigTerm\"", SIGTERM, false },
		{ "9", SIGKILL, false },
		{ "1", 1, false },
		{ "{\"signal\": \"HUP\"}", SIGHUP, false },
		{ "{\"signal\": \"INT\", \"to\": \"main\"}", SIGINT, false },
		{ "{\"signal\": 15, \"to\": \"cgroup\"}", SIGTERM, true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char h[128];
		snprintf(h, sizeof(h), "{\"on\": \"entered\", \"signal\": %s}", ok[i].json);
		struct policy *p;
		const struct handler *hd = fixture_handler_ok(h, &p);
		assert_int_equal(hd->action, ACTION_SIGNAL);
		assert_int_equal(hd->signal.signo, ok[i].signo);
		assert_int_equal(hd->signal.whole_cgroup, ok[i].whole_cgroup);
		policy_free(p);
	}
	/* the real-time signals by number, up to SIGRTMAX */
	char h[128];
	snprintf(h, sizeof(h), "{\"on\": \"entered\", \"signal\": %d}", SIGRTMAX);
	struct policy *p;
	assert_int_equal(fixture_handler_ok(h, &p)->signal.signo, SIGRTMAX);
	policy_free(p);
	snprintf(h, sizeof(h), "{\"on\": \"entered\", \"signal\": %d}", SIGRTMAX + 1);
	char want[64];
	snprintf(want, sizeof(want), "handlers[0].signal: unknown signal %d", SIGRTMAX + 1);
	fixture_handler_fails(h, want);
}

static void test_signal_errors(void **state)
{
	(void)state;
	fixture_handler_fails("{\"on\": \"entered\", \"signal\": -1}",
	                      "handlers[0].signal: unknown signal -1");
	fixture_handler_fails("{\"on\": \"entered\", \"signal\": 1e10}",
	                      "handlers[0].signal: unknown signal 1e+10");
	fixture_handler_fails("{\"on\": \"entered\", \"signal\": \"SIGSIGTERM\"}",
	                      "handlers[0].signal: unknown signal \"SIGSIGTERM\"");
	fixture_handler_fails("{\"on\": \"entered\", \"signal\": [15]}",
	                      "handlers[0].signal: must be a signal name or number");
	fixture_handler_fails("{\"on\": \"entered\", \"signal\": {\"signal\": \"x\"}}",
	                      "handlers[0].signal.signal: unknown signal \"x\"");
	fixture_handler_fails("{\"on\": \"entered\", \"signal\": {\"signal\": 15, \"to\": 1}}",
	                      "handlers[0].signal.to: must be a string");
	fixture_handler_fails("{\"on\": \"entered\", \"signal\": {\"signal\": 15, \"to\": \"Cgroup\"}}",
	                      "handlers[0].signal.to: must be \"main\" or \"cgroup\"");
}

static void test_signal_describe(void **state)
{
	(void)state;
	struct handler h = { .action = ACTION_SIGNAL, .signal = { .signo = SIGTERM } };
	action_text_is(&h, "SIGTERM to main");
	h.signal.whole_cgroup = true;
	action_text_is(&h, "SIGTERM to cgroup");
	h.signal.signo = SIGRTMAX; /* no abbreviation: the number */
	char want[32];
	snprintf(want, sizeof(want), "%d to cgroup", SIGRTMAX);
	action_text_is(&h, want);
	assert_null(action_schema_signal.v2_file);
}

/* ---- reclaim ---- */

static void test_reclaim_parse(void **state)
{
	(void)state;
	struct policy *p;
	const struct handler *h = fixture_handler_ok("{\"on\": \"entered\", \"reclaim\": \"64Mi\"}", &p);
	assert_int_equal(h->action, ACTION_RECLAIM);
	assert_int_equal(h->reclaim.bytes, 64 * MiB);
	assert_float_equal(h->reclaim.percent, 0, 0);
	assert_true(p->needs_reclaim);
	policy_free(p);
	h = fixture_handler_ok("{\"on\": \"entered\", \"reclaim\": 1}", &p);
	assert_int_equal(h->reclaim.bytes, 1);
	policy_free(p);
	h = fixture_handler_ok("{\"on\": \"entered\", \"reclaim\": \"100%\"}", &p);
	assert_int_equal(h->reclaim.bytes, 0);
	assert_float_equal(h->reclaim.percent, 100, 0);
	policy_free(p);
	h = fixture_handler_ok("{\"on\": \"entered\", \"reclaim\": {\"amount\": \"0.5%\"}}", &p);
	assert_float_equal(h->reclaim.percent, 0.5, 1e-12);
	policy_free(p);
	/* without a reclaim handler, memory.reclaim is not needed */
	h = fixture_handler_ok("{\"on\": \"entered\", \"signal\": 10}", &p);
	assert_false(p->needs_reclaim);
	policy_free(p);

	fixture_handler_fails("{\"on\": \"entered\", \"reclaim\": \"100.5%\"}",
	                      "handlers[0].reclaim: percent must be greater than 0 and at most 100");
	fixture_handler_fails("{\"on\": \"entered\", \"reclaim\": {\"amount\": 0}}",
	                      "handlers[0].reclaim.amount: must be greater than 0");
	fixture_handler_fails("{\"on\": \"entered\", \"reclaim\": {\"amount\": \"1Mi\", \"to\": 1}}",
	                      "handlers[0].reclaim.to: unknown key");
	fixture_handler_fails("{\"on\": \"entered\", \"reclaim\": \"99999999999Ti\"}",
	                      "handlers[0].reclaim: size \"99999999999Ti\" is too large");
}

static void test_reclaim_describe(void **state)
{
	(void)state;
	struct handler h = { .action = ACTION_RECLAIM, .reclaim = { .bytes = 64 * MiB } };
	action_text_is(&h, "64Mi");
	h.reclaim = (struct reclaim_cfg){ .percent = 2.5 };
	action_text_is(&h, "2.5%");
	h.reclaim = (struct reclaim_cfg){ .bytes = 1000 };
	action_text_is(&h, "1000");
	assert_string_equal(action_schema_reclaim.v2_file, "reclaim");
}

/* ---- exec ---- */

static void test_exec_parse(void **state)
{
	(void)state;
	struct policy *p;
	const struct handler *h =
	        fixture_handler_ok("{\"on\": \"entered\", \"exec\": [\"/bin/echo\", \"a b\", \"\"]}", &p);
	assert_int_equal(h->action, ACTION_EXEC);
	assert_string_equal(h->exec.argv[0], "/bin/echo");
	assert_string_equal(h->exec.argv[1], "a b");
	assert_string_equal(h->exec.argv[2], "");
	assert_null(h->exec.argv[3]);
	assert_int_equal(h->exec.timeout_usec, 10 * USEC_PER_SEC);
	assert_false(h->exec.detach);
	policy_free(p);
	h = fixture_handler_ok("{\"on\": \"entered\", \"exec\": {\"command\": [\"/bin/true\"], "
	                       "\"timeout\": \"1ms\", \"detach\": true}}",
	                       &p);
	assert_int_equal(h->exec.timeout_usec, 1000);
	assert_true(h->exec.detach);
	policy_free(p);

	fixture_handler_fails("{\"on\": \"entered\", \"exec\": {\"timeout\": \"1s\"}}",
	                      "handlers[0].exec.command: is required");
	fixture_handler_fails("{\"on\": \"entered\", \"exec\": {\"command\": [\"/x\"], \"detach\": 1}}",
	                      "handlers[0].exec.detach: must be true or false");
	fixture_handler_fails("{\"on\": \"entered\", \"exec\": {\"command\": [\"/x\"], \"env\": {}}}",
	                      "handlers[0].exec.env: unknown key");
	fixture_handler_fails("{\"on\": \"entered\", \"exec\": \"/bin/true\"}",
	                      "handlers[0].exec: must be an array of strings (an absolute path, then "
	                      "arguments)");
}

static void test_exec_describe(void **state)
{
	(void)state;
	char echo[] = "/bin/echo", hi[] = "hi";
	char *argv[] = { echo, hi, NULL };
	struct handler h = { .action = ACTION_EXEC,
		             .exec = { .argv = argv, .timeout_usec = 10 * USEC_PER_SEC } };
	action_text_is(&h, "/bin/echo hi (timeout 10s)");
	h.exec.detach = true;
	h.exec.timeout_usec = 1500 * USEC_PER_MSEC;
	action_text_is(&h, "/bin/echo hi (timeout 1500ms, detached)");
	assert_null(action_schema_exec.v2_file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_percent), cmocka_unit_test(test_signal_parse),
		cmocka_unit_test(test_signal_errors), cmocka_unit_test(test_signal_describe),
		cmocka_unit_test(test_reclaim_parse), cmocka_unit_test(test_reclaim_describe),
		cmocka_unit_test(test_exec_parse),    cmocka_unit_test(test_exec_describe),
	};
	return cmocka_run_group_tests_name("action_schema", tests, NULL, NULL);
}
