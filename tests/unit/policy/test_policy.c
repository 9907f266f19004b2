/* Policy parsing, validation messages, the shipped policies, describe and check_target. */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "base/util.h"

/* The example from the issue, verbatim. */
static const char issue_example[] =
        "{\n"
        "  \"check_interval\": \"1s\",\n"
        "  \"maximum_available\": \"auto\",\n"
        "  \"log_transitions\": true,\n"
        "  \"levels\": [\n"
        "    {\"name\": \"elevated\", \"when\": {\"local_relative\": 30}},\n"
        "    {\"name\": \"high\",     \"when\": {\"any\": [{\"local_relative\": 15}, {\"global_absolute\": "
        "\"256Mi\"}]}},\n"
        "    {\"name\": \"critical\", \"when\": {\"all\": [{\"local_absolute\": \"32Mi\"},\n"
        "                                           {\"not\": {\"custom\": {\"command\": [\"/usr/bin/test\", "
        "\"-e\", \"/tmp/busy\"], \"timeout\": \"200ms\"}}}]}}\n"
        "  ],\n"
        "  \"handlers\": [\n"
        "    {\"on\": \"entered\",   \"level\": 1, \"webhook\": {\"url\": "
        "\"http://127.0.0.1:8080/memory\"}},\n"
        "    {\"on\": \"entered\",   \"level\": 2, \"signal\": \"SIGUSR1\"},\n"
        "    {\"on\": \"remaining\", \"level\": 3, \"every\": \"10s\", \"reclaim\": \"5%\"},\n"
        "    {\"on\": \"left\",      \"level\": 2, \"webhook\": {\"url\": "
        "\"http://127.0.0.1:8080/memory\"}},\n"
        "    {\"on\": \"normal\",    \"exec\": [\"/usr/local/bin/notify\", \"normal\"]}\n"
        "  ]\n"
        "}\n";

static struct policy *parse_ok(const char *json)
{
	struct policy *p = NULL;
	char err[512] = "";
	int r = policy_parse(json, strlen(json), &p, err, sizeof(err));
	if (r != 0)
		fail_msg("parse failed (%d): %s\n%s", r, err, json);
	assert_non_null(p);
	return p;
}

static void test_issue_example(void **state)
{
	(void)state;
	struct policy *p = parse_ok(issue_example);

	assert_true(p->check_interval_usec == USEC_PER_SEC);
	assert_true(p->min_interval_usec == 10 * USEC_PER_MSEC); /* the default */
	assert_true(p->maximum_available_bytes == 0);
	assert_true(p->log_transitions);
	assert_int_equal(p->n_levels, 3);
	assert_string_equal(p->levels[0].name, "elevated");
	assert_int_equal(p->levels[0].when.kind, COND_LOCAL_RELATIVE);
	assert_true(p->levels[0].when.percent == 30.0);
	assert_string_equal(p->levels[0].when.path, "levels[0].when");

	const struct condition *any = &p->levels[1].when;
	assert_int_equal(any->kind, COND_ANY);
	assert_int_equal(any->n_children, 2);
	assert_int_equal(any->children[1].kind, COND_GLOBAL_ABSOLUTE);
	assert_true(any->children[1].bytes == 256ULL << 20);
	assert_string_equal(any->children[1].path, "levels[1].when.any[1]");

	const struct condition *all = &p->levels[2].when;
	assert_int_equal(all->kind, COND_ALL);
	assert_int_equal(all->children[0].kind, COND_LOCAL_ABSOLUTE);
	assert_true(all->children[0].bytes == 32ULL << 20);
	const struct condition *not = &all->children[1];
	assert_int_equal(not ->kind, COND_NOT);
	assert_int_equal(not ->n_children, 1);
	const struct condition *custom = &not ->children[0];
	assert_int_equal(custom->kind, COND_CUSTOM);
	assert_string_equal(custom->path, "levels[2].when.all[1].not");

	assert_int_equal(p->n_probes, 1);
	assert_int_equal(custom->probe, 0);
	assert_ptr_equal(p->probes[0].path, custom->path);
	assert_string_equal(p->probes[0].argv[0], "/usr/bin/test");
	assert_string_equal(p->probes[0].argv[1], "-e");
	assert_string_equal(p->probes[0].argv[2], "/tmp/busy");
	assert_null(p->probes[0].argv[3]);
	assert_true(p->probes[0].timeout_usec == 200 * USEC_PER_MSEC);

	assert_int_equal(p->n_handlers, 5);
	const struct handler *h = p->handlers;
	assert_string_equal(h[0].path, "handlers[0]");
	assert_int_equal(h[0].on, EVENT_ENTERED);
	assert_int_equal(h[0].level, 1);
	assert_int_equal(h[0].action, ACTION_WEBHOOK);
	assert_string_equal(h[0].webhook.url, "http://127.0.0.1:8080/memory");
	assert_true(h[0].webhook.timeout_usec == 5 * USEC_PER_SEC);
	assert_int_equal(h[0].webhook.retries, 3);
	assert_true(h[0].webhook.backoff_usec == 500 * USEC_PER_MSEC);
	assert_string_equal(h[0].webhook.signature_header, "X-Memhook-Signature");
	assert_true(h[0].webhook.tls_verify);
	assert_null(h[0].webhook.secret_file);
	assert_null(h[0].webhook.secret_env);

	assert_int_equal(h[1].action, ACTION_SIGNAL);
	assert_int_equal(h[1].signal.signo, SIGUSR1);
	assert_false(h[1].signal.whole_cgroup);

	assert_int_equal(h[2].on, EVENT_REMAINING);
	assert_int_equal(h[2].level, 3);
	assert_true(h[2].every_usec == 10 * USEC_PER_SEC);
	assert_int_equal(h[2].action, ACTION_RECLAIM);
	assert_true(h[2].reclaim.percent == 5.0);
	assert_true(h[2].reclaim.bytes == 0);

	assert_int_equal(h[3].on, EVENT_LEFT);
	assert_int_equal(h[4].on, EVENT_NORMAL);
	assert_int_equal(h[4].level, -1);
	assert_int_equal(h[4].action, ACTION_EXEC);
	assert_string_equal(h[4].exec.argv[0], "/usr/local/bin/notify");
	assert_string_equal(h[4].exec.argv[1], "normal");
	assert_null(h[4].exec.argv[2]);
	assert_true(h[4].exec.timeout_usec == 10 * USEC_PER_SEC);

	assert_false(p->needs_v2);
	assert_true(p->needs_reclaim);
	policy_free(p);
}

