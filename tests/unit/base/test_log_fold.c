/* Folding of repeated log messages, on an injected clock. */
#include "unit.h"

#include "base/log_fold.h"
#include "base/util.h"

static const char key_a[] = "a", key_b[] = "b";

static void test_first_written_repeats_counted(void **state)
{
	(void)state;
	struct log_fold f = { .window_usec = USEC_PER_SEC };
	struct log_fold_summary sum;

	assert_true(log_fold_admit(&f, key_a, 0, 1, "garbage in memory.current", 0, &sum));
	assert_int_equal(sum.count, 0);
	for (uint64_t t = 10000; t < USEC_PER_SEC; t += 10000)
		assert_false(log_fold_admit(&f, key_a, 0, 1, "garbage in memory.current", t, &sum));
	/* the next one after the window: written, preceded by the summary of the 99 left out */
	assert_true(log_fold_admit(&f, key_a, 0, 1, "garbage in memory.current", USEC_PER_SEC, &sum));
	assert_int_equal(sum.count, 99);
	assert_int_equal(sum.level, 1);
	assert_string_equal(sum.text, "garbage in memory.current");
	assert_int_equal(sum.span_usec, USEC_PER_SEC);
}

static void test_keys_are_independent(void **state)
{
	(void)state;
	struct log_fold f = { .window_usec = USEC_PER_SEC };
	struct log_fold_summary sum;

	assert_true(log_fold_admit(&f, key_a, 0, 1, "a", 0, &sum));
	assert_true(log_fold_admit(&f, key_b, 0, 1, "b", 1, &sum));
	assert_false(log_fold_admit(&f, key_a, 0, 1, "a", 2, &sum));
	assert_false(log_fold_admit(&f, key_b, 0, 1, "b", 3, &sum));
}

static void test_expired_windows_are_summarized_once(void **state)
{
	(void)state;
	struct log_fold f = { .window_usec = USEC_PER_SEC };
	struct log_fold_summary sum;

	assert_true(log_fold_admit(&f, key_a, 0, 1, "a", 0, &sum));
	assert_false(log_fold_admit(&f, key_a, 0, 1, "a", 5, &sum));
	assert_false(log_fold_admit(&f, key_a, 0, 1, "a", 6, &sum));
	assert_true(log_fold_admit(&f, key_b, 0, 1, "b", 7, &sum)); /* a window without repeats */
	assert_int_equal(f.n_open, 2); /* what lets a check with nothing folded skip the scan */
	assert_false(log_fold_take_expired(&f, USEC_PER_SEC - 1, false, &sum));
	assert_true(log_fold_take_expired(&f, 2 * USEC_PER_SEC, false, &sum));
	assert_int_equal(sum.count, 2);
	assert_string_equal(sum.text, "a");
	assert_int_equal(f.n_open, 1);
	assert_false(log_fold_take_expired(&f, 2 * USEC_PER_SEC, false, &sum));
	assert_int_equal(f.n_open, 0);
	/* the slot is free again: the next "a" is written */
	assert_true(log_fold_admit(&f, key_a, 0, 1, "a", 2 * USEC_PER_SEC, &sum));
	assert_int_equal(sum.count, 0);
	assert_int_equal(f.n_open, 1);
}

static void test_flush_all_takes_open_windows(void **state)
{
	(void)state;
	struct log_fold f = { .window_usec = USEC_PER_SEC };
	struct log_fold_summary sum;

	assert_true(log_fold_admit(&f, key_a, 0, 0, "a", 0, &sum));
	assert_false(log_fold_admit(&f, key_a, 0, 0, "a", 1, &sum));
	assert_true(log_fold_take_expired(&f, 2, true, &sum));
	assert_int_equal(sum.count, 1);
	assert_int_equal(sum.level, 0);
	assert_false(log_fold_take_expired(&f, 2, true, &sum));
}

static void test_full_table_never_hides(void **state)
{
	(void)state;
	struct log_fold f = { .window_usec = USEC_PER_SEC };
	struct log_fold_summary sum;
	static char keys[LOG_FOLD_SLOTS + 4];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		assert_true(log_fold_admit(&f, &keys[i], 0, 1, "x", 0, &sum));
	/* the keys past the table are written every time */
	for (size_t i = LOG_FOLD_SLOTS; i < ARRAY_SIZE(keys); i++)
		assert_true(log_fold_admit(&f, &keys[i], 0, 1, "x", 1, &sum));
	assert_false(log_fold_admit(&f, &keys[0], 0, 1, "x", 1, &sum));
}

static void test_subjects_fold_apart(void **state)
{
	(void)state;
	struct log_fold f = { .window_usec = USEC_PER_SEC };
	struct log_fold_summary sum;
	uint64_t h0 = log_subject("handlers[0]"), h1 = log_subject("handlers[1]");

	assert_int_not_equal(h0, h1);
	assert_int_equal(h0, log_subject("handlers[0]"));
	assert_true(log_fold_admit(&f, key_a, h0, 1, "handlers[0]: signal failed", 0, &sum));
	assert_true(log_fold_admit(&f, key_a, h1, 1, "handlers[1]: exec failed", 1, &sum));
	assert_false(log_fold_admit(&f, key_a, h0, 1, "handlers[0]: signal failed", 2, &sum));
}

static void test_off_and_long_text(void **state)
{
	(void)state;
	struct log_fold off = { 0 };
	struct log_fold_summary sum;
	assert_true(log_fold_admit(&off, key_a, 0, 1, "a", 0, &sum));
	assert_true(log_fold_admit(&off, key_a, 0, 1, "a", 1, &sum));

	struct log_fold f = { .window_usec = USEC_PER_SEC };
	char longtext[1000];
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	assert_true(log_fold_admit(&f, key_a, 0, 1, longtext, 0, &sum));
	assert_false(log_fold_admit(&f, key_a, 0, 1, longtext, 1, &sum));
	assert_true(log_fold_take_expired(&f, 0, true, &sum));
	assert_int_equal(strlen(sum.text), LOG_FOLD_TEXT_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_written_repeats_counted),
		cmocka_unit_test(test_keys_are_independent),
		cmocka_unit_test(test_expired_windows_are_summarized_once),
		cmocka_unit_test(test_flush_all_takes_open_windows),
		cmocka_unit_test(test_full_table_never_hides),
		cmocka_unit_test(test_subjects_fold_apart),
		cmocka_unit_test(test_off_and_long_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
