/* trace_jsonl: a row as text (a value not read is absent, PSI and the counters in objects of
 * their own), the keys in any order, and lines refused with their reason. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "output/trace.h"
#include "output/trace_internal.h"

static struct sample base_sample(void)
{
	return (struct sample){ .usage_bytes = 250,
		                .limit_bytes = 1000,
		                .host_total_bytes = 8000,
		                .host_available_bytes = 4000,
		                .mono_usec = 7500000,
		                .real_usec = UINT64_C(1767225601500000) };
}

static void test_row_text(void **state)
{
	(void)state;
	char buf[TRACE_LINE_MAX_BYTES];
	struct sample s = base_sample();
	static const char base[] =
	        "{\"time\":\"2026-01-01T00:00:01.500Z\",\"elapsed_sec\":2.500,\"usage_bytes\":250,"
	        "\"limit_bytes\":1000,\"host_available_bytes\":4000,\"host_total_bytes\":8000}\n";
	assert_int_equal(trace_jsonl_row(&s, 5000000, buf, sizeof(buf)), (int)strlen(base));
	assert_string_equal(buf, base);
	/* a group in its object, closed at the end of the line */
	s.has_psi = true;
	s.psi.avg[PSI_SOME][PSI_AVG10] = 1.5;
	s.psi.total_usec[PSI_FULL] = 7;
	assert_true(trace_jsonl_row(&s, 5000000, buf, sizeof(buf)) > 0);
	assert_string_equal(
	        buf, "{\"time\":\"2026-01-01T00:00:01.500Z\",\"elapsed_sec\":2.500,\"usage_bytes\":250,"
	             "\"limit_bytes\":1000,\"host_available_bytes\":4000,\"host_total_bytes\":8000,"
	             "\"psi\":{\"some_avg10\":1.50,\"some_avg60\":0.00,\"some_avg300\":0.00,"
	             "\"some_total_usec\":0,\"full_avg10\":0.00,\"full_avg60\":0.00,"
	             "\"full_avg300\":0.00,\"full_total_usec\":7}}\n");
	/* two groups: the first object closed before the next opens */
	s.has_events = true;
	s.events[MEMEV_OOM_KILL] = 2;
	assert_true(trace_jsonl_row(&s, 5000000, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"full_total_usec\":7},\"events\":{\"low\":0,"));
	assert_non_null(strstr(buf, "\"oom_kill\":2,\"oom_group_kill\":0}}\n"));
	/* a buffer too small */
	assert_int_equal(trace_jsonl_row(&s, 5000000, buf, 1), -ENOBUFS);
	assert_int_equal(trace_jsonl_row(&s, 5000000, buf, 40), -ENOBUFS);
}

/* A line written by hand: keys in another order, null for a value not read, blanks after it. */
static void test_any_order_and_null(void **state)
{
	(void)state;
	struct trace_parser tp;
	struct sample s;
	char err[256] = "";
	const char *l = "{\"host_total_bytes\":8000,\"usage_bytes\":250,\"working_set_bytes\":null,"
	                "\"elapsed_sec\":2.5,\"limit_bytes\":1000,\"host_available_bytes\":4000,"
	                "\"time\":\"2026-01-01T00:00:01.5Z\"} \t";
	trace_parser_init(&tp);
	if (trace_parse_line(&tp, l, strlen(l), &s, err, sizeof(err)) != 1)
		fail_msg("%s", err);
	assert_int_equal(s.usage_bytes, 250);
	assert_int_equal(s.limit_bytes, 1000);
	assert_int_equal(s.host_total_bytes, 8000);
	assert_int_equal(s.mono_usec, 2500000); /* elapsed_sec */
	assert_int_equal(s.real_usec, UINT64_C(1767225601500000));
	assert_false(s.has_stat);
}

/* Each line as the first of a trace is refused with the reason given. */
static void test_garbage_rejected(void **state)
{
	(void)state;
	static const struct {
		const char *line, *reason;
	} cases[] = {
		{ "{\"time\":\"2026-01-01T00:00:06Z\"}", "no elapsed_sec" },
		{ "{\"usage_bytes\":1.5}", "usage_bytes: not a whole number" },
		{ "{\"usage_bytes\":1,\"usage_bytes\":1}", "usage_bytes: repeated" },
		{ "{\"usage\":1}", "usage: unknown key" },
		{ "{\"psi\":{\"some_avg11\":1}}", "psi.some_avg11: unknown key" },
		{ "{\"psi\":{\"some_avg10\":101}}", "psi_some_avg10: not a percent" },
		{ "{\"psi\":3}", "psi: not an object" },
		{ "{\"time\":5}", "time: not an RFC 3339" },
		{ "{} x", "text after the JSON object" },
		{ "[1]", "header: '[1]' is not a column" }, /* not an object: a CSV header */
		{ "{\"usage_bytes\":1", "not a JSON object" },
		{ "{\"events\":{\"oom\":-1}}", "events_oom: not a number of at least 0" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct trace_parser tp;
		struct sample s, untouched;
		char err[256] = "";
		trace_parser_init(&tp);
		struct trace_parser before = tp;
		memset(&s, 0xa5, sizeof(s));
		untouched = s;
		int r = trace_parse_line(&tp, cases[i].line, strlen(cases[i].line), &s, err, sizeof(err));
		if (r != -EBADMSG || !strstr(err, cases[i].reason))
			fail_msg("case %zu '%s': %d '%s', wanted '%s'", i, cases[i].line, r, err,
			         cases[i].reason);
		assert_memory_equal(&s, &untouched, sizeof(s));
		assert_memory_equal(&tp, &before, sizeof(tp));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_text),
		cmocka_unit_test(test_any_order_and_null),
		cmocka_unit_test(test_garbage_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