static void test_everything_else(void **state)
{
	(void)state;
	struct policy *p = parse_ok(
	        "{\"check_interval\": \"250ms\", \"min_interval\": \"1ms\", \"maximum_available\": \"1Gi\", "
	        "\"log_transitions\": false,"
	        " \"levels\": [{\"name\": \"a\", \"when\": {\"pressure\": {\"kind\": \"full\", \"window\": "
	        "\"avg60\", \"above\": 12.5}}},"
	        "  {\"name\": \"b\", \"when\": {\"any\": [{\"events\": \"oom_kill\"}, {\"events\": "
	        "{\"counter\": \"high\", \"increased_by\": 5}},"
	        "   {\"custom\": {\"command\": [\"/bin/true\"]}}, {\"global_relative\": 2.5}, {\"custom\": "
	        "{\"command\": [\"/bin/false\", \"x\"]}}]}}],"
	        " \"handlers\": [{\"on\": \"remaining\", \"level\": 0, \"reclaim\": {\"amount\": \"64Mi\"}},"
	        "  {\"on\": \"target_lost\", \"signal\": {\"signal\": 15, \"to\": \"cgroup\"}},"
	        "  {\"on\": \"oom_kill\", \"signal\": \"usr2\"},"
	        "  {\"on\": \"entered\", \"exec\": {\"command\": [\"/bin/echo\"], \"timeout\": \"1m\"}},"
	        "  {\"on\": \"target_found\", \"webhook\": {\"url\": \"https://example.invalid/x\", "
	        "\"timeout\": \"1s\","
	        "   \"headers\": {\"Authorization\": \"Bearer t\", \"X-A\": \"b\"}, \"retries\": 0, "
	        "\"backoff\": \"0s\","
	        "   \"secret_file\": \"/run/secrets/hook\", \"signature_header\": \"X-Sig\", \"tls_verify\": "
	        "false}},"
	        "  {\"on\": \"left\", \"reclaim\": 1048576}]}");

	assert_true(p->check_interval_usec == 250 * USEC_PER_MSEC);
	assert_true(p->min_interval_usec == USEC_PER_MSEC);
	assert_true(p->maximum_available_bytes == 1ULL << 30);
	assert_false(p->log_transitions);
	assert_int_equal(p->levels[0].when.kind, COND_PRESSURE);
	assert_int_equal(p->levels[0].when.psi_kind, PSI_FULL);
	assert_int_equal(p->levels[0].when.psi_window, PSI_AVG60);
	assert_true(p->levels[0].when.percent == 12.5);
	const struct condition *any = &p->levels[1].when;
	assert_int_equal(any->children[0].kind, COND_EVENTS);
	assert_int_equal(any->children[0].memevent, MEMEV_OOM_KILL);
	assert_true(any->children[0].increased_by == 1);
	assert_int_equal(any->children[1].memevent, MEMEV_HIGH);
	assert_true(any->children[1].increased_by == 5);
	assert_true(any->children[3].percent == 2.5);
	/* probes in document order, each pointing back at its condition */
	assert_int_equal(p->n_probes, 2);
	assert_int_equal(any->children[2].probe, 0);
	assert_int_equal(any->children[4].probe, 1);
	assert_string_equal(p->probes[0].argv[0], "/bin/true");
	assert_true(p->probes[0].timeout_usec == USEC_PER_SEC);
	assert_string_equal(p->probes[1].argv[1], "x");
	assert_string_equal(p->probes[1].path, "levels[1].when.any[4]");
	assert_true(p->needs_v2);
	assert_true(p->needs_reclaim);

	const struct handler *h = p->handlers;
	assert_int_equal(h[0].level, 0);
	assert_true(h[0].reclaim.bytes == 64ULL << 20);
	assert_int_equal(h[1].signal.signo, SIGTERM);
	assert_true(h[1].signal.whole_cgroup);
	assert_int_equal(h[2].on, EVENT_OOM_KILL);
	assert_int_equal(h[2].signal.signo, SIGUSR2);
	assert_int_equal(h[3].level, -1);
	assert_true(h[3].exec.timeout_usec == 60 * USEC_PER_SEC);
	const struct webhook_cfg *w = &h[4].webhook;
	assert_string_equal(w->url, "https://example.invalid/x");
	assert_string_equal(w->headers[0], "Authorization: Bearer t");
	assert_string_equal(w->headers[1], "X-A: b");
	assert_null(w->headers[2]);
	assert_int_equal(w->retries, 0);
	assert_true(w->backoff_usec == 0);
	assert_string_equal(w->secret_file, "/run/secrets/hook");
	assert_string_equal(w->signature_header, "X-Sig");
	assert_false(w->tls_verify);
	assert_true(h[5].reclaim.bytes == 1048576);
	policy_free(p);
}

struct bad {
	const char *json;
	const char *err;
};

#define L1(when) "{\"levels\": [{\"name\": \"a\", \"when\": " when "}]}"
#define H1(handler) \
	"{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 10}}], \"handlers\": [" handler "]}"
#define W1(fields) H1("{\"on\": \"entered\", \"webhook\": {\"url\": \"http://h/\"" fields "}}")

