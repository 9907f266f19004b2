/* trace_columns: the table's names are the names-table's (lib/base/names.c), every PSI value and
 * counter has one column, the CSV header lists them in the documented order, and a column is found
 * by its CSV name or by its JSONL object and key. */
#include "unit.h"

#include <stdio.h>

#include "base/names.h"
#include "output/trace_internal.h"

/* The literal names of the PSI and events columns equal psi_kind_name, psi_window_name and
 * memevent_name; a nested column's CSV name is its object's, '_' and its key. */
static void test_names_are_the_names_table(void **state)
{
	(void)state;
	int avg[PSI_KINDS][PSI_WINDOWS] = { { 0 } }, total[PSI_KINDS] = { 0 }, event[MEMEV_COUNT] = { 0 };
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		const struct trace_column *c = &trace_columns[i];
		const char *obj = "psi";
		char key[40], csv[64];
		int *count;
		switch (c->kind) {
		case TRACE_COL_PSI_AVG:
			assert_in_range(c->a, 0, PSI_KINDS - 1);
			assert_in_range(c->b, 0, PSI_WINDOWS - 1);
			snprintf(key, sizeof(key), "%s_%s", psi_kind_name((enum psi_kind)c->a),
			         psi_window_name((enum psi_window)c->b));
			count = &avg[c->a][c->b];
			break;
		case TRACE_COL_PSI_TOTAL:
			assert_in_range(c->a, 0, PSI_KINDS - 1);
			snprintf(key, sizeof(key), "%s_total_usec", psi_kind_name((enum psi_kind)c->a));
			count = &total[c->a];
			break;
		case TRACE_COL_EVENT:
			assert_in_range(c->a, 0, MEMEV_COUNT - 1);
			snprintf(key, sizeof(key), "%s", memevent_name((enum memevent)c->a));
			count = &event[c->a];
			obj = "events";
			break;
		default:
			assert_null(c->json_obj);
			assert_string_equal(c->json_key, c->csv);
			continue;
		}
		(*count)++;
		assert_string_equal(c->json_obj, obj);
		assert_string_equal(c->json_key, key);
		snprintf(csv, sizeof(csv), "%s_%s", obj, key);
		assert_string_equal(c->csv, csv);
	}
	for (int k = 0; k < PSI_KINDS; k++) {
		for (int w = 0; w < PSI_WINDOWS; w++)
			assert_int_equal(avg[k][w], 1);
		assert_int_equal(total[k], 1);
	}
	for (int e = 0; e < MEMEV_COUNT; e++)
		assert_int_equal(event[e], 1);
}

/* The CSV header is the table in its order (trace.h's list of columns). */
static void test_header_order(void **state)
{
	(void)state;
	char buf[TRACE_LINE_MAX_BYTES];
	static const char want[] =
	        "time,elapsed_sec,usage_bytes,working_set_bytes,anon_bytes,limit_bytes,host_available_bytes,"
	        "host_total_bytes,psi_some_avg10,psi_some_avg60,psi_some_avg300,psi_some_total_usec,"
	        "psi_full_avg10,psi_full_avg60,psi_full_avg300,psi_full_total_usec,events_low,events_high,"
	        "events_max,events_oom,events_oom_kill,events_oom_group_kill\n";
	assert_int_equal(trace_format_header(TRACE_FORMAT_CSV, buf, sizeof(buf)), (int)sizeof(want) - 1);
	assert_string_equal(buf, want);
}

static void test_find(void **state)
{
	(void)state;
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		const struct trace_column *c = &trace_columns[i];
		assert_int_equal(trace_column_find(NULL, c->csv, strlen(c->csv)), (int)i);
		if (c->json_obj)
			assert_int_equal(trace_column_find(c->json_obj, c->json_key, strlen(c->json_key)),
			                 (int)i);
	}
	assert_int_equal(trace_column_find(NULL, "some_avg10", 10), -1);      /* a key without its object */
	assert_int_equal(trace_column_find("psi", "psi_some_avg10", 14), -1); /* a CSV name in the object */
	assert_int_equal(trace_column_find("events", "some_avg10", 10), -1);  /* another object's key */
	assert_int_equal(trace_column_find(NULL, "time,", 4), 0);             /* the length given */
	assert_int_equal(trace_column_find(NULL, "tim", 3), -1);
	assert_int_equal(trace_column_find(NULL, "", 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_are_the_names_table),
		cmocka_unit_test(test_header_order),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
