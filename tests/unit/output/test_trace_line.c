/* trace: the writer and the parser agree (CSV and JSONL, every group present or absent), the
 * clock and the events' deltas come out as a check has them (each format's own lines and their
 * refusals: test_trace_csv.c, test_trace_jsonl.c; the file and line from the reader:
 * test_trace_reader.c). */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "output/trace.h"

#define MIB (UINT64_C(1) << 20)

/* A full sample: every group read, PSI with two decimals as the kernel gives it. */
static struct sample full_sample(uint64_t elapsed_usec)
{
	struct sample s = {
		.usage_bytes = 100 * MIB,
		.has_stat = true,
		.working_set_bytes = 60 * MIB,
		.anon_bytes = 40 * MIB,
		.limit_bytes = 128 * MIB,
		.host_total_bytes = UINT64_C(8000000000),
		.host_available_bytes = UINT64_C(4000000000),
		.has_psi = true,
		.has_events = true,
		.mono_usec = 5000000 + elapsed_usec,
		.real_usec = UINT64_C(1764000000123000) + elapsed_usec,
	};
	s.psi.avg[PSI_SOME][PSI_AVG10] = 12.34;
	s.psi.avg[PSI_FULL][PSI_AVG300] = 0.01;
	s.psi.total_usec[PSI_SOME] = 123456789;
	s.psi.total_usec[PSI_FULL] = 42;
	for (int e = 0; e < MEMEV_COUNT; e++)
		s.events[e] = (uint64_t)e * 3;
	return s;
}

/* Formats s in f (start at mono 5 s) and parses it back with tp. */
static int round_trip(struct trace_parser *tp, enum trace_format f, const struct sample *s,
                      struct sample *ret)
{
	char line[TRACE_LINE_MAX_BYTES], err[256] = "";
	int n = trace_format_row(f, s, 5000000, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal(line[n - 1], '\n');
	int r = trace_parse_line(tp, line, (size_t)n - 1, ret, err, sizeof(err));
	if (r < 0)
		fail_msg("%s: %s", line, err);
	return r;
}

static void assert_same_sample(const struct sample *a, const struct sample *b)
{
	assert_int_equal(a->usage_bytes, b->usage_bytes);
	assert_int_equal(a->has_stat, b->has_stat);
	if (a->has_stat) {
		assert_int_equal(a->working_set_bytes, b->working_set_bytes);
		assert_int_equal(a->anon_bytes, b->anon_bytes);
	}
	assert_int_equal(a->limit_bytes, b->limit_bytes);
	assert_int_equal(a->host_total_bytes, b->host_total_bytes);
	assert_int_equal(a->host_available_bytes, b->host_available_bytes);
	assert_int_equal(a->has_psi, b->has_psi);
	if (a->has_psi) {
		for (int k = 0; k < PSI_KINDS; k++) {
			for (int w = 0; w < PSI_WINDOWS; w++)
				assert_float_equal(a->psi.avg[k][w], b->psi.avg[k][w], 1e-9);
			assert_int_equal(a->psi.total_usec[k], b->psi.total_usec[k]);
		}
	}
	assert_int_equal(a->has_events, b->has_events);
	if (a->has_events)
		assert_memory_equal(a->events, b->events, sizeof(a->events));
}

static void test_round_trip_both_formats(void **state)
{
	(void)state;
	for (int f = 0; f < TRACE_FORMATS; f++) {
		struct trace_parser tp;
		struct sample in = full_sample(0), out;
		char header[TRACE_LINE_MAX_BYTES], err[256] = "";
		trace_parser_init(&tp);
		int n = trace_format_header((enum trace_format)f, header, sizeof(header));
		if (f == TRACE_FORMAT_CSV) {
			assert_true(n > 0);
			assert_int_equal(trace_parse_line(&tp, header, (size_t)n - 1, &out, err, sizeof(err)),
			                 0);
		} else {
			assert_int_equal(n, 0);
		}
		assert_int_equal(round_trip(&tp, (enum trace_format)f, &in, &out), 1);
		assert_same_sample(&in, &out);
		assert_int_equal(out.mono_usec, 0); /* elapsed from the start */
		assert_int_equal(out.real_usec, in.real_usec);
		for (int e = 0; e < MEMEV_COUNT; e++)
			assert_int_equal(out.events_delta[e], 0); /* the first sample has no delta */

		/* 1.5 s later, every counter up by one; then the optional groups absent */
		in = full_sample(1500000);
		for (int e = 0; e < MEMEV_COUNT; e++)
			in.events[e]++;
		assert_int_equal(round_trip(&tp, (enum trace_format)f, &in, &out), 1);
		assert_same_sample(&in, &out);
		assert_int_equal(out.mono_usec, 1500000);
		for (int e = 0; e < MEMEV_COUNT; e++)
			assert_int_equal(out.events_delta[e], 1);

		in = full_sample(1500123); /* microseconds survive */
		in.has_stat = in.has_psi = in.has_events = false;
		assert_int_equal(round_trip(&tp, (enum trace_format)f, &in, &out), 1);
		assert_same_sample(&in, &out);
		assert_int_equal(out.mono_usec, 1500123);
	}
}

/* A counter that goes down is a new cgroup: a new baseline, no delta (as cg_sample). */
static void test_events_reset(void **state)
{
	(void)state;
	struct trace_parser tp;
	struct sample s;
	char err[256];
	const char *l1 =
	        "{\"time\":\"2026-01-01T00:00:00Z\",\"elapsed_sec\":0,\"usage_bytes\":1,\"limit_bytes\":2,"
	        "\"host_available_bytes\":3,\"host_total_bytes\":4,\"events\":{\"low\":0,\"high\":5,"
	        "\"max\":0,\"oom\":0,\"oom_kill\":2,\"oom_group_kill\":0}}";
	const char *l2 =
	        "{\"time\":\"2026-01-01T00:00:01Z\",\"elapsed_sec\":1,\"usage_bytes\":1,\"limit_bytes\":2,"
	        "\"host_available_bytes\":3,\"host_total_bytes\":4,\"events\":{\"low\":0,\"high\":1,"
	        "\"max\":0,\"oom\":0,\"oom_kill\":3,\"oom_group_kill\":0}}";
	trace_parser_init(&tp);
	assert_int_equal(trace_parse_line(&tp, l1, strlen(l1), &s, err, sizeof(err)), 1);
	assert_int_equal(trace_parse_line(&tp, l2, strlen(l2), &s, err, sizeof(err)), 1);
	assert_int_equal(s.events[MEMEV_OOM_KILL], 3);
	assert_int_equal(s.events_delta[MEMEV_OOM_KILL], 0);
}

static void test_names(void **state)
{
	(void)state;
	for (int f = 0; f < TRACE_FORMATS; f++)
		assert_int_equal(trace_format_from_name(trace_format_name((enum trace_format)f)), f);
	assert_int_equal(trace_format_from_name("json"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_both_formats),
		cmocka_unit_test(test_events_reset),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