static const struct bad bad_cases[] = {
	/* the document */
	{ "", "policy: invalid JSON near line 1 column 1" },
	{ "   ", "policy: invalid JSON near line 1 column 4" },
	{ "{\n  \"levels\": [\n    {\"name\": \"a\",, }\n  ]\n}",
	  "policy: invalid JSON near line 3 column 19" },
	{ "{\"levels\": []} x", "policy: invalid JSON near line 1 column 16" },
	{ "[]", "policy: must be a JSON object" },
	{ "42", "policy: must be a JSON object" },
	{ "{}", "levels: is required" },
	{ "{\"levels\": {}}", "levels: must be an array" },
	{ "{\"levels\": []}", "levels: must not be empty" },
	{ "{\"levles\": []}", "levles: unknown key" },
	{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}}], \"levels\": []}",
	  "levels: duplicate key" },
	{ "{\"check_interval\": 1, \"levels\": []}",
	  "check_interval: must be a duration string like \"10s\"" },
	{ "{\"check_interval\": \"10\", \"levels\": []}",
	  "check_interval: invalid duration \"10\" (expected a whole number with a unit: us, ms, s, m, h)" },
	{ "{\"check_interval\": \"9ms\", \"levels\": []}", "check_interval: must be at least 10ms" },
	{ "{\"min_interval\": \"999us\", \"levels\": []}", "min_interval: must be at least 1ms" },
	{ "{\"min_interval\": 5, \"levels\": []}", "min_interval: must be a duration string like \"10s\"" },
	{ "{\"min_interval\": \"2s\", \"levels\": []}",
	  "min_interval: 2s is longer than check_interval (1s)" },
	{ "{\"check_interval\": \"100ms\", \"min_interval\": \"101ms\", \"levels\": []}",
	  "min_interval: 101ms is longer than check_interval (100ms)" },
	{ "{\"check_interval\": \"99999999999999999999s\", \"levels\": []}",
	  "check_interval: duration \"99999999999999999999s\" is too large" },
	{ "{\"maximum_available\": \"64Qi\", \"levels\": []}",
	  "maximum_available: invalid size \"64Qi\" (expected a whole number with an optional suffix K, Ki, "
	  "M, Mi, G, Gi, T, Ti)" },
	{ "{\"maximum_available\": \"20000000Ti\", \"levels\": []}",
	  "maximum_available: size \"20000000Ti\" is too large" },
	{ "{\"maximum_available\": 0, \"levels\": []}",
	  "maximum_available: must be greater than 0 (or \"auto\")" },
	{ "{\"maximum_available\": -5, \"levels\": []}", "maximum_available: must not be negative" },
	{ "{\"maximum_available\": 1.5, \"levels\": []}",
	  "maximum_available: must be a whole number of bytes" },
	{ "{\"maximum_available\": 1e300, \"levels\": []}",
	  "maximum_available: too large for a JSON number; use a string like \"8Ti\"" },
	{ "{\"maximum_available\": true, \"levels\": []}",
	  "maximum_available: must be a size (a number of bytes or a string like \"64Mi\")" },
	{ "{\"log_transitions\": 1, \"levels\": []}", "log_transitions: must be true or false" },
	/* levels */
	{ "{\"levels\": [1]}", "levels[0]: must be an object" },
	{ "{\"levels\": [{\"when\": {\"local_relative\": 1}}]}", "levels[0].name: is required" },
	{ "{\"levels\": [{\"name\": \"a\"}]}", "levels[0].when: is required" },
	{ "{\"levels\": [{\"name\": 3, \"when\": {}}]}", "levels[0].name: must be a string" },
	{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}}, {\"name\": \"\", \"when\": "
	  "{}}]}",
	  "levels[1].name: must not be empty" },
	{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}}, {\"name\": \"b\", \"when\": "
	  "{\"local_relative\": 1}},"
	  " {\"name\": \"a\", \"when\": {\"local_relative\": 1}}]}",
	  "levels[2].name: duplicate level name \"a\" (also levels[0])" },
	{ "{\"levels\": [{\"name\": \"a\", \"when\": {}, \"hwen\": 1}]}", "levels[0].hwen: unknown key" },
	/* conditions */
	{ L1("{\"local_relativ\": 30}"), "levels[0].when.local_relativ: unknown condition" },
	{ L1("{}"), "levels[0].when: must hold one condition (e.g. \"local_relative\")" },
	{ L1("[]"), "levels[0].when: must be an object" },
	{ L1("{\"local_relative\": 30, \"global_relative\": 5}"),
	  "levels[0].when: holds 2 conditions (local_relative, global_relative); combine several with "
	  "\"all\" or \"any\"" },
	{ L1("{\"local_relative\": 101}"), "levels[0].when.local_relative: must be between 0 and 100" },
	{ L1("{\"local_relative\": -0.5}"), "levels[0].when.local_relative: must be between 0 and 100" },
	{ L1("{\"global_relative\": \"30\"}"), "levels[0].when.global_relative: must be a number" },
	{ L1("{\"global_relative\": 1e999}"), "levels[0].when.global_relative: must be between 0 and 100" },
	{ L1("{\"local_absolute\": \"1.5Mi\"}"),
	  "levels[0].when.local_absolute: invalid size \"1.5Mi\" (expected a whole number with an optional "
	  "suffix K, Ki, M, Mi, G, Gi, T, Ti)" },
	{ L1("{\"global_absolute\": \" 64Mi\"}"),
	  "levels[0].when.global_absolute: invalid size \" 64Mi\" (expected a whole number with an optional "
	  "suffix K, Ki, M, Mi, G, Gi, T, Ti)" },
	{ L1("{\"any\": [{\"local_relative\": 15}, {\"global_absolute\": \"256Mi\"}, {\"local_relative\": "
	     "200}]}"),
	  "levels[0].when.any[2].local_relative: must be between 0 and 100" },
	{ L1("{\"all\": []}"), "levels[0].when.all: must not be empty" },
	{ L1("{\"any\": {}}"), "levels[0].when.any: must be an array of conditions" },
	{ L1("{\"not\": []}"), "levels[0].when.not: must be an object" },
	{ L1("{\"all\": [{\"local_relative\": 1}, {\"not\": {\"custom\": {\"command\": "
	     "[\"usr/bin/test\"]}}}]}"),
	  "levels[0].when.all[1].not.custom.command[0]: must be an absolute path, got \"usr/bin/test\"" },
	{ L1("{\"all\": [{\"local_relative\": 1}, {\"not\": {\"custom\": {\"command\": \"/bin/true\"}}}]}"),
	  "levels[0].when.all[1].not.custom.command: must be an array of strings (an absolute path, then "
	  "arguments)" },
	{ L1("{\"custom\": {\"command\": []}}"), "levels[0].when.custom.command: must not be empty" },
	{ L1("{\"custom\": {\"command\": [\"/bin/x\", 3]}}"),
	  "levels[0].when.custom.command[1]: must be a string" },
	{ L1("{\"custom\": {}}"), "levels[0].when.custom.command: is required" },
	{ L1("{\"custom\": {\"command\": [\"/bin/x\"], \"timeout\": \"0s\"}}"),
	  "levels[0].when.custom.timeout: must be greater than 0" },
	{ L1("{\"custom\": {\"command\": [\"/bin/x\"], \"timout\": \"1s\"}}"),
	  "levels[0].when.custom.timout: unknown key" },
	{ L1("{\"pressure\": {\"kind\": \"some\"}}"), "levels[0].when.pressure.above: is required" },
	{ L1("{\"pressure\": {\"kind\": \"most\", \"above\": 1}}"),
	  "levels[0].when.pressure.kind: must be \"some\" or \"full\"" },
	{ L1("{\"pressure\": {\"window\": \"avg5\", \"above\": 1}}"),
	  "levels[0].when.pressure.window: must be \"avg10\", \"avg60\" or \"avg300\"" },
	{ L1("{\"pressure\": {\"above\": 100.5}}"),
	  "levels[0].when.pressure.above: must be between 0 and 100" },
	{ L1("{\"events\": \"oops\"}"), "levels[0].when.events: unknown memory event \"oops\" (expected low, "
	                                "high, max, oom, oom_kill or oom_group_kill)" },
	{ L1("{\"events\": {\"counter\": \"max\", \"increased_by\": 0}}"),
	  "levels[0].when.events.increased_by: must be at least 1" },
	{ L1("{\"events\": {\"counter\": \"max\", \"increased_by\": 1.5}}"),
	  "levels[0].when.events.increased_by: must be an integer" },
	{ L1("{\"events\": {}}"), "levels[0].when.events.counter: is required" },
	{ L1("{\"events\": 3}"), "levels[0].when.events: must be an event name or an object" },
	/* handlers */
	{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}}], \"handlers\": {}}",
	  "handlers: must be an array" },
	{ H1("3"), "handlers[0]: must be an object" },
	{ H1("{\"level\": 1, \"signal\": 10}"), "handlers[0].on: is required" },
	{ H1("{\"on\": \"entred\", \"signal\": 10}"),
	  "handlers[0].on: unknown event \"entred\" (expected entered, left, remaining, normal, target_lost, "
	  "target_found, oom_kill or limit_changed)" },
	{ H1("{\"on\": \"entered\", \"signal\": 10}, {\"on\": \"entered\", \"webhok\": {}}"),
	  "handlers[1].webhok: unknown key" },
	{ H1("{\"on\": \"entered\"}"),
	  "handlers[0]: needs one action: webhook, signal, reclaim, exec, memory_high or pressure_watch" },
	{ H1("{\"on\": \"entered\", \"signal\": 10, \"webhook\": {\"url\": \"http://x\"}}"),
	  "handlers[0]: has two actions (webhook and signal); use one handler per action" },
	{ H1("{\"on\": \"entered\", \"level\": 2, \"signal\": 10}"),
	  "handlers[0].level: must be between 1 and 1" },
	{ H1("{\"on\": \"left\", \"level\": 0, \"signal\": 10}"),
	  "handlers[0].level: must be between 1 and 1" },
	{ H1("{\"on\": \"remaining\", \"level\": -1, \"signal\": 10}"),
	  "handlers[0].level: must be between 0 and 1" },
	{ H1("{\"on\": \"remaining\", \"level\": 1.5, \"signal\": 10}"),
	  "handlers[0].level: must be an integer" },
	{ H1("{\"on\": \"normal\", \"level\": 0, \"signal\": 10}"),
	  "handlers[0].level: not allowed for \"normal\" handlers" },
	{ H1("{\"on\": \"target_lost\", \"level\": 1, \"signal\": 10}"),
	  "handlers[0].level: not allowed for \"target_lost\" handlers" },
	{ H1("{\"on\": \"oom_kill\", \"level\": 1, \"signal\": 10}"),
	  "handlers[0].level: not allowed for \"oom_kill\" handlers" },
	{ H1("{\"on\": \"entered\", \"every\": \"10s\", \"signal\": 10}"),
	  "handlers[0].every: only allowed for \"remaining\" handlers" },
	{ H1("{\"on\": \"remaining\", \"every\": \"10\", \"signal\": 10}"),
	  "handlers[0].every: invalid duration \"10\" (expected a whole number with a unit: us, ms, s, m, "
	  "h)" },
	/* signal */
	{ H1("{\"on\": \"entered\", \"signal\": 10}, {\"on\": \"entered\", \"signal\": 10}, {\"on\": "
	     "\"entered\", \"signal\": 10},"
	     " {\"on\": \"entered\", \"signal\": \"SIGFOO\"}"),
	  "handlers[3].signal: unknown signal \"SIGFOO\"" },
	{ H1("{\"on\": \"entered\", \"signal\": \"SIG\"}"), "handlers[0].signal: unknown signal \"SIG\"" },
	{ H1("{\"on\": \"entered\", \"signal\": \"\"}"), "handlers[0].signal: unknown signal \"\"" },
	{ H1("{\"on\": \"entered\", \"signal\": 0}"), "handlers[0].signal: unknown signal 0" },
	{ H1("{\"on\": \"entered\", \"signal\": 99}"), "handlers[0].signal: unknown signal 99" },
	{ H1("{\"on\": \"entered\", \"signal\": 10.5}"), "handlers[0].signal: unknown signal 10.5" },
	{ H1("{\"on\": \"entered\", \"signal\": true}"),
	  "handlers[0].signal: must be a signal name or number" },
	{ H1("{\"on\": \"entered\", \"signal\": {\"to\": \"main\"}}"),
	  "handlers[0].signal.signal: is required" },
	{ H1("{\"on\": \"entered\", \"signal\": {\"signal\": \"TERM\", \"to\": \"all\"}}"),
	  "handlers[0].signal.to: must be \"main\" or \"cgroup\"" },
	{ H1("{\"on\": \"entered\", \"signal\": {\"signal\": \"TERM\", \"too\": \"main\"}}"),
	  "handlers[0].signal.too: unknown key" },
	/* reclaim */
	{ H1("{\"on\": \"entered\", \"reclaim\": \"0\"}"), "handlers[0].reclaim: must be greater than 0" },
	{ H1("{\"on\": \"entered\", \"reclaim\": 0}"), "handlers[0].reclaim: must be greater than 0" },
	{ H1("{\"on\": \"entered\", \"reclaim\": \"0%\"}"),
	  "handlers[0].reclaim: percent must be greater than 0 and at most 100" },
	{ H1("{\"on\": \"entered\", \"reclaim\": \"100.5%\"}"),
	  "handlers[0].reclaim: percent must be greater than 0 and at most 100" },
	{ H1("{\"on\": \"entered\", \"reclaim\": \"5 %\"}"),
	  "handlers[0].reclaim: invalid percent \"5 %\" (expected e.g. \"5%\")" },
	{ H1("{\"on\": \"entered\", \"reclaim\": \"-5%\"}"),
	  "handlers[0].reclaim: invalid percent \"-5%\" (expected e.g. \"5%\")" },
	{ H1("{\"on\": \"entered\", \"reclaim\": \"5%%\"}"),
	  "handlers[0].reclaim: invalid percent \"5%%\" (expected e.g. \"5%\")" },
	{ H1("{\"on\": \"entered\", \"reclaim\": \"lots\"}"),
	  "handlers[0].reclaim: invalid size \"lots\" (expected a whole number with an optional suffix K, "
	  "Ki, M, Mi, G, Gi, T, Ti)" },
	{ H1("{\"on\": \"entered\", \"reclaim\": []}"),
	  "handlers[0].reclaim: must be a size like \"64Mi\" or a percent like \"5%\"" },
	{ H1("{\"on\": \"entered\", \"reclaim\": {\"amount\": \"0%\"}}"),
	  "handlers[0].reclaim.amount: percent must be greater than 0 and at most 100" },
	{ H1("{\"on\": \"entered\", \"reclaim\": {}}"), "handlers[0].reclaim.amount: is required" },
	/* exec */
	{ H1("{\"on\": \"entered\", \"exec\": [\"notify\"]}"),
	  "handlers[0].exec[0]: must be an absolute path, got \"notify\"" },
	{ H1("{\"on\": \"entered\", \"exec\": []}"), "handlers[0].exec: must not be empty" },
	{ H1("{\"on\": \"entered\", \"exec\": \"/bin/true\"}"),
	  "handlers[0].exec: must be an array of strings (an absolute path, then arguments)" },
	{ H1("{\"on\": \"entered\", \"exec\": {\"command\": [\"./x\"]}}"),
	  "handlers[0].exec.command[0]: must be an absolute path, got \"./x\"" },
	{ H1("{\"on\": \"entered\", \"exec\": {\"command\": [\"/x\"], \"timeout\": \"0ms\"}}"),
	  "handlers[0].exec.timeout: must be greater than 0" },
	/* webhook */
	{ H1("{\"on\": \"entered\", \"webhook\": \"http://x\"}"), "handlers[0].webhook: must be an object" },
	{ H1("{\"on\": \"entered\", \"webhook\": {}}"), "handlers[0].webhook.url: is required" },
	{ H1("{\"on\": \"entered\", \"webhook\": {\"url\": \"ftp://x/\"}}"),
	  "handlers[0].webhook.url: must start with http:// or https://" },
	{ H1("{\"on\": \"entered\", \"webhook\": {\"url\": \"127.0.0.1:8080/memory\"}}"),
	  "handlers[0].webhook.url: must start with http:// or https://" },
	{ H1("{\"on\": \"entered\", \"webhook\": {\"url\": \"http://\"}}"),
	  "handlers[0].webhook.url: has no host" },
	{ H1("{\"on\": \"entered\", \"webhook\": {\"url\": \"http://a b/\"}}"),
	  "handlers[0].webhook.url: must not contain spaces or control characters" },
	{ W1(", \"retries\": 11"), "handlers[0].webhook.retries: must be between 0 and 10" },
	{ W1(", \"retries\": -1"), "handlers[0].webhook.retries: must be between 0 and 10" },
	{ W1(", \"retries\": \"3\""), "handlers[0].webhook.retries: must be an integer" },
	{ W1(", \"secret_file\": \"/s\", \"secret_env\": \"S\""),
	  "handlers[0].webhook.secret_env: cannot be combined with secret_file" },
	{ W1(", \"secret_file\": \"s\""), "handlers[0].webhook.secret_file: must be an absolute path" },
	{ W1(", \"secret_env\": \"1X\""),
	  "handlers[0].webhook.secret_env: must be an environment variable name" },
	{ W1(", \"secret_env\": \"\""), "handlers[0].webhook.secret_env: must not be empty" },
	{ W1(", \"timeout\": \"5\""), "handlers[0].webhook.timeout: invalid duration \"5\" (expected a whole "
	                              "number with a unit: us, ms, s, m, h)" },
	{ W1(", \"headers\": []"), "handlers[0].webhook.headers: must be an object" },
	{ W1(", \"headers\": {\"X-A\": 1}"), "handlers[0].webhook.headers.X-A: must be a string" },
	{ W1(", \"headers\": {\"X A\": \"1\"}"), "handlers[0].webhook.headers.X A: invalid header name" },
	{ W1(", \"headers\": {\"X-A\": \"1\\r\\nEvil: 1\"}"),
	  "handlers[0].webhook.headers.X-A: must not contain control characters" },
	{ W1(", \"headers\": {\"X-A\": \"1\", \"x-a\": \"2\"}"),
	  "handlers[0].webhook.headers.x-a: duplicate header" },
	{ W1(", \"signature_header\": \"X:Sig\""),
	  "handlers[0].webhook.signature_header: invalid header name" },
	/* headers libcurl or memhook writes: a second copy desynchronises the receiver */
	{ W1(", \"headers\": {\"Content-Length\": \"0\"}"),
	  "handlers[0].webhook.headers.Content-Length: Content-Length is set by libcurl for each request; a "
	  "policy may not set it" },
	{ W1(", \"headers\": {\"transfer-encoding\": \"chunked\"}"),
	  "handlers[0].webhook.headers.transfer-encoding: Transfer-Encoding is set by libcurl for each "
	  "request; a policy may not set it" },
	{ W1(", \"headers\": {\"HOST\": \"h\"}"), "handlers[0].webhook.headers.HOST: Host is set by libcurl "
	                                          "for each request; a policy may not set it" },
	{ W1(", \"headers\": {\"content-type\": \"text/plain\"}"),
	  "handlers[0].webhook.headers.content-type: Content-Type is set by memhook (application/json); a "
	  "policy may not set it" },
	{ W1(", \"headers\": {\"Webhook-Signature\": \"v1,x\"}"),
	  "handlers[0].webhook.headers.Webhook-Signature: webhook-signature is set by memhook (signature "
	  "\"standard\"); a policy may not set it" },
	/* the signature header is checked whichever key comes first */
	{ W1(", \"signature_header\": \"X-Sig\", \"headers\": {\"x-sig\": \"1\"}"),
	  "handlers[0].webhook.headers.x-sig: is the signature_header (X-Sig): set by memhook; a policy may "
	  "not set it" },
	{ W1(", \"signature_header\": \"Expect\""),
	  "handlers[0].webhook.signature_header: Expect is set by libcurl for each request; a policy may not "
	  "set it" },
	{ W1(", \"tls_verify\": \"no\""), "handlers[0].webhook.tls_verify: must be true or false" },
	{ W1(", \"tls\": false"), "handlers[0].webhook.tls: unknown key" },
	/* a control character in a key never reaches the message raw */
	{ "{\"lev\\nels\": []}", "lev?els: unknown key" },
	/* an escaped NUL would cut a string short: "5\u0000Mi" is no 5 bytes, "/bin/true\u0000" no /bin/true
	 */
	{ W1(", \"timeout\": \"5\\u0000s\""), "policy: a string at line 1 column 137 holds \\u0000 (NUL); no "
	                                      "name, path or value may contain it" },
	{ "{\"levels\": [{\"name\": \"a\\u0000b\", \"when\": {\"local_relative\": 1}}]}",
	  "policy: a string at line 1 column 24 holds \\u0000 (NUL); no name, path or value may contain it" },
	/* cJSON reads a \u without four hex digits as U+0000 too: "/bin/true\uZZZZx" was /bin/true */
	{ H1("{\"on\": \"normal\", \"exec\": [\"/bin/true\\uZZZZx\"]}"),
	  "policy: a string at line 1 column 110 holds a \\u escape without four hex digits (read as NUL); "
	  "no name, path or value may contain it" },
	{ "{\"levels\": [{\"name\": \"a\\u00G1\", \"when\": {\"local_relative\": 1}}]}",
	  "policy: a string at line 1 column 24 holds a \\u escape without four hex digits (read as NUL); "
	  "no name, path or value may contain it" },
	{ "{\"levels\": [{\"name\": \"a\\u12", "policy: invalid JSON near line 1 column 23" },
	{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_absolute\": \"5\\u0000Mi\"}}]}",
	  "policy: a string at line 1 column 56 holds \\u0000 (NUL); no name, path or value may contain it" },
	/* JSON is UTF-8: a name with 0xff would make the status file and the payload invalid JSON */
	{ "{\"levels\": [{\"name\": \"a\xff\", \"when\": {\"local_relative\": 1}}]}",
	  "policy: invalid UTF-8 at line 1 column 24 (byte 0xff); a policy is UTF-8 text" },
	{ "{\"levels\": [{\"name\": \"a\",\n \"when\": {\"local_relative\": 1}}],\n \"handlers\": [{\"on\": "
	  "\"normal\", \"exec\": [\"/bin/\xed\xa0\x80\"]}]}",
	  "policy: invalid UTF-8 at line 3 column 47 (byte 0xed); a policy is UTF-8 text" },
};

