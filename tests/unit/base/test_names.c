/* names: each enum's one table of names, both ways: every value round-trips, out of range is
 * "unknown", lookups are exact (case, NULL, empty); and the names a kernel file uses are the
 * names of the fixtures' memory.events and memory.pressure. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "base/names.h"
#include "base/util.h"

#define FIX "../fixtures"

/* One enum: its lookups and the names it must have, in value order. */
struct table {
	const char *what;
	const char *(*name)(int v);
	int (*from_name)(const char *s);
	int count;
	const char *const *want;
};

/* The lookups take their enum; a table row calls them through int. */
#define WRAP(prefix, type)                     \
	static const char *prefix##_n(int v)   \
	{                                      \
		return prefix##_name((type)v); \
	}                                      \
	static const char *const prefix##_want[]

WRAP(psi_kind, enum psi_kind) = { "some", "full" };
WRAP(psi_window, enum psi_window) = { "avg10", "avg60", "avg300" };
WRAP(memevent, enum memevent) = { "low", "high", "max", "oom", "oom_kill", "oom_group_kill" };
WRAP(usage_kind, enum usage_kind) = { "current", "working_set", "anon" };
WRAP(action_kind, enum action_kind) = { "webhook", "signal",      "reclaim",
	                                "exec",    "memory_high", "pressure_watch" };
WRAP(webhook_signature, enum webhook_signature) = { "standard", "memhook" };
WRAP(log_level, enum log_level) = { "error", "warn", "info", "debug" };
WRAP(log_format, enum log_format) = { "text", "json" };
WRAP(action_result, enum action_result) = { "ok", "failed", "dropped" };
WRAP(level_direction, enum level_direction) = { "up", "down" };
WRAP(trace_format, enum trace_format) = { "csv", "jsonl" };

#define ROW(prefix, n)                                                    \
	{                                                                 \
#prefix, prefix##_n, prefix##_from_name, n, prefix##_want \
	}

static const struct table tables[] = {
	ROW(psi_kind, PSI_KINDS),           ROW(psi_window, PSI_WINDOWS),
	ROW(memevent, MEMEV_COUNT),         ROW(usage_kind, USAGE_KINDS),
	ROW(action_kind, ACTION_KINDS),     ROW(webhook_signature, WEBHOOK_SIGNATURES),
	ROW(log_level, LOG_LEVELS),         ROW(log_format, LOG_FORMATS),
	ROW(action_result, ACTION_RESULTS), ROW(level_direction, LEVEL_DIRECTIONS),
	ROW(trace_format, TRACE_FORMATS),
};

/* Every value has its name and comes back from it; no two values share a name. */
static void test_every_value_round_trips(void **state)
{
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		const struct table *tb = &tables[t];
		for (int v = 0; v < tb->count; v++) {
			const char *n = tb->name(v);
			if (strcmp(n, tb->want[v]) != 0)
				fail_msg("%s %d: \"%s\", want \"%s\"", tb->what, v, n, tb->want[v]);
			if (tb->from_name(n) != v)
				fail_msg("%s \"%s\": %d, want %d", tb->what, n, tb->from_name(n), v);
			for (int w = 0; w < v; w++)
				if (strcmp(tb->name(w), n) == 0)
					fail_msg("%s: %d and %d are both \"%s\"", tb->what, w, v, n);
		}
	}
}

/* A value out of range is "unknown", which is nobody's name; a lookup is exact: another case, a
 * trailing space, the empty string and NULL are -EINVAL, and a name's prefix finds only the value
 * it names itself ("oom" of "oom_kill", "json" of "jsonl"). */
static void test_out_of_range_and_inexact(void **state)
{
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		const struct table *tb = &tables[t];
		assert_string_equal(tb->name(tb->count), "unknown");
		assert_string_equal(tb->name(-1), "unknown");
		assert_string_equal(tb->name(1000), "unknown");
		assert_int_equal(tb->from_name("unknown"), -EINVAL);
		assert_int_equal(tb->from_name(""), -EINVAL);
		assert_int_equal(tb->from_name(NULL), -EINVAL);
		for (int v = 0; v < tb->count; v++) {
			char buf[64];
			const char *n = tb->want[v];
			snprintf(buf, sizeof(buf), "%s ", n);
			assert_int_equal(tb->from_name(buf), -EINVAL);
			snprintf(buf, sizeof(buf), "%.*s", (int)strlen(n) - 1, n);
			if (tb->from_name(buf) >= 0 && strcmp(tb->name(tb->from_name(buf)), buf) != 0)
				fail_msg("%s: \"%s\" taken for a prefix", tb->what, buf);
			snprintf(buf, sizeof(buf), "%s", n);
			buf[0] = (char)(buf[0] - 'a' + 'A');
			assert_int_equal(tb->from_name(buf), -EINVAL);
		}
	}
}

/* Each key of the v2 fixture's memory.events is a memevent (oom_kill also names v1's
 * memory.oom_control counter), and each line and field of memory.pressure a PSI kind and window. */
static void test_kernel_files_use_the_names(void **state)
{
	(void)state;
	char key[64];
	unsigned long long value;
	int seen = 0;
	FILE *f = fopen(FIX "/v2/memory.events", "re");
	assert_non_null(f);
	while (fscanf(f, "%63s %llu", key, &value) == 2) {
		int e = memevent_from_name(key);
		if (e < 0)
			fail_msg("memory.events key \"%s\" has no memevent", key);
		seen |= 1 << e;
	}
	fclose(f);
	assert_int_equal(seen, (1 << MEMEV_COUNT) - 1);
	assert_int_equal(memevent_from_name("oom_kill"), MEMEV_OOM_KILL);

	char line[256];
	seen = 0;
	f = fopen(FIX "/v2/memory.pressure", "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char kind[16], w[3][16];
		assert_int_equal(
		        sscanf(line, "%15s %15[^=]=%*s %15[^=]=%*s %15[^=]=", kind, w[0], w[1], w[2]), 4);
		int k = psi_kind_from_name(kind);
		assert_true(k >= 0);
		seen |= 1 << k;
		for (int i = 0; i < PSI_WINDOWS; i++)
			assert_int_equal(psi_window_from_name(w[i]), i);
	}
	fclose(f);
	assert_int_equal(seen, (1 << PSI_KINDS) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_value_round_trips),
		cmocka_unit_test(test_out_of_range_and_inexact),
		cmocka_unit_test(test_kernel_files_use_the_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