static void test_bad_policies(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		struct policy *p = (struct policy *)0x1; /* must stay untouched */
		char err[512] = "";
		int r = policy_parse(bad_cases[i].json, strlen(bad_cases[i].json), &p, err, sizeof(err));
		if (r != -EINVAL || strcmp(err, bad_cases[i].err) != 0)
			fail_msg("case %zu: %s\n  got  %d \"%s\"\n  want \"%s\"", i, bad_cases[i].json, r,
			         err, bad_cases[i].err);
		assert_ptr_equal(p, (struct policy *)0x1);
	}
}

/* policy_parse_at: where the error's path is in the text (the key, or the array element), with the
 * message unchanged; 0:0 when the path names no place in it. */
static void test_error_positions(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		const char *err;
		unsigned line, col;
	} cases[] = {
		{ "{\"levels\": [\n  {\"name\": \"a\", \"when\": {\"local_relative\": 1}},\n  {\"name\": "
		  "\"b\", "
		  "\"when\": {\"local_relative\": 2}},\n  {\"name\": \"c\", \"when\": {\"all\": "
		  "[{\"local_relative\": "
		  "3},\n    {\"local_relative\": 101}]}}]}",
		  "levels[2].when.all[1].local_relative: must be between 0 and 100", 5, 6 },
		{ W1(", \"headers\": {\"X-Ok\": \"1\", \"Content-Length\": \"0\"}"),
		  "handlers[0].webhook.headers.Content-Length: Content-Length is set by libcurl for each "
		  "request; a policy may not set it",
		  1, 149 },
		{ "{\"levels\": [1]}", "levels[0]: must be an object", 1, 13 },
		{ "{\n\"levles\": []}", "levles: unknown key", 2, 1 },
		/* a duplicate key: the repeat, not the first (which cJSON reads) */
		{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}}],\n \"levels\": []}",
		  "levels: duplicate key", 2, 2 },
		/* an escaped key is compared unescaped */
		{ "{\"levels\": [{\"name\": \"a\", \"wh\\u0065n\": {\"local_relativ\": 1}}]}",
		  "levels[0].when.local_relativ: unknown condition", 1, 41 },
		/* no place: the whole document, a missing key, a key with '.' */
		{ "[]", "policy: must be a JSON object", 0, 0 },
		{ "{}", "levels: is required", 0, 0 },
		{ "{\"levels\": [{\"name\": \"a\"}]}", "levels[0].when: is required", 0, 0 },
		{ W1(", \"headers\": {\"X.A\": 1}"), "handlers[0].webhook.headers.X.A: must be a string", 0,
		  0 },
		{ "{\"levels\": [", "policy: invalid JSON near line 1 column 13", 0, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct policy *p = NULL;
		char err[512] = "";
		unsigned line = 99, col = 99;
		int r = policy_parse_at(cases[i].json, strlen(cases[i].json), &p, err, sizeof(err), &line,
		                        &col);
		if (r != -EINVAL || strcmp(err, cases[i].err) != 0 || line != cases[i].line ||
		    col != cases[i].col)
			fail_msg("case %zu: %s\n  got  %d %u:%u \"%s\"\n  want %u:%u \"%s\"", i,
			         cases[i].json, r, line, col, err, cases[i].line, cases[i].col, cases[i].err);
		assert_null(p);
	}
}

static void test_odd_input(void **state)
{
	(void)state;
	struct policy *p = NULL;
	char err[256];

	/* a NUL byte inside the length */
	static const char nul[] = "{\"levels\": []}\0{}";
	assert_int_equal(policy_parse(nul, sizeof(nul) - 1, &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "policy: contains a NUL byte at offset 14");

	/* an escaped backslash before "u0000" is no NUL escape */
	static const char bs[] =
	        "{\"levels\": [{\"name\": \"a\\\\u0000\", \"when\": {\"local_relative\": 1}}]}";
	assert_int_equal(policy_parse(bs, sizeof(bs) - 1, &p, err, sizeof(err)), 0);
	assert_string_equal(p->levels[0].name, "a\\u0000");
	policy_free(p);
	p = NULL;
	static const char exec_nul[] =
	        "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}}], "
	        "\"handlers\": [{\"on\": \"entered\", \"exec\": [\"/bin/true\\u0000/x\"]}]}";
	assert_int_equal(policy_parse(exec_nul, sizeof(exec_nul) - 1, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "holds \\u0000 (NUL)"));
	assert_null(p);

	/* the length bounds the input: no NUL terminator needed */
	const char *json = "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}}]}GARBAGE";
	size_t len = strlen(json) - strlen("GARBAGE");
	assert_int_equal(policy_parse(json, len, &p, err, sizeof(err)), 0);
	policy_free(p);
	p = NULL;

	/* a tiny error buffer truncates, and NULL is accepted */
	char tiny[8];
	assert_int_equal(policy_parse("[]", 2, &p, tiny, sizeof(tiny)), -EINVAL);
	assert_string_equal(tiny, "policy:");
	assert_int_equal(policy_parse("[]", 2, &p, NULL, 0), -EINVAL);

	policy_free(NULL);
}

/* ---- bounds (lib/base/defaults.h) ---- */

/* A growing text built with printf. */
struct text {
	char *s;
	size_t len;
	FILE *f;
};

static void text_open(struct text *t)
{
	t->s = NULL;
	t->len = 0;
	t->f = open_memstream(&t->s, &t->len);
	assert_non_null(t->f);
}

/* Ends the text; returns it (freed by the caller). */
static char *text_close(struct text *t)
{
	assert_int_equal(fclose(t->f), 0);
	return t->s;
}

/* n copies of fmt (%d: the index) separated by sep. */
static void text_repeat(struct text *t, int n, const char *sep, const char *fmt)
{
	for (int i = 0; i < n; i++) {
		if (i)
			fputs(sep, t->f);
		fprintf(t->f, fmt, i);
	}
}

/* n copies of the character c (one or more bytes), malloc'd. */
static char *repeat_char(const char *c, size_t n)
{
	size_t cl = strlen(c);
	char *s = malloc(n * cl + 1);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * cl, c, cl);
	s[n * cl] = '\0';
	return s;
}

/* Parses json, which must fail with exactly want (want NULL: must parse), in under a second. Frees
 * json. */
static void expect(char *json, const char *want)
{
	struct policy *p = NULL;
	char err[1024] = "";
	uint64_t start = now_mono_usec();
	int r = policy_parse(json, strlen(json), &p, err, sizeof(err));
	uint64_t took = now_mono_usec() - start;
	if (want && (r != -EINVAL || strcmp(err, want) != 0))
		fail_msg("got %d \"%s\"\n  want \"%s\"\n  for %.300s...", r, err, want, json);
	if (!want && r != 0)
		fail_msg("parse failed (%d): %s\n  for %.300s...", r, err, json);
	if (took >= USEC_PER_SEC)
		fail_msg("took %llu ms (at most 1 s) for %.300s...", (unsigned long long)(took / 1000), json);
	policy_free(p);
	free(json);
}

/* printf into a malloc'd string. */
static char *fmt(const char *f, ...) _printf_(1, 2);
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;
	va_start(ap, f);
	assert_true(vasprintf(&s, f, ap) >= 0);
	va_end(ap);
	return s;
}

#define LEVEL_A "{\"name\": \"a\", \"when\": {\"local_relative\": 10}}"
#define WEBHOOK_DOC(fields)      \
	"{\"levels\": [" LEVEL_A \
	"], \"handlers\": [{\"on\": \"entered\", \"webhook\": {\"url\": \"http://h/\"" fields "}}]}"

/* One level and one webhook with n headers "X-0": "", "X-1": ""... */
static char *headers_doc(int n)
{
	struct text t;
	text_open(&t);
	text_repeat(&t, n, ", ", "\"X-%d\": \"\"");
	_cleanup_free_ char *h = text_close(&t);
	return fmt(WEBHOOK_DOC(", \"headers\": {%s}"), h);
}

static void test_bounds_webhook(void **state)
{
	(void)state;
	expect(headers_doc(64), NULL);
	expect(headers_doc(65), "handlers[0].webhook.headers: at most 64 headers");
	/* 80,000 headers took 15 s in the pairwise duplicate check */
	expect(headers_doc(80000), "handlers[0].webhook.headers: at most 64 headers");

	_cleanup_free_ char *n256 = repeat_char("N", 256), *n257 = repeat_char("N", 257);
	_cleanup_free_ char *v4096 = repeat_char("v", 4096), *v4097 = repeat_char("v", 4097);
	_cleanup_free_ char *u4096 = repeat_char("\xc3\xbc", 4096); /* 4096 characters in 8192 bytes */
	_cleanup_free_ char *u4097 = repeat_char("\xc3\xbc", 4097);
	expect(fmt(WEBHOOK_DOC(", \"headers\": {\"%s\": \"%s\"}"), n256, v4096), NULL);
	expect(fmt(WEBHOOK_DOC(", \"headers\": {\"X\": \"%s\"}"), u4096), NULL);
	_cleanup_free_ char *want = fmt("handlers[0].webhook.headers.%s: at most 256 characters", n257);
	expect(fmt(WEBHOOK_DOC(", \"headers\": {\"%s\": \"v\"}"), n257), want);
	expect(fmt(WEBHOOK_DOC(", \"headers\": {\"X\": \"%s\"}"), v4097),
	       "handlers[0].webhook.headers.X: at most 4096 characters");
	expect(fmt(WEBHOOK_DOC(", \"headers\": {\"X\": \"%s\"}"), u4097),
	       "handlers[0].webhook.headers.X: at most 4096 characters");
	expect(fmt(WEBHOOK_DOC(", \"signature_header\": \"%s\""), n256), NULL);
	expect(fmt(WEBHOOK_DOC(", \"signature_header\": \"%s\""), n257),
	       "handlers[0].webhook.signature_header: at most 256 characters");
	expect(fmt(WEBHOOK_DOC(", \"secret_file\": \"/%s\""), v4096 + 1), NULL);
	expect(fmt(WEBHOOK_DOC(", \"secret_file\": \"/%s\""), v4096),
	       "handlers[0].webhook.secret_file: at most 4096 characters");
	expect(fmt(WEBHOOK_DOC(", \"secret_env\": \"%s\""), n257 + 1), NULL);
	expect(fmt(WEBHOOK_DOC(", \"secret_env\": \"%s\""), v4097),
	       "handlers[0].webhook.secret_env: at most 4096 characters");

	/* the URL: 2048 characters with "http://h/" */
	_cleanup_free_ char *path2039 = repeat_char("p", 2039);
	expect(fmt("{\"levels\": [" LEVEL_A "], \"handlers\": [{\"on\": \"entered\", \"webhook\": "
	           "{\"url\": \"http://h/%s\"}}]}",
	           path2039),
	       NULL);
	expect(fmt("{\"levels\": [" LEVEL_A "], \"handlers\": [{\"on\": \"entered\", \"webhook\": "
	           "{\"url\": \"http://h/%sp\"}}]}",
	           path2039),
	       "handlers[0].webhook.url: at most 2048 characters");
}

/* A document of n handlers, each {"on": "entered", "signal": 10}. */
static char *handlers_doc(int n)
{
	struct text t;
	text_open(&t);
	text_repeat(&t, n, ", ", "{\"on\": \"entered\", \"signal\": 10}");
	_cleanup_free_ char *h = text_close(&t);
	return fmt("{\"levels\": [" LEVEL_A "], \"handlers\": [%s]}", h);
}

/* An exec handler (or, probe true, a custom condition) whose command has n strings. */
static char *command_doc(int n, bool probe)
{
	struct text t;
	text_open(&t);
	fputs("\"/bin/true\"", t.f);
	if (n > 1)
		fputs(", ", t.f);
	text_repeat(&t, n - 1, ", ", "\"a%d\"");
	_cleanup_free_ char *argv = text_close(&t);
	if (probe)
		return fmt("{\"levels\": [{\"name\": \"a\", \"when\": {\"custom\": {\"command\": [%s]}}}]}",
		           argv);
	return fmt("{\"levels\": [" LEVEL_A "], \"handlers\": [{\"on\": \"entered\", \"exec\": [%s]}]}",
	           argv);
}

static void test_bounds_lists(void **state)
{
	(void)state;
	expect(handlers_doc(256), NULL);
	expect(handlers_doc(257), "handlers: at most 256 handlers");
	expect(handlers_doc(50000), "handlers: at most 256 handlers");

	expect(command_doc(128, false), NULL);
	expect(command_doc(129, false),
	       "handlers[0].exec: at most 128 strings (the program and its arguments)");
	expect(command_doc(128, true), NULL);
	expect(command_doc(100000, true),
	       "levels[0].when.custom.command: at most 128 strings (the program and its arguments)");
	_cleanup_free_ char *a4097 = repeat_char("a", 4097);
	expect(fmt("{\"levels\": [" LEVEL_A "], \"handlers\": [{\"on\": \"entered\", \"exec\": "
	           "[\"/bin/true\", \"%s\"]}]}",
	           a4097),
	       "handlers[0].exec[1]: at most 4096 characters");

	/* children of all/any */
	struct text t;
	text_open(&t);
	text_repeat(&t, 64, ", ", "{\"local_relative\": %d}");
	_cleanup_free_ char *c64 = text_close(&t);
	expect(fmt("{\"levels\": [{\"name\": \"a\", \"when\": {\"all\": [%s]}}]}", c64), NULL);
	expect(fmt("{\"levels\": [{\"name\": \"a\", \"when\": {\"any\": [%s, {\"local_relative\": 1}]}}]}",
	           c64),
	       "levels[0].when.any: at most 64 conditions");

	/* level names: 64 characters, whatever their bytes */
	_cleanup_free_ char *n64 = repeat_char("n", 64), *n65 = repeat_char("n", 65);
	_cleanup_free_ char *u64 = repeat_char("\xc3\xbc", 64);
	expect(fmt("{\"levels\": [{\"name\": \"%s\", \"when\": {\"local_relative\": 1}}]}", n64), NULL);
	expect(fmt("{\"levels\": [{\"name\": \"%s\", \"when\": {\"local_relative\": 1}}]}", u64), NULL);
	expect(fmt("{\"levels\": [{\"name\": \"%s\", \"when\": {\"local_relative\": 1}}]}", n65),
	       "levels[0].name: at most 64 characters");
}

/* A level whose condition is `nots` nested "not"s around a leaf ("when" itself is depth 1). */
static char *nested_doc(int nots)
{
	struct text t;
	text_open(&t);
	fputs("{\"levels\": [{\"name\": \"a\", \"when\": ", t.f);
	text_repeat(&t, nots, "", "{\"not\": ");
	fputs("{\"local_relative\": 1}", t.f);
	text_repeat(&t, nots, "", "}");
	fputs("}]}", t.f);
	return text_close(&t);
}

static void test_bounds_nesting(void **state)
{
	(void)state;
	/* 15 "not"s and the leaf: 16 deep */
	expect(nested_doc(15), NULL);
	expect(nested_doc(16),
	       "levels[0].when.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not: "
	       "conditions nest at most 16 deep");
	/* cJSON stops at 1000 levels of JSON; ours stops first, at the 17th condition */
	expect(nested_doc(490),
	       "levels[0].when.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not: "
	       "conditions nest at most 16 deep");
	/* all/any count as well */
	struct text t;
	text_open(&t);
	fputs("{\"levels\": [{\"name\": \"a\", \"when\": ", t.f);
	text_repeat(&t, 8, "", "{\"all\": [{\"any\": [");
	fputs("{\"local_relative\": 1}", t.f);
	text_repeat(&t, 8, "", "]}]}");
	fputs("}]}", t.f);
	expect(text_close(&t),
	       "levels[0].when.all[0].any[0].all[0].any[0].all[0].any[0].all[0].any[0].all[0].any[0]"
	       ".all[0].any[0].all[0].any[0].all[0].any[0]: conditions nest at most 16 deep");
}

/* n custom conditions, spread over levels of at most 20 under "any". */
static char *probes_doc(int n)
{
	struct text t;
	text_open(&t);
	fputs("{\"levels\": [", t.f);
	for (int l = 0; l * 20 < n; l++) {
		int k = n - l * 20 < 20 ? n - l * 20 : 20;
		fprintf(t.f, "%s{\"name\": \"l%d\", \"when\": {\"any\": [", l ? ", " : "", l);
		text_repeat(&t, k, ", ", "{\"custom\": {\"command\": [\"/bin/true\"]}}");
		fputs("]}}", t.f);
	}
	fputs("]}", t.f);
	return text_close(&t);
}

static void test_bounds_probes(void **state)
{
	(void)state;
	expect(probes_doc(16), NULL);
	expect(probes_doc(17), "levels[0].when.any[16].custom: at most 16 custom conditions (probes) per "
	                       "policy: each runs as a process at every check");
	/* 600 probes ran out of file descriptors and the level never entered, silently */
	expect(probes_doc(600), "levels[0].when.any[16].custom: at most 16 custom conditions (probes) per "
	                        "policy: each runs as a process at every check");
}

/* Objects of any size are checked in time linear in their size: the duplicate check only ever
 * compares known keys. */
static void test_bounds_objects(void **state)
{
	(void)state;
	struct text t;

	/* 80,000 repeats of a known key in each kind of object */
	text_open(&t);
	text_repeat(&t, 80000, ", ", "\"name\": \"a\"");
	_cleanup_free_ char *names = text_close(&t);
	expect(fmt("{\"levels\": [{%s, \"when\": {\"local_relative\": 1}}]}", names),
	       "levels[0].name: duplicate key");
	text_open(&t);
	text_repeat(&t, 80000, ", ", "\"local_relative\": 1");
	_cleanup_free_ char *conds = text_close(&t);
	expect(fmt("{\"levels\": [{\"name\": \"a\", \"when\": {%s}}]}", conds),
	       "levels[0].when.local_relative: duplicate key");
	text_open(&t);
	text_repeat(&t, 80000, ", ", "\"on\": \"entered\"");
	_cleanup_free_ char *ons = text_close(&t);
	expect(fmt("{\"levels\": [" LEVEL_A "], \"handlers\": [{%s, \"signal\": 10}]}", ons),
	       "handlers[0].on: duplicate key");
	text_open(&t);
	text_repeat(&t, 80000, ", ", "\"url\": \"http://h/\"");
	_cleanup_free_ char *urls = text_close(&t);
	expect(fmt("{\"levels\": [" LEVEL_A "], \"handlers\": [{\"on\": \"entered\", \"webhook\": {%s}}]}",
	           urls),
	       "handlers[0].webhook.url: duplicate key");
	/* 80,000 distinct unknown keys: the first one stops it */
	text_open(&t);
	text_repeat(&t, 80000, ", ", "\"k%d\": 1");
	_cleanup_free_ char *unknown = text_close(&t);
	expect(fmt("{\"levels\": [" LEVEL_A "], %s}", unknown), "k0: unknown key");
}

static void test_shipped_policies(void **state)
{
	(void)state;
	static const char *const files[] = {
		"../../policies/default.json",
		"../../policies/examples/cache-webhook.json",
		"../../policies/examples/gc-signal.json",
		"../../policies/examples/proactive-reclaim.json",
	};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		struct policy *p = NULL;
		char err[512] = "";
		if (policy_load(files[i], &p, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		policy_free(p);
	}

	/* the embedded default is the file, and parses */
	struct policy *p = NULL;
	char err[512] = "";
	if (policy_parse(policy_default_json, strlen(policy_default_json), &p, err, sizeof(err)) != 0)
		fail_msg("embedded default: %s", err);
	assert_int_equal(p->n_levels, 3);
	assert_int_equal(p->n_handlers, 0);
	assert_true(p->log_transitions);
	assert_true(p->check_interval_usec == USEC_PER_SEC);
	assert_string_equal(p->levels[0].name, "elevated");
	assert_string_equal(p->levels[2].name, "critical");
	assert_false(p->needs_v2);
	assert_false(p->needs_reclaim);
	policy_free(p);

	FILE *f = fopen("../../policies/default.json", "r");
	assert_non_null(f);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, policy_default_json);
}

static void test_load_errors(void **state)
{
	(void)state;
	struct policy *p = NULL;
	char err[512];
	char dir[] = "/tmp/memhook-policy-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];

	snprintf(path, sizeof(path), "%s/missing.json", dir);
	assert_int_equal(policy_load(path, &p, err, sizeof(err)), -ENOENT);
	char want[512];
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	assert_string_equal(err, want);

	snprintf(path, sizeof(path), "%s/bad.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relativ\": 3}}]}", f);
	fclose(f);
	assert_int_equal(policy_load(path, &p, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1:36: levels[0].when.local_relativ: unknown condition", path);
	assert_string_equal(err, want);
	unlink(path);

	/* exactly 1 MiB is read; one byte more is refused */
	snprintf(path, sizeof(path), "%s/big.json", dir);
	static const char head[] = "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}}]}";
	char *big = malloc((1 << 20) + 1);
	assert_non_null(big);
	memset(big, ' ', (1 << 20) + 1);
	memcpy(big, head, sizeof(head) - 1);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, 1 << 20, f), 1 << 20);
	fclose(f);
	assert_int_equal(policy_load(path, &p, err, sizeof(err)), 0);
	policy_free(p);
	p = NULL;
	f = fopen(path, "a");
	fputc(' ', f);
	fclose(f);
	assert_int_equal(policy_load(path, &p, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 1 MiB", path);
	assert_string_equal(err, want);
	assert_null(p);
	free(big);
	unlink(path);

	/* a FIFO is refused at once, not waited on for a writer (alarm: a blocking open kills the
	 * test); a directory likewise */
	snprintf(path, sizeof(path), "%s/fifo.json", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(policy_load(path, &p, err, sizeof(err)), -EBADFD);
	alarm(0);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	assert_string_equal(err, want);
	assert_null(p);
	unlink(path);
	assert_int_equal(policy_load(dir, &p, err, sizeof(err)), -EISDIR);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	assert_string_equal(err, want);
	assert_null(p);
	rmdir(dir);
}

static char *describe(const struct policy *p)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	assert_non_null(f);
	policy_describe(p, f);
	fclose(f);
	return out;
}

static void assert_has_line(const char *text, const char *line)
{
	char *want;
	assert_true(asprintf(&want, "\n%s\n", line) > 0);
	char *padded;
	assert_true(asprintf(&padded, "\n%s", text) > 0);
	if (!strstr(padded, want))
		fail_msg("line \"%s\" not in:\n%s", line, text);
	free(want);
	free(padded);
}

static void test_describe(void **state)
{
	(void)state;
	struct policy *p = parse_ok(issue_example);
	char *text = describe(p);
	assert_has_line(text, "check_interval 1s, min_interval 10ms, maximum_available auto, "
	                      "log_transitions true");
	assert_has_line(text, "level 1 \"elevated\": local_relative < 30%");
	assert_has_line(text, "level 2 \"high\": any(local_relative < 15%, global_absolute < 256Mi)");
	assert_has_line(text, "level 3 \"critical\": all(local_absolute < 32Mi, "
	                      "not(custom[/usr/bin/test -e /tmp/busy] timeout 200ms))");
	assert_has_line(text, "handler 0: on entered level 1 -> webhook http://127.0.0.1:8080/memory "
	                      "(timeout 5s, retries 3)");
	assert_has_line(text, "handler 1: on entered level 2 -> signal SIGUSR1 to main");
	assert_has_line(text, "handler 2: on remaining level 3 every 10s -> reclaim 5%");
	assert_has_line(
	        text,
	        "handler 3: on left level 2 -> webhook http://127.0.0.1:8080/memory (timeout 5s, retries 3)");
	assert_has_line(text, "handler 4: on normal -> exec /usr/local/bin/notify normal (timeout 10s)");
	free(text);
	policy_free(p);

	p = parse_ok(
	        "{\"check_interval\": \"250ms\", \"maximum_available\": \"1536Mi\", \"log_transitions\": "
	        "false,"
	        " \"levels\": [{\"name\": \"p\", \"when\": {\"any\": [{\"pressure\": {\"above\": 12.5}},"
	        " {\"events\": {\"counter\": \"oom_kill\", \"increased_by\": 2}}, {\"global_relative\": "
	        "2.5}]}}],"
	        " \"handlers\": [{\"on\": \"entered\", \"reclaim\": \"64Mi\"},"
	        " {\"on\": \"remaining\", \"level\": 0, \"signal\": {\"signal\": 15, \"to\": \"cgroup\"}},"
	        " {\"on\": \"target_lost\", \"webhook\": {\"url\": \"https://h/x\", \"secret_env\": "
	        "\"HOOK_SECRET\", \"tls_verify\": false}}]}");
	text = describe(p);
	assert_has_line(
	        text,
	        "check_interval 250ms, min_interval 10ms, maximum_available 1.5Gi, log_transitions false");
	assert_has_line(text,
	                "level 1 \"p\": any(pressure some avg10 > 12.5%, events oom_kill increased by >= 2, "
	                "global_relative < 2.5%)");
	assert_has_line(text, "handler 0: on entered any level -> reclaim 64Mi");
	assert_has_line(text, "handler 1: on remaining level 0 -> signal SIGTERM to cgroup");
	assert_has_line(
	        text, "handler 2: on target_lost -> webhook https://h/x (timeout 5s, retries 3, signed with "
	              "secret_env HOOK_SECRET, TLS not verified)");
	free(text);
	policy_free(p);

	/* a URL's user name and password are never shown */
	p = parse_ok("{\"levels\": [" LEVEL_A "], \"handlers\": [{\"on\": \"entered\", \"webhook\": "
	             "{\"url\": \"http://alice:PW@h:8080/x?to=a@b\"}}]}");
	assert_string_equal(p->handlers[0].webhook.url, "http://alice:PW@h:8080/x?to=a@b");
	assert_string_equal(p->handlers[0].webhook.url_log, "http://***@h:8080/x?to=a@b");
	text = describe(p);
	assert_has_line(text,
	                "handler 0: on entered any level -> webhook http://***@h:8080/x?to=a@b (timeout 5s, "
	                "retries 3)");
	assert_null(strstr(text, "PW"));
	free(text);
	policy_free(p);
	/* --webhook's URL likewise */
	p = parse_ok("{\"levels\": [" LEVEL_A "]}");
	char err[256];
	assert_int_equal(policy_add_webhook(p, "https://u:secret@hook.example/m", err, sizeof(err)), 0);
	text = describe(p);
	assert_null(strstr(text, "secret"));
	assert_has_line(
	        text, "handler 5: on oom_kill -> webhook https://***@hook.example/m (timeout 5s, retries 3)");
	free(text);
	policy_free(p);
}

static void test_check_target(void **state)
{
	(void)state;
	char err[256];

	struct policy *p = parse_ok(issue_example);
	assert_int_equal(policy_check_target(p, 2, err, sizeof(err)), 0);
	assert_int_equal(policy_check_target(p, 1, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
	                    "handlers[2].reclaim: needs cgroup v2 memory.reclaim; the target is cgroup v1");
	assert_int_equal(policy_check_target(p, 3, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "policy: unknown cgroup version 3");
	policy_free(p);

	p = parse_ok("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}},"
	             " {\"name\": \"b\", \"when\": {\"all\": [{\"local_relative\": 1}, {\"not\": "
	             "{\"pressure\": {\"above\": 5}}}]}}]}");
	assert_true(p->needs_v2);
	assert_int_equal(policy_check_target(p, 2, err, sizeof(err)), 0);
	assert_int_equal(policy_check_target(p, 1, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "levels[1].when.all[1].not.pressure: needs cgroup v2 memory.pressure; the "
	                         "target is cgroup v1");
	policy_free(p);

	p = parse_ok("{\"levels\": [{\"name\": \"a\", \"when\": {\"events\": \"max\"}}],"
	             " \"handlers\": [{\"on\": \"entered\", \"reclaim\": \"5%\"}]}");
	assert_int_equal(policy_check_target(p, 1, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
	                    "levels[0].when.events: needs cgroup v2 memory.events; the target is cgroup v1");
	policy_free(p);

	/* the default policy runs anywhere */
	p = parse_ok(policy_default_json);
	assert_int_equal(policy_check_target(p, 1, err, sizeof(err)), 0);
	assert_int_equal(policy_check_target(p, 2, err, sizeof(err)), 0);
	policy_free(p);
}

static void test_names(void **state)
{
	(void)state;
	for (int k = 0; k < EVENT_KINDS; k++)
		assert_int_equal(event_kind_from_name(event_kind_name((enum event_kind)k)), k);
	assert_string_equal(event_kind_name(EVENT_TARGET_FOUND), "target_found");
	assert_string_equal(event_kind_name(EVENT_KINDS), "unknown");
	assert_int_equal(event_kind_from_name("Entered"), -EINVAL);
	assert_int_equal(event_kind_from_name(""), -EINVAL);
	assert_int_equal(event_kind_from_name(NULL), -EINVAL);
	for (int k = 0; k < PSI_KINDS; k++)
		assert_int_equal(psi_kind_from_name(psi_kind_name((enum psi_kind)k)), k);
	for (int w = 0; w < PSI_WINDOWS; w++)
		assert_int_equal(psi_window_from_name(psi_window_name((enum psi_window)w)), w);
	for (int e = 0; e < MEMEV_COUNT; e++)
		assert_int_equal(memevent_from_name(memevent_name((enum memevent)e)), e);
	assert_string_equal(psi_window_name(PSI_AVG300), "avg300");
	assert_string_equal(memevent_name(MEMEV_OOM_KILL), "oom_kill");
	assert_string_equal(action_kind_name(ACTION_RECLAIM), "reclaim");
	assert_string_equal(action_kind_name((enum action_kind)42), "unknown");
}

/* Parsing is pure: a webhook handler's id is its place in the policy (index + 1), the same at every
 * parse, --webhook's handlers included; no process-wide count moves. */
static void test_webhook_ids(void **state)
{
	(void)state;
	for (int round = 0; round < 2; round++) {
		struct policy *p = parse_ok(issue_example);
		char err[512] = "";
		assert_int_equal(policy_add_webhook(p, "http://127.0.0.1:9/all", err, sizeof(err)), 0);
		assert_true(p->n_handlers > 5);
		assert_int_equal(p->handlers[0].webhook.id, 1);
		assert_int_equal(p->handlers[3].webhook.id, 4);
		for (size_t i = 5; i < p->n_handlers; i++)
			assert_int_equal(p->handlers[i].webhook.id, i + 1);
		policy_free(p);
	}
}

/* policy_level_name on hand-built policies of three levels and of one (moved from
 * decide/test_check.c: policy_level_name is lib/policy/policy.c's). */
static char elevated[] = "elevated", high[] = "high", critical[] = "critical";
static struct level three_levels[] = { { .name = elevated }, { .name = high }, { .name = critical } };
static const struct policy policy3 = { .levels = three_levels, .n_levels = 3 };
static const struct policy policy1 = { .levels = three_levels, .n_levels = 1 };

static void test_level_names(void **state)
{
	(void)state;
	assert_string_equal(policy_level_name(&policy3, 0), "normal");
	assert_string_equal(policy_level_name(&policy3, -1), "normal");
	assert_string_equal(policy_level_name(&policy3, 2), "high");
	assert_string_equal(policy_level_name(&policy3, 4), "?");
	assert_string_equal(policy_level_name(&policy1, 2), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_example),  cmocka_unit_test(test_everything_else),
		cmocka_unit_test(test_bad_policies),   cmocka_unit_test(test_odd_input),
		cmocka_unit_test(test_bounds_webhook), cmocka_unit_test(test_bounds_lists),
		cmocka_unit_test(test_bounds_nesting), cmocka_unit_test(test_bounds_probes),
		cmocka_unit_test(test_bounds_objects), cmocka_unit_test(test_shipped_policies),
		cmocka_unit_test(test_load_errors),    cmocka_unit_test(test_error_positions),
		cmocka_unit_test(test_describe),       cmocka_unit_test(test_check_target),
		cmocka_unit_test(test_names),          cmocka_unit_test(test_webhook_ids),
		cmocka_unit_test(test_level_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
